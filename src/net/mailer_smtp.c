/*
 * mailer_smtp.c: SMTP delivery with libcurl. One connection per message:
 * multipart/alternative (text + HTML, quoted-printable), STARTTLS when the
 * server offers it on smtp:// (required when SMTP_URL carries credentials),
 * implicit TLS on smtps://. SMTP_URL's user and password never reach an
 * error text: they are redacted from whatever libcurl reports.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/version.h"
#include "mail_format.h"
#include "mailer.h"

#define SMTP_CONNECT_TIMEOUT_S 10L
#define SMTP_TOTAL_TIMEOUT_S 30L

struct smtp_target {
	bool implicit_tls; /* smtps:// */
	bool has_credentials;
	/* every spelling of the credentials, for redaction (may be NULL) */
	char *secrets[4];
};

static char *url_part(struct arena *a, CURLU *u, CURLUPart what, unsigned flags)
{
	char *v = NULL;
	if (curl_url_get(u, what, &v, flags) != CURLUE_OK || v == NULL)
		return NULL;
	char *copy = arena_strdup(a, v);
	curl_free(v);
	return copy;
}

/* Checks SMTP_URL's scheme and remembers its credentials; false if unusable. */
static bool smtp_target_parse(struct arena *a, const char *url, struct smtp_target *t)
{
	memset(t, 0, sizeof *t);
	CURLU *u = curl_url();
	if (u == NULL)
		return false;
	bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
	char *scheme = ok ? url_part(a, u, CURLUPART_SCHEME, 0) : NULL;
	ok = scheme != NULL && (strcmp(scheme, "smtp") == 0 || strcmp(scheme, "smtps") == 0);
	if (ok) {
		t->implicit_tls = strcmp(scheme, "smtps") == 0;
		t->secrets[0] = url_part(a, u, CURLUPART_PASSWORD, 0);
		t->secrets[1] = url_part(a, u, CURLUPART_PASSWORD, CURLU_URLDECODE);
		t->secrets[2] = url_part(a, u, CURLUPART_USER, 0);
		t->secrets[3] = url_part(a, u, CURLUPART_USER, CURLU_URLDECODE);
		t->has_credentials = t->secrets[0] != NULL || t->secrets[2] != NULL;
	}
	curl_url_cleanup(u);
	return ok;
}

static void redact_all(const struct smtp_target *t, char *err, size_t errlen)
{
	/* longest first, so a user name inside the password cannot leave a piece */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 4; i++)
			if (t->secrets[i] != NULL && (strlen(t->secrets[i]) >= 8) == (pass == 0))
				mailer_redact(err, errlen, t->secrets[i]);
}

static struct curl_slist *add(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = curl_slist_append(l, s);
	if (n == NULL)
		abort();
	return n;
}

static struct curl_slist *build_headers(struct arena *a, const struct mail_message *m,
					const char *from_addr)
{
	char date[MAIL_DATE_LEN];
	mail_format_date(m->date_ms, date);
	struct curl_slist *h = NULL;
	h = add(h, arena_printf(a, "Date: %s", date));
	h = add(h, arena_printf(a, "From: %s", mail_encode_mailbox(a, m->from)));
	h = add(h, arena_printf(a, "To: %s", m->to));
	h = add(h, arena_printf(a, "Subject: %s", mail_encode_words(a, m->subject)));
	h = add(h, arena_printf(a, "Message-ID: <%s@%s>", m->id, mail_addr_domain(from_addr)));
	h = add(h, "X-Mailer: saasd/" SAASD_VERSION);
	return h;
}

static void add_text_part(curl_mime *alt, const char *body, const char *type)
{
	curl_mimepart *part = curl_mime_addpart(alt);
	curl_mime_data(part, body, CURL_ZERO_TERMINATED);
	curl_mime_type(part, type);
	curl_mime_encoder(part, "quoted-printable");
}

/* multipart/mixed root holding one inline multipart/alternative part, the
 * layout of libcurl's smtp-mime example (the root type is fixed by curl). */
static curl_mime *build_body(CURL *h, struct arena *a, const struct mail_message *m)
{
	curl_mime *root = curl_mime_init(h);
	curl_mime *alt = curl_mime_init(h);
	add_text_part(alt, mail_crlf(a, m->text_body), "text/plain; charset=utf-8");
	if (m->html_body != NULL)
		add_text_part(alt, mail_crlf(a, m->html_body), "text/html; charset=utf-8");
	curl_mimepart *part = curl_mime_addpart(root);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");
	curl_mime_headers(part, add(NULL, "Content-Disposition: inline"), 1);
	return root;
}

/* Permanent only when the server refused the message or a recipient with a
 * 5xx reply; refused logins, timeouts and 4xx replies are worth a retry. */
static enum mail_outcome classify(CURLcode rc, long reply)
{
	if (rc == CURLE_OK)
		return MAIL_SENT;
	if (rc == CURLE_LOGIN_DENIED)
		return MAIL_RETRY;
	if (reply >= 500 && reply < 600 &&
	    (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_WEIRD_SERVER_REPLY))
		return MAIL_FAILED;
	return MAIL_RETRY;
}

static enum mail_outcome perform(const struct config *cfg, struct arena *a,
				 const struct mail_message *m, const struct smtp_target *t,
				 const char *from_addr, const char *to_addr, char *err,
				 size_t errlen)
{
	CURL *h = curl_easy_init();
	if (h == NULL) {
		snprintf(err, errlen, "smtp: cannot create a libcurl handle");
		return MAIL_RETRY;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = add(NULL, arena_printf(a, "<%s>", to_addr));
	struct curl_slist *headers = build_headers(a, m, from_addr);
	curl_mime *body = build_body(h, a, m);
	curl_easy_setopt(h, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, SMTP_TOTAL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	/* never send a password in clear: with credentials, TLS is required */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 t->implicit_tls || t->has_credentials ? (long)CURLUSESSL_ALL
							       : (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, arena_printf(a, "<%s>", from_addr));
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_MIMEPOST, body);
	CURLcode rc = curl_easy_perform(h);
	long reply = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	enum mail_outcome out = classify(rc, reply);
	if (out != MAIL_SENT) {
		snprintf(err, errlen, "smtp: %s%s%s (reply %ld)", curl_easy_strerror(rc),
			 curl_err[0] ? ": " : "", curl_err, reply);
		redact_all(t, err, errlen);
	}
	curl_easy_cleanup(h);
	curl_mime_free(body);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	return out;
}

enum mail_outcome mailer_smtp_send(const struct config *cfg, struct arena *a,
				   const struct mail_message *m, char *err, size_t errlen)
{
	if (cfg->smtp_url[0] == '\0') {
		snprintf(err, errlen, "smtp: SMTP_URL is not set");
		return MAIL_RETRY;
	}
	struct smtp_target t;
	if (!smtp_target_parse(a, cfg->smtp_url, &t)) {
		snprintf(err, errlen, "smtp: SMTP_URL is not a valid smtp:// or smtps:// URL");
		return MAIL_RETRY;
	}
	char *from_addr = mail_addr_spec(a, m->from);
	char *to_addr = mail_addr_spec(a, m->to);
	if (from_addr == NULL || to_addr == NULL) {
		snprintf(err, errlen, "smtp: invalid %s address",
			 from_addr == NULL ? "sender" : "recipient");
		return MAIL_FAILED;
	}
	if (!mail_header_safe(m->subject) || !mail_header_safe(m->from)) {
		snprintf(err, errlen, "smtp: a header value contains a line break");
		return MAIL_FAILED;
	}
	return perform(cfg, a, m, &t, from_addr, to_addr, err, errlen);
}
