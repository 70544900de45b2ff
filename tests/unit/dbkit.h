/*
 * dbkit.h: the set-up shared by the unit suites that run against a real
 * store (test_outbox.c, test_webhook_delivery.c). dbkit_run_everywhere()
 * runs a suite's tests on a temporary SQLite file and, when SAASD_PG_PORT is
 * set, on a fresh database of the PostgreSQL test cluster (dropped after):
 * each time S is open and migrated and G is a fresh arena. Header-only like
 * check.h: each test binary is its own program.
 */
#ifndef SAASD_DBKIT_H
#define SAASD_DBKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/ids.h"
#include "core/secure.h"
#include "store/migrate.h"
#include "store/store.h"
#include "store/tenants.h"

#define T0 1800000000000LL /* a fixed "now" for the suites' fake clocks */

static struct store *S;
static struct arena G; /* lives for one backend's run */
static const char *dbkit_suite = "dbkit";

static struct db *acquire(void)
{
	struct db *d = store_acquire(S);
	if (d == NULL) {
		fprintf(stderr, "%s: store_acquire failed\n", dbkit_suite);
		exit(2);
	}
	return d;
}

static const char *make_tenant(const char *name)
{
	struct db *d = acquire();
	struct tenant_row t = {0};
	t.id = id_new(&G, "ten", T0);
	t.name = (char *)name;
	t.created_at = t.updated_at = T0;
	CHECK(store_tenant_insert(d, &G, &t) == ST_OK);
	store_release(S, d);
	return t.id;
}

/* Open url, migrate, run tests (announced with label), close. */
static int dbkit_run(const char *label, const char *url, void (*tests)(void))
{
	char err[512] = "";
	if (store_open(url, 12, &S, err, sizeof err) != ST_OK) {
		fprintf(stderr, "%s: cannot open %s: %s\n", dbkit_suite, url, err);
		return 1;
	}
	int applied = 0;
	if (store_migrate(S, &applied) != ST_OK) {
		fprintf(stderr, "%s: migration failed\n", dbkit_suite);
		store_close(S);
		return 1;
	}
	printf("-- %s on %s\n", label, store_kind(S) == STORE_POSTGRES ? "postgres" : "sqlite");
	arena_init(&G, 8192);
	tests();
	store_close(S);
	arena_destroy(&G);
	return 0;
}

/* Run sql_fmt (with the database name) on the test cluster's postgres db. */
static bool dbkit_pg_admin(const char *port, const char *sql_fmt, const char *name)
{
	char admin[256], err[256] = "", sql[160];
	snprintf(admin, sizeof admin, "postgres://postgres@127.0.0.1:%s/postgres", port);
	struct store *s = NULL;
	if (store_open(admin, 1, &s, err, sizeof err) != ST_OK) {
		fprintf(stderr, "%s: %s\n", dbkit_suite, err);
		return false;
	}
	struct db *d = store_acquire(s);
	snprintf(sql, sizeof sql, sql_fmt, name);
	bool ok = d != NULL && db_script(d, sql) == ST_OK;
	store_release(s, d);
	store_close(s);
	return ok;
}

/* tests on SQLite, then on PostgreSQL when SAASD_PG_PORT is set; nonzero
 * when a backend could not be set up (check failures count separately). */
static int dbkit_run_everywhere(const char *suite, const char *label, void (*tests)(void))
{
	dbkit_suite = suite;
	char dir[] = "/tmp/saasd_dbkit.XXXXXX", url[512], path[600];
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(url, sizeof url, "sqlite:%s/test.db", dir);
	int rc = dbkit_run(label, url, tests);
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/test.db%s", dir, suffixes[i]);
		unlink(path);
	}
	rmdir(dir);

	const char *port = getenv("SAASD_PG_PORT");
	if (port == NULL || *port == '\0') {
		printf("-- %s on postgres: skipped (SAASD_PG_PORT not set)\n", label);
		return rc;
	}
	char name[64], hex[13];
	uint8_t rnd[6];
	sec_random(rnd, sizeof rnd);
	sec_hex(rnd, sizeof rnd, hex);
	snprintf(name, sizeof name, "unit_%s", hex);
	if (!dbkit_pg_admin(port, "CREATE DATABASE %s", name))
		return 2;
	snprintf(url, sizeof url, "postgres://postgres@127.0.0.1:%s/%s", port, name);
	rc |= dbkit_run(label, url, tests);
	dbkit_pg_admin(port, "DROP DATABASE %s", name);
	return rc;
}

#endif
