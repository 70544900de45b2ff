/*
 * webhooks.c: endpoints and event emission. Secrets are "whsec_" + base64
 * of 32 random bytes, shown once at creation (stored: they sign).
 */
#include "webhooks.h"

#include <string.h>

#include "../core/ids.h"
#include "../core/secure.h"
#include "../net/addr_policy.h"
#include "../store/tenants.h"
#include "orgs.h"
#include "queue.h"
#include "rbac.h"

static const char *const event_types[] = {"user.created",
					  "organization.created",
					  "organization.member_added",
					  "organization.member_removed",
					  "invitation.created",
					  "invitation.accepted",
					  "subscription.created",
					  "subscription.updated",
					  "subscription.canceled",
					  "usage.quota_exceeded",
					  "session.revoked",
					  "webhook.test",
					  NULL};

bool webhook_filter_valid(const char *f)
{
	if (strcmp(f, "*") == 0)
		return true;
	size_t n = strlen(f);
	bool prefix = n > 2 && strcmp(f + n - 2, ".*") == 0;
	for (int i = 0; event_types[i]; i++) {
		if (!prefix && strcmp(f, event_types[i]) == 0)
			return true;
		if (prefix && strncmp(f, event_types[i], n - 1) == 0)
			return true; /* "subscription.*": a prefix of a real type */
	}
	return false;
}

bool webhook_filter_matches(const char *f, const char *type)
{
	if (strcmp(f, "*") == 0)
		return true;
	size_t n = strlen(f);
	if (n > 2 && strcmp(f + n - 2, ".*") == 0)
		return strncmp(f, type, n - 1) == 0 && type[n - 1] != '\0';
	return strcmp(f, type) == 0;
}

int64_t webhook_backoff_ms(int attempt, double jitter, int64_t retry_after_s)
{
	static const int64_t steps_ms[] = {5000, 300000, 1800000, 7200000, 18000000, 36000000};
	/* no cap below the last step plus its jitter: the steps are the schedule */
	static const struct job_backoff b = {steps_ms, WEBHOOK_ATTEMPTS_MAX - 1, 0, 39600000, 0.1};
	_Static_assert(sizeof steps_ms / sizeof steps_ms[0] == WEBHOOK_ATTEMPTS_MAX - 1,
		       "one step per retry");
	if (attempt < 1 || attempt >= WEBHOOK_ATTEMPTS_MAX)
		return -1;
	if (retry_after_s >= 0)
		return (retry_after_s > 36000 ? 36000 : retry_after_s) * 1000;
	return queue_backoff_ms(&b, attempt, jitter);
}

int64_t webhook_breaker_pause_ms(int64_t streak)
{
	if (streak < WEBHOOK_BREAKER_AFTER)
		return 0;
	int64_t pause = WEBHOOK_BREAKER_BASE_MS;
	for (int64_t i = WEBHOOK_BREAKER_AFTER; i < streak && pause < WEBHOOK_BREAKER_MAX_MS; i++)
		pause *= 2;
	return pause < WEBHOOK_BREAKER_MAX_MS ? pause : WEBHOOK_BREAKER_MAX_MS;
}

static bool any_filter_matches(struct arena *a, const char *filters, const char *type)
{
	struct perm_list l = rbac_split(a, filters); /* the same space-separated form */
	for (int i = 0; i < l.n; i++)
		if (webhook_filter_matches(l.items[i], type))
			return true;
	return false;
}

/* Write the event; deliver to `only` (an endpoint id) or to every match. */
static enum status emit(struct svc_ctx *c, struct db *d, const char *type, const char *data_json,
			const char *only, char **event_id)
{
	int64_t now = svc_now(c);
	char *id = id_new(c->arena, "evt", now);
	char ts[RFC3339_LEN];
	clock_format_rfc3339(now, ts);
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", id);
	jsonw_kv_string(&w, "type", type);
	jsonw_kv_string(&w, "created_at", ts);
	jsonw_kv_string(&w, "tenant_id", c->who.tenant_id);
	jsonw_key(&w, "data");
	jsonw_raw(&w, data_json);
	jsonw_object_end(&w);
	enum status st = store_event_insert(d, c->arena, id, c->who.tenant_id, type, jsonw_text(&w),
					    c->trace_id, now);
	struct endpoint_row *eps = NULL;
	int n = 0;
	if (st == ST_OK)
		st = store_endpoint_list(d, c->arena, c->who.tenant_id, NULL, WEBHOOK_FANOUT_MAX,
					 true, &eps, &n);
	for (int i = 0; st == ST_OK && i < n; i++) {
		bool wanted = only ? strcmp(eps[i].id, only) == 0
				   : any_filter_matches(c->arena, eps[i].events, type);
		if (!wanted)
			continue;
		st = store_delivery_insert(d, c->arena, id_new(c->arena, "dlv", now),
					   c->who.tenant_id, eps[i].id, id, now);
		c->queued |= SVC_QUEUED_WEBHOOKS; /* svc_in_tx wakes the delivery jobs */
	}
	if (event_id != NULL)
		*event_id = id;
	return st;
}

enum status svc_event_emit(struct svc_ctx *c, struct db *d, const char *type, const char *data_json)
{
	return emit(c, d, type, data_json, NULL, NULL);
}

static bool input_ok(struct svc_ctx *c, const struct endpoint_input *in, bool creating)
{
	if ((creating || in->url) && (in->url == NULL || !url_valid_http(in->url)))
		fields_add(c->arena, c->errors, "url", "invalid_url");
	/* an early, clear refusal for literal IPs; host names are checked per
	 * connect at delivery (they may resolve or rebind anywhere) */
	else if (in->url != NULL && !config_webhook_allow_private(c->env->cfg) &&
		 addr_url_host_internal(in->url))
		fields_add(c->arena, c->errors, "url", "private_address");
	if (creating && in->events == NULL)
		fields_add(c->arena, c->errors, "events", "required");
	if (in->events != NULL && (in->nevents == 0 || in->nevents > WEBHOOK_MAX_FILTERS))
		fields_add(c->arena, c->errors, "events", "invalid_length");
	for (int i = 0; in->events != NULL && i < in->nevents; i++)
		if (!webhook_filter_valid(in->events[i]))
			fields_add(c->arena, c->errors, arena_printf(c->arena, "events[%d]", i),
				   "unknown_event");
	return c->errors->count == 0;
}

static char *join_filters(struct arena *a, const struct endpoint_input *in)
{
	struct perm_list l = {in->nevents, in->events};
	return rbac_join(a, &l);
}

/* The cap holds under racing creates on any node: the tenant lock orders
 * them, and each counts what the ones before it committed. */
static enum status create_in(struct svc_ctx *c, struct db *d, void *arg)
{
	enum status st = store_tenant_lock(d, c->arena, c->who.tenant_id);
	if (st == ST_OK)
		st = store_endpoint_insert(d, c->arena, arg, WEBHOOK_MAX_ENDPOINTS);
	if (st == ST_CONFLICT) /* the conditional insert found the cap reached */
		return svc_fail(c, ST_CONFLICT,
				arena_printf(c->arena,
					     "A tenant may have at most %d webhook endpoints; "
					     "delete one first.",
					     WEBHOOK_MAX_ENDPOINTS));
	return st;
}

enum status svc_webhook_create(struct svc_ctx *c, const struct endpoint_input *in,
			       struct endpoint_row *out)
{
	if (!input_ok(c, in, true))
		return ST_VALIDATION_FAILED;
	uint8_t key[32];
	char b64[64];
	sec_random(key, sizeof key);
	sec_base64(key, sizeof key, b64, sizeof b64);
	sec_wipe(key, sizeof key);
	int64_t now = svc_now(c);
	memset(out, 0, sizeof *out);
	out->id = id_new(c->arena, "whk", now);
	audit_target(c, "webhook", out->id);
	out->tenant_id = (char *)c->who.tenant_id;
	out->url = arena_strdup(c->arena, in->url);
	out->events = join_filters(c->arena, in);
	out->secret = arena_printf(c->arena, "whsec_%s", b64);
	out->enabled = in->has_enabled ? in->enabled : true;
	out->created_at = out->updated_at = now;
	return svc_in_tx(c, create_in, out);
}

enum status svc_webhook_list(struct svc_ctx *c, const struct page *pg, struct endpoint_row **rows,
			     int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_endpoint_list(d, c->arena, c->who.tenant_id, pg->after, pg->limit,
					     false, rows, n);
	store_release(c->env->store, d);
	return st;
}

enum status svc_webhook_get(struct svc_ctx *c, const char *id, struct endpoint_row *out)
{
	if (!id_valid(id, "whk"))
		return ST_NOT_FOUND;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_endpoint_get(d, c->arena, c->who.tenant_id, id, out);
	store_release(c->env->store, d);
	return st;
}

struct update_op {
	const char *id;
	const struct endpoint_input *in;
	struct endpoint_row *out;
};

static enum status update_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct update_op *op = arg;
	enum status st = store_endpoint_get(d, c->arena, c->who.tenant_id, op->id, op->out);
	if (st != ST_OK)
		return st;
	/* a new URL, or an endpoint enabled again, starts with a closed breaker */
	bool fresh = (op->in->url && strcmp(op->in->url, op->out->url) != 0) ||
		     (op->in->has_enabled && op->in->enabled && !op->out->enabled);
	if (op->in->url)
		op->out->url = arena_strdup(c->arena, op->in->url);
	if (op->in->events)
		op->out->events = join_filters(c->arena, op->in);
	if (op->in->has_enabled) {
		op->out->enabled = op->in->enabled;
		if (op->in->enabled)
			op->out->disabled_reason = NULL;
	}
	op->out->updated_at = svc_now(c);
	st = store_endpoint_update(d, c->arena, op->out);
	if (st == ST_OK && fresh)
		st = store_endpoint_breaker_reset(d, c->arena, c->who.tenant_id, op->id);
	return st;
}

enum status svc_webhook_update(struct svc_ctx *c, const char *id, const struct endpoint_input *in,
			       struct endpoint_row *out)
{
	if (!id_valid(id, "whk"))
		return ST_NOT_FOUND;
	if (!input_ok(c, in, false))
		return ST_VALIDATION_FAILED;
	struct update_op op = {id, in, out};
	return svc_in_tx(c, update_in, &op);
}

static enum status delete_in(struct svc_ctx *c, struct db *d, void *arg)
{
	return store_endpoint_delete(d, c->arena, c->who.tenant_id, arg);
}

enum status svc_webhook_delete(struct svc_ctx *c, const char *id)
{
	if (!id_valid(id, "whk"))
		return ST_NOT_FOUND;
	return svc_in_tx(c, delete_in, (void *)id);
}

struct test_op {
	const char *id;
	char **event_id;
};

static enum status test_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct test_op *op = arg;
	struct endpoint_row e;
	enum status st = store_endpoint_get(d, c->arena, c->who.tenant_id, op->id, &e);
	if (st == ST_OK && !e.enabled)
		return svc_fail(c, ST_CONFLICT, "The endpoint is disabled.");
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "endpoint_id", e.id);
	jsonw_kv_string(&w, "message", "This is a test event from saasd.");
	jsonw_object_end(&w);
	return st == ST_OK ? emit(c, d, "webhook.test", jsonw_text(&w), e.id, op->event_id) : st;
}

enum status svc_webhook_test(struct svc_ctx *c, const char *id, char **event_id)
{
	if (!id_valid(id, "whk"))
		return ST_NOT_FOUND;
	struct test_op op = {id, event_id};
	return svc_in_tx(c, test_in, &op);
}

struct deliveries_op {
	const char *id;
	const struct page *pg;
	struct delivery_list *out;
};

/* Deliveries and their attempt logs from one snapshot, so a log never
 * shows attempts its delivery's counters do not count yet. */
static enum status deliveries_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct deliveries_op *op = arg;
	struct delivery_list *out = op->out;
	struct endpoint_row e;
	enum status st = store_endpoint_get(d, c->arena, c->who.tenant_id, op->id, &e);
	if (st == ST_OK)
		st = store_delivery_list(d, c->arena, c->who.tenant_id, op->id, op->pg->after,
					 op->pg->limit, &out->rows, &out->n);
	if (st != ST_OK)
		return st;
	out->attempts = arena_alloc(c->arena, sizeof(struct attempt_row *) * (size_t)(out->n + 1));
	out->nattempts = arena_alloc(c->arena, sizeof(int) * (size_t)(out->n + 1));
	for (int i = 0; st == ST_OK && i < out->n; i++)
		st = store_attempt_list(d, c->arena, c->who.tenant_id, out->rows[i].id,
					&out->attempts[i], &out->nattempts[i]);
	return st;
}

enum status svc_webhook_deliveries(struct svc_ctx *c, const char *id, const struct page *pg,
				   struct delivery_list *out)
{
	memset(out, 0, sizeof *out);
	if (!id_valid(id, "whk"))
		return ST_NOT_FOUND;
	struct deliveries_op op = {id, pg, out};
	return svc_read(c, deliveries_in, &op);
}

struct retry_op {
	const char *id, *delivery_id;
};

static enum status retry_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct retry_op *op = arg;
	enum status st = store_delivery_requeue(d, c->arena, c->who.tenant_id, op->id,
						op->delivery_id, svc_now(c));
	if (st == ST_CONFLICT) /* it exists, but is not failed */
		return svc_fail(c, ST_CONFLICT, "Only a failed delivery can be retried.");
	/* the tenant asks for an attempt now: a paused endpoint gets this one
	 * (its timeout run is kept, so a new timeout pauses it again, longer) */
	if (st == ST_OK)
		st = store_endpoint_pause(d, c->arena, c->who.tenant_id, op->id, 0);
	return st;
}

enum status svc_webhook_retry(struct svc_ctx *c, const char *id, const char *delivery_id)
{
	if (!id_valid(id, "whk") || !id_valid(delivery_id, "dlv"))
		return ST_NOT_FOUND;
	struct retry_op op = {id, delivery_id};
	return svc_in_tx(c, retry_in, &op);
}
