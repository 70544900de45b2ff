/*
 * audit.h: SQL for the audit log (audit_log). Rows are only inserted, read
 * back by tenant with filters and a keyset cursor, and pruned past each
 * tenant's retention. Never decides what is audited (svc/audit.c does).
 */
#ifndef SAASD_STORE_AUDIT_H
#define SAASD_STORE_AUDIT_H

#include <stdbool.h>

#include "store.h"

struct audit_row {
	char *id; /* "aud_..." */
	char *tenant_id;
	char *action; /* "organization.member.remove" */
	char *actor_type; /* user | api_key | admin | system */
	char *actor_id;
	char *target_type, *target_id; /* NULL when the call has no single target */
	char *organization_id; /* NULL outside an organization */
	char *ip, *user_agent, *request_id; /* "" when unknown */
	char *changes; /* changed field names, comma-separated, or NULL */
	int64_t created_at;
};

/* What a list keeps: NULL / 0 means "any". */
struct audit_filter {
	const char *actor_id, *action, *target_id, *organization_id;
	int64_t from_ms, to_ms; /* created_at in [from, to]; 0: unbounded */
	const char *after; /* cursor: an entry id, or NULL */
	int limit;
	bool oldest_first; /* export order; lists are newest first */
};

enum status store_audit_insert(struct db *d, struct arena *a, const struct audit_row *e);
/* Up to f->limit rows of the tenant, in id order (ids sort by time). */
enum status store_audit_list(struct db *d, struct arena *a, const char *tenant_id,
			     const struct audit_filter *f, struct audit_row **rows, int *n);
/* Delete up to limit entries older than their tenant's audit_retention_days
 * at now_ms (one bounded batch; the cleanup job calls again while full). */
enum status store_audit_prune(struct db *d, struct arena *a, int64_t now_ms, int limit,
			      int64_t *removed);

#endif
