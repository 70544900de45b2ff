/*
 * ratelimit.h: per-tenant request limits with a sliding-window counter: the
 * estimate is this minute's count plus last minute's count weighted by how
 * much of last minute still lies inside the sliding 60 s window. No
 * window-edge burst: a full minute's quota just before a boundary still
 * counts against the requests just after it.
 *
 * Counters live in memory on one node, or in Redis (REDIS_URL) so several
 * nodes share one limit. When Redis fails the node falls back to its local
 * counters (fail open) and returns to Redis once it answers again.
 */
#ifndef SAASD_RATELIMIT_H
#define SAASD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_WINDOW_MS 60000

struct ratelimit_result {
	bool allowed;
	int64_t limit;
	int64_t remaining;
	int64_t reset_s; /* seconds until the current window ends */
	int64_t retry_after_s; /* when refused */
};

/* The pure decision, from the two window counts (unit-tested). cur is the
 * count before this request. */
void ratelimit_decide(int64_t limit, int64_t prev, int64_t cur, int64_t now_ms,
		      struct ratelimit_result *out);

struct ratelimiter;

/* redis_url may be empty (local only). */
struct ratelimiter *ratelimiter_new(const char *redis_url);
void ratelimiter_free(struct ratelimiter *rl);
/* Count one request of tenant_id against limit per minute at now_ms. */
void ratelimiter_check(struct ratelimiter *rl, const char *tenant_id, int64_t limit, int64_t now_ms,
		       struct ratelimit_result *out);
/* Requests refused so far (for /metrics). */
uint64_t ratelimiter_rejections(const struct ratelimiter *rl);

#endif
