/*
 * test_clock.c: the test clock's one operation. The offset lives in this
 * process only: a `saasd worker` beside it keeps real time.
 */
#include "test_clock.h"

#include "../core/log.h"
#include "jobs.h"

enum status svc_test_clock_advance(struct svc_ctx *c, int64_t seconds, int64_t *now_ms,
				   int64_t *offset_ms)
{
	if (c->env->clock != &clock_offset)
		return ST_NOT_FOUND; /* only ENVIRONMENT=test runs on it */
	if (seconds <= 0 || seconds > TEST_CLOCK_ADVANCE_MAX_S)
		return ST_VALIDATION_FAILED;
	*offset_ms = clock_offset_advance(seconds * 1000);
	*now_ms = clock_now(c->env->clock);
	log_msg(LOG_WARN, "test clock advanced by %lld s (offset now %lld s)", (long long)seconds,
		(long long)(*offset_ms / 1000));
	/* the job threads sleep on real time: due work runs now, not in a second */
	jobs_wake("mail");
	jobs_wake("webhooks");
	jobs_wake("cleanup");
	return ST_OK;
}
