/*
 * clock.c: real and fake clocks, and calendar conversions done with integer
 * arithmetic (days_from_civil) so they never depend on the process time zone.
 */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t system_now(const struct clock *c)
{
	(void)c;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct clock clock_system = {system_now, 0};

/* Only grows, so "now" never runs backwards for an expiry or a backoff. */
static int64_t offset_ms;

int64_t clock_offset_advance(int64_t ms)
{
	return __atomic_add_fetch(&offset_ms, ms > 0 ? ms : 0, __ATOMIC_SEQ_CST);
}

int64_t clock_offset_ms(void)
{
	return __atomic_load_n(&offset_ms, __ATOMIC_SEQ_CST);
}

static int64_t offset_now(const struct clock *c)
{
	return system_now(c) + clock_offset_ms();
}

const struct clock clock_offset = {offset_now, 0};

static int64_t fake_now(const struct clock *c)
{
	return c->fixed_ms;
}

struct clock clock_fake(int64_t start_ms)
{
	struct clock c = {fake_now, start_ms};
	return c;
}

double clock_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t clock_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void clock_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

void clock_format_rfc3339(int64_t ms, char out[RFC3339_LEN])
{
	/* floor division written so that INT64_MIN cannot overflow */
	int64_t secs = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y, m, d;
	clock_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, RFC3339_LEN, "%s", "1970-01-01T00:00:00.000Z");
		return;
	}
	char buf[64]; /* roomy: the compiler cannot prove the fields' ranges */
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, (int)m, (int)d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
	memcpy(out, buf, RFC3339_LEN - 1);
	out[RFC3339_LEN - 1] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int clock_days_in_month(int64_t y, int64_t m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

bool clock_parse_rfc3339(const char *s, int64_t *out_ms)
{
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
	size_t len = strlen(s);
	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > clock_days_in_month(y, mo))
		return false;
	const char *p = s + 10;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't') || strlen(p) < 10 || !digits(p + 1, 2, &h) ||
		    p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &se))
			return false;
		if (h > 23 || mi > 59 || se > 59)
			return false;
		p += 9;
		if (*p == '.') {
			int n = 0;
			p++;
			while (*p >= '0' && *p <= '9') {
				if (n < 3)
					frac = frac * 10 + (*p - '0');
				n++;
				p++;
			}
			if (n == 0)
				return false;
			for (; n < 3; n++)
				frac *= 10;
		}
		if (!((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0'))
			return false;
	}
	int64_t days = clock_days_from_civil(y, mo, d);
	*out_ms = ((days * 86400) + h * 3600 + mi * 60 + se) * 1000 + frac;
	return true;
}
