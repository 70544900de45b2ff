/*
 * members.c: organization members, role changes, removals and the two
 * permission queries.
 */
#include "api.h"

#include "../svc/orgs.h"
#include "input.h"
#include "render.h"

enum status api_members_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct member_row *rows;
	int n = 0;
	st = svc_members_list(&req->ctx, req_param(req, "id"), &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_member(&rows[i]));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_member_update(struct request *req)
{
	static const char *const allowed[] = {"role", NULL};
	const json_t *body = in_body(req);
	const char *role = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "role", true, 1, 64, &role);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct member_row m;
	st = svc_member_set_role(&req->ctx, req_param(req, "id"), req_param(req, "userId"), role,
				 &m);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "organization_id", json_string(m.organization_id));
	json_object_set_new(o, "user_id", json_string(m.user_id));
	json_object_set_new(o, "role", json_string(m.role));
	json_object_set_new(o, "joined_at", render_time(m.created_at));
	return reply_json(req, 200, o);
}

enum status api_member_remove(struct request *req)
{
	enum status st =
		svc_member_remove(&req->ctx, req_param(req, "id"), req_param(req, "userId"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

enum status api_member_permissions(struct request *req)
{
	char *role = NULL;
	struct perm_list perms;
	enum status st = svc_member_permissions(&req->ctx, req_param(req, "id"),
						req_param(req, "userId"), &role, &perms);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "permissions", render_perms(perms.n, perms.items));
	return reply_json(req, 200, o);
}

enum status api_permission_check(struct request *req)
{
	static const char *const allowed[] = {"user_id", "permission", NULL};
	const json_t *body = in_body(req);
	const char *user_id = NULL, *permission = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "user_id", true, 1, 64, &user_id);
	in_string(req, body, "permission", true, 1, 128, &permission);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	bool ok = false;
	char *role = NULL;
	st = svc_permission_check(&req->ctx, req_param(req, "id"), user_id, permission, &ok, &role);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "allowed", json_boolean(ok));
	json_object_set_new(o, "role", render_str(role));
	return reply_json(req, 200, o);
}
