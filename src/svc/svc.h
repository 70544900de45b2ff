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
#include "audit.h"

struct keycache;
struct origin_index;
struct sigkeys;
struct ratelimiter;
struct workpool;

struct svc_env {
	const struct config *cfg;
	struct store *store;
	const struct clock *clock;
	struct keycache *keys;
	struct origin_index *origins; /* every tenant's allowed_origins (svc/origins.c) */
	struct ratelimiter *limiter;
	/* work answered before it is done (password-reset mails), so its duration
	 * reveals nothing about the account */
	struct workpool *background;
	/* keys token hashes (sessions, resets, invitations): JWT_SECRET bytes */
	const char *token_secret;
	/* the access-token signing keys, cached (signing_keys.h) */
	struct sigkeys *sigkeys;
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
	ACTOR_PUBLISHABLE_KEY, /* a browser with the tenant's publishable key, no session */
};

struct principal {
	const char *tenant_id; /* NULL only for operator (admin) calls */
	enum actor_kind kind;
	const char *actor_id; /* key id, user id, job name, or "admin" */
	const char *api_key_id; /* the key the call came with; NULL for admin and jobs */
	/* the kind of that key (ACTOR_SECRET_KEY or ACTOR_PUBLISHABLE_KEY), kept
	 * when a session makes kind ACTOR_USER; ACTOR_NONE without a key */
	enum actor_kind key_kind;
	const char *user_id; /* the session's user (ACTOR_USER), else NULL: a system call */
	const char *session_id; /* the caller's session, when user_id is set */
	int aal; /* the session's assurance level: 1 for a password; MFA raises it */
};

/* Why a call failed, filled by the service that knows (as PostgreSQL's
 * errsave fills an ErrorSaveContext): the http layer renders it. */
struct svc_error {
	enum status st; /* the failure the record describes; ST_OK: none */
	const char *message; /* public, or NULL: the status table's */
	const char *detail; /* log only: the request's log line, never the client */
	int retry_after_s; /* with ST_RATE_LIMITED, ST_TOO_MANY_ATTEMPTS: Retry-After */
	struct {
		const char *metric; /* with ST_QUOTA_EXCEEDED */
		int64_t limit, used;
	} quota;
};

enum { SVC_QUEUED_MAIL = 1u << 0, SVC_QUEUED_WEBHOOKS = 1u << 1 };

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
	/* work queued in the open transaction (SVC_QUEUED_*): svc_in_tx wakes
	 * the jobs that take it after the commit */
	unsigned queued;
	struct svc_error err; /* out: why the call failed (svc_fail) */
	struct audit_pending audit; /* the entry this call will leave (audit.h) */
};

/* Fail with a public message (NULL: the status table's) and return st, so
 * that a service says `return svc_fail(c, ST_CONFLICT, "...")` where it
 * knows why. The record is rendered only if the call's status is still st. */
enum status svc_fail(struct svc_ctx *c, enum status st, const char *message);
/* The same with a log-only detail (printf into the call's arena): it goes
 * to the request's log line, never to the client. */
enum status svc_fail_detail(struct svc_ctx *c, enum status st, const char *message, const char *fmt,
			    ...) __attribute__((format(printf, 4, 5)));

static inline int64_t svc_now(const struct svc_ctx *c)
{
	return clock_now(c->env->clock);
}

/* Pagination request shared by every list. */
struct page {
	const char *after; /* cursor (an id) or NULL */
	int limit; /* 1..100 */
};

/*
 * The one transaction form (tx.c). svc_in_tx runs fn(c, d, arg) inside one
 * write transaction on a connection of the store: committed when fn returns
 * ST_OK, rolled back otherwise. On a serialization failure, a deadlock or a
 * busy database (db_retryable) it rolls back and runs fn again, at most
 * SVC_TX_ATTEMPTS times (within SVC_TX_RETRY_BUDGET_MS) with a short
 * jittered backoff, then answers ST_UNAVAILABLE. So fn MAY RUN MORE THAN ONCE: it must do nothing outside
 * the transaction before the commit (no network, no cache or process-state
 * writes; record intent in the ctx fields that are reset per attempt:
 * queued, field errors added by fn, retry_after_s, quota), and must
 * not keep anything between runs in *arg except inputs and outputs that a
 * run overwrites. Arena memory of a failed attempt simply stays until the
 * request ends.
 *
 * svc_read runs fn the same way in a read-only transaction (one snapshot;
 * SQLite takes no write lock, so a read is never queued behind writers); fn
 * must not write. A read that finds a write due (a billing period to roll
 * forward) returns and lets its caller run a short svc_in_tx, then reads
 * again.
 */
#define SVC_TX_ATTEMPTS 5
/* No re-run starts once this much real time has passed since the first
 * attempt (an SQLite attempt that waited out its busy timeout is not
 * re-run, so a held lock still answers 503 after one timeout, not five). */
#define SVC_TX_RETRY_BUDGET_MS 1000
typedef enum status (*svc_tx_fn)(struct svc_ctx *c, struct db *d, void *arg);
enum status svc_in_tx(struct svc_ctx *c, svc_tx_fn fn, void *arg);
/* svc_in_tx on a connection the caller already holds (and keeps): for a
 * service that reads before it writes, so it never holds two connections. */
enum status svc_tx_on(struct svc_ctx *c, struct db *d, svc_tx_fn fn, void *arg);
enum status svc_read(struct svc_ctx *c, svc_tx_fn fn, void *arg);
/* Pause before attempt+1 (1-based), from jitter_permille in [0, 1000]:
 * 5 ms doubling per attempt, between half and all of it. */
int64_t svc_tx_backoff_ms(int attempt, uint32_t jitter_permille);

#endif
