/*
 * pg.c: the PostgreSQL driver over libpq. Parameters travel as text with
 * server-inferred types; each statement is prepared once per connection
 * (named q<N>) and then executed by name. A lost connection marks the db
 * broken so the pool discards it.
 */
#include "driver.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"

#define PG_STMT_CACHE 256
#define PG_MAX_PARAMS 32

struct pg_db {
	struct db base;
	PGconn *conn;
	int next_name;
	struct {
		const char *sql;
		char *text; /* our copy, to verify a pointer hit */
		int name;
	} cache[PG_STMT_CACHE];
};

static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static struct db *pg_connect(const char *url, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {url, "3", "saasd", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		/* libpq messages never contain the password */
		snprintf(err, errlen, "postgres connect: %s",
			 conn ? PQerrorMessage(conn) : "out of memory");
		size_t n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet_notice, NULL);
	struct pg_db *d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	d->conn = conn;
	return &d->base;
}

static void pg_disconnect(struct db *base)
{
	struct pg_db *d = (struct pg_db *)base;
	for (int i = 0; i < PG_STMT_CACHE; i++)
		free(d->cache[i].text);
	PQfinish(d->conn);
	free(d);
}

static enum status map_result(struct pg_db *d, PGresult *res, const char *sql)
{
	if (PQstatus(d->conn) != CONNECTION_OK) {
		d->base.broken = true;
		log_msg(LOG_ERROR, "postgres connection lost: %s", PQerrorMessage(d->conn));
		return ST_UNAVAILABLE;
	}
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && strcmp(state, "23505") == 0)
		return ST_CONFLICT;
	/* a serialization failure or a deadlock: the transaction was rolled
	 * back by the server and svc_in_tx re-runs it from the start */
	if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		d->base.retryable = true;
	/* 08P01 on a live connection is our bug (e.g. a parameter count
	 * mismatch), not a transient failure: it falls through to INTERNAL */
	if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
			      (strncmp(state, "08", 2) == 0 && strcmp(state, "08P01") != 0) ||
			      strcmp(state, "57P01") == 0)) {
		log_msg(LOG_WARN, "postgres transient error %s", state);
		return ST_UNAVAILABLE;
	}
	log_msg(LOG_ERROR, "postgres error %s: %s in: %.120s", state ? state : "?",
		res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn), sql);
	return ST_INTERNAL;
}

/* Find or create the prepared statement for sql; returns its name number. */
static int prepared_name(struct pg_db *d, const char *sql, int nparams, enum status *st)
{
	size_t home = ((uintptr_t)sql >> 3) % PG_STMT_CACHE, slot = home;
	bool have_slot = false;
	for (int probe = 0; probe < 8; probe++) {
		size_t i = (home + (size_t)probe) % PG_STMT_CACHE;
		if (d->cache[i].sql == sql && strcmp(d->cache[i].text, sql) == 0)
			return d->cache[i].name;
		if (d->cache[i].sql == NULL && !have_slot) {
			slot = i;
			have_slot = true;
		}
	}
	char name[16];
	int num = ++d->next_name;
	snprintf(name, sizeof name, "q%d", num);
	PGresult *res = PQprepare(d->conn, name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*st = map_result(d, res, sql);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (d->cache[slot].sql != NULL) {
		/* evicted statements stay prepared server-side; cheap, bounded by churn */
		free(d->cache[slot].text);
	}
	d->cache[slot].sql = sql;
	d->cache[slot].text = strdup(sql);
	d->cache[slot].name = num;
	return num;
}

static void collect(struct arena *a, PGresult *res, struct db_result *out)
{
	int nr = PQntuples(res), nc = PQnfields(res);
	out->nrows = nr;
	out->ncols = nc;
	out->cells = arena_alloc(a, sizeof(char *) * (size_t)(nr ? nr : 1) * (size_t)(nc ? nc : 1));
	for (int r = 0; r < nr; r++)
		for (int c = 0; c < nc; c++)
			out->cells[r * nc + c] =
				PQgetisnull(res, r, c)
					? NULL
					: arena_strndup(a, PQgetvalue(res, r, c),
							(size_t)PQgetlength(res, r, c));
}

/* A connection found dead outside a transaction (the server restarted, a
 * proxy dropped it) is re-made once on the spot, so the caller does not
 * fail for it. Inside a transaction the work is lost: the error stands. */
static bool revive(struct pg_db *d)
{
	if (!d->base.broken || d->base.tx_depth > 0)
		return false;
	PQreset(d->conn);
	if (PQstatus(d->conn) != CONNECTION_OK)
		return false;
	for (int i = 0; i < PG_STMT_CACHE; i++) { /* prepared statements died with it */
		free(d->cache[i].text);
		d->cache[i].text = NULL;
		d->cache[i].sql = NULL;
	}
	d->base.broken = false;
	log_msg(LOG_INFO, "postgres connection re-established");
	return true;
}

static enum status query_once(struct pg_db *d, struct arena *a, const char *sql,
			      const struct db_param *params, int nparams, struct db_result *out,
			      int64_t *affected)
{
	if (nparams > PG_MAX_PARAMS)
		return ST_INTERNAL;
	enum status st = ST_INTERNAL;
	int num = prepared_name(d, sql, nparams, &st);
	if (num < 0)
		return st;
	char bufs[PG_MAX_PARAMS][24];
	const char *values[PG_MAX_PARAMS];
	for (int i = 0; i < nparams; i++)
		values[i] = db_param_text(&params[i], bufs[i]);
	char name[16];
	snprintf(name, sizeof name, "q%d", num);
	PGresult *res = PQexecPrepared(d->conn, name, nparams, values, NULL, NULL, 0);
	ExecStatusType rs = PQresultStatus(res);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		st = map_result(d, res, sql);
		PQclear(res);
		return st;
	}
	if (out != NULL && rs == PGRES_TUPLES_OK)
		collect(a, res, out);
	if (affected != NULL && strncmp(PQcmdStatus(res), "SELECT", 6) != 0) {
		const char *n = PQcmdTuples(res); /* a SELECT's row count is not a change */
		*affected = (n && *n) ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(res);
	return ST_OK;
}

static enum status pg_query(struct db *base, struct arena *a, const char *sql,
			    const struct db_param *params, int nparams, struct db_result *out,
			    int64_t *affected)
{
	struct pg_db *d = (struct pg_db *)base;
	enum status st = query_once(d, a, sql, params, nparams, out, affected);
	if (st == ST_UNAVAILABLE && revive(d))
		st = query_once(d, a, sql, params, nparams, out, affected);
	return st;
}

static enum status script_once(struct pg_db *d, const char *sql)
{
	PGresult *res = PQexec(d->conn, sql);
	ExecStatusType rs = PQresultStatus(res);
	enum status st = ST_OK;
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
		st = map_result(d, res, sql);
	/* COMMIT of a transaction aborted by an earlier error answers "ROLLBACK" */
	if (st == ST_OK && strcmp(sql, "COMMIT") == 0 &&
	    strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		log_msg(LOG_ERROR, "postgres: COMMIT of a failed transaction rolled back");
		st = ST_INTERNAL;
	}
	PQclear(res);
	return st;
}

static enum status pg_script(struct db *base, const char *sql)
{
	struct pg_db *d = (struct pg_db *)base;
	enum status st = script_once(d, sql);
	if (st == ST_UNAVAILABLE && revive(d))
		st = script_once(d, sql);
	return st;
}

const struct db_driver pg_driver = {
	.kind = STORE_POSTGRES,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.query = pg_query,
	.script = pg_script,
	.begin_sql = "BEGIN",
	.begin_read_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
};
