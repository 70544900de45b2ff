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

	{"POST", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_create},
	{"GET", "/admin/tenants", AUTH_ADMIN, api_admin_tenant_list},
	{"GET", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_get},
	{"PATCH", "/admin/tenants/:id", AUTH_ADMIN, api_admin_tenant_update},

	{"GET", "/tenant", AUTH_SYSTEM, api_tenant_get},
	{"PATCH", "/tenant", AUTH_SYSTEM, api_tenant_update},

	{"POST", "/api-keys", AUTH_SYSTEM, api_key_create},
	{"GET", "/api-keys", AUTH_SYSTEM, api_key_list},
	{"DELETE", "/api-keys/:id", AUTH_SYSTEM, api_key_revoke},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
