/*
 * listener.h: the listening socket and the thread that accepts on it,
 * handing each connection to MHD (MHD_add_connection). saasd owns the
 * socket instead of MHD so that shutdown can stop accepting at once and
 * safely: libmicrohttpd 0.9.75's MHD_quiesce_daemon races its own epoll
 * workers and can abort the process (both remove the listening socket from
 * the same epoll set; the loser panics on ENOENT).
 */
#ifndef SAASD_LISTENER_H
#define SAASD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/status.h"

struct MHD_Daemon;
struct listener;

/* Bind and listen on host:port (an IPv4 or IPv6 literal). Nothing is
 * accepted until listener_start. */
enum status listener_open(const char *host, int port, struct listener **out, char *err,
			  size_t errlen);
/* Start the accept thread; every accepted connection goes to daemon. */
bool listener_start(struct listener *l, struct MHD_Daemon *daemon);
/* Stop accepting (new connections are refused from here on), join the
 * thread and close the socket. Connections already handed over stay. */
void listener_close(struct listener *l);

#endif
