#!/usr/bin/env bash
# suite: plain pass too
# The collector, pointed at a Modbus device it has never seen (pymodbus, not
# our simulator) and a real mosquitto, publishes correctly decoded values for
# every type and byte/word order, over TCP and over RTU (a pseudo-terminal
# pair made by socat). The register words below are computed by hand from the
# IEEE 754 / two's complement layouts, independently of our decoder.
. "$(dirname "$0")/../lib/common.sh"

PY=/usr/bin/python3 # Debian's python, where python3-pymodbus is installed

# param      table     addr type    order words                          expected
TABLE=$(
	cat <<'EOF'
i16_abcd     holding   0    int16   ABCD  0xFB2E                         -1234
i16_badc     holding   1    int16   BADC  0x2EFB                         -1234
u16_abcd     holding   2    uint16  ABCD  0xD431                         54321
u16_dcba     holding   3    uint16  DCBA  0x31D4                         54321
i32_abcd     holding   10   int32   ABCD  0xF8A4,0x32EB                  -123456789
i32_cdab     holding   12   int32   CDAB  0x32EB,0xF8A4                  -123456789
i32_badc     holding   14   int32   BADC  0xA4F8,0xEB32                  -123456789
i32_dcba     holding   16   int32   DCBA  0xEB32,0xA4F8                  -123456789
u32_abcd     holding   20   uint32  ABCD  0xB2D0,0x5E00                  3000000000
u32_cdab     holding   22   uint32  CDAB  0x5E00,0xB2D0                  3000000000
u32_badc     holding   24   uint32  BADC  0xD0B2,0x005E                  3000000000
u32_dcba     holding   26   uint32  DCBA  0x005E,0xD0B2                  3000000000
i64_abcd     holding   30   int64   ABCD  0xFFFF,0xFEE0,0x8E04,0xFB35    -1234567890123
i64_cdab     holding   34   int64   CDAB  0xFB35,0x8E04,0xFEE0,0xFFFF    -1234567890123
i64_badc     holding   38   int64   BADC  0xFFFF,0xE0FE,0x048E,0x35FB    -1234567890123
i64_dcba     holding   42   int64   DCBA  0x35FB,0x048E,0xE0FE,0xFFFF    -1234567890123
u64_abcd     holding   50   uint64  ABCD  0x0004,0x62D5,0x3C8A,0xBAC0    1234567890123456
u64_cdab     holding   54   uint64  CDAB  0xBAC0,0x3C8A,0x62D5,0x0004    1234567890123456
u64_badc     holding   58   uint64  BADC  0x0400,0xD562,0x8A3C,0xC0BA    1234567890123456
u64_dcba     holding   62   uint64  DCBA  0xC0BA,0x8A3C,0xD562,0x0400    1234567890123456
f32_abcd     holding   70   float32 ABCD  0x4228,0x8000                  42.125
f32_cdab     holding   72   float32 CDAB  0x8000,0x4228                  42.125
f32_badc     holding   74   float32 BADC  0x2842,0x0080                  42.125
f32_dcba     holding   76   float32 DCBA  0x0080,0x2842                  42.125
f64_abcd     holding   80   float64 ABCD  0xC093,0x4A45,0x70A3,0xD70A    -1234.5678125
f64_cdab     holding   84   float64 CDAB  0xD70A,0x70A3,0x4A45,0xC093    -1234.5678125
f64_badc     holding   88   float64 BADC  0x93C0,0x454A,0xA370,0x0AD7    -1234.5678125
f64_dcba     holding   92   float64 DCBA  0x0AD7,0xA370,0x454A,0x93C0    -1234.5678125
f32_input    input     5    float32 CDAB  0x0000,0x40E8                  7.25
pump_coil    coil      3    bool    ABCD  1                              1
level_di     discrete  4    bool    ABCD  1                              1
EOF
)
# Points with extras (scale/offset, bits, a status register), hand-written:
EXTRA_POINTS='
      { param = "scaled_i32"; table = "holding"; address = 100; type = "int32"; scale = 0.01; unit = "mg/L"; },
      { param = "temp_u16"; table = "holding"; address = 102; type = "uint16"; scale = 0.1; offset = -40.0; unit = "C"; },
      { param = "bit0"; table = "holding"; address = 110; type = "uint16"; bit = 0; },
      { param = "bit1"; table = "holding"; address = 110; type = "uint16"; bit = 1; },
      { param = "bit15"; table = "holding"; address = 110; type = "uint16"; bit = 15; },
      { param = "cod"; table = "holding"; address = 112; type = "float32"; unit = "mg/L";
        status = { table = "holding"; address = 120; mode = "value"; calibrating = 1; fault = 2; }; }'
# 4210 x 0.01 = 42.1; 650 x 0.1 - 40 = 25; 0x8001: bits 0 and 15 set;
# COD 55.5 = 0x425E0000 while its status register says 1 (calibrating).
EXTRA_MAP='"100":[0,4210],"102":[650],"110":[32769],"112":[16990,0],"120":[1]'
EXTRA_EXPECT='scaled_i32 42.1 ok
temp_u16 25 ok
bit0 1 ok
bit1 0 ok
bit15 1 ok
cod 55.5 calibrating'

# Builds the JSON register map for the device from the table (words stay
# hex strings; foreign_device.py reads them with int(w, 0)).
make_map() {
	echo "$TABLE" | awk -v extra="$EXTRA_MAP" '
	{
		w = $6; gsub(/0x[0-9A-F]+/, "\"&\"", w)
		t[$2] = t[$2] sep[$2] "\"" $3 "\":[" w "]"; sep[$2] = ","
	}
	END {
		printf "{\"holding\":{%s,%s},\"input\":{%s},\"coil\":{%s},\"discrete\":{%s}}\n",
			t["holding"], extra, t["input"], t["coil"], t["discrete"]
	}' >"$T/map.json"
	jq -e . "$T/map.json" >/dev/null || { not_ok "register map is valid JSON" "$(cat "$T/map.json")"; exit 1; }
}

# write_config FILE TRANSPORT_LINES
write_config() {
	local file=$1 transport=$2
	{
		cat <<EOF
station = { id = "foreign-test"; name = "Thiết bị chưa từng gặp"; district = "test"; plan = "qd6613"; };
devices = (
  { name = "probe"; $transport
    unit_id = 7; interval_ms = 1000; timeout_ms = $((1000 * SLOW)); retries = 2;
    points = (
EOF
		echo "$TABLE" | awk '{ printf "      { param = \"%s\"; table = \"%s\"; address = %s; type = \"%s\"; order = \"%s\"; },\n", $1, $2, $3, $4, $5 }'
		echo "$EXTRA_POINTS"
		cat <<EOF
    ); }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; topic_prefix = "wwtp"; };
EOF
	} >"$file"
}

# check_readings LABEL FILE_WITH_ONE_PAYLOAD
check_readings() {
	local label=$1 payload=$2 bad=()
	while read -r param _ _ _ _ _ expected; do
		bad+=("$(jq -r --arg p "$param" --argjson e "$expected" '
			.readings[] | select(.param == $p) |
			if .status != "ok" then "\($p): status \(.status) \(.reason // "")"
			elif ((.value - $e) | fabs) > (1e-9 * ([1, ($e | fabs)] | max)) then "\($p): got \(.value), want \($e)"
			else empty end' "$payload")")
		jq -e --arg p "$param" '[.readings[] | select(.param == $p)] | length == 1' "$payload" >/dev/null ||
			bad+=("$param: missing")
	done <<<"$TABLE"
	while read -r param expected status; do
		bad+=("$(jq -r --arg p "$param" --argjson e "$expected" --arg s "$status" '
			.readings[] | select(.param == $p) |
			if .status != $s then "\($p): status \(.status), want \($s)"
			elif ((.value - $e) | fabs) > 1e-9 * ([1, ($e | fabs)] | max) then "\($p): got \(.value), want \($e)"
			else empty end' "$payload")")
	done <<<"$EXTRA_EXPECT"
	local msgs
	msgs=$(printf '%s\n' "${bad[@]}" | grep -v '^$')
	if [ -z "$msgs" ]; then
		ok "$label: all $(jq '.readings | length' "$payload") points decoded as computed by hand"
	else
		not_ok "$label: every type and order decodes as computed by hand" "$msgs"
	fi
}

# run_case LABEL TRANSPORT_LINES: one --print --once and one --once to a broker.
run_case() {
	local label=$1 transport=$2
	write_config "$T/$label.cfg" "$transport"
	check "$label: --check accepts the config" "$COLLECTOR" --check -c "$T/$label.cfg"

	if timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/$label.cfg" --once --print >"$T/$label.print" 2>"$T/$label-print.log"; then
		ok "$label: --once --print exits 0"
	else
		not_ok "$label: --once --print exits 0" "$(tail -n 5 "$T/$label-print.log")"
	fi
	if [ "$(wc -l <"$T/$label.print")" -eq 1 ]; then
		check_readings "$label --print" "$T/$label.print"
	else
		not_ok "$label: --print writes one JSON line for the one device" "$(head -c 400 "$T/$label.print")"
	fi

	mqtt_sub "$label" 1 $((30 * SLOW)) "wwtp/foreign-test/telemetry"
	if timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/$label.cfg" --once 2>"$T/$label-once.log"; then
		ok "$label: --once exits 0 after the broker acknowledged"
	else
		not_ok "$label: --once exits 0 after the broker acknowledged" "$(tail -n 5 "$T/$label-once.log")"
	fi
	sub_wait "$label"
	if [ "$(wc -l <"$T/$label.msgs")" -eq 1 ]; then
		payloads "$T/$label.msgs" >"$T/$label.payload"
		check_readings "$label over MQTT" "$T/$label.payload"
		check "$label: payload has v=1, station, device, ts and seq" jq -e \
			'.v == 1 and .station == "foreign-test" and .device == "probe" and (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")) and (.seq | type == "number")' \
			"$T/$label.payload"
	else
		not_ok "$label: one telemetry message arrived at the broker" "got $(wc -l <"$T/$label.msgs") lines"
	fi
}

start_mosquitto
make_map

# --- Modbus TCP
DEV_PORT=$(freeport)
"$PY" tests/lib/foreign_device.py --tcp "$DEV_PORT" --unit 7 --map "$T/map.json" >"$T/pymodbus-tcp.out" 2>&1 &
track $!
if ! "$WAITPORT" 127.0.0.1 "$DEV_PORT" 20000; then
	not_ok "pymodbus TCP device starts" "$(tail -n 5 "$T/pymodbus-tcp.out")"
	exit 1
fi
run_case tcp "transport = \"tcp\"; host = \"127.0.0.1\"; port = $DEV_PORT;"

# --- Modbus RTU over a pseudo-terminal pair: pymodbus on one end, collector on the other.
socat -d -d "pty,raw,echo=0,link=$T/dev-side" "pty,raw,echo=0,link=$T/col-side" >"$T/socat.log" 2>&1 &
track $!
wait_for "[ -e '$T/dev-side' ] && [ -e '$T/col-side' ]" 10 || {
	not_ok "socat makes a pty pair" "$(cat "$T/socat.log")"
	exit 1
}
"$PY" tests/lib/foreign_device.py --serial "$T/dev-side" --unit 7 --map "$T/map.json" >"$T/pymodbus-rtu.out" 2>&1 &
track $!
sleep 1 # pymodbus opens the serial line asynchronously; the retries cover the rest
run_case rtu "transport = \"rtu\"; serial = \"$T/col-side\"; baud = 19200; parity = \"N\"; data_bits = 8; stop_bits = 1;"

[ "$FAILS" -eq 0 ]
