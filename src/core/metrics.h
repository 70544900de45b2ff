/*
 * metrics.h: process-wide counters and latency histograms, lock-free
 * (atomics), rendered in the Prometheus text format by /metrics. Series are
 * keyed by (route index, status); route -1 is "unmatched".
 */
#ifndef SAASD_METRICS_H
#define SAASD_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metric_counter { M_RATE_LIMITED, M_STORE_ERRORS, M__COUNT };

void metrics_inc(enum metric_counter c);
uint64_t metrics_get(enum metric_counter c);

/* One finished HTTP request. */
void metrics_observe_request(int route, int status, double duration_ms);

/* Append the request series to out (Prometheus text); label values come
 * from route_label(cls, route) and route_method(cls, route). */
struct metrics_text {
	char *buf;
	size_t len, cap;
};
void metrics_text_printf(struct metrics_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void metrics_render_requests(struct metrics_text *t, const char *(*route_label)(const void *, int),
			     const char *(*route_method)(const void *, int), const void *cls);

#endif
