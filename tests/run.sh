#!/bin/bash
# run.sh BUILD_DIR: every test suite against one build: unit tests, store
# tests on SQLite and PostgreSQL, end-to-end tests on SQLite and PostgreSQL.
# Starts (and always stops) a private PostgreSQL server.
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=$(cd "$BUILD" && pwd)

work=$(mktemp -d /tmp/saasd-test.XXXXXX)
chmod 755 "$work" # the PostgreSQL server runs as user postgres and needs to enter it
pgdir="$work/pg"
cleanup() { scripts/pg-test.sh stop "$pgdir"; rm -rf "$work"; }
trap cleanup EXIT INT TERM

port=$(scripts/pg-test.sh start "$pgdir") || { echo "could not start PostgreSQL"; exit 1; }
export SAASD_PG_PORT=$port SAASD_BIN="$BUILD/saasd"
pg() { psql -h 127.0.0.1 -p "$port" -U postgres -q "$@"; }

failed=()
section() { printf '\n== %s\n' "$1"; }
run() { local name=$1; shift; "$@" || failed+=("$name"); }

section "unit tests ($BUILD)"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done

section "store tests: sqlite"
run "store[sqlite]" env DATABASE_URL="sqlite:$work/store.db" "$BUILD/tests/store_test"
section "store tests: postgres"
pg -c "CREATE DATABASE store_test" && \
	run "store[postgres]" env DATABASE_URL="postgres://postgres@127.0.0.1:$port/store_test" \
	"$BUILD/tests/store_test"

# the npm packages the tests check saasd's output with (standardwebhooks,
# jose, puppeteer-core), pinned by tests/node/package-lock.json
section "npm: tests/node"
run "npm[tests/node]" scripts/npm-deps.sh tests/node

# @saasd/sdk (sdk/js, pinned by its package-lock.json): its own unit tests
# (node --test after an esbuild+tsc build into sdk/js/dist); the workerd
# end-to-end test (tests/e2e/test_sdk_workerd.py) runs with the e2e suites
section "sdk/js: npm and unit tests"
run "npm[sdk/js]" scripts/npm-deps.sh sdk/js
run "sdk[unit]" npm test --prefix sdk/js --silent

for backend in sqlite postgres; do
	section "end-to-end tests: $backend"
	run "e2e[$backend]" env SAASD_TEST_BACKEND=$backend python3 tests/e2e/run.py
done

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all tests passed ($BUILD)"
