/*
 * tx.c: the one form of a service transaction (svc_in_tx) and of a read
 * (svc_read): acquire, begin, run fn, commit or roll back, release. A
 * serialization failure, a deadlock or a busy database rolls back and re-runs
 * fn, a bounded number of times with a short jittered backoff, so fn must be
 * re-runnable: everything it does goes through d, nothing leaves the process
 * (no network, no cache write) before the commit. fn must not acquire
 * another connection.
 */
#include <time.h>

#include "../core/log.h"
#include "../core/secure.h"
#include "jobs.h"
#include "svc.h"

int64_t svc_tx_backoff_ms(int attempt, uint32_t jitter_permille)
{
	if (attempt < 1)
		attempt = 1;
	if (attempt > 6)
		attempt = 6;
	int64_t base = (int64_t)5 << (attempt - 1); /* 5, 10, 20, 40 ms ... */
	if (jitter_permille > 1000)
		jitter_permille = 1000;
	/* half fixed, half random: two colliding callers drift apart */
	return base * (1000 + (int64_t)jitter_permille) / 2000;
}

/* Real elapsed time (not the service clock, which tests may move). */
static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Field errors from before the transaction; a re-run drops only its own. */
static void errors_truncate(struct field_errors *fe, int keep)
{
	if (fe == NULL || fe->count <= keep)
		return;
	struct field_error **pp = &fe->head;
	for (int i = 0; i < keep && *pp != NULL; i++)
		pp = &(*pp)->next;
	*pp = NULL;
	fe->count = keep;
}

/* State an attempt leaves in the ctx; a re-run starts from none of it. */
static void reset_attempt(struct svc_ctx *c, int errors_before, const struct svc_error *err_before)
{
	c->queued = 0;
	c->audit.written = false;
	errors_truncate(c->errors, errors_before);
	c->err = *err_before;
}

static enum status run_once(struct svc_ctx *c, struct db *d, bool write, svc_tx_fn fn, void *arg)
{
	enum status st = write ? db_begin(d) : db_begin_read(d);
	if (st == ST_OK)
		st = fn(c, d, arg);
	if (st == ST_OK)
		st = write ? audit_write_pending(c, d)
			   : ST_OK; /* the entry commits with the change */
	if (st == ST_OK)
		st = db_commit(d); /* rolls back itself on failure */
	else
		db_rollback(d);
	if (st != ST_OK)
		c->audit.written = false; /* rolled back with the change */
	return st;
}

static enum status run_on(struct svc_ctx *c, struct db *d, bool write, svc_tx_fn fn, void *arg)
{
	enum status st = ST_UNAVAILABLE;
	int errors_before = c->errors != NULL ? c->errors->count : 0;
	struct svc_error err_before = c->err;
	c->queued = 0;
	int64_t t0 = monotonic_ms();
	for (int attempt = 1; attempt <= SVC_TX_ATTEMPTS; attempt++) {
		if (attempt > 1)
			reset_attempt(c, errors_before, &err_before);
		st = run_once(c, d, write, fn, arg);
		if (st == ST_OK || !db_retryable(d))
			break;
		/* SQLite already waited its busy timeout inside the attempt: a
		 * lock held that long is no collision a re-run resolves */
		if (attempt == SVC_TX_ATTEMPTS || monotonic_ms() - t0 > SVC_TX_RETRY_BUDGET_MS) {
			log_msg(LOG_WARN, "transaction gave up after %d attempts", attempt);
			st = ST_UNAVAILABLE; /* 503, as any other transient failure */
			break;
		}
		pause_ms(svc_tx_backoff_ms(attempt, sec_uniform(1001)));
	}
	/* sent now, not after the jobs' idle interval */
	if (st == ST_OK && (c->queued & SVC_QUEUED_MAIL))
		jobs_wake("mail");
	if (st == ST_OK && (c->queued & SVC_QUEUED_WEBHOOKS))
		jobs_wake("webhooks");
	c->queued = 0;
	return st;
}

static enum status run(struct svc_ctx *c, bool write, svc_tx_fn fn, void *arg)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = run_on(c, d, write, fn, arg);
	store_release(c->env->store, d);
	return st;
}

enum status svc_in_tx(struct svc_ctx *c, svc_tx_fn fn, void *arg)
{
	return run(c, true, fn, arg);
}

enum status svc_tx_on(struct svc_ctx *c, struct db *d, svc_tx_fn fn, void *arg)
{
	return run_on(c, d, true, fn, arg);
}

enum status svc_read(struct svc_ctx *c, svc_tx_fn fn, void *arg)
{
	return run(c, false, fn, arg);
}
