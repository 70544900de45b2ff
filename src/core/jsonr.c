/*
 * jsonr.c: a recursive-descent reader for exactly two shapes (jsonr.h). It
 * works in two passes over the text: count, then fill, so results are one
 * arena allocation each. Never trusts the input: every byte is bounds
 * checked against the terminating NUL, and \u escapes are decoded to UTF-8
 * (surrogate pairs joined, lone surrogates refused).
 */
#include "jsonr.h"

#include <string.h>

struct rd {
	const char *p;
	struct arena *a;
};

static void skip_ws(struct rd *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static bool eat(struct rd *r, char ch)
{
	skip_ws(r);
	if (*r->p != ch)
		return false;
	r->p++;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		int d = ch >= '0' && ch <= '9'   ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;
		if (d < 0)
			return -1; /* also stops at the NUL */
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xC0 | (cp >> 6));
		w[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xE0 | (cp >> 12));
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		w[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	w[0] = (char)(0xF0 | (cp >> 18));
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	w[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* One \u escape at p (after the backslash and 'u'); *len its text length. */
static bool unicode_escape(const char *p, unsigned *cp, size_t *len)
{
	int hi = hex4(p);
	if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
		return false;
	*len = 4;
	*cp = (unsigned)hi;
	if (hi < 0xD800 || hi > 0xDBFF)
		return true;
	if (p[4] != '\\' || p[5] != 'u')
		return false;
	int lo = hex4(p + 6);
	if (lo < 0xDC00 || lo > 0xDFFF)
		return false;
	*cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
	*len = 10;
	return true;
}

/* A string literal; *out (arena) when out is not NULL. The decoded text is
 * never longer than the literal, so one allocation of its length is enough. */
static bool string_lit(struct rd *r, char **out)
{
	if (!eat(r, '"'))
		return false;
	const char *start = r->p;
	char *w = NULL, *buf = NULL;
	if (out != NULL) {
		const char *q = start;
		while (*q != '\0' && *q != '"')
			q += (*q == '\\' && q[1] != '\0') ? 2 : 1;
		buf = w = arena_alloc(r->a, (size_t)(q - start) + 1);
	}
	for (;;) {
		unsigned char ch = (unsigned char)*r->p;
		if (ch == '\0' || ch < 0x20)
			return false;
		if (ch == '"')
			break;
		if (ch != '\\') {
			if (w)
				*w++ = (char)ch;
			r->p++;
			continue;
		}
		char e = r->p[1];
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e != '\0' && simple != NULL) {
			if (w)
				*w++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
			r->p += 2;
			continue;
		}
		unsigned cp;
		size_t len;
		if (e != 'u' || !unicode_escape(r->p + 2, &cp, &len) || cp == 0)
			return false; /* a NUL would cut the C string short */
		if (w)
			w += put_utf8(w, cp);
		r->p += 2 + len;
	}
	r->p++;
	if (w) {
		*w = '\0';
		*out = buf;
	}
	return true;
}

/* An integer (no fraction, no exponent, no leading zeros) or null. */
static bool int_or_null(struct rd *r, bool *null, int64_t *v)
{
	skip_ws(r);
	if (strncmp(r->p, "null", 4) == 0) {
		r->p += 4;
		*null = true;
		*v = 0;
		return true;
	}
	bool neg = *r->p == '-';
	if (neg)
		r->p++;
	if (*r->p < '0' || *r->p > '9' || (*r->p == '0' && r->p[1] >= '0' && r->p[1] <= '9'))
		return false;
	uint64_t acc = 0, cap = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *r->p >= '0' && *r->p <= '9'; r->p++) {
		unsigned d = (unsigned)(*r->p - '0');
		if (acc > (cap - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	if (*r->p == '.' || *r->p == 'e' || *r->p == 'E')
		return false;
	*null = false;
	*v = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
	return true;
}

static bool at_end(struct rd *r)
{
	skip_ws(r);
	return *r->p == '\0';
}

/* Both shapes: open, items separated by commas, close, nothing after. One
 * pass counts (out NULL), the second fills. */
static int array_pass(struct rd *r, char **out)
{
	if (!eat(r, '['))
		return -1;
	int n = 0;
	if (eat(r, ']'))
		return at_end(r) ? 0 : -1;
	do {
		if (!string_lit(r, out ? &out[n] : NULL))
			return -1;
		n++;
	} while (eat(r, ','));
	return eat(r, ']') && at_end(r) ? n : -1;
}

static int object_pass(struct rd *r, struct jsonr_member *out)
{
	if (!eat(r, '{'))
		return -1;
	int n = 0;
	if (eat(r, '}'))
		return at_end(r) ? 0 : -1;
	do {
		char *key = NULL;
		bool null;
		int64_t v;
		if (!string_lit(r, out ? &key : NULL) || !eat(r, ':') || !int_or_null(r, &null, &v))
			return -1;
		if (out) {
			out[n].key = key;
			out[n].null = null;
			out[n].value = v;
		}
		n++;
	} while (eat(r, ','));
	return eat(r, '}') && at_end(r) ? n : -1;
}

int jsonr_string_array(struct arena *a, const char *json, const char ***out)
{
	*out = NULL;
	if (json == NULL)
		return -1;
	struct rd r = {json, a};
	int n = array_pass(&r, NULL);
	if (n < 0)
		return -1;
	char **items = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
	r.p = json;
	array_pass(&r, items);
	items[n] = NULL;
	*out = (const char **)items;
	return n;
}

int jsonr_int_object(struct arena *a, const char *json, struct jsonr_member **out)
{
	*out = NULL;
	if (json == NULL)
		return -1;
	struct rd r = {json, a};
	int n = object_pass(&r, NULL);
	if (n < 0)
		return -1;
	*out = arena_alloc(a, sizeof(struct jsonr_member) * (size_t)(n + 1));
	r.p = json;
	object_pass(&r, *out);
	return n;
}
