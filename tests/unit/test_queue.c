/*
 * test_queue.c: src/svc/queue.c, the cycle every job kind goes through,
 * with a kind of the test's own over a real store (SQLite, and PostgreSQL
 * when SAASD_PG_PORT is set): nothing claimable means no attempt; claim,
 * attempt and record run in that order, the attempt outside any
 * transaction; an outcome is counted for its kind only once recorded (a
 * lost lease is reported, not counted); and the shared backoff rule (steps
 * with give-up, exponential with cap, jitter clamped).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dbkit.h"
#include "core/log.h"
#include "svc/queue.h"

struct probe {
	int due; /* items the claim can hand out */
	enum status record_st; /* what the record answers */
	char order[16]; /* c(laim) a(ttempt) r(ecord) p(report) */
	bool in_tx_at_attempt;
	bool reported_recorded;
};

static struct probe P;
static struct db *claim_db; /* the connection the claim ran on */

static void step(char c)
{
	size_t n = strlen(P.order);
	if (n + 1 < sizeof P.order)
		P.order[n] = c;
}

static enum status t_claim(struct svc_ctx *c, struct db *d, const void *opts, void *item,
			   int64_t now, int64_t lease_until)
{
	(void)c, (void)opts, (void)item;
	CHECK(lease_until == now + 1234);
	claim_db = d;
	step('c');
	/* a real statement, so the claim's transaction is a real one */
	struct arena a;
	arena_init(&a, 256);
	int64_t n = 0;
	CHECK(db_query_count(d, &a, "SELECT COUNT(*) FROM tenants", NULL, 0, &n) == ST_OK);
	arena_destroy(&a);
	if (P.due == 0)
		return ST_NOT_FOUND;
	P.due--;
	return ST_OK;
}

static enum job_outcome t_attempt(const struct svc_env *env, struct arena *a, const void *opts,
				  void *item)
{
	(void)env, (void)a, (void)opts, (void)item;
	step('a');
	/* on PostgreSQL the claim's connection went back to the pool: another
	 * acquire may get it, and it is not inside a transaction */
	struct db *d = store_acquire(S);
	P.in_tx_at_attempt = d == NULL || db_begin(d) != ST_OK;
	if (d != NULL && !P.in_tx_at_attempt)
		db_rollback(d);
	store_release(S, d);
	return JOB_RETRY;
}

static enum status t_record(struct svc_ctx *c, struct db *d, const void *opts, void *item)
{
	(void)c, (void)d, (void)opts, (void)item;
	step('r');
	return P.record_st;
}

static void t_report(const struct svc_env *env, const void *item, enum job_outcome out,
		     bool recorded)
{
	(void)env, (void)item;
	CHECK(out == JOB_RETRY);
	step('p');
	P.reported_recorded = recorded;
}

static const struct job_kind KIND = {JOB_WEBHOOK, "test",   1234,    t_claim,
				     t_attempt,   t_record, t_report};

static struct clock FAKE;
static struct svc_env ENV;

TEST(nothing_claimable_means_no_attempt)
{
	memset(&P, 0, sizeof P);
	struct arena a;
	arena_init(&a, 1024);
	int item = 0;
	CHECK(!queue_run_one(&ENV, &KIND, NULL, &item, &a));
	CHECK_STR(P.order, "c");
	arena_destroy(&a);
}

TEST(claim_attempt_record_report_in_order_and_counted_once_recorded)
{
	memset(&P, 0, sizeof P);
	P.due = 1;
	P.record_st = ST_OK;
	int64_t before = queue_count(JOB_WEBHOOK, JOB_RETRY);
	struct arena a;
	arena_init(&a, 1024);
	int item = 0;
	CHECK(queue_run_one(&ENV, &KIND, NULL, &item, &a));
	CHECK_STR(P.order, "carp");
	CHECK(!P.in_tx_at_attempt);
	CHECK(P.reported_recorded);
	CHECK(queue_count(JOB_WEBHOOK, JOB_RETRY) == before + 1);
	CHECK(queue_count(JOB_MAIL, JOB_RETRY) == 0); /* by kind */
	arena_destroy(&a);
}

TEST(a_lost_lease_is_reported_but_not_counted)
{
	memset(&P, 0, sizeof P);
	P.due = 1;
	P.record_st = ST_NOT_FOUND;
	int64_t before = queue_count(JOB_WEBHOOK, JOB_RETRY);
	struct arena a;
	arena_init(&a, 1024);
	int item = 0;
	CHECK(queue_run_one(&ENV, &KIND, NULL, &item, &a));
	CHECK_STR(P.order, "carp");
	CHECK(!P.reported_recorded);
	CHECK(queue_count(JOB_WEBHOOK, JOB_RETRY) == before);
	arena_destroy(&a);
}

TEST(backoff_steps_give_up_past_the_last_and_exponential_is_capped)
{
	static const int64_t steps[] = {100, 1000, 10000};
	struct job_backoff s = {steps, 3, 0, 1000000, 0.1};
	CHECK(queue_backoff_ms(&s, 1, 0.0) == 100);
	CHECK(queue_backoff_ms(&s, 3, 0.1) == 11000);
	CHECK(queue_backoff_ms(&s, 3, -0.1) == 9000);
	CHECK(queue_backoff_ms(&s, 4, 0.0) == -1);
	CHECK(queue_backoff_ms(&s, 2, 5.0) == 1100); /* jitter clamped */
	CHECK(queue_backoff_ms(&s, 2, NAN) == 900);
	struct job_backoff e = {NULL, 0, 50, 1000, 0.2};
	CHECK(queue_backoff_ms(&e, 1, 0.0) == 50);
	CHECK(queue_backoff_ms(&e, 3, 0.0) == 200);
	CHECK(queue_backoff_ms(&e, 5, 0.0) == 800);
	CHECK(queue_backoff_ms(&e, 6, 0.0) == 1000);
	CHECK(queue_backoff_ms(&e, INT64_MAX, 0.2) == 1000);
	CHECK(queue_backoff_ms(&e, 0, 0.0) == 50);
	for (int i = 0; i < 200; i++) {
		double j = queue_jitter(0.1);
		CHECK(j >= -0.1 && j <= 0.1);
	}
}

static void queue_tests(void)
{
	FAKE = clock_fake(T0);
	ENV = (struct svc_env){.store = S, .clock = &FAKE, .token_secret = "test-queue"};
	CHECK(make_tenant("queue") != NULL); /* the claim reads the tenants table */
	RUN(nothing_claimable_means_no_attempt);
	RUN(claim_attempt_record_report_in_order_and_counted_once_recorded);
	RUN(a_lost_lease_is_reported_but_not_counted);
	RUN(backoff_steps_give_up_past_the_last_and_exponential_is_capped);
}

int main(void)
{
	if (!sec_init())
		return 2;
	log_set_level(LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int rc = dbkit_run_everywhere("test_queue", "queue", queue_tests);
	return check_done("test_queue") | rc;
}
