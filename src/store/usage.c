/*
 * usage.c: usage rows and counters. Day buckets are computed in SQL with
 * integer division of epoch milliseconds, identical on both databases.
 */
#include "usage.h"

#define USAGE_COLS                                                                         \
	"id, tenant_id, organization_id, metric, quantity, idempotency_key, period_start," \
	" period_end, used_after, limit_value, created_at"

static void usage_params(const struct usage_row *u, struct db_param p[11])
{
	p[0] = db_text(u->id);
	p[1] = db_text(u->tenant_id);
	p[2] = db_text(u->organization_id);
	p[3] = db_text(u->metric);
	p[4] = db_int(u->quantity);
	p[5] = db_text(u->idempotency_key);
	p[6] = db_int(u->period_start);
	p[7] = db_int(u->period_end);
	p[8] = db_int(u->used_after);
	p[9] = u->limit_value >= 0 ? db_int(u->limit_value) : db_null();
	p[10] = db_int(u->created_at);
}

#define USAGE_INSERT                                                                         \
	"INSERT INTO usage_records (" USAGE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8," \
	" $9, CAST($10 AS BIGINT), $11)"

enum status store_usage_insert(struct db *d, struct arena *a, const struct usage_row *u)
{
	struct db_param p[11];
	usage_params(u, p);
	return db_query(d, a, USAGE_INSERT, p, 11, NULL, NULL);
}

enum status store_usage_insert_new(struct db *d, struct arena *a, const struct usage_row *u,
				   bool *inserted)
{
	struct db_param p[11];
	usage_params(u, p);
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  USAGE_INSERT " ON CONFLICT (tenant_id, organization_id,"
					       " idempotency_key) DO NOTHING",
				  p, 11, NULL, &changed);
	*inserted = st == ST_OK && changed > 0;
	return st;
}

enum status store_usage_by_key(struct db *d, struct arena *a, const char *tenant_id,
			       const char *org_id, const char *key, struct usage_row *out)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(org_id), db_text(key)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " USAGE_COLS " FROM usage_records WHERE tenant_id = $1"
				  " AND organization_id = $2 AND idempotency_key = $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	out->id = (char *)db_cell(&r, 0, 0);
	out->tenant_id = (char *)db_cell(&r, 0, 1);
	out->organization_id = (char *)db_cell(&r, 0, 2);
	out->metric = (char *)db_cell(&r, 0, 3);
	out->quantity = db_cell_int(&r, 0, 4);
	out->idempotency_key = (char *)db_cell(&r, 0, 5);
	out->period_start = db_cell_int(&r, 0, 6);
	out->period_end = db_cell_int(&r, 0, 7);
	out->used_after = db_cell_int(&r, 0, 8);
	out->limit_value = db_cell_null(&r, 0, 9) ? -1 : db_cell_int(&r, 0, 9);
	out->created_at = db_cell_int(&r, 0, 10);
	return ST_OK;
}

enum status store_usage_counter_ensure(struct db *d, struct arena *a, const char *tenant_id,
				       const char *org_id, const char *metric, int64_t period_start)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(org_id), db_text(metric),
				db_int(period_start)};
	return db_query(d, a,
			"INSERT INTO usage_counters (tenant_id, organization_id, metric,"
			" period_start, used) VALUES ($1, $2, $3, $4, 0)"
			" ON CONFLICT (organization_id, metric, period_start) DO NOTHING",
			p, 4, NULL, NULL);
}

enum status store_usage_counter_add(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *metric, int64_t period_start,
				    int64_t quantity, int64_t limit, int64_t *used_after)
{
	struct db_param p[6] = {db_text(tenant_id), db_text(org_id),
				db_text(metric),    db_int(period_start),
				db_int(quantity),   limit >= 0 ? db_int(limit) : db_null()};
	struct db_result r;
	enum status st =
		db_query(d, a,
			 "UPDATE usage_counters SET used = used + $5"
			 " WHERE tenant_id = $1 AND organization_id = $2 AND metric = $3"
			 " AND period_start = $4"
			 " AND (CAST($6 AS BIGINT) IS NULL OR used + $5 <= CAST($6 AS BIGINT))"
			 " RETURNING used",
			 p, 6, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_QUOTA_EXCEEDED;
	*used_after = db_cell_int(&r, 0, 0);
	return ST_OK;
}

enum status store_usage_counter_get(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *metric, int64_t period_start,
				    int64_t *used)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(org_id), db_text(metric),
				db_int(period_start)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT used FROM usage_counters WHERE tenant_id = $1"
				  " AND organization_id = $2 AND metric = $3 AND period_start = $4",
				  p, 4, &r, NULL);
	if (st == ST_OK)
		*used = r.nrows ? db_cell_int(&r, 0, 0) : 0;
	return st;
}

enum status store_usage_series(struct db *d, struct arena *a, const char *tenant_id,
			       const char *org_id, const char *metric, int64_t from, int64_t to,
			       struct usage_day **days, int *n)
{
	struct db_param p[5] = {db_text(tenant_id), db_text(org_id), db_text(metric), db_int(from),
				db_int(to)};
	struct db_result r;
	enum status st =
		db_query(d, a,
			 "SELECT (created_at / 86400000) * 86400000 AS day, SUM(quantity)"
			 " FROM usage_records WHERE tenant_id = $1 AND organization_id = $2"
			 " AND metric = $3 AND created_at >= $4 AND created_at < $5"
			 " GROUP BY (created_at / 86400000) ORDER BY day",
			 p, 5, &r, NULL);
	if (st != ST_OK)
		return st;
	*days = arena_alloc(a, sizeof(struct usage_day) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++) {
		(*days)[i].day_start = db_cell_int(&r, i, 0);
		(*days)[i].quantity = db_cell_int(&r, i, 1);
	}
	*n = r.nrows;
	return ST_OK;
}

enum status store_usage_counter_mark_exceeded(struct db *d, struct arena *a, const char *tenant_id,
					      const char *org_id, const char *metric,
					      int64_t period_start, int64_t now_ms, bool *first)
{
	struct db_param p[5] = {db_text(tenant_id), db_text(org_id), db_text(metric),
				db_int(period_start), db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE usage_counters SET exceeded_at = $5 WHERE tenant_id = $1"
				  " AND organization_id = $2 AND metric = $3 AND period_start = $4"
				  " AND exceeded_at IS NULL",
				  p, 5, NULL, &changed);
	*first = st == ST_OK && changed > 0;
	return st;
}
