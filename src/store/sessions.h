/*
 * sessions.h: SQL for user sessions. Tokens are never stored: token_hash is
 * the hex HMAC-SHA256 of the token under the instance's token secret.
 */
#ifndef SAASD_STORE_SESSIONS_H
#define SAASD_STORE_SESSIONS_H

#include "store.h"

struct session_row {
	char *id;
	char *tenant_id;
	char *user_id;
	int64_t created_at;
	int64_t expires_at;
};

/* A live session (not revoked, not expired at now_ms) by token hash. */
enum status store_session_live_by_hash(struct db *d, struct arena *a, const char *tenant_id,
				       const char *token_hash, int64_t now_ms,
				       struct session_row *out);

/* Delete up to limit sessions expired or revoked before before_ms (all
 * tenants: maintenance only). */
enum status store_session_delete_dead(struct db *d, struct arena *a, int64_t before_ms,
				      int limit, int64_t *removed);

#endif
