/*
 * fields.h: field-level validation errors ("email": "invalid_format") that a
 * service or an API handler collects and the HTTP layer renders inside the
 * error envelope. Also the small text validators every layer shares.
 */
#ifndef SAASD_FIELDS_H
#define SAASD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

struct field_error {
	const char *field;
	const char *code;
	struct field_error *next;
};

struct field_errors {
	struct field_error *head;
	int count;
};

/* Record one error (strings must outlive the request: literals or arena). */
void fields_add(struct arena *a, struct field_errors *fe, const char *field, const char *code);

/* Well-formed UTF-8 with no control characters, length in code points. */
bool text_valid(const char *s, size_t min_chars, size_t max_chars);
/* Absolute http:// or https:// URL with a host, printable ASCII, <= 2048. */
bool url_valid_http(const char *s);

#endif
