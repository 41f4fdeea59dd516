#!/usr/bin/env bash
# wwtp-central with a real mosquitto and a real InfluxDB 1.x on free ports.
#  1. A station served by the simulator, polled by the real collector: every
#     reading it publishes (collected by a subscriber in parallel) is in
#     InfluxDB with its value and time, once, although InfluxDB was stopped
#     for a while in the middle (the points waited in the spool).
#  2. Bad payloads of every kind are rejected with the right reason, counted,
#     and do not stop it; alerts (raise, clear, a repeat) and status land in
#     their measurements.
#  3. Stopped while InfluxDB is down, it keeps the points in its spool;
#     messages published while it is stopped wait at the broker (persistent
#     session); restarted, it writes both.
# The database is created by wwtp-central itself (create_database = true).
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"

# start_central NAME: waits until it has subscribed (tests/lib/common.sh).
CENTRAL_ARGS="--log-level debug"

# stop_central: SIGTERM, expects exit 0; CENTRAL_RC gets the status.
stop_central() {
	kill -TERM "$CENTRAL_PID" 2>/dev/null
	local i
	for ((i = 0; i < 150; i++)); do
		kill -0 "$CENTRAL_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$CENTRAL_PID" 2>/dev/null; then
		kill -KILL "$CENTRAL_PID"
		CENTRAL_RC=137
	else
		wait "$CENTRAL_PID"
		CENTRAL_RC=$?
	fi
}

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }

start_influxd
start_mosquitto
DEV_PORT=$(freeport)

# Two stations in the registry: the simulated plant, and one that never
# publishes (for the topic/payload mismatch).
mkdir -p "$T/stations"
write_plant_station "$T/stations/ci-plant.cfg" ci-plant "Trạm thử" "$DEV_PORT"
# The simulator serves those two; the collector also polls a device behind
# a port where nothing listens, whose readings are offline, without value.
cp "$T/stations/ci-plant.cfg" "$T/sim.cfg"
DEAD_PORT=$(freeport)
sed -i "0,/^devices = (/s//devices = (\n  { name = \"dead-meter\"; transport = \"tcp\"; host = \"127.0.0.1\"; port = $DEAD_PORT; unit_id = 1;\n    interval_ms = 300; timeout_ms = 200; retries = 0;\n    points = ( { param = \"flow_out\"; table = \"holding\"; address = 0; type = \"float32\"; } ); },/" "$T/stations/ci-plant.cfg"
cat >"$T/stations/ci-other.cfg" <<EOF
station = { id = "ci-other"; name = "Trạm khác"; plan = "review"; };
devices = ( { name = "meter"; transport = "tcp"; host = "127.0.0.1"; port = 1; unit_id = 1;
    points = ( { param = "flow_out"; table = "holding"; address = 0; type = "float32"; } ); } );
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
EOF
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
stats_interval_s = 1;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-central"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_points = 50; batch_max_ms = 200; gzip_min_bytes = 1024;
  timeout_ms = 2000; connect_timeout_ms = 500; retry_min_ms = 200; retry_max_ms = 1000;
  spool_dir = "$T/spool"; spool_max_mb = 16;
};
EOF
check "wwtp-central --check accepts the test configuration" "$CENTRAL" -c "$T/central.cfg" --check

start_central central 10
check "it created the database" wait_for "iq 'SHOW DATABASES' | jq -e '[.results[0].series[0].values[][0]] | index(\"wwtp\")' >/dev/null" 10

# ---- 1. readings from a real collector, with InfluxDB away for a while ----

start_sim sim -c "$T/sim.cfg" --profiles config/profiles
mqtt_sub tel 1000000 $((60 * SLOW)) 'wwtp/ci-plant/telemetry'
"$COLLECTOR" -c "$T/stations/ci-plant.cfg" --profiles config/profiles >"$T/collector.out" 2>"$T/collector.log" &
COL=$!
track $COL
# The figures of wwtp-central's last stats line (one a second): waiting on
# them, not on fixed times, for each phase to have happened.
stat() { grep ' stats: ' "$T/central.log" | tail -n1 | sed -n "s/.*[ (]$1 \([0-9]*\)[ ,;)].*/\1/p"; }
# Points written live first, then InfluxDB away until several writes have
# failed (five: the retries back off to retry_max_ms) and points wait in
# the spool, then back until the spool is empty.
wait_for '[ "$(stat written)" -ge 20 ] 2>/dev/null' $((10 * SLOW))
stop_pid "$INFLUX_PID" TERM
log "influxd stopped ($(stat written) points written)"
wait_for 'grep -q "cannot write to InfluxDB" "$T/central.log" && [ "$(stat queued)" -gt 0 ] && [ "$(stat failed)" -ge 5 ] 2>/dev/null' $((15 * SLOW))
queued=$(sed -n 's/.* stats: .*queued \([0-9]*\) .*/\1/p' "$T/central.log" | tail -n1)
if grep -q 'cannot write to InfluxDB' "$T/central.log" && [ "${queued:-0}" -gt 0 ]; then
	ok "with InfluxDB down it says so and keeps points in the spool ($queued queued)"
else
	not_ok "with InfluxDB down it says so and keeps points in the spool" "queued=${queued:-?}" \
		"$(grep -E 'WARN|ERROR' "$T/central.log" | tail -n 3)"
fi
start_influxd
log "influxd restarted ($(stat failed) writes had failed)"
wait_for '[ "$(stat queued)" -eq 0 ] 2>/dev/null' $((15 * SLOW))
sleep 1 # and a second of live writes
stop_pid $COL TERM
sleep 0.5
stop_pid "$SUB_PID_tel" INT
grep -vE '^(Client |Subscribed \(mid)' "$T/tel.raw" | sed 's/^[^ ]* //' | grep '^{' >"$T/tel.json"
nmsg=$(wc -l <"$T/tel.json")

# What was published: "device param ts_ms value", one line per reading with
# a value; and the number of readings of any kind.
jq -r '. as $m | (($m.ts[0:19] + "Z" | fromdateiso8601) * 1000 + ($m.ts[20:23] | tonumber)) as $t |
	.readings[] | select(has("value")) | "\($m.device) \(.param) \($t) \(.value)"' "$T/tel.json" |
	sort -u >"$T/published.txt"
want=$(wc -l <"$T/published.txt")
want_all=$(jq -r '. as $m | .readings[] | "\($m.device) \(.param) \($m.ts)"' "$T/tel.json" | sort -u | wc -l)
log "the collector published $nmsg messages: $want readings with a value, $want_all in all"
if [ "$nmsg" -gt 20 ] && [ "$want_all" -gt "$want" ]; then
	ok "the collector published through the outage ($nmsg messages, some readings without value)"
else
	not_ok "the collector published through the outage, some readings without value" \
		"$nmsg messages, $want of $want_all readings with a value"
fi

# Everything reaches InfluxDB once the spool has drained.
wait_for "[ \"\$(count_of \"SELECT count(value) FROM reading WHERE station='ci-plant'\")\" -ge $want ]" $((20 * SLOW))
got=$(count_of "SELECT count(value) FROM reading WHERE station='ci-plant'")
got_all=$(count_of "SELECT count(status) FROM reading WHERE station='ci-plant'")
if [ "$got" -eq "$want" ]; then ok "InfluxDB holds every reading with a value ($got)"; else
	not_ok "InfluxDB holds every reading with a value" "InfluxDB $got, published $want"; fi
if [ "$got_all" -eq "$want_all" ]; then ok "... and every reading without one too ($got_all in all)"; else
	not_ok "... and every reading without one too" "InfluxDB $got_all, published $want_all"; fi
iq "SELECT value, device, param FROM reading WHERE station='ci-plant'" |
	jq -r '.results[0].series[0] | .columns as $c | .values[] | [$c, .] | transpose | map({(.[0]): .[1]}) | add |
		"\(.device) \(.param) \(.time) \(.value)"' | sort >"$T/stored.txt"
if diff -q "$T/published.txt" "$T/stored.txt" >/dev/null; then
	ok "each stored point has the published device, param, time and value; none missing, none extra"
else
	not_ok "each stored point has the published device, param, time and value" \
		"$(diff "$T/published.txt" "$T/stored.txt" | head -n 6)"
fi
# No duplicates: per series, as many points as distinct times.
dups=$(iq "SELECT value FROM reading WHERE station='ci-plant' GROUP BY device, param" |
	jq -r '.results[0].series[] | select((.values | length) != (.values | map(.[0]) | unique | length)) | .tags')
if [ -z "$dups" ]; then ok "no series holds two points at one time"; else not_ok "no series holds two points at one time" "$dups"; fi
if grep -q 'takes writes again' "$T/central.log"; then ok "it logged InfluxDB's recovery"; else
	not_ok "it logged InfluxDB's recovery" "$(grep writer "$T/central.log" | tail -n 3)"; fi
check "large batches were sent gzip-compressed" grep -q 'as [0-9]* gzip: HTTP 204' "$T/central.log"
check "the collector's online and offline status are in station_status" jq -e \
	'[.results[0].series[0].values[][1]] | index("online") != null and index("offline") != null' \
	<(iq "SELECT state FROM station_status WHERE station='ci-plant'")

# ---- 2. bad payloads, alerts ----

pub() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$1" -m "$2"; }
NOW=$(date -u +%s)
TS=$(iso $((NOW - 60)))
good() { # good STATION DEVICE TS SEQ VALUE: a valid telemetry payload
	printf '{"v":1,"station":"%s","device":"%s","ts":"%s","seq":%s,"readings":[{"param":"cod","value":%s,"unit":"mg/L","status":"ok"}]}' \
		"$1" "$2" "$3" "$4" "$5"
}
pub wwtp/ci-plant/telemetry '{"v":1,"station":'
pub wwtp/ci-plant/telemetry '{"v":2,"station":"ci-plant"}'
pub wwtp/nowhere/telemetry "$(good nowhere d "$TS" 1 1)"
pub wwtp/ci-plant/telemetry "$(good ci-other d "$TS" 1 1)"
pub wwtp/ci-plant/telemetry "$(good ci-plant d "$TS" 1 1 | sed 's/"cod"/"COD"/')"
pub wwtp/ci-plant/status '{"v":1,"station":"ci-plant","state":"up","ts":"'"$TS"'"}'
pub wwtp/ci-plant/telemetry "$(good ci-plant d "$TS" 1 1e13)"
pub wwtp/ci-plant/telemetry "$(good ci-plant d 1999-12-31T23:59:59.000Z 1 1)"
pub wwtp/ci-plant/telemetry "$(good ci-plant d "$(iso $((NOW + 3 * 86400)))" 1 1)"
head -c 300000 /dev/zero | tr '\0' ' ' >"$T/big.json"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t wwtp/ci-plant/telemetry -f "$T/big.json"
pub wwtp//telemetry "$(good ci-plant d "$TS" 1 1)"
# ... and a good one after all that, and alerts: a raise, its clear, the raise again.
pub wwtp/ci-plant/telemetry "$(good ci-plant after-garbage "$TS" 7 12.5)"
AID="ci-plant:cod:exceedance:3600:$(((NOW - 7200) * 1000))"
RAISE='{"v":1,"id":"'$AID'","station":"ci-plant","event":"raised","kind":"exceedance","device":"outlet-analyzer","param":"cod","unit":"mg/L","window_s":3600,"value":120.5,"limit":100,"ratio":1.205,"start":"'$(iso $((NOW - 7200)))'","since":"'$(iso $((NOW - 7200)))'","ts":"'$(iso $((NOW - 7200)))'"}'
pub wwtp/ci-plant/alert "$RAISE"
pub wwtp/ci-plant/alert '{"v":1,"id":"'$AID'","station":"ci-plant","event":"cleared","kind":"exceedance","device":"outlet-analyzer","param":"cod","unit":"mg/L","window_s":3600,"value":80,"limit":100,"ratio":0.8,"start":"'$(iso $((NOW - 7200)))'","end":"'$(iso $((NOW - 3600)))'","since":"'$(iso $((NOW - 7200)))'","ts":"'$(iso $((NOW - 3600)))'"}'
pub wwtp/ci-plant/alert "$RAISE"

wait_for "[ \"\$(count_of \"SELECT count(value) FROM reading WHERE device='after-garbage'\")\" -ge 1 ]" $((10 * SLOW))
check "a good message after the garbage is written" test "$(count_of "SELECT count(value) FROM reading WHERE device='after-garbage'")" -eq 1
check "wwtp-central is still running" kill -0 "$CENTRAL_PID"
wait_for "[ \"\$(count_of \"SELECT count(id) FROM alert WHERE station='ci-plant' AND id='$AID'\")\" -ge 2 ]" $((10 * SLOW))
check "the raise and the clear are two alert points; the repeated raise overwrote its own" \
	test "$(count_of "SELECT count(id) FROM alert WHERE station='ci-plant' AND id='$AID'")" -eq 2
check "the alert points carry event, kind, window and the ratio" jq -e \
	'.results[0].series[0] | .columns as $c | [.values[] | [$c, .] | transpose | map({(.[0]): .[1]}) | add] |
	 (map(.event) | sort) == ["cleared", "raised"] and all(.kind == "exceedance" and .window == "3600" and .param == "cod" and .device == "outlet-analyzer") and
	 (map(.ratio) | sort) == [0.8, 1.205]' <(iq "SELECT * FROM alert WHERE station='ci-plant' AND id='$AID'")

# ---- 3. stopped with InfluxDB down; messages while stopped; restart ----

stop_pid "$INFLUX_PID" TERM
for i in 1 2 3; do pub wwtp/ci-plant/telemetry "$(good ci-plant restart "$(iso $((NOW - 50 + i)))" "$i" "$i.5")"; done
wait_for "grep -q 'cannot write to InfluxDB' <(tail -n 20 '$T/central.log')" $((5 * SLOW))
sleep 0.5
stop_central
if [ "$CENTRAL_RC" -eq 0 ]; then ok "SIGTERM with InfluxDB down: it exits 0"; else not_ok "SIGTERM with InfluxDB down: it exits 0" "exit $CENTRAL_RC"; fi
summary=$(grep 'at exit:' "$T/central.log" | tail -n1)
log "${summary#*] }"
check "the points it could not write are left in the spool" test "$(ls "$T/spool" | grep -c '\.lp$')" -ge 1

# Every rejection reason, counted once (bad_field twice: a telemetry and a status).
missing=""
for r in bad_json=1 bad_version=1 unknown_station=1 topic_mismatch=1 bad_field=2 absurd_value=1 absurd_time=2 too_large=1 bad_topic=1; do
	case "$summary" in *" $r"* | *"($r"*) ;; *) missing="$missing $r" ;; esac
done
if [ -z "$missing" ]; then ok "the exit summary counts every rejection by reason"; else
	not_ok "the exit summary counts every rejection by reason" "missing:$missing" "$summary"; fi
for r in bad_json bad_version unknown_station topic_mismatch bad_field absurd_value absurd_time too_large bad_topic; do
	grep -q "rejected a message on .*: $r: " "$T/central.log" || missing="$missing $r"
done
if [ -z "$missing" ]; then ok "each rejection reason was logged with the topic"; else
	not_ok "each rejection reason was logged with the topic" "missing:$missing"; fi

# While it is stopped, the broker keeps messages for its persistent session.
for i in 4 5; do pub wwtp/ci-plant/telemetry "$(good ci-plant restart "$(iso $((NOW - 50 + i)))" "$i" "$i.5")"; done
start_influxd
start_central central2 10
wait_for "[ \"\$(count_of \"SELECT count(value) FROM reading WHERE device='restart'\")\" -ge 5 ]" $((15 * SLOW))
check "after the restart, spooled and queued messages are all written, once" \
	test "$(count_of "SELECT count(value) FROM reading WHERE device='restart'")" -eq 5
check "... with their values" jq -e '[.results[0].series[0].values[][1]] == [1.5, 2.5, 3.5, 4.5, 5.5]' \
	<(iq "SELECT value FROM reading WHERE device='restart'")
check "the readings of part 1 are still there, no more and no fewer" \
	test "$(count_of "SELECT count(value) FROM reading WHERE station='ci-plant' AND device != 'restart' AND device != 'after-garbage'")" -eq "$want"
sleep 0.5
stop_central
if [ "$CENTRAL_RC" -eq 0 ]; then ok "SIGTERM: it exits 0"; else not_ok "SIGTERM: it exits 0" "exit $CENTRAL_RC"; fi
summary=$(grep 'at exit:' "$T/central2.log" | tail -n1)
log "${summary#*] }"
case "$summary" in *"queued 0 "*"dropped 0 "*) ok "the second run ends with nothing queued and nothing dropped" ;;
*) not_ok "the second run ends with nothing queued and nothing dropped" "$summary" ;; esac

[ "$FAILS" -eq 0 ]
