# common.sh: shell helpers shared by bench/auth.sh and bench/ratelimit.sh
# (sourced; same conventions as run.sh). Needs $work and $TOOL set.

# stop_pid PID: SIGTERM, wait up to 15 s, then SIGKILL (only our own PIDs)
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { echo "bench: pid $pid ignored SIGTERM, killing it" >&2; kill -KILL "$pid"; }
	wait "$pid" 2>/dev/null || true
}

# busy jiffies of the whole machine, and of one process (user + system)
cpu_busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
pid_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# field LINE NAME: the value of NAME=... in a BENCH line (report.lua)
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# bad LINE: failed requests (non-2xx and socket errors) in a BENCH line
bad_count() {
	local n=0 f
	for f in non2xx err_connect err_read err_write err_timeout; do
		n=$((n + $(field "$1" "$f")))
	done
	echo "$n"
}

# wait_idle: before a measured run, wait up to BENCH_QUIET_WAIT seconds
# (default 180) until no other wrk runs on this machine (other engineers'
# benchmarks) and one second passes in which the rest of the machine uses
# < 0.25 core; during the first half of the wait the 1-minute load average
# must also be below 2. After the limit it measures
# anyway. Sets IDLE_NOTE to what it saw (for the results).
wait_idle() {
	local limit=${BENCH_QUIET_WAIT:-180} waited=0 b0 b1 load wrks
	while :; do
		wrks=$( { pgrep -x wrk || true; } | wc -l)
		load=$(cut -d' ' -f1 /proc/loadavg)
		b0=$(cpu_busy); sleep 1; b1=$(cpu_busy)
		waited=$((waited + 1))
		# the load average of a shared machine may stay high with little
		# CPU use (blocked tasks count): after half the limit, a quiet
		# second without another wrk is enough
		if [ "$wrks" -eq 0 ] && [ $((b1 - b0)) -lt 25 ] &&
			{ awk -v l="$load" 'BEGIN { exit !(l < 2) }' || [ "$waited" -ge $((limit / 2)) ]; }; then
			break
		fi
		if [ "$waited" -ge "$limit" ]; then
			echo "bench: machine not idle after ${limit}s (other wrk: $wrks, load $load, $((b1 - b0))% of a core busy); measuring anyway" >&2
			break
		fi
	done
	IDLE_NOTE="waited ${waited}s; other wrk $wrks; load1 $load; busy $((b1 - b0))% of a core in the last second"
	echo "bench: background: $IDLE_NOTE"
}
