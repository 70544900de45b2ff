/*
 * fuzz_origin.c: libFuzzer target for core/origin.c. Inputs with a NUL are
 * skipped (the API hands it C strings). Traps when an invariant breaks: an
 * accepted origin is printable ASCII with no uppercase letter, no '/' after
 * "//", no '?', '#', '@' or '*'; an accepted origin is also a valid redirect
 * URL, and so is it with "/" appended; an accepted domain is a valid origin
 * host ("https://" + it); a redirect URL entry always allows itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/origin.h"

static void check_origin(const char *s)
{
	const char *host = strstr(s, "://");
	if (host == NULL)
		__builtin_trap();
	for (const char *p = s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || (*p >= 'A' && *p <= 'Z') || *p == '?' ||
		    *p == '#' || *p == '@' || *p == '*')
			__builtin_trap();
		if (p > host + 2 && *p == '/')
			__builtin_trap();
	}
	if (!redirect_url_valid(s))
		__builtin_trap();
	size_t n = strlen(s);
	char *slash = malloc(n + 2);
	memcpy(slash, s, n);
	slash[n] = '/';
	slash[n + 1] = '\0';
	if (origin_valid(slash) || !redirect_url_valid(slash))
		__builtin_trap();
	free(slash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	char *in = strndup((const char *)data, size);
	if (origin_valid(in))
		check_origin(in);
	if (redirect_url_valid(in) && !redirect_url_allowed(in, in))
		__builtin_trap();
	if (domain_valid(in)) {
		char *o = malloc(size + 9);
		memcpy(o, "https://", 8);
		memcpy(o + 8, in, size + 1);
		/* a long or all-numeric domain may still not be an origin host */
		if (size <= DOMAIN_MAX && strspn(in, "0123456789.") != size && !origin_valid(o))
			__builtin_trap();
		free(o);
	}
	free(in);
	return 0;
}
