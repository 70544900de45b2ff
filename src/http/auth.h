/*
 * auth.h: who is calling. Applies the route's auth kind: admin token, tenant
 * API key (Authorization: Bearer sk_live_...), optional or required session
 * (X-Session-Token). Fills the principal, req->ctx.who.
 */
#ifndef SAASD_HTTP_AUTH_H
#define SAASD_HTTP_AUTH_H

#include "request.h"

enum status auth_resolve(struct request *req);

/* For an answer without a route (404, 405): set req->ctx.who.tenant_id when the
 * Authorization header carries a valid API key, so the call counts against
 * the tenant's rate limit and carries RateLimit-* like any other; an absent
 * or bad key changes nothing (the answer stays 404/405). */
void auth_identify_key(struct request *req);

/* "Bearer <token>" -> token (pointer into the header), or NULL. */
const char *auth_bearer(const char *header);

#endif
