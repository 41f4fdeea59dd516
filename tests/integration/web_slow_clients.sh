#!/usr/bin/env bash
# suite: plain pass too
# Slowloris against wwtp-central's web server (issue 15, finding 5): 200
# connections from 20 loopback addresses (127.0.0.2 ... 127.0.0.21, more
# than `connections` = 64 in all, fewer than `connections_per_ip` = 16 from
# each), each sending one header byte every 5 s and never finishing its
# request (tests/lib/slow_http.py), with timeout_s = 8: never idle for
# timeout_s, so libmicrohttpd's idle timeout alone would keep them for ever
# and nobody else would be answered. Checks, while the attack goes on: a
# normal client (curl from 127.0.0.1) is answered at least 3 times in 4;
# every slow connection is closed within timeout_s (plus the watchdog's
# tick); the log says so without a flood; afterwards the server is well.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
start_mosquitto
HTTP_PORT=$(freeport)
BOUND=8
printf 'inspector-pw-1\n' | "$CENTRAL" passwd --file "$T/accounts" ins inspector >/dev/null
cat >"$T/central.cfg" <<EOF
stations_dir = "config/stations";
profiles_dir = "config/profiles";
stats_interval_s = 0;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-slow-web"; };
influxdb = { url = "http://127.0.0.1:$(freeport)"; database = "wwtp"; spool_dir = "$T/spool"; };
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl";
         timeout_s = $BOUND; };
EOF
start_central central 20
"$WAITPORT" 127.0.0.1 "$HTTP_PORT" 10000 || { not_ok "the web server listens" "$(tail -n 5 "$T/central.log")"; exit 1; }

# normal: one plain client request; prints "CODE SECONDS".
normal() { curl -s -o /dev/null -m 5 -w "%{http_code} %{time_total}\n" -u ins:inspector-pw-1 "http://127.0.0.1:$HTTP_PORT/api/stations" 2>/dev/null; true; }
check "before the attack a normal client is answered" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:$HTTP_PORT/)\" = 200 ]"

# ---- the bound: 30 slow connections (every slot not taken) ----
/usr/bin/python3 tests/lib/slow_http.py "$HTTP_PORT" 30 5 $((BOUND + 6)) 5 "$T/bound.json" >"$T/bound.log" 2>&1
if [ -s "$T/bound.json" ]; then
	log "slow clients alone: $(jq -c '{opened, closed, open_at_end, oldest_at_end, lifetimes: (.lifetimes | unique)}' "$T/bound.json")"
	if jq -e --argjson b "$BOUND" '.closed >= 30 and (.lifetimes | min) >= $b - 0.5 and ([.lifetimes[], .oldest_at_end] | max) <= $b + 1.5' "$T/bound.json" >/dev/null; then
		ok "30 slow connections (a header byte every 5 s, never idle for timeout_s) are each closed after timeout_s ($BOUND s): lifetimes $(jq -r '"\(.lifetimes | min)..\(.lifetimes | max)"' "$T/bound.json") s"
	else
		not_ok "30 slow connections are each closed after timeout_s ($BOUND s)" "$(jq -c '{opened, closed, open_at_end, oldest_at_end, lifetimes: (.lifetimes | unique)}' "$T/bound.json")"
	fi
else
	not_ok "the slow client ran" "$(tail -n 5 "$T/bound.log")"
fi

# ---- the flood: 200 slow connections from 20 addresses ----
ATTACK=20
/usr/bin/python3 tests/lib/slow_http.py "$HTTP_PORT" 200 20 "$ATTACK" 5 "$T/attack.json" >"$T/attack.log" 2>&1 &
ATTACKER=$!
track $ATTACKER
sleep 2 # the attack is in place: every slot taken
: >"$T/normal.txt"
for _ in $(seq 1 $((ATTACK - 4))); do
	normal >>"$T/normal.txt"
	sleep 1
done
wait $ATTACKER

n=$(wc -l <"$T/normal.txt")
answered=$(awk '$1 == 200' "$T/normal.txt" | wc -l)
slowest=$(awk '$1 == 200 { if ($2 > m) m = $2 } END { print m + 0 }' "$T/normal.txt")
# Starved, as before the fix, it is answered none of the times (nothing for
# 25 s); on a loaded 2-core machine under ASan one request of 16 once went
# past curl's 5 s. Three in four answered says the server is not starved
# without timing the machine.
if [ "$n" -gt 0 ] && [ "$((answered * 4))" -ge "$((n * 3))" ]; then
	ok "during the attack a normal client was answered $answered times out of $n, the slowest in ${slowest} s"
else
	not_ok "during the attack a normal client is answered promptly" "$answered of $n answered (200); slowest ${slowest} s" "$(sort "$T/normal.txt" | uniq -c | head -n 5)"
fi

if [ -s "$T/attack.json" ]; then
	log "attack: $(jq -c '{opened, closed, open_at_end, oldest_at_end, longest: (.lifetimes | max)}' "$T/attack.json")"
	longest=$(jq '[.lifetimes[], .oldest_at_end] | max' "$T/attack.json")
	limit=$(awk -v b=$BOUND 'BEGIN { print b + 1.5 }')
	if jq -e --argjson l "$limit" '.opened >= 200 and ([.lifetimes[], .oldest_at_end] | max) <= $l' "$T/attack.json" >/dev/null; then
		ok "every slow connection was closed within timeout_s ($BOUND s): the longest lived ${longest} s; $(jq .closed "$T/attack.json") closed in ${ATTACK} s"
	else
		not_ok "every slow connection is closed within timeout_s ($BOUND s) plus a tick" "the longest lived ${longest} s" "$(jq -c '{opened, closed, open_at_end, oldest_at_end}' "$T/attack.json")"
	fi
else
	not_ok "the slow client ran" "$(tail -n 5 "$T/attack.log")"
fi

lines=$(grep -c 'slow clients' "$T/central.log")
if [ "$lines" -ge 1 ] && [ "$lines" -le 8 ]; then
	ok "the log says it ($lines lines in ${ATTACK} s, rate-limited): $(grep -m1 'slow clients' "$T/central.log" | cut -c1-160)"
else
	not_ok "the log says it, rate-limited" "$lines lines" "$(grep -m2 'slow clients' "$T/central.log")"
fi
check "after the attack a normal client is answered" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:$HTTP_PORT/)\" = 200 ]"
if kill -0 "$CENTRAL_PID" 2>/dev/null; then ok "wwtp-central is still running"; else not_ok "wwtp-central is still running" "$(tail -n 5 "$T/central.log")"; fi
exit $((FAILS > 0))
