/*
 * arena.h: per-request bump allocator with deferred cleanups.
 * Everything a request allocates lives here and is released at once by
 * arena_reset()/arena_destroy(); nothing is ever freed piece by piece.
 * Allocation failure aborts (OOM is not a recoverable condition here).
 */
#ifndef SAASD_ARENA_H
#define SAASD_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena_defer;

struct arena {
	struct arena_chunk *head;
	struct arena_defer *defers;
	size_t chunk_size;
};

/* Initialise an empty arena; the first chunk is allocated lazily. */
void arena_init(struct arena *a, size_t chunk_size);
/* Run defers (last registered first) and free every chunk but the first. */
void arena_reset(struct arena *a);
/* Run defers and free everything. */
void arena_destroy(struct arena *a);

/* Aligned allocation, zero-filled. Never returns NULL. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Call fn(ptr) when the arena is reset or destroyed. */
void arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

#endif
