/*
 * apikeys.c: API key lifecycle. Keys are hashed with plain SHA-256 (they are
 * 256-bit random, so no stretching is needed) and looked up by hash.
 * last_used_at is written at most about once a minute per key: only when the
 * cache refreshes an entry and the stored value is older than a minute.
 */
#include "apikeys.h"

#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../core/secure.h"
#include "keycache.h"

#define LAST_USED_GRANULARITY_MS 60000

static void hash_key(const char *key, uint8_t bin[SEC_SHA256_LEN], char hex[SEC_SHA256_HEX_LEN])
{
	sec_sha256(key, strlen(key), bin);
	sec_hex(bin, SEC_SHA256_LEN, hex);
}

enum status svc_apikey_create_in(struct svc_ctx *c, struct db *d, const char *name,
				 bool publishable, struct api_key_row *out, char **key_plain)
{
	char key[API_KEY_LEN + 1];
	uint8_t bin[SEC_SHA256_LEN];
	char hex[SEC_SHA256_HEX_LEN];
	if (publishable)
		apikey_generate_publishable(key);
	else
		apikey_generate(key);
	hash_key(key, bin, hex);
	int64_t now = svc_now(c);
	out->id = id_new(c->arena, "key", now);
	audit_target(c, "api_key", out->id);
	out->tenant_id = (char *)c->who.tenant_id;
	out->name = arena_strdup(c->arena, name);
	out->prefix = arena_strndup(c->arena, key, API_KEY_DISPLAY_LEN);
	out->key_hash = arena_strdup(c->arena, hex);
	out->created_at = now;
	out->last_used_at = 0;
	out->type = publishable ? "publishable" : "secret";
	out->publishable_key = publishable ? arena_strdup(c->arena, key) : NULL;
	enum status st = store_apikey_insert(d, c->arena, out);
	if (st == ST_OK)
		*key_plain = arena_strdup(c->arena, key);
	sec_wipe(key, sizeof key);
	return st;
}

static bool name_ok(struct svc_ctx *c, const char *name)
{
	if (!text_valid(name, 1, APIKEY_NAME_MAX)) {
		fields_add(c->arena, c->errors, "name", "invalid_length");
		return false;
	}
	return true;
}

enum status svc_apikey_create(struct svc_ctx *c, const char *name, bool publishable,
			      struct api_key_row *out, char **key_plain)
{
	if (!name_ok(c, name))
		return ST_VALIDATION_FAILED;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = svc_apikey_create_in(c, d, name, publishable, out, key_plain);
	store_release(c->env->store, d);
	return st;
}

enum status svc_apikey_list(struct svc_ctx *c, const struct page *pg, struct api_key_row **rows,
			    int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st =
		store_apikey_list(d, c->arena, c->who.tenant_id, pg->after, pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}

struct revoke_op {
	const char *id;
	char *hash_hex; /* out: for the cache eviction */
};

static enum status revoke_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct revoke_op *op = arg;
	int64_t active = 0;
	enum status st = store_apikey_revoke(d, c->arena, c->who.tenant_id, op->id, svc_now(c),
					     &op->hash_hex);
	if (st == ST_OK)
		st = store_apikey_count_active(d, c->arena, c->who.tenant_id, &active);
	if (st == ST_OK && active == 0) {
		/* revoking the last secret key would lock the tenant out of its own
		 * API (a publishable key cannot manage keys) */
		fields_add(c->arena, c->errors, "id", "last_active_key");
		st = ST_CONFLICT;
	}
	return st;
}

enum status svc_apikey_revoke(struct svc_ctx *c, const char *id)
{
	if (!id_valid(id, "key"))
		return ST_NOT_FOUND;
	struct revoke_op op = {id, NULL};
	enum status st = svc_in_tx(c, revoke_in, &op);
	uint8_t bin[SEC_SHA256_LEN];
	if (st == ST_OK && sec_unhex(op.hash_hex, bin, sizeof bin))
		keycache_evict(c->env->keys, bin);
	return st;
}

static enum status lookup_and_cache(const struct svc_env *env, const uint8_t bin[SEC_SHA256_LEN],
				    const char *hex, int64_t now, struct apikey_auth *out)
{
	uint64_t epoch = keycache_epoch(env->keys);
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct arena a;
	arena_init(&a, 1024);
	struct api_key_row row;
	enum status st = store_apikey_by_hash(d, &a, hex, &row);
	if (st == ST_OK && now - row.last_used_at >= LAST_USED_GRANULARITY_MS) {
		if (store_apikey_touch(d, &a, row.tenant_id, row.id, now) != ST_OK)
			log_msg(LOG_WARN, "could not record api key use for %s", row.id);
	}
	if (st == ST_OK) {
		struct keycache_entry e;
		memcpy(e.hash, bin, SEC_SHA256_LEN);
		snprintf(e.tenant_id, sizeof e.tenant_id, "%s", row.tenant_id);
		snprintf(e.key_id, sizeof e.key_id, "%s", row.id);
		e.checked_at = now;
		e.rate_limit = row.tenant_rate_limit;
		e.publishable = row.type != NULL && strcmp(row.type, "publishable") == 0;
		keycache_put(env->keys, &e, epoch);
		out->rate_limit = row.tenant_rate_limit;
		out->publishable = e.publishable;
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", row.tenant_id);
		snprintf(out->key_id, sizeof out->key_id, "%s", row.id);
	}
	arena_destroy(&a);
	store_release(env->store, d);
	return st == ST_NOT_FOUND ? ST_INVALID_API_KEY : st;
}

enum status svc_apikey_authenticate(const struct svc_env *env, const char *key,
				    struct apikey_auth *out)
{
	if (!apikey_well_formed(key))
		return ST_INVALID_API_KEY;
	uint8_t bin[SEC_SHA256_LEN];
	char hex[SEC_SHA256_HEX_LEN];
	hash_key(key, bin, hex);
	int64_t now = clock_now(env->clock);
	struct keycache_entry e;
	if (keycache_get(env->keys, bin, now, &e)) {
		memcpy(out->tenant_id, e.tenant_id, sizeof out->tenant_id);
		memcpy(out->key_id, e.key_id, sizeof out->key_id);
		out->rate_limit = e.rate_limit;
		out->publishable = e.publishable;
		return ST_OK;
	}
	return lookup_and_cache(env, bin, hex, now, out);
}
