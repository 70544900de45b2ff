/*
 * test_clock.c: unit tests for src/core/clock.c. Pins down RFC 3339
 * formatting of known instants (epoch, leap days, before 1970), parsing and
 * its round trip (a seeded property, seed printed on failure), refusal of
 * impossible dates and malformed strings, and the fake clock.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seeded.h"
#include "core/clock.h"

static const struct {
	int64_t ms;
	const char *text;
} known[] = {
	{0, "1970-01-01T00:00:00.000Z"},
	{1, "1970-01-01T00:00:00.001Z"},
	{999, "1970-01-01T00:00:00.999Z"},
	{86399999, "1970-01-01T23:59:59.999Z"},
	{86400000, "1970-01-02T00:00:00.000Z"},
	{951825600000, "2000-02-29T12:00:00.000Z"},
	{951868800000, "2000-03-01T00:00:00.000Z"},
	{1709164800000, "2024-02-29T00:00:00.000Z"},
	{1709251199999, "2024-02-29T23:59:59.999Z"},
	{1709251200000, "2024-03-01T00:00:00.000Z"},
	{1795713913123, "2026-11-26T17:25:13.123Z"},
	{4107456000000, "2100-02-28T00:00:00.000Z"},
	{4107542400000, "2100-03-01T00:00:00.000Z"}, /* 2100 is not a leap year */
	{-1, "1969-12-31T23:59:59.999Z"},
	{-1000, "1969-12-31T23:59:59.000Z"},
	{-1001, "1969-12-31T23:59:58.999Z"},
	{-86400000, "1969-12-31T00:00:00.000Z"},
	{-62135596800000, "0001-01-01T00:00:00.000Z"},
	{-62167219200000, "0000-01-01T00:00:00.000Z"},
	{253402300799999, "9999-12-31T23:59:59.999Z"},
};
#define NKNOWN (sizeof known / sizeof known[0])

TEST(test_clock_format_known_instants)
{
	for (size_t i = 0; i < NKNOWN; i++) {
		char out[RFC3339_LEN];
		memset(out, '#', sizeof out);
		clock_format_rfc3339(known[i].ms, out);
		CHECK_STR(out, known[i].text);
	}
}

TEST(test_clock_format_is_always_24_chars_even_out_of_range)
{
	const int64_t odd[] = {253402300800000 /* year 10000 */, -62167219200001 /* year -1 */,
			       INT64_MAX, INT64_MIN, INT64_MIN + 1};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		char out[RFC3339_LEN + 8];
		memset(out, '#', sizeof out);
		clock_format_rfc3339(odd[i], out);
		CHECK(strlen(out) == RFC3339_LEN - 1);
		CHECK(out[RFC3339_LEN] == '#'); /* nothing written past the buffer */
		int64_t back;
		CHECK(clock_parse_rfc3339(out, &back));
	}
}

TEST(test_clock_parse_known_instants)
{
	for (size_t i = 0; i < NKNOWN; i++) {
		int64_t ms = -42;
		CHECK(clock_parse_rfc3339(known[i].text, &ms));
		CHECK(ms == known[i].ms);
	}
}

TEST(test_clock_format_then_parse_round_trips)
{
	uint64_t seed = seeded_start(0xC10C4ull);
	const int64_t lo = -62167219200000, hi = 253402300799999; /* years 0000..9999 */
	int failures = 0;
	for (int i = 0; i < 5000; i++) {
		int64_t ms = lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
		char out[RFC3339_LEN];
		clock_format_rfc3339(ms, out);
		int64_t back = 0;
		if ((!clock_parse_rfc3339(out, &back) || back != ms) && failures++ == 0)
			fprintf(stderr, "  seed %llu case %d: %lld -> %s -> %lld\n",
				(unsigned long long)seed, i, (long long)ms, out, (long long)back);
	}
	CHECK(failures == 0);
}

TEST(test_clock_parse_bare_date_is_midnight_utc)
{
	int64_t ms = -1;
	CHECK(clock_parse_rfc3339("2024-02-29", &ms));
	CHECK(ms == 1709164800000);
	CHECK(clock_parse_rfc3339("1970-01-01", &ms));
	CHECK(ms == 0);
}

TEST(test_clock_parse_optional_and_short_fractions)
{
	int64_t ms = -1;
	CHECK(clock_parse_rfc3339("2026-11-26T17:25:13Z", &ms));
	CHECK(ms == 1795713913000);
	CHECK(clock_parse_rfc3339("2026-11-26T17:25:13.1Z", &ms));
	CHECK(ms == 1795713913100);
	CHECK(clock_parse_rfc3339("2026-11-26T17:25:13.12Z", &ms));
	CHECK(ms == 1795713913120);
	/* more than millisecond precision is truncated, not rounded */
	CHECK(clock_parse_rfc3339("2026-11-26T17:25:13.123999Z", &ms));
	CHECK(ms == 1795713913123);
}

TEST(test_clock_parse_accepts_lowercase_t_and_z)
{
	int64_t ms = -1;
	CHECK(clock_parse_rfc3339("2026-11-26t17:25:13.123z", &ms));
	CHECK(ms == 1795713913123);
}

TEST(test_clock_parse_refuses_impossible_dates)
{
	int64_t ms = 7;
	CHECK(!clock_parse_rfc3339("2023-02-29", &ms));
	CHECK(!clock_parse_rfc3339("2023-02-29T00:00:00Z", &ms));
	CHECK(!clock_parse_rfc3339("1900-02-29", &ms)); /* century, not leap */
	CHECK(!clock_parse_rfc3339("2100-02-29", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-30", &ms));
	CHECK(!clock_parse_rfc3339("2024-04-31", &ms));
	CHECK(!clock_parse_rfc3339("2024-06-31", &ms));
	CHECK(!clock_parse_rfc3339("2024-09-31", &ms));
	CHECK(!clock_parse_rfc3339("2024-11-31", &ms));
	CHECK(!clock_parse_rfc3339("2024-01-32", &ms));
	CHECK(!clock_parse_rfc3339("2024-01-00", &ms));
	CHECK(!clock_parse_rfc3339("2024-00-10", &ms));
	CHECK(!clock_parse_rfc3339("2024-13-01", &ms));
	CHECK(!clock_parse_rfc3339("2024-99-01", &ms));
	CHECK(ms == 7); /* out untouched on failure */
	/* while the real leap days parse */
	CHECK(clock_parse_rfc3339("2000-02-29", &ms));
	CHECK(clock_parse_rfc3339("2024-02-29", &ms));
	CHECK(clock_parse_rfc3339("2024-12-31", &ms));
}

TEST(test_clock_parse_refuses_impossible_times)
{
	int64_t ms;
	CHECK(!clock_parse_rfc3339("2024-01-01T24:00:00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-01-01T23:60:00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-01-01T23:59:60Z", &ms)); /* no leap seconds */
	CHECK(!clock_parse_rfc3339("2024-01-01T99:00:00Z", &ms));
	CHECK(clock_parse_rfc3339("2024-01-01T23:59:59Z", &ms));
}

TEST(test_clock_parse_refuses_bad_separators)
{
	int64_t ms;
	CHECK(!clock_parse_rfc3339("2024/02/29", &ms));
	CHECK(!clock_parse_rfc3339("2024-02/29", &ms));
	CHECK(!clock_parse_rfc3339("20240229", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29 12:00:00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29_12:00:00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12-00-00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00-00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00,123Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-2-29", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-9", &ms));
	CHECK(!clock_parse_rfc3339("24-02-29", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T1:00:00Z", &ms));
}

TEST(test_clock_parse_refuses_missing_zone_offsets_and_trailing_junk)
{
	int64_t ms;
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00.123", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00+00:00", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00-05:00", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00Zjunk", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00ZZ", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00.123Z ", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00.Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00:00.12aZ", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29x", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29T12:00Z", &ms));
	CHECK(!clock_parse_rfc3339("2024-02-29 ", &ms));
}

TEST(test_clock_parse_refuses_short_signed_or_empty_input)
{
	int64_t ms;
	CHECK(!clock_parse_rfc3339("", &ms));
	CHECK(!clock_parse_rfc3339("2024", &ms));
	CHECK(!clock_parse_rfc3339("2024-02", &ms));
	CHECK(!clock_parse_rfc3339("+024-02-29", &ms));
	CHECK(!clock_parse_rfc3339("-024-02-29", &ms));
	CHECK(!clock_parse_rfc3339(" 2024-02-29", &ms));
	CHECK(!clock_parse_rfc3339("yesterday!", &ms));
	CHECK(!clock_parse_rfc3339("1795713913123", &ms));
}

TEST(test_clock_fake_reads_fixed_ms_and_moves_by_hand)
{
	struct clock c = clock_fake(1795713913123);
	CHECK(clock_now(&c) == 1795713913123);
	CHECK(clock_now(&c) == 1795713913123); /* does not tick by itself */
	c.fixed_ms += 2000;
	CHECK(clock_now(&c) == 1795713915123);
	c.fixed_ms = 0;
	CHECK(clock_now(&c) == 0);
}

TEST(test_clock_offset_is_real_time_plus_an_offset_that_only_grows)
{
	CHECK(clock_offset_ms() == 0);
	int64_t before = clock_now(&clock_system);
	CHECK(clock_now(&clock_offset) >= before);
	CHECK(clock_offset_advance(3600 * 1000) == 3600 * 1000);
	CHECK(clock_offset_advance(-5000) == 3600 * 1000); /* never backwards */
	CHECK(clock_offset_advance(0) == 3600 * 1000);
	CHECK(clock_offset_advance(1000) == 3601 * 1000);
	int64_t moved = clock_now(&clock_offset), real = clock_now(&clock_system);
	CHECK(moved - real >= 3601 * 1000 - 5 && moved - real <= 3601 * 1000 + 5);
	CHECK(clock_now(&clock_system) < before + 60 * 1000); /* the real clock is untouched */
}

TEST(test_clock_system_clock_is_plausible_and_monotonic_never_goes_back)
{
	int64_t now = clock_now(&clock_system);
	CHECK(now > 1700000000000); /* after November 2023 */
	CHECK(now < 253402300799999);
	double m1 = clock_monotonic_ms();
	double m2 = clock_monotonic_ms();
	CHECK(m2 >= m1);
	CHECK(m1 > 0);
}

int main(void)
{
	RUN(test_clock_format_known_instants);
	RUN(test_clock_format_is_always_24_chars_even_out_of_range);
	RUN(test_clock_parse_known_instants);
	RUN(test_clock_format_then_parse_round_trips);
	RUN(test_clock_parse_bare_date_is_midnight_utc);
	RUN(test_clock_parse_optional_and_short_fractions);
	RUN(test_clock_parse_accepts_lowercase_t_and_z);
	RUN(test_clock_parse_refuses_impossible_dates);
	RUN(test_clock_parse_refuses_impossible_times);
	RUN(test_clock_parse_refuses_bad_separators);
	RUN(test_clock_parse_refuses_missing_zone_offsets_and_trailing_junk);
	RUN(test_clock_parse_refuses_short_signed_or_empty_input);
	RUN(test_clock_fake_reads_fixed_ms_and_moves_by_hand);
	RUN(test_clock_offset_is_real_time_plus_an_offset_that_only_grows);
	RUN(test_clock_system_clock_is_plausible_and_monotonic_never_goes_back);
	return check_done("clock");
}
