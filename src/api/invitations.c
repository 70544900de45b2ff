/*
 * invitations.c: create/list (under an organization), revoke, accept,
 * reject.
 */
#include "api.h"

#include "../svc/orgs.h"
#include "input.h"
#include "render.h"

enum status api_invitation_create(struct request *req)
{
	static const char *const allowed[] = {"email", "role", NULL};
	const json_t *body = in_body(req);
	const char *email = NULL, *role = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "email", true, 1, 320, &email);
	in_string(req, body, "role", false, 1, 64, &role);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct invitation_row inv;
	st = svc_invitation_create(&req->ctx, req_param(req, "id"), email, role, &inv);
	if (st != ST_OK)
		return st;
	return reply_json(req, 201, render_invitation(&inv, "pending"));
}

enum status api_invitation_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct invitation_row *rows;
	int n = 0;
	st = svc_invitation_list(&req->ctx, req_param(req, "id"), &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items,
				      render_invitation(&rows[i], svc_invitation_status(&req->ctx, &rows[i])));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_invitation_revoke(struct request *req)
{
	enum status st = svc_invitation_revoke(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

enum status api_invitation_accept(struct request *req)
{
	struct member_row m;
	enum status st = svc_invitation_accept(&req->ctx, req_param(req, "id"), &m);
	return st == ST_OK ? reply_json(req, 200, render_member(&m)) : st;
}

enum status api_invitation_reject(struct request *req)
{
	struct invitation_row inv;
	enum status st = svc_invitation_reject(&req->ctx, req_param(req, "id"), &inv);
	return st == ST_OK ? reply_json(req, 200, render_invitation(&inv, "rejected")) : st;
}
