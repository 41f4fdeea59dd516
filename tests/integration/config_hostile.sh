#!/usr/bin/env bash
# suite: plain pass too
# Hostile configuration files (issue 15, finding 6), with the real
# `wwtp-collector --check` and `wwtp-central --check`: a FIFO and a device
# as the file or behind @include (libconfig 1.5 would wait on a FIFO for
# ever), a 100 MB file (refused, not read), a NUL byte inside a string (it
# would cut the value), integers wider than 32 bits in an included file (it
# would wrap 4294967798 to 502), and a 1 MB file of keys (libconfig is
# quadratic in a group's members: 42 s before). Each is refused with exit
# 2, the file and line, what is wrong, and quickly (in CPU seconds). Also (finding 7a) the
# documented minimal station group, without `plan`, is accepted.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
LIMIT=$((10 * SLOW)) # seconds before a --check counts as hung

station_head='station = { id = "hostile-cfg"; name = "Hostile"; district = "Test"; };'
device='devices = ( { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502; unit_id = 1;
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); } );'
mqtt='mqtt = { uri = "tcp://127.0.0.1:1883"; };'

# refused PROG NAME FILE PATTERN [MAXSECS]: `PROG --check -c FILE` exits 2
# using at most MAXSECS (default LIMIT) of CPU time and says PATTERN (an
# ERE, "FILE:LINE: ..." included in it by the caller). CPU time, not the
# clock: reading and parsing what it should refuse unread costs the same
# CPU seconds on a busy machine, while the clock there says nothing (a
# 100 MB file refused in 2.1 s of a load of 11, 8 ms of CPU).
refused() {
	local prog=$1 name=$2 file=$3 pattern=$4 max=${5:-$LIMIT} out rc t0 t1 cpu TIMEFORMAT='%3U %3S'
	t0=$(date +%s%N)
	{ time out=$(timeout "$LIMIT" "$prog" --check -c "$file" 2>&1); } 2>"$T/cpu.txt"
	rc=$?
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$T/cpu.txt")
	if [ $rc = 124 ]; then
		not_ok "$name: refused" "--check still running after $LIMIT s (hangs)"
	elif [ $rc != 2 ]; then
		not_ok "$name: refused with exit 2" "exit $rc" "$(head -n 3 <<<"$out")"
	elif ! grep -qE "$pattern" <<<"$out"; then
		not_ok "$name: says /$pattern/" "$(head -n 3 <<<"$out")"
	elif [ "${cpu:-999999}" -gt $((max * 1000)) ]; then
		not_ok "$name: refused within $max s of CPU" "took $cpu ms of CPU ($ms ms)"
	else
		ok "$name: refused in $cpu ms of CPU ($ms ms): $(grep -m1 -E "$pattern" <<<"$out" | sed "s|$T/||g")"
	fi
}

# ---- 7a: the minimal station group ----
printf '%s\n%s\n%s\n' "$station_head" "$device" "$mqtt" >"$T/minimal.cfg"
check "the documented minimal station group (id, name, district; no plan) is accepted" \
	"$COLLECTOR" --check -c "$T/minimal.cfg"

# ---- non-regular files ----
mkfifo "$T/fifo.cfg"
refused "$COLLECTOR" "a FIFO as the station file" "$T/fifo.cfg" "fifo.cfg: not a station file: it is a folder, a FIFO or a device"
printf '%s\n%s\n@include "fifo.cfg"\n%s\n' "$station_head" "$device" "$mqtt" >"$T/inc-fifo.cfg"
refused "$COLLECTOR" "@include of a FIFO" "$T/inc-fifo.cfg" "inc-fifo.cfg:4: .*fifo.cfg is not a regular file \(a FIFO\)"
printf '%s\n%s\n@include "../../../../../../../../dev/zero"\n%s\n' "$station_head" "$device" "$mqtt" >"$T/inc-dev.cfg"
refused "$COLLECTOR" "@include of a device (/dev/zero)" "$T/inc-dev.cfg" "inc-dev.cfg:4: .*dev/zero is not a regular file \(a device\)"

# ---- size ----
truncate -s 100M "$T/huge.cfg"
refused "$COLLECTOR" "a 100 MB station file" "$T/huge.cfg" "huge.cfg: .*104857600 bytes, more than the 1048576" 2
printf '%s\n%s\n@include "huge.cfg"\n%s\n' "$station_head" "$device" "$mqtt" >"$T/inc-huge.cfg"
refused "$COLLECTOR" "@include of a 100 MB file" "$T/inc-huge.cfg" "inc-huge.cfg:4: .*huge.cfg is 104857600 bytes" 2
# Many includes of one file: each counts.
head -c 900000 /dev/zero | tr '\0' '#' >"$T/big-comment.cfg"
{
	printf '%s\n%s\n%s\n' "$station_head" "$device" "$mqtt"
	for _ in 1 2 3 4 5 6; do echo '@include "big-comment.cfg"'; done
} >"$T/inc-many.cfg"
refused "$COLLECTOR" "the same 900 kB file included 6 times" "$T/inc-many.cfg" "inc-many.cfg:[0-9]+: .*come to more than 4194304 bytes" 2

# ---- NUL bytes ----
printf '%s\n%s\nmqtt = { uri = "tcp://127.0.0.1:1883"; topic_prefix = "nul-byte\0garbage"; };\n' \
	"$station_head" "$device" >"$T/nul.cfg"
refused "$COLLECTOR" "a NUL byte in a string" "$T/nul.cfg" "nul.cfg:4: a NUL byte"
printf '%s\n@include "nul.cfg"\n' "$station_head" >"$T/inc-nul.cfg"
refused "$COLLECTOR" "a NUL byte in an included file" "$T/inc-nul.cfg" "/nul.cfg:4: a NUL byte"

# ---- integers that do not fit ----
printf 'devices = ( { name = "outlet"; transport = "tcp"; host = "127.0.0.1";\n  port = 4294967798; unit_id = 1;\n  points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); } );\n' >"$T/devices.inc"
printf '%s\n@include "devices.inc"\n%s\n' "$station_head" "$mqtt" >"$T/inc-wide.cfg"
refused "$COLLECTOR" "port = 4294967798 in an included file" "$T/inc-wide.cfg" "devices.inc:2: integer 4294967798 does not fit in 32 bits"
sed 's/4294967798/4294967798L/' "$T/devices.inc" >"$T/devices-l.inc"
printf '%s\n@include "devices-l.inc"\n%s\n' "$station_head" "$mqtt" >"$T/inc-wide-l.cfg"
refused "$COLLECTOR" "port = 4294967798L (a 64-bit literal) in an included file" "$T/inc-wide-l.cfg" "devices-l.inc:2: .*port 4294967798 out of range 1..65535"

# ---- a 1 MB file of keys ----
{
	printf '%s\n%s\n%s\n' "$station_head" "$device" "$mqtt"
	awk 'BEGIN { for (i = 0; n < 1000000; i++) { l = sprintf("k%d = %d;", i, i); print l; n += length(l) + 1 } }'
} >"$T/keys.cfg"
refused "$COLLECTOR" "a 1 MB file of keys" "$T/keys.cfg" "keys.cfg:258: more than 256 settings in one group" 2

# ---- wwtp-central's own file ----
central_cfg() {
	cat <<EOF
stations_dir = "$T/stations";
mqtt = { uri = "tcp://127.0.0.1:1883"; };
influxdb = { url = "http://127.0.0.1:8086"; database = "wwtp"; spool_dir = "$T/spool"; };
EOF
}
mkdir -p "$T/stations"
cp "$T/minimal.cfg" "$T/stations/hostile-cfg.cfg"
central_cfg >"$T/central.cfg"
check "wwtp-central --check accepts a station without plan" "$CENTRAL" --check -c "$T/central.cfg"
{ central_cfg; echo '@include "fifo.cfg"'; } >"$T/central-fifo.cfg"
refused "$CENTRAL" "wwtp-central: @include of a FIFO" "$T/central-fifo.cfg" "central-fifo.cfg:4: .*fifo.cfg is not a regular file \(a FIFO\)"
refused "$CENTRAL" "wwtp-central: a FIFO as its file" "$T/fifo.cfg" "fifo.cfg: .*not a regular file"
echo 'stats_interval_s = 4294967298;' >"$T/central-wide.inc"
{ central_cfg; echo '@include "central-wide.inc"'; } >"$T/central-wide.cfg"
refused "$CENTRAL" "wwtp-central: an integer wider than 32 bits in an included file" "$T/central-wide.cfg" "central-wide.inc:1: integer 4294967298 does not fit in 32 bits"
{ central_cfg | sed 's/database = "wwtp"/database = "ww\x00tp"/'; } >"$T/central-nul.cfg"
refused "$CENTRAL" "wwtp-central: a NUL byte in a string" "$T/central-nul.cfg" "central-nul.cfg:3: a NUL byte"
exit $((FAILS > 0))
