/*
 * jsonw.h: a small streaming JSON writer into the arena, for layers that
 * must produce JSON without jansson (services building webhook payloads).
 * Strings are escaped per RFC 8259; the caller supplies valid UTF-8.
 */
#ifndef SAASD_JSONW_H
#define SAASD_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

#define JSONW_MAX_DEPTH 16

struct jsonw {
	struct arena *a;
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JSONW_MAX_DEPTH]; /* no comma needed yet at this depth */
};

void jsonw_init(struct jsonw *w, struct arena *a);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* Inside an object: the next value's key. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Already-serialised JSON (e.g. a nested payload). */
void jsonw_raw(struct jsonw *w, const char *json);
/* Shorthands for "key": value inside an object. */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *v);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
/* The text so far (NUL-terminated, lives in the arena). */
const char *jsonw_text(struct jsonw *w);

#endif
