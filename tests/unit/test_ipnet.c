/*
 * test_ipnet.c: unit tests for src/core/ipnet.c and the TRUSTED_PROXIES
 * setting. Pins down: address parsing (IPv4, IPv6, brackets, IPv4-mapped
 * IPv6 as IPv4), CIDR lists (prefixes, host bits, spaces, empty entries,
 * refusals), matching across families, and the X-Forwarded-For walk: an
 * untrusted peer's header is ignored, the right-most untrusted entry wins,
 * garbage stops the walk at the last trusted hop.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/config.h"
#include "core/ipnet.h"

static struct ipaddr ip(const char *s)
{
	struct ipaddr a;
	if (!ipaddr_parse(s, strlen(s), &a)) {
		fprintf(stderr, "test address %s does not parse\n", s);
		memset(&a, 0, sizeof a);
	}
	return a;
}

static const char *text(const struct ipaddr *a)
{
	static char buf[IPNET_TEXT_MAX];
	ipaddr_format(a, buf);
	return buf;
}

static bool parses(const char *s)
{
	struct ipaddr a;
	return ipaddr_parse(s, strlen(s), &a);
}

static struct ipnet_list list(const char *s)
{
	struct ipnet_list l;
	char err[128];
	if (!ipnet_list_parse(s, &l, err, sizeof err)) {
		fprintf(stderr, "test list %s: %s\n", s, err);
		l.n = 0;
	}
	return l;
}

static bool has(const struct ipnet_list *l, const char *addr)
{
	struct ipaddr a = ip(addr);
	return ipnet_list_contains(l, &a);
}

static const char *client(const struct ipnet_list *l, const char *peer, const char *xff)
{
	struct ipaddr p = ip(peer), out;
	ipnet_client(l, &p, xff, &out);
	return text(&out);
}

TEST(addresses_parse_to_canonical_text)
{
	struct ipaddr a = ip("203.0.113.9");
	CHECK(a.family == 4);
	CHECK_STR(text(&a), "203.0.113.9");
	a = ip("2001:DB8:0:0::1");
	CHECK(a.family == 6);
	CHECK_STR(text(&a), "2001:db8::1");
	a = ip("[2001:db8::1]");
	CHECK_STR(text(&a), "2001:db8::1");
	a = ip("::ffff:198.51.100.7");
	CHECK(a.family == 4);
	CHECK_STR(text(&a), "198.51.100.7");
	CHECK(!parses(""));
	CHECK(!parses("unknown"));
	CHECK(!parses("1.2.3"));
	CHECK(!parses("1.2.3.256"));
	CHECK(!parses("1.2.3.4:80"));
	CHECK(!parses(" 1.2.3.4"));
	CHECK(!parses("fe80::1%eth0"));
	CHECK(!parses("2001:db8::1::2"));
	CHECK(!parses("[1.2.3.4"));
}

TEST(cidr_lists_parse_and_match)
{
	struct ipnet_list l = list(" 10.0.0.0/8 ,127.0.0.1, ::1, 2001:db8::/32,,192.168.1.77/24 ");
	CHECK(l.n == 5);
	CHECK(has(&l, "10.255.1.2"));
	CHECK(!has(&l, "11.0.0.1"));
	CHECK(has(&l, "127.0.0.1"));
	CHECK(!has(&l, "127.0.0.2"));
	CHECK(has(&l, "::1"));
	CHECK(!has(&l, "::2"));
	CHECK(has(&l, "2001:db8:ffff::7"));
	CHECK(!has(&l, "2001:db9::1"));
	CHECK(has(&l, "192.168.1.1")); /* host bits of 192.168.1.77/24 ignored */
	CHECK(!has(&l, "192.168.2.1"));
	/* families never cross, except IPv4-mapped IPv6 which is IPv4 */
	CHECK(has(&l, "::ffff:10.1.1.1"));
	CHECK(!has(&l, "::a01:101")); /* ::10.1.1.1 (IPv4-compatible) is IPv6 */
	struct ipnet_list all = list("0.0.0.0/0, ::/0");
	CHECK(has(&all, "8.8.8.8"));
	CHECK(has(&all, "2606:4700::1"));
	struct ipnet_list odd = list("2001:db8::1:2:3/125, ::ffff:10.0.0.0/104");
	CHECK(has(&odd, "2001:db8::1:2:7"));
	CHECK(!has(&odd, "2001:db8::1:2:8"));
	CHECK(has(&odd, "10.9.9.9")); /* /104 of a mapped address is IPv4 /8 */
	CHECK(!has(&odd, "11.0.0.0"));
	struct ipnet_list none = list("");
	CHECK(none.n == 0);
	CHECK(!has(&none, "127.0.0.1"));
}

TEST(bad_lists_are_refused_with_the_entry)
{
	static const char *const bad[] = {
		"10.0.0.0/33",     "::/129",      "10.0.0.0/",         "10.0.0.0/-1",
		"10.0.0.0/8/8",    "10.0.0.0/ 8", "10.0.0.0/0008",     "localhost",
		"1.2.3.4 5.6.7.8", "10.0.0.0/8;", "::ffff:1.2.3.4/95",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ipnet_list l;
		char err[128] = "";
		bool ok = ipnet_list_parse(bad[i], &l, err, sizeof err);
		CHECK(!ok);
		CHECK(strstr(err, "is not an IP address or CIDR") != NULL);
		if (ok)
			fprintf(stderr, "  accepted %s\n", bad[i]);
	}
	char many[2048] = "";
	size_t n = 0;
	for (int i = 0; i <= IPNET_LIST_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "10.0.0.%d,", i);
	struct ipnet_list l;
	char err[128] = "";
	CHECK(!ipnet_list_parse(many, &l, err, sizeof err));
	CHECK(strstr(err, "more than") != NULL);
}

TEST(forwarded_for_is_ignored_from_an_untrusted_peer)
{
	struct ipnet_list none = list("");
	CHECK_STR(client(&none, "127.0.0.1", "203.0.113.9"), "127.0.0.1");
	struct ipnet_list l = list("10.0.0.0/8");
	CHECK_STR(client(&l, "192.0.2.1", "203.0.113.9"), "192.0.2.1");
	CHECK_STR(client(&l, "10.0.0.1", NULL), "10.0.0.1");
}

TEST(the_right_most_untrusted_entry_is_the_client)
{
	struct ipnet_list l = list("127.0.0.1, 10.0.0.0/8, 2001:db8::/32");
	CHECK_STR(client(&l, "127.0.0.1", "203.0.113.9"), "203.0.113.9");
	/* the client may write anything left of what our proxies appended */
	CHECK_STR(client(&l, "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.1.1"), "198.51.100.7");
	CHECK_STR(client(&l, "127.0.0.1", "junk, 198.51.100.7 ,10.1.1.1,"), "198.51.100.7");
	CHECK_STR(client(&l, "10.0.0.5", "2001:db8::9, [2001:db8:1::2]"), "2001:db8::9");
	CHECK_STR(client(&l, "127.0.0.1", "2606:4700::1111, 2001:db8::9"), "2606:4700::1111");
	CHECK_STR(client(&l, "127.0.0.1", "::ffff:198.51.100.7"), "198.51.100.7");
	/* every hop trusted: the furthest one is the best we know */
	CHECK_STR(client(&l, "127.0.0.1", "10.0.0.9, 10.0.0.8"), "10.0.0.9");
	/* garbage from a trusted hop: stop at the last trusted address */
	CHECK_STR(client(&l, "127.0.0.1", "198.51.100.7, unknown"), "127.0.0.1");
	CHECK_STR(client(&l, "127.0.0.1", "198.51.100.7, nonsense, 10.0.0.3"), "10.0.0.3");
	CHECK_STR(client(&l, "127.0.0.1", ""), "127.0.0.1");
	CHECK_STR(client(&l, "127.0.0.1", " , "), "127.0.0.1");
}

TEST(trusted_proxies_setting_is_parsed_and_checked)
{
	char *rest[4];
	int nrest = 0;
	char err[256] = "";
	char *argv[] = {"saasd", "--trusted-proxies", "127.0.0.1, fd00::/8", NULL};
	struct config *c = calloc(1, sizeof *c);
	unsetenv("TRUSTED_PROXIES");
	setenv("ENV_FILE", "/dev/null", 1);
	CHECK(config_load(c, 3, argv, rest, &nrest, err, sizeof err));
	CHECK(c->trusted.n == 2);
	CHECK(has(&c->trusted, "fd12::1"));
	CHECK(!has(&c->trusted, "127.0.0.2"));
	char *none[] = {"saasd", NULL};
	CHECK(config_load(c, 1, none, rest, &nrest, err, sizeof err));
	CHECK(c->trusted.n == 0); /* default: nobody's X-Forwarded-For is believed */
	setenv("TRUSTED_PROXIES", "10.0.0.0/8, 300.1.1.1", 1);
	CHECK(!config_load(c, 1, none, rest, &nrest, err, sizeof err));
	CHECK(strstr(err, "TRUSTED_PROXIES") != NULL && strstr(err, "300.1.1.1") != NULL);
	unsetenv("TRUSTED_PROXIES");
	unsetenv("ENV_FILE");
	free(c);
}

/* The test clock route answers only these peers (the socket's address). */
TEST(loopback_is_127_slash_8_and_ipv6_one_only)
{
	const char *yes[] = {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"};
	const char *no[] = {
		"10.0.0.1",        "128.0.0.1",   "0.0.0.0",        "::", "::2", "fe80::1",
		"::ffff:10.0.0.1", "2001:db8::1", "126.255.255.255"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		struct ipaddr a = ip(yes[i]);
		CHECK(ipaddr_is_loopback(&a));
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		struct ipaddr a = ip(no[i]);
		CHECK(!ipaddr_is_loopback(&a));
	}
	struct ipaddr none;
	memset(&none, 0, sizeof none); /* no address at all (family 0) */
	CHECK(!ipaddr_is_loopback(&none));
}

int main(void)
{
	RUN(addresses_parse_to_canonical_text);
	RUN(cidr_lists_parse_and_match);
	RUN(bad_lists_are_refused_with_the_entry);
	RUN(forwarded_for_is_ignored_from_an_untrusted_peer);
	RUN(the_right_most_untrusted_entry_is_the_client);
	RUN(trusted_proxies_setting_is_parsed_and_checked);
	RUN(loopback_is_127_slash_8_and_ipv6_one_only);
	return check_done("ipnet");
}
