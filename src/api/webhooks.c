/*
 * webhooks.c: /webhooks endpoints (system calls): create (the secret is
 * shown once), list, get, update, delete, test, deliveries with their
 * attempts, and manual retry.
 */
#include "api.h"

#include "../svc/rbac.h"
#include "../svc/webhooks.h"
#include "input.h"
#include "render.h"

static json_t *render_endpoint(struct request *req, const struct endpoint_row *e, bool secret)
{
	struct perm_list l = rbac_split(&req->arena, e->events);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(e->id));
	json_object_set_new(o, "url", json_string(e->url));
	json_object_set_new(o, "events", render_perms(l.n, l.items));
	json_object_set_new(o, "enabled", json_boolean(e->enabled));
	json_object_set_new(o, "disabled_reason", render_str(e->disabled_reason));
	json_object_set_new(o, "created_at", render_time(e->created_at));
	if (secret)
		json_object_set_new(o, "secret", json_string(e->secret));
	return o;
}

static enum status read_input(struct request *req, struct endpoint_input *in, bool creating)
{
	static const char *const allowed[] = {"url", "events", "enabled", NULL};
	const json_t *body = in_body(req);
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "url", creating, 1, 2048, &in->url);
	in_bool(req, body, "enabled", &in->enabled, &in->has_enabled);
	json_t *ev = json_object_get(body, "events");
	if (ev == NULL) {
		if (creating)
			fields_add(&req->arena, &req->errors, "events", "required");
		return in_result(req);
	}
	if (!json_is_array(ev) || json_array_size(ev) > WEBHOOK_MAX_FILTERS) {
		fields_add(&req->arena, &req->errors, "events",
			   json_is_array(ev) ? "too_many" : "invalid_type");
		return in_result(req);
	}
	in->events = arena_alloc(&req->arena, sizeof(char *) * (json_array_size(ev) + 1));
	size_t i;
	json_t *v;
	json_array_foreach(ev, i, v)
	{
		if (!json_is_string(v)) {
			fields_add(&req->arena, &req->errors, "events", "invalid_type");
			break;
		}
		in->events[in->nevents++] = json_string_value(v);
	}
	return in_result(req);
}

enum status api_webhook_create(struct request *req)
{
	struct endpoint_input in = {0};
	enum status st = read_input(req, &in, true);
	struct endpoint_row e;
	if (st == ST_OK)
		st = svc_webhook_create(&req->ctx, &in, &e);
	return st == ST_OK ? reply_json(req, 201, render_endpoint(req, &e, true)) : st;
}

enum status api_webhook_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct endpoint_row *rows;
	int n = 0;
	st = svc_webhook_list(&req->ctx, &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_endpoint(req, &rows[i], false));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_webhook_get(struct request *req)
{
	struct endpoint_row e;
	enum status st = svc_webhook_get(&req->ctx, req_param(req, "id"), &e);
	return st == ST_OK ? reply_json(req, 200, render_endpoint(req, &e, false)) : st;
}

enum status api_webhook_update(struct request *req)
{
	struct endpoint_input in = {0};
	enum status st = read_input(req, &in, false);
	struct endpoint_row e;
	if (st == ST_OK)
		st = svc_webhook_update(&req->ctx, req_param(req, "id"), &in, &e);
	return st == ST_OK ? reply_json(req, 200, render_endpoint(req, &e, false)) : st;
}

enum status api_webhook_delete(struct request *req)
{
	enum status st = svc_webhook_delete(&req->ctx, req_param(req, "id"));
	return st == ST_OK ? reply_empty(req, 204) : st;
}

enum status api_webhook_test(struct request *req)
{
	char *event_id = NULL;
	enum status st = svc_webhook_test(&req->ctx, req_param(req, "id"), &event_id);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "event_id", json_string(event_id));
	json_object_set_new(o, "status", json_string("queued"));
	return reply_json(req, 202, o);
}

static json_t *render_attempts(const struct attempt_row *rows, int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *a = json_object();
		json_object_set_new(a, "attempt", json_integer(rows[i].attempt));
		json_object_set_new(a, "status_code",
				    rows[i].status_code ? json_integer(rows[i].status_code)
							: json_null());
		json_object_set_new(a, "latency_ms", json_integer(rows[i].latency_ms));
		json_object_set_new(a, "error", render_str(rows[i].error));
		json_object_set_new(a, "at", render_time(rows[i].created_at));
		json_array_append_new(arr, a);
	}
	return arr;
}

static json_t *render_delivery(const struct delivery_list *l, int i)
{
	const struct delivery_row *d = &l->rows[i];
	bool pending = d->status[0] == 'p';
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "event_id", json_string(d->event_id));
	json_object_set_new(o, "event_type", json_string(d->event_type));
	json_object_set_new(o, "status", json_string(d->status));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "last_status_code",
			    d->last_status_code ? json_integer(d->last_status_code) : json_null());
	json_object_set_new(o, "last_error", render_str(d->last_error));
	json_object_set_new(o, "next_attempt_at",
			    pending ? render_time(d->next_attempt_at) : json_null());
	json_object_set_new(o, "delivered_at", render_time(d->delivered_at));
	json_object_set_new(o, "created_at", render_time(d->created_at));
	json_object_set_new(o, "attempt_log", render_attempts(l->attempts[i], l->nattempts[i]));
	return o;
}

enum status api_webhook_deliveries(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct delivery_list l;
	st = svc_webhook_deliveries(&req->ctx, req_param(req, "id"), &probe, &l);
	if (st != ST_OK)
		return st;
	int n = l.n;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_delivery(&l, i));
	return reply_list(req, items, more, n > 0 ? l.rows[n - 1].id : NULL);
}

enum status api_webhook_retry(struct request *req)
{
	enum status st =
		svc_webhook_retry(&req->ctx, req_param(req, "id"), req_param(req, "deliveryId"));
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string("queued"));
	return reply_json(req, 202, o);
}
