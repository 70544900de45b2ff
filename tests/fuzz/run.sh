#!/bin/bash
# run.sh BUILD_DIR SECONDS: run every libFuzzer target in BUILD_DIR/fuzz for
# SECONDS each, starting from a temporary copy of tests/fuzz/corpus/<name>
# so the repository's seed corpus is never modified. A crash, leak or
# sanitizer report fails the run; the input is kept as
# BUILD_DIR/fuzz/artifacts/<name>-crash-* (or leak-*, timeout-*).
set -uo pipefail
BUILD=${1:-build/fuzz}
SECONDS_EACH=${2:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
mkdir -p "$BUILD/fuzz/artifacts"

work=$(mktemp -d /tmp/saasd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

# request bodies go up to 64 KiB; paths and permission lists are short
max_len() {
	case "$1" in
	fuzz_json_body) echo 70000 ;;
	*) echo 4096 ;;
	esac
}

failed=()
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="$work/${name#fuzz_}"
	mkdir -p "$corpus"
	cp -r tests/fuzz/corpus/"${name#fuzz_}"/. "$corpus"/ 2>/dev/null
	printf '\n== %s (%ss)\n' "$name" "$SECONDS_EACH"
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$name")" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/artifacts/$name-" \
		"${dict[@]}" "$corpus" 2>"$work/$name.log"
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|INFO: seed corpus|Done)' \
		"$work/$name.log"
	if [ $rc -ne 0 ]; then
		tail -n 60 "$work/$name.log"
		failed+=("$name")
	fi
done

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "FUZZ FAILED: ${failed[*]}"
	exit 1
fi
echo "fuzz: all targets ran ${SECONDS_EACH}s without a finding"
