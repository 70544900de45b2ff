/*
 * session_cookie.h: the browser's session cookie, saasd_session (API.md
 * "Keys, browsers, cookies"). Which routes read it, setting and clearing it
 * on an answer (with the tenant's cookie_domain), and the CSRF rule of the
 * pipeline's csrf phase. The token it carries is never logged.
 */
#ifndef SAASD_HTTP_SESSION_COOKIE_H
#define SAASD_HTTP_SESSION_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/cookie.h"
#include "request.h"

#define SESSION_COOKIE_NAME "saasd_session"

/* Does the route take a session from the cookie? Every session route, and
 * the key routes that take a publishable key only with a session
 * (KEYS_PUBLISHABLE_SESSION); not the system routes, and not the end-user
 * routes that need no session (register, login, password reset,
 * verify-email complete): a stale cookie never stops a sign-in. */
bool session_cookie_read_by(const struct route *r);

/* The saasd_session value of the request's Cookie header (core/cookie.c);
 * *token (req's arena) when COOKIE_FOUND. */
enum cookie_lookup session_cookie_token(struct request *req, const char **token);

/* Queue Set-Cookie saasd_session=<token> for a session that ends at
 * expires_at (epoch ms), with the calling tenant's cookie_domain. */
void session_cookie_set(struct request *req, const char *token, int64_t expires_at);

/* Queue Set-Cookie saasd_session=; Max-Age=0: with Domain when the tenant
 * has a cookie_domain, and then also the host-only cookie, so neither
 * variant (one from before a cookie_domain change) outlives a logout. */
void session_cookie_clear(struct request *req);

/* The CSRF rule: a call whose session came from the cookie, with a method
 * other than GET, HEAD or OPTIONS, must carry an Origin header in its
 * tenant's allowed_origins (exact match): else ST_CSRF_REJECTED. Calls with
 * X-Session-Token (or with no session) pass. */
enum status session_cookie_csrf(struct request *req);

#endif
