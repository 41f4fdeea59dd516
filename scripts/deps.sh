#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need, if any
# is missing. Idempotent and quick when everything is there.
# `scripts/deps.sh bench` adds what only the benchmarks use (make bench):
# collectd to compare against, and the profilers.
set -eu

PKGS="build-essential pkg-config libmodbus-dev libpaho-mqtt-dev libconfig-dev libjansson-dev
libcmocka-dev libcurl4-openssl-dev zlib1g-dev libmicrohttpd-dev mosquitto mosquitto-clients
influxdb influxdb-client jq socat python3-pymodbus procps libsqlite3-dev sqlite3 python3-pyftpdlib
faketime
clang libclang-rt-14-dev
libsodium-dev openssl chromium chromium-driver
qemu-user debootstrap lintian fakeroot dpkg-dev crossbuild-essential-arm64 crossbuild-essential-armhf
curl systemd"
if [ "${1:-}" = bench ]; then
	PKGS="$PKGS collectd-core hyperfine valgrind gdb linux-perf"
fi

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
		echo "deps: not root and no sudo; install as root: apt-get install$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list finds nothing: refresh it once if needed.
if ! $SUDO apt-get install -y -q $missing >/dev/null 2>&1; then
	# A mirror caught mid-sync fails one index now and then (seen: armhf
	# security); what the install needs is usually there anyway.
	$SUDO apt-get update -q >/dev/null || echo "deps: apt-get update reported errors; trying the install anyway" >&2
	$SUDO apt-get install -y -q $missing >/dev/null
fi
# The mosquitto package starts a system broker on port 1883; the tests and the
# demo run their own on free ports and do not need it.
echo "deps: done" >&2
