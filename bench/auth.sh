#!/bin/bash
# auth.sh: authentication benchmarks, in one run (results in bench/README.md,
# "Authentication"):
#   1. the bcrypt time at BCRYPT_COST (10) on this machine (bench/bcrypt_time.c,
#      libxcrypt, median of 20) -> what the two cores can hash: NCPU / t_bcrypt
#   2. GET /auth/session (API key + X-Session-Token), wrk -c64, unloaded
#   3. POST /auth/login at BCRYPT_WORK_FACTOR=10 (an existing user), wrk -c16,
#      and its ratio to NCPU / t_bcrypt
#   4. the storm: a login wrk (-c32) saturates the hashing pool while a second
#      wrk measures GET /auth/session (-c64) for the same duration; the ratio
#      to the unloaded number of step 2
# wrk, bcrypt and saasd all share this machine's cores.
#
#   BUILD=build/bench2 bench/auth.sh
#
# Knobs: BENCH_RUNS (2; medians), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_THREADS (2 wrk threads), BENCH_QUIET_WAIT (180: seconds to wait before
# each measured run for no other wrk, load average < 2 and a quiet second),
# BCRYPT_COST (10), BENCH_KEEP (1 keeps the work directory).
#
# saasd runs on a fresh SQLite database in a temp directory (stdout/stderr to
# files), RATE_LIMIT_PER_MINUTE=100000000, stopped by PID at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-2}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=${BENCH_THREADS:-2}
COST=${BCRYPT_COST:-10}
NCPU=$(nproc)
TOOL="python3 $ROOT/bench/tool.py"
export BENCH_REPORT_LUA="$ROOT/bench/report.lua"

if [ ! -x "$BUILD/saasd" ]; then
	echo "auth bench: $BUILD/saasd missing, building it"
	make BUILD="$BUILD" all
fi
BIN=$(cd "$BUILD" && pwd)/saasd
command -v wrk >/dev/null 2>&1 || { echo "auth bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-auth-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
SRV_PID=""
STORM_PID=""
source "$ROOT/bench/common.sh"

cleanup() {
	[ -n "$STORM_PID" ] && { kill -TERM "$STORM_PID" 2>/dev/null || true; wait "$STORM_PID" 2>/dev/null || true; }
	[ -n "$SRV_PID" ] && stop_pid "$SRV_PID"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "auth bench: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

echo "auth bench: $BIN; $NCPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. bcrypt time
cc -O2 -o "$work/bcrypt_time" "$ROOT/bench/bcrypt_time.c" -lcrypt
for i in $(seq "$RUNS"); do
	wait_idle
	line=$("$work/bcrypt_time" "$COST" 20)
	echo "auth bench: $line"
	record bcrypt ms "$(field "$line" median_ms)"
	record bcrypt bg "$IDLE_NOTE"
done

# the server: cost COST, a tenant, one user with a session
dir="$work/server"
mkdir -p "$dir"
SRV_PORT=$($TOOL free-port)
admin="adm_bench_$RANDOM$RANDOM"
( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
	DATABASE_URL="sqlite:$dir/saasd.db" HOST=127.0.0.1 PORT="$SRV_PORT" ADMIN_TOKEN="$admin" \
	JWT_SECRET="bench-secret-$RANDOM$RANDOM" ENVIRONMENT=development EMAIL_PROVIDER=log \
	BCRYPT_WORK_FACTOR="$COST" RATE_LIMIT_PER_MINUTE=100000000 "$BIN" serve ) \
	>"$dir/stdout.log" 2>"$dir/stderr.log" &
SRV_PID=$!
$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30 || { tail -n 20 "$dir/stdout.log" "$dir/stderr.log"; exit 1; }
export AUTH_KEY
AUTH_KEY=$($TOOL create-tenant "$SRV_PORT" "$admin" "Auth Bench")
export AUTH_EMAIL="bench.user.$RANDOM@example.com" AUTH_PASSWORD="bench-password-$RANDOM"
export AUTH_SESSION
AUTH_SESSION=$(python3 - "$SRV_PORT" "$AUTH_KEY" "$AUTH_EMAIL" "$AUTH_PASSWORD" <<'PY'
import http.client, json, sys
port, key, email, pw = sys.argv[1:]
def call(method, path, body=None, session=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    if session:
        h["X-Session-Token"] = session
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data
st, data = call("POST", "/auth/register", {"email": email, "password": pw})
if st != 201:
    sys.exit("POST /auth/register answered %d: %r" % (st, data[:300]))
st, data = call("POST", "/auth/login", {"email": email, "password": pw})
if st != 200:
    sys.exit("POST /auth/login answered %d: %r" % (st, data[:300]))
token = json.loads(data)["session"]["token"]
st, data = call("GET", "/auth/session", session=token)
if st != 200:
    sys.exit("GET /auth/session answered %d: %r" % (st, data[:300]))
print(token)
PY
)
echo "auth bench: saasd pid $SRV_PID on port $SRV_PORT (BCRYPT_WORK_FACTOR=$COST, THREADS default = $NCPU), work $work"
URL="http://127.0.0.1:$SRV_PORT"

# run_wrk CONFIG CONNS SCRIPT PATH: one measured wrk run; records rps, p50,
# p99, saasd CPU us/request; prints the line. Sets LAST_RPS.
run_wrk() {
	local config=$1 conns=$2 script=$3 path=$4 out line srv0 srv1 b0 b1 bad us
	out="$work/wrk-${config// /_}-$RANDOM.txt"
	srv0=$(pid_cpu "$SRV_PID") b0=$(cpu_busy)
	wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s --latency -s "$script" "$URL$path" >"$out"
	srv1=$(pid_cpu "$SRV_PID") b1=$(cpu_busy)
	line=$(grep '^BENCH ' "$out") || { cat "$out"; echo "auth bench: wrk gave no result" >&2; exit 1; }
	bad=$(bad_count "$line")
	us=$(awk -v s="$((srv1 - srv0))" -v n="$(field "$line" requests)" 'BEGIN { printf "%.1f", n ? s * 10000 / n : 0 }')
	printf 'auth bench: %-22s %9s req/s  p50 %7s ms  p99 %8s ms  saasd %7s us/req  machine busy %s cores  (failed %d)\n' \
		"$config" "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$us" \
		"$(awk -v b="$((b1 - b0))" -v d="$DURATION" 'BEGIN { printf "%.2f", b / 100 / d }')" "$bad"
	LAST_RPS=$(field "$line" rps)
	if [ "$bad" -gt 0 ]; then
		echo "auth bench: WARNING: $bad failed requests; run not recorded" >&2
		grep -E 'Non-2xx|Socket errors' "$out" >&2 || true
		return 0
	fi
	record "$config" rps "$(field "$line" rps)"
	record "$config" p50_ms "$(field "$line" p50_ms)"
	record "$config" p99_ms "$(field "$line" p99_ms)"
	record "$config" saasd_us_req "$us"
	: >"$dir/stderr.log" # the request log: keep it from filling the disk
}

S_LUA="$ROOT/bench/auth_session.lua"
L_LUA="$ROOT/bench/auth_login.lua"
for i in $(seq "$RUNS"); do
	# 2. session, unloaded
	wait_idle
	record "session" bg "$IDLE_NOTE"
	wrk -t"$THREADS" -c64 -d"${WARMUP}s" -s "$S_LUA" "$URL/auth/session" >/dev/null
	run_wrk "session" 64 "$S_LUA" /auth/session

	# 3. login throughput
	wait_idle
	record "login" bg "$IDLE_NOTE"
	wrk -t"$THREADS" -c16 --timeout 10s -d"${WARMUP}s" -s "$L_LUA" "$URL/auth/login" >/dev/null
	run_wrk "login" 16 "$L_LUA" /auth/login

	# 4. the storm: login -c32 for warm-up + duration + 1 s; session measured
	# for DURATION s once the pool is saturated
	wait_idle
	record "storm" bg "$IDLE_NOTE"
	wrk -t1 -c32 --timeout 10s -d"$((WARMUP + DURATION + 1))s" -s "$L_LUA" "$URL/auth/login" >"$work/storm-login-$i.txt" &
	STORM_PID=$!
	sleep "$WARMUP"
	run_wrk "session under storm" 64 "$S_LUA" /auth/session
	wait "$STORM_PID" || true
	STORM_PID=""
	line=$(grep '^BENCH ' "$work/storm-login-$i.txt") || { cat "$work/storm-login-$i.txt"; exit 1; }
	echo "auth bench: storm logins (over $((WARMUP + DURATION + 1)) s): $(field "$line" rps) req/s p50 $(field "$line" p50_ms) ms p99 $(field "$line" p99_ms) ms (failed $(bad_count "$line"))"
	record "storm logins" rps "$(field "$line" rps)"
	record "storm logins" p99_ms "$(field "$line" p99_ms)"
done

echo
echo "authentication, $(date -u '+%Y-%m-%d %H:%M UTC'), $NCPU cores, $("$BIN" version 2>/dev/null || echo saasd), BCRYPT_WORK_FACTOR=$COST; medians of $RUNS runs; wrk -t$THREADS -d${DURATION}s on the same cores"
python3 - "$results" "$NCPU" <<'PY' | tee "$work/summary.txt"
import statistics, sys
rows = {}
bg = {}
for line in open(sys.argv[1]):
    c, m, v = line.rstrip("\n").split("\t")
    if m == "bg":
        bg.setdefault(c, []).append(v)
    else:
        rows.setdefault((c, m), []).append(float(v))
ncpu = int(sys.argv[2])
med = lambda c, m: statistics.median(rows[(c, m)]) if rows.get((c, m)) else float("nan")
runs = lambda c, m: " / ".join("%.1f" % v for v in rows.get((c, m), []))
t = med("bcrypt", "ms")
cap = ncpu * 1000.0 / t
print("bcrypt cost: %.1f ms median (runs %s) -> %d cores can hash %.1f/s" % (t, runs("bcrypt", "ms"), ncpu, cap))
print("| measurement | req/s (median) | p50 ms | p99 ms | saasd CPU/req | runs: req/s |")
print("|---|---:|---:|---:|---:|---|")
for c in ("session", "login", "session under storm", "storm logins"):
    print("| %s | %.0f | %s | %.2f | %s | %s |" % (c, med(c, "rps"),
          "%.2f" % med(c, "p50_ms") if rows.get((c, "p50_ms")) else "-", med(c, "p99_ms"),
          "%.0f us" % med(c, "saasd_us_req") if rows.get((c, "saasd_us_req")) else "-", runs(c, "rps")))
s, l, ss = med("session", "rps"), med("login", "rps"), med("session under storm", "rps")
p99 = med("session", "p99_ms")
print()
print("session: %.0f req/s, p99 %.2f ms: %s (target >= 30 000 req/s, p99 <= 10 ms)" %
      (s, p99, "met" if s >= 30000 and p99 <= 10 else "MISSED"))
print("login: %.1f req/s = %.0f %% of %d / t_bcrypt = %.1f/s: %s (target >= 90 %%)" %
      (l, 100 * l / cap, ncpu, cap, "met" if l >= 0.9 * cap else "MISSED"))
print("storm: session %.0f req/s under the login storm = %.0f %% of unloaded %.0f: %s (target >= 40 %%)" %
      (ss, 100 * ss / s, s, "met" if ss >= 0.4 * s else "MISSED"))
print("storm logins: %.1f req/s = %.0f %% of %.1f/s" % (med("storm logins", "rps"), 100 * med("storm logins", "rps") / cap, cap))
for c, notes in bg.items():
    for n in notes:
        print("background before %s: %s" % (c, n))
PY
