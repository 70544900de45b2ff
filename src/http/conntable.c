/*
 * conntable.c: slots indexed by descriptor, a per-client count in an open
 * addressing table (linear probing, backward-shift deletion, SipHash with a
 * random key so no client can aim at one bucket), and a FIFO of the slots
 * waiting for headers, in deadline order (one timeout for all). Every
 * operation is O(1) under one mutex, except expiry, O(expired).
 */
#include "conntable.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum slot_state {
	SLOT_FREE,
	SLOT_PENDING, /* handed over, not started yet */
	SLOT_WAITING, /* started, waiting for a request's headers (in the FIFO) */
	SLOT_BUSY, /* a request is being read, run or answered */
	SLOT_DROPPED, /* overdue: shut down, MHD closes it */
};

/* A client: an IPv4 address (tag 4) or an IPv6 /64 (tag 6). */
struct client_key {
	uint64_t v;
	uint8_t tag; /* 0: none */
};

struct slot {
	struct client_key key;
	uint8_t state;
	int32_t prev, next; /* FIFO links (descriptors), -1 at the ends */
	int64_t deadline_ms;
};

struct bucket {
	struct client_key key; /* tag 0: empty */
	uint32_t count;
};

struct conntable {
	pthread_mutex_t mu;
	struct conntable_limits lim;
	struct slot *slots; /* lim.max_fd */
	struct bucket *buckets;
	size_t mask; /* buckets - 1 (a power of two) */
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	int total;
	int32_t head, tail; /* the FIFO of SLOT_WAITING, oldest first */
};

int conntable_capacity(long nofile, int reserve, int configured)
{
	long room = nofile - reserve;
	long n = configured < room ? configured : room;
	return n >= 1 ? (int)n : 1;
}

static bool key_of(const struct sockaddr *sa, socklen_t len, struct client_key *k)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const uint8_t *b;
	memset(k, 0, sizeof *k);
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		b = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		k->tag = 4;
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(b, mapped, sizeof mapped) == 0) {
			b += 12; /* ::ffff:a.b.c.d is the IPv4 client */
			k->tag = 4;
		} else {
			/* one host gets a /64 and may use any address in it */
			for (int i = 0; i < 8; i++)
				k->v = (k->v << 8) | b[i];
			k->tag = 6;
			return true;
		}
	} else {
		return false;
	}
	k->v = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
	return true;
}

static bool key_eq(const struct client_key *a, const struct client_key *b)
{
	return a->tag == b->tag && a->v == b->v;
}

static size_t key_hash(const struct conntable *t, const struct client_key *k)
{
	unsigned char in[9], out[crypto_shorthash_BYTES];
	memcpy(in, &k->v, 8);
	in[8] = k->tag;
	crypto_shorthash(out, in, sizeof in, t->hash_key);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return (size_t)h & t->mask;
}

/* The bucket holding k, or the empty one where it would go. */
static size_t bucket_find(const struct conntable *t, const struct client_key *k)
{
	size_t i = key_hash(t, k);
	while (t->buckets[i].key.tag != 0 && !key_eq(&t->buckets[i].key, k))
		i = (i + 1) & t->mask;
	return i;
}

static uint32_t bucket_count(const struct conntable *t, const struct client_key *k)
{
	const struct bucket *b = &t->buckets[bucket_find(t, k)];
	return b->key.tag != 0 ? b->count : 0;
}

/* Backward-shift deletion: no tombstones, so probes stay short forever. */
static void bucket_delete(struct conntable *t, size_t hole)
{
	size_t i = hole;
	for (;;) {
		i = (i + 1) & t->mask;
		if (t->buckets[i].key.tag == 0)
			break;
		size_t home = key_hash(t, &t->buckets[i].key);
		/* move i into the hole unless its home lies in (hole, i] */
		bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
		if (!stays) {
			t->buckets[hole] = t->buckets[i];
			hole = i;
		}
	}
	memset(&t->buckets[hole], 0, sizeof t->buckets[hole]);
}

static void bucket_decrement(struct conntable *t, const struct client_key *k)
{
	size_t i = bucket_find(t, k);
	if (t->buckets[i].key.tag == 0)
		return;
	if (--t->buckets[i].count == 0)
		bucket_delete(t, i);
}

struct conntable *conntable_new(const struct conntable_limits *lim)
{
	struct conntable *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->lim = *lim;
	if (t->lim.max_fd < 1)
		t->lim.max_fd = 1;
	if (t->lim.max_total < 1)
		t->lim.max_total = 1;
	/* at most max_total clients at once: keep the load under one half */
	size_t n = 16;
	while (n < 2 * (size_t)t->lim.max_total)
		n *= 2;
	t->buckets = calloc(n, sizeof *t->buckets);
	t->slots = calloc((size_t)t->lim.max_fd, sizeof *t->slots);
	if (t->buckets == NULL || t->slots == NULL)
		abort();
	t->mask = n - 1;
	if (sodium_init() < 0)
		abort();
	crypto_shorthash_keygen(t->hash_key);
	t->head = t->tail = -1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void conntable_free(struct conntable *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->slots);
	free(t->buckets);
	free(t);
}

static void fifo_remove(struct conntable *t, int32_t fd)
{
	struct slot *s = &t->slots[fd];
	if (s->prev >= 0)
		t->slots[s->prev].next = s->next;
	else
		t->head = s->next;
	if (s->next >= 0)
		t->slots[s->next].prev = s->prev;
	else
		t->tail = s->prev;
	s->prev = s->next = -1;
}

static void fifo_append(struct conntable *t, int32_t fd, int64_t deadline_ms)
{
	struct slot *s = &t->slots[fd];
	s->deadline_ms = deadline_ms;
	s->state = SLOT_WAITING;
	s->next = -1;
	s->prev = t->tail;
	if (t->tail >= 0)
		t->slots[t->tail].next = fd;
	else
		t->head = fd;
	t->tail = fd;
}

static void release_locked(struct conntable *t, int fd)
{
	struct slot *s = &t->slots[fd];
	if (s->state == SLOT_FREE)
		return;
	if (s->state == SLOT_WAITING)
		fifo_remove(t, fd);
	bucket_decrement(t, &s->key);
	t->total--;
	memset(s, 0, sizeof *s);
}

static bool fd_ok(const struct conntable *t, int fd)
{
	return fd >= 0 && fd < t->lim.max_fd;
}

enum conn_verdict conntable_admit(struct conntable *t, int fd, const struct sockaddr *peer,
				  socklen_t len)
{
	struct client_key k;
	if (!fd_ok(t, fd) || !key_of(peer, len, &k))
		return CONN_REFUSED_FD;
	enum conn_verdict v = CONN_ADMITTED;
	pthread_mutex_lock(&t->mu);
	/* the slot of a connection that closed unannounced (MHD gave up on it
	 * before starting it): fd is ours again, so that socket is gone */
	release_locked(t, fd);
	size_t i = bucket_find(t, &k);
	struct bucket *b = &t->buckets[i];
	if (t->total >= t->lim.max_total)
		v = CONN_REFUSED_TOTAL;
	else if (b->key.tag != 0 && b->count >= (uint32_t)t->lim.max_per_ip)
		v = CONN_REFUSED_PER_IP;
	if (v == CONN_ADMITTED) {
		if (b->key.tag == 0)
			b->key = k;
		b->count++;
		t->total++;
		struct slot *s = &t->slots[fd];
		s->key = k;
		s->state = SLOT_PENDING;
		s->prev = s->next = -1;
	}
	pthread_mutex_unlock(&t->mu);
	return v;
}

void conntable_release(struct conntable *t, int fd)
{
	if (!fd_ok(t, fd))
		return;
	pthread_mutex_lock(&t->mu);
	release_locked(t, fd);
	pthread_mutex_unlock(&t->mu);
}

void conntable_started(struct conntable *t, int fd, int64_t now_ms)
{
	if (!fd_ok(t, fd))
		return;
	pthread_mutex_lock(&t->mu);
	if (t->slots[fd].state == SLOT_PENDING)
		fifo_append(t, fd, now_ms + t->lim.header_timeout_ms);
	pthread_mutex_unlock(&t->mu);
}

void conntable_headers_done(struct conntable *t, int fd)
{
	if (!fd_ok(t, fd))
		return;
	pthread_mutex_lock(&t->mu);
	if (t->slots[fd].state == SLOT_WAITING) {
		fifo_remove(t, fd);
		t->slots[fd].state = SLOT_BUSY;
	}
	pthread_mutex_unlock(&t->mu);
}

void conntable_request_done(struct conntable *t, int fd, int64_t now_ms)
{
	if (!fd_ok(t, fd))
		return;
	pthread_mutex_lock(&t->mu);
	if (t->slots[fd].state == SLOT_BUSY)
		fifo_append(t, fd, now_ms + t->lim.header_timeout_ms);
	pthread_mutex_unlock(&t->mu);
}

int conntable_expire(struct conntable *t, int64_t now_ms, void (*drop)(int fd, void *arg),
		     void *arg, int max)
{
	int n = 0;
	pthread_mutex_lock(&t->mu);
	while (n < max && t->head >= 0 && t->slots[t->head].deadline_ms <= now_ms) {
		int32_t fd = t->head;
		fifo_remove(t, fd);
		t->slots[fd].state = SLOT_DROPPED;
		drop(fd, arg);
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

int conntable_total(struct conntable *t)
{
	pthread_mutex_lock(&t->mu);
	int n = t->total;
	pthread_mutex_unlock(&t->mu);
	return n;
}

int conntable_per_ip(struct conntable *t, const struct sockaddr *peer, socklen_t len)
{
	struct client_key k;
	if (!key_of(peer, len, &k))
		return 0;
	pthread_mutex_lock(&t->mu);
	uint32_t n = bucket_count(t, &k);
	pthread_mutex_unlock(&t->mu);
	return (int)n;
}
