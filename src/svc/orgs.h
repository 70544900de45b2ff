/*
 * orgs.h: organizations, members, invitations and custom roles. Every
 * function authorizes through svc_org_authorize (rbac.h). Membership
 * changes of one organization are serialised on the organization row, so
 * the last owner can never be removed or demoted, even by racing requests.
 */
#ifndef SAASD_SVC_ORGS_H
#define SAASD_SVC_ORGS_H

#include "../store/invitations.h"
#include "../store/orgs.h"
#include "../store/roles.h"
#include "rbac.h"
#include "svc.h"

#define INVITATION_TTL_MS (7LL * 24 * 3600 * 1000)

/* orgs.c */
struct org_input {
	const char *name;
	const char *slug; /* NULL: derived from the name */
	const char *owner_id; /* system calls only */
};
enum status svc_org_create(struct svc_ctx *c, const struct org_input *in, struct org_row *out);
enum status svc_org_get(struct svc_ctx *c, const char *id, struct org_row *out);
enum status svc_org_update(struct svc_ctx *c, const char *id, const char *name, const char *slug,
			   struct org_row *out);
enum status svc_org_delete(struct svc_ctx *c, const char *id);
enum status svc_user_orgs(struct svc_ctx *c, const char *user_id, const struct page *pg,
			  struct member_row **rows, int *n);

/* members.c. A session user may change or remove only members whose role
 * their own permissions cover, and give only a role their permissions cover
 * (rbac_covers); such refusals are ST_FORBIDDEN with a public message in
 * c->err, as is ST_CONFLICT for the last owner. */
enum status svc_members_list(struct svc_ctx *c, const char *org_id, const struct page *pg,
			     struct member_row **rows, int *n);
enum status svc_member_set_role(struct svc_ctx *c, const char *org_id, const char *user_id,
				const char *role, struct member_row *out);
enum status svc_member_remove(struct svc_ctx *c, const char *org_id, const char *user_id);
enum status svc_member_permissions(struct svc_ctx *c, const char *org_id, const char *user_id,
				   char **role, struct perm_list *perms);
enum status svc_permission_check(struct svc_ctx *c, const char *org_id, const char *user_id,
				 const char *permission, bool *allowed, char **role);

/* invitations.c */
/* ST_FORBIDDEN (role above the caller's own) and ST_CONFLICT (the email has a
 * pending invitation; it is left unchanged) leave a public message in c->err. */
enum status svc_invitation_create(struct svc_ctx *c, const char *org_id, const char *email,
				  const char *role, struct invitation_row *out);
/* *with_email: whether the caller may see whom the invitations are for
 * (members:invite). */
enum status svc_invitation_list(struct svc_ctx *c, const char *org_id, const struct page *pg,
				struct invitation_row **rows, int *n, bool *with_email);
enum status svc_invitation_revoke(struct svc_ctx *c, const char *id);
/* Accept and reject need the session of the invitee (same email, else
 * ST_NOT_FOUND) and proof of the address: token (the mailed one; NULL: none
 * given) or else a verified email; ST_FORBIDDEN (with its message in c->err)
 * without it or for a wrong token. */
enum status svc_invitation_accept(struct svc_ctx *c, const char *id, const char *token,
				  struct member_row *out);
enum status svc_invitation_reject(struct svc_ctx *c, const char *id, const char *token,
				  struct invitation_row *out);
/* The status a client sees: "expired" for a pending one past expires_at. */
const char *svc_invitation_status(const struct svc_ctx *c, const struct invitation_row *i);

/* roles.c */
struct role_input {
	const char *key;
	const char *name;
	const struct perm_list *permissions; /* NULL: unchanged (update) */
};
enum status svc_role_create(struct svc_ctx *c, const struct role_input *in, struct role_row *out);
/* Custom roles by key; pg->after is a role key. */
enum status svc_role_list(struct svc_ctx *c, const struct page *pg, struct role_row **rows, int *n);
enum status svc_role_update(struct svc_ctx *c, const struct role_input *in, struct role_row *out);
enum status svc_role_delete(struct svc_ctx *c, const char *key);

#endif
