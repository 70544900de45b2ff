/*
 * test_session_cookie.c: unit tests for which routes of src/routes.c read
 * the saasd_session cookie (src/http/session_cookie.c): every session
 * route; the key routes a publishable key calls only with a session; never
 * a system, admin or open route, nor the sign-in routes that need no
 * session (a stale cookie must not stop a sign-in).
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "http/session_cookie.h"
#include "routes.h"

static const struct route *find(const char *method, const char *pattern)
{
	for (size_t i = 0; i < routes_count; i++)
		if (strcmp(routes[i].method, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return &routes[i];
	return NULL;
}

TEST(session_cookie_read_by_kind_of_route)
{
	size_t reading = 0;
	for (size_t i = 0; i < routes_count; i++) {
		const struct route *r = &routes[i];
		bool reads = session_cookie_read_by(r);
		reading += reads;
		if (r->auth == AUTH_SESSION)
			CHECK(reads);
		if (r->auth == AUTH_SYSTEM || r->auth == AUTH_ADMIN || r->auth == AUTH_NONE)
			CHECK(!reads);
		if (r->auth == AUTH_KEY)
			CHECK(reads == ((router_keys(r) & KEYS_PUBLISHABLE_SESSION) != 0));
	}
	CHECK(reading > 10);
	CHECK(!session_cookie_read_by(NULL));
}

TEST(session_cookie_sign_in_routes_never_read_it)
{
	const char *sign_in[] = {"/auth/register",
				 "/auth/login",
				 "/auth/password-reset/request",
				 "/auth/password-reset/complete",
				 "/auth/verify-email/complete",
				 NULL};
	for (int i = 0; sign_in[i] != NULL; i++) {
		const struct route *r = find("POST", sign_in[i]);
		CHECK(r != NULL);
		CHECK(r != NULL && !session_cookie_read_by(r));
	}
	CHECK(session_cookie_read_by(find("GET", "/auth/session")));
	CHECK(session_cookie_read_by(find("POST", "/auth/logout")));
	CHECK(session_cookie_read_by(find("POST", "/auth/session/refresh")));
	CHECK(session_cookie_read_by(find("POST", "/organizations")));
	CHECK(!session_cookie_read_by(find("GET", "/tenant")));
}

int main(void)
{
	RUN(session_cookie_read_by_kind_of_route);
	RUN(session_cookie_sign_in_routes_never_read_it);
	return check_done("session_cookie");
}
