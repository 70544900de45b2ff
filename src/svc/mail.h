/*
 * mail.h: transactional email through a durable outbox. A service that
 * causes a mail calls one of the svc_mail_* functions with the same open
 * transaction (db) as the change itself, so the mail exists if and only if
 * the change committed. The "mail" background job delivers pending messages
 * through the configured provider (log | smtp | resend) with retries and
 * exponential backoff, and survives restarts (state lives in the table).
 *
 * Links come from the tenant's URL templates (reset_url / verify_url /
 * invite_url, with {token} and {invitation_id}), or defaults. Every value a
 * user or tenant supplied is HTML-escaped in the HTML body. No usable token
 * is stored: the link is kept encrypted (XChaCha20-Poly1305, key derived
 * from JWT_SECRET) beside bodies holding a placeholder, and put into them
 * only at send time; a sent or failed message keeps neither.
 */
#ifndef SAASD_SVC_MAIL_H
#define SAASD_SVC_MAIL_H

#include "../store/tenants.h"
#include "svc.h"

/* Queue a password-reset mail with the one-time token. */
enum status svc_mail_password_reset(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				    const char *to_email, const char *token);
/* Queue an email-verification mail with the one-time token. */
enum status svc_mail_verify_email(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				  const char *to_email, const char *token);
/* Queue an invitation mail. org_name and inviter (may be NULL) are shown. */
enum status svc_mail_invitation(struct svc_ctx *c, struct db *d, const struct tenant_row *t,
				const char *to_email, const char *token, const char *invitation_id,
				const char *org_name, const char *inviter);

/*
 * The link of a queued message, decrypted into the arena (*link, which the
 * caller wipes with sec_wipe when done); *link NULL when the row has no
 * sealed link (queued before migration 008: its bodies are complete).
 * ST_INVALID_TOKEN when the box does not open (another JWT_SECRET, or a box
 * moved to another row).
 */
struct outbox_row;
enum status mail_open_link(const struct svc_env *env, struct arena *a, const struct outbox_row *m,
			   char **link);

/* The background job: deliver due messages; returns how many it handled. */
int mail_job_run(const struct svc_env *env);

/*
 * Retry policy, pure so tests need no clock. After the n-th failed attempt
 * (n >= 1) the next one waits MAIL_FIRST_RETRY_MS * 2^(n-1), scaled by
 * (1 + jitter) with jitter clamped to +-MAIL_JITTER, never more than
 * MAIL_MAX_BACKOFF_MS: about 5 s, 10 s, 20 s ... 1 h, 1 h ... A message is
 * given up (status failed) once MAIL_MAX_AGE_MS have passed since it was
 * queued; the last retry is placed at that deadline. A claimed message is
 * leased for MAIL_LEASE_MS: if its worker dies, another retries it then.
 */
#define MAIL_FIRST_RETRY_MS 5000LL
#define MAIL_MAX_BACKOFF_MS (3600LL * 1000)
#define MAIL_MAX_AGE_MS (24LL * 3600 * 1000)
#define MAIL_LEASE_MS 60000LL
#define MAIL_JITTER 0.1

int64_t mail_backoff_ms(int64_t attempt, double jitter);
/* After failed attempt `attempt` at now_ms: true and *next_at, or false
 * when the message is MAIL_MAX_AGE_MS old and must be given up. */
bool mail_next_attempt(int64_t created_at, int64_t now_ms, int64_t attempt, double jitter,
		       int64_t *next_at);

/* Delivery outcomes since start, for /metrics. */
struct mail_counters {
	int64_t sent, retried, failed;
};
void mail_counters_get(struct mail_counters *out);

#endif
