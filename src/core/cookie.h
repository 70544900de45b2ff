/*
 * cookie.h: one cookie's value out of a Cookie request header (RFC 6265
 * section 4.2: "name=value; name2=value2"), and the Set-Cookie value of a
 * session cookie. Pure functions: cookie_find allocates nothing and points
 * into the header it is given. Fuzzed by tests/fuzz/fuzz_cookie.c.
 */
#ifndef SAASD_CORE_COOKIE_H
#define SAASD_CORE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define COOKIE_VALUE_MAX 256 /* longer values of the cookie sought are refused */

enum cookie_lookup {
	COOKIE_ABSENT, /* no pair with that name (or only empty values) */
	COOKIE_FOUND, /* exactly one non-empty, well-formed value */
	COOKIE_INVALID, /* the name twice, or a value that is not cookie-octets */
};

/*
 * Look for name in header (may be NULL: absent). The header is split at
 * ';'; each piece is trimmed of spaces and tabs; a piece without '=' is
 * skipped (it names no cookie we look for); the name before '=' (trimmed)
 * must equal name exactly (case-sensitive). Its value (trimmed, one pair
 * of surrounding double quotes removed) must be 1..COOKIE_VALUE_MAX
 * cookie-octets (printable ASCII but space, '"', ',', ';' and '\'), else
 * COOKIE_INVALID. An empty value counts as no cookie (a cleared cookie).
 * The name twice with non-empty values is COOKIE_INVALID, never "first
 * wins": a browser orders duplicates by path and age, and a cookie planted
 * by a sibling subdomain could come first. Pieces of other cookies are not
 * checked at all. On COOKIE_FOUND, *value points into header, *len bytes.
 */
enum cookie_lookup cookie_find(const char *header, const char *name, const char **value,
			       size_t *len);

/* True when s[0..n) is 1..COOKIE_VALUE_MAX cookie-octets. */
bool cookie_value_valid(const char *s, size_t n);

/*
 * The Set-Cookie value (in a's memory) of cookie name=value with HttpOnly;
 * Secure; SameSite=Lax; Path=/; Max-Age=max_age_s (negative counts as 0),
 * and "; Domain=<domain>" when domain is not NULL or empty. value and
 * domain must already be valid (a token of cookie-octets, a domain of
 * core/origin.c's domain_valid); value "" with max_age_s 0 clears it.
 */
char *cookie_set_header(struct arena *a, const char *name, const char *value, const char *domain,
			int64_t max_age_s);

#endif
