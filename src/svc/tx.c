/*
 * tx.c: svc_in_tx, the shared form of a service transaction: acquire,
 * begin, run, commit or roll back, release. fn must not acquire another
 * connection. Not every transaction goes through it yet: a few services that
 * already hold a connection (auth.c, recovery.c, tenants.c,
 * webhook_delivery.c) call db_begin/db_commit/db_rollback on it themselves.
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
		st = audit_write_pending(c, d); /* the entry commits with the change */
	if (st == ST_OK)
		st = db_commit(d);
	else
		db_rollback(d);
	if (st != ST_OK)
		c->audit.written = false; /* rolled back with the change */
	store_release(c->env->store, d);
	if (st == ST_OK && c->mail_queued)
		jobs_wake("mail"); /* sent now, not after the job's idle interval */
	c->mail_queued = false;
	return st;
}
