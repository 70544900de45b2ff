/*
 * api_keys.c: API key rows. Revoked keys stay as rows (revoked_at set) so an
 * audit can still see them, but no query here returns them as usable.
 */
#include "api_keys.h"

#define KEY_COLS \
	"id, tenant_id, name, prefix, key_hash, created_at, last_used_at, type, publishable_key"

static void row_to_key(const struct db_result *r, int i, struct api_key_row *k)
{
	k->id = (char *)db_cell(r, i, 0);
	k->tenant_id = (char *)db_cell(r, i, 1);
	k->name = (char *)db_cell(r, i, 2);
	k->prefix = (char *)db_cell(r, i, 3);
	k->key_hash = (char *)db_cell(r, i, 4);
	k->created_at = db_cell_int(r, i, 5);
	k->last_used_at = db_cell_int(r, i, 6);
	k->type = (char *)db_cell(r, i, 7);
	k->publishable_key = (char *)db_cell(r, i, 8);
}

enum status store_apikey_insert(struct db *d, struct arena *a, const struct api_key_row *k)
{
	struct db_param p[8] = {db_text(k->id),
				db_text(k->tenant_id),
				db_text(k->name),
				db_text(k->prefix),
				db_text(k->key_hash),
				db_int(k->created_at),
				db_text(k->type ? k->type : "secret"),
				k->publishable_key ? db_text(k->publishable_key) : db_null()};
	return db_query(d, a,
			"INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_at,"
			" type, publishable_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			p, 8, NULL, NULL);
}

enum status store_apikey_by_hash(struct db *d, struct arena *a, const char *hash_hex,
				 struct api_key_row *out)
{
	struct db_param p[1] = {db_text(hash_hex)};
	struct db_result r;
	enum status st =
		db_query(d, a,
			 "SELECT k.id, k.tenant_id, k.name, k.prefix, k.key_hash, k.created_at,"
			 " k.last_used_at, k.type, k.publishable_key, t.rate_limit_per_minute"
			 " FROM api_keys k"
			 " JOIN tenants t ON t.id = k.tenant_id"
			 " WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
			 p, 1, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_key(&r, 0, out);
	out->tenant_rate_limit = db_cell_int(&r, 0, 9);
	return ST_OK;
}

enum status store_apikey_list(struct db *d, struct arena *a, const char *tenant_id,
			      const char *after, int limit, struct api_key_row **rows, int *n)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(after ? after : ""), db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " KEY_COLS " FROM api_keys"
				  " WHERE tenant_id = $1 AND revoked_at IS NULL"
				  " AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct api_key_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_key(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_apikey_count_active(struct db *d, struct arena *a, const char *tenant_id,
				      int64_t *count)
{
	struct db_param p[1] = {db_text(tenant_id)};
	return db_query_count(d, a,
			      "SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1"
			      " AND revoked_at IS NULL AND type = 'secret'",
			      p, 1, count);
}

enum status store_apikey_revoke(struct db *d, struct arena *a, const char *tenant_id,
				const char *id, int64_t now_ms, char **hash_hex)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(now_ms)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "UPDATE api_keys SET revoked_at = $3"
				  " WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL"
				  " RETURNING key_hash",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	*hash_hex = (char *)db_cell(&r, 0, 0);
	return ST_OK;
}

enum status store_apikey_touch(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			       int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(now_ms)};
	return db_query(d, a,
			"UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2"
			" AND (last_used_at IS NULL OR last_used_at < $3)",
			p, 3, NULL, NULL);
}
