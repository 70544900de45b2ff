/*
 * routes.c: every route of API.md: method, pattern, who may call, handler.
 * Literal segments must come before a parameter at the same position when
 * both could match (first match wins). router_check() refuses a route with
 * no auth kind at start.
 */
#include "routes.h"

#include "../api/api.h"

const struct route routes[] = {
	{"GET", "/health", AUTH_NONE, api_health},
	{"GET", "/metrics", AUTH_NONE, api_metrics},

	{"POST", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_create},
	{"GET", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_list},
	{"GET", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_get},
	{"PATCH", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_update},
	/* ENVIRONMENT=test only, loopback peers only (server.c test_route_hidden) */
	{"POST", "/admin/test/clock", AUTH_ADMIN, api_test_clock_advance},

	{"GET", "/tenant", AUTH_SYSTEM, api_tenant_get},
	{"PATCH", "/tenant", AUTH_SYSTEM, api_tenant_update},

	{"POST", "/api-keys", AUTH_SYSTEM, api_key_create},
	{"GET", "/api-keys", AUTH_SYSTEM, api_key_list},
	{"DELETE", "/api-keys/:id", AUTH_SYSTEM, api_key_revoke},

	{"POST", "/auth/register", AUTH_KEY, api_auth_register, .offload = true},
	{"POST", "/auth/login", AUTH_KEY, api_auth_login, .offload = true},
	{"POST", "/auth/logout", AUTH_SESSION, api_auth_logout},
	{"GET", "/auth/session", AUTH_SESSION, api_auth_session},
	{"GET", "/auth/sessions", AUTH_SESSION, api_auth_sessions},
	{"DELETE", "/auth/sessions/:id", AUTH_SESSION, api_auth_session_revoke},
	{"POST", "/auth/password-reset/request", AUTH_KEY, api_password_reset_request},
	{"POST", "/auth/password-reset/complete", AUTH_KEY, api_password_reset_complete,
	 .offload = true},
	{"POST", "/auth/verify-email/request", AUTH_SESSION, api_verify_email_request},
	{"POST", "/auth/verify-email/complete", AUTH_KEY, api_verify_email_complete},

	{"GET", "/users/:id", AUTH_KEY, api_user_get},
	{"DELETE", "/users/:id", AUTH_KEY, api_user_delete},
	{"GET", "/users/:userId/organizations", AUTH_KEY, api_user_orgs},

	{"POST", "/organizations", AUTH_KEY, api_org_create},
	{"GET", "/organizations/:id", AUTH_KEY, api_org_get},
	{"PATCH", "/organizations/:id", AUTH_KEY, api_org_update},
	{"DELETE", "/organizations/:id", AUTH_KEY, api_org_delete},
	{"GET", "/organizations/:id/members", AUTH_KEY, api_members_list},
	{"PATCH", "/organizations/:id/members/:userId", AUTH_KEY, api_member_update},
	{"DELETE", "/organizations/:id/members/:userId", AUTH_KEY, api_member_remove},
	{"GET", "/organizations/:id/members/:userId/permissions", AUTH_KEY, api_member_permissions},
	{"POST", "/organizations/:id/permissions/check", AUTH_KEY, api_permission_check},
	{"POST", "/organizations/:id/invitations", AUTH_KEY, api_invitation_create},
	{"GET", "/organizations/:id/invitations", AUTH_KEY, api_invitation_list},
	{"DELETE", "/invitations/:id", AUTH_KEY, api_invitation_revoke},
	{"POST", "/invitations/:id/accept", AUTH_SESSION, api_invitation_accept},
	{"POST", "/invitations/:id/reject", AUTH_SESSION, api_invitation_reject},

	{"POST", "/organizations/:id/subscription", AUTH_KEY, api_subscription_create},
	{"GET", "/organizations/:id/subscription", AUTH_KEY, api_subscription_get},
	{"PATCH", "/organizations/:id/subscription", AUTH_KEY, api_subscription_change},
	{"DELETE", "/organizations/:id/subscription", AUTH_KEY, api_subscription_cancel},
	{"POST", "/organizations/:id/subscription/status", AUTH_SYSTEM, api_subscription_status},
	{"GET", "/organizations/:id/entitlements", AUTH_KEY, api_entitlements},
	{"POST", "/organizations/:id/usage", AUTH_KEY, api_usage_record},
	{"GET", "/organizations/:id/usage", AUTH_KEY, api_usage_history},

	{"POST", "/tiers", AUTH_SYSTEM, api_tier_create},
	{"GET", "/tiers", AUTH_SYSTEM, api_tier_list},
	{"PATCH", "/tiers/:key", AUTH_SYSTEM, api_tier_update},

	{"POST", "/webhooks", AUTH_SYSTEM, api_webhook_create},
	{"GET", "/webhooks", AUTH_SYSTEM, api_webhook_list},
	{"GET", "/webhooks/:id", AUTH_SYSTEM, api_webhook_get},
	{"PATCH", "/webhooks/:id", AUTH_SYSTEM, api_webhook_update},
	{"DELETE", "/webhooks/:id", AUTH_SYSTEM, api_webhook_delete},
	{"POST", "/webhooks/:id/test", AUTH_SYSTEM, api_webhook_test},
	{"GET", "/webhooks/:id/deliveries", AUTH_SYSTEM, api_webhook_deliveries},
	{"POST", "/webhooks/:id/deliveries/:deliveryId/retry", AUTH_SYSTEM, api_webhook_retry},

	{"POST", "/roles", AUTH_SYSTEM, api_role_create},
	{"GET", "/roles", AUTH_SYSTEM, api_role_list},
	{"PATCH", "/roles/:key", AUTH_SYSTEM, api_role_update},
	{"DELETE", "/roles/:key", AUTH_SYSTEM, api_role_delete},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
