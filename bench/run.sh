#!/usr/bin/env bash
# bench/run.sh BUILD - the seven benchmarks of bench/README.md, on loopback,
# with real servers (simulator, mosquitto, influxd, collectd) on free ports.
# Prints each table as it is done and writes bench/results/<UTC date>.md.
#
#   BENCH_SECONDS=N   seconds of each timed run (default 5; LONG=1: 30)
#   BENCH_REPS=N      repeated runs where medians are taken (default 3; LONG=1: 5)
#   BENCH_ONLY="1 3"  run only these benchmarks (the file then holds only them)
#   BENCH_OUT=FILE    write the results there instead
#   BENCH_PROFILE=0, BENCH_REPLAY_HOURS, BENCH_REPLAY_RATE, BENCH_REPORT_STEP_S:
#                     see bench/README.md
# Not part of `make check`: figures live here, never in tests.
set -u
BUILD=${1:-build/bench}
export WWTP_BUILD=$BUILD
# shellcheck source=../tests/lib/common.sh
. "$(dirname "$0")/../tests/lib/common.sh"
# shellcheck source=lib.sh
. bench/lib.sh
BENCHBIN="$WWTP_BUILD/bench"
CENTRAL="$WWTP_BUILD/wwtp-central"
# Node-RED for benchmark 3, installed there by make bench (bench/nodered/install.sh).
NODERED_DIR=${BENCH_NODERED:-build/nodered}
for b in "$COLLECTOR" "$SIM" "$CENTRAL" "$FREEPORT" "$WAITPORT" "$BENCHBIN/plancount" \
	"$BENCHBIN/mbcount" "$BENCHBIN/mbfloor"; do
	[ -x "$b" ] || { echo "bench: $b is missing: run make bench" >&2; exit 1; }
done

if [ -n "${LONG:-}" ] && [ "${LONG:-0}" != 0 ]; then
	SECS=${BENCH_SECONDS:-30}
	REPS=${BENCH_REPS:-5}
else
	SECS=${BENCH_SECONDS:-5}
	REPS=${BENCH_REPS:-3}
fi
ONLY=${BENCH_ONLY:-1 2 3 4 5 6 7}
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
DATE=$(date -u +%F)
mkdir -p bench/results
OUTFILE=${BENCH_OUT:-bench/results/$DATE.md}
RES="$T/results.md"
: >"$RES"
# Figures the summary quotes; "-" until a benchmark sets them.
B1_EQ="- of -" B1_E_OURS=- B1_E_PP=- B1_E_CD=- B1_SC_OURS=- B1_SC_PP=- B1_SC_CD=-
B3_RW=- B3_RC=- B3_AW=- B3_AC=- B3_WC=- B3_CC=- B4_CEN=- B4_CEIL=- B4_RATIO=-
B5_MED1=- B5_P991=- B5_MED10=- B5_P9910=- B6_T=- B6_RATE=- B7=-
B3_PW=- B3_PC=- B3_SW=- B3_SC=- B3_TOPLIBS=-
B3_RN=- B3_PN=- B3_NC=- B3_MN=- B3_NR_WHY="not run" B4_CAP=- B4_CAP_R=- B4_CAP_M=- B4_US=- B4_CAP_CPU=- B5_COL=() B6_T2=- B6_RATE2=- B6_R2=- B6_DEFRATE=-
# The defaults the programs ship with, where a benchmark leaves them alone
# (the tables say which): wwtp-central does not log them, so from the source.
DEF_BATCH_MS=$(central_default batch_max_ms)
DEF_BATCH_PTS=$(central_default batch_max_points)
DEF_COMMIT_MS=$(store_default COMMIT_MS)
DEF_PUBLISH_MS=$(store_default PUBLISH_MS)

# ---- header: the machine ------------------------------------------------------
{
	echo "# Benchmark results, $DATE"
	echo
	echo "Written by \`make bench\` (bench/run.sh; what each figure means: bench/README.md)."
	echo "Timed runs of $SECS s, medians of $REPS runs where a median is given."
	echo
	echo "| machine | |"
	echo "| --- | --- |"
	echo "| CPU | $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores online |"
	echo "| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
	echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
	echo "| kernel | $(uname -sr) |"
	echo "| OS | $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}") |"
	echo "| wwtp | $(cat VERSION), build $BUILD (-O2, no sanitizers) |"
	echo "| collectd | $(dpkg-query -W -f '${Version}' collectd-core 2>/dev/null) |"
	echo "| Node-RED | $(nodered_versions "$NODERED_DIR") ($(command -v node >/dev/null && dpkg -S "$(readlink -f "$(command -v node)")" 2>/dev/null | cut -d: -f1) package $(dpkg-query -W -f '${Version}' nodejs 2>/dev/null)) |"
	echo "| influxd | $(influxd version 2>/dev/null | head -n1) |"
	echo "| mosquitto | $(mosquitto -h 2>/dev/null | head -n1 | sed 's/^mosquitto version //') |"
	echo "| libmodbus | $(pkg-config --modversion libmodbus) |"
	echo "| Paho C | $(dpkg-query -W -f '${Version}' libpaho-mqtt1.3 2>/dev/null) |"
	echo "| SQLite | $(pkg-config --modversion sqlite3) |"
} >>"$RES"
show_new

# ==== 1. requests per poll ======================================================
bench1() {
	section "1. Requests per poll"
	local maps=(config/stations/*.cfg bench/maps/edge6.cfg bench/maps/scattered.cfg)
	start_sim_maps sim1 "${maps[@]}" || return 1
	mkdir -p "$T/maps1"
	local f id ports p n i listen mapsc=() rows=()
	declare -A WIRE_OURS WIRE_CD CD_CYC MAPPING
	# Each station behind its own counting relay.
	for f in "${maps[@]}"; do
		id=$(basename "$f" .cfg)
		ports=($(ports_of "$f"))
		listen=($(freeport ${#ports[@]}))
		local relay=() remap=()
		for i in "${!ports[@]}"; do
			relay+=("${listen[$i]}:$((ports[i] + SIM_OFF))")
			remap+=("${ports[$i]}:${listen[$i]}")
		done
		MAPPING[$id]="${relay[*]}"
		remap_ports "$f" "$T/maps1/$id.cfg" "${remap[@]}"
		mapsc+=("$T/maps1/$id.cfg")
		# ours, on the wire: one --once poll of every device
		start_counter "once-$id" ${MAPPING[$id]} || return 1
		"$COLLECTOR" --once --print -c "$T/maps1/$id.cfg" --profiles config/profiles \
			--limits-dir config/limits --log-level warn >"$T/once-$id.json" 2>"$T/once-$id.log"
		stop_counter "once-$id"
		WIRE_OURS[$id]=$(count_field "once-$id" requests)/$(count_field "once-$id" cycles)
	done
	# collectd, all stations at once, each still behind its relay.
	"$BENCHBIN/plancount" --profiles config/profiles --limits-dir config/limits \
		--collectd "$T/cd1-modbus.conf" "${mapsc[@]}" >/dev/null || return 1
	collectd_conf "$T/collectd1.conf" "$T/cd1-modbus.conf"
	for f in "${maps[@]}"; do
		id=$(basename "$f" .cfg)
		start_counter "cd-$id" ${MAPPING[$id]} || return 1
	done
	collectd -f -C "$T/collectd1.conf" >"$T/collectd1.log" 2>&1 &
	local cpid=$!
	track $cpid
	sleep 5.5
	stop_pid $cpid
	for f in "${maps[@]}"; do
		id=$(basename "$f" .cfg)
		stop_counter "cd-$id"
		local r c
		r=$(count_field "cd-$id" requests)
		c=$(count_field "cd-$id" cycles)
		WIRE_CD[$id]=$(count_field "cd-$id" cycle_med_req)
		[ "${WIRE_CD[$id]}" = -1 ] && WIRE_CD[$id]=-
		CD_CYC[$id]=$c
	done
	stop_pid "$SIM_PID_sim1"

	para "Modbus requests per poll cycle (every device polled once). *ours*: the collector's read plan" \
		"(drivers/plan.c); *wire*: requests counted on the wire by a relay (bench/mbcount) during one" \
		"\`wwtp-collector --once\` against the simulator, and per cycle of collectd 5.12's modbus plugin" \
		"over 5.5 s (median requests of one cycle). *min*: the fewest requests under the same rules (each device's" \
		"max_gap and max_regs), by an independent dynamic programme (bench/plancount.c); *min125*: the" \
		"fewest the protocol allows at all (125 registers / 2000 bits per request, any gap read through);" \
		"*per point*: one request per point and per status register; *collectd*: one request per" \
		"<Data> block, i.e. per point and status register on holding/input registers (its modbus plugin" \
		"cannot read coils or discrete inputs: those points are left out of its configuration, column *cd skips*)."
	table_head station devices points "ours (plan)" "ours (wire)" min min125 "per point" \
		"collectd (config)" "collectd (wire)" "cd skips" "ours = min"
	local tot_ok=0 tot=0
	: >"$T/plan1.txt"
	for f in "${maps[@]}"; do
		id=$(basename "$f" .cfg)
		"$BENCHBIN/plancount" --profiles config/profiles --limits-dir config/limits --label "$id" "$f" >>"$T/plan1.txt" || return 1
	done
	while read -r id dev pts items r_ours r_min r_min125 r_pp r_cd b_ours b_min b_min125 b_pp b_cd \
		t9_ours t9_min t9_min125 t9_pp t9_cd t19_ours t19_min t19_min125 t19_pp t19_cd skips; do
		local eq=no
		[ "$r_ours" = "$r_min" ] && eq=yes && tot_ok=$((tot_ok + 1))
		tot=$((tot + 1))
		table_row "$id" "$dev" "$pts" "$r_ours" "${WIRE_OURS[$id]%/1}" "$r_min" "$r_min125" "$r_pp" \
			"$r_cd" "${WIRE_CD[$id]}" "$skips" "$eq"
	done <"$T/plan1.txt"
	echo >>"$RES"
	para "Plans equal to the minimum: $tot_ok of $tot maps. A wire figure of the form R/C is R requests" \
		"over C cycles when the relay did not see exactly one cycle."
	B1_EQ="$tot_ok of $tot"

	para "Bytes on the wire per cycle (whole frames, requests and answers: Modbus TCP, MBAP header" \
		"included) and RTU wire time per cycle, computed from the frames: RTU frame = address + PDU + CRC" \
		"(request 8 bytes, answer 5 + 2n for n registers), 11 bits per character (8E1 or 8N2, as the" \
		"Modbus serial line specification asks; 8N1 would be 10/11 of these times), plus a 3.5-character" \
		"silence after each frame; device turnaround not counted: the physical floor."
	table_head station "TCP B ours" "TCP B min" "TCP B min125" "TCP B per point" "TCP B collectd" \
		"RTU 9600 ms ours" "min" "per point" "collectd" "RTU 19200 ms ours" "min" "per point" "collectd"
	while read -r id dev pts items r_ours r_min r_min125 r_pp r_cd b_ours b_min b_min125 b_pp b_cd \
		t9_ours t9_min t9_min125 t9_pp t9_cd t19_ours t19_min t19_min125 t19_pp t19_cd skips; do
		table_row "$id" "$b_ours" "$b_min" "$b_min125" "$b_pp" "$b_cd" "$t9_ours" "$t9_min" "$t9_pp" "$t9_cd" \
			"$t19_ours" "$t19_min" "$t19_pp" "$t19_cd"
	done <"$T/plan1.txt"
	echo >>"$RES"
	read -r _ _ _ _ B1_SC_OURS B1_SC_MIN _ B1_SC_PP B1_SC_CD _ < <(grep "^scattered " "$T/plan1.txt")
	read -r _ _ _ _ B1_E_OURS B1_E_MIN _ B1_E_PP B1_E_CD _ < <(grep "^edge6 " "$T/plan1.txt")
}

# ==== 2. poll cost ==============================================================
bench2() {
	section "2. Poll cost"
	local iv=200
	sed -E "s/interval_ms = 1000;/interval_ms = $iv;/" bench/maps/edge6.cfg >"$T/edge-fast.cfg"
	start_sim_maps sim2 "$T/edge-fast.cfg" || return 1
	local ports listen relay=() remap=() i
	ports=($(ports_of "$T/edge-fast.cfg"))
	listen=($(freeport ${#ports[@]}))
	for i in "${!ports[@]}"; do
		relay+=("${listen[$i]}:$((ports[i] + SIM_OFF))")
		remap+=("${ports[$i]}:${listen[$i]}")
	done
	remap_ports "$T/edge-fast.cfg" "$T/edge-fast-relay.cfg" "${remap[@]}"
	"$BENCHBIN/plancount" --blocks --profiles config/profiles "$T/edge-fast-relay.cfg" >"$T/blocks2.txt" || return 1
	local r col_us flo_us col_cpu flo_cpu pid c0
	: >"$T/b2.txt"
	for ((r = 1; r <= REPS; r++)); do
		COUNT_GAP_MS=100 start_counter "b2c$r" "${relay[@]}" || return 1
		"$COLLECTOR" -c "$T/edge-fast-relay.cfg" --print --profiles config/profiles \
			--limits-dir config/limits --log-level warn >/dev/null 2>"$T/b2c$r.log" &
		pid=$!
		track $pid
		sleep 1 # start-up (loading, limits, first connections) is not poll cost
		c0=$(cpu_s $pid)
		sleep "$SECS"
		col_cpu=$(awk -v a="$c0" -v b="$(cpu_s $pid)" 'BEGIN { print b - a }')
		stop_pid $pid
		stop_counter "b2c$r"
		col_us=$(count_field "b2c$r" cycle_med_us)
		local ccyc
		ccyc=$(count_field "b2c$r" cycles)

		COUNT_GAP_MS=100 start_counter "b2f$r" "${relay[@]}" || return 1
		"$BENCHBIN/mbfloor" --interval-ms $iv --seconds $((SECS + 2)) "$T/blocks2.txt" >"$T/b2f$r.out" 2>"$T/b2f$r.log" &
		pid=$!
		sleep 1
		c0=$(cpu_s $pid)
		sleep "$SECS"
		flo_cpu=$(awk -v a="$c0" -v b="$(cpu_s $pid)" 'BEGIN { print b - a }')
		wait $pid
		stop_counter "b2f$r"
		flo_us=$(count_field "b2f$r" cycle_med_us)
		local fcyc
		fcyc=$(count_field "b2f$r" cycles)
		# per-cycle CPU in microseconds: CPU over the SECS s window / cycles in it
		echo "$col_us $flo_us $(ratio "$col_us" "$flo_us") $(awk -v c="$col_cpu" -v s="$SECS" -v i=$iv 'BEGIN { printf "%.0f", c * 1e6 / (s * 1000 / i) }') $(awk -v c="$flo_cpu" -v s="$SECS" -v i=$iv 'BEGIN { printf "%.0f", c * 1e6 / (s * 1000 / i) }') $ccyc $fcyc" >>"$T/b2.txt"
	done
	stop_pid "$SIM_PID_sim2"
	para "Station bench/maps/edge6.cfg (6 devices, 40 points, 8 requests a cycle on 2 links) polled" \
		"every $iv ms from the simulator over TCP loopback, through the counting relay, for $SECS s per" \
		"run after 1 s of start-up. *wall*: median time of one cycle on the wire, first request to last" \
		"answer, as the relay sees it (same relay for both). *CPU*: user + system CPU of the process over" \
		"the run, per cycle. Collector: the service with --print to /dev/null (decoding, judging, JSON" \
		"encoding included; no store, no MQTT: benchmark 3 has those). Floor: bench/mbfloor, the same" \
		"blocks read with bare libmodbus calls, one thread per link as the collector."
	table_head run "collector wall µs" "floor wall µs" "wall ratio" "collector CPU µs/cycle" \
		"floor CPU µs/cycle" "ratio" "cycles (collector, floor)"
	r=0
	while read -r a b c d e cc fc; do
		r=$((r + 1))
		table_row "$r" "$a" "$b" "$c" "$d" "$e" "$(ratio "$d" "$e")" "$cc, $fc"
	done <"$T/b2.txt"
	B2_WALL=$(awk '{ print $3 }' "$T/b2.txt" | median)
	B2_CW=$(awk '{ print $1 }' "$T/b2.txt" | median)
	B2_FW=$(awk '{ print $2 }' "$T/b2.txt" | median)
	B2_CC=$(awk '{ print $4 }' "$T/b2.txt" | median)
	B2_FC=$(awk '{ print $5 }' "$T/b2.txt" | median)
	B2_CPU=$(awk '{ if ($5 > 0) print $4 / $5 }' "$T/b2.txt" | median)
	table_row "**median**" "$B2_CW" "$B2_FW" "**$B2_WALL**" "$B2_CC" "$B2_FC" "**$(fmt "$B2_CPU" 2)**" ""
	echo >>"$RES"
}

# ==== 3. footprint at the edge ===================================================
bench3() {
	section "3. Footprint at the edge"
	local dur=$((SECS * 4))
	start_mosquitto
	start_sim_maps sim3 bench/maps/edge6.cfg || return 1
	local ports remap=() i
	ports=($(ports_of bench/maps/edge6.cfg))
	for i in "${!ports[@]}"; do remap+=("${ports[$i]}:$((ports[i] + SIM_OFF))"); done
	remap_ports bench/maps/edge6.cfg "$T/edge3.cfg" "${remap[@]}"
	sed -i -E "s#uri = \"tcp://127.0.0.1:1883\";#uri = \"tcp://127.0.0.1:$MQTT_PORT\";#" "$T/edge3.cfg"
	"$BENCHBIN/plancount" --profiles config/profiles --collectd "$T/cd3-modbus.conf" "$T/edge3.cfg" >/dev/null || return 1
	collectd_conf "$T/collectd3.conf" "$T/cd3-modbus.conf" "$MQTT_PORT"
	mqtt_sub wwtp3 1000000 $((dur + 30)) 'wwtp/bench-edge/telemetry'
	mqtt_sub cd3 10000000 $((dur + 30)) 'collectd/#'
	mqtt_sub nr3 10000000 $((dur + 150)) 'nodered/#'

	# Node-RED first: it takes seconds to start, and it must be polling and
	# publishing before the window opens (its first message at the broker),
	# or the benchmark would measure an idle Node-RED.
	local npid="" nr_why=""
	if ! command -v node >/dev/null; then
		nr_why="no node on PATH (Debian package nodejs, scripts/deps.sh bench)"
	elif start_nodered nodered3 "$NODERED_DIR" "$((ports[0] + SIM_OFF))" "$((ports[1] + SIM_OFF))"; then
		npid=$NR_PID
		if ! wait_for "grep -q '^nodered/' '$T/nr3.raw'" 60; then
			nr_why="started but published nothing in 60 s: $(grep -v '^\s*$' "$T/nodered3.log" | tail -n 2 | tr '\n' ' ' | cut -c1-160)"
			stop_pid "$npid"
			npid=""
		fi
	else
		nr_why=$NR_WHY
	fi
	[ -n "$nr_why" ] && echo "bench: Node-RED: $nr_why" >&2

	rm -f "$T/edge3.db"*
	"$COLLECTOR" -c "$T/edge3.cfg" --store "$T/edge3.db" --clock synced --profiles config/profiles \
		--limits-dir config/limits --log-level warn >"$T/col3.out" 2>"$T/col3.log" &
	local wpid=$!
	track $wpid
	collectd -f -C "$T/collectd3.conf" >"$T/collectd3.log" 2>&1 &
	local cpid=$!
	track $cpid
	sleep 2 # start-up not counted
	local wc0 cc0 ww0 cw0 sz0 m0w m0c nc0 nw0 m0n
	wc0=$(cpu_s $wpid); cc0=$(cpu_s $cpid)
	ww0=$(write_bytes $wpid); cw0=$(write_bytes $cpid)
	sz0=$(cat "$T"/edge3.db "$T"/edge3.db-wal 2>/dev/null | wc -c)
	m0w=$(grep -c "^wwtp/" "$T/wwtp3.raw"); m0c=$(grep -c "^collectd/" "$T/cd3.raw")
	m0n=$(grep -c "^nodered/" "$T/nr3.raw")
	[ -n "$npid" ] && { nc0=$(cpu_s $npid); nw0=$(write_bytes $npid); }
	local t0
	t0=$(now_s)
	# RSS sampled every second; the figure is the median, the peak is VmHWM.
	# Private (Private_Clean + Private_Dirty of smaps_rollup: pages no other
	# process maps) and PSS sampled with it: most RSS is shared libraries.
	: >"$T/rss3w"; : >"$T/rss3c"; : >"$T/prv3w"; : >"$T/prv3c"; : >"$T/pss3w"; : >"$T/pss3c"
	: >"$T/rss3n"; : >"$T/prv3n"; : >"$T/pss3n"
	for ((i = 0; i < dur; i++)); do
		sleep 1
		vm VmRSS $wpid >>"$T/rss3w"
		vm VmRSS $cpid >>"$T/rss3c"
		rollup Private_Clean Private_Dirty $wpid >>"$T/prv3w"
		rollup Private_Clean Private_Dirty $cpid >>"$T/prv3c"
		rollup Pss $wpid >>"$T/pss3w"
		rollup Pss $cpid >>"$T/pss3c"
		if [ -n "$npid" ]; then
			vm VmRSS $npid >>"$T/rss3n"
			rollup Private_Clean Private_Dirty $npid >>"$T/prv3n"
			rollup Pss $npid >>"$T/pss3n"
		fi
	done
	local el wc cc ww cw sz mw mc hw hc f
	el=$(elapsed "$t0")
	for f in wwtp3 cd3 nr3; do cp "$T/$f.raw" "$T/$f.end"; done
	wc=$(awk -v a="$wc0" -v b="$(cpu_s $wpid)" -v e="$el" 'BEGIN { printf "%.2f", (b - a) / e * 3600 }')
	cc=$(awk -v a="$cc0" -v b="$(cpu_s $cpid)" -v e="$el" 'BEGIN { printf "%.2f", (b - a) / e * 3600 }')
	ww=$(awk -v a="$ww0" -v b="$(write_bytes $wpid)" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e * 3600 / 1048576 }')
	cw=$(awk -v a="$cw0" -v b="$(write_bytes $cpid)" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e * 3600 / 1048576 }')
	sz=$(awk -v a="$sz0" -v b="$(cat "$T"/edge3.db "$T"/edge3.db-wal 2>/dev/null | wc -c)" -v e="$el" 'BEGIN { printf "%.2f", (b - a) / e * 3600 / 1048576 }')
	mw=$(awk -v a="$m0w" -v b="$(grep -c "^wwtp/" "$T/wwtp3.raw")" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e }')
	mc=$(awk -v a="$m0c" -v b="$(grep -c "^collectd/" "$T/cd3.raw")" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e }')
	hw=$(vm VmHWM $wpid); hc=$(vm VmHWM $cpid)
	# The same for Node-RED, and readings a second for all three (messages
	# differ: ours one per device poll, the flow one per block read, collectd
	# one per value).
	local nc=- nw=- mn=- hn=- an=- rn=- pn=- sn=- vw vc vn=-
	if [ -n "$npid" ]; then
		nc=$(awk -v a="$nc0" -v b="$(cpu_s $npid)" -v e="$el" 'BEGIN { printf "%.2f", (b - a) / e * 3600 }')
		nw=$(awk -v a="$nw0" -v b="$(write_bytes $npid)" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e * 3600 / 1048576 }')
		mn=$(awk -v a="$m0n" -v b="$(grep -c "^nodered/" "$T/nr3.end")" -v e="$el" 'BEGIN { printf "%.1f", (b - a) / e }')
		hn=$(vm VmHWM $npid); an=$(vm RssAnon $npid)
		rn=$(median <"$T/rss3n"); pn=$(grep -v -- - "$T/prv3n" | median); sn=$(grep -v -- - "$T/pss3n" | median)
		vn=$(awk -v n="$(values_of "$T/nr3.end" nodered/ "$m0n" values)" -v e="$el" 'BEGIN { printf "%.1f", n / e }')
		maps_by_rss $npid 10 >"$T/maps3n"
		# Polling as configured: 8 blocks a second (the collector's plan).
		if awk -v m="$mn" 'BEGIN { exit !(m < 4) }'; then
			nr_why="polled and published only $mn messages/s of the 8 configured"
			echo "bench: Node-RED: $nr_why" >&2
		fi
	fi
	vw=$(awk -v n="$(values_of "$T/wwtp3.end" wwtp/ "$m0w" readings)" -v e="$el" 'BEGIN { printf "%.1f", n / e }')
	vc=$(awk -v n="$(values_of "$T/cd3.end" collectd/ "$m0c" -)" -v e="$el" 'BEGIN { printf "%.1f", n / e }')
	local aw ac dbsz
	aw=$(vm RssAnon $wpid); ac=$(vm RssAnon $cpid)
	dbsz=$(cat "$T"/edge3.db "$T"/edge3.db-wal 2>/dev/null | wc -c)
	local rw rc pw pc sw sc
	rw=$(median <"$T/rss3w"); rc=$(median <"$T/rss3c")
	pw=$(grep -v -- - "$T/prv3w" | median); pc=$(grep -v -- - "$T/prv3c" | median)
	sw=$(grep -v -- - "$T/pss3w" | median); sc=$(grep -v -- - "$T/pss3c" | median)
	# Where each program's resident pages are, at the end of the window.
	maps_by_rss $wpid 10 >"$T/maps3w"
	maps_by_rss $cpid 10 >"$T/maps3c"
	stop_pid $wpid
	stop_pid $cpid
	[ -n "$npid" ] && stop_pid "$npid"
	stop_pid "$SIM_PID_sim3"
	para "Station bench/maps/edge6.cfg (6 devices, 40 points, every device every 1 s) polled from the" \
		"simulator and published to one local mosquitto, for $dur s after 2 s of start-up, both programs" \
		"at the same time. wwtp-collector: the service with its durable store (--store, default" \
		"publish_ms $(store_default PUBLISH_MS) and commit_ms $(store_default COMMIT_MS): a commit per poll round, a WAL sync every commit_ms), judging every reading, QoS 1. collectd 5.12: modbus plugin (one request per point)" \
		"and mqtt plugin (QoS 1), Interval 1, same map (minus the 3 discrete inputs it cannot read)." \
		"RSS: median of one sample a second (VmRSS), peak: VmHWM. *private*: median of" \
		"Private_Clean + Private_Dirty of /proc/PID/smaps_rollup, the pages no other process maps" \
		"at that moment: its heap and stacks, and the pages of libraries no other process here maps" \
		"(RssAnon: the anonymous part of RSS only); *PSS*: median of Pss, each shared page divided by the" \
		"processes mapping it (it depends on what else runs: here mosquitto, the simulator, the shell)." \
		"The rest of RSS is pages of shared libraries that other programs can map too." \
		"CPU: user + system over the window," \
		"per hour. Disk: /proc/PID/io write_bytes over the window, per hour; store on disk: the SQLite" \
		"file and its WAL at the end. Messages: what a subscriber received a second (collector: one message per device" \
		"poll with every reading and its verdict; collectd: one message per value; Node-RED: one message per block read);" \
		"readings: the values in those messages." \
		"Node-RED: $(nodered_versions "$NODERED_DIR") (the \`node\` on PATH), headless with its" \
		"own user dir, the editor on a loopback port, running bench/nodered/edge6-flow.json: the same map" \
		"read as the collector's plan reads it (8 Modbus-Read nodes of node-red-contrib-modbus, one per" \
		"block, every 1 s, 2 TCP connections), one function node decoding each block into named values" \
		"(float32 and word order as in the station file, scales), one mqtt out node (QoS 1) to the same" \
		"broker. It is started before the other two and the window opens only once its first message" \
		"has reached the broker; its messages are counted there (no judging, no store: it does less than" \
		"the collector, about what collectd does, with a decoded JSON payload)."
	mib() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.2f\n", k / 1024 }'; }
	table_head program "RSS MiB (median)" "peak RSS MiB (VmHWM)" "private MiB (Private_Clean + Private_Dirty)" \
		"PSS MiB" "RssAnon MiB" "CPU s/hour" \
		"% of a core" "disk writes MiB/hour" "store on disk MiB (end)" "messages/s received" "readings/s received"
	table_row wwtp-collector "**$(mib "$rw")**" "$(mib "$hw")" "**$(mib "$pw")**" "$(mib "$sw")" "$(mib "$aw")" "$wc" \
		"$(awk -v c="$wc" 'BEGIN { printf "%.3f", c / 36 }')" "$ww" "$(fmt "$(awk -v b="$dbsz" 'BEGIN { print b / 1048576 }')" 2)" "$mw" "$vw"
	table_row "collectd (modbus + mqtt)" "**$(mib "$rc")**" "$(mib "$hc")" "**$(mib "$pc")**" "$(mib "$sc")" "$(mib "$ac")" "$cc" \
		"$(awk -v c="$cc" 'BEGIN { printf "%.3f", c / 36 }')" "$cw" "-" "$mc" "$vc"
	if [ -n "$npid" ]; then
		table_row "Node-RED (node-red-contrib-modbus + mqtt out)" "**$(mib "$rn")**" "$(mib "$hn")" "**$(mib "$pn")**" \
			"$(mib "$sn")" "$(mib "$an")" "$nc" "$(awk -v c="$nc" 'BEGIN { printf "%.3f", c / 36 }')" "$nw" "-" \
			"$mn${nr_why:+ (**$nr_why**)}" "$vn"
	else
		table_row "Node-RED" "not measured: $nr_why" "" "" "" "" "" "" "" "" "" ""
	fi
	table_row "ratio collector / collectd" "$(ratio "$rw" "$rc")" "$(ratio "$hw" "$hc")" "$(ratio "$pw" "$pc")" \
		"$(ratio "$sw" "$sc")" "$(ratio "$aw" "$ac")" "$(ratio "$wc" "$cc")" "" "" "" "" ""
	table_row "ratio collector / Node-RED" "$(ratio "$rw" "$rn")" "$(ratio "$hw" "$hn")" "$(ratio "$pw" "$pn")" \
		"$(ratio "$sw" "$sn")" "$(ratio "$aw" "$an")" "$(ratio "$wc" "$nc")" "" "" "" "" ""
	table_row "ratio Node-RED / collectd" "$(ratio "$rn" "$rc")" "$(ratio "$hn" "$hc")" "$(ratio "$pn" "$pc")" \
		"$(ratio "$sn" "$sc")" "$(ratio "$an" "$ac")" "$(ratio "$nc" "$cc")" "" "" "" "" ""
	echo >>"$RES"
	para "Resident memory by mapping at the end of the window (/proc/PID/smaps, summed per file;" \
		"KiB resident, of which private), the ten largest of each program:"
	{
		echo '```'
		echo "wwtp-collector"
		awk '{ printf "  %6d KiB  (private %5d)  %s\n", $1, $2, $3 }' "$T/maps3w"
		echo "collectd"
		awk '{ printf "  %6d KiB  (private %5d)  %s\n", $1, $2, $3 }' "$T/maps3c"
		if [ -n "$npid" ]; then
			echo "Node-RED (node)"
			awk '{ printf "  %6d KiB  (private %5d)  %s\n", $1, $2, $3 }' "$T/maps3n"
		fi
		echo '```'
		echo
	} >>"$RES"
	para "Libraries the collector binary asks for (readelf -d, NEEDED; the loader maps their own" \
		"dependencies too): $(readelf -d "$COLLECTOR" 2>/dev/null | awk '/\(NEEDED\)/ { gsub(/[][]/, "", $NF); printf "%s%s", (n++ ? ", " : ""), $NF }')."
	para "Store growth over a short run is mostly its WAL filling up (SQLite checkpoints it at 4 MB)," \
		"so the disk figure is write_bytes, what the card would see; messages are deleted once" \
		"acknowledged, so the database itself stays small while the broker is up."
	B3_RW=$(mib "$rw"); B3_RC=$(mib "$rc"); B3_HW=$(mib "$hw"); B3_HC=$(mib "$hc")
	B3_AW=$(mib "$aw"); B3_AC=$(mib "$ac")
	B3_PW=$(mib "$pw"); B3_PC=$(mib "$pc"); B3_SW=$(mib "$sw"); B3_SC=$(mib "$sc")
	# The collector's three largest mappings other than its own binary, for
	# the targets table: "libfoo 1234 KiB, ...".
	B3_TOPLIBS=$(grep -v -e ' wwtp-collector$' -e '\[' "$T/maps3w" | head -n 3 |
		awk '{ printf "%s%s %d KiB", (NR > 1 ? ", " : ""), $3, $1 }')
	B3_WC=$wc; B3_CC=$cc; B3_WW=$ww
	B3_RN=$(mib "$rn"); B3_PN=$(mib "$pn"); B3_NC=$nc; B3_MN=$mn; B3_NR_WHY=$nr_why
	B3_MW=$mw; B3_MC=$mc; B3_VW=$vw; B3_VC=$vc; B3_VN=$vn
	stop_pid "$MQTT_PID"
}

# ==== 4. central ingest ==========================================================
bench4() {
	section "4. Central ingest"
	make_template || return 1
	local nst=100 rounds=$((SECS * 4)) per_round
	per_round=$(grep '"readings"' "$T/tmpl.jsonl" | jq '.readings | length' | awk '{ s += $1 } END { print s }')
	local nmsg=$((nst * 6 * rounds))
	start_broker || return 1
	start_influxd
	make_stations "$T/st4" $nst
	start_central c4 "$T/st4" || return 1
	local r base exp_st exp t0 t1 c last prog lg cw iw mw cen_rate ceil_rate
	: >"$T/b4.txt"
	for ((r = 1; r <= REPS; r++)); do
		base=$(( ($(date +%s) - 86400 * (r + 1)) * 1000 ))
		exp_st=$((rounds * per_round))
		exp=$((nst * exp_st))
		# -- the ceiling: the same points as line protocol, straight to influxd
		"$BENCHBIN/loadgen" --template "$T/tmpl.jsonl" --stations $nst --count $nmsg --start-ms $base \
			--lineproto "$T/lp$r.txt" >/dev/null || return 1
		rm -rf "$T/lp$r"; mkdir -p "$T/lp$r"
		split -l 5000 -d -a 4 "$T/lp$r.txt" "$T/lp$r/b"
		curl -s -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE ceiling$r" >/dev/null
		local args=() f first=1
		for f in "$T/lp$r"/b*; do
			[ $first = 1 ] || args+=(--next)
			first=0
			args+=(-s -o /dev/null -XPOST "http://127.0.0.1:$INFLUX_PORT/write?db=ceiling$r&precision=ms" --data-binary "@$f")
		done
		t0=$(now_s)
		curl "${args[@]}"
		ceil_rate=$(awk -v n="$exp" -v e="$(elapsed "$t0")" 'BEGIN { printf "%.0f", n / e }')
		local cn
		cn=$(influx_q "ceiling$r" "SELECT count(status) FROM reading")
		# -- central: the same messages over MQTT
		cw=$(cpu_s "$CENTRAL_PID"); iw=$(cpu_s "$INFLUX_PID"); mw=$(cpu_s "$MQTT_PID")
		t0=$(now_s)
		"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations $nst \
			--count $nmsg --start-ms $base >"$T/lg4-$r.out" 2>"$T/lg4-$r.log" &
		lg=$!
		last=-1; prog=$(now_s)
		while :; do
			sleep 0.25
			c=$(influx_q wwtp "SELECT count(status) FROM reading WHERE station='bench-$(printf %03d $((nst - 1)))' AND time >= ${base}ms AND time < $((base + rounds * 1000))ms")
			[ "$c" -ge "$exp_st" ] && break
			if [ "$c" != "$last" ]; then last=$c; prog=$(now_s); fi
			if awk -v p="$(elapsed "$prog")" 'BEGIN { exit !(p > 20) }'; then
				echo "bench: central stalled at $c of $exp_st points of the last station" >&2
				break
			fi
		done
		local el
		el=$(elapsed "$t0")
		wait $lg
		cen_rate=$(awk -v n="$exp" -v e="$el" 'BEGIN { printf "%.0f", n / e }')
		cw=$(awk -v a="$cw" -v b="$(cpu_s "$CENTRAL_PID")" -v e="$el" 'BEGIN { printf "%.0f", (b - a) / e * 100 }')
		iw=$(awk -v a="$iw" -v b="$(cpu_s "$INFLUX_PID")" -v e="$el" 'BEGIN { printf "%.0f", (b - a) / e * 100 }')
		mw=$(awk -v a="$mw" -v b="$(cpu_s "$MQTT_PID")" -v e="$el" 'BEGIN { printf "%.0f", (b - a) / e * 100 }')
		sleep 1.5 # the other stations' last batch
		local got pub
		got=$(influx_q wwtp "SELECT count(status) FROM reading WHERE time >= ${base}ms AND time < $((base + rounds * 1000))ms")
		pub=$(awk '{ printf "%.0f", $4 / $10 }' "$T/lg4-$r.out")
		echo "$r $exp $ceil_rate $cn $cen_rate $got $(ratio "$cen_rate" "$ceil_rate") $cw $iw $mw $pub" >>"$T/b4.txt"
	done
	para "$nst stations (copies of edge6.cfg in the registry) publish $nmsg real telemetry messages" \
		"($exp readings; payloads from \`wwtp-collector --once --print\`, with \`eval\`) as fast as mosquitto" \
		"acknowledges them (bench/loadgen, QoS 1, 2000 in flight); wwtp-central (default batching:" \
		"batch_max_points $DEF_BATCH_PTS, batch_max_ms $DEF_BATCH_MS, gzip) writes them to influxd. *central*: readings in" \
		"InfluxDB / time from the first publish until the last station's points are all queryable." \
		"*ceiling*: the same points as line protocol (bench/loadgen --lineproto), posted with curl in" \
		"batches of 5000 lines, one connection, one request after the other, to the same influxd" \
		"(database ceilingN). *in InfluxDB*: count(status) afterwards, every reading decoded and written." \
		"CPU: % of one core during the central run (2 cores in all, shared with the load generator)."
	table_head run readings "ceiling readings/s" "ceiling in InfluxDB" "central readings/s" \
		"central in InfluxDB" "central / ceiling" "central CPU %" "influxd CPU %" "mosquitto CPU %" \
		"publish rate readings/s"
	while read -r r exp a b c d e f g h i; do table_row "$r" "$exp" "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i"; done <"$T/b4.txt"
	B4_CEIL=$(awk '{ print $3 }' "$T/b4.txt" | median)
	B4_CEN=$(awk '{ print $5 }' "$T/b4.txt" | median)
	B4_RATIO=$(awk '{ print $7 }' "$T/b4.txt" | median)
	table_row "**median**" "" "$B4_CEIL" "" "$B4_CEN" "" "**$B4_RATIO**" "" "" "" ""
	echo >>"$RES"
	# -- capacity (docs/scaling.md): stations of 10 limited parameters
	# every 60 s, from the median rate, bounded both by readings and by
	# messages (this run's messages carry per_round / 6 readings each; a
	# station's carries 10: one decode per message, one point per reading).
	local msg_rate
	msg_rate=$(awk -v r="$B4_CEN" -v p="$per_round" 'BEGIN { if (r == "-") print "-"; else printf "%.0f", r * 6 / p }')
	B4_CAP_R=$(awk -v r="$B4_CEN" 'BEGIN { if (r == "-") print "-"; else printf "%.0f", r * 60 / 10 }')
	B4_CAP_M=$(awk -v m="$msg_rate" 'BEGIN { if (m == "-") print "-"; else printf "%.0f", m * 60 }')
	B4_CAP=$(awk -v a="$B4_CAP_R" -v b="$B4_CAP_M" 'BEGIN { if (a == "-") print "-"; else print (a < b ? a : b) }')
	# The same from CPU time: what the central side (wwtp-central, influxd,
	# mosquitto) spent per reading, against this machine's cores. Other jobs
	# on the machine slow the rate down far more than they change the CPU
	# time a reading costs.
	B4_US=$(awk '$5 > 0 { printf "%.1f\n", ($8 + $9 + $10) * 1e4 / $5 }' "$T/b4.txt" | median)
	B4_CAP_CPU=$(awk -v u="$B4_US" -v n="$(nproc)" 'BEGIN { if (u == "-" || u <= 0) print "-"; else printf "%.0f", n * 1e6 / u * 60 / 10 }')
	para "Capacity (docs/scaling.md): a station of 10 limited parameters every 60 s sends one message" \
		"of 10 readings a minute, 1/6 reading a second. At the median rate of this run ($B4_CEN" \
		"readings/s, $msg_rate messages/s of $(awk -v p="$per_round" 'BEGIN { printf "%.1f", p / 6 }') readings) one wwtp-central with its influxd on this" \
		"machine takes **$B4_CAP_R stations** counted by readings, $B4_CAP_M counted by messages;" \
		"the smaller, **$B4_CAP**, is the figure. It is a flood rate with every core busy, so a fleet" \
		"of that size leaves nothing for catching up after an outage (a fleet at a fraction f of it" \
		"replays an outage of D in D × f / (1 − f)); and it counts ingest only: the monitor's" \
		"per-station read-back (one InfluxDB query per station with new data every refresh_s) and" \
		"InfluxDB's series count are not loaded by this benchmark (docs/scaling.md)." \
		"By CPU time instead: the central side (wwtp-central, influxd and mosquitto, CPU columns" \
		"above) spent a median $B4_US µs of CPU per reading; $(nproc) cores given to them alone would" \
		"take $(awk -v u="$B4_US" -v n="$(nproc)" 'BEGIN { if (u == "-" || u <= 0) print "-"; else printf "%.0f", n * 1e6 / u }') readings/s," \
		"**$B4_CAP_CPU stations** (an estimate: it assumes the cost per reading stays the same when" \
		"they have the cores to themselves, and leaves the load generator out, as stations are elsewhere)."
	# -- where its threads are: stacks sampled with gdb during one more
	# (untimed, longer) flood. Each thread is shown by its innermost frame
	# and the project's functions above it: a thread in poll/futex/recv is
	# waiting, one in curl_easy_perform waits for InfluxDB.
	if command -v gdb >/dev/null; then
		local sb=$(( ($(date +%s) - 86400 * 20) * 1000 )) s=0
		"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations $nst \
			--count $((nmsg * 4)) --start-ms $sb >/dev/null 2>&1 &
		lg=$!
		sleep 1
		: >"$T/stacks.txt"
		while [ $s -lt 10 ] && kill -0 $lg 2>/dev/null; do
			s=$((s + 1))
			gdb -batch -ex "thread apply all bt 16" -p "$CENTRAL_PID" 2>/dev/null |
				awk '
				function flush() { if (top != "") print top (ours != "" ? " < " ours : "") }
				/^Thread / { flush(); top = ""; ours = ""; n = 0; next }
				/^#[0-9]+ / {
					f = ""
					for (i = 2; i <= NF; i++) if ($i == "in") { f = $(i + 1); break }
					if (f == "" && $1 == "#0") f = $2
					if ($1 == "#0") top = f
					else if (f ~ /^(wwtp_|on_message|monitor_|writer_|sub_)/ && n < 2) { ours = ours (n ? " < " : "") f; n++ }
				}
				END { flush() }' >>"$T/stacks.txt"
			sleep 0.2
		done
		wait $lg
		para "Thread states of wwtp-central during an untimed flood (gdb, $s samples of all its threads;" \
			"each: innermost frame < the project's first two functions above it), most frequent first:"
		{ echo '```'; sort "$T/stacks.txt" | uniq -c | sort -rn | head -n 12; echo '```'; echo; } >>"$RES"
	fi
	stop_pid "$CENTRAL_PID"
	local rej
	rej=$(grep -oE 'rejected [0-9]+' "$T/c4.log" | tail -n1)
	para "wwtp-central's own count at exit: ${rej:-"(no stats line)"}."

	# -- where the time goes: callgrind on a small run
	if [ "${BENCH_PROFILE:-1}" = 1 ] && command -v valgrind >/dev/null; then
		make_stations "$T/st4p" 20
		# Start-up (loading the registry) is not counted: collection is
		# switched on once it has subscribed.
		CENTRAL_WRAP="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$T/cg.out" CENTRAL_WAIT=120 \
			start_central c4p "$T/st4p" || return 1
		# vgdb (under callgrind_control) now and then does not reach the
		# process at the first try: retried, and its word kept for the table.
		local k
		for k in 1 2 3 4 5; do
			callgrind_control -i on "$CENTRAL_PID" >"$T/cgctl.log" 2>&1 && break
			sleep 1
		done
		local pbase=$(( ($(date +%s) - 86400 * 10) * 1000 ))
		"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations 20 \
			--count 600 --start-ms $pbase >/dev/null 2>&1
		wait_for "[ \"\$(influx_q wwtp \"SELECT count(status) FROM reading WHERE time >= ${pbase}ms AND time < $((pbase + 10000))ms\")\" -ge $((600 / 6 * per_round)) ]" 90 || true
		# Under valgrind the exit (writing the profile) may take longer than
		# stop_pid's 10 s before its KILL, which would leave no profile.
		kill -TERM "$CENTRAL_PID" 2>/dev/null
		wait_for "! kill -0 $CENTRAL_PID 2>/dev/null" 60 || true
		stop_pid "$CENTRAL_PID"
		if [ -s "$T/cg.out" ]; then
			callgrind_annotate --inclusive=no "$T/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -n 12 >"$T/cg-self.txt"
			callgrind_annotate --inclusive=yes "$T/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -n 25 >"$T/cg-incl.txt"
			para "Profile: wwtp-central under \`valgrind --tool=callgrind\`, collecting from its subscription on, while 600 messages (20 stations) go" \
				"through it; instructions by function, self (top 12) and inclusive (top 25):"
			if [ -s "$T/cg-self.txt" ]; then
				{ echo '```'; cut -c1-160 "$T/cg-self.txt"; echo; cut -c1-160 "$T/cg-incl.txt"; echo '```'; echo; } >>"$RES"
			else
				para "**The profile came out empty** (callgrind_control: $(tail -n 1 "$T/cgctl.log" | cut -c1-120))."
			fi
		fi
	fi
	stop_pid "$INFLUX_PID"
	stop_pid "$MQTT_PID"
	unset INFLUX_PORT
	rm -rf "$T/influx"
}

# ==== 5. latency =================================================================
# probe_latency SECONDS OUT WHERE EXPECT TAIL_MS: polls InfluxDB every 100 ms
# for the readings matching WHERE (InfluxQL) with a ts from the prober's start
# on; each reading seen for the first time whose ts falls in the next SECONDS
# gives one latency, (end of that query) - (its ts), in ms. After the window
# it goes on until EXPECT readings of the window were seen or TAIL_MS have
# passed, so that a late reading is counted, not dropped. Writes to OUT.n
# how many readings of the window InfluxDB holds at the end: when that is
# more than the samples, some came later than the tail.
probe_latency() {
	local secs=$1 out=$2 where=$3 expect=$4 tail=$5 end now from
	: >"$out"
	: >"$T/seen"
	# Only readings polled after the prober started: older ones may have
	# been in InfluxDB before its first query.
	from=$(date +%s%3N)
	end=$((from + secs * 1000))
	while now=$(date +%s%3N); [ "$now" -lt "$end" ] ||
		{ [ "$(grep -c '' "$out")" -lt "$expect" ] && [ "$now" -lt $((end + tail)) ]; }; do
		curl -s -G "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "db=wwtp" \
			--data-urlencode "epoch=ms" \
			--data-urlencode "q=SELECT status, station, param FROM reading WHERE $where AND time >= ${from}ms" \
			>"$T/probe.json"
		now=$(date +%s%3N)
		jq -r '.results[0].series[0].values[]? | "\(.[0]) \(.[2]) \(.[3])"' "$T/probe.json" 2>/dev/null |
			awk -v now="$now" -v from="$from" -v end="$end" -v seen="$T/seen" -v out="$out" '
				BEGIN { while ((getline l < seen) > 0) s[l] = 1 }
				$1 >= from && $1 < end && !($0 in s) { print $0 >> seen; print now - $1 >> out }'
		sleep 0.1
	done
	influx_q wwtp "SELECT count(status) FROM reading WHERE $where AND time >= ${from}ms AND time < ${end}ms" >"$out.n"
}

# lat_row OUT: "samples of N|median|p99|max" of a probe_latency run.
lat_row() {
	local n
	n=$(grep -c '' "$1")
	echo "$n of $(cat "$1.n")|$(median <"$1")|$(pct 99 <"$1")|$(sort -g "$1" | tail -n1 | grep . || echo -)"
}

bench5() {
	section "5. Latency"
	make_template || return 1
	start_broker || return 1
	start_influxd
	make_stations "$T/st5" 180
	# The station of the rows through a real collector: edge6 as bench-col.
	sed 's/id = "bench-edge";/id = "bench-col";/' bench/maps/edge6.cfg >"$T/st5/bench-col.cfg"
	start_central c5 "$T/st5" || return 1
	local n lg secs=$((SECS * 2)) rows=() r
	# -- rows 1 and 2: ts stamped by the load generator when it publishes.
	for n in 18 180; do
		"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations $n \
			--interval-ms 1000 --seconds $((secs + 40)) >"$T/lg5-$n.out" 2>"$T/lg5-$n.log" &
		lg=$!
		track $lg
		sleep 2 # warm-up: the first batches are not counted
		probe_latency "$secs" "$T/lat5-$n.txt" "param = 'cod' AND station =~ /^bench-00[0-9]\$/" $((10 * secs)) 30000
		stop_pid $lg
		rows+=("load generator (ts = its publish time)|$n|$((n * PER_ROUND))|-|$(lat_row "$T/lat5-$n.txt")|-")
		sleep 2
	done
	# -- rows 3 to 5: a real wwtp-collector polling the simulator (ts = its
	# poll time), with its store at the default commit_ms, at 1000 ms, and
	# without a store, while the normal fleet (18 stations) publishes too.
	start_sim_maps sim5 bench/maps/edge6.cfg || return 1
	local ports remap=() i
	ports=($(ports_of bench/maps/edge6.cfg))
	for i in "${!ports[@]}"; do remap+=("${ports[$i]}:$((ports[i] + SIM_OFF))"); done
	remap_ports bench/maps/edge6.cfg "$T/col5.cfg" "${remap[@]}"
	sed -i -E "s#uri = \"tcp://127.0.0.1:1883\";#uri = \"tcp://127.0.0.1:$MQTT_PORT\";#; s/id = \"bench-edge\";/id = \"bench-col\";/" "$T/col5.cfg"
	local cm wpid w0 t0 eff disk args label tail
	for cm in default 1000 none; do
		cp "$T/col5.cfg" "$T/col5-$cm.cfg"
		rm -f "$T/col5-$cm.db"*
		args=(--store "$T/col5-$cm.db")
		case $cm in
		default) label="collector, store at the default commit_ms" ;;
		none) label="collector without a store (messages in memory only)"; args=() ;;
		*) label="collector, store at commit_ms = $cm"; echo "store = { commit_ms = $cm; };" >>"$T/col5-$cm.cfg" ;;
		esac
		"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations 18 \
			--interval-ms 1000 --seconds $((secs + 60)) >"$T/lg5-$cm.out" 2>"$T/lg5-$cm.log" &
		lg=$!
		track $lg
		"$COLLECTOR" -c "$T/col5-$cm.cfg" "${args[@]}" --clock synced --profiles config/profiles \
			--limits-dir config/limits --log-level info >"$T/col5-$cm.out" 2>"$T/col5-$cm.log" &
		wpid=$!
		track $wpid
		sleep 2 # warm-up
		# The commit and sync intervals the collector says it uses ("-":
		# no store): a message waits for its commit, not for the sync.
		eff=$(grep -oE 'commits every [0-9]+ ms' "$T/col5-$cm.log" | grep -oE '[0-9]+' | head -n1)
		syn=$(grep -oE 'synced every [0-9]+ ms' "$T/col5-$cm.log" | grep -oE '[0-9]+' | head -n1)
		[ "$cm" = none ] && eff=- && syn=-
		w0=$(write_bytes $wpid)
		t0=$(now_s)
		# A reading may wait commit_ms for its commit, then batch_max_ms in
		# central's batch: the tail covers both and some.
		tail=$(( ${eff/-/0} + DEF_BATCH_MS + 5000 ))
		probe_latency "$secs" "$T/lat5-$cm.txt" "station = 'bench-col'" 999999999 $tail
		disk=$(awk -v a="$w0" -v b="$(write_bytes $wpid)" -v e="$(elapsed "$t0")" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (b - a) / e * 3600 / 1048576 }')
		stop_pid $wpid
		stop_pid $lg
		rows+=("$label|1 + 18|$((PER_ROUND * 19))|${eff:-?} / ${syn:-?}|$(lat_row "$T/lat5-$cm.txt")|$disk")
		sleep 1
	done
	stop_pid "$SIM_PID_sim5"
	stop_pid "$CENTRAL_PID"
	stop_pid "$INFLUX_PID"
	stop_pid "$MQTT_PID"
	unset INFLUX_PORT
	rm -rf "$T/influx"
	para "From the poll time (the payload's ts) to the reading being returned by InfluxDB's query API," \
		"through mosquitto and wwtp-central at its default batching (the configuration the benchmark" \
		"writes sets neither key: a batch is sent when it holds $DEF_BATCH_PTS points or is" \
		"$DEF_BATCH_MS ms old, the defaults of central/config/config.c). Stations publish every device" \
		"(6 messages, 40 readings) once a second; the normal fleet is 18 such stations, then ten times it." \
		"**Rows 1 and 2 do not go through a collector**: bench/loadgen stamps ts when it publishes, so" \
		"they measure broker + wwtp-central + InfluxDB only, not a collector's poll, store or commit." \
		"Rows 3 to 5 do: a real wwtp-collector polls the simulator (bench/maps/edge6.cfg as station" \
		"bench-col, every device every second, ts = its poll time) and publishes to the same broker" \
		"while the 18 stations of the normal fleet publish too. Its store commits a batch of messages" \
		"at most publish_ms (200 ms by default) after the first was stored, without a sync, and" \
		"publishes them then; it syncs the WAL at most commit_ms after a commit's first message (the" \
		"power-cut window, docs/reliability.md): *commit / sync ms* are what the collector logged at" \
		"start; *disk*: its write_bytes over the window, per hour (the SD card's wear)." \
		"A prober queries InfluxDB every 100 ms (plus the query's own time): the cod readings of 10" \
		"stations in rows 1 and 2, all 40 readings of bench-col in rows 3 to 5 (one message per device" \
		"poll: the readings of one message arrive together). A latency is counted when a reading is" \
		"first seen, so each figure is an upper bound, about 100 ms coarse; *samples*: readings seen" \
		"of those polled in the window that InfluxDB holds at the end. $secs s after 2 s of warm-up."
	table_head "ts from" stations "readings/s" "commit / sync ms" samples "median ms" "p99 ms" "max ms" \
		"collector disk MiB/hour"
	for r in "${rows[@]}"; do
		IFS='|' read -r a b c d e f g h k <<<"$r"
		table_row "$a" "$b" "$c" "$d" "$e" "$f" "**$g**" "$h" "$k"
	done
	echo >>"$RES"
	IFS='|' read -r _ _ _ _ _ B5_MED1 B5_P991 _ _ <<<"${rows[0]}"
	IFS='|' read -r _ _ _ _ _ B5_MED10 B5_P9910 _ _ <<<"${rows[1]}"
	B5_COL=("${rows[@]:2}")
}

# ==== 6. replay ==================================================================
# replay_run RATE: one replay of a HOURS-long backlog, on fresh servers, with
# the station file's store group as shipped (RATE "default": no replay_rate
# key) or with replay_rate = RATE. Appends a row to $T/b6.txt.
replay_run() {
	local rate=$1 hours=${BENCH_REPLAY_HOURS:-24}
	local nmsg=$((hours * 3600))
	start_broker || return 1
	start_influxd
	make_stations "$T/st6" 18
	cp bench/maps/replay1.cfg "$T/st6/bench-replay.cfg"
	start_central c6 "$T/st6" || return 1
	start_sim_maps sim6 bench/maps/replay1.cfg || return 1
	local ports remap=() i
	ports=($(ports_of bench/maps/replay1.cfg))
	for i in "${!ports[@]}"; do remap+=("${ports[$i]}:$((ports[i] + SIM_OFF))"); done
	remap_ports bench/maps/replay1.cfg "$T/replay6.cfg" "${remap[@]}"
	sed -i -E "s#uri = \"tcp://127.0.0.1:1883\";#uri = \"tcp://127.0.0.1:$MQTT_PORT\";#" "$T/replay6.cfg"
	[ "$rate" = default ] || echo "store = { replay_rate = $rate; };" >>"$T/replay6.cfg"
	# The backlog: what the store holds after the outage (bench/mkbacklog).
	rm -f "$T/replay6.db"*
	grep '"device":"outlet-analyzer"' "$T/tmpl.jsonl" >"$T/tmpl6.jsonl"
	"$BENCHBIN/mkbacklog" --store "$T/replay6.db" --template "$T/tmpl6.jsonl" --station bench-replay \
		--count $nmsg >"$T/mk6.out" || return 1
	local per_msg
	per_msg=$(jq '.readings | length' "$T/tmpl6.jsonl")
	local start_ms=$(($(date +%s%3N) - 500))
	# Live readings of the rest of the fleet go on meanwhile.
	"$BENCHBIN/loadgen" --uri "tcp://127.0.0.1:$MQTT_PORT" --template "$T/tmpl.jsonl" --stations 18 \
		--interval-ms 1000 --seconds 900 >"$T/lg6.out" 2>"$T/lg6.log" &
	local lg=$!
	track $lg
	local t0 wpid
	t0=$(now_s)
	"$COLLECTOR" -c "$T/replay6.cfg" --store "$T/replay6.db" --clock synced --profiles config/profiles \
		--limits-dir config/limits --log-level info >"$T/col6-$rate.out" 2>"$T/col6-$rate.log" &
	wpid=$!
	track $wpid
	local c last=-1 prog t_done="-"
	prog=$(now_s)
	while :; do
		sleep 1
		c=$(influx_q wwtp "SELECT count(status) FROM reading WHERE station = 'bench-replay' AND time < ${start_ms}ms")
		if [ "$c" -ge $((nmsg * per_msg)) ]; then t_done=$(fmt "$(elapsed "$t0")" 1); break; fi
		if [ "$c" != "$last" ]; then last=$c; prog=$(now_s); fi
		if awk -v p="$(elapsed "$prog")" 'BEGIN { exit !(p > 30) }'; then
			echo "bench: the replay stalled at $c of $((nmsg * per_msg)) readings" >&2
			break
		fi
		if awk -v p="$(elapsed "$t0")" 'BEGIN { exit !(p > 900) }'; then break; fi
	done
	local el live_exp live_got fleet_got now_ms
	el=$(elapsed "$t0")
	sleep 2
	now_ms=$(date +%s%3N)
	live_got=$(influx_q wwtp "SELECT count(status) FROM reading WHERE station = 'bench-replay' AND time >= ${start_ms}ms")
	live_exp=$(awk -v e="$el" -v p="$per_msg" 'BEGIN { printf "%d", e * p }')
	fleet_got=$(influx_q wwtp "SELECT count(status) FROM reading WHERE station =~ /^bench-0/ AND time >= ${start_ms}ms AND time < $((now_ms - 3000))ms")
	local fleet_exp
	fleet_exp=$(awk -v a="$start_ms" -v b="$((now_ms - 3000))" -v r="$PER_ROUND" 'BEGIN { printf "%d", (b - a) / 1000 * 18 * r }')
	# The rate the collector says it replays at (its start-up log line).
	local eff
	eff=$(grep -oE 'backlog at [0-9]+/s' "$T/col6-$rate.log" | grep -oE '[0-9]+' | head -n1)
	stop_pid $lg
	stop_pid $wpid
	stop_pid "$CENTRAL_PID"
	stop_pid "$SIM_PID_sim6"
	stop_pid "$INFLUX_PID"
	stop_pid "$MQTT_PID"
	unset INFLUX_PORT
	rm -rf "$T/influx"
	local rps
	rps=$(awk -v t="$t_done" -v n="$nmsg" 'BEGIN { if (t == "-") print "-"; else printf "%.0f", n / t }')
	# by construction: the backlog at the logged rate, in seconds
	local floor
	floor=$(awk -v n="$nmsg" -v r="${eff:-0}" 'BEGIN { if (r > 0) printf "%.0f", n / r; else print "-" }')
	echo "$rate|$nmsg|$((nmsg * per_msg))|${eff:-?}|$t_done|$rps|$floor|$live_got of ~$live_exp|$fleet_got of ~$fleet_exp" >>"$T/b6.txt"
}

bench6() {
	section "6. Replay after a 24-hour outage"
	make_template || return 1
	local hours=${BENCH_REPLAY_HOURS:-24} hi=${BENCH_REPLAY_RATE:-10000}
	: >"$T/b6.txt"
	replay_run default || return 1
	if [ "$hi" != 0 ]; then replay_run "$hi" || return 1; fi
	para "A station polling one analyzer (5 points) every second (bench/maps/replay1.cfg) comes back" \
		"after $hours h without its broker: its store holds $((hours * 3600)) messages, one a second" \
		"with ts over the past $hours h. They were put there by bench/mkbacklog with the collector's own" \
		"store module and real payloads of that device (running a collector for $hours h would give the" \
		"same rows; the readings are equal to each other, which costs nothing here). Then the collector" \
		"starts on that store, polling live meanwhile, while 18 other stations publish live every second;" \
		"wwtp-central (default batching) writes to influxd; each row on fresh servers." \
		"**Row 1 is the station file as shipped: no replay_rate key, the collector's default** (the" \
		"target is judged on it); row 2 sets store.replay_rate = $hi to show what the rest of the" \
		"path can take (not a default; \`BENCH_REPLAY_RATE=0\` leaves it out). *replay_rate*: what the" \
		"collector logged at start; *by construction*: backlog / replay_rate, the least the rate" \
		"allows; *replayed*: from the collector's start until every backlog reading is queryable."
	table_head "station file" "backlog messages" "backlog readings" "replay_rate (logged)" \
		"time to replay s" "messages/s" "by construction s" \
		"live readings of the station in InfluxDB" "live fleet readings in InfluxDB"
	local a b c d e f g h k lab
	while IFS='|' read -r a b c d e f g h k; do
		if [ "$a" = default ]; then lab="as shipped (default replay_rate)"; else lab="replay_rate = $a (not the default)"; fi
		table_row "$lab" "$b" "$c" "$d" "**$e**" "$f" "$g" "$h" "$k"
	done <"$T/b6.txt"
	echo >>"$RES"
	IFS='|' read -r _ _ _ B6_DEFRATE B6_T B6_RATE _ _ _ < <(grep '^default|' "$T/b6.txt")
	if [ "$hi" != 0 ]; then
		IFS='|' read -r B6_R2 _ _ _ B6_T2 B6_RATE2 _ _ _ < <(grep "^$hi|" "$T/b6.txt")
	fi
}

# ==== 7. reports =================================================================
bench7() {
	section "7. Monthly reports"
	local why=""
	if ! "$CENTRAL" report --help >"$T/rep-help.txt" 2>&1 || ! grep -q -- '--month' "$T/rep-help.txt"; then
		why="\`wwtp-central report\` is not in this build ($(head -n1 "$T/rep-help.txt" | cut -c1-80)); issue 6 adds it"
	fi
	if [ -n "$why" ]; then
		table_head stations "month" "readings" "time to produce s"
		table_row 18 - - "not available: $why"
		echo >>"$RES"
		B7="not available"
		return 0
	fi
	make_template || return 1
	start_influxd
	make_stations "$T/st7" 18
	# A month of readings of 18 stations (edge6 copies), written as
	# line protocol straight to influxd: one reading of every point every
	# STEP, for October 2026 in Hanoi time (2026-09-30T17:00Z + 31 days).
	local step=${BENCH_REPORT_STEP_S:-3600}
	[ -n "${LONG:-}" ] && [ "${LONG:-0}" != 0 ] && step=${BENCH_REPORT_STEP_S:-300}
	local rounds=$((31 * 86400 / step)) start=1790787600000
	curl -s -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE wwtp" >/dev/null
	"$BENCHBIN/loadgen" --template "$T/tmpl.jsonl" --stations 18 --count $((18 * 6 * rounds)) \
		--start-ms $start --step-ms $((step * 1000)) --lineproto "$T/lp7.txt" >/dev/null || return 1
	rm -rf "$T/lp7"; mkdir -p "$T/lp7"
	split -l 5000 -d -a 5 "$T/lp7.txt" "$T/lp7/b"
	local args=() f first=1
	for f in "$T/lp7"/b*; do
		[ $first = 1 ] || args+=(--next)
		first=0
		args+=(-s -o /dev/null -XPOST "http://127.0.0.1:$INFLUX_PORT/write?db=wwtp&precision=ms" --data-binary "@$f")
	done
	curl "${args[@]}"
	local lines
	lines=$(grep -c '' "$T/lp7.txt")
	rm -rf "$T/lp7" "$T/lp7.txt"
	cat >"$T/c7.cfg" <<EOF
stations_dir = "$T/st7";
profiles_dir = "config/profiles";
mqtt = { uri = "tcp://127.0.0.1:1"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; spool_dir = "$T/c7-spool"; };
EOF
	local r t0 el rc
	: >"$T/b7.txt"
	for ((r = 1; r <= REPS; r++)); do
		rm -rf "$T/rep$r"
		t0=$(now_s)
		"$CENTRAL" report -c "$T/c7.cfg" --month 2026-10 --out "$T/rep$r" --no-pdf >"$T/rep$r.out" 2>"$T/rep$r.log"
		rc=$?
		el=$(elapsed "$t0")
		echo "$el $rc $(ls "$T/rep$r" 2>/dev/null | wc -l)" >>"$T/b7.txt"
	done
	stop_pid "$INFLUX_PID"
	unset INFLUX_PORT
	rm -rf "$T/influx"
	para "\`wwtp-central report -c FILE --month 2026-10 --out DIR --no-pdf\` for 18 stations (copies of" \
		"edge6.cfg, 40 points each) with one reading of every point every $step s over the month" \
		"($lines readings, written straight to influxd beforehand). Wall time of the command, $REPS runs."
	table_head run "time s" "exit status" "files written"
	local a b c
	r=0
	while read -r a b c; do r=$((r + 1)); table_row "$r" "$a" "$b" "$c"; done <"$T/b7.txt"
	B7=$(awk '{ print $1 }' "$T/b7.txt" | median)
	table_row "**median**" "**$B7**" "" ""
	echo >>"$RES"
}

# ==== the targets of issue 8, against this run's figures ========================
summary() {
	section "Targets"
	para "Each target of the issue against this run's figures; where one is missed, why, and what would" \
		"fix it (bench/README.md has the longer story)."
	table_head target "this run" verdict "why / what would fix it"
	local v
	if want 1; then
		v=missed; [ "${B1_EQ%% of *}" != - ] && [ "${B1_EQ%% of *}" = "${B1_EQ##* of }" ] && v=met
		table_row "requests per poll equal to the protocol minimum" \
			"plan = minimum for $B1_EQ maps (edge6: $B1_E_OURS requests, per point $B1_E_PP, collectd $B1_E_CD; scattered: $B1_SC_OURS / $B1_SC_PP / $B1_SC_CD)" \
			"$v" "the minimum under each device's max_gap and max_regs; *min125* (any gap read through) is lower where a map forbids reading long gaps, by choice: unmapped registers may answer with an exception on real devices"
	fi
	if want 3; then
		local rv cv r8 rcd why
		r8=$(awk -v a="$B3_RW" 'BEGIN { print (a != "-" && a < 8) ? "met" : "missed" }')
		# Issue 21: RSS under 8 MiB, private memory at most twice collectd's.
		rcd=$(awk -v a="$B3_PW" -v b="$B3_PC" 'BEGIN { print (a != "-" && b != "-" && a <= 2 * b) ? "met" : "missed" }')
		rv="RSS under 8 MiB: $r8; private at most twice collectd's: $rcd"
		cv=$(awk -v a="$B3_WC" -v b="$B3_CC" 'BEGIN { print (a <= b) ? "met" : "missed" }')
		why="of the collector's RSS, $B3_PW MiB is private (collectd: $B3_PC MiB): its heap, and the pages of libraries no other process here maps; the rest is pages of libraries other processes map too (libc, libcrypto); its largest mappings besides its own binary: $B3_TOPLIBS (section 3, with each one's private part)."
		if [ "$r8" = missed ] || [ "$rcd" = missed ]; then
			why="$why It maps no TLS, curl or FTP code on a tcp:// broker without a tt10 group (Paho's plain library is loaded by the broker URI; the TT10 uploads run in wwtp-tt10-upload, started only when the group names servers); what is left private is mostly its heap (section 3's [heap] line): SQLite's connection (its page cache bounded to 256 KiB), the poll plan, the evaluator's windows and Paho's buffers. collectd's smaller private memory also reflects doing less: no store, no judging"
		fi
		table_row "collector RSS under 8 MiB, private memory at most twice collectd's" \
			"RSS $B3_RW MiB vs $B3_RC MiB (private, Private_Clean + Private_Dirty: $B3_PW vs $B3_PC MiB; PSS $B3_SW vs $B3_SC MiB)" "$rv" "$why"
		table_row "collector CPU time no more than collectd's" "$B3_WC vs $B3_CC CPU s/hour" "$cv" \
			"the collector also commits every message to SQLite (a commit per poll round, a WAL sync every commit_ms), judges every reading and publishes one message per device with its verdict"
		if [ "$B3_RN" != - ]; then
			table_row "Node-RED beside them (no target figure)" \
				"Node-RED with node-red-contrib-modbus, same map and broker, $B3_MN messages/s: RSS $B3_RN MiB (collector $B3_RW: ratio $(ratio "$B3_RW" "$B3_RN")), private $B3_PN MiB (collector $B3_PW: ratio $(ratio "$B3_PW" "$B3_PN")), CPU $B3_NC s/hour (collector $B3_WC: ratio $(ratio "$B3_WC" "$B3_NC"))" \
				"-" "what Pi users install for Modbus to MQTT; it does not judge or store${B3_NR_WHY:+; **$B3_NR_WHY**}"
		else
			table_row "Node-RED beside them (no target figure)" "not measured: $B3_NR_WHY" "-" "bench/nodered/install.sh (make bench) installs it from the npm registry"
		fi
	fi
	if want 4; then
		v=$(awk -v r="$B4_RATIO" 'BEGIN { print (r != "-" && r >= 0.8) ? "met" : "missed" }')
		table_row "central ingest at least 80% of InfluxDB's write ceiling" \
			"$B4_CEN vs $B4_CEIL readings/s, ratio $B4_RATIO" "$v" \
			"the central run shares this machine's 2 cores between the load generator, mosquitto, wwtp-central and influxd (CPU columns of section 4), the ceiling run only curl and influxd, so the ratio sets the whole MQTT path against a bare write; when the load generator publishes at less than 0.8 of the ceiling (last column of section 4), no central can reach it. Where wwtp-central's instructions go: the callgrind profile of section 4 (jansson parsing what is stored, the \`eval\` members being cut before it; line-protocol encoding; the flags monitor's hourly summaries on their own thread); thread states show whether its writer or MQTT thread is saturated (a second write in flight helps only once the writer is). Would fix: a broker and load generator not sharing central's cores (not tried here), a flags monitor that does not recompute its hourly summaries while data pours in (the largest consumer in the profile), a decoder without jansson"
		table_row "stations one central holds (10 limited parameters every 60 s; no target figure)" \
			"$B4_CAP stations ($B4_CAP_R by readings, $B4_CAP_M by messages) at the median ingest rate; $B4_CAP_CPU by CPU time ($B4_US µs of the central side's CPU per reading, $(nproc) cores)" "-" \
			"ingest only, at a flood with no headroom for catching up; the monitor's per-station read-back and InfluxDB's series are not loaded here (docs/scaling.md)"
	fi
	if want 5; then
		local vc vs lab eff disk c_med c_p99 s_med s_p99 n_p99 r cm1=- cm1_p99=- cm1_disk=- def_disk=- DEF_SEEN=""
		v=$(awk -v p="$B5_P991" 'BEGIN { print (p != "-" && p < 1000) ? "met" : "missed" }')
		for r in "${B5_COL[@]}"; do
			IFS='|' read -r lab _ _ eff _ c_med c_p99 _ disk <<<"$r"
			case $lab in
			*"default commit_ms"*) s_med=$c_med; s_p99=$c_p99; def_disk=$disk; DEF_SEEN=$eff ;;
			*"without a store"*) n_p99=$c_p99 ;;
			*) cm1=$eff; cm1_p99=$c_p99; cm1_disk=$disk ;;
			esac
		done
		vs=$(awk -v p="${s_p99:--}" 'BEGIN { print (p != "-" && p < 1000) ? "met" : "missed" }')
		vc=$(awk -v p="${n_p99:--}" 'BEGIN { print (p != "-" && p < 1000) ? "met" : "missed" }')
		table_row "p99 latency under 1 s at normal load" \
			"broker + central + InfluxDB (ts stamped by the load generator, batch_max_ms $DEF_BATCH_MS): median $B5_MED1 ms, p99 $B5_P991 ms (ten times the load: $B5_MED10 / $B5_P9910 ms). From a real collector's poll: store at its defaults (commit / sync ms ${DEF_SEEN:-$DEF_PUBLISH_MS / $DEF_COMMIT_MS}): median ${s_med:--}, p99 ${s_p99:--} ms ($def_disk MiB/hour written); commit_ms 1000 (commit / sync ms $cm1): p99 $cm1_p99 ms ($cm1_disk MiB/hour); no store: p99 ${n_p99:--} ms" \
			"central side: $v; from a poll, store at its default commit_ms: $vs; collector without a store: $vc" \
			"a reading waits in central's open batch up to batch_max_ms ($DEF_BATCH_MS ms by default), then for its request. On a station with a store (what a deployment turns on) it first waits for its commit: up to publish_ms ($DEF_PUBLISH_MS ms by default) after the poll, written to the WAL but not synced (a killed process loses nothing committed); the WAL is synced every commit_ms ($DEF_COMMIT_MS ms), the power-cut window (docs/reliability.md). On this machine's 2 shared cores the central side alone takes most of the second when other jobs run (row 1)"
	fi
	if want 6; then
		v=$(awk -v t="$B6_T" 'BEGIN { print (t != "-" && t < 300) ? "met" : "missed" }')
		local hi=""
		[ "$B6_T2" != - ] && hi="; at replay_rate $B6_R2 (not the default): $B6_T2 s ($B6_RATE2 messages/s)"
		why="the collector sends its backlog at replay_rate messages a second whatever the rest can do: 86400 messages take at least 86400 / replay_rate s; the row at a higher rate shows what broker, central and InfluxDB take meanwhile"
		[ "$v" = missed ] && why="$why. Would fix: a higher default replay_rate, up to what the higher-rate row shows the path can take"
		why="$why; a station with several devices polled every second has as many messages a second in its backlog, so its replay takes that many times longer at the same rate"
		table_row "24-hour backlog replayed in under 5 minutes" \
			"as shipped (default replay_rate $B6_DEFRATE/s): $B6_T s ($B6_RATE messages/s), live readings flowing meanwhile$hi" \
			"$v with the default" "$why"
	fi
	if want 7; then
		table_row "monthly summary for 18 stations (no target figure)" "$B7 s" "-" "see section 7"
	fi
	echo >>"$RES"
}

for n in 1 2 3 4 5 6 7; do
	if want $n; then
		if ! "bench$n"; then
			echo "bench: benchmark $n failed; its table is incomplete" >&2
			para "**Benchmark $n did not complete** (see the run's log)."
		fi
		para "Load average after benchmark $n: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores; other jobs on the machine count too)."
		show_new
	fi
done
summary
show_new

cp "$RES" "$OUTFILE"
echo
echo "bench: results written to $OUTFILE"
