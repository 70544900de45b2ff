/*
 * server.c: MHD callbacks and the request pipeline (an array of phases,
 * see run_phases). A response is queued on
 * a later access-handler call than the first (MHD 0.9.75 answers with
 * Connection: close otherwise), except refusals that close anyway: unsound
 * framing (400) and a declared body over the 64 KiB cap (413). Bodies are
 * accumulated with that cap; past it the request is answered 413 at once
 * and MHD closes the connection instead of reading the rest.
 */
#include "server.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/workpool.h"
#include "../svc/ratelimit.h"
#include "../svc/password.h"
#include "../svc/rbac.h"
#include "audit_phase.h"
#include "auth.h"
#include "client_ip.h"
#include "cors.h"
#include "framing.h"
#include "json_body.h"
#include "listener.h"
#include "respond.h"
#include "session_cookie.h"

/* Bytes of an oversized chunked body we read and drop before hanging up. */
#define DISCARD_MAX (4u * 1024 * 1024)

/* Query parameters beyond this are refused with 400 before MHD parses them:
 * libmicrohttpd 0.9.75 runs out of connection memory at ~900 and then
 * answers in HTML, or from ~1000 on never answers at all. */
#define QUERY_PARAMS_MAX 64

/* Unstarted hashes in all, and per tenant (its fairness key), past which an
 * offloaded route answers 503: one tenant cannot fill the whole queue. */
#define HASH_QUEUE_MAX 4096
#define HASH_QUEUE_PER_TENANT 256

struct server {
	struct MHD_Daemon *daemon;
	struct listener *listener; /* accepts, and hands connections to daemon */
	struct workpool *hash_pool; /* slow handlers (bcrypt) run here */
	const struct svc_env *env;
	const struct route *routes;
	size_t nroutes;
	int active; /* requests between first call and completion (atomic) */
	int draining; /* set once shutdown begins (atomic) */
};

static bool printable_ascii(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
			return false;
	return n > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding of the path and query arguments: MHD's own, except that
 * "%00" stays as it is. A decoded NUL would cut the C string short, so
 * "/admin/tenants/%00" would be routed as "/admin/tenants/" and
 * "/api-keys/<id>%00junk" as "/api-keys/<id>". Kept literal, it matches no
 * route, id or cursor. */
static size_t unescape_keep_nul(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r != '\0';) {
		int hi = r[0] == '%' ? hexval(r[1]) : -1;
		int lo = hi >= 0 ? hexval(r[2]) : -1;
		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static bool lowhex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* W3C traceparent "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>";
 * a later version may append fields, version 00 may not. */
static void take_traceparent(struct request *req)
{
	const char *tp = req_header(req, "traceparent");
	if (tp == NULL || strlen(tp) < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
		return;
	if (!lowhex(tp, 2) || strncmp(tp, "ff", 2) == 0 || !lowhex(tp + 3, 32) ||
	    !lowhex(tp + 36, 16) || !lowhex(tp + 53, 2))
		return;
	if (tp[55] != '\0' && (strncmp(tp, "00", 2) == 0 || tp[55] != '-'))
		return; /* version 00 ends there; a later version's next field starts with '-' */
	if (strspn(tp + 3, "0") >= 32 || strspn(tp + 36, "0") >= 16)
		return; /* an all-zero trace id or parent id is invalid */
	memcpy(req->trace_id, tp + 3, 32);
	req->trace_id[32] = '\0';
}

static void take_request_id(struct request *req)
{
	const char *given = req_header(req, "X-Request-Id");
	if (given != NULL && printable_ascii(given, 128))
		req->request_id = arena_strdup(&req->arena, given);
	else
		/* the service clock, as every other id of the call: ids made from two
		 * clocks (the test clock's offset) would not sort in creation order */
		req->request_id = id_new(&req->arena, "req", clock_now(req->env->clock));
}

static bool has_json_content_type(const struct request *req)
{
	const char *ct = req_header(req, "Content-Type");
	if (ct == NULL)
		return false;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum status parse_body(struct request *req)
{
	if (req->body_len == 0)
		return ST_OK;
	if (!has_json_content_type(req))
		return ST_UNSUPPORTED_MEDIA_TYPE;
	const char *why = NULL;
	enum status st = json_body_parse(req->body, req->body_len, &req->json, &why);
	if (st != ST_OK) {
		req->error_message = why;
		return st;
	}
	arena_defer(&req->arena, (void (*)(void *))json_decref, req->json);
	return ST_OK;
}

static void run_handler(struct request *req)
{
	log_bind(req->request_id, req->ctx.trace_id);
	audit_phase_begin(req); /* on the thread that runs the handler: it fills ctx.audit */
	req->offload_status = req->match.route->handler(req);
	log_bind(NULL, NULL);
}

/* On a hash-pool thread: run the handler, then wake the connection; MHD
 * calls on_access again and the answer is sent from there. */
static void offloaded(void *arg)
{
	struct request *req = arg;
	run_handler(req);
	__atomic_store_n(&req->offload_done, 1, __ATOMIC_RELEASE);
	MHD_resume_connection(req->conn);
}

/* Shutdown past its timeout, for a request still queued for the pool:
 * answer 503 instead of hashing (the client retries another node). */
static void offload_cancelled(void *arg)
{
	struct request *req = arg;
	reply_header(req, "Retry-After", "1");
	req->error_message = "The server is shutting down; retry shortly.";
	req->offload_status = ST_UNAVAILABLE;
	__atomic_store_n(&req->offload_done, 1, __ATOMIC_RELEASE);
	MHD_resume_connection(req->conn);
}

/* Without ADMIN_TOKEN the admin routes do not exist: not even a 405 (with
 * its Allow header) may give them away. They all live under /admin/. */
static bool admin_hidden(const struct request *req)
{
	return req->env->cfg->admin_token[0] == '\0' &&
	       (strcmp(req->path, "/admin") == 0 || strncmp(req->path, "/admin/", 7) == 0);
}

/* The routes under /admin/test/ (the test clock) exist only under
 * ENVIRONMENT=test and only for a loopback peer (the socket's address, never
 * X-Forwarded-For): elsewhere a 404 before auth, as if they were absent. */
static bool test_route_hidden(const struct request *req)
{
	return strncmp(req->path, "/admin/test/", 12) == 0 &&
	       (!config_is_test(req->env->cfg) || !req->peer_loopback);
}

/* Count the call against its tenant's per-minute limit; RateLimit-* headers
 * on every tenant answer, Retry-After when refused. */
static enum status rate_limit(struct request *req)
{
	int64_t limit = req->tenant_rate_limit > 0 ? req->tenant_rate_limit
						   : req->env->cfg->rate_limit_per_minute;
	struct ratelimit_result r;
	ratelimiter_check(req->env->limiter, req->ctx.who.tenant_id, limit,
			  clock_now(req->env->clock), &r);
	struct arena *a = &req->arena;
	reply_header(req, "RateLimit-Limit", arena_printf(a, "%lld", (long long)r.limit));
	reply_header(req, "RateLimit-Remaining", arena_printf(a, "%lld", (long long)r.remaining));
	reply_header(req, "RateLimit-Reset", arena_printf(a, "%lld", (long long)r.reset_s));
	if (r.allowed)
		return ST_OK;
	reply_header(req, "Retry-After", arena_printf(a, "%lld", (long long)r.retry_after_s));
	return ST_RATE_LIMITED;
}

/* While draining, every answer closes its connection: keep-alive clients
 * can neither hold the drain open with request after request nor send one
 * that MHD_stop_daemon would cut off unanswered. */
static void answer(struct server *srv, struct request *req, enum status st)
{
	if (__atomic_load_n(&srv->draining, __ATOMIC_ACQUIRE))
		reply_header(req, "Connection", "close");
	respond(req, st);
}

/*
 * The pipeline: a fixed array of phases run in order, in the manner of
 * nginx's phase handlers. Each phase gets the outcome so far and returns
 * the outcome after it; one that is not .always runs only while that is
 * ST_OK. The handle phase may suspend the request (offload to the hash
 * pool): the phases after it run when the connection resumes (on_access).
 * There is no idempotency phase yet: the Idempotency-Key header of a later
 * issue goes between authorize and handle. The log line and metrics are
 * not a phase: on_completed writes them once the answer has gone out (or
 * the client left), for every request, also those refused before the
 * pipeline (unsound framing, a body over the cap).
 */
struct phase {
	const char *name;
	enum status (*run)(struct server *srv, struct request *req, enum status st);
	bool always; /* runs even after an earlier phase refused the request */
	bool after_answer; /* runs even after an earlier phase answered (req->answered) */
};

/* preflight: a CORS preflight (any OPTIONS) is answered here, before
 * routing: 204, with the Access-Control-* headers when some tenant allows
 * the Origin (cors.c). Only respond runs after it. */
static enum status phase_preflight(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	if (cors_preflight(req))
		req->answered = true;
	return st;
}

/* identify: match the route: 404, or 405 with Allow; the admin routes do
 * not exist without ADMIN_TOKEN, the test routes outside ENVIRONMENT=test or
 * for a peer that is not loopback; too many query parameters is a 400. */
static enum status phase_identify(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	st = req->match_status; /* matched in request_new */
	if (req->query_refused) {
		req->match.route = NULL; /* no handler, like a 404: but the key still counts */
		req->error_message = "Too many query parameters.";
		st = ST_VALIDATION_FAILED;
	}
	if (st == ST_METHOD_NOT_ALLOWED && admin_hidden(req))
		st = ST_NOT_FOUND;
	if ((st == ST_OK || st == ST_METHOD_NOT_ALLOWED) && test_route_hidden(req)) {
		req->match.route = NULL;
		st = ST_NOT_FOUND;
	}
	if (st == ST_OK)
		req->route_label = req->match.route->pattern;
	else if (st == ST_METHOD_NOT_ALLOWED)
		reply_header(req, "Allow", arena_strdup(&req->arena, req->match.allow));
	return st;
}

/* authenticate: who calls (ctx.who), with a key kind the route takes; on a
 * refused request, still the tenant of a valid key, for the rate limit. */
static enum status phase_authenticate(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	if (st != ST_OK) {
		if (req->match.route == NULL)
			auth_identify_key(req);
		return st;
	}
	/* the key kinds a route takes (.keys) are enforced there too */
	return auth_resolve(req);
}

/* csrf: a call whose session came from the saasd_session cookie, with an
 * unsafe method, needs an Origin in its tenant's allowed_origins, else 403
 * csrf_rejected (session_cookie.c); X-Session-Token calls are not subject. */
static enum status phase_csrf(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	(void)st;
	return session_cookie_csrf(req);
}

/* cors: Vary: Origin on every answer; Access-Control-Allow-Origin and
 * -Credentials when the Origin is in the calling tenant's allowed_origins,
 * refusals included (a browser reads an error only with them). */
static enum status phase_cors(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	cors_actual(req);
	return st;
}

/* rate-limit: every call with a valid key counts, whatever else is wrong
 * with it; a refusal replaces any other outcome. */
static enum status phase_rate_limit(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	if (req->ctx.who.tenant_id == NULL)
		return st;
	enum status limited = rate_limit(req);
	return limited != ST_OK ? limited : st;
}

/* parse: the JSON body, if any (415 without a JSON content type). */
static enum status phase_parse(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	(void)st;
	return parse_body(req);
}

/* authorize: the route's declared permission goes to the service in ctx;
 * the service checks it on the organization in its own transaction (the
 * organization is read there, or found from another row, as for an
 * invitation), so 404 for non-members and 403 for members lacking it keep
 * their order against the validation of the input. */
static enum status phase_authorize(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	req->ctx.permission = req->match.route->permission;
	return st;
}

/* handle: run the handler here, or suspend the connection and queue the
 * handler on the hash pool (503 when the queue is full). */
static enum status phase_handle(struct server *srv, struct request *req, enum status st)
{
	(void)st;
	if (!req->match.route->offload) {
		run_handler(req);
		return req->offload_status;
	}
	/* suspend first: the pool may finish before this function returns */
	req->suspended = true;
	MHD_suspend_connection(req->conn);
	/* queued per tenant, served round-robin: a flood waits behind itself */
	if (workpool_submit_keyed(srv->hash_pool, req->ctx.who.tenant_id, offloaded,
				  offload_cancelled, req))
		return ST_OK; /* the phases after this one run on resumption */
	req->suspended = false;
	MHD_resume_connection(req->conn);
	reply_header(req, "Retry-After", "1");
	req->error_message = "The server is busy hashing passwords; retry shortly.";
	return ST_UNAVAILABLE;
}

/* audit: the entry the call has not written in its own transaction yet
 * (audit_phase.c); a refused call whose handler never ran leaves none. */
static enum status phase_audit(struct server *srv, struct request *req, enum status st)
{
	(void)srv;
	audit_phase_end(req, st);
	return st;
}

/* respond: queue the answer for the outcome (respond.c). */
static enum status phase_respond(struct server *srv, struct request *req, enum status st)
{
	answer(srv, req, st);
	return st;
}

static const struct phase phases[] = {
	{"preflight", phase_preflight, true},
	{"identify", phase_identify, true},
	{"authenticate", phase_authenticate, true},
	{"csrf", phase_csrf, false},
	{"cors", phase_cors, true},
	{"rate-limit", phase_rate_limit, true},
	{"parse", phase_parse, false},
	{"authorize", phase_authorize, false},
	{"handle", phase_handle, false},
	{"audit", phase_audit, true},
	{"respond", phase_respond, true, .after_answer = true},
};
#define NPHASES (sizeof phases / sizeof phases[0])

/* Run phases from index from on, with the outcome so far; stop when one
 * suspends the request (req->phase is where to resume after). */
static void run_phases(struct server *srv, struct request *req, size_t from, enum status st)
{
	for (size_t i = from; i < NPHASES; i++) {
		if (st != ST_OK && !phases[i].always)
			continue;
		if (req->answered && !phases[i].after_answer)
			continue;
		req->phase = i;
		st = phases[i].run(srv, req, st);
		if (req->suspended)
			return;
	}
}

/* A body over the cap is refused before the pipeline (at once when its
 * Content-Length says so): like any other refusal it still counts against
 * the tenant of a valid key, with the RateLimit-* headers (a 429 replaces
 * it when the limit is used up), and carries that tenant's CORS headers. */
static void refuse_too_large(struct server *srv, struct request *req)
{
	auth_identify_key(req);
	enum status st = phase_cors(srv, req, ST_PAYLOAD_TOO_LARGE);
	answer(srv, req, phase_rate_limit(srv, req, st));
}

/* The con_cls of a request whose query on_uri emptied (see there). */
static char too_many_params;

/* MHD's URI log callback: runs once per request, on the raw request target,
 * just before MHD parses the query arguments in place. The target lives in
 * MHD's own writable read buffer; ending the query right after its '?'
 * leaves MHD nothing to parse, and the marker tells on_access to refuse. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	char *query = strchr(uri, '?');
	if (query == NULL)
		return NULL;
	size_t params = 1;
	for (const char *p = query + 1; *p != '\0'; p++)
		params += *p == '&';
	if (params <= QUERY_PARAMS_MAX)
		return NULL;
	query[1] = '\0';
	return &too_many_params;
}

static struct request *request_new(struct server *srv, struct MHD_Connection *conn, const char *url,
				   const char *method)
{
	struct request *req = calloc(1, sizeof *req);
	if (req == NULL)
		abort();
	arena_init(&req->arena, 8192);
	req->conn = conn;
	req->env = srv->env;
	req->started_ms = clock_monotonic_ms();
	req->method = arena_strdup(&req->arena, method);
	req->path = arena_strdup(&req->arena, url);
	req->route_label = "unmatched";
	req->routes = srv->routes;
	req->nroutes = srv->nroutes;
	/* routed once, on arrival: the body cap must be known before the body
	 * (a route may declare a larger one, POST /usage/events); the identify
	 * phase answers with this match */
	req->match_status = router_match(srv->routes, srv->nroutes, &req->arena, req->method,
					 req->path, &req->match);
	req->body_max = req->match_status == ST_OK && req->match.route->max_body > BODY_MAX
				? req->match.route->max_body
				: BODY_MAX;
	take_request_id(req);
	take_traceparent(req);
	client_ip_resolve(req);
	/* the call as services see it; auth fills ctx.who */
	req->ctx.env = req->env;
	req->ctx.arena = &req->arena;
	req->ctx.request_id = req->request_id;
	req->ctx.trace_id = req->trace_id[0] ? req->trace_id : NULL;
	req->ctx.client_ip = req->client_ip;
	req->ctx.errors = &req->errors;
	__atomic_add_fetch(&srv->active, 1, __ATOMIC_RELAXED);
	return req;
}

/* Content-Length above the cap: refuse without reading the body. */
static bool declared_too_large(const struct request *req)
{
	const char *cl = req_header(req, "Content-Length");
	if (cl == NULL)
		return false;
	char *end;
	unsigned long long n = strtoull(cl, &end, 10);
	return end != cl && n > req->body_max;
}

static void append_body(struct request *req, const char *data, size_t size)
{
	if (req->body_too_large)
		return;
	if (req->body_len + size > req->body_max) {
		req->body_too_large = true;
		return;
	}
	if (req->body_len + size + 1 > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 1024;
		while (cap < req->body_len + size + 1)
			cap *= 2;
		char *nb = realloc(req->body, cap);
		if (nb == NULL)
			abort();
		req->body = nb;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, size);
	req->body_len += size;
	req->body[req->body_len] = '\0';
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *req = *con_cls;
	if (req == NULL || req == (void *)&too_many_params) {
		bool query_refused = req != NULL;
		/* the headers are in: the header timeout no longer applies */
		listener_headers_done(srv->listener, conn);
		req = request_new(srv, conn, url, method);
		*con_cls = req;
		req->query_refused = query_refused; /* answered by the identify phase */
		const char *framing = framing_check(conn, version);
		if (framing != NULL) {
			/* answered before reading the body, which MHD then discards;
			 * closing ends the stream, so nothing after it is run */
			req->error_message = framing;
			reply_header(req, "Connection", "close");
			answer(srv, req, ST_VALIDATION_FAILED);
		} else if (declared_too_large(req)) {
			/* answered before reading the body; MHD then closes the connection */
			req->body_too_large = true;
			refuse_too_large(srv, req);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		append_body(req, upload_data, *upload_size);
		req->discarded += req->body_too_large ? *upload_size : 0;
		*upload_size = 0;
		/* a chunked body streaming on without end: drop the connection */
		return req->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	if (__atomic_load_n(&req->offload_done, __ATOMIC_ACQUIRE)) {
		/* resumed: the offloaded handler is done; on with the phases after it */
		req->suspended = false;
		run_phases(srv, req, req->phase + 1, req->offload_status);
		return MHD_YES;
	}
	if (req->body_too_large)
		refuse_too_large(srv, req);
	else
		run_phases(srv, req, 0, ST_OK);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	struct server *srv = cls;
	/* a keep-alive connection's next request headers are due from now */
	listener_request_done(srv->listener, conn);
	struct request *req = *con_cls;
	if (req == NULL || req == (void *)&too_many_params)
		return;
	struct log_request line = {
		.request_id = req->request_id,
		.trace_id = req->trace_id[0] ? req->trace_id : NULL,
		.tenant_id = req->ctx.who.tenant_id,
		.method = req->method,
		.route = req->route_label,
		.status = req->responded ? req->http_status : 499,
		.duration_ms = clock_monotonic_ms() - req->started_ms,
		.detail = req->log_detail,
	};
	log_request(&line);
	metrics_observe_request(req->match.route ? (int)(req->match.route - srv->routes) : -1,
				line.status, line.duration_ms);
	arena_destroy(&req->arena);
	free(req->body);
	free(req);
	*con_cls = NULL;
	__atomic_sub_fetch(&srv->active, 1, __ATOMIC_RELEASE);
}

static int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 2;
}

/* Descriptors kept for everything but client connections: the store's
 * pool (2 per thread + 8, app.c), MHD's epoll and wake-up descriptors (2
 * per thread), Redis, SMTP, the webhook workers, SQLite's files, the log
 * and stdio, with room to spare. */
static int fd_reserve(unsigned threads)
{
	return 128 + 4 * (int)threads;
}

static void warm_dummy_hash(void *arg)
{
	const struct config *cfg = arg;
	password_verify_dummy("warm-up-0", cfg->bcrypt_work_factor);
}

enum status server_start(const struct svc_env *env, const struct route *routes, size_t nroutes,
			 struct server **out, char *err, size_t errlen)
{
	if (router_check(routes, nroutes, rbac_permission_valid, err, errlen) != ST_OK)
		return ST_INTERNAL;
	const struct config *cfg = env->cfg;
	unsigned threads = (unsigned)(cfg->threads > 0 ? cfg->threads : cpu_count());
	struct listener_limits limits = {
		.max_connections = cfg->max_connections,
		.max_per_ip = cfg->max_connections_per_ip,
		.header_timeout_s = cfg->header_timeout,
		.fd_reserve = fd_reserve(threads),
	};
	struct listener *listener = NULL;
	enum status st = listener_open(cfg->host, cfg->port, &limits, &listener, err, errlen);
	if (st != ST_OK)
		return st;
	struct server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		abort();
	srv->env = env;
	srv->routes = routes;
	srv->nroutes = nroutes;
	srv->listener = listener;
	/* the pool exists before the daemon: MHD serves as soon as it starts,
	 * and an offloaded route (register, login) must find it */
	srv->hash_pool = workpool_new_fair((int)threads, HASH_QUEUE_MAX, HASH_QUEUE_PER_TENANT);
	/* MHD does not listen: the listener accepts and hands connections over */
	srv->daemon = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			MHD_USE_NO_LISTEN_SOCKET,
		0, NULL, NULL, on_access, srv, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
		listener_on_connection, listener, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		/* the listener's limit is the one that holds; MHD's stays out of reach */
		MHD_OPTION_CONNECTION_LIMIT, listener_mhd_limit(listener, threads),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_keep_nul, NULL, MHD_OPTION_URI_LOG_CALLBACK,
		on_uri, NULL, MHD_OPTION_END);
	if (srv->daemon == NULL || !listener_start(listener, srv->daemon)) {
		snprintf(err, errlen, "cannot start the HTTP server on %s:%d", cfg->host,
			 cfg->port);
		listener_stop(listener);
		if (srv->daemon != NULL)
			MHD_stop_daemon(srv->daemon);
		listener_free(listener);
		workpool_free(srv->hash_pool);
		free(srv);
		return ST_UNAVAILABLE;
	}
	/* compute the dummy hash now, not on the first unknown-email login */
	workpool_submit(srv->hash_pool, warm_dummy_hash, (void *)env->cfg);
	*out = srv;
	return ST_OK;
}

/* Wait up to timeout_ms for every request to complete. */
static void wait_idle(struct server *srv, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (__atomic_load_n(&srv->active, __ATOMIC_ACQUIRE) == 0)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

void server_shutdown(struct server *srv, int timeout_ms)
{
	if (srv == NULL)
		return;
	__atomic_store_n(&srv->draining, 1, __ATOMIC_RELEASE);
	/* stop accepting: from here the port refuses, so clients retry elsewhere */
	listener_stop(srv->listener);
	wait_idle(srv, timeout_ms);
	int left = __atomic_load_n(&srv->active, __ATOMIC_ACQUIRE);
	if (left > 0)
		log_msg(LOG_WARN, "%d requests still in flight after the %d ms shutdown timeout",
			left, timeout_ms);
	/* MHD aborts when stopped with a suspended connection: the hashes
	 * running finish, the queued ones are answered 503 (as is a new one,
	 * by the failing submission), and the answers get a moment to go out */
	workpool_drain(srv->hash_pool, true);
	wait_idle(srv, 1000);
	MHD_stop_daemon(srv->daemon);
	/* MHD notifies closed connections until it has stopped */
	listener_free(srv->listener);
	workpool_free(srv->hash_pool);
	free(srv);
}
