/*
 * recovery.c: password reset and email verification through one-time
 * tokens. Token and mail are written in one transaction; at most
 * TOKEN_MAILS_PER_HOUR mails per user and purpose (silently), so the
 * endpoints cannot be used to flood an inbox. A reset revokes every session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/email.h"
#include "../core/ids.h"
#include "../core/log.h"
#include "../core/workpool.h"
#include "../core/secure.h"
#include "../store/tenants.h"
#include "../store/tokens.h"
#include "auth.h"
#include "mail.h"
#include "password.h"
#include "sessions.h"

typedef enum status (*mail_fn)(struct svc_ctx *, struct db *, const struct tenant_row *,
			       const char *, const char *);

/* Inside a transaction: new token for (user, purpose) and its mail. */
static enum status issue_token(struct svc_ctx *c, struct db *d, const struct user_row *u,
			       const char *purpose, int64_t ttl_ms, mail_fn send)
{
	int64_t now = svc_now(c), recent = 0;
	/* concurrent requests for one user queue here, so the hourly cap and
	 * "only the newest token is live" hold */
	enum status st = store_user_lock(d, c->arena, c->who.tenant_id, u->id);
	if (st == ST_OK)
		st = store_token_count_recent(d, c->arena, c->who.tenant_id, u->id, purpose,
					      now - 3600 * 1000, &recent);
	if (st != ST_OK || recent >= TOKEN_MAILS_PER_HOUR)
		return st;
	struct tenant_row tenant;
	st = store_tenant_get(d, c->arena, c->who.tenant_id, &tenant);
	if (st == ST_OK)
		st = store_token_invalidate(d, c->arena, c->who.tenant_id, u->id, purpose, now);
	char plain[TOKEN_LEN + 1], hash[SEC_SHA256_HEX_LEN];
	token_generate(plain);
	svc_token_hash(c->env, plain, hash);
	struct auth_token_row t = {
		.id = id_new(c->arena, "tok", now),
		.tenant_id = (char *)c->who.tenant_id,
		.user_id = u->id,
		.purpose = purpose,
		.token_hash = hash,
		.created_at = now,
		.expires_at = now + ttl_ms,
	};
	if (st == ST_OK)
		st = store_token_insert(d, c->arena, &t);
	if (st == ST_OK)
		st = send(c, d, &tenant, u->email, plain);
	sec_wipe(plain, sizeof plain);
	return st;
}

struct issue_op {
	const struct user_row *u;
	const char *purpose;
	int64_t ttl_ms;
	mail_fn send;
};

static enum status issue_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct issue_op *op = arg;
	return issue_token(c, d, op->u, op->purpose, op->ttl_ms, op->send);
}

static enum status issue_in_tx(struct svc_ctx *c, struct db *d, const struct user_row *u,
			       const char *purpose, int64_t ttl_ms, mail_fn send)
{
	struct issue_op op = {u, purpose, ttl_ms, send};
	return svc_tx_on(c, d, issue_in, &op);
}

/* The reset request, done after the 202 has gone out. */
struct reset_task {
	const struct svc_env *env;
	char tenant_id[48];
	char email[EMAIL_MAX + 1]; /* normalized */
};

static void reset_request_run(void *arg)
{
	struct reset_task *t = arg;
	struct arena a;
	arena_init(&a, 4096);
	struct field_errors fe = {0};
	struct svc_ctx c = {
		.env = t->env,
		.arena = &a,
		.who = {.tenant_id = t->tenant_id, .kind = ACTOR_JOB, .actor_id = "password-reset"},
		.errors = &fe};
	struct db *d = store_acquire(t->env->store);
	enum status st = d ? ST_OK : ST_UNAVAILABLE;
	struct user_row u;
	if (st == ST_OK)
		st = store_user_by_email(d, &a, t->tenant_id, t->email, &u);
	if (st == ST_OK)
		st = issue_in_tx(&c, d, &u, TOKEN_PURPOSE_RESET, RESET_TOKEN_TTL_MS,
				 svc_mail_password_reset);
	if (d != NULL)
		store_release(t->env->store, d);
	if (st != ST_OK && st != ST_NOT_FOUND)
		log_msg(LOG_ERROR, "password reset request failed for tenant %s", t->tenant_id);
	arena_destroy(&a);
	free(t);
}

enum status svc_password_reset_request(struct svc_ctx *c, const char *email)
{
	char *trimmed, *normalized;
	if (!email_normalize(c->arena, email, &trimmed, &normalized)) {
		fields_add(c->arena, c->errors, "email", "invalid_format");
		return ST_VALIDATION_FAILED;
	}
	/* Whether the account exists decides how much work follows, so the work
	 * happens after the answer: known and unknown emails answer alike. */
	struct reset_task *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	t->env = c->env;
	snprintf(t->tenant_id, sizeof t->tenant_id, "%s", c->who.tenant_id);
	snprintf(t->email, sizeof t->email, "%s", normalized);
	if (c->env->background == NULL ||
	    !workpool_submit(c->env->background, reset_request_run, t))
		reset_request_run(t); /* queue full: do it now rather than drop it */
	return ST_OK;
}

static bool token_shape_ok(const char *token)
{
	return strlen(token) == TOKEN_LEN;
}

struct consume_op {
	const char *token_hash;
	const char *new_hash; /* reset only */
	struct user_row *out;
};

static enum status reset_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct consume_op *op = arg;
	int64_t now = svc_now(c);
	char *user_id = NULL;
	enum status st = store_token_consume(d, c->arena, c->who.tenant_id, TOKEN_PURPOSE_RESET,
					     op->token_hash, now, &user_id);
	if (st == ST_NOT_FOUND)
		st = ST_INVALID_TOKEN;
	if (st == ST_OK)
		audit_target(c, "user", user_id);
	audit_change(c, "password"); /* the name only */
	if (st == ST_OK)
		st = store_user_set_password(d, c->arena, c->who.tenant_id, user_id, op->new_hash,
					     now);
	/* the mailbox owner proved control of the address */
	if (st == ST_OK)
		st = store_user_set_verified(d, c->arena, c->who.tenant_id, user_id, now);
	if (st == ST_OK)
		st = store_session_revoke_all(d, c->arena, c->who.tenant_id, user_id, now);
	if (st == ST_OK)
		st = store_user_get(d, c->arena, c->who.tenant_id, user_id, op->out);
	return st;
}

enum status svc_password_reset_complete(struct svc_ctx *c, const char *token, const char *password,
					struct user_row *out)
{
	enum status st = password_check_policy(password);
	if (st != ST_OK)
		return st;
	if (!token_shape_ok(token))
		return ST_INVALID_TOKEN;
	char new_hash[PASSWORD_HASH_MAX], token_hash[SEC_SHA256_HEX_LEN];
	st = password_hash(password, c->env->cfg->bcrypt_work_factor, new_hash);
	if (st != ST_OK)
		return st;
	svc_token_hash(c->env, token, token_hash);
	struct consume_op op = {token_hash, new_hash, out};
	return svc_in_tx(c, reset_in, &op);
}

enum status svc_verify_email_request(struct svc_ctx *c)
{
	if (c->who.user_id == NULL)
		return ST_INVALID_SESSION;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct user_row u;
	audit_target(c, "user", c->who.user_id);
	enum status st = store_user_get(d, c->arena, c->who.tenant_id, c->who.user_id, &u);
	if (st == ST_OK && !u.email_verified)
		st = issue_in_tx(c, d, &u, TOKEN_PURPOSE_VERIFY, VERIFY_TOKEN_TTL_MS,
				 svc_mail_verify_email);
	store_release(c->env->store, d);
	return st == ST_NOT_FOUND ? ST_INVALID_SESSION : st;
}

static enum status verify_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct consume_op *op = arg;
	int64_t now = svc_now(c);
	char *user_id = NULL;
	enum status st = store_token_consume(d, c->arena, c->who.tenant_id, TOKEN_PURPOSE_VERIFY,
					     op->token_hash, now, &user_id);
	if (st == ST_NOT_FOUND)
		st = ST_INVALID_TOKEN;
	if (st == ST_OK)
		audit_target(c, "user", user_id);
	audit_change(c, "email_verified");
	if (st == ST_OK)
		st = store_user_set_verified(d, c->arena, c->who.tenant_id, user_id, now);
	if (st == ST_OK)
		st = store_user_get(d, c->arena, c->who.tenant_id, user_id, op->out);
	return st;
}

enum status svc_verify_email_complete(struct svc_ctx *c, const char *token, struct user_row *out)
{
	if (!token_shape_ok(token))
		return ST_INVALID_TOKEN;
	char token_hash[SEC_SHA256_HEX_LEN];
	svc_token_hash(c->env, token, token_hash);
	struct consume_op op = {token_hash, NULL, out};
	return svc_in_tx(c, verify_in, &op);
}
