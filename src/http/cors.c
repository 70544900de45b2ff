/*
 * cors.c: see cors.h. The Origin is echoed only after an exact match with
 * an allowed origin, so it is one validated string, never "*" or "null".
 */
#include "cors.h"

#include <string.h>

#include "../svc/origins.h"

bool cors_preflight(struct request *req)
{
	if (strcmp(req->method, "OPTIONS") != 0)
		return false;
	reply_header(req, "Vary", "Origin");
	const char *origin = req_header(req, "Origin");
	if (origin != NULL && svc_origin_allowed_any(req->env, origin)) {
		reply_header(req, "Access-Control-Allow-Origin", origin);
		reply_header(req, "Access-Control-Allow-Credentials", "true");
		reply_header(req, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
		reply_header(req, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
		reply_header(req, "Access-Control-Max-Age", CORS_MAX_AGE);
	}
	reply_empty(req, 204);
	return true;
}

bool cors_origin_allowed(struct request *req)
{
	const char *origin = req_header(req, "Origin");
	return origin != NULL && req->ctx.who.tenant_id != NULL &&
	       svc_origin_allowed_for(req->env, req->ctx.who.tenant_id, origin);
}

void cors_actual(struct request *req)
{
	reply_header(req, "Vary", "Origin");
	if (!cors_origin_allowed(req))
		return;
	reply_header(req, "Access-Control-Allow-Origin", req_header(req, "Origin"));
	reply_header(req, "Access-Control-Allow-Credentials", "true");
	reply_header(req, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}
