/*
 * mail.c: queueing transactional mail into the outbox (in the caller's
 * transaction) and the "mail" job that delivers it: claim with a lease,
 * send through net/mailer, then record sent / retry with backoff / failed.
 * No usable token at rest: a queued row's bodies hold MAIL_LINK_MARK and the
 * link is sealed apart (link_box), opened and put in only at send time.
 * Outcome log lines carry ids and error texts only: never a token or body.
 */
#include "mail.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/secure.h"
#include "../net/mailer.h"
#include "../store/outbox.h"
#include "mail_templates.h"

#define MAIL_BATCH 20 /* messages per job pass */
#define MAIL_BATCH_MS 5000.0 /* and no new claim after this long in one pass */
#define MAIL_TO_MAX 320

static _Atomic int64_t count_sent, count_retried, count_failed;

/* ---- retry policy ------------------------------------------------------ */

int64_t mail_backoff_ms(int64_t attempt, double jitter)
{
	if (attempt < 1)
		attempt = 1;
	if (!(jitter >= -MAIL_JITTER)) /* also catches NaN */
		jitter = -MAIL_JITTER;
	if (jitter > MAIL_JITTER)
		jitter = MAIL_JITTER;
	int shift = attempt > 30 ? 30 : (int)(attempt - 1);
	double base = (double)MAIL_FIRST_RETRY_MS * (double)(1LL << shift);
	double ms = base * (1.0 + jitter);
	if (ms > (double)MAIL_MAX_BACKOFF_MS)
		ms = (double)MAIL_MAX_BACKOFF_MS;
	return (int64_t)llround(ms);
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
	out->sent = atomic_load(&count_sent);
	out->retried = atomic_load(&count_retried);
	out->failed = atomic_load(&count_failed);
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
		c->mail_queued = true; /* svc_in_tx wakes the mail job after commit */
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

/* ---- delivery ------------------------------------------------------------ */

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

static double random_jitter(void)
{
	/* uniform in [-MAIL_JITTER, +MAIL_JITTER] in steps of 0.0001 */
	return ((double)sec_uniform(2001) - 1000.0) / 1000.0 * MAIL_JITTER;
}

static void record_failure(const struct svc_env *env, struct db *d, struct arena *a,
			   const struct outbox_row *m, const char *error)
{
	struct attempt_log l = {m, env->cfg->email_provider, error, NULL};
	enum status st = store_outbox_mark_failed(d, a, m->tenant_id, m->id, m->attempts, error);
	if (st == ST_OK) {
		atomic_fetch_add(&count_failed, 1);
		log_outcome(LOG_ERROR, "mail delivery failed permanently", &l);
	} else {
		log_outcome(LOG_WARN, "mail outcome not recorded (lease lost or database error)",
			    &l);
	}
}

static void record_retry(const struct svc_env *env, struct db *d, struct arena *a,
			 const struct outbox_row *m, const char *error)
{
	int64_t now = clock_now(env->clock), next = 0;
	if (!mail_next_attempt(m->created_at, now, m->attempts, random_jitter(), &next)) {
		record_failure(env, d, a, m,
			       arena_printf(a, "gave up after %lld attempts in 24 h: %s",
					    (long long)m->attempts, error));
		return;
	}
	char when[RFC3339_LEN];
	clock_format_rfc3339(next, when);
	struct attempt_log l = {m, env->cfg->email_provider, error, when};
	enum status st =
		store_outbox_mark_retry(d, a, m->tenant_id, m->id, m->attempts, next, error);
	if (st == ST_OK) {
		atomic_fetch_add(&count_retried, 1);
		log_outcome(LOG_WARN, "mail delivery failed, will retry", &l);
	} else {
		log_outcome(LOG_WARN, "mail outcome not recorded (lease lost or database error)",
			    &l);
	}
}

static void wipe_str(char *s)
{
	if (s != NULL)
		sec_wipe(s, strlen(s));
}

static void deliver_one(const struct svc_env *env, struct db *d, struct arena *a,
			const struct outbox_row *m)
{
	if (clock_now(env->clock) >= m->created_at + MAIL_MAX_AGE_MS) {
		record_failure(env, d, a, m,
			       arena_printf(a, "expired undelivered after 24 h%s%s",
					    m->last_error ? ": " : "",
					    m->last_error ? m->last_error : ""));
		return;
	}
	char *link = NULL;
	if (mail_open_link(env, a, m, &link) != ST_OK) {
		record_failure(env, d, a, m,
			       "the link cannot be decrypted (JWT_SECRET changed since it was "
			       "queued?)");
		return;
	}
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
	char err[MAILER_ERR_LEN] = "";
	enum mail_outcome out = mailer_send(env->cfg, a, &msg, err, sizeof err);
	wipe_str(link);
	wipe_str(text);
	wipe_str(html);
	if (out == MAIL_RETRY) {
		record_retry(env, d, a, m, err);
		return;
	}
	if (out == MAIL_FAILED) {
		record_failure(env, d, a, m, err);
		return;
	}
	struct attempt_log l = {m, env->cfg->email_provider, NULL, NULL};
	if (store_outbox_mark_sent(d, a, m->tenant_id, m->id, m->attempts, clock_now(env->clock)) ==
	    ST_OK) {
		atomic_fetch_add(&count_sent, 1);
		log_outcome(LOG_INFO, "mail delivered", &l);
	} else {
		log_outcome(LOG_WARN,
			    "mail delivered but not recorded (lease lost or database "
			    "error); it may be sent again",
			    &l);
	}
}

int mail_job_run(const struct svc_env *env)
{
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return 0;
	struct arena a;
	arena_init(&a, 16384);
	int handled = 0;
	double started = clock_monotonic_ms();
	while (handled < MAIL_BATCH && clock_monotonic_ms() - started < MAIL_BATCH_MS) {
		int64_t now = clock_now(env->clock);
		struct outbox_row m;
		bool found = false;
		if (store_outbox_claim(d, &a, now, now + MAIL_LEASE_MS, &m, &found) != ST_OK ||
		    !found)
			break;
		deliver_one(env, d, &a, &m);
		handled++;
		arena_reset(&a);
	}
	arena_destroy(&a);
	store_release(env->store, d);
	return handled;
}
