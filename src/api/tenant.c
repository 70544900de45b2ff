/*
 * tenant.c: GET/PATCH /tenant, the calling tenant's own name and settings,
 * and the settings-patch parser shared with the admin routes.
 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/origin.h"

#include "input.h"
#include "render.h"

static void patch_text(struct request *req, const json_t *s, const char *key, size_t max,
		       const char **value, bool *clear)
{
	in_nullable_string(req, s, key, 1, max, value, clear);
}

/* settings.<key>: an array of at most TENANT_BROWSER_LIST_MAX distinct
 * strings that valid() accepts; *out gets it as compact JSON. Errors name
 * the entry: settings.allowed_origins[3]. */
static void patch_list(struct request *req, const json_t *s, const char *key,
		       bool (*valid)(const char *), const char *reason, const char **out)
{
	const json_t *list = json_object_get(s, key);
	char field[64];
	snprintf(field, sizeof field, "settings.%s", key);
	if (list == NULL)
		return;
	if (!json_is_array(list)) {
		fields_add(&req->arena, &req->errors, arena_strdup(&req->arena, field),
			   "invalid_type");
		return;
	}
	if (json_array_size(list) > TENANT_BROWSER_LIST_MAX) {
		fields_add(&req->arena, &req->errors, arena_strdup(&req->arena, field), "too_many");
		return;
	}
	bool ok = true;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);
		const char *v = json_string_value(e);
		const char *why = NULL;
		if (v == NULL || strlen(v) != json_string_length(e))
			why = "invalid_type";
		else if (!valid(v))
			why = reason;
		for (size_t j = 0; why == NULL && j < i; j++)
			if (json_equal(json_array_get(list, j), e))
				why = "duplicate";
		if (why != NULL) {
			char *f = arena_alloc(&req->arena, sizeof field + 24);
			snprintf(f, sizeof field + 24, "%s[%zu]", field, i);
			fields_add(&req->arena, &req->errors, f, why);
			ok = false;
		}
	}
	if (!ok)
		return;
	char *json = json_dumps(list, JSON_COMPACT);
	if (json != NULL) {
		*out = arena_strdup(&req->arena, json);
		free(json);
	}
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
					      "allowed_origins",
					      "allowed_redirect_urls",
					      "cookie_domain",
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
	patch_text(req, s, "cookie_domain", DOMAIN_MAX, &p->cookie_domain, &p->clear_cookie_domain);
	req->field_prefix = NULL;
	patch_list(req, s, "allowed_origins", origin_valid, "invalid_origin", &p->allowed_origins);
	patch_list(req, s, "allowed_redirect_urls", redirect_url_valid, "invalid_url",
		   &p->allowed_redirect_urls);
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
