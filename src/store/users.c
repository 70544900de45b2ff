/*
 * users.c: user rows and the failed-login record. Emails are matched on
 * email_normalized (trimmed, NFKC-casefolded by core/email.c); failures also
 * by client IP.
 */
#include "users.h"

#include <string.h>

#define USER_COLS \
	"id, tenant_id, email, name, password_hash, email_verified, created_at, updated_at"

static void row_to_user(const struct db_result *r, int i, struct user_row *u)
{
	u->id = (char *)db_cell(r, i, 0);
	u->tenant_id = (char *)db_cell(r, i, 1);
	u->email = (char *)db_cell(r, i, 2);
	u->name = (char *)db_cell(r, i, 3);
	u->password_hash = (char *)db_cell(r, i, 4);
	u->email_verified = db_cell_int(r, i, 5) != 0;
	u->created_at = db_cell_int(r, i, 6);
	u->updated_at = db_cell_int(r, i, 7);
}

enum status store_user_insert(struct db *d, struct arena *a, const struct user_row *u,
			      const char *email_normalized)
{
	struct db_param p[8] = {db_text(u->id),
				db_text(u->tenant_id),
				db_text(u->email),
				db_text(email_normalized),
				db_text(u->name),
				db_text(u->password_hash),
				db_int(u->email_verified),
				db_int(u->created_at)};
	return db_query(d, a,
			"INSERT INTO users (id, tenant_id, email, email_normalized, name,"
			" password_hash, email_verified, created_at, updated_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
			p, 8, NULL, NULL);
}

static enum status one_user(struct db *d, struct arena *a, const char *sql, const char *tenant_id,
			    const char *key, struct user_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(key)};
	struct db_result r;
	enum status st = db_query(d, a, sql, p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_user(&r, 0, out);
	return ST_OK;
}

enum status store_user_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			   struct user_row *out)
{
	return one_user(d, a, "SELECT " USER_COLS " FROM users WHERE tenant_id = $1 AND id = $2",
			tenant_id, id, out);
}

enum status store_user_by_email(struct db *d, struct arena *a, const char *tenant_id,
				const char *email_normalized, struct user_row *out)
{
	return one_user(d, a,
			"SELECT " USER_COLS
			" FROM users WHERE tenant_id = $1 AND email_normalized = $2",
			tenant_id, email_normalized, out);
}

static enum status update_one(struct db *d, struct arena *a, const char *sql,
			      const struct db_param *p, int n)
{
	int64_t changed = 0;
	enum status st = db_query(d, a, sql, p, n, NULL, &changed);
	return st == ST_OK && changed == 0 ? ST_NOT_FOUND : st;
}

enum status store_user_set_password(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, const char *hash, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(id), db_text(hash), db_int(now_ms)};
	return update_one(d, a,
			  "UPDATE users SET password_hash = $3, updated_at = $4"
			  " WHERE tenant_id = $1 AND id = $2",
			  p, 4);
}

enum status store_user_set_verified(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t now_ms)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(id), db_int(now_ms)};
	return update_one(d, a,
			  "UPDATE users SET email_verified = 1, updated_at = $3"
			  " WHERE tenant_id = $1 AND id = $2",
			  p, 3);
}

enum status store_user_lock(struct db *d, struct arena *a, const char *tenant_id, const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	return update_one(
		d, a, "UPDATE users SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2",
		p, 2);
}

enum status store_user_delete(struct db *d, struct arena *a, const char *tenant_id, const char *id)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	return update_one(d, a, "DELETE FROM users WHERE tenant_id = $1 AND id = $2", p, 2);
}

enum status store_login_failure_add(struct db *d, struct arena *a, const char *id,
				    const char *tenant_id, const char *email_normalized,
				    const char *client_ip, int64_t now_ms)
{
	struct db_param p[5] = {db_text(id), db_text(tenant_id), db_text(email_normalized),
				db_text(client_ip), db_int(now_ms)};
	return db_query(d, a,
			"INSERT INTO login_failures (id, tenant_id, email_normalized, client_ip,"
			" created_at) VALUES ($1, $2, $3, $4, $5)",
			p, 5, NULL, NULL);
}

enum status store_login_failure_count(struct db *d, struct arena *a, const char *tenant_id,
				      const char *email_normalized, const char *client_ip,
				      int64_t since_ms, struct login_failure_counts *out)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(email_normalized), db_text(client_ip),
				db_int(since_ms)};
	struct db_result r;
	enum status st = db_query(
		d, a,
		"SELECT COUNT(CASE WHEN email_normalized = $2 AND client_ip = $3 THEN 1 END),"
		" MIN(CASE WHEN email_normalized = $2 AND client_ip = $3 THEN created_at END),"
		" COUNT(CASE WHEN client_ip = $3 THEN 1 END),"
		" MIN(CASE WHEN client_ip = $3 THEN created_at END),"
		" COUNT(CASE WHEN email_normalized = $2 THEN 1 END),"
		" MIN(CASE WHEN email_normalized = $2 THEN created_at END)"
		" FROM login_failures WHERE tenant_id = $1 AND created_at >= $4"
		" AND (email_normalized = $2 OR client_ip = $3)",
		p, 4, &r, NULL);
	if (st != ST_OK)
		return st;
	out->pair = db_cell_int(&r, 0, 0);
	out->pair_oldest_ms = db_cell_int(&r, 0, 1);
	out->ip = db_cell_int(&r, 0, 2);
	out->ip_oldest_ms = db_cell_int(&r, 0, 3);
	out->email = db_cell_int(&r, 0, 4);
	out->email_oldest_ms = db_cell_int(&r, 0, 5);
	return ST_OK;
}

enum status store_login_failure_clear(struct db *d, struct arena *a, const char *tenant_id,
				      const char *email_normalized, const char *client_ip)
{
	struct db_param p[3] = {db_text(tenant_id), db_text(email_normalized), db_text(client_ip)};
	return db_query(d, a,
			"DELETE FROM login_failures WHERE tenant_id = $1 AND email_normalized = $2"
			" AND client_ip = $3",
			p, 3, NULL, NULL);
}

enum status store_login_failure_prune(struct db *d, struct arena *a, int64_t before_ms,
				      int64_t *removed)
{
	struct db_param p[1] = {db_int(before_ms)};
	return db_query(d, a, "DELETE FROM login_failures WHERE created_at < $1", p, 1, NULL,
			removed);
}
