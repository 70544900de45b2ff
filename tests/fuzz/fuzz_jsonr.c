/*
 * fuzz_jsonr.c: libFuzzer target for core/jsonr.c, the reader of tier
 * features and limits stored as JSON text. Inputs with a NUL are skipped
 * (columns are C strings). Traps when an invariant breaks: whatever reads
 * as an array of strings or an object of integers, written again by
 * core/jsonw.c, reads back to the same items (no crash, no over-read: the
 * sanitizers watch every byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/jsonr.h"
#include "core/jsonw.h"

static void check_array(struct arena *a, const char *in)
{
	const char **s, **again;
	int n = jsonr_string_array(a, in, &s);
	if (n < 0)
		return;
	struct jsonw w;
	jsonw_init(&w, a);
	jsonw_array_begin(&w);
	for (int i = 0; i < n; i++)
		jsonw_string(&w, s[i]);
	jsonw_array_end(&w);
	if (jsonr_string_array(a, jsonw_text(&w), &again) != n)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (strcmp(s[i], again[i]) != 0)
			__builtin_trap();
}

static void check_object(struct arena *a, const char *in)
{
	struct jsonr_member *m, *again;
	int n = jsonr_int_object(a, in, &m);
	if (n < 0)
		return;
	struct jsonw w;
	jsonw_init(&w, a);
	jsonw_object_begin(&w);
	for (int i = 0; i < n; i++) {
		jsonw_key(&w, m[i].key);
		if (m[i].null)
			jsonw_null(&w);
		else
			jsonw_int(&w, m[i].value);
	}
	jsonw_object_end(&w);
	if (jsonr_int_object(a, jsonw_text(&w), &again) != n)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].key, again[i].key) != 0 || m[i].null != again[i].null ||
		    m[i].value != again[i].value)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	char *in = strndup((const char *)data, size);
	struct arena a;
	arena_init(&a, 0);
	check_array(&a, in);
	check_object(&a, in);
	arena_destroy(&a);
	free(in);
	return 0;
}
