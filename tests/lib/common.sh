# Shared fixture of the integration tests (sourced by tests/integration/*.sh).
#
# Real processes only: a real mosquitto, the real simulator, the real
# collector, each on a loopback port picked at run time, waited for by
# connecting (or by the simulator's ready file), and stopped by saved PID.
# Results are TAP-like lines that tests/run.sh counts:
#   ok - what was checked
#   not ok - what was checked   (followed by "# " lines saying why)
# Every process log is scanned for sanitizer reports when the test ends.

set -u
: "${WWTP_BUILD:=build}"
: "${WWTP_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$WWTP_SRCDIR" || exit 1
case "$WWTP_BUILD" in /*) ;; *) WWTP_BUILD="$WWTP_SRCDIR/$WWTP_BUILD" ;; esac

COLLECTOR="$WWTP_BUILD/wwtp-collector"
SIM="$WWTP_BUILD/wwtp-sim"
FREEPORT="$WWTP_BUILD/tools/freeport"
WAITPORT="$WWTP_BUILD/tools/waitport"
# Sanitizer builds are slower: give timeouts room.
SLOW=1
case "$WWTP_BUILD" in *asan*) SLOW=3 ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/wwtp-test.XXXXXX")
PIDS=()
FAILS=0

log() { echo "# $*"; }
ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "# $l"; done
	FAILS=$((FAILS + 1))
}
# check DESC CMD...: runs CMD, ok when it exits 0.
check() {
	local desc=$1
	shift
	local out
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "command: $*" "$(echo "$out" | tail -n 5)"; fi
}

# Waits up to $2 seconds for command $1 (a string for eval) to succeed.
wait_for() {
	local cond=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		if eval "$cond"; then return 0; fi
		sleep 0.1
	done
	return 1
}

# Remembers a background PID for cleanup.
track() { PIDS+=("$1"); }

stop_pid() { # stop_pid PID [signal [seconds]]: signal, then wait up to 10 s (or seconds), then KILL
	local pid=$1 sig=${2:-TERM} secs=${3:-10} i
	kill -"$sig" "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

# Every *.log under $T is checked for sanitizer reports: an error inside a
# background process would otherwise go unnoticed.
scan_sanitizer_logs() {
	local f
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f"; then
			not_ok "no sanitizer report in $(basename "$f")" "$(grep -m3 -E 'Sanitizer|runtime error' "$f")"
		fi
	done
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
	scan_sanitizer_logs
	if [ "$FAILS" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# files kept in $T"
		# Show the tail of each log, so that a CI log explains the failure.
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "# --- $(basename "$f") (last lines)"
			tail -n 15 "$f" | sed 's/^/#   /'
		done
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() { "$FREEPORT" "${1:-1}"; }

# start_mosquitto: sets MQTT_PORT and MQTT_PID; persistence in $T/mosq so a
# restarted broker keeps its queued messages for persistent sessions.
# MOSQUITTO_EXTRA: more lines for its configuration.
start_mosquitto() {
	MQTT_PORT=${1:-$(freeport)}
	mkdir -p "$T/mosq"
	cat >"$T/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
# Started as root, mosquitto would switch to its own user, which cannot
# write our private folder: stay the user who runs the test.
user $(id -un)
persistence true
persistence_location $T/mosq/
log_dest stderr
log_type error
log_type warning
${MOSQUITTO_EXTRA:-}
EOF
	mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	MQTT_PID=$!
	track $MQTT_PID
	if ! "$WAITPORT" 127.0.0.1 "$MQTT_PORT" 10000; then
		not_ok "mosquitto starts on port $MQTT_PORT" "$(tail -n 5 "$T/mosquitto.log")"
		exit 1
	fi
}

# The TLS scripts' fixtures (scripts/mkcert.sh; docs/security.md).
# tls_certs DIR: a CA in DIR, the certificate "broker" for 127.0.0.1 and
# localhost, and client certificates for st-a, st-b and wwtp-central.
tls_certs() {
	scripts/mkcert.sh ca "$1" >/dev/null
	scripts/mkcert.sh server "$1" broker 127.0.0.1 localhost >/dev/null
	for u in st-a st-b wwtp-central; do scripts/mkcert.sh client "$1" "$u" >/dev/null; done
}
# write_tls_station ID PORT DEV_PORT CERTS [MQTT_KEYS]: $T/stations/ID.cfg,
# one device on DEV_PORT (nothing need answer), publishing to
# ssl://127.0.0.1:PORT with the certificate CERTS/ID.crt and MQTT_KEYS.
write_tls_station() {
	mkdir -p "$T/stations"
	cat >"$T/stations/$1.cfg" <<EOF
station = { id = "$1"; name = "Trạm $1"; plan = "review"; };
devices = ( { name = "meter"; transport = "tcp"; host = "127.0.0.1"; port = $3; unit_id = 1;
    timeout_ms = 200; retries = 0;
    points = ( { param = "flow_out"; table = "holding"; address = 0; type = "float32"; } ); } );
mqtt = { uri = "ssl://127.0.0.1:$2"; ca_file = "$4/ca.crt";
         cert_file = "$4/$1.crt"; key_file = "$4/$1.key"; ${5:-} };
EOF
}
# start_conf_broker NAME PORT SNIPPET: mosquitto with our user, no
# persistence and logs to stderr ($T/NAME.log) before the configuration
# SNIPPET (e.g. what `wwtp-central acl` writes: it has the listener), waited
# for on PORT. Sets BROKER_PID.
start_conf_broker() {
	{
		echo "user $(id -un)"
		printf 'persistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n'
		cat "$3"
	} >"$T/$1.conf"
	mosquitto -c "$T/$1.conf" >>"$T/$1.log" 2>&1 &
	BROKER_PID=$!
	track $BROKER_PID
	if ! "$WAITPORT" 127.0.0.1 "$2" 10000; then
		not_ok "mosquitto $1 starts on port $2" "$(tail -n 5 "$T/$1.log")"
		exit 1
	fi
}

# start_sim NAME ARGS...: runs the simulator with a ready file and waits for
# it; the ready file's lines are in $T/NAME.ready.
start_sim() {
	local name=$1
	shift
	rm -f "$T/$name.ready"
	"$SIM" --ready-file "$T/$name.ready" "$@" >"$T/$name.out" 2>"$T/$name.log" &
	local pid=$!
	track $pid
	eval "SIM_PID_$name=$pid"
	if ! wait_for "[ -s '$T/$name.ready' ]" $((10 * SLOW)); then
		not_ok "simulator $name becomes ready" "$(tail -n 5 "$T/$name.log")"
		exit 1
	fi
}

# mqtt_sub NAME COUNT SECONDS TOPIC: collects COUNT messages into
# $T/NAME.msgs in the background ("topic payload" per line); SUB_PID_NAME is
# set. Returns once the broker has acknowledged the subscription (mosquitto_sub
# -d prints the SUBACK), so nothing published afterwards can be missed.
mqtt_sub() {
	local name=$1 count=$2 secs=$3 topic=$4
	stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -v -C "$count" -W "$secs" -t "$topic" \
		>"$T/$name.raw" 2>"$T/$name.sub.log" &
	local pid=$!
	track $pid
	eval "SUB_PID_$name=$pid"
	if ! wait_for "grep -q 'received SUBACK' '$T/$name.raw'" 10; then
		not_ok "subscriber $name subscribed" "$(cat "$T/$name.sub.log")"
		exit 1
	fi
}

# Waits for subscriber NAME to end (COUNT reached or its -W timeout) and
# writes its messages, without the debug lines, to $T/NAME.msgs.
sub_wait() {
	local name=$1 pid
	eval "pid=\$SUB_PID_$name"
	wait "$pid" 2>/dev/null
	grep -vE '^(Client |Subscribed \(mid)' "$T/$name.raw" >"$T/$name.msgs" || true
}

# Payload part of "topic payload" lines.
payloads() { sed 's/^[^ ]* //' "$1"; }

# start_influxd: a private InfluxDB 1.x (data in $T/influx, kept across
# restarts) on INFLUX_PORT (HTTP) and INFLUX_RPC (its backup/RPC service),
# both picked at the first call; waits by connecting, then until /ping
# answers 204. Sets INFLUX_PID. INFLUX_AUTH=true: users and passwords required
# ([http] auth-enabled; the first user must be an admin).
start_influxd() {
	if [ -z "${INFLUX_PORT:-}" ]; then
		read -r INFLUX_PORT INFLUX_RPC < <(freeport 2 | tr '\n' ' ')
	fi
	mkdir -p "$T/influx"
	"$WWTP_SRCDIR/scripts/influxd-conf.sh" "$T/influx" "$INFLUX_PORT" "$INFLUX_RPC" "${INFLUX_AUTH:-false}" >"$T/influxd.conf"
	influxd -config "$T/influxd.conf" >>"$T/influxd.log" 2>&1 &
	INFLUX_PID=$!
	track $INFLUX_PID
	if ! "$WAITPORT" 127.0.0.1 "$INFLUX_PORT" 20000 ||
		! wait_for "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$INFLUX_PORT/ping)\" = 204 ]" 20; then
		not_ok "influxd starts on port $INFLUX_PORT" "$(tail -n 5 "$T/influxd.log")"
		exit 1
	fi
}

# iq QUERY: runs an InfluxQL query on the wwtp database of start_influxd's
# server; JSON, times in ms.
iq() { influx -host 127.0.0.1 -port "$INFLUX_PORT" -database wwtp -format json -precision ms -execute "$1"; }
# count_of QUERY: the single number a count() query returns (0 if none).
# config_made LOG...: how many config messages the collector runs logged as
# published (a new store's first row is its run's config message, docs/mqtt.md).
config_made() { cat "$@" | grep -c 'measuring configuration .* published on'; }
count_of() { iq "$1" 2>/dev/null | jq -r '[.results[0].series[0].values[0][1] // 0] | .[0]' 2>/dev/null || echo 0; }

# write_plant_station FILE ID NAME DEV_PORT: a station file whose two
# devices, the profiles eh-cm44x (unit 1) and suntex-ph (unit 2), are served
# on DEV_PORT (by start_sim with this file) and polled every 300 ms, and
# that publishes to start_mosquitto's broker.
write_plant_station() {
	cat >"$1" <<EOF
station = { id = "$2"; name = "$3"; plan = "qd6613"; };
devices = (
  { name = "outlet-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $4; unit_id = 1;
    interval_ms = 300; timeout_ms = 1000; profile = "eh-cm44x"; },
  { name = "outlet-ph"; transport = "tcp"; host = "127.0.0.1"; port = $4; unit_id = 2;
    interval_ms = 300; timeout_ms = 1000; profile = "suntex-ph"; }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; };
EOF
}

# start_central NAME SECS [READY [WHAT]]: runs wwtp-central with
# $T/central.cfg and the words of CENTRAL_ARGS (stdout $T/NAME.out, log
# $T/NAME.log), sets CENTRAL_PID, and waits up to SECS (times SLOW) until
# it has subscribed and the command string READY (for eval) succeeds; WHAT
# says what READY checks, in the message when it does not.
start_central() {
	local name=$1 secs=$2 ready=${3:-true} what=${4:-}
	# shellcheck disable=SC2086 # CENTRAL_ARGS: words on purpose
	"$WWTP_BUILD/wwtp-central" -c "$T/central.cfg" ${CENTRAL_ARGS:-} >"$T/$name.out" 2>"$T/$name.log" &
	CENTRAL_PID=$!
	track $CENTRAL_PID
	if ! wait_for "grep -q 'subscribed to' '$T/$name.log' && $ready" $((secs * SLOW)); then
		not_ok "wwtp-central $name subscribes$what" "$(tail -n 5 "$T/$name.log")"
		exit 1
	fi
}
