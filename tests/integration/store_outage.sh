#!/usr/bin/env bash
# suite: sanitizer pass only
# Store and forward through broker outages (docs/reliability.md), with a real
# mosquitto, the simulator and the collector keeping a durable store:
#  - the broker is stopped for a while (compressed time: polls every 200 ms)
#    while the collector keeps polling, then started again; later stopped
#    again and the collector restarted (SIGTERM) in the middle of the replay;
#  - every poll reaches a persistent subscriber exactly once (seq 1..N, N the
#    polls both collectors counted, one (device, ts) per seq), with its
#    original poll time;
#  - the backlog goes oldest first, at the configured rate, while live
#    readings keep coming;
#  - the retained health message says the store drained and nothing was
#    dropped; the clock flag follows --clock;
#  - under systemd's protocol ($NOTIFY_SOCKET) it says READY, pings the
#    watchdog and says STOPPING.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || {
	not_ok "sqlite3 is installed (Debian package sqlite3)" "run make deps"
	exit 1
}

RATE=10
MQTT_PORT=$(freeport)
DEV_PORT=$(freeport)
cat >"$T/station.cfg" <<EOF
station = { id = "store-outage"; name = "Kho"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 200; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 200; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
# No wwtp-central here: the broker's PUBACK deletes (store.confirm = false), as
# before the end-to-end acknowledgement (e2e_ack.sh tests that one).
store = { path = "$T/store.db"; commit_ms = 200; replay_rate = $RATE; confirm = false; };
EOF
check "the station with a store group is valid" "$COLLECTOR" --check -c "$T/station.cfg" --profiles config/profiles
start_sim sim -c "$T/station.cfg" --profiles config/profiles

rows() { sqlite3 "$T/store.db" 'SELECT count(*) FROM msg' 2>/dev/null || echo "?"; }
# Rows polled more than 2 s ago: the backlog (live ones go within the commit
# window and an acknowledgement).
old_rows() { sqlite3 "$T/store.db" "SELECT count(*) FROM msg WHERE ts_ms < $(date +%s%3N) - 2000" 2>/dev/null || echo "?"; }
meta_seq() { sqlite3 "$T/store.db" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null; }

# A persistent session, registered first, then a subscriber that stays for
# the whole test and notes when each message arrives.
start_mosquitto "$MQTT_PORT"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i store-outage-sub -q 1 -t 'wwtp/store-outage/telemetry' -E
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i store-outage-sub -q 1 \
	-t 'wwtp/store-outage/telemetry' -F '%U %p' >"$T/arrivals.txt" 2>"$T/sub.log" &
SUB=$!
track $SUB

# sd_notify listener: every datagram, one line each.
NOTIFY="$T/notify.sock"
/usr/bin/python3 - "$NOTIFY" "$T/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        data = s.recv(4096).decode()
        out.write(data.replace("\n", "|") + "\n")
PY
track $!
wait_for "[ -S '$NOTIFY' ]" 5 || not_ok "notify listener started"

# First run: clock said synced.
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles --clock synced \
	--health-interval 1 2>"$T/collector1.log" &
COL=$!
track $COL
sleep $((2 * SLOW))
stop_pid "$MQTT_PID" TERM
OUT_START=$(date +%s.%N)
log "broker stopped; $(rows) messages in the store"
sleep 4
backlog=$(rows)
start_mosquitto "$MQTT_PORT"
BACK_UP=$(date +%s.%N)
log "broker up again with $backlog messages in the store"
if [ "$backlog" -gt 20 ] 2>/dev/null; then ok "messages piled up in the store during the outage ($backlog)"; else
	not_ok "messages piled up in the store during the outage" "rows: $backlog"; fi
# The backlog takes about backlog/RATE seconds to go.
wait_for "[ \"\$(old_rows)\" = 0 ]" $((backlog / RATE + 10 * SLOW)) ||
	not_ok "the backlog drains" "still $(rows) rows"

# Second outage, and the collector restarted in the middle of the replay.
stop_pid "$MQTT_PID" TERM
sleep 3
start_mosquitto "$MQTT_PORT"
sleep 1
mid=$(rows)
stop_pid $COL TERM
seq1=$(meta_seq)
log "collector 1 stopped in the middle of the replay: $mid rows left, seq $seq1"
NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000 "$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles \
	--clock unsynced --health-interval 1 2>"$T/collector2.log" &
COL=$!
track $COL
sleep 2
wait_for "[ \"\$(old_rows)\" = 0 ]" $((mid / RATE + 10 * SLOW)) || not_ok "the backlog drains after the restart" "still $(rows) rows"
stop_pid $COL TERM
log "collector 2 stopped: $(rows) rows left"
check "nothing is left in the store after a clean stop with the broker up" test "$(rows)" = 0

# Everything is there: let the subscriber take the rest, then stop it.
sleep 1
stop_pid $SUB TERM
polls1=$(sed -n 's/.*\] \([0-9]*\) polls, .*/\1/p' "$T/collector1.log" | tail -n1)
polls2=$(sed -n 's/.*\] \([0-9]*\) polls, .*/\1/p' "$T/collector2.log" | tail -n1)
N=$(meta_seq)
sed 's/^[^ ]* //' "$T/arrivals.txt" >"$T/got.json"
log "collectors polled ${polls1:-?} + ${polls2:-?}; store seq $N; $(wc -l <"$T/got.json") messages arrived"
check "seq 1..N arrived, none missing, across the outages and the restart" jq -se --argjson n "${N:-0}" \
	'(map(.seq) | unique) == [range(1; $n + 1)]' "$T/got.json"
check "N is what the two collectors polled ($polls1 + $polls2)" test "${N:-x}" = "$((${polls1:-0} + ${polls2:-0}))"
check "one (device, ts) per seq: a repeat is the same reading" jq -se \
	'(map([.device, .ts]) | unique | length) == (map(.seq) | unique | length)' "$T/got.json"
dups=$(jq -s 'length - (map(.seq) | unique | length)' "$T/got.json")
log "$dups messages arrived twice (at-least-once; the central side stores them once)"
check "the second run continued the seq of the first" jq -se --argjson s "${seq1:-0}" \
	'[.[] | select(.seq > $s)] | length > 0 and all(.[]; .clock == "unsynced")' "$T/got.json"
check "readings of the first run (clock synced) carry no clock flag" jq -se --argjson s "${seq1:-0}" \
	'[.[] | select(.seq <= $s) | has("clock")] | any | not' "$T/got.json"

# Order and rate of the first replay: the messages polled during the outage.
# timeline.tsv: arrival time, seq, poll time (s).
jq -Rr '(split(" ")) as $f | ($f[1:] | join(" ") | fromjson) as $m |
	(($m.ts[0:19] + "Z" | fromdateiso8601) + ($m.ts[20:23] | tonumber) / 1000) as $t |
	[($f[0] | tonumber), $m.seq, $t] | @tsv' "$T/arrivals.txt" >"$T/timeline.tsv"
# first arrival of each seq only
awk '!seen[$2]++' "$T/timeline.tsv" >"$T/first.tsv"
awk -v a="$OUT_START" -v b="$BACK_UP" '$3 > a + 0.5 && $3 < b - 0.2' "$T/first.tsv" >"$T/backlog.tsv"
nb=$(wc -l <"$T/backlog.tsv")
if awk 'NR > 1 && $2 < prev { bad = 1 } { prev = $2 } END { exit bad }' "$T/backlog.tsv" && [ "$nb" -gt 10 ]; then
	ok "the backlog ($nb messages polled during the outage) arrived oldest first"
else not_ok "the backlog arrived oldest first" "$nb messages; $(head -n 5 "$T/backlog.tsv" | tr '\n' ';')"; fi
span=$(awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.1f", l - f }' "$T/backlog.tsv")
min_span=$(awk -v n="$nb" -v r="$RATE" 'BEGIN { printf "%.1f", (n - 2 * r) / r }')
if awk -v s="$span" -v m="$min_span" 'BEGIN { exit !(s >= m) }'; then
	ok "the backlog went at most at the replay rate ($nb messages in ${span} s, rate $RATE/s)"
else not_ok "the backlog went at most at the replay rate" "$nb messages in ${span} s, expected >= ${min_span} s"; fi
last_back=$(awk '{ l = $1 } END { print l }' "$T/backlog.tsv")
live_during=$(awk -v b="$BACK_UP" -v l="$last_back" '$3 > b + 0.3 && $1 < l' "$T/first.tsv" | wc -l)
if [ "$live_during" -gt 3 ]; then ok "live readings kept arriving during the replay ($live_during before its end)"; else
	not_ok "live readings kept arriving during the replay" "$live_during live messages before the backlog ended"; fi
check "replayed readings kept their poll time (taken during the outage, arrived after it)" awk \
	-v b="$BACK_UP" 'END { exit !(n > 10) } $1 > b && $3 < b - 0.5 { n++ }' "$T/first.tsv"

# Health: retained, the last one says drained and nothing dropped.
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'wwtp/store-outage/health' -C 1 -W 5 >"$T/health.json" 2>/dev/null
check "retained health: durable store drained, nothing dropped, clock unsynced, every device ok" jq -e \
	'.backlog.durable == true and .backlog.messages == 0 and .dropped.total == 0 and .clock == "unsynced"
	 and (.uptime_s | type) == "number" and .backlog.max_bytes > 0
	 and ([.devices[] | .state] == ["ok", "ok"]) and all(.devices[]; .polls > 0 and .failures == 0)' "$T/health.json"

# systemd's protocol.
check "READY=1 sent once polling runs" grep -qx 'READY=1' "$T/notify.txt"
n_wd=$(grep -c '^WATCHDOG=1$' "$T/notify.txt")
if [ "$n_wd" -ge 3 ]; then ok "the watchdog was pinged ($n_wd times, WATCHDOG_USEC=400000)"; else
	not_ok "the watchdog was pinged" "$n_wd pings: $(sort "$T/notify.txt" | uniq -c | tr '\n' ';')"; fi
check "STATUS= lines say what waits" grep -q '^STATUS=.*messages waiting for the broker' "$T/notify.txt"
check "STOPPING=1 at SIGTERM" grep -qx 'STOPPING=1' "$T/notify.txt"

[ "$FAILS" -eq 0 ]
