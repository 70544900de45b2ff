/*
 * sessions.c: session authentication on the hot path: format check, one
 * HMAC, one indexed select. No cache, so logout and revocation are
 * immediate on every node.
 */
#include "sessions.h"

#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/log.h"
#include "../store/sessions.h"
#include "events.h"

void svc_token_hash(const struct svc_env *env, const char *token, char out[SEC_SHA256_HEX_LEN])
{
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(env->token_secret, strlen(env->token_secret), token, strlen(token), mac);
	sec_hex(mac, sizeof mac, out);
}

static bool token_well_formed(const char *t)
{
	size_t n = strlen(t);
	if (n != TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = t[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= 'a' && ch <= 'z')))
			return false;
	}
	return true;
}

struct reuse_op {
	const struct session_row *s;
};

static enum status revoke_reused_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct reuse_op *op = arg;
	enum status st = store_session_revoke(d, c->arena, op->s->tenant_id, op->s->user_id,
					      op->s->id, svc_now(c));
	if (st == ST_OK)
		st = event_session_revoked(c, d, op->s, "token_reused");
	return st == ST_NOT_FOUND ? ST_OK : st; /* revoked by a concurrent call */
}

/* A replaced token used after its grace: someone kept a copy. The whole
 * session goes, in a transaction of its own (the call itself fails). */
static void session_revoke_reused(const struct svc_env *env, struct arena *a,
				  const struct session_row *s)
{
	struct field_errors fe = {0};
	struct svc_ctx c = {.env = env,
			    .arena = a,
			    .who = {.tenant_id = s->tenant_id,
				    .kind = ACTOR_JOB,
				    .actor_id = "session_refresh"},
			    .errors = &fe};
	struct reuse_op op = {s};
	if (svc_in_tx(&c, revoke_reused_in, &op) != ST_OK)
		log_msg(LOG_ERROR, "session %s: a reused token could not revoke it", s->id);
	else
		log_msg(LOG_WARN, "session %s revoked: a replaced token was used again", s->id);
}

enum status svc_session_authenticate(const struct svc_env *env, struct arena *a,
				     const char *tenant_id, const char *token,
				     struct session_auth *out)
{
	if (!token_well_formed(token))
		return ST_INVALID_SESSION;
	char hash[SEC_SHA256_HEX_LEN];
	svc_token_hash(env, token, hash);
	struct db *d = store_acquire(env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	int64_t now = clock_now(env->clock);
	out->previous_token = false;
	enum status st =
		store_session_user_by_hash(d, a, tenant_id, hash, now, &out->session, &out->user);
	int64_t rotated_at = 0;
	if (st == ST_NOT_FOUND) /* a token replaced by a refresh? */
		st = store_session_user_by_prev_hash(d, a, tenant_id, hash, now, &out->session,
						     &out->user, &rotated_at);
	else
		rotated_at = -1;
	store_release(env->store, d);
	if (st == ST_NOT_FOUND)
		return ST_INVALID_SESSION;
	if (st != ST_OK || rotated_at < 0)
		return st;
	if (now - rotated_at <= SESSION_REFRESH_GRACE_MS) {
		out->previous_token = true;
		return ST_OK;
	}
	session_revoke_reused(env, a, &out->session);
	return ST_INVALID_SESSION;
}

struct refresh_op {
	const char *old_hash;
	struct session_row *out;
	char *plain;
};

static enum status refresh_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct refresh_op *op = arg;
	char hash[SEC_SHA256_HEX_LEN];
	token_generate(op->plain);
	svc_token_hash(c->env, op->plain, hash);
	enum status st = store_session_rotate(d, c->arena, c->who.tenant_id, c->who.session_id,
					      op->old_hash, hash, svc_now(c));
	/* the previous token (in its grace) cannot refresh: only the current one */
	return st == ST_NOT_FOUND ? ST_INVALID_SESSION : st;
}

enum status svc_session_refresh(struct svc_ctx *c, const char *presented, struct session_row *out,
				char **token)
{
	if (c->who.session_id == NULL || presented == NULL)
		return ST_INVALID_SESSION;
	char old_hash[SEC_SHA256_HEX_LEN];
	svc_token_hash(c->env, presented, old_hash);
	char plain[TOKEN_LEN + 1];
	struct refresh_op op = {old_hash, out, plain};
	audit_target(c, "session", c->who.session_id);
	enum status st = svc_in_tx(c, refresh_in, &op);
	if (st == ST_OK)
		*token = arena_strdup(c->arena, plain);
	sec_wipe(plain, sizeof plain);
	return st;
}
