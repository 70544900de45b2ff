/*
 * users.c: GET/DELETE /users/:id, for the tenant's backend or the user
 * themself.
 */
#include "api.h"

#include "../svc/auth.h"
#include "render.h"

enum status api_user_get(struct request *req)
{
	struct user_row u;
	enum status st = svc_user_get(&req->ctx, req_param(req, "id"), &u);
	return st == ST_OK ? reply_json(req, 200, render_user(&u)) : st;
}

enum status api_user_delete(struct request *req)
{
	enum status st = svc_user_delete(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}
