/*
 * billing.h: SQL for tiers and subscriptions. Every query filters on
 * tenant_id. Tier features and limits are stored as newline-separated text
 * (see 006_billing.sql); the service parses them.
 */
#ifndef SAASD_STORE_BILLING_H
#define SAASD_STORE_BILLING_H

#include <stdbool.h>

#include "store.h"

struct tier_row {
	char *id;
	char *tenant_id;
	char *key;
	char *name;
	int64_t price_cents;
	char *interval; /* month | year */
	char *features; /* JSON text: ["name", ...] (svc/tiers.c reads it) */
	char *limits; /* JSON text: {"metric": N | null}, null is unlimited */
	int64_t trial_days;
	bool archived;
	int64_t created_at;
	int64_t updated_at;
};

struct subscription_row {
	char *id;
	char *tenant_id;
	char *organization_id;
	char *tier_key;
	char *status; /* trialing | active | past_due | canceled */
	int64_t anchor_at;
	int64_t current_period_start;
	int64_t current_period_end;
	int64_t trial_end; /* 0 when none */
	bool cancel_at_period_end;
	int64_t canceled_at; /* 0 when not canceled */
	/* the last payment state the backend reported was past_due; kept when
	 * the subscription is canceled, so the next one starts past_due */
	bool payment_past_due;
	int64_t created_at;
	int64_t updated_at;
};

/* ST_CONFLICT when the key exists in the tenant. */
enum status store_tier_insert(struct db *d, struct arena *a, const struct tier_row *t);
enum status store_tier_get(struct db *d, struct arena *a, const char *tenant_id, const char *key,
			   struct tier_row *out);
enum status store_tier_update(struct db *d, struct arena *a, const struct tier_row *t);
/* All tiers (archived too), by key, after the tier whose id is `after`. */
enum status store_tier_list(struct db *d, struct arena *a, const char *tenant_id, const char *after,
			    int limit, struct tier_row **rows, int *n);

enum status store_subscription_get(struct db *d, struct arena *a, const char *tenant_id,
				   const char *org_id, struct subscription_row *out);
/* Insert, or replace a canceled one (one row per organization). */
enum status store_subscription_put(struct db *d, struct arena *a, const struct subscription_row *s);
enum status store_subscription_update(struct db *d, struct arena *a,
				      const struct subscription_row *s);
/* Like update, but only while the row still has prev_status and
 * prev_period_end: of two requests rolling one period forward, one wins
 * (*won) and announces it. */
enum status store_subscription_advance(struct db *d, struct arena *a,
				       const struct subscription_row *s, const char *prev_status,
				       int64_t prev_period_end, bool *won);

#endif
