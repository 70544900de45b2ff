/*
 * health.c: GET /health. Public; answers 503 when the store does not answer
 * so a load balancer takes the node out of rotation.
 */
#include "api.h"

#include "../core/version.h"

enum status api_health(struct request *req)
{
	bool ok = store_ping(req->env->store) == ST_OK;
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string(ok ? "ok" : "degraded"));
	json_object_set_new(o, "database", json_string(ok ? "ok" : "unavailable"));
	json_object_set_new(o, "version", json_string(SAASD_VERSION));
	return reply_json(req, ok ? 200 : 503, o);
}
