/*
 * test_router.c: unit tests for src/http/router.c. Route tables are built
 * here with dummy handlers; no server, no sockets. Pins down matching of
 * literal and :param segments, 404 vs 405 (with the Allow list), what counts
 * as a malformed path, and what router_check() refuses at start.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "http/router.h"

static enum status h_list(struct request *req)
{
	(void)req;
	return ST_OK;
}

static enum status h_get(struct request *req)
{
	(void)req;
	return ST_OK;
}

static enum status h_patch(struct request *req)
{
	(void)req;
	return ST_OK;
}

static const struct route table[] = {
	{"GET", "/health", AUTH_NONE, h_list},
	{"GET", "/organizations", AUTH_SESSION, h_list},
	{"POST", "/organizations", AUTH_SESSION, h_list, .action = "organization.create"},
	{"GET", "/organizations/me", AUTH_SESSION, h_get},
	{"GET", "/organizations/:id", AUTH_SESSION, h_get},
	{"PATCH", "/organizations/:id", AUTH_SESSION, h_patch, .action = "organization.update"},
	{"DELETE", "/organizations/:org/members/:user", AUTH_SESSION, h_patch,
	 .action = "organization.member.remove"},
	{"GET", "/", AUTH_NONE, h_list},
};
#define NTABLE (sizeof table / sizeof table[0])

static enum status match(struct arena *a, const char *method, const char *path,
			 struct route_match *m)
{
	return router_match(table, NTABLE, a, method, path, m);
}

TEST(test_router_test_table_passes_check)
{
	char err[256] = "";
	CHECK(router_check(table, NTABLE, NULL, err, sizeof err) == ST_OK);
	CHECK_STR(err, "");
}

TEST(test_router_literal_route_matches_without_params)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/health", &m) == ST_OK);
	CHECK(m.route == &table[0]);
	CHECK(m.nparams == 0);
	CHECK(match(&a, "GET", "/organizations", &m) == ST_OK);
	CHECK(m.route == &table[1]);
	CHECK(match(&a, "POST", "/organizations", &m) == ST_OK);
	CHECK(m.route == &table[2]);
	arena_destroy(&a);
}

TEST(test_router_root_path_matches_root_route)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/", &m) == ST_OK);
	CHECK(m.route == &table[7]);
	CHECK(m.nparams == 0);
	arena_destroy(&a);
}

TEST(test_router_param_route_captures_name_and_value)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/organizations/org_01abc", &m) == ST_OK);
	CHECK(m.route == &table[4]);
	CHECK(m.nparams == 1);
	CHECK_STR(m.names[0], "id");
	CHECK_STR(m.values[0], "org_01abc");
	CHECK(match(&a, "PATCH", "/organizations/xyz", &m) == ST_OK);
	CHECK(m.route == &table[5]);
	CHECK_STR(m.values[0], "xyz");
	arena_destroy(&a);
}

TEST(test_router_two_params_captured_in_pattern_order)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "DELETE", "/organizations/o1/members/u2", &m) == ST_OK);
	CHECK(m.route == &table[6]);
	CHECK(m.nparams == 2);
	CHECK_STR(m.names[0], "org");
	CHECK_STR(m.values[0], "o1");
	CHECK_STR(m.names[1], "user");
	CHECK_STR(m.values[1], "u2");
	arena_destroy(&a);
}

TEST(test_router_param_values_are_copies_not_pointers_into_path)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	char path[] = "/organizations/abc";
	CHECK(match(&a, "GET", path, &m) == ST_OK);
	memcpy(path + strlen("/organizations/"), "zzz", 3);
	CHECK_STR(m.values[0], "abc");
	arena_destroy(&a);
}

TEST(test_router_literal_before_param_wins_first_match)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/organizations/me", &m) == ST_OK);
	CHECK(m.route == &table[3]);
	CHECK(m.nparams == 0);
	arena_destroy(&a);
}

TEST(test_router_one_trailing_slash_is_accepted)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/health/", &m) == ST_OK);
	CHECK(m.route == &table[0]);
	CHECK(match(&a, "GET", "/organizations/abc/", &m) == ST_OK);
	CHECK(m.route == &table[4]);
	CHECK_STR(m.values[0], "abc");
	arena_destroy(&a);
}

TEST(test_router_double_slash_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "//health", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations//abc", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/health//", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "//", &m) == ST_NOT_FOUND);
	/* an empty segment must not be captured as an empty :id */
	CHECK(match(&a, "GET", "/organizations//", &m) == ST_NOT_FOUND);
	CHECK(m.route == NULL);
	arena_destroy(&a);
}

TEST(test_router_path_without_leading_slash_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "health", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "*", &m) == ST_NOT_FOUND);
	arena_destroy(&a);
}

TEST(test_router_non_printable_segment_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/organizations/a b", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations/a\tb", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations/a\x7f", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations/\xc3\xa9", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations/\x01", &m) == ST_NOT_FOUND);
	/* a literal segment with a bad byte is also refused, not compared */
	CHECK(match(&a, "GET", "/health\r", &m) == ST_NOT_FOUND);
	CHECK(m.route == NULL);
	arena_destroy(&a);
}

TEST(test_router_segment_at_limit_matches_and_one_over_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	char path[64 + ROUTER_SEGMENT_MAX + 2];
	int n = snprintf(path, sizeof path, "/organizations/");
	memset(path + n, 'x', ROUTER_SEGMENT_MAX);
	path[n + ROUTER_SEGMENT_MAX] = '\0';
	CHECK(match(&a, "GET", path, &m) == ST_OK);
	CHECK(m.values[0] != NULL && strlen(m.values[0]) == ROUTER_SEGMENT_MAX);
	path[n + ROUTER_SEGMENT_MAX] = 'x';
	path[n + ROUTER_SEGMENT_MAX + 1] = '\0';
	CHECK(match(&a, "GET", path, &m) == ST_NOT_FOUND);
	arena_destroy(&a);
}

TEST(test_router_over_long_path_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	/* 3000 bytes of short segments: longer than the 2048-byte path cap */
	char path[3001];
	for (int i = 0; i < 3000; i += 2) {
		path[i] = '/';
		path[i + 1] = 'a';
	}
	path[3000] = '\0';
	CHECK(match(&a, "GET", path, &m) == ST_NOT_FOUND);
	arena_destroy(&a);
}

TEST(test_router_too_many_segments_is_not_found)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	char path[256] = "";
	size_t used = 0;
	for (int i = 0; i < ROUTER_MAX_SEGMENTS + 1; i++)
		used += (size_t)snprintf(path + used, sizeof path - used, "/s%d", i);
	CHECK(match(&a, "GET", path, &m) == ST_NOT_FOUND);
	arena_destroy(&a);
}

TEST(test_router_wrong_method_is_405_with_allow_list)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "DELETE", "/organizations/abc", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK(m.route == NULL);
	CHECK_STR(m.allow, "GET, PATCH");
	CHECK(match(&a, "PUT", "/organizations", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK_STR(m.allow, "GET, POST");
	CHECK(match(&a, "POST", "/health", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK_STR(m.allow, "GET");
	arena_destroy(&a);
}

TEST(test_router_allow_list_has_no_duplicate_methods)
{
	/* "/organizations/me" matches both the literal and the :id GET route */
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "POST", "/organizations/me", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK_STR(m.allow, "GET, PATCH");
	arena_destroy(&a);
}

TEST(test_router_method_is_case_sensitive)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "get", "/health", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK_STR(m.allow, "GET");
	arena_destroy(&a);
}

TEST(test_router_unknown_path_is_404)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "GET", "/nope", &m) == ST_NOT_FOUND);
	CHECK(m.route == NULL);
	CHECK_STR(m.allow, "");
	CHECK(match(&a, "GET", "/organizations/abc/extra", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/organizations/o/members", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/Health", &m) == ST_NOT_FOUND);
	CHECK(match(&a, "GET", "/healthz", &m) == ST_NOT_FOUND);
	arena_destroy(&a);
}

TEST(test_router_match_clears_previous_result)
{
	struct arena a;
	arena_init(&a, 0);
	struct route_match m;
	CHECK(match(&a, "DELETE", "/organizations/abc", &m) == ST_METHOD_NOT_ALLOWED);
	CHECK(match(&a, "GET", "/nope", &m) == ST_NOT_FOUND);
	CHECK_STR(m.allow, "");
	CHECK(m.nparams == 0);
	arena_destroy(&a);
}

/* Stands in for svc's rbac_permission_valid: router.c takes the rule as a
 * parameter, so this test needs nothing of svc/. */
static bool permission_ok(const char *p)
{
	return strchr(p, ':') != NULL && strchr(p, ' ') == NULL;
}

static enum status check_one(struct route r, char *err, size_t errlen)
{
	struct route t[1] = {r};
	return router_check(t, 1, permission_ok, err, errlen);
}

TEST(test_router_check_refuses_route_with_auth_unset)
{
	char err[256] = "";
	struct route r = {"GET", "/things", AUTH_UNSET, h_get};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "/things") != NULL);
	CHECK(strstr(err, "auth") != NULL);
}

TEST(test_router_check_refuses_route_with_null_handler)
{
	char err[256] = "";
	struct route r = {"GET", "/things", AUTH_KEY, NULL};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "/things") != NULL);
}

TEST(test_router_check_refuses_route_with_null_method)
{
	char err[256] = "";
	struct route r = {NULL, "/things", AUTH_KEY, h_get};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "/things") != NULL);
}

TEST(test_router_check_refuses_duplicate_method_and_pattern)
{
	char err[256] = "";
	const struct route t[] = {
		{"GET", "/things/:id", AUTH_KEY, h_get},
		{"PATCH", "/things/:id", AUTH_KEY, h_patch, .action = "thing.update"},
		{"GET", "/things/:id", AUTH_SESSION, h_list},
	};
	CHECK(router_check(t, 3, NULL, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(strstr(err, "GET /things/:id") != NULL);
	/* same pattern, different methods: fine */
	err[0] = '\0';
	CHECK(router_check(t, 2, NULL, err, sizeof err) == ST_OK);
}

TEST(test_router_check_refuses_malformed_patterns)
{
	char err[256] = "";
	struct route r = {"GET", "things", AUTH_KEY, h_get};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "malformed") != NULL);
	r.pattern = "/things//:id";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	r.pattern = "";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	r.pattern = "//";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	r.pattern = "/a/b/c/d/e/f/g/h/i/j/k/l/m"; /* 13 segments */
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
}

TEST(test_router_check_refuses_more_params_than_match_can_hold)
{
	char err[256] = "";
	struct route r = {"GET", "/:a/:b/:c/:d/:e", AUTH_KEY, h_get};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "too many parameters") != NULL);
	r.pattern = "/:a/:b/:c/:d";
	CHECK(check_one(r, err, sizeof err) == ST_OK);
}

TEST(test_router_check_accepts_every_auth_kind_but_unset)
{
	char err[256] = "";
	enum auth_kind kinds[] = {AUTH_NONE, AUTH_ADMIN, AUTH_KEY, AUTH_SYSTEM, AUTH_SESSION};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct route r = {"GET", "/x", kinds[i], h_get};
		CHECK(check_one(r, err, sizeof err) == ST_OK);
	}
}

TEST(test_router_check_wants_an_action_exactly_on_state_changing_routes)
{
	char err[256] = "";
	struct route r = {"POST", "/things", AUTH_KEY, h_get};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "POST /things changes state but declares no audit action") != NULL);
	r.action = "";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	r.action = "thing.create";
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	r.method = "GET";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "GET /things is read-only but declares an audit action") != NULL);
	r.action = NULL;
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	/* a POST that declares it changes nothing is read-only too */
	r.method = "POST";
	r.read_only = true;
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	r.action = "thing.create";
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "POST /things is read-only but declares an audit action") != NULL);
}

TEST(test_router_check_refuses_an_invalid_permission_and_unknown_key_kinds)
{
	char err[256] = "";
	struct route r = {"GET", "/things", AUTH_KEY, h_get, .permission = "things read"};
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "invalid permission") != NULL);
	r.permission = "things:read";
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	r.keys = 1u << 5;
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "unknown key kinds") != NULL);
	r.keys = KEYS_SECRET | KEYS_PUBLISHABLE;
	CHECK(check_one(r, err, sizeof err) == ST_OK);
}

TEST(test_router_check_refuses_publishable_keys_on_system_routes_and_both_kinds)
{
	char err[256] = "";
	struct route r = {"GET", "/things", AUTH_SYSTEM, h_get, .keys = KEYS_SECRET};
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	r.keys = KEYS_SECRET | KEYS_PUBLISHABLE_SESSION;
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "system route") != NULL);
	r.auth = AUTH_KEY;
	CHECK(check_one(r, err, sizeof err) == ST_OK);
	r.keys = KEYS_SECRET | KEYS_PUBLISHABLE | KEYS_PUBLISHABLE_SESSION;
	CHECK(check_one(r, err, sizeof err) == ST_INTERNAL);
	CHECK(strstr(err, "both publishable") != NULL);
}

TEST(test_router_keys_unset_means_secret_keys_only)
{
	struct route r = {"GET", "/things", AUTH_KEY, h_get};
	CHECK(router_keys(&r) == KEYS_SECRET);
	r.keys = KEYS_PUBLISHABLE;
	CHECK(router_keys(&r) == KEYS_PUBLISHABLE);
}

TEST(test_router_check_accepts_empty_table)
{
	char err[16] = "";
	CHECK(router_check(table, 0, NULL, err, sizeof err) == ST_OK);
}

int main(void)
{
	RUN(test_router_test_table_passes_check);
	RUN(test_router_check_wants_an_action_exactly_on_state_changing_routes);
	RUN(test_router_check_refuses_an_invalid_permission_and_unknown_key_kinds);
	RUN(test_router_keys_unset_means_secret_keys_only);
	RUN(test_router_check_refuses_publishable_keys_on_system_routes_and_both_kinds);
	RUN(test_router_literal_route_matches_without_params);
	RUN(test_router_root_path_matches_root_route);
	RUN(test_router_param_route_captures_name_and_value);
	RUN(test_router_two_params_captured_in_pattern_order);
	RUN(test_router_param_values_are_copies_not_pointers_into_path);
	RUN(test_router_literal_before_param_wins_first_match);
	RUN(test_router_one_trailing_slash_is_accepted);
	RUN(test_router_double_slash_is_not_found);
	RUN(test_router_path_without_leading_slash_is_not_found);
	RUN(test_router_non_printable_segment_is_not_found);
	RUN(test_router_segment_at_limit_matches_and_one_over_is_not_found);
	RUN(test_router_over_long_path_is_not_found);
	RUN(test_router_too_many_segments_is_not_found);
	RUN(test_router_wrong_method_is_405_with_allow_list);
	RUN(test_router_allow_list_has_no_duplicate_methods);
	RUN(test_router_method_is_case_sensitive);
	RUN(test_router_unknown_path_is_404);
	RUN(test_router_match_clears_previous_result);
	RUN(test_router_check_refuses_route_with_auth_unset);
	RUN(test_router_check_refuses_route_with_null_handler);
	RUN(test_router_check_refuses_route_with_null_method);
	RUN(test_router_check_refuses_duplicate_method_and_pattern);
	RUN(test_router_check_refuses_malformed_patterns);
	RUN(test_router_check_refuses_more_params_than_match_can_hold);
	RUN(test_router_check_accepts_every_auth_kind_but_unset);
	RUN(test_router_check_accepts_empty_table);
	return check_done("router");
}
