/*
 * redis_counter.h: the shared sliding-window counters in Redis. One atomic
 * Lua script reads the previous window, decides, and increments the current
 * one, so N nodes enforce one limit. One hiredis connection per thread,
 * short timeouts; failures are reported, never retried here.
 */
#ifndef SAASD_REDIS_COUNTER_H
#define SAASD_REDIS_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

struct redis_counter;

/* redis://[:password@]host:port[/db]; connects lazily. */
struct redis_counter *redis_counter_new(const char *url);
void redis_counter_free(struct redis_counter *rc);
/* One request of tenant at now_ms; false when Redis did not answer. On
 * true: *allowed, and the window counts (cur includes this request when
 * allowed). */
bool redis_counter_hit(struct redis_counter *rc, const char *tenant, int64_t limit, int64_t now_ms,
		       int64_t *prev, int64_t *cur, bool *allowed);

#endif
