#!/usr/bin/env bash
# suite: sanitizer pass only
# Degraded-plant flags and the HTTP API, with a real mosquitto, a real
# InfluxDB 1.x and the simulator's history replay (wwtp-sim --history):
#  1. Three stations: yen-nghia (listed by the plan for review) simulated
#     healthy, qd6613-01 (not listed) made to degrade (failed aeration),
#     qd6613-02 healthy. From the day of history alone, qd6613-01 is
#     flagged with the right reasons and numbers, the other two are not.
#  2. /api/stations has the fields docs/api.md promises; /api/alerts and its
#     filters; a station's series; bad requests answered with JSON errors.
#  3. Every replayed reading is in InfluxDB.
#  4. Restarted, wwtp-central flags the same from InfluxDB alone, with the
#     alerts read back.
#  5. The data recovers (the day replayed healthy: the same points, new
#     values): the flag clears.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"

# A broker that queues enough for the replay's burst (mosquitto's default
# is 1000 queued messages per client).
MOSQUITTO_EXTRA="max_queued_messages 1000000"

# The API needs log-in (docs/web.md): one inspector account, by HTTP Basic.
WEB_AUTH="ci:ci-password-1"
api() { curl -s -u "$WEB_AUTH" --max-time 10 "http://127.0.0.1:$HTTP_PORT$1"; }
code() { curl -s -u "$WEB_AUTH" -o "$T/last.json" -w '%{http_code}' --max-time 10 "$@"; }

# central_up NAME: start_central, also waiting until the API answers.
central_up() {
	start_central "$1" 15 "[ \"\$(code http://127.0.0.1:$HTTP_PORT/api/health)\" = 200 ]" " and serves the API"
}

# replay NAME SCENARIO...: one day of history of the three stations, at 5
# minutes, published and acknowledged; HISTORY_TELEMETRY gets the count.
replay() {
	local name=$1
	shift
	"$SIM" --history 1 --history-only --publish "tcp://127.0.0.1:$MQTT_PORT" --profiles config/profiles \
		-c "$T/stations/yen-nghia.cfg" -c "$T/stations/qd6613-01.cfg" -c "$T/stations/qd6613-02.cfg" \
		"$@" >"$T/$name.out" 2>"$T/$name.log"
	local rc=$?
	HISTORY_TELEMETRY=$(sed -n 's/^history done \([0-9]*\) .*/\1/p' "$T/$name.out")
	if [ $rc -eq 0 ] && [ -n "$HISTORY_TELEMETRY" ]; then ok "history $name published and acknowledged ($(cat "$T/$name.out"))"; else
		not_ok "history $name published and acknowledged" "exit $rc" "$(tail -n 3 "$T/$name.log")"; exit 1; fi
}

# settled: no station is waiting for readings of past hours.
settled() { [ "$(api /api/stations | jq '[.[] | select(.backfilling or .checks.evaluated == null)] | length')" = 0 ]; }
flagged() { api /api/stations | jq -r '[.[] | select(.flagged) | .id] | join(" ")'; }

start_influxd
start_mosquitto
HTTP_PORT=$(freeport)
printf '%s\n' "${WEB_AUTH#*:}" | "$CENTRAL" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
mkdir -p "$T/stations"
for s in yen-nghia qd6613-01 qd6613-02; do
	sed "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" "config/stations/$s.cfg" >"$T/stations/$s.cfg"
done
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
stats_interval_s = 2;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-flags"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_ms = 200; timeout_ms = 5000; retry_min_ms = 200; retry_max_ms = 1000;
  spool_dir = "$T/spool";
};
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl"; };
# A day of history: judge the last 24 hours, every second.
flags = { window_h = 24; min_hours = 6; refresh_s = 1; };
EOF
check "wwtp-central --check accepts the configuration with flags and http" "$CENTRAL" -c "$T/central.cfg" --check
central_up central

# ---- 1. flags from history ----

check "before any data: three stations, none flagged, status unknown" jq -e \
	'length == 3 and all(.[]; .flagged == false and .status == "unknown" and .last_seen == null)' <(api /api/stations)
mqtt_sub tel 1000000 $((60 * SLOW)) 'wwtp/+/telemetry'
replay degrade --scenario qd6613-01=failed-aeration --scenario yen-nghia=healthy
if wait_for "settled && [ \"\$(flagged)\" = qd6613-01 ]" $((30 * SLOW)); then
	ok "from the history alone: exactly qd6613-01 is flagged"
else
	not_ok "from the history alone: exactly qd6613-01 is flagged" "flagged: $(flagged)" "$(api /api/stations | jq -c '.[] | {id, flagged, backfilling, reasons: [.reasons[].text]}')"
fi
api /api/stations >"$T/stations.json"
check "the healthy plant made to degrade: COD and NH4 out of limits, with the numbers" jq -e '
	.[] | select(.id == "qd6613-01") | .reasons as $r |
	($r | map(select(.rule == "compliance")) | map(.param) | index("cod") != null and index("nh4") != null) and
	($r | all(.text | length > 20)) and
	($r[] | select(.rule == "compliance" and .param == "cod") |
		.value < 0.1 and .threshold == 0.9 and .limit_max == 135 and .hours >= 20 and (.text | test("^cod: [0-9]+% of [0-9]+ hourly averages within 135 mg/L")))' "$T/stations.json"
check "the plan-listed plant simulated healthy is not flagged, and says why not (its checks)" jq -e '
	.[] | select(.id == "yen-nghia") | .plan_review == true and .flagged == false and .reasons == [] and
	.checks.compliance.cod.within >= 0.9 and .checks.cod_removal >= 0.8 and .checks.hydraulic_load < 1.1' "$T/stations.json"
check "the other healthy plant is not flagged" jq -e '.[] | select(.id == "qd6613-02") | .flagged == false' "$T/stations.json"
if grep -q 'WARN \[flags\] station qd6613-01 .* flagged: cod: ' "$T/central.log"; then ok "the flag is logged with its reasons"; else
	not_ok "the flag is logged with its reasons" "$(grep flags "$T/central.log" | tail -n 3)"; fi

# ---- 2. the API ----

check "/api/stations: every station has id, name, status, last_seen, plan_review, flagged, reasons, alerts" jq -e '
	all(.[]; (.id | type) == "string" and (.name | type) == "string" and (.status | IN("online", "silent", "offline", "unknown")) and
	    (.last_seen | type) == "string" and (.plan_review | type) == "boolean" and (.flagged | type) == "boolean" and
	    (.reasons | type) == "array" and (.alerts | type) == "array")' "$T/stations.json"
check "/api/stations/{id}: one station" jq -e '.id == "yen-nghia" and .name == "CCN Yên Nghĩa"' <(api /api/stations/yen-nghia)
api '/api/alerts?station=qd6613-01&kind=exceedance' >"$T/alerts.json"
check "/api/alerts?station=&kind=: the degraded plant's exceedances from the history" jq -e \
	'length >= 2 and all(.[]; .station == "qd6613-01" and .kind == "exceedance" and .ratio > 1 and (.start | type) == "string")' "$T/alerts.json"
check "/api/alerts?state=open: only open ones, also on the station" bash -c \
	"curl -s -u '$WEB_AUTH' 'http://127.0.0.1:$HTTP_PORT/api/alerts?station=qd6613-01&state=open' | jq -e 'length >= 1 and all(.[]; .state == \"open\" and (has(\"end\") | not))' >/dev/null &&
	 curl -s -u '$WEB_AUTH' http://127.0.0.1:$HTTP_PORT/api/stations/qd6613-01 | jq -e '.open_alerts >= 1 and (.alerts | length) >= 1' >/dev/null"
# A raise and its clear of our own, two days ago, on the healthy plant.
pub() { mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "$1" -m "$2"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
NOW=$(date -u +%s)
T1=$((NOW - 2 * 86400)) T2=$((NOW - 2 * 86400 + 600))
AID="qd6613-02:ph:range:3600:${T1}000"
pub wwtp/qd6613-02/alert '{"v":1,"id":"'$AID'","station":"qd6613-02","event":"raised","kind":"range","device":"outlet-ph","param":"ph","unit":"pH","window_s":3600,"value":9.5,"limit":9,"ratio":1.0556,"start":"'$(iso $T1)'","ts":"'$(iso $T1)'"}'
pub wwtp/qd6613-02/alert '{"v":1,"id":"'$AID'","station":"qd6613-02","event":"cleared","kind":"range","device":"outlet-ph","param":"ph","unit":"pH","window_s":3600,"value":8,"limit":9,"ratio":0.8889,"start":"'$(iso $T1)'","end":"'$(iso $T2)'","ts":"'$(iso $T2)'"}'
wait_for "[ \"\$(api '/api/alerts?station=qd6613-02&kind=range' | jq length)\" = 1 ]" $((10 * SLOW))
check "our raise and clear are one closed alert, with its numbers" jq -e \
	--arg id "$AID" '.[0] | .id == $id and .state == "closed" and .closed_by == "cleared" and .value == 9.5 and .end_value == 8 and .limit == 9' \
	<(api '/api/alerts?station=qd6613-02&kind=range&state=closed')
check "time range: found while it was active, not after" bash -c \
	"[ \"\$(curl -s -u '$WEB_AUTH' 'http://127.0.0.1:$HTTP_PORT/api/alerts?station=qd6613-02&kind=range&from=$(iso $((T1 + 60)) | cut -c1-19)Z&to=$(iso $((T1 + 120)) | cut -c1-19)Z' | jq length)\" = 1 ] &&
	 [ \"\$(curl -s -u '$WEB_AUTH' 'http://127.0.0.1:$HTTP_PORT/api/alerts?station=qd6613-02&kind=range&from=$(((T2 + 60) * 1000))' | jq length)\" = 0 ]"
check "state=open leaves it out" bash -c \
	"[ \"\$(curl -s -u '$WEB_AUTH' 'http://127.0.0.1:$HTTP_PORT/api/alerts?station=qd6613-02&kind=range&state=open' | jq length)\" = 0 ]"
check "limit, newest first, X-Total-Count" bash -c \
	"curl -s -u '$WEB_AUTH' -D '$T/h.txt' 'http://127.0.0.1:$HTTP_PORT/api/alerts?limit=2' | jq -e 'length == 2 and .[0].start >= .[1].start' >/dev/null &&
	 grep -qi '^X-Total-Count: [0-9]' '$T/h.txt'"
api '/api/stations/qd6613-01/series?param=cod&every=1h' >"$T/series.json"
check "series: hourly means of COD over the last day, over its limit" jq -e \
	'.station == "qd6613-01" and .param == "cod" and .unit == "mg/L" and .every == "1h" and (.points | length) >= 20 and all(.points[]; .mean > 135 and .n >= 1)' "$T/series.json"
FROM=$(((NOW - 3600) * 1000))
check "series: raw readings of a span, with their status" jq -e \
	'(.points | length) >= 10 and all(.points[]; (.status | IN("ok", "fault", "calibrating")) and (.ts | type) == "string") and .truncated == false' \
	<(api "/api/stations/qd6613-01/series?param=cod&from=$FROM")
bad=""
for req in "404 /api/stations/nowhere" "404 /api/nothing" "400 /api/alerts?state=maybe" "400 /api/alerts?from=yesterday" \
	"400 /api/stations/qd6613-01/series" "404 /api/stations/qd6613-01/series?param=nope" "400 /api/alerts?x=1"; do
	c=$(code "http://127.0.0.1:$HTTP_PORT${req#* }")
	{ [ "$c" = "${req%% *}" ] && jq -e '.error | length > 0' "$T/last.json" >/dev/null; } || bad="$bad [$req: $c $(cat "$T/last.json")]"
done
c=$(code -X POST "http://127.0.0.1:$HTTP_PORT/api/stations")
[ "$c" = 405 ] || bad="$bad [POST: $c]"
if [ -z "$bad" ]; then ok "bad requests: 400, 404, 405 with a JSON error"; else not_ok "bad requests: 400, 404, 405 with a JSON error" "$bad"; fi
check "wwtp-central is still running" kill -0 "$CENTRAL_PID"
check "/api/health: MQTT connected, InfluxDB writes and queries ok, 1 flagged" jq -e \
	'.status == "ok" and .mqtt.connected and .influxdb.writes_ok and .flags.queries_ok and .flags.recovered and .flags.flagged == 1' <(api /api/health)

# ---- 3. every replayed reading is in InfluxDB ----

stop_pid "$SUB_PID_tel" INT
grep -vE '^(Client |Subscribed \(mid)' "$T/tel.raw" | sed 's/^[^ ]* //' | grep '^{' >"$T/tel.json"
want=$(jq -s '[.[].readings | length] | add' "$T/tel.json")
nmsg=$(wc -l <"$T/tel.json")
got=$(count_of "SELECT count(seq) FROM reading")
if [ "$nmsg" -eq "$HISTORY_TELEMETRY" ] && [ "$got" -eq "$want" ]; then
	ok "InfluxDB holds every replayed reading ($got in $nmsg messages)"
else
	not_ok "InfluxDB holds every replayed reading" "messages seen $nmsg of $HISTORY_TELEMETRY; readings $got in InfluxDB, $want published"
fi

# ---- 4. a restart: the same flags, from InfluxDB alone ----

nalerts=$(api /api/health | jq .alerts.known)
stop_pid "$CENTRAL_PID" TERM
central_up central2
if wait_for "settled && [ \"\$(flagged)\" = qd6613-01 ]" $((20 * SLOW)); then
	ok "after a restart: qd6613-01 flagged again from what InfluxDB holds"
else
	not_ok "after a restart: qd6613-01 flagged again from what InfluxDB holds" "flagged: $(flagged)"
fi
check "after a restart: the alerts are read back ($nalerts)" jq -e --argjson n "$nalerts" '.alerts.known == $n' <(api /api/health)

# ---- 5. the data recovers: the flag clears ----

replay recover --scenario qd6613-01=healthy --scenario yen-nghia=healthy
if wait_for "settled && [ -z \"\$(flagged)\" ]" $((30 * SLOW)); then
	ok "the day replayed healthy: no station is flagged any more"
else
	not_ok "the day replayed healthy: no station is flagged any more" "flagged: $(flagged)" "$(api /api/stations/qd6613-01 | jq -c '[.reasons[].text]')"
fi
if grep -q 'INFO \[flags\] station qd6613-01 .* no longer flagged' "$T/central2.log"; then ok "the clearing is logged"; else
	not_ok "the clearing is logged" "$(grep flags "$T/central2.log" | tail -n 3)"; fi
stop_pid "$CENTRAL_PID" TERM

[ "$FAILS" -eq 0 ]
