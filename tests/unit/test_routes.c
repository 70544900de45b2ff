/*
 * test_routes.c: unit tests for src/routes.c, the API's route table as
 * data. The server refuses to start when router_check() fails; this pins the
 * same check at test time, plus invariants router_check() does not cover:
 * no route is shadowed by an earlier one with the same method and shape, and
 * a literal segment comes before a :param at the same position.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "http/router.h"
#include "routes.h"
#include "svc/rbac.h"

TEST(test_routes_table_passes_router_check)
{
	char err[256] = "";
	CHECK(routes_count > 0);
	CHECK(router_check(routes, routes_count, rbac_permission_valid, err, sizeof err) == ST_OK);
	if (err[0] != '\0')
		fprintf(stderr, "  router_check: %s\n", err);
}

TEST(test_routes_every_route_has_auth_kind_handler_and_method)
{
	for (size_t i = 0; i < routes_count; i++) {
		CHECK(routes[i].auth != AUTH_UNSET);
		CHECK(routes[i].handler != NULL);
		CHECK(routes[i].method != NULL && routes[i].pattern != NULL);
		CHECK(routes[i].pattern != NULL && routes[i].pattern[0] == '/');
	}
}

/* What the pipeline reads of a route is declared, not inferred: a state-
 * changing route names its audit action ("<resource>.<verb>", lower case);
 * a read-only one (GET) has none; every tenant-key route says which key
 * kinds may call it (secret keys always; system routes nothing else); a
 * permission is one RBAC accepts. */
static bool action_well_formed(const char *a)
{
	const char *dot = strchr(a, '.');
	return dot != NULL && dot != a && dot[1] != '\0' && a[strlen(a) - 1] != '.' &&
	       strspn(a, "abcdefghijklmnopqrstuvwxyz_.") == strlen(a);
}

TEST(test_routes_every_route_declares_auth_and_an_action_or_is_read_only)
{
	int faults = 0;
	for (size_t i = 0; i < routes_count; i++) {
		const struct route *r = &routes[i];
		bool read_only = router_read_only(r);
		/* only a GET, or a POST that says so */
		CHECK(!r->read_only || strcmp(r->method, "POST") == 0);
		bool tenant_key =
			r->auth == AUTH_KEY || r->auth == AUTH_SYSTEM || r->auth == AUTH_SESSION;
		bool ok = r->auth != AUTH_UNSET &&
			  (read_only ? r->action == NULL
				     : r->action != NULL && action_well_formed(r->action)) &&
			  (!tenant_key || (r->keys & KEYS_SECRET)) &&
			  (r->auth != AUTH_SYSTEM || r->keys == KEYS_SECRET) &&
			  (r->permission == NULL || rbac_permission_valid(r->permission));
		if (!ok)
			fprintf(stderr,
				"  %s %s: auth, action, keys or permission not declared right\n",
				r->method, r->pattern);
		faults += !ok;
	}
	CHECK(faults == 0);
}

/* The end-user calls of a browser take a publishable key without a
 * session; every other key-or-session route only with one. */
TEST(test_routes_publishable_keys_make_end_user_calls_only)
{
	static const char *const end_user[] = {
		"/auth/register",
		"/auth/login",
		"/auth/logout",
		"/auth/token",
		"/auth/session/refresh",
		"/auth/session",
		"/auth/sessions",
		"/auth/sessions/:id",
		"/auth/password-reset/request",
		"/auth/password-reset/complete",
		"/auth/verify-email/request",
		"/auth/verify-email/complete",
		"/invitations/:id/accept",
		"/invitations/:id/reject",
		NULL,
	};
	for (size_t i = 0; i < routes_count; i++) {
		const struct route *r = &routes[i];
		bool listed = false;
		for (int j = 0; end_user[j] != NULL; j++)
			listed = listed || strcmp(r->pattern, end_user[j]) == 0;
		if (listed)
			CHECK(r->keys == (KEYS_SECRET | KEYS_PUBLISHABLE));
		else if (r->auth == AUTH_KEY || r->auth == AUTH_SESSION)
			CHECK(r->keys == (KEYS_SECRET | KEYS_PUBLISHABLE_SESSION));
		else
			CHECK((r->keys & (KEYS_PUBLISHABLE | KEYS_PUBLISHABLE_SESSION)) == 0);
	}
}

TEST(test_routes_actions_are_unique_and_organization_routes_declare_their_permission)
{
	for (size_t i = 0; i < routes_count; i++)
		for (size_t j = 0; j < i; j++)
			if (routes[i].action && routes[j].action)
				CHECK(strcmp(routes[i].action, routes[j].action) != 0);
	/* spot checks of the permissions the services no longer spell out */
	struct {
		const char *method, *pattern, *permission;
	} want[] = {
		{"PATCH", "/organizations/:id", "org:update"},
		{"DELETE", "/organizations/:id", "org:delete"},
		{"GET", "/organizations/:id/members", "members:read"},
		{"PATCH", "/organizations/:id/members/:userId", "members:update"},
		{"DELETE", "/organizations/:id/members/:userId",
		 NULL}, /* self-removal needs none */
		{"POST", "/organizations/:id/invitations", "members:invite"},
		{"GET", "/organizations/:id/usage", "billing:read"},
		{"POST", "/organizations/:id/usage", "usage:record"},
	};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		const struct route *found = NULL;
		for (size_t i = 0; i < routes_count; i++)
			if (strcmp(routes[i].method, want[k].method) == 0 &&
			    strcmp(routes[i].pattern, want[k].pattern) == 0)
				found = &routes[i];
		CHECK(found != NULL);
		if (found == NULL)
			continue;
		if (want[k].permission == NULL)
			CHECK(found->permission == NULL);
		else
			CHECK(found->permission != NULL &&
			      strcmp(found->permission, want[k].permission) == 0);
	}
}

/* Replace each :param by ":" so "/a/:id" and "/a/:key" compare equal. */
static void shape(const char *pattern, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = pattern; *p && n + 1 < cap; p++) {
		out[n++] = *p;
		if (*p == ':')
			while (p[1] != '\0' && p[1] != '/')
				p++;
	}
	out[n] = '\0';
}

TEST(test_routes_no_route_is_shadowed_by_an_earlier_one)
{
	int shadowed_routes = 0;
	for (size_t i = 0; i < routes_count; i++) {
		char si[256];
		shape(routes[i].pattern, si, sizeof si);
		for (size_t j = 0; j < i; j++) {
			char sj[256];
			shape(routes[j].pattern, sj, sizeof sj);
			bool shadowed = strcmp(routes[i].method, routes[j].method) == 0 &&
					strcmp(si, sj) == 0;
			if (shadowed)
				fprintf(stderr, "  %s %s is shadowed by %s\n", routes[i].method,
					routes[i].pattern, routes[j].pattern);
			shadowed_routes += shadowed;
		}
	}
	CHECK(shadowed_routes == 0);
}

TEST(test_routes_every_route_is_reachable_by_its_own_example_path)
{
	/* build a concrete path from each pattern (":x" -> "x1") and check the
	 * router sends it to that very route */
	struct arena a;
	arena_init(&a, 0);
	for (size_t i = 0; i < routes_count; i++) {
		char path[512];
		size_t n = 0;
		for (const char *p = routes[i].pattern; *p && n + 4 < sizeof path; p++) {
			if (*p == ':') {
				memcpy(path + n, "zz9", 3);
				n += 3;
				while (p[1] != '\0' && p[1] != '/')
					p++;
			} else {
				path[n++] = *p;
			}
		}
		path[n] = '\0';
		struct route_match m;
		enum status st = router_match(routes, routes_count, &a, routes[i].method, path, &m);
		CHECK(st == ST_OK);
		CHECK(m.route == &routes[i]);
		if (st != ST_OK || m.route != &routes[i])
			fprintf(stderr, "  %s %s (%s) not routed to its own entry\n",
				routes[i].method, routes[i].pattern, path);
	}
	arena_destroy(&a);
}

int main(void)
{
	RUN(test_routes_table_passes_router_check);
	RUN(test_routes_every_route_has_auth_kind_handler_and_method);
	RUN(test_routes_every_route_declares_auth_and_an_action_or_is_read_only);
	RUN(test_routes_publishable_keys_make_end_user_calls_only);
	RUN(test_routes_actions_are_unique_and_organization_routes_declare_their_permission);
	RUN(test_routes_no_route_is_shadowed_by_an_earlier_one);
	RUN(test_routes_every_route_is_reachable_by_its_own_example_path);
	return check_done("routes");
}
