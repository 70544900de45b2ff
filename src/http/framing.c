/*
 * framing.c: counts the headers that decide where a request ends. MHD
 * 0.9.75 lets Transfer-Encoding win over Content-Length and reads only the
 * first Content-Length, so a front proxy that reads them otherwise would
 * see the bytes after the body as part of it while MHD runs them as a
 * second request. MHD_get_connection_values sees every header line,
 * duplicates included.
 */
#include "framing.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

void framing_add(struct framing *f, const char *name, const char *value)
{
	if (name == NULL)
		return;
	if (strcasecmp(name, "Content-Length") == 0) {
		f->content_length++;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		f->transfer_encoding++;
		/* "gzip, chunked" would need decoding we do not do, and
		 * anything but chunked last has no knowable end: refuse all */
		if (value == NULL || strcasecmp(value, "chunked") != 0)
			f->te_not_chunked = true;
	} else if (strcasecmp(name, "Host") == 0) {
		f->host++;
	}
}

const char *framing_refusal(const struct framing *f, bool http11)
{
	if (f->transfer_encoding > 0 && f->content_length > 0)
		return "Content-Length and Transfer-Encoding must not be sent together.";
	if (f->content_length > 1)
		return "Content-Length must be sent at most once.";
	if (f->transfer_encoding > 0 && !http11)
		return "Transfer-Encoding is not allowed in HTTP/1.0.";
	if (f->transfer_encoding > 1 || f->te_not_chunked)
		return "Transfer-Encoding must be exactly \"chunked\", sent once.";
	if (http11 && f->host == 0)
		return "HTTP/1.1 requests need a Host header.";
	if (f->host > 1)
		return "Host must be sent at most once.";
	return NULL;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	(void)kind;
	framing_add(cls, key, value);
	return MHD_YES;
}

const char *framing_check(struct MHD_Connection *conn, const char *version)
{
	struct framing f = {0};
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &f);
	/* MHD answers other versions itself (505); 1.1 and any later 1.x need Host */
	bool http11 = version == NULL || strcmp(version, MHD_HTTP_VERSION_1_0) != 0;
	return framing_refusal(&f, http11);
}
