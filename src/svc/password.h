/*
 * password.h: password policy and hashing. Hashes are bcrypt ($2b$, libxcrypt)
 * over a pre-hash: base64(HMAC-SHA256("saasd-password-v1", password)), stored
 * as "$bcrypt-sha256$v1$2b$<cost>$...". The pre-hash removes bcrypt's 72-byte
 * truncation (two passwords sharing 72 bytes no longer collide) and NUL
 * issues. Plain "$2a$/$2b$/$2y$" hashes imported from elsewhere still verify,
 * and are upgraded on the next successful login (password_needs_rehash).
 * These functions are slow by design: call them off the HTTP threads.
 */
#ifndef SAASD_PASSWORD_H
#define SAASD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/status.h"

#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_CHARS 128
#define PASSWORD_HASH_MAX 160

/* ST_OK, ST_PASSWORD_TOO_WEAK (short, or no letter or no digit), or
 * ST_PASSWORD_TOO_LONG (> 128 characters). */
enum status password_check_policy(const char *password);

/* Hash with the given bcrypt cost (4..31) into out[PASSWORD_HASH_MAX]. */
enum status password_hash(const char *password, int cost, char out[PASSWORD_HASH_MAX]);

/* Constant-time verification against a stored hash of either scheme. */
bool password_verify(const char *password, const char *stored);

/* Spend the time of a real verification against a fixed dummy hash of the
 * given cost, so unknown accounts answer in the same time as wrong passwords. */
void password_verify_dummy(const char *password, int cost);

/* True when stored is not our scheme or not at this cost. */
bool password_needs_rehash(const char *stored, int cost);

#endif
