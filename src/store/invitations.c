/*
 * invitations.c: invitation rows. Expired pending invitations are reported
 * as "expired" by the service; the row keeps status pending until a new
 * invitation of the same email marks it expired.
 */
#include "invitations.h"

#define INV_COLS                                                                             \
	"id, tenant_id, organization_id, email, email_normalized, role, status, inviter_id," \
	" expires_at, created_at, updated_at"

static void row_to_inv(const struct db_result *r, int i, struct invitation_row *v)
{
	v->id = (char *)db_cell(r, i, 0);
	v->tenant_id = (char *)db_cell(r, i, 1);
	v->organization_id = (char *)db_cell(r, i, 2);
	v->email = (char *)db_cell(r, i, 3);
	v->email_normalized = (char *)db_cell(r, i, 4);
	v->role = (char *)db_cell(r, i, 5);
	v->status = (char *)db_cell(r, i, 6);
	v->inviter_id = (char *)db_cell(r, i, 7);
	v->expires_at = db_cell_int(r, i, 8);
	v->created_at = db_cell_int(r, i, 9);
	v->updated_at = db_cell_int(r, i, 10);
	v->token_hash = r->ncols > 11 ? (char *)db_cell(r, i, 11) : NULL;
}

enum status store_invitation_insert(struct db *d, struct arena *a, const struct invitation_row *i,
				    const char *token_hash)
{
	struct db_param p[10] = {
		db_text(i->id),       db_text(i->tenant_id),        db_text(i->organization_id),
		db_text(i->email),    db_text(i->email_normalized), db_text(i->role),
		db_text(token_hash),  db_text(i->inviter_id),       db_int(i->expires_at),
		db_int(i->created_at)};
	return db_query(d, a,
			"INSERT INTO invitations (id, tenant_id, organization_id, email,"
			" email_normalized, role, status, token_hash, inviter_id, expires_at,"
			" created_at, updated_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $10)",
			p, 10, NULL, NULL);
}

static enum status one(struct db *d, struct arena *a, const char *sql, const struct db_param *p,
		       int n, struct invitation_row *out)
{
	struct db_result r;
	enum status st = db_query(d, a, sql, p, n, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_inv(&r, 0, out);
	return ST_OK;
}

enum status store_invitation_get(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, struct invitation_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	return one(d, a,
		   "SELECT " INV_COLS
		   ", token_hash FROM invitations WHERE tenant_id = $1 AND id = $2",
		   p, 2, out);
}

enum status store_invitation_pending(struct db *d, struct arena *a, const char *tenant_id,
				     const char *org_id, const char *email_normalized,
				     struct invitation_row *out)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(org_id), db_text(email_normalized)};
	return one(d, a,
		   "SELECT " INV_COLS " FROM invitations WHERE tenant_id = $1"
		   " AND organization_id = $2 AND email_normalized = $3 AND status = 'pending'",
		   p, 3, out);
}

enum status store_invitation_expire(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE invitations SET status = 'expired', updated_at = $3"
				  " WHERE tenant_id = $1 AND id = $2 AND status = 'pending'"
				  " AND expires_at <= $3",
				  p, 3, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_invitation_transition(struct db *d, struct arena *a, const char *tenant_id,
					const char *id, const char *new_status, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(id), db_text(new_status),
				db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE invitations SET status = $3, updated_at = $4"
				  " WHERE tenant_id = $1 AND id = $2 AND status = 'pending'"
				  " AND expires_at > $4",
				  p, 4, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_invitation_list(struct db *d, struct arena *a, const char *tenant_id,
				  const char *org_id, const char *after, int limit,
				  struct invitation_row **rows, int *n)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(org_id), db_text(after ? after : ""),
				db_int(limit)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " INV_COLS " FROM invitations WHERE tenant_id = $1"
				  " AND organization_id = $2 AND ($3 = '' OR id < $3)"
				  " ORDER BY id DESC LIMIT $4",
				  p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct invitation_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_inv(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}
