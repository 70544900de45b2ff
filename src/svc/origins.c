/*
 * origins.c: a snapshot is one sorted array of "origin\ttenant_id" strings
 * (reference counted), so both lookups are a binary search: the first entry
 * >= "origin\t" tells whether any tenant allows it, and the exact string
 * whether that tenant does.
 */
#include "origins.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/clock.h"
#include "../core/jsonr.h"
#include "../core/log.h"
#include "../store/tenants.h"

struct snapshot {
	int refs; /* under the index lock */
	size_t n;
	char **entries; /* sorted; "origin\ttenant_id" */
};

struct origin_index {
	pthread_mutex_t lock;
	struct snapshot *current;
	int64_t loaded_at; /* clock ms of the current snapshot's load; 0: never */
	bool stale; /* invalidated: reload on the next lookup */
	bool loading; /* one reload at a time */
};

static void snapshot_release(struct snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->entries[i]);
	free(s->entries);
	free(s);
}

struct origin_index *origin_index_new(void)
{
	struct origin_index *ix = calloc(1, sizeof *ix);
	if (ix == NULL)
		abort();
	pthread_mutex_init(&ix->lock, NULL);
	ix->stale = true;
	return ix;
}

void origin_index_free(struct origin_index *ix)
{
	if (ix == NULL)
		return;
	snapshot_release(ix->current);
	pthread_mutex_destroy(&ix->lock);
	free(ix);
}

void origin_index_invalidate(struct origin_index *ix)
{
	pthread_mutex_lock(&ix->lock);
	ix->stale = true;
	pthread_mutex_unlock(&ix->lock);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *origin, const char *tenant_id)
{
	size_t lo = strlen(origin), lt = strlen(tenant_id);
	char *s = malloc(lo + lt + 2);
	if (s == NULL)
		abort();
	memcpy(s, origin, lo);
	s[lo] = '\t';
	memcpy(s + lo + 1, tenant_id, lt + 1);
	return s;
}

/* NULL when the store cannot answer. */
static struct snapshot *load(const struct svc_env *env)
{
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return NULL;
	struct arena a;
	arena_init(&a, 4096);
	struct tenant_origins *rows = NULL;
	int n = 0;
	enum status st = store_tenant_origins(d, &a, &rows, &n);
	store_release(env->store, d);
	struct snapshot *s = NULL;
	if (st == ST_OK) {
		s = calloc(1, sizeof *s);
		size_t cap = 0;
		for (int i = 0; i < n; i++) {
			const char **list = NULL;
			int k = jsonr_string_array(&a, rows[i].allowed_origins, &list);
			for (int j = 0; j < k; j++) {
				if (s->n == cap) {
					cap = cap ? cap * 2 : 64;
					s->entries = realloc(s->entries, cap * sizeof *s->entries);
					if (s->entries == NULL)
						abort();
				}
				s->entries[s->n++] = join(list[j], rows[i].tenant_id);
			}
		}
		if (s->n > 0)
			qsort(s->entries, s->n, sizeof *s->entries, cmp_entry);
	} else {
		log_msg(LOG_WARN, "could not load the tenants' allowed origins");
	}
	arena_destroy(&a);
	return s;
}

/* The current snapshot, reloaded first when stale; the caller releases it. */
static struct snapshot *acquire(const struct svc_env *env)
{
	struct origin_index *ix = env->origins;
	int64_t now = clock_now(env->clock);
	pthread_mutex_lock(&ix->lock);
	bool due = ix->stale || ix->loaded_at == 0 || now - ix->loaded_at >= ORIGINS_TTL_MS ||
		   now < ix->loaded_at;
	if (due && !ix->loading) {
		ix->loading = true;
		ix->stale = false;
		pthread_mutex_unlock(&ix->lock);
		struct snapshot *fresh = load(env);
		pthread_mutex_lock(&ix->lock);
		ix->loading = false;
		if (fresh != NULL) {
			fresh->refs = 1;
			struct snapshot *old = ix->current;
			ix->current = fresh;
			ix->loaded_at = now;
			if (old != NULL && --old->refs == 0)
				snapshot_release(old);
		}
	}
	struct snapshot *s = ix->current;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&ix->lock);
	return s;
}

static void release(const struct svc_env *env, struct snapshot *s)
{
	if (s == NULL)
		return;
	struct origin_index *ix = env->origins;
	pthread_mutex_lock(&ix->lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&ix->lock);
	if (last)
		snapshot_release(s);
}

/* Index of the first entry >= key. */
static size_t lower_bound(const struct snapshot *s, const char *key)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->entries[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool lookup(const struct svc_env *env, const char *origin, const char *tenant_id)
{
	if (origin == NULL || origin[0] == '\0' || strchr(origin, '\t') != NULL)
		return false;
	struct snapshot *s = acquire(env);
	if (s == NULL)
		return false;
	char *key = join(origin, tenant_id ? tenant_id : "");
	size_t i = lower_bound(s, key);
	bool found;
	if (tenant_id != NULL) {
		found = i < s->n && strcmp(s->entries[i], key) == 0;
	} else {
		size_t lo = strlen(origin);
		found = i < s->n && strncmp(s->entries[i], key, lo + 1) == 0;
	}
	free(key);
	release(env, s);
	return found;
}

bool svc_origin_allowed_any(const struct svc_env *env, const char *origin)
{
	return lookup(env, origin, NULL);
}

bool svc_origin_allowed_for(const struct svc_env *env, const char *tenant_id, const char *origin)
{
	return tenant_id != NULL && lookup(env, origin, tenant_id);
}
