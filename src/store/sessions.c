/*
 * sessions.c: session rows. The live-session lookup is the hottest query of
 * the product: one indexed probe on the unique token_hash.
 */
#include "sessions.h"

#include <string.h>

#define SESSION_COLS "id, tenant_id, user_id, created_at, expires_at"

static void row_to_session(const struct db_result *r, int i, struct session_row *out)
{
	out->id = (char *)db_cell(r, i, 0);
	out->tenant_id = (char *)db_cell(r, i, 1);
	out->user_id = (char *)db_cell(r, i, 2);
	out->created_at = db_cell_int(r, i, 3);
	out->expires_at = db_cell_int(r, i, 4);
}

enum status store_session_delete_dead(struct db *d, struct arena *a, int64_t before_ms, int limit,
				      int64_t *removed)
{
	struct db_param p[2] = {db_int(before_ms), db_int(limit)};
	return db_query(d, a,
			"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
			" WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)",
			p, 2, NULL, removed);
}

enum status store_session_insert(struct db *d, struct arena *a, const struct session_row *s,
				 const char *token_hash)
{
	struct db_param p[6] = {db_text(s->id),      db_text(s->tenant_id), db_text(s->user_id),
				db_text(token_hash), db_int(s->created_at), db_int(s->expires_at)};
	return db_query(d, a,
			"INSERT INTO sessions (id, tenant_id, user_id, token_hash, created_at,"
			" expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
			p, 6, NULL, NULL);
}

enum status store_session_list_live(struct db *d, struct arena *a, const char *tenant_id,
				    const char *user_id, int64_t now_ms, const char *after,
				    int limit, struct session_row **rows, int *n)
{
	struct db_param p[5] = {db_text(tenant_id), db_text(user_id), db_int(now_ms),
				db_text(after ? after : ""), db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " SESSION_COLS " FROM sessions WHERE tenant_id = $1"
				  " AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3"
				  " AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
				  p, 5, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct session_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_session(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_session_revoke(struct db *d, struct arena *a, const char *tenant_id,
				 const char *user_id, const char *id, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(user_id), db_text(id), db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE sessions SET revoked_at = $4 WHERE tenant_id = $1"
				  " AND user_id = $2 AND id = $3 AND revoked_at IS NULL",
				  p, 4, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_session_revoke_all(struct db *d, struct arena *a, const char *tenant_id,
				     const char *user_id, int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(user_id), db_int(now_ms)};
	return db_query(d, a,
			"UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2"
			" AND revoked_at IS NULL",
			p, 3, NULL, NULL);
}

enum status store_session_user_by_hash(struct db *d, struct arena *a, const char *tenant_id,
				       const char *token_hash, int64_t now_ms,
				       struct session_row *out, struct user_row *user)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(token_hash), db_int(now_ms)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT s.id, s.tenant_id, s.user_id, s.created_at, s.expires_at,"
				  " u.email, u.name, u.email_verified, u.created_at, u.updated_at"
				  " FROM sessions s JOIN users u ON u.id = s.user_id"
				  " AND u.tenant_id = s.tenant_id"
				  " WHERE s.token_hash = $2 AND s.tenant_id = $1"
				  " AND s.revoked_at IS NULL AND s.expires_at > $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_session(&r, 0, out);
	memset(user, 0, sizeof *user);
	user->id = out->user_id;
	user->tenant_id = out->tenant_id;
	user->email = (char *)db_cell(&r, 0, 5);
	user->name = (char *)db_cell(&r, 0, 6);
	user->email_verified = db_cell_int(&r, 0, 7) != 0;
	user->created_at = db_cell_int(&r, 0, 8);
	user->updated_at = db_cell_int(&r, 0, 9);
	return ST_OK;
}

enum status store_session_user_by_prev_hash(struct db *d, struct arena *a, const char *tenant_id,
					    const char *token_hash, int64_t now_ms,
					    struct session_row *out, struct user_row *user,
					    int64_t *rotated_at)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(token_hash), db_int(now_ms)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT s.id, s.tenant_id, s.user_id, s.created_at, s.expires_at,"
				  " u.email, u.name, u.email_verified, u.created_at, u.updated_at,"
				  " s.rotated_at"
				  " FROM sessions s JOIN users u ON u.id = s.user_id"
				  " AND u.tenant_id = s.tenant_id"
				  " WHERE s.prev_token_hash = $2 AND s.tenant_id = $1"
				  " AND s.revoked_at IS NULL AND s.expires_at > $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_session(&r, 0, out);
	memset(user, 0, sizeof *user);
	user->id = out->user_id;
	user->tenant_id = out->tenant_id;
	user->email = (char *)db_cell(&r, 0, 5);
	user->name = (char *)db_cell(&r, 0, 6);
	user->email_verified = db_cell_int(&r, 0, 7) != 0;
	user->created_at = db_cell_int(&r, 0, 8);
	user->updated_at = db_cell_int(&r, 0, 9);
	*rotated_at = db_cell_int(&r, 0, 10);
	return ST_OK;
}

enum status store_session_rotate(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, const char *old_hash, const char *new_hash,
				 int64_t now_ms)
{
	struct db_param p[5] = {db_text(tenant_id), db_text(id), db_text(old_hash),
				db_text(new_hash), db_int(now_ms)};
	int64_t affected = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE sessions SET prev_token_hash = token_hash, token_hash = $4,"
			 " rotated_at = $5 WHERE tenant_id = $1 AND id = $2"
			 " AND token_hash = $3 AND revoked_at IS NULL AND expires_at > $5",
			 p, 5, NULL, &affected);
	if (st == ST_OK && affected == 0)
		st = ST_NOT_FOUND;
	return st;
}
