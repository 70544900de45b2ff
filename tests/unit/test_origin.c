/*
 * test_origin.c: unit tests for src/core/origin.c: exact web origins (scheme,
 * lowercase host, port; nothing after), redirect URLs and their prefix
 * rule, and cookie domains.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "core/origin.h"

TEST(origins_accepted)
{
	const char *ok[] = {
		"https://app.example.com",  "http://localhost:3000", "http://localhost",
		"https://a.b-c.d9.example", "http://127.0.0.1:8080", "https://x:1",
		"https://x:65535",          "https://1e100.net",     NULL,
	};
	for (int i = 0; ok[i] != NULL; i++) {
		if (!origin_valid(ok[i]))
			fprintf(stderr, "  refused %s\n", ok[i]);
		CHECK(origin_valid(ok[i]));
	}
}

TEST(origins_refused)
{
	char long_host[400];
	memset(long_host, 0, sizeof long_host);
	strcpy(long_host, "https://");
	for (int i = 0; i < 5; i++)
		strcat(long_host, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(long_host, "com");
	const char *bad[] = {
		"",
		"https://",
		"https://app.example.com/",
		"https://app.example.com/path",
		"https://app.example.com?q=1",
		"https://app.example.com#f",
		"https://App.example.com",
		"HTTPS://app.example.com",
		"ftp://app.example.com",
		"//app.example.com",
		"app.example.com",
		"https://*.example.com",
		"*",
		"null",
		"https://user@app.example.com",
		"https://app.example.com:",
		"https://app.example.com:0",
		"https://app.example.com:080",
		"https://app.example.com:65536",
		"https://app.example.com:123456",
		"https://app..example.com",
		"https://.example.com",
		"https://example.com.",
		"https://-a.example.com",
		"https://a-.example.com",
		"https://a_b.example.com",
		"https://256.0.0.1",
		"https://1.2.3",
		"https://01.2.3.4",
		"https://[::1]:3000",
		"https://app.example.com ",
		" https://app.example.com",
		"https://app.ex\xc3\xa4mple.com",
		long_host,
		NULL,
	};
	for (int i = 0; bad[i] != NULL; i++) {
		if (origin_valid(bad[i]))
			fprintf(stderr, "  accepted %s\n", bad[i]);
		CHECK(!origin_valid(bad[i]));
	}
}

TEST(redirect_urls)
{
	CHECK(redirect_url_valid("https://app.example.com/callback"));
	CHECK(redirect_url_valid("https://app.example.com/auth/"));
	CHECK(redirect_url_valid("http://localhost:3000/cb?x=1&y=2"));
	CHECK(redirect_url_valid("https://app.example.com"));
	CHECK(!redirect_url_valid("https://app.example.com/cb#frag"));
	CHECK(!redirect_url_valid("https://app.example.com/c b"));
	CHECK(!redirect_url_valid("https://app.example.com?x=1"));
	CHECK(!redirect_url_valid("javascript:alert(1)"));
	CHECK(!redirect_url_valid("/relative"));
	CHECK(!redirect_url_valid("https://*.example.com/"));
	CHECK(!redirect_url_valid("https://app.example.com/\\evil"));
	CHECK(redirect_url_allowed("https://app.example.com/auth/",
				   "https://app.example.com/auth/x"));
	CHECK(!redirect_url_allowed("https://app.example.com/auth",
				    "https://app.example.com/authx"));
	CHECK(redirect_url_allowed("https://app.example.com/auth", "https://app.example.com/auth"));
	CHECK(!redirect_url_allowed("", ""));
}

TEST(cookie_domains)
{
	CHECK(domain_valid("example.com"));
	CHECK(domain_valid("app.example.com"));
	CHECK(domain_valid("localhost"));
	CHECK(!domain_valid(""));
	CHECK(!domain_valid(".example.com"));
	CHECK(!domain_valid("example.com."));
	CHECK(!domain_valid("Example.com"));
	CHECK(!domain_valid("exa mple.com"));
	CHECK(!domain_valid("example.com:80"));
	CHECK(!domain_valid("example.com; Secure"));
	CHECK(!domain_valid("a..b"));
}

int main(void)
{
	RUN(origins_accepted);
	RUN(origins_refused);
	RUN(redirect_urls);
	RUN(cookie_domains);
	return check_done("origin");
}
