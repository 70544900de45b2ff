/*
 * queue.h: the one delivery mechanism of the background jobs. A kind (mail,
 * webhook) supplies its rows and its send; the queue supplies the rest:
 * claim one due item with a lease in a short transaction, release the
 * connection, attempt it with no connection held (the lease covers the
 * send), then record the outcome, fenced on the attempt number, in another
 * short transaction; per-kind outcome counters for /metrics; the shared
 * backoff rule. Claims are fair across tenants through one round of turns
 * per kind (store/queue.h), which each kind's claim SQL orders by. Both
 * transactions go through svc_in_tx and may be run more than once (a retry
 * on serialization failure), so neither sends anything.
 */
#ifndef SAASD_SVC_QUEUE_H
#define SAASD_SVC_QUEUE_H

#include "svc.h"

enum job_kind_id { JOB_MAIL, JOB_WEBHOOK, JOB__KINDS };
enum job_outcome { JOB_DONE, JOB_RETRY, JOB_FAILED, JOB__OUTCOMES };

struct job_kind {
	enum job_kind_id id;
	const char *name; /* the kind label of saasd_jobs_total */
	int64_t lease_ms; /* longest an attempt may take before another worker retries */
	/* In a transaction: lease one due item into item; ST_NOT_FOUND when none.
	 * May run more than once: it must only read and write the database. */
	enum status (*claim)(struct svc_ctx *c, struct db *d, const void *opts, void *item,
			     int64_t now, int64_t lease_until);
	/* No connection held: the attempt (network send) and its decision
	 * (done, retry at a time, failed), kept in item for record. */
	enum job_outcome (*attempt)(const struct svc_env *env, struct arena *a, const void *opts,
				    void *item);
	/* In a transaction: write the decided outcome, fenced on the claimed
	 * attempt number (ST_NOT_FOUND: the lease was lost). Re-runnable. */
	enum status (*record)(struct svc_ctx *c, struct db *d, const void *opts, void *item);
	/* After record: the kind's log line (recorded: the outcome committed). */
	void (*report)(const struct svc_env *env, const void *item, enum job_outcome out,
		       bool recorded);
};

/* Claim, attempt and record one item of kind k; false when nothing was
 * claimable (or the database is unavailable). item is the kind's row. */
bool queue_run_one(const struct svc_env *env, const struct job_kind *k, const void *opts,
		   void *item, struct arena *a);

/*
 * The backoff rule shared by the kinds. With steps (n > 0): the wait after
 * failed attempt `attempt` is steps_ms[attempt - 1], and -1 (give up) past
 * the last step. Without: first_ms * 2^(attempt - 1). Either way scaled by
 * (1 + jitter), jitter clamped to +-jitter_max, and capped at max_ms.
 */
struct job_backoff {
	const int64_t *steps_ms;
	int nsteps;
	int64_t first_ms;
	int64_t max_ms;
	double jitter_max;
};
int64_t queue_backoff_ms(const struct job_backoff *b, int64_t attempt, double jitter);
/* A uniform jitter in [-spread, +spread] in steps of spread / 1000. */
double queue_jitter(double spread);

/* Outcomes recorded since start, by kind (metrics). */
int64_t queue_count(enum job_kind_id kind, enum job_outcome out);
/* The item's outcome committed: count it (queue_run_one does it). */
void queue_note(enum job_kind_id kind, enum job_outcome out);

#endif
