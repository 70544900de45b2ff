/*
 * api_keys.c: POST/GET /api-keys and DELETE /api-keys/:id (system calls).
 * The plain secret key appears only in the create answer; a publishable
 * key (not a secret) is shown in full in the list too.
 */
#include "api.h"

#include <string.h>

#include "../svc/apikeys.h"
#include "input.h"
#include "render.h"

enum status api_key_create(struct request *req)
{
	static const char *const allowed[] = {"name", "type", NULL};
	const json_t *body = in_body(req);
	const char *name = NULL, *type = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "name", true, 1, APIKEY_NAME_MAX, &name);
	if (in_string(req, body, "type", false, 1, 16, &type) && type != NULL &&
	    strcmp(type, "secret") != 0 && strcmp(type, "publishable") != 0)
		fields_add(&req->arena, &req->errors, "type", "invalid_value");
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	struct api_key_row k;
	char *plain = NULL;
	bool publishable = type != NULL && strcmp(type, "publishable") == 0;
	st = svc_apikey_create(&req->ctx, name, publishable, &k, &plain);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "api_key", render_api_key(&k));
	json_object_set_new(o, "key", json_string(plain));
	return reply_json(req, 201, o);
}

enum status api_key_list(struct request *req)
{
	struct page pg;
	enum status st = req_page(req, &pg);
	if (st != ST_OK)
		return st;
	struct page probe = api_page_probe(&pg);
	struct api_key_row *rows;
	int n = 0;
	st = svc_apikey_list(&req->ctx, &probe, &rows, &n);
	if (st != ST_OK)
		return st;
	bool more = api_page_trim(&pg, &n);
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, render_api_key(&rows[i]));
	return reply_list(req, items, more, n > 0 ? rows[n - 1].id : NULL);
}

enum status api_key_revoke(struct request *req)
{
	enum status st = svc_apikey_revoke(&req->ctx, req_param(req, "id"));
	if (st != ST_OK)
		return st;
	return reply_empty(req, 204);
}
