#!/usr/bin/env bash
# suite: plain pass too
# A shipped station (Thanh Thùy) served by the simulator over Modbus TCP, a
# real mosquitto, and the collector running as a service: readings arrive
# for every device, decoded to plausible values, with increasing seq and ts;
# a device that never answers is reported offline and does not slow the
# others; the retained status is online while it runs, offline after SIGTERM,
# and the broker's last will says offline when the collector is killed.
. "$(dirname "$0")/../lib/common.sh"

start_mosquitto
read -r GW_PORT FLOW_PORT DEAD_PORT < <(freeport 3 | tr '\n' ' ')

# The shipped file with this run's ports and a 1 s poll interval, plus one
# device behind a port where nothing listens.
sed -e "s/port = 15120;/port = $GW_PORT;/g" -e "s/port = 15121;/port = $FLOW_PORT;/g" \
	-e "s/interval_ms = [0-9]*;/interval_ms = 1000;/g" \
	-e "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" \
	config/stations/thanh-thuy.cfg >"$T/station.cfg"
cp "$T/station.cfg" "$T/sim.cfg"
# Insert the dead device as the first entry of the devices list.
sed -i "0,/^devices = (/s//devices = (\n  { name = \"dead-meter\"; transport = \"tcp\"; host = \"127.0.0.1\"; port = $DEAD_PORT; unit_id = 1;\n    interval_ms = 1000; timeout_ms = 300; retries = 0;\n    points = ( { param = \"dead_value\"; table = \"holding\"; address = 0; type = \"float32\"; } ); },/" "$T/station.cfg"
check "the test station is valid" "$COLLECTOR" --check -c "$T/station.cfg" --profiles config/profiles

NDEV=$(grep -c 'name = "' "$T/sim.cfg")
NDEV=$((NDEV - 1)) # the station's own name line
start_sim sim -c "$T/sim.cfg" --profiles config/profiles --scenario healthy

mqtt_sub status_on 1 $((10 * SLOW)) "wwtp/thanh-thuy/status"
mqtt_sub tel 10000 $((8 * SLOW)) "wwtp/thanh-thuy/telemetry"
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles >"$T/collector.out" 2>"$T/collector.log" &
COL=$!
track $COL

sub_wait status_on
check "retained status says online with the version" jq -e --arg v "$(cat VERSION)" \
	'.state == "online" and .version == $v and .station == "thanh-thuy"' <(payloads "$T/status_on.msgs")

sub_wait tel
payloads "$T/tel.msgs" >"$T/tel.json"
n=$(wc -l <"$T/tel.json")
log "$n telemetry messages in $((8 * SLOW)) s from $((NDEV + 1)) devices"

# Every simulated device: at least 4 polls in the window, all readings ok.
devs=$(jq -r '.device' "$T/tel.json" | sort -u | grep -vc dead-meter)
if [ "$devs" -eq "$NDEV" ]; then ok "all $NDEV simulated devices published"; else
	not_ok "all $NDEV simulated devices published" "saw $devs: $(jq -r .device "$T/tel.json" | sort | uniq -c | tr '\n' ' ')"; fi
slow=$(jq -r 'select(.device != "dead-meter") | .device' "$T/tel.json" | sort | uniq -c | awk -v min=$((6 / SLOW)) '$1 < min')
if [ -z "$slow" ]; then ok "each live device kept its 1 s schedule despite the dead one"; else
	not_ok "each live device kept its 1 s schedule despite the dead one" "$slow"; fi
notok=$(jq -r 'select(.device != "dead-meter") | .readings[] | select(.status != "ok") | "\(.param) \(.status) \(.reason // "")"' "$T/tel.json" | sort -u)
if [ -z "$notok" ]; then ok "every reading of the live devices is ok"; else not_ok "every reading of the live devices is ok" "$notok"; fi

# Plausible values for a healthy plant (the simulator's bands, docs/simulator.md).
bad=$(jq -r '.readings[] | select(.status == "ok") |
	select((.param == "ph" and (.value < 6 or .value > 9)) or
	       (.param == "temp" and (.value < 15 or .value > 40)) or
	       (.param == "cod" and (.value <= 0 or .value > 150)) or
	       (.param == "nh4" and (.value < 0 or .value > 10)) or
	       (.param == "tss" and (.value < 0 or .value > 100)) or
	       ((.param == "flow_in" or .param == "flow_out") and (.value < 0 or .value > 1000))) |
	"\(.param)=\(.value)"' "$T/tel.json" | sort -u | head)
if [ -z "$bad" ]; then ok "decoded values are in the healthy plant's bands"; else not_ok "decoded values are in the healthy plant's bands" "$bad"; fi
missing=""
for p in flow_in flow_out temp ph tss cod nh4; do
	# (slurped: jq -e judges a stream by its last input only)
	jq -se --arg p "$p" 'any(.[].readings[]; .param == $p and .status == "ok")' "$T/tel.json" >/dev/null ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then ok "flow in and out, temperature, pH, TSS, COD and ammonium are all published"; else
	not_ok "flow in and out, temperature, pH, TSS, COD and ammonium are all published" "missing:$missing"; fi

# The dead device: offline readings with a reason and no value, and backed off.
check "the dead device's readings are offline, with a reason and no value" jq -se \
	'[.[] | select(.device == "dead-meter") | .readings[]] | length > 0 and
	 all(.status == "offline" and (.reason | length > 0) and (has("value") | not))' "$T/tel.json"
dead=$(jq -r 'select(.device == "dead-meter") | .device' "$T/tel.json" | wc -l)
live=$(jq -r 'select(.device == "outlet-ph") | .device' "$T/tel.json" | wc -l)
if [ "$dead" -lt "$live" ]; then ok "the dead device backs off ($dead polls against $live for a live one)"; else
	not_ok "the dead device backs off" "$dead polls against $live"; fi

# seq: unique and increasing in arrival order; ts increasing per device.
check "seq numbers are unique and increase" jq -se '[.[].seq] as $s | ($s == ($s | sort)) and ($s | length) == ($s | unique | length)' "$T/tel.json"
check "ts increases per device and is UTC ISO 8601" jq -se \
	'group_by(.device) | all(map(.ts) as $t | $t == ($t | sort) and all($t[]; test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")))' "$T/tel.json"
now=$(date -u +%s)
check "ts is the poll time (within a minute of now)" jq -se --argjson now "$now" \
	'all(.[]; (.ts[0:19] + "Z" | fromdateiso8601) as $t | ($now - $t) < 60 and ($now - $t) > -5)' "$T/tel.json"

# SIGTERM: clean exit, retained status offline.
stop_pid $COL TERM
wait $COL 2>/dev/null
rc=$?
if [ $rc -eq 0 ]; then ok "SIGTERM: the collector exits 0"; else not_ok "SIGTERM: the collector exits 0" "exit $rc"; fi
mqtt_sub status_off 1 $((5 * SLOW)) "wwtp/thanh-thuy/status"
sub_wait status_off
check "after SIGTERM the retained status says offline" jq -e '.state == "offline"' <(payloads "$T/status_off.msgs")
check "the dead device's failures were logged rate-limited (at most 3 lines)" \
	test "$(grep -c 'dead-meter' "$T/collector.log")" -le 3

# SIGKILL: the broker publishes the last will.
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles >"$T/collector2.out" 2>"$T/collector2.log" &
COL2=$!
track $COL2
wait_for "mosquitto_sub -p $MQTT_PORT -t wwtp/thanh-thuy/status -C 1 -W 2 | grep -q online" $((10 * SLOW)) ||
	not_ok "the restarted collector says online" ""
kill -KILL $COL2
wait $COL2 2>/dev/null
# The will replaces the retained "online" once the broker sees the socket close.
wait_for "mosquitto_sub -p $MQTT_PORT -t wwtp/thanh-thuy/status -C 1 -W 2 | grep -q offline" $((10 * SLOW))
mqtt_sub will2 1 $((5 * SLOW)) "wwtp/thanh-thuy/status"
sub_wait will2
check "after SIGKILL the broker's last will sets the status offline" jq -e '.state == "offline"' <(payloads "$T/will2.msgs")

[ "$FAILS" -eq 0 ]
