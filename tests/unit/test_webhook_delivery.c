/*
 * test_webhook_delivery.c: webhook emission and the delivery job
 * (src/svc/webhooks.c, src/svc/webhook_delivery.c, src/store/webhooks.c)
 * against real databases with a fake clock, so the whole retry schedule
 * (5 s ... 10 h, then failed) runs without sleeping. Runs on a fresh SQLite
 * file, and also on PostgreSQL when SAASD_PG_PORT names a test cluster.
 * Endpoints are a refused loopback port or a one-shot HTTP responder thread
 * that records the request and answers with a canned response. Also the
 * private-address guard (WEBHOOK_ALLOW_PRIVATE=false) at create and connect.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dbkit.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/secure.h"
#include "net/addr_policy.h"
#include "net/webhook_http.h"
#include "store/migrate.h"
#include "store/tenants.h"
#include "svc/orgs.h"
#include "svc/jobs.h"
#include "svc/webhooks.h"

#define SEC 1000LL
#define HOUR (3600 * SEC)
#define REFUSED_URL "http://127.0.0.1:1/hook" /* nothing listens on port 1 */

static struct config CFG;
static struct clock FAKE;
static struct svc_env ENV;

/* One call's context, its arena owned by the caller. */
struct call {
	struct arena a;
	struct field_errors fe;
	struct svc_ctx c;
};

static void call_init(struct call *k, const char *tenant)
{
	arena_init(&k->a, 8192);
	memset(&k->fe, 0, sizeof k->fe);
	k->c = (struct svc_ctx){.env = &ENV,
				.arena = &k->a,
				.who = {.tenant_id = tenant, .kind = ACTOR_SECRET_KEY},
				.errors = &k->fe};
}

static struct endpoint_row endpoint(const char *tenant, const char *url, const char *filter)
{
	struct call k;
	call_init(&k, tenant);
	const char *events[1] = {filter};
	struct endpoint_input in = {.url = url, .nevents = 1, .events = events};
	struct endpoint_row e;
	memset(&e, 0, sizeof e);
	CHECK(svc_webhook_create(&k.c, &in, &e) == ST_OK);
	struct endpoint_row out = e;
	out.id = arena_strdup(&G, e.id);
	out.secret = arena_strdup(&G, e.secret);
	out.url = arena_strdup(&G, e.url);
	arena_destroy(&k.a);
	return out;
}

/* Emit one event in its own committed transaction. */
static void emit(const char *tenant, const char *type, const char *data)
{
	struct call k;
	call_init(&k, tenant);
	struct db *d = acquire();
	CHECK(db_begin(d) == ST_OK);
	CHECK(svc_event_emit(&k.c, d, type, data) == ST_OK);
	CHECK(db_commit(d) == ST_OK);
	store_release(S, d);
	arena_destroy(&k.a);
}

/* Every delivery of an endpoint (newest first) into *rows (in arena a). */
static int deliveries(struct arena *a, const char *tenant, const char *endpoint_id,
		      struct delivery_row **rows)
{
	struct db *d = acquire();
	int n = -1;
	CHECK(store_delivery_list(d, a, tenant, endpoint_id, NULL, 100, rows, &n) == ST_OK);
	store_release(S, d);
	return n;
}

/* The endpoint's only delivery; false when it has none or several. */
static bool only_delivery(struct arena *a, const char *tenant, const char *endpoint_id,
			  struct delivery_row *out)
{
	struct delivery_row *rows;
	if (deliveries(a, tenant, endpoint_id, &rows) != 1)
		return false;
	*out = rows[0];
	return true;
}

static int attempts(struct arena *a, const char *tenant, const char *delivery_id,
		    struct attempt_row **rows)
{
	struct db *d = acquire();
	int n = -1;
	CHECK(store_attempt_list(d, a, tenant, delivery_id, rows, &n) == ST_OK);
	store_release(S, d);
	return n;
}

static struct endpoint_row endpoint_now(struct arena *a, const char *tenant, const char *id)
{
	struct endpoint_row e;
	memset(&e, 0, sizeof e);
	struct db *d = acquire();
	CHECK(store_endpoint_get(d, a, tenant, id, &e) == ST_OK);
	store_release(S, d);
	return e;
}

/* Run the job until the queue has nothing due now; returns the total. */
static int run_job(void)
{
	int total = 0, n;
	while ((n = webhook_job_run(&ENV)) > 0)
		total += n;
	return total;
}

/* ---- a one-shot HTTP responder --------------------------------------------- */

#define MAX_REPLIES 4

struct responder {
	int fd, port;
	pthread_t th;
	int nreplies;
	const char *replies[MAX_REPLIES];
	char request[MAX_REPLIES][16384];
	int served;
};

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	for (int i = 0; i < r->nreplies; i++) {
		struct pollfd p = {r->fd, POLLIN, 0};
		if (poll(&p, 1, 10000) != 1)
			break; /* nobody came: the test's checks report it */
		int c = accept(r->fd, NULL, NULL);
		if (c < 0)
			break;
		size_t len = 0, want = 0;
		char *buf = r->request[i];
		while (len < sizeof r->request[i] - 1) {
			ssize_t got = recv(c, buf + len, sizeof r->request[i] - 1 - len, 0);
			if (got <= 0)
				break;
			len += (size_t)got;
			buf[len] = '\0';
			char *end = strstr(buf, "\r\n\r\n");
			if (end == NULL)
				continue;
			if (want == 0) {
				char *cl = strcasestr(buf, "\r\nContent-Length:");
				want = (size_t)(end + 4 - buf) +
				       (cl ? strtoul(cl + 17, NULL, 10) : 0);
			}
			if (len >= want)
				break;
		}
		send(c, r->replies[i], strlen(r->replies[i]), MSG_NOSIGNAL);
		close(c);
		r->served++;
	}
	return NULL;
}

static void responder_start(struct responder *r, int n, const char *const *replies)
{
	memset(r, 0, sizeof *r);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(r->fd, 8) != 0 || getsockname(r->fd, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "test_webhook_delivery: cannot listen on loopback\n");
		exit(2);
	}
	r->port = ntohs(sa.sin_port);
	r->nreplies = n;
	for (int i = 0; i < n; i++)
		r->replies[i] = replies[i];
	pthread_create(&r->th, NULL, responder_main, r);
}

static void responder_stop(struct responder *r)
{
	pthread_join(r->th, NULL);
	close(r->fd);
}

/* The value of header `name` in a recorded request (into out). */
static bool header_of(const char *req, const char *name, char *out, size_t outlen)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\r\n%s:", name);
	const char *p = strcasestr(req, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\r\n");
	snprintf(out, outlen, "%.*s", (int)n, p);
	return true;
}

/* ---- emission ------------------------------------------------------------------ */

TEST(emit_queues_one_delivery_per_enabled_matching_endpoint_of_the_tenant)
{
	const char *ten = make_tenant("emit"), *other = make_tenant("emit-other");
	struct endpoint_row all = endpoint(ten, REFUSED_URL, "*");
	struct endpoint_row subs = endpoint(ten, REFUSED_URL, "subscription.*");
	struct endpoint_row exact = endpoint(ten, REFUSED_URL, "user.created");
	struct endpoint_row off = endpoint(ten, REFUSED_URL, "*");
	struct endpoint_row foreign = endpoint(other, REFUSED_URL, "*");
	struct call k;
	call_init(&k, ten);
	struct endpoint_input disable = {.has_enabled = true, .enabled = false};
	struct endpoint_row tmp;
	CHECK(svc_webhook_update(&k.c, off.id, &disable, &tmp) == ST_OK);
	CHECK(!tmp.enabled);

	emit(ten, "user.created", "{\"user\":{\"id\":\"usr_x\"}}");
	struct arena *a = &k.a;
	struct delivery_row *rows;
	CHECK(deliveries(a, ten, all.id, &rows) == 1);
	CHECK(deliveries(a, ten, exact.id, &rows) == 1);
	CHECK(deliveries(a, ten, subs.id, &rows) == 0);
	CHECK(deliveries(a, ten, off.id, &rows) == 0);
	CHECK(deliveries(a, other, foreign.id, &rows) == 0);
	emit(ten, "subscription.updated", "{}");
	CHECK(deliveries(a, ten, all.id, &rows) == 2);
	CHECK(deliveries(a, ten, subs.id, &rows) == 1);
	CHECK(deliveries(a, ten, exact.id, &rows) == 1);
	struct delivery_row r = {0};
	CHECK(only_delivery(a, ten, subs.id, &r));
	CHECK_STR(r.status, "pending");
	CHECK_STR(r.event_type, "subscription.updated");
	CHECK(r.attempts == 0 && r.next_attempt_at == FAKE.fixed_ms);
	CHECK(r.last_status_code == 0 && r.delivered_at == 0);
	/* the stored payload is the documented envelope, data embedded as given */
	char ts[RFC3339_LEN];
	clock_format_rfc3339(FAKE.fixed_ms, ts);
	char *want = arena_printf(a,
				  "{\"id\":\"%s\",\"type\":\"subscription.updated\","
				  "\"created_at\":\"%s\",\"tenant_id\":\"%s\",\"data\":{}}",
				  r.event_id, ts, ten);
	CHECK_STR(r.payload, want);
	CHECK(id_valid(r.event_id, "evt"));
	/* another tenant's endpoint id is not found through this tenant */
	struct page pg = {NULL, 20};
	struct delivery_list dl;
	CHECK(svc_webhook_deliveries(&k.c, foreign.id, &pg, &dl) == ST_NOT_FOUND);
	CHECK(svc_webhook_retry(&k.c, foreign.id, r.id) == ST_NOT_FOUND);
	/* clean up: nothing of this test stays due */
	CHECK(svc_webhook_delete(&k.c, all.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, subs.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, exact.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, off.id) == ST_OK);
	CHECK(deliveries(a, ten, all.id, &rows) == 0); /* cascaded */
	CHECK(run_job() == 0);
	arena_destroy(&k.a);
}

static enum status emit_then_fail(struct svc_ctx *c, struct db *d, void *arg)
{
	(void)arg;
	enum status st = svc_event_emit(c, d, "user.created", "{}");
	return st == ST_OK ? ST_CONFLICT : st;
}

TEST(an_event_and_its_deliveries_exist_only_if_the_callers_transaction_commits)
{
	const char *ten = make_tenant("tx");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	struct call k;
	call_init(&k, ten);
	CHECK(svc_in_tx(&k.c, emit_then_fail, NULL) == ST_CONFLICT);
	struct delivery_row *rows;
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 0);
	struct db *d = acquire();
	CHECK(db_begin(d) == ST_OK);
	CHECK(svc_event_emit(&k.c, d, "user.created", "{}") == ST_OK);
	db_rollback(d);
	store_release(S, d);
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 0);
	CHECK(run_job() == 0);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

/* A stand-in for the delivery threads: the "webhooks" job with an idle
 * interval no test waits out, counting its runs. */
static int wake_runs;

static int count_wake_run(const struct svc_env *env)
{
	(void)env;
	__atomic_add_fetch(&wake_runs, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static bool wake_runs_reach(int want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 5) {
		if (__atomic_load_n(&wake_runs, __ATOMIC_SEQ_CST) >= want)
			return true;
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return false;
}

static enum status emit_once(struct svc_ctx *c, struct db *d, void *arg)
{
	(void)arg;
	return svc_event_emit(c, d, "user.created", "{}");
}

TEST(a_committed_delivery_wakes_the_delivery_jobs_and_a_rolled_back_one_does_not)
{
	const char *ten = make_tenant("wake");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	static const struct job idle[] = {{"webhooks", 600000, count_wake_run}};
	__atomic_store_n(&wake_runs, 0, __ATOMIC_SEQ_CST); /* this backend's pass counts anew */
	struct jobs *j = jobs_start(&ENV, idle, 1);
	CHECK(wake_runs_reach(1, 5000)); /* the first run, at start */
	struct call k;
	call_init(&k, ten);
	CHECK(svc_in_tx(&k.c, emit_then_fail, NULL) == ST_CONFLICT);
	CHECK(!wake_runs_reach(2, 300)); /* nothing committed, nothing to wake for */
	CHECK(svc_in_tx(&k.c, emit_once, NULL) == ST_OK);
	CHECK(wake_runs_reach(2, 5000)); /* at once, not after 10 minutes */
	jobs_stop(j);
	CHECK(run_job() == 1); /* the one committed delivery (refused port) */
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

TEST(create_returns_a_whsec_secret_of_32_random_bytes)
{
	const char *ten = make_tenant("secret");
	struct endpoint_row e1 = endpoint(ten, REFUSED_URL, "*");
	struct endpoint_row e2 = endpoint(ten, REFUSED_URL, "*");
	CHECK(strncmp(e1.secret, "whsec_", 6) == 0);
	uint8_t key[64];
	size_t n = 0;
	CHECK(sec_base64_decode(e1.secret + 6, key, sizeof key, &n) && n == 32);
	CHECK(strcmp(e1.secret, e2.secret) != 0);
	char sig[WEBHOOK_SIGNATURE_LEN];
	CHECK(webhook_sign(e1.secret, "evt_1", 1, "{}", sig));
	struct call k;
	call_init(&k, ten);
	CHECK(svc_webhook_delete(&k.c, e1.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, e2.id) == ST_OK);
	arena_destroy(&k.a);
}

/* ---- the job ----------------------------------------------------------------------- */

TEST(an_unreachable_endpoint_is_retried_on_the_schedule_then_failed_and_retried_by_hand)
{
	const int64_t schedule[] = {5 * SEC, 300 * SEC, 1800 * SEC, 2 * HOUR, 5 * HOUR, 10 * HOUR};
	const char *ten = make_tenant("schedule");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	int64_t start = FAKE.fixed_ms;
	emit(ten, "user.created", "{}");
	struct call k;
	call_init(&k, ten);
	struct delivery_row r = {0};
	for (int attempt = 1; attempt <= 7; attempt++) {
		CHECK(webhook_job_run(&ENV) == 1);
		CHECK(webhook_job_run(&ENV) == 0); /* nothing else is due now */
		CHECK(only_delivery(&k.a, ten, e.id, &r));
		CHECK(r.attempts == attempt);
		CHECK(r.last_status_code == 0);
		CHECK(r.last_error != NULL && r.last_error[0] != '\0');
		if (attempt == 7)
			break;
		CHECK_STR(r.status, "pending");
		/* waiting for its retry: not made due by hand (it could be mid-attempt) */
		CHECK(svc_webhook_retry(&k.c, e.id, r.id) == ST_CONFLICT);
		int64_t base = schedule[attempt - 1], delay = r.next_attempt_at - FAKE.fixed_ms;
		if (!(delay >= base - base / 10 && delay <= base + base / 10))
			fprintf(stderr, "  attempt %d: delay %lld, want %lld +- 10%%\n", attempt,
				(long long)delay, (long long)base);
		CHECK(delay >= base - base / 10 && delay <= base + base / 10);
		FAKE.fixed_ms = r.next_attempt_at - 1; /* a millisecond early: not due */
		CHECK(webhook_job_run(&ENV) == 0);
		FAKE.fixed_ms = r.next_attempt_at;
	}
	CHECK_STR(r.status, "failed");
	/* about 17.6 h after the first attempt, give or take the jitter */
	int64_t span = FAKE.fixed_ms - start;
	CHECK(span >= (17 * HOUR + 35 * 60 * SEC) * 9 / 10 &&
	      span <= (17 * HOUR + 36 * 60 * SEC) * 11 / 10);
	FAKE.fixed_ms += 100 * HOUR;
	CHECK(webhook_job_run(&ENV) == 0); /* failed is final */
	struct attempt_row *log;
	CHECK(attempts(&k.a, ten, r.id, &log) == 7);
	for (int i = 0; i < 7; i++) {
		CHECK(log[i].attempt == i + 1);
		CHECK(log[i].status_code == 0);
		CHECK(log[i].error != NULL);
		CHECK(log[i].latency_ms >= 0);
	}
	/* a failed delivery is put back by hand, tried once more, and fails again */
	CHECK(svc_webhook_retry(&k.c, e.id, "dlv_01m8dh9g9msck31bzcx6t5w4sa") == ST_NOT_FOUND);
	CHECK(svc_webhook_retry(&k.c, e.id, r.id) == ST_OK);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "pending");
	CHECK(r.next_attempt_at == FAKE.fixed_ms);
	CHECK(webhook_job_run(&ENV) == 1);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK(r.attempts == 8);
	CHECK_STR(r.status, "failed");
	CHECK(attempts(&k.a, ten, r.id, &log) == 8);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	FAKE.fixed_ms = start;
	arena_destroy(&k.a);
}

TEST(cleanup_prunes_finished_webhook_history_after_30_days_and_keeps_pending)
{
	const char *ten = make_tenant("prune");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	int64_t start = FAKE.fixed_ms;
	emit(ten, "user.created", "{}"); /* stays pending: not due before the prune */
	emit(ten, "organization.created", "{}");
	struct call k;
	call_init(&k, ten);
	struct delivery_row *rows;
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 2);
	/* the older one fails for good by hand; the other stays pending */
	struct db *d = acquire();
	struct db_param p[1] = {db_text(rows[1].id)};
	CHECK(db_query(d, &k.a, "UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1", p,
		       1, NULL, NULL) == ST_OK);
	store_release(S, d);
	FAKE.fixed_ms = start + 29LL * 24 * HOUR;
	cleanup_run(&ENV);
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 2); /* younger than 30 days: kept */
	FAKE.fixed_ms = start + 31LL * 24 * HOUR;
	cleanup_run(&ENV);
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 1);
	CHECK(rows[0].status[0] == 'p'); /* pending is never pruned */
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	FAKE.fixed_ms = start;
	arena_destroy(&k.a);
}

#define OK_200 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

TEST(retry_after_sets_the_next_attempt_exactly_and_is_capped_at_10_hours)
{
	const char *replies[] = {
		"HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\nConnection: "
		"close\r\n\r\n",
		"HTTP/1.1 429 Slow\r\nretry-after:  99999999\r\nContent-Length: 0\r\nConnection: "
		"close\r\n\r\n",
		"HTTP/1.1 503 Busy\r\nRetry-After: Wed, 21 Oct 2037 07:28:00 "
		"GMT\r\nContent-Length: 0\r\n"
		"Connection: close\r\n\r\n",
		OK_200,
	};
	struct responder rs;
	responder_start(&rs, 4, replies);
	const char *ten = make_tenant("retry-after");
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", rs.port);
	struct endpoint_row e = endpoint(ten, url, "user.*");
	int64_t start = FAKE.fixed_ms;
	emit(ten, "user.created", "{\"user\":{\"id\":\"usr_1\",\"name\":\"Zo\\u00eb\"}}");
	struct call k;
	call_init(&k, ten);
	struct delivery_row r = {0};
	CHECK(run_job() == 1);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "pending");
	CHECK(r.last_status_code == 503);
	CHECK(r.next_attempt_at == FAKE.fixed_ms + 120 * SEC);
	FAKE.fixed_ms = r.next_attempt_at;
	CHECK(run_job() == 1);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK(r.last_status_code == 429);
	CHECK(r.next_attempt_at == FAKE.fixed_ms + 10 * HOUR);
	FAKE.fixed_ms = r.next_attempt_at;
	CHECK(run_job() == 1);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK(r.last_status_code == 503);
	/* an HTTP-date is not understood: the schedule's third step applies */
	int64_t delay = r.next_attempt_at - FAKE.fixed_ms;
	CHECK(delay >= 1620 * SEC && delay <= 1980 * SEC);
	FAKE.fixed_ms = r.next_attempt_at;
	CHECK(run_job() == 1);
	responder_stop(&rs);
	CHECK(rs.served == 4);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "delivered");
	CHECK(r.attempts == 4 && r.last_status_code == 200);
	CHECK(r.delivered_at == FAKE.fixed_ms);
	CHECK(r.last_error == NULL);
	/* every request carried the same id, a fresh timestamp and a valid signature */
	const char *last = rs.request[3];
	CHECK(strncmp(last, "POST /hook HTTP/1.1\r\n", 21) == 0);
	char id[128], ts[32], sig[128], ctype[64], want[WEBHOOK_SIGNATURE_LEN];
	CHECK(header_of(last, "webhook-id", id, sizeof id));
	CHECK_STR(id, r.event_id);
	CHECK(header_of(last, "webhook-timestamp", ts, sizeof ts));
	CHECK(strtoll(ts, NULL, 10) == FAKE.fixed_ms / 1000);
	CHECK(header_of(last, "content-type", ctype, sizeof ctype));
	CHECK_STR(ctype, "application/json");
	const char *body = strstr(last, "\r\n\r\n");
	CHECK(body != NULL);
	if (body != NULL) {
		CHECK_STR(body + 4, r.payload);
		CHECK(webhook_sign(e.secret, id, strtoll(ts, NULL, 10), body + 4, want));
	}
	CHECK(header_of(last, "webhook-signature", sig, sizeof sig));
	CHECK_STR(sig, want);
	for (int i = 0; i < 3; i++) {
		char other[128];
		CHECK(header_of(rs.request[i], "webhook-id", other, sizeof other));
		CHECK_STR(other, id);
	}
	struct attempt_row *log;
	CHECK(attempts(&k.a, ten, r.id, &log) == 4);
	CHECK(log[0].status_code == 503 && log[1].status_code == 429 && log[2].status_code == 503);
	CHECK(log[3].status_code == 200 && log[3].error == NULL);
	/* delivered is final: a manual retry is refused */
	CHECK(svc_webhook_retry(&k.c, e.id, r.id) == ST_CONFLICT);
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "delivered");
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	FAKE.fixed_ms = start;
	arena_destroy(&k.a);
}

TEST(gone_410_disables_the_endpoint_and_its_queued_deliveries_are_not_sent)
{
	const char *replies[] = {
		"HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
	struct responder rs;
	responder_start(&rs, 1, replies);
	const char *ten = make_tenant("gone");
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", rs.port);
	struct endpoint_row e = endpoint(ten, url, "*");
	emit(ten, "user.created", "{}");
	FAKE.fixed_ms += 1;
	emit(ten, "organization.created", "{}");
	FAKE.fixed_ms += 1;
	CHECK(run_job() == 2);
	responder_stop(&rs);
	CHECK(rs.served == 1);
	struct call k;
	call_init(&k, ten);
	struct endpoint_row now = endpoint_now(&k.a, ten, e.id);
	CHECK(!now.enabled);
	CHECK(now.disabled_reason != NULL);
	struct delivery_row *rows;
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 2);
	/* newest first: the second was never sent */
	CHECK_STR(rows[1].status, "failed");
	CHECK(rows[1].last_status_code == 410);
	CHECK_STR(rows[0].status, "failed");
	CHECK(rows[0].last_status_code == 0);
	CHECK(rows[0].last_error != NULL && strstr(rows[0].last_error, "disabled") != NULL);
	/* no delivery is even queued for a disabled endpoint */
	emit(ten, "user.created", "{}");
	CHECK(deliveries(&k.a, ten, e.id, &rows) == 2);
	CHECK(run_job() == 0);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

TEST(a_redirect_is_not_followed_and_counts_as_a_failure)
{
	const char *replies[] = {"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
				 "Content-Length: 0\r\nConnection: close\r\n\r\n"};
	struct responder rs;
	responder_start(&rs, 1, replies);
	const char *ten = make_tenant("redirect");
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", rs.port);
	struct endpoint_row e = endpoint(ten, url, "*");
	emit(ten, "user.created", "{}");
	CHECK(run_job() == 1);
	responder_stop(&rs);
	struct call k;
	call_init(&k, ten);
	struct delivery_row r = {0};
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "pending");
	CHECK(r.last_status_code == 302);
	CHECK(r.last_error == NULL || strstr(r.last_error, "onnect") == NULL); /* not followed */
	int64_t delay = r.next_attempt_at - FAKE.fixed_ms;
	CHECK(delay >= 4500 && delay <= 5500);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

TEST(one_run_handles_at_most_a_batch_and_the_rest_on_the_next)
{
	const char *ten = make_tenant("batch");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	for (int i = 0; i < 13; i++)
		emit(ten, "user.created", "{}");
	CHECK(webhook_job_run(&ENV) == 10);
	CHECK(webhook_job_run(&ENV) == 3);
	CHECK(webhook_job_run(&ENV) == 0);
	struct call k;
	call_init(&k, ten);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

/* ---- claims ------------------------------------------------------------------------- */

/* The claim runs in its caller's transaction (the job queue's svc_in_tx). */
static enum status claim_tx(struct db *d, struct arena *a, int64_t now, int64_t lease_until,
			    int tenant_max, struct delivery_row *out)
{
	enum status st = db_begin(d);
	if (st == ST_OK)
		st = store_delivery_claim(d, a, now, lease_until, tenant_max, out);
	if (st == ST_OK)
		return db_commit(d);
	db_rollback(d);
	return st;
}

TEST(lease_hides_a_claimed_delivery_for_60_s_and_fences_the_late_outcome)
{
	const char *ten = make_tenant("lease");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	emit(ten, "user.created", "{}");
	int64_t now = FAKE.fixed_ms;
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct delivery_row first, second;
	CHECK(claim_tx(d, &a, now, now + 60000, 2, &first) == ST_OK);
	CHECK(first.attempts == 1);
	CHECK_STR(first.url, REFUSED_URL);
	CHECK_STR(first.secret, e.secret);
	CHECK(first.endpoint_enabled);
	CHECK(claim_tx(d, &a, now + 59999, now + 120000, 2, &second) == ST_NOT_FOUND);
	/* nor can a manual retry make a claimed delivery due again */
	CHECK(store_delivery_requeue(d, &a, ten, e.id, first.id, now + 1) == ST_CONFLICT);
	CHECK(claim_tx(d, &a, now + 1, now + 120000, 2, &second) == ST_NOT_FOUND);
	CHECK(claim_tx(d, &a, now + 60000, now + 120000, 2, &second) == ST_OK);
	CHECK_STR(second.id, first.id);
	CHECK(second.attempts == 2);
	/* the first worker comes back late: its outcome is refused */
	first.status = "delivered";
	first.delivered_at = now;
	CHECK(store_delivery_finish(d, &a, &first, 1) == ST_NOT_FOUND);
	second.status = "failed";
	second.last_error = "test";
	CHECK(store_delivery_finish(d, &a, &second, 2) == ST_OK);
	/* and no other tenant can finish it */
	second.tenant_id = (char *)make_tenant("lease-other");
	CHECK(store_delivery_finish(d, &a, &second, 2) == ST_NOT_FOUND);
	store_release(S, d);
	struct call k;
	call_init(&k, ten);
	struct delivery_row r = {0};
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "failed");
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
	arena_destroy(&a);
}

#define RACE_EVENTS 100
#define RACE_WORKERS 4

struct race {
	pthread_mutex_t mu;
	int total, errors, twice;
	char *seen[RACE_EVENTS * 2];
	int nseen;
};

static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	for (int empty = 0; empty < 300;) {
		pthread_mutex_lock(&r->mu);
		bool done = r->total >= RACE_EVENTS;
		pthread_mutex_unlock(&r->mu);
		if (done)
			break;
		struct delivery_row m;
		enum status st = claim_tx(d, &a, T0 + HOUR, T0 + 2 * HOUR, 2, &m);
		if (st != ST_OK) {
			empty++;
			usleep(1000);
			arena_reset(&a);
			continue;
		}
		pthread_mutex_lock(&r->mu);
		for (int i = 0; i < r->nseen; i++)
			if (strcmp(r->seen[i], m.id) == 0)
				r->twice++;
		if (r->nseen < RACE_EVENTS * 2)
			r->seen[r->nseen++] = strdup(m.id);
		r->total++;
		pthread_mutex_unlock(&r->mu);
		m.status = "delivered";
		m.delivered_at = T0;
		if (store_delivery_finish(d, &a, &m, m.attempts) != ST_OK) {
			pthread_mutex_lock(&r->mu);
			r->errors++;
			pthread_mutex_unlock(&r->mu);
		}
		arena_reset(&a);
	}
	arena_destroy(&a);
	store_release(S, d);
	return NULL;
}

TEST(concurrent_claims_never_hand_one_delivery_to_two_workers)
{
	const char *ten = make_tenant("race");
	struct endpoint_row e = endpoint(ten, REFUSED_URL, "*");
	for (int i = 0; i < RACE_EVENTS; i++)
		emit(ten, "user.created", "{}");
	static struct race r;
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	pthread_t th[RACE_WORKERS];
	for (int i = 0; i < RACE_WORKERS; i++)
		pthread_create(&th[i], NULL, race_worker, &r);
	for (int i = 0; i < RACE_WORKERS; i++)
		pthread_join(th[i], NULL);
	CHECK(r.total == RACE_EVENTS);
	CHECK(r.twice == 0);
	CHECK(r.errors == 0);
	for (int i = 0; i < r.nseen; i++)
		free(r.seen[i]);
	pthread_mutex_destroy(&r.mu);
	struct call k;
	call_init(&k, ten);
	struct delivery_row *rows;
	CHECK(deliveries(&k.a, ten, e.id, &rows) == RACE_EVENTS);
	int delivered = 0;
	for (int i = 0; i < RACE_EVENTS; i++)
		delivered += strcmp(rows[i].status, "delivered") == 0 && rows[i].attempts == 1;
	CHECK(delivered == RACE_EVENTS);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	arena_destroy(&k.a);
}

/* ---- fairness: caps, turns, breaker ---------------------------------------------- */

/* Claim with the default cap (2 per tenant); the delivery's tenant, or NULL. */
static const char *claim(struct db *d, struct arena *a, int64_t now, struct delivery_row *out)
{
	if (claim_tx(d, a, now, now + 60000, WEBHOOK_TENANT_IN_FLIGHT, out) != ST_OK)
		return NULL;
	return out->tenant_id;
}

static void finish(struct db *d, struct arena *a, struct delivery_row *r)
{
	r->status = "delivered";
	r->delivered_at = FAKE.fixed_ms;
	CHECK(store_delivery_finish(d, a, r, r->attempts) == ST_OK);
}

TEST(claims_hold_one_attempt_per_endpoint_and_two_per_tenant_in_flight)
{
	const char *ta = make_tenant("caps-a"), *tb = make_tenant("caps-b");
	struct endpoint_row a1 = endpoint(ta, REFUSED_URL, "*");
	struct endpoint_row a2 = endpoint(ta, REFUSED_URL, "*");
	struct endpoint_row a3 = endpoint(ta, REFUSED_URL, "*");
	struct endpoint_row b1 = endpoint(tb, REFUSED_URL, "*");
	for (int i = 0; i < 3; i++) {
		emit(ta, "user.created", "{}"); /* one delivery per endpoint of A */
		FAKE.fixed_ms += 1;
	}
	emit(tb, "user.created", "{}");
	int64_t now = FAKE.fixed_ms;
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct delivery_row r[6];
	/* A is older, but B gets its turn after A's first */
	CHECK_STR(claim(d, &a, now, &r[0]) ? r[0].tenant_id : "-", ta);
	CHECK_STR(claim(d, &a, now, &r[1]) ? r[1].tenant_id : "-", tb);
	/* B's only endpoint is in flight: nothing more of B */
	CHECK_STR(claim(d, &a, now, &r[2]) ? r[2].tenant_id : "-", ta);
	CHECK(strcmp(r[0].endpoint_id, r[2].endpoint_id) != 0); /* never two at one endpoint */
	/* A has 2 in flight: its third endpoint waits, though it has 3 due */
	CHECK(claim(d, &a, now, &r[3]) == NULL);
	CHECK(claim(d, &a, now + 59999, &r[3]) == NULL);
	/* one of A's finishes: the next may go */
	finish(d, &a, &r[0]);
	CHECK_STR(claim(d, &a, now, &r[3]) ? r[3].tenant_id : "-", ta);
	CHECK(claim(d, &a, now, &r[4]) == NULL);
	/* leases end after 60 s (a crashed worker): everything is claimable again,
	 * still two of A at a time */
	int64_t later = now + 60000;
	int got_a = 0, got_b = 0;
	struct delivery_row x;
	while (claim(d, &a, later, &x) != NULL) {
		got_a += strcmp(x.tenant_id, ta) == 0;
		got_b += strcmp(x.tenant_id, tb) == 0;
		CHECK(got_a + got_b <= 3);
		if (got_a + got_b > 3)
			break;
	}
	CHECK(got_a == 2 && got_b == 1);
	store_release(S, d);
	struct call k;
	call_init(&k, ta);
	CHECK(svc_webhook_delete(&k.c, a1.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, a2.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, a3.id) == ST_OK);
	k.c.who.tenant_id = tb;
	CHECK(svc_webhook_delete(&k.c, b1.id) == ST_OK);
	arena_destroy(&k.a);
	arena_destroy(&a);
}

TEST(claims_take_tenants_in_turn_whoever_queued_first)
{
	const char *t[3] = {make_tenant("turn-a"), make_tenant("turn-b"), make_tenant("turn-c")};
	struct endpoint_row e[3];
	for (int i = 0; i < 3; i++)
		e[i] = endpoint(t[i], REFUSED_URL, "*");
	/* A queues 6 first, then B 3, then C 3 */
	for (int i = 0; i < 6; i++, FAKE.fixed_ms++)
		emit(t[0], "user.created", "{}");
	for (int i = 0; i < 3; i++, FAKE.fixed_ms++) {
		emit(t[1], "user.created", "{}");
		emit(t[2], "user.created", "{}");
	}
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	char order[16] = "";
	struct delivery_row r;
	for (int n = 0; n < 12 && claim(d, &a, FAKE.fixed_ms, &r) != NULL; n++) {
		int who = strcmp(r.tenant_id, t[0]) == 0   ? 0
			  : strcmp(r.tenant_id, t[1]) == 0 ? 1
							   : 2;
		order[n] = (char)('A' + who);
		finish(d, &a, &r);
	}
	/* round-robin while all three have work, then A's backlog */
	CHECK_STR(order, "ABCABCABCAAA");
	CHECK(claim(d, &a, FAKE.fixed_ms, &r) == NULL);
	store_release(S, d);
	for (int i = 0; i < 3; i++) {
		struct call k;
		call_init(&k, t[i]);
		CHECK(svc_webhook_delete(&k.c, e[i].id) == ST_OK);
		arena_destroy(&k.a);
	}
	arena_destroy(&a);
}

/* A loopback port whose connections complete (the listen backlog) but are
 * never accepted nor answered: every attempt runs out of time. */
static int hanging_port(int *fd)
{
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(*fd, 64) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "test_webhook_delivery: cannot listen on loopback\n");
		exit(2);
	}
	return ntohs(sa.sin_port);
}

static const struct webhook_job_limits SHORT = {{200, 300}, WEBHOOK_TENANT_IN_FLIGHT};

static int run_job_short(void)
{
	int total = 0, n;
	while ((n = webhook_job_run_with(&ENV, &SHORT)) > 0)
		total += n;
	return total;
}

static void breaker_of(const char *tenant, const char *id, int64_t *streak, int64_t *until)
{
	struct arena a;
	arena_init(&a, 1024);
	struct db *d = acquire();
	CHECK(store_endpoint_breaker_get(d, &a, tenant, id, streak, until) == ST_OK);
	store_release(S, d);
	arena_destroy(&a);
}

TEST(an_endpoint_that_keeps_timing_out_is_paused_longer_each_time_and_others_are_not)
{
	int fd;
	int port = hanging_port(&fd);
	const char *ten = make_tenant("breaker");
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hang", port);
	const char *replies[] = {OK_200, OK_200, OK_200, OK_200};
	struct responder fast;
	responder_start(&fast, 4, replies);
	char fast_url[64];
	snprintf(fast_url, sizeof fast_url, "http://127.0.0.1:%d/hook", fast.port);
	struct endpoint_row slow = endpoint(ten, url, "*");
	struct endpoint_row other = endpoint(ten, fast_url, "*");
	int64_t start = FAKE.fixed_ms, streak = -1, until = -1;
	for (int i = 0; i < 4; i++)
		emit(ten, "user.created", "{}");
	/* the other endpoint's 4 and the first 3 of the slow one: the third
	 * timeout in a row pauses it for 30 s */
	CHECK(run_job_short() == 4 + 3);
	responder_stop(&fast);
	CHECK(fast.served == 4);
	breaker_of(ten, slow.id, &streak, &until);
	CHECK(streak == 3 && until == FAKE.fixed_ms + 30000);
	breaker_of(ten, other.id, &streak, &until);
	CHECK(streak == 0 && until == 0);
	struct call k;
	call_init(&k, ten);
	struct delivery_row *rows;
	int n = deliveries(&k.a, ten, slow.id, &rows), tried = 0;
	for (int i = 0; i < n; i++) {
		tried += rows[i].attempts;
		if (rows[i].attempts == 1)
			CHECK(rows[i].last_error != NULL && strstr(rows[i].last_error, "imeout"));
	}
	CHECK(n == 4 && tried == 3);
	/* while paused nothing of it is claimed, though 1 is due and 3 are
	 * past their 5 s retry */
	FAKE.fixed_ms = start + 29999;
	CHECK(run_job_short() == 0);
	/* the pause ends: one probe (a single attempt in flight), which times
	 * out again: 60 s now */
	FAKE.fixed_ms = start + 30000;
	CHECK(run_job_short() == 1);
	breaker_of(ten, slow.id, &streak, &until);
	CHECK(streak == 4 && until == FAKE.fixed_ms + 60000);
	FAKE.fixed_ms += 59999;
	CHECK(run_job_short() == 0);
	/* a manual retry of a failed delivery gets its attempt at once */
	n = deliveries(&k.a, ten, slow.id, &rows);
	struct db *d = acquire();
	struct db_param p[1] = {db_text(rows[0].id)};
	CHECK(db_query(d, &k.a, "UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1", p,
		       1, NULL, NULL) == ST_OK);
	store_release(S, d);
	CHECK(svc_webhook_retry(&k.c, slow.id, rows[0].id) == ST_OK);
	CHECK(run_job_short() == 1);
	breaker_of(ten, slow.id, &streak, &until);
	CHECK(streak == 5 && until == FAKE.fixed_ms + 120000);
	/* a new URL closes the breaker, and an answer keeps it closed */
	struct responder rs;
	responder_start(&rs, 4, replies);
	char good[64];
	snprintf(good, sizeof good, "http://127.0.0.1:%d/hook", rs.port);
	struct endpoint_input moved = {.url = good};
	struct endpoint_row tmp;
	CHECK(svc_webhook_update(&k.c, slow.id, &moved, &tmp) == ST_OK);
	breaker_of(ten, slow.id, &streak, &until);
	CHECK(streak == 0 && until == 0);
	FAKE.fixed_ms += 10 * HOUR; /* every retry due */
	CHECK(run_job_short() == 4);
	responder_stop(&rs);
	CHECK(rs.served == 4);
	breaker_of(ten, slow.id, &streak, &until);
	CHECK(streak == 0 && until == 0);
	close(fd);
	CHECK(svc_webhook_delete(&k.c, slow.id) == ST_OK);
	CHECK(svc_webhook_delete(&k.c, other.id) == ST_OK);
	FAKE.fixed_ms = start;
	arena_destroy(&k.a);
}

/* ---- private addresses (WEBHOOK_ALLOW_PRIVATE=false) ------------------------------- */

TEST(private_addresses_denied_refuse_literal_ips_and_block_resolved_ones_at_connect)
{
	const char *ten = make_tenant("ssrf");
	struct call k;
	call_init(&k, ten);
	CFG.webhook_allow_private = 0;
	const char *events[1] = {"*"};
	struct endpoint_row e;
	static const char *const literal[] = {"http://127.0.0.1:1/hook", "http://[::1]:1/",
					      "http://169.254.169.254/latest/meta-data/",
					      "http://168.63.129.16/machine?comp=goalstate",
					      "http://192.88.99.1/"};
	for (int i = 0; i < 5; i++) {
		struct endpoint_input in = {.url = literal[i], .nevents = 1, .events = events};
		memset(&k.fe, 0, sizeof k.fe);
		CHECK(svc_webhook_create(&k.c, &in, &e) == ST_VALIDATION_FAILED);
		CHECK(k.fe.count == 1 && k.fe.head != NULL);
		if (k.fe.head != NULL) {
			CHECK_STR(k.fe.head->field, "url");
			CHECK_STR(k.fe.head->code, "private_address");
		}
	}
	/* a host name passes creation; its resolved address is refused per connect,
	 * before any socket exists (nothing listens on port 1 either way) */
	memset(&k.fe, 0, sizeof k.fe);
	struct endpoint_input in = {
		.url = "http://localhost:1/hook", .nevents = 1, .events = events};
	CHECK(svc_webhook_create(&k.c, &in, &e) == ST_OK);
	emit(ten, "user.created", "{}");
	CHECK(webhook_job_run(&ENV) == 1);
	struct delivery_row r = {0};
	CHECK(only_delivery(&k.a, ten, e.id, &r));
	CHECK_STR(r.status, "pending"); /* retried like any failure */
	CHECK(r.attempts == 1 && r.last_status_code == 0);
	/* the error the tenant reads does not say where "localhost" points */
	CHECK_STR(r.last_error, WEBHOOK_BLOCKED_ERROR);
	CHECK(r.last_error != NULL && strstr(r.last_error, "127.0.0.1") == NULL &&
	      strstr(r.last_error, "::1") == NULL);
	struct attempt_row *log;
	CHECK(attempts(&k.a, ten, r.id, &log) == 1);
	CHECK_STR(log[0].error, WEBHOOK_BLOCKED_ERROR);
	CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	/* Azure's wireserver and the 6to4 relay anycast are refused at connect
	 * too (an endpoint made while private addresses were allowed). Only when
	 * the policy calls them internal: never send a test packet off the host */
	static const char *const outside[] = {"http://168.63.129.16:1/hook",
					      "http://192.88.99.1:1/"};
	for (int i = 0; i < 2; i++) {
		CHECK(addr_url_host_internal(outside[i]));
		if (!addr_url_host_internal(outside[i]))
			continue;
		CFG.webhook_allow_private = 1;
		struct endpoint_input made = {.url = outside[i], .nevents = 1, .events = events};
		CHECK(svc_webhook_create(&k.c, &made, &e) == ST_OK);
		CFG.webhook_allow_private = 0;
		emit(ten, "user.created", "{}");
		CHECK(webhook_job_run(&ENV) == 1);
		CHECK(only_delivery(&k.a, ten, e.id, &r));
		CHECK(r.attempts == 1 && r.last_status_code == 0);
		CHECK_STR(r.last_error, WEBHOOK_BLOCKED_ERROR);
		CHECK(svc_webhook_delete(&k.c, e.id) == ST_OK);
	}
	CFG.webhook_allow_private = 1;
	arena_destroy(&k.a);
}

/* ---- driver ---------------------------------------------------------------------- */

static void delivery_tests(void)
{
	FAKE = clock_fake(T0);
	ENV = (struct svc_env){.cfg = &CFG, .store = S, .clock = &FAKE};
	RUN(emit_queues_one_delivery_per_enabled_matching_endpoint_of_the_tenant);
	RUN(an_event_and_its_deliveries_exist_only_if_the_callers_transaction_commits);
	RUN(a_committed_delivery_wakes_the_delivery_jobs_and_a_rolled_back_one_does_not);
	RUN(create_returns_a_whsec_secret_of_32_random_bytes);
	RUN(an_unreachable_endpoint_is_retried_on_the_schedule_then_failed_and_retried_by_hand);
	RUN(retry_after_sets_the_next_attempt_exactly_and_is_capped_at_10_hours);
	RUN(gone_410_disables_the_endpoint_and_its_queued_deliveries_are_not_sent);
	RUN(a_redirect_is_not_followed_and_counts_as_a_failure);
	RUN(one_run_handles_at_most_a_batch_and_the_rest_on_the_next);
	RUN(lease_hides_a_claimed_delivery_for_60_s_and_fences_the_late_outcome);
	RUN(concurrent_claims_never_hand_one_delivery_to_two_workers);
	RUN(claims_hold_one_attempt_per_endpoint_and_two_per_tenant_in_flight);
	RUN(claims_take_tenants_in_turn_whoever_queued_first);
	RUN(an_endpoint_that_keeps_timing_out_is_paused_longer_each_time_and_others_are_not);
	RUN(cleanup_prunes_finished_webhook_history_after_30_days_and_keeps_pending);
	RUN(private_addresses_denied_refuse_literal_ips_and_block_resolved_ones_at_connect);
}

int main(void)
{
	if (!sec_init())
		return 2;
	log_set_level(LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(CFG.environment, sizeof CFG.environment, "development");
	CFG.webhook_allow_private = 1; /* the responders listen on loopback */
	int rc = dbkit_run_everywhere("test_webhook_delivery", "webhook delivery", delivery_tests);
	int failed = check_done("test_webhook_delivery");
	return failed | rc;
}
