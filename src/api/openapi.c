/*
 * openapi.c: GET /openapi.json, the spec this binary was built from
 * (openapi_doc.h), public like /health. Cacheable for 5 minutes, with a
 * strong ETag: If-None-Match with it (or *) answers 304, without a body.
 * Never reads the store or the caller's identity.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "openapi_doc.h"

#define OPENAPI_CACHE "public, max-age=300"

/* If-None-Match (RFC 9110 13.1.2): "*" or a list of entity tags, weak ones
 * compared weakly, i.e. by their opaque part. */
static bool etag_matches(const char *header)
{
	if (header == NULL)
		return false;
	size_t n = strlen(openapi_etag);
	for (const char *p = header; *p != '\0';) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, openapi_etag, n) == 0 && strchr(" \t,", p[n]) != NULL)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

enum status api_openapi(struct request *req)
{
	reply_header(req, "Cache-Control", OPENAPI_CACHE);
	reply_header(req, "ETag", openapi_etag);
	char *text = malloc(openapi_json_len + 1);
	if (text == NULL)
		abort();
	memcpy(text, openapi_json, openapi_json_len + 1);
	/* a 304 keeps the document as its body: MHD sends no body with a 304,
	 * only the Content-Length of the one a 200 would have had (RFC 9110
	 * 8.6; an empty body would claim 0) */
	int code = etag_matches(req_header(req, "If-None-Match")) ? 304 : 200;
	return reply_text(req, code, "application/json", text);
}
