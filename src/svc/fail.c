/*
 * fail.c: the error record of a call (struct svc_error). A service fills it
 * where it knows why it fails; the http layer renders it (respond.c) and logs
 * the detail, so no caller has to guess a message from a generic status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "svc.h"

enum status svc_fail(struct svc_ctx *c, enum status st, const char *message)
{
	c->err.st = st;
	c->err.message = message;
	return st;
}

enum status svc_fail_detail(struct svc_ctx *c, enum status st, const char *message, const char *fmt,
			    ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	svc_fail(c, st, message);
	c->err.detail = arena_strdup(c->arena, buf);
	return st;
}
