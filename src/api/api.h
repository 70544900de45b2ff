/*
 * api.h: every route handler, one file per resource in src/api/. A handler
 * parses and validates its input, calls one service, and renders the result
 * with reply_*; on failure it returns the status and the server renders the
 * error envelope.
 */
#ifndef SAASD_API_H
#define SAASD_API_H

#include "../http/request.h"
#include "../svc/tenants.h"

/* health.c */
enum status api_health(struct request *req);

/* metrics.c */
enum status api_metrics(struct request *req);

/* openapi.c: GET /openapi.json */
enum status api_openapi(struct request *req);

/* admin_tenants.c */
enum status api_admin_tenant_create(struct request *req);
enum status api_admin_tenant_list(struct request *req);
enum status api_admin_tenant_get(struct request *req);
enum status api_admin_tenant_update(struct request *req);
/* {"tenant": ..., "api_key": "sk_live_..."}: also printed by `saasd tenant create`. */
json_t *api_tenant_created_json(const struct tenant_row *t, const char *key);

/* test_clock.c: POST /admin/test/clock (ENVIRONMENT=test, loopback only) */
enum status api_test_clock_advance(struct request *req);

/* tenant.c */
enum status api_tenant_get(struct request *req);
enum status api_tenant_update(struct request *req);
/* Shared by PATCH /tenant and PATCH /admin/tenants/:id. */
enum status api_tenant_patch_from_body(struct request *req, struct tenant_patch *p);

/* api_keys.c */
enum status api_key_create(struct request *req);
enum status api_key_list(struct request *req);
enum status api_key_revoke(struct request *req);

/* auth.c */
enum status api_auth_register(struct request *req);
enum status api_auth_login(struct request *req);
enum status api_auth_logout(struct request *req);
enum status api_auth_session(struct request *req);
enum status api_auth_sessions(struct request *req);
enum status api_auth_session_revoke(struct request *req);
enum status api_auth_session_refresh(struct request *req);

/* tokens.c: access tokens (JWT) and their verifying keys */
enum status api_auth_token(struct request *req);
enum status api_jwks(struct request *req);
enum status api_openid_configuration(struct request *req);

/* recovery.c */
enum status api_password_reset_request(struct request *req);
enum status api_password_reset_complete(struct request *req);
enum status api_verify_email_request(struct request *req);
enum status api_verify_email_complete(struct request *req);

/* users.c */
enum status api_user_get(struct request *req);
enum status api_user_delete(struct request *req);

/* orgs.c */
enum status api_org_create(struct request *req);
enum status api_org_get(struct request *req);
enum status api_org_update(struct request *req);
enum status api_org_delete(struct request *req);
enum status api_user_orgs(struct request *req);

/* members.c */
enum status api_members_list(struct request *req);
enum status api_member_update(struct request *req);
enum status api_member_remove(struct request *req);
enum status api_member_permissions(struct request *req);
enum status api_permission_check(struct request *req);

/* invitations.c */
enum status api_invitation_create(struct request *req);
enum status api_invitation_list(struct request *req);
enum status api_invitation_revoke(struct request *req);
enum status api_invitation_accept(struct request *req);
enum status api_invitation_reject(struct request *req);

/* roles.c */
enum status api_role_create(struct request *req);
enum status api_role_list(struct request *req);
enum status api_role_update(struct request *req);
enum status api_role_delete(struct request *req);

/* billing.c */
enum status api_tier_create(struct request *req);
enum status api_tier_list(struct request *req);
enum status api_tier_update(struct request *req);
enum status api_subscription_create(struct request *req);
enum status api_subscription_get(struct request *req);
enum status api_subscription_change(struct request *req);
enum status api_subscription_cancel(struct request *req);
enum status api_subscription_status(struct request *req);
enum status api_entitlements(struct request *req);

/* usage.c */
enum status api_usage_record(struct request *req);
enum status api_usage_events(struct request *req);
enum status api_usage_history(struct request *req);

/* webhooks.c */
enum status api_webhook_create(struct request *req);
enum status api_webhook_list(struct request *req);
enum status api_webhook_get(struct request *req);
enum status api_webhook_update(struct request *req);
enum status api_webhook_delete(struct request *req);
enum status api_webhook_test(struct request *req);
enum status api_webhook_deliveries(struct request *req);
enum status api_webhook_retry(struct request *req);

/* audit.c */
enum status api_audit_list(struct request *req);
enum status api_org_audit_list(struct request *req);
enum status api_audit_export(struct request *req);

/* Ask a list service for one row more than the page, to learn has_more. */
static inline struct page api_page_probe(const struct page *pg)
{
	struct page p = {pg->after, pg->limit + 1};
	return p;
}

/* Drop the probe row; true when there are more rows after this page. */
static inline bool api_page_trim(const struct page *pg, int *n)
{
	bool more = *n > pg->limit;
	if (more)
		*n = pg->limit;
	return more;
}

#endif
