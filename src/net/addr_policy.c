/*
 * addr_policy.c: the internal-address tables and the literal parsers. The
 * tables err on the side of refusing: a webhook receiver never lives in a
 * documentation, benchmarking or protocol-assignment range. Must never
 * resolve names (that happens in curl, whose every connect is checked).
 */
#include "addr_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

struct prefix {
	uint8_t net[16]; /* leading bytes; the rest are zero */
	unsigned bits;
};

static const struct prefix v4_internal[] = {
	{{0}, 8}, /* "this network", 0.0.0.0 */
	{{10}, 8}, /* RFC 1918 */
	{{100, 64}, 10}, /* CGNAT (also some clouds' metadata, 100.100.100.200) */
	{{127}, 8}, /* loopback */
	{{169, 254}, 16}, /* link-local: 169.254.169.254 metadata services */
	{{168, 63, 129, 16}, 32}, /* Azure wireserver / metadata (not link-local) */
	{{172, 16}, 12}, /* RFC 1918 */
	{{192, 0, 0}, 24}, /* IETF protocol assignments */
	{{192, 0, 2}, 24}, /* documentation */
	{{192, 88, 99}, 24}, /* 6to4 relay anycast (deprecated): relays into other networks */
	{{192, 168}, 16}, /* RFC 1918 */
	{{198, 18}, 15}, /* benchmarking */
	{{198, 51, 100}, 24}, /* documentation */
	{{203, 0, 113}, 24}, /* documentation */
	{{224}, 4}, /* multicast */
	{{240}, 4}, /* reserved, 255.255.255.255 broadcast */
};

static const struct prefix v6_internal[] = {
	{{0}, 8}, /* ::, ::1, IPv4-compatible, reserved */
	{{0x01, 0x00}, 64}, /* discard-only */
	{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48}, /* local-use NAT64 */
	{{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, Teredo */
	{{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
	{{0x3f, 0xff}, 20}, /* documentation */
	{{0xfc}, 7}, /* unique local (fd00:ec2::254 metadata) */
	{{0xfe, 0x80}, 10}, /* link-local */
	{{0xfe, 0xc0}, 10}, /* site-local (deprecated) */
	{{0xff}, 8}, /* multicast */
};

static bool in_prefix(const uint8_t *a, const struct prefix *p)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(a, p->net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (a[full] & mask) == (p->net[full] & mask);
}

static bool in_any(const uint8_t *a, const struct prefix *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in_prefix(a, &t[i]))
			return true;
	return false;
}

bool addr_internal_v4(const uint8_t a[4])
{
	return in_any(a, v4_internal, sizeof v4_internal / sizeof v4_internal[0]);
}

bool addr_internal_v6(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	/* forms that reach an IPv4 address are judged by that address */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return addr_internal_v4(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4: 2002:AABB:CCDD::/48 */
		return addr_internal_v4(a + 2);
	return in_any(a, v6_internal, sizeof v6_internal / sizeof v6_internal[0]);
}

bool addr_internal_sockaddr(const struct sockaddr *sa, size_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return addr_internal_v4((const uint8_t *)&in->sin_addr);
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return addr_internal_v6(in6->sin6_addr.s6_addr);
	}
	return true;
}

bool addr_literal_internal(const char *host, size_t len)
{
	char buf[128];
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (strchr(buf, ':') != NULL) {
		char *zone = strchr(buf, '%'); /* fe80::1%25eth0 */
		if (zone != NULL)
			*zone = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, buf, &a6) == 1 && addr_internal_v6(a6.s6_addr);
	}
	/* inet_aton, not inet_pton: resolvers (and curl) read "127.1" as 127.0.0.1 */
	struct in_addr a4;
	return inet_aton(buf, &a4) != 0 && addr_internal_v4((const uint8_t *)&a4);
}

bool addr_url_host_internal(const char *url)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return false;
	p += 3;
	size_t alen = strcspn(p, "/?#");
	const char *host = p;
	for (size_t i = 0; i < alen; i++)
		if (p[i] == '@')
			host = p + i + 1; /* the last '@' ends the userinfo */
	size_t hlen = alen - (size_t)(host - p);
	if (hlen > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', hlen);
		if (close == NULL)
			return false;
		hlen = (size_t)(close - host) + 1;
	} else {
		const char *colon = memchr(host, ':', hlen);
		if (colon != NULL)
			hlen = (size_t)(colon - host);
	}
	return addr_literal_internal(host, hlen);
}

void addr_format(const struct sockaddr *sa, size_t len, char *out, size_t outlen)
{
	const void *src = NULL;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		src = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (src == NULL || inet_ntop(sa->sa_family, src, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}
