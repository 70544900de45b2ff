/*
 * test_keycache.c: unit tests for src/svc/keycache.c. Time is the now_ms
 * argument, so expiry is tested without sleeping. Pins down put/get, the TTL
 * edge, eviction (of one key, or of every key of a tenant), the epoch check that keeps a concurrent revocation from
 * being undone by a stale put, slot collisions, and a threaded smoke test
 * (run it under the sanitizer build).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/secure.h"
#include "svc/keycache.h"

static void hash_of(const char *key, uint8_t out[SEC_SHA256_LEN])
{
	sec_sha256(key, strlen(key), out);
}

static struct keycache_entry entry(const char *key, const char *tenant, const char *key_id,
				   int64_t checked_at)
{
	struct keycache_entry e;
	memset(&e, 0, sizeof e);
	hash_of(key, e.hash);
	snprintf(e.tenant_id, sizeof e.tenant_id, "%s", tenant);
	snprintf(e.key_id, sizeof e.key_id, "%s", key_id);
	e.checked_at = checked_at;
	return e;
}

static const int64_t T0 = 1795713913123;

TEST(test_keycache_put_then_get_returns_the_entry)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	memset(&out, 0, sizeof out);
	CHECK(keycache_get(kc, e.hash, T0, &out));
	CHECK(memcmp(out.hash, e.hash, SEC_SHA256_LEN) == 0);
	CHECK_STR(out.tenant_id, "ten_a");
	CHECK_STR(out.key_id, "key_a");
	CHECK(out.checked_at == T0);
	keycache_free(kc);
}

TEST(test_keycache_get_of_unknown_key_misses_and_leaves_out_alone)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	uint8_t other[SEC_SHA256_LEN];
	hash_of("sk_live_B", other);
	memset(&out, 0x5A, sizeof out);
	CHECK(!keycache_get(kc, other, T0, &out));
	CHECK(out.tenant_id[0] == 0x5A);
	/* an empty cache misses too (slot memory is zero, hash is not) */
	struct keycache *empty = keycache_new(64);
	uint8_t zero[SEC_SHA256_LEN] = {0};
	CHECK(!keycache_get(empty, zero, T0, &out));
	keycache_free(empty);
	keycache_free(kc);
}

TEST(test_keycache_entry_expires_after_ttl)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	CHECK(keycache_get(kc, e.hash, T0 + 1, &out));
	CHECK(keycache_get(kc, e.hash, T0 + KEYCACHE_TTL_MS - 1, &out));
	CHECK(!keycache_get(kc, e.hash, T0 + KEYCACHE_TTL_MS, &out));
	CHECK(!keycache_get(kc, e.hash, T0 + 3600 * 1000, &out));
	keycache_free(kc);
}

TEST(test_keycache_entry_checked_in_the_future_is_not_trusted)
{
	/* a clock step backwards must not extend an entry's life */
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	CHECK(!keycache_get(kc, e.hash, T0 - 1, &out));
	CHECK(!keycache_get(kc, e.hash, 0, &out));
	keycache_free(kc);
}

TEST(test_keycache_put_again_refreshes_an_expired_entry)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	int64_t later = T0 + KEYCACHE_TTL_MS + 500;
	CHECK(!keycache_get(kc, e.hash, later, &out));
	e.checked_at = later;
	keycache_put(kc, &e, keycache_epoch(kc));
	CHECK(keycache_get(kc, e.hash, later, &out));
	CHECK(out.checked_at == later);
	keycache_free(kc);
}

TEST(test_keycache_evict_removes_the_key_and_bumps_the_epoch)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	uint64_t before = keycache_epoch(kc);
	keycache_evict(kc, e.hash);
	CHECK(keycache_epoch(kc) > before);
	CHECK(!keycache_get(kc, e.hash, T0, &out));
	/* evicting an absent key is harmless and still bumps the epoch */
	before = keycache_epoch(kc);
	keycache_evict(kc, e.hash);
	CHECK(keycache_epoch(kc) > before);
	keycache_free(kc);
}

TEST(test_keycache_evict_leaves_another_key_in_the_same_slot)
{
	struct keycache *kc = keycache_new(1); /* every key shares slot 0 */
	struct keycache_entry a = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &a, keycache_epoch(kc));
	uint8_t b[SEC_SHA256_LEN];
	hash_of("sk_live_B", b);
	keycache_evict(kc, b);
	CHECK(keycache_get(kc, a.hash, T0, &out));
	CHECK_STR(out.key_id, "key_a");
	keycache_free(kc);
}

TEST(test_keycache_evict_tenant_removes_every_key_of_that_tenant_only)
{
	struct keycache *kc = keycache_new(4096);
	char name[32];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "sk_live_%d", i);
		struct keycache_entry e = entry(name, i % 3 == 0 ? "ten_a" : "ten_b", "key", T0);
		keycache_put(kc, &e, keycache_epoch(kc));
	}
	uint64_t before = keycache_epoch(kc);
	keycache_evict_tenant(kc, "ten_a");
	CHECK(keycache_epoch(kc) > before); /* a lookup racing the change caches nothing */
	int a_left = 0, b_left = 0;
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "sk_live_%d", i);
		uint8_t h[SEC_SHA256_LEN];
		hash_of(name, h);
		struct keycache_entry out;
		if (keycache_get(kc, h, T0, &out))
			*(strcmp(out.tenant_id, "ten_a") == 0 ? &a_left : &b_left) += 1;
	}
	CHECK(a_left == 0);
	CHECK(b_left >= 150); /* 200 put, a few lost to slot collisions */
	keycache_free(kc);
}

TEST(test_keycache_put_with_stale_epoch_does_not_cache)
{
	/* reader: epoch, store says "valid"; meanwhile a revocation evicts;
	 * then the reader's put must be dropped */
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	uint64_t seen = keycache_epoch(kc);
	keycache_evict(kc, e.hash); /* the concurrent revocation */
	keycache_put(kc, &e, seen);
	CHECK(!keycache_get(kc, e.hash, T0, &out));
	/* a fresh read of the epoch caches again */
	keycache_put(kc, &e, keycache_epoch(kc));
	CHECK(keycache_get(kc, e.hash, T0, &out));
	keycache_free(kc);
}

TEST(test_keycache_put_with_stale_epoch_keeps_an_eviction_of_another_key_safe)
{
	/* any eviction invalidates puts that read the epoch before it, even
	 * for other keys: conservative, costs one extra store lookup */
	struct keycache *kc = keycache_new(64);
	struct keycache_entry a = entry("sk_live_A", "ten_a", "key_a", T0), out;
	uint8_t b[SEC_SHA256_LEN];
	hash_of("sk_live_B", b);
	uint64_t seen = keycache_epoch(kc);
	keycache_evict(kc, b);
	keycache_put(kc, &a, seen);
	CHECK(!keycache_get(kc, a.hash, T0, &out));
	keycache_free(kc);
}

TEST(test_keycache_stale_put_does_not_overwrite_a_cached_entry)
{
	struct keycache *kc = keycache_new(64);
	struct keycache_entry e = entry("sk_live_A", "ten_a", "key_a", T0), out;
	keycache_put(kc, &e, keycache_epoch(kc));
	uint64_t seen = keycache_epoch(kc);
	uint8_t other[SEC_SHA256_LEN];
	hash_of("sk_live_other", other);
	keycache_evict(kc, other);
	struct keycache_entry changed = entry("sk_live_A", "ten_EVIL", "key_a", T0 + 10);
	keycache_put(kc, &changed, seen);
	CHECK(keycache_get(kc, e.hash, T0 + 10, &out));
	CHECK_STR(out.tenant_id, "ten_a");
	keycache_free(kc);
}

TEST(test_keycache_colliding_key_replaces_the_other)
{
	struct keycache *kc = keycache_new(1);
	struct keycache_entry a = entry("sk_live_A", "ten_a", "key_a", T0);
	struct keycache_entry b = entry("sk_live_B", "ten_b", "key_b", T0), out;
	keycache_put(kc, &a, keycache_epoch(kc));
	keycache_put(kc, &b, keycache_epoch(kc));
	CHECK(!keycache_get(kc, a.hash, T0, &out)); /* never b's tenant for a */
	CHECK(keycache_get(kc, b.hash, T0, &out));
	CHECK_STR(out.tenant_id, "ten_b");
	keycache_free(kc);
}

TEST(test_keycache_many_keys_in_default_sized_cache)
{
	struct keycache *kc = keycache_new(0); /* 0 means the default size */
	int hits = 0, wrong = 0;
	for (int i = 0; i < 200; i++) {
		char key[32], ten[32];
		snprintf(key, sizeof key, "sk_live_%d", i);
		snprintf(ten, sizeof ten, "ten_%d", i);
		struct keycache_entry e = entry(key, ten, "key", T0);
		keycache_put(kc, &e, keycache_epoch(kc));
	}
	for (int i = 0; i < 200; i++) {
		char key[32], ten[32];
		snprintf(key, sizeof key, "sk_live_%d", i);
		snprintf(ten, sizeof ten, "ten_%d", i);
		uint8_t h[SEC_SHA256_LEN];
		hash_of(key, h);
		struct keycache_entry out;
		if (keycache_get(kc, h, T0, &out)) {
			hits++;
			wrong += strcmp(out.tenant_id, ten) != 0;
		}
	}
	CHECK(wrong == 0);
	CHECK(hits > 150); /* 200 keys in 1024 slots: few collisions */
	keycache_free(kc);
}

TEST(test_keycache_free_null_is_harmless)
{
	keycache_free(NULL);
	CHECK(1);
}

struct worker {
	struct keycache *kc;
	int id;
	int wrong;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 20000; i++) {
		char key[32], ten[32];
		int k = (i * 7 + w->id) % 64;
		snprintf(key, sizeof key, "sk_live_%d", k);
		snprintf(ten, sizeof ten, "ten_%d", k);
		struct keycache_entry e = entry(key, ten, "key", T0), out;
		switch (i % 4) {
		case 0:
		case 1:
			keycache_put(w->kc, &e, keycache_epoch(w->kc));
			break;
		case 2:
			if (keycache_get(w->kc, e.hash, T0, &out))
				w->wrong += strcmp(out.tenant_id, ten) != 0;
			break;
		default:
			if (i % 64 == 3)
				keycache_evict(w->kc, e.hash);
			break;
		}
	}
	return NULL;
}

TEST(test_keycache_concurrent_use_never_returns_another_keys_entry)
{
	struct keycache *kc = keycache_new(16); /* small: lots of collisions */
	enum { N = 4 };
	pthread_t th[N];
	struct worker w[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){kc, i, 0};
		CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	int wrong = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		wrong += w[i].wrong;
	}
	CHECK(wrong == 0);
	keycache_free(kc);
}

int main(void)
{
	if (!sec_init()) {
		fprintf(stderr, "sec_init failed\n");
		return 1;
	}
	RUN(test_keycache_put_then_get_returns_the_entry);
	RUN(test_keycache_get_of_unknown_key_misses_and_leaves_out_alone);
	RUN(test_keycache_entry_expires_after_ttl);
	RUN(test_keycache_entry_checked_in_the_future_is_not_trusted);
	RUN(test_keycache_put_again_refreshes_an_expired_entry);
	RUN(test_keycache_evict_removes_the_key_and_bumps_the_epoch);
	RUN(test_keycache_evict_leaves_another_key_in_the_same_slot);
	RUN(test_keycache_evict_tenant_removes_every_key_of_that_tenant_only);
	RUN(test_keycache_put_with_stale_epoch_does_not_cache);
	RUN(test_keycache_put_with_stale_epoch_keeps_an_eviction_of_another_key_safe);
	RUN(test_keycache_stale_put_does_not_overwrite_a_cached_entry);
	RUN(test_keycache_colliding_key_replaces_the_other);
	RUN(test_keycache_many_keys_in_default_sized_cache);
	RUN(test_keycache_free_null_is_harmless);
	RUN(test_keycache_concurrent_use_never_returns_another_keys_entry);
	return check_done("keycache");
}
