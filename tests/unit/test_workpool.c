/*
 * test_workpool.c: unit tests for src/core/workpool.c: every submitted task
 * runs once, a full queue refuses instead of blocking, and drain finishes
 * queued work (or, asked to, hands unstarted tasks to their cancel) before
 * it returns and refuses work after it (the HTTP shutdown depends on that
 * to answer and resume suspended connections before MHD stops). Tasks
 * under different fairness keys are served round-robin, each key is capped,
 * and drain cancels what waits under every key.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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
	bool entered; /* the task holding the pool thread has started */
};

static void wait_at_gate(void *arg)
{
	struct gate *g = arg;
	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

/* Returns once the gate task holds its pool thread. */
static void wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
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
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
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

/* Records which key's task ran, in order (tasks run on one pool thread). */
struct trace {
	char order[64];
	int n;
};

struct traced {
	struct trace *trace;
	char key;
};

static void record(void *arg)
{
	struct traced *t = arg;
	t->trace->order[t->trace->n++] = t->key;
}

TEST(test_workpool_serves_fairness_keys_round_robin_behind_a_blocked_worker)
{
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
	struct trace tr = {{0}, 0};
	struct workpool *p = workpool_new_fair(1, 64, 16);
	CHECK(workpool_submit(p, wait_at_gate, &g));
	wait_entered(&g);
	/* tenant A floods first, then B and C arrive */
	static const char submitted[] = "AAAAABBC";
	struct traced tasks[sizeof submitted - 1];
	for (size_t i = 0; i < sizeof submitted - 1; i++) {
		tasks[i] = (struct traced){&tr, submitted[i]};
		char key[] = {'t', 'e', 'n', '_', submitted[i], '\0'};
		CHECK(workpool_submit_keyed(p, key, record, NULL, &tasks[i]));
	}
	open_gate(&g);
	workpool_drain(p, false);
	tr.order[tr.n] = '\0';
	CHECK(strcmp(tr.order, "ABCABAAA") == 0);
	if (strcmp(tr.order, "ABCABAAA") != 0)
		fprintf(stderr, "  order: %s\n", tr.order);
	workpool_free(p);
}

TEST(test_workpool_caps_each_fairness_key_and_the_whole_queue)
{
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
	int n = 0;
	struct workpool *p = workpool_new_fair(1, 8, 3);
	CHECK(workpool_submit(p, wait_at_gate, &g));
	wait_entered(&g);
	int a = 0, b = 0;
	for (int i = 0; i < 10; i++)
		a += workpool_submit_keyed(p, "ten_a", count_up, NULL, &n);
	CHECK(a == 3); /* one key cannot take the whole queue */
	for (int i = 0; i < 10; i++)
		b += workpool_submit_keyed(p, "ten_b", count_up, NULL, &n);
	CHECK(b == 3); /* and another key still gets its share */
	/* keys compare on their first WORKPOOL_KEY_MAX bytes */
	char longer[WORKPOOL_KEY_MAX + 8];
	memset(longer, 'k', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	CHECK(workpool_submit_keyed(p, longer, count_up, NULL, &n));
	longer[WORKPOOL_KEY_MAX + 2] = '\0'; /* same first bytes: the same key */
	CHECK(workpool_submit_keyed(p, longer, count_up, NULL, &n));
	/* 8 queued in all: the global cap refuses a ninth under any key */
	CHECK(!workpool_submit_keyed(p, "ten_c", count_up, NULL, &n));
	CHECK(!workpool_submit(p, count_up, &n));
	open_gate(&g);
	workpool_drain(p, false);
	CHECK(n == 8);
	workpool_free(p);
}

TEST(test_workpool_frees_a_keys_share_as_its_tasks_start)
{
	int n = 0;
	struct workpool *p = workpool_new_fair(2, 1024, 2);
	/* many rounds through a small per-key cap: queues are closed and reused */
	for (int round = 0; round < 200; round++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", round % 7);
		while (!workpool_submit_keyed(p, key, count_up, NULL, &n)) {
			struct timespec ts = {0, 100 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	workpool_drain(p, false);
	CHECK(n == 200);
	workpool_free(p);
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
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
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

TEST(test_workpool_drain_with_cancel_cancels_queued_work_under_every_key)
{
	struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
	int n = 0;
	struct workpool *p = workpool_new_fair(1, 4096, 8);
	CHECK(workpool_submit(p, wait_at_gate, &g));
	wait_entered(&g);
	static const char *const keys[] = {"ten_a", "ten_b", "ten_c", NULL};
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 4; k++)
			CHECK(workpool_submit_keyed(p, keys[k], count_up, count_down, &n));
	struct opener o = {p, &g, 0};
	pthread_t opener;
	pthread_create(&opener, NULL, open_gate_once_draining, &o);
	workpool_drain(p, true);
	pthread_join(opener, NULL);
	CHECK(n == -20); /* all four queues cancelled, none run */
	CHECK(!workpool_submit_keyed(p, "ten_d", count_up, count_down, &n));
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
	RUN(test_workpool_serves_fairness_keys_round_robin_behind_a_blocked_worker);
	RUN(test_workpool_caps_each_fairness_key_and_the_whole_queue);
	RUN(test_workpool_frees_a_keys_share_as_its_tasks_start);
	RUN(test_workpool_drain_with_cancel_cancels_queued_work_under_every_key);
	RUN(test_workpool_free_null_is_harmless);
	return check_done("workpool");
}
