/*
 * metrics.c: GET /metrics in the Prometheus text format: request counts and
 * latency histograms per route template, method and status; rate-limit
 * rejections; mail and webhook delivery outcomes; outbox depths; store
 * errors; RSS and open connections. Guarded by METRICS_TOKEN when set.
 */
#include "api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../core/metrics.h"
#include "../core/secure.h"
#include "../http/auth.h"
#include "../store/outbox.h"
#include "../store/webhooks.h"
#include "../svc/queue.h"
#include "../svc/ratelimit.h"

/* cls: the request, whose route table the series are indexed by */
static const char *label_of(const void *cls, int route)
{
	const struct request *req = cls;
	return route >= 0 && (size_t)route < req->nroutes ? req->routes[route].pattern
							  : "unmatched";
}

static const char *method_of(const void *cls, int route)
{
	const struct request *req = cls;
	return route >= 0 && (size_t)route < req->nroutes ? req->routes[route].method : "other";
}

static long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * sysconf(_SC_PAGESIZE);
}

static void counter(struct metrics_text *t, const char *name, const char *help, const char *labels,
		    uint64_t v)
{
	metrics_text_printf(t, "# HELP %s %s\n# TYPE %s counter\n%s%s %llu\n", name, help, name,
			    name, labels, (unsigned long long)v);
}

/* Job outcomes: one series labelled by kind, and the older per-kind names
 * (promised by docs and tests) from the same counters. */
static void job_counters(struct metrics_text *t)
{
	static const char *const kinds[JOB__KINDS] = {"mail", "webhook"};
	static const char *const outcomes[JOB__OUTCOMES] = {"done", "retry", "failed"};
	metrics_text_printf(t,
			    "# HELP saasd_jobs_total Job attempts recorded, by kind and outcome.\n"
			    "# TYPE saasd_jobs_total counter\n");
	for (int k = 0; k < JOB__KINDS; k++)
		for (int o = 0; o < JOB__OUTCOMES; o++)
			metrics_text_printf(t,
					    "saasd_jobs_total{kind=\"%s\",outcome=\"%s\"} %lld\n",
					    kinds[k], outcomes[o], (long long)queue_count(k, o));
	/* the older names: "done" is called what it means for each kind */
	static const struct {
		const char *name, *help, *done;
	} older[JOB__KINDS] = {
		{"saasd_mail_deliveries_total", "Mail delivery attempts by outcome.", "sent"},
		{"saasd_webhook_deliveries_total", "Webhook attempts by outcome.", "delivered"},
	};
	for (int k = 0; k < JOB__KINDS; k++) {
		metrics_text_printf(t, "# HELP %s %s\n# TYPE %s counter\n", older[k].name,
				    older[k].help, older[k].name);
		for (int o = 0; o < JOB__OUTCOMES; o++)
			metrics_text_printf(t, "%s{outcome=\"%s\"} %lld\n", older[k].name,
					    o == JOB_DONE ? older[k].done : outcomes[o],
					    (long long)queue_count(k, o));
	}
}

static void outbox_depths(struct request *req, struct metrics_text *t)
{
	int64_t mail = -1, hooks = -1;
	struct db *d = store_acquire(req->env->store);
	if (d != NULL) {
		if (store_outbox_count_pending(d, &req->arena, &mail) != ST_OK)
			mail = -1;
		if (store_delivery_pending_count(d, &req->arena, &hooks) != ST_OK)
			hooks = -1;
		store_release(req->env->store, d);
	}
	metrics_text_printf(t,
			    "# HELP saasd_outbox_depth Pending deliveries.\n"
			    "# TYPE saasd_outbox_depth gauge\n"
			    "saasd_outbox_depth{kind=\"mail\"} %lld\n"
			    "saasd_outbox_depth{kind=\"webhook\"} %lld\n",
			    (long long)mail, (long long)hooks);
}

enum status api_metrics(struct request *req)
{
	const char *token = req->env->cfg->metrics_token;
	if (token[0] != '\0') {
		const char *given = auth_bearer(req_header(req, "Authorization"));
		if (given == NULL || !sec_str_equal(given, token)) {
			req->error_message = "A valid metrics token is required.";
			return ST_UNAUTHORIZED;
		}
	}
	struct metrics_text t = {0};
	metrics_render_requests(&t, label_of, method_of, req);
	counter(&t, "saasd_rate_limited_total", "Requests refused by the rate limiter.", "",
		ratelimiter_rejections(req->env->limiter));
	counter(&t, "saasd_store_errors_total", "Database errors.", "",
		metrics_get(M_STORE_ERRORS));
	job_counters(&t);
	outbox_depths(req, &t);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_DAEMON);
	const union MHD_DaemonInfo *di =
		ci ? MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
	metrics_text_printf(&t,
			    "# HELP saasd_open_connections Open HTTP connections.\n"
			    "# TYPE saasd_open_connections gauge\nsaasd_open_connections %u\n"
			    "# HELP process_resident_memory_bytes Resident memory.\n"
			    "# TYPE process_resident_memory_bytes gauge\n"
			    "process_resident_memory_bytes %ld\n",
			    di ? di->num_connections : 0, rss_bytes());
	return reply_text(req, 200, "text/plain; version=0.0.4", t.buf);
}
