/*
 * signing_keys.c: creation, rotation and the in-memory cache of the access
 * token signing keys. The secret key is stored sealed (sec_box, a key
 * derived from JWT_SECRET for this one purpose, bound to the kid) and held
 * decrypted only in struct sigkeys, wiped on replacement and at shutdown.
 * Never logs key material.
 */
#include "signing_keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../store/signing_keys.h"

struct sigkeys {
	pthread_mutex_t mu;
	bool loaded, refreshing;
	int64_t loaded_at; /* svc clock, ms */
	char kid[SIGKEY_ID_MAX]; /* the current key */
	uint8_t sk[SEC_SIGN_SECRET_LEN];
	int npub;
	struct sigkey_public pub[SIGKEYS_MAX];
};

struct sigkeys *sigkeys_new(void)
{
	struct sigkeys *k = calloc(1, sizeof *k);
	if (k == NULL)
		abort();
	pthread_mutex_init(&k->mu, NULL);
	return k;
}

void sigkeys_free(struct sigkeys *k)
{
	if (k == NULL)
		return;
	sec_wipe(k->sk, sizeof k->sk);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

void sigkey_thumbprint(const char *x, char kid[SIGKEY_ID_MAX])
{
	char jwk[128];
	int n = snprintf(jwk, sizeof jwk, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	uint8_t h[SEC_SHA256_LEN];
	sec_sha256(jwk, n > 0 && (size_t)n < sizeof jwk ? (size_t)n : 0, h);
	sec_base64url(h, sizeof h, kid, SIGKEY_ID_MAX);
}

/* The at-rest key of the signing keys: one purpose of JWT_SECRET. */
static void box_key(const struct svc_env *env, uint8_t key[SEC_KEY_LEN])
{
	sec_derive_key(env->token_secret, strlen(env->token_secret), "sigkeys_", key);
}

/* A fresh key pair as a row (state current), the secret sealed. */
static void new_key(struct svc_ctx *c, struct signing_key_row *k)
{
	uint8_t pk[SEC_SIGN_PUBLIC_LEN], sk[SEC_SIGN_SECRET_LEN], key[SEC_KEY_LEN];
	sec_sign_keypair(pk, sk);
	k->public_key = arena_alloc(c->arena, SIGKEY_ID_MAX);
	sec_base64url(pk, sizeof pk, k->public_key, SIGKEY_ID_MAX);
	k->id = arena_alloc(c->arena, SIGKEY_ID_MAX);
	sigkey_thumbprint(k->public_key, k->id);
	size_t boxlen = sec_box_len(sizeof sk);
	k->private_box = arena_alloc(c->arena, boxlen);
	box_key(c->env, key);
	sec_box_seal(key, k->id, strlen(k->id), sk, sizeof sk, k->private_box, boxlen);
	sec_wipe(key, sizeof key);
	sec_wipe(sk, sizeof sk);
	k->state = "current";
	k->created_at = svc_now(c);
	k->retired_at = 0;
}

struct rotate_op {
	int64_t created_before;
	bool rotated;
};

static enum status rotate_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct rotate_op *op = arg;
	op->rotated = false;
	bool retired = false;
	enum status st =
		store_signing_key_retire(d, c->arena, op->created_before, svc_now(c), &retired);
	if (st != ST_OK || !retired)
		return st;
	struct signing_key_row k;
	new_key(c, &k);
	st = store_signing_key_insert(d, c->arena, &k);
	op->rotated = st == ST_OK;
	return st;
}

/* The first key of an empty database: a second node's insert conflicts on
 * the one-current index and that node uses the winner's key. */
static enum status create_in(struct svc_ctx *c, struct db *d, void *arg)
{
	(void)arg;
	struct signing_key_row k;
	new_key(c, &k);
	return store_signing_key_insert(d, c->arena, &k);
}

struct live_op {
	int64_t since;
	struct signing_key_row *rows;
	int n;
};

static enum status live_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct live_op *op = arg;
	return store_signing_keys_live(d, c->arena, op->since, &op->rows, &op->n);
}

/* A ctx of our own for the key's transactions: the caller's pending audit
 * entry must not be written by them. */
static struct svc_ctx job_ctx(const struct svc_ctx *c)
{
	struct svc_ctx j = {.env = c->env,
			    .arena = c->arena,
			    .who = {.kind = ACTOR_JOB, .actor_id = "signing_keys"},
			    .errors = c->errors};
	return j;
}

/* Read the live keys, creating the first one when there is none. */
static enum status read_keys(struct svc_ctx *c, struct live_op *op)
{
	struct svc_ctx j = job_ctx(c);
	op->since = svc_now(c) - (c->env->cfg->access_token_ttl + 60) * 1000LL;
	enum status st = svc_read(&j, live_in, op);
	if (st == ST_OK && (op->n == 0 || strcmp(op->rows[0].state, "current") != 0)) {
		st = svc_in_tx(&j, create_in, NULL);
		if (st == ST_OK || st == ST_CONFLICT)
			st = svc_read(&j, live_in, op);
	}
	if (st == ST_OK && (op->n == 0 || strcmp(op->rows[0].state, "current") != 0))
		st = svc_fail_detail(c, ST_INTERNAL, NULL, "no current signing key");
	return st;
}

/* Install what read_keys found; decrypts only a current key not yet held. */
static enum status install(struct svc_ctx *c, struct sigkeys *k, const struct live_op *op)
{
	const struct signing_key_row *cur = &op->rows[0];
	if (!k->loaded || strcmp(k->kid, cur->id) != 0) {
		uint8_t key[SEC_KEY_LEN], sk[SEC_SIGN_SECRET_LEN];
		size_t len = 0;
		box_key(c->env, key);
		bool ok = sec_box_open(key, cur->id, strlen(cur->id), cur->private_box, sk,
				       sizeof sk, &len) &&
			  len == sizeof sk;
		sec_wipe(key, sizeof key);
		if (!ok) {
			sec_wipe(sk, sizeof sk);
			return svc_fail_detail(c, ST_INTERNAL, NULL,
					       "signing key %s does not open with JWT_SECRET",
					       cur->id);
		}
		memcpy(k->sk, sk, sizeof sk);
		sec_wipe(sk, sizeof sk);
		snprintf(k->kid, sizeof k->kid, "%s", cur->id);
	}
	k->npub = 0;
	for (int i = 0; i < op->n && k->npub < SIGKEYS_MAX; i++) {
		snprintf(k->pub[k->npub].kid, SIGKEY_ID_MAX, "%s", op->rows[i].id);
		snprintf(k->pub[k->npub].x, SIGKEY_ID_MAX, "%s", op->rows[i].public_key);
		k->npub++;
	}
	k->loaded = true;
	return ST_OK;
}

/* Reread the keys when the cache is older than SIGKEYS_REFRESH_MS (or
 * empty). One thread rereads while the others keep signing with the cached
 * key; with no key yet, every caller waits for one. Called with k->mu held;
 * returns with it held. */
static enum status refresh_locked(struct svc_ctx *c, struct sigkeys *k, bool force)
{
	int64_t now = svc_now(c);
	bool stale = force || !k->loaded || now - k->loaded_at >= SIGKEYS_REFRESH_MS ||
		     now < k->loaded_at;
	if (!stale || (k->refreshing && k->loaded))
		return ST_OK;
	k->refreshing = true;
	pthread_mutex_unlock(&k->mu);
	struct live_op op = {0};
	enum status st = read_keys(c, &op);
	pthread_mutex_lock(&k->mu);
	k->refreshing = false;
	if (st == ST_OK)
		st = install(c, k, &op);
	if (st == ST_OK)
		k->loaded_at = now;
	else if (k->loaded) {
		log_msg(LOG_WARN, "signing keys could not be reread; the cached key signs");
		st = ST_OK;
	}
	return st;
}

enum status svc_sigkeys_load(struct svc_ctx *c)
{
	struct sigkeys *k = c->env->sigkeys;
	pthread_mutex_lock(&k->mu);
	enum status st = refresh_locked(c, k, true);
	pthread_mutex_unlock(&k->mu);
	return st;
}

enum status svc_sigkeys_jws(struct svc_ctx *c, const char *payload, size_t n, char **out)
{
	struct sigkeys *k = c->env->sigkeys;
	uint8_t sk[SEC_SIGN_SECRET_LEN];
	char kid[SIGKEY_ID_MAX];
	pthread_mutex_lock(&k->mu);
	enum status st = refresh_locked(c, k, false);
	if (st == ST_OK) {
		memcpy(sk, k->sk, sizeof sk);
		memcpy(kid, k->kid, sizeof kid);
	}
	pthread_mutex_unlock(&k->mu);
	if (st != ST_OK) {
		sec_wipe(sk, sizeof sk);
		return st;
	}
	char header[128];
	int hn = snprintf(header, sizeof header,
			  "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JWT\"}", kid);
	size_t h64 = sec_base64url_len((size_t)hn), p64 = sec_base64url_len(n);
	size_t s64 = sec_base64url_len(SEC_SIGNATURE_LEN);
	char *jws = arena_alloc(c->arena, h64 + p64 + s64 + 2);
	sec_base64url((const uint8_t *)header, (size_t)hn, jws, h64);
	size_t pos = strlen(jws);
	jws[pos++] = '.';
	sec_base64url((const uint8_t *)payload, n, jws + pos, p64);
	pos += strlen(jws + pos);
	uint8_t sig[SEC_SIGNATURE_LEN];
	sec_sign(sk, jws, pos, sig); /* the signing input: header "." payload */
	sec_wipe(sk, sizeof sk);
	jws[pos++] = '.';
	sec_base64url(sig, sizeof sig, jws + pos, s64);
	*out = jws;
	return ST_OK;
}

enum status svc_sigkeys_public(struct svc_ctx *c, struct sigkey_public *out, int *n)
{
	struct sigkeys *k = c->env->sigkeys;
	pthread_mutex_lock(&k->mu);
	enum status st = refresh_locked(c, k, false);
	*n = 0;
	if (st == ST_OK) {
		memcpy(out, k->pub, sizeof k->pub[0] * (size_t)k->npub);
		*n = k->npub;
	}
	pthread_mutex_unlock(&k->mu);
	return st;
}

enum status svc_sigkeys_rotate(struct svc_ctx *c, int64_t created_before, bool *rotated)
{
	struct svc_ctx j = job_ctx(c);
	struct live_op op = {0};
	enum status st = read_keys(c, &op); /* an empty database gets its first key */
	struct rotate_op r = {created_before, false};
	if (st == ST_OK)
		st = svc_in_tx(&j, rotate_in, &r);
	if (st == ST_CONFLICT) /* another node rotated at the same moment */
		st = ST_OK;
	*rotated = r.rotated;
	if (st == ST_OK && r.rotated) {
		log_msg(LOG_INFO, "signing key rotated");
		st = svc_sigkeys_load(c);
	}
	return st;
}

int sigkeys_rotation_run(const struct svc_env *env)
{
	struct arena a;
	arena_init(&a, 2048);
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = env,
			    .arena = &a,
			    .who = {.kind = ACTOR_JOB, .actor_id = "signing_keys"},
			    .errors = &fe};
	int64_t age = env->cfg->signing_key_rotation_days * 24LL * 3600 * 1000;
	bool rotated = false;
	if (svc_sigkeys_rotate(&c, svc_now(&c) - age, &rotated) != ST_OK)
		log_msg(LOG_WARN, "signing key rotation check failed");
	arena_destroy(&a);
	return 0;
}
