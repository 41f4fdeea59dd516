#!/usr/bin/env bash
# The broker is down when the collector starts, and is restarted while it
# runs: every poll still reaches the broker (seq 1..N, none missing), because
# the collector keeps each message until the broker acknowledges it (Paho's
# async client alone would buffer nothing before its first connection).
# --once with no broker fails with exit 1 and says why.
. "$(dirname "$0")/../lib/common.sh"

MQTT_PORT=$(freeport)
DEV_PORT=$(freeport)
write_plant_station "$T/station.cfg" outage-test "Mất kết nối" "$DEV_PORT"
start_sim sim -c "$T/station.cfg" --profiles config/profiles

# --once with nobody listening: exit 1, in about the ack timeout, saying why.
start=$(date +%s)
timeout 60 "$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles --once --ack-timeout 2 2>"$T/once.log"
rc=$?
if [ $rc -eq 1 ] && grep -qi "not acknowledged" "$T/once.log"; then
	ok "--once without a broker exits 1 and says the messages were not acknowledged ($(($(date +%s) - start)) s)"
else
	not_ok "--once without a broker exits 1 with a reason" "exit $rc" "$(tail -n 3 "$T/once.log")"
fi

# A persistent session for our subscriber, registered while the broker runs
# once; the broker keeps queuing for it while it is away.
start_mosquitto "$MQTT_PORT"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i outage-tester -q 1 -t 'wwtp/outage-test/telemetry' -E
stop_pid "$MQTT_PID" TERM

# The collector starts with the broker down, and polls.
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles 2>"$T/collector.log" &
COL=$!
track $COL
sleep $((2 * SLOW))
BROKER_UP=$(date -u +%s)
start_mosquitto "$MQTT_PORT"
log "broker up after $((2 * SLOW)) s"
sleep $((2 * SLOW))
# Down again, mid-run, and back.
stop_pid "$MQTT_PID" TERM
log "broker stopped"
sleep $((2 * SLOW))
start_mosquitto "$MQTT_PORT"
log "broker up again"
sleep $((2 * SLOW))
stop_pid $COL TERM
polls=$(sed -n 's/.*\] \([0-9]*\) polls, .*/\1/p' "$T/collector.log" | tail -n1)
log "collector: $(grep -E '[0-9]+ polls' "$T/collector.log" | tail -n1 | sed 's/.*\] //')"

# Everything queued for our session comes now: read until every seq is
# there (or 5 s times SLOW have passed, for a check below to say what is
# missing), not for a fixed time.
distinct() { jq -s 'map(.seq) | unique | length' "$T/got.json" 2>/dev/null || echo 0; }
stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -c -i outage-tester -q 1 \
	-t 'wwtp/outage-test/telemetry' -W $((5 * SLOW)) >"$T/got.json" 2>/dev/null &
GETTER=$!
track $GETTER
wait_for '[ "$(distinct)" -ge "${polls:-1}" ]' $((5 * SLOW))
sleep 0.5 # a duplicate right behind the last one is counted as well
stop_pid $GETTER INT
got=$(distinct)
log "received $(wc -l <"$T/got.json") messages, $got distinct seq; the collector made ${polls:-?} polls"
if [ -n "$polls" ] && [ "$polls" -gt 10 ]; then ok "the collector kept polling through the outages ($polls polls)"; else
	not_ok "the collector kept polling through the outages" "polls=${polls:-none}"; fi
check "every poll arrived: seq 1..N with none missing" jq -se --argjson n "${polls:-0}" \
	'(map(.seq) | unique) == [range(1; $n + 1)]' "$T/got.json"
check "readings polled before the broker came up arrived with their poll time" jq -se --argjson up "$BROKER_UP" \
	'map(.ts[0:19] + "Z" | fromdateiso8601) | min < $up' "$T/got.json"

[ "$FAILS" -eq 0 ]
