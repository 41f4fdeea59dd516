#!/bin/sh
# Builds build/sysroot-ARCH/: the Debian -dev packages the project links
# against, and every library they need at run time, for a foreign
# architecture (arm64, armhf), unpacked with dpkg -x. The cross compiler
# (crossbuild-essential-ARCH) brings the C library; this brings the rest.
#
# Why not `apt-get install libmodbus-dev:arm64`: Multi-Arch: same packages
# must have the same version for every architecture, and the host's amd64
# libraries are often a point release ahead of (or behind) the foreign
# index (seen: libssl3 3.0.19 installed, 3.0.20 in the arm64 index), so the
# install fails. Downloading and unpacking the .debs into a private folder
# touches nothing on the host.
#
# Usage: scripts/cross-sysroot.sh ARCH [DIR]   (DIR default build/sysroot-ARCH)
# The .debs are kept in DIR.debs/ so that a rerun downloads nothing; DIR
# holds a stamp with the package list and is rebuilt when it changes.
# Needs root only to add the foreign architecture (dpkg --add-architecture)
# and refresh the package lists when that architecture is not known yet.
set -eu

arch=${1:?usage: scripts/cross-sysroot.sh ARCH [DIR]}
dir=${2:-build/sysroot-$arch}
debs=$dir.debs

# What the Makefile's pkg-config names (PKGS), Paho and cmocka come from:
# a library added to PKGS needs its -dev package here too.
DEV="libmodbus-dev libpaho-mqtt-dev libconfig-dev libjansson-dev libcurl4-openssl-dev
zlib1g-dev libmicrohttpd-dev libsqlite3-dev libcmocka-dev libsodium-dev"

say() { echo "cross-sysroot: $*" >&2; }

# One maker at a time (make check's background prefetch and the ARM test
# may both ask): the second waits, then finds the stamp.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9

stamp="$dir/.stamp"
want="$arch $(echo $DEV)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

case " $(dpkg --print-foreign-architectures | tr '\n' ' ') " in
*" $arch "*) ;;
*)
	if [ "$(id -u)" -ne 0 ]; then
		say "architecture $arch is not enabled; as root: dpkg --add-architecture $arch && apt-get update"
		exit 1
	fi
	say "enabling architecture $arch (dpkg --add-architecture) and refreshing the package lists"
	dpkg --add-architecture "$arch"
	# A mirror caught mid-sync fails one index now and then: what we
	# need is usually there anyway, and a missing package says so below.
	apt-get update -q >/dev/null 2>&1 || say "apt-get update reported errors; going on"
	;;
esac

# The closure of the -dev packages' dependencies, for ARCH only, less what
# the cross toolchain already has (the C library, libgcc, libstdc++, kernel
# headers) and what is not a library (pkg-config and friends).
list=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $(for p in $DEV; do printf '%s:%s ' "$p" "$arch"; done) 2>/dev/null |
	sed -n "s/^\([^ <>]*\):$arch\$/\1/p" | sort -u |
	grep -vE '^(libc6|libc6-dev|libc-dev-bin|libgcc-s1|libstdc\+\+6|gcc-12-base|linux-libc-dev|libcrypt-dev|libnsl-dev|libtirpc-dev|libpkgconf3|pkgconf|pkgconf-bin|pkg-config|rpcsvc-proto)$' || true)
if [ -z "$list" ]; then
	say "apt-cache knows no $arch packages for: $DEV"
	say "(is the $arch package list there? as root: dpkg --add-architecture $arch && apt-get update)"
	exit 1
fi
for p in $DEV; do
	echo "$list" | grep -qx "$p" || { say "apt-cache does not resolve $p:$arch"; exit 1; }
done

mkdir -p "$debs"
# apt-get download writes to the current folder; a partial download is
# a *.FAILED or missing file, so only complete ones stay.
need=""
for p in $list; do
	found=$(ls "$debs/${p}_"*"_$arch.deb" "$debs/${p}_"*"_all.deb" 2>/dev/null || true)
	[ -n "$found" ] || need="$need $p:$arch"
done
if [ -n "$need" ]; then
	say "downloading$need"
	get() { (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $need >/dev/null); }
	# A package list older than the mirror names files it has removed (404):
	# refresh it once (root only) and try again.
	get || { [ "$(id -u)" -eq 0 ] && say "refreshing the package lists" &&
		{ apt-get update -q >/dev/null 2>&1 || true; } && get; } || {
		say "apt-get download failed (network or mirror?): retry, or run apt-get update first"
		exit 1
	}
fi

tmp="$dir.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
for p in $list; do
	deb=$(ls "$debs/${p}_"*"_$arch.deb" "$debs/${p}_"*"_all.deb" 2>/dev/null | sort -V | tail -n1)
	[ -n "$deb" ] || { say "no .deb for $p in $debs"; exit 1; }
	dpkg -x "$deb" "$tmp"
done
# The -dev packages' lib*.so links may be absolute (/lib/...): make them
# relative, so the linker finds them inside the sysroot.
find "$tmp" -type l | while read -r l; do
	t=$(readlink "$l")
	case "$t" in /*) ln -sfn "$tmp$t" "$l" ;; esac
done
find "$tmp" -type l | while read -r l; do
	t=$(readlink "$l")
	case "$t" in "$tmp"/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$t")" "$l" ;; esac
done
echo "$want" >"$tmp/.stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
say "$dir ready ($(echo $list | wc -w) packages)"
