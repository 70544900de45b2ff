/*
 * recovery.c: password reset and email verification routes. The reset
 * request answers 202 whether or not the account exists.
 */
#include "api.h"

#include "../svc/auth.h"
#include "../svc/password.h"
#include "input.h"
#include "render.h"

static enum status reply_user(struct request *req, const struct user_row *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "user", render_user(u));
	return reply_json(req, 200, o);
}

static enum status reply_accepted(struct request *req)
{
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string("accepted"));
	return reply_json(req, 202, o);
}

enum status api_password_reset_request(struct request *req)
{
	static const char *const allowed[] = {"email", NULL};
	const json_t *body = in_body(req);
	const char *email = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "email", true, 1, 320, &email);
	enum status st = in_result(req);
	if (st == ST_OK)
		st = svc_password_reset_request(&req->ctx, email);
	return st == ST_OK ? reply_accepted(req) : st;
}

enum status api_password_reset_complete(struct request *req)
{
	static const char *const allowed[] = {"token", "password", NULL};
	const json_t *body = in_body(req);
	const char *token = NULL, *password = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "token", true, 1, 256, &token);
	in_string(req, body, "password", true, 1, BODY_MAX, &password); /* policy: svc */
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct user_row u;
	st = svc_password_reset_complete(&req->ctx, token, password, &u);
	return st == ST_OK ? reply_user(req, &u) : st;
}

enum status api_verify_email_request(struct request *req)
{
	enum status st = svc_verify_email_request(&req->ctx);
	return st == ST_OK ? reply_accepted(req) : st;
}

enum status api_verify_email_complete(struct request *req)
{
	static const char *const allowed[] = {"token", NULL};
	const json_t *body = in_body(req);
	const char *token = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "token", true, 1, 256, &token);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct user_row u;
	st = svc_verify_email_complete(&req->ctx, token, &u);
	return st == ST_OK ? reply_user(req, &u) : st;
}
