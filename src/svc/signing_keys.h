/*
 * signing_keys.h: the Ed25519 keys that sign access tokens. Every node signs
 * with the one current key of the database; each process keeps it decrypted
 * in memory (struct sigkeys, owned by the app, wiped when freed or replaced)
 * and rereads the key list every SIGKEYS_REFRESH_MS, so a rotation made by
 * one node is seen by the others within seconds. A token never costs a
 * database write or a decryption.
 */
#ifndef SAASD_SVC_SIGNING_KEYS_H
#define SAASD_SVC_SIGNING_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/secure.h"
#include "svc.h"

#define SIGKEYS_REFRESH_MS 2000
#define SIGKEYS_MAX 20
#define SIGKEY_ID_MAX 64 /* a kid: 43 base64url characters */

struct sigkeys;
struct sigkeys *sigkeys_new(void);
/* Wipes the cached secret key. */
void sigkeys_free(struct sigkeys *k);

/* A verifying key as the JWKS shows it. */
struct sigkey_public {
	char kid[SIGKEY_ID_MAX];
	char x[SIGKEY_ID_MAX]; /* the public key, base64url */
};

/* RFC 7638 thumbprint of the Ed25519 JWK of x: base64url(SHA-256 of
 * {"crv":"Ed25519","kty":"OKP","x":"<x>"}) into kid. Pure (unit-tested). */
void sigkey_thumbprint(const char *x, char kid[SIGKEY_ID_MAX]);

/* Load the keys (creating the first one on an empty database) into the
 * cache: at start, so the first token is fast. */
enum status svc_sigkeys_load(struct svc_ctx *c);
/* A compact JWS (RFC 7515) of payload (JSON text) signed with the current
 * key: base64url({"alg":"EdDSA","kid":...,"typ":"JWT"}) "." base64url(payload)
 * "." base64url(signature), into *out (the call's arena). */
enum status svc_sigkeys_jws(struct svc_ctx *c, const char *payload, size_t n, char **out);
/* The current key and the previous ones whose tokens may still be alive,
 * current first, into out[SIGKEYS_MAX]. */
enum status svc_sigkeys_public(struct svc_ctx *c, struct sigkey_public *out, int *n);
/* Make a new current key when the current one was created at or before
 * created_before (INT64_MAX: now, whatever its age; `saasd signing-key
 * rotate`). Race-safe across nodes: one rotation wins, *rotated tells. */
enum status svc_sigkeys_rotate(struct svc_ctx *c, int64_t created_before, bool *rotated);

/* The rotation job (jobs_table.c): rotates when the current key is older
 * than SIGNING_KEY_ROTATION_DAYS. */
int sigkeys_rotation_run(const struct svc_env *env);

#endif
