/*
 * sqlite.c: the SQLite driver. WAL journal, synchronous=NORMAL, a busy
 * timeout, foreign keys on. Statements are prepared once per connection and
 * cached by SQL pointer (checked against the text). $n parameters are bound
 * by name, so the SQL text is the same one PostgreSQL runs.
 */
#include "driver.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/log.h"

#define STMT_CACHE 256

struct sqlite_db {
	struct db base;
	sqlite3 *conn;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
};

static void ensure_parent_dir(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	/* create each component, ignoring "exists" */
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
}

static struct db *sq_connect(const char *url, char *err, size_t errlen)
{
	const char *path = url + strlen("sqlite:");
	if (*path == '\0') {
		snprintf(err, errlen, "sqlite: URL needs a file path");
		return NULL;
	}
	ensure_parent_dir(path);
	struct sqlite_db *d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	int rc = sqlite3_open_v2(path, &d->conn,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "sqlite open %s: %s", path,
			 d->conn ? sqlite3_errmsg(d->conn) : sqlite3_errstr(rc));
		sqlite3_close(d->conn);
		free(d);
		return NULL;
	}
	sqlite3_busy_timeout(d->conn, 5000);
	char *msg = NULL;
	rc = sqlite3_exec(d->conn,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			  "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "sqlite setup %s: %s", path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(d->conn);
		free(d);
		return NULL;
	}
	return &d->base;
}

static void sq_disconnect(struct db *base)
{
	struct sqlite_db *d = (struct sqlite_db *)base;
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(d->cache[i].stmt);
	sqlite3_close(d->conn);
	free(d);
}

static enum status map_error(struct sqlite_db *d, int rc, const char *sql)
{
	int primary = rc & 0xff;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ST_CONFLICT;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
		d->base.retryable = true; /* svc_in_tx re-runs the transaction */
		log_msg(LOG_WARN, "sqlite busy: %s", sqlite3_errmsg(d->conn));
		return ST_UNAVAILABLE;
	}
	if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_CORRUPT ||
	    primary == SQLITE_NOTADB || primary == SQLITE_FULL || primary == SQLITE_READONLY) {
		log_msg(LOG_ERROR, "sqlite unavailable: %s", sqlite3_errmsg(d->conn));
		return ST_UNAVAILABLE;
	}
	log_msg(LOG_ERROR, "sqlite error %d: %s in: %.120s", rc, sqlite3_errmsg(d->conn), sql);
	return ST_INTERNAL;
}

static sqlite3_stmt *prepare(struct sqlite_db *d, const char *sql, int *rc)
{
	/* open addressing over a few slots, keyed by the literal's address */
	size_t home = ((uintptr_t)sql >> 3) % STMT_CACHE, slot = home;
	for (int probe = 0; probe < 8; probe++) {
		size_t i = (home + (size_t)probe) % STMT_CACHE;
		if (d->cache[i].sql == sql && strcmp(sqlite3_sql(d->cache[i].stmt), sql) == 0) {
			sqlite3_reset(d->cache[i].stmt);
			sqlite3_clear_bindings(d->cache[i].stmt);
			return d->cache[i].stmt;
		}
		if (d->cache[i].sql == NULL && slot == home && d->cache[home].sql != NULL)
			slot = i;
	}
	sqlite3_stmt *stmt = NULL;
	*rc = sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (*rc != SQLITE_OK)
		return NULL;
	sqlite3_finalize(d->cache[slot].stmt);
	d->cache[slot].sql = sql;
	d->cache[slot].stmt = stmt;
	return stmt;
}

static enum status bind_all(struct sqlite_db *d, sqlite3_stmt *stmt, const struct db_param *p,
			    int n, const char *sql)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "$%d", i + 1);
		int idx = sqlite3_bind_parameter_index(stmt, name);
		if (idx == 0)
			continue; /* parameter unused by this statement */
		int rc;
		if (p[i].type == DBP_NULL)
			rc = sqlite3_bind_null(stmt, idx);
		else if (p[i].type == DBP_INT)
			rc = sqlite3_bind_int64(stmt, idx, p[i].i);
		else
			rc = sqlite3_bind_text(stmt, idx, p[i].text, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return map_error(d, rc, sql);
	}
	return ST_OK;
}

/* Grow-by-doubling row collection into the arena. */
static void collect_row(struct arena *a, sqlite3_stmt *stmt, struct db_result *out, int *cap)
{
	int nc = out->ncols;
	if (out->nrows == *cap) {
		int ncap = *cap ? *cap * 2 : 4;
		char **cells =
			arena_alloc(a, sizeof(char *) * (size_t)ncap * (size_t)(nc ? nc : 1));
		if (out->nrows > 0)
			memcpy(cells, out->cells, sizeof(char *) * (size_t)out->nrows * (size_t)nc);
		out->cells = cells;
		*cap = ncap;
	}
	char **row = out->cells + (size_t)out->nrows * (size_t)nc;
	for (int c = 0; c < nc; c++) {
		if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
			row[c] = NULL;
			continue;
		}
		const unsigned char *t = sqlite3_column_text(stmt, c);
		int len = sqlite3_column_bytes(stmt, c);
		row[c] = arena_strndup(a, (const char *)t, (size_t)len);
	}
	out->nrows++;
}

static enum status sq_query(struct db *base, struct arena *a, const char *sql,
			    const struct db_param *params, int nparams, struct db_result *out,
			    int64_t *affected)
{
	struct sqlite_db *d = (struct sqlite_db *)base;
	int rc = SQLITE_OK;
	sqlite3_stmt *stmt = prepare(d, sql, &rc);
	if (stmt == NULL)
		return map_error(d, rc, sql);
	enum status st = bind_all(d, stmt, params, nparams, sql);
	if (st != ST_OK)
		return st;
	if (out != NULL)
		out->ncols = sqlite3_column_count(stmt);
	int cap = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (out != NULL)
			collect_row(a, stmt, out, &cap);
	}
	if (rc != SQLITE_DONE) {
		st = map_error(d, sqlite3_extended_errcode(d->conn), sql);
		sqlite3_reset(stmt);
		return st;
	}
	if (affected != NULL && !sqlite3_stmt_readonly(stmt)) /* else stale */
		*affected = sqlite3_changes64(d->conn);
	sqlite3_reset(stmt);
	return ST_OK;
}

static enum status sq_script(struct db *base, const char *sql)
{
	struct sqlite_db *d = (struct sqlite_db *)base;
	char *msg = NULL;
	int rc = sqlite3_exec(d->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		enum status st = map_error(d, sqlite3_extended_errcode(d->conn), sql);
		sqlite3_free(msg);
		return st;
	}
	return ST_OK;
}

const struct db_driver sqlite_driver = {
	.kind = STORE_SQLITE,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.query = sq_query,
	.script = sq_script,
	.begin_sql = "BEGIN IMMEDIATE",
	.begin_read_sql = "BEGIN DEFERRED",
};
