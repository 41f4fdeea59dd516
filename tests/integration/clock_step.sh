#!/usr/bin/env bash
# The station's clock stepped back (issue 15, finding 4): a Pi without a
# hardware clock whose time NTP corrects. The collector runs under
# libfaketime (its offset read from a file, so the test steps the wall
# clock while it runs; the monotonic clock is left alone, as NTP leaves
# it), with the simulator, mosquitto, wwtp-central and a real influxd:
#  - polling, then the clock steps back 8 s: every poll keeps a distinct ts,
#    strictly increasing per device; the polls taken before the clock has
#    caught up say "clock_behind_ms"; after it, ts is the wall clock again;
#  - the evaluator judged every reading (its window counts every poll; no
#    "not evaluated" in the log);
#  - InfluxDB holds one point per poll: none overwrote another;
#  - stopped, the clock stepped back 60 s more, started again: ts goes on
#    after the last one published (kept in the store), flagged;
#  - stopped, two hours more: not held (the clock was plainly wrong), ts
#    follows the clock, unflagged, and the log says so.
. "$(dirname "$0")/../lib/common.sh"

FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
if [ ! -e "$FAKETIME_LIB" ]; then
	not_ok "libfaketime is installed" "run make deps (package faketime)"
	exit 1
fi
CENTRAL="$WWTP_BUILD/wwtp-central"
start_influxd
start_mosquitto
DEV_PORT=$(freeport)
mkdir -p "$T/stations"
cat >"$T/stations/clock-step.cfg" <<EOF
station = { id = "clock-step"; name = "Clock step"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 500; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 500; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
store = { path = "$T/store.db"; commit_ms = 100; };
profiles_dir = "$WWTP_SRCDIR/config/profiles";
EOF
CFG="$T/stations/clock-step.cfg"
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
stats_interval_s = 0;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "clock-central"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
             batch_max_ms = 200; spool_dir = "$T/spool"; };
EOF
start_central central 20
start_sim sim -c "$CFG" --profiles config/profiles
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t 'wwtp/clock-step/telemetry' >"$T/tel.json" 2>"$T/sub.log" &
track $!
sleep 0.3

# The collector's wall clock: real time plus the offset in this file.
echo "+0" >"$T/faketime"
run_collector() { # run_collector LOGNAME
	LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$T/faketime" FAKETIME_NO_CACHE=1 \
		DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$COLLECTOR" -c "$CFG" --clock synced 2>"$T/$1.log" &
	COL=$!
	track $COL
}
count() { wc -l <"$T/tel.json"; }

run_collector collector1
wait_for '[ "$(count)" -ge 10 ]' $((10 * SLOW)) || not_ok "the collector publishes" "$(tail -n 5 "$T/collector1.log")"
sleep 2
before_step=$(count)
echo "-8" >"$T/faketime" # NTP steps the clock back 8 s
# Until the clock has caught up: polls flagged clock_behind_ms, then the
# last five (two or three per device) no longer flagged. That takes about
# the step (8 s); 22 s was the fixed wait before, at most twice the step.
caught_up() {
	jq -se --argjson n "$before_step" '.[$n:] | map((.clock_behind_ms // 0) > 0) |
		(indices(true) | last) as $r | $r != null and length - $r > 5' "$T/tel.json" >/dev/null 2>&1
}
wait_for caught_up $((30 * SLOW)) || log "the clock had not caught up after $((30 * SLOW)) s"
stop_pid $COL
phase1=$(count)
echo "-68" >"$T/faketime" # stopped, and 60 s more back
run_collector collector2
wait_for '[ "$(count)" -ge $((phase1 + 8)) ]' $((10 * SLOW)) || not_ok "the collector publishes after its restart" "$(tail -n 5 "$T/collector2.log")"
sleep 1
stop_pid $COL
phase2=$(count)
echo "-7268" >"$T/faketime" # two hours more: the clock was plainly wrong
run_collector collector3
wait_for '[ "$(count)" -ge $((phase2 + 8)) ]' $((10 * SLOW)) || not_ok "the collector publishes after its second restart" "$(tail -n 5 "$T/collector3.log")"
sleep 1
stop_pid $COL

# One line per message: device seq ts_ms behind phase.
jq -r '[.device, .seq, ((.ts[0:19] + "Z" | fromdateiso8601) * 1000 + (.ts[20:23] | tonumber)), (.clock_behind_ms // 0)] | @tsv' "$T/tel.json" |
	awk -v p1="$phase1" -v p2="$phase2" '{ print $0 "\t" (NR <= p1 ? 1 : NR <= p2 ? 2 : 3) }' >"$T/polls.tsv"
total=$(wc -l <"$T/polls.tsv")
log "$total polls, $phase1 before the restart, $before_step before the step"
if [ "$total" -lt 40 ]; then
	not_ok "the collector published through both runs" "$total polls"
	exit 1
fi

# The wall clock did step back: the collector's log lines say so.
if grep -q 'the clock is behind the last poll time kept in the store' "$T/collector2.log"; then
	ok "libfaketime stepped the collector's clock back (it says so at its restart)"
else
	not_ok "libfaketime stepped the collector's clock back" "$(head -n 5 "$T/collector2.log")"
fi

# Per device, in seq order: ts strictly increasing, never equal.
bad=$(awk -F'\t' '$5 < 3' "$T/polls.tsv" | sort -k1,1 -k2,2n | awk '$1 == d && $3 <= t { print "device " $1 " seq " $2 ": ts " $3 " not after " t } { d = $1; t = $3 }' | head -n 3)
if [ -z "$bad" ]; then ok "every device's ts strictly increases with seq across the step and the restart ($phase2 polls)"; else
	not_ok "every device's ts strictly increases with seq" "$bad"; fi
dups=$(cut -f1,3 "$T/polls.tsv" | sort | uniq -d | head -n 3)
if [ -z "$dups" ]; then ok "no two polls of a device share a ts"; else not_ok "no two polls of a device share a ts" "$dups"; fi

flag1=$(awk -F'\t' '$5 == 1 && $4 > 0' "$T/polls.tsv" | wc -l)
max1=$(awk -F'\t' '$5 == 1 && $4 > m { m = $4 } END { print m + 0 }' "$T/polls.tsv")
last1=$(awk -F'\t' '$5 == 1' "$T/polls.tsv" | tail -n 2 | awk -F'\t' '$4 > 0' | wc -l)
if [ "$flag1" -ge 4 ] && [ "$max1" -le 8000 ] && [ "$max1" -ge 6000 ] && [ "$last1" -eq 0 ]; then
	ok "the polls taken while the clock caught up carry clock_behind_ms ($flag1 of them, at most $max1 ms); the last ones do not"
else
	not_ok "the polls across the step are flagged, then no longer" "$flag1 flagged, max $max1 ms, $last1 of the last two flagged"
fi
flag2=$(awk -F'\t' '$5 == 2 && $4 > 50000' "$T/polls.tsv" | wc -l)
n2=$(awk -F'\t' '$5 == 2' "$T/polls.tsv" | wc -l)
if [ "$flag2" -eq "$n2" ] && [ "$n2" -ge 4 ]; then
	ok "after the restart 60 s further back, ts goes on after the kept one: all $n2 polls flagged (more than 50 s behind)"
else
	not_ok "after the restart, ts goes on after the kept one, flagged" "$flag2 of $n2 flagged > 50000 ms"
fi

# Two hours back is not held: ts follows the clock at once, unflagged, and
# still increases within that run.
n3=$(awk -F'\t' '$5 == 3' "$T/polls.tsv" | wc -l)
flag3=$(awk -F'\t' '$5 == 3 && $4 > 0' "$T/polls.tsv" | wc -l)
back3=$(awk -F'\t' '$5 == 3' "$T/polls.tsv" | sort -k1,1 -k2,2n | awk '$1 == d && $3 <= t { n++ } { d = $1; t = $3 } END { print n + 0 }')
if [ "$n3" -ge 4 ] && [ "$flag3" -eq 0 ] && [ "$back3" -eq 0 ] && grep -q 'the clock went back by more than 3600 s' "$T/collector3.log"; then
	ok "a step back of two hours is not held: ts follows the clock at once ($n3 polls unflagged), and the log says so"
else
	not_ok "a step back of two hours is not held" "$n3 polls, $flag3 flagged, $back3 going back" "$(grep -m1 'went back' "$T/collector3.log")"
fi

# The evaluator judged every reading of the first run: the 1 h window of
# the last poll counts every poll of its device (the analyzer's cod).
n_cod=$(jq -s --argjson p "$phase1" '.[0:$p] | map(select(.device == "outlet-analyzer")) | length' "$T/tel.json")
win=$(jq -s --argjson p "$phase1" '.[0:$p] | map(select(.device == "outlet-analyzer")) | last | .readings[] | select(.param == "cod") | .eval.windows[] | select(.s == 3600) | .n' "$T/tel.json")
if [ "${win:-0}" -eq "$n_cod" ] && ! grep -q 'not evaluated' "$T/collector1.log"; then
	ok "the evaluator judged every reading across the step: the 1 h window of the last poll counts all $n_cod polls"
else
	not_ok "the evaluator judged every reading across the step" "window n ${win:-none}, $n_cod polls" "$(grep -m2 'not evaluated' "$T/collector1.log")"
fi

# InfluxDB: one point per poll, none overwritten.
n_an=$(awk -F'\t' '$1 == "outlet-analyzer"' "$T/polls.tsv" | wc -l) # all three runs
q="SELECT count(status) FROM reading WHERE station='clock-step' AND device='outlet-analyzer' AND param='cod'"
wait_for "[ \"\$(count_of \"$q\")\" -ge $n_an ]" $((20 * SLOW))
got=$(count_of "$q")
if [ "$got" -eq "$n_an" ]; then ok "InfluxDB holds one point per poll: $got of $n_an (none overwritten)"; else
	not_ok "InfluxDB holds one point per poll" "$got points for $n_an polls"; fi
exit $((FAILS > 0))
