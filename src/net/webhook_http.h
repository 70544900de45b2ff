/*
 * webhook_http.h: the outbound side of webhooks: Standard Webhooks signing
 * and one HTTP POST with libcurl (no redirects followed, bounded time: a
 * 2 s connect, 15 s in all).
 */
#ifndef SAASD_NET_WEBHOOK_HTTP_H
#define SAASD_NET_WEBHOOK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_SIGNATURE_LEN 64 /* "v1," + 44 base64 chars + NUL, rounded */
/* The error of an attempt refused by the address policy. It names no
 * address: the tenant reads it, and the address would tell it where its
 * host name points inside our network. */
#define WEBHOOK_BLOCKED_ERROR "blocked: destination address not allowed (private or internal)"

/*
 * Signature header value "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>",
 * where key is the base64-decoded part of secret after "whsec_". False when
 * the secret is malformed.
 */
bool webhook_sign(const char *secret, const char *msg_id, int64_t timestamp_s, const char *body,
		  char out[WEBHOOK_SIGNATURE_LEN]);

/* How long one attempt may take: the TCP (and TLS) connect, and the whole
 * attempt. Deliveries use the defaults; tests pass shorter ones. */
#define WEBHOOK_CONNECT_TIMEOUT_MS 2000L
#define WEBHOOK_TIMEOUT_MS 15000L
struct webhook_timeouts {
	long connect_ms;
	long total_ms;
};

struct webhook_result {
	long status; /* HTTP status, 0 when no answer */
	int64_t retry_after_s; /* from Retry-After, -1 when absent */
	double latency_ms;
	bool timed_out; /* the connect or the whole attempt ran out of time */
	char error[256]; /* transport error or "" */
};

/* POST body to url with the Standard Webhooks headers (and traceparent when
 * given) within t (NULL: the defaults); proxy settings are ignored. When
 * !allow_private, no connection is made to an address addr_policy calls
 * internal: the attempt fails with error WEBHOOK_BLOCKED_ERROR. */
void webhook_post(const char *url, bool allow_private, const struct webhook_timeouts *t,
		  const char *msg_id, int64_t timestamp_s, const char *signature,
		  const char *traceparent, const char *body, struct webhook_result *out);

#endif
