/*
 * driver.h: what a database driver provides to store.c. Internal to store/;
 * services never see it.
 */
#ifndef SAASD_STORE_DRIVER_H
#define SAASD_STORE_DRIVER_H

#include "store.h"

struct db {
	const struct db_driver *drv;
	struct store *owner;
	struct db *next_all; /* every connection of the store, for store_close */
	struct db *next_free; /* pool free list (PostgreSQL) */
	bool broken; /* connection lost: discard on release */
	/* the last failure was a serialization failure, a deadlock or a busy
	 * lock: the transaction, re-run from its start, may succeed. Set by the
	 * drivers, cleared by db_begin. */
	bool retryable;
	int tx_depth;
};

struct db_driver {
	enum store_kind kind;
	/* Connect; returns NULL and fills err on failure. */
	struct db *(*connect)(const char *url, char *err, size_t errlen);
	void (*disconnect)(struct db *d);
	enum status (*query)(struct db *d, struct arena *a, const char *sql,
			     const struct db_param *params, int nparams, struct db_result *out,
			     int64_t *affected);
	enum status (*script)(struct db *d, const char *sql);
	const char *begin_sql;
	/* a transaction that only reads: never takes SQLite's write lock */
	const char *begin_read_sql;
};

extern const struct db_driver sqlite_driver;
extern const struct db_driver pg_driver;

/* Render an int64 parameter in decimal into buf[24]. */
const char *db_param_text(const struct db_param *p, char buf[24]);

#endif
