/*
 * ratelimit.c: the sliding-window decision and the local counter table
 * (fixed-size, direct-mapped by tenant id hash, striped locks). A slot
 * collision between two tenants only costs the displaced tenant its
 * in-memory history; with 4096 slots this is rare.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../net/redis_counter.h"

#define SLOTS 4096
#define STRIPES 64
#define REDIS_RETRY_MS 1000

struct slot {
	char tenant[48];
	int64_t window; /* index of the current window */
	int64_t cur, prev;
};

struct ratelimiter {
	pthread_mutex_t locks[STRIPES];
	struct slot slots[SLOTS];
	struct redis_counter *redis; /* NULL: local only */
	int64_t redis_down_until; /* atomic: skip Redis until then */
	uint64_t rejections; /* atomic */
};

void ratelimit_decide(int64_t limit, int64_t prev, int64_t cur, int64_t now_ms,
		      struct ratelimit_result *out)
{
	int64_t into = now_ms % RATELIMIT_WINDOW_MS;
	/* weight of the previous window still inside the sliding minute */
	double weight = (double)(RATELIMIT_WINDOW_MS - into) / RATELIMIT_WINDOW_MS;
	double estimate = (double)prev * weight + (double)cur;
	out->limit = limit;
	out->reset_s = (RATELIMIT_WINDOW_MS - into + 999) / 1000;
	out->allowed = estimate + 1.0 <= (double)limit;
	double left = (double)limit - estimate - (out->allowed ? 1.0 : 0.0);
	out->remaining = left > 0 ? (int64_t)left : 0;
	out->retry_after_s = 0;
	if (!out->allowed) {
		/* time until prev's weight has decayed enough, or the window turns */
		int64_t wait_ms = RATELIMIT_WINDOW_MS - into;
		if (prev > 0 && cur + 1 <= limit) {
			double need = ((double)limit - 1.0 - (double)cur) / (double)prev;
			int64_t at = RATELIMIT_WINDOW_MS - (int64_t)(need * RATELIMIT_WINDOW_MS);
			if (at > into)
				wait_ms = at - into;
		}
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

static void check_local(struct ratelimiter *rl, const char *tenant, int64_t limit, int64_t now,
			struct ratelimit_result *out)
{
	uint32_t i = hash_str(tenant) % SLOTS;
	int64_t window = now / RATELIMIT_WINDOW_MS;
	pthread_mutex_t *lock = &rl->locks[i % STRIPES];
	pthread_mutex_lock(lock);
	struct slot *s = &rl->slots[i];
	if (strncmp(s->tenant, tenant, sizeof s->tenant) != 0) {
		memset(s, 0, sizeof *s);
		snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
		s->window = window;
	}
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
		if (__atomic_exchange_n(&rl->redis_down_until, now + REDIS_RETRY_MS, __ATOMIC_RELAXED) == 0)
			log_msg(LOG_WARN, "redis unavailable: rate limits fall back to this node's counters");
		return false;
	}
	if (__atomic_exchange_n(&rl->redis_down_until, 0, __ATOMIC_RELAXED) != 0)
		log_msg(LOG_INFO, "redis is back: rate limits are shared again");
	/* cur includes this request when it was allowed */
	ratelimit_decide(limit, prev, allowed ? cur - 1 : cur, now, out);
	out->allowed = allowed;
	return true;
}

void ratelimiter_check(struct ratelimiter *rl, const char *tenant_id, int64_t limit,
		       int64_t now_ms, struct ratelimit_result *out)
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
