/*
 * auth.c: the caller-identification step of every request. Admin tokens are
 * compared in constant time. A session token that is present but not valid is
 * always 401 invalid_session: it never falls back to a system call. The
 * saasd_session cookie stands for X-Session-Token when that is absent, on
 * the routes that read it (session_cookie.h); the header wins when both are
 * sent.
 * A publishable key (pk_live_) calls only the routes whose .keys take it;
 * without a session it never acts as "system" (403
 * publishable_key_not_allowed), whatever the route.
 */
#include "auth.h"

#include <string.h>
#include <strings.h>

#include "../core/ids.h"
#include "../core/secure.h"
#include "../svc/apikeys.h"
#include "../svc/sessions.h"
#include "session_cookie.h"

const char *auth_bearer(const char *header)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	const char *t = header + 7;
	while (*t == ' ')
		t++;
	return *t ? t : NULL;
}

static enum status check_admin(struct request *req)
{
	const char *configured = req->env->cfg->admin_token;
	if (configured[0] == '\0')
		return ST_NOT_FOUND; /* admin routes do not exist without a token */
	const char *given = auth_bearer(req_header(req, "Authorization"));
	if (given == NULL || !sec_str_equal(given, configured)) {
		req->error_message = "A valid admin token is required.";
		return ST_UNAUTHORIZED;
	}
	return ST_OK;
}

static enum status check_key(struct request *req)
{
	const char *header = req_header(req, "Authorization");
	if (header == NULL || header[0] == '\0')
		return ST_MISSING_API_KEY;
	const char *key = auth_bearer(header);
	if (key == NULL)
		return ST_INVALID_API_KEY;
	struct apikey_auth who;
	enum status st = svc_apikey_authenticate(req->env, key, &who);
	if (st != ST_OK)
		return st;
	req->ctx.who.tenant_id = arena_strdup(&req->arena, who.tenant_id);
	req->ctx.who.api_key_id = arena_strdup(&req->arena, who.key_id);
	req->ctx.who.kind = who.publishable ? ACTOR_PUBLISHABLE_KEY : ACTOR_SECRET_KEY;
	req->ctx.who.key_kind = req->ctx.who.kind;
	req->ctx.who.actor_id = req->ctx.who.api_key_id;
	req->tenant_rate_limit = who.rate_limit;
	return ST_OK;
}

/* The session's token: X-Session-Token, else (on the routes that read it)
 * the saasd_session cookie. A cookie that is malformed or sent twice is a
 * session that does not authenticate: 401, and the answer clears it. */
static enum status session_token(struct request *req, const char **token)
{
	*token = req_header(req, "X-Session-Token");
	if (*token != NULL || !session_cookie_read_by(req->match.route))
		return ST_OK;
	enum cookie_lookup found = session_cookie_token(req, token);
	req->session_via_cookie = found != COOKIE_ABSENT;
	if (found != COOKIE_INVALID)
		return ST_OK;
	req->error_message = "The session cookie is malformed or was sent twice.";
	session_cookie_clear(req);
	return ST_INVALID_SESSION;
}

static enum status check_session(struct request *req, bool required)
{
	const char *token = NULL;
	enum status st = session_token(req, &token);
	if (st != ST_OK)
		return st;
	if (token == NULL)
		return required ? ST_INVALID_SESSION : ST_OK;
	struct session_auth *who = arena_alloc(&req->arena, sizeof *who);
	st = svc_session_authenticate(req->env, &req->arena, req->ctx.who.tenant_id, token, who);
	if (st != ST_OK) {
		/* a cookie naming no live session: the browser drops it */
		if (st == ST_INVALID_SESSION && req->session_via_cookie)
			session_cookie_clear(req);
		return st;
	}
	req->session_token = token;
	req->ctx.who.kind = ACTOR_USER;
	req->ctx.who.actor_id = who->user.id;
	req->ctx.who.user_id = who->user.id;
	req->ctx.who.session_id = who->session.id;
	req->ctx.who.aal = 1;
	req->session_expires_at = who->session.expires_at;
	req->session_user = &who->user;
	return ST_OK;
}

/* The key's kind must be one the route takes (before the session is read,
 * so a refused key kind is refused whatever the session). */
static enum status check_key_kind(struct request *req)
{
	unsigned takes = router_keys(req->match.route);
	if (req->ctx.who.key_kind == ACTOR_PUBLISHABLE_KEY) {
		if (takes & (KEYS_PUBLISHABLE | KEYS_PUBLISHABLE_SESSION))
			return ST_OK;
		req->error_message = "A publishable key cannot make this call; use a secret key.";
		return ST_PUBLISHABLE_KEY_NOT_ALLOWED;
	}
	if (takes & KEYS_SECRET)
		return ST_OK;
	req->error_message = "This route does not take this kind of API key.";
	return ST_FORBIDDEN;
}

void auth_identify_key(struct request *req)
{
	const char *key = auth_bearer(req_header(req, "Authorization"));
	if (key != NULL && (strncmp(key, API_KEY_PREFIX, sizeof API_KEY_PREFIX - 1) == 0 ||
			    apikey_is_publishable(key)))
		(void)check_key(req); /* a bad key leaves req->ctx.who.tenant_id NULL */
}

enum status auth_resolve(struct request *req)
{
	enum auth_kind kind = req->match.route->auth;
	enum status st;
	switch (kind) {
	case AUTH_NONE:
		return ST_OK;
	case AUTH_ADMIN:
		st = check_admin(req);
		if (st == ST_OK) {
			req->ctx.who.kind = ACTOR_ADMIN;
			req->ctx.who.actor_id = "admin";
		}
		return st;
	case AUTH_KEY:
	case AUTH_SYSTEM:
	case AUTH_SESSION:
		st = check_key(req);
		if (st == ST_OK)
			st = check_key_kind(req);
		if (st == ST_OK)
			st = check_session(req, kind == AUTH_SESSION);
		/* without a session, a session-optional route is a system call: a
		 * publishable key may only make the end-user ones (KEYS_PUBLISHABLE:
		 * register, login, ...) */
		if (st == ST_OK && req->ctx.who.key_kind == ACTOR_PUBLISHABLE_KEY &&
		    req->ctx.who.user_id == NULL &&
		    (router_keys(req->match.route) & KEYS_PUBLISHABLE) == 0) {
			req->error_message =
				"A publishable key needs a user session for this call.";
			st = ST_PUBLISHABLE_KEY_NOT_ALLOWED;
		}
		if (st == ST_OK && kind == AUTH_SYSTEM && req->ctx.who.user_id != NULL) {
			req->error_message = "This route is for the tenant's backend only.";
			st = ST_FORBIDDEN;
		}
		return st;
	case AUTH_UNSET:
		break;
	}
	return ST_INTERNAL;
}
