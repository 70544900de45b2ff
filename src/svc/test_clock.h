/*
 * test_clock.h: moving the process clock forward under ENVIRONMENT=test
 * (POST /admin/test/clock), so e2e tests see expiries and backoffs come due
 * at once instead of sleeping through them.
 */
#ifndef SAASD_TEST_CLOCK_H
#define SAASD_TEST_CLOCK_H

#include "svc.h"

/* Bound of one advance: a little over a year (billing periods, retention). */
#define TEST_CLOCK_ADVANCE_MAX_S (400LL * 86400)

/* ST_NOT_FOUND unless the env runs on the offset clock (ENVIRONMENT=test).
 * Adds seconds to this process's offset, then wakes the jobs so work that
 * just came due runs now. *now_ms is the moved "now", *offset_ms the total. */
enum status svc_test_clock_advance(struct svc_ctx *c, int64_t seconds, int64_t *now_ms,
				   int64_t *offset_ms);

#endif
