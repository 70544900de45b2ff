/*
 * users.c: reading and deleting a user. Allowed for the tenant's backend
 * (system) or the user themself; another user gets 403 without learning
 * whether the id exists. Deleting cascades to sessions, tokens and
 * memberships.
 */
#include <string.h>

#include "../core/ids.h"
#include "auth.h"

static enum status may_act_on(const struct svc_ctx *c, const char *id)
{
	if (!id_valid(id, "usr"))
		return ST_NOT_FOUND;
	if (c->user_id != NULL && strcmp(c->user_id, id) != 0)
		return ST_FORBIDDEN;
	return ST_OK;
}

enum status svc_user_get(struct svc_ctx *c, const char *id, struct user_row *out)
{
	enum status st = may_act_on(c, id);
	if (st != ST_OK)
		return st;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	st = store_user_get(d, c->arena, c->tenant_id, id, out);
	store_release(c->env->store, d);
	return st;
}

static enum status delete_in(struct svc_ctx *c, struct db *d, void *arg)
{
	return store_user_delete(d, c->arena, c->tenant_id, arg);
}

enum status svc_user_delete(struct svc_ctx *c, const char *id)
{
	enum status st = may_act_on(c, id);
	if (st != ST_OK)
		return st;
	return svc_in_tx(c, delete_in, (void *)id);
}
