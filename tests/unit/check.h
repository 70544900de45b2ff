/*
 * check.h: the minimal unit-test harness. Each test binary is its own
 * process; CHECK records a failure with file:line and keeps going, and
 * check_done() returns the exit code.
 */
#ifndef SAASD_CHECK_H
#define SAASD_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		check_count++;                                                                   \
		if (!(cond)) {                                                                   \
			check_failures++;                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                          \
	do {                                                                                     \
		const char *check_a_ = (a), *check_b_ = (b);                                     \
		check_count++;                                                                   \
		if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) {   \
			check_failures++;                                                        \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,         \
				check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
		}                                                                                \
	} while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                                      \
	do {                                                                           \
		int before_ = check_failures;                                          \
		name();                                                                \
		printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #name); \
	} while (0)

static inline int check_done(const char *suite)
{
	printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
