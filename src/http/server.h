/*
 * server.h: the libmicrohttpd adapter. Runs MHD's internal epoll thread pool,
 * turns each HTTP exchange into a struct request, runs the pipeline
 * (route -> body cap -> auth -> JSON -> handler) and writes the answer and
 * one log line. Owns nothing of the svc_env it is given.
 */
#ifndef SAASD_SERVER_H
#define SAASD_SERVER_H

#include <stddef.h>

#include "../core/status.h"
#include "../svc/svc.h"
#include "router.h"

struct server;

enum status server_start(const struct svc_env *env, const struct route *routes, size_t nroutes,
			 struct server **out, char *err, size_t errlen);
/* Stop accepting, wait up to timeout_ms for in-flight requests, answer
 * those still queued for a hash 503, give answers 1 s more, stop. */
void server_shutdown(struct server *srv, int timeout_ms);

#endif
