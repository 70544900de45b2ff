/*
 * webhooks.h: webhook endpoints, event emission and delivery. Every event
 * type goes out through svc_event_emit(), called with the same open
 * transaction as the change it reports, so a change and its event commit
 * (or vanish) together. Deliveries are at-least-once, signed per the
 * Standard Webhooks specification, and retried with backoff (about 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, then failed).
 */
#ifndef SAASD_SVC_WEBHOOKS_H
#define SAASD_SVC_WEBHOOKS_H

#include "../core/jsonw.h"
#include "../net/webhook_http.h"
#include "../store/webhooks.h"
#include "svc.h"

#define WEBHOOK_MAX_FILTERS 32
/* Endpoints per tenant (exact, also under racing creates); an event fans
 * out to at most WEBHOOK_FANOUT_MAX, far above it. */
#define WEBHOOK_MAX_ENDPOINTS 100
#define WEBHOOK_FANOUT_MAX 1000
#define WEBHOOK_ATTEMPTS_MAX 7 /* the first try and six retries */
/* Fair delivery. Claims are round-robin across tenants; at most one attempt
 * per endpoint and WEBHOOK_TENANT_IN_FLIGHT per tenant are in flight at once,
 * counted over every node. Each node runs WEBHOOK_DELIVERY_THREADS, more than
 * the tenant cap, so a tenant whose endpoints all hang leaves threads for the
 * others. */
#define WEBHOOK_DELIVERY_THREADS 4
#define WEBHOOK_TENANT_IN_FLIGHT 2
/* Circuit breaker: after WEBHOOK_BREAKER_AFTER consecutive timed-out
 * attempts an endpoint is paused, 30 s and doubling per further timeout up
 * to 1 h (webhook_breaker_pause_ms). */
#define WEBHOOK_BREAKER_AFTER 3
#define WEBHOOK_BREAKER_BASE_MS 30000LL
#define WEBHOOK_BREAKER_MAX_MS 3600000LL

/* Pure helpers (unit-tested). */
bool webhook_filter_valid(const char *filter);
bool webhook_filter_matches(const char *filter, const char *type);
/* Delay before retry after attempt number `attempt` (1-based) failed, with
 * jitter in [-0.1, 0.1]; -1 when the delivery should give up. A
 * Retry-After (seconds, >= 0) replaces the schedule, capped at 10 h. */
int64_t webhook_backoff_ms(int attempt, double jitter, int64_t retry_after_s);
/* How long an endpoint is paused after a run of `streak` consecutive
 * timed-out attempts: 0 below WEBHOOK_BREAKER_AFTER, then 30 s, 60 s, ...
 * capped at 1 h. */
int64_t webhook_breaker_pause_ms(int64_t streak);

/*
 * Emit an event of `type` for c->who.tenant_id inside the caller's transaction:
 * write the event and one pending delivery per enabled endpoint whose
 * filters match. data_json is the serialised "data" object.
 */
enum status svc_event_emit(struct svc_ctx *c, struct db *d, const char *type,
			   const char *data_json);

struct endpoint_input {
	const char *url;
	int nevents;
	const char **events; /* NULL: unchanged (update) */
	bool has_enabled;
	bool enabled;
};
enum status svc_webhook_create(struct svc_ctx *c, const struct endpoint_input *in,
			       struct endpoint_row *out);
enum status svc_webhook_list(struct svc_ctx *c, const struct page *pg, struct endpoint_row **rows,
			     int *n);
enum status svc_webhook_get(struct svc_ctx *c, const char *id, struct endpoint_row *out);
enum status svc_webhook_update(struct svc_ctx *c, const char *id, const struct endpoint_input *in,
			       struct endpoint_row *out);
enum status svc_webhook_delete(struct svc_ctx *c, const char *id);
/* Queue a "webhook.test" event for this endpoint only; *event_id set. */
enum status svc_webhook_test(struct svc_ctx *c, const char *id, char **event_id);
/* A page of an endpoint's deliveries, each with its attempt log
 * (attempts[i], nattempts[i]), read in one snapshot (svc_read). */
struct delivery_list {
	struct delivery_row *rows;
	int n;
	struct attempt_row **attempts;
	int *nattempts;
};
enum status svc_webhook_deliveries(struct svc_ctx *c, const char *id, const struct page *pg,
				   struct delivery_list *out);
enum status svc_webhook_retry(struct svc_ctx *c, const char *id, const char *delivery_id);

/* The background job: deliver due webhooks; returns how many it handled.
 * Runs on WEBHOOK_DELIVERY_THREADS threads (src/jobs_table.c). */
int webhook_job_run(const struct svc_env *env);
/* The same with other limits than the defaults (tests: short timeouts). */
struct webhook_job_limits {
	struct webhook_timeouts timeouts;
	int tenant_in_flight;
};
int webhook_job_run_with(const struct svc_env *env, const struct webhook_job_limits *lim);

#endif
