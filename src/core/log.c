/*
 * log.c: JSON line writer. Builds each line in a stack buffer (truncating
 * overlong values) and emits it with a single write(2) to stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_escape.h"

#include "clock.h"

static enum log_level min_level = LOG_INFO;
static __thread const char *bound_request_id;
static __thread const char *bound_trace_id;

void log_bind(const char *request_id, const char *trace_id)
{
	bound_request_id = request_id;
	bound_trace_id = trace_id;
}

void log_set_level(enum log_level min)
{
	min_level = min;
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warn";
	default:
		return "error";
	}
}

struct line {
	char buf[2048];
	size_t len;
	bool truncated; /* a value was cut to fit the buffer */
};

static void put_raw(struct line *l, const char *s, size_t n)
{
	if (l->len + n >= sizeof l->buf - 4) {
		n = sizeof l->buf - 4 - l->len; /* 4 bytes stay for the line's end */
		l->truncated = true;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void put_sink(void *l, const char *s, size_t n)
{
	put_raw(l, s, n);
}

static void put_str(struct line *l, const char *s)
{
	json_escape(s, put_sink, l);
}

static void put_key(struct line *l, const char *key)
{
	put_raw(l, ",", 1);
	put_str(l, key);
	put_raw(l, ":", 1);
}

/* The timestamp, formatted once per second and thread; only the
 * milliseconds change within the second. */
static void format_ts(int64_t ms, char ts[RFC3339_LEN])
{
	static __thread int64_t cached_sec = -1;
	static __thread char cached[RFC3339_LEN];
	if (ms < 0) {
		clock_format_rfc3339(ms, ts);
		return;
	}
	if (ms / 1000 != cached_sec) {
		clock_format_rfc3339(ms, cached);
		cached_sec = ms / 1000;
	}
	memcpy(ts, cached, RFC3339_LEN);
	int frac = (int)(ms % 1000); /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	ts[20] = (char)('0' + frac / 100);
	ts[21] = (char)('0' + frac / 10 % 10);
	ts[22] = (char)('0' + frac % 10);
}

/* Decimal digits of v (v >= 0) into buf; returns the length. */
static size_t put_uint(char *buf, unsigned long long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void begin(struct line *l, enum log_level level)
{
	char ts[RFC3339_LEN];
	format_ts(clock_now(&clock_system), ts);
	l->len = 0;
	l->truncated = false;
	put_raw(l, "{\"ts\":", 6);
	put_str(l, ts);
	put_key(l, "level");
	put_str(l, level_name(level));
}

static void finish(struct line *l)
{
	/* a cut value is a string (only strings grow long): close it, so an
	 * over-long line is still one valid JSON object and ends its line */
	const char *end = l->truncated ? "\"}\n" : "}\n";
	memcpy(l->buf + l->len, end, strlen(end));
	l->len += strlen(end);
	ssize_t rc = write(STDERR_FILENO, l->buf, l->len);
	(void)rc;
}

void log_event(enum log_level level, const char *msg, const char *const *kv)
{
	if (level < min_level)
		return;
	struct line l;
	begin(&l, level);
	put_key(&l, "msg");
	put_str(&l, msg);
	if (bound_request_id != NULL) {
		put_key(&l, "request_id");
		put_str(&l, bound_request_id);
	}
	if (bound_trace_id != NULL) {
		put_key(&l, "trace_id");
		put_str(&l, bound_trace_id);
	}
	for (; kv != NULL && kv[0] != NULL && kv[1] != NULL; kv += 2) {
		put_key(&l, kv[0]);
		put_str(&l, kv[1]);
	}
	finish(&l);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_event(level, msg, NULL);
}

void log_request(const struct log_request *r)
{
	enum log_level level = r->status >= 500 ? LOG_ERROR : LOG_INFO;
	if (level < min_level)
		return;
	struct line l;
	char num[64];
	begin(&l, level);
	put_key(&l, "request_id");
	put_str(&l, r->request_id ? r->request_id : "");
	put_key(&l, "trace_id");
	if (r->trace_id)
		put_str(&l, r->trace_id);
	else
		put_raw(&l, "null", 4);
	put_key(&l, "tenant_id");
	if (r->tenant_id)
		put_str(&l, r->tenant_id);
	else
		put_raw(&l, "null", 4);
	put_key(&l, "method");
	put_str(&l, r->method);
	put_key(&l, "route");
	put_str(&l, r->route);
	put_key(&l, "status");
	if (r->status >= 0)
		put_raw(&l, num, put_uint(num, (unsigned long long)r->status));
	else
		put_raw(&l, num, (size_t)snprintf(num, sizeof num, "%d", r->status));
	put_key(&l, "duration_ms");
	if (r->duration_ms >= 0 && r->duration_ms < 1e12) {
		/* "%.3f" without printf: x is exact in long double (53 + 10 bits),
		 * rounded to whole microseconds half-to-even as printf does */
		long double x = (long double)r->duration_ms * 1000.0L;
		unsigned long long us = (unsigned long long)x;
		long double f = x - (long double)us;
		if (f > 0.5L || (f == 0.5L && (us & 1)))
			us++;
		size_t n = put_uint(num, us / 1000);
		num[n++] = '.';
		num[n++] = (char)('0' + us % 1000 / 100);
		num[n++] = (char)('0' + us % 100 / 10);
		num[n++] = (char)('0' + us % 10);
		put_raw(&l, num, n);
	} else {
		snprintf(num, sizeof num, "%.3f", r->duration_ms);
		put_raw(&l, num, strlen(num));
	}
	if (r->detail != NULL) {
		put_key(&l, "detail");
		put_str(&l, r->detail);
	}
	finish(&l);
}
