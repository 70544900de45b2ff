/*
 * tenants.c: tenant rows and instance metadata. Column order in the SELECT
 * list is fixed by TENANT_COLS and read back by row_to_tenant().
 */
#include "tenants.h"

#define TENANT_COLS                                                                        \
	"id, name, app_name, email_from, invite_url, reset_url, verify_url, default_tier," \
	" rate_limit_per_minute, created_at, updated_at, self_serve_billing,"              \
	" audit_retention_days, allowed_origins, allowed_redirect_urls, cookie_domain"

static void row_to_tenant(const struct db_result *r, int i, struct tenant_row *t)
{
	t->id = (char *)db_cell(r, i, 0);
	t->name = (char *)db_cell(r, i, 1);
	t->app_name = (char *)db_cell(r, i, 2);
	t->email_from = (char *)db_cell(r, i, 3);
	t->invite_url = (char *)db_cell(r, i, 4);
	t->reset_url = (char *)db_cell(r, i, 5);
	t->verify_url = (char *)db_cell(r, i, 6);
	t->default_tier = (char *)db_cell(r, i, 7);
	t->rate_limit_per_minute = db_cell_int(r, i, 8);
	t->created_at = db_cell_int(r, i, 9);
	t->updated_at = db_cell_int(r, i, 10);
	t->self_serve_billing = db_cell_int(r, i, 11) != 0;
	t->audit_retention_days = db_cell_int(r, i, 12);
	t->allowed_origins = (char *)db_cell(r, i, 13);
	t->allowed_redirect_urls = (char *)db_cell(r, i, 14);
	t->cookie_domain = (char *)db_cell(r, i, 15);
}

#define TENANT_NPARAMS 16

static void tenant_params(const struct tenant_row *t, struct db_param p[TENANT_NPARAMS])
{
	p[0] = db_text(t->id);
	p[1] = db_text(t->name);
	p[2] = db_text(t->app_name);
	p[3] = db_text(t->email_from);
	p[4] = db_text(t->invite_url);
	p[5] = db_text(t->reset_url);
	p[6] = db_text(t->verify_url);
	p[7] = db_text(t->default_tier);
	p[8] = t->rate_limit_per_minute > 0 ? db_int(t->rate_limit_per_minute) : db_null();
	p[9] = db_int(t->created_at);
	p[10] = db_int(t->updated_at);
	p[11] = db_int(t->self_serve_billing);
	/* 0: a row built before the setting existed gets the default */
	p[12] = db_int(t->audit_retention_days > 0 ? t->audit_retention_days
						   : TENANT_AUDIT_RETENTION_DEFAULT);
	p[13] = db_text(t->allowed_origins ? t->allowed_origins : "[]");
	p[14] = db_text(t->allowed_redirect_urls ? t->allowed_redirect_urls : "[]");
	p[15] = db_text(t->cookie_domain);
}

enum status store_tenant_insert(struct db *d, struct arena *a, const struct tenant_row *t)
{
	struct db_param p[TENANT_NPARAMS];
	tenant_params(t, p);
	return db_query(
		d, a,
		"INSERT INTO tenants (" TENANT_COLS ")"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS BIGINT), $10, $11, $12,"
		" CAST($13 AS BIGINT), $14, $15, $16)",
		p, TENANT_NPARAMS, NULL, NULL);
}

enum status store_tenant_get(struct db *d, struct arena *a, const char *id, struct tenant_row *out)
{
	struct db_param p[1] = {db_text(id)};
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT " TENANT_COLS " FROM tenants WHERE id = $1", p, 1, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_tenant(&r, 0, out);
	return ST_OK;
}

enum status store_tenant_list(struct db *d, struct arena *a, const char *after, int limit,
			      struct tenant_row **rows, int *n)
{
	struct db_param p[2] = {db_text(after ? after : ""), db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " TENANT_COLS " FROM tenants"
				  " WHERE ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct tenant_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_tenant(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_tenant_update(struct db *d, struct arena *a, const struct tenant_row *t)
{
	struct db_param p[TENANT_NPARAMS];
	tenant_params(t, p);
	/* updated_at takes created_at's place: it is not written */
	for (int i = 9; i < TENANT_NPARAMS - 1; i++)
		p[i] = p[i + 1];
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE tenants SET name = $2, app_name = $3, email_from = $4,"
			 " invite_url = $5, reset_url = $6, verify_url = $7,"
			 " default_tier = $8, rate_limit_per_minute = CAST($9 AS BIGINT),"
			 " updated_at = $10, self_serve_billing = $11,"
			 " audit_retention_days = CAST($12 AS BIGINT), allowed_origins = $13,"
			 " allowed_redirect_urls = $14, cookie_domain = $15 WHERE id = $1",
			 p, TENANT_NPARAMS - 1, NULL, &changed);
	if (st == ST_OK && changed == 0)
		return ST_NOT_FOUND;
	return st;
}

enum status store_tenant_origins(struct db *d, struct arena *a, struct tenant_origins **rows,
				 int *n)
{
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT id, allowed_origins FROM tenants"
				  " WHERE allowed_origins <> '[]'",
				  NULL, 0, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct tenant_origins) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++) {
		(*rows)[i].tenant_id = (char *)db_cell(&r, i, 0);
		(*rows)[i].allowed_origins = (char *)db_cell(&r, i, 1);
	}
	*n = r.nrows;
	return ST_OK;
}

enum status store_tenant_lock(struct db *d, struct arena *a, const char *id)
{
	struct db_param p[1] = {db_text(id)};
	int64_t changed = 0;
	/* a no-op write: PostgreSQL row-locks the tenant (FOR NO KEY UPDATE: rows
	 * referencing it can still be inserted) until the transaction ends;
	 * SQLite's BEGIN IMMEDIATE already holds the database write lock */
	enum status st = db_query(d, a, "UPDATE tenants SET updated_at = updated_at WHERE id = $1",
				  p, 1, NULL, &changed);
	if (st == ST_OK && changed == 0)
		return ST_NOT_FOUND;
	return st;
}

enum status store_tenant_count(struct db *d, struct arena *a, int64_t *count)
{
	struct db_result r;
	enum status st = db_query(d, a, "SELECT COUNT(*) FROM tenants", NULL, 0, &r, NULL);
	if (st == ST_OK)
		*count = db_cell_int(&r, 0, 0);
	return st;
}

enum status store_meta_get_or_insert(struct db *d, struct arena *a, const char *key,
				     const char *value, int64_t now_ms, char **out)
{
	struct db_param p[3] = {db_text(key), db_text(value), db_int(now_ms)};
	enum status st = db_query(d, a,
				  "INSERT INTO instance_meta (key, value, created_at)"
				  " VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
				  p, 3, NULL, NULL);
	if (st != ST_OK)
		return st;
	struct db_result r;
	st = db_query(d, a, "SELECT value FROM instance_meta WHERE key = $1", p, 1, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_INTERNAL;
	*out = (char *)db_cell(&r, 0, 0);
	return ST_OK;
}
