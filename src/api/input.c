/*
 * input.c: typed readers over jansson values. Field names in errors use dotted
 * paths ("settings.reset_url") built in the request arena.
 */
#include "input.h"

#include <string.h>

static const char *path_of(struct request *req, const char *prefix, const char *key)
{
	return prefix ? arena_printf(&req->arena, "%s.%s", prefix, key) : key;
}

bool in_known_fields(struct request *req, const json_t *obj, const char *const *allowed,
		     const char *prefix)
{
	const char *key;
	json_t *v;
	bool ok = true;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			/* the key came from the client: copy it, bounded */
			const char *shown = text_valid(key, 1, 64) ? key : "(invalid key)";
			fields_add(&req->arena, &req->errors,
				   path_of(req, prefix, arena_strdup(&req->arena, shown)),
				   "unknown_field");
			ok = false;
		}
	}
	return ok;
}

static bool fail(struct request *req, const char *key, const char *code)
{
	fields_add(&req->arena, &req->errors, path_of(req, req->field_prefix, key), code);
	return false;
}

bool in_string(struct request *req, const json_t *obj, const char *key, bool required,
	       size_t min_chars, size_t max_chars, const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return required ? fail(req, key, "required") : true;
	if (!json_is_string(v))
		return fail(req, key, "invalid_type");
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return fail(req, key, "invalid_text"); /* embedded NUL */
	if (!text_valid(s, min_chars, max_chars))
		return fail(req, key,
			    text_valid(s, 0, (size_t)-1) ? "invalid_length" : "invalid_text");
	*out = s;
	return true;
}

bool in_nullable_string(struct request *req, const json_t *obj, const char *key, size_t min_chars,
			size_t max_chars, const char **out, bool *is_null)
{
	json_t *v = json_object_get(obj, key);
	*is_null = v != NULL && json_is_null(v);
	if (*is_null) {
		*out = NULL;
		return true;
	}
	return in_string(req, obj, key, false, min_chars, max_chars, out);
}

bool in_int(struct request *req, const json_t *obj, const char *key, bool required, int64_t min,
	    int64_t max, int64_t *out, bool *present, bool *is_null)
{
	json_t *v = json_object_get(obj, key);
	*present = false;
	if (is_null != NULL)
		*is_null = false;
	if (v == NULL)
		return required ? fail(req, key, "required") : true;
	if (json_is_null(v) && is_null != NULL) {
		*is_null = true;
		return true;
	}
	if (!json_is_integer(v))
		return fail(req, key, "invalid_type");
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return fail(req, key, "out_of_range");
	*out = n;
	*present = true;
	return true;
}

bool in_bool(struct request *req, const json_t *obj, const char *key, bool *out, bool *present)
{
	json_t *v = json_object_get(obj, key);
	*present = false;
	if (v == NULL)
		return true;
	if (!json_is_boolean(v))
		return fail(req, key, "invalid_type");
	*out = json_is_true(v);
	*present = true;
	return true;
}

const json_t *in_body(struct request *req)
{
	if (req->json == NULL) {
		req->json = json_object();
		arena_defer(&req->arena, (void (*)(void *))json_decref, req->json);
	}
	return req->json;
}

enum status in_result(const struct request *req)
{
	return req->errors.count > 0 ? ST_VALIDATION_FAILED : ST_OK;
}
