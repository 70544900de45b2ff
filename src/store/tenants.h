/*
 * tenants.h: SQL for the tenants table. Tenants are the top of the ownership
 * tree, so these are the only queries not filtered by a tenant_id column:
 * they filter on the tenant's own id.
 */
#ifndef SAASD_STORE_TENANTS_H
#define SAASD_STORE_TENANTS_H

#include <stdbool.h>

#include "store.h"

#define TENANT_AUDIT_RETENTION_DEFAULT 365
#define TENANT_AUDIT_RETENTION_MAX 3650
#define TENANT_BROWSER_LIST_MAX 50 /* allowed_origins, allowed_redirect_urls */

struct tenant_row {
	char *id;
	char *name;
	char *app_name; /* settings below: NULL when unset */
	char *email_from;
	char *invite_url;
	char *reset_url;
	char *verify_url;
	char *default_tier;
	int64_t rate_limit_per_minute; /* 0 when unset */
	bool self_serve_billing; /* sessions may move organizations to paid tiers */
	int64_t audit_retention_days; /* audit entries older than this are pruned */
	char *allowed_origins; /* JSON array of exact origins; NULL on insert: "[]" */
	char *allowed_redirect_urls; /* JSON array of URLs or prefixes; NULL: "[]" */
	char *cookie_domain; /* NULL when unset */
	int64_t created_at;
	int64_t updated_at;
};

enum status store_tenant_insert(struct db *d, struct arena *a, const struct tenant_row *t);
enum status store_tenant_get(struct db *d, struct arena *a, const char *id, struct tenant_row *out);
/* Newest first; after is a tenant id or NULL; fills up to limit rows. */
enum status store_tenant_list(struct db *d, struct arena *a, const char *after, int limit,
			      struct tenant_row **rows, int *n);
/* Overwrite name and settings of an existing tenant (ST_NOT_FOUND if none). */
enum status store_tenant_update(struct db *d, struct arena *a, const struct tenant_row *t);
/* Every tenant that allows some origin: its id and allowed_origins (JSON
 * text), for the in-memory CORS index (svc/origins.c). */
struct tenant_origins {
	char *tenant_id;
	char *allowed_origins;
};
enum status store_tenant_origins(struct db *d, struct arena *a, struct tenant_origins **rows,
				 int *n);
enum status store_tenant_count(struct db *d, struct arena *a, int64_t *count);
/* Inside a transaction: serialise it with every other transaction that
 * locks the same tenant, until commit or rollback (a count-then-insert cap
 * per tenant stays exact under racing requests on any node). */
enum status store_tenant_lock(struct db *d, struct arena *a, const char *id);

/* instance_meta: process-independent key/value (e.g. the dev JWT secret).
 * Insert-if-absent, then read, so racing nodes agree on one value. */
enum status store_meta_get_or_insert(struct db *d, struct arena *a, const char *key,
				     const char *value, int64_t now_ms, char **out);

#endif
