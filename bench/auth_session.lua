-- auth_session.lua: wrk script for GET /auth/session with the tenant's key
-- and a session token (AUTH_KEY, AUTH_SESSION from the environment). Static
-- request (no request() hook), so wrk keeps its fast C path; done() prints
-- the BENCH line of report.lua (BENCH_REPORT_LUA is its path).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AUTH_KEY")
wrk.headers["X-Session-Token"] = os.getenv("AUTH_SESSION")
dofile(os.getenv("BENCH_REPORT_LUA"))
