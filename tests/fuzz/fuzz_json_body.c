/*
 * fuzz_json_body.c: libFuzzer target for json_body_parse(), the gate every
 * request body passes before a handler sees it. The input is the raw body,
 * exactly as received (not NUL-terminated, so ASan catches any over-read).
 * Checks the promises of json_body.h: ST_OK means an object nested at most
 * JSON_MAX_DEPTH deep whose strings hold no NUL; a refusal leaves *out NULL
 * and gives a reason; a body with a raw NUL byte is never accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/json_body.h"

/* Depth of a parsed value, counting arrays and objects like the pre-scan;
 * also traps on a string or key with an embedded NUL (\u0000). */
static int depth_of(json_t *v)
{
	int max = 0;
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			__builtin_trap();
		return 0;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
		{
			int d = depth_of(item);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_object(v)) {
		const char *key;
		json_t *item;
		json_object_foreach(v, key, item)
		{
			int d = depth_of(item);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: a zero-length input still gets a valid pointer */
	char *body = malloc(size ? size : 1);
	if (size)
		memcpy(body, data, size);
	json_t *v = (json_t *)1;
	const char *why = NULL;
	enum status st = json_body_parse(body, size, &v, &why);
	if (st == ST_OK) {
		if (v == NULL || !json_is_object(v) || depth_of(v) > JSON_MAX_DEPTH)
			__builtin_trap();
		if (memchr(body, '\0', size) != NULL)
			__builtin_trap();
		/* what we accepted serialises back into something we accept */
		char *again = json_dumps(v, JSON_COMPACT);
		json_t *w = NULL;
		if (again == NULL || json_body_parse(again, strlen(again), &w, &why) != ST_OK ||
		    !json_equal(v, w))
			__builtin_trap();
		json_decref(w);
		free(again);
		json_decref(v);
	} else {
		if (v != NULL || why == NULL || why[0] == '\0')
			__builtin_trap();
		if (st != ST_INVALID_JSON && st != ST_VALIDATION_FAILED)
			__builtin_trap();
	}
	free(body);
	return 0;
}
