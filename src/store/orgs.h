/*
 * orgs.h: SQL for organizations and memberships. Every query filters on
 * tenant_id. store_org_lock() is the serialisation point for membership
 * changes of one organization (a row write: PostgreSQL row lock; SQLite's
 * IMMEDIATE transaction already serialises writers).
 */
#ifndef SAASD_STORE_ORGS_H
#define SAASD_STORE_ORGS_H

#include "store.h"
#include "users.h"

struct org_row {
	char *id;
	char *tenant_id;
	char *name;
	char *slug;
	char *owner_id;
	int64_t created_at;
	int64_t updated_at;
	int64_t member_count; /* filled by store_org_get */
};

struct member_row {
	char *id; /* membership id */
	char *organization_id;
	char *user_id;
	char *role;
	int64_t created_at;
	struct user_row user; /* filled by the member listing */
	struct org_row org; /* filled by the user's organization listing */
};

/* ST_CONFLICT when the slug is taken in the tenant. */
enum status store_org_insert(struct db *d, struct arena *a, const struct org_row *o);
enum status store_org_slug_taken(struct db *d, struct arena *a, const char *tenant_id,
				 const char *slug, bool *taken);
/* ST_OK when the organization exists in the tenant (no member count). */
enum status store_org_exists(struct db *d, struct arena *a, const char *tenant_id, const char *id);
enum status store_org_get(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			  struct org_row *out);
enum status store_org_update(struct db *d, struct arena *a, const struct org_row *o);
enum status store_org_delete(struct db *d, struct arena *a, const char *tenant_id, const char *id);
/* Write-lock the organization row for the rest of the transaction. */
enum status store_org_lock(struct db *d, struct arena *a, const char *tenant_id, const char *id,
			   int64_t now_ms);

enum status store_member_insert(struct db *d, struct arena *a, const char *tenant_id,
				const struct member_row *m);
enum status store_member_get(struct db *d, struct arena *a, const char *tenant_id,
			     const char *org_id, const char *user_id, struct member_row *out);
enum status store_member_set_role(struct db *d, struct arena *a, const char *tenant_id,
				  const char *org_id, const char *user_id, const char *role);
enum status store_member_delete(struct db *d, struct arena *a, const char *tenant_id,
				const char *org_id, const char *user_id);
enum status store_member_count_role(struct db *d, struct arena *a, const char *tenant_id,
				    const char *org_id, const char *role, int64_t *count);
/* Members with their users, by membership id descending. */
enum status store_member_list(struct db *d, struct arena *a, const char *tenant_id,
			      const char *org_id, const char *after, int limit,
			      struct member_row **rows, int *n);
/* A user's memberships with their organizations. */
enum status store_member_list_for_user(struct db *d, struct arena *a, const char *tenant_id,
				       const char *user_id, const char *after, int limit,
				       struct member_row **rows, int *n);
/* How many memberships or pending invitations in the tenant carry this role. */
enum status store_member_count_with_role(struct db *d, struct arena *a, const char *tenant_id,
					 const char *role, int64_t *count);

/* Write-lock every organization user_id owns (before counting owners). */
enum status store_org_lock_owned_by(struct db *d, struct arena *a, const char *tenant_id,
				    const char *user_id, int64_t now_ms);
/* Organizations in which user_id is the only owner. */
enum status store_member_sole_owner_count(struct db *d, struct arena *a, const char *tenant_id,
					  const char *user_id, int64_t *count);

#endif
