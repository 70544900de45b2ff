/*
 * orgs.c: /organizations CRUD and GET /users/:userId/organizations.
 */
#include "api.h"

#include "../svc/orgs.h"
#include "input.h"
#include "render.h"

enum status api_org_create(struct request *req)
{
	static const char *const allowed[] = {"name", "slug", "owner_id", NULL};
	const json_t *body = in_body(req);
	struct org_input in = {0};
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", true, 1, 200, &in.name);
	in_string(req, body, "slug", false, 1, 64, &in.slug);
	in_string(req, body, "owner_id", false, 1, 64, &in.owner_id);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct org_row o;
	st = svc_org_create(&req->ctx, &in, &o);
	return st == ST_OK ? reply_json(req, 201, render_org(&o, true)) : st;
}

enum status api_org_get(struct request *req)
{
	struct org_row o;
	enum status st = svc_org_get(&req->ctx, req_param(req, "id"), &o);
	return st == ST_OK ? reply_json(req, 200, render_org(&o, true)) : st;
}

enum status api_org_update(struct request *req)
{
	static const char *const allowed[] = {"name", "slug", NULL};
	const json_t *body = in_body(req);
	const char *name = NULL, *slug = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", false, 1, 200, &name);
	in_string(req, body, "slug", false, 1, 64, &slug);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct org_row o;
	st = svc_org_update(&req->ctx, req_param(req, "id"), name, slug, &o);
	return st == ST_OK ? reply_json(req, 200, render_org(&o, true)) : st;
}

enum status api_org_delete(struct request *req)
{
	enum status st = svc_org_delete(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

enum status api_user_orgs(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct member_row *rows;
	int n = 0;
	st = svc_user_orgs(&req->ctx, req_param(req, "userId"), &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "organization", render_org(&rows[i].org, false));
		json_object_set_new(o, "role", json_string(rows[i].role));
		json_object_set_new(o, "joined_at", render_time(rows[i].created_at));
		json_array_append_new(items, o);
	}
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}
