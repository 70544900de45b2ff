/*
 * test_login_throttle.c: unit tests for login_throttle_wait_s (svc/auth.c),
 * the decision over failed-login counts. Pins down the three ceilings (10
 * per email and IP, 100 per IP, 1000 per email), that an email's own count
 * under its high ceiling does not lock its owner out, and that Retry-After
 * runs until the oldest failure of every scope over its limit leaves the
 * 15-minute window (at least 1 s).
 */
#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "svc/auth.h"

#define NOW (1000LL * 1000 * 1000 * 1000)
#define MIN_MS (60LL * 1000)

TEST(under_every_ceiling_is_allowed)
{
	struct login_failure_counts f = {0};
	CHECK(login_throttle_wait_s(&f, NOW) == 0);
	f.pair = LOGIN_FAILURE_LIMIT - 1;
	f.ip = LOGIN_FAILURE_LIMIT_IP - 1;
	f.email = LOGIN_FAILURE_LIMIT_EMAIL - 1;
	f.pair_oldest_ms = f.ip_oldest_ms = f.email_oldest_ms = NOW - MIN_MS;
	CHECK(login_throttle_wait_s(&f, NOW) == 0);
}

TEST(ceilings_are_10_per_email_and_ip_100_per_ip_1000_per_email)
{
	CHECK(LOGIN_FAILURE_LIMIT == 10);
	CHECK(LOGIN_FAILURE_LIMIT_IP == 100);
	CHECK(LOGIN_FAILURE_LIMIT_EMAIL == 1000);
	CHECK(LOGIN_FAILURE_WINDOW_MS == 15 * MIN_MS);
}

TEST(each_scope_over_its_ceiling_refuses_until_its_oldest_leaves)
{
	/* 10 for this email from this IP, oldest 5 minutes ago: 10 minutes left */
	struct login_failure_counts f = {.pair = 10,
					 .pair_oldest_ms = NOW - 5 * MIN_MS,
					 .ip = 10,
					 .ip_oldest_ms = NOW - 5 * MIN_MS,
					 .email = 10,
					 .email_oldest_ms = NOW - 5 * MIN_MS};
	CHECK(login_throttle_wait_s(&f, NOW) == 600);
	/* the IP sprayed 100 emails */
	struct login_failure_counts g = {.ip = 100, .ip_oldest_ms = NOW - 14 * MIN_MS, .email = 0};
	CHECK(login_throttle_wait_s(&g, NOW) == 60);
	/* the email failed 1000 times from many IPs */
	struct login_failure_counts h = {.email = 1000, .email_oldest_ms = NOW - MIN_MS};
	CHECK(login_throttle_wait_s(&h, NOW) == 840);
}

TEST(the_owner_from_another_ip_is_not_locked_out_by_one_attacker)
{
	/* the attacker's 15 failures count for the email, not for the owner's IP */
	struct login_failure_counts owner = {
		.pair = 0, .ip = 0, .email = 15, .email_oldest_ms = NOW - MIN_MS};
	CHECK(login_throttle_wait_s(&owner, NOW) == 0);
}

TEST(the_longest_wait_of_the_scopes_over_their_limit_wins)
{
	struct login_failure_counts f = {.pair = 10,
					 .pair_oldest_ms = NOW - 14 * MIN_MS,
					 .ip = 100,
					 .ip_oldest_ms = NOW - 2 * MIN_MS,
					 .email = 999,
					 .email_oldest_ms = NOW - 15 * MIN_MS + 1};
	CHECK(login_throttle_wait_s(&f, NOW) == 780);
	/* a scope under its limit does not lengthen the wait */
	f.ip = 99;
	CHECK(login_throttle_wait_s(&f, NOW) == 60);
}

TEST(retry_after_is_whole_seconds_and_at_least_one)
{
	struct login_failure_counts f = {.pair = 10,
					 .pair_oldest_ms = NOW - LOGIN_FAILURE_WINDOW_MS + 1500};
	CHECK(login_throttle_wait_s(&f, NOW) == 2);
	f.pair_oldest_ms = NOW - LOGIN_FAILURE_WINDOW_MS + 10;
	CHECK(login_throttle_wait_s(&f, NOW) == 1);
	f.pair_oldest_ms = NOW - LOGIN_FAILURE_WINDOW_MS; /* the clock moved on meanwhile */
	CHECK(login_throttle_wait_s(&f, NOW) == 1);
}

int main(void)
{
	RUN(under_every_ceiling_is_allowed);
	RUN(ceilings_are_10_per_email_and_ip_100_per_ip_1000_per_email);
	RUN(each_scope_over_its_ceiling_refuses_until_its_oldest_leaves);
	RUN(the_owner_from_another_ip_is_not_locked_out_by_one_attacker);
	RUN(the_longest_wait_of_the_scopes_over_their_limit_wins);
	RUN(retry_after_is_whole_seconds_and_at_least_one);
	return check_done("login_throttle");
}
