/*
 * keycache.h: a bounded in-memory cache of validated API keys, keyed by the
 * key's SHA-256. Entries are trusted for KEYCACHE_TTL_MS, after which the
 * next request re-checks the store; that bounds how long a key revoked on
 * another node keeps working here. Revocation on this node evicts at once,
 * and so does a change of the tenant's settings (its rate limit) made here.
 * Thread-safe (striped mutexes); holds no secret beyond the key hash.
 */
#ifndef SAASD_KEYCACHE_H
#define SAASD_KEYCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/secure.h"

#define KEYCACHE_TTL_MS 2000
#define KEYCACHE_ID_MAX 48

struct keycache;

struct keycache_entry {
	uint8_t hash[SEC_SHA256_LEN];
	char tenant_id[KEYCACHE_ID_MAX];
	char key_id[KEYCACHE_ID_MAX];
	int64_t checked_at; /* when the store last confirmed the key */
	int64_t rate_limit; /* the tenant's per-minute limit, 0: the default */
	bool publishable; /* the key's stored type is "publishable" */
};

struct keycache *keycache_new(unsigned slots);
void keycache_free(struct keycache *kc);
/* Copy a fresh (younger than the TTL at now_ms) entry into out. */
bool keycache_get(struct keycache *kc, const uint8_t hash[SEC_SHA256_LEN], int64_t now_ms,
		  struct keycache_entry *out);
/* Evictions bump the epoch. Read it before looking a key up in the store and
 * pass it to keycache_put, which then refuses to cache a result that a
 * concurrent revocation may have made stale. */
uint64_t keycache_epoch(struct keycache *kc);
void keycache_put(struct keycache *kc, const struct keycache_entry *e, uint64_t epoch_seen);
void keycache_evict(struct keycache *kc, const uint8_t hash[SEC_SHA256_LEN]);
/* Evict every key of tenant_id (walks all slots: for rare writes only). */
void keycache_evict_tenant(struct keycache *kc, const char *tenant_id);

#endif
