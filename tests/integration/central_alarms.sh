#!/usr/bin/env bash
# The inspector's alerts (docs/alerts.md) through a real mosquitto, a real
# InfluxDB 1.x and wwtp-central with its API:
#  1. An analyzer that faults for 10 minutes every half hour, 31 times
#     (62 raw raise/clear messages, as a collector publishes them), is one
#     alert: "31 lần, tổng 5 giờ 10 phút", priority low.
#  2. One exceedance raised by the edge is exactly one alert, at once
#     (no on-delay), priority high, naming its window, value, limit, ratio;
#     its 24-hour sibling of the same parameter joins it (both windows).
#  3. The rates: every raw exceedance is in an alert, none chattering; the
#     CSV export lists the same alerts; filters by priority and kind.
#  4. Restarted, central reads the raw alerts back from InfluxDB and shows
#     the same alerts (ids, counts): nothing depends on when it started.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
WEB_AUTH="ci:ci-password-1"
api() { curl -s -u "$WEB_AUTH" --max-time 10 "http://127.0.0.1:$HTTP_PORT$1"; }
code() { curl -s -u "$WEB_AUTH" -o "$T/last.out" -w '%{http_code}' --max-time 10 "$@"; }
pub() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$1" -m "$2"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
central_up() {
	start_central "$1" 15 "[ \"\$(code http://127.0.0.1:$HTTP_PORT/api/health)\" = 200 ]" " and serves the API"
}

start_influxd
start_mosquitto
HTTP_PORT=$(freeport)
printf '%s\n' "${WEB_AUTH#*:}" | "$CENTRAL" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
mkdir -p "$T/stations"
write_plant_station "$T/stations/ci-plant.cfg" ci-plant "Trạm thử" 1
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-alarms"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_ms = 100; spool_dir = "$T/spool";
};
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl"; };
flags = { refresh_s = 1; };
# The shipped delays, written out (docs/alerts.md).
alarms = { fault = { on_delay_s = 1800; off_delay_s = 14400; rearm_s = 43200; }; };
EOF
check "wwtp-central --check accepts the alarms group" "$CENTRAL" -c "$T/central.cfg" --check
central_up central

NOW=$(date -u +%s)
T0=$((NOW - 24 * 3600))
# ---- 1. 31 faults of 10 minutes, every 30 minutes ----
for ((i = 0; i < 31; i++)); do
	s=$((T0 + i * 1800)) e=$((T0 + i * 1800 + 600))
	id="ci-plant:cod:fault:0:${s}000"
	common='"station":"ci-plant","kind":"fault","priority":"low","device":"outlet-analyzer","param":"cod","unit":"mg/L","start":"'$(iso $s)'","since":"'$(iso $s)'"'
	pub wwtp/ci-plant/alert '{"v":1,"id":"'$id'","event":"raised",'"$common"',"ts":"'$(iso $s)'"}'
	pub wwtp/ci-plant/alert '{"v":1,"id":"'$id'","event":"cleared",'"$common"',"end":"'$(iso $e)'","ts":"'$(iso $e)'"}'
done
# ---- 2. an exceedance of the 1-hour average, then of the 24-hour one ----
X1=$((NOW - 7200)) X2=$((NOW - 3600))
pub wwtp/ci-plant/alert '{"v":1,"id":"ci-plant:cod:exceedance:3600:'$X1'000","station":"ci-plant","event":"raised","kind":"exceedance","priority":"high","device":"outlet-analyzer","param":"cod","unit":"mg/L","window_s":3600,"value":208,"limit":135,"ratio":1.5407,"start":"'$(iso $X1)'","since":"'$(iso $X1)'","ts":"'$(iso $X1)'"}'
if wait_for "[ \"\$(api /api/health | jq '.alerts.known')\" = 32 ]" $((15 * SLOW)); then
	ok "central holds the 32 raw alerts"
else
	not_ok "central holds the 32 raw alerts" "$(api /api/health | jq -c .alerts)"
fi

api '/api/alerts?station=ci-plant&kind=fault&state=all' >"$T/fault.json"
check "31 intermittent faults are one alert, low, with their count and total time" jq -e '
	length == 1 and .[0].count == 31 and .[0].active_s == 18600 and .[0].priority == "low" and
	.[0].state == "closed" and .[0].id == "ci-plant:cod:fault:0:'"$T0"'000" and
	(.[0].text_vi | contains("31 lần, tổng 5 giờ 10 phút"))' "$T/fault.json" ||
	log "$(jq -c '.[] | {id, count, active_s, state, text_vi}' "$T/fault.json" | head -n 3)"

api '/api/alerts?station=ci-plant&kind=exceedance' >"$T/exc.json"
check "the exceedance is exactly one open alert, high, raised at its own time, with window, value, limit, ratio" jq -e '
	length == 1 and .[0].priority == "high" and .[0].state == "open" and .[0].windows_s == [3600] and
	.[0].window_s == 3600 and .[0].value == 208 and .[0].limit == 135 and .[0].ratio == 1.5407 and
	.[0].start == "'"$(iso $X1)"'" and (.[0].text_vi | contains("gấp 1,54 lần"))' "$T/exc.json" ||
	log "$(cat "$T/exc.json")"

pub wwtp/ci-plant/alert '{"v":1,"id":"ci-plant:cod:exceedance:86400:'$X2'000","station":"ci-plant","event":"raised","kind":"exceedance","priority":"high","device":"outlet-analyzer","param":"cod","unit":"mg/L","window_s":86400,"value":190,"limit":135,"ratio":1.4074,"start":"'$(iso $X2)'","since":"'$(iso $X2)'","ts":"'$(iso $X2)'"}'
wait_for "[ \"\$(api /api/health | jq '.alerts.known')\" = 33 ]" $((10 * SLOW))
check "its 24-hour sibling joins it: still one alert, naming both windows" jq -e \
	'length == 1 and .[0].windows_s == [3600, 86400] and .[0].count == 2' <(api '/api/alerts?station=ci-plant&kind=exceedance')

# ---- 3. rates, filters, CSV ----
api "/api/alerts/rates?from=$(((T0 - 60) * 1000))&to=$((NOW * 1000 + 1000))" >"$T/rates.json"
check "rates: 2 alerts from 33 raw ones; every exceedance in one; none chattering" jq -e \
	'.raised == 2 and .exceedances_raw == 2 and .exceedances_in_alerts == 2 and .chattering_tags == 0 and .by_kind == {"exceedance": 1, "fault": 1}' \
	"$T/rates.json" || log "$(cat "$T/rates.json")"
check "priority=high gives the exceedance only" jq -e 'length == 1 and .[0].kind == "exceedance"' \
	<(api '/api/alerts?priority=high&state=all')
check "order=page puts the open exceedance first" jq -e '.[0].kind == "exceedance" and .[1].kind == "fault"' \
	<(api '/api/alerts?station=ci-plant&state=all&order=page')
c=$(curl -s -u "$WEB_AUTH" -D "$T/csv.h" -o "$T/alerts.csv" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/api/alerts.csv?station=ci-plant&state=all")
if [ "$c" = 200 ] && grep -qi '^Content-Type: text/csv' "$T/csv.h" && [ "$(tr -d '\r' <"$T/alerts.csv" | wc -l)" = 3 ] &&
	head -n1 "$T/alerts.csv" | grep -q '^id,station,kind,priority,' &&
	grep -q '^ci-plant:cod:fault:0:'"$T0"'000,ci-plant,fault,low,cod,mg/L,,closed,' "$T/alerts.csv"; then
	ok "GET /api/alerts.csv: a header and the two alerts, as text/csv"
else
	not_ok "GET /api/alerts.csv: a header and the two alerts, as text/csv" "HTTP $c" "$(head -n 3 "$T/alerts.csv")"
fi
check "a bad priority is refused" test "$(code "http://127.0.0.1:$HTTP_PORT/api/alerts?priority=urgent")" = 400

# ---- 4. restart: the same alerts from InfluxDB ----
jq -c 'map({id, count, state, windows_s})' <(api '/api/alerts?station=ci-plant&state=all') >"$T/before.json"
wait_for "[ \"\$(count_of \"SELECT count(id) FROM alert WHERE station='ci-plant'\")\" -ge 64 ]" $((10 * SLOW))
stop_pid "$CENTRAL_PID" TERM
central_up central2
wait_for "[ \"\$(api /api/health | jq '.alerts.known')\" = 33 ]" $((15 * SLOW))
jq -c 'map({id, count, state, windows_s})' <(api '/api/alerts?station=ci-plant&state=all') >"$T/after.json"
check "restarted, it shows the same alerts (read back from InfluxDB)" cmp -s "$T/before.json" "$T/after.json" ||
	log "before $(cat "$T/before.json") after $(cat "$T/after.json")"

stop_pid "$CENTRAL_PID" TERM
[ "$FAILS" -eq 0 ]
