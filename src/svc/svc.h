/*
 * svc.h: what every service function receives. struct svc_env is process-wide
 * and immutable after start (config, store, clock, caches); struct svc_ctx is
 * one call: the arena that owns every result, the tenant, and the actor
 * (a user id, or NULL for the tenant's own backend, "system").
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

struct svc_ctx {
	const struct svc_env *env;
	struct arena *arena;
	const char *tenant_id; /* NULL only for operator (admin) calls */
	const char *user_id; /* NULL: system call */
	const char *session_id; /* the caller's session, when user_id is set */
	const char *request_id;
	const char *trace_id; /* W3C trace id of the request, or NULL */
	const char *client_ip; /* the caller's IP address (text); NULL outside HTTP calls */
	struct field_errors *errors; /* where validation failures are reported */
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
