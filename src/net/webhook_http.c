/*
 * webhook_http.c: signing through core/secure (HMAC-SHA256, base64) and the
 * POST through libcurl (curl_global_init is done once by mailer_init). The
 * response body is discarded; only the status and Retry-After matter.
 * Unless private addresses are allowed, every socket curl opens is checked
 * against addr_policy after name resolution, so neither a host name that
 * resolves to an internal address nor DNS rebinding gets past it.
 */
#include "webhook_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/secure.h"
#include "addr_policy.h"

bool webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s, const char *body,
		  char out[WEBHOOK_SIGNATURE_LEN])
{
	if (strncmp(secret, "whsec_", 6) != 0)
		return false;
	uint8_t key[128];
	size_t keylen = 0;
	if (!sec_base64_decode(secret + 6, key, sizeof key, &keylen) || keylen == 0)
		return false;
	char prefix[160];
	int n = snprintf(prefix, sizeof prefix, "%s.%lld.", msg_id, (long long)timestamp_s);
	if (n < 0 || (size_t)n >= sizeof prefix)
		return false;
	size_t blen = strlen(body), total = (size_t)n + blen;
	char *msg = malloc(total + 1);
	if (msg == NULL)
		abort();
	memcpy(msg, prefix, (size_t)n);
	memcpy(msg + n, body, blen + 1);
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(key, keylen, msg, total, mac);
	free(msg);
	sec_wipe(key, sizeof key);
	memcpy(out, "v1,", 3);
	sec_base64(mac, sizeof mac, out + 3, WEBHOOK_SIGNATURE_LEN - 3);
	return true;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct webhook_result *out = userdata;
	size_t len = size * nitems;
	if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		char tmp[32];
		size_t n = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
		memcpy(tmp, buf + 12, n);
		tmp[n] = '\0';
		char *end;
		long long v = strtoll(tmp, &end, 10);
		if (end != tmp && v >= 0)
			out->retry_after_s = v; /* HTTP-date form: ignored, backoff applies */
	}
	return len;
}

struct connect_guard {
	char refused[64]; /* the last address refused, "" when none */
};

/* Called for each address curl is about to connect to (after DNS). */
static curl_socket_t open_checked(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct connect_guard *g = clientp;
	(void)purpose;
	if (addr_internal_sockaddr(&addr->addr, addr->addrlen)) {
		addr_format(&addr->addr, addr->addrlen, g->refused, sizeof g->refused);
		return CURL_SOCKET_BAD; /* curl tries the next address, if any */
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

void webhook_post(const char *url, bool allow_private, const struct webhook_timeouts *t,
		  const char *msg_id, int64_t timestamp_s, const char *signature,
		  const char *traceparent, const char *body, struct webhook_result *out)
{
	static const struct webhook_timeouts defaults = {WEBHOOK_CONNECT_TIMEOUT_MS,
							 WEBHOOK_TIMEOUT_MS};
	if (t == NULL)
		t = &defaults;
	struct connect_guard guard = {""};
	memset(out, 0, sizeof *out);
	out->retry_after_s = -1;
	CURL *curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(out->error, sizeof out->error, "curl_easy_init failed");
		return;
	}
	char h_id[128], h_ts[64], h_sig[WEBHOOK_SIGNATURE_LEN + 32], h_tp[128];
	snprintf(h_id, sizeof h_id, "webhook-id: %s", msg_id);
	snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", (long long)timestamp_s);
	snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", signature);
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: saasd-webhooks/1");
	hdrs = curl_slist_append(hdrs, h_id);
	hdrs = curl_slist_append(hdrs, h_ts);
	hdrs = curl_slist_append(hdrs, h_sig);
	if (traceparent != NULL) {
		snprintf(h_tp, sizeof h_tp, "traceparent: %s", traceparent);
		hdrs = curl_slist_append(hdrs, h_tp);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	/* a short connect timeout: an endpoint that does not even accept must
	 * not hold a delivery thread for long (the claim caps and the breaker
	 * bound how many threads a slow one can hold) */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, t->connect_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, t->total_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);
	/* always direct: through a proxy the guard would only see the proxy */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	if (!allow_private) {
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_checked);
		curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
	}
	double t0 = clock_monotonic_ms();
	CURLcode rc = curl_easy_perform(curl);
	out->latency_ms = clock_monotonic_ms() - t0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	else if (guard.refused[0] != '\0') {
		/* the tenant sees the attempt's error: never which internal address
		 * its name resolved to (that maps our network); the operator's
		 * debug log keeps it */
		snprintf(out->error, sizeof out->error, "%s", WEBHOOK_BLOCKED_ERROR);
		const char *kv[] = {"address", guard.refused, NULL};
		log_event(LOG_DEBUG, "webhook connect refused: internal address", kv);
	} else
		snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
	out->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
}
