/*
 * admin_tenants.c: operator routes under /admin/tenants (ADMIN_TOKEN). The
 * create answer is the only place a tenant's first key is ever shown.
 */
#include "api.h"

#include <string.h>

#include "input.h"
#include "render.h"

json_t *api_tenant_created_json(const struct tenant_row *t, const char *key)
{
	json_t *o = json_object();
	json_object_set_new(o, "tenant", render_tenant(t));
	json_object_set_new(o, "api_key", json_string(key));
	return o;
}

enum status api_admin_tenant_create(struct request *req)
{
	static const char *const allowed[] = {"name", NULL};
	const json_t *body = in_body(req);
	const char *name = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", true, 1, 200, &name);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct tenant_row t;
	char *key = NULL;
	st = svc_tenant_create(&req->ctx, name, &t, &key);
	if (st != ST_OK)
		return st;
	return reply_json(req, 201, api_tenant_created_json(&t, key));
}

enum status api_admin_tenant_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct tenant_row *rows;
	int n = 0;
	st = svc_tenant_list(&req->ctx, &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_tenant(&rows[i]));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_admin_tenant_get(struct request *req)
{
	struct tenant_row t;
	enum status st = svc_tenant_get(&req->ctx, req_param(req, "id"), &t);
	if (st != ST_OK)
		return st;
	return reply_json(req, 200, render_tenant(&t));
}

enum status api_admin_tenant_update(struct request *req)
{
	struct tenant_patch p;
	enum status st = api_tenant_patch_from_body(req, &p);
	if (st != ST_OK)
		return st;
	struct tenant_row t;
	st = svc_tenant_update(&req->ctx, req_param(req, "id"), &p, &t);
	if (st != ST_OK)
		return st;
	return reply_json(req, 200, render_tenant(&t));
}
