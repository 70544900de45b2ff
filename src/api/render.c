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

/* A JSON array of strings stored as text ("[]" when NULL or unreadable). */
static json_t *render_json_list(const char *text)
{
	json_t *v = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_array(v)) {
		json_decref(v);
		v = json_array();
	}
	return v;
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
	json_object_set_new(settings, "self_serve_billing", json_boolean(t->self_serve_billing));
	json_object_set_new(settings, "audit_retention_days",
			    json_integer(t->audit_retention_days));
	json_object_set_new(settings, "allowed_origins", render_json_list(t->allowed_origins));
	json_object_set_new(settings, "allowed_redirect_urls",
			    render_json_list(t->allowed_redirect_urls));
	json_object_set_new(settings, "cookie_domain", render_str(t->cookie_domain));
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
	json_object_set_new(o, "type", json_string(k->type ? k->type : "secret"));
	/* a publishable key is no secret: shown in full, in lists too */
	if (k->publishable_key != NULL)
		json_object_set_new(o, "key", json_string(k->publishable_key));
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

json_t *render_org(const struct org_row *o, bool with_count)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(o->id));
	json_object_set_new(j, "name", json_string(o->name));
	json_object_set_new(j, "slug", json_string(o->slug));
	json_object_set_new(j, "owner_id", json_string(o->owner_id));
	if (with_count)
		json_object_set_new(j, "member_count", json_integer(o->member_count));
	json_object_set_new(j, "created_at", render_time(o->created_at));
	json_object_set_new(j, "updated_at", render_time(o->updated_at));
	return j;
}

json_t *render_member(const struct member_row *m)
{
	json_t *j = json_object();
	json_object_set_new(j, "user", render_user(&m->user));
	json_object_set_new(j, "organization_id", json_string(m->organization_id));
	json_object_set_new(j, "role", json_string(m->role));
	json_object_set_new(j, "joined_at", render_time(m->created_at));
	return j;
}

json_t *render_invitation(const struct invitation_row *i, const char *status, bool with_email)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(i->id));
	json_object_set_new(j, "organization_id", json_string(i->organization_id));
	if (with_email)
		json_object_set_new(j, "email", json_string(i->email));
	json_object_set_new(j, "role", json_string(i->role));
	json_object_set_new(j, "status", json_string(status));
	json_object_set_new(j, "inviter_id", render_str(i->inviter_id));
	json_object_set_new(j, "expires_at", render_time(i->expires_at));
	json_object_set_new(j, "created_at", render_time(i->created_at));
	return j;
}

json_t *render_perms(int n, const char *const *items)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

json_t *render_role(const char *key, const char *name, json_t *permissions, bool builtin,
		    int64_t created_at)
{
	json_t *j = json_object();
	json_object_set_new(j, "key", json_string(key));
	json_object_set_new(j, "name", json_string(name));
	json_object_set_new(j, "permissions", permissions);
	json_object_set_new(j, "builtin", json_boolean(builtin));
	json_object_set_new(j, "created_at", render_time(created_at));
	return j;
}
