/*
 * auth.c: register, login, logout and the user's own sessions. Database
 * connections are not held across bcrypt (slow) so the pool stays free.
 * Login spends one bcrypt verification whether or not the account exists.
 */
#include "auth.h"

#include <string.h>

#include "../core/email.h"
#include "../core/ids.h"
#include "../core/secure.h"
#include "events.h"
#include "password.h"
#include "sessions.h"

enum status svc_session_create_in(struct svc_ctx *c, struct db *d, const char *user_id,
				  struct session_row *out, char **token)
{
	char plain[TOKEN_LEN + 1];
	char hash[SEC_SHA256_HEX_LEN];
	token_generate(plain);
	svc_token_hash(c->env, plain, hash);
	int64_t now = svc_now(c);
	out->id = id_new(c->arena, "ses", now);
	out->tenant_id = (char *)c->who.tenant_id;
	out->user_id = (char *)user_id;
	out->created_at = now;
	out->expires_at = now + (int64_t)c->env->cfg->session_expiration * 1000;
	enum status st = store_session_insert(d, c->arena, out, hash);
	if (st == ST_OK)
		*token = arena_strdup(c->arena, plain);
	sec_wipe(plain, sizeof plain);
	return st;
}

static enum status bad_email(struct svc_ctx *c)
{
	fields_add(c->arena, c->errors, "email", "invalid_format");
	return ST_VALIDATION_FAILED;
}

struct register_op {
	const char *normalized;
	struct auth_result *out;
};

static enum status insert_user_and_session(struct svc_ctx *c, struct db *d, void *arg)
{
	struct register_op *op = arg;
	struct auth_result *out = op->out;
	enum status st = store_user_insert(d, c->arena, &out->user, op->normalized);
	if (st == ST_CONFLICT)
		st = ST_EMAIL_TAKEN;
	if (st == ST_OK)
		st = event_user_created(c, d, &out->user);
	if (st == ST_OK)
		st = svc_session_create_in(c, d, out->user.id, &out->session, &out->token);
	return st;
}

enum status svc_auth_register(struct svc_ctx *c, const char *email, const char *password,
			      const char *name, struct auth_result *out)
{
	char *trimmed, *normalized;
	if (!email_normalize(c->arena, email, &trimmed, &normalized))
		return bad_email(c);
	enum status st = password_check_policy(password);
	if (st != ST_OK)
		return st;
	char hash[PASSWORD_HASH_MAX];
	st = password_hash(password, c->env->cfg->bcrypt_work_factor, hash);
	if (st != ST_OK)
		return st;
	int64_t now = svc_now(c);
	memset(out, 0, sizeof *out);
	out->user.id = id_new(c->arena, "usr", now);
	audit_target(c, "user", out->user.id);
	out->user.tenant_id = (char *)c->who.tenant_id;
	out->user.email = trimmed;
	out->user.name = name ? arena_strdup(c->arena, name) : NULL;
	out->user.password_hash = arena_strdup(c->arena, hash);
	out->user.created_at = out->user.updated_at = now;
	struct register_op op = {normalized, out};
	return svc_in_tx(c, insert_user_and_session, &op);
}

static int64_t scope_wait_ms(int64_t count, int64_t limit, int64_t oldest_ms, int64_t now_ms)
{
	return count >= limit ? oldest_ms + LOGIN_FAILURE_WINDOW_MS - now_ms : 0;
}

int login_throttle_wait_s(const struct login_failure_counts *f, int64_t now_ms)
{
	int64_t w = scope_wait_ms(f->pair, LOGIN_FAILURE_LIMIT, f->pair_oldest_ms, now_ms);
	int64_t ip = scope_wait_ms(f->ip, LOGIN_FAILURE_LIMIT_IP, f->ip_oldest_ms, now_ms);
	int64_t email =
		scope_wait_ms(f->email, LOGIN_FAILURE_LIMIT_EMAIL, f->email_oldest_ms, now_ms);
	bool limited = f->pair >= LOGIN_FAILURE_LIMIT || f->ip >= LOGIN_FAILURE_LIMIT_IP ||
		       f->email >= LOGIN_FAILURE_LIMIT_EMAIL;
	if (!limited)
		return 0;
	w = ip > w ? ip : w;
	w = email > w ? email : w;
	return (int)(w > 1000 ? (w + 999) / 1000 : 1);
}

static const char *client_ip_of(const struct svc_ctx *c)
{
	return c->client_ip != NULL ? c->client_ip : "";
}

/* Throttle check and user lookup, before any hashing. *found false when the
 * account does not exist. */
static enum status login_prepare(struct svc_ctx *c, struct db *d, const char *normalized,
				 struct user_row *user, bool *found)
{
	int64_t now = svc_now(c);
	struct login_failure_counts f;
	enum status st =
		store_login_failure_count(d, c->arena, c->who.tenant_id, normalized,
					  client_ip_of(c), now - LOGIN_FAILURE_WINDOW_MS, &f);
	if (st != ST_OK)
		return st;
	int wait_s = login_throttle_wait_s(&f, now);
	if (wait_s > 0) {
		c->err.retry_after_s = wait_s;
		return ST_TOO_MANY_ATTEMPTS;
	}
	st = store_user_by_email(d, c->arena, c->who.tenant_id, normalized, user);
	*found = st == ST_OK;
	return st == ST_NOT_FOUND ? ST_OK : st;
}

struct login_op {
	const char *normalized;
	const char *fresh; /* a new hash for the password, or "" */
	struct auth_result *out;
};

static enum status login_succeeded_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct login_op *op = arg;
	struct auth_result *out = op->out;
	enum status st = store_login_failure_clear(d, c->arena, c->who.tenant_id, op->normalized,
						   client_ip_of(c));
	if (st == ST_OK && op->fresh[0] != '\0')
		st = store_user_set_password(d, c->arena, c->who.tenant_id, out->user.id, op->fresh,
					     svc_now(c));
	if (st == ST_OK)
		st = svc_session_create_in(c, d, out->user.id, &out->session, &out->token);
	return st;
}

static enum status login_succeeded(struct svc_ctx *c, struct db *d, const char *normalized,
				   const char *password, struct auth_result *out)
{
	int cost = c->env->cfg->bcrypt_work_factor;
	char fresh[PASSWORD_HASH_MAX] = "";
	/* upgrade imported or old-cost hashes while we hold the plain password
	 * (hashed once, outside the transaction that may re-run) */
	if (password_needs_rehash(out->user.password_hash, cost) &&
	    password_hash(password, cost, fresh) != ST_OK)
		fresh[0] = '\0';
	struct login_op op = {normalized, fresh, out};
	return svc_tx_on(c, d, login_succeeded_in, &op);
}

enum status svc_auth_login(struct svc_ctx *c, const char *email, const char *password,
			   struct auth_result *out)
{
	c->audit.failure_action = "user.login.failed"; /* a refused login is recorded too */
	memset(out, 0, sizeof *out);
	char *trimmed, *normalized;
	if (!email_normalize(c->arena, email, &trimmed, &normalized)) {
		password_verify_dummy(password, c->env->cfg->bcrypt_work_factor);
		return ST_INVALID_CREDENTIALS;
	}
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	bool found = false;
	enum status st = login_prepare(c, d, normalized, &out->user, &found);
	if (found)
		audit_target(c, "user", out->user.id);
	store_release(c->env->store, d);
	if (st != ST_OK)
		return st;
	bool ok;
	if (found) {
		ok = password_verify(password, out->user.password_hash);
	} else {
		password_verify_dummy(password, c->env->cfg->bcrypt_work_factor);
		ok = false;
	}
	d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	if (ok) {
		st = login_succeeded(c, d, normalized, password, out);
	} else {
		st = store_login_failure_add(d, c->arena, id_new(c->arena, "lf", svc_now(c)),
					     c->who.tenant_id, normalized, client_ip_of(c),
					     svc_now(c));
		if (st == ST_OK)
			st = ST_INVALID_CREDENTIALS;
	}
	store_release(c->env->store, d);
	return st;
}

enum status svc_auth_logout(struct svc_ctx *c)
{
	if (c->who.user_id == NULL || c->who.session_id == NULL)
		return ST_INVALID_SESSION;
	audit_target(c, "session", c->who.session_id);
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_session_revoke(d, c->arena, c->who.tenant_id, c->who.user_id,
					      c->who.session_id, svc_now(c));
	store_release(c->env->store, d);
	return st == ST_NOT_FOUND ? ST_INVALID_SESSION : st;
}

enum status svc_auth_sessions(struct svc_ctx *c, const struct page *pg, struct session_row **rows,
			      int *n)
{
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_session_list_live(d, c->arena, c->who.tenant_id, c->who.user_id,
						 svc_now(c), pg->after, pg->limit, rows, n);
	store_release(c->env->store, d);
	return st;
}

enum status svc_auth_session_revoke(struct svc_ctx *c, const char *session_id)
{
	if (!id_valid(session_id, "ses"))
		return ST_NOT_FOUND;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	enum status st = store_session_revoke(d, c->arena, c->who.tenant_id, c->who.user_id,
					      session_id, svc_now(c));
	store_release(c->env->store, d);
	return st;
}
