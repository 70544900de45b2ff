/*
 * billing.c: tier and subscription rows.
 */
#include "billing.h"

#define TIER_COLS                                                                        \
	"id, tenant_id, key, name, price_cents, interval, features, limits, trial_days," \
	" archived, created_at, updated_at"
#define SUB_COLS                                                                             \
	"id, tenant_id, organization_id, tier_key, status, anchor_at, current_period_start," \
	" current_period_end, trial_end, cancel_at_period_end, canceled_at, created_at, "    \
	"updated_at,"                                                                        \
	" payment_past_due"

static void row_to_tier(const struct db_result *r, int i, struct tier_row *t)
{
	t->id = (char *)db_cell(r, i, 0);
	t->tenant_id = (char *)db_cell(r, i, 1);
	t->key = (char *)db_cell(r, i, 2);
	t->name = (char *)db_cell(r, i, 3);
	t->price_cents = db_cell_int(r, i, 4);
	t->interval = (char *)db_cell(r, i, 5);
	t->features = (char *)db_cell(r, i, 6);
	t->limits = (char *)db_cell(r, i, 7);
	t->trial_days = db_cell_int(r, i, 8);
	t->archived = db_cell_int(r, i, 9) != 0;
	t->created_at = db_cell_int(r, i, 10);
	t->updated_at = db_cell_int(r, i, 11);
}

static void row_to_sub(const struct db_result *r, int i, struct subscription_row *s)
{
	s->id = (char *)db_cell(r, i, 0);
	s->tenant_id = (char *)db_cell(r, i, 1);
	s->organization_id = (char *)db_cell(r, i, 2);
	s->tier_key = (char *)db_cell(r, i, 3);
	s->status = (char *)db_cell(r, i, 4);
	s->anchor_at = db_cell_int(r, i, 5);
	s->current_period_start = db_cell_int(r, i, 6);
	s->current_period_end = db_cell_int(r, i, 7);
	s->trial_end = db_cell_int(r, i, 8);
	s->cancel_at_period_end = db_cell_int(r, i, 9) != 0;
	s->canceled_at = db_cell_int(r, i, 10);
	s->created_at = db_cell_int(r, i, 11);
	s->updated_at = db_cell_int(r, i, 12);
	s->payment_past_due = db_cell_int(r, i, 13) != 0;
}

enum status store_tier_insert(struct db *d, struct arena *a, const struct tier_row *t)
{
	struct db_param p[10] = {db_text(t->id),         db_text(t->tenant_id),
				 db_text(t->key),        db_text(t->name),
				 db_int(t->price_cents), db_text(t->interval),
				 db_text(t->features),   db_text(t->limits),
				 db_int(t->trial_days),  db_int(t->created_at)};
	return db_query(
		d, a,
		"INSERT INTO tiers (id, tenant_id, key, name, price_cents, interval, features,"
		" limits, trial_days, archived, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10)",
		p, 10, NULL, NULL);
}

enum status store_tier_get(struct db *d, struct arena *a, const char *tenant_id, const char *key,
			   struct tier_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(key)};
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT " TIER_COLS " FROM tiers WHERE tenant_id = $1 AND key = $2",
			 p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_tier(&r, 0, out);
	return ST_OK;
}

enum status store_tier_update(struct db *d, struct arena *a, const struct tier_row *t)
{
	struct db_param p[10] = {db_text(t->tenant_id), db_text(t->key),
				 db_text(t->name),      db_int(t->price_cents),
				 db_text(t->interval),  db_text(t->features),
				 db_text(t->limits),    db_int(t->trial_days),
				 db_int(t->archived),   db_int(t->updated_at)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE tiers SET name = $3, price_cents = $4, interval = $5,"
				  " features = $6, limits = $7, trial_days = $8, archived = $9,"
				  " updated_at = $10 WHERE tenant_id = $1 AND key = $2",
				  p, 10, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_tier_list(struct db *d, struct arena *a, const char *tenant_id, const char *after,
			    int limit, struct tier_row **rows, int *n)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(after ? after : ""), db_int(limit)};
	struct db_result r;
	enum status st =
		db_query(d, a,
			 "SELECT " TIER_COLS " FROM tiers WHERE tenant_id = $1"
			 " AND ($2 = '' OR key > (SELECT key FROM tiers WHERE tenant_id = $1"
			 " AND id = $2)) ORDER BY key LIMIT $3",
			 p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct tier_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_tier(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_subscription_get(struct db *d, struct arena *a, const char *tenant_id,
				   const char *org_id, struct subscription_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(org_id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = $1"
				  " AND organization_id = $2",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_sub(&r, 0, out);
	return ST_OK;
}

static void sub_params(const struct subscription_row *s, struct db_param p[14])
{
	p[0] = db_text(s->id);
	p[1] = db_text(s->tenant_id);
	p[2] = db_text(s->organization_id);
	p[3] = db_text(s->tier_key);
	p[4] = db_text(s->status);
	p[5] = db_int(s->anchor_at);
	p[6] = db_int(s->current_period_start);
	p[7] = db_int(s->current_period_end);
	p[8] = s->trial_end ? db_int(s->trial_end) : db_null();
	p[9] = db_int(s->cancel_at_period_end);
	p[10] = s->canceled_at ? db_int(s->canceled_at) : db_null();
	p[11] = db_int(s->created_at);
	p[12] = db_int(s->updated_at);
	p[13] = db_int(s->payment_past_due);
}

enum status store_subscription_put(struct db *d, struct arena *a, const struct subscription_row *s)
{
	struct db_param p[14];
	sub_params(s, p);
	/* one row per organization: a canceled subscription is replaced */
	enum status st = db_query(d, a,
				  "DELETE FROM subscriptions WHERE tenant_id = $1"
				  " AND organization_id = $2 AND status = 'canceled'",
				  p + 1, 2, NULL, NULL);
	if (st != ST_OK)
		return st;
	return db_query(d, a,
			"INSERT INTO subscriptions (" SUB_COLS
			") VALUES ($1, $2, $3, $4, $5, $6, $7,"
			" $8, CAST($9 AS BIGINT), $10, CAST($11 AS BIGINT), $12, $13, $14)",
			p, 14, NULL, NULL);
}

enum status store_subscription_update(struct db *d, struct arena *a,
				      const struct subscription_row *s)
{
	struct db_param p[14];
	sub_params(s, p);
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE subscriptions SET tier_key = $4, status = $5, anchor_at = $6,"
			 " current_period_start = $7, current_period_end = $8,"
			 " trial_end = CAST($9 AS BIGINT), cancel_at_period_end = $10,"
			 " canceled_at = CAST($11 AS BIGINT), updated_at = $13,"
			 " payment_past_due = $14"
			 " WHERE tenant_id = $2 AND organization_id = $3 AND id = $1"
			 " AND created_at = $12",
			 p, 14, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_subscription_advance(struct db *d, struct arena *a,
				       const struct subscription_row *s, const char *prev_status,
				       int64_t prev_period_end, bool *won)
{
	struct db_param p[14];
	sub_params(s, p);
	p[0] = db_text(prev_status); /* id is not needed: organization_id is unique */
	p[11] = db_int(prev_period_end); /* created_at does not change */
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE subscriptions SET status = $5, anchor_at = $6,"
				  " current_period_start = $7, current_period_end = $8,"
				  " canceled_at = CAST($11 AS BIGINT), updated_at = $13"
				  " WHERE tenant_id = $2 AND organization_id = $3 AND status = $1"
				  " AND current_period_end = $12 AND tier_key = $4"
				  " AND trial_end IS NOT DISTINCT FROM CAST($9 AS BIGINT)"
				  " AND cancel_at_period_end = $10",
				  p, 13, NULL, &changed);
	*won = st == ST_OK && changed > 0;
	return st;
}
