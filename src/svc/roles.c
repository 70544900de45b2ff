/*
 * roles.c: a tenant's custom roles (system calls). Keys are [a-z0-9_]{1,64};
 * built-in keys (owner, admin, member) can be neither created, changed nor
 * deleted; a role that members hold cannot be deleted.
 */
#include <string.h>

#include "../core/ids.h"
#include "orgs.h"

#define ROLE_NAME_MAX 100

static bool permissions_ok(struct svc_ctx *c, const struct perm_list *p)
{
	if (p->n > ROLE_MAX_PERMISSIONS) {
		fields_add(c->arena, c->errors, "permissions", "too_many");
		return false;
	}
	for (int i = 0; i < p->n; i++) {
		if (!rbac_permission_valid(p->items[i])) {
			fields_add(c->arena, c->errors,
				   arena_printf(c->arena, "permissions[%d]", i), "invalid_format");
			return false;
		}
	}
	return true;
}

static enum status validate(struct svc_ctx *c, const struct role_input *in, bool creating)
{
	if (!rbac_role_key_valid(in->key))
		fields_add(c->arena, c->errors, "key", "invalid_format");
	if ((creating || in->name != NULL) &&
	    (in->name == NULL || !text_valid(in->name, 1, ROLE_NAME_MAX)))
		fields_add(c->arena, c->errors, "name", "invalid_length");
	if (in->permissions != NULL)
		permissions_ok(c, in->permissions);
	else if (creating)
		fields_add(c->arena, c->errors, "permissions", "required");
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	if (rbac_is_builtin(in->key))
		return svc_fail(
			c, ST_CONFLICT,
			creating ? "A role with this key already exists (built-in or custom)."
				 : "Built-in roles cannot be changed.");
	return ST_OK;
}

enum status svc_role_create(struct svc_ctx *c, const struct role_input *in, struct role_row *out)
{
	enum status st = validate(c, in, true);
	if (st != ST_OK)
		return st;
	int64_t now = svc_now(c);
	out->id = id_new(c->arena, "role", now);
	out->tenant_id = (char *)c->who.tenant_id;
	out->key = arena_strdup(c->arena, in->key);
	audit_target(c, "role", out->key);
	out->name = arena_strdup(c->arena, in->name);
	out->permissions = rbac_join(c->arena, in->permissions);
	out->created_at = out->updated_at = now;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	st = store_role_insert(d, c->arena, out);
	store_release(c->env->store, d);
	if (st == ST_CONFLICT) /* the (tenant_id, key) unique index: a custom role has it */
		return svc_fail_detail(
			c, ST_CONFLICT, "A role with this key already exists (built-in or custom).",
			"unique index roles(tenant_id, key): custom role %s exists", in->key);
	return st;
}

enum status svc_role_list(struct svc_ctx *c, const struct page *pg, struct role_row **rows, int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st =
		store_role_list(d, c->arena, c->who.tenant_id, pg->after, pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}

struct update {
	const struct role_input *in;
	struct role_row *out;
};

static enum status update_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct update *u = arg;
	enum status st = store_role_get(d, c->arena, c->who.tenant_id, u->in->key, u->out);
	if (st != ST_OK)
		return st;
	if (u->in->name)
		u->out->name = arena_strdup(c->arena, u->in->name);
	if (u->in->permissions)
		u->out->permissions = rbac_join(c->arena, u->in->permissions);
	u->out->updated_at = svc_now(c);
	return store_role_update(d, c->arena, u->out);
}

enum status svc_role_update(struct svc_ctx *c, const struct role_input *in, struct role_row *out)
{
	if (!rbac_role_key_valid(in->key))
		return ST_NOT_FOUND;
	enum status st = validate(c, in, false);
	if (st != ST_OK)
		return st;
	struct update u = {in, out};
	return svc_in_tx(c, update_in, &u);
}

static enum status delete_in(struct svc_ctx *c, struct db *d, void *arg)
{
	const char *key = arg;
	int64_t holders = 0;
	enum status st = store_member_count_with_role(d, c->arena, c->who.tenant_id, key, &holders);
	if (st == ST_OK && holders > 0)
		return svc_fail_detail(c, ST_CONFLICT, "Roles that members hold cannot be deleted.",
				       "%lld members hold role %s", (long long)holders, key);
	return st == ST_OK ? store_role_delete(d, c->arena, c->who.tenant_id, key) : st;
}

enum status svc_role_delete(struct svc_ctx *c, const char *key)
{
	if (!rbac_role_key_valid(key))
		return ST_NOT_FOUND;
	if (rbac_is_builtin(key))
		return svc_fail(c, ST_CONFLICT, "Built-in roles cannot be deleted.");
	return svc_in_tx(c, delete_in, (void *)key);
}
