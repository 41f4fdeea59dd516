#!/usr/bin/env bash
# `wwtp-central verify` (issue 20 item 1; docs/security.md, "Re-checking a
# stored span") with a real mosquitto, InfluxDB, signing collector and
# wwtp-central:
#  1. central keeps each verified message's bytes in `signed` (one point
#     per message, beside its readings); verify of the span exits 0 and its
#     counts match what InfluxDB holds; a span that starts at link 10 has
#     its first link checked against link 9;
#  2. one stored reading's value changed in InfluxDB directly: exit 1, the
#     reading named as altered;
#  3. a reading point written for a time no message has: named;
#  4. a `signed` point deleted: its link named as missing, with its seq;
#  and the usage errors exit 2.
# With the value comparison broken on purpose (span.c's same_values always
# 1), part 2 fails.
. "$(dirname "$0")/../lib/common.sh"

ST=vs-plant
start_influxd
start_mosquitto
DEV_PORT=$(freeport)
mkdir -p "$T/stations" "$T/gw" "$T/keys"

CFG="$T/gw/$ST.cfg"
write_plant_station "$CFG" "$ST" "Trạm kiểm" "$DEV_PORT"
{
	echo "store = { path = \"$T/store.db\"; commit_ms = 100; replay_rate = 50; confirm_timeout_s = 5; };"
	echo "signing = { key_file = \"$T/keys/$ST.key\"; };"
} >>"$CFG"
"$COLLECTOR" --keygen -c "$CFG" --profiles config/profiles >"$T/keygen.out" 2>&1
PUB=$(sed -n 's/.*public_key = "\([0-9a-f]*\)".*/\1/p' "$T/keygen.out")
write_plant_station "$T/stations/$ST.cfg" "$ST" "Trạm kiểm" "$DEV_PORT"
echo "signing = { public_key = \"$PUB\"; };" >>"$T/stations/$ST.cfg"
write_plant_station "$T/stations/vs-old.cfg" vs-old "Trạm cũ" "$DEV_PORT"
{
	echo "stations_dir = \"$T/stations\";"
	echo 'profiles_dir = "config/profiles";'
	echo "mqtt = { uri = \"tcp://127.0.0.1:$MQTT_PORT\"; client_id = \"vs-central\"; };"
	echo "influxdb = { url = \"http://127.0.0.1:$INFLUX_PORT\"; database = \"wwtp\"; create_database = true;"
	echo "  batch_max_ms = 200; retry_min_ms = 200; retry_max_ms = 1000; spool_dir = \"$T/spool\"; };"
} >"$T/central.cfg"
start_central central 10

verify() { "$WWTP_BUILD/wwtp-central" verify -c "$T/central.cfg" "$@"; }

# ---- usage ----
verify --help >"$T/help.out"
check "verify --help exits 0 and names the options" grep -q -- '--station ID' "$T/help.out"
verify -c "$T/central.cfg" --station "$ST" --from 2026-12-04 >"$T/u1.out" 2>&1
check "without --to: exit 2" test $? = 2
verify --station "$ST" --from 2026-12-04 --to yesterday >"$T/u2.out" 2>&1
check "a bad --to: exit 2, named" test $? = 2 -a -n "$(grep "bad --to 'yesterday'" "$T/u2.out")"
verify --station vs-old --from 2026-12-04 --to 2026-12-05 >"$T/u3.out" 2>&1
check "an unsigned station: exit 2, saying it has no public_key" \
	test $? = 2 -a -n "$(grep 'has no signing.public_key' "$T/u3.out")"

# ---- 1. a genuine span ----
FROM_MS=$(($(date +%s%3N) - 1000))
start_sim sim -c "$CFG" --profiles config/profiles
"$COLLECTOR" -c "$CFG" --profiles config/profiles --ack-timeout 1 2>>"$T/collector.log" &
COL=$!
track $COL
mqtt_sub tel 10 $((10 * SLOW)) "wwtp/$ST/telemetry"
q_signed="SELECT count(chain) FROM signed WHERE station='$ST'"
check "central keeps the signed bytes of the station's messages" \
	wait_for "[ \$(count_of \"$q_signed\") -ge 30 ]" $((30 * SLOW))
stop_pid "$COL" TERM
sub_wait tel
# Everything the collector sent is written once the counts stop moving.
last=-1
for _ in $(seq 1 $((20 * SLOW))); do
	now=$(count_of "$q_signed"):$(count_of "SELECT count(status) FROM reading WHERE station='$ST'")
	[ "$now" = "$last" ] && break
	last=$now
	sleep 1
done
TO_MS=$(($(date +%s%3N) + 1000))
iso() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
FROM=$(iso "$FROM_MS")
TO=$(iso "$TO_MS")
NSIGNED=$(count_of "$q_signed")
NREAD=$(count_of "SELECT count(status) FROM reading WHERE station='$ST'")
log "stored: $NSIGNED signed messages, $NREAD reading points, span $FROM .. $TO"

verify --station "$ST" --from "$FROM" --to "$TO" >"$T/v1.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/v1.out"
check "verify of the genuine span exits 0" test $rc = 0
check "... checked every link: $NSIGNED good, 0 bad" grep -q "^signatures: $NSIGNED good, 0 bad" "$T/v1.out"
check "... no link missing or broken" grep -q '^chain: 0 missing links in 0 gaps, 0 broken links' "$T/v1.out"
check "... every one of the $NREAD reading points accounted for" \
	grep -q "^reading points: $NREAD stored, $NREAD accounted for" "$T/v1.out"

check "... starting at link 1" grep -q '^first link: 1, the start of the chain' "$T/v1.out"
# A span starting inside the chain: its first link against the one before.
T10=$(iq "SELECT chain FROM signed WHERE station='$ST' AND chain = 10" | jq -r '.results[0].series[0].values[0][0]')
verify --station "$ST" --from "$(iso "$T10")" --to "$TO" >"$T/v1b.out" 2>&1
rc=$?
check "a span from link 10 checks too (exit $rc)" test $rc = 0
check "... its first link's prev checked against the link stored before it" \
	grep -Eq "^first link's prev: checked against link [0-9]+, stored before the span" "$T/v1b.out"

# What a message costs: its payload, and its `signed` point.
MSG=$(payloads "$T/tel.msgs" | LC_ALL=C awk '{ n++; s += length($0) } END { if (n) printf "%d", s / n }')
iq "SELECT bytes FROM signed WHERE station='$ST'" >"$T/bytes.json"
B64=$(jq '[.results[0].series[0].values[][1] | length] | add / length | floor' "$T/bytes.json")
log "storage: telemetry messages of $MSG bytes on average (2 or 3 readings) keep bytes fields of $B64 characters on average ($NSIGNED messages)"

# ---- 2. a reading altered in InfluxDB ----
iq "SELECT value, device, param FROM reading WHERE station='$ST' AND device='outlet-ph' LIMIT 5" >"$T/pick.json"
read -r T_ALT DEV_ALT PARAM_ALT < <(jq -r '.results[0].series[0].values[2] | "\(.[0]) \(.[2]) \(.[3])"' "$T/pick.json")
write() { curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$INFLUX_PORT/write?db=wwtp&precision=ms" --data-binary "$1"; }
check "a changed value is written to InfluxDB directly" \
	test "$(write "reading,device=$DEV_ALT,param=$PARAM_ALT,station=$ST value=987.5 $T_ALT")" = 204
verify --station "$ST" --from "$FROM" --to "$TO" >"$T/v2.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/v2.out"
check "verify exits 1" test $rc = 1
check "... naming the altered reading ($DEV_ALT $PARAM_ALT at $(iso "$T_ALT"))" \
	grep -q "reading at $(iso "$T_ALT") device=$DEV_ALT param=$PARAM_ALT: altered: stored value=987.5" "$T/v2.out"

# ---- 3. a reading no message has ----
T_INS=$((T_ALT + 1))
check "a reading for a time no message has is written directly" \
	test "$(write "reading,device=outlet-ph,param=ph,station=$ST value=7.1,status=\"ok\",unit=\"pH\" $T_INS")" = 204
verify --station "$ST" --from "$FROM" --to "$TO" >"$T/v3.out" 2>&1
rc=$?
check "verify exits 1" test $rc = 1
check "... naming the inserted reading ($(iso "$T_INS"))" \
	grep -q "reading at $(iso "$T_INS") device=outlet-ph param=ph (value=7.0999999999999996 status=ok unit=pH): no verified message has it" "$T/v3.out"
grep 'no verified message' "$T/v3.out" | sed 's/^/#   /'

# ---- 4. a signed point deleted ----
iq "SELECT chain, device FROM signed WHERE station='$ST' AND device='outlet-analyzer'" >"$T/links.json"
read -r T_DEL LINK_DEL < <(jq -r '.results[0].series[0].values[5] | "\(.[0]) \(.[1])"' "$T/links.json")
iq "DELETE FROM signed WHERE station='$ST' AND device='outlet-analyzer' AND time = ${T_DEL}ms" >/dev/null
check "the signed point of link $LINK_DEL is deleted" \
	test "$(count_of "SELECT count(chain) FROM signed WHERE station='$ST'")" = $((NSIGNED - 1))
verify --station "$ST" --from "$FROM" --to "$TO" >"$T/v4.out" 2>&1
rc=$?
sed 's/^/#   /' "$T/v4.out"
check "verify exits 1" test $rc = 1
check "... naming link $LINK_DEL as missing" grep -q "^  missing links $LINK_DEL\\.\\.$LINK_DEL" "$T/v4.out"
check "... and its readings as not accounted for" \
	grep -q "reading at $(iso "$T_DEL") device=outlet-analyzer .*no verified message has it" "$T/v4.out"
check "... counted: $((NSIGNED - 1)) good, 1 missing link" \
	grep -q "^signatures: $((NSIGNED - 1)) good, 0 bad" "$T/v4.out"

[ "$FAILS" -eq 0 ]
