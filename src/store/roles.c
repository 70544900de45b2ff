/*
 * roles.c: custom role rows, addressed by (tenant_id, key).
 */
#include "roles.h"

#define ROLE_COLS "id, tenant_id, key, name, permissions, created_at, updated_at"

static void row_to_role(const struct db_result *r, int i, struct role_row *o)
{
	o->id = (char *)db_cell(r, i, 0);
	o->tenant_id = (char *)db_cell(r, i, 1);
	o->key = (char *)db_cell(r, i, 2);
	o->name = (char *)db_cell(r, i, 3);
	o->permissions = (char *)db_cell(r, i, 4);
	o->created_at = db_cell_int(r, i, 5);
	o->updated_at = db_cell_int(r, i, 6);
}

enum status store_role_insert(struct db *d, struct arena *a, const struct role_row *r)
{
	struct db_param p[6] = {db_text(r->id),   db_text(r->tenant_id),   db_text(r->key),
				db_text(r->name), db_text(r->permissions), db_int(r->created_at)};
	return db_query(d, a,
			"INSERT INTO roles (id, tenant_id, key, name, permissions, created_at,"
			" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
			p, 6, NULL, NULL);
}

enum status store_role_get(struct db *d, struct arena *a, const char *tenant_id, const char *key,
			   struct role_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(key)};
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT " ROLE_COLS " FROM roles WHERE tenant_id = $1 AND key = $2",
			 p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_role(&r, 0, out);
	return ST_OK;
}

enum status store_role_update(struct db *d, struct arena *a, const struct role_row *r)
{
	struct db_param p[5] = {db_text(r->tenant_id), db_text(r->key), db_text(r->name),
				db_text(r->permissions), db_int(r->updated_at)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE roles SET name = $3, permissions = $4, updated_at = $5"
				  " WHERE tenant_id = $1 AND key = $2",
				  p, 5, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_role_delete(struct db *d, struct arena *a, const char *tenant_id, const char *key)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(key)};
	int64_t changed = 0;
	enum status st = db_query(d, a, "DELETE FROM roles WHERE tenant_id = $1 AND key = $2", p, 2,
				  NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_role_list(struct db *d, struct arena *a, const char *tenant_id,
			    const char *after_key, int limit, struct role_row **rows, int *n)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(after_key ? after_key : ""),
				db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " ROLE_COLS " FROM roles WHERE tenant_id = $1"
				  " AND ($2 = '' OR key > $2) ORDER BY key LIMIT $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct role_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_role(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}
