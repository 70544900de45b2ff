/*
 * keycache.c: direct-mapped slots (a colliding key simply replaces the other,
 * which then costs one store lookup) under 64 striped mutexes.
 */
#include "keycache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

struct keycache {
	unsigned slots;
	pthread_mutex_t locks[STRIPES];
	struct keycache_entry *entries;
	bool *used;
	uint64_t epoch; /* atomic */
};

struct keycache *keycache_new(unsigned slots)
{
	struct keycache *kc = calloc(1, sizeof *kc);
	if (kc == NULL)
		abort();
	kc->slots = slots ? slots : 1024;
	kc->entries = calloc(kc->slots, sizeof *kc->entries);
	kc->used = calloc(kc->slots, sizeof *kc->used);
	if (kc->entries == NULL || kc->used == NULL)
		abort();
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&kc->locks[i], NULL);
	return kc;
}

void keycache_free(struct keycache *kc)
{
	if (kc == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&kc->locks[i]);
	free(kc->entries);
	free(kc->used);
	free(kc);
}

static unsigned slot_of(const struct keycache *kc, const uint8_t hash[SEC_SHA256_LEN])
{
	uint32_t h;
	memcpy(&h, hash, sizeof h); /* the hash is already uniform */
	return h % kc->slots;
}

bool keycache_get(struct keycache *kc, const uint8_t hash[SEC_SHA256_LEN], int64_t now_ms,
		  struct keycache_entry *out)
{
	unsigned s = slot_of(kc, hash);
	pthread_mutex_t *lock = &kc->locks[s % STRIPES];
	bool hit = false;
	pthread_mutex_lock(lock);
	if (kc->used[s] && sec_equal(kc->entries[s].hash, hash, SEC_SHA256_LEN) &&
	    now_ms - kc->entries[s].checked_at < KEYCACHE_TTL_MS &&
	    now_ms >= kc->entries[s].checked_at) {
		*out = kc->entries[s];
		hit = true;
	}
	pthread_mutex_unlock(lock);
	return hit;
}

uint64_t keycache_epoch(struct keycache *kc)
{
	return __atomic_load_n(&kc->epoch, __ATOMIC_ACQUIRE);
}

void keycache_put(struct keycache *kc, const struct keycache_entry *e, uint64_t epoch_seen)
{
	unsigned s = slot_of(kc, e->hash);
	pthread_mutex_t *lock = &kc->locks[s % STRIPES];
	pthread_mutex_lock(lock);
	/* checked under the lock: an eviction bumps the epoch before taking it */
	if (keycache_epoch(kc) == epoch_seen) {
		kc->entries[s] = *e;
		kc->used[s] = true;
	}
	pthread_mutex_unlock(lock);
}

void keycache_evict(struct keycache *kc, const uint8_t hash[SEC_SHA256_LEN])
{
	unsigned s = slot_of(kc, hash);
	pthread_mutex_t *lock = &kc->locks[s % STRIPES];
	__atomic_add_fetch(&kc->epoch, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(lock);
	if (kc->used[s] && sec_equal(kc->entries[s].hash, hash, SEC_SHA256_LEN))
		kc->used[s] = false;
	pthread_mutex_unlock(lock);
}

void keycache_evict_tenant(struct keycache *kc, const char *tenant_id)
{
	__atomic_add_fetch(&kc->epoch, 1, __ATOMIC_ACQ_REL);
	for (int stripe = 0; stripe < STRIPES; stripe++) {
		pthread_mutex_lock(&kc->locks[stripe]);
		for (unsigned s = (unsigned)stripe; s < kc->slots; s += STRIPES)
			if (kc->used[s] && strcmp(kc->entries[s].tenant_id, tenant_id) == 0)
				kc->used[s] = false;
		pthread_mutex_unlock(&kc->locks[stripe]);
	}
}
