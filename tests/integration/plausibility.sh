#!/usr/bin/env bash
# suite: plain pass too
# Plausibility at the edge (docs/plausibility.md), against a Modbus device that
# is not ours (pymodbus): it serves a pH of 7.25 as a float32 in CDAB order,
# and a station file declares the point int16, a technician's mistake. The
# reading must go out marked suspect ("range") with an explanation, and
# --probe must show the float32 CDAB interpretation as plausible.
. "$(dirname "$0")/../lib/common.sh"

PY=/usr/bin/python3 # Debian's python, where python3-pymodbus is installed

# float32 0x40E80100 = 7.25012...: the low word first (CDAB) is 0x0100, which
# read as int16 is 256, no pH. A flow meter beside it reads 12.5 m3/h as
# float32 ABCD (0x4148, 0x0000), a plausible value.
cat >"$T/map.json" <<'EOF2'
{"holding": {"0": ["0x0100", "0x40E8"], "10": ["0x4148", "0x0000"]}, "input": {}, "coil": {}, "discrete": {}}
EOF2

DEV_PORT=$(freeport)
"$PY" tests/lib/foreign_device.py --tcp "$DEV_PORT" --unit 3 --map "$T/map.json" >"$T/pymodbus.out" 2>&1 &
track $!
if ! "$WAITPORT" 127.0.0.1 "$DEV_PORT" 20000; then
	not_ok "pymodbus TCP device starts" "$(tail -n 5 "$T/pymodbus.out")"
	exit 1
fi

cat >"$T/station.cfg" <<EOF2
station = { id = "plaus-test"; name = "Kiểm tra tính hợp lý"; district = "test"; plan = "qd6613"; };
plausibility_file = "$WWTP_SRCDIR/config/plausibility.cfg";
devices = (
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 3;
    interval_ms = 1000; timeout_ms = $((1000 * SLOW));
    points = (
      { param = "ph"; table = "holding"; address = 0; type = "int16"; unit = "pH"; },
      { param = "flow_out"; table = "holding"; address = 10; type = "float32"; unit = "m3/h"; }
    ); }
);
mqtt = { uri = "tcp://127.0.0.1:1"; topic_prefix = "wwtp"; };
EOF2
check "--check accepts the station file" "$COLLECTOR" --check -c "$T/station.cfg"

timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/station.cfg" --once --print >"$T/print.out" 2>"$T/print.log"
if jq -e '.readings[] | select(.param == "ph") | .value == 256 and .status == "ok" and .suspect == "range"' "$T/print.out" >/dev/null; then
	ok "the int16 pH (256) goes out marked \"suspect\":\"range\""
else
	not_ok "the int16 pH (256) goes out marked \"suspect\":\"range\"" "$(cat "$T/print.out" "$T/print.log" | head -20)"
fi
check "the plausible flow carries no mark" jq -e '.readings[] | select(.param == "flow_out") | .value == 12.5 and (has("suspect") | not)' "$T/print.out"
log "$(grep -h "outside" "$T/print.log")"
if grep -q 'ph 256 pH is outside 0-14' "$T/print.log"; then
	ok "--once --print explains the implausible value"
else
	not_ok "--once --print explains the implausible value" "$(cat "$T/print.log")"
fi

[ "$FAILS" -eq 0 ]
