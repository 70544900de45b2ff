/*
 * migrate.c: applies pending migrations in version order. The version check
 * happens inside the migration's own transaction, after the lock, so a
 * racing node sees the row and skips.
 */
#include "migrate.h"

#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"

static enum status apply_one(struct db *d, struct arena *a, const struct migration *m, bool *ran)
{
	*ran = false;
	enum status st = db_begin(d);
	if (st != ST_OK)
		return st;
	if (db_kind(d) == STORE_POSTGRES) {
		st = db_query(d, a, "SELECT pg_advisory_xact_lock(7287001)", NULL, 0, NULL, NULL);
		if (st != ST_OK)
			goto fail;
	}
	struct db_param p[2] = {db_int(m->version), db_int(clock_now(&clock_system))};
	struct db_result r;
	st = db_query(d, a, "SELECT version FROM schema_migrations WHERE version = $1", p, 1, &r,
		      NULL);
	if (st != ST_OK)
		goto fail;
	if (r.nrows > 0) {
		db_rollback(d);
		return ST_OK;
	}
	st = db_script(d, m->sql);
	if (st != ST_OK) {
		log_msg(LOG_ERROR, "migration %s failed", m->name);
		goto fail;
	}
	st = db_query(d, a, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
		      p, 2, NULL, NULL);
	if (st != ST_OK)
		goto fail;
	st = db_commit(d);
	if (st == ST_OK) {
		*ran = true;
		log_msg(LOG_INFO, "applied migration %s", m->name);
	}
	return st;
fail:
	db_rollback(d);
	return st;
}

/* CREATE TABLE IF NOT EXISTS is not atomic on PostgreSQL: two nodes racing
 * on it fail with 42P07 or 23505. Create under the same lock as migrations. */
static enum status create_table(struct db *d, struct arena *a)
{
	enum status st = db_begin(d);
	if (st != ST_OK)
		return st;
	if (db_kind(d) == STORE_POSTGRES)
		st = db_query(d, a, "SELECT pg_advisory_xact_lock(7287001)", NULL, 0, NULL, NULL);
	if (st == ST_OK)
		st = db_script(d, "CREATE TABLE IF NOT EXISTS schema_migrations ("
				  " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)");
	if (st != ST_OK) {
		db_rollback(d);
		return st;
	}
	return db_commit(d);
}

#define MIGRATE_BUSY_TRIES 300

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

enum status store_migrate(struct store *s, int *applied)
{
	*applied = 0;
	struct db *d = store_acquire(s);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct arena a;
	arena_init(&a, 1024);
	enum status st = ST_UNAVAILABLE;
	/* nodes starting together wait for each other: "busy" is retried for
	 * up to ~30 s before it counts as a failure */
	for (int tries = 0; st == ST_UNAVAILABLE && tries < MIGRATE_BUSY_TRIES; tries++) {
		if (tries > 0)
			pause_ms(100);
		st = create_table(d, &a);
		for (int i = 0; st == ST_OK && i < migrations_count; i++) {
			bool ran;
			st = apply_one(d, &a, &migrations[i], &ran);
			if (ran)
				(*applied)++;
			arena_reset(&a);
		}
	}
	arena_destroy(&a);
	store_release(s, d);
	return st;
}
