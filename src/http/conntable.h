/*
 * conntable.h: the listener's accounting of its connections, one slot per
 * socket descriptor: how many there are in all and per client address, and
 * which are waiting for a request's headers past the header timeout. Knows
 * nothing of MHD (listener.c feeds it); time is a parameter; thread-safe.
 * It must never let a count drift: a descriptor number the kernel hands out
 * again proves its previous connection is gone, and reclaims its slot.
 */
#ifndef SAASD_CONNTABLE_H
#define SAASD_CONNTABLE_H

#include <stdint.h>
#include <sys/socket.h>

struct conntable;

struct conntable_limits {
	int max_fd; /* descriptors 0..max_fd-1 can be tracked; others are refused */
	int max_total; /* connections in all */
	int max_per_ip; /* connections per client: an IPv4 address or an IPv6 /64 */
	int64_t header_timeout_ms; /* a request's headers must arrive within this */
};

enum conn_verdict {
	CONN_ADMITTED,
	CONN_REFUSED_TOTAL, /* max_total reached */
	CONN_REFUSED_PER_IP, /* this client has max_per_ip */
	CONN_REFUSED_FD, /* descriptor outside 0..max_fd-1, or not an IP peer */
};

/* The connection limit for a process with nofile descriptors of which
 * reserve are kept for everything else (store, Redis, mail, webhooks,
 * epoll): min(configured, nofile - reserve), at least 1. */
int conntable_capacity(long nofile, int reserve, int configured);

/* A table for these limits (copied). Free with conntable_free. */
struct conntable *conntable_new(const struct conntable_limits *lim);
void conntable_free(struct conntable *t);

/* Count a socket about to be handed over (fd, its peer): CONN_ADMITTED
 * counts it (state "pending", no deadline yet); anything else counts
 * nothing. A slot still held for fd is released first: the kernel only
 * reuses a number once the old socket is closed. */
enum conn_verdict conntable_admit(struct conntable *t, int fd, const struct sockaddr *peer,
				  socklen_t len);
/* The connection on fd is gone (or was never taken over): uncount it. A
 * free slot is left alone. */
void conntable_release(struct conntable *t, int fd);

/* The connection on fd is being served: its first request's headers are
 * due header_timeout_ms after now_ms. Only a pending slot changes. */
void conntable_started(struct conntable *t, int fd, int64_t now_ms);
/* The headers of the connection's current request are complete. */
void conntable_headers_done(struct conntable *t, int fd);
/* The connection's request is over: the next request's headers (of a
 * keep-alive connection) are due header_timeout_ms after now_ms. */
void conntable_request_done(struct conntable *t, int fd, int64_t now_ms);

/* Call drop(fd, arg) for each connection whose headers are overdue at
 * now_ms, oldest first, at most max of them; returns how many. drop runs
 * under the table's lock, so fd is still open while it runs (release,
 * which must precede closing the socket, waits for the lock); it must not
 * call back into the table. A dropped connection is not dropped again. */
int conntable_expire(struct conntable *t, int64_t now_ms, void (*drop)(int fd, void *arg),
		     void *arg, int max);

/* Counted connections, in all and of the client of peer. */
int conntable_total(struct conntable *t);
int conntable_per_ip(struct conntable *t, const struct sockaddr *peer, socklen_t len);

#endif
