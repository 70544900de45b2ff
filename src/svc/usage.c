/*
 * usage.c: metered usage. Recording is one transaction: idempotency check,
 * conditional counter increment (refused past the limit: nothing recorded),
 * record insert. Of two requests racing with one idempotency key, the
 * second's insert conflicts, its transaction (and increment) rolls back,
 * and it answers with the first's record: counted once. A key already used
 * with another metric or quantity is refused, never answered as a replay.
 */
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "billing.h"
#include "events.h"
#include "orgs.h"

#define HISTORY_MAX_DAYS 400

struct record_op {
	const char *org_id;
	const struct usage_input *in;
	struct usage_answer *out;
	int64_t period_start; /* set on ST_QUOTA_EXCEEDED */
};

static enum status replay(struct svc_ctx *c, struct db *d, const struct record_op *op)
{
	struct usage_row *r = &op->out->record;
	enum status st = store_usage_by_key(d, c->arena, c->who.tenant_id, op->org_id,
					    op->in->idempotency_key, r);
	if (st != ST_OK)
		return st;
	/* the first answer again only for the same request: another metric or
	 * quantity under the key is a client bug that a replay would hide */
	if (strcmp(r->metric, op->in->metric) != 0 || r->quantity != op->in->quantity)
		return ST_IDEMPOTENCY_KEY_REUSED;
	op->out->replayed = true;
	return ST_OK;
}

static enum status record_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct record_op *op = arg;
	enum status st = svc_org_authorize_declared(c, d, op->org_id, NULL, NULL);
	if (st == ST_OK && op->in->idempotency_key != NULL) {
		st = replay(c, d, op);
		if (st != ST_NOT_FOUND)
			return st; /* ST_OK: the first answer again */
		st = ST_OK;
	}
	struct entitlements e;
	if (st == ST_OK)
		st = billing_entitlements_in(c, d, op->org_id, &e);
	if (st != ST_OK)
		return st;
	int64_t limit = billing_limit_of(&e, op->in->metric), used = 0;
	st = store_usage_counter_ensure(d, c->arena, c->who.tenant_id, op->org_id, op->in->metric,
					e.period_start);
	if (st == ST_OK)
		st = store_usage_counter_add(d, c->arena, c->who.tenant_id, op->org_id,
					     op->in->metric, e.period_start, op->in->quantity,
					     limit, &used);
	if (st == ST_QUOTA_EXCEEDED) {
		op->period_start = e.period_start;
		c->err.quota.metric = op->in->metric;
		c->err.quota.limit = limit;
		store_usage_counter_get(d, c->arena, c->who.tenant_id, op->org_id, op->in->metric,
					e.period_start, &c->err.quota.used);
		return st;
	}
	if (st != ST_OK)
		return st;
	int64_t now = svc_now(c);
	struct usage_row *r = &op->out->record;
	r->id = id_new(c->arena, "use", now);
	audit_target(c, "usage_record", r->id);
	r->tenant_id = (char *)c->who.tenant_id;
	r->organization_id = (char *)op->org_id;
	r->metric = (char *)op->in->metric;
	r->quantity = op->in->quantity;
	r->idempotency_key = (char *)op->in->idempotency_key;
	r->period_start = e.period_start;
	r->period_end = e.period_end;
	r->used_after = used;
	r->limit_value = limit;
	r->created_at = now;
	return store_usage_insert(d, c->arena, r);
}

/* A refusal changes nothing, so its event gets its own transaction; it is
 * announced once per organization, metric and period. */
static enum status announce_exceeded(struct svc_ctx *c, struct db *d, void *arg)
{
	struct record_op *op = arg;
	bool first = false;
	/* the refused transaction rolled back the period's counter if it made it */
	enum status st = store_usage_counter_ensure(d, c->arena, c->who.tenant_id, op->org_id,
						    op->in->metric, op->period_start);
	if (st == ST_OK)
		st = store_usage_counter_mark_exceeded(d, c->arena, c->who.tenant_id, op->org_id,
						       op->in->metric, op->period_start, svc_now(c),
						       &first);
	if (st == ST_OK && first)
		st = event_quota_exceeded(c, d, op->org_id, op->in->metric, c->err.quota.limit,
					  c->err.quota.used);
	return st;
}

/* The value checks of one usage input, into fe. */
static void check_input(struct arena *a, struct field_errors *fe, const struct usage_input *in)
{
	if (in->metric == NULL || !billing_metric_valid(in->metric))
		fields_add(a, fe, "metric", "invalid_format");
	if (in->quantity < 1 || in->quantity > USAGE_MAX_QUANTITY)
		fields_add(a, fe, "quantity", "out_of_range");
	if (in->idempotency_key && !text_valid(in->idempotency_key, 1, 255))
		fields_add(a, fe, "idempotency_key", "invalid_length");
}

enum status svc_usage_record(struct svc_ctx *c, const char *org_id, const struct usage_input *in,
			     struct usage_answer *out)
{
	check_input(c->arena, c->errors, in);
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	memset(out, 0, sizeof *out);
	struct record_op op = {org_id, in, out, 0};
	enum status st = svc_in_tx(c, record_in, &op);
	if ((st == ST_CONFLICT || st == ST_QUOTA_EXCEEDED) && in->idempotency_key != NULL) {
		/* lost a race on the idempotency key: answer with the winner's
		 * record. On PostgreSQL the loser can also see the quota gone (its
		 * counter update waited for the winner, who took the last unit):
		 * the same lost race when the key is now taken. */
		struct db *d = store_acquire(c->env->store);
		if (d == NULL)
			return ST_UNAVAILABLE;
		enum status rst = replay(c, d, &op);
		store_release(c->env->store, d);
		if (st == ST_CONFLICT || rst != ST_NOT_FOUND)
			st = rst;
	}
	if (st == ST_QUOTA_EXCEEDED && svc_in_tx(c, announce_exceeded, &op) != ST_OK)
		log_msg(LOG_WARN, "could not record usage.quota_exceeded for %s", org_id);
	return st;
}

/* POST /usage/events: the events of one organization, in one transaction. */
struct group_op {
	const char *org_id;
	struct usage_event **ev; /* this organization's events, in call order */
	int n;
};

/* One event inside its organization's transaction. Unlike record_in, a
 * refusal must not roll back the others: the record goes in first only
 * when the key is free (ON CONFLICT DO NOTHING; a racing call's commit
 * with the key makes it a replay), and a refused increment changes
 * nothing. Returns a failure of the store only; the event's own outcome
 * goes to ev->st. */
static enum status bulk_one(struct svc_ctx *c, struct db *d, const struct entitlements *e,
			    struct usage_event *ev)
{
	struct record_op op = {ev->org_id, &ev->in, &ev->answer, 0};
	if (ev->in.idempotency_key != NULL) {
		ev->st = replay(c, d, &op);
		if (ev->st != ST_NOT_FOUND)
			return ev->st == ST_OK || ev->st == ST_IDEMPOTENCY_KEY_REUSED ? ST_OK
										      : ev->st;
	}
	const char *tid = c->who.tenant_id, *metric = ev->in.metric;
	int64_t limit = billing_limit_of(e, metric), used = 0;
	enum status st =
		store_usage_counter_ensure(d, c->arena, tid, ev->org_id, metric, e->period_start);
	if (st == ST_OK)
		st = store_usage_counter_add(d, c->arena, tid, ev->org_id, metric, e->period_start,
					     ev->in.quantity, limit, &used);
	if (st == ST_QUOTA_EXCEEDED) {
		bool first = false;
		ev->st = ST_QUOTA_EXCEEDED;
		ev->limit = limit;
		st = store_usage_counter_get(d, c->arena, tid, ev->org_id, metric, e->period_start,
					     &ev->used);
		if (st == ST_OK)
			st = store_usage_counter_mark_exceeded(d, c->arena, tid, ev->org_id, metric,
							       e->period_start, svc_now(c), &first);
		if (st == ST_OK && first)
			st = event_quota_exceeded(c, d, ev->org_id, metric, limit, ev->used);
		return st;
	}
	if (st != ST_OK)
		return st;
	int64_t now = svc_now(c);
	struct usage_row *r = &ev->answer.record;
	*r = (struct usage_row){.id = id_new(c->arena, "use", now),
				.tenant_id = (char *)tid,
				.organization_id = (char *)ev->org_id,
				.metric = (char *)metric,
				.quantity = ev->in.quantity,
				.idempotency_key = (char *)ev->in.idempotency_key,
				.period_start = e->period_start,
				.period_end = e->period_end,
				.used_after = used,
				.limit_value = limit,
				.created_at = now};
	bool inserted = false;
	st = store_usage_insert_new(d, c->arena, r, &inserted);
	if (st != ST_OK || inserted) {
		ev->st = st;
		return st;
	}
	/* the key was taken since the lookup: take the increment back and
	 * answer as the replay it now is */
	st = store_usage_counter_add(d, c->arena, tid, ev->org_id, metric, e->period_start,
				     -ev->in.quantity, -1, &used);
	if (st != ST_OK)
		return st;
	ev->st = replay(c, d, &op);
	return ev->st == ST_OK || ev->st == ST_IDEMPOTENCY_KEY_REUSED ? ST_OK : ev->st;
}

/* Re-runnable: every outcome of the group is set again from scratch. */
static enum status group_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct group_op *g = arg;
	for (int i = 0; i < g->n; i++) {
		memset(&g->ev[i]->answer, 0, sizeof g->ev[i]->answer);
		g->ev[i]->st = ST_OK;
	}
	enum status st = svc_org_authorize_declared(c, d, g->org_id, NULL, NULL);
	if (st == ST_NOT_FOUND) {
		for (int i = 0; i < g->n; i++)
			g->ev[i]->st = ST_NOT_FOUND;
		return ST_OK;
	}
	struct entitlements e;
	if (st == ST_OK)
		st = billing_entitlements_in(c, d, g->org_id, &e);
	for (int i = 0; st == ST_OK && i < g->n; i++)
		st = bulk_one(c, d, &e, g->ev[i]);
	return st;
}

enum status svc_usage_record_bulk(struct svc_ctx *c, struct usage_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (ev[i].errors.count == 0)
			check_input(c->arena, &ev[i].errors, &ev[i].in);
		ev[i].st = ev[i].errors.count > 0 ? ST_VALIDATION_FAILED : ST_OK;
	}
	/* group by organization, in order of first appearance */
	size_t slots = n > 0 ? (size_t)n : 1;
	bool *done = arena_alloc(c->arena, sizeof(bool) * slots);
	struct usage_event **members = arena_alloc(c->arena, sizeof *members * slots);
	memset(done, 0, sizeof(bool) * slots);
	enum status failure = ST_OK;
	bool ran = false;
	for (int i = 0; i < n; i++) {
		if (done[i] || ev[i].st != ST_OK)
			continue;
		struct group_op g = {ev[i].org_id, members, 0};
		for (int j = i; j < n; j++)
			if (!done[j] && ev[j].st == ST_OK &&
			    strcmp(ev[j].org_id, ev[i].org_id) == 0) {
				done[j] = true;
				members[g.n++] = &ev[j];
			}
		enum status st = svc_in_tx(c, group_in, &g);
		if (st != ST_OK) {
			/* rolled back: none of this organization's events counted */
			for (int k = 0; k < g.n; k++)
				members[k]->st = st;
			failure = st;
		}
		ran = ran || st == ST_OK;
	}
	return ran || failure == ST_OK ? ST_OK : failure;
}

struct history_op {
	const char *org_id, *metric;
	int64_t from, to;
	struct usage_day **days;
	int *n;
	bool due; /* out: a period roll is owed */
};

/* Re-runnable: op's inputs stay as given (the period is a local). */
static enum status history_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct history_op *op = arg;
	int64_t from = op->from, to = op->to;
	op->due = false;
	enum status st = svc_org_authorize_declared(c, d, op->org_id, NULL, NULL);
	if (st == ST_OK && from < 0) {
		struct entitlements e;
		st = billing_entitlements_read(c, d, op->org_id, &e, &op->due);
		from = e.period_start;
		if (to < 0)
			to = e.period_end;
	}
	if (st == ST_OK)
		st = store_usage_series(d, c->arena, c->who.tenant_id, op->org_id, op->metric, from,
					to, op->days, op->n);
	return st;
}

enum status svc_usage_history(struct svc_ctx *c, const char *org_id, const char *metric,
			      int64_t from, int64_t to, struct usage_day **days, int *n,
			      int64_t *total)
{
	if (!billing_metric_valid(metric))
		fields_add(c->arena, c->errors, "metric", "invalid_format");
	if (from >= 0 && to < 0)
		to = svc_now(c) + 1;
	if (from >= 0 && (to <= from || to - from > HISTORY_MAX_DAYS * 86400000LL))
		fields_add(c->arena, c->errors, "to", "invalid_range");
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	struct history_op op = {org_id, metric, from, to, days, n, false};
	enum status st = svc_read(c, history_in, &op);
	if (st == ST_OK && op.due) { /* record the roll, then read the new period */
		st = svc_subscription_roll(c, org_id);
		if (st == ST_OK)
			st = svc_read(c, history_in, &op);
	}
	*total = 0;
	for (int i = 0; st == ST_OK && i < *n; i++)
		*total += (*days)[i].quantity;
	return st;
}
