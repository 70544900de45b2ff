/*
 * queue.c: claim, attempt, record for every job kind (queue.h). The point
 * of the split: a pooled connection is held only for the two short
 * transactions, never across the send, so a slow SMTP server or webhook
 * endpoint cannot starve the HTTP handlers of connections.
 */
#include "queue.h"

#include <math.h>
#include <stdatomic.h>

#include "../core/secure.h"

static _Atomic int64_t counts[JOB__KINDS][JOB__OUTCOMES];

struct step {
	const struct job_kind *k;
	const void *opts;
	void *item;
	int64_t now;
};

static enum status claim_step(struct svc_ctx *c, struct db *d, void *arg)
{
	struct step *s = arg;
	return s->k->claim(c, d, s->opts, s->item, s->now, s->now + s->k->lease_ms);
}

static enum status record_step(struct svc_ctx *c, struct db *d, void *arg)
{
	struct step *s = arg;
	return s->k->record(c, d, s->opts, s->item);
}

bool queue_run_one(const struct svc_env *env, const struct job_kind *k, const void *opts,
		   void *item, struct arena *a)
{
	struct field_errors fe = {0};
	/* cross-tenant: the job serves every tenant, so no tenant in who */
	struct svc_ctx c = {.env = env,
			    .arena = a,
			    .who = {.kind = ACTOR_JOB, .actor_id = k->name},
			    .errors = &fe};
	struct step s = {k, opts, item, clock_now(env->clock)};
	if (svc_in_tx(&c, claim_step, &s) != ST_OK)
		return false; /* ST_NOT_FOUND: nothing due; else the database failed */
	enum job_outcome out = k->attempt(env, a, opts, item);
	bool recorded = svc_in_tx(&c, record_step, &s) == ST_OK;
	if (recorded)
		queue_note(k->id, out);
	k->report(env, item, out, recorded);
	return true;
}

int64_t queue_backoff_ms(const struct job_backoff *b, int64_t attempt, double jitter)
{
	if (attempt < 1)
		attempt = 1;
	if (!(jitter >= -b->jitter_max)) /* also catches NaN */
		jitter = -b->jitter_max;
	if (jitter > b->jitter_max)
		jitter = b->jitter_max;
	double base;
	if (b->nsteps > 0) {
		if (attempt > b->nsteps)
			return -1;
		base = (double)b->steps_ms[attempt - 1];
	} else {
		int shift = attempt > 30 ? 30 : (int)(attempt - 1);
		base = (double)b->first_ms * (double)(1LL << shift);
	}
	double ms = base * (1.0 + jitter);
	if (ms > (double)b->max_ms)
		ms = (double)b->max_ms;
	return (int64_t)llround(ms);
}

double queue_jitter(double spread)
{
	return ((double)sec_uniform(2001) - 1000.0) / 1000.0 * spread;
}

int64_t queue_count(enum job_kind_id kind, enum job_outcome out)
{
	return atomic_load(&counts[kind][out]);
}

void queue_note(enum job_kind_id kind, enum job_outcome out)
{
	atomic_fetch_add(&counts[kind][out], 1);
}
