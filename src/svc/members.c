/*
 * members.c: listing members, changing roles, removing members, and the
 * permission queries. Role changes and removals lock the organization row
 * first, then count owners, so two racing requests cannot leave an
 * organization without an owner. Nobody can grant a role carrying
 * permissions they do not hold themselves, nor change or remove a member
 * whose role carries such permissions.
 */
#include <string.h>

#include "../core/ids.h"
#include "events.h"
#include "orgs.h"

enum status svc_members_list(struct svc_ctx *c, const char *org_id, const struct page *pg,
			     struct member_row **rows, int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_org_authorize_declared(c, d, org_id, NULL, NULL);
	if (st == ST_OK)
		st = store_member_list(d, c->arena, c->who.tenant_id, org_id, pg->after, pg->limit,
				       rows, n);
	store_release(c->env->store, d);
	return st;
}

/* Would the organization be left without an owner if target stops being one? */
static enum status keeps_an_owner(struct svc_ctx *c, struct db *d, const char *org_id,
				  const struct member_row *target)
{
	if (strcmp(target->role, "owner") != 0)
		return ST_OK;
	int64_t owners = 0;
	enum status st =
		store_member_count_role(d, c->arena, c->who.tenant_id, org_id, "owner", &owners);
	return st == ST_OK && owners <= 1 ? ST_CONFLICT : st;
}

/* The caller's permissions must cover every permission of the target's
 * role: a custom role holding members:update or members:remove stops below
 * an admin (org:update, members:invite...) and an owner ("*", covered by
 * "*" only). A membership whose custom role was deleted grants nothing. */
static enum status outranks(struct svc_ctx *c, struct db *d, const struct perm_list *mine,
			    const struct member_row *target, const char **why)
{
	struct perm_list theirs;
	enum status st = rbac_role_permissions(c, d, target->role, &theirs);
	if (st == ST_NOT_FOUND)
		return ST_OK;
	if (st == ST_OK && !rbac_covers(mine, &theirs)) {
		*why = RBAC_MSG_MEMBER_ABOVE_OWN;
		return ST_FORBIDDEN;
	}
	return st;
}

struct role_change {
	const char *org_id, *user_id, *role;
	struct member_row *out;
	const char **why;
};

static enum status set_role_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct role_change *rc = arg;
	struct perm_list mine, wanted;
	enum status st = svc_org_authorize_declared(c, d, rc->org_id, NULL, &mine);
	if (st == ST_OK)
		st = store_org_lock(d, c->arena, c->who.tenant_id, rc->org_id, svc_now(c));
	if (st != ST_OK)
		return st; /* not found stays 404: only an unknown role is a validation error */
	st = rbac_role_permissions(c, d, rc->role, &wanted);
	if (st == ST_NOT_FOUND) {
		fields_add(c->arena, c->errors, "role", "unknown_role");
		return ST_VALIDATION_FAILED;
	}
	if (st == ST_OK && !rbac_covers(&mine, &wanted)) {
		*rc->why = RBAC_MSG_GRANT_ABOVE_OWN;
		return ST_FORBIDDEN;
	}
	if (st == ST_OK)
		st = store_member_get(d, c->arena, c->who.tenant_id, rc->org_id, rc->user_id,
				      rc->out);
	if (st == ST_OK)
		st = outranks(c, d, &mine, rc->out, rc->why);
	if (st == ST_OK && strcmp(rc->role, "owner") != 0)
		st = keeps_an_owner(c, d, rc->org_id, rc->out);
	if (st == ST_OK)
		st = store_member_set_role(d, c->arena, c->who.tenant_id, rc->org_id, rc->user_id,
					   rc->role);
	if (st == ST_OK)
		rc->out->role = arena_strdup(c->arena, rc->role);
	return st;
}

enum status svc_member_set_role(struct svc_ctx *c, const char *org_id, const char *user_id,
				const char *role, struct member_row *out, const char **why)
{
	*why = NULL;
	if (!rbac_role_key_valid(role)) {
		fields_add(c->arena, c->errors, "role", "invalid_format");
		return ST_VALIDATION_FAILED;
	}
	if (!id_valid(user_id, "usr"))
		return ST_NOT_FOUND;
	struct role_change rc = {org_id, user_id, role, out, why};
	return svc_in_tx(c, set_role_in, &rc);
}

struct removal {
	const char *org_id, *user_id;
	const char **why;
};

static enum status remove_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct removal *r = arg;
	/* members may always leave; removing someone else needs members:remove */
	bool self = c->who.user_id != NULL && strcmp(c->who.user_id, r->user_id) == 0;
	struct perm_list mine;
	enum status st =
		svc_org_authorize(c, d, r->org_id, self ? NULL : "members:remove", NULL, &mine);
	if (st == ST_OK)
		st = store_org_lock(d, c->arena, c->who.tenant_id, r->org_id, svc_now(c));
	struct member_row target;
	if (st == ST_OK)
		st = store_member_get(d, c->arena, c->who.tenant_id, r->org_id, r->user_id,
				      &target);
	if (st == ST_OK && !self)
		st = outranks(c, d, &mine, &target, r->why);
	if (st == ST_OK)
		st = keeps_an_owner(c, d, r->org_id, &target);
	if (st == ST_OK)
		st = store_member_delete(d, c->arena, c->who.tenant_id, r->org_id, r->user_id);
	if (st == ST_OK)
		st = event_member(c, d, "organization.member_removed", r->org_id, r->user_id,
				  target.role);
	return st;
}

enum status svc_member_remove(struct svc_ctx *c, const char *org_id, const char *user_id,
			      const char **why)
{
	*why = NULL;
	if (!id_valid(user_id, "usr"))
		return ST_NOT_FOUND;
	struct removal r = {org_id, user_id, why};
	return svc_in_tx(c, remove_in, &r);
}

static enum status member_perms(struct svc_ctx *c, struct db *d, const char *org_id,
				const char *user_id, char **role, struct perm_list *perms)
{
	struct member_row m;
	enum status st = store_member_get(d, c->arena, c->who.tenant_id, org_id, user_id, &m);
	if (st != ST_OK)
		return st;
	*role = m.role;
	st = rbac_role_permissions(c, d, m.role, perms);
	if (st == ST_NOT_FOUND) {
		perms->n = 0;
		st = ST_OK;
	}
	return st;
}

enum status svc_member_permissions(struct svc_ctx *c, const char *org_id, const char *user_id,
				   char **role, struct perm_list *perms)
{
	if (!id_valid(user_id, "usr"))
		return ST_NOT_FOUND;
	bool self = c->who.user_id != NULL && strcmp(c->who.user_id, user_id) == 0;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_org_authorize(c, d, org_id, self ? NULL : "members:read", NULL, NULL);
	if (st == ST_OK)
		st = member_perms(c, d, org_id, user_id, role, perms);
	store_release(c->env->store, d);
	return st;
}

enum status svc_permission_check(struct svc_ctx *c, const char *org_id, const char *user_id,
				 const char *permission, bool *allowed, char **role)
{
	if (!rbac_permission_valid(permission)) {
		fields_add(c->arena, c->errors, "permission", "invalid_format");
		return ST_VALIDATION_FAILED;
	}
	bool self = c->who.user_id != NULL && strcmp(c->who.user_id, user_id) == 0;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_org_authorize(c, d, org_id, self ? NULL : "members:read", NULL, NULL);
	struct perm_list perms = {0, NULL};
	*role = NULL;
	*allowed = false;
	if (st == ST_OK) {
		st = id_valid(user_id, "usr") ? member_perms(c, d, org_id, user_id, role, &perms)
					      : ST_NOT_FOUND;
		if (st == ST_NOT_FOUND)
			st = ST_OK; /* not a member: allowed false, role null */
	}
	if (st == ST_OK)
		*allowed = rbac_allows(&perms, permission);
	store_release(c->env->store, d);
	return st;
}
