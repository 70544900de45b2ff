/*
 * billing.h: tiers, subscriptions, entitlements and metered usage.
 * Subscriptions roll their periods forward lazily (on the next read or
 * write after a period ends), calendar-correct (period.h). An organization
 * without a live subscription gets the tenant's default_tier. Usage is
 * recorded and checked against the period's limit in one transaction
 * (store/usage.h), exactly, under any concurrency.
 */
#ifndef SAASD_SVC_BILLING_H
#define SAASD_SVC_BILLING_H

#include "../store/billing.h"
#include "../store/usage.h"
#include "svc.h"

#define TIER_MAX_FEATURES 100
#define TIER_MAX_LIMITS 50
#define USAGE_MAX_QUANTITY 1000000000LL

struct tier_limit {
	const char *metric;
	int64_t value; /* -1: unlimited */
};

struct tier_input {
	const char *key;
	const char *name;
	bool has_price;
	int64_t price_cents;
	const char *interval; /* month | year, NULL: unchanged (update) */
	bool has_features;
	int nfeatures;
	const char **features;
	bool has_limits;
	int nlimits;
	struct tier_limit *limits;
	bool has_trial;
	int64_t trial_days;
	bool has_archived;
	bool archived;
};

/* tiers.c */
bool billing_metric_valid(const char *m);
enum status svc_tier_create(struct svc_ctx *c, const struct tier_input *in, struct tier_row *out);
enum status svc_tier_list(struct svc_ctx *c, const struct page *pg, struct tier_row **rows, int *n);
enum status svc_tier_update(struct svc_ctx *c, const struct tier_input *in, struct tier_row *out);
/* Parsed views of a tier row (arena). */
int tier_features(struct arena *a, const struct tier_row *t, const char ***out);
int tier_limits(struct arena *a, const struct tier_row *t, struct tier_limit **out);
int tier_interval_months(const struct tier_row *t);

/* subscriptions.c. Create and change refuse a session's move to a paid
 * tier (tenant setting self_serve_billing off) with ST_FORBIDDEN; create
 * refuses a second live subscription, change/cancel/status a canceled one,
 * with ST_CONFLICT. Each leaves its public message in c->err. */
enum status svc_subscription_create(struct svc_ctx *c, const char *org_id, const char *tier,
				    struct subscription_row *out);
enum status svc_subscription_get(struct svc_ctx *c, const char *org_id,
				 struct subscription_row *out);
/* What PATCH may change: the tier (NULL keeps it) and a scheduled
 * cancellation (set it, or take it back before the period ends). */
struct subscription_change {
	const char *tier;
	bool has_cancel_at_period_end;
	bool cancel_at_period_end;
};
enum status svc_subscription_change(struct svc_ctx *c, const char *org_id,
				    const struct subscription_change *change,
				    struct subscription_row *out);
enum status svc_subscription_cancel(struct svc_ctx *c, const char *org_id, bool at_period_end,
				    struct subscription_row *out);
enum status svc_subscription_status(struct svc_ctx *c, const char *org_id, const char *status,
				    struct subscription_row *out);

/* subscription_start.c: fill s's status, anchor, current period and
 * trial_end for a subscription created at now to tier t. prev is the
 * organization's previous (canceled) subscription, NULL for its first:
 * only a first one gets the tier's trial; one created while prev's paid
 * period is still running keeps that period and anchor; one after a prev
 * that ended past_due (payment_past_due) starts past_due. */
void subscription_start(struct subscription_row *s, const struct subscription_row *prev,
			const struct tier_row *t, int64_t now);

/* What an organization is entitled to right now. */
struct entitlements {
	bool has_tier;
	struct tier_row tier;
	int64_t period_start, period_end;
	int nfeatures;
	const char **features;
	int nlimits;
	struct tier_limit *limits;
};
/* Inside the caller's db: resolve tier (subscription or default) and period. */
enum status billing_entitlements_in(struct svc_ctx *c, struct db *d, const char *org_id,
				    struct entitlements *out);
/* The same in a read-only transaction: a period that ended is rolled in
 * memory only and *due set; the caller then runs svc_subscription_roll. */
enum status billing_entitlements_read(struct svc_ctx *c, struct db *d, const char *org_id,
				      struct entitlements *out, bool *due);
/* A short write transaction recording the roll of the organization's
 * billing period when one is due (no subscription: nothing to do). */
enum status svc_subscription_roll(struct svc_ctx *c, const char *org_id);
/* The limit of metric (-1: unlimited or no tier). */
int64_t billing_limit_of(const struct entitlements *e, const char *metric);
/* Entitlements plus current usage per metric (parallel to a metric list). */
enum status svc_entitlements(struct svc_ctx *c, const char *org_id, struct entitlements *out,
			     int *nusage, const char ***usage_metrics, int64_t **usage_values);

/* usage.c */
struct usage_input {
	const char *metric;
	int64_t quantity;
	const char *idempotency_key; /* may be NULL */
};
struct usage_answer {
	struct usage_row record;
	bool replayed; /* idempotent repeat: the first answer */
};
enum status svc_usage_record(struct svc_ctx *c, const char *org_id, const struct usage_input *in,
			     struct usage_answer *out);
/* One event of POST /usage/events and, after svc_usage_record_bulk, its
 * outcome: ST_OK (a new record, or a replay), ST_QUOTA_EXCEEDED (used and
 * limit of the period), ST_NOT_FOUND (no such organization),
 * ST_VALIDATION_FAILED (errors), ST_IDEMPOTENCY_KEY_REUSED, or the failure
 * of its organization's transaction (ST_UNAVAILABLE ...). */
struct usage_event {
	const char *org_id;
	struct usage_input in;
	enum status st;
	struct usage_answer answer; /* ST_OK */
	int64_t used, limit; /* ST_QUOTA_EXCEEDED; limit -1: none */
	struct field_errors errors; /* ST_VALIDATION_FAILED; the api layer may fill it */
};
#define USAGE_BULK_MAX 1000
/* Decide every event alone, in order, with the rules of svc_usage_record:
 * one transaction per organization (its events in their order), not one
 * per event. Events already carrying errors are refused as they are.
 * ST_OK when at least one organization's transaction ran; otherwise the
 * failure that stopped them (every event then carries it too). */
enum status svc_usage_record_bulk(struct svc_ctx *c, struct usage_event *ev, int n);
enum status svc_usage_history(struct svc_ctx *c, const char *org_id, const char *metric,
			      int64_t from, int64_t to, struct usage_day **days, int *n,
			      int64_t *total);
/* Seats check after a membership insert: ST_QUOTA_EXCEEDED (c->err.quota
 * filled) when members exceed the "seats" limit. */
enum status billing_check_seats(struct svc_ctx *c, struct db *d, const char *org_id);

#endif
