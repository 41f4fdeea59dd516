#!/usr/bin/env bash
# suite: alone
# suite: sanitizer pass only
# The ARM builds, run under qemu-user: scripts/mkdeb.sh cross-builds arm64
# (with the unit tests) and armhf against build/sysroot-ARCH and makes their
# packages; every arm64 unit test passes under qemu-aarch64; the packaged
# arm64 and armhf collectors, unpacked from their .debs, poll the native
# simulator over TCP loopback, and the arm64 one publishes to a real
# mosquitto: the values of the pinned params are exactly the pinned values,
# and the same as the native collector reads; Depends names a package for
# every library the binaries need.
. "$(dirname "$0")/../lib/common.sh"

for t in qemu-aarch64 qemu-arm aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc; do
	command -v "$t" >/dev/null || { not_ok "$t is installed (scripts/deps.sh: qemu-user, crossbuild-essential-*)"; exit 1; }
done

start=$(date +%s)
if scripts/mkdeb.sh --tests -o "$T/dist" arm64 >"$T/mkdeb.log" 2>&1 &&
	scripts/mkdeb.sh -o "$T/dist" armhf >>"$T/mkdeb.log" 2>&1; then
	ok "scripts/mkdeb.sh builds arm64 (with the unit tests) and armhf, and their packages ($(($(date +%s) - start)) s)"
else
	not_ok "scripts/mkdeb.sh builds arm64 and armhf" "$(grep -E 'error|mkdeb:|cross-sysroot:' "$T/mkdeb.log" | tail -n 8)"
	exit 1
fi
V=$(cat VERSION)

# qemu runs the guest's loader from the cross toolchain's folder (-L) and
# finds the other libraries in the sysroot (guest LD_LIBRARY_PATH).
run_arm() { # ARCH PROGRAM ARGS...
	local a=$1 q triplet
	shift
	case "$a" in arm64) q=qemu-aarch64 triplet=aarch64-linux-gnu ;; armhf) q=qemu-arm triplet=arm-linux-gnueabihf ;; esac
	local s=$WWTP_SRCDIR/build/sysroot-$a
	"$q" -L "/usr/$triplet" -E "LD_LIBRARY_PATH=$s/usr/lib/$triplet:$s/lib/$triplet" "$@"
}

# The unit tests, but the simulator's model and history ones: they run 20
# times slower under emulation (90 s and 6 s against 4 s and 0.2 s here)
# and test the simulator, which does not run on a Pi.
ustart=$(date +%s)
units=()
for t in build/deb-arm64/tests/test_*; do
	case "$t" in *.d) continue ;; */test_sim_model | */test_sim_history) continue ;; esac
	[ -x "$t" ] && units+=("$t")
done
n=${#units[@]}
# Two at a time: emulation is CPU-bound.
export -f run_arm
export T WWTP_SRCDIR
printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -I{} bash -c \
	'run_arm arm64 "$1" >"$T/unit-$(basename "$1").out" 2>&1 || echo "$(basename "$1")" >>"$T/unit-failed"' _ {}
failed=$(cat "$T/unit-failed" 2>/dev/null | tr '\n' ' ')
log "unit tests under qemu-aarch64: $(($(date +%s) - ustart)) s"
if [ "$n" -gt 20 ] && [ -z "$failed" ]; then ok "all $n arm64 unit test programs pass under qemu-aarch64"; else
	not_ok "all arm64 unit test programs pass under qemu-aarch64" "$n run; failed:$failed" \
		"$(for f in $failed; do grep -E 'FAILED|ERROR' "$T/unit-$f.out" | head -3; done)"
fi

# The packaged binaries.
for a in arm64 armhf; do
	mkdir -p "$T/root-$a"
	dpkg-deb -x "$T/dist/wwtp-collector_${V}_$a.deb" "$T/root-$a"
	kind=AArch64
	[ $a = arm64 ] || kind=ARM
	ver=$(run_arm $a "$T/root-$a/usr/bin/wwtp-collector" --version 2>&1)
	if readelf -h "$T/root-$a/usr/bin/wwtp-collector" | grep -qE "Machine: +$kind\$" && [ "$ver" = "wwtp-collector $V" ]; then
		ok "the $a package's collector is an $a ELF and says its version under qemu"
	else
		not_ok "the $a package's collector is an $a ELF and says its version under qemu" "$(readelf -h "$T/root-$a/usr/bin/wwtp-collector" | grep Machine)" "$ver"
	fi
	# Every NEEDED library of the packaged binaries comes from a package in Depends.
	deps=$(dpkg-deb -f "$T/dist/wwtp-collector_${V}_$a.deb" Depends)
	# Which package ships which file, from the sysroot's .debs.
	for d in build/sysroot-$a.debs/*.deb; do
		p=$(dpkg-deb -f "$d" Package)
		dpkg-deb -c "$d" | awk -v p="$p" '{ print p, $6 }'
	done >"$T/files-$a"
	missing=""
	for so in $(readelf -d "$T/root-$a/usr/bin/wwtp-collector" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		case "$so" in libc.so.6 | libm.so.6 | ld-linux*) pkg=libc6 ;; *)
			pkg=$(awk -v s="/$so" 'substr($2, length($2) - length(s) + 1) == s { print $1; exit }' "$T/files-$a") ;;
		esac
		case ", $deps" in *", $pkg "* | *", $pkg,"*) ;; *) missing="$missing $so(${pkg:-?})" ;; esac
	done
	if [ -z "$missing" ]; then ok "$a: Depends names the package of every library the collector needs"; else
		not_ok "$a: Depends names the package of every library the collector needs" "Depends: $deps" "missing:$missing"; fi
done

# A shipped station with its two Modbus TCP gateways on this run's ports,
# nine params pinned to values exact in float32.
start_mosquitto
read -r P1 P2 < <(freeport 2 | tr '\n' ' ')
sed -e "s/port = 15150;/port = $P1;/g" -e "s/port = 15151;/port = $P2;/g" \
	-e "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" config/stations/lien-ha.cfg >"$T/lien-ha.cfg"
PINS="ph=7.25 temp=28.5 cod=42.5 nh4=3.75 tss=18.25 tn=12.5 tp=1.75 flow_in=812.75 flow_out=790.5"
args=()
for p in $PINS; do args+=(--set "lien-ha/$p"); done
start_sim sim -c "$T/lien-ha.cfg" --profiles config/profiles "${args[@]}"

pinned() { # FILE of telemetry JSON lines -> "param value status" of the pinned params, sorted
	jq -r '.readings[] | "\(.param) \(.value) \(.status)"' "$1" |
		grep -E "^($(echo "$PINS" | sed 's/=[^ ]*//g; s/ /|/g')) " | LC_ALL=C sort
}
expected=$(for p in $PINS; do echo "${p%=*} ${p#*=} ok"; done | LC_ALL=C sort)

"$COLLECTOR" --once --print -c "$T/lien-ha.cfg" --profiles config/profiles >"$T/native.json" 2>"$T/native.log"
check "the native collector reads the pinned values" test "$(pinned "$T/native.json")" = "$expected"
for a in arm64 armhf; do
	run_arm $a "$T/root-$a/usr/bin/wwtp-collector" --once --print -c "$T/lien-ha.cfg" --profiles config/profiles \
		>"$T/$a.json" 2>"$T/$a.log"
	got=$(pinned "$T/$a.json")
	if [ "$got" = "$expected" ]; then ok "the $a collector under qemu reads the pinned values exactly (--once --print)"; else
		not_ok "the $a collector under qemu reads the pinned values exactly (--once --print)" \
			"want: $(echo $expected)" "got:  $(echo $got)"; fi
	check "the $a collector publishes the same params and statuses as the native one" \
		test "$(jq -r '.device as $d | .readings[] | "\($d) \(.param) \(.status)"' "$T/$a.json" | LC_ALL=C sort)" = \
		"$(jq -r '.device as $d | .readings[] | "\($d) \(.param) \(.status)"' "$T/native.json" | LC_ALL=C sort)"
done

# arm64 through the broker: one message per device, acknowledged, pinned values.
ndev=$(jq -s 'length' "$T/native.json")
mqtt_sub tel "$ndev" $((20 * SLOW)) "wwtp/lien-ha/telemetry"
if run_arm arm64 "$T/root-arm64/usr/bin/wwtp-collector" --once -c "$T/lien-ha.cfg" --profiles config/profiles \
	>"$T/arm64-once.out" 2>"$T/arm64-once.log"; then
	ok "the arm64 collector's --once run is acknowledged by mosquitto (exit 0)"
else
	not_ok "the arm64 collector's --once run is acknowledged by mosquitto (exit 0)" "$(tail -n 3 "$T/arm64-once.log")"
fi
sub_wait tel
payloads "$T/tel.msgs" >"$T/tel.json"
check "mosquitto delivered one message per device ($ndev)" test "$(wc -l <"$T/tel.json")" -eq "$ndev"
got=$(pinned "$T/tel.json")
if [ "$got" = "$expected" ]; then ok "the readings the arm64 collector published carry the pinned values"; else
	not_ok "the readings the arm64 collector published carry the pinned values" "want: $(echo $expected)" "got:  $(echo $got)"; fi

[ "$FAILS" -eq 0 ]
