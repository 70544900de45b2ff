/*
 * mailer.h: the outbound mail adapter. Delivers one already-rendered message
 * through the configured provider (EMAIL_PROVIDER: log | smtp | resend) and
 * says whether it was sent, is worth retrying, or failed for good. Knows
 * nothing of the outbox; svc/mail.c decides what an outcome means.
 */
#ifndef SAASD_NET_MAILER_H
#define SAASD_NET_MAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/arena.h"
#include "../core/config.h"

enum mail_outcome {
	MAIL_SENT, /* accepted by the provider (or written to the log) */
	MAIL_RETRY, /* transient: connection, timeout, 4xx SMTP, HTTP 429/5xx */
	MAIL_FAILED, /* permanent: the provider refused this message */
};

struct mail_message {
	const char *id; /* outbox id: Message-ID and idempotency key */
	const char *tenant_id; /* for the log provider's line */
	const char *from; /* "Name <addr>" or "addr" */
	const char *to; /* a bare address */
	const char *subject; /* UTF-8, no line breaks */
	const char *text_body; /* UTF-8 */
	const char *html_body; /* UTF-8, may be NULL */
	int64_t date_ms; /* the Date header */
};

#define MAILER_ERR_LEN 512

/*
 * Process start, before any thread: initialises libcurl once and logs a
 * warning for risky settings (EMAIL_PROVIDER=log in production, smtp
 * without SMTP_URL, resend without RESEND_API_KEY). False if libcurl
 * cannot start. mailer_cleanup() at exit, after every thread stopped.
 */
bool mailer_init(const struct config *cfg);
void mailer_cleanup(void);

/*
 * Deliver m. On anything but MAIL_SENT, err receives one line for the log
 * and the outbox's last_error; it never contains credentials (SMTP_URL's
 * password, the Resend key). Scratch memory comes from a. Blocks for at
 * most ~30 s (connect timeout 10 s, total 30 s).
 */
enum mail_outcome mailer_send(const struct config *cfg, struct arena *a,
			      const struct mail_message *m, char *err, size_t errlen);

/* "sent" | "retry" | "failed" */
const char *mail_outcome_name(enum mail_outcome o);

/* Providers (mailer_smtp.c, mailer_resend.c); same contract as mailer_send. */
enum mail_outcome mailer_smtp_send(const struct config *cfg, struct arena *a,
				   const struct mail_message *m, char *err, size_t errlen);
enum mail_outcome mailer_resend_send(const struct config *cfg, struct arena *a,
				     const struct mail_message *m, char *err, size_t errlen);
/* Replace every occurrence of secret (when non-empty) in buf with "***". */
void mailer_redact(char *buf, size_t cap, const char *secret);

#endif
