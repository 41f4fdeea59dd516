#!/usr/bin/env bash
# suite: sanitizer pass only
# The store's bounds and its bad days (docs/reliability.md):
#  - filled to its size bound (max_mb = 1) while the broker is away: the
#    oldest unsent messages go first, the file stays bounded, the drops are
#    logged, counted in the retained health message, and are exactly the seqs
#    missing at the subscriber once the broker is back (the newest all come);
#  - a message older than max_age_days is dropped and counted (too_old), one
#    taken while the clock was unsynced is not aged;
#  - a damaged store file is moved aside and the collector carries on;
#  - a second collector on the same store is refused;
#  - without a store the collector says so and works from memory as before;
#    --store alone gives a store with the default bound.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || { not_ok "sqlite3 is installed" "run make deps"; exit 1; }

MQTT_PORT=$(freeport)
DEV_PORT=$(freeport)
# Two devices with 40 float points each: about 12 KB a message with its
# evaluation, 20 messages a second.
points_p=""
points_q=""
points_r=""
points_s=""
for ((i = 0; i < 40; i++)); do
	points_p+="{ param = \"p$i\"; table = \"holding\"; address = $((2 * i)); type = \"float32\"; unit = \"mg/L\"; },"
	points_q+="{ param = \"q$i\"; table = \"holding\"; address = $((2 * i)); type = \"float32\"; unit = \"mg/L\"; },"
	points_r+="{ param = \"r$i\"; table = \"holding\"; address = $((2 * i)); type = \"float32\"; unit = \"mg/L\"; },"
	points_s+="{ param = \"s$i\"; table = \"holding\"; address = $((2 * i)); type = \"float32\"; unit = \"mg/L\"; },"
done
station() { # station ID STORE_GROUP
	cat <<EOF
station = { id = "$1"; name = "Bound"; plan = "qd6613"; };
devices = (
  { name = "big"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 100; timeout_ms = 1000; points = ( ${points_p%,} ); },
  { name = "big2"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 100; timeout_ms = 1000; points = ( ${points_q%,} ); },
  { name = "big3"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 3;
    interval_ms = 100; timeout_ms = 1000; points = ( ${points_r%,} ); },
  { name = "big4"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 4;
    interval_ms = 100; timeout_ms = 1000; points = ( ${points_s%,} ); }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
$2
EOF
}
station store-bound "store = { path = \"$T/full.db\"; max_mb = 1; commit_ms = 100; replay_rate = 1000; confirm = false; };" >"$T/full.cfg"
check "the station is valid" "$COLLECTOR" --check -c "$T/full.cfg"
start_sim sim -c "$T/full.cfg"

rows() { sqlite3 "$T/$1" 'SELECT count(*) FROM msg' 2>/dev/null || echo 0; }

# ---- 1. full: the broker is away while the store fills up ---------------

# A persistent session for the subscriber, registered while the broker runs
# once: the broker keeps what comes for it later.
start_mosquitto "$MQTT_PORT"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i bound-sub -q 1 -t 'wwtp/store-bound/telemetry' -E
stop_pid "$MQTT_PID" TERM
"$COLLECTOR" -c "$T/full.cfg" --health-interval 1 --ack-timeout 2 2>"$T/full.log" &
COL=$!
track $COL
# (Payloads are stored deflated, about a quarter of their size: 1 MB takes
# some 15 s of this station's four devices.)
if wait_for "grep -q 'store full or too old: dropped' '$T/full.log'" $((90 * SLOW)); then
	ok "the collector says when the full store drops its oldest messages"
else not_ok "the collector says when the full store drops its oldest messages" "$(tail -n 3 "$T/full.log")"; fi
sleep 2
used=$(sqlite3 "$T/full.db" 'SELECT (p.page_count - f.freelist_count) * s.page_size FROM pragma_page_count p, pragma_freelist_count f, pragma_page_size s')
if [ "${used:-0}" -le $((1024 * 1024)) ] && [ "${used:-0}" -gt $((512 * 1024)) ]; then
	ok "the store holds at most its bound (pages in use: $used bytes of 1 MB)"
else not_ok "the store holds at most its bound" "pages in use: ${used:-?} bytes"; fi
ls -l "$T"/full.db* | sed 's/^/# /'

# The broker comes back (the collector finds it at its next attempt): the
# rest goes, and the subscriber gets what was kept.
start_mosquitto "$MQTT_PORT"
wait_for "[ \"\$(sqlite3 '$T/full.db' \"SELECT count(*) FROM msg WHERE ts_ms < \$(date +%s%3N) - 1500\")\" = 0 ]" $((30 * SLOW)) ||
	not_ok "the backlog drains once the broker is up" "$(rows full.db) rows"
stop_pid $COL TERM
timeout 30 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i bound-sub -q 1 \
	-t 'wwtp/store-bound/telemetry' -W 3 >"$T/tel.json" 2>/dev/null
N=$(sqlite3 "$T/full.db" "SELECT value FROM meta WHERE key = 'seq'")
dropped=$(sqlite3 "$T/full.db" "SELECT value FROM meta WHERE key = 'dropped_full'")
log "seq $N, dropped for size $dropped, received $(jq -s 'map(.seq) | unique | length' "$T/tel.json") distinct"
if [ "${dropped:-0}" -gt 50 ]; then ok "the store counted what it dropped ($dropped)"; else not_ok "the store counted what it dropped" "dropped_full=${dropped:-none}"; fi
# The store's first row was the run's config message (its measuring
# configuration, published at start: docs/mqtt.md): the first dropped.
cfg=$(config_made "$T/full.log")
dtel=$((${dropped:-0} - cfg))
check "the dropped ones are the oldest: the config message and seq 1..$dtel did not arrive, $((dtel + 1))..$N did" jq -se \
	--argjson n "${N:-0}" --argjson d "$dtel" '(map(.seq) | unique) == [range($d + 1; $n + 1)]' "$T/tel.json"
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'wwtp/store-bound/health' -C 1 -W 5 >"$T/health.json" 2>/dev/null
check "the retained health message reports the drops and the bound" jq -e --argjson d "${dropped:-0}" \
	'.dropped.store_full == $d and .dropped.total >= $d and .backlog.max_bytes == 1048576 and .backlog.durable' "$T/health.json"

# ---- 2. age: max_age_days = 1, one message three days old ---------------

station store-age "store = { path = \"$T/age.db\"; max_age_days = 1; commit_ms = 100; confirm = false; };" >"$T/age.cfg"
# The collector makes the store (broker up, so it stays empty), then two old
# messages are slipped in: one taken with a synchronised clock, one without.
"$COLLECTOR" -c "$T/age.cfg" --clock synced --ack-timeout 2 2>"$T/age1.log" &
COL=$!
track $COL
wait_for "grep -q 'store .*age.db' '$T/age1.log'" $((10 * SLOW))
sleep 1
stop_pid $COL TERM
old=$(($(date +%s%3N) - 3 * 86400000))
old_iso=$(date -u -d "@$((old / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)
for f in 0 1; do
	msg="{\"v\":1,\"station\":\"store-age\",\"device\":\"big\",\"ts\":\"$old_iso\",\"seq\":$((900000 + f)),\"readings\":[]}"
	sqlite3 "$T/age.db" "INSERT INTO msg(ts_ms, seq, flags, qos, topic, payload) VALUES ($old, $((900000 + f)), $f, 1, 'wwtp/store-age/telemetry', CAST('$msg' AS BLOB))"
done
mqtt_sub age 100000 $((6 * SLOW)) 'wwtp/store-age/telemetry'
"$COLLECTOR" -c "$T/age.cfg" --clock synced --health-interval 1 --ack-timeout 2 2>"$T/age2.log" &
COL=$!
track $COL
sleep 3
stop_pid $COL TERM
stop_pid "$SUB_PID_age" TERM
sub_wait age
payloads "$T/age.msgs" >"$T/age.json"
check "the three-day-old message was dropped, counted as too old" bash -c \
	"[ \"\$(sqlite3 '$T/age.db' \"SELECT value FROM meta WHERE key = 'dropped_age'\")\" = 1 ]"
check "... and did not reach the broker" jq -se 'map(.seq) | index(900000) == null' "$T/age.json"
check "the old message taken with an unsynced clock was not aged: it was sent" jq -se 'map(.seq) | index(900001) != null' "$T/age.json"
check "too_old in the health message" bash -c "timeout 10 mosquitto_sub -h 127.0.0.1 -p $MQTT_PORT -t wwtp/store-age/health -C 1 -W 5 | jq -e '.dropped.too_old == 1'"

# ---- 3. a damaged store file, and two collectors on one store ----------

head -c 100000 /dev/urandom >"$T/damaged.db"
station store-damaged "store = { path = \"$T/damaged.db\"; commit_ms = 100; };" >"$T/damaged.cfg"
"$COLLECTOR" -c "$T/damaged.cfg" 2>"$T/damaged.log" &
COL=$!
track $COL
if wait_for "[ \"\$(sqlite3 '$T/damaged.db' 'SELECT count(*) > 0 FROM meta' 2>/dev/null)\" = 1 ]" $((10 * SLOW)) &&
	ls "$T"/damaged.db.corrupt-* >/dev/null 2>&1 && grep -q 'damaged or not a store: moved to' "$T/damaged.log"; then
	ok "a damaged store is moved aside (kept for a post-mortem) and a new one used"
else not_ok "a damaged store is moved aside and a new one used" "$(grep -E 'ERROR|WARN' "$T/damaged.log" | tail -n 3)"; fi
timeout $((10 * SLOW)) "$COLLECTOR" -c "$T/damaged.cfg" 2>"$T/second.log"
rc=$?
if [ $rc -eq 1 ] && grep -q 'in use by another process' "$T/second.log"; then
	ok "a second collector on the same store exits 1 and says why"
else not_ok "a second collector on the same store exits 1 and says why" "exit $rc" "$(tail -n 2 "$T/second.log")"; fi
stop_pid $COL TERM

# ---- 4. no store; --store alone ----------------------------------------

station store-none "" >"$T/none.cfg"
"$COLLECTOR" -c "$T/none.cfg" 2>"$T/none.log" &
COL=$!
track $COL
wait_for "grep -q 'no durable store' '$T/none.log'" $((10 * SLOW))
stop_pid $COL TERM
check "without a store it says messages wait in memory only" grep -q 'no durable store: messages wait in memory only' "$T/none.log"
"$COLLECTOR" -c "$T/none.cfg" --store "$T/cli.db" 2>"$T/cli.log" &
COL=$!
track $COL
wait_for "grep -q 'store .*cli.db' '$T/cli.log'" $((10 * SLOW))
stop_pid $COL TERM
check "--store alone: a store with the default bound (60 days of this station)" grep -qE \
	'store .*cli.db: .* MB \(default\), 60 days' "$T/cli.log"
check "--store is refused with --once" bash -c "! '$COLLECTOR' -c '$T/none.cfg' --store '$T/x.db' --once 2>/dev/null"

[ "$FAILS" -eq 0 ]
