#!/usr/bin/env bash
# suite: sanitizer pass only
# The store on a file system that fills up (issue 15, finding 2; needs root
# for mount -t tmpfs):
#  1. a tiny one (2 MiB tmpfs) while the broker is away: SQLite's default
#     WAL would grow to 4 MB before its first checkpoint and never fit; the
#     store must keep committing (oldest messages dropped, counted), and once
#     the broker is back the newest polls all arrive; the seqs missing at the
#     subscriber are exactly those the collector says it dropped or lost;
#  2. the wedge: another 2 MiB file system filled to its last block by
#     another file (kept there) while the store grows, its WAL holding pages
#     the database file has no room to grow into: the checkpoint needs room,
#     and so do the deletes that would make some. The store gives up its
#     reserve (<store>.reserve), checkpoints, drops its oldest messages,
#     cuts its file back and takes the reserve again; it keeps committing,
#     and drains once the broker is back, every loss counted once.
#     STORE_DISK_RESERVE_KB=0 runs it without the reserve: then it fails;
#  3. a full one (the rest of an 8 MiB tmpfs filled by another file for a
#     while) with the broker up: no poll is lost or, if one is, it is
#     counted; the fault is logged once when it starts and once when it ends
#     (no flood of "cannot commit" / "stored again" lines); the exit summary
#     and the health message say the true number lost.
. "$(dirname "$0")/../lib/common.sh"
# The subscribers' sessions queue the whole backlog: a 2 MiB store holds
# more than mosquitto's default 1000 of these (deflated) messages.
MOSQUITTO_EXTRA="max_queued_messages 100000"

command -v sqlite3 >/dev/null || { not_ok "sqlite3 is installed" "run make deps"; exit 1; }
if [ "$(id -u)" != 0 ]; then
	echo "ok - SKIP: mounting a tmpfs needs root"
	exit 0
fi
MOUNTS=()
on_exit() {
	local m
	# A failing run keeps the files (cleanup): copy them off the tmpfs first.
	for m in "${MOUNTS[@]}"; do
		[ "$FAILS" -eq 0 ] || cp -a "$m" "$m.kept" 2>/dev/null
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	cleanup
}
trap on_exit EXIT
mount_tmpfs() { # mount_tmpfs DIR SIZE
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" || { not_ok "mount a $2 tmpfs on $1"; exit 1; }
	MOUNTS+=("$1")
}

MQTT_PORT=$(freeport)
DEV_PORT=$(freeport)
# Four devices with 40 float points each: about 12 KB a message with its
# evaluation, 40 messages a second (a deflated store fills slowly).
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
station() { # station ID STORE_PATH
	cat <<EOF
station = { id = "$1"; name = "Disk"; plan = "qd6613"; };
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
store = { path = "$2"; commit_ms = 100; replay_rate = 1000; confirm = false;$RESERVE };
EOF
}
RESERVE=""
[ -z "${STORE_DISK_RESERVE_KB:-}" ] || RESERVE=" reserve_kb = $STORE_DISK_RESERVE_KB;"
station tiny "$T/tiny/store.db" >"$T/tiny.cfg"
station full "$T/full/store.db" >"$T/full.cfg"
start_sim sim -c "$T/tiny.cfg"

# The summary line at exit: "... N dropped (store full F, ...), L lost".
summary_field() { # summary_field LOG WORD: the number before WORD in the exit summary
	grep 'polls, .* messages stored' "$1" | tail -n 1 | grep -oE "[0-9]+ $2" | grep -oE '^[0-9]+'
}
# missing SUBFILE N: how many of seq 1..N the subscriber never got
missing() { jq -s --argjson n "$2" '[range(1; $n + 1)] - (map(.seq) | unique) | length' "$1"; }
# A new store's first row is the run's config message (its measuring
# configuration, docs/mqtt.md): the oldest, so the first dropped, and
# counted with the telemetry. A session of its own queues it.
cfg_register() { mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i "$1-cfg" -q 1 -t "wwtp/$1/config" -E; }
cfg_missing() { # cfg_missing NAME LOG...: config messages made, less those received
	local n=$1 made
	shift
	timeout 15 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i "$n-cfg" -q 1 -t "wwtp/$n/config" -W 3 >>"$T/$n.cfg.json" 2>/dev/null
	made=$(config_made "$@")
	echo $((made - $(grep -c . "$T/$n.cfg.json")))
}

# ---- 1. a 2 MiB file system, the broker away ------------------------------
mount_tmpfs "$T/tiny" 2m
start_mosquitto "$MQTT_PORT"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i tiny-sub -q 1 -t 'wwtp/tiny/telemetry' -E
cfg_register tiny
stop_pid "$MQTT_PID" TERM
"$COLLECTOR" -c "$T/tiny.cfg" --health-interval 1 --ack-timeout 5 2>"$T/tiny.log" &
COL=$!
track $COL
# (Payloads are stored deflated, a few times smaller: filling takes a while.)
wait_for "grep -q 'store full or too old: dropped' '$T/tiny.log'" $((90 * SLOW)) ||
	not_ok "the store drops its oldest messages when the 2 MiB file system is full" "$(tail -n 3 "$T/tiny.log")"
sleep 3
before=$(sqlite3 "$T/tiny/store.db" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null || echo 0)
sleep 2
after=$(sqlite3 "$T/tiny/store.db" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null || echo 0)
log "on the full 2 MiB file system the store committed seq $before, then $after 2 s later"
df -k "$T/tiny" | sed 's/^/# /'
ls -l "$T/tiny" | sed 's/^/# /'
if [ "${after:-0}" -gt "${before:-0}" ]; then ok "the store keeps committing on a full 2 MiB file system"; else
	not_ok "the store keeps committing on a full 2 MiB file system" "seq $before then $after"; fi
start_mosquitto "$MQTT_PORT"
# The drain and the counts (checked after each tiny file system's run).
meta_seq() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null || echo 0; }
drained() { # drained STORE: no message older than 1.5 s left in it
	wait_for "[ \"\$(sqlite3 '$1' \"SELECT count(*) FROM msg WHERE ts_ms < \$(date +%s%3N) - 1500\" 2>/dev/null)\" = 0 ]" $((30 * SLOW))
}
check_counts() { # check_counts NAME: the subscriber's seqs against the exit summary
	local n=$1 N miss dropped lost
	timeout 30 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i "$n-sub" -q 1 -t "wwtp/$n/telemetry" -W 3 >"$T/$n.json" 2>/dev/null
	N=$(meta_seq "$T/$n/store.db")
	miss=$(($(missing "$T/$n.json" "${N:-0}") + $(cfg_missing "$n" "$T/$n.log")))
	dropped=$(summary_field "$T/$n.log" dropped)
	lost=$(summary_field "$T/$n.log" lost)
	log "$n: seq 1..$N: $miss missing at the subscriber; the collector says $dropped dropped, $lost lost"
	if [ "${miss:-x}" = "$((${dropped:-0} + ${lost:-0}))" ] && [ "${dropped:-0}" -gt 0 ]; then
		ok "$n: every seq missing at the subscriber is counted, once ($miss: $dropped dropped, $lost lost)"
	else not_ok "$n: every seq missing at the subscriber is counted, once" "$miss missing, $dropped dropped, $lost lost"; fi
	check "$n: the newest polls all arrived" jq -se --argjson n "${N:-0}" '(map(.seq) | max) == $n' "$T/$n.json"
}
no_flood() { # no_flood NAME
	local n_log
	n_log=$(grep -cE 'ERROR|WARN' "$T/$1.log")
	log "$1: $n_log ERROR or WARN lines"
	grep -E 'ERROR|WARN|INFO \[store\]' "$T/$1.log" | cut -c 25-200 | sed 's/^/#   /'
	if [ "$n_log" -le 12 ]; then ok "$1: the full file system is logged without a flood ($n_log lines)"; else
		not_ok "$1: the full file system is logged without a flood" "$n_log lines: $(grep -E 'ERROR|WARN' "$T/$1.log" | cut -c 25-110 | sort | uniq -c | sort -rn | head -n 4)"; fi
}
if drained "$T/tiny/store.db"; then ok "tiny: the backlog drains once the broker is back"; else
	not_ok "tiny: the backlog drains once the broker is back" "$(df -k "$T/tiny" | tail -n 1)"; fi
stop_pid $COL TERM
check_counts tiny
no_flood tiny

# ---- 2. the wedge: the tiny file system filled by another file ------------
station wedge "$T/wedge/store.db" >"$T/wedge.cfg"
mount_tmpfs "$T/wedge" 2m
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i wedge-sub -q 1 -t 'wwtp/wedge/telemetry' -E
cfg_register wedge
stop_pid "$MQTT_PID" TERM
"$COLLECTOR" -c "$T/wedge.cfg" --health-interval 1 --ack-timeout 5 2>"$T/wedge.log" &
COL=$!
track $COL
# The store grows (the broker is away): its WAL holds pages beyond the end
# of the database file when the file system runs out. It grows to 640 KB
# first (payloads are stored deflated), so that once drained it leaves the
# room for its reserve to be taken again.
store_kb() { du -ck "$T/wedge/store.db" "$T/wedge/store.db-wal" 2>/dev/null | tail -n 1 | cut -f1; }
wait_for "[ \"\$(store_kb)\" -ge 640 ]" $((90 * SLOW)) ||
	not_ok "wedge: the store grows" "$(store_kb) KB: $(tail -n 3 "$T/wedge.log")"
dd if=/dev/zero of="$T/wedge/filler" bs=4k 2>/dev/null
log "wedge: file system filled at seq $(meta_seq "$T/wedge/store.db"): $(df -k "$T/wedge" | tail -n 1)"
ls -ls "$T/wedge" | sed 's/^/# /'
sleep 4
before=$(meta_seq "$T/wedge/store.db")
sleep 3
after=$(meta_seq "$T/wedge/store.db")
log "wedge: with the file system full the store committed seq $before, then $after 3 s later"
ls -ls "$T/wedge" | sed 's/^/# /'
if [ "${after:-0}" -gt "${before:-0}" ]; then ok "wedge: the store keeps committing on the filled file system"; else
	not_ok "wedge: the store keeps committing on the filled file system" "seq $before then $after: $(grep -E 'ERROR|WARN' "$T/wedge.log" | tail -n 2 | cut -c 25-200)"; fi
log "wedge: $(grep -c 'reserve of .* given up' "$T/wedge.log") reserve release(s), $(grep -c 'room again for the reserve' "$T/wedge.log") taken again"
start_mosquitto "$MQTT_PORT"
if drained "$T/wedge/store.db"; then ok "wedge: the backlog drains once the broker is back"; else
	not_ok "wedge: the backlog drains once the broker is back" "$(df -k "$T/wedge" | tail -n 1)"; fi
stop_pid $COL TERM
check_counts wedge
no_flood wedge

# ---- 2b. a restart on that file system full to its last block -------------
# SQLite removed its -wal and -shm at the clean stop and makes them again at
# the start, and the first transaction needs room in the new WAL: without
# the reserve left by the previous run nothing could be written, not even
# the deletes that would make room.
from=$(meta_seq "$T/wedge/store.db")
dd if=/dev/zero of="$T/wedge/filler2" bs=4k 2>/dev/null
log "wedge: restart at seq $from: $(df -k "$T/wedge" | tail -n 1)"
ls -ls "$T/wedge" | sed 's/^/# /'
"$COLLECTOR" -c "$T/wedge.cfg" --health-interval 1 --ack-timeout 5 2>"$T/wedge2.log" &
COL=$!
track $COL
if wait_for "[ \"\$(meta_seq '$T/wedge/store.db')\" -ge $((from + 40)) ]" $((20 * SLOW)); then
	ok "wedge: restarted on the full file system, the store commits (seq $from -> $(meta_seq "$T/wedge/store.db"))"
else not_ok "wedge: restarted on the full file system, the store commits" "seq $from -> $(meta_seq "$T/wedge/store.db"): $(grep -E 'ERROR|WARN' "$T/wedge2.log" | tail -n 2 | cut -c 25-200)"; fi
ls -ls "$T/wedge" | sed 's/^/# /'
# Room comes back: the reserve is made again, of real blocks.
rm -f "$T/wedge/filler" "$T/wedge/filler2"
if [ "${STORE_DISK_RESERVE_KB:-}" != 0 ]; then
	if wait_for "[ \"\$((\$(stat -c '%b * %B' '$T/wedge/store.db.reserve')))\" -ge 393216 ]" $((20 * SLOW)); then
		ok "wedge: the reserve, given up, is taken again once there is room (real blocks, not sparse)"
	else not_ok "wedge: the reserve is taken again once there is room" "$(ls -ls "$T/wedge")"; fi
fi
drained "$T/wedge/store.db" || not_ok "wedge: the restarted collector's messages go out" "$(df -k "$T/wedge" | tail -n 1)"
stop_pid $COL TERM
N=$(meta_seq "$T/wedge/store.db")
timeout 30 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i wedge-sub -q 1 -t "wwtp/wedge/telemetry" -W 3 >"$T/wedge2.json" 2>/dev/null
# Both runs together: the second may drop what the first left unsent.
miss=$(($(cat "$T/wedge.json" "$T/wedge2.json" | missing /dev/stdin "$N") + $(cfg_missing wedge "$T/wedge.log" "$T/wedge2.log")))
dropped=$(($(summary_field "$T/wedge.log" dropped) + $(summary_field "$T/wedge2.log" dropped)))
lost=$(($(summary_field "$T/wedge.log" lost) + $(summary_field "$T/wedge2.log" lost)))
# Rows the first run had published but whose PUBACK it had not yet seen
# when it stopped stay in the store ("N waiting"); the second may drop them
# for room and count them, although the subscriber has them.
waiting=$(grep 'polls, .* messages stored' "$T/wedge.log" | tail -n 1 | grep -oE '[0-9]+ waiting' | grep -oE '^[0-9]+')
log "wedge, both runs: seq 1..$N: $miss missing at the subscriber; the collectors say $dropped dropped, $lost lost; the first left ${waiting:-0} waiting"
if [ -n "$miss" ] && [ "$miss" -le "$((dropped + lost))" ] && [ "$((dropped + lost))" -le "$((miss + ${waiting:-0}))" ]; then
	ok "wedge, restarted: every seq missing at the subscriber is counted, once ($miss missing; $dropped dropped, $lost lost, up to ${waiting:-0} of them delivered before the restart)"
else not_ok "wedge, restarted: every seq missing at the subscriber is counted, once" "$miss missing, $dropped dropped, $lost lost, ${waiting:-0} left waiting"; fi
check "wedge, restarted: the newest polls all arrived" jq -se --argjson n "${N:-0}" '(map(.seq) | max) == $n' "$T/wedge2.json"
no_flood wedge2

# ---- 3. the file system filled by someone else, the broker up --------------
mount_tmpfs "$T/full" 8m
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i full-sub -q 1 -t 'wwtp/full/telemetry' -E
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i full-sub -q 1 -t 'wwtp/full/telemetry' >"$T/full.json" 2>/dev/null &
SUB=$!
track $SUB
"$COLLECTOR" -c "$T/full.cfg" --health-interval 1 --ack-timeout 5 2>"$T/full.log" &
COL=$!
track $COL
sleep 2
dd if=/dev/zero of="$T/full/filler" bs=64k 2>/dev/null
log "file system full: $(df -k "$T/full" | tail -n 1)"
# Said when it starts: the store keeps within what is left, or, when a
# commit fails all the same, the batch waits in memory.
wait_for "grep -q 'cannot commit\|(nearly) full' '$T/full.log'" $((10 * SLOW)) ||
	not_ok "the collector says the file system is full" "$(tail -n 3 "$T/full.log")"
sleep 6
rm -f "$T/full/filler"
wait_for "grep -q 'takes commits again\|has room again' '$T/full.log'" $((40 * SLOW)) ||
	not_ok "the collector says when the file system has room again" "$(tail -n 3 "$T/full.log")"
wait_for "[ \"\$(sqlite3 '$T/full/store.db' \"SELECT count(*) FROM msg WHERE ts_ms < \$(date +%s%3N) - 1500\" 2>/dev/null)\" = 0 ]" $((30 * SLOW)) ||
	not_ok "what waited is sent once commits work again"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'wwtp/full/health' -C 1 -W 5 >"$T/full-health.json" 2>/dev/null
stop_pid $COL TERM
sleep 1
stop_pid $SUB TERM
N=$(sqlite3 "$T/full/store.db" "SELECT value FROM meta WHERE key = 'seq'")
miss=$(missing "$T/full.json" "${N:-0}")
dropped=$(summary_field "$T/full.log" dropped)
lost=$(summary_field "$T/full.log" lost)
hlost=$(jq '.dropped.total' "$T/full-health.json" 2>/dev/null)
log "seq 1..$N: $miss missing at the subscriber; summary: $dropped dropped, $lost lost; health: $hlost dropped in all"
grep -E 'cannot commit|takes commits again|stored again' "$T/full.log" | cut -c 1-200 | sed 's/^/#   /'
if [ "${miss:-x}" = "$((${dropped:-0} + ${lost:-0}))" ]; then
	ok "the exit summary says the true number lost ($miss missing = $dropped dropped + $lost lost)"
else not_ok "the exit summary says the true number lost" "$miss missing, $dropped dropped, $lost lost"; fi
if [ "${hlost:-x}" = "$miss" ]; then ok "the health message says the true number lost ($hlost)"; else
	not_ok "the health message says the true number lost" "health $hlost, missing $miss"; fi
# Each line at most once: the store keeping within what is left ("(nearly)
# full" / "has room again"), a commit failing all the same ("cannot commit" /
# "takes commits again"), the reserve given up and taken again.
n_fault=0
worst=0
for pat in 'cannot commit' 'takes commits again' 'stored again' 'rolled back' '\(nearly\) full' 'has room again$' \
	'reserve .* given up' 'room again for the reserve'; do
	c=$(grep -cE "$pat" "$T/full.log")
	n_fault=$((n_fault + c))
	[ "$c" -le "$worst" ] || worst=$c
done
if [ "$worst" -le 1 ]; then ok "the fault is logged once when it starts and once when it ends ($n_fault lines, none twice)"; else
	not_ok "the fault is logged once when it starts and once when it ends" "a line $worst times"; fi

[ "$FAILS" -eq 0 ]
