/*
 * roles.c: /roles: the built-in roles (read-only) and the tenant's custom
 * roles. System calls only.
 */
#include "api.h"

#include <string.h>

#include "../svc/orgs.h"
#include "input.h"
#include "render.h"

/* "permissions": an array of strings, into a perm_list in the arena. */
static bool read_permissions(struct request *req, const json_t *body, bool required,
			     struct perm_list *out, bool *present)
{
	json_t *arr = json_object_get(body, "permissions");
	*present = arr != NULL;
	if (arr == NULL) {
		if (required)
			fields_add(&req->arena, &req->errors, "permissions", "required");
		return !required;
	}
	if (!json_is_array(arr) || json_array_size(arr) > ROLE_MAX_PERMISSIONS) {
		fields_add(&req->arena, &req->errors, "permissions",
			   json_is_array(arr) ? "too_many" : "invalid_type");
		return false;
	}
	out->n = 0;
	out->items = arena_alloc(&req->arena, sizeof(char *) * (json_array_size(arr) + 1));
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			fields_add(&req->arena, &req->errors, "permissions", "invalid_type");
			return false;
		}
		out->items[out->n++] = arena_strdup(&req->arena, json_string_value(v));
	}
	return true;
}

static json_t *render_custom(struct request *req, const struct role_row *r)
{
	struct perm_list p = rbac_split(&req->arena, r->permissions);
	return render_role(r->key, r->name, render_perms(p.n, p.items), false, r->created_at);
}

enum status api_role_create(struct request *req)
{
	static const char *const allowed[] = {"key", "name", "permissions", NULL};
	const json_t *body = in_body(req);
	struct perm_list perms = {0, NULL};
	bool present;
	struct role_input in = {0};
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "key", true, 1, 64, &in.key);
	in_string(req, body, "name", true, 1, 100, &in.name);
	read_permissions(req, body, true, &perms, &present);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	in.permissions = &perms;
	struct role_row r;
	st = svc_role_create(&req->ctx, &in, &r);
	return st == ST_OK ? reply_json(req, 201, render_custom(req, &r)) : st;
}

/* Built-in roles first (in this order), then custom roles by key; the
 * cursor is the last role's key. */
enum status api_role_list(struct request *req)
{
	static const char *const builtin[] = {"owner", "admin", "member"};
	static const char *const names[] = {"Owner", "Admin", "Member"};
	struct page pg;
	enum status st = req_page_cursor(req, &pg, rbac_role_key_valid);
	if (st != ST_OK)
		return st;
	int first = 0; /* the first built-in role to list */
	struct page custom = {NULL, 0};
	if (pg.after != NULL) {
		first = 3;
		for (int i = 0; i < 3; i++)
			if (strcmp(pg.after, builtin[i]) == 0)
				first = i + 1;
		custom.after = first == 3 && !rbac_is_builtin(pg.after) ? pg.after : NULL;
	}
	/* one more than the page holds tells whether there is a next page */
	const char **keys = arena_alloc(&req->arena, sizeof(char *) * (size_t)(pg.limit + 1));
	json_t *items = json_array();
	int count = 0;
	for (int i = first; i < 3 && count <= pg.limit; i++) {
		struct perm_list p;
		rbac_builtin_permissions(builtin[i], &p);
		json_array_append_new(items, render_role(builtin[i], names[i],
							 render_perms(p.n, p.items), true, 0));
		keys[count++] = builtin[i];
	}
	custom.limit = pg.limit + 1 - count;
	if (custom.limit > 0) {
		struct role_row *rows;
		int n = 0;
		st = svc_role_list(&req->ctx, &custom, &rows, &n);
		if (st != ST_OK) {
			json_decref(items);
			return st;
		}
		for (int i = 0; i < n; i++) {
			json_array_append_new(items, render_custom(req, &rows[i]));
			keys[count++] = rows[i].key;
		}
	}
	bool more = count > pg.limit;
	if (more)
		json_array_remove(items, (size_t)pg.limit);
	return reply_list(req, items, more, more ? keys[pg.limit - 1] : NULL);
}

enum status api_role_update(struct request *req)
{
	static const char *const allowed[] = {"name", "permissions", NULL};
	const json_t *body = in_body(req);
	struct perm_list perms = {0, NULL};
	bool present = false;
	struct role_input in = {.key = req_param(req, "key")};
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", false, 1, 100, &in.name);
	read_permissions(req, body, false, &perms, &present);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	in.permissions = present ? &perms : NULL;
	struct role_row r;
	st = svc_role_update(&req->ctx, &in, &r);
	return st == ST_OK ? reply_json(req, 200, render_custom(req, &r)) : st;
}

enum status api_role_delete(struct request *req)
{
	enum status st = svc_role_delete(&req->ctx, req_param(req, "key"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}
