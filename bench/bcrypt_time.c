/* bcrypt_time.c: median time of one bcrypt hash ($2b$, libxcrypt, the
 * library saasd uses) at a given cost on this machine, single-threaded.
 *   cc -O2 -o bcrypt_time bench/bcrypt_time.c -lcrypt
 *   ./bcrypt_time [COST=10] [N=20]   prints "BCRYPT cost=10 n=20 median_ms=.. min_ms=.. max_ms=.." */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int cost = argc > 1 ? atoi(argv[1]) : 10, n = argc > 2 ? atoi(argv[2]) : 20;
	double *ms = calloc((size_t)n, sizeof *ms);
	struct crypt_data cd;
	for (int i = 0; i < n; i++) {
		char *salt = crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0,
					      cd.setting, sizeof cd.setting);
		if (salt == NULL)
			return 1;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		char *h = crypt_r("a benchmark password 1", salt, &cd);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (h == NULL || h[0] == '*')
			return 1;
		ms[i] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("BCRYPT cost=%d n=%d median_ms=%.2f min_ms=%.2f max_ms=%.2f\n", cost, n,
	       n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[0], ms[n - 1]);
	return 0;
}
