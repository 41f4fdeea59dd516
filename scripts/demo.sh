#!/usr/bin/env bash
# make demo: the whole system on this machine, against the simulator.
#
# Starts a local mosquitto, the simulator serving all the stations of
# config/stations (the five plants under review in the degraded scenario),
# one collector per station, and prints every telemetry message as it
# arrives. Ctrl-C stops everything it started.
#
# usage: scripts/demo.sh [BUILD] [--duration SECONDS]
#   --duration N   stop by itself after N seconds (used by the test suite)
set -u
cd "$(dirname "$0")/.."
BUILD=build
DURATION=0
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) BUILD=$1; shift ;;
	esac
done
for b in wwtp-collector wwtp-sim tools/freeport tools/waitport; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "demo: $BUILD/$b is missing: run 'make demo' (or 'make all $BUILD/$b')" >&2
		exit 2
	fi
done

DEMO="$BUILD/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/logs" "$DEMO/mosq"
PIDS=()
stop_all() {
	trap - INT TERM EXIT
	echo
	echo "demo: stopping ${#PIDS[@]} processes"
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	echo "demo: stopped; logs are in $DEMO/logs"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

port_busy() { "$BUILD/tools/waitport" 127.0.0.1 "$1" 50 2>/dev/null; }

# The broker: 1883 when free, else any free port.
MQTT_PORT=1883
port_busy $MQTT_PORT && MQTT_PORT=$("$BUILD/tools/freeport")
cat >"$DEMO/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
# Started as root, mosquitto would switch to its own user, which cannot
# write our private folder: stay the user who runs the test.
user $(id -un)
persistence true
persistence_location $PWD/$DEMO/mosq/
EOF
mosquitto -c "$DEMO/mosquitto.conf" >"$DEMO/logs/mosquitto.log" 2>&1 &
PIDS+=($!)
"$BUILD/tools/waitport" 127.0.0.1 "$MQTT_PORT" 10000 || { echo "demo: mosquitto did not start" >&2; exit 1; }

# The stations' Modbus ports (15010..15189 in the shipped files): shifted as a
# whole if anything on this machine already listens there.
OFFSET=0
for try in 0 1000 2000 3000 4000 5000; do
	busy=0
	for p in $(grep -ho 'port *= *[0-9]*' config/stations/*.cfg | grep -o '[0-9]*$' | sort -u); do
		if port_busy $((p + try)); then busy=1; break; fi
	done
	if [ $busy -eq 0 ]; then OFFSET=$try; break; fi
done

# The demo's own copy of the configuration: broker port and Modbus ports
# rewritten, the rest exactly as shipped.
mkdir -p "$DEMO/config"
cp -r config/profiles "$DEMO/config/profiles"
mkdir -p "$DEMO/config/stations"
for f in config/stations/*.cfg; do
	awk -v off="$OFFSET" -v mqtt="$MQTT_PORT" '
	{
		while (match($0, /port *= *[0-9]+/)) {
			s = substr($0, RSTART, RLENGTH); n = s; sub(/.*= */, "", n)
			$0 = substr($0, 1, RSTART - 1) "port = " (n + off) substr($0, RSTART + RLENGTH)
			if (++guard > 20) break
		}
		guard = 0
		gsub(/tcp:\/\/127\.0\.0\.1:1883/, "tcp://127.0.0.1:" mqtt)
		print
	}' "$f" >"$DEMO/config/stations/$(basename "$f")"
done

# The simulator: healthy plants, and the plants the plan lists for review
# degraded (their files say plan = "review").
healthy=()
degraded=()
for f in "$DEMO"/config/stations/*.cfg; do
	if grep -q 'plan *= *"review"' "$f"; then degraded+=(-c "$f"); else healthy+=(-c "$f"); fi
done
start_sim() { # name args...
	local name=$1
	shift
	"$BUILD/wwtp-sim" --ready-file "$DEMO/$name.ready" "$@" >"$DEMO/logs/$name.out" 2>"$DEMO/logs/$name.log" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$DEMO/$name.ready" ] && return 0; sleep 0.1; done
	echo "demo: simulator $name did not become ready; see $DEMO/logs/$name.log" >&2
	exit 1
}
start_sim sim-healthy --scenario healthy "${healthy[@]}"
[ ${#degraded[@]} -gt 0 ] && start_sim sim-degraded --scenario degraded "${degraded[@]}"

# What arrives, printed as it arrives.
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -v -t 'wwtp/+/telemetry' -t 'wwtp/+/status' |
	while read -r topic payload; do
		case "$topic" in
		*/status) echo "$payload" | jq -r '"\(.ts[11:19])  \(.station)  is \(.state) (collector \(.version // "?"))"' ;;
		*) echo "$payload" | jq -r '"\(.ts[11:19])  \(.station)/\(.device) #\(.seq): " +
			([.readings[] | "\(.param)=" + (if .value == null then "-" else (.value * 100 | round / 100 | tostring) end) +
			(if .status == "ok" then "" else "(\(.status))" end)] | join(" "))' ;;
		esac
	done &
PIDS+=($!)
sleep 0.5

n=0
for f in "$DEMO"/config/stations/*.cfg; do
	id=$(basename "$f" .cfg)
	"$BUILD/wwtp-collector" -c "$f" 2>"$DEMO/logs/collector-$id.log" &
	PIDS+=($!)
	n=$((n + 1))
done

cat <<EOF
demo: mosquitto on 127.0.0.1:$MQTT_PORT (times below are UTC), simulator for $n stations (Modbus TCP from port $((15010 + OFFSET))),
      $n collectors. Watch it yourself:  mosquitto_sub -p $MQTT_PORT -v -t 'wwtp/#'
      Logs: $DEMO/logs/   Configs used: $DEMO/config/stations/   Ctrl-C stops everything.
EOF

if [ "$DURATION" -gt 0 ]; then
	sleep "$DURATION"
else
	while :; do sleep 3600; done
fi
