/*
 * users.c: reading and deleting a user. Allowed for the tenant's backend
 * (system) or the user themself; another user of the tenant gets 403, an id
 * from elsewhere 404. Deleting cascades to sessions, tokens and memberships;
 * each membership that goes is announced as organization.member_removed, as
 * if the user had left, so webhook consumers keep their member lists right.
 */
#include <string.h>

#include "../core/ids.h"
#include "../store/orgs.h"
#include "auth.h"
#include "events.h"

/* The system may act on any user of the tenant, a user only on themself.
 * An id that is not a user of this tenant is 404 for everyone (never 403
 * across tenants). */
static enum status may_act_on(struct svc_ctx *c, struct db *d, const char *id, struct user_row *out)
{
	if (!id_valid(id, "usr"))
		return ST_NOT_FOUND;
	enum status st = store_user_get(d, c->arena, c->who.tenant_id, id, out);
	if (st == ST_OK && c->who.user_id != NULL && strcmp(c->who.user_id, id) != 0)
		return ST_FORBIDDEN;
	return st;
}

enum status svc_user_get(struct svc_ctx *c, const char *id, struct user_row *out)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = may_act_on(c, d, id, out);
	store_release(c->env->store, d);
	return st;
}

/* One organization.member_removed per membership of user_id, in the
 * deleting transaction (so the events exist exactly when the delete does). */
static enum status announce_memberships_gone(struct svc_ctx *c, struct db *d, const char *user_id)
{
	const char *after = NULL;
	for (;;) {
		struct member_row *rows;
		int n = 0;
		enum status st = store_member_list_for_user(d, c->arena, c->who.tenant_id, user_id,
							    after, 100, &rows, &n);
		for (int i = 0; st == ST_OK && i < n; i++)
			st = event_member(c, d, "organization.member_removed",
					  rows[i].organization_id, user_id, rows[i].role);
		if (st != ST_OK || n < 100)
			return st;
		after = rows[n - 1].id;
	}
}

static enum status delete_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct user_row u;
	int64_t sole = 0;
	enum status st = may_act_on(c, d, arg, &u);
	/* the same lock role changes and removals take, so no race empties an org */
	if (st == ST_OK)
		st = store_org_lock_owned_by(d, c->arena, c->who.tenant_id, arg, svc_now(c));
	if (st == ST_OK)
		st = store_member_sole_owner_count(d, c->arena, c->who.tenant_id, arg, &sole);
	if (st == ST_OK && sole > 0) /* would leave an organization without an owner */
		return svc_fail_detail(c, ST_CONFLICT,
				       "The user is the only owner of an organization: transfer "
				       "ownership or delete the organization first.",
				       "sole owner of %lld organizations", (long long)sole);
	if (st == ST_OK)
		st = announce_memberships_gone(c, d, arg);
	return st == ST_OK ? store_user_delete(d, c->arena, c->who.tenant_id, arg) : st;
}

enum status svc_user_delete(struct svc_ctx *c, const char *id)
{
	return svc_in_tx(c, delete_in, (void *)id);
}
