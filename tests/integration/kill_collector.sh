#!/usr/bin/env bash
# suite: sanitizer pass only
# No acknowledged reading lost, none stored twice, with real processes killed:
# the collector (durable store, polls every 100 ms) is killed with SIGKILL 24
# times at random moments, while polling with the broker up, while the
# broker is down (backlog piling up) and while the backlog is being replayed.
# After every kill the store passes SQLite's integrity check and its seq has
# not gone back. In the end a last collector drains the store, and:
#  - a persistent MQTT subscriber has every seq 1..N (N the store's seq),
#    each seq one (device, ts): nothing committed was lost;
#  - wwtp-central wrote them to a real InfluxDB: per device exactly the seqs
#    it published, and as many points as distinct readings: duplicates at
#    the broker (at-least-once) are stored once.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
KILLS=24
for tool in sqlite3 influxd influx; do
	command -v $tool >/dev/null || {
		not_ok "$tool is installed" "run make deps"
		exit 1
	}
done

iq() { influx -host 127.0.0.1 -port "$INFLUX_PORT" -database wwtp -format json -precision ms -execute "$1"; }
count_of() { iq "$1" 2>/dev/null | jq -r '[.results[0].series[0].values[0][1] // 0] | .[0]' 2>/dev/null || echo 0; }

start_influxd
MQTT_PORT=$(freeport)
start_mosquitto "$MQTT_PORT"
DEV_PORT=$(freeport)
mkdir -p "$T/stations"
cat >"$T/stations/kill-test.cfg" <<EOF
station = { id = "kill-test"; name = "Giết"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 1;
    interval_ms = 100; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $DEV_PORT; unit_id = 2;
    interval_ms = 100; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
store = { path = "$T/store.db"; commit_ms = 100; replay_rate = 20; };
EOF
CFG="$T/stations/kill-test.cfg"
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
stats_interval_s = 1;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "kill-central"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  batch_max_points = 500; batch_max_ms = 200; gzip_min_bytes = 4096;
  timeout_ms = 2000; connect_timeout_ms = 500; retry_min_ms = 200; retry_max_ms = 1000;
  spool_dir = "$T/spool"; spool_max_mb = 16;
};
EOF
"$CENTRAL" -c "$T/central.cfg" >"$T/central.out" 2>"$T/central.log" &
track $!
wait_for "grep -q 'subscribed to' '$T/central.log'" $((10 * SLOW)) ||
	{ not_ok "wwtp-central subscribes" "$(tail -n 5 "$T/central.log")"; exit 1; }
start_sim sim -c "$CFG" --profiles config/profiles

# The subscriber that notes every arrival, duplicates included; its session
# is persistent, so broker restarts lose nothing for it.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i kill-test-sub -q 1 -t 'wwtp/kill-test/telemetry' -E
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i kill-test-sub -q 1 \
	-t 'wwtp/kill-test/telemetry' >"$T/got.json" 2>"$T/sub.log" &
SUB=$!
track $SUB

rows() { sqlite3 "$T/store.db" 'SELECT count(*) FROM msg' 2>/dev/null || echo 0; }
meta_seq() { sqlite3 "$T/store.db" "SELECT value FROM meta WHERE key = 'seq'" 2>/dev/null || echo 0; }
# Rows polled more than $1 ms (default 2000) ago: a backlog (live ones go
# within the commit window and an acknowledgement).
old_rows() { sqlite3 "$T/store.db" "SELECT count(*) FROM msg WHERE ts_ms < $(date +%s%3N) - ${1:-2000}" 2>/dev/null || echo "?"; }

broker_up=1
bad_integrity=0
seq_back=0
during_replay=0
during_outage=0
prev_seq=0
for ((k = 1; k <= KILLS; k++)); do
	# Broker: up for kills 1-8, down 9-12 (backlog), up 13-16 (replay),
	# down 17-19, up 20-24 (replay again).
	case $k in
	9 | 17) stop_pid "$MQTT_PID" TERM; broker_up=0 ;;
	13 | 20) start_mosquitto "$MQTT_PORT"; broker_up=1 ;;
	esac
	"$COLLECTOR" -c "$CFG" --profiles config/profiles --log-level warn 2>>"$T/collector.log" &
	COL=$!
	# A random moment between 0.2 and 1.2 s (twice that under the
	# sanitizers): before the first poll, while polling, while replaying.
	sleep "$(awk -v r=$RANDOM -v s="$SLOW" 'BEGIN { printf "%.2f", (0.2 + r / 32767) * (s + 1) / 2 }')"
	backlog=$(old_rows)
	kill -KILL $COL
	wait $COL 2>/dev/null
	if [ "$broker_up" = 0 ]; then
		during_outage=$((during_outage + 1))
	elif [ "${backlog:-0}" != "?" ] && [ "${backlog:-0}" -gt 0 ]; then
		during_replay=$((during_replay + 1))
	fi
	ic=$(sqlite3 "$T/store.db" 'PRAGMA integrity_check' 2>&1)
	[ "$ic" = ok ] || { bad_integrity=$((bad_integrity + 1)); log "kill $k: integrity_check: $ic"; }
	s=$(meta_seq)
	[ "${s:-0}" -ge "$prev_seq" ] || { seq_back=$((seq_back + 1)); log "kill $k: seq went back from $prev_seq to $s"; }
	prev_seq=${s:-0}
	log "kill $k: broker $([ $broker_up = 1 ] && echo up || echo down), $(rows) rows stored ($backlog older than 2 s), seq $s"
done
ok "the collector was killed with SIGKILL $KILLS times ($during_outage with the broker down, $during_replay while a backlog was being replayed)"
if [ "$during_replay" -ge 3 ] && [ "$during_outage" -ge 3 ]; then ok "kills hit both the outage and the replay"; else
	not_ok "kills hit both the outage and the replay" "$during_outage during the outage, $during_replay during a replay"; fi
if [ "$bad_integrity" = 0 ]; then ok "the store passed PRAGMA integrity_check after every kill"; else
	not_ok "the store passed PRAGMA integrity_check after every kill" "$bad_integrity failures"; fi
if [ "$seq_back" = 0 ]; then ok "the stored seq never went back across kills"; else
	not_ok "the stored seq never went back across kills" "$seq_back times"; fi

# A last collector drains the store, and stops cleanly once it has polled
# a little itself (a SIGTERM before it set up its handlers would be a kill).
last=$(meta_seq)
"$COLLECTOR" -c "$CFG" --profiles config/profiles 2>"$T/collector-last.log" &
COL=$!
track $COL
wait_for "[ \"\$(meta_seq)\" -gt $((last + 40)) ] && [ \"\$(old_rows 1000)\" = 0 ]" $((30 * SLOW)) ||
	not_ok "the last collector drains the store" "$(rows) rows left"
stop_pid $COL TERM
N=$(meta_seq)
check "the store is empty after the last clean stop" test "$(rows)" = 0
sleep 1
stop_pid $SUB TERM

total=$(wc -l <"$T/got.json")
distinct=$(jq -s 'map(.seq) | unique | length' "$T/got.json")
log "$N polls committed in all; the subscriber got $total messages, $distinct distinct ($((total - distinct)) repeats)"
check "every committed poll reached the broker: seq 1..$N, none missing" jq -se --argjson n "${N:-0}" \
	'(map(.seq) | unique) == [range(1; $n + 1)]' "$T/got.json"
check "a repeat is the same reading: one (device, ts) per seq" jq -se \
	'(map([.device, .ts]) | unique | length) == (map(.seq) | unique | length)' "$T/got.json"

# InfluxDB: per device, the seqs of one of its params; and every reading once.
want_points=$(jq -s 'unique_by(.seq) | map(.readings | length) | add' "$T/got.json")
wait_for "[ \"\$(count_of \"SELECT count(status) FROM reading WHERE station='kill-test'\")\" -ge $want_points ]" $((20 * SLOW))
got_points=$(count_of "SELECT count(status) FROM reading WHERE station='kill-test'")
log "InfluxDB holds $got_points reading points; the distinct messages carry $want_points readings"
if [ "$got_points" = "$want_points" ]; then ok "InfluxDB stored every reading exactly once ($got_points points, no duplicate)"; else
	not_ok "InfluxDB stored every reading exactly once" "stored $got_points, published $want_points"; fi
for dev_param in outlet-analyzer:cod outlet-ph:ph; do
	dev=${dev_param%:*}
	param=${dev_param#*:}
	iq "SELECT seq FROM reading WHERE station='kill-test' AND device='$dev' AND param='$param'" |
		jq -c '[.results[0].series[0].values[][1]] | sort' >"$T/stored-$dev.json"
	jq -sc --arg d "$dev" '[.[] | select(.device == $d) | .seq] | unique' "$T/got.json" >"$T/published-$dev.json"
	if cmp -s "$T/stored-$dev.json" "$T/published-$dev.json"; then
		ok "InfluxDB has exactly the published seqs of $dev ($(jq length "$T/stored-$dev.json"))"
	else
		not_ok "InfluxDB has exactly the published seqs of $dev" \
			"stored $(jq length "$T/stored-$dev.json"), published $(jq length "$T/published-$dev.json")"
	fi
done

[ "$FAILS" -eq 0 ]
