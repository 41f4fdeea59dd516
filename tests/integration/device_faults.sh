#!/usr/bin/env bash
# Device faults, injected with the simulator's control port while the
# collector runs as a service (docs/reliability.md, "Device faults"): on a
# TCP gateway (gw-a faulted, gw-b beside it) and on an RS-485 bus (bus-c
# faulted, bus-d beside it), in turn: timeouts, late answers on the bus,
# exception answers, CRC / framing errors, answers from another unit id
# (caught on TCP too, where libmodbus 3.1.6 would let them pass), a device
# that disappears and comes back, one bad register address. For each:
#  - the faulted device's readings say so (offline or fault, with a reason);
#  - the device beside it on the same link keeps its schedule, all ok;
#  - the faulted device comes back once the fault ends;
#  - the per-device health record counts the errors by kind, shows the
#    back-off and the last error; the healthy devices have no failure.
. "$(dirname "$0")/../lib/common.sh"

start_mosquitto
read -r GW_PORT CTL_PORT < <(freeport 2 | tr '\n' ' ')
IV=300 # poll interval and response timeout, ms
cat >"$T/edge.cfg" <<EOF
station = { id = "fault-edge"; name = "Fault edge"; plan = "review"; };
devices = (
  { name = "gw-a"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 1;
    interval_ms = $IV; timeout_ms = $IV; retries = 0;
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; unit = "mg/L"; },
               { param = "nh4"; table = "holding"; address = 2; type = "uint16"; scale = 0.01; unit = "mg/L"; },
               { param = "tss"; table = "holding"; address = 3; type = "uint16"; scale = 0.1; unit = "mg/L"; } ); },
  { name = "gw-b"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 2;
    interval_ms = $IV; timeout_ms = $IV; retries = 1;
    points = ( { param = "ph"; table = "holding"; address = 0; type = "uint16"; scale = 0.01; } ); },
  { name = "bus-c"; transport = "rtu"; serial = "/dev/ttyUSB0"; baud = 9600; unit_id = 5;
    interval_ms = $IV; timeout_ms = $IV; retries = 0;
    points = ( { param = "temp"; table = "holding"; address = 0; type = "int16"; scale = 0.1; unit = "°C"; } ); },
  { name = "bus-d"; transport = "rtu"; serial = "/dev/ttyUSB0"; baud = 9600; unit_id = 6;
    interval_ms = $IV; timeout_ms = $IV; retries = 1;
    points = ( { param = "turbidity"; table = "holding"; address = 0; type = "uint16"; scale = 0.1; unit = "NTU"; } ); }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
store = { path = "$T/store.db"; commit_ms = 100; confirm = false; }; # no wwtp-central here
EOF
start_sim sim -c "$T/edge.cfg" --control "$CTL_PORT"
PTY=$(awk '$1 == "rtu" { print $2 }' "$T/sim.ready")
sed "s|/dev/ttyUSB0|$PTY|" "$T/edge.cfg" >"$T/collector.cfg"
check "the station is valid" "$COLLECTOR" --check -c "$T/collector.cfg"

exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT"
ctl() { # ctl LINE: an "ok" is expected
	local answer
	printf '%s\n' "$1" >&3
	IFS= read -r -t $((5 * SLOW)) answer <&3 || answer="(no answer)"
	[ "$answer" = ok ] || not_ok "control: '$1' answers ok" "answer: $answer"
}

# Everything the collector publishes, with the topic: telemetry and health.
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -v -t 'wwtp/fault-edge/+' >"$T/all.txt" 2>"$T/sub.log" &
track $!
sleep 0.3
"$COLLECTOR" -c "$T/collector.cfg" --health-interval 1 --clock synced 2>"$T/collector.log" &
COL=$!
track $COL

now_ms() { date +%s%3N; }
# tel DEVICE FROM TO: the telemetry of DEVICE polled in [FROM, TO] ms, one per line.
tel() {
	grep '^wwtp/fault-edge/telemetry ' "$T/all.txt" | sed 's/^[^ ]* //' |
		jq -c --arg d "$1" --argjson a "$2" --argjson b "$3" \
			'select(.device == $d) | (((.ts[0:19] + "Z") | fromdateiso8601) * 1000 + (.ts[20:23] | tonumber)) as $t |
			 select($t >= $a and $t <= $b)'
}
all_ok() { jq -e '[.readings[].status] | all(. == "ok")' >/dev/null; }
# back DEVICE SINCE: the device published an all-ok poll after SINCE.
back() { tel "$1" "$2" 99999999999999 | jq -se 'map(select([.readings[].status] | all(. == "ok"))) | length > 0' >/dev/null; }

wait_for "back gw-a 0 && back bus-c 0 && back gw-b 0 && back bus-d 0" $((10 * SLOW)) ||
	not_ok "every device publishes at first" "$(tail -n 5 "$T/collector.log")"

HOLD=1500
# judge NAME DEVICE FAULT EXPECT OTHER T0 T1: every message of DEVICE polled
# in the fault's window passes the jq test EXPECT (the window starts a poll
# after the fault was set); OTHER, on the same link, kept its schedule, all
# ok; DEVICE comes back after T1.
judge() {
	local name=$1 dev=$2 fault=$3 expect=$4 other=$5 t0=$6 t1=$7 n want bad
	tel "$dev" $((t0 + IV + 100)) $((t1 - 50)) >"$T/$name-$dev.json"
	n=$(wc -l <"$T/$name-$dev.json")
	if [ "$n" -ge 1 ] && jq -se "all(.[]; $expect)" "$T/$name-$dev.json" >/dev/null; then
		ok "$name: $dev ($fault) publishes $n poll(s) saying so: $(jq -r '[.readings[] | "\(.param) \(.status)\(if .reason then " (" + .reason + ")" else "" end)"] | join(", ")' "$T/$name-$dev.json" | sort -u | head -n 1)"
	else
		not_ok "$name: $dev ($fault) readings say so" "$n polls; $(head -c 600 "$T/$name-$dev.json")"
	fi
	tel "$other" "$t0" "$t1" >"$T/$name-$other.json"
	n=$(wc -l <"$T/$name-$other.json")
	want=$(((t1 - t0) / IV / 2 / SLOW))
	bad=$(jq -c 'select([.readings[].status] | all(. == "ok") | not)' "$T/$name-$other.json" | head -n 2)
	if [ "$n" -ge "$want" ] && [ -z "$bad" ]; then ok "$name: $other beside it kept its schedule ($n polls in $((t1 - t0)) ms), all ok"; else
		not_ok "$name: $other beside it kept its schedule, all ok" "$n polls (want >= $want); $bad"; fi
	if wait_for "back $dev $t1" $((10 * SLOW)); then ok "$name: $dev comes back after the fault"; else
		not_ok "$name: $dev comes back after the fault" "$(tel "$dev" "$t1" 99999999999999 | tail -n 2)"; fi
}

# phase NAME TCP_FAULT TCP_EXPECT RTU_FAULT RTU_EXPECT: gw-a and bus-c
# misbehave at once for HOLD ms ("none": that one does not).
phase() {
	local name=$1 tf=$2 te=$3 rf=$4 re=$5 t0 t1
	t0=$(now_ms)
	[ "$tf" != none ] && ctl "fault fault-edge gw-a $tf"
	[ "$rf" != none ] && ctl "fault fault-edge bus-c $rf"
	sleep "$(awk -v h=$HOLD 'BEGIN { print h / 1000 }')"
	t1=$(now_ms)
	[ "$tf" != none ] && ctl "fault fault-edge gw-a none"
	case "$rf" in none | silent*) ;; *) ctl "fault fault-edge bus-c none" ;; esac
	[ "$tf" != none ] && judge "$name" gw-a "$tf" "$te" gw-b "$t0" "$t1"
	[ "$rf" != none ] && judge "$name" bus-c "$rf" "$re" bus-d "$t0" "$t1"
	return 0
}

offline_because() { echo "all(.readings[]; .status == \"offline\" and (has(\"value\") | not) and (.reason | test(\"$1\")))"; }

phase timeouts drop "$(offline_because 'timed out after 300 ms')" \
	"delay 450" "$(offline_because 'timed out after 300 ms')"
# The health record showed the back-off while gw-a was failing.
check "timeouts: the health record showed gw-a offline, backing off (interval above ${IV} ms)" bash -c \
	"grep '^wwtp/fault-edge/health ' '$T/all.txt' | sed 's/^[^ ]* //' | jq -se 'map(.devices[] | select(.device == \"gw-a\" and .state == \"offline\" and .interval_ms > $IV)) | length > 0'"
phase exceptions "exception 4" \
	'all(.readings[]; .status == "fault" and (.reason | test("exception 4 \\(server device failure\\) at holding 0-3")))' \
	crc "$(offline_because 'CRC')"
phase frames crc "$(offline_because 'invalid answer')" wrong-unit "$(offline_because 'not from requested slave')"
phase gone wrong-unit "$(offline_because 'answer from unit id 2, not 1 \\(wrong unit id\\)')" \
	"silent 1.5" "$(offline_because 'timed out')"
phase closed close "$(offline_because 'reset|closed|connect')" none ""
phase bad-address "bad-address 2" \
	'(.readings | map({(.param): .}) | add) as $r | $r.cod.status == "ok" and $r.tss.status == "ok" and
	 $r.nh4.status == "fault" and ($r.nh4 | has("value") | not) and ($r.nh4.reason | test("exception 2 \\(illegal data address\\) at holding 2"))' \
	none ""

# The per-device health record, from the last health message.
sleep 1.5
grep '^wwtp/fault-edge/health ' "$T/all.txt" | tail -n 1 | sed 's/^[^ ]* //' >"$T/health.json"
health() { jq -e --arg d "$1" ".devices[] | select(.device == \$d) | $2" "$T/health.json" >/dev/null; }
check "health gw-a: errors by kind (timeout, exception, frame x2, connection)" health gw-a \
	'.errors.timeout >= 1 and .errors.exception >= 2 and .errors.frame >= 2 and .errors.connection >= 1'
check "health gw-a: failures and partial polls counted, last error kept" health gw-a \
	'.failures >= 4 and .partial >= 1 and (.last_error | test("exception 2"))'
check "health bus-c: timeouts and frame errors counted" health bus-c '.errors.timeout >= 2 and .errors.frame >= 2 and .failures >= 3'
check "health gw-b and bus-d: not one failed poll" bash -c \
	"jq -e '[.devices[] | select(.device == \"gw-b\" or .device == \"bus-d\") | .failures] == [0, 0]' '$T/health.json'"
check "health: every device ok again, the back-off undone" jq -e \
	"[.devices[] | .state] == [\"ok\", \"ok\", \"ok\", \"ok\"] and all(.devices[]; .interval_ms == $IV)" "$T/health.json"
check "the collector is still running" kill -0 $COL
stop_pid $COL TERM
check "... and stops cleanly" bash -c "grep -q 'polls, .* messages stored' '$T/collector.log'"

[ "$FAILS" -eq 0 ]
