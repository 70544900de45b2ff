/*
 * events.h: the event payloads of API.md's event types, each emitted through
 * svc_event_emit() inside the caller's transaction.
 */
#ifndef SAASD_SVC_EVENTS_H
#define SAASD_SVC_EVENTS_H

#include "../store/billing.h"
#include "../store/invitations.h"
#include "../store/orgs.h"
#include "../store/sessions.h"
#include "../store/users.h"
#include "svc.h"

enum status event_user_created(struct svc_ctx *c, struct db *d, const struct user_row *u);
enum status event_org_created(struct svc_ctx *c, struct db *d, const struct org_row *o);
enum status event_member(struct svc_ctx *c, struct db *d, const char *type, const char *org_id,
			 const char *user_id, const char *role);
enum status event_invitation(struct svc_ctx *c, struct db *d, const char *type,
			     const struct invitation_row *i, const char *user_id);
enum status event_subscription(struct svc_ctx *c, struct db *d, const char *type,
			       const struct subscription_row *s);
enum status event_quota_exceeded(struct svc_ctx *c, struct db *d, const char *org_id,
				 const char *metric, int64_t limit, int64_t used);
/* session.revoked: {"session": {"id", "user_id"}, "reason"} */
enum status event_session_revoked(struct svc_ctx *c, struct db *d, const struct session_row *s,
				  const char *reason);

#endif
