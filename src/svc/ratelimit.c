/*
 * ratelimit.c: the sliding-window decision and the local counter table
 * (hash buckets of chained per-tenant entries, striped locks). Every tenant
 * has an entry of its own, so no tenant's history is ever lost to another's;
 * an entry whose counts are two windows old is reused in place, so the
 * table holds about as many entries as tenants active in the last minutes.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../net/redis_counter.h"

#define BUCKETS 4096
#define STRIPES 64
#define REDIS_RETRY_MS 1000
#define W RATELIMIT_WINDOW_MS

struct slot {
	struct slot *next;
	char *tenant; /* owned */
	int64_t window; /* index of the current window */
	int64_t cur, prev;
};

struct ratelimiter {
	pthread_mutex_t locks[STRIPES];
	struct slot *buckets[BUCKETS]; /* bucket i is guarded by locks[i % STRIPES] */
	struct redis_counter *redis; /* NULL: local only */
	int64_t redis_down_until; /* atomic: skip Redis until then */
	uint64_t rejections; /* atomic */
};

/* Milliseconds from `into` until one more call fits (the call was refused). */
static int64_t retry_wait_ms(int64_t limit, int64_t prev, int64_t cur, int64_t into)
{
	if (cur + 1 <= limit) {
		/* this window's calls leave room: wait until prev's weight has
		 * dropped to (limit - 1 - cur) / prev (prev > 0, or it would fit) */
		int64_t at = W - ((limit - 1 - cur) * W) / prev;
		return at - into;
	}
	/* this window is full: once it turns its cur calls weigh as the
	 * previous window's, and must decay to (limit - 1) / cur */
	int64_t at = W - ((limit - 1) * W) / cur;
	return (W - into) + at;
}

void ratelimit_decide(int64_t limit, int64_t prev, int64_t cur, int64_t now_ms,
		      struct ratelimit_result *out)
{
	int64_t into = now_ms % W;
	/* counted in 1/W of a call, so the decision is exact (no float at the
	 * edges); the previous window weighs (W - into) / W */
	int64_t used = prev * (W - into) + cur * W;
	out->limit = limit;
	out->reset_s = (W - into + 999) / 1000;
	out->allowed = used + W <= limit * W;
	int64_t left = limit * W - used - (out->allowed ? W : 0);
	out->remaining = left > 0 ? left / W : 0;
	out->retry_after_s = 0;
	if (!out->allowed) {
		int64_t wait_ms = limit > 0 ? retry_wait_ms(limit, prev, cur, into) : W - into;
		out->retry_after_s = wait_ms < 1000 ? 1 : (wait_ms + 999) / 1000;
	}
}

struct ratelimiter *ratelimiter_new(const char *redis_url)
{
	struct ratelimiter *rl = calloc(1, sizeof *rl);
	if (rl == NULL)
		abort();
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	if (redis_url != NULL && redis_url[0] != '\0')
		rl->redis = redis_counter_new(redis_url);
	return rl;
}

void ratelimiter_free(struct ratelimiter *rl)
{
	if (rl == NULL)
		return;
	redis_counter_free(rl->redis);
	for (int i = 0; i < BUCKETS; i++) {
		struct slot *s = rl->buckets[i];
		while (s != NULL) {
			struct slot *next = s->next;
			free(s->tenant);
			free(s);
			s = next;
		}
	}
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl);
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The tenant's entry in bucket i (lock held): its own, else one with no
 * history left at `window` taken over, else a new one. */
static struct slot *slot_for(struct ratelimiter *rl, uint32_t i, const char *tenant, int64_t window)
{
	struct slot *stale = NULL;
	for (struct slot *s = rl->buckets[i]; s != NULL; s = s->next) {
		if (strcmp(s->tenant, tenant) == 0)
			return s;
		if (stale == NULL && s->window + 1 < window)
			stale = s;
	}
	char *copy = strdup(tenant);
	if (copy == NULL)
		abort();
	struct slot *s = stale;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			abort();
		s->next = rl->buckets[i];
		rl->buckets[i] = s;
	}
	free(s->tenant);
	s->tenant = copy;
	s->window = window;
	s->cur = s->prev = 0;
	return s;
}

static void check_local(struct ratelimiter *rl, const char *tenant, int64_t limit, int64_t now,
			struct ratelimit_result *out)
{
	uint32_t i = hash_str(tenant) % BUCKETS;
	int64_t window = now / W;
	pthread_mutex_t *lock = &rl->locks[i % STRIPES];
	pthread_mutex_lock(lock);
	struct slot *s = slot_for(rl, i, tenant, window);
	if (window != s->window) {
		s->prev = window == s->window + 1 ? s->cur : 0;
		s->cur = 0;
		s->window = window;
	}
	ratelimit_decide(limit, s->prev, s->cur, now, out);
	if (out->allowed)
		s->cur++;
	pthread_mutex_unlock(lock);
}

static bool check_redis(struct ratelimiter *rl, const char *tenant, int64_t limit, int64_t now,
			struct ratelimit_result *out)
{
	if (rl->redis == NULL || now < __atomic_load_n(&rl->redis_down_until, __ATOMIC_RELAXED))
		return false;
	int64_t prev = 0, cur = 0;
	bool allowed = false;
	if (!redis_counter_hit(rl->redis, tenant, limit, now, &prev, &cur, &allowed)) {
		if (__atomic_exchange_n(&rl->redis_down_until, now + REDIS_RETRY_MS,
					__ATOMIC_RELAXED) == 0)
			log_msg(LOG_WARN,
				"redis unavailable: rate limits fall back to this node's counters");
		return false;
	}
	if (__atomic_exchange_n(&rl->redis_down_until, 0, __ATOMIC_RELAXED) != 0)
		log_msg(LOG_INFO, "redis is back: rate limits are shared again");
	/* cur includes this request when it was allowed */
	ratelimit_decide(limit, prev, allowed ? cur - 1 : cur, now, out);
	out->allowed = allowed;
	return true;
}

void ratelimiter_check(struct ratelimiter *rl, const char *tenant_id, int64_t limit, int64_t now_ms,
		       struct ratelimit_result *out)
{
	if (!check_redis(rl, tenant_id, limit, now_ms, out))
		check_local(rl, tenant_id, limit, now_ms, out);
	if (!out->allowed)
		__atomic_add_fetch(&rl->rejections, 1, __ATOMIC_RELAXED);
}

uint64_t ratelimiter_rejections(const struct ratelimiter *rl)
{
	return __atomic_load_n(&rl->rejections, __ATOMIC_RELAXED);
}
