#!/usr/bin/env bash
# suite: sanitizer pass only
# The monthly report over data that took the real path: the simulator's
# history (two days of yen-nghia with failed aeration and of thanh-thuy
# healthy, with the alerts the stations' own evaluator raised and cleared,
# docs/simulator.md) published to a real mosquitto, decoded by wwtp-central
# and written to a real influxd; then `wwtp-central report` for the month
# under way. Every figure of its CSV is computed again without the
# project's code (tests/lib/report_check.sh), and the report agrees with
# what the evaluator judged live: where the failed plant's COD exceeded hour
# after hour, the evaluator's COD alert was open too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/report_check.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
KQ=0.9 # the station files: a river without flow data (docs/compliance.md)
KF=1.0 # design_flow_m3d = 1000: 500 < F <= 5000
# The month under way in Hanoi; two days back must lie in it (else the
# history would straddle two months: use the previous one then).
MONTH=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m)
if [ "$(TZ=Asia/Ho_Chi_Minh date +%d)" -le 2 ]; then
	log "the month began less than two days ago: the history straddles it; only its part in $MONTH is reported"
fi

start_influxd
MOSQUITTO_EXTRA="max_queued_messages 1000000" start_mosquitto
mkdir -p "$T/stations"
for s in yen-nghia thanh-thuy; do
	sed "s|tcp://127.0.0.1:1883|tcp://127.0.0.1:$MQTT_PORT|" "config/stations/$s.cfg" >"$T/stations/$s.cfg"
done
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-report"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_ms = 200; timeout_ms = 5000; retry_min_ms = 200; retry_max_ms = 1000;
  spool_dir = "$T/spool";
};
EOF
start_central central 15

"$WWTP_BUILD/wwtp-sim" --history 2 --history-only --publish "tcp://127.0.0.1:$MQTT_PORT" --profiles config/profiles \
	-c "$T/stations/yen-nghia.cfg" -c "$T/stations/thanh-thuy.cfg" --scenario yen-nghia=failed-aeration \
	>"$T/history.out" 2>"$T/history.log"
rc=$?
read -r _ _ TELEMETRY ALERTS < <(grep '^history done' "$T/history.out")
if [ $rc -eq 0 ] && [ -n "${ALERTS:-}" ]; then ok "two days of history published ($TELEMETRY telemetry messages, $ALERTS alerts)"; else
	not_ok "two days of history published" "exit $rc" "$(tail -n 3 "$T/history.log")"
	exit 1
fi
# Everything written: every alert is a point, and the readings stop growing.
points() { count_of "SELECT count(status) FROM reading"; }
alerts() { count_of "SELECT count(id) FROM alert"; }
if wait_for "[ \"\$(alerts)\" -ge $ALERTS ] && p1=\$(points) && sleep 1 && [ \"\$(points)\" = \"\$p1\" ] && [ \"\$p1\" -gt 0 ]" $((60 * SLOW)); then
	ok "wwtp-central wrote the history to InfluxDB ($(points) readings, $(alerts) alert points)"
else
	not_ok "wwtp-central wrote the history to InfluxDB" "readings $(points), alerts $(alerts) of $ALERTS"
	exit 1
fi

OUT="$T/out"
if "$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --out "$OUT" --no-pdf >"$T/report.out" 2>"$T/report.log"; then
	ok "report --month $MONTH (under way) exits 0"
else
	not_ok "report --month $MONTH exits 0" "$(tail -n 5 "$T/report.log")"
	exit 1
fi
P="$OUT/fleet-$MONTH.csv"
# The period the report judged: the month's start to its last complete hour.
HOURS=$(csvcols "$P" hours_period | head -n 1)
A=$(($(TZ=Asia/Ho_Chi_Minh date -d "$MONTH-01 00:00" +%s) * 1000))
B=$((A + HOURS * 3600000))
check "the period is the month up to the last complete hour ($HOURS hours)" \
	test "$B" -le "$(($(date +%s) * 1000))" -a "$B" -gt "$(($(date +%s) * 1000 - 2 * 3600000))"

report_indep "$A" "$B" "$HOURS"
check "InfluxDB answered the independent queries" test -s "$T/i.hok" -a -s "$T/i.alerts"
report_compare "$P" "$OUT/fleet-$MONTH-stations.csv"

field() { csvcols "$P" "station,param,$3" | awk -F, -v k="$1,$2" '$1 "," $2 == k { print $3 }'; }
log "station param: judged hours, hourly averages exceeding, hours in alert (live), alerts raised (live), largest ratio hourly / live"
csvcols "$P" "station,param,hours_judged,hours_exceeding,alert_hours,alerts_raised,max_ratio,max_alert_ratio" |
	awk -F, '$5 > 0 || $4 > 0' | sed 's/^/#   /'
for p in cod nh4; do
	j=$(field yen-nghia $p hours_judged) x=$(field yen-nghia $p hours_exceeding) a=$(field yen-nghia $p alert_hours)
	check "yen-nghia $p (failed aeration): the report's hourly averages exceed ($x of $j) and the evaluator's alert was open as long ($a h)" \
		awk -v j="$j" -v x="$x" -v a="$a" 'BEGIN { exit !(j >= 24 && x >= 0.9 * j && a >= 0.9 * x) }'
done
check "yen-nghia did not meet the regulation, and is flagged" \
	test "$(csvcols "$OUT/fleet-$MONTH-stations.csv" "station,verdict,flagged" | grep yen-nghia)" = "yen-nghia,not_met,1"
check "thanh-thuy (healthy) has no COD daily average over its limit" test "$(field thanh-thuy cod days_exceeding)" = 0

[ "$FAILS" -eq 0 ]
