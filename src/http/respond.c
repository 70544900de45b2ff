/*
 * respond.c: response rendering. An error answer renders the call's error
 * record (ctx.err, filled by the service that failed): its public message,
 * Retry-After, the quota fields. Its detail goes to the log line only. A 5xx
 * never carries internal detail: its message is the status table's.
 */
#include "respond.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *respond_public_message(const struct request *req, enum status st)
{
	if (req->error_message != NULL)
		return req->error_message;
	/* a record left by a failure the caller then turned into another
	 * status describes that failure, not this one */
	if (req->ctx.err.st == st)
		return req->ctx.err.message;
	return NULL;
}

json_t *respond_error_body(const struct request *req, enum status st)
{
	json_t *err = json_object();
	json_object_set_new(err, "code", json_string(status_code(st)));
	bool server_side = status_http(st) >= 500;
	const char *msg = server_side ? NULL : respond_public_message(req, st);
	if (msg == NULL)
		msg = status_message(st);
	json_object_set_new(err, "message", json_string(msg));
	json_object_set_new(err, "request_id", json_string(req->request_id ? req->request_id : ""));
	if (req->errors.count > 0 && !server_side) {
		json_t *fields = json_object();
		for (const struct field_error *e = req->errors.head; e; e = e->next)
			json_object_set_new(fields, e->field, json_string(e->code));
		json_object_set_new(err, "fields", fields);
	}
	json_t *root = json_object();
	const struct svc_error *e = &req->ctx.err;
	if (st == ST_QUOTA_EXCEEDED && e->quota.metric != NULL) {
		/* API.md: "body adds limit, used, metric". Clients of error
		 * objects look inside "error" (as with Stripe): both get them. */
		json_t *limit = e->quota.limit >= 0 ? json_integer(e->quota.limit) : json_null();
		json_object_set_new(err, "metric", json_string(e->quota.metric));
		json_object_set(err, "limit", limit);
		json_object_set_new(err, "used", json_integer(e->quota.used));
		json_object_set_new(root, "metric", json_string(e->quota.metric));
		json_object_set_new(root, "limit", limit);
		json_object_set_new(root, "used", json_integer(e->quota.used));
	}
	json_object_set_new(root, "error", err);
	return root;
}

/* Cache-Control: no-store, unless the handler chose its own (public
 * documents such as the JWKS and /openapi.json): one header, never two. */
static bool handler_set_cache_control(const struct request *req)
{
	for (int i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "Cache-Control") == 0)
			return true;
	return false;
}

static void add_headers(struct request *req, struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	if (!handler_set_cache_control(req))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (int i = 0; i < req->nheaders; i++)
		MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
}

/* A streamed body: MHD pulls it with chunked encoding; the stream's state
 * passes to MHD, which releases it through done. */
static bool respond_stream(struct request *req)
{
	struct reply_stream *s = req->stream;
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
								      s->next, s->arg, s->done);
	if (resp == NULL)
		return false;
	s->arg = NULL; /* MHD owns it now */
	MHD_add_response_header(resp, "Content-Type", s->content_type);
	add_headers(req, resp);
	int code = req->http_status ? req->http_status : 200;
	MHD_queue_response(req->conn, (unsigned)code, resp);
	MHD_destroy_response(resp);
	req->http_status = code;
	req->responded = true;
	return true;
}

void respond(struct request *req, enum status st)
{
	if (st == ST_OK && req->stream != NULL && respond_stream(req))
		return;
	int code;
	json_t *body;
	if (st == ST_OK) {
		code = req->http_status ? req->http_status : 200;
		body = req->reply ? json_incref(req->reply) : NULL;
	} else {
		code = status_http(st);
		body = respond_error_body(req, st);
		if (req->ctx.err.st == st)
			req->log_detail = req->ctx.err.detail;
		if (code == 401 && st == ST_MISSING_API_KEY)
			reply_header(req, "WWW-Authenticate", "Bearer");
		if ((st == ST_RATE_LIMITED || st == ST_TOO_MANY_ATTEMPTS) &&
		    req->ctx.err.retry_after_s > 0)
			reply_header(req, "Retry-After",
				     arena_printf(&req->arena, "%d", req->ctx.err.retry_after_s));
	}
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	const char *content_type = "application/json";
	if (st == ST_OK && req->reply_text != NULL) {
		text = strdup(req->reply_text);
		content_type = req->reply_content_type;
	}
	size_t len = text ? strlen(text) : 0;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text ? text : (char *)"",
								    text ? MHD_RESPMEM_MUST_FREE
									 : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(text);
		return;
	}
	if (text != NULL)
		MHD_add_response_header(resp, "Content-Type", content_type);
	add_headers(req, resp);
	MHD_queue_response(req->conn, (unsigned)code, resp);
	MHD_destroy_response(resp);
	req->http_status = code;
	req->responded = true;
}
