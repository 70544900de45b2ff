/*
 * tiers.c: a tenant's pricing tiers (system calls). Tiers are archived,
 * never deleted, so existing subscribers keep theirs; archived tiers cannot
 * be chosen for new subscriptions.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/jsonr.h"
#include "../core/jsonw.h"
#include "../core/log.h"
#include "billing.h"
#include "rbac.h"

bool billing_metric_valid(const char *m)
{
	return rbac_role_key_valid(m); /* same grammar: [a-z0-9_]{1,64} */
}

int tier_interval_months(const struct tier_row *t)
{
	return strcmp(t->interval, "year") == 0 ? 12 : 1;
}

/* features and limits are JSON text (migration 013): ["a", "b"] and
 * {"metric": N | null}, null meaning unlimited. A malformed column (never
 * written by saasd) reads as empty rather than failing every request. */
int tier_features(struct arena *a, const struct tier_row *t, const char ***out)
{
	int n = jsonr_string_array(a, t->features, out);
	if (n < 0) {
		log_msg(LOG_ERROR, "tier %s: features are not a JSON array of strings", t->id);
		*out = arena_alloc(a, sizeof(char *));
		return 0;
	}
	return n;
}

int tier_limits(struct arena *a, const struct tier_row *t, struct tier_limit **out)
{
	struct jsonr_member *m;
	int n = jsonr_int_object(a, t->limits, &m);
	if (n < 0) {
		log_msg(LOG_ERROR, "tier %s: limits are not a JSON object of integers", t->id);
		n = 0;
	}
	*out = arena_alloc(a, sizeof(struct tier_limit) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		(*out)[i].metric = m[i].key;
		(*out)[i].value = m[i].null || m[i].value < 0 ? -1 : m[i].value;
	}
	return n;
}

static char *join_features(struct arena *a, int n, const char **items)
{
	struct jsonw w;
	jsonw_init(&w, a);
	jsonw_array_begin(&w);
	for (int i = 0; i < n; i++)
		jsonw_string(&w, items[i]);
	jsonw_array_end(&w);
	return (char *)jsonw_text(&w);
}

static char *join_limits(struct arena *a, int n, const struct tier_limit *l)
{
	struct jsonw w;
	jsonw_init(&w, a);
	jsonw_object_begin(&w);
	for (int i = 0; i < n; i++) {
		jsonw_key(&w, l[i].metric);
		if (l[i].value >= 0)
			jsonw_int(&w, l[i].value);
		else
			jsonw_null(&w);
	}
	jsonw_object_end(&w);
	return (char *)jsonw_text(&w);
}

static void validate(struct svc_ctx *c, const struct tier_input *in, bool creating)
{
	struct arena *a = c->arena;
	if (!rbac_role_key_valid(in->key))
		fields_add(a, c->errors, "key", "invalid_format");
	if ((creating || in->name) && (in->name == NULL || !text_valid(in->name, 1, 200)))
		fields_add(a, c->errors, "name",
			   creating && !in->name ? "required" : "invalid_length");
	if (in->has_price && (in->price_cents < 0 || in->price_cents > 100000000000LL))
		fields_add(a, c->errors, "price_cents", "out_of_range");
	if (creating && in->interval == NULL)
		fields_add(a, c->errors, "interval", "required");
	else if (in->interval && strcmp(in->interval, "month") != 0 &&
		 strcmp(in->interval, "year") != 0)
		fields_add(a, c->errors, "interval", "invalid_value");
	for (int i = 0; in->has_features && i < in->nfeatures; i++)
		if (!text_valid(in->features[i], 1, 100))
			fields_add(a, c->errors, arena_printf(a, "features[%d]", i),
				   "invalid_length");
	for (int i = 0; in->has_limits && i < in->nlimits; i++)
		if (!billing_metric_valid(in->limits[i].metric))
			fields_add(a, c->errors,
				   arena_printf(a, "limits.%.64s", in->limits[i].metric),
				   "invalid_metric");
	if (in->has_trial && (in->trial_days < 0 || in->trial_days > 730))
		fields_add(a, c->errors, "trial_days", "out_of_range");
}

enum status svc_tier_create(struct svc_ctx *c, const struct tier_input *in, struct tier_row *out)
{
	validate(c, in, true);
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	int64_t now = svc_now(c);
	memset(out, 0, sizeof *out);
	out->id = id_new(c->arena, "tier", now);
	out->tenant_id = (char *)c->who.tenant_id;
	out->key = arena_strdup(c->arena, in->key);
	audit_target(c, "tier", out->key);
	out->name = arena_strdup(c->arena, in->name);
	out->price_cents = in->has_price ? in->price_cents : 0;
	out->interval = arena_strdup(c->arena, in->interval);
	out->features = join_features(c->arena, in->has_features ? in->nfeatures : 0, in->features);
	out->limits = join_limits(c->arena, in->has_limits ? in->nlimits : 0, in->limits);
	out->trial_days = in->has_trial ? in->trial_days : 0;
	out->created_at = out->updated_at = now;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_tier_insert(d, c->arena, out);
	store_release(c->env->store, d);
	if (st == ST_CONFLICT) {
		fields_add(c->arena, c->errors, "key", "taken");
		return svc_fail_detail(c, st, NULL, "unique index tiers(tenant_id, key): %s",
				       out->key);
	}
	return st;
}

enum status svc_tier_list(struct svc_ctx *c, const struct page *pg, struct tier_row **rows, int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st =
		store_tier_list(d, c->arena, c->who.tenant_id, pg->after, pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}

struct tier_update {
	const struct tier_input *in;
	struct tier_row *out;
};

static enum status update_in(struct svc_ctx *c, struct db *d, void *arg)
{
	const struct tier_input *in = ((struct tier_update *)arg)->in;
	struct tier_row *out = ((struct tier_update *)arg)->out;
	enum status st = store_tier_get(d, c->arena, c->who.tenant_id, in->key, out);
	if (st == ST_OK) {
		if (in->name)
			out->name = arena_strdup(c->arena, in->name);
		if (in->has_price)
			out->price_cents = in->price_cents;
		if (in->interval)
			out->interval = arena_strdup(c->arena, in->interval);
		if (in->has_features)
			out->features = join_features(c->arena, in->nfeatures, in->features);
		if (in->has_limits)
			out->limits = join_limits(c->arena, in->nlimits, in->limits);
		if (in->has_trial)
			out->trial_days = in->trial_days;
		if (in->has_archived)
			out->archived = in->archived;
		out->updated_at = svc_now(c);
		st = store_tier_update(d, c->arena, out);
	}
	return st;
}

enum status svc_tier_update(struct svc_ctx *c, const struct tier_input *in, struct tier_row *out)
{
	if (!rbac_role_key_valid(in->key))
		return ST_NOT_FOUND;
	validate(c, in, false);
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	struct tier_update op = {in, out};
	return svc_in_tx(c, update_in, &op);
}
