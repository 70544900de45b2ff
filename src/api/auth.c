/*
 * auth.c: /auth/register, /auth/login, /auth/logout, /auth/session(s).
 * register and login run on the hash pool (route flag), never on an HTTP
 * thread. Passwords are read from the body and never rendered or logged.
 * With "session_cookie": true, register and login answer the token as the
 * saasd_session cookie instead of in the body; logout and refresh of a
 * cookie-borne session clear or rotate that cookie.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include "../svc/auth.h"
#include "../svc/password.h"
#include "../svc/sessions.h"
#include "../http/session_cookie.h"
#include "input.h"
#include "render.h"

/* The answer of a sign-in: user and session. With cookie, the token goes
 * into the saasd_session cookie (Set-Cookie) and not into the body. */
static enum status reply_auth(struct request *req, int http_status, const struct auth_result *r,
			      bool cookie)
{
	if (cookie)
		session_cookie_set(req, r->token, r->session.expires_at);
	json_t *o = json_object();
	json_object_set_new(o, "user", render_user(&r->user));
	json_object_set_new(o, "session", render_session(&r->session, cookie ? NULL : r->token));
	return reply_json(req, http_status, o);
}

/* "session_cookie": a boolean, false when absent (invalid_type otherwise). */
static bool read_session_cookie(struct request *req, const json_t *body)
{
	bool cookie = false, present = false;
	in_bool(req, body, "session_cookie", &cookie, &present);
	return present && cookie;
}

/* Password strings are checked for type and UTF-8 here; length and policy in
 * the svc, so any password over 128 characters is password_too_long (the
 * 64 KiB body cap bounds the work). */
static void read_password(struct request *req, const json_t *body, const char **out)
{
	in_string(req, body, "password", true, 1, BODY_MAX, out);
}

enum status api_auth_register(struct request *req)
{
	static const char *const allowed[] = {"email", "password", "name", "session_cookie", NULL};
	const json_t *body = in_body(req);
	const char *email = NULL, *password = NULL, *name = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "email", true, 1, 320, &email);
	read_password(req, body, &password);
	in_string(req, body, "name", false, 1, 200, &name);
	bool cookie = read_session_cookie(req, body);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct auth_result r;
	st = svc_auth_register(&req->ctx, email, password, name, &r);
	if (st != ST_OK)
		return st;
	return reply_auth(req, 201, &r, cookie);
}

enum status api_auth_login(struct request *req)
{
	static const char *const allowed[] = {"email", "password", "session_cookie", NULL};
	const json_t *body = in_body(req);
	const char *email = NULL, *password = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "email", true, 1, 320, &email);
	read_password(req, body, &password);
	bool cookie = read_session_cookie(req, body);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct auth_result r;
	st = svc_auth_login(&req->ctx, email, password, &r);
	if (st != ST_OK)
		return st;
	return reply_auth(req, 200, &r, cookie);
}

enum status api_auth_logout(struct request *req)
{
	enum status st = svc_auth_logout(&req->ctx);
	if (st != ST_OK)
		return st;
	if (req->session_via_cookie)
		session_cookie_clear(req);
	return reply_empty(req, 204);
}

enum status api_auth_session(struct request *req)
{
	if (req->session_user == NULL)
		return ST_INVALID_SESSION;
	struct session_row s = {.id = (char *)req->ctx.who.session_id,
				.expires_at = req->session_expires_at};
	json_t *o = json_object();
	json_object_set_new(o, "user", render_user(req->session_user));
	json_object_set_new(o, "session", render_session(&s, NULL));
	return reply_json(req, 200, o);
}

enum status api_auth_sessions(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct session_row *rows;
	int n = 0;
	st = svc_auth_sessions(&req->ctx, &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *s = render_session(&rows[i], NULL);
		json_object_set_new(s, "current",
				    json_boolean(strcmp(rows[i].id, req->ctx.who.session_id) == 0));
		json_array_append_new(items, s);
	}
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_auth_session_revoke(struct request *req)
{
	enum status st = svc_auth_session_revoke(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

/* A new token for the caller's session, presented with its current token
 * (header or cookie): the answer of login (user, session with its new
 * token, or the new cookie for a cookie-borne session). */
enum status api_auth_session_refresh(struct request *req)
{
	if (req->session_user == NULL)
		return ST_INVALID_SESSION;
	static const char *const allowed[] = {NULL};
	in_known_fields(req, in_body(req), allowed, NULL);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct auth_result r = {.user = *req->session_user,
				.session = {.id = (char *)req->ctx.who.session_id,
					    .tenant_id = (char *)req->ctx.who.tenant_id,
					    .user_id = (char *)req->ctx.who.user_id,
					    .expires_at = req->session_expires_at}};
	st = svc_session_refresh(&req->ctx, req->session_token, &r.session, &r.token);
	if (st != ST_OK)
		return st;
	/* a cookie-borne session rotates its cookie: the page cannot read it */
	return reply_auth(req, 200, &r, req->session_via_cookie);
}
