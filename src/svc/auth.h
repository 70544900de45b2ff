/*
 * auth.h: end-user authentication: register, login (throttled, constant-time
 * against enumeration), logout, the user's sessions, password reset and
 * email verification, and user reads/deletion. Functions that hash a
 * password are slow by design: the HTTP layer runs them on the hash pool.
 */
#ifndef SAASD_SVC_AUTH_H
#define SAASD_SVC_AUTH_H

#include "../store/sessions.h"
#include "../store/users.h"
#include "svc.h"

/* Failed logins within the window, counted per tenant: 10 for one email
 * from one client IP (the guessing limit), 100 from one IP whatever the
 * email (spraying), 1000 for one email from anywhere (a distributed guess;
 * high, so one attacker cannot lock the owner out from another IP). */
#define LOGIN_FAILURE_WINDOW_MS (15LL * 60 * 1000)
#define LOGIN_FAILURE_LIMIT 10
#define LOGIN_FAILURE_LIMIT_IP 100
#define LOGIN_FAILURE_LIMIT_EMAIL 1000
#define RESET_TOKEN_TTL_MS (60LL * 60 * 1000)
#define VERIFY_TOKEN_TTL_MS (24LL * 60 * 60 * 1000)
#define TOKEN_MAILS_PER_HOUR 5

struct auth_result {
	struct user_row user;
	struct session_row session;
	char *token; /* the session token, shown once */
};

enum status svc_auth_register(struct svc_ctx *c, const char *email, const char *password,
			      const char *name, struct auth_result *out);
/* ST_INVALID_CREDENTIALS for unknown email or wrong password alike;
 * ST_TOO_MANY_ATTEMPTS (c->err.retry_after_s set) after too many failures for
 * the email from c->client_ip, from that IP, or for the email. */
enum status svc_auth_login(struct svc_ctx *c, const char *email, const char *password,
			   struct auth_result *out);
/* Seconds until a login may be tried again, given the failures counted in
 * the window ending at now_ms (when the oldest failure of each scope over
 * its limit leaves the window); 0 when it may be tried now. */
int login_throttle_wait_s(const struct login_failure_counts *f, int64_t now_ms);
/* Revoke the caller's own session. */
enum status svc_auth_logout(struct svc_ctx *c);

enum status svc_auth_sessions(struct svc_ctx *c, const struct page *pg, struct session_row **rows,
			      int *n);
enum status svc_auth_session_revoke(struct svc_ctx *c, const char *session_id);

/* recovery.c: always ST_OK for a well-formed email (no enumeration). */
enum status svc_password_reset_request(struct svc_ctx *c, const char *email);
enum status svc_password_reset_complete(struct svc_ctx *c, const char *token, const char *password,
					struct user_row *out);
enum status svc_verify_email_request(struct svc_ctx *c);
enum status svc_verify_email_complete(struct svc_ctx *c, const char *token, struct user_row *out);

/* users.c: the system, or the user themself. */
enum status svc_user_get(struct svc_ctx *c, const char *id, struct user_row *out);
enum status svc_user_delete(struct svc_ctx *c, const char *id);

/* Shared by auth.c and recovery.c: a new session for user_id inside the
 * caller's transaction. */
enum status svc_session_create_in(struct svc_ctx *c, struct db *d, const char *user_id,
				  struct session_row *out, char **token);

#endif
