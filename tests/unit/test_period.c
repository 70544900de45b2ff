/*
 * test_period.c: unit tests for src/svc/period.c, the billing-period
 * arithmetic. Pins down month ends (Jan 31 + 1 = Feb 28, or Feb 29 in a leap
 * year), the anchor day surviving short months, year rollover, year
 * intervals (+12), dates before 1970, the time of day kept, and which period
 * contains "now" (read from an injected fake clock) at and around a boundary.
 * Seeded properties (SAASD_TEST_SEED; the seed is printed on failure).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "timekit.h"
#include "core/clock.h"
#include "svc/period.h"

/* CHECK_STR of formatted instants, reporting the caller's line. */
static void expect_at(int line, int64_t got, const char *want)
{
	char g[RFC3339_LEN], w[RFC3339_LEN];
	clock_format_rfc3339(got, g);
	clock_format_rfc3339(at(want), w);
	check_count++;
	if (strcmp(g, w) != 0) {
		check_failures++;
		fprintf(stderr, "%s:%d: got %s, want %s\n", __FILE__, line, g, w);
	}
}
#define EXPECT_AT(got, want) expect_at(__LINE__, (got), (want))
#define ADD(text, n) period_add_months(at(text), (n))

TEST(test_period_add_months_clamps_jan31_to_the_end_of_february)
{
	EXPECT_AT(ADD("2027-01-31T00:00:00Z", 1), "2027-02-28T00:00:00Z");
	EXPECT_AT(ADD("2028-01-31T00:00:00Z", 1), "2028-02-29T00:00:00Z"); /* leap year */
	EXPECT_AT(ADD("2100-01-31T00:00:00Z", 1), "2100-02-28T00:00:00Z"); /* not leap */
	EXPECT_AT(ADD("2000-01-31T00:00:00Z", 1), "2000-02-29T00:00:00Z"); /* leap (400) */
	EXPECT_AT(ADD("2027-01-29T00:00:00Z", 1), "2027-02-28T00:00:00Z");
	EXPECT_AT(ADD("2027-01-28T00:00:00Z", 1), "2027-02-28T00:00:00Z");
}

TEST(test_period_add_months_clamps_to_30_day_months)
{
	EXPECT_AT(ADD("2027-03-31T00:00:00Z", 1), "2027-04-30T00:00:00Z");
	EXPECT_AT(ADD("2027-05-31T00:00:00Z", 1), "2027-06-30T00:00:00Z");
	EXPECT_AT(ADD("2027-08-31T00:00:00Z", 1), "2027-09-30T00:00:00Z");
	EXPECT_AT(ADD("2027-10-31T00:00:00Z", 1), "2027-11-30T00:00:00Z");
	EXPECT_AT(ADD("2027-07-31T00:00:00Z", 1), "2027-08-31T00:00:00Z"); /* 31 -> 31 */
}

TEST(test_period_add_months_counts_from_the_anchor_so_the_day_never_drifts)
{
	int64_t jan31 = at("2027-01-31T00:00:00Z");
	EXPECT_AT(period_add_months(jan31, 2), "2027-03-31T00:00:00Z");
	EXPECT_AT(period_add_months(jan31, 3), "2027-04-30T00:00:00Z");
	EXPECT_AT(period_add_months(jan31, 4), "2027-05-31T00:00:00Z");
	EXPECT_AT(period_add_months(jan31, 13), "2028-02-29T00:00:00Z");
	/* chaining single months would drift to the 28th: that is why periods
	 * are counted from the anchor */
	EXPECT_AT(period_add_months(period_add_months(jan31, 1), 1), "2027-03-28T00:00:00Z");
	EXPECT_AT(period_add_months(jan31, 0), "2027-01-31T00:00:00Z");
}

TEST(test_period_add_months_rolls_december_into_january_of_the_next_year)
{
	EXPECT_AT(ADD("2026-12-15T08:00:00Z", 1), "2027-01-15T08:00:00Z");
	EXPECT_AT(ADD("2026-12-31T00:00:00Z", 1), "2027-01-31T00:00:00Z");
	EXPECT_AT(ADD("2026-12-31T00:00:00Z", 2), "2027-02-28T00:00:00Z");
	EXPECT_AT(ADD("2026-11-30T00:00:00Z", 3), "2027-02-28T00:00:00Z");
	EXPECT_AT(ADD("2026-12-01T00:00:00Z", 25), "2029-01-01T00:00:00Z");
}

TEST(test_period_add_months_twelve_is_one_year_and_feb29_becomes_feb28)
{
	EXPECT_AT(ADD("2027-01-31T00:00:00Z", 12), "2028-01-31T00:00:00Z");
	EXPECT_AT(ADD("2027-06-15T12:00:00Z", 12), "2028-06-15T12:00:00Z");
	EXPECT_AT(ADD("2028-02-29T00:00:00Z", 12), "2029-02-28T00:00:00Z");
	EXPECT_AT(ADD("2028-02-29T00:00:00Z", 24), "2030-02-28T00:00:00Z");
	EXPECT_AT(ADD("2028-02-29T00:00:00Z", 48),
		  "2032-02-29T00:00:00Z"); /* the anchor day again */
	EXPECT_AT(ADD("2096-02-29T00:00:00Z", 48), "2100-02-28T00:00:00Z");
	EXPECT_AT(ADD("2027-02-28T00:00:00Z", 12),
		  "2028-02-28T00:00:00Z"); /* not pushed to the 29th */
}

TEST(test_period_add_months_keeps_the_time_of_day_to_the_millisecond)
{
	EXPECT_AT(ADD("2027-01-31T13:45:07.123Z", 1), "2027-02-28T13:45:07.123Z");
	EXPECT_AT(ADD("2027-01-31T23:59:59.999Z", 1), "2027-02-28T23:59:59.999Z");
	EXPECT_AT(ADD("2027-03-31T00:00:00.001Z", 12), "2028-03-31T00:00:00.001Z");
	EXPECT_AT(ADD("2028-02-29T18:30:00Z", 12), "2029-02-28T18:30:00Z");
}

TEST(test_period_add_months_negative_months_and_dates_before_1970)
{
	EXPECT_AT(ADD("2027-03-31T10:00:00Z", -1), "2027-02-28T10:00:00Z");
	EXPECT_AT(ADD("2027-01-15T00:00:00Z", -1), "2026-12-15T00:00:00Z");
	EXPECT_AT(ADD("2029-02-28T00:00:00Z", -12), "2028-02-28T00:00:00Z");
	EXPECT_AT(ADD("2028-02-29T00:00:00Z", -12), "2027-02-28T00:00:00Z");
	/* before the epoch: day arithmetic must floor, not truncate */
	EXPECT_AT(ADD("1969-12-31T23:59:59.999Z", 1), "1970-01-31T23:59:59.999Z");
	EXPECT_AT(ADD("1969-01-31T06:00:00Z", 1), "1969-02-28T06:00:00Z");
	EXPECT_AT(ADD("1968-01-31T06:00:00Z", 1), "1968-02-29T06:00:00Z");
	EXPECT_AT(ADD("1969-01-31T00:00:00Z", 13), "1970-02-28T00:00:00Z");
	EXPECT_AT(ADD("1900-01-31T00:00:00Z", 1), "1900-02-28T00:00:00Z"); /* 1900: not leap */
	EXPECT_AT(ADD("1970-01-01T00:00:00Z", -1), "1969-12-01T00:00:00Z");
	EXPECT_AT(ADD("1970-03-31T00:00:00.500Z", -13), "1969-02-28T00:00:00.500Z");
	CHECK(period_add_months(-1, 0) == -1);
	CHECK(period_add_months(0, 0) == 0);
}

/* xorshift64*: deterministic, seedable. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}
static uint64_t rng_seed(uint64_t fallback)
{
	const char *env = getenv("SAASD_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : fallback;
	rng_state = seed ? seed : 1;
	return seed;
}
static int64_t rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static void civil(int64_t ms, int64_t *y, int64_t *m, int64_t *d, int64_t *tod)
{
	int64_t days = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
	*tod = ms - days * DAY_MS;
	clock_civil_from_days(days, y, m, d);
}

TEST(test_period_add_months_property_calendar_month_day_clamped_time_kept)
{
	uint64_t seed = rng_seed(0x9E210Dull);
	const int64_t lo = at("1900-01-01T00:00:00Z"), hi = at("2200-12-31T23:59:59.999Z");
	int failures = 0;
	for (int i = 0; i < 5000; i++) {
		int64_t anchor = rng_range(lo, hi);
		int months = (int)rng_range(-240, 240);
		int64_t got = period_add_months(anchor, months);
		int64_t y, m, d, tod, gy, gm, gd, gtod;
		civil(anchor, &y, &m, &d, &tod);
		civil(got, &gy, &gm, &gd, &gtod);
		int64_t total = y * 12 + (m - 1) + months;
		int64_t wy = total >= 0 ? total / 12 : -((-total + 11) / 12);
		int64_t wm = total - wy * 12 + 1;
		int64_t dim = clock_days_in_month(wy, wm);
		int64_t wd = d < dim ? d : dim;
		bool ok = gy == wy && gm == wm && gd == wd && gtod == tod;
		/* a day every month has survives the round trip exactly */
		if (ok && d <= 28)
			ok = period_add_months(got, -months) == anchor;
		/* more months never give an earlier instant */
		if (ok)
			ok = period_add_months(anchor, months + 1) > got;
		if (!ok && failures++ == 0)
			fprintf(stderr, "  seed %llu case %d: anchor %lld + %d months -> %lld\n",
				(unsigned long long)seed, i, (long long)anchor, months,
				(long long)got);
	}
	CHECK(failures == 0);
}

TEST(test_period_containing_at_the_anchor_is_the_first_period)
{
	struct clock fc = clock_fake(at("2027-01-31T10:00:00Z"));
	int64_t s = 0, e = 0;
	period_containing(at("2027-01-31T10:00:00Z"), 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-01-31T10:00:00Z");
	EXPECT_AT(e, "2027-02-28T10:00:00Z");
}

TEST(test_period_containing_the_exact_boundary_belongs_to_the_next_period)
{
	int64_t anchor = at("2027-01-31T10:00:00Z");
	struct clock fc = clock_fake(at("2027-02-28T09:59:59.999Z"));
	int64_t s = 0, e = 0;
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-01-31T10:00:00Z"); /* one millisecond before: still the first */
	EXPECT_AT(e, "2027-02-28T10:00:00Z");
	fc.fixed_ms += 1; /* the boundary itself: [start, end) */
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-02-28T10:00:00Z");
	EXPECT_AT(e, "2027-03-31T10:00:00Z"); /* back to the anchor day */
	fc.fixed_ms = at("2027-03-31T10:00:00Z");
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-03-31T10:00:00Z");
	EXPECT_AT(e, "2027-04-30T10:00:00Z");
	fc.fixed_ms = at("2027-04-30T09:59:59.999Z");
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-03-31T10:00:00Z");
	EXPECT_AT(e, "2027-04-30T10:00:00Z");
}

TEST(test_period_containing_far_in_the_future_is_exact)
{
	int64_t anchor = at("2027-01-31T10:00:00Z"), s = 0, e = 0;
	struct clock fc = clock_fake(at("2500-06-15T00:00:00Z"));
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2500-05-31T10:00:00Z");
	EXPECT_AT(e, "2500-06-30T10:00:00Z");
	/* on the boundary, centuries later */
	fc.fixed_ms = at("2500-06-30T10:00:00Z");
	period_containing(anchor, 1, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2500-06-30T10:00:00Z");
	EXPECT_AT(e, "2500-07-31T10:00:00Z");
	fc.fixed_ms = at("9999-12-31T23:59:59.999Z");
	period_containing(anchor, 12, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "9999-01-31T10:00:00Z");
	CHECK(e == period_add_months(anchor, (9999 - 2027 + 1) * 12)); /* year 10000 */
	CHECK(e - s == 365 * DAY_MS); /* 9999-01-31 .. 10000-01-31: Feb 9999 has 28 days */
}

TEST(test_period_containing_year_interval_from_a_leap_day)
{
	int64_t anchor = at("2028-02-29T00:00:00Z"), s = 0, e = 0;
	struct clock fc = clock_fake(at("2028-12-31T23:59:59Z"));
	period_containing(anchor, 12, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2028-02-29T00:00:00Z");
	EXPECT_AT(e, "2029-02-28T00:00:00Z");
	fc.fixed_ms = at("2029-02-28T00:00:00Z");
	period_containing(anchor, 12, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2029-02-28T00:00:00Z");
	EXPECT_AT(e, "2030-02-28T00:00:00Z");
	fc.fixed_ms = at("2032-03-01T00:00:00Z");
	period_containing(anchor, 12, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2032-02-29T00:00:00Z"); /* the leap day comes back */
	EXPECT_AT(e, "2033-02-28T00:00:00Z");
}

TEST(test_period_containing_treats_a_nonpositive_interval_as_one_month)
{
	int64_t anchor = at("2027-01-31T00:00:00Z"), s = 0, e = 0;
	struct clock fc = clock_fake(at("2027-03-05T00:00:00Z"));
	period_containing(anchor, 0, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-02-28T00:00:00Z");
	EXPECT_AT(e, "2027-03-31T00:00:00Z");
	period_containing(anchor, -3, clock_now(&fc), &s, &e);
	EXPECT_AT(s, "2027-02-28T00:00:00Z");
}

TEST(test_period_containing_property_now_in_start_end_and_both_on_the_anchor_grid)
{
	uint64_t seed = rng_seed(0x9E21C0ull);
	const int64_t lo = at("1950-01-01T00:00:00Z"), hi = at("2150-01-01T00:00:00Z");
	int failures = 0;
	struct clock fc = clock_fake(0);
	for (int i = 0; i < 3000; i++) {
		int64_t anchor = rng_range(lo, hi);
		int months = (rng_next() & 1) ? 12 : 1;
		/* mostly arbitrary instants; every fourth exactly on a boundary */
		int k = (int)rng_range(0, 600 / months);
		fc.fixed_ms = (i % 4 == 0) ? period_add_months(anchor, k * months)
					   : anchor + rng_range(0, 200LL * 366 * DAY_MS);
		int64_t now = clock_now(&fc), s = 0, e = 0;
		period_containing(anchor, months, now, &s, &e);
		bool ok = s <= now && now < e;
		/* s and e are consecutive points of anchor + n*months */
		int64_t n = 0;
		while (ok && period_add_months(anchor, (int)((n + 1) * months)) <= s)
			n++;
		ok = ok && period_add_months(anchor, (int)(n * months)) == s &&
		     period_add_months(anchor, (int)((n + 1) * months)) == e;
		if (ok && i % 4 == 0)
			ok = s == now; /* a boundary starts its period */
		if (!ok && failures++ == 0)
			fprintf(stderr,
				"  seed %llu case %d: anchor %lld months %d now %lld -> [%lld, "
				"%lld)\n",
				(unsigned long long)seed, i, (long long)anchor, months,
				(long long)now, (long long)s, (long long)e);
	}
	CHECK(failures == 0);
}

TEST(test_period_month_start_is_the_first_instant_of_the_utc_month)
{
	struct clock fc = clock_fake(at("2027-02-28T23:59:59.999Z"));
	EXPECT_AT(period_month_start(clock_now(&fc)), "2027-02-01T00:00:00Z");
	fc.fixed_ms += 1;
	EXPECT_AT(period_month_start(clock_now(&fc)), "2027-03-01T00:00:00Z"); /* itself */
	EXPECT_AT(period_month_start(at("2028-02-29T12:00:00Z")), "2028-02-01T00:00:00Z");
	EXPECT_AT(period_month_start(at("2026-12-31T23:59:59.999Z")), "2026-12-01T00:00:00Z");
	EXPECT_AT(period_month_start(at("2027-01-01T00:00:00Z")), "2027-01-01T00:00:00Z");
	CHECK(period_month_start(0) == 0);
	EXPECT_AT(period_month_start(-1), "1969-12-01T00:00:00Z");
	EXPECT_AT(period_month_start(at("1969-03-15T01:02:03Z")), "1969-03-01T00:00:00Z");
	/* the default-tier period: this month to the next */
	fc.fixed_ms = at("2027-01-31T18:00:00Z");
	int64_t start = period_month_start(clock_now(&fc));
	EXPECT_AT(period_add_months(start, 1), "2027-02-01T00:00:00Z");
}

int main(void)
{
	RUN(test_period_add_months_clamps_jan31_to_the_end_of_february);
	RUN(test_period_add_months_clamps_to_30_day_months);
	RUN(test_period_add_months_counts_from_the_anchor_so_the_day_never_drifts);
	RUN(test_period_add_months_rolls_december_into_january_of_the_next_year);
	RUN(test_period_add_months_twelve_is_one_year_and_feb29_becomes_feb28);
	RUN(test_period_add_months_keeps_the_time_of_day_to_the_millisecond);
	RUN(test_period_add_months_negative_months_and_dates_before_1970);
	RUN(test_period_add_months_property_calendar_month_day_clamped_time_kept);
	RUN(test_period_containing_at_the_anchor_is_the_first_period);
	RUN(test_period_containing_the_exact_boundary_belongs_to_the_next_period);
	RUN(test_period_containing_far_in_the_future_is_exact);
	RUN(test_period_containing_year_interval_from_a_leap_day);
	RUN(test_period_containing_treats_a_nonpositive_interval_as_one_month);
	RUN(test_period_containing_property_now_in_start_end_and_both_on_the_anchor_grid);
	RUN(test_period_month_start_is_the_first_instant_of_the_utc_month);
	return check_done("period");
}
