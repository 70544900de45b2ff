/*
 * mailer_resend.c: delivery through Resend's HTTP API (POST /emails) with
 * libcurl and jansson. The outbox id goes out as Idempotency-Key so a retry
 * after a lost answer is not a second mail. RESEND_API_KEY only ever goes
 * into the Authorization header, never into an error text.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/secure.h"
#include "../core/version.h"
#include "mailer.h"

#define RESEND_CONNECT_TIMEOUT_S 10L
#define RESEND_TOTAL_TIMEOUT_S 30L
#define RESEND_REPLY_CAP 4096

struct reply_buf {
	char data[RESEND_REPLY_CAP];
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply_buf *b = userdata;
	size_t n = size * nmemb;
	size_t room = sizeof b->data - 1 - b->len;
	size_t take = n < room ? n : room;
	memcpy(b->data + b->len, ptr, take);
	b->len += take;
	b->data[b->len] = '\0';
	return n; /* the rest is dropped, not an error */
}

static char *request_json(const struct mail_message *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "from", json_string(m->from));
	json_object_set_new(o, "to", json_pack("[s]", m->to));
	json_object_set_new(o, "subject", json_string(m->subject));
	if (m->html_body != NULL)
		json_object_set_new(o, "html", json_string(m->html_body));
	json_object_set_new(o, "text", json_string(m->text_body));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		abort();
	return text;
}

/* Resend's error answer {"name","message","statusCode"}: keep its message. */
static void reply_message(const struct reply_buf *b, char *out, size_t outlen)
{
	out[0] = '\0';
	json_t *o = json_loadb(b->data, b->len, 0, NULL);
	const char *msg = o ? json_string_value(json_object_get(o, "message")) : NULL;
	snprintf(out, outlen, "%.200s", msg ? msg : b->data);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	json_decref(o);
}

static enum mail_outcome classify(CURLcode rc, long http)
{
	if (rc != CURLE_OK)
		return MAIL_RETRY;
	if (http >= 200 && http < 300)
		return MAIL_SENT;
	if (http == 429 || http >= 500 || http < 200)
		return MAIL_RETRY;
	return MAIL_FAILED;
}

static struct curl_slist *add(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = curl_slist_append(l, s);
	if (n == NULL)
		abort();
	return n;
}

enum mail_outcome mailer_resend_send(const struct config *cfg, struct arena *a,
				     const struct mail_message *m, char *err, size_t errlen)
{
	if (cfg->resend_api_key[0] == '\0') {
		snprintf(err, errlen, "resend: RESEND_API_KEY is not set");
		return MAIL_RETRY;
	}
	size_t base_len = strlen(cfg->resend_api_url);
	while (base_len > 0 && cfg->resend_api_url[base_len - 1] == '/')
		base_len--;
	char *url = arena_printf(a, "%.*s/emails", (int)base_len, cfg->resend_api_url);
	CURL *h = curl_easy_init();
	if (h == NULL) {
		snprintf(err, errlen, "resend: cannot create a libcurl handle");
		return MAIL_RETRY;
	}
	char *auth = arena_printf(a, "Authorization: Bearer %s", cfg->resend_api_key);
	struct curl_slist *hdr = add(NULL, auth);
	sec_wipe(auth, strlen(auth));
	hdr = add(hdr, "Content-Type: application/json");
	hdr = add(hdr, arena_printf(a, "Idempotency-Key: %s", m->id));
	hdr = add(hdr, "User-Agent: saasd/" SAASD_VERSION);
	char *body = request_json(m);
	struct reply_buf reply = {.len = 0};
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, RESEND_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, RESEND_TOTAL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	CURLcode rc = curl_easy_perform(h);
	long http = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
	enum mail_outcome out = classify(rc, http);
	if (out != MAIL_SENT && rc != CURLE_OK) {
		snprintf(err, errlen, "resend: %s%s%s", curl_easy_strerror(rc),
			 curl_err[0] ? ": " : "", curl_err);
	} else if (out != MAIL_SENT) {
		char msg[256];
		reply_message(&reply, msg, sizeof msg);
		snprintf(err, errlen, "resend: HTTP %ld: %s", http, msg);
	}
	mailer_redact(err, errlen, cfg->resend_api_key);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	free(body);
	return out;
}
