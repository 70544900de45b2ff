/*
 * clock.h: time as a parameter. Logic that depends on "now" (expiries,
 * limiters, backoff) takes a struct clock so tests can inject a fake one.
 * Also RFC 3339 formatting/parsing of epoch milliseconds.
 */
#ifndef SAASD_CLOCK_H
#define SAASD_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct clock {
	int64_t (*now_ms)(const struct clock *c);
	int64_t fixed_ms; /* used by the fake clock */
};

/* The process-wide real clock (CLOCK_REALTIME, milliseconds). */
extern const struct clock clock_system;
/* ENVIRONMENT=test only: real time plus a process-wide offset that only
 * grows (POST /admin/test/clock), so e2e tests skip waits instead of
 * sleeping through them. Each process has its own offset. */
extern const struct clock clock_offset;
/* Add ms (> 0) to the offset; returns the new total offset in ms. */
int64_t clock_offset_advance(int64_t ms);
int64_t clock_offset_ms(void);
/* A fake clock reading c->fixed_ms; tests move fixed_ms by hand. */
struct clock clock_fake(int64_t start_ms);
static inline int64_t clock_now(const struct clock *c)
{
	return c->now_ms(c);
}
/* Monotonic milliseconds with fractions, for durations only. */
double clock_monotonic_ms(void);

/* Proleptic Gregorian calendar <-> days since 1970-01-01 (UTC). */
int64_t clock_days_from_civil(int64_t y, int64_t m, int64_t d);
void clock_civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d);
int clock_days_in_month(int64_t y, int64_t m);

#define RFC3339_LEN 25 /* "2026-11-26T17:25:13.123Z" + NUL */
/* Format epoch ms as RFC 3339 UTC with milliseconds into out[RFC3339_LEN]. */
void clock_format_rfc3339(int64_t ms, char out[RFC3339_LEN]);
/* Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or a bare date YYYY-MM-DD). */
bool clock_parse_rfc3339(const char *s, int64_t *out_ms);

#endif
