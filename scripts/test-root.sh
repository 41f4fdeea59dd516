#!/bin/sh
# Makes the clean Debian root tests/integration/package_install.sh installs
# the packages into: a minbase bookworm by debootstrap, in
# build/debootstrap/bookworm-ARCH, marked complete by a .complete file and
# kept for the next run. `make check` starts it in the background while the
# two builds compile (scripts/test-prefetch.sh), so the download does not
# wait for them; the test then finds it made, or waits for the run under
# way: both hold the same lock, so the root is never made twice at once.
#
# Usage: scripts/test-root.sh [DIR]   (DIR default build/debootstrap/bookworm-ARCH)
#        scripts/test-root.sh --mirror  prints the Debian mirror it uses
# Exit 0 with the root there; 1 on failure (the log's tail on stderr);
# 2 when it cannot be made here (not root, no debootstrap, mirror unreachable),
# with the reason on stdout.
set -eu
# The mirror apt uses here (sources.list or deb822), else Debian's.
mirror=$(sed -n 's|^deb \(http[^ ]*/debian\)/* bookworm .*|\1|p; s|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
[ "${1:-}" = --mirror ] && { echo "$mirror"; exit 0; }
arch=$(dpkg --print-architecture)
base=${1:-build/debootstrap/bookworm-$arch}

[ "$(id -u)" -eq 0 ] || { echo "not root: debootstrap and chroot need root"; exit 2; }
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (scripts/deps.sh check)"; exit 2; }

mkdir -p "$(dirname "$base")"
# One maker at a time: flock waits for a run already under way (the
# background one), then finds its .complete.
exec 9>"$base.lock"
flock 9
[ -f "$base/.complete" ] && exit 0

curl -sfI --max-time 15 "$mirror/dists/bookworm/Release" >/dev/null || {
	echo "the Debian mirror $mirror cannot be reached: debootstrap needs it"
	exit 2
}
rm -rf "$base"
log="$base.log"
start=$(date +%s)
if debootstrap --variant=minbase --arch="$arch" bookworm "$base" "$mirror" >"$log" 2>&1; then
	touch "$base/.complete"
	echo "debootstrap made a minbase bookworm root from $mirror in $(($(date +%s) - start)) s"
	exit 0
fi
tail -n 5 "$log" >&2
rm -rf "$base"
exit 1
