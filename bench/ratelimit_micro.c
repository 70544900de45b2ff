/* ratelimit_micro.c: ns per ratelimiter_check() call, single-threaded, one
 * tenant, a limit that never refuses; local counters, and (with a redis URL)
 * through Redis (one round trip per call). Built by bench/ratelimit.sh:
 *   cc -O2 -Isrc -o rl bench/ratelimit_micro.c BUILD/libsaasd.a LDLIBS
 *   ./rl N [redis://127.0.0.1:PORT]
 * prints "RLMICRO mode=local calls=N ns_per_call=..." (and mode=redis). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "svc/ratelimit.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void run(const char *mode, const char *url, long n)
{
	struct ratelimiter *rl = ratelimiter_new(url);
	struct ratelimit_result r;
	int64_t ms = wall_ms();
	ratelimiter_check(rl, "tn_bench_tenant_0123456789", 100000000, ms, &r); /* connect */
	long refused = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if ((i & 1023) == 0)
			ms = wall_ms();
		ratelimiter_check(rl, "tn_bench_tenant_0123456789", 100000000, ms, &r);
		refused += !r.allowed;
	}
	double t = now_s() - t0;
	printf("RLMICRO mode=%s calls=%ld ns_per_call=%.1f refused=%ld\n", mode, n, t * 1e9 / n, refused);
	ratelimiter_free(rl);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	run("local", "", n);
	if (argc > 2)
		run("redis", argv[2], n / 100 > 1000 ? n / 100 : 1000);
	return 0;
}
