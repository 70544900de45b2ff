/*
 * request.c: accessors over MHD's connection data and the reply helpers.
 * Query values are checked for valid UTF-8 here so no handler forwards raw
 * bytes to the store.
 */
#include "request.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ids.h"

const char *req_param(const struct request *req, const char *name)
{
	for (int i = 0; i < req->match.nparams; i++)
		if (strcmp(req->match.names[i], name) == 0)
			return req->match.values[i];
	return NULL;
}

const char *req_header(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

enum status req_query(struct request *req, const char *name, const char **out)
{
	*out = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
	if (*out != NULL && !text_valid(*out, 0, 1024)) {
		fields_add(&req->arena, &req->errors, name, "invalid_text");
		*out = NULL;
		return ST_VALIDATION_FAILED;
	}
	return ST_OK;
}

enum status req_page(struct request *req, struct page *pg)
{
	return req_page_cursor(req, pg, id_plausible);
}

enum status req_page_cursor(struct request *req, struct page *pg,
			    bool (*cursor_ok)(const char *cursor))
{
	const char *limit = NULL, *after = NULL;
	pg->limit = 20;
	pg->after = NULL;
	enum status st = req_query(req, "limit", &limit);
	if (st == ST_OK)
		st = req_query(req, "after", &after);
	if (st != ST_OK)
		return st;
	if (limit != NULL) {
		char *end;
		errno = 0;
		long v = strtol(limit, &end, 10);
		if (errno != 0 || end == limit || *end != '\0' || v < 1 || v > 100) {
			fields_add(&req->arena, &req->errors, "limit", "out_of_range");
			return ST_VALIDATION_FAILED;
		}
		pg->limit = (int)v;
	}
	if (after != NULL && after[0] != '\0') {
		if (!cursor_ok(after)) {
			fields_add(&req->arena, &req->errors, "after", "invalid_cursor");
			return ST_VALIDATION_FAILED;
		}
		pg->after = after;
	}
	return ST_OK;
}

void reply_header(struct request *req, const char *name, const char *value)
{
	if (req->nheaders == REQ_MAX_HEADERS)
		return;
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = value;
	req->nheaders++;
}

static void release_json(void *p)
{
	json_decref(p);
}

enum status reply_json(struct request *req, int http_status, json_t *body)
{
	req->http_status = http_status;
	req->reply = body;
	if (body != NULL)
		arena_defer(&req->arena, release_json, body);
	return ST_OK;
}

enum status reply_text(struct request *req, int http_status, const char *content_type, char *text)
{
	req->http_status = http_status;
	req->reply_text = text;
	req->reply_content_type = content_type;
	arena_defer(&req->arena, free, text);
	return ST_OK;
}

static void stream_abandoned(void *p)
{
	struct reply_stream *s = p;
	if (s->arg != NULL)
		s->done(s->arg); /* never handed to MHD (an error answer went instead) */
}

enum status reply_stream(struct request *req, int http_status, const char *content_type,
			 ssize_t (*next)(void *, uint64_t, char *, size_t), void (*done)(void *),
			 void *arg)
{
	struct reply_stream *s = arena_alloc(&req->arena, sizeof *s);
	s->next = next;
	s->done = done;
	s->arg = arg;
	s->content_type = content_type;
	req->http_status = http_status;
	req->stream = s;
	arena_defer(&req->arena, stream_abandoned, s);
	return ST_OK;
}

enum status reply_empty(struct request *req, int http_status)
{
	return reply_json(req, http_status, NULL);
}

enum status reply_list(struct request *req, json_t *items, bool has_more, const char *cursor)
{
	json_t *o = json_object();
	json_object_set_new(o, "data", items);
	json_object_set_new(o, "has_more", json_boolean(has_more));
	json_object_set_new(o, "next_cursor",
			    has_more && cursor ? json_string(cursor) : json_null());
	return reply_json(req, 200, o);
}
