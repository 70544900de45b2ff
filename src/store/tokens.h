/*
 * tokens.h: SQL for one-time auth tokens (password reset, email
 * verification). Only keyed hashes are stored; consuming a token is one
 * conditional UPDATE, so a token can be used once even under races.
 */
#ifndef SAASD_STORE_TOKENS_H
#define SAASD_STORE_TOKENS_H

#include "store.h"

#define TOKEN_PURPOSE_RESET "password_reset"
#define TOKEN_PURPOSE_VERIFY "verify_email"

struct auth_token_row {
	char *id;
	char *tenant_id;
	char *user_id;
	const char *purpose;
	char *token_hash;
	int64_t created_at;
	int64_t expires_at;
};

enum status store_token_insert(struct db *d, struct arena *a, const struct auth_token_row *t);
/* Mark a live token used; *user_id gets its user. ST_NOT_FOUND when the
 * token is unknown, used, expired, or of another purpose or tenant. */
enum status store_token_consume(struct db *d, struct arena *a, const char *tenant_id,
				const char *purpose, const char *token_hash, int64_t now_ms,
				char **user_id);
/* Tokens of this purpose created for the user since since_ms. */
enum status store_token_count_recent(struct db *d, struct arena *a, const char *tenant_id,
				     const char *user_id, const char *purpose, int64_t since_ms,
				     int64_t *count);
/* Invalidate the user's other live tokens of this purpose. */
enum status store_token_invalidate(struct db *d, struct arena *a, const char *tenant_id,
				   const char *user_id, const char *purpose, int64_t now_ms);
/* Maintenance: delete tokens expired before before_ms (all tenants). */
enum status store_token_prune(struct db *d, struct arena *a, int64_t before_ms, int64_t *removed);

#endif
