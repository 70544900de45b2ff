/*
 * email.c: address validation that accepts what real users type (plus
 * addressing, subdomains, IDN in UTF-8) and refuses what can hurt: control
 * characters, spaces (NBSP, U+3000), invisible format characters (zero-width,
 * bidi controls, BOM), CR/LF header injection, missing domain dots. Lookalikes
 * collapse: NFKC and Unicode case folding (libunistring) before comparing.
 */
#include "email.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "fields.h"

static bool local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch == 0x7f || strchr("\"(),:;<>[\\]", ch) != NULL)
			return false;
		if (ch == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static bool domain_ok(const char *s, size_t n)
{
	if (n < 3 || n > 253 || memchr(s, '.', n) == NULL)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch >= 0x80 || (ch == '-' && label > 0);
		if (!ok || ++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

/* Valid UTF-8 without any character of category C (Cc controls, Cf format
 * such as U+200B..U+200F, U+202A..U+202E, U+2066..U+2069, U+FEFF; Cs, Co,
 * unassigned Cn) or Z (Zs spaces such as U+00A0, U+3000; Zl, Zp). */
static bool chars_ok(const uint8_t *s, size_t n)
{
	if (u8_check(s, n) != NULL)
		return false;
	uc_general_category_t bad = uc_general_category_or(UC_CATEGORY_C, UC_CATEGORY_Z);
	while (n > 0) {
		ucs4_t uc;
		int len = u8_mbtoucr(&uc, s, n);
		if (len <= 0 || uc_is_general_category(uc, bad))
			return false;
		s += len;
		n -= (size_t)len;
	}
	return true;
}

/* A libunistring result (malloc'd, not terminated) into the arena. */
static char *take(struct arena *a, uint8_t *r, size_t n)
{
	if (r == NULL)
		return NULL;
	char *out = n <= EMAIL_MAX ? arena_strndup(a, (const char *)r, n) : NULL;
	free(r);
	return out;
}

static bool shape_ok(const char *t)
{
	if (!text_valid(t, 3, EMAIL_MAX) || !chars_ok((const uint8_t *)t, strlen(t)))
		return false;
	const char *at = strchr(t, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	return local_ok(t, (size_t)(at - t)) && domain_ok(at + 1, strlen(at + 1));
}

/*
 * The characters are checked before normalising (NFKC turns NBSP into a
 * plain space, which would then only be refused by luck) and the shape after
 * (NFKC turns a fullwidth '@' or '.' into the ASCII one). Existing stored
 * emails are lower-cased ASCII (email_normalized was ASCII-lower-cased
 * before), and for them NFKC + case folding is the identity, so those rows
 * still match. Only a non-ASCII address stored with upper-case or
 * compatibility characters would need its row re-normalised.
 */
bool email_normalize(struct arena *a, const char *in, char **trimmed, char **normalized)
{
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	size_t n = strlen(in);
	while (n > 0 &&
	       (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '\n'))
		n--;
	if (n == 0 || n > EMAIL_MAX || !chars_ok((const uint8_t *)in, n))
		return false;
	size_t len = 0;
	uint8_t *r = u8_normalize(UNINORM_NFKC, (const uint8_t *)in, n, NULL, &len);
	char *t = take(a, r, len);
	if (t == NULL || !shape_ok(t))
		return false;
	r = u8_casefold((const uint8_t *)t, strlen(t), NULL, UNINORM_NFKC, NULL, &len);
	char *low = take(a, r, len);
	if (low == NULL || !shape_ok(low))
		return false;
	*trimmed = t;
	*normalized = low;
	return true;
}
