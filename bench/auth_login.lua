-- auth_login.lua: wrk script POSTing one login body for an existing user
-- (AUTH_KEY, AUTH_EMAIL, AUTH_PASSWORD from the environment; the values must
-- need no JSON escaping). Static request (no request() hook); done() prints
-- the BENCH line of report.lua (BENCH_REPORT_LUA is its path).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AUTH_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}',
	os.getenv("AUTH_EMAIL"), os.getenv("AUTH_PASSWORD"))
dofile(os.getenv("BENCH_REPORT_LUA"))
