/*
 * jsonw.c: append-only buffer growing by doubling in the arena (old buffers
 * stay until the arena resets; payloads are small).
 */
#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json_escape.h"

void jsonw_init(struct jsonw *w, struct arena *a)
{
	memset(w, 0, sizeof *w);
	w->a = a;
	w->first[0] = true;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *nb = arena_alloc(w->a, cap);
		if (w->len)
			memcpy(nb, w->buf, w->len);
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* A value or key is about to be written at the current depth. */
static void separate(struct jsonw *w)
{
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void open(struct jsonw *w, const char *ch)
{
	put(w, ch, 1);
	if (w->depth + 1 < JSONW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

void jsonw_object_begin(struct jsonw *w)
{
	separate(w);
	open(w, "{");
}

void jsonw_array_begin(struct jsonw *w)
{
	separate(w);
	open(w, "[");
}

void jsonw_object_end(struct jsonw *w)
{
	put(w, "}", 1);
	if (w->depth > 0)
		w->depth--;
}

void jsonw_array_end(struct jsonw *w)
{
	put(w, "]", 1);
	if (w->depth > 0)
		w->depth--;
}

static void put_sink(void *w, const char *s, size_t n)
{
	put(w, s, n);
}

static void quoted(struct jsonw *w, const char *s)
{
	json_escape(s, put_sink, w);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	separate(w);
	quoted(w, key);
	put(w, ":", 1);
	w->first[w->depth] = true; /* the value follows without a comma */
}

/* After a value at this depth the next item needs a comma. */
static void value_done(struct jsonw *w)
{
	w->first[w->depth] = false;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	separate(w);
	if (s == NULL)
		put(w, "null", 4);
	else
		quoted(w, s);
	value_done(w);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char num[24];
	separate(w);
	int n = snprintf(num, sizeof num, "%" PRId64, v);
	put(w, num, (size_t)n);
	value_done(w);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	separate(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
	value_done(w);
}

void jsonw_null(struct jsonw *w)
{
	separate(w);
	put(w, "null", 4);
	value_done(w);
}

void jsonw_raw(struct jsonw *w, const char *json)
{
	separate(w);
	put(w, json, strlen(json));
	value_done(w);
}

void jsonw_kv_string(struct jsonw *w, const char *key, const char *v)
{
	jsonw_key(w, key);
	jsonw_string(w, v);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

const char *jsonw_text(struct jsonw *w)
{
	return w->buf ? w->buf : "";
}
