/*
 * orgs.c: organization lifecycle. A session caller becomes the owner of the
 * organization it creates; a system call names owner_id. Slugs are unique
 * per tenant: a taken explicit slug is 409, a derived one gets a suffix.
 */
#include "orgs.h"

#include <string.h>

#include "../core/ids.h"
#include "../core/secure.h"
#include "../store/users.h"
#include "events.h"

#define ORG_NAME_MAX 200
#define SLUG_MAX 64

static bool slug_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SLUG_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* "Acme, Inc." -> "acme-inc"; non-ASCII dropped; "org" when nothing is left. */
static char *slug_from_name(struct arena *a, const char *name)
{
	char *out = arena_alloc(a, SLUG_MAX + 1);
	size_t n = 0;
	bool dash = false;
	for (const unsigned char *p = (const unsigned char *)name; *p && n < SLUG_MAX - 6; p++) {
		char ch = (char)*p;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			if (dash && n > 0)
				out[n++] = '-';
			out[n++] = ch;
			dash = false;
		} else {
			dash = true;
		}
	}
	if (n == 0)
		return arena_strdup(a, "org");
	out[n] = '\0';
	return out;
}

struct create_args {
	struct org_row *org;
	bool derived_slug;
};

static enum status create_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct create_args *ca = arg;
	struct org_row *o = ca->org;
	struct user_row owner;
	enum status st = store_user_get(d, c->arena, c->who.tenant_id, o->owner_id, &owner);
	if (st == ST_NOT_FOUND) {
		fields_add(c->arena, c->errors, "owner_id", "not_found");
		return ST_VALIDATION_FAILED;
	}
	if (st != ST_OK)
		return st;
	bool taken = false;
	if (ca->derived_slug)
		st = store_org_slug_taken(d, c->arena, c->who.tenant_id, o->slug, &taken);
	if (st == ST_OK && taken) {
		/* checked first: a failed INSERT would abort a PostgreSQL transaction */
		char suffix[5];
		sec_random_base62(suffix, 4);
		for (char *p = suffix; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		o->slug = arena_printf(c->arena, "%s-%s", o->slug, suffix);
	}
	if (st == ST_OK)
		st = store_org_insert(d, c->arena, o);
	if (st != ST_OK)
		return st; /* ST_CONFLICT: the slug is taken */
	struct member_row m = {.id = id_new(c->arena, "mem", o->created_at),
			       .organization_id = o->id,
			       .user_id = o->owner_id,
			       .role = "owner",
			       .created_at = o->created_at};
	if (st == ST_OK)
		st = store_member_insert(d, c->arena, c->who.tenant_id, &m);
	if (st == ST_OK)
		st = event_org_created(c, d, o);
	if (st == ST_OK)
		st = event_member(c, d, "organization.member_added", o->id, o->owner_id, "owner");
	o->member_count = 1;
	return st;
}

enum status svc_org_create(struct svc_ctx *c, const struct org_input *in, struct org_row *out)
{
	const char *owner = c->who.user_id ? c->who.user_id : in->owner_id;
	if (!text_valid(in->name, 1, ORG_NAME_MAX))
		fields_add(c->arena, c->errors, "name", "invalid_length");
	if (in->slug != NULL && !slug_valid(in->slug))
		fields_add(c->arena, c->errors, "slug", "invalid_format");
	if (c->who.user_id != NULL && in->owner_id != NULL &&
	    strcmp(in->owner_id, c->who.user_id) != 0)
		fields_add(c->arena, c->errors, "owner_id", "not_allowed");
	if (owner == NULL)
		fields_add(c->arena, c->errors, "owner_id", "required");
	else if (!id_valid(owner, "usr") && c->who.user_id == NULL)
		fields_add(c->arena, c->errors, "owner_id", "not_found");
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	int64_t now = svc_now(c);
	memset(out, 0, sizeof *out);
	out->id = id_new(c->arena, "org", now);
	out->tenant_id = (char *)c->who.tenant_id;
	out->name = arena_strdup(c->arena, in->name);
	out->slug =
		in->slug ? arena_strdup(c->arena, in->slug) : slug_from_name(c->arena, in->name);
	out->owner_id = arena_strdup(c->arena, owner);
	out->created_at = out->updated_at = now;
	struct create_args ca = {out, in->slug == NULL};
	char *base = out->slug;
	enum status st;
	/* A derived slug can lose a race with a concurrent create of the same
	 * name (the taken check runs before the insert): try again, which then
	 * sees the other row and picks a suffix. */
	for (int attempt = 0;; attempt++) {
		out->slug = base;
		st = svc_in_tx(c, create_in, &ca);
		if (st != ST_CONFLICT || !ca.derived_slug || attempt == 3)
			break;
	}
	if (st == ST_CONFLICT)
		fields_add(c->arena, c->errors, "slug", "taken");
	return st;
}

enum status svc_org_get(struct svc_ctx *c, const char *id, struct org_row *out)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_org_authorize(c, d, id, NULL, NULL, NULL);
	if (st == ST_OK)
		st = store_org_get(d, c->arena, c->who.tenant_id, id, out);
	store_release(c->env->store, d);
	return st;
}

struct update_args {
	const char *id, *name, *slug;
	struct org_row *out;
};

static enum status update_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct update_args *u = arg;
	enum status st = svc_org_authorize_declared(c, d, u->id, NULL, NULL);
	if (st == ST_OK)
		st = store_org_get(d, c->arena, c->who.tenant_id, u->id, u->out);
	if (st != ST_OK)
		return st;
	if (u->name)
		u->out->name = arena_strdup(c->arena, u->name);
	if (u->slug)
		u->out->slug = arena_strdup(c->arena, u->slug);
	u->out->updated_at = svc_now(c);
	st = store_org_update(d, c->arena, u->out);
	if (st == ST_CONFLICT)
		fields_add(c->arena, c->errors, "slug", "taken");
	return st;
}

enum status svc_org_update(struct svc_ctx *c, const char *id, const char *name, const char *slug,
			   struct org_row *out)
{
	if (name != NULL && !text_valid(name, 1, ORG_NAME_MAX))
		fields_add(c->arena, c->errors, "name", "invalid_length");
	if (slug != NULL && !slug_valid(slug))
		fields_add(c->arena, c->errors, "slug", "invalid_format");
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	struct update_args u = {id, name, slug, out};
	return svc_in_tx(c, update_in, &u);
}

/* One organization.member_removed per member of a deleted organization, in
 * the deleting transaction and under the organization's lock (so nobody
 * joins unannounced), as deleting a user announces its memberships. */
static enum status announce_members_gone(struct svc_ctx *c, struct db *d, const char *org_id)
{
	const char *after = NULL;
	for (;;) {
		struct member_row *rows;
		int n = 0;
		enum status st = store_member_list(d, c->arena, c->who.tenant_id, org_id, after,
						   100, &rows, &n);
		for (int i = 0; st == ST_OK && i < n; i++)
			st = event_member(c, d, "organization.member_removed", org_id,
					  rows[i].user_id, rows[i].role);
		if (st != ST_OK || n < 100)
			return st;
		after = rows[n - 1].id;
	}
}

static enum status delete_in(struct svc_ctx *c, struct db *d, void *arg)
{
	const char *id = arg;
	enum status st = svc_org_authorize_declared(c, d, id, NULL, NULL);
	if (st == ST_OK)
		st = store_org_lock(d, c->arena, c->who.tenant_id, id, svc_now(c));
	if (st == ST_OK)
		st = announce_members_gone(c, d, id);
	return st == ST_OK ? store_org_delete(d, c->arena, c->who.tenant_id, id) : st;
}

enum status svc_org_delete(struct svc_ctx *c, const char *id)
{
	return svc_in_tx(c, delete_in, (void *)id);
}

enum status svc_user_orgs(struct svc_ctx *c, const char *user_id, const struct page *pg,
			  struct member_row **rows, int *n)
{
	if (!id_valid(user_id, "usr"))
		return ST_NOT_FOUND;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct user_row u;
	enum status st = store_user_get(d, c->arena, c->who.tenant_id, user_id, &u);
	if (st == ST_OK && c->who.user_id != NULL && strcmp(c->who.user_id, user_id) != 0)
		st = ST_FORBIDDEN; /* a user of this tenant, but not the caller */
	if (st == ST_OK)
		st = store_member_list_for_user(d, c->arena, c->who.tenant_id, user_id, pg->after,
						pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}
