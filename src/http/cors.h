/*
 * cors.h: CORS for browsers (API.md "Keys, browsers, cookies"). A preflight
 * (any OPTIONS request) is answered 204 before routing: with the
 * Access-Control-* headers when some tenant allows its Origin, without any
 * when none does (the browser then refuses the call). An actual answer gets
 * Access-Control-Allow-Origin/-Credentials/-Expose-Headers only when the
 * Origin is in the calling tenant's allowed_origins. Every answer of either
 * kind carries Vary: Origin. Lookups go to the in-memory svc/origins.c.
 */
#ifndef SAASD_HTTP_CORS_H
#define SAASD_HTTP_CORS_H

#include <stdbool.h>

#include "request.h"

#define CORS_ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE"
#define CORS_ALLOW_HEADERS \
	"Authorization, Content-Type, X-Session-Token, Idempotency-Key, X-Request-Id, traceparent"
#define CORS_EXPOSE_HEADERS \
	"X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
#define CORS_MAX_AGE "600"

/* True (and the 204 prepared) when req is a preflight. */
bool cors_preflight(struct request *req);
/* The headers of an actual answer, once the tenant is known (or not). */
void cors_actual(struct request *req);
/* True when the request's Origin is in its tenant's allowed_origins. */
bool cors_origin_allowed(struct request *req);

#endif
