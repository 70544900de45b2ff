/*
 * tokens.c: one-time token rows. Consumption uses UPDATE ... RETURNING with
 * the liveness conditions in the WHERE clause: of two racing consumers,
 * exactly one gets the row.
 */
#include "tokens.h"

enum status store_token_insert(struct db *d, struct arena *a, const struct auth_token_row *t)
{
	struct db_param p[7] = {db_text(t->id),       db_text(t->tenant_id),  db_text(t->user_id),
				db_text(t->purpose),  db_text(t->token_hash), db_int(t->created_at),
				db_int(t->expires_at)};
	return db_query(d, a,
			"INSERT INTO auth_tokens (id, tenant_id, user_id, purpose, token_hash,"
			" created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			p, 7, NULL, NULL);
}

enum status store_token_consume(struct db *d, struct arena *a, const char *tenant_id,
				const char *purpose, const char *token_hash, int64_t now_ms,
				char **user_id)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(purpose), db_text(token_hash),
				db_int(now_ms)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "UPDATE auth_tokens SET used_at = $4"
				  " WHERE token_hash = $3 AND tenant_id = $1 AND purpose = $2"
				  " AND used_at IS NULL AND expires_at > $4 RETURNING user_id",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	*user_id = (char *)db_cell(&r, 0, 0);
	return ST_OK;
}

enum status store_token_count_recent(struct db *d, struct arena *a, const char *tenant_id,
				     const char *user_id, const char *purpose, int64_t since_ms,
				     int64_t *count)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(user_id), db_text(purpose),
				db_int(since_ms)};
	return db_query_count(d, a,
			      "SELECT COUNT(*) FROM auth_tokens WHERE tenant_id = $1"
			      " AND user_id = $2 AND purpose = $3 AND created_at >= $4",
			      p, 4, count);
}

enum status store_token_invalidate(struct db *d, struct arena *a, const char *tenant_id,
				   const char *user_id, const char *purpose, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(user_id), db_text(purpose),
				db_int(now_ms)};
	return db_query(d, a,
			"UPDATE auth_tokens SET used_at = $4 WHERE tenant_id = $1 AND user_id = $2"
			" AND purpose = $3 AND used_at IS NULL",
			p, 4, NULL, NULL);
}

enum status store_token_prune(struct db *d, struct arena *a, int64_t before_ms, int64_t *removed)
{
	struct db_param p[1] = {db_int(before_ms)};
	return db_query(d, a, "DELETE FROM auth_tokens WHERE expires_at < $1", p, 1, NULL, removed);
}
