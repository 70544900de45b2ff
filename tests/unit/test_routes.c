/*
 * test_routes.c: unit tests for src/http/routes.c, the API's route table as
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

TEST(test_routes_table_passes_router_check)
{
	char err[256] = "";
	CHECK(routes_count > 0);
	CHECK(router_check(routes, routes_count, err, sizeof err) == ST_OK);
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
	RUN(test_routes_no_route_is_shadowed_by_an_earlier_one);
	RUN(test_routes_every_route_is_reachable_by_its_own_example_path);
	return check_done("routes");
}
