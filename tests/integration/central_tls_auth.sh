#!/usr/bin/env bash
# suite: sanitizer pass only
# The whole chain with every credential in place: collector -> mosquitto
# (TLS, client certificates whose CN is the user, the ACL of `wwtp-central
# acl --auth cert`) -> wwtp-central (TLS, its own certificate) -> InfluxDB
# 1.x with authentication on, the password read from a file.
#  1. A wrong InfluxDB password: wwtp-central says the credentials were
#     refused and which setting to check, and keeps the points in its spool;
#     restarted with the right one, it writes them, and new ones after.
#  2. A misconfigured broker (no ACL, anyone may publish anything): a
#     payload of one station forged under another station's topic gets
#     through it, and wwtp-central rejects it (logged; no point in
#     InfluxDB), while a genuine one on the same topic is written.
#  3. The InfluxDB password is in none of wwtp-central's logs.
. "$(dirname "$0")/../lib/common.sh"

C="$T/certs"
tls_certs "$C"

# ---- InfluxDB with authentication: an admin, and a user for wwtp-central ----
INFLUX_AUTH=true start_influxd
ADMIN_PW="adm-$RANDOM$RANDOM"
IX_PW="ix-$RANDOM$RANDOM"
influx -host 127.0.0.1 -port "$INFLUX_PORT" -execute "CREATE USER admin WITH PASSWORD '$ADMIN_PW' WITH ALL PRIVILEGES"
export INFLUX_USERNAME=admin INFLUX_PASSWORD="$ADMIN_PW" # for iq / count_of (the influx CLI)
influx -host 127.0.0.1 -port "$INFLUX_PORT" -execute "CREATE DATABASE wwtp"
influx -host 127.0.0.1 -port "$INFLUX_PORT" -execute "CREATE USER central WITH PASSWORD '$IX_PW'"
influx -host 127.0.0.1 -port "$INFLUX_PORT" -execute "GRANT ALL ON wwtp TO central"
code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$INFLUX_PORT/write?db=wwtp" --data-binary 'x v=1')
if [ "$code" = 401 ]; then ok "InfluxDB refuses an anonymous write (HTTP $code)"; else
	not_ok "InfluxDB refuses an anonymous write" "HTTP $code"; fi

# ---- the broker: TLS, certificates, the generated ACL ----
MQTT_PORT=$(freeport)
DEAD_PORT=$(freeport)
for s in st-a st-b; do write_tls_station "$s" "$MQTT_PORT" "$DEAD_PORT" "$C"; done
(umask 077 && printf 'not-%s\n' "$IX_PW" >"$T/influx.pw")
# central_cfg URI TLS-KEYS: writes $T/central.cfg for that broker.
central_cfg() {
	cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
stats_interval_s = 1;
mqtt = { uri = "$1"; client_id = "ci-central"; $2 };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; username = "central"; password_file = "$T/influx.pw";
  batch_max_points = 50; batch_max_ms = 200; timeout_ms = 2000; connect_timeout_ms = 500;
  retry_min_ms = 200; retry_max_ms = 500; spool_dir = "$T/spool"; spool_max_mb = 16;
};
EOF
}
TLS_KEYS="ca_file = \"$C/ca.crt\"; cert_file = \"$C/wwtp-central.crt\"; key_file = \"$C/wwtp-central.key\";"
central_cfg "ssl://127.0.0.1:$MQTT_PORT" "$TLS_KEYS"
check "wwtp-central acl --auth cert" "$WWTP_BUILD/wwtp-central" acl -c "$T/central.cfg" --out "$T/broker" \
	--auth cert --port "$MQTT_PORT" --bind 127.0.0.1 --cafile "$C/ca.crt" --certfile "$C/broker.crt" \
	--keyfile "$C/broker.key"
start_conf_broker tls-broker "$MQTT_PORT" "$T/broker/mosquitto.conf"

once() { # once NAME STATION: one collector run, log $T/collector-NAME.log
	"$COLLECTOR" -c "$T/stations/$2.cfg" --profiles config/profiles --once --ack-timeout $((5 * SLOW)) \
		>"$T/collector-$1.out" 2>"$T/collector-$1.log"
}
points() { count_of "SELECT count(status) FROM reading WHERE station='$1'"; }
queued() { sed -n 's/.* stats: .*queued \([0-9]*\) .*/\1/p' "$T/$1.log" | tail -n1; }

# ---- 1. a wrong InfluxDB password: refused, said clearly, nothing lost ----
start_central central-wrong 10
if once a1 st-a; then ok "the collector publishes through the TLS broker with its certificate"; else
	not_ok "the collector publishes through the TLS broker with its certificate" "$(tail -n 3 "$T/collector-a1.log")"; fi
if wait_for "grep -q 'credentials refused, check username and the password in password_file' '$T/central-wrong.log' &&
	[ \"\$(queued central-wrong)\" -gt 0 ] 2>/dev/null" $((10 * SLOW)); then
	ok "a wrong InfluxDB password: wwtp-central says which setting to check, and spools ($(queued central-wrong) points)"
else
	not_ok "a wrong InfluxDB password: wwtp-central says which setting to check, and spools" \
		"$(grep -E 'WARN|ERROR' "$T/central-wrong.log" | tail -n 3)"
fi
n=$(points st-a)
if [ "$n" = 0 ]; then ok "nothing was written with the wrong password"; else
	not_ok "nothing was written with the wrong password" "$n points"; fi
stop_pid "$CENTRAL_PID" TERM

(umask 077 && printf '%s\n' "$IX_PW" >"$T/influx.pw")
start_central central-right 10
if wait_for "[ \"\$(points st-a)\" -gt 0 ]" $((10 * SLOW)); then
	ok "with the right password the spooled points reach InfluxDB ($(points st-a))"
else
	not_ok "with the right password the spooled points reach InfluxDB" "$(grep -E 'WARN|ERROR' "$T/central-right.log" | tail -n 3)"
fi
before=$(points st-a)
once a2 st-a
if wait_for "[ \"\$(points st-a)\" -gt $before ]" $((10 * SLOW)); then
	ok "collector -> TLS broker -> wwtp-central -> InfluxDB with authentication ($(points st-a) points)"
else
	not_ok "collector -> TLS broker -> wwtp-central -> InfluxDB with authentication" "still $before points"
fi
stop_pid "$CENTRAL_PID" TERM

# ---- 2. a misconfigured broker lets a forged payload through ----
MOSQUITTO_EXTRA='' start_mosquitto # anonymous, no ACL: the misconfiguration
central_cfg "tcp://127.0.0.1:$MQTT_PORT" ""
start_central central-open 10
NOW=$(date -u +%s)
TS=$(date -u -d "@$((NOW - 30))" +%Y-%m-%dT%H:%M:%S.000Z)
good() { # good STATION TS SEQ VALUE: a valid telemetry payload
	printf '{"v":1,"station":"%s","device":"meter","ts":"%s","seq":%s,"readings":[{"param":"cod","value":%s,"unit":"mg/L","status":"ok"}]}' \
		"$1" "$2" "$3" "$4"
}
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t wwtp/st-b/telemetry -m "$(good st-a "$TS" 1 4242)"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t wwtp/st-b/telemetry -m "$(good st-b "$TS" 2 7777)"
if wait_for "[ \"\$(count_of \"SELECT count(value) FROM reading WHERE value = 7777\")\" -ge 1 ]" $((10 * SLOW)); then
	ok "a genuine payload through the open broker is written"
else
	not_ok "a genuine payload through the open broker is written" "$(tail -n 3 "$T/central-open.log")"
fi
if grep -q 'rejected a message on wwtp/st-b/telemetry: topic_mismatch' "$T/central-open.log"; then
	ok "wwtp-central rejects a station's payload forged under another station's topic, and logs it"
else
	not_ok "wwtp-central rejects a station's payload forged under another station's topic, and logs it" \
		"$(grep -m3 -E 'WARN|ERROR' "$T/central-open.log")"
fi
n=$(count_of "SELECT count(value) FROM reading WHERE value = 4242")
if [ "$n" = 0 ]; then ok "the forged reading is not in InfluxDB"; else
	not_ok "the forged reading is not in InfluxDB" "$n points"; fi
stop_pid "$CENTRAL_PID" TERM

# ---- 3. no secret in the logs ----
leaks=$(grep -lF -e "$IX_PW" "$T"/central-*.log "$T"/collector-*.log 2>/dev/null)
if [ -z "$leaks" ]; then ok "the InfluxDB password is in no log"; else
	not_ok "the InfluxDB password is in no log" "in: $leaks"; fi

exit $((FAILS > 0))
