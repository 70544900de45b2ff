/*
 * jsonr.h: a small strict reader for the two JSON shapes stored in text
 * columns (a tier's features and limits): an array of strings and an object
 * of integers or nulls, for layers that may not use jansson. Anything else
 * (other value types, nesting, trailing bytes, bad escapes) is refused.
 */
#ifndef SAASD_JSONR_H
#define SAASD_JSONR_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

struct jsonr_member {
	const char *key;
	bool null;
	int64_t value; /* when !null */
};

/* ["a", "b"]: *out gets n strings (UTF-8, in the arena); returns n, or -1
 * when json is not such an array. */
int jsonr_string_array(struct arena *a, const char *json, const char ***out);

/* {"k": 1, "m": null}: members in text order; returns n, or -1 when json is
 * not such an object (integers must fit int64; no fraction or exponent). */
int jsonr_int_object(struct arena *a, const char *json, struct jsonr_member **out);

#endif
