/*
 * tenant.c: GET/PATCH /tenant, the calling tenant's own name and settings,
 * and the settings-patch parser shared with the admin routes.
 */
#include "api.h"

#include <string.h>

#include "input.h"
#include "render.h"

static void patch_text(struct request *req, const json_t *s, const char *key, size_t max,
		       const char **value, bool *clear)
{
	in_nullable_string(req, s, key, 1, max, value, clear);
}

static void parse_settings(struct request *req, const json_t *s, struct tenant_patch *p)
{
	static const char *const allowed[] = {"app_name",
					      "email_from",
					      "invite_url",
					      "reset_url",
					      "verify_url",
					      "rate_limit_per_minute",
					      "default_tier",
					      "self_serve_billing",
					      "audit_retention_days",
					      NULL};
	req->field_prefix = "settings";
	in_known_fields(req, s, allowed, "settings");
	patch_text(req, s, "app_name", 200, &p->app_name, &p->clear_app_name);
	patch_text(req, s, "email_from", 320, &p->email_from, &p->clear_email_from);
	patch_text(req, s, "invite_url", 2048, &p->invite_url, &p->clear_invite_url);
	patch_text(req, s, "reset_url", 2048, &p->reset_url, &p->clear_reset_url);
	patch_text(req, s, "verify_url", 2048, &p->verify_url, &p->clear_verify_url);
	patch_text(req, s, "default_tier", 64, &p->default_tier, &p->clear_default_tier);
	in_int(req, s, "rate_limit_per_minute", false, 1, 100000000, &p->rate_limit_per_minute,
	       &p->has_rate_limit, &p->clear_rate_limit);
	in_bool(req, s, "self_serve_billing", &p->self_serve_billing, &p->has_self_serve_billing);
	in_int(req, s, "audit_retention_days", false, 1, TENANT_AUDIT_RETENTION_MAX,
	       &p->audit_retention_days, &p->has_audit_retention, NULL);
	req->field_prefix = NULL;
}

enum status api_tenant_patch_from_body(struct request *req, struct tenant_patch *p)
{
	static const char *const allowed[] = {"name", "settings", NULL};
	const json_t *body = in_body(req);
	memset(p, 0, sizeof *p);
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", false, 1, 200, &p->name);
	json_t *settings = json_object_get(body, "settings");
	if (settings != NULL && !json_is_object(settings))
		fields_add(&req->arena, &req->errors, "settings", "invalid_type");
	else if (settings != NULL)
		parse_settings(req, settings, p);
	return in_result(req);
}

enum status api_tenant_get(struct request *req)
{
	struct tenant_row t;
	enum status st = svc_tenant_get(&req->ctx, req->ctx.who.tenant_id, &t);
	if (st != ST_OK)
		return st;
	return reply_json(req, 200, render_tenant(&t));
}

enum status api_tenant_update(struct request *req)
{
	struct tenant_patch p;
	enum status st = api_tenant_patch_from_body(req, &p);
	if (st != ST_OK)
		return st;
	struct tenant_row t;
	st = svc_tenant_update(&req->ctx, req->ctx.who.tenant_id, &p, &t);
	if (st != ST_OK)
		return st;
	return reply_json(req, 200, render_tenant(&t));
}
