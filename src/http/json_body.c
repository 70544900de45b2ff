/*
 * json_body.c: a single linear pre-scan bounds nesting (jansson's own limit is
 * 2048, far too deep for an API body) and spots raw NUL bytes; then jansson
 * parses with duplicate keys rejected.
 */
#include "json_body.h"

#include <string.h>

int json_body_depth(const char *body, size_t len, int limit)
{
	int depth = 0, max = 0;
	int in_string = 0, escaped = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = body[i];
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (ch == '\\')
				escaped = 1;
			else if (ch == '"')
				in_string = 0;
			continue;
		}
		if (ch == '"') {
			in_string = 1;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				max = depth;
			if (max > limit)
				return max;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return max;
}

enum status json_body_parse(const char *body, size_t len, json_t **out, const char **why)
{
	*out = NULL;
	if (memchr(body, '\0', len) != NULL) {
		*why = "The request body contains a NUL byte.";
		return ST_INVALID_JSON;
	}
	if (json_body_depth(body, len, JSON_MAX_DEPTH) > JSON_MAX_DEPTH) {
		*why = "The request body is nested too deeply.";
		return ST_INVALID_JSON;
	}
	json_error_t err;
	/* DECODE_ANY: a bare scalar is valid JSON, refused below as a non-object */
	json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (v == NULL) {
		*why = "The request body is not valid JSON.";
		return ST_INVALID_JSON;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		*why = "The request body must be a JSON object.";
		return ST_VALIDATION_FAILED;
	}
	*out = v;
	return ST_OK;
}
