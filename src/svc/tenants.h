/*
 * tenants.h: operator-level tenant management (create, list, get, update)
 * and the tenant's own view of its settings. Creating a tenant also creates
 * its first API key, in the same transaction.
 */
#ifndef SAASD_SVC_TENANTS_H
#define SAASD_SVC_TENANTS_H

#include "../store/tenants.h"
#include "svc.h"

/* A partial update: a NULL pointer / has_* false means "leave as is". For
 * the nullable settings, set the field's clear_* flag to write NULL. */
struct tenant_patch {
	const char *name;
	const char *app_name, *email_from, *invite_url, *reset_url, *verify_url, *default_tier;
	bool clear_app_name, clear_email_from, clear_invite_url, clear_reset_url, clear_verify_url,
		clear_default_tier, clear_rate_limit;
	bool has_rate_limit;
	int64_t rate_limit_per_minute;
	bool has_self_serve_billing, self_serve_billing;
	bool has_audit_retention;
	int64_t audit_retention_days;
	/* browser settings: the lists as JSON arrays already checked by
	 * core/origin.c (api/tenant.c), NULL to leave as is */
	const char *allowed_origins, *allowed_redirect_urls;
	const char *cookie_domain;
	bool clear_cookie_domain;
};

/* Create tenant + first key. *key_plain is the only copy of the secret. */
enum status svc_tenant_create(struct svc_ctx *c, const char *name, struct tenant_row *out,
			      char **key_plain);
enum status svc_tenant_get(struct svc_ctx *c, const char *id, struct tenant_row *out);
enum status svc_tenant_list(struct svc_ctx *c, const struct page *pg, struct tenant_row **rows,
			    int *n);
enum status svc_tenant_update(struct svc_ctx *c, const char *id, const struct tenant_patch *p,
			      struct tenant_row *out);

/* On first development start: create "default" when no tenant exists. */
enum status svc_tenant_bootstrap_default(struct svc_ctx *c, bool *created, struct tenant_row *out,
					 char **key_plain);

#endif
