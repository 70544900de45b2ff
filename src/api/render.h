/*
 * render.h: domain rows to the JSON shapes of API.md. One function per
 * resource so every route shows a resource the same way.
 */
#ifndef SAASD_API_RENDER_H
#define SAASD_API_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../store/api_keys.h"
#include "../store/invitations.h"
#include "../store/orgs.h"
#include "../store/roles.h"
#include "../store/sessions.h"
#include "../store/users.h"
#include "../store/tenants.h"

/* RFC 3339 string, or JSON null for 0. */
json_t *render_time(int64_t ms);
/* JSON string or null. */
json_t *render_str(const char *s);
json_t *render_tenant(const struct tenant_row *t);
json_t *render_api_key(const struct api_key_row *k);
json_t *render_user(const struct user_row *u);
/* {"id","created_at","expires_at"}; token added when not NULL (shown once). */
json_t *render_session(const struct session_row *s, const char *token);

/* member_count included when with_count. */
json_t *render_org(const struct org_row *o, bool with_count);
/* {"user", "role", "joined_at"} */
json_t *render_member(const struct member_row *m);
/* email left out unless with_email (lists: only for holders of members:invite). */
json_t *render_invitation(const struct invitation_row *i, const char *status, bool with_email);
json_t *render_perms(int n, const char *const *items);
json_t *render_role(const char *key, const char *name, json_t *permissions, bool builtin,
		    int64_t created_at);

#endif
