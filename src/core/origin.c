/*
 * origin.c: hand-written scanners (no regex, no locale): each returns how
 * many bytes of a well-formed part it read, or 0.
 */
#include "origin.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* DNS labels separated by single dots; stops at the first other byte. */
static size_t scan_domain(const char *s)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (is_lower_alnum(s[i]) || s[i] == '-')
			i++;
		size_t len = i - start;
		if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
			return 0;
		if (s[i] != '.')
			break;
		i++;
	}
	return i <= DOMAIN_MAX ? i : 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* A host that is all digits and dots must be a dotted-decimal IPv4. */
static bool host_ok(const char *s, size_t n)
{
	bool numeric = true;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			numeric = false;
	if (!numeric)
		return true;
	int parts = 0;
	size_t i = 0;
	while (i <= n) {
		size_t start = i;
		while (i < n && s[i] != '.')
			i++;
		size_t len = i - start;
		if (!all_digits(s + start, len) || len > 3 || (len > 1 && s[start] == '0'))
			return false;
		int v = 0;
		for (size_t k = start; k < i; k++)
			v = v * 10 + (s[k] - '0');
		if (v > 255)
			return false;
		parts++;
		i++;
	}
	return parts == 4;
}

/* Bytes of the origin at the start of s, or 0. */
static size_t scan_origin(const char *s)
{
	size_t i;
	if (strncmp(s, "https://", 8) == 0)
		i = 8;
	else if (strncmp(s, "http://", 7) == 0)
		i = 7;
	else
		return 0;
	size_t host = scan_domain(s + i);
	if (host == 0 || !host_ok(s + i, host))
		return 0;
	i += host;
	if (s[i] == ':') {
		i++;
		size_t start = i;
		long port = 0;
		while (s[i] >= '0' && s[i] <= '9' && i - start < 5)
			port = port * 10 + (s[i++] - '0');
		if (i == start || s[start] == '0' || port > 65535 || (s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	return i <= ORIGIN_MAX ? i : 0;
}

bool origin_valid(const char *s)
{
	size_t n = scan_origin(s);
	return n > 0 && s[n] == '\0';
}

bool redirect_url_valid(const char *s)
{
	size_t n = scan_origin(s);
	if (n == 0)
		return false;
	if (s[n] == '\0')
		return true;
	if (s[n] != '/')
		return false;
	size_t i = n;
	for (; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\' || c == '"')
			return false;
	}
	return i <= REDIRECT_URL_MAX;
}

bool domain_valid(const char *s)
{
	size_t n = scan_domain(s);
	return n > 0 && s[n] == '\0';
}

bool redirect_url_allowed(const char *entry, const char *url)
{
	size_t n = strlen(entry);
	if (n == 0)
		return false;
	if (entry[n - 1] == '/')
		return strncmp(entry, url, n) == 0;
	return strcmp(entry, url) == 0;
}
