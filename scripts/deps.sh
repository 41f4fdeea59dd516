#!/bin/sh
# Installs the Debian packages one purpose needs, if any is missing.
# Idempotent and quick when everything is there.
#
# usage: scripts/deps.sh [PURPOSE]         install (default: build)
#        scripts/deps.sh --list PURPOSE    print the packages, one a line
#
#   build  `make`: the compiler, pkg-config and the -dev libraries
#   demo   `make demo`: build, plus the broker, InfluxDB and their tools
#   deb    `make deb` and the ARM builds: cross compilers, packaging tools
#   bench  `make bench`: demo, plus collectd and Node.js (for Node-RED, which
#          bench/nodered/install.sh takes from the npm registry) to compare
#          against, the profilers and the test fixture's clients
#   check  `make check`: build, plus what the tests run; the tests also run
#          the demo and make the packages, so demo and deb too, and bench:
#          tests/integration/install_list.sh finds the package of each
#          command the benchmarks use among the installed ones
#
# tests/integration/install_list.sh reads every script and recipe, finds the
# commands and Python modules they use, and fails when one comes from a
# package its purpose's set neither lists nor pulls in: add a package to the
# set of the first purpose that needs it, one a line.
set -eu

BUILD_PKGS="
build-essential
pkg-config
libmodbus-dev
libpaho-mqtt-dev
libconfig-dev
libjansson-dev
libcurl4-openssl-dev
zlib1g-dev
libmicrohttpd-dev
libsqlite3-dev
libsodium-dev
libjs-dygraphs
"
DEMO_PKGS="
mosquitto
influxdb
curl
jq
python3-aiosmtpd
"
DEB_PKGS="
dpkg-dev
fakeroot
lintian
qemu-user
crossbuild-essential-arm64
crossbuild-essential-armhf
git
"
BENCH_PKGS="
mosquitto-clients
influxdb-client
openssl
collectd-core
nodejs
npm
hyperfine
valgrind
gdb
linux-perf
"
CHECK_PKGS="
libcmocka-dev
clang
libclang-rt-14-dev
clang-format
shfmt
socat
mbpoll
faketime
python3-pymodbus
python3-pyftpdlib
python3-aiosmtpd
procps
sqlite3
strace
chromium
chromium-driver
poppler-utils
debootstrap
systemd
"

list() {
	case "$1" in
	build) echo "$BUILD_PKGS" ;;
	demo) echo "$BUILD_PKGS $DEMO_PKGS" ;;
	deb) echo "$BUILD_PKGS $DEB_PKGS" ;;
	bench) echo "$BUILD_PKGS $DEMO_PKGS $BENCH_PKGS" ;;
	check) echo "$BUILD_PKGS $DEMO_PKGS $DEB_PKGS $BENCH_PKGS $CHECK_PKGS" ;;
	*)
		echo "deps: unknown purpose '$1' (build, check, demo, bench, deb)" >&2
		return 2
		;;
	esac
}

if [ "${1:-}" = --list ]; then
	list "${2:-build}" | tr -s ' \n' '\n\n' | sed '/^$/d'
	exit 0
fi
PKGS=$(list "${1:-build}" | tr -s ' \n' '  ')

# One dpkg-query for all: the installed ones print "ii"; the others are missing.
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PKGS 2>/dev/null | sed -n 's/^ii *//p' | tr '\n' ' ') "
missing=""
for p in $PKGS; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
# A package an installed one provides is there too: NodeSource's nodejs (what
# Node-RED's Raspberry Pi installer sets up) bundles npm, provides it and
# conflicts with Debian's, which apt-get could not install next to it.
provided=" $(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null | sed -n 's/^ii *|//p' |
	tr ',' '\n' | sed 's/(.*)//; s/ //g; /^$/d' | tr '\n' ' ') "
still=""
for p in $missing; do
	case "$provided" in
	*" $p "*) ;;
	*) still="$still $p" ;;
	esac
done
missing=$still
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
		echo "deps: not root and no sudo; as root, run:" >&2
		echo "apt-get install -y$missing"
		exit 1
	fi
fi
echo "deps: installing$missing" >&2
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
