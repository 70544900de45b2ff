/*
 * origins.h: every tenant's allowed_origins in memory, for CORS: "does any
 * tenant allow this Origin?" (a preflight, which carries no key) and "does
 * this tenant?" (an actual answer), without a store query per request. The
 * index is reloaded from the store (one query over the tenants that allow
 * any origin) when older than ORIGINS_TTL_MS, on the next lookup; a change
 * of a tenant's settings made on this node invalidates it at once.
 * Thread-safe: lookups read an immutable snapshot; one reload at a time,
 * while the others keep using the old snapshot.
 */
#ifndef SAASD_SVC_ORIGINS_H
#define SAASD_SVC_ORIGINS_H

#include <stdbool.h>

#include "svc.h"

#define ORIGINS_TTL_MS 2000

struct origin_index;

struct origin_index *origin_index_new(void);
void origin_index_free(struct origin_index *ix);
/* The next lookup reloads (after a PATCH of a tenant's settings here). */
void origin_index_invalidate(struct origin_index *ix);

/* Is origin in some tenant's allowed_origins? A store that cannot answer
 * leaves the last snapshot in use (empty at first: nothing allowed). */
bool svc_origin_allowed_any(const struct svc_env *env, const char *origin);
/* Is origin in tenant_id's allowed_origins? */
bool svc_origin_allowed_for(const struct svc_env *env, const char *tenant_id, const char *origin);

#endif
