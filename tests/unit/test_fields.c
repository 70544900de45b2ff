/*
 * test_fields.c: unit tests for src/core/fields.c. Pins down text_valid()
 * (strict UTF-8, lengths in code points, no control characters: C0, DEL and
 * C1), url_valid_http(), and that fields_add() keeps report order.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "core/fields.h"

TEST(test_fields_text_valid_accepts_plain_ascii_within_bounds)
{
	CHECK(text_valid("hello", 1, 10));
	CHECK(text_valid("Acme, Inc. (EU) #1 ~ {x}", 1, 100));
	CHECK(text_valid(" ", 1, 1)); /* space is not a control character */
	CHECK(text_valid("", 0, 10));
	CHECK(text_valid("abc", 3, 3));
}

TEST(test_fields_text_valid_refuses_too_short_or_too_long)
{
	CHECK(!text_valid("", 1, 10));
	CHECK(!text_valid("ab", 3, 10));
	CHECK(!text_valid("abcd", 1, 3));
	CHECK(!text_valid("a", 1, 0));
}

TEST(test_fields_text_valid_counts_code_points_not_bytes)
{
	/* "Zürich": 6 code points, 7 bytes */
	CHECK(text_valid("Z\xc3\xbcrich", 6, 6));
	CHECK(!text_valid("Z\xc3\xbcrich", 1, 5));
	CHECK(!text_valid("Z\xc3\xbcrich", 7, 10));
	/* "€€€": 3 code points, 9 bytes */
	CHECK(text_valid("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 3, 3));
	CHECK(!text_valid("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 1, 2));
	/* two emoji: 2 code points, 8 bytes */
	CHECK(text_valid("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2, 2));
	CHECK(!text_valid("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1, 1));
	/* "日本": 2 code points, 6 bytes; min counts code points too */
	CHECK(text_valid("\xe6\x97\xa5\xe6\x9c\xac", 2, 2));
	CHECK(!text_valid("\xe6\x97\xa5\xe6\x9c\xac", 3, 10));
}

TEST(test_fields_text_valid_accepts_every_encoding_length_at_its_boundaries)
{
	CHECK(text_valid("\x20", 1, 1)); /* U+0020 */
	CHECK(text_valid("\x7e", 1, 1)); /* U+007E */
	CHECK(text_valid("\xc2\xa0", 1, 1)); /* U+00A0, first after C1 */
	CHECK(text_valid("\xdf\xbf", 1, 1)); /* U+07FF */
	CHECK(text_valid("\xe0\xa0\x80", 1, 1)); /* U+0800 */
	CHECK(text_valid("\xed\x9f\xbf", 1, 1)); /* U+D7FF */
	CHECK(text_valid("\xee\x80\x80", 1, 1)); /* U+E000 */
	CHECK(text_valid("\xef\xbf\xbd", 1, 1)); /* U+FFFD */
	CHECK(text_valid("\xf0\x90\x80\x80", 1, 1)); /* U+10000 */
	CHECK(text_valid("\xf4\x8f\xbf\xbf", 1, 1)); /* U+10FFFF */
}

TEST(test_fields_text_valid_refuses_overlong_encodings)
{
	const char *bad[] = {
		"\xc0\x80", /* NUL as two bytes */
		"\xc0\xaf", /* '/' */
		"\xc1\xbf", /* U+007F */
		"\xe0\x80\x80", /* NUL as three bytes */
		"\xe0\x80\xaf", /* '/' */
		"\xe0\x9f\xbf", /* U+07FF as three bytes */
		"\xf0\x80\x80\x80", /* NUL as four bytes */
		"\xf0\x8f\xbf\xbf", /* U+FFFF as four bytes */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!text_valid(bad[i], 0, 100));
}

TEST(test_fields_text_valid_refuses_utf16_surrogates)
{
	CHECK(!text_valid("\xed\xa0\x80", 0, 100)); /* U+D800 */
	CHECK(!text_valid("\xed\xaf\xbf", 0, 100)); /* U+DBFF */
	CHECK(!text_valid("\xed\xb0\x80", 0, 100)); /* U+DC00 */
	CHECK(!text_valid("\xed\xbf\xbf", 0, 100)); /* U+DFFF */
	/* a CESU-8 pair for U+1F600 is two surrogates, not one code point */
	CHECK(!text_valid("\xed\xa0\xbd\xed\xb8\x80", 0, 100));
}

TEST(test_fields_text_valid_refuses_bytes_above_f4)
{
	const char *bad[] = {
		"\xf4\x90\x80\x80", /* U+110000 */
		"\xf5\x80\x80\x80",
		"\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80",
		"\xfc\x84\x80\x80\x80\x80",
		"\xfe",
		"\xff",
		"ok\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!text_valid(bad[i], 0, 100));
}

TEST(test_fields_text_valid_refuses_truncated_and_stray_bytes)
{
	const char *bad[] = {
		"\xc3", /* lead byte at the end */
		"a\xe2\x82", /* three-byte sequence cut short */
		"\xf0\x9f\x98", /* four-byte sequence cut short */
		"\xc3"
		"a", /* continuation replaced by ASCII */
		"\xe2\x82"
		"a",
		"\x80", /* lone continuation */
		"a\xbf"
		"b",
		"\xc3\xbc\xbc", /* one continuation too many */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!text_valid(bad[i], 0, 100));
}

TEST(test_fields_text_valid_refuses_c0_controls_and_del)
{
	const char *bad[] = {"a\tb", "line\n", "\r\n", "x\x01", "\x1f", "\x1b[31m", "a\x7f"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!text_valid(bad[i], 0, 100));
	/* every C0 byte, one at a time */
	int accepted = 0;
	for (int c = 1; c < 0x20; c++) {
		char s[4] = {'a', (char)c, 'b', '\0'};
		accepted += text_valid(s, 0, 100);
	}
	CHECK(accepted == 0);
}

TEST(test_fields_text_valid_refuses_c1_controls)
{
	/* U+0080..U+009F are control characters too; U+0085 (NEL) is a line
	 * break to some mail and log readers */
	int accepted = 0;
	for (unsigned cp = 0x80; cp <= 0x9F; cp++) {
		char s[3] = {(char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F)), '\0'};
		accepted += text_valid(s, 0, 100);
	}
	CHECK(accepted == 0);
	CHECK(!text_valid("Name\xc2\x85"
			  "Bcc: x@example.com",
			  0, 100));
}

TEST(test_fields_url_valid_http_accepts_absolute_http_and_https)
{
	CHECK(url_valid_http("http://example.com"));
	CHECK(url_valid_http("https://example.com"));
	CHECK(url_valid_http("https://example.com/"));
	CHECK(url_valid_http("https://app.example.com:8443/verify?token={token}&x=1#frag"));
	CHECK(url_valid_http("http://localhost:8080/hook"));
	CHECK(url_valid_http("http://10.0.0.1/a%20b"));
	CHECK(url_valid_http("https://[::1]:8443/"));
}

TEST(test_fields_url_valid_http_refuses_other_schemes_and_relative_urls)
{
	const char *bad[] = {"",
			     "example.com",
			     "/path",
			     "//example.com",
			     "ftp://example.com",
			     "javascript:alert(1)",
			     "data:text/html,x",
			     "mailto:a@b.c",
			     "http:/example.com",
			     "http:example.com",
			     "https//example.com",
			     " http://example.com"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool ok = url_valid_http(bad[i]);
		if (ok)
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
		CHECK(!ok);
	}
}

TEST(test_fields_url_valid_http_refuses_missing_host)
{
	const char *bad[] = {"http://",       "https://",    "http:///path",
			     "https://:443/", "http://?q=1", "https://#frag"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!url_valid_http(bad[i]));
}

TEST(test_fields_url_valid_http_refuses_spaces_controls_and_non_ascii)
{
	const char *bad[] = {"http://exa mple.com",     "http://example.com/a b",
			     "http://example.com/\t",   "http://example.com/\r\nX-Injected: 1",
			     "http://example.com/\x7f", "https://ex\xc3\xa4mple.com/",
			     "http://example.com/\x80", "http://example.com "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!url_valid_http(bad[i]));
}

TEST(test_fields_url_valid_http_refuses_more_than_2048_bytes)
{
	char url[2100];
	int n = snprintf(url, sizeof url, "https://example.com/");
	memset(url + n, 'a', 2048 - (size_t)n);
	url[2048] = '\0';
	CHECK(strlen(url) == 2048);
	CHECK(url_valid_http(url));
	url[2048] = 'a';
	url[2049] = '\0';
	CHECK(!url_valid_http(url));
}

TEST(test_fields_add_keeps_insertion_order_and_count)
{
	struct arena a;
	arena_init(&a, 0);
	struct field_errors fe = {0};
	fields_add(&a, &fe, "email", "invalid_format");
	fields_add(&a, &fe, "password", "too_short");
	fields_add(&a, &fe, "email", "required");
	CHECK(fe.count == 3);
	const struct field_error *e = fe.head;
	CHECK(e != NULL && strcmp(e->field, "email") == 0 &&
	      strcmp(e->code, "invalid_format") == 0);
	e = e ? e->next : NULL;
	CHECK(e != NULL && strcmp(e->field, "password") == 0 && strcmp(e->code, "too_short") == 0);
	e = e ? e->next : NULL;
	CHECK(e != NULL && strcmp(e->field, "email") == 0 && strcmp(e->code, "required") == 0);
	CHECK(e != NULL && e->next == NULL);
	arena_destroy(&a);
}

int main(void)
{
	RUN(test_fields_text_valid_accepts_plain_ascii_within_bounds);
	RUN(test_fields_text_valid_refuses_too_short_or_too_long);
	RUN(test_fields_text_valid_counts_code_points_not_bytes);
	RUN(test_fields_text_valid_accepts_every_encoding_length_at_its_boundaries);
	RUN(test_fields_text_valid_refuses_overlong_encodings);
	RUN(test_fields_text_valid_refuses_utf16_surrogates);
	RUN(test_fields_text_valid_refuses_bytes_above_f4);
	RUN(test_fields_text_valid_refuses_truncated_and_stray_bytes);
	RUN(test_fields_text_valid_refuses_c0_controls_and_del);
	RUN(test_fields_text_valid_refuses_c1_controls);
	RUN(test_fields_url_valid_http_accepts_absolute_http_and_https);
	RUN(test_fields_url_valid_http_refuses_other_schemes_and_relative_urls);
	RUN(test_fields_url_valid_http_refuses_missing_host);
	RUN(test_fields_url_valid_http_refuses_spaces_controls_and_non_ascii);
	RUN(test_fields_url_valid_http_refuses_more_than_2048_bytes);
	RUN(test_fields_add_keeps_insertion_order_and_count);
	return check_done("fields");
}
