/*
 * tenants.c: tenant creation (tenant row + first API key in one transaction),
 * reads, and settings updates with value validation. Settings are plain
 * columns, so later features read them without parsing JSON.
 */
#include "../core/origin.h"
#include "tenants.h"

#include <string.h>

#include "../core/ids.h"
#include "../store/billing.h"
#include "apikeys.h"
#include "origins.h"
#include "keycache.h"

#define TENANT_NAME_MAX 200

static bool email_from_valid(const char *s)
{
	/* "Name <addr@host>" or "addr@host"; CR/LF are refused by text_valid */
	return text_valid(s, 3, 320) && strchr(s, '@') != NULL;
}

static bool tier_key_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

static bool template_valid(const char *s)
{
	return url_valid_http(s) && strstr(s, "{token}") != NULL;
}

static enum status validate_patch(struct svc_ctx *c, const struct tenant_patch *p)
{
	struct arena *a = c->arena;
	if (p->cookie_domain && !domain_valid(p->cookie_domain))
		fields_add(a, c->errors, "settings.cookie_domain", "invalid_domain");
	if (p->name && !text_valid(p->name, 1, TENANT_NAME_MAX))
		fields_add(a, c->errors, "name", "invalid_length");
	if (p->app_name && !text_valid(p->app_name, 1, TENANT_NAME_MAX))
		fields_add(a, c->errors, "settings.app_name", "invalid_length");
	if (p->email_from && !email_from_valid(p->email_from))
		fields_add(a, c->errors, "settings.email_from", "invalid_format");
	if (p->invite_url && !template_valid(p->invite_url))
		fields_add(a, c->errors, "settings.invite_url", "invalid_url_template");
	if (p->reset_url && !template_valid(p->reset_url))
		fields_add(a, c->errors, "settings.reset_url", "invalid_url_template");
	if (p->verify_url && !template_valid(p->verify_url))
		fields_add(a, c->errors, "settings.verify_url", "invalid_url_template");
	if (p->default_tier && !tier_key_valid(p->default_tier))
		fields_add(a, c->errors, "settings.default_tier", "invalid_format");
	if (p->has_rate_limit &&
	    (p->rate_limit_per_minute < 1 || p->rate_limit_per_minute > 100000000))
		fields_add(a, c->errors, "settings.rate_limit_per_minute", "out_of_range");
	else if (p->has_rate_limit && c->who.tenant_id != NULL &&
		 p->rate_limit_per_minute > c->env->cfg->max_tenant_rate_limit)
		/* the tenant's own call: the operator caps what it may set itself */
		fields_add(a, c->errors, "settings.rate_limit_per_minute", "out_of_range");
	if (p->has_audit_retention &&
	    (p->audit_retention_days < 1 || p->audit_retention_days > TENANT_AUDIT_RETENTION_MAX))
		fields_add(a, c->errors, "settings.audit_retention_days", "out_of_range");
	return c->errors->count > 0 ? ST_VALIDATION_FAILED : ST_OK;
}

static void apply_text(struct arena *a, char **field, const char *value, bool clear)
{
	if (clear)
		*field = NULL;
	else if (value != NULL)
		*field = arena_strdup(a, value);
}

static void apply_patch(struct svc_ctx *c, struct tenant_row *t, const struct tenant_patch *p)
{
	struct arena *a = c->arena;
	if (p->name)
		t->name = arena_strdup(a, p->name);
	apply_text(a, &t->app_name, p->app_name, p->clear_app_name);
	apply_text(a, &t->email_from, p->email_from, p->clear_email_from);
	apply_text(a, &t->invite_url, p->invite_url, p->clear_invite_url);
	apply_text(a, &t->reset_url, p->reset_url, p->clear_reset_url);
	apply_text(a, &t->verify_url, p->verify_url, p->clear_verify_url);
	apply_text(a, &t->default_tier, p->default_tier, p->clear_default_tier);
	if (p->clear_rate_limit)
		t->rate_limit_per_minute = 0;
	else if (p->has_rate_limit)
		t->rate_limit_per_minute = p->rate_limit_per_minute;
	if (p->has_self_serve_billing)
		t->self_serve_billing = p->self_serve_billing;
	if (p->has_audit_retention)
		t->audit_retention_days = p->audit_retention_days;
	apply_text(a, &t->allowed_origins, p->allowed_origins, false);
	apply_text(a, &t->allowed_redirect_urls, p->allowed_redirect_urls, false);
	apply_text(a, &t->cookie_domain, p->cookie_domain, p->clear_cookie_domain);
	t->updated_at = svc_now(c);
}

struct create_op {
	const char *name;
	struct tenant_row *out;
	char **key_plain;
};

static enum status create_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct create_op *op = arg;
	struct tenant_row *out = op->out;
	int64_t now = svc_now(c);
	memset(out, 0, sizeof *out);
	out->id = id_new(c->arena, "ten", now);
	audit_target(c, "tenant", out->id);
	out->name = arena_strdup(c->arena, op->name);
	out->created_at = out->updated_at = now;
	out->audit_retention_days = TENANT_AUDIT_RETENTION_DEFAULT;
	enum status st = store_tenant_insert(d, c->arena, out);
	if (st == ST_OK) {
		struct svc_ctx kc = *c;
		kc.who.tenant_id = out->id;
		struct api_key_row key;
		st = svc_apikey_create_in(&kc, d, "default", false, &key, op->key_plain);
	}
	return st;
}

enum status svc_tenant_create(struct svc_ctx *c, const char *name, struct tenant_row *out,
			      char **key_plain)
{
	if (!text_valid(name, 1, TENANT_NAME_MAX)) {
		fields_add(c->arena, c->errors, "name", "invalid_length");
		return ST_VALIDATION_FAILED;
	}
	struct create_op op = {name, out, key_plain};
	return svc_in_tx(c, create_in, &op);
}

enum status svc_tenant_get(struct svc_ctx *c, const char *id, struct tenant_row *out)
{
	if (!id_valid(id, "ten"))
		return ST_NOT_FOUND;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_tenant_get(d, c->arena, id, out);
	store_release(c->env->store, d);
	return st;
}

enum status svc_tenant_list(struct svc_ctx *c, const struct page *pg, struct tenant_row **rows,
			    int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_tenant_list(d, c->arena, pg->after, pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}

struct update_op {
	const char *id;
	const struct tenant_patch *patch;
	struct tenant_row *out;
};

static enum status update_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct update_op *op = arg;
	enum status st = store_tenant_get(d, c->arena, op->id, op->out);
	if (st != ST_OK)
		return st;
	if (op->patch->default_tier != NULL) {
		struct tier_row tier;
		st = store_tier_get(d, c->arena, op->id, op->patch->default_tier, &tier);
		if (st == ST_NOT_FOUND) {
			fields_add(c->arena, c->errors, "settings.default_tier", "unknown_tier");
			return ST_VALIDATION_FAILED;
		}
		if (st != ST_OK)
			return st;
	}
	apply_patch(c, op->out, op->patch);
	return store_tenant_update(d, c->arena, op->out);
}

enum status svc_tenant_update(struct svc_ctx *c, const char *id, const struct tenant_patch *p,
			      struct tenant_row *out)
{
	if (!id_valid(id, "ten"))
		return ST_NOT_FOUND;
	enum status st = validate_patch(c, p);
	if (st != ST_OK)
		return st;
	struct update_op op = {id, p, out};
	audit_target(c, "tenant", id);
	st = svc_in_tx(c, update_in, &op);
	if (st == ST_OK) {
		/* cached keys carry the rate limit, the origin index the allowed
		 * origins: this node applies the change at once, others when their
		 * cache entries expire (2 s) */
		keycache_evict_tenant(c->env->keys, id);
		if (c->env->origins != NULL)
			origin_index_invalidate(c->env->origins);
	}
	return st;
}

enum status svc_tenant_bootstrap_default(struct svc_ctx *c, bool *created, struct tenant_row *out,
					 char **key_plain)
{
	*created = false;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	int64_t count = 0;
	enum status st = store_tenant_count(d, c->arena, &count);
	if (st == ST_OK && count == 0) {
		struct create_op op = {"default", out, key_plain};
		st = svc_tx_on(c, d, create_in, &op);
		*created = st == ST_OK;
	}
	store_release(c->env->store, d);
	return st;
}
