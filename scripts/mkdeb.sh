#!/bin/sh
# Builds the Debian packages (packaging/README.md): wwtp-collector and
# wwtp-central for each architecture asked for, and wwtp-common (profiles,
# regulations; Architecture: all), into OUTDIR (default dist/).
#
# Usage: scripts/mkdeb.sh [-o OUTDIR] [--tests] [ARCH...]
#   ARCH      amd64 (the host), arm64, armhf; default: the host's, arm64, armhf
#   --tests   also build the unit tests in the same build folder
# Each architecture is built in build/deb-ARCH with Debian's hardening
# flags (dpkg-buildflags) and -Wl,--as-needed; foreign ones with the cross
# compiler and build/sysroot-ARCH (scripts/cross-sysroot.sh, via make).
# Depends: dpkg-shlibdeps for the host's architecture; for a foreign one
# the same rule by hand, from the shlibs files of the sysroot's packages
# and the GLIBC_ symbol versions the binaries use; plus Paho C, which the
# programs load at run time (PAHO_PKG).
set -eu
cd "$(dirname "$0")/.."

out=dist
tests=0
archs=""
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	--tests) tests=1; shift ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "mkdeb: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) archs="$archs $1"; shift ;;
	esac
done
host=$(dpkg --print-architecture)
[ -n "$archs" ] || archs="$host arm64 armhf"

version=$(cat VERSION)
# Reproducible: the files' times and the changelog's date are the last commit's.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
maint=${DEB_MAINTAINER:-"WWTP telemetry maintainers <maintainers@users.noreply.r-seed-4689765f.example>"}
umask 022
mkdir -p "$out"
# Debian 12's package of libpaho-mqtt3a.so.1 and libpaho-mqtt3as.so.1, at
# the version its shlibs file asks of programs that link them.
PAHO_PKG="libpaho-mqtt1.3 (>= 1.3.12)"

say() { echo "mkdeb: $*" >&2; }
die() { say "$*"; exit 1; }

# Files and folders of a package, owned by root (dpkg-deb --root-owner-group).
inst() { install -D -m "$1" "$2" "$3"; } # MODE SRC DEST

# The docs every package carries: copyright and changelog.gz.
docs() { # ROOT PKG
	inst 0644 packaging/copyright "$1/usr/share/doc/$2/copyright"
	mkdir -p "$1/usr/share/doc/$2"
	{
		echo "wwtp ($version) unstable; urgency=medium"
		echo
		echo "  * Built from the repository at version $version; the history is in git."
		echo
		echo " -- $maint  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
	} | gzip -9n >"$1/usr/share/doc/$2/changelog.gz"
}

# control, md5sums, conffiles, then the .deb.
finish() { # ROOT PKG ARCH DEPENDS DESCRIPTION-FILE
	root=$1 pkg=$2 arch=$3 deps=$4
	find "$root" -type d -exec chmod 0755 {} +
	size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
	mkdir -p "$root/DEBIAN"
	{
		echo "Package: $pkg"
		echo "Version: $version"
		echo "Architecture: $arch"
		echo "Maintainer: $maint"
		echo "Installed-Size: $size"
		[ -z "$deps" ] || echo "Depends: $deps"
		echo "Section: misc"
		echo "Priority: optional"
		cat "$5"
	} >"$root/DEBIAN/control"
	(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs -r md5sum) \
		>"$root/DEBIAN/md5sums"
	if [ -d "$root/etc" ]; then
		(cd "$root" && find etc -type f -printf '/%p\n' | LC_ALL=C sort) >"$root/DEBIAN/conffiles"
	fi
	for s in postinst prerm postrm; do
		if [ -f "packaging/$pkg/$s" ]; then inst 0755 "packaging/$pkg/$s" "$root/DEBIAN/$s"; fi
	done
	chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
	if [ -f "$root/DEBIAN/conffiles" ]; then chmod 0644 "$root/DEBIAN/conffiles"; fi
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${version}_$arch.deb" >/dev/null
	say "$out/${pkg}_${version}_$arch.deb"
}

# Depends for binaries of a foreign ARCH, as dpkg-shlibdeps would write from
# shlibs files: each NEEDED library's package (the shlibs line of the
# sysroot's .deb that ships it), and libc6 at the newest GLIBC_ version used.
foreign_depends() { # ARCH SYSROOT-DEBS BINARY...
	a=$1 debs=$2 triplet=$(dpkg-architecture -a"$1" -qDEB_HOST_MULTIARCH 2>/dev/null)
	shift 2
	map=$debs/shlibs.map
	if [ ! -s "$map" ] || [ -n "$(find "$debs" -name '*.deb' -newer "$map")" ]; then
		for d in "$debs"/*.deb; do
			dpkg-deb -I "$d" shlibs 2>/dev/null | awk 'NF >= 3 && $1 !~ /:$/ {
				dep = $3; for (i = 4; i <= NF; i++) dep = dep " " $i
				print $1 ".so." $2 "\t" dep }'
		done >"$map.tmp"
		mv "$map.tmp" "$map"
	fi
	glibc=$("$triplet-objdump" -T "$@" | sed -n 's/.*GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -V | tail -n1)
	for so in $("$triplet-readelf" -d "$@" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
		case "$so" in
		libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux*) echo "libc6 (>= $glibc)" ;;
		*)
			dep=$(awk -F'\t' -v s="$so" '$1 == s { print $2; exit }' "$map")
			[ -n "$dep" ] || die "$a: no package in $debs says it ships $so (shlibs)"
			echo "$dep"
			;;
		esac
	done | sort -u | paste -sd, - | sed 's/,/, /g'
}

build_arch() { # ARCH
	a=$1
	b=build/deb-$a
	cflags="$(DEB_HOST_ARCH=$a DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS) \
$(DEB_HOST_ARCH=$a DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS)"
	ldflags="$(DEB_HOST_ARCH=$a DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS) -Wl,--as-needed"
	target=all
	[ $tests = 0 ] || target=check-build
	say "building $a in $b"
	make -s ARCH="$a" BUILD="$b" CFLAGS="$cflags" LDFLAGS="$ldflags" -j"$(nproc)" "$target" >&2 ||
		die "the $a build failed"
	if [ "$a" = "$host" ]; then strip="strip"; else
		strip=$(dpkg-architecture -a"$a" -qDEB_HOST_MULTIARCH 2>/dev/null)-strip
	fi
	stage=$b/pkg
	rm -rf "$stage"
	mkdir -p "$stage/debian"
	# dpkg-shlibdeps wants to run in a source tree.
	printf 'Source: wwtp\n\nPackage: wwtp-collector\nArchitecture: any\n\nPackage: wwtp-central\nArchitecture: any\n' \
		>"$stage/debian/control"

	for pkg in wwtp-collector wwtp-central; do
		root=$stage/debian/$pkg
		# The collector starts wwtp-tt10-upload for a tt10 group's servers.
		progs=$pkg
		[ "$pkg" != wwtp-collector ] || progs="$pkg wwtp-tt10-upload"
		bins='' paths=''
		for p in $progs; do
			inst 0755 "$b/$p" "$root/usr/bin/$p"
			$strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/$p"
			gzip -9n <"packaging/man/$p.1" >"$stage/$p.1.gz"
			inst 0644 "$stage/$p.1.gz" "$root/usr/share/man/man1/$p.1.gz"
			bins="$bins -edebian/$pkg/usr/bin/$p"
			paths="$paths $root/usr/bin/$p"
		done
		docs "$root" "$pkg"
		if [ "$a" = "$host" ]; then
			# shellcheck disable=SC2086 # bins: words on purpose
			deps=$(cd "$stage" && dpkg-shlibdeps -O $bins 2>/dev/null |
				sed -n 's/^shlibs:Depends=//p')
		else
			# shellcheck disable=SC2086 # paths: words on purpose
			deps=$(foreign_depends "$a" "build/sysroot-$a.debs" $paths)
		fi
		[ -n "$deps" ] || die "$pkg $a: no Depends computed"
		# Paho C is loaded by its soname, plain or TLS build by the broker's
		# URI (util/paho_lib.h): no binary names it, so no tool finds it.
		echo "$deps, $PAHO_PKG" >"$stage/$pkg.shlibs"
	done

	root=$stage/debian/wwtp-collector
	for u in wwtp-collector.service wwtp-collector@.service; do
		inst 0644 "packaging/systemd/$u" "$root/lib/systemd/system/$u"
	done
	inst 0644 packaging/etc/station.cfg "$root/etc/wwtp/stations/station.cfg"
	inst 0644 config/examples/annotated-station.cfg "$root/usr/share/doc/wwtp-collector/examples/annotated-station.cfg"
	inst 0644 config/examples/rtu-station.cfg "$root/usr/share/doc/wwtp-collector/examples/rtu-station.cfg"
	for f in config/stations/*.cfg; do
		inst 0644 "$f" "$root/usr/share/doc/wwtp-collector/examples/stations/$(basename "$f")"
	done
	for d in install-pi collector config reliability mqtt compliance tt10; do
		if [ -f "docs/$d.md" ]; then inst 0644 "docs/$d.md" "$root/usr/share/doc/wwtp-collector/$d.md"; fi
	done
	finish "$root" wwtp-collector "$a" "$(cat "$stage/wwtp-collector.shlibs"), adduser, wwtp-common (= $version)" \
		packaging/wwtp-collector/description

	root=$stage/debian/wwtp-central
	inst 0644 packaging/systemd/wwtp-central.service "$root/lib/systemd/system/wwtp-central.service"
	mkdir -p "$root/etc/wwtp"
	# The repository's file with the installed paths.
	{
		echo "# /etc/wwtp/central.cfg - settings of wwtp-central.service (wwtp-central package)."
		echo "# Station files: /etc/wwtp/stations/; the spool: /var/lib/wwtp-central/spool."
		echo "# The package keeps your edits of this file on upgrades."
		echo "#"
		sed -e 's|"config/|"/etc/wwtp/|g' -e 's|"build/central-spool"|"/var/lib/wwtp-central/spool"|' \
			-e 's|"build/|"/var/lib/wwtp-central/|g' config/central.cfg
	} >"$root/etc/wwtp/central.cfg"
	chmod 0644 "$root/etc/wwtp/central.cfg"
	for d in central api flags influxdb-schema mqtt; do
		if [ -f "docs/$d.md" ]; then inst 0644 "docs/$d.md" "$root/usr/share/doc/wwtp-central/$d.md"; fi
	done
	finish "$root" wwtp-central "$a" "$(cat "$stage/wwtp-central.shlibs"), adduser, wwtp-common (= $version)" \
		packaging/wwtp-central/description
}

build_common() {
	# A folder of this run's own: two builds at once (the suite builds
	# amd64 and the ARM packages side by side) must not clear each other's.
	mkdir -p build
	common_stage=$(mktemp -d build/deb-all.XXXXXX)
	trap 'rm -rf "$common_stage"' EXIT
	root=$common_stage/wwtp-common
	for f in config/profiles/*.cfg; do inst 0644 "$f" "$root/etc/wwtp/profiles/$(basename "$f")"; done
	# The plausibility defaults (docs/plausibility.md): configuration a deployment tunes.
	inst 0644 config/plausibility.cfg "$root/etc/wwtp/plausibility.cfg"
	for f in config/limits/*.cfg; do inst 0644 "$f" "$root/usr/share/wwtp/limits/$(basename "$f")"; done
	# Where the station files look by default (../limits): the regulations
	# are data that upgrades replace, not configuration.
	ln -s /usr/share/wwtp/limits "$root/etc/wwtp/limits"
	docs "$root" wwtp-common
	finish "$root" wwtp-common all "" packaging/wwtp-common/description
}

build_common
for a in $archs; do build_arch "$a"; done
