#!/bin/sh
# pg-test.sh start DIR | stop DIR: a private, throwaway PostgreSQL server for
# the tests: its own data directory and socket under DIR, a free loopback
# port (printed by start and kept in DIR/port), trust auth for user postgres,
# durability off for speed. Runs the server as user postgres when invoked as
# root (PostgreSQL refuses to run as root).
set -eu
cmd=${1:?usage: pg-test.sh start|stop DIR}
dir=${2:?usage: pg-test.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg-test: PostgreSQL server binaries not found" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case $cmd in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	port=$(free_port)
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
		    -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
		start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	echo "$port" >"$dir/port"
	echo "$port"
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: pg-test.sh start|stop DIR" >&2
	exit 2
	;;
esac
