/*
 * subscription_start.c: the status and first period of a new subscription,
 * given the organization's previous (canceled) one. Pure: no store, no
 * clock. It must never hand out a second trial, nor a fresh period (and so
 * a fresh quota) to an organization that cancels and subscribes again
 * inside a period it already had, nor clear a debt by canceling.
 */
#include "billing.h"
#include "period.h"

#define DAY_MS 86400000LL

/* The payment state carries over: a previous subscription that ended
 * past_due left an unpaid debt (as Stripe keeps the customer's open
 * invoice), so the new one is past_due until the backend reports it paid. */
static void carry_payment_state(struct subscription_row *s, const struct subscription_row *prev)
{
	s->payment_past_due = prev != NULL && prev->payment_past_due;
	if (s->payment_past_due)
		s->status = "past_due";
}

static void start_periods(struct subscription_row *s, const struct subscription_row *prev,
			  const struct tier_row *t, int64_t now)
{
	s->trial_end = 0;
	if (prev == NULL && t->trial_days > 0) {
		/* a trial is for an organization's first subscription only */
		s->status = "trialing";
		s->current_period_start = s->anchor_at = now;
		s->trial_end = s->current_period_end = now + t->trial_days * DAY_MS;
		return;
	}
	s->status = "active";
	if (prev != NULL && now < prev->current_period_end && now >= prev->trial_end) {
		/* Canceled inside a paid period: it goes on as if the old
		 * subscription had only changed tier (PATCH), so the usage
		 * counters keyed by its start still count. The period stands
		 * even if the new tier's interval differs; roll_forward moves
		 * to that interval at its end, as after a tier change. */
		s->anchor_at = prev->anchor_at;
		s->current_period_start = prev->current_period_start;
		s->current_period_end = prev->current_period_end;
		return;
	}
	/* First subscription without a trial, the previous period over, or
	 * canceled during the trial (the rest of the trial is not given back:
	 * paid periods start now, as they would have at the trial's end) */
	s->current_period_start = s->anchor_at = now;
	s->current_period_end = period_add_months(now, tier_interval_months(t));
}

void subscription_start(struct subscription_row *s, const struct subscription_row *prev,
			const struct tier_row *t, int64_t now)
{
	start_periods(s, prev, t, now);
	carry_payment_state(s, prev);
}
