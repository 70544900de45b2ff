#!/bin/bash
# run.sh: saasd benchmarks (see bench/README.md). Needs only Debian packages
# (wrk, postgresql for the PostgreSQL part) and python3's standard library.
#
#   bench/run.sh                  uses build/saasd (runs `make all` if missing)
#   BUILD=build/bench bench/run.sh
#
# Knobs (environment): BENCH_RUNS (3 measured runs per benchmark; the table
# shows the median), BENCH_DURATION (10 s), BENCH_WARMUP (2 s before each
# run), BENCH_CONNECTIONS (64), BENCH_THREADS (2 wrk threads), BENCH_STARTS
# (10 timed starts), BENCH_PG (1; 0 skips PostgreSQL), BENCH_KEEP (1 keeps the
# work directory with the logs and raw wrk output), BENCH_QUIET_WAIT (0; S > 0
# waits up to S seconds before each run for the rest of the machine to idle).
#
# Everything runs on loopback. Every process it starts (saasd, the private
# PostgreSQL server) is stopped by PID on exit, also on Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
STARTS=${BENCH_STARTS:-10}
WITH_PG=${BENCH_PG:-1}
TOOL="python3 $ROOT/bench/tool.py"
LUA="$ROOT/bench/report.lua"

if [ ! -x "$BUILD/saasd" ]; then
	echo "bench: $BUILD/saasd missing, building it"
	make BUILD="$BUILD" all
fi
BIN=$(cd "$BUILD" && pwd)/saasd

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: installing wrk"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk ||
		{ DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq &&
		  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk; }
fi

work=$(mktemp -d /tmp/saasd-bench.XXXXXX)
results="$work/results.tsv"
: >"$results"
PIDS=()      # saasd processes we started and have not stopped yet
PGDIR=""     # the private PostgreSQL server, when started
# stop_pid, cpu_busy, pid_cpu, field
source "$ROOT/bench/common.sh"


cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	PIDS=()
	if [ -n "$PGDIR" ]; then
		"$ROOT/scripts/pg-test.sh" stop "$PGDIR" || true
		PGDIR=""
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# busy jiffies of the whole machine (user nice system irq softirq steal), and of one process
# jiffies of the private PostgreSQL server: the postmaster and its children
# (backends, walwriter...); 0 when none runs. Backends that exited during a
# run are not counted, but saasd keeps its pooled connections open.
PG_PID=""
pg_cpu() {
	local t=0 p v
	[ -n "$PG_PID" ] || { echo 0; return; }
	for p in $PG_PID $(ps --ppid "$PG_PID" -o pid= 2>/dev/null); do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
TIMEFORMAT='%3U %3S' # bash's time keyword: wrk's user and system CPU seconds

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }
rss_kib() { awk "/^$2:/{print \$2}" "/proc/$1/status"; }

# start_server NAME DATABASE_URL LOG(file|null): sets SRV_PID SRV_PORT SRV_KEY SRV_LOG.
# A clean environment (env -i) and a working directory of its own, so no .env
# file or stray DATABASE_URL/THREADS of the caller changes what is measured.
start_server() {
	local name=$1 url=$2 log=$3
	local dir="$work/$name"
	mkdir -p "$dir"
	SRV_PORT=$($TOOL free-port)
	SRV_LOG="$dir/stderr.log"
	[ "$log" = null ] && SRV_LOG=/dev/null
	local admin="adm_bench_$RANDOM$RANDOM"
	# RATE_LIMIT_PER_MINUTE at its maximum: the benchmark measures serving, not refusing
	( cd "$dir" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
		DATABASE_URL="$url" HOST=127.0.0.1 PORT="$SRV_PORT" ADMIN_TOKEN="$admin" \
		JWT_SECRET="bench-secret-$RANDOM$RANDOM" ENVIRONMENT=development EMAIL_PROVIDER=log \
		RATE_LIMIT_PER_MINUTE=100000000 "$BIN" serve ) >"$dir/stdout.log" 2>>"$SRV_LOG" &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	$TOOL wait-healthy "$SRV_PORT" "$SRV_PID" 30 || { tail -n 20 "$dir/stdout.log" "$dir/stderr.log" 2>/dev/null; exit 1; }
	SRV_KEY=$($TOOL create-tenant "$SRV_PORT" "$admin" "Bench Co")
	$TOOL expect "$SRV_PORT" /tenant 200 "$SRV_KEY"
	echo "bench: $name: saasd pid $SRV_PID on port $SRV_PORT, stderr > $SRV_LOG"
}

stop_server() {
	stop_pid "$SRV_PID"
	local keep=() pid
	for pid in "${PIDS[@]}"; do
		[ "$pid" != "$SRV_PID" ] && keep+=("$pid")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# field LINE NAME: the value of NAME=... in a BENCH line

# wait_quiet: with BENCH_QUIET_WAIT=S, wait up to S seconds for a second in
# which this machine's other processes use less than 0.25 of a core (saasd is
# idle then), so a shared machine's bursts stay out of the measurement.
wait_quiet() {
	local limit=${BENCH_QUIET_WAIT:-0} waited=0 b0 b1
	[ "$limit" -gt 0 ] || return 0
	while [ "$waited" -lt "$limit" ]; do
		b0=$(cpu_busy); sleep 1; b1=$(cpu_busy)
		[ $((b1 - b0)) -lt 25 ] && return 0
		waited=$((waited + 1))
	done
	echo "bench: machine still busy after ${limit}s ($((b1 - b0))% of a core in the last second); measuring anyway" >&2
}

# measure CONFIG PATH [KEY]: RUNS times (warm-up, then a measured run)
measure() {
	local config=$1 path=$2 key=${3:-} i out line hdr=()
	[ -n "$key" ] && hdr=(-H "Authorization: Bearer $key")
	for i in $(seq "$RUNS"); do
		wait_quiet
		wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "http://127.0.0.1:$SRV_PORT$path" >/dev/null
		out="$work/wrk-${config// /_}-$i.txt"
		out=${out//>/to}
		local busy0 srv0 pg0 busy1 srv1 pg1 wrkcpu srv_us pg_us other
		busy0=$(cpu_busy) srv0=$(pid_cpu "$SRV_PID") pg0=$(pg_cpu)
		{ time wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$LUA" "${hdr[@]}" \
			"http://127.0.0.1:$SRV_PORT$path" >"$out"; } 2>"$out.time"
		busy1=$(cpu_busy) srv1=$(pid_cpu "$SRV_PID") pg1=$(pg_cpu)
		line=$(grep '^BENCH ' "$out") || { cat "$out"; echo "bench: wrk gave no result" >&2; exit 1; }
		wrkcpu=$(tail -n 1 "$out.time")
		# CPU accounting (jiffies of 10 ms): saasd's (and PostgreSQL's) CPU per
		# request, and the cores that everything else but saasd, PostgreSQL and
		# wrk used meanwhile (noise from the rest of the machine)
		read -r srv_us pg_us other <<<"$(awk -v b="$((busy1 - busy0))" -v s="$((srv1 - srv0))" \
			-v p="$((pg1 - pg0))" -v w="$wrkcpu" -v d="$(field "$line" duration_s)" \
			-v n="$(field "$line" requests)" \
			'BEGIN { split(w, t, " "); o = (b - s - p - (t[1] + t[2]) * 100) / (100 * d);
			         if (o < 0) o = 0; printf "%.2f %.2f %.2f", s * 10000 / n, p * 10000 / n, o }')"
		local bad=0 f
		for f in non2xx err_connect err_read err_write err_timeout; do
			bad=$((bad + $(field "$line" "$f")))
		done
		local pgtext=""
		[ -n "$PG_PID" ] && pgtext="  postgres $pg_us us/req"
		printf 'bench: %-26s run %d: %9s req/s  p50 %6s ms  p99 %7s ms  saasd %5s us/req%s  other load %s cores  (failed: %d)\n' \
			"$config" "$i" "$(field "$line" rps)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)" \
			"$srv_us" "$pgtext" "$other" "$bad"
		if [ "$bad" -gt 0 ]; then
			echo "bench: WARNING: $bad failed requests in this run; it is not recorded" >&2
			grep -E 'Non-2xx|Socket errors' "$out" >&2 || true
			continue
		fi
		record "$config" rps "$(field "$line" rps)"
		record "$config" p50_ms "$(field "$line" p50_ms)"
		record "$config" p99_ms "$(field "$line" p99_ms)"
		record "$config" saasd_cpu_us_req "$srv_us"
		if [ -n "$PG_PID" ]; then record "$config" pg_cpu_us_req "$pg_us"; fi
		record "$config" other_load_cores "$other"
		# keep the request log from filling the disk between runs (opened O_APPEND)
		if [ "$SRV_LOG" != /dev/null ]; then : >"$SRV_LOG"; fi
	done
}

echo "bench: $BIN; $(nproc) cores; wrk -t$THREADS -c$CONNS -d${DURATION}s after ${WARMUP}s warm-up; $RUNS runs each"
echo "bench: note: wrk and saasd share this machine's cores"

# 1. start-up time, first on a quiet machine
for mode in fresh existing; do
	wait_quiet
	while read -r _ ms; do
		record "startup $mode db" startup_ms "${ms#ms=}"
	done < <($TOOL startup "$BIN" "$work/startup" "$mode" "$STARTS")
	echo "bench: startup ($mode db): $STARTS starts timed"
done

# 2. SQLite, request log to a file (the realistic set-up)
start_server "sqlite log>file" "sqlite:$work/sqlite-file.db" file
sleep 1
record "sqlite log>file" rss_idle_kib "$(rss_kib "$SRV_PID" VmRSS)"
measure "tenant sqlite log>file" /tenant "$SRV_KEY"
measure "health sqlite log>file" /health
sleep 2
record "sqlite log>file" rss_after_load_kib "$(rss_kib "$SRV_PID" VmRSS)"
record "sqlite log>file" rss_peak_kib "$(rss_kib "$SRV_PID" VmHWM)"
stop_server

# 3. SQLite, request log to /dev/null (what the log costs)
start_server "sqlite log>null" "sqlite:$work/sqlite-null.db" null
measure "tenant sqlite log>null" /tenant "$SRV_KEY"
measure "health sqlite log>null" /health
stop_server

# 4. PostgreSQL (a private server on this machine, stopped at the end)
if [ "$WITH_PG" = 1 ]; then
	PGDIR=$(mktemp -d /tmp/saasd-bench-pg.XXXXXX)
	chmod 755 "$PGDIR"
	pgport=$("$ROOT/scripts/pg-test.sh" start "$PGDIR")
	psql -h 127.0.0.1 -p "$pgport" -U postgres -q -c "CREATE DATABASE saasd_bench" >/dev/null
	PG_PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
	start_server "postgres log>file" "postgres://postgres@127.0.0.1:$pgport/saasd_bench" file
	sleep 1
	record "postgres log>file" rss_idle_kib "$(rss_kib "$SRV_PID" VmRSS)"
	measure "tenant postgres log>file" /tenant "$SRV_KEY"
	measure "health postgres log>file" /health
	sleep 2
	record "postgres log>file" rss_after_load_kib "$(rss_kib "$SRV_PID" VmRSS)"
	stop_server
	"$ROOT/scripts/pg-test.sh" stop "$PGDIR"
	PGDIR="" PG_PID=""
fi

echo
echo "saasd benchmark results, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(saasd_v=$("$BIN" version); echo "$saasd_v")"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s (after ${WARMUP}s warm-up); medians of $RUNS runs; startup: medians of $STARTS starts"
echo
$TOOL summary "$results" | tee "$work/summary.txt"
cp "$work/summary.txt" "$(dirname "$BIN")/bench-results.txt" 2>/dev/null || true
