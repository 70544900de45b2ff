/*
 * listener.h: the listening socket and the thread that accepts on it,
 * handing each connection to MHD (MHD_add_connection) only while the
 * connection limits allow it, and dropping connections whose headers are
 * overdue. saasd owns the socket instead of MHD so that shutdown can stop
 * accepting at once and safely (libmicrohttpd 0.9.75's MHD_quiesce_daemon
 * races its own epoll workers and can abort the process), and so that no
 * burst ever reaches MHD's own connection limit (a deadlock in 0.9.75).
 */
#ifndef SAASD_LISTENER_H
#define SAASD_LISTENER_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/status.h"

struct listener;

struct listener_limits {
	int max_connections; /* configured ceiling (MAX_CONNECTIONS) */
	int max_per_ip; /* MAX_CONNECTIONS_PER_IP */
	int header_timeout_s; /* HEADER_TIMEOUT */
	int fd_reserve; /* descriptors kept for everything but connections */
};

/* Bind and listen on host:port (an IPv4 or IPv6 literal) and size the
 * accounting: the connection limit is max_connections, lowered to fit
 * RLIMIT_NOFILE minus fd_reserve (logged). Nothing is accepted until
 * listener_start. */
enum status listener_open(const char *host, int port, const struct listener_limits *lim,
			  struct listener **out, char *err, size_t errlen);
/* The connection limit in effect. MHD's own limit must be set to
 * listener_mhd_limit(l, threads), which no burst can reach. */
int listener_capacity(const struct listener *l);
unsigned listener_mhd_limit(const struct listener *l, unsigned threads);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the listener. */
void listener_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe);
/* From the access handler's first call: the request's headers are in. */
void listener_headers_done(struct listener *l, struct MHD_Connection *conn);
/* From the completed callback: the next request's headers are now due. */
void listener_request_done(struct listener *l, struct MHD_Connection *conn);

/* Start the accept thread; every admitted connection goes to daemon. */
bool listener_start(struct listener *l, struct MHD_Daemon *daemon);
/* Stop accepting (new connections are refused from here on), join the
 * thread and close the socket. Connections already handed over stay. */
void listener_stop(struct listener *l);
/* Free the accounting, after MHD_stop_daemon (MHD notifies until then). */
void listener_free(struct listener *l);

#endif
