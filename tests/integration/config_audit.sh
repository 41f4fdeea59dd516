#!/usr/bin/env bash
# suite: sanitizer pass only
# The measuring-configuration audit (issue 20 item 3; docs/security.md)
# with a real mosquitto, a real InfluxDB, wwtp-central and a signed
# collector polling the simulator:
#  1. the first run publishes its configuration (no previous one, no
#     change): stored, verified, confirmed, and no alert;
#  2. the station file's scale of COD goes from 1.0 to 0.5 and the collector
#     is restarted: central stores the change and raises exactly one
#     config_change alert naming COD, scale, 1 and 0,5, in Vietnamese; the
#     message takes its link of the chain (no gap) and an operator can
#     acknowledge the alert; the station's history (API, page) and the
#     monthly report list the change;
#  3. restarted again without a change: no new config message.
# With the collector's diff broken on purpose (every run taken as the
# first), part 2 fails.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || {
	not_ok "sqlite3 is installed (Debian package sqlite3)" "run make deps"
	exit 1
}

ST=ca-plant
start_influxd
start_mosquitto
DEV_PORT=$(freeport)
mkdir -p "$T/stations" "$T/gw" "$T/keys"

# The simulator serves the plant's two instruments (profiles).
write_plant_station "$T/sim.cfg" "$ST" "Trạm kiểm tra cấu hình" "$DEV_PORT"

# The gateway's file: the analyzer's points written out, so that their scale
# is the station file's own; a key and a store.
CFG="$T/gw/$ST.cfg"
write_gateway() { # write_gateway SCALE
	cat >"$CFG" <<EOF
station = { id = "$ST"; name = "Trạm kiểm tra cấu hình"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 300; timeout_ms = 1000;
    points = (
      { param = "cod"; table = "holding"; address = 0; type = "float32"; order = "ABCD";
        unit = "mg/L"; scale = $1; plausible = { min = 0.0; max = 2000.0; };
        status = { table = "holding"; address = 2; mode = "value"; calibrating = 1; fault = 2; }; },
      { param = "nh4"; table = "holding"; address = 4; type = "float32"; order = "ABCD";
        unit = "mg/L"; plausible = { min = 0.0; max = 1000.0; };
        status = { table = "holding"; address = 6; mode = "value"; calibrating = 1; fault = 2; }; }
    ); },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 300; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
store = { path = "$T/store.db"; commit_ms = 100; replay_rate = 50; confirm_timeout_s = 5; };
signing = { key_file = "$T/keys/$ST.key"; };
EOF
}
write_gateway 1.0
"$COLLECTOR" --keygen -c "$CFG" --profiles config/profiles >"$T/keygen.out" 2>&1
PUB=$(sed -n 's/.*public_key = "\([0-9a-f]*\)".*/\1/p' "$T/keygen.out")
check "--keygen prints a 64-hex public key" test "${#PUB}" = 64

# Central's copy of the station, with the public key.
cp "$CFG" "$T/stations/$ST.cfg"
sed -i -e '/^store/d' -e '/^signing/d' "$T/stations/$ST.cfg"
echo "signing = { public_key = \"$PUB\"; };" >>"$T/stations/$ST.cfg"
HTTP_PORT=$(freeport)
WEB_AUTH="ci:ci-password-1"
OP_AUTH="op:op-password-1"
printf '%s\n' "${WEB_AUTH#*:}" | "$WWTP_BUILD/wwtp-central" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
printf '%s\n' "${OP_AUTH#*:}" | "$WWTP_BUILD/wwtp-central" passwd --file "$T/accounts" "${OP_AUTH%%:*}" operator >/dev/null
api() { curl -s -u "$WEB_AUTH" --max-time 10 "http://127.0.0.1:$HTTP_PORT$1"; }
{
	echo "stations_dir = \"$T/stations\";"
	echo 'profiles_dir = "config/profiles";'
	echo "mqtt = { uri = \"tcp://127.0.0.1:$MQTT_PORT\"; client_id = \"ca-central\"; };"
	echo "influxdb = { url = \"http://127.0.0.1:$INFLUX_PORT\"; database = \"wwtp\"; create_database = true;"
	echo "  batch_max_ms = 200; retry_min_ms = 200; retry_max_ms = 1000; spool_dir = \"$T/spool\"; };"
	echo "http = { listen = \"127.0.0.1:$HTTP_PORT\"; accounts_file = \"$T/accounts\"; acks_file = \"$T/acks.jsonl\"; };"
} >"$T/central.cfg"
start_central central 10 "api /api/health | jq -e .signing >/dev/null" " and serves the API"
start_sim sim -c "$T/sim.cfg" --profiles config/profiles

N=0
run_collector() { # run_collector: one run, until readings of it are stored, then a clean stop
	N=$((N + 1))
	local before
	before=$(count_of "SELECT count(status) FROM reading WHERE station='$ST'")
	"$COLLECTOR" -c "$CFG" --profiles config/profiles --ack-timeout 5 2>"$T/collector$N.log" &
	COL=$!
	track $COL
	wait_for "[ \$(count_of \"SELECT count(status) FROM reading WHERE station='$ST'\") -ge $((before + 10)) ]" $((20 * SLOW)) ||
		log "run $N: few readings stored"
}
q_cfg="SELECT count(fingerprint) FROM config WHERE station='$ST'"
q_cc="SELECT count(start_ms) FROM alert WHERE station='$ST' AND kind='config_change'"

# ---- 1. the first run ----
run_collector
check "run 1: the configuration is stored" wait_for "[ \$(count_of \"$q_cfg\") -ge 1 ]" $((10 * SLOW))
FIRST=$(iq "SELECT fingerprint, previous, changes, verified, chain FROM config WHERE station='$ST'" |
	jq -c '.results[0].series[0].values[0][1:]')
log "first config point: $FIRST"
check "run 1: no previous configuration, no change, signed and chained" \
	jq -e '(.[0] | length == 64) and .[1] == null and .[2] == 0 and .[3] == 1 and .[4] > 0' <<<"$FIRST"
check "run 1: the collector says it has no previous run" grep -q 'no previous run known' "$T/collector1.log"
# Confirmed by central like an alert: deleted from the store.
check "run 1: central confirms it (it leaves the store)" wait_for \
	"[ \"\$(sqlite3 '$T/store.db' \"SELECT count(*) FROM msg WHERE topic LIKE '%/config'\")\" = 0 ]" $((15 * SLOW))
sleep 1
check "run 1: no config_change alert" test "$(count_of "$q_cc")" = 0
stop_pid "$COL" TERM

# ---- 2. a scale changed in the station file ----
write_gateway 0.5
run_collector
check "run 2: the change is stored" wait_for \
	"[ \$(count_of \"SELECT count(to_value) FROM config WHERE station='$ST' AND setting='scale'\") -ge 1 ]" $((10 * SLOW))
CH=$(iq "SELECT device, param, from_value, to_value, previous, verified FROM config WHERE station='$ST' AND setting='scale'" |
	jq -c '.results[0].series[0].values[0][1:]')
log "stored change: $CH"
check "run 2: it names outlet-analyzer, cod, 1 -> 0.5, the previous fingerprint, verified" \
	jq -e --arg fp "$(jq -r '.[0]' <<<"$FIRST")" \
	'.[0] == "outlet-analyzer" and .[1] == "cod" and .[2] == "1" and .[3] == "0.5" and .[4] == $fp and .[5] == 1' <<<"$CH"
check "run 2: a config_change alert is raised" wait_for "[ \$(count_of \"$q_cc\") -ge 1 ]" $((10 * SLOW))
sleep 1
check "run 2: ... exactly one" test "$(count_of "$q_cc")" = 1
check "run 2: the collector logs the change" grep -q 'measuring configuration changed: outlet-analyzer/cod scale: 1 -> 0.5' "$T/collector2.log"
wait_for "api '/api/alerts?station=$ST&kind=config_change' | jq -e 'length >= 1' >/dev/null" $((10 * SLOW))
api "/api/alerts?station=$ST&kind=config_change" >"$T/cc.json"
log "alert: $(jq -c '.[0] | {kind, priority, state, text_vi}' "$T/cc.json")"
check "run 2: the alert is open, high, one, in Vietnamese: COD, hệ số (scale) 1 → 0,5" jq -e \
	'length == 1 and .[0].priority == "high" and .[0].state == "open" and (.[0].text_vi | contains("Thay đổi cấu hình đo: COD (outlet-analyzer): hệ số (scale) 1 → 0,5"))' "$T/cc.json"
if grep -q 'chain gap\|chain broken\|starts again' "$T/central.log"; then
	not_ok "the config messages take their links: no chain gap or break" "$(grep 'chain gap\|chain broken\|starts again' "$T/central.log" | head -n 2)"
else
	ok "the config messages take their links: no chain gap or break"
fi
check "central refused nothing as forged" test "$(api /api/health | jq '.signing.refused_bad_signature + .signing.refused_unsigned')" = 0
api "/api/stations/$ST/config" >"$T/conf.json"
check "run 2: the station's configuration history lists the one change (GET /api/stations/{id}/config)" jq -e \
	'(.changes | length) == 1 and .changes[0].setting == "scale" and .changes[0].from == "1" and .changes[0].to == "0.5" and (.changes[0].text_vi | contains("hệ số (scale) 1 → 0,5"))' "$T/conf.json"
AID=$(jq -r '.[0].id' "$T/cc.json")
C=$(curl -s -o "$T/ack.json" -w '%{http_code}' -u "$OP_AUTH" -H 'Content-Type: application/json' \
	-d '{"comment":"Đã kiểm tra: đổi hệ số theo hiệu chuẩn"}' "http://127.0.0.1:$HTTP_PORT/api/alerts/$AID/ack")
check "run 2: an operator acknowledges it (201)" test "$C" = 201
check "run 2: the acknowledgement is shown with the alert" wait_for \
	"api '/api/alerts?station=$ST&kind=config_change' | jq -e '.[0].ack.user == \"op\"' >/dev/null" $((5 * SLOW))
# Central restarted: the alert is read back from InfluxDB with its words.
stop_pid "$CENTRAL_PID" TERM
start_central central2 10 "api /api/health | jq -e .signing >/dev/null" " again"
check "after central's restart the alert is still there, worded, acknowledged" wait_for \
	"api '/api/alerts?station=$ST&kind=config_change' | jq -e 'length == 1 and (.[0].text_vi | contains(\"hệ số (scale) 1 → 0,5\")) and .[0].ack.user == \"op\"' >/dev/null" $((15 * SLOW))
stop_pid "$COL" TERM

# The monthly report lists the change (docs/report.md).
MONTH=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m)
if "$WWTP_BUILD/wwtp-central" report -c "$T/central.cfg" --month "$MONTH" --out "$T/report" --no-pdf >"$T/report.out" 2>"$T/report.log"; then
	ok "report --month $MONTH exits 0"
else
	not_ok "report --month $MONTH exits 0" "$(tail -n 5 "$T/report.log")"
fi
check "the monthly report lists the change, in Vietnamese" \
	grep -rq 'COD (outlet-analyzer): hệ số (scale) 1 → 0,5</li>' "$T/report"
grep -rho '<li>[^<]*hệ số (scale)[^<]*</li>' "$T/report" | head -n 1 | sed 's/^/#   /'

# ---- 3. restarted without a change ----
NCFG=$(count_of "$q_cfg")
run_collector
sleep 2
check "run 3: the collector sees no change" grep -q 'measuring configuration unchanged since the last run' "$T/collector3.log"
check "run 3: no new config message is stored ($NCFG points before)" test "$(count_of "$q_cfg")" = "$NCFG"
check "run 3: still one config_change alert" test "$(count_of "$q_cc")" = 1
if grep -q 'chain gap\|chain broken\|starts again' "$T/central2.log"; then
	not_ok "after central's restart the chain goes on without a gap" "$(grep 'chain gap\|chain broken\|starts again' "$T/central2.log" | head -n 2)"
else
	ok "after central's restart the chain goes on without a gap"
fi
stop_pid "$COL" TERM

# The config messages take chain links: their signed bytes are kept like the
# others', and `wwtp-central verify` finds no link missing over the test.
check "the config messages' signed bytes are kept (measurement signed, tag config)" \
	test "$(count_of "SELECT count(chain) FROM signed WHERE station='$ST' AND config =~ /./")" -ge 2
"$WWTP_BUILD/wwtp-central" verify -c "$T/central.cfg" --station "$ST" --from "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	--to "$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)" >"$T/verify.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/verify.out"
check "wwtp-central verify over the test's span exits 0, no link missing" \
	bash -c "[ $rc = 0 ] && grep -q '^chain: 0 missing links in 0 gaps, 0 broken links' '$T/verify.out'"

[ "$FAILS" -eq 0 ]
