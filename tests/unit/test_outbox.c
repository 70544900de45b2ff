/*
 * test_outbox.c: the email outbox against real databases: src/store/outbox.c
 * and the mail job of src/svc/mail.c with a fake clock. Runs on a fresh
 * SQLite file, and also on PostgreSQL when SAASD_PG_PORT names a test
 * cluster (tests/run.sh exports it). Pins down: oldest-due-first claims in
 * tenant turns,
 * the lease, attempt-guarded outcomes, tenant scoping, exactly-once claims
 * under concurrent workers, queueing inside the caller's transaction, the
 * job's sent / retry-with-backoff / give-up-after-24-h paths, no usable
 * token in a queued row (the link sealed to its row and secret), no bodies
 * once sent or failed, no pooled connection held while a mail is sent, and
 * pruning of old finished rows by the cleanup job.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "dbkit.h"
#include "timekit.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/secure.h"
#include "store/migrate.h"
#include "store/outbox.h"
#include "store/tenants.h"
#include "svc/jobs.h"
#include "svc/mail.h"
#include "svc/mail_templates.h"

static const char *TEN_A, *TEN_B;

static char *insert_msg(struct db *d, struct arena *a, const char *tenant, int64_t due)
{
	struct outbox_row m = {0};
	m.id = id_new(&G, "msg", due);
	m.tenant_id = (char *)tenant;
	m.to_addr = "to@example.com";
	m.from_addr = "Acme <from@acme.test>";
	m.subject = "Hello";
	m.text_body = "text";
	m.html_body = "<p>html</p>";
	m.next_attempt_at = due;
	m.created_at = due;
	CHECK(store_outbox_insert(d, a, &m) == ST_OK);
	return m.id;
}

/* Mark every pending message sent so each test starts with an empty queue. */
static void drain(struct db *d, struct arena *a)
{
	for (;;) {
		struct outbox_row m;
		bool found = false;
		if (store_outbox_claim(d, a, INT64_MAX / 2, INT64_MAX / 2, &m, &found) != ST_OK ||
		    !found)
			return;
		store_outbox_mark_sent(d, a, m.tenant_id, m.id, m.attempts, T0);
	}
}

TEST(insert_then_get_round_trips_and_is_tenant_scoped)
{
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	char *id = insert_msg(d, &a, TEN_A, T0);
	struct outbox_row m;
	CHECK(store_outbox_get(d, &a, TEN_A, id, &m) == ST_OK);
	CHECK_STR(m.status, "pending");
	CHECK_STR(m.from_addr, "Acme <from@acme.test>");
	CHECK_STR(m.html_body, "<p>html</p>");
	CHECK(m.attempts == 0 && m.next_attempt_at == T0 && m.created_at == T0);
	CHECK(m.last_error == NULL && m.sent_at == 0);
	CHECK(store_outbox_get(d, &a, TEN_B, id, &m) == ST_NOT_FOUND);
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(claim_takes_the_most_overdue_first_and_skips_future_messages)
{
	/* tenants never served yet: equal turns, so the due time decides */
	const char *ten_a = make_tenant("overdue-a"), *ten_b = make_tenant("overdue-b");
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	char *later = insert_msg(d, &a, ten_a, T0 + 1000);
	char *earlier = insert_msg(d, &a, ten_b, T0 + 500);
	insert_msg(d, &a, ten_a, T0 + 5000);
	struct outbox_row m;
	bool found = false;
	CHECK(store_outbox_claim(d, &a, T0 + 2000, T0 + 62000, &m, &found) == ST_OK && found);
	CHECK_STR(m.id, earlier);
	CHECK_STR(m.tenant_id, ten_b);
	CHECK(m.attempts == 1 && m.next_attempt_at == T0 + 62000);
	CHECK(store_outbox_claim(d, &a, T0 + 2000, T0 + 62000, &m, &found) == ST_OK && found);
	CHECK_STR(m.id, later);
	CHECK(store_outbox_claim(d, &a, T0 + 2000, T0 + 62000, &m, &found) == ST_OK && !found);
	int64_t pending = 0;
	CHECK(store_outbox_count_pending(d, &a, &pending) == ST_OK && pending == 3);
	drain(d, &a);
	CHECK(store_outbox_count_pending(d, &a, &pending) == ST_OK && pending == 0);
	arena_destroy(&a);
	store_release(S, d);
}

/* Turns: a tenant with a backlog does not hold back another tenant's mail. */
TEST(claims_take_tenants_in_turns_so_a_backlog_does_not_starve_others)
{
	const char *bulk = make_tenant("bulk"), *quiet = make_tenant("quiet");
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	for (int i = 0; i < 5; i++)
		insert_msg(d, &a, bulk, T0 - 10000 + i);
	char *q1 = insert_msg(d, &a, quiet, T0 - 100);
	char *q2 = insert_msg(d, &a, quiet, T0 - 50);
	const char *order[7];
	for (int i = 0; i < 7; i++) {
		struct outbox_row m;
		bool found = false;
		CHECK(store_outbox_claim(d, &a, T0, T0 + 60000, &m, &found) == ST_OK && found);
		order[i] = found ? m.tenant_id : "";
		if (i == 1)
			CHECK_STR(m.id, q1); /* second, not after the whole backlog */
		if (i == 3)
			CHECK_STR(m.id, q2);
	}
	/* alternating while both have mail due, then the rest of the backlog */
	CHECK_STR(order[0], bulk);
	CHECK_STR(order[1], quiet);
	CHECK_STR(order[2], bulk);
	CHECK_STR(order[3], quiet);
	CHECK_STR(order[4], bulk);
	CHECK_STR(order[6], bulk);
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(lease_expiry_hands_the_message_to_another_worker_and_fences_the_first)
{
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	char *id = insert_msg(d, &a, TEN_A, T0);
	struct outbox_row m;
	bool found = false;
	CHECK(store_outbox_claim(d, &a, T0, T0 + MAIL_LEASE_MS, &m, &found) == ST_OK && found);
	/* the worker "dies": nobody gets the message while the lease holds */
	CHECK(store_outbox_claim(d, &a, T0 + MAIL_LEASE_MS - 1, T0 + 2 * MAIL_LEASE_MS, &m,
				 &found) == ST_OK &&
	      !found);
	CHECK(store_outbox_claim(d, &a, T0 + MAIL_LEASE_MS, T0 + 2 * MAIL_LEASE_MS, &m, &found) ==
		      ST_OK &&
	      found);
	CHECK_STR(m.id, id);
	CHECK(m.attempts == 2);
	/* the first worker's late outcome is refused; the current one counts */
	CHECK(store_outbox_mark_sent(d, &a, TEN_A, id, 1, T0) == ST_NOT_FOUND);
	CHECK(store_outbox_mark_retry(d, &a, TEN_A, id, 1, T0, "late") == ST_NOT_FOUND);
	CHECK(store_outbox_mark_failed(d, &a, TEN_A, id, 1, "late") == ST_NOT_FOUND);
	/* and another tenant can never touch it */
	CHECK(store_outbox_mark_sent(d, &a, TEN_B, id, 2, T0) == ST_NOT_FOUND);
	CHECK(store_outbox_mark_sent(d, &a, TEN_A, id, 2, T0 + 70000) == ST_OK);
	CHECK(store_outbox_get(d, &a, TEN_A, id, &m) == ST_OK);
	CHECK_STR(m.status, "sent");
	CHECK(m.sent_at == T0 + 70000);
	CHECK_STR(m.text_body, ""); /* a sent message keeps no bodies */
	CHECK(m.html_body == NULL && m.link_box == NULL);
	CHECK(store_outbox_mark_sent(d, &a, TEN_A, id, 2, T0) == ST_NOT_FOUND);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(retry_reschedules_and_failed_is_final)
{
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	char *id = insert_msg(d, &a, TEN_A, T0);
	struct outbox_row m;
	bool found = false;
	CHECK(store_outbox_claim(d, &a, T0, T0 + MAIL_LEASE_MS, &m, &found) == ST_OK && found);
	CHECK(store_outbox_mark_retry(d, &a, TEN_A, id, 1, T0 + 5000, "boom") == ST_OK);
	CHECK(store_outbox_get(d, &a, TEN_A, id, &m) == ST_OK);
	CHECK_STR(m.status, "pending");
	CHECK_STR(m.last_error, "boom");
	CHECK(m.next_attempt_at == T0 + 5000 && m.attempts == 1);
	CHECK(store_outbox_claim(d, &a, T0 + 4999, T0 + 70000, &m, &found) == ST_OK && !found);
	CHECK(store_outbox_claim(d, &a, T0 + 5000, T0 + 70000, &m, &found) == ST_OK && found);
	CHECK(store_outbox_mark_failed(d, &a, TEN_A, id, 2, "refused") == ST_OK);
	CHECK(store_outbox_get(d, &a, TEN_A, id, &m) == ST_OK);
	CHECK_STR(m.status, "failed");
	CHECK_STR(m.last_error, "refused");
	CHECK_STR(m.text_body, "");
	CHECK(m.html_body == NULL && m.link_box == NULL);
	CHECK(store_outbox_claim(d, &a, INT64_MAX / 2, INT64_MAX / 2, &m, &found) == ST_OK &&
	      !found);
	arena_destroy(&a);
	store_release(S, d);
}

/* ---- concurrent workers -------------------------------------------------- */

#define RACE_MSGS 60
#define RACE_WORKERS 4

struct race {
	pthread_mutex_t mu;
	char *ids[RACE_MSGS];
	int claimed[RACE_MSGS];
	int total;
	int errors;
};

static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	for (int empty = 0; empty < 400;) {
		pthread_mutex_lock(&r->mu);
		bool done = r->total >= RACE_MSGS;
		pthread_mutex_unlock(&r->mu);
		if (done)
			break;
		struct outbox_row m;
		bool found = false;
		enum status st = store_outbox_claim(d, &a, T0, T0 + MAIL_LEASE_MS, &m, &found);
		if (st != ST_OK || !found) {
			/* lost a race (or database busy): try again shortly */
			empty++;
			usleep(1000);
			arena_reset(&a);
			continue;
		}
		pthread_mutex_lock(&r->mu);
		for (int i = 0; i < RACE_MSGS; i++)
			if (strcmp(r->ids[i], m.id) == 0)
				r->claimed[i]++;
		r->total++;
		pthread_mutex_unlock(&r->mu);
		if (store_outbox_mark_sent(d, &a, m.tenant_id, m.id, m.attempts, T0) != ST_OK) {
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

TEST(concurrent_workers_never_claim_one_message_twice)
{
	static struct race r;
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	struct db *d = acquire();
	for (int i = 0; i < RACE_MSGS; i++)
		r.ids[i] = insert_msg(d, &G, i % 2 ? TEN_A : TEN_B, T0 - RACE_MSGS + i);
	store_release(S, d);
	pthread_t th[RACE_WORKERS];
	for (int i = 0; i < RACE_WORKERS; i++)
		pthread_create(&th[i], NULL, race_worker, &r);
	for (int i = 0; i < RACE_WORKERS; i++)
		pthread_join(th[i], NULL);
	CHECK(r.total == RACE_MSGS);
	CHECK(r.errors == 0);
	int twice = 0, never = 0;
	for (int i = 0; i < RACE_MSGS; i++) {
		twice += r.claimed[i] > 1;
		never += r.claimed[i] == 0;
	}
	CHECK(twice == 0);
	CHECK(never == 0);
	pthread_mutex_destroy(&r.mu);
}

/* ---- the service and the job ---------------------------------------------- */

static struct config CFG;
static struct clock FAKE;
static struct svc_env ENV;

static void set_provider(const char *provider, const char *smtp_url)
{
	snprintf(CFG.email_provider, sizeof CFG.email_provider, "%s", provider);
	snprintf(CFG.smtp_url, sizeof CFG.smtp_url, "%s", smtp_url);
}

static struct tenant_row tenant_of(const char *id)
{
	struct tenant_row t = {0};
	t.id = (char *)id;
	t.name = "Acme";
	return t;
}

/* The tenant's only message into *out; false when it has none or several. */
static bool only_message(struct db *d, struct arena *a, const char *tenant, struct outbox_row *out)
{
	struct db_param p[1] = {db_text(tenant)};
	struct db_result r;
	if (db_query(d, a, "SELECT id FROM email_outbox WHERE tenant_id = $1 ORDER BY id", p, 1, &r,
		     NULL) != ST_OK ||
	    r.nrows != 1)
		return false;
	return store_outbox_get(d, a, tenant, db_cell(&r, 0, 0), out) == ST_OK;
}

TEST(queued_mail_exists_only_if_the_callers_transaction_commits)
{
	const char *ten = make_tenant("tx");
	struct tenant_row t = tenant_of(ten);
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	CHECK(db_begin(d) == ST_OK);
	CHECK(svc_mail_password_reset(&c, d, &t, "x@example.com", "TOKEN1") == ST_OK);
	db_rollback(d);
	struct outbox_row m;
	CHECK(!only_message(d, &a, ten, &m));
	CHECK(db_begin(d) == ST_OK);
	CHECK(svc_mail_password_reset(&c, d, &t, "x@example.com", "TOKEN2") == ST_OK);
	CHECK(db_commit(d) == ST_OK);
	CHECK(only_message(d, &a, ten, &m));
	/* the row holds no token: bodies with the mark, the link sealed apart */
	CHECK(strstr(m.text_body, "TOKEN2") == NULL && strstr(m.html_body, "TOKEN2") == NULL);
	CHECK(strstr(m.text_body, MAIL_LINK_MARK) != NULL);
	CHECK(m.link_box != NULL && strstr(m.link_box, "TOKEN2") == NULL);
	char *link = NULL;
	CHECK(mail_open_link(&ENV, &a, &m, &link) == ST_OK);
	CHECK_STR(link, "http://localhost:3000/reset-password?token=TOKEN2");
	CHECK_STR(m.from_addr, CFG.email_from);
	CHECK(m.next_attempt_at == FAKE.fixed_ms && m.created_at == FAKE.fixed_ms);
	/* a recipient that could inject headers is refused, nothing queued */
	CHECK(svc_mail_verify_email(&c, d, &t, "a@b.test\r\nBcc: c@d.test", "T") ==
	      ST_VALIDATION_FAILED);
	CHECK(svc_mail_verify_email(&c, d, &t, "Eve <a@b.test>", "T") == ST_VALIDATION_FAILED);
	CHECK(only_message(d, &a, ten, &m));
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(tenant_sender_and_link_templates_are_used)
{
	const char *ten = make_tenant("templates");
	struct tenant_row t = tenant_of(ten);
	t.app_name = "Shiny";
	t.email_from = "Shiny <hi@shiny.test>";
	t.invite_url = "https://shiny.test/join/{invitation_id}?k={token}";
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	CHECK(svc_mail_invitation(&c, d, &t, "new@example.com", "TOK", "inv_1", "Team <A>", NULL) ==
	      ST_OK);
	struct outbox_row m;
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.from_addr, "Shiny <hi@shiny.test>");
	CHECK_STR(m.to_addr, "new@example.com");
	CHECK_STR(m.subject, "You are invited to join Team <A> on Shiny");
	char *link = NULL;
	CHECK(mail_open_link(&ENV, &a, &m, &link) == ST_OK);
	CHECK_STR(link, "https://shiny.test/join/inv_1?k=TOK");
	CHECK(strstr(m.text_body, "TOK") == NULL && strstr(m.html_body, "k=TOK") == NULL);
	CHECK(strstr(m.html_body, "Team &lt;A&gt;") != NULL);
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(job_delivers_with_the_log_provider_and_records_sent)
{
	set_provider("log", "");
	const char *ten = make_tenant("job-log");
	struct tenant_row t = tenant_of(ten);
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	CHECK(svc_mail_verify_email(&c, d, &t, "v@example.com", "VTOKEN") == ST_OK);
	struct mail_counters before, after;
	mail_counters_get(&before);
	CHECK(mail_job_run(&ENV) == 1);
	CHECK(mail_job_run(&ENV) == 0);
	mail_counters_get(&after);
	CHECK(after.sent == before.sent + 1);
	struct outbox_row m;
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.status, "sent");
	CHECK(m.attempts == 1 && m.sent_at == FAKE.fixed_ms);
	CHECK_STR(m.text_body, "");
	CHECK(m.html_body == NULL && m.link_box == NULL);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(job_retries_with_backoff_while_smtp_is_down_and_gives_up_after_24_hours)
{
	/* port 1 on loopback: nothing listens, the connection is refused at once */
	set_provider("smtp", "smtp://127.0.0.1:1");
	const char *ten = make_tenant("job-retry");
	struct tenant_row t = tenant_of(ten);
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	int64_t start = FAKE.fixed_ms;
	CHECK(svc_mail_password_reset(&c, d, &t, "r@example.com", "RTOKEN") == ST_OK);
	CHECK(mail_job_run(&ENV) == 1);
	struct outbox_row m;
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.status, "pending");
	CHECK(m.attempts == 1);
	CHECK(m.next_attempt_at >= start + 4500 && m.next_attempt_at <= start + 5500);
	CHECK(m.last_error != NULL && strstr(m.last_error, "smtp: ") == m.last_error);
	CHECK(mail_job_run(&ENV) == 0); /* not due yet */
	FAKE.fixed_ms = m.next_attempt_at;
	CHECK(mail_job_run(&ENV) == 1);
	CHECK(only_message(d, &a, ten, &m));
	CHECK(m.attempts == 2);
	CHECK(m.next_attempt_at >= FAKE.fixed_ms + 9000 &&
	      m.next_attempt_at <= FAKE.fixed_ms + 11000);
	/* a day later the message is given up without another attempt */
	FAKE.fixed_ms = start + MAIL_MAX_AGE_MS;
	CHECK(mail_job_run(&ENV) == 1);
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.status, "failed");
	CHECK(m.last_error != NULL && strstr(m.last_error, "24 h") != NULL);
	CHECK(mail_job_run(&ENV) == 0);
	FAKE.fixed_ms = start;
	set_provider("log", "");
	arena_destroy(&a);
	store_release(S, d);
}

/*
 * No pooled connection across a send. The test leaves one connection of the
 * pool free (it holds the rest), points SMTP at a sink that accepts and
 * says nothing, and the sink, while the mail job waits for its greeting,
 * acquires that last connection: it gets one at once only if the job
 * released its own before sending (else acquire waits out its 5 s and
 * fails). SQLite hands each thread its own connection, so the check bites
 * on PostgreSQL.
 */
#define HOLD_POOL 12 /* dbkit's pool size */

struct stall_sink {
	int listen_fd;
	double acquire_ms; /* how long the sink waited for a connection */
	bool acquired;
};

static void *stall_sink_main(void *arg)
{
	struct stall_sink *k = arg;
	int fd = accept(k->listen_fd, NULL, NULL);
	double t0 = clock_monotonic_ms();
	struct db *d = store_acquire(S);
	k->acquire_ms = clock_monotonic_ms() - t0;
	k->acquired = d != NULL;
	if (d != NULL) {
		struct arena a;
		arena_init(&a, 512);
		int64_t n = 0;
		k->acquired = store_outbox_count_pending(d, &a, &n) == ST_OK && n == 1;
		arena_destroy(&a);
		store_release(S, d);
	}
	if (fd >= 0)
		close(fd); /* the job sees the connection drop: a retry */
	return NULL;
}

static int stall_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

TEST(mail_job_holds_no_pooled_connection_while_it_sends)
{
	struct stall_sink k = {0};
	int port = 0;
	k.listen_fd = stall_listen(&port);
	CHECK(k.listen_fd >= 0);
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	set_provider("smtp", url);
	const char *ten = make_tenant("no-conn-across-send");
	struct tenant_row t = tenant_of(ten);
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	struct db *d = acquire();
	CHECK(svc_mail_verify_email(&c, d, &t, "slow@example.com", "STOKEN") == ST_OK);
	store_release(S, d);
	struct db *held[HOLD_POOL - 1];
	for (int i = 0; i < HOLD_POOL - 1; i++)
		held[i] = acquire();
	pthread_t th;
	pthread_create(&th, NULL, stall_sink_main, &k);
	CHECK(mail_job_run(&ENV) == 1);
	pthread_join(th, NULL);
	close(k.listen_fd);
	CHECK(k.acquired);
	CHECK(k.acquire_ms < 2000);
	for (int i = 0; i < HOLD_POOL - 1; i++)
		store_release(S, held[i]);
	d = acquire();
	struct outbox_row m;
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.status, "pending"); /* the outcome was recorded after the send: a retry */
	CHECK(m.attempts == 1 && m.last_error != NULL);
	store_release(S, d);
	set_provider("log", "");
	arena_destroy(&a);
}

TEST(sealed_link_opens_only_for_its_row_and_secret_else_the_mail_fails)
{
	set_provider("log", "");
	const char *ten = make_tenant("sealed");
	struct tenant_row t = tenant_of(ten);
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 8192);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = &ENV,
			    .arena = &a,
			    .who = {.tenant_id = ten, .kind = ACTOR_SECRET_KEY},
			    .errors = &fe};
	CHECK(svc_mail_verify_email(&c, d, &t, "s@example.com", "STOKEN") == ST_OK);
	struct outbox_row m;
	CHECK(only_message(d, &a, ten, &m));
	char *link = NULL;
	struct outbox_row moved = m;
	moved.to_addr = "eve@example.com"; /* a box copied to another recipient */
	CHECK(mail_open_link(&ENV, &a, &moved, &link) == ST_INVALID_TOKEN && link == NULL);
	moved = m;
	moved.id = "msg_other";
	CHECK(mail_open_link(&ENV, &a, &moved, &link) == ST_INVALID_TOKEN);
	moved = m;
	moved.link_box = NULL; /* queued before migration 008: sent as it is */
	CHECK(mail_open_link(&ENV, &a, &moved, &link) == ST_OK && link == NULL);
	/* another server secret: the link is lost, the mail fails for good */
	struct svc_env other = ENV;
	other.token_secret = "another-secret-another-secret-another";
	CHECK(mail_open_link(&other, &a, &m, &link) == ST_INVALID_TOKEN);
	CHECK(mail_job_run(&other) == 1);
	CHECK(only_message(d, &a, ten, &m));
	CHECK_STR(m.status, "failed");
	CHECK(m.last_error != NULL && strstr(m.last_error, "decrypt") != NULL);
	CHECK(m.link_box == NULL && m.html_body == NULL);
	arena_destroy(&a);
	store_release(S, d);
}

static bool exists(struct db *d, struct arena *a, const char *tenant, const char *id)
{
	struct outbox_row m;
	return store_outbox_get(d, a, tenant, id, &m) == ST_OK;
}

TEST(prune_deletes_finished_rows_older_than_the_cutoff_and_keeps_the_rest)
{
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	drain(d, &a);
	int64_t t1 = T0 + 100 * DAY_MS;
	char *old_sent = insert_msg(d, &a, TEN_A, t1);
	char *new_sent = insert_msg(d, &a, TEN_B, t1 + 1);
	char *old_failed = insert_msg(d, &a, TEN_A, t1 + 2);
	char *old_pending = insert_msg(d, &a, TEN_A, t1 + 3);
	struct outbox_row m;
	bool found = false;
	for (int i = 0; i < 3; i++) /* leased for ever: each claimed once */
		CHECK(store_outbox_claim(d, &a, t1 + 2, INT64_MAX / 2, &m, &found) == ST_OK &&
		      found);
	CHECK(store_outbox_mark_sent(d, &a, TEN_A, old_sent, 1, t1) == ST_OK);
	CHECK(store_outbox_mark_sent(d, &a, TEN_B, new_sent, 1, t1 + 5 * DAY_MS) == ST_OK);
	CHECK(store_outbox_mark_failed(d, &a, TEN_A, old_failed, 1, "refused") == ST_OK);
	int64_t removed = -1;
	/* earlier tests' rows all finished before t1; then nothing is left there */
	CHECK(store_outbox_prune(d, &a, t1, 100000, &removed) == ST_OK);
	CHECK(store_outbox_prune(d, &a, t1, 500, &removed) == ST_OK && removed == 0);
	/* a batch limit is honoured */
	CHECK(store_outbox_prune(d, &a, t1 + DAY_MS, 1, &removed) == ST_OK && removed == 1);
	CHECK(store_outbox_prune(d, &a, t1 + DAY_MS, 500, &removed) == ST_OK && removed == 1);
	CHECK(!exists(d, &a, TEN_A, old_sent) && !exists(d, &a, TEN_A, old_failed));
	CHECK(exists(d, &a, TEN_B, new_sent) && exists(d, &a, TEN_A, old_pending));
	/* the cleanup job keeps sent rows 7 days, by its clock */
	FAKE.fixed_ms = t1 + 5 * DAY_MS + 7 * DAY_MS;
	cleanup_run(&ENV);
	CHECK(exists(d, &a, TEN_B, new_sent));
	FAKE.fixed_ms = t1 + 5 * DAY_MS + 7 * DAY_MS + 1;
	cleanup_run(&ENV);
	CHECK(!exists(d, &a, TEN_B, new_sent) && exists(d, &a, TEN_A, old_pending));
	FAKE.fixed_ms = T0;
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

TEST(migration_008_drops_the_bodies_of_rows_already_sent_or_failed)
{
	const char *sql = NULL;
	for (int i = 0; i < migrations_count; i++)
		if (migrations[i].version == 8)
			sql = strstr(migrations[i].sql, "UPDATE email_outbox");
	CHECK(sql != NULL);
	if (sql == NULL)
		return;
	struct db *d = acquire();
	struct arena a;
	arena_init(&a, 4096);
	drain(d, &a);
	char *sent = insert_msg(d, &a, TEN_A, T0);
	char *failed = insert_msg(d, &a, TEN_A, T0 + 1);
	char *pending = insert_msg(d, &a, TEN_A, T0 + 2);
	/* as before 008: finished rows kept their bodies, links in clear */
	struct db_param p[2] = {db_text(sent), db_text(failed)};
	CHECK(db_query(d, &a,
		       "UPDATE email_outbox SET status = CASE WHEN id = $1 THEN 'sent' ELSE"
		       " 'failed' END WHERE id IN ($1, $2)",
		       p, 2, NULL, NULL) == ST_OK);
	CHECK(db_query(d, &a, arena_strndup(&a, sql, strcspn(sql, ";")), NULL, 0, NULL, NULL) ==
	      ST_OK);
	struct outbox_row m;
	CHECK(store_outbox_get(d, &a, TEN_A, sent, &m) == ST_OK);
	CHECK(m.text_body[0] == '\0' && m.html_body == NULL);
	CHECK(store_outbox_get(d, &a, TEN_A, failed, &m) == ST_OK);
	CHECK(m.text_body[0] == '\0' && m.html_body == NULL);
	CHECK(store_outbox_get(d, &a, TEN_A, pending, &m) == ST_OK);
	CHECK_STR(m.text_body, "text");
	CHECK_STR(m.html_body, "<p>html</p>");
	drain(d, &a);
	arena_destroy(&a);
	store_release(S, d);
}

/* ---- driver ------------------------------------------------------------- */

static void outbox_tests(void)
{
	FAKE = clock_fake(T0);
	ENV = (struct svc_env){.cfg = &CFG,
			       .store = S,
			       .clock = &FAKE,
			       .token_secret = "test-outbox-secret-0123456789abcdef"};
	TEN_A = make_tenant("A");
	TEN_B = make_tenant("B");
	RUN(insert_then_get_round_trips_and_is_tenant_scoped);
	RUN(claim_takes_the_most_overdue_first_and_skips_future_messages);
	RUN(claims_take_tenants_in_turns_so_a_backlog_does_not_starve_others);
	RUN(lease_expiry_hands_the_message_to_another_worker_and_fences_the_first);
	RUN(retry_reschedules_and_failed_is_final);
	RUN(concurrent_workers_never_claim_one_message_twice);
	RUN(queued_mail_exists_only_if_the_callers_transaction_commits);
	RUN(tenant_sender_and_link_templates_are_used);
	RUN(job_delivers_with_the_log_provider_and_records_sent);
	RUN(job_retries_with_backoff_while_smtp_is_down_and_gives_up_after_24_hours);
	RUN(mail_job_holds_no_pooled_connection_while_it_sends);
	RUN(sealed_link_opens_only_for_its_row_and_secret_else_the_mail_fails);
	RUN(prune_deletes_finished_rows_older_than_the_cutoff_and_keeps_the_rest);
	RUN(migration_008_drops_the_bodies_of_rows_already_sent_or_failed);
}

int main(void)
{
	if (!sec_init())
		return 2;
	log_set_level(LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(CFG.email_provider, sizeof CFG.email_provider, "log");
	snprintf(CFG.email_from, sizeof CFG.email_from, "saasd <no-reply@localhost>");
	snprintf(CFG.environment, sizeof CFG.environment, "development");
	int rc = dbkit_run_everywhere("test_outbox", "outbox", outbox_tests);
	int failed = check_done("test_outbox");
	return failed | rc;
}
