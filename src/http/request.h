/*
 * request.h: one HTTP request as the api/ handlers see it, and the reply
 * helpers they answer with. Everything hangs off req->arena and dies with the
 * request (the server frees it in MHD's completed callback).
 */
#ifndef SAASD_REQUEST_H
#define SAASD_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/arena.h"
#include "../core/fields.h"
#include "../core/status.h"
#include "../store/users.h"
#include "../svc/svc.h"
#include "router.h"

#define BODY_MAX (64 * 1024)
#define REQ_MAX_HEADERS 24

struct MHD_Connection;

struct request {
	struct arena arena;
	struct MHD_Connection *conn;
	const struct svc_env *env;
	const char *method;
	const char *path;
	double started_ms;

	char *body; /* malloc'd, NUL-terminated, freed with the request */
	size_t body_len, body_cap;
	bool body_too_large;
	size_t body_max; /* BODY_MAX, or the route's larger max_body */
	bool query_refused; /* over QUERY_PARAMS_MAX: MHD never parsed it (server.c) */
	size_t discarded; /* bytes dropped after the cap was passed */
	json_t *json; /* parsed body (an object) or NULL when no body */

	struct route_match match;
	enum status match_status; /* router_match's answer for match */
	/* the table match points into (the series index of /metrics) */
	const struct route *routes;
	size_t nroutes;
	const char *route_label; /* pattern, or "unmatched" */
	const char *request_id;
	char trace_id[33]; /* empty when no traceparent */
	char client_ip[46]; /* the client's address (client_ip.c); "" when unknown */
	bool peer_loopback; /* the socket's peer (never X-Forwarded-For) is loopback */

	/* who is calling: ctx.who, set by auth */
	int64_t tenant_rate_limit; /* 0: the configured default */
	int64_t session_expires_at;
	const struct user_row *session_user; /* read with the session: no second query */
	/* the token the session was presented with (X-Session-Token, or the
	 * saasd_session cookie when session_via_cookie): never logged */
	const char *session_token;
	bool session_via_cookie; /* the session came from the cookie (CSRF rule applies) */
	struct svc_ctx ctx;
	struct field_errors errors;
	const char *field_prefix; /* "settings" while reading a nested object */

	/* the pipeline (server.c): the phase running, or the one that suspended */
	size_t phase;
	bool suspended; /* the handler went to the hash pool; resumed by on_access */
	bool answered; /* a phase prepared the whole answer (a CORS preflight) */
	/* offloaded to the hash pool: handler outcome waiting to be sent */
	int offload_done; /* atomic */
	enum status offload_status;

	/* the answer */
	bool responded;
	int http_status;
	json_t *reply; /* success body, NULL for empty replies */
	char *reply_text; /* malloc'd non-JSON body (metrics), owned by the request */
	const char *reply_content_type;
	struct reply_stream *stream; /* a streamed body (reply_stream), or NULL */
	/* the http/api layer's own public message (about the request's input);
	 * a service's reason is in ctx.err instead (svc_fail) */
	const char *error_message;
	/* the log-only detail of the failure answered (ctx.err.detail when the
	 * answer is the recorded failure), for the request's log line */
	const char *log_detail;
	struct {
		const char *name, *value;
	} headers[REQ_MAX_HEADERS];
	int nheaders;
};

/* Path parameter by name (without ':'), or NULL. */
const char *req_param(const struct request *req, const char *name);
/* Request header (case-insensitive) or NULL. */
const char *req_header(const struct request *req, const char *name);
/* Query parameter; ST_VALIDATION_FAILED (field recorded) if not valid text. */
enum status req_query(struct request *req, const char *name, const char **out);
/* ?limit=&after= into a page (defaults: 20, none). */
enum status req_page(struct request *req, struct page *pg);
/* The same for a list whose cursor is not an id (e.g. a role key):
 * cursor_ok decides what a well-formed cursor is. */
enum status req_page_cursor(struct request *req, struct page *pg,
			    bool (*cursor_ok)(const char *cursor));

void reply_header(struct request *req, const char *name, const char *value);
/* Success with a JSON body (reference stolen). Returns ST_OK. */
enum status reply_json(struct request *req, int http_status, json_t *body);
enum status reply_empty(struct request *req, int http_status);
/* A non-JSON body (text is malloc'd; ownership passes to the request). */
enum status reply_text(struct request *req, int http_status, const char *content_type, char *text);
/* A body produced piece by piece after the handler returned, on the
 * connection's thread: next(arg, pos, buf, max) copies up to max bytes into
 * buf and returns how many (0 is allowed: it is called again), or
 * REPLY_STREAM_END / REPLY_STREAM_ERROR (the connection is closed: the
 * client sees a truncated body). arg must not point into the request (its
 * arena dies first); done(arg) releases it when the body is finished or
 * abandoned, and also when the answer is never sent. */
#define REPLY_STREAM_END ((ssize_t)-1)
#define REPLY_STREAM_ERROR ((ssize_t)-2)
struct reply_stream {
	ssize_t (*next)(void *arg, uint64_t pos, char *buf, size_t max);
	void (*done)(void *arg);
	void *arg;
	const char *content_type;
};
enum status reply_stream(struct request *req, int http_status, const char *content_type,
			 ssize_t (*next)(void *, uint64_t, char *, size_t), void (*done)(void *),
			 void *arg);

/* {"data": items, "has_more", "next_cursor"}; items stolen. */
enum status reply_list(struct request *req, json_t *items, bool has_more, const char *cursor);

#endif
