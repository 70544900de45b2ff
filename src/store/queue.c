/*
 * queue.c: the tenant turns of the job queue. The next number of a kind's
 * round is its MAX + 1: claims that race on PostgreSQL may draw the same
 * number, which only ties two tenants' turns (broken by due time), never
 * skips one.
 */
#include "queue.h"

enum status store_job_turn(struct db *d, struct arena *a, const char *kind, const char *tenant_id)
{
	struct db_param p[2] = {db_text(kind), db_text(tenant_id)};
	return db_query(
		d, a,
		"INSERT INTO job_tenant_turns (kind, tenant_id, served_seq)"
		" VALUES ($1, $2, (SELECT COALESCE(MAX(served_seq), 0) + 1"
		" FROM job_tenant_turns WHERE kind = $1))"
		" ON CONFLICT (kind, tenant_id) DO UPDATE SET served_seq = excluded.served_seq",
		p, 2, NULL, NULL);
}
