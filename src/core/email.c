/*
 * email.c: address validation that accepts what real users type (plus
 * addressing, subdomains, IDN in UTF-8) and refuses what can hurt: control
 * characters, spaces, CR/LF header injection, missing domain dots.
 */
#include "email.h"

#include <string.h>

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

bool email_normalize(struct arena *a, const char *in, char **trimmed, char **normalized)
{
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	size_t n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' ||
			 in[n - 1] == '\n'))
		n--;
	if (n == 0 || n > EMAIL_MAX)
		return false;
	char *t = arena_strndup(a, in, n);
	if (!text_valid(t, 3, EMAIL_MAX))
		return false;
	char *at = strchr(t, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	if (!local_ok(t, (size_t)(at - t)) || !domain_ok(at + 1, strlen(at + 1)))
		return false;
	char *low = arena_strdup(a, t);
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	*trimmed = t;
	*normalized = low;
	return true;
}
