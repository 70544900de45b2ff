/*
 * users.h: SQL for a tenant's end users. Every query filters on tenant_id.
 * password_hash is read only by the password check and never rendered.
 */
#ifndef SAASD_STORE_USERS_H
#define SAASD_STORE_USERS_H

#include <stdbool.h>

#include "store.h"

struct user_row {
	char *id;
	char *tenant_id;
	char *email;
	char *name; /* NULL when not given */
	char *password_hash;
	bool email_verified;
	int64_t created_at;
	int64_t updated_at;
};

/* ST_CONFLICT when the normalized email exists in the tenant. */
enum status store_user_insert(struct db *d, struct arena *a, const struct user_row *u,
			      const char *email_normalized);
enum status store_user_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			   struct user_row *out);
enum status store_user_by_email(struct db *d, struct arena *a, const char *tenant_id,
				const char *email_normalized, struct user_row *out);
enum status store_user_set_password(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, const char *hash, int64_t now_ms);
enum status store_user_set_verified(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t now_ms);
/* Write-lock the user row for the rest of the transaction (serialises
 * token issuing for one user on PostgreSQL). */
enum status store_user_lock(struct db *d, struct arena *a, const char *tenant_id, const char *id);
/* Deletes the user; sessions, tokens and memberships go with it (cascade). */
enum status store_user_delete(struct db *d, struct arena *a, const char *tenant_id, const char *id);

/* Failed logins for throttling, by normalized email and client IP text. */
enum status store_login_failure_add(struct db *d, struct arena *a, const char *id,
				    const char *tenant_id, const char *email_normalized,
				    const char *client_ip, int64_t now_ms);
/* Failures since a time in three scopes; oldest_ms is 0 when count is 0. */
struct login_failure_counts {
	int64_t pair, pair_oldest_ms; /* this email from this IP */
	int64_t ip, ip_oldest_ms; /* any email from this IP */
	int64_t email, email_oldest_ms; /* this email from any IP */
};
enum status store_login_failure_count(struct db *d, struct arena *a, const char *tenant_id,
				      const char *email_normalized, const char *client_ip,
				      int64_t since_ms, struct login_failure_counts *out);
/* Forget the failures of this email from this IP (a success there). */
enum status store_login_failure_clear(struct db *d, struct arena *a, const char *tenant_id,
				      const char *email_normalized, const char *client_ip);
/* Maintenance: delete failures older than before_ms (all tenants). */
enum status store_login_failure_prune(struct db *d, struct arena *a, int64_t before_ms,
				      int64_t *removed);

#endif
