/*
 * session_cookie.c: see session_cookie.h. The cookie_domain is read from
 * the store only when a cookie is set or cleared (sign-in, refresh,
 * logout, a stale cookie's 401), never on the calls that merely carry it.
 */
#include "session_cookie.h"

#include <string.h>

#include "../svc/tenants.h"
#include "cors.h"

bool session_cookie_read_by(const struct route *r)
{
	if (r == NULL)
		return false;
	if (r->auth == AUTH_SESSION)
		return true;
	return r->auth == AUTH_KEY && (router_keys(r) & KEYS_PUBLISHABLE_SESSION) != 0;
}

enum cookie_lookup session_cookie_token(struct request *req, const char **token)
{
	const char *v = NULL;
	size_t n = 0;
	enum cookie_lookup r = cookie_find(req_header(req, "Cookie"), SESSION_COOKIE_NAME, &v, &n);
	*token = r == COOKIE_FOUND ? arena_strndup(&req->arena, v, n) : NULL;
	return r;
}

/* The calling tenant's cookie_domain, or NULL (unset, or unreadable: a
 * host-only cookie is the safe fallback). */
static const char *tenant_cookie_domain(struct request *req)
{
	if (req->ctx.who.tenant_id == NULL)
		return NULL;
	struct tenant_row t;
	if (svc_tenant_get(&req->ctx, req->ctx.who.tenant_id, &t) != ST_OK)
		return NULL;
	return t.cookie_domain;
}

void session_cookie_set(struct request *req, const char *token, int64_t expires_at)
{
	int64_t max_age = (expires_at - svc_now(&req->ctx)) / 1000;
	reply_header(req, "Set-Cookie",
		     cookie_set_header(&req->arena, SESSION_COOKIE_NAME, token,
				       tenant_cookie_domain(req), max_age));
}

void session_cookie_clear(struct request *req)
{
	const char *domain = tenant_cookie_domain(req);
	reply_header(req, "Set-Cookie",
		     cookie_set_header(&req->arena, SESSION_COOKIE_NAME, "", domain, 0));
	if (domain != NULL && domain[0] != '\0')
		reply_header(req, "Set-Cookie",
			     cookie_set_header(&req->arena, SESSION_COOKIE_NAME, "", NULL, 0));
}

static bool safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

enum status session_cookie_csrf(struct request *req)
{
	if (!req->session_via_cookie || safe_method(req->method))
		return ST_OK;
	if (cors_origin_allowed(req))
		return ST_OK;
	req->error_message = req_header(req, "Origin") == NULL
				     ? "A call with the session cookie must send an Origin header."
				     : "A call with the session cookie must come from one of the "
				       "tenant's allowed origins.";
	return ST_CSRF_REJECTED;
}
