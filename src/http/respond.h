/*
 * respond.h: writes the answer for a request: the handler's JSON on success,
 * otherwise the error envelope of API.md built from the status table. Adds
 * X-Request-Id, Cache-Control: no-store and any headers the handler set.
 */
#ifndef SAASD_RESPOND_H
#define SAASD_RESPOND_H

#include "request.h"

/* Queue the response for st (ST_OK: req->reply / req->http_status). */
void respond(struct request *req, enum status st);

/* The public message of an error answer other than the table's, or NULL:
 * req->error_message (the http/api layer's own, about the request's input),
 * else the service's record when it describes st. */
const char *respond_public_message(const struct request *req, enum status st);

/* The error envelope as a new JSON object (exposed for unit tests). */
json_t *respond_error_body(const struct request *req, enum status st);

#endif
