/*
 * period.c: month arithmetic over core/clock's civil-calendar conversions
 * (integer only, so it never depends on the process time zone).
 */
#include "period.h"

#include "../core/clock.h"

#define DAY_MS 86400000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t period_add_months(int64_t anchor_ms, int months)
{
	int64_t days = floor_div(anchor_ms, DAY_MS);
	int64_t tod = anchor_ms - days * DAY_MS;
	int64_t y, m, d;
	clock_civil_from_days(days, &y, &m, &d);
	int64_t total = y * 12 + (m - 1) + months;
	int64_t ny = floor_div(total, 12), nm = total - ny * 12 + 1;
	int64_t dim = clock_days_in_month(ny, nm);
	int64_t nd = d < dim ? d : dim;
	return clock_days_from_civil(ny, nm, nd) * DAY_MS + tod;
}

void period_containing(int64_t anchor_ms, int months, int64_t now_ms, int64_t *start, int64_t *end)
{
	if (months <= 0)
		months = 1;
	/* estimate the period index from the average month, then correct */
	int64_t k = (now_ms - anchor_ms) / (int64_t)(30.436875 * DAY_MS * months);
	if (k < 0)
		k = 0;
	while (k > 0 && period_add_months(anchor_ms, (int)(k * months)) > now_ms)
		k--;
	while (period_add_months(anchor_ms, (int)((k + 1) * months)) <= now_ms)
		k++;
	*start = period_add_months(anchor_ms, (int)(k * months));
	*end = period_add_months(anchor_ms, (int)((k + 1) * months));
}

int64_t period_month_start(int64_t ms)
{
	int64_t days = floor_div(ms, DAY_MS);
	int64_t y, m, d;
	clock_civil_from_days(days, &y, &m, &d);
	return clock_days_from_civil(y, m, 1) * DAY_MS;
}
