/*
 * audit_phase.c: what the pipeline gives the audit log: before the handler,
 * the route's declared action (src/routes.c), the client's address and user
 * agent, a default target from the path and a PATCH's field names; after
 * it (the audit phase of server.c), audit_finish. The user agent is cut to
 * AUDIT_USER_AGENT_MAX and kept to printable ASCII: it is the client's
 * text, stored and shown back as JSON.
 */
#include "audit_phase.h"

#include <string.h>

#include "../svc/audit.h"

/* The resource a path segment names, for the parameter after it. */
static const char *const segment_types[][2] = {
	{"tenants", "tenant"},
	{"api-keys", "api_key"},
	{"sessions", "session"},
	{"users", "user"},
	{"organizations", "organization"},
	{"members", "user"},
	{"invitations", "invitation"},
	{"tiers", "tier"},
	{"webhooks", "webhook"},
	{"deliveries", "webhook_delivery"},
	{"roles", "role"},
};

static const char *type_of(const char *segment, size_t n)
{
	for (size_t i = 0; i < sizeof segment_types / sizeof segment_types[0]; i++)
		if (strlen(segment_types[i][0]) == n &&
		    strncmp(segment_types[i][0], segment, n) == 0)
			return segment_types[i][1];
	return NULL;
}

/* The default target: the last path parameter, typed by the segment before
 * it (/organizations/:id/members/:userId -> user :userId); the organization
 * of every /organizations/:id/... route. Services refine it (a created
 * resource's id, a call without parameters). */
static void target_from_path(struct request *req)
{
	struct svc_ctx *c = &req->ctx;
	const char *pattern = req->match.route->pattern;
	if (strncmp(pattern, "/organizations/:id", 18) == 0)
		audit_org(c, req_param(req, "id"));
	const char *prev = NULL, *seg = pattern;
	size_t prev_len = 0;
	int param = 0;
	while (*seg == '/') {
		seg++;
		size_t n = strcspn(seg, "/");
		if (*seg == ':' && param < req->match.nparams) {
			const char *type = prev ? type_of(prev, prev_len) : NULL;
			if (type != NULL)
				audit_target(c, type, req->match.values[param]);
			param++;
		}
		prev = seg;
		prev_len = n;
		seg += n;
	}
}

/* A PATCH records the fields it set: the body's keys (one level down for
 * "settings"), which the handler has checked against the known ones before
 * the call can succeed. Names only. */
static void changes_from_body(struct request *req)
{
	if (strcmp(req->method, "PATCH") != 0 || !json_is_object(req->json))
		return;
	const char *key;
	json_t *v;
	json_object_foreach(req->json, key, v)
	{
		if (strcmp(key, "settings") != 0 || !json_is_object(v)) {
			audit_change(&req->ctx, key);
			continue;
		}
		const char *sub;
		json_t *sv;
		json_object_foreach(v, sub, sv)
		{
			(void)sv;
			audit_change(&req->ctx, arena_printf(&req->arena, "settings.%s", sub));
		}
	}
}

static const char *user_agent(struct request *req)
{
	const char *ua = req_header(req, "User-Agent");
	if (ua == NULL)
		return "";
	size_t n = strnlen(ua, AUDIT_USER_AGENT_MAX);
	char *out = arena_alloc(&req->arena, n + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = (ua[i] >= 0x20 && ua[i] < 0x7f) ? ua[i] : '?';
	out[n] = '\0';
	return out;
}

void audit_phase_begin(struct request *req)
{
	struct audit_pending *p = &req->ctx.audit;
	memset(p, 0, sizeof *p);
	p->action = req->match.route->action;
	if (p->action == NULL)
		return; /* read-only: nothing to record, nothing to read */
	p->ip = req->client_ip;
	p->user_agent = user_agent(req);
	target_from_path(req);
	changes_from_body(req);
}

void audit_phase_end(struct request *req, enum status st)
{
	audit_finish(&req->ctx, st);
}
