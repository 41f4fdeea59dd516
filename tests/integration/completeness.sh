#!/usr/bin/env bash
# Completeness at central (issue 20 item 2), with a real mosquitto, InfluxDB
# and wwtp-central: a day of hourly polls of one device published with some
# seq withheld, then one of them sent late; the API's numbers are checked
# exactly, before and after the late message, and the late point exists.
# The monthly report says the plant's loss and the gaps' times.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
WEB_AUTH="ci:ci-password-1"
api() { curl -s -u "$WEB_AUTH" --max-time 30 "http://127.0.0.1:$HTTP_PORT$1"; }
code() { curl -s -u "$WEB_AUTH" -o "$T/last.json" -w '%{http_code}' --max-time 30 "$@"; }

start_influxd
start_mosquitto
HTTP_PORT=$(freeport)
printf '%s\n' "${WEB_AUTH#*:}" | "$CENTRAL" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
mkdir -p "$T/stations"
ST=ci-compl
# One device polled hourly: 24 polls a day.
cat >"$T/stations/$ST.cfg" <<EOF
station = { id = "$ST"; name = "Trạm đủ số"; plan = "review"; };
devices = ( { name = "meter"; transport = "tcp"; host = "127.0.0.1"; port = 1; unit_id = 1;
    interval_ms = 3600000;
    points = ( { param = "flow_out"; table = "holding"; address = 0; type = "float32"; } ); } );
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
EOF
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
lost_after_s = 600;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-compl"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_ms = 200; timeout_ms = 5000; retry_min_ms = 200; retry_max_ms = 1000;
  spool_dir = "$T/spool";
};
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl"; };
EOF
check "wwtp-central --check accepts lost_after_s" "$CENTRAL" -c "$T/central.cfg" --check
sed 's/lost_after_s = 600/lost_after_s = 0/' "$T/central.cfg" >"$T/bad.cfg"
check "lost_after_s = 0 is refused" bash -c "! '$CENTRAL' -c '$T/bad.cfg' --check >/dev/null 2>&1"
start_central central 15 "[ \"\$(code http://127.0.0.1:$HTTP_PORT/api/health)\" = 200 ]" " and serves the API"

# Two days ago in Hanoi (UTC+7): fully judged whatever the time of the run.
NOW=$(date -u +%s)
DAY0=$(((((NOW + 25200) / 86400) - 2) * 86400 - 25200))
DAYSTR=$(date -u -d "@$((DAY0 + 25200))" +%Y-%m-%d)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
msg() { # slot: the poll of hour slot, seq 100 + slot
	echo "{\"v\":1,\"station\":\"$ST\",\"device\":\"meter\",\"ts\":\"$(iso $((DAY0 + $1 * 3600)))\",\"seq\":$((100 + $1)),\"readings\":[{\"param\":\"flow_out\",\"value\":$1,\"unit\":\"m3/h\",\"status\":\"ok\"}]}"
}
# Withheld: slots 5, 6, 7 (a three-hour gap) and 20; 20 comes later.
for s in $(seq 0 23); do
	case $s in 5 | 6 | 7 | 20) continue ;; esac
	msg "$s"
done | mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "wwtp/$ST/telemetry" -l
check "the 20 polls are stored" wait_for "[ \"\$(count_of \"SELECT count(seq) FROM reading WHERE station='$ST'\")\" = 20 ]" $((10 * SLOW))

FROM=$((DAY0 * 1000))
TO=$(((DAY0 + 86400) * 1000))
api "/api/stations/$ST/completeness?from=$FROM&to=$TO" >"$T/c1.json"
check "the API counts 24 expected, 20 received, 4 lost in two gaps" jq -e --arg d "$DAYSTR" \
	'.days | length == 1 and .[0].day == $d and .[0].expected == 24 and .[0].received == 20 and .[0].lost == 4 and .[0].lost_pct == "16,67" and (.[0].gaps | length) == 2' "$T/c1.json"
check "the gaps' times are the missing polls'" jq -e --arg a "$(iso $((DAY0 + 5 * 3600)))" \
	--arg b "$(iso $((DAY0 + 7 * 3600)))" --arg c "$(iso $((DAY0 + 20 * 3600)))" \
	'.days[0].gaps[0] == {"device": "meter", "from": $a, "to": $b, "n": 3, "interval_ms": 3600000, "starts_day": false, "ends_day": false} and .days[0].gaps[1] == {"device": "meter", "from": $c, "to": $c, "n": 1, "interval_ms": 3600000, "starts_day": false, "ends_day": false}' "$T/c1.json"
check "every one of them arrived late (two days after its poll)" jq -e '.days[0].late == 20 and .total.late == 20' "$T/c1.json"
# The day before the station's first reading expects nothing: the record
# starts with its first poll (a cluster connected that day lost nothing before).
api "/api/stations/$ST/completeness?from=$((FROM - 86400000))&to=$TO" >"$T/c0.json"
check "the record starts at the first poll: nothing expected the day before" jq -e --arg a "$(iso "$DAY0")" \
	'.records_from == $a and (.days | length) == 2 and .days[0].expected == 0 and .days[0].lost == 0 and .days[1].expected == 24 and .total.expected == 24 and .total.lost == 4' "$T/c0.json"

# The withheld slot 20 arrives now: it fills its place and is late too.
msg 20 | mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "wwtp/$ST/telemetry" -l
check "the late poll is stored" wait_for "[ \"\$(count_of \"SELECT count(seq) FROM reading WHERE station='$ST'\")\" = 21 ]" $((10 * SLOW))
api "/api/stations/$ST/completeness?from=$FROM&to=$TO" >"$T/c2.json"
check "after the late poll: 21 received, 3 lost in one gap, 21 late" jq -e \
	'.days[0].expected == 24 and .days[0].received == 21 and .days[0].lost == 3 and .days[0].late == 21 and (.days[0].gaps | length) == 1 and .total.lost_pct == "12,50"' "$T/c2.json"
n=$(count_of "SELECT count(delay_ms) FROM late WHERE station='$ST' AND seq = 120")
check "its late point says the seq ($n)" [ "$n" = 1 ]

# A poll of now is on time: no late point for it.
ON=$(date -u +%s)
echo "{\"v\":1,\"station\":\"$ST\",\"device\":\"meter\",\"ts\":\"$(iso "$ON")\",\"seq\":500,\"readings\":[{\"param\":\"flow_out\",\"value\":1,\"unit\":\"m3/h\",\"status\":\"ok\"}]}" |
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "wwtp/$ST/telemetry" -l
check "a poll of now is stored" wait_for "[ \"\$(count_of \"SELECT count(seq) FROM reading WHERE station='$ST'\")\" = 22 ]" $((10 * SLOW))
n=$(count_of "SELECT count(delay_ms) FROM late WHERE station='$ST'")
check "and not counted late ($n late points)" [ "$n" = 21 ]

n=$(code "http://127.0.0.1:$HTTP_PORT/api/stations/nope/completeness")
check "an unknown station is 404 ($n)" [ "$n" = 404 ]
n=$(code "http://127.0.0.1:$HTTP_PORT/api/stations/$ST/completeness?day=1")
check "an unknown parameter is 400 ($n)" [ "$n" = 400 ]

# ---- the monthly report of the plant ----
MONTH=${DAYSTR:0:7}
MSTART=$(($(date -u -d "${MONTH}-01T00:00:00+07:00" +%s)))
# Hourly polls expected from the record's start (the first poll, DAY0, or
# the month's start when later) up to what is judged (now - lost_after), the
# month's end at most; the report takes its own "now".
RSTART=$((DAY0 > MSTART ? DAY0 : MSTART))
expect_at() {
	local end=$(($1 - 600)) mend
	mend=$(date -u -d "$(date -u -d "@$((MSTART + 25200))" +%Y-%m-01) + 1 month" +%s)
	mend=$((mend - 25200))
	[ "$end" -gt "$mend" ] && end=$mend
	# Per Hanoi day, whole hours: the days are whole hours, so one division.
	echo $(((end - RSTART) / 3600))
}
E1=$(expect_at "$(date -u +%s)")
"$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --station "$ST" --out "$T/rep" --no-pdf >"$T/rep.out" 2>"$T/rep.log"
check "the report is written" [ $? -eq 0 ]
E2=$(expect_at "$(date -u +%s)")
HTML=$(find "$T/rep" -name '*.html' | head -n 1)
line=$(grep -o 'Lần đọc: mất [0-9.]*/[0-9.]* lần đọc ([0-9]*,[0-9][0-9] %); [0-9.]* lần đọc đến muộn' "$HTML" | head -n 1)
lost=$(sed -n 's/.*mất \([0-9.]*\)\/.*/\1/p' <<<"$line" | tr -d .)
exp=$(sed -n 's/.*mất [0-9.]*\/\([0-9.]*\) .*/\1/p' <<<"$line" | tr -d .)
log "report: $line (expected $E1 or $E2)"
check "the report says lost/expected: $line" [ -n "$line" -a "$((exp - lost))" = 21 ]
check "its expected count is the month's hourly polls so far ($exp)" [ "$exp" = "$E1" -o "$exp" = "$E2" ]
pct=$(awk -v l="$lost" -v e="$exp" 'BEGIN { h = int((l * 10000 + int(e / 2)) / e); printf "%d,%02d", int(h / 100), h % 100 }')
check "its percentage is lost/expected ($pct)" grep -q "($pct %)" <<<"$line"
check "it says 21 late" grep -q '; 21 lần đọc đến muộn' <<<"$line"
G=$(date -u -d "@$((DAY0 + 25200 + 5 * 3600))" +'%d/%m/%Y %H:%M')
G2=$(date -u -d "@$((DAY0 + 25200 + 7 * 3600))" +'%d/%m/%Y %H:%M')
check "it lists the device's gap $G – $G2 (3) in Hanoi time" grep -q "<li>meter: $G – $G2 (3)</li>" "$HTML"
# The days of the month before DAY0, before the station's first reading,
# expect nothing: no gap before DAY0.
if [ "$DAY0" -gt "$MSTART" ]; then
	F=$(date -u -d "@$((MSTART + 25200))" +'%d/%m/%Y %H:%M')
	check "the days before the first reading are no gap (none starts $F)" \
		bash -c "! grep -q '<li>meter: $F' '$HTML' && ! grep -q '<li>meter: [0-9/]* [0-9:]* – $(date -u -d "@$((DAY0 + 25200 - 3600))" +'%d/%m/%Y %H:%M') ' '$HTML'"
fi
# Nothing after DAY0 either: yesterday and today, one gap across midnight
# (when both are in the report's month), not one per day.
A=$(date -u -d "@$((DAY0 + 86400 + 25200))" +'%d/%m/%Y %H:%M')
TODAY=$(date -u -d "@$((DAY0 + 2 * 86400 + 25200))" +'%d/%m/%Y %H:%M')
if [ "$(date -u -d "@$((DAY0 + 2 * 86400 + 25200))" +%Y-%m)" = "$MONTH" ]; then
	check "the gap after DAY0 runs across midnight as one" \
		bash -c "grep -q '<li>meter: $A – ' '$HTML' && ! grep -q '<li>meter: $TODAY' '$HTML'"
fi
check "the gaps are listed longest first" bash -c "sed -n 's|^<li>meter: .*(\([0-9.]*\))</li>\$|\1|p' '$HTML' | tr -d . | sort -c -r -n"

# The fleet's documents: the plants' polls summed in the result, each plant's
# in its row, and the counts in the stations CSV.
"$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --out "$T/fleet" --no-pdf >"$T/fleet.out" 2>"$T/fleet.log"
FH="$T/fleet/fleet-$MONTH.html" FC="$T/fleet/fleet-$MONTH-stations.csv"
num_vi() { sed ':a;s/\B[0-9]\{3\}\>/.&/;ta' <<<"$1"; } # 8640 -> 8.640
csvcols() { # the columns named in $2 of the CSV $1 (its names have no commas)
	awk -F, -v want="$2" 'NR == 1 { sub(/\r$/, ""); for (i = 1; i <= NF; i++) c[$i] = i; n = split(want, w, ","); next }
		{ sub(/\r$/, ""); l = ""; for (j = 1; j <= n; j++) l = l (j > 1 ? "," : "") $(c[w[j]]); print l }' "$1"
}
fl=$(grep -o 'Lần đọc của các trạm: mất [0-9.]*/[0-9.]* lần đọc ([0-9]*,[0-9][0-9] %)' "$FH" | head -n 1)
row=$(csvcols "$FC" "station,polls_expected,polls_received,polls_lost,polls_late" | grep "^$ST,")
log "fleet: $fl; stations CSV: $row"
IFS=, read -r _ fe fr fls flt <<<"$row"
check "the stations CSV counts the plant's polls (21 received, 21 late, expected = received + lost)" \
	[ "$fr" = 21 -a "$flt" = 21 -a "$fe" = "$((fr + fls))" ]
check "the fleet result says the plants' polls lost: $fl" \
	grep -q "mất $(num_vi "$fls")/$(num_vi "$fe") lần đọc" <<<"$fl"
check "the plant's row says its own" grep -q "<span class=\"small compl\">mất $(num_vi "$fls")/$(num_vi "$fe") lần đọc (" "$FH"

stop_pid "$CENTRAL_PID" TERM
[ "$FAILS" -eq 0 ]
