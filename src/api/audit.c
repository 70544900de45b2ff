/*
 * audit.c: GET /audit-logs (system), GET /organizations/:id/audit-logs
 * (audit:read) and GET /audit-logs/export (NDJSON, streamed). Lists are
 * newest first with the usual {"data","has_more","next_cursor"}; the export
 * is oldest first, read a page at a time by keyset without holding a store
 * connection between pages.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../svc/audit.h"
#include "render.h"

#define AUDIT_FILTER_MAX 200
#define EXPORT_PAGE 100

static json_t *render_changes(const char *joined)
{
	json_t *a = json_array();
	const char *p = joined;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		json_array_append_new(a, json_stringn(p, n));
		p += n + (comma ? 1 : 0);
	}
	return a;
}

static json_t *render_audit(const struct audit_row *e)
{
	json_t *actor = json_object();
	json_object_set_new(actor, "type", json_string(e->actor_type));
	json_object_set_new(actor, "id", render_str(e->actor_id));
	json_t *target = json_object();
	json_object_set_new(target, "type", render_str(e->target_type));
	json_object_set_new(target, "id", render_str(e->target_id));
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(e->id));
	json_object_set_new(o, "action", json_string(e->action));
	json_object_set_new(o, "actor", actor);
	json_object_set_new(o, "target", target);
	if (e->organization_id != NULL)
		json_object_set_new(o, "organization_id", json_string(e->organization_id));
	json_object_set_new(o, "ip", json_string(e->ip));
	json_object_set_new(o, "user_agent", json_string(e->user_agent));
	json_object_set_new(o, "request_id", json_string(e->request_id));
	json_object_set_new(o, "created_at", render_time(e->created_at));
	if (e->changes != NULL)
		json_object_set_new(o, "changes", render_changes(e->changes));
	return o;
}

static void filter_text(struct request *req, const char *name, const char **out)
{
	const char *v = NULL;
	if (req_query(req, name, &v) != ST_OK || v == NULL || v[0] == '\0')
		return;
	if (strlen(v) > AUDIT_FILTER_MAX)
		fields_add(&req->arena, &req->errors, name, "invalid_length");
	else
		*out = v;
}

static void filter_time(struct request *req, const char *name, int64_t *out)
{
	const char *v = NULL;
	if (req_query(req, name, &v) != ST_OK || v == NULL || v[0] == '\0')
		return;
	if (!clock_parse_rfc3339(v, out))
		fields_add(&req->arena, &req->errors, name, "invalid_format");
}

/* from/to (RFC 3339, inclusive) for every route; the other filters only
 * where with_ids. Bad values: 400 validation_failed naming the field. */
static enum status read_filter(struct request *req, struct audit_filter *f, bool with_ids)
{
	memset(f, 0, sizeof *f);
	if (with_ids) {
		filter_text(req, "actor_id", &f->actor_id);
		filter_text(req, "action", &f->action);
		filter_text(req, "target_id", &f->target_id);
		filter_text(req, "organization_id", &f->organization_id);
	}
	filter_time(req, "from", &f->from_ms);
	filter_time(req, "to", &f->to_ms);
	if (req->errors.count == 0 && f->to_ms > 0 && f->from_ms > f->to_ms)
		fields_add(&req->arena, &req->errors, "from", "out_of_range");
	return req->errors.count > 0 ? ST_VALIDATION_FAILED : ST_OK;
}

static enum status reply_entries(struct request *req, const struct page *pg,
				 const struct audit_row *rows, int n)
{
	bool more = api_page_trim(pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_audit(&rows[i]));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

static enum status list(struct request *req, const char *org_id)
{
	struct audit_filter f;
	struct page pg;
	enum status st = read_filter(req, &f, true); /* an org route pins organization_id */
	if (st == ST_OK)
		st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	f.after = probe.after;
	f.limit = probe.limit;
	struct audit_row *rows = NULL;
	int n = 0;
	st = org_id ? svc_audit_list_org(&req->ctx, org_id, &f, &rows, &n)
		    : svc_audit_list(&req->ctx, &f, &rows, &n);
	return st == ST_OK ? reply_entries(req, &pg, rows, n) : st;
}

enum status api_audit_list(struct request *req)
{
	return list(req, NULL);
}

enum status api_org_audit_list(struct request *req)
{
	return list(req, req_param(req, "id"));
}

/* The export's state: malloc'd, owned by MHD once the answer is queued. */
struct export_stream {
	const struct svc_env *env;
	char tenant_id[64];
	int64_t from_ms, to_ms;
	char after[64];
	bool last_page;
	char *buf; /* NDJSON of the current page */
	size_t len, off;
};

static void export_done(void *arg)
{
	struct export_stream *x = arg;
	free(x->buf);
	free(x);
}

/* Read the next page into x->buf: its own arena and store connection, both
 * released before returning. */
static enum status export_fill(struct export_stream *x)
{
	struct arena a;
	arena_init(&a, 4096);
	struct svc_ctx c = {.env = x->env, .arena = &a};
	c.who.tenant_id = x->tenant_id;
	struct audit_filter f = {.from_ms = x->from_ms,
				 .to_ms = x->to_ms,
				 .after = x->after[0] ? x->after : NULL,
				 .limit = EXPORT_PAGE,
				 .oldest_first = true};
	struct audit_row *rows = NULL;
	int n = 0;
	enum status st = svc_audit_list(&c, &f, &rows, &n);
	free(x->buf);
	x->buf = NULL;
	x->len = x->off = 0;
	size_t cap = 0;
	for (int i = 0; st == ST_OK && i < n; i++) {
		json_t *o = render_audit(&rows[i]);
		char *line = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		size_t ln = strlen(line);
		if (x->len + ln + 1 > cap) {
			cap = (x->len + ln + 1) * 2;
			x->buf = realloc(x->buf, cap);
			if (x->buf == NULL)
				abort();
		}
		memcpy(x->buf + x->len, line, ln);
		x->buf[x->len + ln] = '\n';
		x->len += ln + 1;
		free(line);
	}
	if (st == ST_OK && n > 0)
		snprintf(x->after, sizeof x->after, "%s", rows[n - 1].id);
	x->last_page = n < EXPORT_PAGE;
	arena_destroy(&a);
	return st;
}

static ssize_t export_next(void *arg, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct export_stream *x = arg;
	if (x->off == x->len) {
		if (x->last_page)
			return REPLY_STREAM_END;
		if (export_fill(x) != ST_OK)
			return REPLY_STREAM_ERROR;
		if (x->len == 0)
			return REPLY_STREAM_END;
	}
	size_t n = x->len - x->off < max ? x->len - x->off : max;
	memcpy(buf, x->buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

enum status api_audit_export(struct request *req)
{
	struct audit_filter f;
	enum status st = read_filter(req, &f, false);
	if (st != ST_OK)
		return st;
	struct export_stream *x = calloc(1, sizeof *x);
	if (x == NULL)
		abort();
	x->env = req->env;
	snprintf(x->tenant_id, sizeof x->tenant_id, "%s", req->ctx.who.tenant_id);
	x->from_ms = f.from_ms;
	x->to_ms = f.to_ms;
	/* the first page now: a broken store answers 503, not a cut body */
	st = export_fill(x);
	if (st != ST_OK) {
		export_done(x);
		return st;
	}
	return reply_stream(req, 200, "application/x-ndjson", export_next, export_done, x);
}
