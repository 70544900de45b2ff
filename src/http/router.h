/*
 * router.h: routes as one data table: each route declares in full what the
 * pipeline does for it (method, path pattern with :params, auth kind, key
 * kinds, permission, audit action, offload) and its handler. Pure logic: no
 * sockets, no JSON, so it is unit-tested directly. router_check() refuses
 * an incomplete table at start.
 */
#ifndef SAASD_ROUTER_H
#define SAASD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/arena.h"
#include "../core/status.h"

enum auth_kind {
	AUTH_UNSET = 0, /* never valid: forces every route to choose */
	AUTH_NONE, /* public (health, metrics guard themselves) */
	AUTH_ADMIN, /* Authorization: Bearer ADMIN_TOKEN */
	AUTH_KEY, /* tenant key; session optional (user or system) */
	AUTH_SYSTEM, /* tenant key; a user session is refused with 403 */
	AUTH_SESSION, /* tenant key and a valid session */
};

/* Which kinds of tenant key may call a route (a bitmask); 0 (unset) means
 * secret keys only. KEYS_PUBLISHABLE: a publishable key, with or without a
 * session (the end-user calls: register, login, ...). KEYS_PUBLISHABLE_SESSION:
 * a publishable key only with a user session (then the session's permission
 * rules decide); without one it would act as "system", which a publishable
 * key never does: 403 publishable_key_not_allowed. */
enum key_kinds {
	KEYS_SECRET = 1 << 0,
	KEYS_PUBLISHABLE = 1 << 1,
	KEYS_PUBLISHABLE_SESSION = 1 << 2,
};

struct request;
typedef enum status (*route_handler)(struct request *req);

struct route {
	const char *method;
	const char *pattern; /* "/organizations/:id/members"; also the log/metrics label */
	enum auth_kind auth;
	route_handler handler;
	unsigned keys; /* enum key_kinds bits; 0: KEYS_SECRET (router_keys) */
	/* the RBAC permission the route needs on the organization, when it is
	 * fixed for the route; NULL when none, or when it depends on the path
	 * or body (self-removal, permission checks): the service decides */
	const char *permission;
	const char *action; /* audit action ("organization.member.remove"); NULL when read-only */
	/* a POST that changes nothing (it only computes, as POST /auth/token
	 * signs the session's claims): read-only like a GET, so no audit action */
	bool read_only;
	bool offload; /* slow (bcrypt): run on the hash pool, not an HTTP thread */
	size_t max_body; /* the body cap in bytes; 0: BODY_MAX (64 KiB) */
};

/* GET routes, and those declaring read_only. */
bool router_read_only(const struct route *r);
/* The key kinds that may call r (its .keys, or secret keys when unset). */
unsigned router_keys(const struct route *r);

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_SEGMENTS 12
#define ROUTER_SEGMENT_MAX 128

struct route_match {
	const struct route *route;
	int nparams;
	const char *names[ROUTER_MAX_PARAMS]; /* without the ':' */
	const char *values[ROUTER_MAX_PARAMS];
	char allow[96]; /* "GET, PATCH" when ST_METHOD_NOT_ALLOWED */
};

/* Validate a table: auth kinds set, patterns well formed, no duplicates,
 * an audit action on every route but read-only ones (and none on those), key
 * kinds known, and every permission accepted by permission_valid (the RBAC
 * rule lives in svc/; the caller passes it; NULL skips that check). */
enum status router_check(const struct route *routes, size_t n,
			 bool (*permission_valid)(const char *), char *err, size_t errlen);

/* ST_OK (match filled), ST_NOT_FOUND, or ST_METHOD_NOT_ALLOWED (allow set).
 * Parameter values are copied into the arena and are printable ASCII. */
enum status router_match(const struct route *routes, size_t n, struct arena *a, const char *method,
			 const char *path, struct route_match *m);

#endif
