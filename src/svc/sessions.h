/*
 * sessions.h: session tokens. A token is 256 random bits (base62); only its
 * HMAC-SHA256 under the instance token secret is stored, so a database leak
 * does not leak usable sessions.
 */
#ifndef SAASD_SVC_SESSIONS_H
#define SAASD_SVC_SESSIONS_H

#include "../core/secure.h"
#include "svc.h"

#define SESSION_TOKEN_MAX 128

struct session_auth {
	char session_id[48];
	char user_id[48];
	int64_t expires_at;
};

/* Keyed hash of a token, hex, into out[SEC_SHA256_HEX_LEN]. */
void svc_token_hash(const struct svc_env *env, const char *token, char out[SEC_SHA256_HEX_LEN]);

/* Resolve X-Session-Token within a tenant: ST_INVALID_SESSION when unknown,
 * expired or revoked; ST_UNAVAILABLE when the store cannot answer. */
enum status svc_session_authenticate(const struct svc_env *env, const char *tenant_id,
				     const char *token, struct session_auth *out);

#endif
