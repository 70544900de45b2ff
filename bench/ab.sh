#!/bin/bash
# ab.sh: A/B of two saasd binaries on the hot paths, to show what a change
# costs (issue 10: the listener's connection accounting; issue 11: the
# request pipeline's phases, the principal and the audit phase). Runs
# alternate A B B A ... so drift in background load hits both. Cases
# (BENCH_CASES, default all four, in this order):
#   tenant   GET /tenant, API key, keep-alive (wrk -c64)
#   session  GET /auth/session, API key + X-Session-Token, keep-alive
#   close    GET /tenant with a new connection per request (Connection:
#            close): the worst case, every request admits and closes one
#   usage    POST /organizations/:id/usage {"metric":"api_calls"} (a write:
#            quota check, counter, record) on a tier with a 10^15 limit
# Prints every run, then the medians and B/A; with OUT.md, writes them there.
#
#   bench/ab.sh BEFORE_SAASD AFTER_SAASD [OUT.md]
#
# Knobs: BENCH_CASES, BENCH_TITLE (the heading of OUT.md), BENCH_RUNS (4 per
# side), BENCH_DURATION (8 s), BENCH_WARMUP (2 s),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_QUIET_WAIT (60; see
# common.sh), BENCH_KEEP (1 keeps the work directory). Servers run on fresh
# SQLite databases, RATE_LIMIT_PER_MINUTE=100000000, stopped by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: bench/ab.sh BEFORE_SAASD AFTER_SAASD [OUT.md]" >&2; exit 2; }
CASES=${BENCH_CASES:-tenant session close usage}
TITLE=${BENCH_TITLE:-A/B on the hot paths}
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
OUT=${3:-}
RUNS=${BENCH_RUNS:-4}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
TOOL="python3 $ROOT/bench/tool.py"
export BENCH_REPORT_LUA="$ROOT/bench/report.lua"
command -v wrk >/dev/null 2>&1 || { echo "ab bench: wrk is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-bench-ab.XXXXXX)
PIDS=()
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
cleanup() {
	local pid
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "ab bench: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start BIN NAME: sets SRV_PID SRV_PORT SRV_DIR AUTH_KEY AUTH_SESSION AUTH_ORG
start() {
	SRV_DIR="$work/$2"
	mkdir -p "$SRV_DIR"
	SRV_PORT=$($TOOL free-port)
	local admin="adm_bench_$RANDOM$RANDOM"
	( cd "$SRV_DIR" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
		DATABASE_URL="sqlite:$SRV_DIR/saasd.db" HOST=127.0.0.1 PORT="$SRV_PORT" \
		ADMIN_TOKEN="$admin" JWT_SECRET="bench-$RANDOM$RANDOM" ENVIRONMENT=development \
		EMAIL_PROVIDER=log BCRYPT_WORK_FACTOR=4 RATE_LIMIT_PER_MINUTE=100000000 "$1" serve ) \
		>"$SRV_DIR/out.log" 2>"$SRV_DIR/err.log" &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30
	AUTH_KEY=$($TOOL create-tenant "$SRV_PORT" "$admin" "AB Bench")
	local setup
	setup=$(python3 - "$SRV_PORT" "$AUTH_KEY" <<'PY'
import http.client, json, sys
port, key = sys.argv[1:]
def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    c.request(method, path, body=json.dumps(body),
              headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read(); c.close()
    if r.status not in (200, 201):
        sys.exit("%s %s answered %d: %r" % (method, path, r.status, data[:300]))
    return json.loads(data)
cred = {"email": "ab.bench@example.com", "password": "bench-password-1"}
user = call("POST", "/auth/register", cred)["user"]["id"]
session = call("POST", "/auth/login", cred)["session"]["token"]
# the usage case: an organization on a tier whose api_calls limit is never reached
call("POST", "/tiers", {"key": "bench", "name": "Bench", "interval": "month",
                        "limits": {"api_calls": 10 ** 15}})
org = call("POST", "/organizations", {"name": "Bench Org", "owner_id": user})["id"]
call("POST", "/organizations/%s/subscription" % org, {"tier": "bench"})
print(session, org)
PY
)
	AUTH_SESSION=${setup% *}
	AUTH_ORG=${setup#* }
	USAGE_KEY=$AUTH_KEY # bench/usage.lua's header
	export AUTH_KEY AUTH_SESSION AUTH_ORG USAGE_KEY
}

results="$work/results.tsv"
: >"$results"
# measure SIDE CONFIG PATH [wrk args...]: one warm-up and one measured run
measure() {
	local side=$1 config=$2 path=$3 line out c0 c1 us
	shift 3
	wait_idle >/dev/null
	local script=${MEASURE_SCRIPT:-$BENCH_REPORT_LUA}
	wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$script" "$@" "http://127.0.0.1:$SRV_PORT$path" >/dev/null
	out="$work/wrk-$side-${config// /_}-$RANDOM.txt"
	c0=$(pid_cpu "$SRV_PID")
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$script" "$@" \
		"http://127.0.0.1:$SRV_PORT$path" >"$out"
	c1=$(pid_cpu "$SRV_PID")
	line=$(grep '^BENCH ' "$out") || { cat "$out"; exit 1; }
	us=$(awk -v s="$((c1 - c0))" -v n="$(field "$line" requests)" 'BEGIN { printf "%.1f", n ? s * 10000 / n : 0 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$side" "$config" "$(field "$line" rps)" \
		"$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$us" "$(bad_count "$line")" >>"$results"
	printf 'ab bench: %s %-18s %9s req/s  p50 %6s ms  p99 %7s ms  saasd %6s us/req  failed %s\n' \
		"$side" "$config" "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
		"$us" "$(bad_count "$line")"
	: >"$SRV_DIR/err.log" # the request log: keep it from filling the disk
}

echo "ab bench: A=$BIN_A B=$BIN_B; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
	order="A B"; [ $((i % 2)) -eq 0 ] && order="B A"
	for side in $order; do
		bin=$BIN_A; [ "$side" = B ] && bin=$BIN_B
		start "$bin" "$side-$i"
		for c in $CASES; do
			case $c in
			tenant) measure "$side" tenant /tenant -H "Authorization: Bearer $AUTH_KEY" ;;
			session) measure "$side" session /auth/session -H "Authorization: Bearer $AUTH_KEY" \
				-H "X-Session-Token: $AUTH_SESSION" ;;
			close) measure "$side" close /tenant -H "Authorization: Bearer $AUTH_KEY" \
				-H "Connection: close" ;;
			usage) MEASURE_SCRIPT="$ROOT/bench/usage.lua" \
				measure "$side" usage "/organizations/$AUTH_ORG/usage" ;;
			*) echo "ab bench: unknown case $c" >&2; exit 2 ;;
			esac
		done
		stop_pid "$SRV_PID"
		PIDS=()
	done
done

summary=$(python3 - "$results" $CASES <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
cases = sys.argv[2:]
print("| measurement | before req/s | after req/s | after/before | before p50 / p99 ms | after p50 / p99 ms | before / after saasd CPU per request |")
print("|---|---:|---:|---:|---:|---:|---:|")
names = {"tenant": "GET /tenant, keep-alive", "session": "GET /auth/session, keep-alive",
         "close": "GET /tenant, new connection each",
         "usage": "POST /organizations/:id/usage, keep-alive"}
for config in cases:
    m = {}
    for side in ("A", "B"):
        rs = [r for r in rows if r[0] == side and r[1] == config and r[6] == "0"]
        col = lambda k: statistics.median(float(r[k]) for r in rs) if rs else float("nan")
        m[side] = (col(2), col(3), col(4), col(5), len(rs))
    a, b = m["A"], m["B"]
    print("| %s | %.0f | %.0f | %.3f | %.2f / %.2f | %.2f / %.2f | %.1f / %.1f us |"
          % (names[config], a[0], b[0], b[0] / a[0], a[1], a[2], b[1], b[2], a[3], b[3]))
print()
print("Runs (req/s), in order:")
for config in cases:
    for side in ("A", "B"):
        print("- %s %s: %s" % ("before" if side == "A" else "after", config,
              ", ".join("%.0f" % float(r[2]) for r in rows if r[0] == side and r[1] == config)))
PY
)
echo
echo "$summary"
if [ -n "$OUT" ]; then
	{
		echo "# $TITLE"
		echo
		echo "\`bench/ab.sh BEFORE AFTER\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
		echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), SQLite, wrk -t$THREADS -c$CONNS"
		echo "-d${DURATION}s after a ${WARMUP}s warm-up, $RUNS runs per side alternating (A B, B A, ...),"
		echo "medians; wrk shares the cores with saasd."
		echo
		echo "- before: \`$BIN_A\`"
		echo "- after: \`$BIN_B\`"
		echo
		echo "$summary"
	} >"$OUT"
	echo "ab bench: wrote $OUT"
fi
