/*
 * test_clock.c: POST /admin/test/clock. Present only under ENVIRONMENT=test
 * (main.c leaves the route out of the table otherwise) and answered only
 * for a loopback peer: the socket's address, never X-Forwarded-For.
 */
#include "api.h"

#include "../svc/test_clock.h"
#include "input.h"
#include "render.h"

enum status api_test_clock_advance(struct request *req)
{
	if (!config_is_test(req->env->cfg) || !req->peer_loopback)
		return ST_NOT_FOUND; /* as if the route did not exist */
	static const char *const allowed[] = {"advance_seconds", NULL};
	const json_t *body = in_body(req);
	int64_t seconds = 0;
	bool present = false;
	in_known_fields(req, body, allowed, NULL);
	in_int(req, body, "advance_seconds", true, 1, TEST_CLOCK_ADVANCE_MAX_S, &seconds, &present,
	       NULL);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	int64_t now = 0, offset = 0;
	st = svc_test_clock_advance(&req->ctx, seconds, &now, &offset);
	if (st != ST_OK)
		return st;
	char ts[RFC3339_LEN];
	clock_format_rfc3339(now, ts);
	json_t *o = json_object();
	json_object_set_new(o, "now", json_string(ts));
	json_object_set_new(o, "offset_seconds", json_integer(offset / 1000));
	return reply_json(req, 200, o);
}
