/*
 * listener.c: one blocking accept thread per server. Stopping is
 * shutdown() on the listening socket, which wakes the blocked accept()
 * with an error on Linux; the flag tells the thread it was on purpose.
 * Keep-alive clients pay the accept cost once per connection, so one
 * thread is no bottleneck.
 */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../core/log.h"

struct listener {
	int fd;
	struct MHD_Daemon *daemon;
	pthread_t thread;
	bool started;
	int stopping; /* atomic */
};

static bool make_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		return true;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return true;
	}
	return false;
}

enum status listener_open(const char *host, int port, struct listener **out, char *err,
			  size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t len = 0;
	if (!make_addr(host, port, &addr, &len)) {
		snprintf(err, errlen, "HOST %s is not an IPv4 or IPv6 address", host);
		return ST_VALIDATION_FAILED;
	}
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return ST_UNAVAILABLE;
	}
	/* SO_REUSEADDR lets a restart bind while old connections sit in
	 * TIME_WAIT; no SO_REUSEPORT, so a second saasd on the port fails
	 * loudly instead of silently sharing it. */
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	/* an IPv6 HOST means IPv6 only (as MHD did), whatever the sysctl says */
	if (addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
		close(fd);
		return ST_UNAVAILABLE;
	}
	struct listener *l = calloc(1, sizeof *l);
	if (l == NULL)
		abort();
	l->fd = fd;
	*out = l;
	return ST_OK;
}

static void pause_ms(long ms)
{
	struct timespec ts = {0, ms * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static void *accept_loop(void *arg)
{
	struct listener *l = arg;
	bool warned = false;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			/* out of descriptors or memory: the backlog waits */
			if (!warned)
				log_msg(LOG_WARN, "accept failed: %s; retrying", strerror(errno));
			warned = true;
			pause_ms(20);
			continue;
		}
		warned = false;
		/* MHD owns fd from here on, and closes it itself on failure */
		MHD_add_connection(l->daemon, fd, (struct sockaddr *)&peer, len);
	}
}

bool listener_start(struct listener *l, struct MHD_Daemon *daemon)
{
	l->daemon = daemon;
	if (pthread_create(&l->thread, NULL, accept_loop, l) != 0)
		return false;
	l->started = true;
	return true;
}

void listener_close(struct listener *l)
{
	if (l == NULL)
		return;
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	/* takes the socket out of the listening state: pending and new
	 * handshakes are refused, and the blocked accept() returns */
	shutdown(l->fd, SHUT_RDWR);
	if (l->started)
		pthread_join(l->thread, NULL);
	close(l->fd);
	free(l);
}
