#!/bin/bash
# auth_token.sh: POST /auth/token (an access token, JWT signed with Ed25519)
# on SQLite: saasd and wrk on this machine's cores. Two bodies: `{}` (the
# session's claims) and `{"organization_id"}` (plus org and ent: the
# membership, permissions and entitlements reads). Goal (issue 12):
# >= 20 000 tokens/s. Results in bench/results/sdk_tokens.md.
#
#   BUILD=build bench/auth_token.sh
#
# Knobs: BENCH_RUNS (3; medians), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_THREADS (2 wrk threads), BENCH_CONNS ("16 64"), BENCH_QUIET_WAIT (30:
# seconds to wait before each run for a quiet machine, bench/common.sh),
# BENCH_KEEP (1 keeps the work directory), BENCH_BIN (a saasd binary to use
# instead of BUILD/saasd, e.g. one built with a local patch).
#
# saasd runs on a fresh SQLite database in a temp directory (stdout/stderr to
# files), RATE_LIMIT_PER_MINUTE=100000000, stopped by PID at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-16 64}
export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
NCPU=$(nproc)
TOOL="python3 $ROOT/bench/tool.py"
export BENCH_REPORT_LUA="$ROOT/bench/report.lua"

if [ -n "${BENCH_BIN:-}" ]; then
	BIN=$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")
else
	if [ ! -x "$BUILD/saasd" ]; then
		echo "token bench: $BUILD/saasd missing, building it"
		make BUILD="$BUILD" all
	fi
	BIN=$(cd "$BUILD" && pwd)/saasd
fi
command -v wrk >/dev/null 2>&1 || { echo "token bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-token-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
SRV_PID=""
source "$ROOT/bench/common.sh"

cleanup() {
	[ -n "$SRV_PID" ] && stop_pid "$SRV_PID"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "token bench: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

echo "token bench: $BIN; $NCPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average $(cut -d' ' -f1-3 /proc/loadavg)"

dir="$work/server"
mkdir -p "$dir"
SRV_PORT=$($TOOL free-port)
admin="adm_bench_$RANDOM$RANDOM"
( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
	DATABASE_URL="sqlite:$dir/saasd.db" HOST=127.0.0.1 PORT="$SRV_PORT" ADMIN_TOKEN="$admin" \
	JWT_SECRET="bench-secret-$RANDOM$RANDOM" ENVIRONMENT=development EMAIL_PROVIDER=log \
	BCRYPT_WORK_FACTOR=4 RATE_LIMIT_PER_MINUTE=100000000 "$BIN" serve ) \
	>"$dir/stdout.log" 2>"$dir/stderr.log" &
SRV_PID=$!
$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30 || { tail -n 20 "$dir/stdout.log" "$dir/stderr.log"; exit 1; }
export AUTH_KEY
AUTH_KEY=$($TOOL create-tenant "$SRV_PORT" "$admin" "Token Bench")
# a user with a session, and an organization it owns
read -r AUTH_SESSION ORG_ID < <(python3 - "$SRV_PORT" "$AUTH_KEY" <<'PY'
import http.client, json, random, sys
port, key = sys.argv[1:]
def call(method, path, body=None, session=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    if session:
        h["X-Session-Token"] = session
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data
email = "bench.%d@example.com" % random.randrange(10**9)
st, data = call("POST", "/auth/register", {"email": email, "password": "bench-password-1"})
if st != 201:
    sys.exit("POST /auth/register answered %d: %r" % (st, data[:300]))
token = json.loads(data)["session"]["token"]
st, data = call("POST", "/organizations", {"name": "Bench Org"}, session=token)
if st != 201:
    sys.exit("POST /organizations answered %d: %r" % (st, data[:300]))
org = json.loads(data)["id"]
for body in ({}, {"organization_id": org}):
    st, data = call("POST", "/auth/token", body, session=token)
    if st != 200:
        sys.exit("POST /auth/token answered %d: %r" % (st, data[:300]))
print(token, org)
PY
)
export AUTH_SESSION
echo "token bench: saasd pid $SRV_PID on port $SRV_PORT (THREADS default = $NCPU), work $work"
URL="http://127.0.0.1:$SRV_PORT"
LUA="$ROOT/bench/auth_token.lua"

# run_wrk CONFIG CONNS: one measured wrk run of POST /auth/token with
# TOKEN_BODY; records rps, p50, p99, saasd CPU us/request
run_wrk() {
	local config=$1 conns=$2 out line srv0 srv1 b0 b1 bad us
	out="$work/wrk-${config// /_}-$RANDOM.txt"
	srv0=$(pid_cpu "$SRV_PID") b0=$(cpu_busy)
	wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s --latency -s "$LUA" "$URL/auth/token" >"$out"
	srv1=$(pid_cpu "$SRV_PID") b1=$(cpu_busy)
	line=$(grep '^BENCH ' "$out") || { cat "$out"; echo "token bench: wrk gave no result" >&2; exit 1; }
	bad=$(bad_count "$line")
	us=$(awk -v s="$((srv1 - srv0))" -v n="$(field "$line" requests)" 'BEGIN { printf "%.1f", n ? s * 10000 / n : 0 }')
	printf 'token bench: %-22s %9s req/s  p50 %7s ms  p99 %8s ms  saasd %7s us/req  machine busy %s cores  (failed %d)\n' \
		"$config" "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$us" \
		"$(awk -v b="$((b1 - b0))" -v d="$DURATION" 'BEGIN { printf "%.2f", b / 100 / d }')" "$bad"
	if [ "$bad" -gt 0 ]; then
		echo "token bench: WARNING: $bad failed requests; run not recorded" >&2
		grep -E 'Non-2xx|Socket errors' "$out" >&2 || true
		return 0
	fi
	record "$config" rps "$(field "$line" rps)"
	record "$config" p50_ms "$(field "$line" p50_ms)"
	record "$config" p99_ms "$(field "$line" p99_ms)"
	record "$config" saasd_us_req "$us"
	: >"$dir/stderr.log" # the request log: keep it from filling the disk
}

for i in $(seq "$RUNS"); do
	for kind in session org; do
		if [ "$kind" = org ]; then export TOKEN_BODY="{\"organization_id\":\"$ORG_ID\"}"; else export TOKEN_BODY="{}"; fi
		for c in $CONNS; do
			wait_idle
			record "$kind c$c" bg "$IDLE_NOTE"
			wrk -t"$THREADS" -c"$c" -d"${WARMUP}s" -s "$LUA" "$URL/auth/token" >/dev/null
			run_wrk "$kind c$c" "$c"
		done
	done
done

echo
echo "POST /auth/token, $(date -u '+%Y-%m-%d %H:%M UTC'), $NCPU cores, $("$BIN" version 2>/dev/null || echo saasd), SQLite; medians of $RUNS runs; wrk -t$THREADS -d${DURATION}s on the same cores"
python3 - "$results" <<'PY' | tee "$work/summary.txt"
import statistics, sys
rows, bg, order = {}, {}, []
for line in open(sys.argv[1]):
    c, m, v = line.rstrip("\n").split("\t")
    if c not in order:
        order.append(c)
    if m == "bg":
        bg.setdefault(c, []).append(v)
    else:
        rows.setdefault((c, m), []).append(float(v))
med = lambda c, m: statistics.median(rows[(c, m)]) if rows.get((c, m)) else float("nan")
runs = lambda c, m: " / ".join("%.0f" % v for v in rows.get((c, m), []))
print("| body, connections | tokens/s (median) | p50 ms | p99 ms | saasd CPU/token | runs: tokens/s |")
print("|---|---:|---:|---:|---:|---|")
for c in order:
    print("| %s | %.0f | %.2f | %.2f | %.0f us | %s |" % (c, med(c, "rps"), med(c, "p50_ms"),
          med(c, "p99_ms"), med(c, "saasd_us_req"), runs(c, "rps")))
best = max((med(c, "rps") for c in order), default=0)
print()
print("POST /auth/token: best median %.0f tokens/s: %s (goal >= 20 000/s)" % (best, "met" if best >= 20000 else "MISSED"))
for c, notes in bg.items():
    for n in notes:
        print("background before %s: %s" % (c, n))
PY
