/*
 * test_subscription_start.c: unit tests for src/svc/subscription_start.c,
 * the status and first period of a new subscription. Pins down: a first
 * subscription gets the tier's trial (or one interval from now); a later one
 * never trials; subscribing again while the canceled one's paid period runs
 * keeps that period and anchor (whatever the new tier's interval), so its
 * usage counters still count; a period that is over, or a trial canceled
 * early, gives a paid period starting now; one after a subscription that
 * ended past_due starts past_due, whichever period it gets. Seeded property over random
 * previous subscriptions (SAASD_TEST_SEED; the seed is printed on failure).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "timekit.h"
#include "seeded.h"
#include "core/clock.h"
#include "svc/billing.h"
#include "svc/period.h"

static struct tier_row tier(const char *interval, int64_t trial_days)
{
	struct tier_row t;
	memset(&t, 0, sizeof t);
	t.key = "t";
	t.interval = (char *)interval;
	t.trial_days = trial_days;
	return t;
}

/* A canceled subscription: anchor, current period, trial end (0: none). */
static struct subscription_row canceled(int64_t anchor, int64_t start, int64_t end,
					int64_t trial_end)
{
	struct subscription_row p;
	memset(&p, 0, sizeof p);
	p.status = "canceled";
	p.anchor_at = anchor;
	p.current_period_start = start;
	p.current_period_end = end;
	p.trial_end = trial_end;
	return p;
}

/* A new row as create_in hands it over: zeroed. */
static struct subscription_row start(const struct subscription_row *prev, const struct tier_row *t,
				     int64_t now)
{
	struct subscription_row s;
	memset(&s, 0, sizeof s);
	subscription_start(&s, prev, t, now);
	return s;
}

TEST(test_subscription_start_first_without_trial_is_active_for_one_interval_from_now)
{
	int64_t now = at("2027-01-31T10:00:00Z");
	struct tier_row m = tier("month", 0), y = tier("year", 0);
	struct subscription_row s = start(NULL, &m, now);
	CHECK_STR(s.status, "active");
	CHECK(s.anchor_at == now && s.current_period_start == now);
	CHECK(s.current_period_end == at("2027-02-28T10:00:00Z"));
	CHECK(s.trial_end == 0);
	s = start(NULL, &y, now);
	CHECK(s.current_period_end == at("2028-01-31T10:00:00Z"));
}

TEST(test_subscription_start_first_with_trial_days_is_trialing_for_that_many_days)
{
	int64_t now = at("2027-01-31T10:00:00Z");
	struct tier_row t = tier("month", 14);
	struct subscription_row s = start(NULL, &t, now);
	CHECK_STR(s.status, "trialing");
	CHECK(s.anchor_at == now && s.current_period_start == now);
	CHECK(s.trial_end == now + 14 * DAY_MS && s.current_period_end == s.trial_end);
}

TEST(test_subscription_start_again_inside_the_paid_period_keeps_period_and_anchor_no_trial)
{
	int64_t anchor = at("2026-11-30T08:00:00Z");
	int64_t ps = at("2027-01-30T08:00:00Z"), pe = at("2027-02-28T08:00:00Z");
	struct subscription_row prev = canceled(anchor, ps, pe, 0);
	struct tier_row t = tier("month", 30);
	struct subscription_row s = start(&prev, &t, at("2027-02-10T00:00:00Z"));
	CHECK_STR(s.status, "active");
	CHECK(s.trial_end == 0);
	CHECK(s.anchor_at == anchor && s.current_period_start == ps && s.current_period_end == pe);
	/* one millisecond before the end: still that period */
	s = start(&prev, &t, pe - 1);
	CHECK(s.current_period_start == ps && s.current_period_end == pe);
}

TEST(test_subscription_start_again_keeps_the_period_even_for_another_interval)
{
	/* as a tier change would: the period stands, roll_forward moves to the
	 * new interval at its end; restarting on the new grid would reopen an
	 * older period (month -> year) or open an unused one (year -> month) */
	int64_t anchor = at("2027-01-15T00:00:00Z");
	int64_t ps = at("2027-03-15T00:00:00Z"), pe = at("2027-04-15T00:00:00Z");
	struct subscription_row prev = canceled(anchor, ps, pe, 0);
	struct tier_row y = tier("year", 0), m = tier("month", 0);
	struct subscription_row s = start(&prev, &y, at("2027-03-20T00:00:00Z"));
	CHECK(s.anchor_at == anchor && s.current_period_start == ps && s.current_period_end == pe);
	prev = canceled(anchor, anchor, at("2028-01-15T00:00:00Z"), 0);
	s = start(&prev, &m, at("2027-06-01T00:00:00Z"));
	CHECK(s.current_period_start == anchor &&
	      s.current_period_end == at("2028-01-15T00:00:00Z"));
}

TEST(test_subscription_start_again_after_the_period_ended_starts_fresh_without_trial)
{
	int64_t ps = at("2027-01-30T08:00:00Z"), pe = at("2027-02-28T08:00:00Z");
	struct subscription_row prev = canceled(ps, ps, pe, 0);
	struct tier_row t = tier("month", 7);
	struct subscription_row s = start(&prev, &t, pe); /* the boundary belongs to the next */
	CHECK_STR(s.status, "active");
	CHECK(s.trial_end == 0);
	CHECK(s.anchor_at == pe && s.current_period_start == pe);
	CHECK(s.current_period_end == at("2027-03-28T08:00:00Z"));
	int64_t later = at("2027-08-31T12:00:00Z");
	s = start(&prev, &t, later);
	CHECK(s.anchor_at == later && s.current_period_end == at("2027-09-30T12:00:00Z"));
}

TEST(test_subscription_start_again_during_a_canceled_trial_is_paid_from_now)
{
	int64_t ts = at("2027-01-01T00:00:00Z"), te = ts + 14 * DAY_MS;
	struct subscription_row prev = canceled(ts, ts, te, te);
	struct tier_row t = tier("month", 14);
	int64_t now = at("2027-01-05T00:00:00Z");
	struct subscription_row s = start(&prev, &t, now);
	CHECK_STR(s.status, "active");
	CHECK(s.trial_end == 0);
	CHECK(s.anchor_at == now && s.current_period_start == now);
	CHECK(s.current_period_end == at("2027-02-05T00:00:00Z"));
}

TEST(test_subscription_start_again_after_a_trial_rolled_to_paid_keeps_the_paid_period)
{
	int64_t te = at("2027-01-15T00:00:00Z"), pe = at("2027-02-15T00:00:00Z");
	struct subscription_row prev = canceled(te, te, pe, te); /* trial_end stays on the row */
	struct tier_row t = tier("month", 14);
	struct subscription_row s = start(&prev, &t, at("2027-01-20T00:00:00Z"));
	CHECK_STR(s.status, "active");
	CHECK(s.trial_end == 0);
	CHECK(s.anchor_at == te && s.current_period_start == te && s.current_period_end == pe);
}

TEST(test_subscription_start_after_one_that_ended_past_due_is_past_due_with_the_same_periods)
{
	int64_t ps = at("2027-01-30T08:00:00Z"), pe = at("2027-02-28T08:00:00Z");
	struct subscription_row prev = canceled(ps, ps, pe, 0);
	struct tier_row t = tier("month", 14);
	int64_t times[2] = {at("2027-02-10T00:00:00Z"), at("2027-05-01T00:00:00Z")};
	for (int i = 0; i < 2; i++) {
		prev.payment_past_due = false;
		struct subscription_row paid = start(&prev, &t, times[i]);
		CHECK_STR(paid.status, "active");
		CHECK(!paid.payment_past_due);
		prev.payment_past_due = true;
		struct subscription_row s = start(&prev, &t, times[i]);
		CHECK_STR(s.status, "past_due");
		CHECK(s.payment_past_due && s.trial_end == 0);
		CHECK(s.anchor_at == paid.anchor_at &&
		      s.current_period_start == paid.current_period_start &&
		      s.current_period_end == paid.current_period_end);
	}
	/* a first subscription has nothing to carry over */
	struct subscription_row first = start(NULL, &t, times[0]);
	CHECK_STR(first.status, "trialing");
	CHECK(!first.payment_past_due);
}

TEST(test_subscription_start_property_again_never_trials_and_never_restarts_a_running_period)
{
	uint64_t seed = seeded_start(0x5AB57A27ull);
	const int64_t lo = at("2000-01-01T00:00:00Z"), hi = at("2100-01-01T00:00:00Z");
	int failures = 0;
	for (int i = 0; i < 2000; i++) {
		/* a previous subscription with a period on its anchor's grid,
		 * a trial (its period) in one case of three, canceled at some
		 * instant of it, and a new one created then or later */
		int64_t anchor = rng_range(lo, hi);
		int pm = (rng_next() & 1) ? 12 : 1, k = (int)rng_range(0, 30);
		bool trial = rng_next() % 3 == 0;
		int64_t ps = trial ? anchor : period_add_months(anchor, k * pm);
		int64_t pe = trial ? anchor + rng_range(1, 730) * DAY_MS
				   : period_add_months(anchor, (k + 1) * pm);
		struct subscription_row prev = canceled(anchor, ps, pe, trial ? pe : 0);
		int64_t now = rng_range(ps, pe + 400 * DAY_MS);
		struct tier_row t = tier((rng_next() & 1) ? "year" : "month", rng_range(0, 3) * 7);
		struct subscription_row s = start(&prev, &t, now);
		bool ok = strcmp(s.status, "active") == 0 && s.trial_end == 0 &&
			  s.current_period_start <= now && now < s.current_period_end;
		if (ok && now < pe && !trial)
			ok = s.current_period_start == ps && s.current_period_end == pe &&
			     s.anchor_at == anchor;
		else if (ok)
			ok = s.current_period_start == now && s.anchor_at == now;
		if (!ok && failures++ == 0)
			fprintf(stderr,
				"  seed %llu case %d: period [%lld, %lld) trial %d now %lld\n",
				(unsigned long long)seed, i, (long long)ps, (long long)pe, trial,
				(long long)now);
	}
	CHECK(failures == 0);
}

int main(void)
{
	RUN(test_subscription_start_first_without_trial_is_active_for_one_interval_from_now);
	RUN(test_subscription_start_first_with_trial_days_is_trialing_for_that_many_days);
	RUN(test_subscription_start_again_inside_the_paid_period_keeps_period_and_anchor_no_trial);
	RUN(test_subscription_start_again_keeps_the_period_even_for_another_interval);
	RUN(test_subscription_start_again_after_the_period_ended_starts_fresh_without_trial);
	RUN(test_subscription_start_again_during_a_canceled_trial_is_paid_from_now);
	RUN(test_subscription_start_again_after_a_trial_rolled_to_paid_keeps_the_paid_period);
	RUN(test_subscription_start_after_one_that_ended_past_due_is_past_due_with_the_same_periods);
	RUN(test_subscription_start_property_again_never_trials_and_never_restarts_a_running_period);
	return check_done("subscription_start");
}
