#!/usr/bin/env bash
# suite: alone
# suite: sanitizer pass only
# The amd64 packages in a clean Debian root: scripts/mkdeb.sh builds them,
# lintian finds no error or warning, a minbase bookworm made by debootstrap
# (kept in build/debootstrap/ for the next run) installs them with apt,
# which brings the dependencies Depends names; the users, folders,
# conffiles and units are there and the units pass systemd-analyze verify;
# the installed station file passes --check; adapted to a simulator on a
# loopback port, the installed collector, run in the root as user wwtp,
# publishes the pinned values to a mosquitto on the host, once and as a
# service with its store in /var/lib/wwtp; an upgrade keeps the edited
# station file; remove keeps the configuration and the store, purge deletes
# them. Needs root (chroot) and the Debian mirror: without them it
# says SKIP and why.
. "$(dirname "$0")/../lib/common.sh"

skip() { echo "ok - SKIP: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root: debootstrap and chroot need root"
for t in debootstrap lintian systemd-analyze; do
	command -v "$t" >/dev/null || { not_ok "$t is installed (scripts/deps.sh)"; exit 1; }
done
MIRROR=$(scripts/test-root.sh --mirror)
curl -sfI --max-time 15 "$MIRROR/dists/bookworm/Release" >/dev/null ||
	skip "the Debian mirror $MIRROR cannot be reached: debootstrap needs it"

V=$(cat VERSION)
A=$(dpkg --print-architecture)
start=$(date +%s)
if scripts/mkdeb.sh -o "$T/dist" "$A" >"$T/mkdeb.log" 2>&1; then
	ok "scripts/mkdeb.sh builds the $A packages ($(($(date +%s) - start)) s)"
else
	not_ok "scripts/mkdeb.sh builds the $A packages" "$(tail -n 8 "$T/mkdeb.log")"
	exit 1
fi
DEBS="$T/dist/wwtp-common_${V}_all.deb $T/dist/wwtp-collector_${V}_$A.deb $T/dist/wwtp-central_${V}_$A.deb"
lintian $DEBS >"$T/lintian.out" 2>&1
tags=$(grep -E '^[EW]: ' "$T/lintian.out")
if [ -z "$tags" ]; then ok "lintian: no error or warning"; else
	not_ok "lintian: no error or warning" "$tags"; fi

# The clean root: made once (by make check's background prefetch while the
# builds compile, or here), then copied for each run.
BASE=$WWTP_SRCDIR/build/debootstrap/bookworm-$A
if [ -f "$BASE/.complete" ]; then
	log "reusing the root made earlier: $BASE"
fi
start=$(date +%s)
msg=$(scripts/test-root.sh "$BASE" 2>"$T/root.err")
case $? in
0) ok "a minbase bookworm root is there to install into ($(($(date +%s) - start)) s here${msg:+; $msg})" ;;
2) skip "$msg" ;;
*)
	not_ok "debootstrap makes a minbase bookworm root" "$(cat "$T/root.err")"
	exit 1
	;;
esac
R=$T/root
cp -a "$BASE" "$R"
cp /etc/resolv.conf "$R/etc/resolv.conf"
cp $DEBS "$R/tmp/"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

start=$(date +%s)
if in_root sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/*.deb' \
	>"$T/apt.out" 2>&1; then
	ok "apt-get installs the three packages and their dependencies in the clean root ($(($(date +%s) - start)) s)"
else
	not_ok "apt-get installs the three packages in the clean root" "$(tail -n 8 "$T/apt.out")"
	exit 1
fi

# What the maintainer scripts and the packages made.
check "user wwtp: system user without a shell, in group dialout" \
	in_root sh -c 'getent passwd wwtp | grep -q ":/var/lib/wwtp:/usr/sbin/nologin$" &&
		[ "$(id -u wwtp)" -lt 1000 ] && id -nG wwtp | tr " " "\n" | grep -qx dialout'
check "user wwtp-central: system user, not in dialout" \
	in_root sh -c 'getent passwd wwtp-central >/dev/null && ! id -nG wwtp-central | grep -qw dialout'
check "/var/lib/wwtp and /var/lib/wwtp-central: owned by their users, mode 750" \
	in_root sh -c '[ "$(stat -c "%U:%G %a" /var/lib/wwtp)" = "wwtp:wwtp 750" ] &&
		[ "$(stat -c "%U:%G %a" /var/lib/wwtp-central)" = "wwtp-central:wwtp-central 750" ]'
check "conffiles: the station file, central.cfg and the profiles" \
	in_root sh -c 'dpkg-query -W -f="\${Conffiles}\n" wwtp-collector wwtp-central wwtp-common >/tmp/cf &&
		grep -q "^ /etc/wwtp/stations/station.cfg " /tmp/cf && grep -q "^ /etc/wwtp/central.cfg " /tmp/cf &&
		grep -q "^ /etc/wwtp/profiles/suntex-ph.cfg " /tmp/cf'
check "/etc/wwtp/limits leads to the regulation files" test -f "$R/usr/share/wwtp/limits/qcvn40-2011.cfg" -a \
	"$(readlink "$R/etc/wwtp/limits")" = /usr/share/wwtp/limits
check "the units are installed" test -f "$R/lib/systemd/system/wwtp-collector.service" -a \
	-f "$R/lib/systemd/system/wwtp-collector@.service" -a -f "$R/lib/systemd/system/wwtp-central.service"
check "the installed collector says its version" test "$(in_root wwtp-collector --version)" = "wwtp-collector $V"

# systemd-analyze verify: the installed units, their ExecStart pointing at
# the installed binaries (the host has no /usr/bin/wwtp-*). Any output is a
# finding (an unknown key is only a warning, exit 0).
mkdir -p "$T/units"
for u in wwtp-collector.service wwtp-collector@.service wwtp-central.service; do
	sed "s|/usr/bin/|$R/usr/bin/|g" "$R/lib/systemd/system/$u" >"$T/units/$u"
	out=$(cd "$T/units" && systemd-analyze verify "./$u" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify $u: clean"; else
		not_ok "systemd-analyze verify $u: clean" "exit $rc" "$out"; fi
done

check "the installed station file passes --check with the installed profiles and limits" \
	in_root wwtp-collector --check -c /etc/wwtp/stations/station.cfg
check "the installed central.cfg passes --check" in_root wwtp-central --check -c /etc/wwtp/central.cfg

# The technician's edit: the instrument behind a Modbus TCP port (the
# simulator here) instead of /dev/ttyUSB0, this run's broker, a station id.
start_mosquitto
SIMPORT=$(freeport)
S=$R/etc/wwtp/stations/station.cfg
sed -i -e 's|id = "change-me";|id = "pkg-test";|' \
	-e "s|transport = \"rtu\"; serial = \"/dev/ttyUSB0\";|transport = \"tcp\"; host = \"127.0.0.1\"; port = $SIMPORT;|" \
	-e 's|baud = 9600; parity = "N"; unit_id = 2;|unit_id = 2;|' -e 's|interval_ms = 10000;|interval_ms = 1000;|' \
	-e "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" "$S"
check "the edited station file passes --check" in_root wwtp-collector --check -c /etc/wwtp/stations/station.cfg
cp "$S" "$T/sim.cfg"
start_sim sim -c "$T/sim.cfg" --profiles config/profiles --set pkg-test/ph=7.25 --set pkg-test/temp=28.5
want="ph 7.25 ok
temp 28.5 ok"
values() { jq -r '.readings[] | "\(.param) \(.value) \(.status)"' "$1" | LC_ALL=C sort; }

# As user wwtp with its groups (dialout): setpriv execs the collector
# itself, so the PID below is the collector's.
as_wwtp() { in_root setpriv --reuid=wwtp --regid=wwtp --init-groups "$@"; }

# Once.
mqtt_sub once 1 $((15 * SLOW)) "wwtp/pkg-test/telemetry"
if as_wwtp wwtp-collector --once -c /etc/wwtp/stations/station.cfg >"$T/once.out" 2>"$T/once.log"; then
	ok "the installed collector, as wwtp in the root, runs --once and mosquitto acknowledges"
else
	not_ok "the installed collector, as wwtp in the root, runs --once and mosquitto acknowledges" "$(tail -n 3 "$T/once.log")"
fi
sub_wait once
payloads "$T/once.msgs" >"$T/once.json"
check "its telemetry reached the host's mosquitto with the simulator's values" test "$(values "$T/once.json")" = "$want"

# As a service would (store group: /var/lib/wwtp/pkg-test.db), stopped by SIGTERM.
mqtt_sub svc 2 $((15 * SLOW)) "wwtp/pkg-test/telemetry"
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
	setpriv --reuid=wwtp --regid=wwtp --init-groups wwtp-collector -c /etc/wwtp/stations/station.cfg >"$T/svc.out" 2>"$T/svc.log" &
SVC=$!
track $SVC
sub_wait svc
payloads "$T/svc.msgs" >"$T/svc.json"
check "the service process runs as wwtp, with group dialout" sh -c "grep -q \"^Uid:	$(in_root id -u wwtp)	\" /proc/$SVC/status &&
	grep '^Groups:' /proc/$SVC/status | tr ' \t' '\n\n' | grep -qx $(in_root getent group dialout | cut -d: -f3)"
check "the service, as wwtp, publishes every poll with the simulator's values" \
	test "$(jq -s 'length' "$T/svc.json")" -eq 2 -a "$(values "$T/svc.json" | sort -u)" = "$want"
stop_pid $SVC TERM
wait $SVC 2>/dev/null
rc=$?
check "it stops on SIGTERM with exit 0" test $rc -eq 0
check "its store is /var/lib/wwtp/pkg-test.db, owned by wwtp" \
	test "$(in_root stat -c %U /var/lib/wwtp/pkg-test.db 2>&1)" = wwtp

# An upgrade whose station file changed too: dpkg keeps the edited one (the
# default answer) and puts the package's beside it as station.cfg.dpkg-dist.
mkdir -p "$T/up"
dpkg-deb -R "$T/dist/wwtp-collector_${V}_$A.deb" "$T/up/x"
sed -i "s/^Version: .*/Version: $V.1/" "$T/up/x/DEBIAN/control"
echo "# changed in $V.1" >>"$T/up/x/etc/wwtp/stations/station.cfg"
(cd "$T/up/x" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group --build "$T/up/x" "$R/tmp/up.deb" >/dev/null
if in_root dpkg -i --force-confold /tmp/up.deb >"$T/upgrade.out" 2>&1; then
	ok "the upgrade to $V.1 installs"
else
	not_ok "the upgrade to $V.1 installs" "$(tail -n 5 "$T/upgrade.out")"
fi
check "the upgrade kept the edited station file and put the new one beside it" \
	sh -c "grep -q 'id = \"pkg-test\";' '$S' && grep -q 'changed in $V.1' '$S.dpkg-dist'"

# Removal keeps the configuration and the store; purge deletes both (the
# store's unsent messages with it) and keeps the system users.
if in_root dpkg --remove wwtp-central wwtp-collector >"$T/remove.out" 2>&1; then
	check "remove keeps the station file and the store" test -f "$S" -a -f "$R/var/lib/wwtp/pkg-test.db"
else
	not_ok "dpkg --remove wwtp-central wwtp-collector" "$(tail -n 5 "$T/remove.out")"
fi
if in_root dpkg --purge wwtp-central wwtp-collector >"$T/purge.out" 2>&1; then
	check "purge deletes the station file, /var/lib/wwtp and /var/lib/wwtp-central, keeps the users" \
		sh -c "[ ! -e '$S' ] && [ ! -e '$R/var/lib/wwtp' ] && [ ! -e '$R/var/lib/wwtp-central' ] &&
			chroot '$R' getent passwd wwtp >/dev/null"
else
	not_ok "dpkg --purge wwtp-central wwtp-collector" "$(tail -n 5 "$T/purge.out")"
fi

[ "$FAILS" -eq 0 ]
