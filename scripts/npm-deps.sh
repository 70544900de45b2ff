#!/bin/sh
# npm-deps.sh DIR...: install each npm project (a package.json with its
# package-lock.json) with `npm ci`, exactly as the lockfile pins it, unless
# DIR/node_modules already matches the lockfile. Safe against concurrent
# runs (flock). make test calls it for tests/node (the packages the tests
# check saasd's output with).
set -eu
command -v npm >/dev/null 2>&1 || { echo "npm-deps: npm is not installed" >&2; exit 1; }
for dir in "$@"; do
	[ -f "$dir/package-lock.json" ] || { echo "npm-deps: $dir has no package-lock.json" >&2; exit 1; }
	stamp="$dir/node_modules/.package-lock.json"
	(
		flock 9
		# npm writes node_modules/.package-lock.json on install: newer than
		# the lockfile means this lockfile is what is installed
		if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
			echo "npm-deps: npm ci in $dir"
			npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
		fi
	) 9>"$dir/.npm-deps.lock"
done
