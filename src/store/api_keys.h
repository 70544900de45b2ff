/*
 * api_keys.h: SQL for tenant API keys. Only the SHA-256 (hex) of a key is
 * stored, beside a short display prefix. store_apikey_by_hash is the one
 * lookup that finds the tenant; every other query filters on tenant_id.
 */
#ifndef SAASD_STORE_API_KEYS_H
#define SAASD_STORE_API_KEYS_H

#include "store.h"

struct api_key_row {
	char *id;
	char *tenant_id;
	char *name;
	char *prefix;
	char *key_hash;
	int64_t created_at;
	int64_t last_used_at; /* 0 when never used */
	char *type; /* "secret" or "publishable"; NULL on insert: "secret" */
	char *publishable_key; /* the full pk_live_ value of a publishable key, else NULL */
	int64_t tenant_rate_limit; /* by_hash only: the tenant's setting, 0 unset */
};

enum status store_apikey_insert(struct db *d, struct arena *a, const struct api_key_row *k);
/* Active (not revoked) key by hash; ST_NOT_FOUND otherwise. */
enum status store_apikey_by_hash(struct db *d, struct arena *a, const char *hash_hex,
				 struct api_key_row *out);
/* Active keys of a tenant, newest first. */
enum status store_apikey_list(struct db *d, struct arena *a, const char *tenant_id,
			      const char *after, int limit, struct api_key_row **rows, int *n);
/* Active SECRET keys of a tenant (publishable ones never count: they
 * cannot manage the tenant). */
enum status store_apikey_count_active(struct db *d, struct arena *a, const char *tenant_id,
				      int64_t *count);
/* Revoke; *hash_hex gets the revoked key's hash for cache eviction. */
enum status store_apikey_revoke(struct db *d, struct arena *a, const char *tenant_id,
				const char *id, int64_t now_ms, char **hash_hex);
/* Record use, only moving last_used_at forward. */
enum status store_apikey_touch(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			       int64_t now_ms);

#endif
