#!/usr/bin/env bash
# suite: sanitizer pass only
# A damaged store (issue 15, finding 3), with a real mosquitto and a
# subscriber that records everything published:
#  1. garbage over an internal page of a stopped collector's store: at the
#     next start the damage is found (PRAGMA quick_check), the file is set
#     aside once (kept), a new store takes the next polls, which all arrive,
#     numbered on from the old seq (none used twice);
#  2. one digit changed in a stored payload: never published; counted
#     (exit summary "damaged", health dropped.damaged) and said;
#  3. garbage in the WAL after a SIGKILL (SQLite drops the log's last
#     commits): seq goes on after the highest one published, so no seq is
#     published for two different polls.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || { not_ok "sqlite3 is installed" "run make deps"; exit 1; }
start_mosquitto
DEV_PORT=$(freeport)
cat >"$T/station.cfg" <<EOF
station = { id = "dmg"; name = "Damage"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 100; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 100; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
store = { path = "$T/store.db"; commit_ms = 100; confirm = false; };
EOF
CFG="$T/station.cfg"
start_sim sim -c "$CFG" --profiles config/profiles
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i dmg-sub -q 1 -t 'wwtp/dmg/telemetry' -E
# The recording subscriber; mosquitto_sub may give up when its broker goes
# away, so it is started again after each restart of the broker (its
# session is persistent: the broker kept what came meanwhile).
start_sub() {
	stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i dmg-sub -q 1 -t 'wwtp/dmg/telemetry' >>"$T/got.json" 2>>"$T/sub.log" &
	SUB=$!
	track $SUB
}
start_sub

meta_seq() { sqlite3 "$T/store.db" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null || echo 0; }
rows() { sqlite3 "$T/store.db" 'SELECT count(*) FROM msg' 2>/dev/null || echo 0; }
run_collector() { # run_collector LOG: in the background, COL its PID
	"$COLLECTOR" -c "$CFG" --profiles config/profiles --health-interval 1 --ack-timeout 3 2>>"$T/$1" &
	COL=$!
	track $COL
}
seqs_of_run() { jq -s --argjson a "$1" --argjson b "$2" '[.[] | select(.seq > $a and .seq <= $b) | .seq] | unique' "$T/got.json"; }

# ---- 1. garbage over an internal page -----------------------------------
# A store with a backlog: polled while the broker is away, stopped cleanly.
stop_pid "$MQTT_PID" TERM
run_collector c1.log
wait_for "[ \"\$(rows)\" -ge 60 ]" $((20 * SLOW)) || not_ok "a backlog builds up" "$(rows) rows"
stop_pid $COL TERM
old_seq=$(meta_seq)
pages=$(sqlite3 "$T/store.db" 'PRAGMA page_count')
log "a store of $pages pages, seq $old_seq; garbage over page 3"
head -c 4096 /dev/urandom | dd of="$T/store.db" bs=4096 seek=2 conv=notrunc 2>/dev/null
start_mosquitto "$MQTT_PORT"
stop_pid "$SUB"
start_sub
run_collector c2.log
wait_for "[ \"\$(jq -s --argjson s $old_seq 'map(select(.seq > \$s)) | length' '$T/got.json')\" -ge 40 ]" $((20 * SLOW)) ||
	not_ok "the collector publishes new polls after the damage" "$(tail -n 3 "$T/c2.log")"
stop_pid $COL TERM
new_seq=$(meta_seq)
aside=$(ls "$T"/store.db.corrupt-* 2>/dev/null | grep -cv -- '-wal\|-shm')
log "seq after the restart: $new_seq; set aside: $(ls "$T" | grep corrupt | tr '\n' ' ')"
if [ "$aside" = 1 ]; then ok "the damaged store is set aside once and kept"; else
	not_ok "the damaged store is set aside once and kept" "$aside files"; fi
check "the damage is found at start (quick_check) and said" grep -q "fails SQLite's check\|is damaged or not a store" "$T/c2.log"
n_err=$(grep -c ERROR "$T/c2.log")
if [ "$n_err" -le 3 ]; then ok "said without a flood ($n_err ERROR lines)"; else
	not_ok "said without a flood" "$n_err ERROR lines: $(grep ERROR "$T/c2.log" | cut -c 25-120 | sort | uniq -c | head -n 3)"; fi
want=$(jq -n --argjson a "$old_seq" --argjson b "$new_seq" '[range($a + 1; $b + 1)]')
got=$(seqs_of_run "$old_seq" "$new_seq")
if [ "$(jq -n --argjson w "$want" --argjson g "$got" '$w == $g')" = true ] && [ "$new_seq" -gt "$old_seq" ]; then
	ok "every poll after the damage arrived, numbered on from $old_seq: seq $((old_seq + 1))..$new_seq"
else not_ok "every poll after the damage arrived, numbered on from $old_seq" "$(jq -n --argjson w "$want" --argjson g "$got" '$w - $g | .[:10]')"; fi

# ---- 2. a changed digit in a stored payload -------------------------------
stop_pid "$MQTT_PID" TERM
run_collector c3.log
wait_for "[ \"\$(rows)\" -ge 30 ]" $((20 * SLOW)) || not_ok "a backlog builds up" "$(rows) rows"
stop_pid $COL TERM
# A value of one stored message, in the file itself (one byte, as a bad
# card would): the first reading's value of the message after the oldest.
victim=$(sqlite3 "$T/store.db" 'SELECT seq FROM msg ORDER BY id LIMIT 1 OFFSET 1')
text=$(sqlite3 "$T/store.db" "SELECT CAST(payload AS TEXT) FROM msg WHERE seq = $victim" | grep -oE '"value":[0-9]+\.[0-9]+' | head -n 1)
off=$(grep -aboF "\"seq\":$victim," "$T/store.db" | head -n 1 | cut -d: -f1)
voff=$(tail -c +$((off + 1)) "$T/store.db" | grep -aboF "$text" | head -n 1 | cut -d: -f1)
pos=$((off + voff + 8)) # the first digit after "value":
digit=$(dd if="$T/store.db" bs=1 skip=$pos count=1 2>/dev/null)
new=$(((digit + 5) % 10))
printf '%s' "$new" | dd of="$T/store.db" bs=1 seek=$pos conv=notrunc 2>/dev/null
altered=$(sqlite3 "$T/store.db" "SELECT CAST(payload AS TEXT) FROM msg WHERE seq = $victim" | grep -oE '"value":[0-9]+\.[0-9]+' | head -n 1)
log "seq $victim: $text changed to $altered in the file"
start_mosquitto "$MQTT_PORT"
stop_pid "$SUB"
start_sub
before=$(wc -l <"$T/got.json")
run_collector c4.log
wait_for "[ \"\$(sqlite3 '$T/store.db' \"SELECT count(*) FROM msg WHERE ts_ms < \$(date +%s%3N) - 1500\")\" = 0 ]" $((20 * SLOW)) ||
	not_ok "the backlog drains" "$(rows) rows"
sleep 2 # the next health message (every second here)
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'wwtp/dmg/health' -C 1 -W 5 >"$T/health.json" 2>/dev/null
stop_pid $COL TERM
sleep 1
if [ "$(tail -n +$((before + 1)) "$T/got.json" | grep -cF "$altered")" = 0 ] && [ "$altered" != "$text" ]; then
	ok "the altered message was never published ($altered)"
else not_ok "the altered message was never published" "$altered seen"; fi
if [ "$(jq -s --argjson v "$victim" 'map(select(.seq == $v)) | length' "$T/got.json")" = 0 ]; then
	ok "seq $victim (altered) is missing at the subscriber: not sent at all"
else not_ok "seq $victim (altered) is missing at the subscriber"; fi
check "the collector said so" grep -q "does not match its checksum" "$T/c4.log"
check "the exit summary counts it (damaged 1)" grep -q 'damaged 1)' "$T/c4.log"
check "the health message counts it (dropped.damaged 1)" jq -e '.dropped.damaged == 1' "$T/health.json"

# ---- 3. garbage in the WAL after a SIGKILL ---------------------------------
run_collector c5.log
wait_for "[ -s '$T/store.db-wal' ] && [ \"\$(meta_seq)\" -gt $((new_seq + 150)) ]" $((20 * SLOW))
kill -KILL $COL
wait $COL 2>/dev/null
published=$(jq -s 'map(.seq) | max' "$T/got.json")
walsz=$(stat -c %s "$T/store.db-wal")
# Garbage over the whole log: SQLite finds no valid frame and forgets every
# commit since the last checkpoint (up to 128 pages), published or not.
cut=0
head -c $((walsz - cut)) /dev/urandom | dd of="$T/store.db-wal" bs=1 seek=$cut conv=notrunc 2>/dev/null
log "collector killed; $published the highest seq published; WAL of $walsz bytes damaged from byte $cut"
run_collector c6.log
wait_for "grep -q 'seq goes on from' '$T/c6.log'" $((10 * SLOW))
from=$(grep -o 'seq goes on from [0-9]*' "$T/c6.log" | grep -o '[0-9]*$')
sleep 3
stop_pid $COL TERM
log "the store said seq $(sqlite3 "$T/store.db" "SELECT value FROM meta WHERE key = 'seq'"); the collector went on from $from"
if [ "${from:-0}" -ge "$published" ]; then ok "after garbage in the WAL, seq goes on after the highest published ($from >= $published)"; else
	not_ok "after garbage in the WAL, seq goes on after the highest published" "from $from, published $published"; fi
check "no seq was published for two different polls" jq -se \
	'group_by(.seq) | all(map([.device, .ts]) | unique | length == 1)' "$T/got.json"

[ "$FAILS" -eq 0 ]
