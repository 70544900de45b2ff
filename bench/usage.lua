-- usage.lua: wrk script for bench/usage.sh: POST /organizations/:id/usage.
-- Environment: USAGE_KEY (the tenant's API key), USAGE_KEYS=1 to send a
-- unique idempotency_key with every request (USAGE_RUN makes the keys of
-- one wrk run distinct from every other run's).
--
-- Without keys the body never changes, so no request() is defined and wrk
-- keeps its fast C request path; with keys, request() builds each body.
-- No response() either (it would put every answer through Lua): a 402 or
-- any other status >= 400 shows up in wrk's non2xx count. done() prints
-- one machine-readable line, the same as bench/report.lua:
--
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--         non2xx=N err_connect=N err_read=N err_write=N err_timeout=N

local key = os.getenv("USAGE_KEY") or ""
local with_keys = os.getenv("USAGE_KEYS") == "1"
local run = os.getenv("USAGE_RUN") or tostring(os.time())

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"metric":"api_calls","quantity":1}'

local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("tid", next_id)
end

if with_keys then
	local n = 0
	request = function()
		n = n + 1
		local body = string.format(
			'{"metric":"api_calls","quantity":1,"idempotency_key":"%s-%d-%d"}', run, tid, n)
		return wrk.format(nil, nil, nil, body)
	end
end

done = function(summary, latency, requests)
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
		"max_ms=%.3f non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
		summary.requests, secs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000,
		e.status, e.connect, e.read, e.write, e.timeout))
end
