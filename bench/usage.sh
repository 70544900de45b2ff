#!/bin/bash
# usage.sh: throughput of usage recording, POST /organizations/:id/usage, on
# SQLite and PostgreSQL (results in bench/README.md, "Usage recording").
# One organization on a tier with a high api_calls limit (10^15, so every
# request goes through the conditional counter update and none is refused);
# quantity 1 per request; without idempotency keys and with a unique key
# per request; 16 and 64 connections. Needs wrk, python3 and (for the
# PostgreSQL part) the PostgreSQL server packages. On PostgreSQL the tables
# are ANALYZEd before each measured run (BENCH_ANALYZE=0 to skip).
#
#   bench/usage.sh                  uses build/saasd (runs `make all` if missing)
#   BUILD=build/bench bench/usage.sh
#
# Knobs: BENCH_RUNS (2 measured runs per configuration; the table shows the
# median), BENCH_DURATION (10 s), BENCH_WARMUP (2 s before each run),
# BENCH_CONNS ("16 64"), BENCH_THREADS (2 wrk threads), BENCH_PG (1; 0 skips
# PostgreSQL), BENCH_SQLITE (1; 0 skips SQLite), BENCH_KEEP (1 keeps the work
# directory).
#
# Every process it starts (saasd, the private PostgreSQL server) is stopped
# by PID on exit, also on Ctrl-C. Afterwards it checks that the quota
# counter equals the sum of the recorded rows (no lost or double counts).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-2}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS_LIST=${BENCH_CONNS:-16 64}
THREADS=${BENCH_THREADS:-2}
WITH_PG=${BENCH_PG:-1}
WITH_SQLITE=${BENCH_SQLITE:-1}
ANALYZE=${BENCH_ANALYZE:-1}
LUA="$ROOT/bench/usage.lua"

if [ ! -x "$BUILD/saasd" ]; then
	echo "usage bench: $BUILD/saasd missing, building it"
	make BUILD="$BUILD" all
fi
BIN=$(cd "$BUILD" && pwd)/saasd
command -v wrk >/dev/null 2>&1 || { echo "usage bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-usage-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
SRV_PID=""
PGDIR=""
# stop_pid, pid_cpu, field
source "$ROOT/bench/common.sh"


cleanup() {
	[ -n "$SRV_PID" ] && stop_pid "$SRV_PID"
	SRV_PID=""
	if [ -n "$PGDIR" ]; then
		"$ROOT/scripts/pg-test.sh" stop "$PGDIR" || true
		PGDIR=""
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "usage bench: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# helper HTTP calls (stdlib only): free-port, wait PORT PID, setup PORT ADMIN,
# check PORT KEY ORG, summary TSV
helper() {
	python3 - "$@" <<'PY'
import http.client, json, os, socket, statistics, sys, time, uuid

def call(port, method, path, body=None, key=None, session=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    h = {}
    if key:
        h["Authorization"] = "Bearer " + key
    if session:
        h["X-Session-Token"] = session
    if body is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)

def need(status, want, what, j):
    if status != want:
        sys.exit("usage bench: %s answered %d: %r" % (what, status, j))
    return j

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "free-port":
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
elif cmd == "wait":
    port, pid = int(args[0]), int(args[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit("usage bench: saasd exited before becoming healthy")
        try:
            if call(port, "GET", "/health")[0] == 200:
                sys.exit(0)
        except OSError:
            pass
        time.sleep(0.02)
    sys.exit("usage bench: saasd not healthy within 30 s")
elif cmd == "setup":
    # a tenant, a tier with a high limit, an organization subscribed to it
    port, admin = args
    st, j = call(port, "POST", "/admin/tenants", {"name": "Usage Bench"}, admin)
    key = need(st, 201, "POST /admin/tenants", j)["api_key"]
    st, j = call(port, "POST", "/tiers", {"key": "bench", "name": "Bench", "interval": "month",
                                          "limits": {"api_calls": 10 ** 15}}, key)
    need(st, 201, "POST /tiers", j)
    st, j = call(port, "POST", "/auth/register",
                 {"email": "bench.%s@example.com" % uuid.uuid4().hex[:8], "password": "bench pass 1"}, key)
    user = need(st, 201, "POST /auth/register", j)["user"]["id"]
    st, j = call(port, "POST", "/organizations", {"name": "Bench Org", "owner_id": user}, key)
    org = need(st, 201, "POST /organizations", j)["id"]
    st, j = call(port, "POST", "/organizations/%s/subscription" % org, {"tier": "bench"}, key)
    need(st, 201, "POST subscription", j)
    st, j = call(port, "POST", "/organizations/%s/usage" % org, {"metric": "api_calls"}, key)
    need(st, 201, "POST usage", j)
    print(key, org)
elif cmd == "check":
    # the counter (entitlements) must equal the sum of the records (history)
    port, key, org = args
    st, e = call(port, "GET", "/organizations/%s/entitlements" % org, key=key)
    counter = need(st, 200, "GET entitlements", e)["usage"]["api_calls"]
    st, h = call(port, "GET", "/organizations/%s/usage?metric=api_calls" % org, key=key)
    total = need(st, 200, "GET usage", h)["total"]
    print("counter=%d records=%d %s" % (counter, total, "ok" if counter == total else "MISMATCH"))
    sys.exit(0 if counter == total else 1)
elif cmd == "summary":
    rows, order = {}, []
    with open(args[0]) as f:
        for line in f:
            config, metric, value = line.rstrip("\n").split("\t")
            if (config, metric) not in rows:
                rows[(config, metric)] = []
                order.append((config, metric))
            rows[(config, metric)].append(float(value))
    configs = []
    for c, _ in order:
        if c not in configs:
            configs.append(c)
    print("| configuration | req/s (median) | p99 ms (median) | p50 ms | saasd CPU/req | runs: req/s | runs: p99 ms |")
    print("|---|---:|---:|---:|---:|---|---|")
    for c in configs:
        g = lambda m: rows.get((c, m), [])
        med = lambda m, f: (f % statistics.median(g(m))) if g(m) else "-"
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            c, med("rps", "%.0f"), med("p99_ms", "%.2f"), med("p50_ms", "%.2f"),
            med("saasd_us_req", "%.0f us"), " / ".join("%.0f" % v for v in g("rps")),
            " / ".join("%.2f" % v for v in g("p99_ms"))))
else:
    sys.exit("unknown helper command " + cmd)
PY
}


# start NAME URL: sets SRV_PID SRV_PORT SRV_KEY ORG (request log to a file)
start() {
	local name=$1 url=$2 dir="$work/$1"
	mkdir -p "$dir"
	SRV_PORT=$(helper free-port)
	local admin="adm_bench_$RANDOM$RANDOM"
	( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
		DATABASE_URL="$url" HOST=127.0.0.1 PORT="$SRV_PORT" ADMIN_TOKEN="$admin" \
		JWT_SECRET="bench-secret-$RANDOM$RANDOM" ENVIRONMENT=development EMAIL_PROVIDER=log \
		BCRYPT_WORK_FACTOR=4 RATE_LIMIT_PER_MINUTE=100000000 "$BIN" serve ) \
		>"$dir/stdout.log" 2>"$dir/stderr.log" &
	SRV_PID=$!
	SRV_LOG="$dir/stderr.log"
	helper wait "$SRV_PORT" "$SRV_PID" || { tail -n 20 "$dir/stderr.log"; exit 1; }
	read -r SRV_KEY ORG <<<"$(helper setup "$SRV_PORT" "$admin")"
	echo "usage bench: $name: saasd pid $SRV_PID port $SRV_PORT org $ORG"
}

# measure BACKEND: every mode x connection count, RUNS times each
measure() {
	local backend=$1 mode conns i out line config bad srv0 srv1 n
	for mode in nokey key; do
		for conns in $CONNS_LIST; do
			config="$backend, ${mode/nokey/no key}, $conns conns"
			config=${config/, key,/, unique key,}
			for i in $(seq "$RUNS"); do
				local keys=0
				[ "$mode" = key ] && keys=1
				USAGE_KEY=$SRV_KEY USAGE_KEYS=$keys USAGE_RUN="w$i$conns$RANDOM" \
					wrk -t"$THREADS" -c"$conns" -d"${WARMUP}s" -s "$LUA" \
					"http://127.0.0.1:$SRV_PORT/organizations/$ORG/usage" >/dev/null
				# PostgreSQL: statistics as autovacuum would have them on a
				# table that has been in use (see README: before its first
				# ANALYZE the key lookup scans the organization's rows)
				if [ "$backend" = postgres ] && [ "$ANALYZE" = 1 ]; then
					psql -h 127.0.0.1 -p "$pgport" -U postgres -d usage_bench -q \
						-c "ANALYZE usage_records; ANALYZE usage_counters" >/dev/null
				fi
				out="$work/wrk-$backend-$mode-$conns-$i.txt"
				srv0=$(pid_cpu "$SRV_PID")
				USAGE_KEY=$SRV_KEY USAGE_KEYS=$keys USAGE_RUN="m$i$conns$RANDOM" \
					wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --latency -s "$LUA" \
					"http://127.0.0.1:$SRV_PORT/organizations/$ORG/usage" >"$out"
				srv1=$(pid_cpu "$SRV_PID")
				line=$(grep '^BENCH ' "$out") || { cat "$out"; exit 1; }
				bad=0
				for f in non2xx err_connect err_read err_write err_timeout; do
					bad=$((bad + $(field "$line" "$f")))
				done
				n=$(field "$line" requests)
				printf 'usage bench: %-36s run %d: %8s req/s  p50 %6s ms  p99 %7s ms  (failed %d)  load %s\n' \
					"$config" "$i" "$(field "$line" rps)" "$(field "$line" p50_ms)" \
					"$(field "$line" p99_ms)" "$bad" "$(cut -d' ' -f1 /proc/loadavg)"
				if [ "$bad" -gt 0 ]; then
					echo "usage bench: WARNING: $bad failed requests; run not recorded" >&2
					grep -E 'Non-2xx|Socket errors' "$out" >&2 || true
					continue
				fi
				printf '%s\t%s\t%s\n' "$config" rps "$(field "$line" rps)" >>"$results"
				printf '%s\t%s\t%s\n' "$config" p50_ms "$(field "$line" p50_ms)" >>"$results"
				printf '%s\t%s\t%s\n' "$config" p99_ms "$(field "$line" p99_ms)" >>"$results"
				printf '%s\t%s\t%s\n' "$config" saasd_us_req \
					"$(awk -v s="$((srv1 - srv0))" -v n="$n" 'BEGIN { printf "%.1f", s * 10000 / n }')" >>"$results"
				: >"$SRV_LOG" # the request log is O_APPEND: keep it from filling the disk
			done
		done
	done
	helper check "$SRV_PORT" "$SRV_KEY" "$ORG" | sed 's/^/usage bench: counter check: /'
}

echo "usage bench: $BIN; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); wrk -t$THREADS, ${DURATION}s after ${WARMUP}s warm-up, $RUNS runs each; load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$WITH_SQLITE" = 1 ]; then
	start sqlite "sqlite:$work/usage.db"
	measure sqlite
	stop_pid "$SRV_PID"
	SRV_PID=""
fi

if [ "$WITH_PG" = 1 ]; then
	PGDIR=$(mktemp -d /tmp/saasd-usage-bench-pg.XXXXXX)
	chmod 755 "$PGDIR"
	pgport=$("$ROOT/scripts/pg-test.sh" start "$PGDIR")
	psql -h 127.0.0.1 -p "$pgport" -U postgres -q -c "CREATE DATABASE usage_bench" >/dev/null
	start postgres "postgres://postgres@127.0.0.1:$pgport/usage_bench"
	measure postgres
	stop_pid "$SRV_PID"
	SRV_PID=""
fi

echo
echo "usage recording, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$BIN" version 2>/dev/null || echo saasd)"
echo "wrk -t$THREADS -d${DURATION}s (after ${WARMUP}s warm-up); medians of $RUNS runs"
echo
helper summary "$results" | tee "$work/summary.md"
