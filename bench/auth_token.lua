-- auth_token.lua: wrk script for POST /auth/token with the tenant's key and a
-- session token (AUTH_KEY, AUTH_SESSION), body TOKEN_BODY ("{}" or
-- {"organization_id": ...}). Static request (no request() hook), so wrk
-- keeps its fast C path; done() prints the BENCH line of report.lua.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AUTH_KEY")
wrk.headers["X-Session-Token"] = os.getenv("AUTH_SESSION")
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("TOKEN_BODY")
dofile(os.getenv("BENCH_REPORT_LUA"))
