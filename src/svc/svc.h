/*
 * svc.h: what every service function receives. struct svc_env is process-wide
 * and immutable after start (config, store, clock, caches); struct svc_ctx is
 * one call: the arena that owns every result and the principal (who acts:
 * the tenant, the key, the user of a session, an operator or a job).
 * Services never include HTTP or JSON headers.
 */
#ifndef SAASD_SVC_H
#define SAASD_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/arena.h"
#include "../core/clock.h"
#include "../core/config.h"
#include "../core/fields.h"
#include "../core/status.h"
#include "../store/store.h"

struct keycache;
struct ratelimiter;
struct workpool;

struct svc_env {
	const struct config *cfg;
	struct store *store;
	const struct clock *clock;
	struct keycache *keys;
	struct ratelimiter *limiter;
	/* work answered before it is done (password-reset mails), so its duration
	 * reveals nothing about the account */
	struct workpool *background;
	/* keys token hashes (sessions, resets, invitations): JWT_SECRET bytes */
	const char *token_secret;
};

/* Who acts in a call. Filled once (by the pipeline's authenticate phase, or
 * by the job that runs the work) and read by services; nothing else tells a
 * service who is calling. */
enum actor_kind {
	ACTOR_NONE = 0, /* nobody identified: a public route */
	ACTOR_SECRET_KEY, /* the tenant's backend with its secret key (a "system" call) */
	ACTOR_ADMIN, /* the operator, with ADMIN_TOKEN */
	ACTOR_USER, /* a signed-in user: the tenant's key and a session */
	ACTOR_JOB, /* saasd's own background work (mail, webhooks, cleanup) */
};

struct principal {
	const char *tenant_id; /* NULL only for operator (admin) calls */
	enum actor_kind kind;
	const char *actor_id; /* key id, user id, job name, or "admin" */
	const char *api_key_id; /* the key the call came with; NULL for admin and jobs */
	const char *user_id; /* the session's user (ACTOR_USER), else NULL: a system call */
	const char *session_id; /* the caller's session, when user_id is set */
	int aal; /* the session's assurance level: 1 for a password; MFA raises it */
};

struct svc_ctx {
	const struct svc_env *env;
	struct arena *arena;
	struct principal who;
	const char *request_id;
	const char *trace_id; /* W3C trace id of the request, or NULL */
	const char *client_ip; /* the caller's IP address (text); NULL outside HTTP calls */
	struct field_errors *errors; /* where validation failures are reported */
	/* the RBAC permission the route declares (the authorize phase); NULL
	 * outside HTTP calls and on routes whose permission depends on the input */
	const char *permission;
	int retry_after_s; /* out: set with ST_RATE_LIMITED, ST_TOO_MANY_ATTEMPTS */
	bool mail_queued; /* a mail was queued in the open transaction (svc_in_tx) */
	struct {
		const char *metric; /* out: set with ST_QUOTA_EXCEEDED */
		int64_t limit, used;
	} quota;
};

static inline int64_t svc_now(const struct svc_ctx *c)
{
	return clock_now(c->env->clock);
}

/* Pagination request shared by every list. */
struct page {
	const char *after; /* cursor (an id) or NULL */
	int limit; /* 1..100 */
};

/* Run fn(c, d, arg) inside one transaction on a connection of the store:
 * committed when fn returns ST_OK, rolled back otherwise (tx.c). */
enum status svc_in_tx(struct svc_ctx *c, enum status (*fn)(struct svc_ctx *, struct db *, void *),
		      void *arg);

#endif
