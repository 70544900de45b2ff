/*
 * usage.c: POST /organizations/:id/usage (record, quota-checked, idempotent)
 * and GET /organizations/:id/usage (totals and a per-day series).
 */
#include "api.h"

#include <string.h>

#include "../svc/billing.h"
#include "input.h"
#include "render.h"

static json_t *limit_json(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *render_usage(const struct usage_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "metric", json_string(r->metric));
	json_object_set_new(o, "quantity", json_integer(r->quantity));
	json_object_set_new(o, "used", json_integer(r->used_after));
	json_object_set_new(o, "limit", limit_json(r->limit_value));
	json_object_set_new(o, "remaining",
			    r->limit_value >= 0 ? json_integer(r->limit_value - r->used_after)
						: json_null());
	json_object_set_new(o, "period_end", render_time(r->period_end));
	json_object_set_new(o, "idempotency_key", render_str(r->idempotency_key));
	json_object_set_new(o, "created_at", render_time(r->created_at));
	return o;
}

enum status api_usage_record(struct request *req)
{
	static const char *const allowed[] = {"metric", "quantity", "idempotency_key", NULL};
	const json_t *body = in_body(req);
	struct usage_input in = {.quantity = 1};
	bool has_quantity;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "metric", true, 1, 64, &in.metric);
	in_int(req, body, "quantity", false, 1, USAGE_MAX_QUANTITY, &in.quantity, &has_quantity,
	       NULL);
	in_string(req, body, "idempotency_key", false, 1, 255, &in.idempotency_key);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct usage_answer ans;
	st = svc_usage_record(&req->ctx, req_param(req, "id"), &in, &ans);
	if (st != ST_OK)
		return st;
	if (ans.replayed)
		reply_header(req, "Idempotent-Replayed", "true");
	return reply_json(req, 201, render_usage(&ans.record));
}

/* One event of POST /usage/events read into ev; its field errors go to
 * ev->errors (named as inside the event), not to the call's. */
static void read_event(struct request *req, const json_t *obj, struct usage_event *ev)
{
	static const char *const allowed[] = {"organization_id", "metric", "quantity",
					      "idempotency_key", NULL};
	struct field_errors call_errors = req->errors;
	req->errors = (struct field_errors){0};
	ev->in.quantity = 1;
	if (!json_is_object(obj)) {
		fields_add(&req->arena, &req->errors, "event", "invalid_type");
	} else {
		bool has_quantity;
		in_known_fields(req, obj, allowed, NULL);
		in_string(req, obj, "organization_id", true, 1, 64, &ev->org_id);
		in_string(req, obj, "metric", true, 1, 64, &ev->in.metric);
		in_int(req, obj, "quantity", false, 1, USAGE_MAX_QUANTITY, &ev->in.quantity,
		       &has_quantity, NULL);
		in_string(req, obj, "idempotency_key", false, 1, 255, &ev->in.idempotency_key);
	}
	ev->errors = req->errors;
	req->errors = call_errors;
}

static json_t *render_event(const struct usage_event *ev)
{
	json_t *o = json_object();
	bool replayed = ev->st == ST_OK && ev->answer.replayed;
	json_object_set_new(
		o, "status",
		json_integer(ev->st == ST_OK ? (replayed ? 200 : 201) : status_http(ev->st)));
	if (ev->st == ST_OK) {
		const struct usage_row *r = &ev->answer.record;
		json_object_set_new(o, "id", json_string(r->id));
		json_object_set_new(o, "used", json_integer(r->used_after));
		json_object_set_new(o, "limit", limit_json(r->limit_value));
		if (replayed)
			json_object_set_new(o, "replayed", json_true());
		return o;
	}
	if (ev->st == ST_QUOTA_EXCEEDED) {
		json_object_set_new(o, "used", json_integer(ev->used));
		json_object_set_new(o, "limit", limit_json(ev->limit));
	}
	json_t *err = json_object();
	json_object_set_new(err, "code", json_string(status_code(ev->st)));
	json_object_set_new(err, "message", json_string(status_message(ev->st)));
	if (ev->errors.count > 0 && status_http(ev->st) < 500) {
		json_t *fields = json_object();
		for (const struct field_error *e = ev->errors.head; e; e = e->next)
			json_object_set_new(fields, e->field, json_string(e->code));
		json_object_set_new(err, "fields", fields);
	}
	json_object_set_new(o, "error", err);
	return o;
}

enum status api_usage_events(struct request *req)
{
	static const char *const allowed[] = {"events", NULL};
	const json_t *body = in_body(req);
	in_known_fields(req, body, allowed, NULL);
	const json_t *events = json_object_get(body, "events");
	size_t n = json_array_size(events);
	if (events == NULL)
		fields_add(&req->arena, &req->errors, "events", "required");
	else if (!json_is_array(events))
		fields_add(&req->arena, &req->errors, "events", "invalid_type");
	else if (n < 1 || n > USAGE_BULK_MAX)
		fields_add(&req->arena, &req->errors, "events", "invalid_length");
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct usage_event *ev = arena_alloc(&req->arena, sizeof *ev * n);
	memset(ev, 0, sizeof *ev * n);
	for (size_t i = 0; i < n; i++)
		read_event(req, json_array_get(events, i), &ev[i]);
	st = svc_usage_record_bulk(&req->ctx, ev, (int)n);
	if (st != ST_OK)
		return st;
	json_t *results = json_array();
	json_int_t accepted = 0;
	for (size_t i = 0; i < n; i++) {
		accepted += ev[i].st == ST_OK;
		json_array_append_new(results, render_event(&ev[i]));
	}
	json_t *o = json_object();
	json_object_set_new(o, "results", results);
	json_object_set_new(o, "accepted", json_integer(accepted));
	json_object_set_new(o, "rejected", json_integer((json_int_t)n - accepted));
	return reply_json(req, 200, o);
}

static enum status query_time(struct request *req, const char *name, int64_t *out)
{
	const char *v = NULL;
	enum status st = req_query(req, name, &v);
	*out = -1;
	if (st != ST_OK || v == NULL)
		return st;
	if (!clock_parse_rfc3339(v, out) || *out < 0) {
		fields_add(&req->arena, &req->errors, name, "invalid_timestamp");
		return ST_VALIDATION_FAILED;
	}
	return ST_OK;
}

enum status api_usage_history(struct request *req)
{
	const char *metric = NULL;
	int64_t from, to;
	enum status st = req_query(req, "metric", &metric);
	if (st == ST_OK && metric == NULL) {
		fields_add(&req->arena, &req->errors, "metric", "required");
		st = ST_VALIDATION_FAILED;
	}
	if (st == ST_OK)
		st = query_time(req, "from", &from);
	if (st == ST_OK)
		st = query_time(req, "to", &to);
	if (st != ST_OK)
		return st;
	struct usage_day *days;
	int n = 0;
	int64_t total = 0;
	st = svc_usage_history(&req->ctx, req_param(req, "id"), metric, from, to, &days, &n,
			       &total);
	if (st != ST_OK)
		return st;
	json_t *series = json_array();
	for (int i = 0; i < n; i++) {
		char date[RFC3339_LEN];
		clock_format_rfc3339(days[i].day_start, date);
		date[10] = '\0'; /* YYYY-MM-DD */
		json_t *d = json_object();
		json_object_set_new(d, "date", json_string(date));
		json_object_set_new(d, "quantity", json_integer(days[i].quantity));
		json_array_append_new(series, d);
	}
	json_t *o = json_object();
	json_object_set_new(o, "metric", json_string(metric));
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "series", series);
	return reply_json(req, 200, o);
}
