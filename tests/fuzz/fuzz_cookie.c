/*
 * fuzz_cookie.c: libFuzzer target for core/cookie.c. The input is a Cookie
 * header (inputs with a NUL are skipped: MHD hands headers over as C
 * strings). Traps when an invariant breaks: a found value lies inside the
 * header, is 1..COOKIE_VALUE_MAX cookie-octets and, set as the only cookie
 * of a fresh header, is found again as it was; nothing is handed out
 * unless found; and the lookup of a name that contains '=' or ';' (which
 * no pair can carry) never finds anything.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cookie.h"

static void check_name(const char *in, size_t size, const char *name)
{
	const char *v;
	size_t n;
	enum cookie_lookup r = cookie_find(in, name, &v, &n);
	if (r != COOKIE_FOUND) {
		if (v != NULL || n != 0)
			__builtin_trap();
		return;
	}
	if (v < in || v + n > in + size || !cookie_value_valid(v, n))
		__builtin_trap();
	size_t nlen = strlen(name);
	char *again = malloc(nlen + 1 + n + 1);
	memcpy(again, name, nlen);
	again[nlen] = '=';
	memcpy(again + nlen + 1, v, n);
	again[nlen + 1 + n] = '\0';
	const char *v2;
	size_t n2;
	/* the value has no quotes left (they are no cookie-octets) */
	if (cookie_find(again, name, &v2, &n2) != COOKIE_FOUND || n2 != n || memcmp(v2, v, n) != 0)
		__builtin_trap();
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	char *in = strndup((const char *)data, size);
	check_name(in, size, "saasd_session");
	check_name(in, size, "a");
	const char *v;
	size_t n;
	if (cookie_find(in, "a=b", &v, &n) == COOKIE_FOUND ||
	    cookie_find(in, "a;b", &v, &n) == COOKIE_FOUND)
		__builtin_trap();
	free(in);
	return 0;
}
