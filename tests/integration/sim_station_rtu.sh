#!/usr/bin/env bash
# Modbus RTU end to end: the example RS-485 station (two buses, several unit
# ids per bus, 19200 8E1 and 9600 8N1) served by the simulator on its own
# pseudo-terminals, read by the collector and published to a real mosquitto;
# then the same over a socat pseudo-terminal pair (simulator --serial).
. "$(dirname "$0")/../lib/common.sh"

start_mosquitto
PLC_PORT=$(freeport)

start_sim sim -c config/examples/rtu-station.cfg --profiles config/profiles --bind 127.0.0.1 \
	--port-offset $((PLC_PORT - 502))
USB0=$(awk '$1 == "rtu" && $3 == "/dev/ttyUSB0" { print $5 }' "$T/sim.out")
USB1=$(awk '$1 == "rtu" && $3 == "/dev/ttyUSB1" { print $5 }' "$T/sim.out")
if [ -c "$USB0" ] && [ -c "$USB1" ]; then ok "the simulator made one pty per bus ($USB0, $USB1)"; else
	not_ok "the simulator made one pty per bus" "$(cat "$T/sim.out")"
	exit 1
fi

# The collector's view: the same file, with this run's serial paths and ports,
# and 500 ms polls.
sed -e "s|/dev/ttyUSB0|$USB0|g" -e "s|/dev/ttyUSB1|$USB1|g" -e "s|192.168.1.10|127.0.0.1|" \
	-e "s|port = 502;|port = $PLC_PORT;|" -e "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" \
	-e "s/interval_ms = [0-9]*;/interval_ms = 500;/g" \
	config/examples/rtu-station.cfg >"$T/station.cfg"
check "the collector's config is valid" "$COLLECTOR" --check -c "$T/station.cfg" --profiles config/profiles

# all_ok FILE LABEL: every reading of every message is ok, and the RTU devices are there.
all_ok() {
	local file=$1 label=$2 bad devs
	bad=$(jq -r '.device as $d | .readings[] | select(.status != "ok") | "\($d)/\(.param): \(.status) \(.reason // "")"' "$file" | sort -u)
	devs=$(jq -r .device "$file" | sort -u | tr '\n' ' ')
	if [ -n "$bad" ]; then
		not_ok "$label: every reading ok" "$bad"
	elif [ "$devs" != "flow-in flow-out outlet-analyzer outlet-ph outlet-tp plc " ]; then
		not_ok "$label: all six devices (five on RTU)" "got: $devs"
	else
		ok "$label: all six devices (five on RTU), every reading ok"
	fi
}

if timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles --once --print \
	>"$T/once.json" 2>"$T/once.log"; then
	all_ok "$T/once.json" "--once --print over the simulator's ptys"
else
	not_ok "--once --print over the simulator's ptys exits 0" "$(tail -n 5 "$T/once.log")"
fi
check "pH decoded from the CDAB transmitter is plausible" jq -se \
	'[.[].readings[] | select(.param == "ph") | .value] | length == 1 and all(. > 6 and . < 9)' "$T/once.json"

# As a service: several polls per device arrive at the broker, the bus shared
# by three devices keeps each one's schedule.
mqtt_sub tel 10000 $((6 * SLOW)) "wwtp/rtu-example/telemetry"
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles >/dev/null 2>"$T/collector.log" &
COL=$!
track $COL
sub_wait tel
stop_pid $COL TERM
payloads "$T/tel.msgs" >"$T/tel.json"
all_ok "$T/tel.json" "as a service over MQTT"
few=$(jq -r .device "$T/tel.json" | sort | uniq -c | awk -v min=$((4 / SLOW + 1)) '$1 < min')
if [ -z "$few" ]; then ok "each RTU device polled repeatedly on a shared bus"; else not_ok "each RTU device polled repeatedly on a shared bus" "$few"; fi
stop_pid "$SIM_PID_sim" TERM

# A socat pseudo-terminal pair: the simulator on one end (--serial), the
# collector on the other, one bus.
socat "pty,raw,echo=0,link=$T/sim-side" "pty,raw,echo=0,link=$T/col-side" >"$T/socat.log" 2>&1 &
track $!
wait_for "[ -e '$T/sim-side' ] && [ -e '$T/col-side' ]" 10 || { not_ok "socat makes a pty pair" "$(cat "$T/socat.log")"; exit 1; }
cat >"$T/one-bus.cfg" <<EOF
station = { id = "one-bus"; name = "Một đường RS-485"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "rtu"; serial = "$T/col-side"; baud = 9600; unit_id = 5;
    interval_ms = 1000; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "rtu"; serial = "$T/col-side"; baud = 9600; unit_id = 6;
    interval_ms = 1000; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
EOF
start_sim sim2 -c "$T/one-bus.cfg" --profiles config/profiles --serial "$T/sim-side" --scenario degraded
if timeout $((30 * SLOW)) "$COLLECTOR" -c "$T/one-bus.cfg" --profiles config/profiles --once --print \
	>"$T/socat.json" 2>"$T/socat-once.log"; then
	check "over a socat pty pair: both unit ids answer with values" jq -se \
		'length == 2 and all(.[].readings[]; .status == "offline" | not) and ([.[].readings[] | select(.param == "cod")] | length == 1)' \
		"$T/socat.json"
	# The degraded scenario plays failed aeration: COD above QCVN 40 column B (150 mg/L).
	check "degraded scenario: COD above 150 mg/L (unless the analyzer is in fault)" jq -se \
		'[.[].readings[] | select(.param == "cod")][0] | (.status != "ok") or (.value > 150)' "$T/socat.json"
else
	not_ok "--once --print over a socat pty pair exits 0" "$(tail -n 5 "$T/socat-once.log")"
fi

[ "$FAILS" -eq 0 ]
