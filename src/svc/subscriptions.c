/*
 * subscriptions.c: one subscription per organization, its lazy period
 * roll-forward, and entitlements. Status moves trialing -> active ->
 * past_due -> canceled; the tenant's payment backend reports payment state
 * (active / past_due), which outlives a cancellation. Managing a
 * subscription needs billing:update (the tenant's backend always may); with
 * a session, only to a free tier unless the tenant sets self_serve_billing.
 * Reading it needs billing:read.
 */
#include <string.h>

#include "../core/ids.h"
#include "../store/tenants.h"
#include "billing.h"
#include "events.h"
#include "orgs.h"
#include "period.h"

/* Bring a subscription up to now. Returns true when it changed. */
static bool roll_forward(struct subscription_row *s, const struct tier_row *t, int64_t now)
{
	if (strcmp(s->status, "canceled") == 0 || now < s->current_period_end)
		return false;
	if (s->cancel_at_period_end) {
		s->status = "canceled";
		s->canceled_at = s->current_period_end;
		return true;
	}
	int months = tier_interval_months(t);
	if (strcmp(s->status, "trialing") == 0) {
		s->status = "active";
		s->anchor_at = s->current_period_end; /* paid periods count from the trial's end */
	} else {
		/* The interval changed since the anchor (another tier, or the
		 * tier's interval edited) when the period that ended is not on
		 * the anchor's grid: it stands, and later periods count from its
		 * end (not from the anchor, which would reopen it). */
		int64_t ps, pe;
		period_containing(s->anchor_at, months, s->current_period_end - 1, &ps, &pe);
		if (pe != s->current_period_end)
			s->anchor_at = s->current_period_end;
	}
	period_containing(s->anchor_at, months, now, &s->current_period_start,
			  &s->current_period_end);
	return true;
}

/* Load the organization's subscription and its tier, rolled forward. With
 * due NULL (a write transaction) a period that ended is recorded; otherwise
 * (a read) it is rolled in memory only and *due says a write is owed. */
static enum status load(struct svc_ctx *c, struct db *d, const char *org_id,
			struct subscription_row *s, struct tier_row *t, bool *due)
{
	enum status st = store_subscription_get(d, c->arena, c->who.tenant_id, org_id, s);
	if (st == ST_OK)
		st = store_tier_get(d, c->arena, c->who.tenant_id, s->tier_key, t);
	const char *prev_status = st == ST_OK ? s->status : NULL;
	int64_t prev_end = st == ST_OK ? s->current_period_end : 0;
	bool rolled = st == ST_OK && roll_forward(s, t, svc_now(c));
	if (rolled && due != NULL) {
		*due = true;
		return st;
	}
	if (rolled) {
		/* the period ended since the last look: record it, and announce it
		 * once (a racing request that rolled it first announces instead) */
		bool won = false;
		s->updated_at = svc_now(c);
		st = store_subscription_advance(d, c->arena, s, prev_status, prev_end, &won);
		if (st == ST_OK && won)
			st = event_subscription(c, d,
						strcmp(s->status, "canceled") == 0
							? "subscription.canceled"
							: "subscription.updated",
						s);
	}
	return st;
}

/* A tier that can be subscribed to now; validation error otherwise. */
static enum status live_tier(struct svc_ctx *c, struct db *d, const char *key, struct tier_row *t)
{
	enum status st = billing_metric_valid(key)
				 ? store_tier_get(d, c->arena, c->who.tenant_id, key, t)
				 : ST_NOT_FOUND;
	if (st == ST_OK && t->archived)
		st = ST_NOT_FOUND;
	if (st == ST_NOT_FOUND) {
		fields_add(c->arena, c->errors, "tier", "unknown_tier");
		return ST_VALIDATION_FAILED;
	}
	return st;
}

/* Managing a subscription: the route's billing:update (API.md).
 * billing:manage, its name before v1.1, still counts, so existing custom
 * roles keep working. */
static enum status authorize_update(struct svc_ctx *c, struct db *d, const char *org_id)
{
	const char *wanted;
	struct perm_list perms;
	enum status st = svc_declared_permission(c, &wanted);
	if (st == ST_OK)
		st = svc_org_authorize(c, d, org_id, NULL, NULL, &perms);
	if (st == ST_OK && !rbac_allows(&perms, wanted) && !rbac_allows(&perms, "billing:manage"))
		st = ST_FORBIDDEN;
	return st;
}

static const char paid_tier_refused[] =
	"A session may only choose a free tier (price_cents 0); a paid tier is set by the "
	"tenant's backend, unless the tenant enables self_serve_billing.";

/* Moving to a paid tier is the tenant's payment backend's call (it takes
 * the money), unless the tenant lets its users self-serve: then the backend
 * confirms the payment through .../subscription/status. */
static enum status paid_tier_allowed(struct svc_ctx *c, struct db *d, const struct tier_row *t)
{
	if (c->who.user_id == NULL || t->price_cents == 0)
		return ST_OK;
	struct tenant_row tenant;
	enum status st = store_tenant_get(d, c->arena, c->who.tenant_id, &tenant);
	if (st != ST_OK || tenant.self_serve_billing)
		return st;
	return svc_fail(c, ST_FORBIDDEN, paid_tier_refused);
}

struct sub_op {
	const char *org_id, *tier, *status;
	bool at_period_end;
	bool due; /* out of a read: a period roll is owed */
	const struct subscription_change *change;
	struct subscription_row *out;
};

static enum status create_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct sub_op *op = arg;
	struct tier_row t;
	struct subscription_row *s = op->out;
	enum status st = authorize_update(c, d, op->org_id);
	if (st == ST_OK)
		st = live_tier(c, d, op->tier, &t);
	if (st == ST_OK)
		st = paid_tier_allowed(c, d, &t);
	if (st != ST_OK)
		return st;
	struct tier_row old_tier;
	struct subscription_row prev;
	st = load(c, d, op->org_id, &prev, &old_tier, NULL);
	if (st == ST_OK && strcmp(prev.status, "canceled") != 0) /* one live per organization */
		return svc_fail_detail(c, ST_CONFLICT,
				       "The organization already has a live subscription; change "
				       "or cancel it instead.",
				       "live subscription %s (%s)", prev.id, prev.status);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return st;
	/* the canceled one decides trial and period: no second trial, and no
	 * fresh quota for canceling and subscribing again (subscription_start.c) */
	int64_t now = svc_now(c);
	memset(s, 0, sizeof *s);
	s->id = id_new(c->arena, "sub", now);
	audit_target(c, "subscription", s->id);
	s->tenant_id = (char *)c->who.tenant_id;
	s->organization_id = (char *)op->org_id;
	s->tier_key = t.key;
	subscription_start(s, st == ST_OK ? &prev : NULL, &t, now);
	s->created_at = s->updated_at = now;
	st = store_subscription_put(d, c->arena, s);
	return st == ST_OK ? event_subscription(c, d, "subscription.created", s) : st;
}

enum status svc_subscription_create(struct svc_ctx *c, const char *org_id, const char *tier,
				    struct subscription_row *out)
{
	struct sub_op op = {.org_id = org_id, .tier = tier, .out = out};
	return svc_in_tx(c, create_in, &op);
}

static enum status roll_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct subscription_row s;
	struct tier_row t;
	enum status st = load(c, d, arg, &s, &t, NULL);
	return st == ST_NOT_FOUND ? ST_OK : st;
}

enum status svc_subscription_roll(struct svc_ctx *c, const char *org_id)
{
	return svc_in_tx(c, roll_in, (void *)org_id);
}

static enum status get_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct sub_op *op = arg;
	struct tier_row t;
	op->due = false;
	enum status st = svc_org_authorize_declared(c, d, op->org_id, NULL, NULL);
	return st == ST_OK ? load(c, d, op->org_id, op->out, &t, &op->due) : st;
}

/* A read; the short write of a period roll only when one is due, then the
 * read again (it may have been rolled and announced by a racing request). */
enum status svc_subscription_get(struct svc_ctx *c, const char *org_id,
				 struct subscription_row *out)
{
	struct sub_op op = {.org_id = org_id, .out = out};
	enum status st = svc_read(c, get_in, &op);
	if (st == ST_OK && op.due) {
		st = svc_subscription_roll(c, org_id);
		if (st == ST_OK)
			st = svc_read(c, get_in, &op);
	}
	return st;
}

/* Load a live (not canceled) subscription for a change. */
static enum status load_live(struct svc_ctx *c, struct db *d, const struct sub_op *op,
			     struct tier_row *t)
{
	enum status st = authorize_update(c, d, op->org_id);
	if (st == ST_OK)
		st = load(c, d, op->org_id, op->out, t, NULL);
	if (st == ST_OK && strcmp(op->out->status, "canceled") == 0)
		return svc_fail(c, ST_CONFLICT,
				"The subscription is canceled; create a new one instead.");
	return st;
}

static enum status change_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct sub_op *op = arg;
	const struct subscription_change *ch = op->change;
	struct tier_row old, t;
	enum status st = load_live(c, d, op, &old);
	if (st == ST_OK && ch->tier != NULL)
		st = live_tier(c, d, ch->tier, &t);
	bool new_tier = st == ST_OK && ch->tier != NULL && strcmp(t.key, op->out->tier_key) != 0;
	if (new_tier)
		st = paid_tier_allowed(c, d, &t); /* keeping one's tier is no move */
	if (st != ST_OK)
		return st;
	bool changed = false;
	if (new_tier) {
		/* the current period stands; later periods follow the new tier's interval */
		op->out->tier_key = t.key;
		changed = true;
	}
	if (ch->has_cancel_at_period_end &&
	    ch->cancel_at_period_end != op->out->cancel_at_period_end) {
		/* a scheduled cancellation may be set or taken back until the period
		 * ends; the roll at the period end reads the flag */
		op->out->cancel_at_period_end = ch->cancel_at_period_end;
		changed = true;
	}
	if (!changed)
		return ST_OK; /* nothing to write, nothing to announce */
	op->out->updated_at = svc_now(c);
	st = store_subscription_update(d, c->arena, op->out);
	return st == ST_OK ? event_subscription(c, d, "subscription.updated", op->out) : st;
}

enum status svc_subscription_change(struct svc_ctx *c, const char *org_id,
				    const struct subscription_change *change,
				    struct subscription_row *out)
{
	struct sub_op op = {.org_id = org_id, .change = change, .out = out};
	return svc_in_tx(c, change_in, &op);
}

static enum status cancel_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct sub_op *op = arg;
	struct tier_row t;
	enum status st = load_live(c, d, op, &t);
	if (st != ST_OK)
		return st;
	int64_t now = svc_now(c);
	if (op->at_period_end && op->out->cancel_at_period_end)
		return ST_OK; /* already scheduled: nothing to write or announce */
	if (op->at_period_end) {
		op->out->cancel_at_period_end = true;
	} else {
		op->out->status = "canceled";
		op->out->canceled_at = now;
	}
	op->out->updated_at = now;
	st = store_subscription_update(d, c->arena, op->out);
	const char *type = op->at_period_end ? "subscription.updated" : "subscription.canceled";
	return st == ST_OK ? event_subscription(c, d, type, op->out) : st;
}

enum status svc_subscription_cancel(struct svc_ctx *c, const char *org_id, bool at_period_end,
				    struct subscription_row *out)
{
	struct sub_op op = {.org_id = org_id, .at_period_end = at_period_end, .out = out};
	return svc_in_tx(c, cancel_in, &op);
}

static enum status status_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct sub_op *op = arg;
	struct tier_row t;
	enum status st = load_live(c, d, op, &t);
	if (st != ST_OK)
		return st;
	op->out->status = arena_strdup(c->arena, op->status);
	op->out->payment_past_due = strcmp(op->status, "past_due") == 0;
	op->out->updated_at = svc_now(c);
	st = store_subscription_update(d, c->arena, op->out);
	return st == ST_OK ? event_subscription(c, d, "subscription.updated", op->out) : st;
}

enum status svc_subscription_status(struct svc_ctx *c, const char *org_id, const char *status,
				    struct subscription_row *out)
{
	if (strcmp(status, "active") != 0 && strcmp(status, "past_due") != 0) {
		fields_add(c->arena, c->errors, "status", "invalid_value");
		return ST_VALIDATION_FAILED;
	}
	if (c->who.user_id != NULL)
		return ST_FORBIDDEN; /* payment state comes from the tenant's backend only */
	struct sub_op op = {.org_id = org_id, .status = status, .out = out};
	return svc_in_tx(c, status_in, &op);
}

enum status billing_entitlements_read(struct svc_ctx *c, struct db *d, const char *org_id,
				      struct entitlements *out, bool *due)
{
	memset(out, 0, sizeof *out);
	struct subscription_row s;
	enum status st = load(c, d, org_id, &s, &out->tier, due);
	if (st == ST_OK && strcmp(s.status, "canceled") != 0) {
		out->has_tier = true;
		out->period_start = s.current_period_start;
		out->period_end = s.current_period_end;
	} else if (st == ST_OK || st == ST_NOT_FOUND) {
		/* no live subscription: the tenant's default tier, by calendar month */
		struct tenant_row tenant;
		st = store_tenant_get(d, c->arena, c->who.tenant_id, &tenant);
		if (st == ST_OK && tenant.default_tier != NULL) {
			st = store_tier_get(d, c->arena, c->who.tenant_id, tenant.default_tier,
					    &out->tier);
			out->has_tier = st == ST_OK;
			if (st == ST_NOT_FOUND)
				st = ST_OK;
		}
		out->period_start = period_month_start(svc_now(c));
		out->period_end = period_add_months(out->period_start, 1);
	}
	if (st == ST_OK && out->has_tier) {
		out->nfeatures = tier_features(c->arena, &out->tier, &out->features);
		out->nlimits = tier_limits(c->arena, &out->tier, &out->limits);
	}
	return st;
}

enum status billing_entitlements_in(struct svc_ctx *c, struct db *d, const char *org_id,
				    struct entitlements *out)
{
	return billing_entitlements_read(c, d, org_id, out, NULL);
}

int64_t billing_limit_of(const struct entitlements *e, const char *metric)
{
	for (int i = 0; i < e->nlimits; i++)
		if (strcmp(e->limits[i].metric, metric) == 0)
			return e->limits[i].value;
	return -1;
}

struct ent_op {
	const char *org_id;
	struct entitlements *out;
	int *n;
	const char ***metrics;
	int64_t **values;
	bool due; /* out: a period roll is owed */
};

static enum status entitlements_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct ent_op *op = arg;
	op->due = false;
	enum status st = svc_org_authorize(c, d, op->org_id, NULL, NULL, NULL);
	if (st == ST_OK)
		st = billing_entitlements_read(c, d, op->org_id, op->out, &op->due);
	if (st != ST_OK)
		return st;
	struct entitlements *e = op->out;
	*op->metrics = arena_alloc(c->arena, sizeof(char *) * (size_t)(e->nlimits + 1));
	*op->values = arena_alloc(c->arena, sizeof(int64_t) * (size_t)(e->nlimits + 1));
	*op->n = 0;
	for (int i = 0; st == ST_OK && i < e->nlimits; i++) {
		const char *m = e->limits[i].metric;
		if (strcmp(m, "seats") == 0) {
			struct org_row o;
			st = store_org_get(d, c->arena, c->who.tenant_id, op->org_id, &o);
			(*op->values)[*op->n] = o.member_count;
		} else {
			st = store_usage_counter_get(d, c->arena, c->who.tenant_id, op->org_id, m,
						     e->period_start, &(*op->values)[*op->n]);
		}
		(*op->metrics)[(*op->n)++] = m;
	}
	return st;
}

enum status svc_entitlements(struct svc_ctx *c, const char *org_id, struct entitlements *out,
			     int *nusage, const char ***usage_metrics, int64_t **usage_values)
{
	struct ent_op op = {org_id, out, nusage, usage_metrics, usage_values, false};
	enum status st = svc_read(c, entitlements_in, &op);
	if (st == ST_OK && op.due) { /* the period's counters start with the roll */
		st = svc_subscription_roll(c, org_id);
		if (st == ST_OK)
			st = svc_read(c, entitlements_in, &op);
	}
	return st;
}

enum status billing_check_seats(struct svc_ctx *c, struct db *d, const char *org_id)
{
	struct entitlements e;
	enum status st = billing_entitlements_in(c, d, org_id, &e);
	if (st != ST_OK)
		return st;
	int64_t limit = billing_limit_of(&e, "seats");
	struct org_row o;
	st = store_org_get(d, c->arena, c->who.tenant_id, org_id, &o);
	if (st != ST_OK || limit < 0 || o.member_count <= limit)
		return st;
	c->err.quota.metric = "seats";
	c->err.quota.limit = limit;
	c->err.quota.used = o.member_count - 1; /* the seats taken before this one */
	return ST_QUOTA_EXCEEDED;
}
