#!/usr/bin/env bash
# Signed, chained messages (issue 20 item 1; docs/security.md) with a real
# mosquitto and a real InfluxDB:
#  1. a collector with a key made by --keygen: its readings are stored with
#     verified=1 and their place in the chain;
#  2. three messages published with the station's broker access but not by
#     its gateway (signed with another key, edited after signing, unsigned)
#     are not stored as the station's data, and raise one `forged` alert;
#  3. messages deleted from the gateway's store before they were sent show
#     up as a chain gap with their seq range, although central was
#     restarted meanwhile (it reads the chain's position back from InfluxDB,
#     and the hash of the last link from its kept bytes).
# With the refusal broken on purpose (evidence.c admitting everything),
# part 2 fails.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || {
	not_ok "sqlite3 is installed (Debian package sqlite3)" "run make deps"
	exit 1
}

ST=sg-plant
start_influxd
start_mosquitto
DEV_PORT=$(freeport)
mkdir -p "$T/stations" "$T/gw" "$T/keys"

# The gateway's station file: the plant, a key, a store.
CFG="$T/gw/$ST.cfg"
write_plant_station "$CFG" "$ST" "Trạm ký" "$DEV_PORT"
{
	echo "store = { path = \"$T/store.db\"; commit_ms = 100; replay_rate = 50; confirm_timeout_s = 5; };"
	echo "signing = { key_file = \"$T/keys/$ST.key\"; };"
} >>"$CFG"
"$COLLECTOR" --keygen -c "$CFG" --profiles config/profiles >"$T/keygen.out" 2>&1
PUB=$(sed -n 's/.*public_key = "\([0-9a-f]*\)".*/\1/p' "$T/keygen.out")
check "--keygen prints a 64-hex public key" test "${#PUB}" = 64
check "--keygen writes the private key with mode 600" test "$(stat -c %a "$T/keys/$ST.key")" = 600
KEY_BEFORE=$(cat "$T/keys/$ST.key")
if "$COLLECTOR" --keygen -c "$CFG" --profiles config/profiles >"$T/keygen2.out" 2>&1 ||
	! grep -q 'not replaced' "$T/keygen2.out" || [ "$(cat "$T/keys/$ST.key")" != "$KEY_BEFORE" ]; then
	not_ok "--keygen refuses to overwrite a key" "$(cat "$T/keygen2.out")"
else
	ok "--keygen refuses to overwrite a key"
fi

# Central's copy: the same station with its public key, and an unsigned
# station beside it (named in the warning at start).
write_plant_station "$T/stations/$ST.cfg" "$ST" "Trạm ký" "$DEV_PORT"
echo "signing = { public_key = \"$PUB\"; };" >>"$T/stations/$ST.cfg"
write_plant_station "$T/stations/sg-old.cfg" sg-old "Trạm cũ" "$DEV_PORT"
HTTP_PORT=$(freeport)
WEB_AUTH="ci:ci-password-1"
printf '%s\n' "${WEB_AUTH#*:}" | "$WWTP_BUILD/wwtp-central" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
api() { curl -s -u "$WEB_AUTH" --max-time 10 "http://127.0.0.1:$HTTP_PORT$1"; }
{
	echo "stations_dir = \"$T/stations\";"
	echo 'profiles_dir = "config/profiles";'
	echo "mqtt = { uri = \"tcp://127.0.0.1:$MQTT_PORT\"; client_id = \"sg-central\"; };"
	echo "influxdb = { url = \"http://127.0.0.1:$INFLUX_PORT\"; database = \"wwtp\"; create_database = true;"
	echo "  batch_max_ms = 200; retry_min_ms = 200; retry_max_ms = 1000; spool_dir = \"$T/spool\"; };"
	echo "http = { listen = \"127.0.0.1:$HTTP_PORT\"; accounts_file = \"$T/accounts\"; acks_file = \"$T/acks.jsonl\"; };"
} >"$T/central.cfg"
start_central central 10 "api /api/health | jq -e .signing >/dev/null" " and serves the API"
check "central names the unsigned station at start" grep -q 'no signing.public_key.*sg-old' "$T/central.log"

start_sim sim -c "$CFG" --profiles config/profiles
start_collector() {
	"$COLLECTOR" -c "$CFG" --profiles config/profiles --ack-timeout 1 2>>"$T/collector.log" &
	COL=$!
	track $COL
}
start_collector

# ---- 1. genuine messages are stored as verified ----
q_all="SELECT count(status) FROM reading WHERE station='$ST'"
q_ver="SELECT count(verified) FROM reading WHERE station='$ST'"
check "readings of the signed station arrive" wait_for "[ \$(count_of \"$q_all\") -ge 20 ]" $((20 * SLOW))
check "they are stored as verified" wait_for "[ \$(count_of \"$q_ver\") -ge 20 ]" $((5 * SLOW))
mqtt_sub tel 2 $((10 * SLOW)) "wwtp/$ST/telemetry"
sub_wait tel
GENUINE=$(payloads "$T/tel.msgs" | head -n 1)
check "a published message carries chain, prev and sig" \
	jq -e '(.chain | type == "number") and (.prev | length == 64) and (.sig | length == 128)' <<<"$GENUINE"

# ---- 2. forged, edited, unsigned ----
# Signed with another key: another gateway file for the same station.
sed -e "s|$T/keys/$ST.key|$T/keys/other.key|" -e 's/"outlet-ph"/"forged-other"/' "$CFG" |
	grep -v '^store' >"$T/gw/other.cfg"
"$COLLECTOR" --keygen -c "$T/gw/other.cfg" --profiles config/profiles >/dev/null 2>&1
"$COLLECTOR" -c "$T/gw/other.cfg" --profiles config/profiles --print --once 2>/dev/null |
	grep '"forged-other"' | head -n 1 >"$T/other.json"
check "another key signs a message too" jq -e '.sig | length == 128' "$T/other.json"
# One file naming both keys, not a pair: the collector says so.
echo "signing = { key_file = \"$T/keys/other.key\"; public_key = \"$PUB\"; };" >"$T/gw/mismatch.part"
grep -v '^signing' "$T/gw/other.cfg" | cat - "$T/gw/mismatch.part" >"$T/gw/mismatch.cfg"
"$COLLECTOR" -c "$T/gw/mismatch.cfg" --profiles config/profiles --print --once >/dev/null 2>"$T/mismatch.log"
check "a key_file that is not public_key's pair is reported" grep -q 'is not the public key of' "$T/mismatch.log"
# Edited after signing: the genuine message, another device name.
sed 's/"device":"[^"]*"/"device":"forged-edit"/' <<<"$GENUINE" >"$T/edited.json"
# Unsigned: what anyone with the broker credentials can publish.
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
echo "{\"v\":1,\"station\":\"$ST\",\"device\":\"forged-plain\",\"ts\":\"$NOW\",\"seq\":900001,\"readings\":[{\"param\":\"cod\",\"value\":1,\"unit\":\"mg/L\",\"status\":\"ok\"}]}" >"$T/plain.json"
for f in other edited plain; do
	# -m, not -f: the file's newline is not part of the message.
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "wwtp/$ST/telemetry" -m "$(cat "$T/$f.json")"
done
q_alert="SELECT count(start_ms) FROM alert WHERE station='$ST' AND kind='forged'"
check "the forgeries raise a forged alert" wait_for "[ \$(count_of \"$q_alert\") -ge 1 ]" $((10 * SLOW))
sleep 1
check "... only one" test "$(count_of "$q_alert")" = 1
q_forged="SELECT count(status) FROM reading WHERE station='$ST' AND device =~ /^forged/"
check "no forged, edited or unsigned reading is stored as the station's" \
	test "$(count_of "$q_forged")" = 0
# One query: readings keep coming in.
BOTH=$(iq "SELECT count(status), count(verified) FROM reading WHERE station='$ST'" | jq -c '.results[0].series[0].values[0][1:]')
check "every stored reading of the station is verified (count of all, of verified: $BOTH)" \
	jq -e '.[0] == .[1] and .[0] > 0' <<<"$BOTH"
check "each is counted: two bad signatures, one missing" wait_for \
	"api /api/health | jq -e '.signing.refused_bad_signature == 2 and .signing.refused_unsigned == 1' >/dev/null" $((5 * SLOW))
log "signing counters: $(api /api/health | jq -c .signing)"
check "the refusal is logged, once for the three (rate-limited)" \
	test "$(grep -c 'forged or altered data' "$T/central.log")" = 1
api "/api/alerts?station=$ST" | jq '[.[] | select(.kind == "forged")]' >"$T/forged.json"
check "the alert is high, open, in Vietnamese" jq -e \
	'length == 1 and .[0].priority == "high" and .[0].state == "open" and (.[0].text_vi | contains("giả mạo"))' "$T/forged.json" ||
	log "$(cat "$T/forged.json")"
grep 'forged or altered' "$T/central.log" | head -n 3 | sed 's/^/#   /'

# ---- 3. messages deleted from the store before sending: a chain gap ----
log "broker and central away; the collector stores; some stored messages are then deleted"
stop_pid "$MQTT_PID" TERM
stop_pid "$CENTRAL_PID" TERM
KILL_MS=$(date +%s%3N)
sleep 4
stop_pid "$COL" TERM
# Telemetry stored after the broker went: four consecutive ones go.
mapfile -t SEQS < <(sqlite3 "$T/store.db" \
	"SELECT seq FROM msg WHERE topic LIKE '%/telemetry' AND ts_ms > $KILL_MS + 1000 ORDER BY seq")
log "${#SEQS[@]} telemetry messages stored while the broker was away"
check "enough were stored to delete from the middle" test "${#SEQS[@]}" -ge 8
FROM=${SEQS[3]:-0}
TO=$((FROM + 3))
sqlite3 "$T/store.db" "DELETE FROM msg WHERE topic LIKE '%/telemetry' AND seq BETWEEN $FROM AND $TO"
log "deleted telemetry seq $FROM..$TO from the store"
start_mosquitto "$MQTT_PORT"
start_central central2 10
check "central read the chain's position back" grep -q 'chain positions of signed stations read back from InfluxDB ([1-9]' "$T/central2.log"
check "... and the hash of its last link, from the kept bytes" \
	grep -q 'and the hash of the last link of 1 station(s)' "$T/central2.log"
start_collector
q_gap="SELECT seq_from, seq_to FROM chain WHERE station='$ST' AND event='gap'"
check "the deleted messages appear as a chain gap" \
	wait_for "iq \"$q_gap\" | jq -e '.results[0].series[0].values | length > 0' >/dev/null" $((30 * SLOW))
GAP=$(iq "$q_gap" | jq -c '.results[0].series[0].values[0][1:]')
check "... with their seq range $FROM..$TO (got $GAP)" test "$GAP" = "[$FROM,$TO]"
check "the gap is logged" grep -q "chain gap: links .* (telemetry seq $FROM..$TO)" "$T/central2.log"
grep 'chain gap' "$T/central2.log" | head -n 2 | sed 's/^/#   /'
if grep -q 'chain broken\|starts again' "$T/central.log" "$T/central2.log"; then
	not_ok "the restarted collector goes on with its chain" "$(grep 'chain broken\|starts again' "$T/central.log" "$T/central2.log" | head -n 2)"
else
	ok "the restarted collector goes on with its chain"
fi
stop_pid "$COL" TERM

[ "$FAILS" -eq 0 ]
