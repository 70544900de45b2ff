/*
 * roles.h: SQL for a tenant's custom roles. Permissions are one
 * space-separated string; the service splits and validates them.
 */
#ifndef SAASD_STORE_ROLES_H
#define SAASD_STORE_ROLES_H

#include "store.h"

struct role_row {
	char *id;
	char *tenant_id;
	char *key;
	char *name;
	char *permissions; /* "org:read members:*" */
	int64_t created_at;
	int64_t updated_at;
};

/* ST_CONFLICT when the key exists in the tenant. */
enum status store_role_insert(struct db *d, struct arena *a, const struct role_row *r);
enum status store_role_get(struct db *d, struct arena *a, const char *tenant_id, const char *key,
			   struct role_row *out);
enum status store_role_update(struct db *d, struct arena *a, const struct role_row *r);
enum status store_role_delete(struct db *d, struct arena *a, const char *tenant_id,
			      const char *key);
enum status store_role_list(struct db *d, struct arena *a, const char *tenant_id,
			    const char *after_key, int limit, struct role_row **rows, int *n);

#endif
