/*
 * audit.h: the audit entry a call is building (struct audit_pending, one per
 * svc_ctx) and the service side of the audit log. The pipeline sets the
 * route's action; services add the target, organization and changed field
 * names; svc_in_tx writes the entry just before its commit, so the entry
 * and the change it records commit or roll back together. Never records a
 * value, only field names. Does not include svc.h (svc.h includes this).
 */
#ifndef SAASD_SVC_AUDIT_H
#define SAASD_SVC_AUDIT_H

#include <stdbool.h>

#include "../core/status.h"
#include "../store/audit.h"

#define AUDIT_CHANGES_MAX 16
#define AUDIT_USER_AGENT_MAX 256

struct svc_ctx;
struct db;
struct page;

struct audit_pending {
	const char *action; /* the route's declared action; NULL: nothing to record */
	const char *target_type, *target_id; /* "user", "usr_..." */
	const char *organization_id;
	const char *changes[AUDIT_CHANGES_MAX]; /* field names, never values */
	int nchanges;
	const char *ip, *user_agent; /* from the request; user_agent already truncated */
	/* written instead of action when the call fails (the login service sets
	 * "user.login.failed"); NULL: a failed call leaves no entry */
	const char *failure_action;
	bool written; /* an entry for this call is in the open or committed transaction */
};

/* For handlers and services: what the call acted on. Strings must outlive
 * the call (arena or static). */
void audit_target(struct svc_ctx *c, const char *type, const char *id);
void audit_org(struct svc_ctx *c, const char *org_id);
void audit_change(struct svc_ctx *c, const char *field);

/* svc_in_tx, just before commit: insert the pending entry on d when an
 * action is set and nothing was written yet. Entries need a tenant: an
 * operator call records under the tenant it targets, else nothing. */
enum status audit_write_pending(struct svc_ctx *c, struct db *d);
/* The pipeline's audit phase, after the handler returned st: ST_OK and no
 * entry yet: write it in its own transaction; a failure with
 * failure_action: write that; otherwise nothing. */
void audit_finish(struct svc_ctx *c, enum status st);

/* GET /audit-logs and the export: the calling tenant's entries. */
enum status svc_audit_list(struct svc_ctx *c, const struct audit_filter *f, struct audit_row **rows,
			   int *n);
/* GET /organizations/:id/audit-logs: needs audit:read in that organization
 * (system callers pass); the same 404/403 rules as other organization routes. */
enum status svc_audit_list_org(struct svc_ctx *c, const char *org_id, struct audit_filter *f,
			       struct audit_row **rows, int *n);

#endif
