/*
 * rbac.c: permission grammar, wildcard matching, built-in roles and the one
 * authorization function of organization routes. Role changes take effect on
 * the next request because nothing here is cached.
 */
#include "rbac.h"

#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../store/roles.h"

static const char *const owner_perms[] = {"*"};
static const char *const admin_perms[] = {"org:read", "org:update", "members:read",
					  "members:invite", "billing:read"};
static const char *const member_perms[] = {"org:read", "members:read"};

static const struct {
	const char *key;
	const char *const *perms;
	int n;
} builtins[] = {
	{"owner", owner_perms, 1},
	{"admin", admin_perms, 5},
	{"member", member_perms, 2},
};

static bool segment_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

bool rbac_permission_valid(const char *p)
{
	size_t len = strlen(p);
	if (len == 0 || len > PERMISSION_MAX_LEN)
		return false;
	if (strcmp(p, "*") == 0)
		return true;
	size_t seg = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == ':') {
			if (seg == 0)
				return false;
			seg = 0;
		} else if (p[i] == '*') {
			/* only as the whole last segment: "x:*" */
			return i == len - 1 && i > 0 && p[i - 1] == ':';
		} else if (segment_char(p[i])) {
			seg++;
		} else {
			return false;
		}
	}
	return seg > 0;
}

bool rbac_matches(const char *granted, const char *wanted)
{
	if (strcmp(granted, "*") == 0)
		return true;
	size_t g = strlen(granted);
	if (g >= 2 && granted[g - 1] == '*' && granted[g - 2] == ':') {
		/* "billing:*": any permission strictly under "billing:" */
		return strlen(wanted) > g - 1 && strncmp(granted, wanted, g - 1) == 0;
	}
	return strcmp(granted, wanted) == 0;
}

bool rbac_allows(const struct perm_list *granted, const char *wanted)
{
	for (int i = 0; i < granted->n; i++)
		if (rbac_matches(granted->items[i], wanted))
			return true;
	return false;
}

bool rbac_covers(const struct perm_list *actor, const struct perm_list *role)
{
	for (int i = 0; i < role->n; i++)
		if (!rbac_allows(actor, role->items[i]))
			return false;
	return true;
}

bool rbac_role_key_valid(const char *key)
{
	size_t n = strlen(key);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') ||
		      key[i] == '_'))
			return false;
	return true;
}

bool rbac_builtin_permissions(const char *key, struct perm_list *out)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		if (strcmp(builtins[i].key, key) == 0) {
			out->n = builtins[i].n;
			out->items = (const char **)builtins[i].perms;
			return true;
		}
	}
	return false;
}

bool rbac_is_builtin(const char *key)
{
	struct perm_list ignored;
	return rbac_builtin_permissions(key, &ignored);
}

struct perm_list rbac_split(struct arena *a, const char *joined)
{
	struct perm_list l = {0, NULL};
	size_t cap = 1;
	for (const char *p = joined; *p; p++)
		cap += *p == ' ';
	l.items = arena_alloc(a, sizeof(char *) * cap);
	const char *p = joined;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0)
			l.items[l.n++] = arena_strndup(a, p, len);
		p += len;
	}
	return l;
}

char *rbac_join(struct arena *a, const struct perm_list *l)
{
	size_t total = 1;
	for (int i = 0; i < l->n; i++)
		total += strlen(l->items[i]) + 1;
	char *out = arena_alloc(a, total), *w = out;
	for (int i = 0; i < l->n; i++) {
		size_t len = strlen(l->items[i]);
		if (i > 0)
			*w++ = ' ';
		memcpy(w, l->items[i], len);
		w += len;
	}
	*w = '\0';
	return out;
}

enum status rbac_role_permissions(struct svc_ctx *c, struct db *d, const char *key,
				  struct perm_list *out)
{
	if (rbac_builtin_permissions(key, out))
		return ST_OK;
	struct role_row r;
	enum status st = store_role_get(d, c->arena, c->who.tenant_id, key, &r);
	if (st == ST_OK)
		*out = rbac_split(c->arena, r.permissions);
	return st;
}

enum status svc_org_authorize(struct svc_ctx *c, struct db *d, const char *org_id,
			      const char *permission, struct member_row *me,
			      struct perm_list *my_perms)
{
	static const char *const all[] = {"*"};
	if (!id_valid(org_id, "org"))
		return ST_NOT_FOUND;
	struct member_row local;
	struct member_row *m = me ? me : &local;
	memset(m, 0, sizeof *m);
	if (c->who.user_id == NULL) {
		enum status st = store_org_exists(d, c->arena, c->who.tenant_id, org_id);
		if (st == ST_OK && my_perms != NULL) {
			my_perms->n = 1;
			my_perms->items = (const char **)all;
		}
		return st;
	}
	enum status st = store_member_get(d, c->arena, c->who.tenant_id, org_id, c->who.user_id, m);
	if (st != ST_OK)
		return st; /* not a member: indistinguishable from no such organization */
	struct perm_list perms;
	st = rbac_role_permissions(c, d, m->role, &perms);
	if (st == ST_NOT_FOUND) {
		perms.n = 0; /* a deleted custom role grants nothing */
		st = ST_OK;
	}
	if (st != ST_OK)
		return st;
	if (my_perms != NULL)
		*my_perms = perms;
	if (permission != NULL && !rbac_allows(&perms, permission))
		return ST_FORBIDDEN;
	return ST_OK;
}

enum status svc_declared_permission(const struct svc_ctx *c, const char **out)
{
	*out = c->permission;
	if (c->permission != NULL)
		return ST_OK;
	log_msg(LOG_ERROR,
		"a service needs the permission of its route, and the route declares none");
	return ST_INTERNAL;
}

enum status svc_org_authorize_declared(struct svc_ctx *c, struct db *d, const char *org_id,
				       struct member_row *me, struct perm_list *my_perms)
{
	const char *permission;
	enum status st = svc_declared_permission(c, &permission);
	return st == ST_OK ? svc_org_authorize(c, d, org_id, permission, me, my_perms) : st;
}
