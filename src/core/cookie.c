/*
 * cookie.c: see cookie.h. The Cookie header is attacker-controlled text of
 * any length: one pass, no allocation, nothing read past its NUL. Only the
 * pair sought is judged; the rest of the header may be anything.
 */
#include "cookie.h"

#include <string.h>

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
static bool cookie_octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool cookie_value_valid(const char *s, size_t n)
{
	if (n == 0 || n > COOKIE_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!cookie_octet((unsigned char)s[i]))
			return false;
	return true;
}

/* [*b, *e) trimmed of spaces and tabs at both ends. */
static void trim(const char **b, const char **e)
{
	while (*b < *e && ows(**b))
		(*b)++;
	while (*e > *b && ows((*e)[-1]))
		(*e)--;
}

enum cookie_lookup cookie_find(const char *header, const char *name, const char **value,
			       size_t *len)
{
	*value = NULL;
	*len = 0;
	if (header == NULL || name == NULL || name[0] == '\0')
		return COOKIE_ABSENT;
	size_t nlen = strlen(name);
	enum cookie_lookup found = COOKIE_ABSENT;
	const char *p = header;
	for (;;) {
		const char *end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			const char *nb = p, *ne = eq, *vb = eq + 1, *ve = end;
			trim(&nb, &ne);
			trim(&vb, &ve);
			if ((size_t)(ne - nb) == nlen && memcmp(nb, name, nlen) == 0) {
				if (ve - vb >= 2 && vb[0] == '"' && ve[-1] == '"') {
					vb++;
					ve--;
				}
				size_t vlen = (size_t)(ve - vb);
				if (vlen > 0) {
					if (found != COOKIE_ABSENT ||
					    !cookie_value_valid(vb, vlen)) {
						*value = NULL;
						*len = 0;
						return COOKIE_INVALID;
					}
					found = COOKIE_FOUND;
					*value = vb;
					*len = vlen;
				}
			}
		}
		if (*end == '\0')
			return found;
		p = end + 1;
	}
}

char *cookie_set_header(struct arena *a, const char *name, const char *value, const char *domain,
			int64_t max_age_s)
{
	if (max_age_s < 0)
		max_age_s = 0;
	bool with_domain = domain != NULL && domain[0] != '\0';
	return arena_printf(a, "%s=%s; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=%lld%s%s",
			    name, value, (long long)max_age_s, with_domain ? "; Domain=" : "",
			    with_domain ? domain : "");
}
