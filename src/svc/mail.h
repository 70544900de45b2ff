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
 * user or tenant supplied is HTML-escaped in the HTML body.
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
				const char *to_email, const char *token,
				const char *invitation_id, const char *org_name,
				const char *inviter);

/* The background job: deliver due messages; returns how many it handled. */
int mail_job_run(const struct svc_env *env);

#endif
