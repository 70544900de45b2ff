/*
 * routes.c: every route of API.md, declared in full: method, pattern, who
 * may call (auth kind, key kinds), the RBAC permission when fixed for the
 * route, the audit action of every state-changing route, offload, handler.
 * The wiring table of the composition root: it names api/ handlers for
 * http/, so it lives above both. Literal segments must come before a
 * parameter at the same position when both could match (first match
 * wins). router_check() refuses an incomplete table at start.
 *
 * Key kinds: the tenant's backend routes (AUTH_SYSTEM) take secret keys
 * only. The end-user calls of a browser (register, login, logout, sessions,
 * reset, verification, invitation answers) also take a publishable key
 * (KEYS_PUBLISHABLE); every other tenant-key route takes one only with a
 * user session, whose permission rules then decide
 * (KEYS_PUBLISHABLE_SESSION): a publishable key never acts as "system".
 */
#include "routes.h"

#include "api/api.h"

const struct route routes[] = {
	{"GET", "/health", AUTH_NONE, api_health},
	{"GET", "/metrics", AUTH_NONE, api_metrics},
	{"GET", "/openapi.json", AUTH_NONE, api_openapi},
	{"GET", "/.well-known/jwks.json", AUTH_NONE, api_jwks},
	{"GET", "/.well-known/openid-configuration", AUTH_NONE, api_openid_configuration},

	{"POST", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_create,
	 .action = "admin.tenant.create"},
	{"GET", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_list},
	{"GET", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_get},
	{"PATCH", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_update,
	 .action = "admin.tenant.update"},
	/* ENVIRONMENT=test only, loopback peers only (server.c test_route_hidden) */
	{"POST", "/admin/test/clock", AUTH_ADMIN, api_test_clock_advance,
	 .action = "test.clock.advance"},

	{"GET", "/tenant", AUTH_SYSTEM, api_tenant_get, .keys = KEYS_SECRET},
	{"PATCH", "/tenant", AUTH_SYSTEM, api_tenant_update, .keys = KEYS_SECRET,
	 .action = "tenant.update"},

	{"POST", "/api-keys", AUTH_SYSTEM, api_key_create, .keys = KEYS_SECRET,
	 .action = "api_key.create"},
	{"GET", "/api-keys", AUTH_SYSTEM, api_key_list, .keys = KEYS_SECRET},
	{"DELETE", "/api-keys/:id", AUTH_SYSTEM, api_key_revoke, .keys = KEYS_SECRET,
	 .action = "api_key.revoke"},

	{"POST", "/auth/register", AUTH_KEY, api_auth_register,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "user.register", .offload = true},
	{"POST", "/auth/login", AUTH_KEY, api_auth_login, .keys = KEYS_SECRET | KEYS_PUBLISHABLE,
	 .action = "user.login", .offload = true},
	{"POST", "/auth/logout", AUTH_SESSION, api_auth_logout,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "user.logout"},
	{"POST", "/auth/token", AUTH_SESSION, api_auth_token,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .read_only = true},
	{"POST", "/auth/session/refresh", AUTH_SESSION, api_auth_session_refresh,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "session.refresh"},
	{"GET", "/auth/session", AUTH_SESSION, api_auth_session,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE},
	{"GET", "/auth/sessions", AUTH_SESSION, api_auth_sessions,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE},
	{"DELETE", "/auth/sessions/:id", AUTH_SESSION, api_auth_session_revoke,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "session.revoke"},
	{"POST", "/auth/password-reset/request", AUTH_KEY, api_password_reset_request,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "password_reset.request"},
	{"POST", "/auth/password-reset/complete", AUTH_KEY, api_password_reset_complete,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "password_reset.complete",
	 .offload = true},
	{"POST", "/auth/verify-email/request", AUTH_SESSION, api_verify_email_request,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "email_verification.request"},
	{"POST", "/auth/verify-email/complete", AUTH_KEY, api_verify_email_complete,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "email_verification.complete"},

	{"GET", "/users/:id", AUTH_KEY, api_user_get,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION},
	{"DELETE", "/users/:id", AUTH_KEY, api_user_delete,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .action = "user.delete"},
	{"GET", "/users/:userId/organizations", AUTH_KEY, api_user_orgs,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION},

	{"POST", "/organizations", AUTH_KEY, api_org_create,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .action = "organization.create"},
	{"GET", "/organizations/:id", AUTH_KEY, api_org_get,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION},
	{"PATCH", "/organizations/:id", AUTH_KEY, api_org_update,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "org:update",
	 .action = "organization.update"},
	{"DELETE", "/organizations/:id", AUTH_KEY, api_org_delete,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "org:delete",
	 .action = "organization.delete"},
	{"GET", "/organizations/:id/members", AUTH_KEY, api_members_list,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "members:read"},
	{"PATCH", "/organizations/:id/members/:userId", AUTH_KEY, api_member_update,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "members:update",
	 .action = "organization.member.update"},
	{"DELETE", "/organizations/:id/members/:userId", AUTH_KEY, api_member_remove,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .action = "organization.member.remove"},
	{"GET", "/organizations/:id/members/:userId/permissions", AUTH_KEY, api_member_permissions,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION},
	{"POST", "/organizations/:id/permissions/check", AUTH_KEY, api_permission_check,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .action = "organization.permission.check"},
	{"POST", "/organizations/:id/invitations", AUTH_KEY, api_invitation_create,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "members:invite",
	 .action = "invitation.create"},
	{"GET", "/organizations/:id/invitations", AUTH_KEY, api_invitation_list,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "members:read"},
	{"DELETE", "/invitations/:id", AUTH_KEY, api_invitation_revoke,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "members:invite",
	 .action = "invitation.revoke"},
	{"POST", "/invitations/:id/accept", AUTH_SESSION, api_invitation_accept,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "invitation.accept"},
	{"POST", "/invitations/:id/reject", AUTH_SESSION, api_invitation_reject,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE, .action = "invitation.reject"},

	{"POST", "/organizations/:id/subscription", AUTH_KEY, api_subscription_create,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "billing:update",
	 .action = "subscription.create"},
	{"GET", "/organizations/:id/subscription", AUTH_KEY, api_subscription_get,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "billing:read"},
	{"PATCH", "/organizations/:id/subscription", AUTH_KEY, api_subscription_change,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "billing:update",
	 .action = "subscription.update"},
	{"DELETE", "/organizations/:id/subscription", AUTH_KEY, api_subscription_cancel,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "billing:update",
	 .action = "subscription.cancel"},
	{"POST", "/organizations/:id/subscription/status", AUTH_SYSTEM, api_subscription_status,
	 .keys = KEYS_SECRET, .permission = "billing:update",
	 .action = "subscription.status.update"},
	{"GET", "/organizations/:id/entitlements", AUTH_KEY, api_entitlements,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION},
	{"POST", "/organizations/:id/usage", AUTH_KEY, api_usage_record,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "usage:record",
	 .action = "usage.record"},
	{"POST", "/usage/events", AUTH_SYSTEM, api_usage_events, .keys = KEYS_SECRET,
	 .permission = "usage:record", .action = "usage.record_bulk", .max_body = 1024 * 1024},
	{"GET", "/organizations/:id/usage", AUTH_KEY, api_usage_history,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "billing:read"},

	{"POST", "/tiers", AUTH_SYSTEM, api_tier_create, .keys = KEYS_SECRET,
	 .action = "tier.create"},
	{"GET", "/tiers", AUTH_SYSTEM, api_tier_list, .keys = KEYS_SECRET},
	{"PATCH", "/tiers/:key", AUTH_SYSTEM, api_tier_update, .keys = KEYS_SECRET,
	 .action = "tier.update"},

	{"POST", "/webhooks", AUTH_SYSTEM, api_webhook_create, .keys = KEYS_SECRET,
	 .action = "webhook.create"},
	{"GET", "/webhooks", AUTH_SYSTEM, api_webhook_list, .keys = KEYS_SECRET},
	{"GET", "/webhooks/:id", AUTH_SYSTEM, api_webhook_get, .keys = KEYS_SECRET},
	{"PATCH", "/webhooks/:id", AUTH_SYSTEM, api_webhook_update, .keys = KEYS_SECRET,
	 .action = "webhook.update"},
	{"DELETE", "/webhooks/:id", AUTH_SYSTEM, api_webhook_delete, .keys = KEYS_SECRET,
	 .action = "webhook.delete"},
	{"POST", "/webhooks/:id/test", AUTH_SYSTEM, api_webhook_test, .keys = KEYS_SECRET,
	 .action = "webhook.test"},
	{"GET", "/webhooks/:id/deliveries", AUTH_SYSTEM, api_webhook_deliveries,
	 .keys = KEYS_SECRET},
	{"POST", "/webhooks/:id/deliveries/:deliveryId/retry", AUTH_SYSTEM, api_webhook_retry,
	 .keys = KEYS_SECRET, .action = "webhook.delivery.retry"},

	{"POST", "/roles", AUTH_SYSTEM, api_role_create, .keys = KEYS_SECRET,
	 .action = "role.create"},
	{"GET", "/roles", AUTH_SYSTEM, api_role_list, .keys = KEYS_SECRET},
	{"PATCH", "/roles/:key", AUTH_SYSTEM, api_role_update, .keys = KEYS_SECRET,
	 .action = "role.update"},
	{"DELETE", "/roles/:key", AUTH_SYSTEM, api_role_delete, .keys = KEYS_SECRET,
	 .action = "role.delete"},

	{"GET", "/audit-logs", AUTH_SYSTEM, api_audit_list, .keys = KEYS_SECRET},
	{"GET", "/audit-logs/export", AUTH_SYSTEM, api_audit_export, .keys = KEYS_SECRET},
	{"GET", "/organizations/:id/audit-logs", AUTH_KEY, api_org_audit_list,
	 .keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION, .permission = "audit:read"},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
