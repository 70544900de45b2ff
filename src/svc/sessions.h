/*
 * sessions.h: session tokens. A token is 256 random bits (base62); only its
 * HMAC-SHA256 under the instance token secret is stored, so a database leak
 * does not leak usable sessions.
 */
#ifndef SAASD_SVC_SESSIONS_H
#define SAASD_SVC_SESSIONS_H

#include "../core/secure.h"
#include "../store/sessions.h"
#include "svc.h"

struct session_auth {
	struct session_row session; /* strings in the caller's arena */
	struct user_row user; /* no password hash: not read on this path */
};

/* Keyed hash of a token, hex, into out[SEC_SHA256_HEX_LEN]. */
void svc_token_hash(const struct svc_env *env, const char *token, char out[SEC_SHA256_HEX_LEN]);

/* Resolve X-Session-Token within a tenant: ST_INVALID_SESSION when unknown,
 * expired or revoked; ST_UNAVAILABLE when the store cannot answer. */
enum status svc_session_authenticate(const struct svc_env *env, struct arena *a,
				     const char *tenant_id, const char *token,
				     struct session_auth *out);

#endif
