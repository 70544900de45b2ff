/*
 * render.c: JSON renderers. Never renders a secret: key hashes and password
 * hashes have no renderer at all.
 */
#include "render.h"

#include "../core/clock.h"

json_t *render_time(int64_t ms)
{
	if (ms == 0)
		return json_null();
	char buf[RFC3339_LEN];
	clock_format_rfc3339(ms, buf);
	return json_string(buf);
}

json_t *render_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *render_tenant(const struct tenant_row *t)
{
	json_t *settings = json_object();
	json_object_set_new(settings, "app_name", render_str(t->app_name));
	json_object_set_new(settings, "email_from", render_str(t->email_from));
	json_object_set_new(settings, "invite_url", render_str(t->invite_url));
	json_object_set_new(settings, "reset_url", render_str(t->reset_url));
	json_object_set_new(settings, "verify_url", render_str(t->verify_url));
	json_object_set_new(settings, "rate_limit_per_minute",
			    t->rate_limit_per_minute > 0 ? json_integer(t->rate_limit_per_minute)
							 : json_null());
	json_object_set_new(settings, "default_tier", render_str(t->default_tier));
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "settings", settings);
	json_object_set_new(o, "created_at", render_time(t->created_at));
	json_object_set_new(o, "updated_at", render_time(t->updated_at));
	return o;
}

json_t *render_api_key(const struct api_key_row *k)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(k->id));
	json_object_set_new(o, "name", json_string(k->name));
	json_object_set_new(o, "prefix", json_string(k->prefix));
	json_object_set_new(o, "created_at", render_time(k->created_at));
	json_object_set_new(o, "last_used_at", render_time(k->last_used_at));
	return o;
}

json_t *render_user(const struct user_row *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(u->id));
	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "name", render_str(u->name));
	json_object_set_new(o, "email_verified", json_boolean(u->email_verified));
	json_object_set_new(o, "created_at", render_time(u->created_at));
	return o;
}

json_t *render_session(const struct session_row *s, const char *token)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	if (token != NULL)
		json_object_set_new(o, "token", json_string(token));
	if (s->created_at != 0)
		json_object_set_new(o, "created_at", render_time(s->created_at));
	json_object_set_new(o, "expires_at", render_time(s->expires_at));
	return o;
}
