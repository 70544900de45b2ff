#!/bin/sh
# deps.sh: install the Debian packages saasd builds, tests and benchmarks
# with, but only those missing (a no-op on a prepared machine). Needs root
# (or sudo) the first time on a fresh machine.
set -eu
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
postgresql libsodium-dev libcrypt-dev libcurl4-openssl-dev libhiredis-dev redis-server
python3 python3-yaml wrk clang libclang-rt-14-dev libunistring-dev clang-format jq chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
