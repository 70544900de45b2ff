/*
 * rbac.h: roles and permissions. A permission is "resource:action" (more
 * segments allowed, [a-z0-9_-]); in a role, "*" grants everything and a
 * trailing ":*" grants every permission under that prefix ("billing:*"
 * grants "billing:read" and "billing:invoices:read", not "billing" nor
 * "billingx:read"). Built-in roles: owner (*), admin, member. Every
 * organization route authorizes through svc_org_authorize(), with the
 * permission its route declares (src/routes.c) when that is fixed.
 */
#ifndef SAASD_RBAC_H
#define SAASD_RBAC_H

#include <stdbool.h>

#include "../store/orgs.h"
#include "svc.h"

#define PERMISSION_MAX_LEN 128
#define ROLE_MAX_PERMISSIONS 100

/* Public messages of the no-escalation refusals (403 forbidden). */
#define RBAC_MSG_GRANT_ABOVE_OWN "You cannot give a role with permissions your own role lacks."
#define RBAC_MSG_MEMBER_ABOVE_OWN \
	"You cannot change or remove a member whose role has permissions your own role lacks."

struct perm_list {
	int n;
	const char **items;
};

/* Pure functions (unit-tested). */
bool rbac_permission_valid(const char *p); /* a grantable permission */
bool rbac_matches(const char *granted, const char *wanted);
bool rbac_allows(const struct perm_list *granted, const char *wanted);
/* Every permission role grants, actor grants too (no privilege escalation),
 * with the wildcard rule: a "x:*" of role is covered only by "*" or an
 * "y:*" of actor whose prefix y is x or above it, never by plain ones. */
bool rbac_covers(const struct perm_list *actor, const struct perm_list *role);
bool rbac_role_key_valid(const char *key); /* [a-z0-9_]{1,64} */
bool rbac_is_builtin(const char *key);
/* Built-in role permissions, or false when key is not built-in. */
bool rbac_builtin_permissions(const char *key, struct perm_list *out);
/* Split "a b c" into a list in the arena. */
struct perm_list rbac_split(struct arena *a, const char *joined);
char *rbac_join(struct arena *a, const struct perm_list *l);

/* Permissions of a built-in or custom role; ST_NOT_FOUND for an unknown key. */
enum status rbac_role_permissions(struct svc_ctx *c, struct db *d, const char *key,
				  struct perm_list *out);

/*
 * Authorize the caller on organization org_id for permission (NULL: any
 * member). System callers pass once the organization exists in the tenant.
 * ST_NOT_FOUND when the organization does not exist in this tenant or the
 * user is not a member (no existence leak), ST_FORBIDDEN when the member's
 * role lacks the permission. *me (may be NULL) gets the caller's
 * membership (role NULL for system); *my_perms (may be NULL) its
 * permissions ("*" for system).
 */
enum status svc_org_authorize(struct svc_ctx *c, struct db *d, const char *org_id,
			      const char *permission, struct member_row *me,
			      struct perm_list *my_perms);

/*
 * The permission the route declares (c->permission, set by the pipeline's
 * authorize phase from the route table): services whose permission is
 * fixed for their route read it from there, not from a literal of their
 * own. Fails closed: ST_INTERNAL (logged) when the call carries none, so a
 * route that forgets to declare it fails in every test instead of letting
 * any member through.
 */
enum status svc_declared_permission(const struct svc_ctx *c, const char **out);
/* svc_org_authorize for the declared permission. */
enum status svc_org_authorize_declared(struct svc_ctx *c, struct db *d, const char *org_id,
				       struct member_row *me, struct perm_list *my_perms);

#endif
