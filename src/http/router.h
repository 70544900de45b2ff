/*
 * router.h: routes as one data table (method, path pattern with :params,
 * auth kind, handler). Pure logic: no sockets, no JSON, so it is unit-tested
 * directly. A route without an auth kind is refused at start (router_check).
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

struct request;
typedef enum status (*route_handler)(struct request *req);

struct route {
	const char *method;
	const char *pattern; /* "/organizations/:id/members"; also the log/metrics label */
	enum auth_kind auth;
	route_handler handler;
	bool offload; /* slow (bcrypt): run on the hash pool, not an HTTP thread */
};

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

/* Validate a table: auth kinds set, patterns well formed, no duplicates. */
enum status router_check(const struct route *routes, size_t n, char *err, size_t errlen);

/* ST_OK (match filled), ST_NOT_FOUND, or ST_METHOD_NOT_ALLOWED (allow set).
 * Parameter values are copied into the arena and are printable ASCII. */
enum status router_match(const struct route *routes, size_t n, struct arena *a, const char *method,
			 const char *path, struct route_match *m);

#endif
