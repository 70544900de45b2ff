/*
 * ipnet.h: IP addresses and CIDR lists (IPv4 and IPv6) for TRUSTED_PROXIES,
 * and the client address of a request behind them (X-Forwarded-For). Pure
 * functions over text: no sockets, no allocation. IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) are treated as the IPv4 address.
 */
#ifndef SAASD_IPNET_H
#define SAASD_IPNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPNET_LIST_MAX 64
#define IPNET_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

struct ipaddr {
	int family; /* 4 or 6 */
	uint8_t b[16]; /* 4 or 16 bytes used */
};

struct ipnet {
	struct ipaddr addr; /* host bits cleared */
	int prefix; /* 0..32 or 0..128 */
};

struct ipnet_list {
	int n;
	struct ipnet nets[IPNET_LIST_MAX];
};

/* One address in text ("203.0.113.9", "2001:db8::1", "[2001:db8::1]"). */
bool ipaddr_parse(const char *s, size_t len, struct ipaddr *out);
/* The canonical text (inet_ntop) into out[IPNET_TEXT_MAX]. */
void ipaddr_format(const struct ipaddr *a, char *out);

/* "10.0.0.0/8, 127.0.0.1, ::1, 2001:db8::/32": comma-separated addresses
 * and CIDRs, spaces around entries ignored, empty entries skipped; host bits
 * beyond a prefix are ignored. false (err set) on anything else or more
 * than IPNET_LIST_MAX entries. */
bool ipnet_list_parse(const char *s, struct ipnet_list *out, char *err, size_t errlen);
bool ipnet_list_contains(const struct ipnet_list *l, const struct ipaddr *a);
/* 127.0.0.0/8 or ::1 (an IPv4-mapped address was parsed to IPv4 already). */
bool ipaddr_is_loopback(const struct ipaddr *a);

/* The client behind peer: peer itself unless peer is trusted; then, walking
 * xff (the X-Forwarded-For values joined by ',', may be NULL) from the
 * right, the first entry that is not trusted. An entry that is not an
 * address stops the walk: the last trusted hop is the answer, as it is when
 * every entry is trusted. */
void ipnet_client(const struct ipnet_list *trusted, const struct ipaddr *peer, const char *xff,
		  struct ipaddr *out);

#endif
