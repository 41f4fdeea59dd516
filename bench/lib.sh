# bench/lib.sh - helpers of bench/run.sh, on top of tests/lib/common.sh
# (real servers on free loopback ports, stopped by PID).

# median: of the numbers on stdin, one per line; "-" when there is none.
median() {
	sort -g | awk '{a[NR] = $1} END {
		if (NR == 0) print "-";
		else if (NR % 2) print a[(NR + 1) / 2];
		else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# pct P: the P-th percentile (nearest rank) of the numbers on stdin.
pct() {
	sort -g | awk -v p="$1" '{a[NR] = $1} END {
		if (NR == 0) { print "-"; exit }
		r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print a[r] }'
}

# fmt N DIGITS: a number rounded, or "-".
fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "-" || x == "") print "-"; else printf "%.*f\n", d, x }'; }

# ratio A B: A/B with 2 digits, "-" when either is missing or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# cpu_s PID: CPU seconds of PID so far, summed over its threads alive now
# (schedstat: nanoseconds, where /proc/PID/stat counts 10 ms ticks, too
# coarse for programs using a fraction of a percent). Threads that ended
# are not counted: the programs measured keep theirs for the whole run.
cpu_s() {
	cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk "{ s += \$1 } END { if (NR) printf \"%.6f\\n\", s / 1e9; else print \"-\" }"
}
# vm KEY PID: VmRSS, VmHWM or RssAnon of PID in KiB.
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status" 2>/dev/null || echo -; }
# write_bytes PID: bytes PID caused to be sent to the block layer.
write_bytes() { awk '$1 == "write_bytes:" { print $2 }' "/proc/$1/io" 2>/dev/null || echo -; }

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.3f\n", b - a }'; }

# The results file is built in $RES; section TITLE starts a table section.
section() { printf '\n## %s\n\n' "$1" >>"$RES"; }
para() { printf '%s\n\n' "$*" >>"$RES"; }
table_head() { # table_head COL...
	local h="|" s="|" c
	for c in "$@"; do
		h="$h $c |"
		s="$s --- |"
	done
	printf '%s\n%s\n' "$h" "$s" >>"$RES"
}
table_row() {
	local r="|" c
	for c in "$@"; do r="$r $c |"; done
	printf '%s\n' "$r" >>"$RES"
}
# Prints the part of the results file written since the last mark.
RES_MARK=0
show_new() {
	tail -c +"$((RES_MARK + 1))" "$RES"
	RES_MARK=$(stat -c %s "$RES")
}

# ports_of FILE: the distinct TCP ports a station file names.
ports_of() { grep -oE 'port *= *[0-9]+' "$1" | grep -oE '[0-9]+' | sort -un; }

# remap_ports FILE OUT OLD:NEW...: a copy of FILE with each port moved.
remap_ports() {
	local in=$1 out=$2 expr="" m
	shift 2
	for m in "$@"; do expr="$expr s/port *= *${m%%:*};/port = ${m##*:};/g;"; done
	sed -E "$expr" "$in" >"$out"
}

# A port offset that moves every port of the maps given to a free range:
# tried by the simulator itself (it exits 1 when a port is in use).
pick_offset() { echo $(((RANDOM % 15000) + 20000)); }

# start_sim_maps NAME FILE...: the simulator on every map, ports moved by
# SIM_OFF (picked again if a port is taken).
start_sim_maps() {
	local name=$1 i args=()
	shift
	for f in "$@"; do args+=(-c "$f"); done
	for i in 1 2 3 4 5; do
		SIM_OFF=$(pick_offset)
		rm -f "$T/$name.ready"
		"$SIM" --ready-file "$T/$name.ready" --bind 127.0.0.1 --port-offset "$SIM_OFF" \
			--profiles config/profiles -l warn "${args[@]}" >"$T/$name.out" 2>"$T/$name.log" &
		local pid=$!
		if wait_for "[ -s '$T/$name.ready' ] || ! kill -0 $pid 2>/dev/null" 20 && [ -s "$T/$name.ready" ]; then
			track $pid
			eval "SIM_PID_$name=$pid"
			return 0
		fi
		stop_pid $pid
	done
	echo "bench: the simulator does not start: $(tail -n 3 "$T/$name.log")" >&2
	return 1
}

# start_counter NAME LISTEN:TARGET...: bench/mbcount in the background.
start_counter() {
	local name=$1
	shift
	"$BENCHBIN/mbcount" --gap-ms "${COUNT_GAP_MS:-300}" "$@" >"$T/$name.count" 2>"$T/$name.count.log" &
	eval "CNT_PID_${name//[^A-Za-z0-9_]/_}=$!"
	track $!
	local m
	for m in "$@"; do "$WAITPORT" 127.0.0.1 "${m%%:*}" 5000 || return 1; done
}
# stop_counter NAME: stops it; its counts are then in $T/NAME.count as
# "requests R req_bytes B rsp_bytes S cycles C cycle_med_us M cycle_med_req Q".
stop_counter() {
	local pid
	local v=${1//[^A-Za-z0-9_]/_}
	eval "pid=\$CNT_PID_$v"
	stop_pid "$pid"
}
count_field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$T/$1.count"; }

# collectd_conf FILE MODBUS_FRAGMENT [MQTT_PORT]: a complete collectd
# configuration: the modbus fragment (bench/plancount --collectd), optionally
# the mqtt plugin publishing to 127.0.0.1:MQTT_PORT.
collectd_conf() {
	local out=$1 frag=$2 mport=${3:-}
	mkdir -p "$T/collectd"
	{
		cat <<EOF
Hostname "bench"
FQDNLookup false
BaseDir "$T/collectd"
PIDFile "$T/collectd/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 1
ReadThreads 5
WriteThreads 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel "warning"
  File STDERR
</Plugin>
EOF
		cat "$frag"
		if [ -n "$mport" ]; then
			cat <<EOF
LoadPlugin mqtt
<Plugin mqtt>
  <Publish "bench">
    Host "127.0.0.1"
    Port $mport
    ClientId "collectd-bench"
    Prefix "collectd"
    QoS 1
    Retain false
  </Publish>
</Plugin>
EOF
		fi
	} >"$out"
}

# make_template: $T/tmpl.jsonl, one real telemetry payload per device of
# bench/maps/edge6.cfg, from one `wwtp-collector --once --print` against the
# simulator (the load generator sends these, with its own station ids).
# Sets PER_ROUND: the readings of one message of every device.
make_template() {
	if [ -s "$T/tmpl.jsonl" ]; then
		PER_ROUND=$(grep '"readings"' "$T/tmpl.jsonl" | jq '.readings | length' | awk '{ s += $1 } END { print s }')
		return 0
	fi
	start_sim_maps simt bench/maps/edge6.cfg || return 1
	local ports remap=() i
	ports=($(ports_of bench/maps/edge6.cfg))
	for i in "${!ports[@]}"; do remap+=("${ports[$i]}:$((ports[i] + SIM_OFF))"); done
	remap_ports bench/maps/edge6.cfg "$T/edge-t.cfg" "${remap[@]}"
	"$COLLECTOR" --once --print -c "$T/edge-t.cfg" --profiles config/profiles \
		--limits-dir config/limits --log-level warn >"$T/tmpl.jsonl" 2>"$T/tmpl.log"
	stop_pid "$SIM_PID_simt"
	[ "$(grep -c '"readings"' "$T/tmpl.jsonl")" -ge 6 ] || return 1
	PER_ROUND=$(grep '"readings"' "$T/tmpl.jsonl" | jq '.readings | length' | awk '{ s += $1 } END { print s }')
}

# make_stations DIR N [PREFIX]: N station files (copies of edge6.cfg, ids
# PREFIX-000...), the registry wwtp-central checks payloads against.
make_stations() {
	local dir=$1 n=$2 prefix=${3:-bench} k id
	rm -rf "$dir"
	mkdir -p "$dir"
	for ((k = 0; k < n; k++)); do
		id=$(printf '%s-%03d' "$prefix" "$k")
		sed "s/id = \"bench-edge\";/id = \"$id\";/" bench/maps/edge6.cfg >"$dir/$id.cfg"
	done
}

# start_central NAME STATIONS_DIR [EXTRA influxdb KEYS]: wwtp-central on the
# running mosquitto and influxd (database "wwtp"), without the HTTP API (not
# measured here); waits until it has subscribed. Sets CENTRAL_PID.
start_central() {
	local name=$1 sdir=$2 extra=${3:-}
	mkdir -p "$T/$name-spool"
	cat >"$T/$name.cfg" <<EOF
stations_dir = "$sdir";
profiles_dir = "config/profiles";
stats_interval_s = 0;
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "wwtp-central-$name"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
  spool_dir = "$T/$name-spool"; $extra };
EOF
	${CENTRAL_WRAP:-} "$CENTRAL" -c "$T/$name.cfg" --log-level info >"$T/$name.out" 2>"$T/$name.log" &
	CENTRAL_PID=$!
	track $CENTRAL_PID
	wait_for "grep -qs 'subscribed to' '$T/$name.log'" "${CENTRAL_WAIT:-20}" || {
		echo "bench: wwtp-central does not subscribe: $(tail -n 3 "$T/$name.log")" >&2
		return 1
	}
	wait_for "grep -qs 'database ready' '$T/$name.log'" "${CENTRAL_WAIT:-20}" || true
}

# influx_q DB QUERY: the first value of the first series (or 0).
influx_q() {
	curl -s -G "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "db=$1" \
		--data-urlencode "epoch=ms" --data-urlencode "q=$2" |
		jq -r '.results[0].series[0].values[0][1] // 0'
}

# start_broker: start_mosquitto (tests/lib/common.sh) with the queue bound
# lifted. mosquitto's default max_queued_messages is 1000 per client: when
# wwtp-central falls behind a flood, the broker silently drops its QoS 1
# messages beyond that, and an ingest benchmark would count fewer points,
# not measure a rate. Its default max_inflight_messages, 20 unacknowledged
# QoS 1 messages a client, held wwtp-central to 20 messages a round trip:
# lifted as `wwtp-central acl` does. MOSQ_EXTRA adds configuration lines.
start_broker() {
	MQTT_PORT=$(freeport)
	mkdir -p "$T/mosq"
	cat >"$T/mosquitto.conf" <<EOC
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
user $(id -un)
persistence false
max_queued_messages 0
max_inflight_messages 0
${MOSQ_EXTRA:-}
log_dest stderr
log_type error
log_type warning
EOC
	mosquitto -c "$T/mosquitto.conf" >>"$T/mosquitto.log" 2>&1 &
	MQTT_PID=$!
	track $MQTT_PID
	"$WAITPORT" 127.0.0.1 "$MQTT_PORT" 10000 || { echo "bench: mosquitto does not start" >&2; return 1; }
}

# rollup KEY... PID: the sum of these /proc/PID/smaps_rollup fields, KiB
# (Pss; Private_Clean Private_Dirty: pages no other process maps).
rollup() {
	local pid=${!#} keys="${*:1:$#-1}"
	awk -v ks=" $keys " 'index(ks, " " substr($1, 1, length($1) - 1) " ") { s += $2; n++ }
		END { if (n) print s; else print "-" }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo -
}

# maps_by_rss PID N: the N mappings (by file; [heap], [stack], anonymous)
# with the most resident memory, as "KiB private-KiB name" lines.
maps_by_rss() {
	awk '
		/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anonymous]"; sub(".*/", "", name); next }
		$1 == "Rss:" { rss[name] += $2 }
		$1 == "Private_Clean:" || $1 == "Private_Dirty:" { priv[name] += $2 }
		END { for (n in rss) if (rss[n] > 0) printf "%d %d %s\n", rss[n], priv[n], n }' \
		"/proc/$1/smaps" 2>/dev/null | sort -rn | head -n "$2"
}

# central_default KEY, store_default NAME: the default a program ships with,
# read from its source (wwtp-central does not log its batching settings):
# the last number of KEY's descriptor in central/config/config.c, or the
# WWTP_STORE_DEFAULT_NAME #define of station/store_config.h.
central_default() {
	grep -E "OPT_INT\(\"$1\"" central/config/config.c | grep -oE '[0-9]+\)' | tail -n1 | tr -d ')'
}
store_default() { awk -v k="WWTP_STORE_DEFAULT_$1" '$1 == "#define" && $2 == k { print $3 }' station/store_config.h; }

# start_nodered NAME DIR GW_PORT PLC_PORT: Node-RED (installed in DIR by
# bench/nodered/install.sh) headless with its own user dir $T/NAME-ud, the
# flow bench/nodered/edge6-flow.json reading the simulator's analyzer
# gateway (GW_PORT) and PLC (PLC_PORT) and publishing to the running
# mosquitto; its editor on a free loopback port. Waits until the flows have
# started. Sets NR_PID, or NR_WHY (why not) and returns 1.
start_nodered() {
	local name=$1 dir=$2 gw=$3 plc=$4 ud="$T/$1-ud"
	NR_PID="" NR_WHY=""
	if [ ! -f "$dir/node_modules/node-red/red.js" ]; then
		NR_WHY="not installed in $dir ($(cat "$dir/install-failed" 2>/dev/null || echo "bench/nodered/install.sh did not run"))"
		return 1
	fi
	rm -rf "$ud"
	mkdir -p "$ud"
	cp bench/nodered/edge6-flow.json "$ud/flows.json"
	cp bench/nodered/settings.js "$ud/settings.js"
	NR_GW_PORT=$gw NR_PLC_PORT=$plc NR_MQTT_PORT=$MQTT_PORT NR_UI_PORT=$(freeport) \
		node "$dir/node_modules/node-red/red.js" --userDir "$ud" --settings "$ud/settings.js" \
		>"$T/$name.log" 2>&1 &
	NR_PID=$!
	track $NR_PID
	if ! wait_for "grep -qs 'Started flows' '$T/$name.log' || ! kill -0 $NR_PID 2>/dev/null" 90 ||
		! kill -0 $NR_PID 2>/dev/null; then
		NR_WHY="did not start: $(tail -n 2 "$T/$name.log" | tr '\n' ' ' | cut -c1-160)"
		stop_pid $NR_PID
		NR_PID=""
		return 1
	fi
}

# nodered_versions DIR: "Node-RED X, node-red-contrib-modbus Y, Node.js Z".
nodered_versions() {
	local v1 v2
	v1=$(jq -r .version "$1/node_modules/node-red/package.json" 2>/dev/null)
	v2=$(jq -r .version "$1/node_modules/node-red-contrib-modbus/package.json" 2>/dev/null)
	echo "Node-RED ${v1:-not installed}, node-red-contrib-modbus ${v2:-not installed}, Node.js $(node --version 2>/dev/null || echo none)"
}

# values_of FILE PREFIX SKIP KEY: readings in the messages of a subscriber's
# raw file whose topic starts with PREFIX ("topic payload" lines; the file
# also holds mosquitto_sub's debug lines), after the first SKIP of them: the
# length of the payload's KEY (readings[] of ours, values{} of the Node-RED
# flow), or with KEY "-" one a message (collectd: one value a message; its
# payloads end in a NUL byte, which makes grep take the file for binary:
# -a, and wc -l, not grep -c, which would count the NUL as a line end).
values_of() {
	if [ "$4" = - ]; then
		grep -a "^$2" "$1" | tail -n +"$(($3 + 1))" | wc -l
	else
		grep -a "^$2" "$1" | tail -n +"$(($3 + 1))" | sed 's/^[^ ]* //' |
			jq -s "map(.$4 | length) | add // 0" 2>/dev/null || echo -
	fi
}
