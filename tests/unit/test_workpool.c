/*
 * test_workpool.c: unit tests for src/core/workpool.c: every submitted task
 * runs once, a full queue refuses instead of blocking, and drain finishes
 * queued work (or, asked to, hands unstarted tasks to their cancel) before
 * it returns and refuses work after it (the HTTP shutdown depends on that
 * to answer and resume suspended connections before MHD stops).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "core/workpool.h"

static void count_up(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELAXED);
}

static void slow_count_up(void *arg)
{
	struct timespec ts = {0, 2 * 1000 * 1000};
	nanosleep(&ts, NULL);
	count_up(arg);
}

/* Holds its pool thread until released, so the queue behind it fills. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
};

static void wait_at_gate(void *arg)
{
	struct gate *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void open_gate(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

TEST(test_workpool_runs_every_task_once)
{
	int n = 0;
	struct workpool *p = workpool_new(3, 256);
	for (int i = 0; i < 200; i++)
		CHECK(workpool_submit(p, count_up, &n));
	workpool_free(p);
	CHECK(n == 200);
}

TEST(test_workpool_full_queue_refuses_instead_of_blocking)
{
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	int n = 0;
	struct workpool *p = workpool_new(1, 4);
	CHECK(workpool_submit(p, wait_at_gate, &g));
	/* the thread may not have taken the gate task yet: allow one more */
	int accepted = 0;
	for (int i = 0; i < 10; i++)
		accepted += workpool_submit(p, count_up, &n);
	CHECK(accepted == 4 || accepted == 3);
	open_gate(&g);
	workpool_free(p);
	CHECK(n == accepted);
}

TEST(test_workpool_drain_finishes_queued_work_then_refuses_more)
{
	int n = 0;
	struct workpool *p = workpool_new(2, 64);
	for (int i = 0; i < 20; i++)
		CHECK(workpool_submit(p, slow_count_up, &n));
	workpool_drain(p, false);
	CHECK(__atomic_load_n(&n, __ATOMIC_RELAXED) == 20);
	CHECK(!workpool_submit(p, count_up, &n));
	workpool_drain(p, true); /* a second drain is harmless */
	workpool_free(p);
	CHECK(n == 20);
}

static void count_down(void *arg)
{
	__atomic_sub_fetch((int *)arg, 1, __ATOMIC_RELAXED);
}

struct opener {
	struct workpool *pool;
	struct gate *gate;
	int probes; /* probe tasks queued before the drain began */
};

/* Opens the gate once the drain has begun, which it sees when a
 * submission fails (each probe accepted before that just runs later). */
static void *open_gate_once_draining(void *arg)
{
	struct opener *o = arg;
	while (workpool_submit(o->pool, count_up, &o->probes)) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	open_gate(o->gate);
	return NULL;
}

TEST(test_workpool_drain_with_cancel_cancels_queued_work_and_runs_the_rest)
{
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	int n = 0, plain = 0;
	struct workpool *p = workpool_new(1, 4096);
	/* the gate task has no cancel: it runs (holding the only thread) until
	 * the gate opens, which happens only after the drain has begun */
	CHECK(workpool_submit(p, wait_at_gate, &g));
	for (int i = 0; i < 10; i++)
		CHECK(workpool_submit_cancellable(p, count_up, count_down, &n));
	CHECK(workpool_submit(p, count_up, &plain)); /* no cancel: runs anyway */
	struct opener o = {p, &g, 0};
	pthread_t opener;
	pthread_create(&opener, NULL, open_gate_once_draining, &o);
	workpool_drain(p, true);
	pthread_join(opener, NULL);
	CHECK(n == -10); /* every queued cancellable task cancelled, none run */
	CHECK(plain == 1);
	CHECK(!workpool_submit_cancellable(p, count_up, count_down, &n));
	workpool_free(p);
}

TEST(test_workpool_free_null_is_harmless)
{
	workpool_drain(NULL, true);
	workpool_free(NULL);
	CHECK(true);
}

int main(void)
{
	RUN(test_workpool_runs_every_task_once);
	RUN(test_workpool_full_queue_refuses_instead_of_blocking);
	RUN(test_workpool_drain_finishes_queued_work_then_refuses_more);
	RUN(test_workpool_drain_with_cancel_cancels_queued_work_and_runs_the_rest);
	RUN(test_workpool_free_null_is_harmless);
	return check_done("workpool");
}
