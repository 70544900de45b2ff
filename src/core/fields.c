/*
 * fields.c: validation helpers with no I/O. UTF-8 checking here is strict
 * (no overlongs, no surrogates) because values end up in databases and mail.
 */
#include "fields.h"

#include <string.h>

void fields_add(struct arena *a, struct field_errors *fe, const char *field, const char *code)
{
	struct field_error *e = arena_alloc(a, sizeof *e);
	e->field = field;
	e->code = code;
	/* append to keep report order stable */
	struct field_error **pp = &fe->head;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = e;
	fe->count++;
}

/* Decode one code point; returns its length or 0 when malformed. */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	unsigned min;
	if ((c & 0xE0) == 0xC0) {
		n = 2, min = 0x80, c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, min = 0x800, c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

bool text_valid(const char *s, size_t min_chars, size_t max_chars)
{
	size_t count = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		size_t n = utf8_next(p, &cp);
		/* C0, DEL and C1 (U+0080..U+009F; U+0085 is NEL) are all controls */
		if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return false;
		p += n;
		if (++count > max_chars)
			return false;
	}
	return count >= min_chars;
}

bool url_valid_http(const char *s)
{
	size_t len = strlen(s);
	if (len > 2048)
		return false;
	const char *rest;
	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (*rest == '\0' || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F)
			return false;
	return true;
}
