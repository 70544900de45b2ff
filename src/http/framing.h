/*
 * framing.h: request framing that RFC 9112 says a server must refuse with
 * 400 and a closed connection, because two parties could read the message
 * boundaries differently (request smuggling): Content-Length beside
 * Transfer-Encoding, a repeated Content-Length, a transfer coding other than
 * a single "chunked", Transfer-Encoding in HTTP/1.0, and an HTTP/1.1
 * request without exactly one Host. Pure: fed one header at a time.
 */
#ifndef SAASD_FRAMING_H
#define SAASD_FRAMING_H

#include <stdbool.h>

struct MHD_Connection;

struct framing {
	int content_length; /* how many Content-Length headers */
	int transfer_encoding; /* how many Transfer-Encoding headers */
	bool te_not_chunked; /* one of them is not exactly "chunked" */
	int host; /* how many Host headers */
};

/* Count one request header (name case-insensitive; value as MHD trimmed it). */
void framing_add(struct framing *f, const char *name, const char *value);
/* NULL when the framing is sound; else the public reason for the 400. */
const char *framing_refusal(const struct framing *f, bool http11);

/* Every header of the request on conn, counted; then framing_refusal. */
const char *framing_check(struct MHD_Connection *conn, const char *version);

#endif
