/*
 * mailer.c: provider dispatch, the development "log" provider, libcurl's
 * one-time global initialisation and secret redaction for error texts. The
 * log provider writes the whole text body (links included) on purpose:
 * that is how a developer reads reset links; in production it writes only
 * the envelope and subject (a link in a log is a usable token) and warns.
 */
#include "mailer.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static bool curl_ready;

static void curl_start(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	curl_ready = curl_init_rc == CURLE_OK;
}

static void warn_config(const struct config *cfg)
{
	if (strcmp(cfg->email_provider, "log") == 0 && config_is_production(cfg))
		log_msg(LOG_WARN, "EMAIL_PROVIDER=log in production: mails are not delivered "
				  "(only their recipient and subject are logged, never their "
				  "links); set smtp or resend");
	if (strcmp(cfg->email_provider, "smtp") == 0 && cfg->smtp_url[0] == '\0')
		log_msg(LOG_WARN, "EMAIL_PROVIDER=smtp but SMTP_URL is not set: mails will wait "
				  "in the outbox");
	if (strcmp(cfg->email_provider, "resend") == 0 && cfg->resend_api_key[0] == '\0')
		log_msg(LOG_WARN, "EMAIL_PROVIDER=resend but RESEND_API_KEY is not set: mails "
				  "will wait in the outbox");
}

bool mailer_init(const struct config *cfg)
{
	pthread_once(&curl_once, curl_start);
	if (!curl_ready) {
		log_msg(LOG_ERROR, "libcurl failed to initialise: %s",
			curl_easy_strerror(curl_init_rc));
		return false;
	}
	warn_config(cfg);
	return true;
}

void mailer_cleanup(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = false;
}

const char *mail_outcome_name(enum mail_outcome o)
{
	switch (o) {
	case MAIL_SENT:
		return "sent";
	case MAIL_RETRY:
		return "retry";
	default:
		return "failed";
	}
}

void mailer_redact(char *buf, size_t cap, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	if (sl == 0 || cap == 0 || strstr(buf, secret) == NULL)
		return;
	char *tmp = malloc(cap);
	if (tmp == NULL)
		abort();
	size_t o = 0;
	for (const char *p = buf; *p != '\0' && o + 1 < cap;) {
		if (strncmp(p, secret, sl) == 0) {
			for (int i = 0; i < 3 && o + 1 < cap; i++)
				tmp[o++] = '*';
			p += sl;
		} else {
			tmp[o++] = *p++;
		}
	}
	tmp[o] = '\0';
	memcpy(buf, tmp, o + 1);
	free(tmp);
}

static enum mail_outcome log_send(const struct config *cfg, const struct mail_message *m)
{
	/* production: no body, so no link (a live token) reaches the log */
	bool body = !config_is_production(cfg);
	const char *kv[] = {"message_id",
			    m->id,
			    "tenant_id",
			    m->tenant_id,
			    "provider",
			    "log",
			    "from",
			    m->from,
			    "to",
			    m->to,
			    "subject",
			    m->subject,
			    body ? "text" : NULL,
			    m->text_body,
			    NULL};
	log_event(LOG_INFO, "mail (EMAIL_PROVIDER=log, not sent)", kv);
	return MAIL_SENT;
}

enum mail_outcome mailer_send(const struct config *cfg, struct arena *a,
			      const struct mail_message *m, char *err, size_t errlen)
{
	err[0] = '\0';
	if (strcmp(cfg->email_provider, "smtp") == 0 || strcmp(cfg->email_provider, "resend") == 0)
		pthread_once(&curl_once, curl_start);
	if (strcmp(cfg->email_provider, "smtp") == 0)
		return mailer_smtp_send(cfg, a, m, err, errlen);
	if (strcmp(cfg->email_provider, "resend") == 0)
		return mailer_resend_send(cfg, a, m, err, errlen);
	return log_send(cfg, m);
}
