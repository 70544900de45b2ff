/*
 * billing.c: /tiers (system), /organizations/:id/subscription (+ /status)
 * and /organizations/:id/entitlements.
 */
#include "api.h"

#include <string.h>

#include "../svc/billing.h"
#include "input.h"
#include "render.h"

static json_t *render_tier(struct request *req, const struct tier_row *t)
{
	const char **features;
	struct tier_limit *limits;
	int nf = tier_features(&req->arena, t, &features);
	int nl = tier_limits(&req->arena, t, &limits);
	json_t *lim = json_object();
	for (int i = 0; i < nl; i++)
		json_object_set_new(lim, limits[i].metric,
				    limits[i].value >= 0 ? json_integer(limits[i].value)
							 : json_null());
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "key", json_string(t->key));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "price_cents", json_integer(t->price_cents));
	json_object_set_new(o, "interval", json_string(t->interval));
	json_object_set_new(o, "features", render_perms(nf, features));
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "trial_days", json_integer(t->trial_days));
	json_object_set_new(o, "archived", json_boolean(t->archived));
	json_object_set_new(o, "created_at", render_time(t->created_at));
	return o;
}

static json_t *render_subscription(const struct subscription_row *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "organization_id", json_string(s->organization_id));
	json_object_set_new(o, "tier", json_string(s->tier_key));
	json_object_set_new(o, "status", json_string(s->status));
	json_object_set_new(o, "current_period_start", render_time(s->current_period_start));
	json_object_set_new(o, "current_period_end", render_time(s->current_period_end));
	json_object_set_new(o, "trial_end", render_time(s->trial_end));
	json_object_set_new(o, "cancel_at_period_end", json_boolean(s->cancel_at_period_end));
	json_object_set_new(o, "canceled_at", render_time(s->canceled_at));
	json_object_set_new(o, "created_at", render_time(s->created_at));
	return o;
}

/* "features": [strings], "limits": {metric: int >= 0 | null}. */
static void read_tier_lists(struct request *req, const json_t *body, struct tier_input *in)
{
	json_t *f = json_object_get(body, "features");
	json_t *l = json_object_get(body, "limits");
	in->has_features = f != NULL;
	if (f != NULL && (!json_is_array(f) || json_array_size(f) > TIER_MAX_FEATURES)) {
		fields_add(&req->arena, &req->errors, "features",
			   json_is_array(f) ? "too_many" : "invalid_type");
	} else if (f != NULL) {
		in->features = arena_alloc(&req->arena, sizeof(char *) * (json_array_size(f) + 1));
		size_t i;
		json_t *v;
		json_array_foreach(f, i, v)
		{
			if (!json_is_string(v)) {
				fields_add(&req->arena, &req->errors, "features", "invalid_type");
				return;
			}
			in->features[in->nfeatures++] = json_string_value(v);
		}
	}
	in->has_limits = l != NULL;
	if (l != NULL && (!json_is_object(l) || json_object_size(l) > TIER_MAX_LIMITS)) {
		fields_add(&req->arena, &req->errors, "limits",
			   json_is_object(l) ? "too_many" : "invalid_type");
		return;
	}
	if (l == NULL)
		return;
	in->limits =
		arena_alloc(&req->arena, sizeof(struct tier_limit) * (json_object_size(l) + 1));
	const char *k;
	json_t *v;
	json_object_foreach(l, k, v)
	{
		bool ok = json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0);
		if (!ok) {
			fields_add(&req->arena, &req->errors, "limits", "invalid_value");
			return;
		}
		in->limits[in->nlimits].metric = k;
		in->limits[in->nlimits].value = json_is_null(v) ? -1 : json_integer_value(v);
		in->nlimits++;
	}
}

static enum status read_tier(struct request *req, struct tier_input *in, bool creating)
{
	static const char *const allowed[] = {"key",        "name",     "price_cents",
					      "interval",   "features", "limits",
					      "trial_days", "archived", NULL};
	const json_t *body = in_body(req);
	/* the key names the tier in URLs and subscriptions: set once, like a
	 * role's key, so an update refuses it as unknown_field */
	in_known_fields(req, body, creating ? allowed : allowed + 1, NULL);
	if (creating)
		in_string(req, body, "key", true, 1, 64, &in->key);
	in_string(req, body, "name", creating, 1, 200, &in->name);
	in_int(req, body, "price_cents", false, 0, 100000000000LL, &in->price_cents, &in->has_price,
	       NULL);
	in_string(req, body, "interval", creating, 1, 16, &in->interval);
	in_int(req, body, "trial_days", false, 0, 730, &in->trial_days, &in->has_trial, NULL);
	in_bool(req, body, "archived", &in->archived, &in->has_archived);
	read_tier_lists(req, body, in);
	return in_result(req);
}

enum status api_tier_create(struct request *req)
{
	struct tier_input in = {0};
	enum status st = read_tier(req, &in, true);
	if (st != ST_OK)
		return st;
	struct tier_row t;
	st = svc_tier_create(&req->ctx, &in, &t);
	return st == ST_OK ? reply_json(req, 201, render_tier(req, &t)) : st;
}

enum status api_tier_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct tier_row *rows;
	int n = 0;
	st = svc_tier_list(&req->ctx, &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_tier(req, &rows[i]));
	/* the cursor is the last tier's id (list cursors are ids); the list
	 * itself is in key order */
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_tier_update(struct request *req)
{
	struct tier_input in = {.key = req_param(req, "key")};
	enum status st = read_tier(req, &in, false);
	if (st != ST_OK)
		return st;
	struct tier_row t;
	st = svc_tier_update(&req->ctx, &in, &t);
	return st == ST_OK ? reply_json(req, 200, render_tier(req, &t)) : st;
}

static enum status read_tier_key(struct request *req, const char **tier)
{
	static const char *const allowed[] = {"tier", NULL};
	const json_t *body = in_body(req);
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "tier", true, 1, 64, tier);
	return in_result(req);
}

static enum status reply_sub(struct request *req, enum status st, int http,
			     const struct subscription_row *s)
{
	return st == ST_OK ? reply_json(req, http, render_subscription(s)) : st;
}

enum status api_subscription_create(struct request *req)
{
	const char *tier = NULL;
	enum status st = read_tier_key(req, &tier);
	struct subscription_row s;
	if (st == ST_OK)
		st = svc_subscription_create(&req->ctx, req_param(req, "id"), tier, &s);
	return reply_sub(req, st, 201, &s);
}

enum status api_subscription_get(struct request *req)
{
	struct subscription_row s;
	enum status st = svc_subscription_get(&req->ctx, req_param(req, "id"), &s);
	return reply_sub(req, st, 200, &s);
}

enum status api_subscription_change(struct request *req)
{
	static const char *const allowed[] = {"tier", "cancel_at_period_end", NULL};
	const json_t *body = in_body(req);
	struct subscription_change change = {0};
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "tier", false, 1, 64, &change.tier);
	in_bool(req, body, "cancel_at_period_end", &change.cancel_at_period_end,
		&change.has_cancel_at_period_end);
	if (req->errors.count == 0 && change.tier == NULL && !change.has_cancel_at_period_end)
		fields_add(&req->arena, &req->errors, "tier", "required");
	enum status st = in_result(req);
	struct subscription_row s;
	if (st == ST_OK)
		st = svc_subscription_change(&req->ctx, req_param(req, "id"), &change, &s);
	return reply_sub(req, st, 200, &s);
}

enum status api_subscription_cancel(struct request *req)
{
	const char *flag = NULL;
	enum status st = req_query(req, "at_period_end", &flag);
	if (st != ST_OK)
		return st;
	bool at_end = flag != NULL && strcmp(flag, "true") == 0;
	if (flag != NULL && !at_end && strcmp(flag, "false") != 0) {
		fields_add(&req->arena, &req->errors, "at_period_end", "invalid_value");
		return ST_VALIDATION_FAILED;
	}
	struct subscription_row s;
	st = svc_subscription_cancel(&req->ctx, req_param(req, "id"), at_end, &s);
	return reply_sub(req, st, 200, &s);
}

enum status api_subscription_status(struct request *req)
{
	static const char *const allowed[] = {"status", NULL};
	const json_t *body = in_body(req);
	const char *status = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "status", true, 1, 16, &status);
	enum status st = in_result(req);
	struct subscription_row s;
	if (st == ST_OK)
		st = svc_subscription_status(&req->ctx, req_param(req, "id"), status, &s);
	return reply_sub(req, st, 200, &s);
}

enum status api_entitlements(struct request *req)
{
	struct entitlements e;
	int n = 0;
	const char **metrics;
	int64_t *values;
	enum status st =
		svc_entitlements(&req->ctx, req_param(req, "id"), &e, &n, &metrics, &values);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_t *limits = json_object(), *usage = json_object();
	for (int i = 0; i < e.nlimits; i++)
		json_object_set_new(limits, e.limits[i].metric,
				    e.limits[i].value >= 0 ? json_integer(e.limits[i].value)
							   : json_null());
	for (int i = 0; i < n; i++)
		json_object_set_new(usage, metrics[i], json_integer(values[i]));
	json_object_set_new(o, "tier", e.has_tier ? json_string(e.tier.key) : json_null());
	json_object_set_new(o, "features", render_perms(e.nfeatures, e.features));
	json_object_set_new(o, "limits", limits);
	json_object_set_new(o, "usage", usage);
	json_object_set_new(o, "period_start", render_time(e.period_start));
	json_object_set_new(o, "period_end", render_time(e.period_end));
	return reply_json(req, 200, o);
}
