#!/bin/bash
# accept.sh: what saasd's own accept thread (src/http/listener.c, which hands
# connections to MHD) costs against MHD accepting by itself. Compares two
# saasd binaries on GET /health (SQLite), alternating A and B run by run:
#   keep-alive   wrk's default: one connection serves many requests
#   new conn     every request on a new connection (Connection: close), the
#                worst case for the accept path
# Prints req/s and p99 per run and the medians (results in bench/README.md).
#
#   bench/accept.sh OLD_SAASD NEW_SAASD
#
# Knobs: BENCH_RUNS (3), BENCH_DURATION (8), BENCH_CONNECTIONS (32),
# BENCH_THREADS (2), BENCH_QUIET_WAIT (60; see common.sh), BENCH_KEEP.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: bench/accept.sh OLD_SAASD NEW_SAASD" >&2; exit 2; }
BIN_A=$(realpath "$1")
BIN_B=$(realpath "$2")
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
export BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
TOOL="python3 $ROOT/bench/tool.py"
LUA="$ROOT/bench/report.lua"
command -v wrk >/dev/null 2>&1 || { echo "accept bench: wrk is not installed" >&2; exit 1; }

work=$(mktemp -d /tmp/saasd-bench-accept.XXXXXX)
PIDS=()
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
cleanup() {
	local pid
	for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "accept bench: kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start BIN NAME: sets SRV_PID SRV_PORT
start() {
	local dir="$work/$2"
	mkdir -p "$dir"
	SRV_PORT=$($TOOL free-port)
	( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
		DATABASE_URL="sqlite:$dir/saasd.db" HOST=127.0.0.1 PORT="$SRV_PORT" \
		ADMIN_TOKEN="adm_bench_$RANDOM$RANDOM" JWT_SECRET="bench-$RANDOM$RANDOM" \
		ENVIRONMENT=development EMAIL_PROVIDER=log "$1" serve ) >"$dir/out.log" 2>/dev/null &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30
}

results="$work/results.tsv"
for i in $(seq "$RUNS"); do
	for side in A B; do
		bin=$BIN_A; [ $side = B ] && bin=$BIN_B
		start "$bin" "$side-$i"
		for mode in keepalive newconn; do
			hdr=(); [ $mode = newconn ] && hdr=(-H "Connection: close")
			wait_idle >/dev/null
			wrk -t"$THREADS" -c"$CONNS" -d2s "${hdr[@]}" "http://127.0.0.1:$SRV_PORT/health" >/dev/null
			line=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "${hdr[@]}" -s "$LUA" \
				"http://127.0.0.1:$SRV_PORT/health" | grep '^BENCH' || true)
			rps=$(field "$line" rps); p99=$(field "$line" p99_ms)
			printf '%s\t%s\t%s\t%s\t%s\n' "$side" "$mode" "$rps" "$p99" "$(field "$line" err_connect)" >>"$results"
			echo "run $i $side $mode: $rps req/s, p99 $p99 ms"
		done
		stop_pid "$SRV_PID"
	done
done
echo
python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for mode in ("keepalive", "newconn"):
    med = {}
    for side in ("A", "B"):
        rs = [float(r[2]) for r in rows if r[0] == side and r[1] == mode and r[2]]
        ps = [float(r[3]) for r in rows if r[0] == side and r[1] == mode and r[3]]
        med[side] = (statistics.median(rs), statistics.median(ps))
    print("%-9s A %8.0f req/s p99 %5.2f ms | B %8.0f req/s p99 %5.2f ms | B/A %.2f"
          % (mode, med["A"][0], med["A"][1], med["B"][0], med["B"][1], med["B"][0] / med["A"][0]))
EOF
