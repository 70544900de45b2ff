/*
 * test_addr_policy.c: unit tests for src/net/addr_policy.c. Pins down which
 * IPv4 and IPv6 addresses count as internal (each range and the public
 * addresses just outside it), IPv6 forms that reach an IPv4 address (mapped,
 * NAT64, 6to4), the literal parser (short and numeric IPv4 forms, brackets,
 * zone ids, host names left alone), URL host extraction, and sockaddr input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/un.h>

#include "check.h"
#include "net/addr_policy.h"

static bool v4(const char *s)
{
	uint8_t a[4];
	if (inet_pton(AF_INET, s, a) != 1) {
		fprintf(stderr, "bad test address %s\n", s);
		return false;
	}
	return addr_internal_v4(a);
}

static bool v6(const char *s)
{
	uint8_t a[16];
	if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "bad test address %s\n", s);
		return false;
	}
	return addr_internal_v6(a);
}

static bool lit(const char *s)
{
	return addr_literal_internal(s, strlen(s));
}

#define EACH(list, expr)                                               \
	for (size_t i_ = 0; i_ < sizeof list / sizeof list[0]; i_++) { \
		const char *s = list[i_];                              \
		bool got_ = (expr);                                    \
		CHECK(got_);                                           \
		if (!got_)                                             \
			fprintf(stderr, "  ... for %s\n", s);          \
	}

TEST(test_addr_policy_internal_ipv4_ranges_and_their_edges)
{
	static const char *const internal[] = {
		"0.0.0.0",         "0.255.255.255",   "10.0.0.0",        "10.255.255.255",
		"100.64.0.0",      "100.100.100.200", "100.127.255.255", "127.0.0.1",
		"127.255.255.254", "169.254.0.0",     "169.254.169.254", "169.254.255.255",
		"172.16.0.0",      "172.31.255.255",  "192.0.0.170",     "192.0.2.1",
		"192.168.0.0",     "192.168.255.255", "198.18.0.1",      "198.19.255.255",
		"198.51.100.7",    "203.0.113.9",     "224.0.0.1",       "239.255.255.250",
		"240.0.0.1",       "255.255.255.255"};
	EACH(internal, v4(s));
}

TEST(test_addr_policy_public_ipv4_stays_allowed_right_outside_each_range)
{
	static const char *const public[] = {
		"8.8.8.8",     "1.1.1.1",         "1.0.0.0",     "9.255.255.255",
		"11.0.0.0",    "100.63.255.255",  "100.128.0.0", "126.255.255.255",
		"128.0.0.0",   "169.253.255.255", "169.255.0.0", "172.15.255.255",
		"172.32.0.0",  "192.0.1.1",       "192.0.3.0",   "192.167.255.255",
		"192.169.0.0", "198.17.255.255",  "198.20.0.0",  "198.51.101.1",
		"203.0.114.1", "223.255.255.255"};
	EACH(public, !v4(s));
}

TEST(test_addr_policy_internal_ipv6_ranges)
{
	static const char *const internal[] = {"::",
					       "::1",
					       "::127.0.0.1",
					       "::8.8.8.8",
					       "100::1",
					       "2001::1",
					       "2001:1ff::1",
					       "2001:db8::1",
					       "3fff::1",
					       "64:ff9b:1::1",
					       "fc00::1",
					       "fd00:ec2::254",
					       "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
					       "fe80::1",
					       "febf::1",
					       "fec0::1",
					       "ff02::1",
					       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
	EACH(internal, v6(s));
}

TEST(test_addr_policy_ipv6_forms_of_internal_ipv4_are_internal)
{
	static const char *const internal[] = {
		"::ffff:127.0.0.1",       "::ffff:7f00:1",      "::ffff:10.1.2.3",
		"::ffff:169.254.169.254", "::ffff:0.0.0.0",     "::ffff:255.255.255.255",
		"64:ff9b::127.0.0.1",     "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
		"2002:c0a8:101::",        "2002:a9fe:a9fe::1"};
	EACH(internal, v6(s));
}

TEST(test_addr_policy_public_ipv6_stays_allowed)
{
	static const char *const public[] = {"2606:4700::1111",
					     "2606:4700:4700::1001",
					     "2001:4860:4860::8888",
					     "2a00:1450::1",
					     "2001:200::1",
					     "fbff:ffff::1",
					     "::ffff:8.8.8.8",
					     "::ffff:1.1.1.1",
					     "64:ff9b::808:808",
					     "2002:808:808::1",
					     "4000::1"};
	EACH(public, !v6(s));
}

TEST(test_addr_policy_literals_in_every_resolver_form)
{
	static const char *const internal[] = {"127.0.0.1",
					       "127.1",
					       "0x7f.0.0.1",
					       "0x7f000001",
					       "2130706433",
					       "0177.0.0.1",
					       "0",
					       "10.1",
					       "169.254.169.254",
					       "127.0.0.1.",
					       "::1",
					       "[::1]",
					       "[::ffff:127.0.0.1]",
					       "[fe80::1%25eth0]",
					       "fe80::1%eth0",
					       "[fd00:ec2::254]"};
	EACH(internal, lit(s));
	static const char *const not_internal[] = {"8.8.8.8",   "1.1.1.1",     "[2606:4700::1111]",
						   "localhost", "example.com", "127.0.0.1.nip.io",
						   "1e100.net", "10.0.0.1x",   "",
						   "[",         "[]",          "[::1",
						   "::zz",      "999.1.1.1"};
	EACH(not_internal, !lit(s));
}

TEST(test_addr_policy_url_host_is_found_after_userinfo_and_before_port)
{
	static const char *const internal[] = {"http://127.0.0.1:8080/hook",
					       "http://127.0.0.1",
					       "http://127.0.0.1?x=1",
					       "http://127.0.0.1#f",
					       "http://[::1]:9/",
					       "https://[::ffff:127.0.0.1]/",
					       "http://169.254.169.254/latest/meta-data/",
					       "https://user:pw@10.0.0.1/",
					       "http://example.com@127.0.0.1/",
					       "http://a@b@192.168.1.1:80/x",
					       "http://127.1/",
					       "http://2130706433/"};
	EACH(internal, addr_url_host_internal(s));
	static const char *const not_internal[] = {
		"http://localhost:1234/hook",     "https://hooks.example.com/a?b=127.0.0.1",
		"http://127.0.0.1@example.com/",  "http://8.8.8.8/",
		"https://[2606:4700::1111]:443/", "https://1.1.1.1/10.0.0.1",
		"http://example.com/#@127.0.0.1", "not a url"};
	EACH(not_internal, !addr_url_host_internal(s));
}

TEST(test_addr_policy_sockaddr_checks_the_connect_target)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	CHECK(addr_internal_sockaddr((struct sockaddr *)&in4, sizeof in4));
	inet_pton(AF_INET, "1.1.1.1", &in4.sin_addr);
	CHECK(!addr_internal_sockaddr((struct sockaddr *)&in4, sizeof in4));
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:169.254.169.254", &in6.sin6_addr);
	CHECK(addr_internal_sockaddr((struct sockaddr *)&in6, sizeof in6));
	inet_pton(AF_INET6, "2606:4700::1111", &in6.sin6_addr);
	CHECK(!addr_internal_sockaddr((struct sockaddr *)&in6, sizeof in6));
	/* a truncated address or another family is refused */
	CHECK(addr_internal_sockaddr((struct sockaddr *)&in6, sizeof in4));
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	CHECK(addr_internal_sockaddr((struct sockaddr *)&un, sizeof un));
}

TEST(test_addr_policy_format_prints_the_numeric_address)
{
	char buf[64];
	struct sockaddr_in in4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "10.0.0.1", &in4.sin_addr);
	addr_format((struct sockaddr *)&in4, sizeof in4, buf, sizeof buf);
	CHECK_STR(buf, "10.0.0.1");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	addr_format((struct sockaddr *)&in6, sizeof in6, buf, sizeof buf);
	CHECK_STR(buf, "::ffff:127.0.0.1");
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	addr_format((struct sockaddr *)&un, sizeof un, buf, sizeof buf);
	CHECK_STR(buf, "?");
}

TEST(test_addr_policy_azure_wireserver_and_6to4_relay_anycast_are_internal)
{
	/* 168.63.129.16 is Azure's wireserver and metadata address (a public
	 * address, so no range above covers it); 192.88.99.0/24 is the
	 * deprecated 6to4 relay anycast prefix (RFC 7526) */
	static const char *const internal[] = {"168.63.129.16", "192.88.99.0", "192.88.99.1",
					       "192.88.99.255"};
	EACH(internal, v4(s));
	static const char *const public[] = {"168.63.129.15", "168.63.129.17", "168.63.128.16",
					     "192.88.98.255", "192.88.100.0"};
	EACH(public, !v4(s));
	/* also in the IPv6 forms that reach them, as literals and in URLs */
	static const char *const embedded[] = {"::ffff:168.63.129.16", "64:ff9b::a83f:8110",
					       "2002:a83f:8110::1", "::ffff:192.88.99.1",
					       "2002:c058:6301::"};
	EACH(embedded, v6(s));
	static const char *const urls[] = {"http://168.63.129.16/metadata/instance",
					   "http://168.63.129.16:32526/", "http://192.88.99.1/",
					   "http://[::ffff:168.63.129.16]/", "http://0xa83f8110/"};
	EACH(urls, addr_url_host_internal(s));
	CHECK(!addr_url_host_internal("http://168.63.129.17/"));
}

int main(void)
{
	RUN(test_addr_policy_internal_ipv4_ranges_and_their_edges);
	RUN(test_addr_policy_public_ipv4_stays_allowed_right_outside_each_range);
	RUN(test_addr_policy_internal_ipv6_ranges);
	RUN(test_addr_policy_ipv6_forms_of_internal_ipv4_are_internal);
	RUN(test_addr_policy_public_ipv6_stays_allowed);
	RUN(test_addr_policy_azure_wireserver_and_6to4_relay_anycast_are_internal);
	RUN(test_addr_policy_literals_in_every_resolver_form);
	RUN(test_addr_policy_url_host_is_found_after_userinfo_and_before_port);
	RUN(test_addr_policy_sockaddr_checks_the_connect_target);
	RUN(test_addr_policy_format_prints_the_numeric_address);
	return check_done("addr_policy");
}
