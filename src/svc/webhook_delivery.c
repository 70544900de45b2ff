/*
 * webhook_delivery.c: the delivery job. Claims one due delivery at a time,
 * fairly across tenants (store_delivery_claim; a 60 s lease covers a crash
 * mid-attempt), posts it without holding a database connection, then
 * records the attempt, the outcome and the endpoint's circuit breaker in
 * one transaction fenced on the attempt number. 2xx: delivered. 410: the
 * endpoint is disabled and the delivery failed. Otherwise: retry per
 * webhook_backoff_ms (Retry-After honoured) or give up.
 */
#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/secure.h"
#include "webhooks.h"

#define DELIVERY_LEASE_MS 60000
#define DELIVERY_BATCH 10

static double jitter(void)
{
	return (double)sec_uniform(2001) / 10000.0 - 0.1; /* [-0.1, 0.1] */
}

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
	int64_t delay = webhook_backoff_ms((int)r->attempts, jitter(), res->retry_after_s);
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

static enum status record(const struct svc_env *env, struct arena *a, struct delivery_row *r,
			  const struct webhook_result *res, bool disable, bool sent, int64_t now)
{
	int64_t paused_until = 0;
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct attempt_row at = {.delivery_id = r->id,
				 .attempt = r->attempts,
				 .status_code = res->status,
				 .latency_ms = (int64_t)res->latency_ms,
				 .error = res->error[0] ? (char *)res->error : NULL,
				 .created_at = now};
	enum status st = db_begin(d);
	if (st == ST_OK)
		st = store_delivery_finish(d, a, r, r->attempts);
	if (st == ST_OK)
		st = store_attempt_insert(d, a, id_new(a, "att", now), r->tenant_id, &at);
	if (st == ST_OK && sent)
		st = breaker(d, a, r, res, now, &paused_until);
	if (st == ST_OK && disable) {
		struct endpoint_row e;
		st = store_endpoint_get(d, a, r->tenant_id, r->endpoint_id, &e);
		if (st == ST_OK) {
			e.enabled = false;
			e.disabled_reason = "410 Gone";
			e.updated_at = now;
			st = store_endpoint_update(d, a, &e);
		}
	}
	if (st == ST_OK)
		st = db_commit(d);
	else
		db_rollback(d); /* ST_NOT_FOUND: another worker owns a newer attempt */
	store_release(env->store, d);
	if (st == ST_OK && paused_until > 0)
		log_paused(r, paused_until, now);
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
	metrics_inc(delivered                           ? M_WEBHOOK_DELIVERED
		    : strcmp(r->status, "pending") == 0 ? M_WEBHOOK_RETRY
							: M_WEBHOOK_FAILED);
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

/* One claimed delivery; false when nothing was claimable. */
static bool deliver_one(const struct svc_env *env, const struct webhook_job_limits *lim,
			struct arena *a)
{
	int64_t now = clock_now(env->clock);
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return false;
	struct delivery_row r;
	enum status st =
		store_delivery_claim(d, a, now, now + DELIVERY_LEASE_MS, lim->tenant_in_flight, &r);
	store_release(env->store, d);
	if (st != ST_OK)
		return false;
	/* this attempt's log lines carry the trace id of the request that caused it */
	log_bind(NULL, r.trace_id != NULL && r.trace_id[0] ? r.trace_id : NULL);
	char sig[WEBHOOK_SIGNATURE_LEN];
	struct webhook_result res;
	int64_t ts = now / 1000;
	memset(&res, 0, sizeof res);
	res.retry_after_s = -1;
	bool sent = false;
	if (!r.endpoint_enabled) {
		/* disabled after the event was queued: not sent; retried by hand if wanted */
		snprintf(res.error, sizeof res.error, "endpoint disabled");
	} else if (!webhook_sign(r.secret, r.event_id, ts, r.payload, sig)) {
		snprintf(res.error, sizeof res.error, "endpoint secret is malformed");
	} else {
		webhook_post(r.url, config_webhook_allow_private(env->cfg), &lim->timeouts,
			     r.event_id, ts, sig, traceparent(&r, a), r.payload, &res);
		sent = true;
	}
	bool disable;
	int64_t done = clock_now(env->clock);
	decide(&r, &res, done, &disable);
	if (record(env, a, &r, &res, disable, sent, done) == ST_OK)
		log_outcome(&r, &res);
	log_bind(NULL, NULL);
	return true;
}

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
	while (handled < DELIVERY_BATCH && deliver_one(env, lim, &a)) {
		handled++;
		arena_reset(&a);
	}
	arena_destroy(&a);
	return handled;
}
