/*
 * test_jobs.c: unit tests for src/svc/jobs.c: a job runs at start and then
 * once per idle interval; jobs_wake(name) runs that job at once (a mail
 * queued by a request goes out without waiting out the mail job's
 * interval), leaves other jobs asleep, is not lost when it arrives while
 * the job is running, and is a no-op when no jobs run; jobs_stop() returns
 * promptly even with long intervals.
 */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "svc/jobs.h"

static int runs_a, runs_b, runs_slow;

static int run_a(const struct svc_env *env)
{
	(void)env;
	__atomic_add_fetch(&runs_a, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int run_b(const struct svc_env *env)
{
	(void)env;
	__atomic_add_fetch(&runs_b, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A run that takes 200 ms, so a wake can arrive in the middle of it. */
static int run_slow(const struct svc_env *env)
{
	(void)env;
	sleep_ms(200);
	__atomic_add_fetch(&runs_slow, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static int get(int *counter)
{
	return __atomic_load_n(counter, __ATOMIC_SEQ_CST);
}

/* Wait up to ms for *counter to reach want. */
static bool reaches(int *counter, int want, long ms)
{
	for (long waited = 0; waited <= ms; waited += 5) {
		if (get(counter) >= want)
			return true;
		sleep_ms(5);
	}
	return get(counter) >= want;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(test_wake_runs_the_named_job_at_once_and_only_that_one)
{
	static const struct job list[] = {{"a", 60000, run_a}, {"b", 60000, run_b}};
	struct svc_env env = {0};
	runs_a = runs_b = 0;
	jobs_wake("a"); /* nothing runs yet: a no-op */
	struct jobs *j = jobs_start(&env, list, 2);
	CHECK(reaches(&runs_a, 1, 5000) && reaches(&runs_b, 1, 5000)); /* first pass at start */
	sleep_ms(50);
	CHECK(get(&runs_a) == 1 && get(&runs_b) == 1); /* then asleep for 60 s */
	for (int i = 2; i <= 4; i++) {
		jobs_wake("a");
		CHECK(reaches(&runs_a, i, 5000));
	}
	sleep_ms(50);
	CHECK(get(&runs_a) == 4);
	CHECK(get(&runs_b) == 1); /* b was not woken */
	jobs_wake("nope");
	sleep_ms(50);
	CHECK(get(&runs_a) == 4 && get(&runs_b) == 1);
	double t0 = now_s();
	jobs_stop(j);
	CHECK(now_s() - t0 < 5.0);
	jobs_wake("a"); /* stopped: a no-op again */
	CHECK(get(&runs_a) == 4);
}

TEST(test_a_wake_during_a_run_is_not_lost)
{
	static const struct job list[] = {{"slow", 60000, run_slow}};
	struct svc_env env = {0};
	runs_slow = 0;
	struct jobs *j = jobs_start(&env, list, 1);
	sleep_ms(50); /* inside the first run */
	jobs_wake("slow");
	CHECK(reaches(&runs_slow, 1, 5000));
	CHECK(reaches(&runs_slow, 2, 5000)); /* the wake made it run again */
	sleep_ms(300);
	CHECK(get(&runs_slow) == 2);
	jobs_stop(j);
}

int main(void)
{
	RUN(test_wake_runs_the_named_job_at_once_and_only_that_one);
	RUN(test_a_wake_during_a_run_is_not_lost);
	return check_done("test_jobs");
}
