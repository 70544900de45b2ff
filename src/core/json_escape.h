/*
 * json_escape.h: a string as a JSON string literal (quotes included), for
 * the writers that build JSON text themselves (core/jsonw.c for payloads,
 * core/log.c for log lines). '"', '\' and control characters (and DEL) are
 * escaped; other bytes pass through (callers hold UTF-8).
 */
#ifndef SAASD_JSON_ESCAPE_H
#define SAASD_JSON_ESCAPE_H

#include <stddef.h>

/* Writes "s" through put(sink, bytes, n), runs of plain bytes at once. */
void json_escape(const char *s, void (*put)(void *sink, const char *bytes, size_t n), void *sink);

#endif
