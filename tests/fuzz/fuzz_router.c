/*
 * fuzz_router.c: libFuzzer target for router_match() over the real route
 * table (routes.c). Input: "METHOD\nPATH" (no newline: the whole input is
 * the path and the method is GET); inputs with a NUL are skipped, since the
 * HTTP layer hands the router C strings. Traps when an invariant breaks:
 * a match has the request's method, one non-empty, printable, slash-free
 * value per :param, and rebuilding the path from its pattern gives the
 * request path back; a 405 names only other methods the table has for that
 * path; nothing else ever comes back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/router.h"
#include "routes.h"

static bool table_has_method(const char *method, size_t len)
{
	for (size_t i = 0; i < routes_count; i++)
		if (strlen(routes[i].method) == len && memcmp(routes[i].method, method, len) == 0)
			return true;
	return false;
}

/* Each comma-separated entry of Allow is a table method other than method. */
static void check_allow(const char *allow, const char *method)
{
	if (allow[0] == '\0')
		__builtin_trap();
	const char *p = allow;
	for (;;) {
		const char *end = strstr(p, ", ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || !table_has_method(p, len))
			__builtin_trap();
		if (strlen(method) == len && memcmp(method, p, len) == 0)
			__builtin_trap();
		if (end == NULL)
			return;
		p = end + 2;
	}
}

static void check_param(const char *v)
{
	size_t len = strlen(v);
	if (len == 0 || len > ROUTER_SEGMENT_MAX)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		if (v[i] == '/' || (unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			__builtin_trap();
}

/* Rebuild the path from the pattern and the captured values; it must equal
 * the request path (which may carry one trailing slash). */
static void check_rebuild(struct arena *a, const struct route_match *m, const char *path)
{
	const char *out = "";
	const char *p = m->route->pattern;
	int k = 0;
	while (*p) {
		/* p is at a '/'; the segment runs to the next '/' or the end */
		const char *seg = p + 1;
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (seg[0] == ':') {
			if (k >= m->nparams || strlen(m->names[k]) != len - 1 ||
			    memcmp(m->names[k], seg + 1, len - 1) != 0)
				__builtin_trap();
			out = arena_printf(a, "%s/%s", out, m->values[k++]);
		} else {
			out = arena_printf(a, "%s/%.*s", out, (int)len, seg);
		}
		p = seg + len;
	}
	if (k != m->nparams)
		__builtin_trap();
	size_t n = strlen(out), plen = strlen(path);
	if (n == 0)
		out = "/", n = 1;
	bool same = strcmp(out, path) == 0 ||
		    (plen == n + 1 && path[n] == '/' && strncmp(out, path, n) == 0);
	if (!same)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t mlen = nl ? (size_t)(nl - data) : 0;
	char *method = nl ? strndup((const char *)data, mlen) : strdup("GET");
	const char *rest = nl ? (const char *)nl + 1 : (const char *)data;
	char *path = strndup(rest, size - (size_t)(rest - (const char *)data));

	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	enum status st = router_match(routes, routes_count, &a, method, path, &m);
	if (st == ST_OK) {
		if (m.route == NULL || strcmp(m.route->method, method) != 0)
			__builtin_trap();
		if (m.nparams < 0 || m.nparams > ROUTER_MAX_PARAMS)
			__builtin_trap();
		for (int i = 0; i < m.nparams; i++)
			check_param(m.values[i]);
		check_rebuild(&a, &m, path);
	} else if (st == ST_METHOD_NOT_ALLOWED) {
		if (m.route != NULL)
			__builtin_trap();
		check_allow(m.allow, method);
	} else if (st == ST_NOT_FOUND) {
		if (m.route != NULL || m.allow[0] != '\0')
			__builtin_trap();
	} else {
		__builtin_trap();
	}
	arena_destroy(&a);
	free(method);
	free(path);
	return 0;
}
