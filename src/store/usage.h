/*
 * usage.h: SQL for usage records and per-period counters. Quota enforcement
 * is store_usage_counter_add: one conditional UPDATE that only succeeds when
 * the new total stays within the limit, run in the same transaction as the
 * record insert. Row locks (PostgreSQL) or the write lock (SQLite) make it
 * exact under any concurrency, across processes.
 */
#ifndef SAASD_STORE_USAGE_H
#define SAASD_STORE_USAGE_H

#include <stdbool.h>

#include "store.h"

struct usage_row {
	char *id;
	char *tenant_id;
	char *organization_id;
	char *metric;
	int64_t quantity;
	char *idempotency_key; /* may be NULL */
	int64_t period_start;
	int64_t period_end;
	int64_t used_after;
	int64_t limit_value; /* -1: unlimited */
	int64_t created_at;
};

struct usage_day {
	int64_t day_start; /* epoch ms of 00:00 UTC */
	int64_t quantity;
};

/* ST_CONFLICT when the idempotency key was used already. */
enum status store_usage_insert(struct db *d, struct arena *a, const struct usage_row *u);
/* The insert of store_usage_insert that, for a taken idempotency key, does
 * nothing (*inserted false) instead of failing: the transaction goes on. */
enum status store_usage_insert_new(struct db *d, struct arena *a, const struct usage_row *u,
				   bool *inserted);
enum status store_usage_by_key(struct db *d, struct arena *a, const char *tenant_id,
			       const char *org_id, const char *key, struct usage_row *out);
/* Make sure the counter row exists (used = 0). */
enum status store_usage_counter_ensure(struct db *d, struct arena *a, const char *tenant_id,
				       const char *org_id, const char *metric,
				       int64_t period_start);
/* used += quantity when used + quantity <= limit (limit < 0: unlimited).
 * ST_QUOTA_EXCEEDED when it would pass the limit; *used_after otherwise. */
enum status store_usage_counter_add(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *metric, int64_t period_start,
				    int64_t quantity, int64_t limit, int64_t *used_after);
/* Mark the counter as having refused a request; *first is true only for the
 * first refusal of the period (to announce usage.quota_exceeded once). */
enum status store_usage_counter_mark_exceeded(struct db *d, struct arena *a, const char *tenant_id,
					      const char *org_id, const char *metric,
					      int64_t period_start, int64_t now_ms, bool *first);
/* Current counter value (0 when absent). */
enum status store_usage_counter_get(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *metric, int64_t period_start,
				    int64_t *used);
/* Per-day totals of a metric in [from, to). */
enum status store_usage_series(struct db *d, struct arena *a, const char *tenant_id,
			       const char *org_id, const char *metric, int64_t from, int64_t to,
			       struct usage_day **days, int *n);

#endif
