/*
 * invitations.c: create/list (under an organization), revoke, accept,
 * reject. Accept and reject take an optional {"token"} (the one from the
 * mailed link); lists show emails only to callers who may invite.
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
	return reply_json(req, 201, render_invitation(&inv, "pending", true));
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
	bool with_email = false;
	st = svc_invitation_list(&req->ctx, req_param(req, "id"), &probe, &rows, &n, &with_email);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items,
				      render_invitation(&rows[i],
							svc_invitation_status(&req->ctx, &rows[i]),
							with_email));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_invitation_revoke(struct request *req)
{
	enum status st = svc_invitation_revoke(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

/* The optional {"token"} of accept and reject; no body is {}. */
static enum status read_token(struct request *req, const char **token)
{
	static const char *const allowed[] = {"token", NULL};
	const json_t *body = in_body(req);
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "token", false, 1, 256, token);
	return in_result(req);
}

enum status api_invitation_accept(struct request *req)
{
	const char *token = NULL;
	struct member_row m;
	enum status st = read_token(req, &token);
	if (st == ST_OK)
		st = svc_invitation_accept(&req->ctx, req_param(req, "id"), token, &m);
	return st == ST_OK ? reply_json(req, 200, render_member(&m)) : st;
}

enum status api_invitation_reject(struct request *req)
{
	const char *token = NULL;
	struct invitation_row inv;
	enum status st = read_token(req, &token);
	if (st == ST_OK)
		st = svc_invitation_reject(&req->ctx, req_param(req, "id"), token, &inv);
	return st == ST_OK ? reply_json(req, 200, render_invitation(&inv, "rejected", true)) : st;
}
