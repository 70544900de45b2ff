/*
 * addr_policy.h: which IP addresses a tenant-supplied URL must never reach
 * when private addresses are denied (WEBHOOK_ALLOW_PRIVATE=false): loopback,
 * private, link-local and Azure's wireserver (cloud metadata), CGNAT, 6to4
 * relay anycast, unspecified, multicast, reserved and documentation ranges,
 * also when embedded in IPv6 (mapped, NAT64, 6to4). Pure functions: no I/O,
 * no name resolution.
 */
#ifndef SAASD_NET_ADDR_POLICY_H
#define SAASD_NET_ADDR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Address bytes in network order. */
bool addr_internal_v4(const uint8_t a[4]);
bool addr_internal_v6(const uint8_t a[16]);

/* A connect target; any family other than AF_INET/AF_INET6 counts as
 * internal (refused). len is the size of the storage behind sa. */
bool addr_internal_sockaddr(const struct sockaddr *sa, size_t len);

/*
 * True when host is an IP literal in an internal range. IPv4 in every form
 * the C resolver accepts ("127.1", "0x7f000001", "2130706433"), IPv6 with or
 * without brackets and zone id, one trailing dot ignored. A host name (or
 * anything not a literal) is false: it is checked when it is resolved.
 */
bool addr_literal_internal(const char *host, size_t len);

/* The host of an http(s) URL (after any userinfo, before the port) is an
 * internal IP literal. */
bool addr_url_host_internal(const char *url);

/* Numeric text of sa ("10.0.0.1", "::1") into out; "?" when unknown. */
void addr_format(const struct sockaddr *sa, size_t len, char *out, size_t outlen);

#endif
