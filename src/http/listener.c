/*
 * listener.c: one accept thread per server. It admits a connection only
 * while the connection table (conntable.c) has room, in all and for the
 * client's address, and refuses the rest at once with a best-effort 503.
 * Between accepts it drops connections whose headers are overdue. Stopping
 * is shutdown() on the listening socket, which wakes the blocked accept().
 */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../core/arena.h"
#include "../core/clock.h"
#include "../core/ids.h"
#include "../core/log.h"
#include "conntable.h"

/* How often the accept thread looks for overdue headers, at most. */
#define SWEEP_MS 200
/* Overdue connections dropped per sweep before accepting again. */
#define SWEEP_BATCH 512
/* Refusals are summed up in one log line at most this often. */
#define REFUSAL_LOG_MS 10000
/* Beyond the largest table we would ever need: descriptors above it are
 * refused rather than tracked (RLIMIT_NOFILE may be unlimited). */
#define MAX_TRACKED_FD (1 << 20)

struct listener {
	int fd;
	struct MHD_Daemon *daemon;
	struct conntable *table;
	int capacity; /* connection limit in effect */
	int max_per_ip;
	pthread_t thread;
	bool started;
	int stopping; /* atomic */
	struct arena scratch; /* the accept thread's, reset after each refusal */
	int64_t last_sweep_ms;
	int64_t refusal_window_ms; /* start of the current log window */
	int refused_total, refused_per_ip, refused_other;
};

static int64_t now_ms(void)
{
	return (int64_t)clock_monotonic_ms();
}

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

/* The limit that fits the descriptors this process may open. */
static void size_table(struct listener *l, const struct listener_limits *lim)
{
	struct rlimit rl;
	long nofile = MAX_TRACKED_FD;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)MAX_TRACKED_FD)
		nofile = (long)rl.rlim_cur;
	l->capacity = conntable_capacity(nofile, lim->fd_reserve, lim->max_connections);
	l->max_per_ip = lim->max_per_ip;
	if (l->capacity < lim->max_connections)
		log_msg(LOG_WARN,
			"RLIMIT_NOFILE is %ld: accepting at most %d connections, not "
			"MAX_CONNECTIONS=%d "
			"(%d descriptors kept for the store, Redis, mail and webhooks); raise the "
			"limit "
			"(ulimit -n, LimitNOFILE=)",
			nofile, l->capacity, lim->max_connections, lim->fd_reserve);
	else
		log_msg(LOG_INFO,
			"accepting at most %d connections, %d per client address (RLIMIT_NOFILE "
			"%ld)",
			l->capacity, l->max_per_ip, nofile);
	struct conntable_limits tl = {
		.max_fd = (int)nofile,
		.max_total = l->capacity,
		.max_per_ip = lim->max_per_ip,
		.header_timeout_ms = (int64_t)lim->header_timeout_s * 1000,
	};
	l->table = conntable_new(&tl);
}

enum status listener_open(const char *host, int port, const struct listener_limits *lim,
			  struct listener **out, char *err, size_t errlen)
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
	/* accept() blocks (one syscall per connection) but returns EAGAIN
	 * after SWEEP_MS without one, so overdue headers are swept on time */
	struct timeval tick = {0, SWEEP_MS * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
	if (bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
		close(fd);
		return ST_UNAVAILABLE;
	}
	struct listener *l = calloc(1, sizeof *l);
	if (l == NULL)
		abort();
	l->fd = fd;
	arena_init(&l->scratch, 1024);
	size_table(l, lim);
	*out = l;
	return ST_OK;
}

int listener_capacity(const struct listener *l)
{
	return l->capacity;
}

/* MHD 0.9.75 splits its limit evenly over the pool's workers, and a worker
 * that reaches its share while connections are still queued for it
 * deadlocks (new_connection_process_ returns with cleanup_connection_mutex
 * held; fixed in 1.0.0, commit 67061d5c). Every connection a worker holds
 * or has queued was admitted here, and the table forgets one (on CLOSED)
 * just before MHD's worker does, one at a time per worker: so a worker
 * never holds more than capacity + 1. A share of capacity + 64 each keeps
 * MHD's limit out of reach however unevenly MHD spreads the connections. */
unsigned listener_mhd_limit(const struct listener *l, unsigned threads)
{
	return ((unsigned)l->capacity + 64u) * (threads > 0 ? threads : 1u);
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci != NULL ? ci->connect_fd : -1;
}

/*
 * In libmicrohttpd 0.9.75 (src/microhttpd/daemon.c):
 * - MHD_add_connection, with an internal polling thread, only queues the
 *   connection for a worker (internal_add_connection, external_add); when
 *   it returns MHD_NO the socket is closed and no notification ever comes.
 * - The worker's new_connection_process_ notifies STARTED, and CLOSED on
 *   its own failure path (epoll_ctl); MHD_cleanup_connections notifies
 *   CLOSED before it closes the socket, so the descriptor is still ours.
 * - The one path that closes a queued connection without any notification
 *   (its memory pool cannot be allocated) leaves a pending slot, reclaimed
 *   when accept() returns that descriptor again (conntable_admit).
 * - MHD_stop_daemon closes queued, unstarted connections unannounced
 *   (new_connection_close_): the table is freed after it, not consulted.
 */
void listener_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode toe)
{
	(void)socket_context;
	struct listener *l = cls;
	int fd = conn_fd(conn);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conntable_started(l->table, fd, now_ms());
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		conntable_release(l->table, fd);
}

void listener_headers_done(struct listener *l, struct MHD_Connection *conn)
{
	conntable_headers_done(l->table, conn_fd(conn));
}

void listener_request_done(struct listener *l, struct MHD_Connection *conn)
{
	conntable_request_done(l->table, conn_fd(conn), now_ms());
}

/* Under the table's lock, so fd is still the connection's own: MHD sees
 * the end of the stream and closes it as if the client had gone. */
static void drop_overdue(int fd, void *arg)
{
	(void)arg;
	shutdown(fd, SHUT_RDWR);
}

static void sweep(struct listener *l, int64_t now)
{
	l->last_sweep_ms = now;
	int n = conntable_expire(l->table, now, drop_overdue, NULL, SWEEP_BATCH);
	if (n > 0)
		log_msg(LOG_DEBUG, "dropped %d connections whose request headers were overdue", n);
	if (n == SWEEP_BATCH)
		l->last_sweep_ms = now - SWEEP_MS; /* more overdue: sweep again next round */
}

static void log_refusals(struct listener *l, int64_t now)
{
	int all = l->refused_total + l->refused_per_ip + l->refused_other;
	if (all == 0 || now - l->refusal_window_ms < REFUSAL_LOG_MS)
		return;
	log_msg(LOG_WARN,
		"refused %d connections in %lld s: %d at the limit of %d connections, %d past %d "
		"per client address, %d other",
		all, (long long)((now - l->refusal_window_ms) / 1000), l->refused_total,
		l->capacity, l->refused_per_ip, l->max_per_ip, l->refused_other);
	l->refused_total = l->refused_per_ip = l->refused_other = 0;
	l->refusal_window_ms = now;
}

/* A 503 in the error envelope if the socket takes it at once, then close.
 * Whatever the client sent is read first (without waiting), so the close
 * is a FIN rather than a reset that could destroy the answer in flight. */
static void refuse(struct listener *l, int fd, enum conn_verdict v)
{
	const char *why = v == CONN_REFUSED_PER_IP ? "Too many connections from your address"
						   : "The server is at its connection limit";
	const char *rid = id_new(&l->scratch, "req", clock_now(&clock_system));
	char body[256], msg[640];
	int blen =
		snprintf(body, sizeof body,
			 "{\"error\":{\"code\":\"unavailable\",\"message\":\"%s; retry shortly.\","
			 "\"request_id\":\"%s\"}}",
			 why, rid);
	int mlen = snprintf(msg, sizeof msg,
			    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
			    "Content-Length: %d\r\nRetry-After: 1\r\nCache-Control: no-store\r\n"
			    "X-Request-Id: %s\r\nConnection: close\r\n\r\n%s",
			    blen, rid, body);
	char sink[4096];
	(void)!recv(fd, sink, sizeof sink, MSG_DONTWAIT);
	if (mlen > 0 && (size_t)mlen < sizeof msg)
		(void)!send(fd, msg, (size_t)mlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	arena_reset(&l->scratch);
	if (l->refused_total + l->refused_per_ip + l->refused_other == 0)
		l->refusal_window_ms = now_ms();
	if (v == CONN_REFUSED_TOTAL)
		l->refused_total++;
	else if (v == CONN_REFUSED_PER_IP)
		l->refused_per_ip++;
	else
		l->refused_other++;
}

static void hand_over(struct listener *l, int fd, struct sockaddr_storage *peer, socklen_t len)
{
	enum conn_verdict v = conntable_admit(l->table, fd, (struct sockaddr *)peer, len);
	if (v != CONN_ADMITTED) {
		refuse(l, fd, v);
		return;
	}
	/* counted before MHD sees it: queued for a worker, it already counts.
	 * MHD owns fd from here on; MHD_NO means it closed fd and will never
	 * notify (see listener_on_connection), so only this uncounts it. */
	if (MHD_add_connection(l->daemon, fd, (struct sockaddr *)peer, len) != MHD_YES)
		conntable_release(l->table, fd);
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
		/* blocks for a connection, or SWEEP_MS at most (SO_RCVTIMEO) */
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd >= 0) {
			warned = false;
			hand_over(l, fd, &peer, len);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			   errno != ECONNABORTED) {
			/* out of descriptors or memory: the backlog waits */
			if (!warned)
				log_msg(LOG_WARN, "accept failed: %s; retrying", strerror(errno));
			warned = true;
			pause_ms(20);
		}
		int64_t now = now_ms();
		if (now - l->last_sweep_ms >= SWEEP_MS)
			sweep(l, now);
		log_refusals(l, now);
	}
}

bool listener_start(struct listener *l, struct MHD_Daemon *daemon)
{
	l->daemon = daemon;
	l->last_sweep_ms = now_ms();
	if (pthread_create(&l->thread, NULL, accept_loop, l) != 0)
		return false;
	l->started = true;
	return true;
}

void listener_stop(struct listener *l)
{
	if (l == NULL || l->fd < 0)
		return;
	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	/* takes the socket out of the listening state: pending and new
	 * handshakes are refused, and the blocked accept() returns */
	shutdown(l->fd, SHUT_RDWR);
	if (l->started)
		pthread_join(l->thread, NULL);
	l->started = false;
	close(l->fd);
	l->fd = -1;
}

void listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_stop(l);
	conntable_free(l->table);
	arena_destroy(&l->scratch);
	free(l);
}
