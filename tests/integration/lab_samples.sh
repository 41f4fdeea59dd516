#!/usr/bin/env bash
# suite: sanitizer pass only
# Laboratory comparison (issue 20 item 4; docs/api.md, "Laboratory
# samples") with a real mosquitto, a real InfluxDB and wwtp-central: the
# test publishes the analyzer's COD readings around two sampling times
# (about 50 mg/L around the first, 80 mg/L around the second, plus a
# suspect value and a faulted one that must not count), then an operator
# records two laboratory results: 48 mg/L at the first time (agrees within
# the 20 % tolerance) and 50 mg/L at the second (the analyzer reads 60 %
# more: disagrees). Checked: the verdicts and figures the POST answers and
# GET lists, the one lab_mismatch alert (medium, in Vietnamese), bad input
# refused with 400 and a clear message, an anonymous and a cross-origin
# POST refused, the second result recorded by an inspector, a second record of the same sample refused, the monthly
# report's table of both comparisons; and a sample recorded before its
# analyzer readings arrived (no_data) compared again when sent again.
# With the comparison broken on purpose (every result agrees), the verdict
# and alert checks fail.
. "$(dirname "$0")/../lib/common.sh"

ST=ci-lab
start_influxd
start_mosquitto
mkdir -p "$T/stations"
write_plant_station "$T/stations/$ST.cfg" "$ST" "Trạm thử so sánh phòng thí nghiệm" "$(freeport)"
HTTP_PORT=$(freeport)
WEB_AUTH="ci:ci-password-1"
OP_AUTH="op:op-password-1"
printf '%s\n' "${WEB_AUTH#*:}" | "$WWTP_BUILD/wwtp-central" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
printf '%s\n' "${OP_AUTH#*:}" | "$WWTP_BUILD/wwtp-central" passwd --file "$T/accounts" "${OP_AUTH%%:*}" operator >/dev/null
URL="http://127.0.0.1:$HTTP_PORT"
api() { curl -s -u "$WEB_AUTH" --max-time 10 "$URL$1"; }
# post AUTH BODY [curl args...]: the status; the answer in $T/post.json
post() {
	local auth=$1 body=$2
	shift 2
	curl -s -o "$T/post.json" -w '%{http_code}' ${auth:+-u "$auth"} --max-time 15 \
		-H 'Content-Type: application/json' "$@" -d "$body" "$URL/api/stations/$ST/samples"
}
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-lab-central"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_ms = 200; retry_min_ms = 200; retry_max_ms = 1000; spool_dir = "$T/spool"; };
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl"; };
lab = { window_s = 1800; tolerance_pct = 20.0; };
EOF
check "wwtp-central --check accepts the lab group" "$WWTP_BUILD/wwtp-central" -c "$T/central.cfg" --check
start_central central 10 "api /api/health | jq -e .status >/dev/null" " and serves the API"

# Two sampling times in the month under way (Hanoi), on whole minutes.
NOW=$(date +%s)
T1=$(((NOW - 2 * 3600) / 60 * 60))
T2=$(((NOW - 3 * 3600) / 60 * 60))
MONTH=$(TZ=Asia/Ho_Chi_Minh date -d "@$T2" +%Y-%m)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000Z; }
isoz() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
SEQ=0
# reading T VALUE [EXTRA]: one COD reading of the analyzer at T
reading() {
	SEQ=$((SEQ + 1))
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "wwtp/$ST/telemetry" -m \
		'{"v":1,"station":"'$ST'","device":"outlet-analyzer","ts":"'"$(iso "$1")"'","seq":'$SEQ',"readings":[{"param":"cod","value":'"$2"',"unit":"mg/L","status":"'"${3:-ok}"'"'"${4:-}"'}]}'
}
# Around T1: 49, 50, 51 (mean 50) within the half hour, 500 suspect and 900
# faulted inside it, 300 outside it (40 min away).
reading $((T1 - 600)) 49
reading "$T1" 50
reading $((T1 + 600)) 51
reading $((T1 + 300)) 500 ok ',"suspect":"range"'
reading $((T1 - 300)) 900 fault
reading $((T1 + 2400)) 300
# Around T2: 78, 82 (mean 80).
reading $((T2 - 900)) 78
reading $((T2 + 900)) 82
check "the analyzer's 8 readings are stored" wait_for \
	"[ \$(count_of \"SELECT count(status) FROM reading WHERE station='$ST'\") -ge 8 ]" $((10 * SLOW))

iq "SELECT value, status, suspect FROM reading WHERE station='$ST'" | jq -r '.results[0].series[0].values[] | @tsv' | sed 's/^/#   stored: /'
S1='{"param":"cod","value":48,"taken":"'"$(isoz "$T1")"'","laboratory":"Phòng thí nghiệm Trung tâm Quan trắc Hà Nội","reference":"PT-2026/0412"}'
S2='{"param":"cod","value":50,"taken":"'"$(isoz "$T2")"'","laboratory":"Vilas 123","reference":"KQ 88/2026"}'

# ---- who may record ----
check "an anonymous POST is refused (401)" test "$(post "" "$S1")" = 401
check "a cross-origin POST is refused (403)" test "$(post "$OP_AUTH" "$S1" -H 'Origin: http://evil.example')" = 403
C=$(curl -s -o "$T/post.json" -w '%{http_code}' -u "$OP_AUTH" -d "$S1" "$URL/api/stations/$ST/samples")
check "a body that is not said to be JSON is refused (415)" test "$C" = 415
check "an unknown station is 404" test "$(curl -s -o /dev/null -w '%{http_code}' -u "$OP_AUTH" -H 'Content-Type: application/json' -d "$S1" "$URL/api/stations/nowhere/samples")" = 404

# ---- bad input: 400 with a message naming the field ----
bad() { # bad WHAT BODY WORD: refused with 400, the message holding WORD
	local c
	c=$(post "$OP_AUTH" "$2")
	if [ "$c" = 400 ] && jq -e --arg w "$3" '.error | contains($w)' "$T/post.json" >/dev/null; then
		ok "refused with 400: $1 ($(jq -r .error "$T/post.json" | cut -c1-90))"
	else
		not_ok "refused with 400: $1" "HTTP $c: $(cat "$T/post.json")"
	fi
}
mk() { jq -c "$1" <<<"$S1"; }
bad "a param the station does not have" "$(mk '.param = "arsenic"')" "no param 'arsenic'"
bad "no param" "$(mk 'del(.param)')" "param is required"
bad "a value that is a string" "$(mk '.value = "48"')" "value must be a finite number"
bad "no value" "$(mk 'del(.value)')" "value must be"
bad "a time that is not one" "$(mk '.taken = "yesterday"')" "taken must be"
bad "a time in the future" "$(mk ".taken = \"$(isoz $((NOW + 3600)))\"")" "future"
bad "a time two years ago" "$(mk ".taken = \"$(isoz $((NOW - 2 * 366 * 86400)))\"")" "too old"
bad "an empty laboratory" "$(mk '.laboratory = ""')" "laboratory must be"
bad "a laboratory of spaces" "$(mk '.laboratory = "   "')" "laboratory must be"
bad "a reference with a newline" "$(mk '.reference = "PT\n1"')" "reference must be"
bad "a reference of 200 bytes" "$(mk '.reference = ("x" * 200)')" "reference must be"
bad "an unknown field" "$(mk '.comment = "x"')" "unknown field 'comment'"
bad "a body that is not an object" '[1,2]' "not a JSON object"
check "nothing was stored by the refused requests" test "$(count_of "SELECT count(value) FROM sample")" = 0

# ---- the two samples ----
C=$(post "$OP_AUTH" "$S1")
cp "$T/post.json" "$T/s1.json"
log "sample 1: HTTP $C $(jq -c '{verdict, analyzer_mean, analyzer_n, difference, relative_pct, allowed}' "$T/s1.json")"
check "sample 1 is recorded (201)" test "$C" = 201
check "sample 1 agrees: analyzer mean 50 of 3 valid readings (suspect, faulted and far ones left out), difference +2, 4.2 %" jq -e \
	'.verdict == "agree" and .analyzer_n == 3 and .analyzer_mean == 50 and .difference == 2 and (.relative_pct * 10 | round) == 42 and .allowed == 9.6 and .alert == null and .recorded_by == "op"' "$T/s1.json"
# An inspector records too: the one who took the grab sample at an inspection.
C=$(post "$WEB_AUTH" "$S2")
cp "$T/post.json" "$T/s2.json"
log "sample 2: HTTP $C $(jq -c '{verdict, analyzer_mean, analyzer_n, difference, relative_pct, allowed}' "$T/s2.json")"
check "sample 2 is recorded (201)" test "$C" = 201
check "sample 2 disagrees: analyzer mean 80 against 50, +60 %, an alert named" jq -e \
	'.verdict == "disagree" and .analyzer_n == 2 and .analyzer_mean == 80 and .difference == 30 and .relative_pct == 60 and (.alert | endswith(":lab_mismatch:'"$T2"'000")) and .recorded_by == "ci"' "$T/s2.json"
check "the same sample again is refused (409)" test "$(post "$OP_AUTH" "$S2")" = 409

api "/api/stations/$ST/samples" >"$T/list.json"
check "GET lists both, newest first, with laboratory, reference, verdict" jq -e \
	'(.samples | length) == 2 and .samples[0].verdict == "agree" and .samples[1].verdict == "disagree" and .samples[0].laboratory == "Phòng thí nghiệm Trung tâm Quan trắc Hà Nội" and .samples[1].reference == "KQ 88/2026" and .samples[1].analyzer_mean == 80 and .samples[0].unit == "mg/L"' "$T/list.json"

# ---- the alert ----
check "one lab_mismatch alert is raised" wait_for \
	"api '/api/alerts?station=$ST&kind=lab_mismatch' | jq -e 'length == 1' >/dev/null" $((5 * SLOW))
api "/api/alerts?station=$ST&kind=lab_mismatch" >"$T/al.json"
log "alert: $(jq -c '.[0] | {kind, priority, state, text_vi}' "$T/al.json")"
check "... medium, open, in Vietnamese with both values" jq -e \
	'.[0].priority == "medium" and .[0].state == "open" and (.[0].text_vi | contains("lệch kết quả phòng thí nghiệm")) and (.[0].text_vi | contains("80 mg/L")) and (.[0].text_vi | contains("50 mg/L"))' "$T/al.json"
check "InfluxDB holds the alert point" test "$(count_of "SELECT count(start_ms) FROM alert WHERE station='$ST' AND kind='lab_mismatch'")" = 1
stop_pid "$CENTRAL_PID" TERM
start_central central2 10 "api /api/health | jq -e .status >/dev/null" " again"
check "after central's restart the alert and the samples are still there" wait_for \
	"api '/api/alerts?station=$ST&kind=lab_mismatch' | jq -e 'length == 1' >/dev/null && api '/api/stations/$ST/samples' | jq -e '(.samples | length) == 2' >/dev/null" $((10 * SLOW))

# ---- the monthly report ----
if "$WWTP_BUILD/wwtp-central" report -c "$T/central.cfg" --month "$MONTH" --out "$T/report" --no-pdf >"$T/report.out" 2>"$T/report.log"; then
	ok "report --month $MONTH exits 0"
else
	not_ok "report --month $MONTH exits 0" "$(tail -n 5 "$T/report.log")"
fi
H=$(grep -rl 'So sánh với kết quả phòng thí nghiệm' "$T/report" | head -n 1)
check "the station's document has the laboratory comparison section" test -n "$H"
grep -o '<tr class="lab[^"]*">.*' "${H:-/dev/null}" | head -n 2 | sed 's/<[^>]*>/ /g; s/  */ /g; s/^/#   /'
check "... listing the agreeing sample (PT-2026/0412, 48, 50, Phù hợp)" grep -q 'PT-2026/0412.*48.*50.*Phù hợp' "${H:-/dev/null}"
check "... and the disagreeing one (KQ 88/2026, 50, 80, Không phù hợp)" grep -q 'KQ 88/2026.*50.*80.*Không phù hợp' "${H:-/dev/null}"

# ---- a sample whose analyzer data had not arrived yet ----
T3=$(((NOW - 5 * 3600) / 60 * 60))
S3='{"param":"cod","value":60,"taken":"'"$(isoz "$T3")"'","laboratory":"Vilas 123","reference":"KQ 89/2026"}'
C=$(post "$OP_AUTH" "$S3")
check "a sample without analyzer readings around it is recorded as no_data (201, no alert)" jq -e \
	'.verdict == "no_data" and .analyzer_n == 0 and .analyzer_mean == null and .difference == null and .alert == null' "$T/post.json"
[ "$C" = 201 ] || log "HTTP $C: $(cat "$T/post.json")"
reading $((T3 + 60)) 61
check "the late reading is stored" wait_for \
	"[ \$(count_of \"SELECT count(status) FROM reading WHERE station='$ST'\") -ge 9 ]" $((10 * SLOW))
C=$(post "$OP_AUTH" "$S3")
check "recorded again once the readings came: compared again (201, agree, 61 against 60)" jq -e \
	'.verdict == "agree" and .analyzer_n == 1 and .analyzer_mean == 61' "$T/post.json"
[ "$C" = 201 ] || log "HTTP $C: $(cat "$T/post.json")"
check "... and now it stands (409)" test "$(post "$OP_AUTH" "$S3")" = 409
check "the list holds three samples, the replaced one once" jq -e \
	'(.samples | length) == 3 and ([.samples[] | select(.reference == "KQ 89/2026")] | length) == 1 and .samples[2].verdict == "agree"' <(api "/api/stations/$ST/samples")

[ "$FAILS" -eq 0 ]
