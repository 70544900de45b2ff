/*
 * test_ratelimit.c: unit tests for src/svc/ratelimit.c. Time is the now_ms
 * argument (the injected clock), so bursts, window edges and refill are
 * tested without sleeping. Pins down the pure decision (burst up to the
 * limit, remaining, reset, Retry-After, the previous window's weight at the
 * edge and its linear decay) and the local limiter (per-tenant independence,
 * also with far more tenants than table slots; window roll-over; history
 * gone two windows later; rejections counted; refused calls not counted),
 * seeded properties (the seed is printed on failure), a threaded burst
 * (run it under the sanitizer build), and fail-open when Redis is
 * unreachable.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "svc/ratelimit.h"

#define W RATELIMIT_WINDOW_MS

/* the start of a window, well after 1970 so no arithmetic goes negative */
static const int64_t T0 = (1795713913123LL / W) * W;

static struct ratelimit_result decide(int64_t limit, int64_t prev, int64_t cur, int64_t into)
{
	struct ratelimit_result r;
	memset(&r, 0x5A, sizeof r);
	ratelimit_decide(limit, prev, cur, T0 + into, &r);
	return r;
}

/* How many calls one tenant gets at one instant, given the window counts. */
static int64_t burst_at(int64_t limit, int64_t prev, int64_t cur, int64_t into)
{
	int64_t n = 0;
	for (;;) {
		struct ratelimit_result r = decide(limit, prev, cur + n, into);
		if (!r.allowed)
			return n;
		n++;
		if (n > 10 * limit + 10)
			return -1; /* never refuses: a bug */
	}
}

/* ---- the pure decision ---------------------------------------------------- */

TEST(test_decide_fresh_window_allows_exactly_the_limit_then_refuses)
{
	for (int64_t cur = 0; cur < 10; cur++) {
		struct ratelimit_result r = decide(10, 0, cur, 5000);
		CHECK(r.allowed);
		CHECK(r.limit == 10);
		CHECK(r.remaining == 9 - cur); /* counts down to 0 on the last allowed call */
		CHECK(r.retry_after_s == 0);
	}
	struct ratelimit_result r = decide(10, 0, 10, 5000);
	CHECK(!r.allowed);
	CHECK(r.limit == 10);
	CHECK(r.remaining == 0);
	CHECK(r.retry_after_s >= 1);
	CHECK(burst_at(10, 0, 0, 0) == 10);
	CHECK(burst_at(1, 0, 0, 30000) == 1);
	CHECK(burst_at(1000, 0, 0, 59999) == 1000);
}

TEST(test_decide_remaining_is_never_negative_even_far_over_the_limit)
{
	struct ratelimit_result r = decide(10, 500, 500, 100);
	CHECK(!r.allowed);
	CHECK(r.remaining == 0);
	r = decide(10, 0, 11, 0);
	CHECK(!r.allowed);
	CHECK(r.remaining == 0);
}

TEST(test_decide_reset_is_whole_seconds_until_the_window_turns)
{
	CHECK(decide(10, 0, 0, 0).reset_s == 60);
	CHECK(decide(10, 0, 0, 1).reset_s == 60); /* 59.999 s rounds up */
	CHECK(decide(10, 0, 0, 999).reset_s == 60);
	CHECK(decide(10, 0, 0, 1000).reset_s == 59);
	CHECK(decide(10, 0, 0, 30000).reset_s == 30);
	CHECK(decide(10, 0, 0, 59000).reset_s == 1);
	CHECK(decide(10, 0, 0, 59999).reset_s == 1); /* never 0 */
	CHECK(decide(10, 0, 10, 42500).reset_s == 18); /* refused: the same */
}

TEST(test_decide_full_previous_window_still_weighs_at_the_start_of_the_next)
{
	/* a fixed-window counter would allow 100 more here: a 2x burst */
	struct ratelimit_result r = decide(100, 100, 0, 0);
	CHECK(!r.allowed);
	CHECK(r.remaining == 0);
	CHECK(burst_at(100, 100, 0, 0) == 0);
	CHECK(burst_at(100, 100, 0, 1) == 0); /* weight 59999/60000: 99.998 used */
	CHECK(burst_at(100, 100, 0, 599) == 0);
	CHECK(burst_at(100, 100, 0, 600) == 1); /* weight 0.99: 99 used */
	CHECK(burst_at(100, 100, 0, 1200) == 2);
	/* a half-used previous window leaves half at the edge */
	CHECK(burst_at(100, 50, 0, 0) == 50);
}

TEST(test_decide_previous_window_weight_decays_linearly_across_the_window)
{
	/* refill: the previous window's 100 calls fade out over this window */
	CHECK(burst_at(100, 100, 0, 15000) == 25);
	CHECK(burst_at(100, 100, 0, 30000) == 50);
	CHECK(burst_at(100, 100, 0, 45000) == 75);
	CHECK(burst_at(100, 100, 0, 59400) == 99);
	CHECK(burst_at(100, 100, 0, 59999) == 99); /* 0.0017 of a call still weighs */
	/* what was used in this window counts in full */
	CHECK(burst_at(100, 100, 20, 30000) == 30);
	CHECK(burst_at(100, 100, 50, 30000) == 0);
	/* remaining at half-time with 100 before: 100 - 50 - this call */
	struct ratelimit_result r = decide(100, 100, 0, 30000);
	CHECK(r.allowed);
	CHECK(r.remaining == 49);
	/* more and more refills as time passes, never less */
	int64_t last = -1;
	for (int64_t into = 0; into < W; into += 250) {
		int64_t n = burst_at(60, 60, 0, into);
		CHECK(n >= last);
		last = n;
	}
	CHECK(last == 59);
}

TEST(test_decide_retry_after_is_time_until_the_previous_window_has_decayed_enough)
{
	/* limit 100, previous 100, nothing this window, at 15 s: 25 left, used
	 * up; the next call fits once the weight is <= 0.74: at 15.6 s */
	struct ratelimit_result r = decide(100, 100, 25, 15000);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s == 1);
	/* at 0 s with previous 100: 0.6 s until the first call fits: 1 s */
	r = decide(100, 100, 0, 0);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s == 1);
	/* limit 10, previous 10, 5 used at 30 s: the next needs weight <= 0.4,
	 * at 36 s */
	r = decide(10, 10, 5, 30000);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s == 6);
}

TEST(test_decide_retry_after_for_a_full_window_reaches_into_the_next)
{
	/* limit 30, all 30 used 10 s into a window with nothing before: the
	 * window turns in 50 s, but then those 30 weigh in full; the next call
	 * fits 2 s later (weight 29/30) */
	struct ratelimit_result r = decide(30, 0, 30, 10000);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s == 52);
	/* limit 1: one call, then nothing until its weight has gone to zero,
	 * the end of the next window */
	r = decide(1, 0, 1, 0);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s == 120);
	/* retry is never 0 */
	r = decide(1000, 0, 1000, 59999);
	CHECK(!r.allowed);
	CHECK(r.retry_after_s >= 1);
}

/* ---- seeded properties of the decision ---------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int64_t rng_upto(int64_t n) /* [0, n] */
{
	return (int64_t)(rng_next() % (uint64_t)(n + 1));
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("RATELIMIT_SEED");
	if (s != NULL && *s)
		return strtoull(s, NULL, 10);
	return (uint64_t)time(NULL);
}

/* The counts at `into2` ms after the start of the window of (prev, cur),
 * as the local limiter rolls them over. */
static void roll(int64_t prev, int64_t cur, int64_t into2, int64_t *p2, int64_t *c2)
{
	int64_t windows = into2 / W;
	if (windows == 0) {
		*p2 = prev, *c2 = cur;
	} else if (windows == 1) {
		*p2 = cur, *c2 = 0;
	} else {
		*p2 = 0, *c2 = 0;
	}
}

TEST(test_decide_properties_remaining_is_truthful_and_retry_after_is_enough_and_tight)
{
	uint64_t seed = seed_from_env();
	int before = check_failures;
	rng_state = seed;
	for (int i = 0; i < 20000 && check_failures == before; i++) {
		int64_t limit = 1 + rng_upto(i % 3 == 0 ? 5 : 2000);
		int64_t prev = rng_upto(limit + limit / 2);
		int64_t cur = rng_upto(limit + limit / 4);
		int64_t into = rng_upto(W - 1);
		struct ratelimit_result r = decide(limit, prev, cur, into);
		CHECK(r.limit == limit);
		CHECK(r.remaining >= 0 && r.remaining <= limit);
		CHECK(r.reset_s >= 1 && r.reset_s <= 60);
		CHECK(cur < limit || !r.allowed); /* this window alone never exceeds it */
		if (r.allowed) {
			/* remaining is exactly how many more calls fit at this instant */
			CHECK(r.retry_after_s == 0);
			CHECK(burst_at(limit, prev, cur + 1, into) == r.remaining);
			continue;
		}
		CHECK(r.remaining == 0);
		CHECK(r.retry_after_s >= 1 && r.retry_after_s <= 120);
		/* a client that waits Retry-After seconds gets through... */
		int64_t p2, c2, at = into + r.retry_after_s * 1000;
		roll(prev, cur, at, &p2, &c2);
		CHECK(decide(limit, p2, c2, at % W).allowed);
		/* ...and one that waits a second less does not */
		if (r.retry_after_s > 1) {
			at -= 1000;
			roll(prev, cur, at, &p2, &c2);
			CHECK(!decide(limit, p2, c2, at % W).allowed);
		}
	}
	if (check_failures != before)
		fprintf(stderr, "decide properties failed: RATELIMIT_SEED=%llu\n",
			(unsigned long long)seed);
}

/* ---- the local limiter ---------------------------------------------------------- */

static int64_t hits(struct ratelimiter *rl, const char *tenant, int64_t limit, int64_t now, int n)
{
	int64_t allowed = 0;
	for (int i = 0; i < n; i++) {
		struct ratelimit_result r;
		ratelimiter_check(rl, tenant, limit, now, &r);
		allowed += r.allowed ? 1 : 0;
	}
	return allowed;
}

TEST(test_local_burst_up_to_the_limit_then_refused_and_counted_as_rejections)
{
	struct ratelimiter *rl = ratelimiter_new("");
	CHECK(ratelimiter_rejections(rl) == 0);
	struct ratelimit_result r;
	for (int i = 0; i < 30; i++) {
		ratelimiter_check(rl, "ten_a", 30, T0 + 1000 + i, &r);
		CHECK(r.allowed);
		CHECK(r.limit == 30);
		CHECK(r.remaining == 29 - i);
		CHECK(r.reset_s == 59);
	}
	CHECK(ratelimiter_rejections(rl) == 0);
	ratelimiter_check(rl, "ten_a", 30, T0 + 1100, &r);
	CHECK(!r.allowed);
	CHECK(r.remaining == 0);
	CHECK(r.retry_after_s >= 1);
	CHECK(ratelimiter_rejections(rl) == 1);
	CHECK(hits(rl, "ten_a", 30, T0 + 2000, 7) == 0);
	CHECK(ratelimiter_rejections(rl) == 8);
	ratelimiter_free(rl);
}

TEST(test_local_tenants_are_independent)
{
	struct ratelimiter *rl = ratelimiter_new("");
	CHECK(hits(rl, "ten_a", 5, T0 + 10, 9) == 5);
	/* b and c are untouched by a's exhaustion, and have their own limits */
	CHECK(hits(rl, "ten_b", 5, T0 + 20, 5) == 5);
	CHECK(hits(rl, "ten_c", 1000, T0 + 30, 1000) == 1000);
	CHECK(hits(rl, "ten_a", 5, T0 + 40, 1) == 0);
	CHECK(hits(rl, "ten_b", 5, T0 + 50, 1) == 0);
	CHECK(hits(rl, "ten_c", 1000, T0 + 60, 1) == 0);
	/* a prefix of another tenant's id is another tenant */
	CHECK(hits(rl, "ten_", 5, T0 + 70, 5) == 5);
	CHECK(hits(rl, "ten_aa", 5, T0 + 80, 5) == 5);
	CHECK(ratelimiter_rejections(rl) == 4 + 3);
	ratelimiter_free(rl);
}

TEST(test_local_every_tenant_keeps_its_count_with_far_more_tenants_than_slots)
{
	/* 20000 tenants, limit 1 each, interleaved: the second round is refused
	 * for every one of them (no tenant's history lost to another's) */
	enum { N = 20000 };
	struct ratelimiter *rl = ratelimiter_new("");
	char id[48];
	int64_t first = 0, second = 0;
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "ten_%026d", i);
		first += hits(rl, id, 1, T0 + 1000, 1);
	}
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "ten_%026d", i);
		second += hits(rl, id, 1, T0 + 2000, 1);
	}
	CHECK(first == N);
	CHECK(second == 0);
	if (second != 0)
		fprintf(stderr, "  %lld of %d tenants got a second call through\n",
			(long long)second, N);
	ratelimiter_free(rl);
}

TEST(test_local_two_tenants_taking_turns_are_both_limited)
{
	/* however their ids hash, a and b alternating never reset each other */
	struct ratelimiter *rl = ratelimiter_new("");
	char a[48], b[48];
	for (int pair = 0; pair < 300; pair++) {
		snprintf(a, sizeof a, "ten_a%025d", pair);
		snprintf(b, sizeof b, "ten_b%025d", pair);
		int64_t now = T0 + (int64_t)pair * 3 * W; /* fresh history each pair */
		int64_t got_a = 0, got_b = 0;
		for (int i = 0; i < 20; i++) {
			got_a += hits(rl, a, 3, now + i, 1);
			got_b += hits(rl, b, 3, now + i, 1);
		}
		CHECK(got_a == 3);
		CHECK(got_b == 3);
	}
	ratelimiter_free(rl);
}

TEST(test_local_refused_calls_do_not_count_against_the_next_window)
{
	struct ratelimiter *rl = ratelimiter_new("");
	CHECK(hits(rl, "ten_a", 10, T0 + 1000, 10) == 10);
	CHECK(hits(rl, "ten_a", 10, T0 + 1000, 50) == 0);
	/* half-way through the next window the previous 10 weigh 5 */
	CHECK(hits(rl, "ten_a", 10, T0 + W + W / 2, 20) == 5);
	ratelimiter_free(rl);
}

TEST(test_local_window_roll_over_carries_the_previous_count)
{
	struct ratelimiter *rl = ratelimiter_new("");
	CHECK(hits(rl, "ten_a", 10, T0 + 59000, 10) == 10);
	/* just after the boundary the 10 still weigh (no 2x burst) */
	CHECK(hits(rl, "ten_a", 10, T0 + W, 5) == 0);
	CHECK(hits(rl, "ten_a", 10, T0 + W + 5999, 5) == 0); /* weight > 0.9 */
	CHECK(hits(rl, "ten_a", 10, T0 + W + 6000, 5) == 1); /* weight 0.9: 9 + 1 */
	CHECK(hits(rl, "ten_a", 10, T0 + W + 30000, 10) == 4); /* 5 + 1 + 4 */
	CHECK(hits(rl, "ten_a", 10, T0 + W + 59999, 10) == 4); /* 0.0002 + 5 + 4 */
	/* the window after: those 9 weigh half at half-time: 4.5 + 5 */
	CHECK(hits(rl, "ten_a", 10, T0 + 2 * W + 30000, 10) == 5);
	ratelimiter_free(rl);
}

TEST(test_local_two_windows_later_the_history_is_gone)
{
	struct ratelimiter *rl = ratelimiter_new("");
	CHECK(hits(rl, "ten_a", 10, T0 + 59999, 10) == 10);
	CHECK(hits(rl, "ten_a", 10, T0 + 2 * W, 11) == 10);
	CHECK(hits(rl, "ten_a", 10, T0 + 10 * W + 1, 11) == 10);
	ratelimiter_free(rl);
}

TEST(test_local_no_double_burst_around_a_window_boundary)
{
	/* a greedy client calling every 10 ms for 5 minutes: never more than the
	 * limit in one window, and at most limit + a sliver in any 2 s around a
	 * boundary (a fixed window would give it 2x the limit there) */
	enum { LIMIT = 100, STEP = 10 };
	struct ratelimiter *rl = ratelimiter_new("");
	static int64_t times[5 * W / STEP];
	int n = 0;
	for (int64_t t = T0 + 59000; t < T0 + 59000 + 5 * W; t += STEP)
		if (hits(rl, "ten_greedy", LIMIT, t, 1) == 1)
			times[n++] = t;
	for (int64_t w = 1; w <= 5; w++) {
		int64_t in_window = 0, around_edge = 0, edge = T0 + w * W;
		for (int i = 0; i < n; i++) {
			in_window += times[i] >= edge - W && times[i] < edge;
			around_edge += times[i] >= edge - 1000 && times[i] < edge + 1000;
		}
		CHECK(in_window <= LIMIT);
		CHECK(around_edge <= LIMIT + 2);
	}
	/* in the long run the client gets about the limit per minute (1 s + 4
	 * windows + 59 s here), not less */
	CHECK(n >= 5 * LIMIT - 10 && n <= 6 * LIMIT);
	ratelimiter_free(rl);
}

struct burst_arg {
	struct ratelimiter *rl;
	int64_t allowed;
};

static void *burst_thread(void *p)
{
	struct burst_arg *b = p;
	b->allowed = hits(b->rl, "ten_threads", 5000, T0 + 12345, 1000);
	return NULL;
}

TEST(test_local_concurrent_calls_allow_exactly_the_limit)
{
	enum { THREADS = 8 };
	struct ratelimiter *rl = ratelimiter_new("");
	pthread_t th[THREADS];
	struct burst_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i].rl = rl;
		args[i].allowed = 0;
		pthread_create(&th[i], NULL, burst_thread, &args[i]);
	}
	int64_t total = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		total += args[i].allowed;
	}
	CHECK(total == 5000);
	CHECK(ratelimiter_rejections(rl) == THREADS * 1000 - 5000);
	ratelimiter_free(rl);
}

/* ---- Redis unreachable: fail open to the local counters ---------------------------- */

TEST(test_redis_unreachable_fails_open_to_the_local_limiter)
{
	/* nothing listens on port 1: each attempt is refused at once */
	struct ratelimiter *rl = ratelimiter_new("redis://127.0.0.1:1");
	CHECK(hits(rl, "ten_a", 5, T0 + 1000, 8) == 5);
	CHECK(hits(rl, "ten_b", 5, T0 + 1000, 2) == 2);
	/* past the retry gate Redis is tried again, still down: still local */
	CHECK(hits(rl, "ten_a", 5, T0 + 3000, 1) == 0);
	struct ratelimit_result r;
	ratelimiter_check(rl, "ten_a", 5, T0 + 5000, &r);
	CHECK(!r.allowed);
	CHECK(r.limit == 5);
	CHECK(r.remaining == 0);
	CHECK(r.retry_after_s >= 1);
	CHECK(hits(rl, "ten_a", 5, T0 + 2 * W, 5) == 5);
	CHECK(ratelimiter_rejections(rl) == 3 + 1 + 1);
	ratelimiter_free(rl);
	/* a URL with password and database parses and fails the same way */
	rl = ratelimiter_new("redis://:secret@127.0.0.1:1/3");
	CHECK(hits(rl, "ten_a", 2, T0, 3) == 2);
	ratelimiter_free(rl);
}

int main(void)
{
	RUN(test_decide_fresh_window_allows_exactly_the_limit_then_refuses);
	RUN(test_decide_remaining_is_never_negative_even_far_over_the_limit);
	RUN(test_decide_reset_is_whole_seconds_until_the_window_turns);
	RUN(test_decide_full_previous_window_still_weighs_at_the_start_of_the_next);
	RUN(test_decide_previous_window_weight_decays_linearly_across_the_window);
	RUN(test_decide_retry_after_is_time_until_the_previous_window_has_decayed_enough);
	RUN(test_decide_retry_after_for_a_full_window_reaches_into_the_next);
	RUN(test_decide_properties_remaining_is_truthful_and_retry_after_is_enough_and_tight);
	RUN(test_local_burst_up_to_the_limit_then_refused_and_counted_as_rejections);
	RUN(test_local_tenants_are_independent);
	RUN(test_local_every_tenant_keeps_its_count_with_far_more_tenants_than_slots);
	RUN(test_local_two_tenants_taking_turns_are_both_limited);
	RUN(test_local_refused_calls_do_not_count_against_the_next_window);
	RUN(test_local_window_roll_over_carries_the_previous_count);
	RUN(test_local_two_windows_later_the_history_is_gone);
	RUN(test_local_no_double_burst_around_a_window_boundary);
	RUN(test_local_concurrent_calls_allow_exactly_the_limit);
	RUN(test_redis_unreachable_fails_open_to_the_local_limiter);
	return check_done("ratelimit");
}
