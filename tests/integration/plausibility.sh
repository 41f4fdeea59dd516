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
if grep -q 'ph 256 is outside 0-14 (what the instrument can read): check type and order; float32 CDAB reads 7.25012' "$T/print.log"; then
	ok "--once --print explains the implausible value"
else
	not_ok "--once --print explains the implausible value" "$(cat "$T/print.log")"
fi

# --probe: every interpretation of the registers, the plausible ones marked.
if "$COLLECTOR" --probe -c "$T/station.cfg" --device outlet-ph --address 0 >"$T/probe.out" 2>&1; then
	ok "--probe exits 0"
else
	not_ok "--probe exits 0" "$(cat "$T/probe.out")"
fi
log "$(grep -E 'point|float32 +CDAB|int16 +AB ' "$T/probe.out")"
check "--probe shows the words read" grep -q '^device outlet-ph (unit 3), holding 0: 0x0100 0x40E8' "$T/probe.out"
check "--probe shows float32 CDAB 7.25012 as plausible" grep -Eq '^float32 +CDAB +7\.25012[0-9]* +plausible$' "$T/probe.out"
check "--probe marks the station file's int16 reading (256) implausible" grep -Eq '^int16 +AB +256 +implausible \(the station file.s\)$' "$T/probe.out"
check "--probe lists 28 interpretations" test "$(grep -cE '^(u?int(16|32|64)|float(32|64)) ' "$T/probe.out")" -eq 28
check "--probe without --address is refused (exit 2)" sh -c "'$COLLECTOR' --probe -c '$T/station.cfg' --device outlet-ph; test \$? -eq 2"
"$COLLECTOR" --probe -c "$T/station.cfg" --device outlet-ph --address 2000 >"$T/probe-bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'wrong address or table' "$T/probe-bad.out"; then
	ok "--probe at a register the device does not have: exit 1, 'wrong address or table'"
else
	not_ok "--probe at a register the device does not have: exit 1, 'wrong address or table'" "exit $rc" "$(cat "$T/probe-bad.out")"
fi

# --once --print: exception 2 named as a wrong address or table; a device that
# does not answer makes the exit status non-zero, and nothing speaks of retries.
DEAD_PORT=$(freeport)
sed -e 's|{ param = "flow_out"; table = "holding"; address = 10;|{ param = "flow_out"; table = "holding"; address = 2000;|' \
	-e "s|^);|  ,{ name = \"dead\"; transport = \"tcp\"; host = \"127.0.0.1\"; port = $DEAD_PORT; unit_id = 1; interval_ms = 1000; timeout_ms = 300; retries = 0; points = ( { param = \"temp\"; table = \"holding\"; address = 0; type = \"float32\"; } ); }\n);|" \
	"$T/station.cfg" >"$T/bad.cfg"
check "--check accepts the second file" "$COLLECTOR" --check -c "$T/bad.cfg"
timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/bad.cfg" --once --print >"$T/bad.out" 2>"$T/bad.log"
rc=$?
if [ $rc -eq 1 ]; then ok "--once --print exits 1 when a device did not answer"; else
	not_ok "--once --print exits 1 when a device did not answer" "exit $rc" "$(cat "$T/bad.log")"; fi
check "the dead device is said once, without a retry interval" sh -c "grep -q 'device dead (unit 1, .*) did not answer' '$T/bad.log' && ! grep -qi 'retrying' '$T/bad.log' && grep -q '1 device did not answer' '$T/bad.log'"
# Slurped: jq 1.6 exits 4 when the last message (the dead device's, printed
# in either order) yields nothing, whatever the earlier ones said.
if jq -s -e '[.[].readings[] | select(.param == "flow_out")] | length == 1 and (.[0].status == "fault") and (.[0].reason | test("exception 2 .*wrong address or table"))' "$T/bad.out" >/dev/null; then
	ok "exception 2 is named as a wrong address or table"
else
	not_ok "exception 2 is named as a wrong address or table" "$(cat "$T/bad.out")"
fi
check "the alert line does not blame the instrument" sh -c "! grep -q 'flow_out: the instrument reports a fault' '$T/bad.log'"

[ "$FAILS" -eq 0 ]
