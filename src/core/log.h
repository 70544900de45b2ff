/*
 * log.h: structured JSON log lines on stderr, one write(2) per line so lines
 * from different threads never interleave. Never pass a secret to these
 * functions: values are logged verbatim (escaped, not redacted).
 */
#ifndef SAASD_LOG_H
#define SAASD_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);

/* Bind the calling thread to a request: log_event/log_msg lines written by
 * this thread carry its request_id and trace_id until log_bind(NULL, NULL).
 * The strings must outlive the binding. */
void log_bind(const char *request_id, const char *trace_id);

/* A free-form event: {"ts","level","msg", ...extra key/value string pairs}.
 * kv is a NULL-terminated list of alternating keys and values. */
void log_event(enum log_level level, const char *msg, const char *const *kv);

/* printf-style message for startup/shutdown and internal errors. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct log_request {
	const char *request_id;
	const char *trace_id; /* may be NULL */
	const char *tenant_id; /* may be NULL */
	const char *method;
	const char *route; /* the route template, never the raw path */
	int status;
	double duration_ms;
	const char *detail; /* log-only detail of a failure (svc_fail_detail), or NULL */
};
void log_request(const struct log_request *r);

#endif
