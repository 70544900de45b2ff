/*
 * input.h: reading typed fields out of the request's JSON body. Each reader
 * records a field error (required, invalid_type, invalid_length, ...) in
 * req->errors and returns false; handlers check req->errors.count once at the
 * end, so one answer reports every bad field. Strings are UTF-8 (jansson
 * guarantees it) and refused when they contain control characters.
 */
#ifndef SAASD_API_INPUT_H
#define SAASD_API_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "../http/request.h"

/* Refuse members not in allowed (NULL-terminated): "unknown_field". */
bool in_known_fields(struct request *req, const json_t *obj, const char *const *allowed,
		     const char *prefix);

/* A string member; absent -> *out NULL (error only when required). */
bool in_string(struct request *req, const json_t *obj, const char *key, bool required,
	       size_t min_chars, size_t max_chars, const char **out);
/* Like in_string but JSON null is allowed and reported through *is_null. */
bool in_nullable_string(struct request *req, const json_t *obj, const char *key, size_t min_chars,
			size_t max_chars, const char **out, bool *is_null);
/* An integer member in [min, max]; *present tells whether it was given. */
bool in_int(struct request *req, const json_t *obj, const char *key, bool required, int64_t min,
	    int64_t max, int64_t *out, bool *present, bool *is_null);
bool in_bool(struct request *req, const json_t *obj, const char *key, bool *out, bool *present);
/* The body object (an empty object when no body was sent). */
const json_t *in_body(struct request *req);
/* ST_VALIDATION_FAILED when any field error was recorded. */
enum status in_result(const struct request *req);

#endif
