/*
 * audit.c: audit_log rows. One SQL text per operation; every read filters on
 * tenant_id first, so each filter rides an index led by it (012_audit_log).
 * Ids encode created_at to the millisecond (core/ids.h), so time windows
 * are id ranges: lists walk (tenant_id, id) in order with no sort, and the
 * prune walks the primary key up to the oldest id a retention keeps. The
 * prune is the one cross-tenant statement: it removes only rows past their
 * own tenant's retention, one statement per distinct retention setting.
 */
#include "audit.h"

#include "../core/ids.h"

#include <stdint.h>

#define AUDIT_COLS                                                             \
	"id, tenant_id, action, actor_type, actor_id, target_type, target_id," \
	" organization_id, ip, user_agent, request_id, changes, created_at"

static void row_to_audit(const struct db_result *r, int i, struct audit_row *e)
{
	e->id = (char *)db_cell(r, i, 0);
	e->tenant_id = (char *)db_cell(r, i, 1);
	e->action = (char *)db_cell(r, i, 2);
	e->actor_type = (char *)db_cell(r, i, 3);
	e->actor_id = (char *)db_cell(r, i, 4);
	e->target_type = (char *)db_cell(r, i, 5);
	e->target_id = (char *)db_cell(r, i, 6);
	e->organization_id = (char *)db_cell(r, i, 7);
	e->ip = (char *)db_cell(r, i, 8);
	e->user_agent = (char *)db_cell(r, i, 9);
	e->request_id = (char *)db_cell(r, i, 10);
	e->changes = (char *)db_cell(r, i, 11);
	e->created_at = db_cell_int(r, i, 12);
}

enum status store_audit_insert(struct db *d, struct arena *a, const struct audit_row *e)
{
	struct db_param p[13] = {db_text(e->id),
				 db_text(e->tenant_id),
				 db_text(e->action),
				 db_text(e->actor_type),
				 db_text(e->actor_id),
				 db_text(e->target_type),
				 db_text(e->target_id),
				 db_text(e->organization_id),
				 db_text(e->ip ? e->ip : ""),
				 db_text(e->user_agent ? e->user_agent : ""),
				 db_text(e->request_id ? e->request_id : ""),
				 db_text(e->changes),
				 db_int(e->created_at)};
	return db_query(d, a,
			"INSERT INTO audit_log (" AUDIT_COLS ")"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
			" CAST($13 AS BIGINT))",
			p, 13, NULL, NULL);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The filters, each "($n = '' OR column = $n)" so one text serves every
 * combination; the list texts below add the most selective filter present
 * once more as a plain equality, which lets the planner take that filter's
 * (tenant_id, column, id) index instead of scanning the tenant. */
#define AUDIT_WHERE                                                              \
	" FROM audit_log WHERE tenant_id = $1"                                   \
	" AND ($2 = '' OR actor_id = $2) AND ($3 = '' OR action = $3)"           \
	" AND ($4 = '' OR target_id = $4) AND ($5 = '' OR organization_id = $5)" \
	" AND id >= $6 AND id <= $7"
#define AUDIT_NEWER " AND ($8 = '' OR id < $8) ORDER BY id DESC LIMIT $9"
#define AUDIT_OLDER " AND ($8 = '' OR id > $8) ORDER BY id ASC LIMIT $9"
#define AUDIT_LIST(lead)                                                  \
	{                                                                 \
		"SELECT " AUDIT_COLS AUDIT_WHERE lead AUDIT_NEWER,        \
			"SELECT " AUDIT_COLS AUDIT_WHERE lead AUDIT_OLDER \
	}

enum audit_lead { LEAD_NONE, LEAD_TARGET, LEAD_ACTOR, LEAD_ORG, LEAD_ACTION };

/* [lead][oldest_first]: fixed texts, as statements are cached by text. */
static const char *const audit_list_sql[][2] = {
	[LEAD_NONE] = AUDIT_LIST(""),
	[LEAD_TARGET] = AUDIT_LIST(" AND target_id = $4"),
	[LEAD_ACTOR] = AUDIT_LIST(" AND actor_id = $2"),
	[LEAD_ORG] = AUDIT_LIST(" AND organization_id = $5"),
	[LEAD_ACTION] = AUDIT_LIST(" AND action = $3"),
};

static bool set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* The most selective filter present: a target or an actor names few
 * entries, an organization more, an action the most. */
static enum audit_lead lead_of(const struct audit_filter *f)
{
	return set(f->target_id)         ? LEAD_TARGET
	       : set(f->actor_id)        ? LEAD_ACTOR
	       : set(f->organization_id) ? LEAD_ORG
	       : set(f->action)          ? LEAD_ACTION
					 : LEAD_NONE;
}

enum status store_audit_list(struct db *d, struct arena *a, const char *tenant_id,
			     const struct audit_filter *f, struct audit_row **rows, int *n)
{
	struct db_param p[9] = {
		db_text(tenant_id),
		db_text(or_empty(f->actor_id)),
		db_text(or_empty(f->action)),
		db_text(or_empty(f->target_id)),
		db_text(or_empty(f->organization_id)),
		db_text(id_time_bound(a, "aud", f->from_ms, false)),
		db_text(id_time_bound(a, "aud", f->to_ms > 0 ? f->to_ms : INT64_MAX, true)),
		db_text(or_empty(f->after)),
		db_int(f->limit)};
	struct db_result r;
	enum status st =
		db_query(d, a, audit_list_sql[lead_of(f)][f->oldest_first], p, 9, &r, NULL);
	if (st != ST_OK)
		return st;
	*rows = arena_alloc(a, sizeof(struct audit_row) * (size_t)(r.nrows ? r.nrows : 1));
	for (int i = 0; i < r.nrows; i++)
		row_to_audit(&r, i, &(*rows)[i]);
	*n = r.nrows;
	return ST_OK;
}

enum status store_audit_prune(struct db *d, struct arena *a, int64_t now_ms, int limit,
			      int64_t *removed)
{
	*removed = 0;
	struct db_result days;
	enum status st = db_query(d, a, "SELECT DISTINCT audit_retention_days FROM tenants", NULL,
				  0, &days, NULL);
	for (int i = 0; st == ST_OK && i < days.nrows && *removed < limit; i++) {
		int64_t retention = db_cell_int(&days, i, 0);
		struct db_param p[3] = {
			db_int(retention),
			db_text(id_time_bound(a, "aud", now_ms - retention * 86400000 - 1, true)),
			db_int(limit - *removed)};
		int64_t changed = 0;
		st = db_query(d, a,
			      "DELETE FROM audit_log WHERE id IN (SELECT l.id FROM audit_log l"
			      " JOIN tenants t ON t.id = l.tenant_id"
			      " WHERE t.audit_retention_days = CAST($1 AS BIGINT) AND l.id <= $2"
			      " LIMIT $3)",
			      p, 3, NULL, &changed);
		*removed += st == ST_OK ? changed : 0;
	}
	return st;
}
