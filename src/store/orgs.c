/*
 * orgs.c: organization and membership rows. Listings join users or
 * organizations so one query renders a page.
 */
#include "orgs.h"

#define ORG_COLS "o.id, o.tenant_id, o.name, o.slug, o.owner_id, o.created_at, o.updated_at"
#define MEMBER_COLS "m.id, m.organization_id, m.user_id, m.role, m.created_at"
#define USER_COLS_U "u.id, u.tenant_id, u.email, u.name, u.email_verified, u.created_at"

static void row_to_org(const struct db_result *r, int i, int c, struct org_row *o)
{
	o->id = (char *)db_cell(r, i, c + 0);
	o->tenant_id = (char *)db_cell(r, i, c + 1);
	o->name = (char *)db_cell(r, i, c + 2);
	o->slug = (char *)db_cell(r, i, c + 3);
	o->owner_id = (char *)db_cell(r, i, c + 4);
	o->created_at = db_cell_int(r, i, c + 5);
	o->updated_at = db_cell_int(r, i, c + 6);
}

static void row_to_member(const struct db_result *r, int i, struct member_row *m)
{
	m->id = (char *)db_cell(r, i, 0);
	m->organization_id = (char *)db_cell(r, i, 1);
	m->user_id = (char *)db_cell(r, i, 2);
	m->role = (char *)db_cell(r, i, 3);
	m->created_at = db_cell_int(r, i, 4);
}

static void row_to_user_short(const struct db_result *r, int i, int c, struct user_row *u)
{
	u->id = (char *)db_cell(r, i, c + 0);
	u->tenant_id = (char *)db_cell(r, i, c + 1);
	u->email = (char *)db_cell(r, i, c + 2);
	u->name = (char *)db_cell(r, i, c + 3);
	u->email_verified = db_cell_int(r, i, c + 4) != 0;
	u->created_at = db_cell_int(r, i, c + 5);
}

static enum status changed_one(enum status st, int64_t changed)
{
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_org_insert(struct db *d, struct arena *a, const struct org_row *o)
{
	struct db_param p[6] = {db_text(o->id),   db_text(o->tenant_id), db_text(o->name),
				db_text(o->slug), db_text(o->owner_id),  db_int(o->created_at)};
	return db_query(
		d, a,
		"INSERT INTO organizations (id, tenant_id, name, slug, owner_id, created_at,"
		" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
		p, 6, NULL, NULL);
}

enum status store_org_slug_taken(struct db *d, struct arena *a, const char *tenant_id,
				 const char *slug, bool *taken)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(slug)};
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT id FROM organizations WHERE tenant_id = $1 AND slug = $2", p,
			 2, &r, NULL);
	if (st == ST_OK)
		*taken = r.nrows > 0;
	return st;
}

enum status store_org_exists(struct db *d, struct arena *a, const char *tenant_id, const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT 1 FROM organizations WHERE tenant_id = $1 AND id = $2", p, 2,
			 &r, NULL);
	return st == ST_OK && r.nrows == 0 ? ST_NOT_FOUND : st;
}

enum status store_org_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			  struct org_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " ORG_COLS ", (SELECT COUNT(*) FROM memberships m"
				  " WHERE m.organization_id = o.id) FROM organizations o"
				  " WHERE o.tenant_id = $1 AND o.id = $2",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_org(&r, 0, 0, out);
	out->member_count = db_cell_int(&r, 0, 7);
	return ST_OK;
}

enum status store_org_update(struct db *d, struct arena *a, const struct org_row *o)
{
	struct db_param p[5] = {db_text(o->tenant_id), db_text(o->id), db_text(o->name),
				db_text(o->slug), db_int(o->updated_at)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE organizations SET name = $3, slug = $4, updated_at = $5"
				  " WHERE tenant_id = $1 AND id = $2",
				  p, 5, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_org_delete(struct db *d, struct arena *a, const char *tenant_id, const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	int64_t changed = 0;
	enum status st =
		db_query(d, a, "DELETE FROM organizations WHERE tenant_id = $1 AND id = $2", p, 2,
			 NULL, &changed);
	return changed_one(st, changed);
}

enum status store_org_lock(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			   int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE organizations SET updated_at = $3"
				  " WHERE tenant_id = $1 AND id = $2",
				  p, 3, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_member_insert(struct db *d, struct arena *a, const char *tenant_id,
				const struct member_row *m)
{
	struct db_param p[6] = {
		db_text(m->id),      db_text(tenant_id), db_text(m->organization_id),
		db_text(m->user_id), db_text(m->role),   db_int(m->created_at)};
	return db_query(d, a,
			"INSERT INTO memberships (id, tenant_id, organization_id, user_id, role,"
			" created_at) VALUES ($1, $2, $3, $4, $5, $6)",
			p, 6, NULL, NULL);
}

enum status store_member_get(struct db *d, struct arena *a, const char *tenant_id,
			     const char *org_id, const char *user_id, struct member_row *out)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(org_id), db_text(user_id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " MEMBER_COLS " FROM memberships m WHERE m.tenant_id = $1"
				  " AND m.organization_id = $2 AND m.user_id = $3",
				  p, 3, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_member(&r, 0, out);
	return ST_OK;
}

enum status store_member_set_role(struct db *d, struct arena *a, const char *tenant_id,
				  const char *org_id, const char *user_id, const char *role)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(org_id), db_text(user_id),
				db_text(role)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE memberships SET role = $4 WHERE tenant_id = $1"
				  " AND organization_id = $2 AND user_id = $3",
				  p, 4, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_member_delete(struct db *d, struct arena *a, const char *tenant_id,
				const char *org_id, const char *user_id)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(org_id), db_text(user_id)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "DELETE FROM memberships WHERE tenant_id = $1"
				  " AND organization_id = $2 AND user_id = $3",
				  p, 3, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_member_count_role(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *role, int64_t *count)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(org_id), db_text(role)};
	return db_query_count(d, a,
			      "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1"
			      " AND organization_id = $2 AND role = $3",
			      p, 3, count);
}

enum status store_member_list(struct db *d, struct arena *a, const char *tenant_id,
			      const char *org_id, const char *after, int limit,
			      struct member_row **rows, int *n)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(org_id), db_text(after ? after : ""),
				db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " MEMBER_COLS ", " USER_COLS_U " FROM memberships m"
				  " JOIN users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id"
				  " WHERE m.tenant_id = $1 AND m.organization_id = $2"
				  " AND ($3 = '' OR m.id < $3) ORDER BY m.id DESC LIMIT $4",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct member_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++) {
		row_to_member(&r, i, &(*rows)[i]);
		row_to_user_short(&r, i, 5, &(*rows)[i].user);
	}
	*n = r.nrows;
	return ST_OK;
}

enum status store_member_list_for_user(struct db *d, struct arena *a, const char *tenant_id,
				       const char *user_id, const char *after, int limit,
				       struct member_row **rows, int *n)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(user_id), db_text(after ? after : ""),
				db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " MEMBER_COLS ", " ORG_COLS " FROM memberships m"
				  " JOIN organizations o ON o.id = m.organization_id"
				  " AND o.tenant_id = m.tenant_id"
				  " WHERE m.tenant_id = $1 AND m.user_id = $2"
				  " AND ($3 = '' OR m.id < $3) ORDER BY m.id DESC LIMIT $4",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct member_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++) {
		row_to_member(&r, i, &(*rows)[i]);
		row_to_org(&r, i, 5, &(*rows)[i].org);
	}
	*n = r.nrows;
	return ST_OK;
}

enum status store_member_count_with_role(struct db *d, struct arena *a, const char *tenant_id,
					 const char *role, int64_t *count)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(role)};
	return db_query_count(
		d, a,
		"SELECT (SELECT COUNT(*) FROM memberships WHERE tenant_id = $1 AND role = $2)"
		" + (SELECT COUNT(*) FROM invitations WHERE tenant_id = $1 AND role = $2"
		" AND status = 'pending')",
		p, 2, count);
}

enum status store_member_sole_owner_count(struct db *d, struct arena *a, const char *tenant_id,
					  const char *user_id, int64_t *count)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(user_id)};
	return db_query_count(d, a,
			      "SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = $1"
			      " AND m.user_id = $2 AND m.role = 'owner' AND (SELECT COUNT(*)"
			      " FROM memberships o WHERE o.organization_id = m.organization_id"
			      " AND o.role = 'owner') = 1",
			      p, 2, count);
}

enum status store_org_lock_owned_by(struct db *d, struct arena *a, const char *tenant_id,
				    const char *user_id, int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(user_id), db_int(now_ms)};
	return db_query(d, a,
			"UPDATE organizations SET updated_at = $3 WHERE tenant_id = $1 AND id IN"
			" (SELECT organization_id FROM memberships WHERE tenant_id = $1"
			" AND user_id = $2 AND role = 'owner')",
			p, 3, NULL, NULL);
}
