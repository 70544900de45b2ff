/*
 * metrics.c: a fixed table of request series claimed with compare-and-swap
 * on first use, then updated with relaxed atomic adds. Histogram buckets are
 * cumulative only when rendered.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIES_MAX 1024
static const double buckets_ms[] = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000};
#define NBUCKETS (sizeof buckets_ms / sizeof buckets_ms[0])

struct series {
	int key; /* (route + 2) << 10 | status; 0 = free */
	uint64_t count;
	uint64_t sum_us;
	uint64_t buckets[NBUCKETS]; /* non-cumulative */
};

static struct series table[SERIES_MAX];
static uint64_t counters[M__COUNT];

void metrics_inc(enum metric_counter c)
{
	__atomic_add_fetch(&counters[c], 1, __ATOMIC_RELAXED);
}

uint64_t metrics_get(enum metric_counter c)
{
	return __atomic_load_n(&counters[c], __ATOMIC_RELAXED);
}

static struct series *find(int key)
{
	unsigned h = ((unsigned)key * 2654435761u) % SERIES_MAX;
	for (unsigned i = 0; i < SERIES_MAX; i++) {
		struct series *s = &table[(h + i) % SERIES_MAX];
		int k = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
		if (k == key)
			return s;
		if (k == 0) {
			int expected = 0;
			if (__atomic_compare_exchange_n(&s->key, &expected, key, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    expected == key)
				return s;
		}
	}
	return NULL; /* table full: the observation is dropped */
}

void metrics_observe_request(int route, int status, double duration_ms)
{
	if (status < 100 || status > 999)
		status = 999;
	struct series *s = find(((route + 2) << 10) | status);
	if (s == NULL)
		return;
	__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->sum_us, (uint64_t)(duration_ms * 1000.0), __ATOMIC_RELAXED);
	for (size_t b = 0; b < NBUCKETS; b++) {
		if (duration_ms <= buckets_ms[b]) {
			__atomic_add_fetch(&s->buckets[b], 1, __ATOMIC_RELAXED);
			break;
		}
	}
}

void metrics_text_printf(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		char *nb = realloc(t->buf, cap);
		if (nb == NULL)
			abort();
		t->buf = nb;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void metrics_render_requests(struct metrics_text *t, const char *(*route_label)(const void *, int),
			     const char *(*route_method)(const void *, int), const void *cls)
{
	metrics_text_printf(t, "# HELP saasd_http_requests_total HTTP requests answered.\n"
			       "# TYPE saasd_http_requests_total counter\n");
	for (int i = 0; i < SERIES_MAX; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);
		if (key == 0)
			continue;
		int route = (key >> 10) - 2, status = key & 1023;
		metrics_text_printf(
			t,
			"saasd_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} "
			"%llu\n",
			route_label(cls, route), route_method(cls, route), status,
			(unsigned long long)__atomic_load_n(&table[i].count, __ATOMIC_RELAXED));
	}
	metrics_text_printf(t, "# HELP saasd_http_request_duration_seconds Request latency.\n"
			       "# TYPE saasd_http_request_duration_seconds histogram\n");
	for (int i = 0; i < SERIES_MAX; i++) {
		int key = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);
		if (key == 0)
			continue;
		int route = (key >> 10) - 2, status = key & 1023;
		char labels[256];
		snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"",
			 route_label(cls, route), route_method(cls, route), status);
		uint64_t cum = 0;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += __atomic_load_n(&table[i].buckets[b], __ATOMIC_RELAXED);
			metrics_text_printf(
				t,
				"saasd_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
				labels, buckets_ms[b] / 1000.0, (unsigned long long)cum);
		}
		uint64_t count = __atomic_load_n(&table[i].count, __ATOMIC_RELAXED);
		metrics_text_printf(
			t, "saasd_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
			labels, (unsigned long long)count);
		metrics_text_printf(t, "saasd_http_request_duration_seconds_sum{%s} %.6f\n", labels,
				    (double)__atomic_load_n(&table[i].sum_us, __ATOMIC_RELAXED) /
					    1e6);
		metrics_text_printf(t, "saasd_http_request_duration_seconds_count{%s} %llu\n",
				    labels, (unsigned long long)count);
	}
}
