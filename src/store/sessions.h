/*
 * sessions.h: SQL for user sessions. Tokens are never stored: token_hash is
 * the hex HMAC-SHA256 of the token under the instance's token secret.
 */
#ifndef SAASD_STORE_SESSIONS_H
#define SAASD_STORE_SESSIONS_H

#include "store.h"
#include "users.h"

struct session_row {
	char *id;
	char *tenant_id;
	char *user_id;
	int64_t created_at;
	int64_t expires_at;
};

/* A live session (not revoked, not expired at now_ms) by token hash, with
 * its user in the same read (the hot path of every session call: one
 * indexed probe, one transaction). */
enum status store_session_user_by_hash(struct db *d, struct arena *a, const char *tenant_id,
				       const char *token_hash, int64_t now_ms,
				       struct session_row *out, struct user_row *user);

/* A live session whose previous token (before its last refresh) hashes to
 * token_hash, with its user and *rotated_at (when that token was replaced). */
enum status store_session_user_by_prev_hash(struct db *d, struct arena *a, const char *tenant_id,
					    const char *token_hash, int64_t now_ms,
					    struct session_row *out, struct user_row *user,
					    int64_t *rotated_at);
/* Replace the live session's current token old_hash by new_hash, keeping
 * old_hash as the previous one (rotated_at now_ms); ST_NOT_FOUND when
 * old_hash is not its current token. */
enum status store_session_rotate(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, const char *old_hash, const char *new_hash,
				 int64_t now_ms);

enum status store_session_insert(struct db *d, struct arena *a, const struct session_row *s,
				 const char *token_hash);
/* A user's live sessions, newest first, after the cursor. */
enum status store_session_list_live(struct db *d, struct arena *a, const char *tenant_id,
				    const char *user_id, int64_t now_ms, const char *after,
				    int limit, struct session_row **rows, int *n);
/* Revoke one live session of this user; ST_NOT_FOUND otherwise. */
enum status store_session_revoke(struct db *d, struct arena *a, const char *tenant_id,
				 const char *user_id, const char *id, int64_t now_ms);
/* Revoke every live session of the user. */
enum status store_session_revoke_all(struct db *d, struct arena *a, const char *tenant_id,
				     const char *user_id, int64_t now_ms);

/* Delete up to limit sessions expired or revoked before before_ms (all
 * tenants: maintenance only). */
enum status store_session_delete_dead(struct db *d, struct arena *a, int64_t before_ms, int limit,
				      int64_t *removed);

#endif
