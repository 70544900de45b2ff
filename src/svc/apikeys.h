/*
 * apikeys.h: tenant API keys: create (the plain key leaves exactly once),
 * list, revoke, and authenticate (the hot path, served from the keycache).
 */
#ifndef SAASD_SVC_APIKEYS_H
#define SAASD_SVC_APIKEYS_H

#include "../store/api_keys.h"
#include "svc.h"

#define APIKEY_NAME_MAX 100

/* Inside an open transaction on d: create a key for tenant c->who.tenant_id,
 * a secret one (sk_live_) or, with publishable, a pk_live_ one whose value
 * is also kept in out->publishable_key. */
enum status svc_apikey_create_in(struct svc_ctx *c, struct db *d, const char *name,
				 bool publishable, struct api_key_row *out, char **key_plain);
enum status svc_apikey_create(struct svc_ctx *c, const char *name, bool publishable,
			      struct api_key_row *out, char **key_plain);
enum status svc_apikey_list(struct svc_ctx *c, const struct page *pg, struct api_key_row **rows,
			    int *n);
/* Revoke; effective at once on this node. Refuses the tenant's last
 * secret key (publishable keys do not count). */
enum status svc_apikey_revoke(struct svc_ctx *c, const char *id);

struct apikey_auth {
	char tenant_id[48];
	char key_id[48];
	int64_t rate_limit; /* tenant setting (0: RATE_LIMIT_PER_MINUTE); cached with the key */
	bool publishable; /* a pk_live_ key (as stored: the prefix is not trusted) */
};
/* Resolve "sk_live_..." or "pk_live_..." to its tenant. ST_INVALID_API_KEY when unknown or
 * revoked; ST_UNAVAILABLE when the store cannot answer. */
enum status svc_apikey_authenticate(const struct svc_env *env, const char *key,
				    struct apikey_auth *out);

#endif
