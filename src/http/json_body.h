/*
 * json_body.h: turn a raw request body into a JSON object, refusing hostile
 * input before jansson sees it: nesting deeper than JSON_MAX_DEPTH, NUL
 * bytes, invalid UTF-8 (jansson), duplicate keys, non-object top level.
 */
#ifndef SAASD_JSON_BODY_H
#define SAASD_JSON_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "../core/status.h"

#define JSON_MAX_DEPTH 32

/* ST_OK with *out an object (caller owns the reference), ST_INVALID_JSON
 * for malformed/too-deep input, ST_VALIDATION_FAILED for a non-object. */
enum status json_body_parse(const char *body, size_t len, json_t **out, const char **why);

/* Maximum nesting depth of arrays/objects, ignoring brackets in strings.
 * Stops counting past limit. */
int json_body_depth(const char *body, size_t len, int limit);

#endif
