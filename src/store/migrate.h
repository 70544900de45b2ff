/*
 * migrate.h: numbered schema migrations, embedded in the binary at build time
 * (scripts/embed-sql.sh). Each applies in its own transaction and is recorded
 * in schema_migrations; concurrent starters on PostgreSQL serialise on an
 * advisory lock, so two nodes never apply one migration twice.
 */
#ifndef SAASD_MIGRATE_H
#define SAASD_MIGRATE_H

#include "store.h"

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

/* Apply every pending migration; *applied gets how many ran. */
enum status store_migrate(struct store *s, int *applied);

#endif
