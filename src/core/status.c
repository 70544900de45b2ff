/*
 * status.c: lookups into the status.def table. Out-of-range values map to
 * internal_error so a bad enum can never produce a 2xx.
 */
#include "status.h"

static const struct {
	int http;
	const char *code;
	const char *message;
} table[] = {
#define X(name, http, code, msg) {http, code, msg},
#include "status.def"
#undef X
};

static int valid(enum status st)
{
	return (unsigned)st < (unsigned)ST__COUNT;
}

int status_http(enum status st)
{
	return valid(st) ? table[st].http : 500;
}

const char *status_code(enum status st)
{
	return valid(st) ? table[st].code : "internal_error";
}

const char *status_message(enum status st)
{
	return valid(st) ? table[st].message : "An internal error occurred.";
}
