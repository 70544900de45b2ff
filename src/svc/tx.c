/*
 * tx.c: the one place services open a transaction: acquire, begin, run,
 * commit or roll back, release. fn must not acquire another connection.
 */
#include "svc.h"

#include "jobs.h"

enum status svc_in_tx(struct svc_ctx *c, enum status (*fn)(struct svc_ctx *, struct db *, void *),
		      void *arg)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	c->mail_queued = false;
	enum status st = db_begin(d);
	if (st == ST_OK)
		st = fn(c, d, arg);
	if (st == ST_OK)
		st = db_commit(d);
	else
		db_rollback(d);
	store_release(c->env->store, d);
	if (st == ST_OK && c->mail_queued)
		jobs_wake("mail"); /* sent now, not after the job's idle interval */
	c->mail_queued = false;
	return st;
}
