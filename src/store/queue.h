/*
 * queue.h: SQL shared by every kind of the job queue (svc/queue.c): the
 * round of tenant turns (job_tenant_turns, migration 014). A kind's claim
 * orders tenants by their turn in its kind (LEFT JOIN job_tenant_turns t ON
 * t.kind = '<kind>' AND t.tenant_id = ..., ORDER BY COALESCE(t.served_seq,
 * 0) first) and, in the same transaction, sends the tenant it served to the
 * back of the round with store_job_turn.
 */
#ifndef SAASD_STORE_QUEUE_H
#define SAASD_STORE_QUEUE_H

#include "store.h"

/* tenant_id was just served by a claim of kind: it goes last in its round.
 * Cross-tenant by design (the round spans every tenant). */
enum status store_job_turn(struct db *d, struct arena *a, const char *kind, const char *tenant_id);

#endif
