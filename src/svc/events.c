/*
 * events.c: payload builders. Each writes the "data" object with jsonw and
 * hands it to svc_event_emit; field names follow the API's renderings.
 */
#include "events.h"

#include "../core/jsonw.h"
#include "webhooks.h"

static void kv_time(struct jsonw *w, const char *key, int64_t ms)
{
	char ts[RFC3339_LEN];
	jsonw_key(w, key);
	if (ms == 0) {
		jsonw_null(w);
		return;
	}
	clock_format_rfc3339(ms, ts);
	jsonw_string(w, ts);
}

enum status event_user_created(struct svc_ctx *c, struct db *d, const struct user_row *u)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_key(&w, "user");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", u->id);
	jsonw_kv_string(&w, "email", u->email);
	jsonw_kv_string(&w, "name", u->name);
	jsonw_key(&w, "email_verified");
	jsonw_bool(&w, u->email_verified);
	kv_time(&w, "created_at", u->created_at);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, "user.created", jsonw_text(&w));
}

enum status event_org_created(struct svc_ctx *c, struct db *d, const struct org_row *o)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_key(&w, "organization");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", o->id);
	jsonw_kv_string(&w, "name", o->name);
	jsonw_kv_string(&w, "slug", o->slug);
	jsonw_kv_string(&w, "owner_id", o->owner_id);
	kv_time(&w, "created_at", o->created_at);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, "organization.created", jsonw_text(&w));
}

enum status event_member(struct svc_ctx *c, struct db *d, const char *type, const char *org_id,
			 const char *user_id, const char *role)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "organization_id", org_id);
	jsonw_kv_string(&w, "user_id", user_id);
	jsonw_kv_string(&w, "role", role);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, type, jsonw_text(&w));
}

enum status event_invitation(struct svc_ctx *c, struct db *d, const char *type,
			     const struct invitation_row *i, const char *user_id)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_key(&w, "invitation");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", i->id);
	jsonw_kv_string(&w, "organization_id", i->organization_id);
	jsonw_kv_string(&w, "email", i->email);
	jsonw_kv_string(&w, "role", i->role);
	kv_time(&w, "expires_at", i->expires_at);
	jsonw_object_end(&w);
	if (user_id != NULL)
		jsonw_kv_string(&w, "user_id", user_id);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, type, jsonw_text(&w));
}

enum status event_subscription(struct svc_ctx *c, struct db *d, const char *type,
			       const struct subscription_row *s)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_key(&w, "subscription");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", s->id);
	jsonw_kv_string(&w, "organization_id", s->organization_id);
	jsonw_kv_string(&w, "tier", s->tier_key);
	jsonw_kv_string(&w, "status", s->status);
	kv_time(&w, "current_period_start", s->current_period_start);
	kv_time(&w, "current_period_end", s->current_period_end);
	jsonw_key(&w, "cancel_at_period_end");
	jsonw_bool(&w, s->cancel_at_period_end);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, type, jsonw_text(&w));
}

enum status event_quota_exceeded(struct svc_ctx *c, struct db *d, const char *org_id,
				 const char *metric, int64_t limit, int64_t used)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "organization_id", org_id);
	jsonw_kv_string(&w, "metric", metric);
	jsonw_kv_int(&w, "limit", limit);
	jsonw_kv_int(&w, "used", used);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, "usage.quota_exceeded", jsonw_text(&w));
}

enum status event_session_revoked(struct svc_ctx *c, struct db *d, const struct session_row *s,
				  const char *reason)
{
	struct jsonw w;
	jsonw_init(&w, c->arena);
	jsonw_object_begin(&w);
	jsonw_key(&w, "session");
	jsonw_object_begin(&w);
	jsonw_kv_string(&w, "id", s->id);
	jsonw_kv_string(&w, "user_id", s->user_id);
	kv_time(&w, "expires_at", s->expires_at);
	jsonw_object_end(&w);
	jsonw_kv_string(&w, "reason", reason);
	jsonw_object_end(&w);
	return svc_event_emit(c, d, "session.revoked", jsonw_text(&w));
}
