/*
 * webhooks.h: SQL for webhook endpoints, events, deliveries and attempts.
 * Tenant-scoped except the delivery claim, which is the worker's fair
 * cross-tenant queue scan (serialised across nodes), the pending count and
 * the prune.
 */
#ifndef SAASD_STORE_WEBHOOKS_H
#define SAASD_STORE_WEBHOOKS_H

#include <stdbool.h>

#include "store.h"

struct endpoint_row {
	char *id;
	char *tenant_id;
	char *url;
	char *events; /* space-separated filters */
	char *secret;
	bool enabled;
	char *disabled_reason;
	int64_t created_at;
	int64_t updated_at;
};

struct delivery_row {
	char *id;
	char *tenant_id;
	char *endpoint_id;
	char *event_id;
	char *status; /* pending | delivered | failed */
	int64_t attempts;
	int64_t next_attempt_at;
	int64_t last_status_code; /* 0: none */
	char *last_error;
	int64_t created_at;
	int64_t delivered_at;
	/* joined for the worker and listings */
	char *event_type;
	char *payload;
	char *url;
	char *secret;
	bool endpoint_enabled;
	char *trace_id; /* of the request that caused the event, or NULL */
};

struct attempt_row {
	char *delivery_id;
	int64_t attempt;
	int64_t status_code;
	int64_t latency_ms;
	char *error;
	int64_t created_at;
};

/* Insert e unless its tenant already has max_per_tenant endpoints (enabled
 * or not): then ST_CONFLICT. Exact under racing inserts only inside a
 * transaction that holds store_tenant_lock() for e->tenant_id. */
enum status store_endpoint_insert(struct db *d, struct arena *a, const struct endpoint_row *e,
				  int64_t max_per_tenant);
enum status store_endpoint_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			       struct endpoint_row *out);
enum status store_endpoint_update(struct db *d, struct arena *a, const struct endpoint_row *e);
enum status store_endpoint_delete(struct db *d, struct arena *a, const char *tenant_id,
				  const char *id);
enum status store_endpoint_list(struct db *d, struct arena *a, const char *tenant_id,
				const char *after, int limit, bool enabled_only,
				struct endpoint_row **rows, int *n);

enum status store_event_insert(struct db *d, struct arena *a, const char *id, const char *tenant_id,
			       const char *type, const char *payload, const char *trace_id,
			       int64_t now_ms);
enum status store_delivery_insert(struct db *d, struct arena *a, const char *id,
				  const char *tenant_id, const char *endpoint_id,
				  const char *event_id, int64_t now_ms);
/*
 * Claim one due pending delivery, inside the caller's transaction (which
 * must be open: on PostgreSQL the advisory lock lasts until its end; the
 * job queue runs it through svc_in_tx and sends only after the commit): of the tenants with a claimable delivery, the one served
 * longest ago, and its oldest due delivery; claimable means its endpoint is
 * not paused (breaker) and has no delivery in flight, and its tenant has
 * fewer than tenant_max in flight, counted on every node. The claim leases
 * it until lease_until (in flight until then or until its outcome is
 * recorded; next_attempt_at moves there too, so a crashed worker's claim
 * comes due again) and counts the attempt. ST_NOT_FOUND when nothing is
 * claimable.
 */
enum status store_delivery_claim(struct db *d, struct arena *a, int64_t now_ms, int64_t lease_until,
				 int tenant_max, struct delivery_row *out);
/* Outcome of the attempt number `attempt` (fenced on it); ends the lease. */
enum status store_delivery_finish(struct db *d, struct arena *a, const struct delivery_row *r,
				  int64_t attempt);
enum status store_attempt_insert(struct db *d, struct arena *a, const char *id,
				 const char *tenant_id, const struct attempt_row *at);
enum status store_delivery_list(struct db *d, struct arena *a, const char *tenant_id,
				const char *endpoint_id, const char *after, int limit,
				struct delivery_row **rows, int *n);
enum status store_attempt_list(struct db *d, struct arena *a, const char *tenant_id,
			       const char *delivery_id, struct attempt_row **rows, int *n);
/* Put a failed delivery back in the queue now (manual retry); ST_CONFLICT
 * when it is pending (waiting or being attempted) or delivered. */
enum status store_delivery_requeue(struct db *d, struct arena *a, const char *tenant_id,
				   const char *endpoint_id, const char *id, int64_t now_ms);
/* The endpoint's circuit breaker. After an attempt that reached the
 * network: timed_out extends its run of consecutive timed-out attempts
 * (*streak gets the new length), any other outcome ends it (0). */
enum status store_endpoint_note_attempt(struct db *d, struct arena *a, const char *tenant_id,
					const char *id, bool timed_out, int64_t *streak);
/* None of the endpoint's deliveries is claimed before until_ms. */
enum status store_endpoint_pause(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, int64_t until_ms);
/* Streak 0 and no pause (the tenant changed the URL or re-enabled it). */
enum status store_endpoint_breaker_reset(struct db *d, struct arena *a, const char *tenant_id,
					 const char *id);
enum status store_endpoint_breaker_get(struct db *d, struct arena *a, const char *tenant_id,
				       const char *id, int64_t *streak, int64_t *paused_until);
enum status store_delivery_pending_count(struct db *d, struct arena *a, int64_t *count);
/* Maintenance (all tenants): delete finished deliveries (with their
 * attempts) and events created before before_ms, at most limit of each. */
enum status store_webhook_prune(struct db *d, struct arena *a, int64_t before_ms, int limit,
				int64_t *removed);

#endif
