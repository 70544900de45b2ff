/*
 * sessions.c: session authentication on the hot path: format check, one
 * HMAC, one indexed select. No cache, so logout and revocation are
 * immediate on every node.
 */
#include "sessions.h"

#include <stdio.h>
#include <string.h>

#include "../core/ids.h"
#include "../store/sessions.h"

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
	enum status st = store_session_user_by_hash(d, a, tenant_id, hash, clock_now(env->clock),
						    &out->session, &out->user);
	store_release(env->store, d);
	return st == ST_NOT_FOUND ? ST_INVALID_SESSION : st;
}
