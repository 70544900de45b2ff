-- report.lua: wrk script that adds one machine-readable line to wrk's report.
-- It defines only done(), so wrk keeps its fast C request path (no per-request
-- Lua). Latencies from wrk are in microseconds; the line gives milliseconds.
--
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--         non2xx=N err_connect=N err_read=N err_write=N err_timeout=N
--
-- non2xx is wrk's count of responses with a status >= 400 (errors.status): a
-- run with any is not a valid measurement of the happy path.

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
