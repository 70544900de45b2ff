/*
 * status.h: the outcome enum generated from status.def, and its mappings to
 * an HTTP status, a stable machine code and a public message. The public
 * message never carries internals; log-only detail goes through log.h.
 */
#ifndef SAASD_STATUS_H
#define SAASD_STATUS_H

enum status {
#define X(name, http, code, msg) name,
#include "status.def"
#undef X
	ST__COUNT
};

int status_http(enum status st);
const char *status_code(enum status st);
const char *status_message(enum status st);

#endif
