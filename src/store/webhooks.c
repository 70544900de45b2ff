/*
 * webhooks.c: webhook rows. The claim is fair across tenants (round-robin,
 * in-flight caps per endpoint and per tenant, paused endpoints skipped) and
 * serialised across nodes: a transaction-scoped advisory lock on
 * PostgreSQL, the write lock on SQLite. The finish is fenced on the attempt
 * number, so a worker whose lease expired cannot overwrite a newer
 * attempt's outcome.
 */
#include "webhooks.h"

#include "queue.h"

#define EP_COLS \
	"id, tenant_id, url, events, secret, enabled, disabled_reason, created_at, updated_at"
#define DLV_COLS                                                                                 \
	"d.id, d.tenant_id, d.endpoint_id, d.event_id, d.status, d.attempts, d.next_attempt_at," \
	" d.last_status_code, d.last_error, d.created_at, d.delivered_at, e.type, e.payload"

static void row_to_endpoint(const struct db_result *r, int i, struct endpoint_row *e)
{
	e->id = (char *)db_cell(r, i, 0);
	e->tenant_id = (char *)db_cell(r, i, 1);
	e->url = (char *)db_cell(r, i, 2);
	e->events = (char *)db_cell(r, i, 3);
	e->secret = (char *)db_cell(r, i, 4);
	e->enabled = db_cell_int(r, i, 5) != 0;
	e->disabled_reason = (char *)db_cell(r, i, 6);
	e->created_at = db_cell_int(r, i, 7);
	e->updated_at = db_cell_int(r, i, 8);
}

static void row_to_delivery(const struct db_result *r, int i, struct delivery_row *d)
{
	d->id = (char *)db_cell(r, i, 0);
	d->tenant_id = (char *)db_cell(r, i, 1);
	d->endpoint_id = (char *)db_cell(r, i, 2);
	d->event_id = (char *)db_cell(r, i, 3);
	d->status = (char *)db_cell(r, i, 4);
	d->attempts = db_cell_int(r, i, 5);
	d->next_attempt_at = db_cell_int(r, i, 6);
	d->last_status_code = db_cell_int(r, i, 7);
	d->last_error = (char *)db_cell(r, i, 8);
	d->created_at = db_cell_int(r, i, 9);
	d->delivered_at = db_cell_int(r, i, 10);
	d->event_type = (char *)db_cell(r, i, 11);
	d->payload = (char *)db_cell(r, i, 12);
}

static enum status changed_one(enum status st, int64_t changed)
{
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_endpoint_insert(struct db *d, struct arena *a, const struct endpoint_row *e,
				  int64_t max_per_tenant)
{
	struct db_param p[8] = {db_text(e->id),     db_text(e->tenant_id), db_text(e->url),
				db_text(e->events), db_text(e->secret),    db_int(e->created_at),
				db_int(e->enabled), db_int(max_per_tenant)};
	/* the count and the insert are one statement; the caller's tenant lock
	 * makes the count see every endpoint committed before it */
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret,"
			 " enabled, created_at, updated_at)"
			 " SELECT $1, $2, $3, $4, $5, CAST($7 AS INTEGER), CAST($6 AS BIGINT),"
			 " CAST($6 AS BIGINT) WHERE (SELECT COUNT(*) FROM webhook_endpoints"
			 " WHERE tenant_id = $2) < CAST($8 AS BIGINT)",
			 p, 8, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_CONFLICT : st;
}

enum status store_endpoint_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			       struct endpoint_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " EP_COLS " FROM webhook_endpoints"
				  " WHERE tenant_id = $1 AND id = $2",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_endpoint(&r, 0, out);
	return ST_OK;
}

enum status store_endpoint_update(struct db *d, struct arena *a, const struct endpoint_row *e)
{
	struct db_param p[7] = {db_text(e->tenant_id), db_text(e->id),
				db_text(e->url),       db_text(e->events),
				db_int(e->enabled),    db_text(e->disabled_reason),
				db_int(e->updated_at)};
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE webhook_endpoints SET url = $3, events = $4, enabled = $5,"
			 " disabled_reason = $6, updated_at = $7"
			 " WHERE tenant_id = $1 AND id = $2",
			 p, 7, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_endpoint_delete(struct db *d, struct arena *a, const char *tenant_id,
				  const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	int64_t changed = 0;
	enum status st =
		db_query(d, a, "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2", p,
			 2, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_endpoint_list(struct db *d, struct arena *a, const char *tenant_id,
				const char *after, int limit, bool enabled_only,
				struct endpoint_row **rows, int *n)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(after ? after : ""), db_int(limit),
				db_int(enabled_only)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " EP_COLS " FROM webhook_endpoints WHERE tenant_id = $1"
				  " AND ($2 = '' OR id < $2) AND ($4 = 0 OR enabled = 1)"
				  " ORDER BY id DESC LIMIT $3",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct endpoint_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_endpoint(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_event_insert(struct db *d, struct arena *a, const char *id, const char *tenant_id,
			       const char *type, const char *payload, const char *trace_id,
			       int64_t now_ms)
{
	struct db_param p[6] = {db_text(id),      db_text(tenant_id), db_text(type),
				db_text(payload), db_text(trace_id),  db_int(now_ms)};
	return db_query(
		d, a,
		"INSERT INTO webhook_events (id, tenant_id, type, payload, trace_id, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6)",
		p, 6, NULL, NULL);
}

enum status store_delivery_insert(struct db *d, struct arena *a, const char *id,
				  const char *tenant_id, const char *endpoint_id,
				  const char *event_id, int64_t now_ms)
{
	struct db_param p[5] = {db_text(id), db_text(tenant_id), db_text(endpoint_id),
				db_text(event_id), db_int(now_ms)};
	return db_query(
		d, a,
		"INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, status,"
		" attempts, next_attempt_at, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
		p, 5, NULL, NULL);
}

/* Serialises claims across nodes on PostgreSQL (held until the claim's
 * commit); SQLite's BEGIN IMMEDIATE takes the database write lock instead.
 * Claims are a few statements, so one lock for all is cheap, and it lets
 * each claim count what the ones before it put in flight. */
static const char claim_lock_pg[] = "SELECT pg_advisory_xact_lock(7287002)";

/* The oldest due delivery of the tenant served longest ago, among those
 * whose endpoint is not paused and has nothing in flight, and whose tenant
 * has fewer than $3 in flight. The lease marks it in flight until it ends
 * or the outcome is recorded. */
static const char claim_sql[] =
	"UPDATE webhook_deliveries SET next_attempt_at = $2, lease_until = $2,"
	" attempts = attempts + 1, updated_at = $1"
	" WHERE status = 'pending' AND id = (SELECT d.id FROM webhook_deliveries d"
	" JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.tenant_id = d.tenant_id"
	" LEFT JOIN job_tenant_turns t ON t.kind = 'webhook' AND t.tenant_id = d.tenant_id"
	" WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.paused_until <= $1"
	" AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x"
	" WHERE x.endpoint_id = d.endpoint_id AND x.lease_until > $1)"
	" AND (SELECT COUNT(*) FROM webhook_deliveries y"
	" WHERE y.tenant_id = d.tenant_id AND y.lease_until > $1) < $3"
	" ORDER BY COALESCE(t.served_seq, 0), d.next_attempt_at, d.id LIMIT 1)"
	" RETURNING id, tenant_id";

/* Pick and lease one delivery; *id set. Runs in the caller's transaction. */
static enum status claim_one(struct db *d, struct arena *a, int64_t now_ms, int64_t lease_until,
			     int tenant_max, char **id)
{
	enum status st = ST_OK;
	if (db_kind(d) == STORE_POSTGRES)
		st = db_query(d, a, claim_lock_pg, NULL, 0, NULL, NULL);
	struct db_param p[3] = {db_int(now_ms), db_int(lease_until), db_int(tenant_max)};
	struct db_result r = {0};
	if (st == ST_OK)
		st = db_query(d, a, claim_sql, p, 3, &r, NULL);
	if (st == ST_OK && r.nrows == 0)
		st = ST_NOT_FOUND;
	if (st != ST_OK)
		return st;
	*id = (char *)db_cell(&r, 0, 0);
	return store_job_turn(d, a, "webhook", db_cell(&r, 0, 1)); /* back of the round */
}

enum status store_delivery_claim(struct db *d, struct arena *a, int64_t now_ms, int64_t lease_until,
				 int tenant_max, struct delivery_row *out)
{
	char *id = NULL;
	enum status st = claim_one(d, a, now_ms, lease_until, tenant_max, &id);
	if (st != ST_OK)
		return st;
	struct db_param q[1] = {db_text(id)};
	struct db_result r;
	st = db_query(d, a,
		      "SELECT " DLV_COLS ", w.url, w.secret, w.enabled, e.trace_id"
		      " FROM webhook_deliveries d"
		      " JOIN webhook_events e ON e.id = d.event_id"
		      " JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE d.id = $1",
		      q, 1, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_delivery(&r, 0, out);
	out->url = (char *)db_cell(&r, 0, 13);
	out->secret = (char *)db_cell(&r, 0, 14);
	out->endpoint_enabled = db_cell_int(&r, 0, 15) != 0;
	out->trace_id = (char *)db_cell(&r, 0, 16);
	return ST_OK;
}

enum status store_delivery_finish(struct db *d, struct arena *a, const struct delivery_row *r,
				  int64_t attempt)
{
	struct db_param p[8] = {db_text(r->tenant_id),
				db_text(r->id),
				db_text(r->status),
				db_int(r->next_attempt_at),
				r->last_status_code ? db_int(r->last_status_code) : db_null(),
				db_text(r->last_error),
				r->delivered_at ? db_int(r->delivered_at) : db_null(),
				db_int(attempt)};
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4,"
			 " last_status_code = CAST($5 AS INTEGER), last_error = $6,"
			 " delivered_at = CAST($7 AS BIGINT), updated_at = $4, lease_until = NULL"
			 " WHERE tenant_id = $1 AND id = $2 AND attempts = $8",
			 p, 8, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_attempt_insert(struct db *d, struct arena *a, const char *id,
				 const char *tenant_id, const struct attempt_row *at)
{
	struct db_param p[8] = {db_text(id),
				db_text(tenant_id),
				db_text(at->delivery_id),
				db_int(at->attempt),
				at->status_code ? db_int(at->status_code) : db_null(),
				db_int(at->latency_ms),
				db_text(at->error),
				db_int(at->created_at)};
	return db_query(d, a,
			"INSERT INTO webhook_attempts (id, tenant_id, delivery_id, attempt,"
			" status_code, latency_ms, error, created_at)"
			" VALUES ($1, $2, $3, $4, CAST($5 AS INTEGER), $6, $7, $8)",
			p, 8, NULL, NULL);
}

enum status store_delivery_list(struct db *d, struct arena *a, const char *tenant_id,
				const char *endpoint_id, const char *after, int limit,
				struct delivery_row **rows, int *n)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(endpoint_id),
				db_text(after ? after : ""), db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " DLV_COLS " FROM webhook_deliveries d"
				  " JOIN webhook_events e ON e.id = d.event_id"
				  " WHERE d.tenant_id = $1 AND d.endpoint_id = $2"
				  " AND ($3 = '' OR d.id < $3) ORDER BY d.id DESC LIMIT $4",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct delivery_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_delivery(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_attempt_list(struct db *d, struct arena *a, const char *tenant_id,
			       const char *delivery_id, struct attempt_row **rows, int *n)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(delivery_id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT delivery_id, attempt, status_code, latency_ms, error,"
				  " created_at FROM webhook_attempts WHERE tenant_id = $1"
				  " AND delivery_id = $2 ORDER BY attempt",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct attempt_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++) {
		struct attempt_row *at = &(*rows)[i];
		at->delivery_id = (char *)db_cell(&r, i, 0);
		at->attempt = db_cell_int(&r, i, 1);
		at->status_code = db_cell_int(&r, i, 2);
		at->latency_ms = db_cell_int(&r, i, 3);
		at->error = (char *)db_cell(&r, i, 4);
		at->created_at = db_cell_int(&r, i, 5);
	}
	*n = r.nrows;
	return ST_OK;
}

enum status store_delivery_requeue(struct db *d, struct arena *a, const char *tenant_id,
				   const char *endpoint_id, const char *id, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(endpoint_id), db_text(id),
				db_int(now_ms)};
	int64_t changed = 0;
	/* only a failed one: a pending delivery may be in the middle of an
	 * attempt (claimed), and making it due again would post it twice */
	enum status st =
		db_query(d, a,
			 "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4,"
			 " updated_at = $4 WHERE tenant_id = $1 AND endpoint_id = $2"
			 " AND id = $3 AND status = 'failed'",
			 p, 4, NULL, &changed);
	if (st != ST_OK || changed > 0)
		return st;
	struct db_result r;
	st = db_query(d, a,
		      "SELECT 1 FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2"
		      " AND id = $3",
		      p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	return r.nrows > 0 ? ST_CONFLICT : ST_NOT_FOUND;
}

enum status store_endpoint_note_attempt(struct db *d, struct arena *a, const char *tenant_id,
					const char *id, bool timed_out, int64_t *streak)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(timed_out)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "UPDATE webhook_endpoints SET timeout_streak = CASE WHEN $3 = 1"
				  " THEN timeout_streak + 1 ELSE 0 END"
				  " WHERE tenant_id = $1 AND id = $2 RETURNING timeout_streak",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	*streak = db_cell_int(&r, 0, 0);
	return ST_OK;
}

enum status store_endpoint_pause(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, int64_t until_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(until_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE webhook_endpoints SET paused_until = $3"
				  " WHERE tenant_id = $1 AND id = $2",
				  p, 3, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_endpoint_breaker_reset(struct db *d, struct arena *a, const char *tenant_id,
					 const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	int64_t changed = 0;
	enum status st =
		db_query(d, a,
			 "UPDATE webhook_endpoints SET timeout_streak = 0, paused_until = 0"
			 " WHERE tenant_id = $1 AND id = $2",
			 p, 2, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_endpoint_breaker_get(struct db *d, struct arena *a, const char *tenant_id,
				       const char *id, int64_t *streak, int64_t *paused_until)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT timeout_streak, paused_until FROM webhook_endpoints"
				  " WHERE tenant_id = $1 AND id = $2",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	*streak = db_cell_int(&r, 0, 0);
	*paused_until = db_cell_int(&r, 0, 1);
	return ST_OK;
}

enum status store_delivery_pending_count(struct db *d, struct arena *a, int64_t *count)
{
	return db_query_count(d, a,
			      "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'",
			      NULL, 0, count);
}

enum status store_webhook_prune(struct db *d, struct arena *a, int64_t before_ms, int limit,
				int64_t *removed)
{
	struct db_param p[2] = {db_int(before_ms), db_int(limit)};
	int64_t deliveries = 0, events = 0;
	enum status st =
		db_query(d, a,
			 "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM"
			 " webhook_deliveries WHERE created_at < $1 AND status <> 'pending'"
			 " LIMIT $2)",
			 p, 2, NULL, &deliveries);
	if (st == ST_OK)
		st = db_query(
			d, a,
			"DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e"
			" WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM"
			" webhook_deliveries d WHERE d.event_id = e.id) LIMIT $2)",
			p, 2, NULL, &events);
	*removed = deliveries + events;
	return st;
}
