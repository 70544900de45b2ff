/*
 * router.c: segment-by-segment matching over the route table. The table is
 * small (tens of routes), so a linear scan beats any index in clarity and
 * costs well under a microsecond. Path segments must be printable ASCII and
 * at most ROUTER_SEGMENT_MAX bytes; anything else is simply "not found".
 */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct segs {
	int n;
	const char *s[ROUTER_MAX_SEGMENTS];
	size_t len[ROUTER_MAX_SEGMENTS];
};

/* Split "/a/b/c" into segments; false when malformed or too deep. */
static bool split(const char *path, struct segs *out)
{
	out->n = 0;
	if (path[0] != '/')
		return false;
	const char *p = path + 1;
	if (*p == '\0')
		return true;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0)
			return false; /* "//" (one trailing slash is accepted below) */
		if (out->n == ROUTER_MAX_SEGMENTS)
			return false;
		out->s[out->n] = p;
		out->len[out->n] = len;
		out->n++;
		if (slash == NULL)
			return true;
		p = slash + 1;
		if (*p == '\0')
			return true;
	}
}

static bool printable(const char *s, size_t len)
{
	if (len > ROUTER_SEGMENT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool path_matches(const struct segs *pat, const struct segs *path)
{
	if (pat->n != path->n)
		return false;
	for (int i = 0; i < pat->n; i++) {
		if (pat->s[i][0] == ':')
			continue;
		if (pat->len[i] != path->len[i] || memcmp(pat->s[i], path->s[i], pat->len[i]) != 0)
			return false;
	}
	return true;
}

unsigned router_keys(const struct route *r)
{
	return r->keys != 0 ? r->keys : KEYS_SECRET;
}

bool router_read_only(const struct route *r)
{
	return strcmp(r->method, "GET") == 0 || r->read_only;
}

/* What a route declares beyond its shape: an audit action exactly when it
 * changes state, known key kinds, a valid permission. NULL when sound. */
static const char *declaration_fault(const struct route *r, bool (*permission_valid)(const char *))
{
	bool read_only = router_read_only(r);
	if (read_only && r->action != NULL)
		return "is read-only but declares an audit action";
	if (!read_only && (r->action == NULL || r->action[0] == '\0'))
		return "changes state but declares no audit action";
	if ((r->keys & ~(unsigned)(KEYS_SECRET | KEYS_PUBLISHABLE | KEYS_PUBLISHABLE_SESSION)) != 0)
		return "declares unknown key kinds";
	if ((r->keys & KEYS_PUBLISHABLE) && (r->keys & KEYS_PUBLISHABLE_SESSION))
		return "declares both publishable key kinds";
	if ((r->keys & (KEYS_PUBLISHABLE | KEYS_PUBLISHABLE_SESSION)) && r->auth == AUTH_SYSTEM)
		return "is a system route but takes publishable keys";
	if (r->permission != NULL && permission_valid != NULL && !permission_valid(r->permission))
		return "declares an invalid permission";
	return NULL;
}

enum status router_check(const struct route *routes, size_t n,
			 bool (*permission_valid)(const char *), char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &routes[i];
		struct segs s;
		if (r->auth == AUTH_UNSET || r->handler == NULL || r->method == NULL) {
			snprintf(err, errlen, "route %s %s has no auth kind or handler",
				 r->method ? r->method : "?", r->pattern);
			return ST_INTERNAL;
		}
		const char *fault = declaration_fault(r, permission_valid);
		if (fault != NULL) {
			snprintf(err, errlen, "route %s %s %s", r->method, r->pattern, fault);
			return ST_INTERNAL;
		}
		if (!split(r->pattern, &s)) {
			snprintf(err, errlen, "route pattern %s is malformed", r->pattern);
			return ST_INTERNAL;
		}
		int params = 0;
		for (int k = 0; k < s.n; k++)
			params += s.s[k][0] == ':';
		if (params > ROUTER_MAX_PARAMS) {
			snprintf(err, errlen, "route %s has too many parameters", r->pattern);
			return ST_INTERNAL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(routes[j].method, r->method) == 0 &&
			    strcmp(routes[j].pattern, r->pattern) == 0) {
				snprintf(err, errlen, "route %s %s is declared twice", r->method,
					 r->pattern);
				return ST_INTERNAL;
			}
		}
	}
	return ST_OK;
}

static void add_allow(struct route_match *m, const char *method)
{
	if (strstr(m->allow, method) != NULL)
		return;
	size_t used = strlen(m->allow);
	snprintf(m->allow + used, sizeof m->allow - used, "%s%s", used ? ", " : "", method);
}

static void capture(struct arena *a, const struct segs *pat, const struct segs *path,
		    struct route_match *m)
{
	m->nparams = 0;
	for (int i = 0; i < pat->n; i++) {
		if (pat->s[i][0] != ':')
			continue;
		m->names[m->nparams] = arena_strndup(a, pat->s[i] + 1, pat->len[i] - 1);
		m->values[m->nparams] = arena_strndup(a, path->s[i], path->len[i]);
		m->nparams++;
	}
}

enum status router_match(const struct route *routes, size_t n, struct arena *a, const char *method,
			 const char *path, struct route_match *m)
{
	memset(m, 0, sizeof *m);
	struct segs ps;
	if (strlen(path) > 2048 || !split(path, &ps))
		return ST_NOT_FOUND;
	for (int i = 0; i < ps.n; i++)
		if (!printable(ps.s[i], ps.len[i]))
			return ST_NOT_FOUND;
	bool path_known = false;
	for (size_t i = 0; i < n; i++) {
		struct segs pat;
		split(routes[i].pattern, &pat);
		if (!path_matches(&pat, &ps))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			m->route = &routes[i];
			capture(a, &pat, &ps, m);
			return ST_OK;
		}
		path_known = true;
		add_allow(m, routes[i].method);
	}
	return path_known ? ST_METHOD_NOT_ALLOWED : ST_NOT_FOUND;
}
