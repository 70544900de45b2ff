/*
 * audit.c: turning a call's pending audit entry into a row, in the call's
 * transaction (audit_write_pending, from svc_in_tx) or, for a call whose
 * service ran no svc_in_tx and for failed logins, in a transaction of its
 * own (audit_finish). Also the two reads of the log. Nothing secret goes in:
 * the entry holds ids, field names, the client's address and user agent.
 */
#include "audit.h"

#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "rbac.h"
#include "svc.h"

void audit_target(struct svc_ctx *c, const char *type, const char *id)
{
	c->audit.target_type = type;
	c->audit.target_id = id;
}

void audit_org(struct svc_ctx *c, const char *org_id)
{
	c->audit.organization_id = org_id;
}

void audit_change(struct svc_ctx *c, const char *field)
{
	struct audit_pending *p = &c->audit;
	for (int i = 0; i < p->nchanges; i++)
		if (strcmp(p->changes[i], field) == 0)
			return;
	if (p->nchanges < AUDIT_CHANGES_MAX)
		p->changes[p->nchanges++] = field;
}

static void actor_of(const struct principal *who, struct audit_row *e)
{
	switch (who->kind) {
	case ACTOR_SECRET_KEY:
	case ACTOR_PUBLISHABLE_KEY:
		e->actor_type = "api_key";
		e->actor_id = (char *)(who->api_key_id ? who->api_key_id : who->actor_id);
		break;
	case ACTOR_USER:
		e->actor_type = "user";
		e->actor_id = (char *)who->user_id;
		break;
	case ACTOR_ADMIN:
		e->actor_type = "admin";
		e->actor_id = "admin";
		break;
	default: /* jobs, and public routes (nobody identified) */
		e->actor_type = "system";
		e->actor_id = (char *)who->actor_id;
		break;
	}
}

static char *join_changes(struct arena *a, const struct audit_pending *p)
{
	if (p->nchanges == 0)
		return NULL;
	size_t len = 0;
	for (int i = 0; i < p->nchanges; i++)
		len += strlen(p->changes[i]) + 1;
	char *out = arena_alloc(a, len);
	size_t at = 0;
	for (int i = 0; i < p->nchanges; i++) {
		size_t n = strlen(p->changes[i]);
		if (i > 0)
			out[at++] = ',';
		memcpy(out + at, p->changes[i], n);
		at += n;
	}
	out[at] = '\0';
	return out;
}

static const char *entry_tenant(const struct svc_ctx *c)
{
	if (c->who.tenant_id != NULL)
		return c->who.tenant_id;
	/* an operator call: it belongs to the log of the tenant it acted on */
	const struct audit_pending *p = &c->audit;
	if (p->target_type != NULL && strcmp(p->target_type, "tenant") == 0)
		return p->target_id;
	return NULL;
}

enum status audit_write_pending(struct svc_ctx *c, struct db *d)
{
	struct audit_pending *p = &c->audit;
	if (p->action == NULL || p->written)
		return ST_OK;
	const char *tenant = entry_tenant(c);
	if (tenant == NULL)
		return ST_OK;
	int64_t now = svc_now(c);
	struct audit_row e = {
		.id = id_new(c->arena, "aud", now),
		.tenant_id = (char *)tenant,
		.action = (char *)p->action,
		.target_type = (char *)p->target_type,
		.target_id = (char *)p->target_id,
		.organization_id = (char *)p->organization_id,
		.ip = (char *)(c->client_ip ? c->client_ip : ""),
		.user_agent = (char *)(p->user_agent ? p->user_agent : ""),
		.request_id = (char *)(c->request_id ? c->request_id : ""),
		.changes = join_changes(c->arena, p),
		.created_at = now,
	};
	actor_of(&c->who, &e);
	enum status st = store_audit_insert(d, c->arena, &e);
	if (st == ST_OK)
		p->written = true;
	return st;
}

static enum status nothing_else(struct svc_ctx *c, struct db *d, void *arg)
{
	(void)c;
	(void)d;
	(void)arg;
	return ST_OK; /* svc_in_tx writes the pending entry before committing */
}

void audit_finish(struct svc_ctx *c, enum status st)
{
	struct audit_pending *p = &c->audit;
	if (st != ST_OK) {
		if (p->failure_action == NULL)
			return;
		p->action = p->failure_action;
		p->written = false;
	} else if (p->action == NULL || p->written) {
		return;
	}
	if (entry_tenant(c) == NULL)
		return; /* an operator call on no tenant (the test clock): no log to go in */
	if (svc_in_tx(c, nothing_else, NULL) != ST_OK)
		log_msg(LOG_ERROR, "audit entry %s could not be written", p->action);
}

enum status svc_audit_list(struct svc_ctx *c, const struct audit_filter *f, struct audit_row **rows,
			   int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_audit_list(d, c->arena, c->who.tenant_id, f, rows, n);
	store_release(c->env->store, d);
	return st;
}

enum status svc_audit_list_org(struct svc_ctx *c, const char *org_id, struct audit_filter *f,
			       struct audit_row **rows, int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_org_authorize_declared(c, d, org_id, NULL, NULL); /* audit:read */
	f->organization_id = org_id;
	if (st == ST_OK)
		st = store_audit_list(d, c->arena, c->who.tenant_id, f, rows, n);
	store_release(c->env->store, d);
	return st;
}
