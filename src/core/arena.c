/*
 * arena.c: chunked bump allocator. Chunks grow to fit big requests; defers
 * run in reverse registration order so later objects die before earlier ones.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *ptr;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fputs("saasd: out of memory\n", stderr);
		abort();
	}
	return p;
}

void arena_init(struct arena *a, size_t chunk_size)
{
	a->head = NULL;
	a->defers = NULL;
	a->chunk_size = chunk_size ? chunk_size : 4096;
}

static void run_defers(struct arena *a)
{
	struct arena_defer *d = a->defers;
	a->defers = NULL; /* defers may not register new defers on this arena */
	for (; d != NULL; d = d->next)
		d->fn(d->ptr);
}

void arena_reset(struct arena *a)
{
	run_defers(a);
	struct arena_chunk *c = a->head;
	if (c == NULL)
		return;
	/* keep the oldest chunk (the tail) for reuse */
	while (c->next != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	c->used = 0;
	a->head = c;
}

void arena_destroy(struct arena *a)
{
	run_defers(a);
	struct arena_chunk *c = a->head;
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

void *arena_alloc(struct arena *a, size_t size)
{
	/* only a wrapped size computation gets here; rounding it up would wrap
	 * to a tiny block that the caller then overruns */
	if (size > SIZE_MAX / 2) {
		fputs("saasd: arena allocation size overflow\n", stderr);
		abort();
	}
	size = (size + 15u) & ~(size_t)15u;
	struct arena_chunk *c = a->head;
	if (c == NULL || c->size - c->used < size) {
		size_t cap = size > a->chunk_size ? size : a->chunk_size;
		c = xmalloc(sizeof(*c) + cap);
		c->size = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct arena_defer *d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->ptr = ptr;
	d->next = a->defers;
	a->defers = d;
}
