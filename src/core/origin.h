/*
 * origin.h: the browser-facing strings of a tenant's settings, checked
 * strictly: an exact web origin ("https://app.example.com",
 * "http://localhost:3000"), a redirect URL (an exact absolute http(s) URL or
 * a prefix of one ending in '/'), and a cookie domain. Pure functions over C
 * strings; no allocation. Fuzzed by tests/fuzz/fuzz_origin.c.
 */
#ifndef SAASD_CORE_ORIGIN_H
#define SAASD_CORE_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#define ORIGIN_MAX 300 /* "https://" + a 253-byte host + ":65535" fits */
#define REDIRECT_URL_MAX 2048
#define DOMAIN_MAX 253

/* scheme "http" or "https", "://", a host, an optional ":port" (1-65535, no
 * leading zero), and nothing else: no path (not even "/"), query, fragment,
 * userinfo or wildcard. The host is lowercase: DNS labels of [a-z0-9-]
 * (1-63 bytes, no '-' at either end), or an IPv4 address in dotted decimal. */
bool origin_valid(const char *s);

/* An origin (as origin_valid) followed by a path starting with '/' and an
 * optional query, of printable ASCII without space, '#', '\' or '"';
 * or the origin alone. At most REDIRECT_URL_MAX bytes. */
bool redirect_url_valid(const char *s);

/* A lowercase domain name: labels as in an origin's host, at least one,
 * at most DOMAIN_MAX bytes, no leading or trailing dot. */
bool domain_valid(const char *s);

/* A redirect URL url is allowed by a setting's entry when equal to it, or
 * when entry ends in '/' and is a prefix of url. */
bool redirect_url_allowed(const char *entry, const char *url);

#endif
