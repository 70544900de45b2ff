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
#include "../store/webhooks.h"
#include "svc.h"

#define WEBHOOK_MAX_FILTERS 32
/* Endpoints per tenant (exact, also under racing creates); an event fans
 * out to at most WEBHOOK_FANOUT_MAX, far above it. */
#define WEBHOOK_MAX_ENDPOINTS 100
#define WEBHOOK_FANOUT_MAX 1000
#define WEBHOOK_ATTEMPTS_MAX 7 /* the first try and six retries */

/* Pure helpers (unit-tested). */
bool webhook_filter_valid(const char *filter);
bool webhook_filter_matches(const char *filter, const char *type);
/* Delay before retry after attempt number `attempt` (1-based) failed, with
 * jitter in [-0.1, 0.1]; -1 when the delivery should give up. A
 * Retry-After (seconds, >= 0) replaces the schedule, capped at 10 h. */
int64_t webhook_backoff_ms(int attempt, double jitter, int64_t retry_after_s);

/*
 * Emit an event of `type` for c->tenant_id inside the caller's transaction:
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
enum status svc_webhook_list(struct svc_ctx *c, const struct page *pg,
			     struct endpoint_row **rows, int *n);
enum status svc_webhook_get(struct svc_ctx *c, const char *id, struct endpoint_row *out);
enum status svc_webhook_update(struct svc_ctx *c, const char *id, const struct endpoint_input *in,
			       struct endpoint_row *out);
enum status svc_webhook_delete(struct svc_ctx *c, const char *id);
/* Queue a "webhook.test" event for this endpoint only; *event_id set. */
enum status svc_webhook_test(struct svc_ctx *c, const char *id, char **event_id);
enum status svc_webhook_deliveries(struct svc_ctx *c, const char *id, const struct page *pg,
				   struct delivery_row **rows, int *n);
enum status svc_webhook_attempts(struct svc_ctx *c, const char *delivery_id,
				 struct attempt_row **rows, int *n);
enum status svc_webhook_retry(struct svc_ctx *c, const char *id, const char *delivery_id);

/* The background job: deliver due webhooks; returns how many it handled. */
int webhook_job_run(const struct svc_env *env);

#endif
