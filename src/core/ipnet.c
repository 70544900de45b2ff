/*
 * ipnet.c: address and CIDR parsing over inet_pton, prefix matching, and
 * the X-Forwarded-For walk. A forwarded address is believed only when
 * every hop to its right is a trusted proxy: the left part of the header is
 * whatever the client sent.
 */
#include "ipnet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool ipaddr_parse(const char *s, size_t len, struct ipaddr *out)
{
	char buf[IPNET_TEXT_MAX + 2];
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof buf || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->b) != 1)
		return false;
	out->family = 6;
	if (memcmp(out->b, v4_mapped, sizeof v4_mapped) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = 4;
	}
	return true;
}

void ipaddr_format(const struct ipaddr *a, char *out)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out, IPNET_TEXT_MAX) == NULL)
		out[0] = '\0';
}

static void mask(struct ipaddr *a, int prefix)
{
	int bytes = a->family == 4 ? 4 : 16;
	for (int i = 0; i < bytes; i++) {
		int keep = prefix - i * 8;
		if (keep <= 0)
			a->b[i] = 0;
		else if (keep < 8)
			a->b[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/* "a", "a/len" */
static bool net_parse(const char *s, size_t len, struct ipnet *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	if (!ipaddr_parse(s, alen, &out->addr))
		return false;
	int max = out->addr.family == 4 ? 32 : 128;
	out->prefix = max;
	if (slash == NULL)
		return true;
	const char *p = slash + 1, *end = s + len;
	if (p == end || end - p > 3)
		return false;
	int v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	/* a mapped IPv4 written as IPv6 keeps an IPv6 prefix length */
	if (max == 32 && memchr(s, ':', alen) != NULL)
		v = v >= 96 ? v - 96 : -1;
	if (v < 0 || v > max)
		return false;
	out->prefix = v;
	mask(&out->addr, v);
	return true;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

bool ipnet_list_parse(const char *s, struct ipnet_list *out, char *err, size_t errlen)
{
	out->n = 0;
	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		const char *b = s, *e = end;
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		if (e > b) {
			if (out->n == IPNET_LIST_MAX) {
				snprintf(err, errlen, "more than %d entries", IPNET_LIST_MAX);
				return false;
			}
			if (!net_parse(b, (size_t)(e - b), &out->nets[out->n])) {
				snprintf(err, errlen, "\"%.*s\" is not an IP address or CIDR",
					 (int)(e - b > 64 ? 64 : e - b), b);
				return false;
			}
			out->n++;
		}
		s = comma ? comma + 1 : end;
	}
	return true;
}

static bool in_net(const struct ipnet *net, const struct ipaddr *a)
{
	if (net->addr.family != a->family)
		return false;
	struct ipaddr m = *a;
	mask(&m, net->prefix);
	return memcmp(m.b, net->addr.b, sizeof m.b) == 0;
}

bool ipaddr_is_loopback(const struct ipaddr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};
	if (a->family == 4)
		return a->b[0] == 127;
	return a->family == 6 && memcmp(a->b, v6_loopback, 16) == 0;
}

bool ipnet_list_contains(const struct ipnet_list *l, const struct ipaddr *a)
{
	for (int i = 0; i < l->n; i++)
		if (in_net(&l->nets[i], a))
			return true;
	return false;
}

void ipnet_client(const struct ipnet_list *trusted, const struct ipaddr *peer, const char *xff,
		  struct ipaddr *out)
{
	*out = *peer;
	if (xff == NULL || !ipnet_list_contains(trusted, peer))
		return;
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *b = start, *e = end;
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		end = start > xff ? start - 1 : xff;
		if (e == b)
			continue; /* "a, , b" or a trailing comma */
		struct ipaddr hop;
		if (!ipaddr_parse(b, (size_t)(e - b), &hop))
			return;
		*out = hop;
		if (!ipnet_list_contains(trusted, &hop))
			return;
	}
}
