/*
 * test_cookie.c: unit tests for src/core/cookie.c: finding one cookie in a
 * Cookie header (whitespace, quotes, other cookies around it, pieces
 * without '='), what is refused (the name twice, bad octets, a value too
 * long), what counts as absent (no header, empty values, a prefix of the
 * name), and the Set-Cookie value of a session cookie.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "core/cookie.h"

static const char *found(const char *header, const char *name)
{
	static char buf[COOKIE_VALUE_MAX + 1];
	const char *v;
	size_t n;
	if (cookie_find(header, name, &v, &n) != COOKIE_FOUND)
		return NULL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

static enum cookie_lookup lookup(const char *header, const char *name)
{
	const char *v;
	size_t n;
	enum cookie_lookup r = cookie_find(header, name, &v, &n);
	if (r != COOKIE_FOUND && (v != NULL || n != 0))
		return (enum cookie_lookup)99; /* nothing handed out unless found */
	return r;
}

TEST(cookie_found_among_others_and_whitespace)
{
	CHECK_STR(found("saasd_session=abc", "saasd_session"), "abc");
	CHECK_STR(found("a=1; saasd_session=abc; b=2", "saasd_session"), "abc");
	CHECK_STR(found("a=1;saasd_session=abc;b=2", "saasd_session"), "abc");
	CHECK_STR(found("  saasd_session \t=\t abc  ; b=2", "saasd_session"), "abc");
	CHECK_STR(found("a=1; saasd_session=abc;", "saasd_session"), "abc");
	CHECK_STR(found("x; saasd_session=abc", "saasd_session"), "abc"); /* no '=' piece */
	CHECK_STR(found("a=b=c; saasd_session=abc", "saasd_session"), "abc");
	CHECK_STR(found("saasd_session=a=b", "saasd_session"), "a=b"); /* '=' is an octet */
	CHECK_STR(found("saasd_session=\"abc\"", "saasd_session"), "abc");
	CHECK_STR(found("saasd_session=\"\"; saasd_session=z", "saasd_session"), "z");
	CHECK_STR(found("other=\"bad value\x01\xc3\xa9\"; saasd_session=abc", "saasd_session"),
		  "abc"); /* other cookies are not judged */
	CHECK_STR(found("saasd_session=abc; other=\x7f", "saasd_session"), "abc");
}

TEST(cookie_absent)
{
	CHECK(lookup(NULL, "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup(";;;", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("saasd_session", "saasd_session") == COOKIE_ABSENT); /* no '=' */
	CHECK(lookup("saasd_session=", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("saasd_session=  ; a=1", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("saasd_session=\"\"", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("Saasd_Session=abc", "saasd_session") == COOKIE_ABSENT); /* case-sensitive */
	CHECK(lookup("saasd_sessionx=abc; xsaasd_session=abc", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("saasd=abc", "saasd_session") == COOKIE_ABSENT);
	CHECK(lookup("a=1", "") == COOKIE_ABSENT);
}

TEST(cookie_refused)
{
	/* the name twice: never "first wins" */
	CHECK(lookup("saasd_session=a; saasd_session=b", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a; saasd_session=a", "saasd_session") == COOKIE_INVALID);
	/* octets outside cookie-octet */
	CHECK(lookup("saasd_session=a b", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a,b", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a\\b", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=\"a", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a\"", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=\"a\"b\"", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=\xc3\xa9", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a\x01", "saasd_session") == COOKIE_INVALID);
	CHECK(lookup("saasd_session=a\x7f", "saasd_session") == COOKIE_INVALID);
	/* too long */
	char big[COOKIE_VALUE_MAX + 40];
	strcpy(big, "saasd_session=");
	size_t off = strlen(big);
	memset(big + off, 'x', COOKIE_VALUE_MAX);
	big[off + COOKIE_VALUE_MAX] = '\0';
	CHECK(lookup(big, "saasd_session") == COOKIE_FOUND);
	big[off + COOKIE_VALUE_MAX] = 'x';
	big[off + COOKIE_VALUE_MAX + 1] = '\0';
	CHECK(lookup(big, "saasd_session") == COOKIE_INVALID);
}

TEST(cookie_huge_header_of_other_cookies)
{
	static char h[70000];
	size_t n = 0;
	while (n + 20 < sizeof h) {
		memcpy(h + n, "k=vvvvvvvvvvvvvv; ", 18);
		n += 18;
	}
	memcpy(h + n, "saasd_session=t", 16);
	CHECK_STR(found(h, "saasd_session"), "t");
}

TEST(cookie_value_octets)
{
	CHECK(cookie_value_valid("abcXYZ019", 9));
	CHECK(cookie_value_valid("!#$%&'()*+-./:<=>?@[]^_`{|}~", 28));
	CHECK(!cookie_value_valid("", 0));
	CHECK(!cookie_value_valid(" ", 1));
	CHECK(!cookie_value_valid(";", 1));
}

TEST(set_cookie_header_attributes)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(cookie_set_header(&a, "saasd_session", "tok", NULL, 3600),
		  "saasd_session=tok; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=3600");
	CHECK_STR(cookie_set_header(&a, "saasd_session", "tok", "", 1),
		  "saasd_session=tok; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=1");
	CHECK_STR(cookie_set_header(&a, "saasd_session", "", "example.com", -5),
		  "saasd_session=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0; "
		  "Domain=example.com");
	arena_destroy(&a);
}

int main(void)
{
	RUN(cookie_found_among_others_and_whitespace);
	RUN(cookie_absent);
	RUN(cookie_refused);
	RUN(cookie_huge_header_of_other_cookies);
	RUN(cookie_value_octets);
	RUN(set_cookie_header_attributes);
	return check_done("cookie");
}
