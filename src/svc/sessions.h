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
	bool previous_token; /* the token before the last refresh, in its grace */
};

/* How long a session's previous token still works after a refresh (tabs
 * that have not seen the new one yet); used later, it revokes the session. */
#define SESSION_REFRESH_GRACE_MS 30000

/* Keyed hash of a token, hex, into out[SEC_SHA256_HEX_LEN]. */
void svc_token_hash(const struct svc_env *env, const char *token, char out[SEC_SHA256_HEX_LEN]);

/* Resolve X-Session-Token within a tenant: ST_INVALID_SESSION when unknown,
 * expired or revoked; ST_UNAVAILABLE when the store cannot answer. A
 * session's previous token authenticates within SESSION_REFRESH_GRACE_MS of
 * the refresh; after that it revokes the whole session (event
 * session.revoked, reason token_reused) and answers ST_INVALID_SESSION. */
enum status svc_session_authenticate(const struct svc_env *env, struct arena *a,
				     const char *tenant_id, const char *token,
				     struct session_auth *out);

/* POST /auth/session/refresh: a new token for the caller's session (same
 * id and expiry) presented with its current token; the old one becomes the
 * previous token. *token (the caller's arena) is shown once. */
enum status svc_session_refresh(struct svc_ctx *c, const char *presented, struct session_row *out,
				char **token);

#endif
