/*
 * sessions.c: session rows. The live-session lookup is the hottest query of
 * the product: one indexed probe on the unique token_hash.
 */
#include "sessions.h"

enum status store_session_live_by_hash(struct db *d, struct arena *a, const char *tenant_id,
				       const char *token_hash, int64_t now_ms,
				       struct session_row *out)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(token_hash), db_int(now_ms)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT id, tenant_id, user_id, created_at, expires_at"
				  " FROM sessions WHERE token_hash = $2 AND tenant_id = $1"
				  " AND revoked_at IS NULL AND expires_at > $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	out->id = (char *)db_cell(&r, 0, 0);
	out->tenant_id = (char *)db_cell(&r, 0, 1);
	out->user_id = (char *)db_cell(&r, 0, 2);
	out->created_at = db_cell_int(&r, 0, 3);
	out->expires_at = db_cell_int(&r, 0, 4);
	return ST_OK;
}

enum status store_session_delete_dead(struct db *d, struct arena *a, int64_t before_ms,
				      int limit, int64_t *removed)
{
	struct db_param p[2] = {db_int(before_ms), db_int(limit)};
	return db_query(d, a,
			"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
			" WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)",
			p, 2, NULL, removed);
}
