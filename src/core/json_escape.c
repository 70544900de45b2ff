/*
 * json_escape.c: see json_escape.h.
 */
#include "json_escape.h"

#include <stdbool.h>
#include <stdio.h>

static bool plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
}

void json_escape(const char *s, void (*put)(void *sink, const char *bytes, size_t n), void *sink)
{
	put(sink, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (plain(*p)) {
			size_t n = 1;
			while (plain(p[n]))
				n++;
			put(sink, (const char *)p, n);
			p += n - 1;
		} else if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(sink, esc, 2);
		} else {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			put(sink, esc, 6);
		}
	}
	put(sink, "\"", 1);
}
