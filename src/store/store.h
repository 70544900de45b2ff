/*
 * store.h: the one database interface above the drivers. SQL is written once
 * with $1..$n parameters; the SQLite and PostgreSQL drivers run the same text.
 * Results are materialised as strings in the caller's arena, so no driver
 * type (sqlite3_stmt, PGresult) ever escapes this layer.
 *
 * Connections: store_acquire() hands out a connection for the calling thread
 * (SQLite: one per thread, kept; PostgreSQL: from a bounded pool). A service
 * acquires once, passes the db down, and releases it before returning.
 */
#ifndef SAASD_STORE_H
#define SAASD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/arena.h"
#include "../core/status.h"

struct store;
struct db;

enum store_kind { STORE_SQLITE, STORE_POSTGRES };

/* Open a store for DATABASE_URL; pool_size bounds PostgreSQL connections.
 * Does not connect yet beyond a first check; err gets a human message. */
enum status store_open(const char *url, int pool_size, struct store **out, char *err,
		       size_t errlen);
/* Close every connection. No db of this store may be in use. */
void store_close(struct store *s);
enum store_kind store_kind(const struct store *s);

/* A connection for this thread, or NULL when the database is unreachable. */
struct db *store_acquire(struct store *s);
void store_release(struct store *s, struct db *d);
/* SELECT 1 through a fresh acquire: ST_OK or ST_UNAVAILABLE. */
enum status store_ping(struct store *s);

enum db_ptype { DBP_NULL, DBP_TEXT, DBP_INT };
struct db_param {
	enum db_ptype type;
	const char *text;
	int64_t i;
};
static inline struct db_param db_text(const char *s)
{
	struct db_param p = {s ? DBP_TEXT : DBP_NULL, s, 0};
	return p;
}
static inline struct db_param db_int(int64_t v)
{
	struct db_param p = {DBP_INT, NULL, v};
	return p;
}
static inline struct db_param db_null(void)
{
	struct db_param p = {DBP_NULL, NULL, 0};
	return p;
}

/* Rows as strings: cells[row * ncols + col], NULL for SQL NULL. */
struct db_result {
	int nrows;
	int ncols;
	char **cells;
};

/*
 * Run one statement. sql should be a string literal (statements are cached
 * per connection by pointer and text). out may be NULL; affected (may be
 * NULL) receives the number of changed rows. Errors: ST_CONFLICT for a
 * unique violation, ST_UNAVAILABLE when the database is unreachable or busy,
 * ST_INTERNAL otherwise (detail logged, never returned).
 */
enum status db_query(struct db *d, struct arena *a, const char *sql, const struct db_param *params,
		     int nparams, struct db_result *out, int64_t *affected);
/* A query answering one integer (COUNT(*) and the like) into *count. */
enum status db_query_count(struct db *d, struct arena *a, const char *sql,
			   const struct db_param *params, int nparams, int64_t *count);
/* Run a multi-statement script without parameters (migrations). */
enum status db_script(struct db *d, const char *sql);

/* Transactions. begin takes the write lock at once on SQLite (IMMEDIATE).
 * begin_read opens a read-only one (SQLite DEFERRED: a WAL snapshot, no write
 * lock; PostgreSQL READ ONLY, REPEATABLE READ: one snapshot for every read). */
enum status db_begin(struct db *d);
enum status db_begin_read(struct db *d);
enum status db_commit(struct db *d);
void db_rollback(struct db *d);
enum store_kind db_kind(const struct db *d);
/* Whether the last failure since db_begin was a serialization failure or a
 * deadlock (PostgreSQL 40001 / 40P01) or a busy or locked database (SQLite):
 * rolling back and re-running the whole transaction may succeed. */
bool db_retryable(const struct db *d);

const char *db_cell(const struct db_result *r, int row, int col);
int64_t db_cell_int(const struct db_result *r, int row, int col);
bool db_cell_null(const struct db_result *r, int row, int col);

#endif
