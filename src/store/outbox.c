/*
 * outbox.c: email_outbox rows. The claim is a single UPDATE ... RETURNING
 * whose WHERE re-checks the due condition, which makes it atomic on both
 * drivers; the outcome updates are guarded by the claimed attempt number,
 * and the final ones (sent, failed) wipe the bodies and the encrypted link.
 */
#include "outbox.h"

#include "queue.h"

#define OUTBOX_COLS                                                                 \
	"id, tenant_id, to_addr, from_addr, subject, text_body, html_body, status," \
	" attempts, next_attempt_at, last_error, created_at, sent_at, link_box"

static void row_to_outbox(const struct db_result *r, int i, struct outbox_row *m)
{
	m->id = (char *)db_cell(r, i, 0);
	m->tenant_id = (char *)db_cell(r, i, 1);
	m->to_addr = (char *)db_cell(r, i, 2);
	m->from_addr = (char *)db_cell(r, i, 3);
	m->subject = (char *)db_cell(r, i, 4);
	m->text_body = (char *)db_cell(r, i, 5);
	m->html_body = (char *)db_cell(r, i, 6);
	m->status = (char *)db_cell(r, i, 7);
	m->attempts = db_cell_int(r, i, 8);
	m->next_attempt_at = db_cell_int(r, i, 9);
	m->last_error = (char *)db_cell(r, i, 10);
	m->created_at = db_cell_int(r, i, 11);
	m->sent_at = db_cell_int(r, i, 12);
	m->link_box = (char *)db_cell(r, i, 13);
}

enum status store_outbox_insert(struct db *d, struct arena *a, const struct outbox_row *m)
{
	struct db_param p[10] = {db_text(m->id),        db_text(m->tenant_id),
				 db_text(m->to_addr),   db_text(m->from_addr),
				 db_text(m->subject),   db_text(m->text_body),
				 db_text(m->html_body), db_int(m->next_attempt_at),
				 db_int(m->created_at), db_text(m->link_box)};
	return db_query(d, a,
			"INSERT INTO email_outbox (id, tenant_id, to_addr, from_addr, subject,"
			" text_body, html_body, status, attempts, next_attempt_at, created_at,"
			" link_box)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10)",
			p, 10, NULL, NULL);
}

/*
 * Cross-tenant on purpose: the delivery job serves every tenant, in turns
 * (job_tenant_turns, kind 'mail'): of the tenants with a due message, the
 * one served longest ago, and its most overdue message, so one tenant's
 * burst does not hold back everyone else's mail. The outer WHERE repeats
 * the due condition: on PostgreSQL a worker that lost the race for the row
 * re-evaluates it against the winner's version (whose next_attempt_at is
 * now the future lease) and updates nothing; on SQLite the UPDATE holds the
 * write lock from its first step. The turn is taken in the same statement
 * sequence; inside the caller's transaction (the job queue's) they commit
 * together.
 */
enum status store_outbox_claim(struct db *d, struct arena *a, int64_t now_ms, int64_t lease_until,
			       struct outbox_row *out, bool *found)
{
	*found = false;
	struct db_param p[2] = {db_int(now_ms), db_int(lease_until)};
	struct db_result r;
	enum status st =
		db_query(d, a,
			 "UPDATE email_outbox SET next_attempt_at = $2, attempts = attempts + 1"
			 " WHERE id = (SELECT m.id FROM email_outbox m"
			 " LEFT JOIN job_tenant_turns t ON t.kind = 'mail'"
			 " AND t.tenant_id = m.tenant_id"
			 " WHERE m.status = 'pending' AND m.next_attempt_at <= $1"
			 " ORDER BY COALESCE(t.served_seq, 0), m.next_attempt_at, m.id LIMIT 1)"
			 " AND status = 'pending' AND next_attempt_at <= $1"
			 " RETURNING " OUTBOX_COLS,
			 p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_OK;
	row_to_outbox(&r, 0, out);
	*found = true;
	return store_job_turn(d, a, "mail", out->tenant_id);
}

static enum status changed_one(enum status st, int64_t changed)
{
	if (st == ST_OK && changed == 0)
		return ST_NOT_FOUND;
	return st;
}

enum status store_outbox_mark_sent(struct db *d, struct arena *a, const char *tenant_id,
				   const char *id, int64_t attempt, int64_t now_ms)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(id), db_int(attempt), db_int(now_ms)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE email_outbox SET status = 'sent', sent_at = $4,"
				  " last_error = NULL, text_body = '', html_body = NULL,"
				  " link_box = NULL"
				  " WHERE id = $2 AND tenant_id = $1 AND status = 'pending'"
				  " AND attempts = $3",
				  p, 4, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_outbox_mark_retry(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t attempt, int64_t next_attempt_at,
				    const char *error)
{
	struct db_param p[5] = {db_text(tenant_id), db_text(id), db_int(attempt),
				db_int(next_attempt_at), db_text(error)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE email_outbox SET next_attempt_at = $4, last_error = $5"
				  " WHERE id = $2 AND tenant_id = $1 AND status = 'pending'"
				  " AND attempts = $3",
				  p, 5, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_outbox_mark_failed(struct db *d, struct arena *a, const char *tenant_id,
				     const char *id, int64_t attempt, const char *error)
{
	struct db_param p[4] = {db_text(tenant_id), db_text(id), db_int(attempt), db_text(error)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "UPDATE email_outbox SET status = 'failed', last_error = $4,"
				  " text_body = '', html_body = NULL, link_box = NULL"
				  " WHERE id = $2 AND tenant_id = $1 AND status = 'pending'"
				  " AND attempts = $3",
				  p, 4, NULL, &changed);
	return changed_one(st, changed);
}

enum status store_outbox_prune(struct db *d, struct arena *a, int64_t before_ms, int limit,
			       int64_t *removed)
{
	struct db_param p[2] = {db_int(before_ms), db_int(limit)};
	int64_t changed = 0;
	enum status st = db_query(d, a,
				  "DELETE FROM email_outbox WHERE id IN (SELECT id FROM"
				  " email_outbox WHERE (status = 'sent' AND sent_at < $1)"
				  " OR (status = 'failed' AND created_at < $1) LIMIT $2)",
				  p, 2, NULL, &changed);
	*removed = st == ST_OK ? changed : 0;
	return st;
}

enum status store_outbox_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			     struct outbox_row *out)
{
	struct db_param p[2] = {db_text(tenant_id), db_text(id)};
	struct db_result r;
	enum status st = db_query(d, a,
				  "SELECT " OUTBOX_COLS " FROM email_outbox"
				  " WHERE id = $2 AND tenant_id = $1",
				  p, 2, &r, NULL);
	if (st != ST_OK)
		return st;
	if (r.nrows == 0)
		return ST_NOT_FOUND;
	row_to_outbox(&r, 0, out);
	return ST_OK;
}

enum status store_outbox_count_pending(struct db *d, struct arena *a, int64_t *count)
{
	struct db_result r;
	enum status st =
		db_query(d, a, "SELECT COUNT(*) FROM email_outbox WHERE status = 'pending'", NULL,
			 0, &r, NULL);
	if (st == ST_OK)
		*count = db_cell_int(&r, 0, 0);
	return st;
}
