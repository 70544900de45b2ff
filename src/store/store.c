/*
 * store.c: connection management shared by both drivers. SQLite gets one
 * connection per thread (cached in thread-local storage, never shared);
 * PostgreSQL gets a bounded pool guarded by a mutex and a condition variable.
 */
#include "driver.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/metrics.h"

struct store {
	const struct db_driver *drv;
	char *url;
	uint64_t serial; /* distinguishes stores in thread-local caches */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct db *all;
	struct db *free_list;
	int open_count;
	int pool_size;
};

static uint64_t next_serial = 1;
static pthread_mutex_t serial_mu = PTHREAD_MUTEX_INITIALIZER;

static __thread uint64_t tls_serial;
static __thread struct db *tls_db;

enum status store_open(const char *url, int pool_size, struct store **out, char *err, size_t errlen)
{
	const struct db_driver *drv;
	if (strncmp(url, "sqlite:", 7) == 0)
		drv = &sqlite_driver;
	else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		drv = &pg_driver;
	else {
		snprintf(err, errlen, "unsupported DATABASE_URL scheme");
		return ST_VALIDATION_FAILED;
	}
	struct store *s = calloc(1, sizeof *s);
	if (s == NULL)
		abort();
	s->drv = drv;
	s->url = strdup(url);
	s->pool_size = pool_size > 0 ? pool_size : 8;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_lock(&serial_mu);
	s->serial = next_serial++;
	pthread_mutex_unlock(&serial_mu);
	/* connect once now so configuration errors surface at start */
	struct db *d = drv->connect(url, err, errlen);
	if (d == NULL) {
		store_close(s);
		return ST_UNAVAILABLE;
	}
	d->drv = drv;
	d->owner = s;
	d->next_all = s->all;
	s->all = d;
	s->open_count = 1;
	if (drv->kind == STORE_POSTGRES) {
		d->next_free = s->free_list;
		s->free_list = d;
	}
	*out = s;
	return ST_OK;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	struct db *d = s->all;
	while (d != NULL) {
		struct db *next = d->next_all;
		s->drv->disconnect(d);
		d = next;
	}
	if (tls_serial == s->serial)
		tls_db = NULL;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->url);
	free(s);
}

enum store_kind store_kind(const struct store *s)
{
	return s->drv->kind;
}

static struct db *connect_one(struct store *s)
{
	char err[256] = "";
	struct db *d = s->drv->connect(s->url, err, sizeof err);
	if (d == NULL) {
		log_msg(LOG_ERROR, "database connect failed: %s", err);
		return NULL;
	}
	d->drv = s->drv;
	d->owner = s;
	return d;
}

static void unlink_all(struct store *s, struct db *d)
{
	for (struct db **pp = &s->all; *pp != NULL; pp = &(*pp)->next_all) {
		if (*pp == d) {
			*pp = d->next_all;
			return;
		}
	}
}

static struct db *acquire_sqlite(struct store *s)
{
	if (tls_serial == s->serial && tls_db != NULL)
		return tls_db;
	struct db *d = connect_one(s);
	if (d == NULL)
		return NULL;
	pthread_mutex_lock(&s->mu);
	d->next_all = s->all;
	s->all = d;
	s->open_count++;
	pthread_mutex_unlock(&s->mu);
	tls_serial = s->serial;
	tls_db = d;
	return d;
}

static struct db *acquire_pg(struct store *s)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->free_list != NULL) {
			struct db *d = s->free_list;
			s->free_list = d->next_free;
			pthread_mutex_unlock(&s->mu);
			return d;
		}
		if (s->open_count < s->pool_size) {
			s->open_count++; /* reserve the slot, connect unlocked */
			pthread_mutex_unlock(&s->mu);
			struct db *d = connect_one(s);
			pthread_mutex_lock(&s->mu);
			if (d == NULL) {
				s->open_count--;
				pthread_cond_signal(&s->cv);
				pthread_mutex_unlock(&s->mu);
				return NULL;
			}
			d->next_all = s->all;
			s->all = d;
			pthread_mutex_unlock(&s->mu);
			return d;
		}
		if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&s->mu);
			log_msg(LOG_ERROR, "database pool exhausted (%d connections)",
				s->pool_size);
			return NULL;
		}
	}
}

struct db *store_acquire(struct store *s)
{
	return s->drv->kind == STORE_SQLITE ? acquire_sqlite(s) : acquire_pg(s);
}

void store_release(struct store *s, struct db *d)
{
	if (d == NULL)
		return;
	if (d->tx_depth > 0) {
		log_msg(LOG_ERROR, "connection released inside a transaction; rolling back");
		db_rollback(d);
	}
	if (s->drv->kind == STORE_SQLITE)
		return; /* stays with its thread */
	pthread_mutex_lock(&s->mu);
	if (d->broken) {
		unlink_all(s, d);
		s->open_count--;
		pthread_mutex_unlock(&s->mu);
		s->drv->disconnect(d);
		pthread_mutex_lock(&s->mu);
	} else {
		d->next_free = s->free_list;
		s->free_list = d;
	}
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

enum status store_ping(struct store *s)
{
	struct db *d = store_acquire(s);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct arena a;
	arena_init(&a, 512);
	struct db_result r;
	enum status st = db_query(d, &a, "SELECT 1", NULL, 0, &r, NULL);
	arena_destroy(&a);
	store_release(s, d);
	return st == ST_OK ? ST_OK : ST_UNAVAILABLE;
}

const char *db_param_text(const struct db_param *p, char buf[24])
{
	if (p->type == DBP_NULL)
		return NULL;
	if (p->type == DBP_TEXT)
		return p->text;
	snprintf(buf, 24, "%" PRId64, p->i);
	return buf;
}

enum status db_query(struct db *d, struct arena *a, const char *sql, const struct db_param *params,
		     int nparams, struct db_result *out, int64_t *affected)
{
	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (affected != NULL)
		*affected = 0;
	enum status st = d->drv->query(d, a, sql, params, nparams, out, affected);
	if (st == ST_INTERNAL || st == ST_UNAVAILABLE)
		metrics_inc(M_STORE_ERRORS);
	return st;
}

enum status db_query_count(struct db *d, struct arena *a, const char *sql,
			   const struct db_param *params, int nparams, int64_t *count)
{
	struct db_result r;
	enum status st = db_query(d, a, sql, params, nparams, &r, NULL);
	if (st == ST_OK)
		*count = db_cell_int(&r, 0, 0);
	return st;
}

enum status db_script(struct db *d, const char *sql)
{
	return d->drv->script(d, sql);
}

static enum status begin_with(struct db *d, const char *sql)
{
	d->retryable = false; /* a new attempt: earlier failures are history */
	enum status st = d->drv->script(d, sql);
	if (st == ST_OK)
		d->tx_depth = 1;
	return st;
}

enum status db_begin(struct db *d)
{
	return begin_with(d, d->drv->begin_sql);
}

enum status db_begin_read(struct db *d)
{
	return begin_with(d, d->drv->begin_read_sql);
}

enum status db_commit(struct db *d)
{
	enum status st = d->drv->script(d, "COMMIT");
	if (st != ST_OK)
		db_rollback(d);
	d->tx_depth = 0;
	return st;
}

void db_rollback(struct db *d)
{
	if (d->tx_depth == 0)
		return;
	d->drv->script(d, "ROLLBACK");
	d->tx_depth = 0;
}

enum store_kind db_kind(const struct db *d)
{
	return d->drv->kind;
}

bool db_retryable(const struct db *d)
{
	return d->retryable && !d->broken;
}

const char *db_cell(const struct db_result *r, int row, int col)
{
	if (row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

int64_t db_cell_int(const struct db_result *r, int row, int col)
{
	const char *s = db_cell(r, row, col);
	return s ? strtoll(s, NULL, 10) : 0;
}

bool db_cell_null(const struct db_result *r, int row, int col)
{
	return db_cell(r, row, col) == NULL;
}
