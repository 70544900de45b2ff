#!/bin/bash
# ratelimit.sh: what the per-tenant rate limiter costs per request (results in
# bench/README.md, "Rate limiter"). The limiter cannot be switched off, so it
# compares GET /tenant (key cache -> limiter -> tenant row) with
#   local: the in-process sliding-window counters, and
#   redis: REDIS_URL pointing at a private redis-server on a free port
#          (--save '' --appendonly no, stopped by PID at the end)
# with RATE_LIMIT_PER_MINUTE=100000000 (the limiter runs on every request,
# never refuses): req/s, p50/p99, saasd CPU us/request, and for redis also
# redis-server's CPU us/request. Then a single-threaded microbenchmark of
# ratelimiter_check() linked against BUILD/libsaasd.a (ns per call, local
# and through Redis).
#
#   BUILD=build/bench2 bench/ratelimit.sh
#
# Knobs: BENCH_RUNS (2; medians), BENCH_DURATION (10), BENCH_WARMUP (2),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_QUIET_WAIT (180; see
# common.sh), BENCH_KEEP. wrk, redis and saasd share this machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-2}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
TOOL="python3 $ROOT/bench/tool.py"
LUA="$ROOT/bench/report.lua"
LDLIBS="-lmicrohttpd -ljansson -lsqlite3 -lpq -lsodium -lcrypt -lcurl -lhiredis -lpthread -lm"

if [ ! -x "$BUILD/saasd" ] || [ ! -f "$BUILD/libsaasd.a" ]; then
	echo "ratelimit bench: building $BUILD"
	make BUILD="$BUILD" all
fi
BIN=$(cd "$BUILD" && pwd)/saasd
command -v wrk >/dev/null 2>&1 || { echo "ratelimit bench: wrk is not installed" >&2; exit 1; }
command -v redis-server >/dev/null 2>&1 || { echo "ratelimit bench: redis-server is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-rl-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
SRV_PID=""
REDIS_PID=""
source "$ROOT/bench/common.sh"

cleanup() {
	[ -n "$SRV_PID" ] && stop_pid "$SRV_PID"
	[ -n "$REDIS_PID" ] && stop_pid "$REDIS_PID"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "ratelimit bench: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }
redis_cmds() { redis-cli -p "$REDIS_PORT" info stats | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p'; }

echo "ratelimit bench: $BIN; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# the private Redis
REDIS_PORT=$($TOOL free-port)
mkdir -p "$work/redis-server"
( cd "$work/redis-server" && exec redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	--appendonly no --daemonize no ) >"$work/redis-server/stdout.log" 2>&1 &
REDIS_PID=$!
for i in $(seq 100); do
	redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
echo "ratelimit bench: redis-server pid $REDIS_PID on port $REDIS_PORT"

# start NAME REDIS_URL: sets SRV_PID SRV_PORT SRV_KEY SRV_LOG
start() {
	local name=$1 redis=$2 dir="$work/$1"
	mkdir -p "$dir"
	SRV_PORT=$($TOOL free-port)
	SRV_LOG="$dir/stderr.log"
	local admin="adm_bench_$RANDOM$RANDOM"
	( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
		DATABASE_URL="sqlite:$dir/saasd.db" HOST=127.0.0.1 PORT="$SRV_PORT" ADMIN_TOKEN="$admin" \
		JWT_SECRET="bench-secret-$RANDOM$RANDOM" ENVIRONMENT=development EMAIL_PROVIDER=log \
		REDIS_URL="$redis" RATE_LIMIT_PER_MINUTE=100000000 "$BIN" serve ) \
		>"$dir/stdout.log" 2>"$SRV_LOG" &
	SRV_PID=$!
	$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30 || { tail -n 20 "$dir/stdout.log" "$SRV_LOG"; exit 1; }
	SRV_KEY=$($TOOL create-tenant "$SRV_PORT" "$admin" "RL Bench")
	$TOOL expect "$SRV_PORT" /tenant 200 "$SRV_KEY"
	echo "ratelimit bench: $name: saasd pid $SRV_PID on port $SRV_PORT"
}

measure() {
	local config=$1 i out line srv0 srv1 r0 r1 c0 c1 bad us rus
	for i in $(seq "$RUNS"); do
		wait_idle
		record "$config" bg "$IDLE_NOTE"
		wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -H "Authorization: Bearer $SRV_KEY" \
			"http://127.0.0.1:$SRV_PORT/tenant" >/dev/null
		out="$work/wrk-$config-$i.txt"
		srv0=$(pid_cpu "$SRV_PID") r0=$(pid_cpu "$REDIS_PID") c0=$(redis_cmds)
		wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$LUA" \
			-H "Authorization: Bearer $SRV_KEY" "http://127.0.0.1:$SRV_PORT/tenant" >"$out"
		srv1=$(pid_cpu "$SRV_PID") r1=$(pid_cpu "$REDIS_PID") c1=$(redis_cmds)
		line=$(grep '^BENCH ' "$out") || { cat "$out"; exit 1; }
		bad=$(bad_count "$line")
		n=$(field "$line" requests)
		us=$(awk -v s="$((srv1 - srv0))" -v n="$n" 'BEGIN { printf "%.1f", s * 10000 / n }')
		rus=$(awk -v s="$((r1 - r0))" -v n="$n" 'BEGIN { printf "%.1f", s * 10000 / n }')
		printf 'ratelimit bench: %-6s run %d: %9s req/s  p50 %6s ms  p99 %7s ms  saasd %5s us/req  redis %5s us/req  redis commands %d  (failed %d)\n' \
			"$config" "$i" "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
			"$us" "$rus" "$((c1 - c0))" "$bad"
		if [ "$bad" -gt 0 ]; then
			echo "ratelimit bench: WARNING: $bad failed requests; run not recorded" >&2
			continue
		fi
		record "$config" rps "$(field "$line" rps)"
		record "$config" p50_ms "$(field "$line" p50_ms)"
		record "$config" p99_ms "$(field "$line" p99_ms)"
		record "$config" saasd_us_req "$us"
		record "$config" redis_us_req "$rus"
		record "$config" redis_cmds_per_req "$(awk -v c="$((c1 - c0))" -v n="$n" 'BEGIN { printf "%.3f", c / n }')"
		: >"$SRV_LOG"
	done
}

start local ""
measure local
stop_pid "$SRV_PID"; SRV_PID=""

start redis "redis://127.0.0.1:$REDIS_PORT"
measure redis
if grep -q "redis unavailable" "$work/redis/stderr.log" 2>/dev/null; then
	echo "ratelimit bench: WARNING: saasd fell back to local counters during the redis runs" >&2
fi
stop_pid "$SRV_PID"; SRV_PID=""

# the function alone
cc -O2 -I"$ROOT/src" -o "$work/rl_micro" "$ROOT/bench/ratelimit_micro.c" "$BUILD/libsaasd.a" $LDLIBS
wait_idle
c0=$(redis_cmds)
"$work/rl_micro" 10000000 "redis://127.0.0.1:$REDIS_PORT" | tee "$work/micro.txt"
c1=$(redis_cmds)
echo "ratelimit bench: redis commands during the microbenchmark: $((c1 - c0))"
while read -r _ mode _ ns _; do
	record "micro ${mode#mode=}" ns_per_call "${ns#ns_per_call=}"
done <"$work/micro.txt"

echo
echo "rate limiter, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$BIN" version 2>/dev/null || echo saasd), $(redis-server --version | cut -d' ' -f1-3); GET /tenant wrk -t$THREADS -c$CONNS -d${DURATION}s on the same cores; medians of $RUNS runs"
python3 - "$results" <<'PY' | tee "$work/summary.txt"
import statistics, sys
rows, bg = {}, {}
for line in open(sys.argv[1]):
    c, m, v = line.rstrip("\n").split("\t")
    if m == "bg":
        bg.setdefault(c, []).append(v)
    else:
        rows.setdefault((c, m), []).append(float(v))
med = lambda c, m: statistics.median(rows[(c, m)]) if rows.get((c, m)) else float("nan")
print("| limiter | req/s (median) | p50 ms | p99 ms | saasd CPU/req | redis CPU/req | redis cmds/req | runs: req/s |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for c in ("local", "redis"):
    print("| %s | %.0f | %.2f | %.2f | %.1f us | %.1f us | %.2f | %s |" % (c, med(c, "rps"), med(c, "p50_ms"),
          med(c, "p99_ms"), med(c, "saasd_us_req"), med(c, "redis_us_req"), med(c, "redis_cmds_per_req"),
          " / ".join("%.0f" % v for v in rows.get((c, "rps"), []))))
d = med("redis", "saasd_us_req") - med("local", "saasd_us_req")
print()
print("Redis limiter, extra saasd CPU per request: %.1f us (plus %.1f us in redis-server)" % (d, med("redis", "redis_us_req")))
print("ratelimiter_check alone: local %.1f ns/call, through Redis %.1f us/call (single thread, round trip)" %
      (med("micro local", "ns_per_call"), med("micro redis", "ns_per_call") / 1000))
for c, notes in bg.items():
    for n in notes:
        print("background before %s: %s" % (c, n))
PY
