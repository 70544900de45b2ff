/*
 * invitations.h: SQL for organization invitations. State changes are
 * conditional updates (WHERE status = 'pending' AND not expired), so of two
 * racing accepts exactly one succeeds.
 */
#ifndef SAASD_STORE_INVITATIONS_H
#define SAASD_STORE_INVITATIONS_H

#include "store.h"

struct invitation_row {
	char *id;
	char *tenant_id;
	char *organization_id;
	char *email;
	char *email_normalized;
	char *role;
	char *status; /* pending | accepted | rejected | revoked | expired */
	char *inviter_id;
	char *token_hash; /* of the mailed token; set by store_invitation_get only */
	int64_t expires_at;
	int64_t created_at;
	int64_t updated_at;
};

enum status store_invitation_insert(struct db *d, struct arena *a, const struct invitation_row *i,
				    const char *token_hash);
enum status store_invitation_get(struct db *d, struct arena *a, const char *tenant_id,
				 const char *id, struct invitation_row *out);
/* The pending invitation of this email to this organization, if any. */
enum status store_invitation_pending(struct db *d, struct arena *a, const char *tenant_id,
				     const char *org_id, const char *email_normalized,
				     struct invitation_row *out);
/* A pending invitation past its expiry at now_ms -> status expired, so a
 * new invitation of the same email may be inserted; ST_NOT_FOUND when it is
 * no longer pending or not expired. */
enum status store_invitation_expire(struct db *d, struct arena *a, const char *tenant_id,
				    const char *id, int64_t now_ms);
/* pending (and unexpired at now_ms) -> new_status; ST_NOT_FOUND if not pending. */
enum status store_invitation_transition(struct db *d, struct arena *a, const char *tenant_id,
					const char *id, const char *new_status, int64_t now_ms);
enum status store_invitation_list(struct db *d, struct arena *a, const char *tenant_id,
				  const char *org_id, const char *after, int limit,
				  struct invitation_row **rows, int *n);

#endif
