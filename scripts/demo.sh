#!/usr/bin/env bash
# make demo: the whole system on this machine, on loopback, against the
# simulator.
#
# Starts a local mosquitto, a private InfluxDB 1.x (its data in
# BUILD/demo/influx), wwtp-central with its HTTP API, the simulator of all
# the stations of config/stations (the five plants the plan lists for review
# degraded, each its own way; the others healthy), publishes their last
# weeks as history (as the gateways' store-and-forward would), starts one
# collector per station, waits until the central side has judged the
# history, prints the stations table with the flagged plants and their
# reasons, and where to look next: the web page's address and its demo
# accounts (printed, and in BUILD/demo/access.txt). Ctrl-C stops everything it started.
#
# usage: scripts/demo.sh [BUILD] [--duration SECONDS] [--history-days DAYS]
#                       [--report-delay SECONDS]
#   --duration N       stop by itself N seconds after the table (the tests)
#   --history-days N   days of history to publish (default 7)
#   --report-delay N   make last month's documents N seconds after central
#                      starts (default 200: a week's history is in by then)
# WWTP_DEMO_ANY_PORT=1 takes ports the kernel picks even when 1883, 8086 and
# 8080 are free (the test suite: nothing else on the machine can reach it).
set -u
cd "$(dirname "$0")/.."
BUILD=build
DURATION=0
DAYS=7
REPORT_DELAY=200
# How each plant under review degrades (docs/simulator.md, "Scenarios"):
# what the plan says of them is "under-built, degraded or damaged"; these are
# the ways such plants fail.
SCENARIOS=(
	yen-nghia=failed-aeration
	tan-trieu=failed-aeration
	lien-ha=hydraulic-overload
	bat-trang=analyzer-faults+poor-settling+high-colour
	duyen-thai=no-nitrogen-removal+high-colour
	# Not under review: a plant that fakes its data (docs/plausibility.md),
	# which central must flag from the data alone.
	qd6613-07=diluted-analyzer+frozen-ph
)
LIMIT_S=180 # the table comes within three minutes
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=$2; shift 2 ;;
	--history-days) DAYS=$2; shift 2 ;;
	--report-delay) REPORT_DELAY=$2; shift 2 ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) BUILD=$1; shift ;;
	esac
done
for b in wwtp-collector wwtp-sim wwtp-central tools/freeport tools/waitport; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "demo: $BUILD/$b is missing: run 'make demo' (or 'make all $BUILD/$b')" >&2
		exit 2
	fi
done
for c in mosquitto influxd curl jq; do
	command -v "$c" >/dev/null || { echo "demo: $c is not installed: run 'make deps'" >&2; exit 2; }
done

DEMO="$BUILD/demo"
case "$DEMO" in /*) ;; *) DEMO="$PWD/$DEMO" ;; esac
rm -rf "$DEMO"
mkdir -p "$DEMO/logs" "$DEMO/mosq" "$DEMO/influx" "$DEMO/store"
T0=$(date +%s)
PIDS=()
stop_all() {
	trap - INT TERM EXIT
	[ -n "${SLEEP_PID:-}" ] && kill "$SLEEP_PID" 2>/dev/null
	echo
	echo "demo: stopping ${#PIDS[@]} processes"
	# The collectors (started after the broker, InfluxDB, central and the
	# simulator: PIDS[4] on) all at once: each may wait some seconds for
	# central's last confirmations, and 18 of them one after the other
	# took minutes. Then the rest newest first: the central side writes
	# what it has, InfluxDB and the broker go last.
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 4; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null; done
	for ((i = ${#PIDS[@]} - 1; i >= 4; i--)); do wait "${PIDS[$i]}" 2>/dev/null; done
	for ((i = ${#PIDS[@]} - 1 < 3 ? ${#PIDS[@]} - 1 : 3; i >= 0; i--)); do
		kill -TERM "${PIDS[$i]}" 2>/dev/null
		wait "${PIDS[$i]}" 2>/dev/null
	done
	[ -n "${SMTP_PID:-}" ] && kill -TERM "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null
	echo "demo: stopped; logs are in $DEMO/logs"
}
trap stop_all EXIT
trap 'exit 0' INT TERM

port_busy() { "$BUILD/tools/waitport" 127.0.0.1 "$1" 50 2>/dev/null; }
# The usual port when it is free, else one the kernel picks.
pick_port() {
	if [ -n "${WWTP_DEMO_ANY_PORT:-}" ] || port_busy "$1"; then "$BUILD/tools/freeport"; else echo "$1"; fi
}
MQTT_PORT=$(pick_port 1883)
INFLUX_PORT=$(pick_port 8086)
INFLUX_RPC=$("$BUILD/tools/freeport")
HTTP_PORT=$(pick_port 8080)
SMTP_PORT=$("$BUILD/tools/freeport")

# ---- the broker: it must queue the history's burst for the central side ----
cat >"$DEMO/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
# Started as root, mosquitto would switch to its own user, which cannot
# write our private folder: stay the user who runs the demo.
user $(id -un)
persistence true
persistence_location $DEMO/mosq/
max_queued_messages 1000000
EOF
mosquitto -c "$DEMO/mosquitto.conf" >"$DEMO/logs/mosquitto.log" 2>&1 &
PIDS+=($!)
"$BUILD/tools/waitport" 127.0.0.1 "$MQTT_PORT" 10000 || { echo "demo: mosquitto did not start" >&2; exit 1; }

# ---- InfluxDB 1.x (Debian's influxd) with its own data folder ----
scripts/influxd-conf.sh "$DEMO/influx" "$INFLUX_PORT" "$INFLUX_RPC" >"$DEMO/influxd.conf"
influxd -config "$DEMO/influxd.conf" >"$DEMO/logs/influxd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$INFLUX_PORT/ping")" = 204 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$INFLUX_PORT/ping")" = 204 ] ||
	{ echo "demo: influxd did not start; see $DEMO/logs/influxd.log" >&2; exit 1; }

# ---- the configuration: a copy, ports rewritten ----
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
mkdir -p "$DEMO/config/stations"
cp -r config/profiles "$DEMO/config/profiles"
cp -r config/limits "$DEMO/config/limits"
cp config/plausibility.cfg "$DEMO/config/"
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
cat >"$DEMO/central.cfg" <<EOF
# wwtp-central of the demo (config/central.cfg is the annotated example).
stations_dir = "$DEMO/config/stations";
profiles_dir = "$DEMO/config/profiles";
stats_interval_s = 60;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "wwtp-central-demo"; };
influxdb = {
  url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  spool_dir = "$DEMO/spool";
};
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$DEMO/accounts"; acks_file = "$DEMO/acks.jsonl"; };
flags = { refresh_s = 5; };
EOF
# The month's documents on schedule (docs/report.md): the previous month is
# due today (report.day = today, 19 at most), made once the history is in
# (delay_s), archived in $DEMO/archive and e-mailed to a real SMTP server
# (tests/lib/smtp_sink.py, Debian's python3-aiosmtpd) writing $DEMO/mail.
mkdir -p "$DEMO/mail"
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	/usr/bin/python3 tests/lib/smtp_sink.py "$SMTP_PORT" "$DEMO/mail" >"$DEMO/logs/smtp.log" 2>&1 &
	SMTP_PID=$!
	"$BUILD/tools/waitport" 127.0.0.1 "$SMTP_PORT" 10000 || echo "demo: the SMTP server did not start" >&2
fi
cat >>"$DEMO/central.cfg" <<EOF
notify = { smtp = { url = "smtp://127.0.0.1:$SMTP_PORT"; from = "giamsat@demo.example.vn"; };
           dir = "$DEMO/notify"; };
report = { dir = "$DEMO/archive"; day = $(d=$(TZ=Asia/Ho_Chi_Minh date +%-d); echo $((d > 19 ? 19 : d)));
           delay_s = $REPORT_DELAY; retry_s = 60; emails = [ "sct@demo.example.vn", "stnmt@demo.example.vn" ]; };
EOF
API="http://127.0.0.1:$HTTP_PORT"
# The demo accounts of the web page (docs/web.md): an inspector, who reads,
# and an operator, who also acknowledges alerts; fresh passwords each run.
demo_password() { head -c 32 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9' | cut -c1-14; }
DEMO_USER=thanhtra DEMO_PASS=$(demo_password)
OPER_USER=vanhanh OPER_PASS=$(demo_password)
(umask 077 && : >"$DEMO/accounts")
printf '%s\n' "$DEMO_PASS" | "$BUILD/wwtp-central" passwd --file "$DEMO/accounts" "$DEMO_USER" inspector >/dev/null &&
	printf '%s\n' "$OPER_PASS" | "$BUILD/wwtp-central" passwd --file "$DEMO/accounts" "$OPER_USER" operator >/dev/null ||
	{ echo "demo: cannot make the demo accounts" >&2; exit 1; }
CURL_AUTH=(-u "$DEMO_USER:$DEMO_PASS")

# ---- the central side ----
"$BUILD/wwtp-central" -c "$DEMO/central.cfg" >"$DEMO/logs/central.out" 2>"$DEMO/logs/central.log" &
PIDS+=($!)
for _ in $(seq 150); do
	[ "$(curl -s "${CURL_AUTH[@]}" -o /dev/null -w '%{http_code}' "$API/api/health")" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s "${CURL_AUTH[@]}" -o /dev/null -w '%{http_code}' "$API/api/health")" = 200 ] ||
	{ echo "demo: wwtp-central did not start; see $DEMO/logs/central.log" >&2; tail -n 5 "$DEMO/logs/central.log" >&2; exit 1; }
# The web page's address and the demo accounts, for people and the tests.
(umask 077 && cat >"$DEMO/access.txt" <<EOF
url=$API/
user=$DEMO_USER
password=$DEMO_PASS
operator_user=$OPER_USER
operator_password=$OPER_PASS
EOF
)

# ---- the simulator: every station, now, with its history ----
review=()
for f in "$DEMO"/config/stations/*.cfg; do
	grep -q 'plan *= *"review"' "$f" && review+=("$(basename "$f" .cfg)")
done
scen=()
modes=()
for id in "${review[@]}"; do
	mode=failed-aeration # a plant under review without its own mode
	for s in "${SCENARIOS[@]}"; do [ "${s%%=*}" = "$id" ] && mode=${s#*=}; done
	scen+=(--scenario "$id=$mode")
	modes+=("$id=$mode")
done
for s in "${SCENARIOS[@]}"; do # the others with a mode of their own
	[[ " ${review[*]} " == *" ${s%%=*} "* ]] || { scen+=(--scenario "$s"); modes+=("$s (not under review)"); }
done
"$BUILD/wwtp-sim" --dir "$DEMO/config/stations" --profiles "$DEMO/config/profiles" --start now \
	"${scen[@]}" --history "$DAYS" --publish "tcp://127.0.0.1:$MQTT_PORT" \
	--ready-file "$DEMO/sim.ready" >"$DEMO/logs/sim.out" 2>"$DEMO/logs/sim.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$DEMO/sim.ready" ] && break; sleep 0.1; done
[ -s "$DEMO/sim.ready" ] || { echo "demo: the simulator did not become ready; see $DEMO/logs/sim.log" >&2; exit 1; }

# ---- one collector per station ----
store_opt=0
"$BUILD/wwtp-collector" --help 2>/dev/null | grep -q -- '--store PATH' && store_opt=1
n=0
for f in "$DEMO"/config/stations/*.cfg; do
	id=$(basename "$f" .cfg)
	args=(-c "$f" --profiles "$DEMO/config/profiles")
	[ $store_opt -eq 1 ] && args+=(--store "$DEMO/store/$id.db")
	"$BUILD/wwtp-collector" "${args[@]}" >"$DEMO/logs/collector-$id.out" 2>"$DEMO/logs/collector-$id.log" &
	PIDS+=($!)
	n=$((n + 1))
done

cat <<EOF
demo: mosquitto on 127.0.0.1:$MQTT_PORT, InfluxDB on 127.0.0.1:$INFLUX_PORT (data in $DEMO/influx),
      wwtp-central with its API at $API/, the simulator of $n stations (Modbus TCP from port
      $((15010 + OFFSET))), $n collectors. Publishing $DAYS days of history; the central side judges
      it as it arrives. The plants under review are simulated as (the others healthy):
EOF
printf '        %s\n' "${modes[@]}"
echo "demo: the web page is already up: $API/  log in as $DEMO_USER, password $DEMO_PASS (inspector)"

# ---- wait for the judgement ----
stations() { curl -s "${CURL_AUTH[@]}" --max-time 5 "$API/api/stations"; }
history_line() { grep -o '^history [a-z]* .*' "$DEMO/logs/sim.out" 2>/dev/null | tail -n 1; }
ok=0
next=$(date +%s)
while :; do
	now=$(date +%s)
	json=$(stations)
	h=$(history_line)
	if [ -n "$json" ]; then
		flagged=$(jq -r '[.[] | select(.flagged) | .id] | join(" ")' <<<"$json")
		busy=$(jq '[.[] | select(.backfilling or .checks.evaluated == null)] | length' <<<"$json")
		missing=$(jq -r --arg r "${review[*]}" '[($r | split(" "))[] as $id | select(any(.[]; .id == $id and .flagged) | not) | $id] | length' <<<"$json" 2>/dev/null)
		if [ -n "$h" ] && [ "$busy" = 0 ] && [ "$missing" = 0 ]; then ok=1; break; fi
	fi
	if [ -n "$h" ] && [ "${h#history done}" = "$h" ]; then
		echo "demo: the history was not published completely ($h); see $DEMO/logs/sim.log" >&2
		break
	fi
	if [ $((now - T0)) -ge $LIMIT_S ]; then break; fi
	if [ "$now" -ge "$next" ]; then
		pct=$(grep -o '\[history\] [0-9]* %' "$DEMO/logs/sim.log" | tail -n 1 | grep -o '[0-9]*')
		[ -n "$h" ] && pct=100
		online=$(jq '[.[] | select(.status == "online")] | length' <<<"${json:-[]}" 2>/dev/null)
		printf 'demo: %3ds: history %s%%, %s stations online, %s still judging their past, flagged: %s\n' \
			$((now - T0)) "${pct:-0}" "${online:-0}" "${busy:-?}" "${flagged:-none}"
		next=$((now + 10))
	fi
	sleep 1
done

# ---- the table ----
echo
printf 'Stations after %d s (flags over a window of %s hours; %s flagged):\n\n' \
	$(($(date +%s) - T0)) "$(jq -r '.[0].checks.window_h' <<<"$json")" "$(jq '[.[] | select(.flagged)] | length' <<<"$json")"
printf '%-12s %-7s %-7s %-8s %s\n' STATION PLAN STATUS FLAGGED NAME
jq -r '.[] | [.id, .plan, .status, (if .flagged then "yes" else "no" end), .name,
	([.reasons[].text] | join("\u0001"))] | join("\u0002")' <<<"$json" |
	while IFS=$'\002' read -r id plan status fl name reasons; do
		printf '%-12s %-7s %-7s %-8s %s\n' "$id" "$plan" "$status" "$fl" "$name"
		[ -n "$reasons" ] && tr '\001' '\n' <<<"$reasons" | sed 's/^/             - /'
	done
if [ $ok -eq 0 ]; then
	echo
	echo "demo: WARNING: after ${LIMIT_S}s the plants under review are not all flagged yet (or their past is still" \
		"arriving); the table above is what the central side knows now. See $DEMO/logs/central.log." >&2
fi
# ---- the alert rates (docs/alerts.md) ----
# Over the simulated days, the inspector's alerts (episodes of the stations'
# raw alerts) against ISA-18.2's targets; every raw exceedance must be in one.
RFROM=$((($(date +%s) - DAYS * 86400) * 1000))
rates=$(curl -s "${CURL_AUTH[@]}" --max-time 30 "$API/api/alerts/rates?from=$RFROM&to=$(($(date +%s) * 1000))")
known=$(curl -s "${CURL_AUTH[@]}" --max-time 10 "$API/api/health" | jq -r '.alerts.known // "?"' 2>/dev/null)
if [ -n "$rates" ] && jq -e .raised >/dev/null 2>&1 <<<"$rates"; then
	read -r raised perday maxday maxst chat exraw exin < <(jq -r '[.raised, .per_day, .max_station_day,
		(.max_station // "-"), .chattering_tags, .exceedances_raw, .exceedances_in_alerts] | @tsv' <<<"$rates")
	verdict() { if [ "$1" = 1 ]; then echo "meets"; else echo "MISSES"; fi; }
	echo
	echo "Alert rates over the $DAYS simulated days ($known raw alerts from the stations became $raised alerts):"
	printf '  alerts a day, fleet             %8s   (ISA-18.2: at most 144)  %s\n' "$perday" \
		"$(verdict "$(jq '.per_day <= 144' <<<"$rates" | sed 's/true/1/')")"
	printf '  most at one plant in one day    %8s   (at most 12; %s)  %s\n' "$maxday" "$maxst" \
		"$(verdict "$(jq '.max_station_day <= 12' <<<"$rates" | sed 's/true/1/')")"
	printf '  tags raised 3 times in an hour  %8s   (none)  %s\n' "$chat" "$(verdict "$([ "$chat" = 0 ] && echo 1)")"
	printf '  exceedances judged / in alerts  %8s   (every one)  %s\n' "$exraw / $exin" \
		"$(verdict "$([ "$exraw" = "$exin" ] && echo 1)")"
	echo "  alerts by kind: $(jq -r '.by_kind | to_entries | map("\(.key) \(.value)") | join(", ")' <<<"$rates")"
else
	echo "demo: the alert rates could not be read ($API/api/alerts/rates)" >&2
fi
readings=$(curl -s --max-time 10 -G "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode db=wwtp \
	--data-urlencode "q=SELECT count(seq) FROM reading" | jq -r '.results[0].series[0].values[0][1] // 0')
FROM=$((($(date +%s) - DAYS * 86400) * 1000))
cat <<EOF

Where to look next:
  THE WEB PAGE (log in; Vietnamese, English with the toggle)  $API/
      inspector (reads):                     user $DEMO_USER   password $DEMO_PASS
      operator (also acknowledges alerts):   user $OPER_USER    password $OPER_PASS
  every station, its flag and reasons  curl -s -u $DEMO_USER:$DEMO_PASS $API/api/stations | jq .
  one station                          curl -s -u $DEMO_USER:$DEMO_PASS $API/api/stations/yen-nghia | jq .
  open alerts                          curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/alerts?state=open' | jq .
  a plant's alerts, as its page orders  curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/alerts?station=yen-nghia&order=page&limit=20' | jq .
  the alerts as CSV                    curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/alerts.csv?priority=high&state=all'
  the alert rates of the last day      curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/alerts/rates' | jq .
  alerts of one plant, one kind        curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/alerts?station=bat-trang&kind=fault&limit=5' | jq .
  hourly COD of a plant                curl -s -u $DEMO_USER:$DEMO_PASS '$API/api/stations/yen-nghia/series?param=cod&every=1h&from=$FROM' | jq .
  the raw data ($readings readings so far)   influx -port $INFLUX_PORT -database wwtp -precision rfc3339 \\
                                         -execute "SELECT mean(value) FROM reading WHERE param='cod' AND status='ok' AND time > now() - 1d GROUP BY station"
  this month's report (HTML, CSV, PDF)  $BUILD/wwtp-central report -c $DEMO/central.cfg --month $(TZ=Asia/Ho_Chi_Minh date +%Y-%m) --out $DEMO/reports
  last month's documents, on schedule  $DEMO/archive/ (read-only, SHA256SUMS), e-mailed: $DEMO/mail/ (made from $REPORT_DELAY s after the start, in about a minute)
  live messages                        mosquitto_sub -p $MQTT_PORT -v -t 'wwtp/#'
  the address and accounts, for later  $DEMO/access.txt
  logs                                 $DEMO/logs/
  how the flags are decided            docs/flags.md; the API: docs/api.md; the scenarios: docs/simulator.md
Ctrl-C stops everything.
EOF

# sleep in the background and wait for it: bash runs the TERM trap only
# once a foreground command ends, and a `kill` of this script alone (the
# tests) would otherwise leave everything running for the whole sleep.
if [ "$DURATION" -gt 0 ]; then
	sleep "$DURATION" &
	SLEEP_PID=$!
	wait $SLEEP_PID
	[ $ok -eq 1 ] || exit 1
else
	while :; do
		sleep 3600 &
		SLEEP_PID=$!
		wait $SLEEP_PID
	done
fi
