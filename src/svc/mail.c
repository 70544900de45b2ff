/*
 * mail.c: queueing transactional mail into the outbox (in the caller's
 * transaction) and the "mail" job that delivers it: claim with a lease,
 * send through net/mailer, then record sent / retry with backoff / failed.
 * No usable token at rest: a queued row's bodies hold MAIL_LINK_MARK and the
 * link is sealed apart (link_box), opened and put in only at send time.
 * Outcome log lines carry ids and error texts only: never a token or body.
 */
#include "mail.h"

#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/secure.h"
#include "../net/mailer.h"
#include "../store/outbox.h"
#include "mail_templates.h"
#include "queue.h"

#define MAIL_BATCH 20 /* messages per job pass */
#define MAIL_BATCH_MS 5000.0 /* and no new claim after this long in one pass */
#define MAIL_TO_MAX 320

/* ---- retry policy ------------------------------------------------------ */

int64_t mail_backoff_ms(int64_t attempt, double jitter)
{
	static const struct job_backoff b = {NULL, 0, MAIL_FIRST_RETRY_MS, MAIL_MAX_BACKOFF_MS,
					     MAIL_JITTER};
	return queue_backoff_ms(&b, attempt, jitter);
}

bool mail_next_attempt(int64_t created_at, int64_t now_ms, int64_t attempt, double jitter,
		       int64_t *next_at)
{
	int64_t deadline = created_at + MAIL_MAX_AGE_MS;
	if (now_ms >= deadline)
		return false;
	int64_t next = now_ms + mail_backoff_ms(attempt, jitter);
	*next_at = next < deadline ? next : deadline;
	return true;
}

void mail_counters_get(struct mail_counters *out)
{
	out->sent = queue_count(JOB_MAIL, JOB_DONE);
	out->retried = queue_count(JOB_MAIL, JOB_RETRY);
	out->failed = queue_count(JOB_MAIL, JOB_FAILED);
}

/* ---- the sealed link ---------------------------------------------------- */

/* The outbox key: derived from the server secret (JWT_SECRET), one purpose. */
static void link_key(const struct svc_env *env, uint8_t key[SEC_KEY_LEN])
{
	sec_derive_key(env->token_secret, strlen(env->token_secret), "outboxln", key);
}

/* The box is bound to its row: message id, tenant and recipient. */
static char *link_ad(struct arena *a, const char *id, const char *tenant_id, const char *to)
{
	return arena_printf(a, "%s\n%s\n%s", id, tenant_id, to);
}

static char *link_seal(const struct svc_env *env, struct arena *a, const struct outbox_row *m,
		       const char *link)
{
	uint8_t key[SEC_KEY_LEN];
	link_key(env, key);
	const char *ad = link_ad(a, m->id, m->tenant_id, m->to_addr);
	size_t n = strlen(link), len = sec_box_len(n);
	char *box = arena_alloc(a, len);
	sec_box_seal(key, ad, strlen(ad), link, n, box, len);
	sec_wipe(key, sizeof key);
	return box;
}

enum status mail_open_link(const struct svc_env *env, struct arena *a, const struct outbox_row *m,
			   char **link)
{
	*link = NULL;
	if (m->link_box == NULL)
		return ST_OK; /* queued before links were sealed: bodies are complete */
	uint8_t key[SEC_KEY_LEN];
	link_key(env, key);
	const char *ad = link_ad(a, m->id, m->tenant_id, m->to_addr);
	size_t cap = strlen(m->link_box), n = 0;
	char *out = arena_alloc(a, cap + 1);
	bool ok = sec_box_open(key, ad, strlen(ad), m->link_box, (uint8_t *)out, cap, &n);
	sec_wipe(key, sizeof key);
	if (!ok || memchr(out, '\0', n) != NULL)
		return ST_INVALID_TOKEN;
	out[n] = '\0';
	*link = out;
	return ST_OK;
}

/* ---- queueing ------------------------------------------------------------ */

static bool to_valid(const char *to)
{
	return to != NULL && text_valid(to, 3, MAIL_TO_MAX) && strchr(to, '@') != NULL &&
	       strchr(to, '<') == NULL && strchr(to, '>') == NULL && strchr(to, ',') == NULL;
}

static enum status enqueue(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
			   const char *to, const struct mail_content *mc, char *link)
{
	if (!to_valid(to)) {
		sec_wipe(link, strlen(link));
		if (c->errors != NULL)
			fields_add(c->arena, c->errors, "email", "invalid_format");
		return ST_VALIDATION_FAILED;
	}
	int64_t now = svc_now(c);
	struct outbox_row m = {0};
	m.id = id_new(c->arena, "msg", now);
	m.tenant_id = t->id;
	m.to_addr = (char *)to;
	m.from_addr = t->email_from != NULL && t->email_from[0] != '\0'
			      ? t->email_from
			      : (char *)c->env->cfg->email_from;
	m.subject = mc->subject;
	m.text_body = mc->text;
	m.html_body = mc->html;
	m.next_attempt_at = now;
	m.created_at = now;
	m.link_box = link_seal(c->env, c->arena, &m, link);
	sec_wipe(link, strlen(link));
	enum status st = store_outbox_insert(d, c->arena, &m);
	if (st == ST_OK)
		c->queued |= SVC_QUEUED_MAIL; /* svc_in_tx wakes the mail job after commit */
	return st;
}

static const char *app_of(const struct tenant_row *t)
{
	return mail_app_name(t->app_name, t->name);
}

static const char *template_or(const char *tmpl, const char *fallback)
{
	return tmpl != NULL && tmpl[0] != '\0' ? tmpl : fallback;
}

enum status svc_mail_password_reset(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				    const char *to_email, const char *token)
{
	char *link =
		mail_link(c->arena, template_or(t->reset_url, MAIL_DEFAULT_RESET_URL), token, NULL);
	struct mail_content mc;
	mail_render_reset(c->arena, app_of(t), to_email ? to_email : "", MAIL_LINK_MARK, &mc);
	return enqueue(c, d, t, to_email, &mc, link);
}

enum status svc_mail_verify_email(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				  const char *to_email, const char *token)
{
	char *link = mail_link(c->arena, template_or(t->verify_url, MAIL_DEFAULT_VERIFY_URL), token,
			       NULL);
	struct mail_content mc;
	mail_render_verify(c->arena, app_of(t), to_email ? to_email : "", MAIL_LINK_MARK, &mc);
	return enqueue(c, d, t, to_email, &mc, link);
}

enum status svc_mail_invitation(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				const char *to_email, const char *token, const char *invitation_id,
				const char *org_name, const char *inviter)
{
	char *link = mail_link(c->arena, template_or(t->invite_url, MAIL_DEFAULT_INVITE_URL), token,
			       invitation_id);
	struct mail_content mc;
	mail_render_invite(c->arena, app_of(t), to_email ? to_email : "", MAIL_LINK_MARK, org_name,
			   inviter, &mc);
	return enqueue(c, d, t, to_email, &mc, link);
}

/* ---- delivery: the "mail" kind of the job queue (queue.h) ------------- */

struct mail_item {
	struct outbox_row m;
	enum job_outcome out; /* decided by mail_attempt */
	char *error; /* NULL when sent */
	int64_t next_at; /* JOB_RETRY: when */
	int64_t done_at; /* JOB_DONE: when */
};

struct attempt_log {
	const struct outbox_row *m;
	const char *provider;
	const char *error; /* NULL when sent */
	const char *next_at; /* RFC 3339, retries only */
};

static void log_outcome(enum log_level level, const char *msg, const struct attempt_log *l)
{
	char attempt[24];
	snprintf(attempt, sizeof attempt, "%lld", (long long)l->m->attempts);
	const char *kv[16];
	int n = 0;
	kv[n++] = "message_id", kv[n++] = l->m->id;
	kv[n++] = "tenant_id", kv[n++] = l->m->tenant_id;
	kv[n++] = "attempt", kv[n++] = attempt;
	kv[n++] = "provider", kv[n++] = l->provider;
	if (l->next_at != NULL)
		kv[n++] = "next_attempt_at", kv[n++] = l->next_at;
	if (l->error != NULL)
		kv[n++] = "error", kv[n++] = l->error;
	kv[n] = NULL;
	log_event(level, msg, kv);
}

static void wipe_str(char *s)
{
	if (s != NULL)
		sec_wipe(s, strlen(s));
}

static enum status mail_claim(struct svc_ctx *c, struct db *d, const void *opts, void *item,
			      int64_t now, int64_t lease_until)
{
	(void)opts;
	struct mail_item *it = item;
	memset(it, 0, sizeof *it);
	bool found = false;
	enum status st = store_outbox_claim(d, c->arena, now, lease_until, &it->m, &found);
	return st == ST_OK && !found ? ST_NOT_FOUND : st;
}

/* The send itself, with the link put into the bodies only for it. */
static enum mail_outcome send_with_link(const struct svc_env *env, struct arena *a,
					const struct outbox_row *m, const char *link, char *err,
					size_t errlen)
{
	struct mail_message msg = {
		.id = m->id,
		.tenant_id = m->tenant_id,
		.from = m->from_addr,
		.to = m->to_addr,
		.subject = m->subject,
		.text_body = m->text_body,
		.html_body = m->html_body,
		.date_ms = m->created_at,
	};
	char *text = NULL, *html = NULL;
	if (link != NULL) {
		msg.text_body = text = mail_put_link(a, m->text_body, link, false);
		if (m->html_body != NULL)
			msg.html_body = html = mail_put_link(a, m->html_body, link, true);
	}
	enum mail_outcome out = mailer_send(env->cfg, a, &msg, err, errlen);
	wipe_str(text);
	wipe_str(html);
	return out;
}

/* Retry at the next backoff step, or give up once the message is a day old. */
static enum job_outcome retry_or_fail(const struct svc_env *env, struct arena *a,
				      struct mail_item *it, const char *err)
{
	int64_t now = clock_now(env->clock);
	if (mail_next_attempt(it->m.created_at, now, it->m.attempts, queue_jitter(MAIL_JITTER),
			      &it->next_at)) {
		it->error = arena_strdup(a, err);
		return JOB_RETRY;
	}
	it->error = arena_printf(a, "gave up after %lld attempts in 24 h: %s",
				 (long long)it->m.attempts, err);
	return JOB_FAILED;
}

static enum job_outcome decide(const struct svc_env *env, struct arena *a, struct mail_item *it)
{
	const struct outbox_row *m = &it->m;
	if (clock_now(env->clock) >= m->created_at + MAIL_MAX_AGE_MS) {
		it->error =
			arena_printf(a, "expired undelivered after 24 h%s%s",
				     m->last_error ? ": " : "", m->last_error ? m->last_error : "");
		return JOB_FAILED;
	}
	char *link = NULL;
	if (mail_open_link(env, a, m, &link) != ST_OK) {
		it->error = "the link cannot be decrypted (JWT_SECRET changed since it was "
			    "queued?)";
		return JOB_FAILED;
	}
	char err[MAILER_ERR_LEN] = "";
	enum mail_outcome out = send_with_link(env, a, m, link, err, sizeof err);
	wipe_str(link);
	if (out == MAIL_RETRY)
		return retry_or_fail(env, a, it, err);
	if (out == MAIL_FAILED) {
		it->error = arena_strdup(a, err);
		return JOB_FAILED;
	}
	it->done_at = clock_now(env->clock);
	return JOB_DONE;
}

static enum job_outcome mail_attempt(const struct svc_env *env, struct arena *a, const void *opts,
				     void *item)
{
	(void)opts;
	struct mail_item *it = item;
	it->out = decide(env, a, it);
	return it->out;
}

static enum status mail_record(struct svc_ctx *c, struct db *d, const void *opts, void *item)
{
	(void)opts;
	struct mail_item *it = item;
	const struct outbox_row *m = &it->m;
	if (it->out == JOB_DONE)
		return store_outbox_mark_sent(d, c->arena, m->tenant_id, m->id, m->attempts,
					      it->done_at);
	if (it->out == JOB_RETRY)
		return store_outbox_mark_retry(d, c->arena, m->tenant_id, m->id, m->attempts,
					       it->next_at, it->error);
	return store_outbox_mark_failed(d, c->arena, m->tenant_id, m->id, m->attempts, it->error);
}

static void mail_report(const struct svc_env *env, const void *item, enum job_outcome out,
			bool recorded)
{
	const struct mail_item *it = item;
	char when[RFC3339_LEN];
	struct attempt_log l = {&it->m, env->cfg->email_provider, it->error, NULL};
	if (out == JOB_RETRY) {
		clock_format_rfc3339(it->next_at, when);
		l.next_at = when;
	}
	if (!recorded)
		log_outcome(LOG_WARN,
			    out == JOB_DONE ? "mail delivered but not recorded (lease lost or "
					      "database error); it may be sent again"
					    : "mail outcome not recorded (lease lost or database "
					      "error)",
			    &l);
	else if (out == JOB_DONE)
		log_outcome(LOG_INFO, "mail delivered", &l);
	else if (out == JOB_RETRY)
		log_outcome(LOG_WARN, "mail delivery failed, will retry", &l);
	else
		log_outcome(LOG_ERROR, "mail delivery failed permanently", &l);
}

static const struct job_kind mail_kind = {
	JOB_MAIL, "mail", MAIL_LEASE_MS, mail_claim, mail_attempt, mail_record, mail_report,
};

int mail_job_run(const struct svc_env *env)
{
	struct arena a;
	arena_init(&a, 16384);
	int handled = 0;
	double started = clock_monotonic_ms();
	struct mail_item item;
	while (handled < MAIL_BATCH && clock_monotonic_ms() - started < MAIL_BATCH_MS &&
	       queue_run_one(env, &mail_kind, NULL, &item, &a)) {
		handled++;
		arena_reset(&a);
	}
	arena_destroy(&a);
	return handled;
}
