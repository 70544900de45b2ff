/*
 * webhook_delivery.c: the "webhook" kind of the job queue (queue.h). Claims
 * one due delivery at a time, fairly across tenants (store_delivery_claim; a
 * 60 s lease covers a crash mid-attempt), posts it without holding a
 * database connection, then records the attempt, the outcome and the
 * endpoint's circuit breaker in one transaction fenced on the attempt number. 2xx: delivered. 410: the
 * endpoint is disabled and the delivery failed. Otherwise: retry per
 * webhook_backoff_ms (Retry-After honoured) or give up.
 */
#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/secure.h"
#include "queue.h"
#include "webhooks.h"

#define DELIVERY_LEASE_MS 60000
#define DELIVERY_BATCH 10

/* the lease covers the send: no other worker claims it while it may still be posted */
_Static_assert(DELIVERY_LEASE_MS > WEBHOOK_TIMEOUT_MS, "the lease must outlast an attempt");

/* Decide the outcome of attempt r->attempts from the HTTP result. */
static void decide(struct delivery_row *r, const struct webhook_result *res, int64_t now,
		   bool *disable)
{
	*disable = false;
	r->last_status_code = res->status;
	r->last_error = res->error[0] ? (char *)res->error : NULL;
	if (!r->endpoint_enabled) {
		r->status = "failed";
		return;
	}
	if (res->status >= 200 && res->status < 300) {
		r->status = "delivered";
		r->delivered_at = now;
		r->last_error = NULL;
		return;
	}
	if (res->status == 410) {
		r->status = "failed";
		r->last_error = "endpoint answered 410 Gone: disabled";
		*disable = true;
		return;
	}
	int64_t delay = webhook_backoff_ms((int)r->attempts, queue_jitter(0.1), res->retry_after_s);
	if (delay < 0) {
		r->status = "failed";
	} else {
		r->status = "pending";
		r->next_attempt_at = now + delay;
	}
}

/* The breaker after an attempt that reached the network: a run of timeouts
 * pauses the endpoint (*paused_until > 0), anything else ends the run. */
static enum status breaker(struct db *d, struct arena *a, const struct delivery_row *r,
			   const struct webhook_result *res, int64_t now, int64_t *paused_until)
{
	int64_t streak = 0;
	*paused_until = 0;
	enum status st = store_endpoint_note_attempt(d, a, r->tenant_id, r->endpoint_id,
						     res->timed_out, &streak);
	int64_t pause = webhook_breaker_pause_ms(streak);
	if (st == ST_OK && pause > 0) {
		*paused_until = now + pause;
		st = store_endpoint_pause(d, a, r->tenant_id, r->endpoint_id, *paused_until);
	}
	return st;
}

static void log_paused(const struct delivery_row *r, int64_t paused_until, int64_t now)
{
	char secs[24];
	snprintf(secs, sizeof secs, "%lld", (long long)((paused_until - now) / 1000));
	const char *kv[] = {"tenant_id", r->tenant_id, "endpoint_id", r->endpoint_id,
			    "paused_s",  secs,         NULL};
	log_event(LOG_WARN, "webhook endpoint paused: consecutive timeouts", kv);
}

struct webhook_item {
	struct delivery_row r;
	struct webhook_result res;
	bool sent; /* the attempt reached the network (the breaker counts it) */
	bool disable; /* 410 Gone: disable the endpoint */
	int64_t done; /* when the attempt ended */
	int64_t paused_until; /* out of record: the breaker paused the endpoint */
};

static enum status disable_endpoint(struct db *d, struct arena *a, const struct delivery_row *r,
				    int64_t now)
{
	struct endpoint_row e;
	enum status st = store_endpoint_get(d, a, r->tenant_id, r->endpoint_id, &e);
	if (st != ST_OK)
		return st;
	e.enabled = false;
	e.disabled_reason = "410 Gone";
	e.updated_at = now;
	return store_endpoint_update(d, a, &e);
}

/* The attempt, the outcome and the breaker in one transaction, fenced on
 * the attempt number (ST_NOT_FOUND: another worker owns a newer attempt). */
static enum status webhook_record(struct svc_ctx *c, struct db *d, const void *opts, void *item)
{
	(void)opts;
	struct webhook_item *it = item;
	struct delivery_row *r = &it->r;
	struct arena *a = c->arena;
	it->paused_until = 0;
	struct attempt_row at = {.delivery_id = r->id,
				 .attempt = r->attempts,
				 .status_code = it->res.status,
				 .latency_ms = (int64_t)it->res.latency_ms,
				 .error = it->res.error[0] ? (char *)it->res.error : NULL,
				 .created_at = it->done};
	enum status st = store_delivery_finish(d, a, r, r->attempts);
	if (st == ST_OK)
		st = store_attempt_insert(d, a, id_new(a, "att", it->done), r->tenant_id, &at);
	if (st == ST_OK && it->sent)
		st = breaker(d, a, r, &it->res, it->done, &it->paused_until);
	if (st == ST_OK && it->disable)
		st = disable_endpoint(d, a, r, it->done);
	return st;
}

static void log_outcome(const struct delivery_row *r, const struct webhook_result *res)
{
	char code[16], attempt[16];
	snprintf(code, sizeof code, "%ld", res->status);
	snprintf(attempt, sizeof attempt, "%lld", (long long)r->attempts);
	const char *kv[] = {"delivery_id", r->id,     "tenant_id", r->tenant_id,  "event_id",
			    r->event_id,   "attempt", attempt,     "status_code", code,
			    "outcome",     r->status, "error",     res->error,    NULL};
	bool delivered = strcmp(r->status, "delivered") == 0;
	log_event(delivered ? LOG_INFO : LOG_WARN, "webhook delivery", kv);
}

/* Continue the causing request's trace: same trace id, a new span id. */
static const char *traceparent(const struct delivery_row *r, struct arena *a)
{
	if (r->trace_id == NULL || strlen(r->trace_id) != 32)
		return NULL;
	uint8_t span[8];
	char hex[17];
	sec_random(span, sizeof span);
	sec_hex(span, sizeof span, hex);
	return arena_printf(a, "00-%s-%s-01", r->trace_id, hex);
}

static enum status webhook_claim(struct svc_ctx *c, struct db *d, const void *opts, void *item,
				 int64_t now, int64_t lease_until)
{
	const struct webhook_job_limits *lim = opts;
	struct webhook_item *it = item;
	memset(it, 0, sizeof *it);
	return store_delivery_claim(d, c->arena, now, lease_until, lim->tenant_in_flight, &it->r);
}

static enum job_outcome webhook_attempt(const struct svc_env *env, struct arena *a,
					const void *opts, void *item)
{
	const struct webhook_job_limits *lim = opts;
	struct webhook_item *it = item;
	struct delivery_row *r = &it->r;
	/* this attempt's log lines carry the trace id of the request that caused it */
	log_bind(NULL, r->trace_id != NULL && r->trace_id[0] ? r->trace_id : NULL);
	char sig[WEBHOOK_SIGNATURE_LEN];
	int64_t ts = clock_now(env->clock) / 1000;
	it->res.retry_after_s = -1;
	if (!r->endpoint_enabled) {
		/* disabled after the event was queued: not sent; retried by hand if wanted */
		snprintf(it->res.error, sizeof it->res.error, "endpoint disabled");
	} else if (!webhook_sign(r->secret, r->event_id, ts, r->payload, sig)) {
		snprintf(it->res.error, sizeof it->res.error, "endpoint secret is malformed");
	} else {
		webhook_post(r->url, config_webhook_allow_private(env->cfg), &lim->timeouts,
			     r->event_id, ts, sig, traceparent(r, a), r->payload, &it->res);
		it->sent = true;
	}
	it->done = clock_now(env->clock);
	decide(r, &it->res, it->done, &it->disable);
	if (strcmp(r->status, "delivered") == 0)
		return JOB_DONE;
	return strcmp(r->status, "pending") == 0 ? JOB_RETRY : JOB_FAILED;
}

static void webhook_report(const struct svc_env *env, const void *item, enum job_outcome out,
			   bool recorded)
{
	(void)out;
	const struct webhook_item *it = item;
	if (recorded) {
		if (it->paused_until > 0)
			log_paused(&it->r, it->paused_until, clock_now(env->clock));
		log_outcome(&it->r, &it->res);
	}
	log_bind(NULL, NULL);
}

static const struct job_kind webhook_kind = {
	JOB_WEBHOOK,     "webhook",      DELIVERY_LEASE_MS, webhook_claim,
	webhook_attempt, webhook_record, webhook_report,
};

int webhook_job_run(const struct svc_env *env)
{
	static const struct webhook_job_limits defaults = {
		{WEBHOOK_CONNECT_TIMEOUT_MS, WEBHOOK_TIMEOUT_MS}, WEBHOOK_TENANT_IN_FLIGHT};
	return webhook_job_run_with(env, &defaults);
}

int webhook_job_run_with(const struct svc_env *env, const struct webhook_job_limits *lim)
{
	struct arena a;
	arena_init(&a, 8192);
	int handled = 0;
	struct webhook_item item;
	while (handled < DELIVERY_BATCH && queue_run_one(env, &webhook_kind, lim, &item, &a)) {
		handled++;
		arena_reset(&a);
	}
	arena_destroy(&a);
	return handled;
}
