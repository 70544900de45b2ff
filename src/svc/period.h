/*
 * period.h: billing-period arithmetic on epoch milliseconds (UTC), pure and
 * clock-free. Periods are counted from an anchor, so a subscription started
 * on Jan 31 renews Feb 28 (or 29), Mar 31, Apr 30, ...: the day is clamped
 * to the month's length but never drifts.
 */
#ifndef SAASD_PERIOD_H
#define SAASD_PERIOD_H

#include <stdint.h>

/* anchor + months calendar months, day clamped, time of day kept. */
int64_t period_add_months(int64_t anchor_ms, int months);

/* The period [*start, *end) of length `months` counted from anchor that
 * contains now (now >= anchor). */
void period_containing(int64_t anchor_ms, int months, int64_t now_ms, int64_t *start, int64_t *end);

/* First instant of the UTC calendar month containing ms. */
int64_t period_month_start(int64_t ms);

#endif
