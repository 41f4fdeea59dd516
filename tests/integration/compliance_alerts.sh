#!/usr/bin/env bash
# suite: sanitizer pass only
# Compliance at the edge, end to end. For every shipped station, --limits
# prints a table that matches QCVN 40:2011 column B with the no-data Kq and
# the Kf of its design flow. Then a test station served by the simulator,
# driven through its control port, and the collector publishing to a real
# mosquitto: a COD exceedance, an instrument fault and a lost device each
# give exactly one alert raised and one cleared (same id) on
# <prefix>/<station>/alert, and the telemetry carries the limits and
# averages the collector judged with.
. "$(dirname "$0")/../lib/common.sh"

# ---- --limits for the shipped stations ----

# limits_ok FILE: the effective table agrees with itself and with the
# regulation. Prints what is wrong (nothing when all is well).
limits_ok() {
	local f=$1 out kq kf
	if ! out=$("$COLLECTOR" --limits -c "$f" --profiles config/profiles 2>&1); then
		echo "exit status $?: $(tail -n 3 <<<"$out")"
		return
	fi
	kq=$(sed -n 's/^Kq = \([0-9.]*\):.*/\1/p' <<<"$out")
	kf=$(sed -n 's/^Kf = \([0-9.]*\):.*/\1/p' <<<"$out")
	grep -q '^Effective limits: QCVN40:2011 column B$' <<<"$out" || echo "not QCVN40:2011 column B"
	[ "$kq" = 0.9 ] || echo "Kq is '$kq', not the no-data 0.9"
	# Kf from the design flow (QCVN 40:2011 Kf table, docs/compliance.md).
	local flow want_kf
	flow=$(sed -n 's/^ *design_flow_m3d *= *\([0-9.]*\);.*/\1/p' "$f" | head -n1)
	want_kf=$(awk -v f="$flow" 'BEGIN { print (f <= 50) ? 1.2 : (f <= 500) ? 1.1 : (f <= 5000) ? 1 : 0.9 }')
	[ "$kf" = "$want_kf" ] || echo "Kf is '$kf', not $want_kf for design_flow_m3d $flow"
	# Rows: parameter unit C Kq Kf Cmax source (units have no spaces except
	# coliform's, which is exempt: take the columns from the right of C).
	awk -v kq="$kq" -v kf="$kf" '
		/^parameter / { on = 1; next }
		on && NF == 0 { on = 0 }
		!on { next }
		{
			p = $1; c = ""; k1 = ""; k2 = ""; cm = ""
			for (i = 2; i <= NF - 3; i++)
				if (($i ~ /^[0-9.]+(-[0-9.]+)?$/) && ($(i+1) ~ /^([0-9.]+|-)$/) && ($(i+2) ~ /^([0-9.]+|-)$/)) {
					c = $i; k1 = $(i+1); k2 = $(i+2); cm = $(i+3); break
				}
			if (c == "") { print "row " p ": cannot read C, Kq, Kf, Cmax"; next }
			if (k1 == "-") { if (cm != c) print "row " p ": exempt, but Cmax " cm " != C " c; next }
			want = c * kq * kf
			if ((cm - want) > 1e-9 * want || (want - cm) > 1e-9 * want) print "row " p ": Cmax " cm " != " c " x " kq " x " kf
		}' <<<"$out"
	# Values of the regulation notes (shared/regulation), column B.
	grep -qE '^cod +mg/L +150 +0\.9 ' <<<"$out" || echo "COD: C is not 150 mg/L with Kq applied"
	grep -qE "^cod +mg/L +150 +0\.9 +$kf +$(awk -v k="$kf" 'BEGIN { print 150 * 0.9 * k }') " <<<"$out" ||
		echo "COD: Cmax is not 150 x 0.9 x $kf"
	grep -qE '^ph +- +5\.5-9 +- +- +5\.5-9 ' <<<"$out" || echo "pH: not 5.5-9 without factors"
	grep -qE '^tss +mg/L +100 ' <<<"$out" || echo "TSS: C is not 100"
	grep -qE '^nh4 +mg/L +10 ' <<<"$out" || echo "NH4: C is not 10"
	grep -qE '^temp +°C +40 +- +- +40 ' <<<"$out" || echo "temperature: not 40 without factors"
	grep -qE '^Station [a-z0-9-]+ measures [0-9]+ params; [1-9][0-9]* judged:' <<<"$out" ||
		echo "no list of the station's judged params"
	grep -qE '^  cod +[a-z0-9_-]+ +Cmax ' <<<"$out" || echo "cod is not listed as judged"
	grep -qE '^Not judged, no limit in QCVN40:2011 column B \([0-9]+\):.*flow_out' <<<"$out" ||
		echo "flow_out is not listed as not judged"
}

n=0
for f in config/stations/*.cfg; do
	why=$(limits_ok "$f")
	if [ -z "$why" ]; then ok "--limits $f: QCVN40:2011 B, Kq 0.9, Kf of the design flow"; else
		not_ok "--limits $f matches the regulation" "$why"; fi
	n=$((n + 1))
done
[ "$n" -eq 18 ] && ok "--limits ran for the 18 shipped stations" || not_ok "--limits ran for the 18 shipped stations" "ran for $n"

# The checker itself must be able to fail: a table computed with another
# Kq is refused.
sed 's/water = "river";/kq = 1.2;/' config/stations/thanh-thuy.cfg >"$T/wrong-kq.cfg"
if [ -n "$(limits_ok "$T/wrong-kq.cfg")" ]; then ok "the --limits check notices a Kq that is not the no-data value"; else
	not_ok "the --limits check notices a Kq that is not the no-data value"; fi

# A station without limits says it is not judged, with exit 0.
sed '/^limits = {/,/^};/d' config/stations/thanh-thuy.cfg >"$T/no-limits.cfg"
out=$("$COLLECTOR" --limits -c "$T/no-limits.cfg" --profiles config/profiles 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "has no limits group: its readings are not judged" <<<"$out"; then
	ok "--limits on a station without limits says so and exits 0"
else not_ok "--limits on a station without limits says so and exits 0" "exit $rc" "$out"; fi

# A bad limits group is refused as any config error is: exit 2, FILE:LINE.
sed 's/regulation = "QCVN40:2011";/regulation = "QCVN40:1999";/' config/stations/thanh-thuy.cfg >"$T/bad-reg.cfg"
line=$(grep -n 'regulation = "QCVN40:1999"' "$T/bad-reg.cfg" | cut -d: -f1)
out=$("$COLLECTOR" --limits -c "$T/bad-reg.cfg" --profiles config/profiles 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "^$T/bad-reg.cfg:$line: limits: regulation \"QCVN40:1999\" not found" <<<"$out"; then
	ok "--limits refuses an unknown regulation id with exit 2 and FILE:LINE"
else not_ok "--limits refuses an unknown regulation id with exit 2 and FILE:LINE" "exit $rc" "$out"; fi

# ---- alerts over MQTT ----

start_mosquitto
read -r GW_PORT FLOW_PORT < <(freeport 2 | tr '\n' ' ')
ST=alert-test
# One analyzer with a device status register (so that the simulator's
# "status" command makes its one point fault), a pH meter, and a flow meter
# alone on its own port (so that silencing it delays nobody else). Small
# windows so that the test runs in seconds: 10 s averages of 0.5 s polls.
cat >"$T/station.cfg" <<EOF
station = { id = "$ST"; name = "Alert test"; plan = "qd6613"; design_flow_m3d = 1000.0; };
devices = (
  { name = "cod-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 1;
    interval_ms = 500; timeout_ms = 300; retries = 0;
    status = { table = "holding"; address = 10; mode = "value"; calibrating = 1; fault = 2; };
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; unit = "mg/L"; } ); },
  { name = "ph-meter"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 2;
    interval_ms = 500; timeout_ms = 300; retries = 0;
    points = ( { param = "ph"; table = "holding"; address = 0; type = "float32"; unit = "pH"; } ); },
  { name = "flow-out"; transport = "tcp"; host = "127.0.0.1"; port = $FLOW_PORT; unit_id = 1;
    interval_ms = 500; timeout_ms = 300; retries = 0;
    points = ( { param = "flow_out"; table = "holding"; address = 0; type = "float32"; unit = "m3/h"; } ); }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; topic_prefix = "wwtp"; };
limits_dir = "$WWTP_SRCDIR/config/limits";
limits = { regulation = "QCVN40:2011"; column = "B"; kq = 0.9; kf = 1.1; };
evaluation = { windows_s = [ 10 ]; bucket_s = 1; min_availability = 0.5; offline_after_s = 3; };
EOF
check "the test station is valid" "$COLLECTOR" --check -c "$T/station.cfg" --profiles config/profiles
check "--limits of the test station: COD Cmax 150 x 0.9 x 1.1 = 148.5" \
	bash -c "'$COLLECTOR' --limits -c '$T/station.cfg' | grep -qE '^cod +mg/L +150 +0\.9 +1\.1 +148\.5 '"

start_sim sim -c "$T/station.cfg" --control 0
CTL_PORT=$(sed -n 's/^control [0-9.]* \([0-9]*\)$/\1/p' "$T/sim.ready")
if [ -z "$CTL_PORT" ]; then
	not_ok "the simulator has a control port" "$(cat "$T/sim.ready")"
	exit 1
fi

# ctl COMMAND...: one line to the simulator's control port; true on "ok".
ctl() {
	local reply=""
	exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT" || return 1
	printf '%s\n' "$*" >&3
	read -r -t 5 reply <&3
	exec 3<&-
	echo "$*: $reply" >>"$T/control.log"
	[[ $reply == ok* ]]
}

mqtt_sub alerts 100 $((150 * SLOW)) "wwtp/$ST/alert"
mqtt_sub tel 100000 $((150 * SLOW)) "wwtp/$ST/telemetry"
"$COLLECTOR" -c "$T/station.cfg" >"$T/collector.out" 2>"$T/collector.log" &
COL=$!
track $COL

# Alert payloads so far, one JSON per line (the subscriber writes as they come).
alerts() { grep "^wwtp/$ST/alert " "$T/alerts.raw" | sed 's/^[^ ]* //'; }
# count KIND EVENT: how many such alerts arrived.
count() { alerts | jq -c --arg k "$1" --arg e "$2" 'select(.kind == $k and .event == $e)' | wc -l; }
# wait_alert KIND EVENT SECONDS
wait_alert() { wait_for "[ \$(count $1 $2) -ge 1 ]" "$3"; }
cod_judged() { grep "^wwtp/$ST/telemetry " "$T/tel.raw" | sed 's/^[^ ]* //' |
	jq -se '[.[] | select(.device == "cod-analyzer") | .readings[0].eval.windows[0].judged] | any' >/dev/null 2>&1; }

# The 10 s window fills at 2 readings a second: judged once half of it is there.
if wait_for cod_judged $((20 * SLOW)); then ok "COD's 10 s average is judged once the window has data"; else
	not_ok "COD's 10 s average is judged once the window has data" "$(tail -n 3 "$T/tel.raw")"; fi

# -- exceedance --
check "the simulator pins COD at 400 mg/L" ctl set "$ST" cod 400
if wait_alert exceedance raised $((30 * SLOW)); then ok "COD above Cmax: an exceedance alert is raised"; else
	not_ok "COD above Cmax: an exceedance alert is raised" "$(alerts)"; fi
raised=$(alerts | jq -c 'select(.kind == "exceedance" and .event == "raised")' | head -n1)
check "the raise names COD, its 10 s window, the average, Cmax 148.5 and a ratio above 1" jq -e \
	--arg st "$ST" '.v == 1 and .station == $st and .param == "cod" and .device == "cod-analyzer" and
	 .unit == "mg/L" and .window_s == 10 and .value > 148.5 and .limit == 148.5 and .ratio > 1 and
	 (.id | length > 0) and (.start | test("Z$")) and .ts == .start and (has("end") | not)' <<<"$raised"
check "the simulator lets COD follow its model again" ctl unset "$ST" cod
if wait_alert exceedance cleared $((40 * SLOW)); then ok "COD back under Cmax: the exceedance is cleared"; else
	not_ok "COD back under Cmax: the exceedance is cleared" "$(alerts)"; fi
cleared=$(alerts | jq -c 'select(.kind == "exceedance" and .event == "cleared")' | head -n1)
check "the clear has the raise's id and start, an end, and a ratio under 0.95" jq -e \
	--argjson r "$raised" '.id == $r.id and .start == $r.start and (.end | test("Z$")) and .ts == .end and
	 .end > .start and .value < 148.5 * 0.95 and .ratio < 0.95' <<<"$cleared"

# -- instrument fault --
check "the simulator puts the COD analyzer in fault" ctl status "$ST" cod-analyzer fault
if wait_alert fault raised $((20 * SLOW)); then ok "an instrument fault raises a fault alert"; else
	not_ok "an instrument fault raises a fault alert" "$(alerts)"; fi
check "the simulator's COD analyzer is ok again" ctl status "$ST" cod-analyzer ok
if wait_alert fault cleared $((20 * SLOW)); then ok "the fault alert is cleared when the instrument is ok"; else
	not_ok "the fault alert is cleared when the instrument is ok" "$(alerts)"; fi
check "the fault alert names COD and its device, raise and clear with one id" jq -se \
	'length == 2 and .[0].event == "raised" and .[1].event == "cleared" and .[0].id == .[1].id and
	 all(.[]; .param == "cod" and .device == "cod-analyzer" and (has("window_s") | not) and (has("limit") | not))' \
	<(alerts | jq -c 'select(.kind == "fault")')

# -- lost device --
check "the simulator silences the flow meter" ctl fault "$ST" flow-out silent 120
if wait_alert offline raised $((30 * SLOW)); then ok "a device that stops answering raises an offline alert"; else
	not_ok "a device that stops answering raises an offline alert" "$(alerts)"; fi
check "the simulator's flow meter answers again" ctl fault "$ST" flow-out none
# The poller backs off while a device is silent (doubling from 0.5 s).
if wait_alert offline cleared $((40 * SLOW)); then ok "the offline alert is cleared when the device answers"; else
	not_ok "the offline alert is cleared when the device answers" "$(alerts)"; fi
check "the offline alert is about the device (no param), at least offline_after_s long" jq -se \
	'length == 2 and .[0].id == .[1].id and all(.[]; .device == "flow-out" and (has("param") | not) and .limit == 3) and
	 .[0].value >= 3 and .[0].ratio >= 1' <(alerts | jq -c 'select(.kind == "offline")')

# Quiet for a moment: nothing flaps afterwards.
sleep 3
for k in exceedance fault offline; do
	r=$(count $k raised)
	c=$(count $k cleared)
	if [ "$r" -eq 1 ] && [ "$c" -eq 1 ]; then ok "exactly one $k alert raised and one cleared"; else
		not_ok "exactly one $k alert raised and one cleared" "raised $r, cleared $c" "$(alerts)"; fi
done
other=$(alerts | jq -r 'select(.kind != "exceedance" and .kind != "fault" and .kind != "offline") | "\(.kind) \(.event) \(.param) \(.window_s)"')
[ -z "$other" ] || log "other alerts (not checked): $other"

stop_pid $COL TERM
stop_pid "$SUB_PID_alerts" TERM
stop_pid "$SUB_PID_tel" TERM
sub_wait tel
payloads "$T/tel.msgs" >"$T/tel.json"

# The telemetry carries the verdict the alerts were raised with.
check "telemetry: COD carries Cmax 148.5 and its 10 s window" jq -se \
	'[.[] | select(.device == "cod-analyzer") | .readings[0].eval] | length > 10 and
	 all(.[]; .limit == {"max":148.5} and (.windows | length == 1) and .windows[0].s == 10 and
	     (.windows[0].avail >= 0 and .windows[0].avail <= 1) and (.windows[0].judged | type == "boolean"))' "$T/tel.json"
check "telemetry: a judged COD window above Cmax says exceeds, with a ratio above 1 and the alert on" jq -se \
	'[.[] | select(.device == "cod-analyzer") | .readings[0].eval.windows[0] | select(.judged and .exceeds)] |
	 length > 0 and all(.[]; .ratio > 1 and .avg > 148.5 and .n > 0)' "$T/tel.json"
check "telemetry: pH carries its range 5.5-9" jq -se \
	'[.[] | select(.device == "ph-meter") | .readings[0].eval.limit] | length > 0 and all(.[]; . == {"min":5.5,"max":9})' "$T/tel.json"
check "telemetry: flow_out has averages but no limit" jq -se \
	'[.[] | select(.device == "flow-out") | .readings[0] | select(.status == "ok") | .eval] | length > 0 and
	 all(.[]; (has("limit") | not) and .windows[0].s == 10)' "$T/tel.json"
check "telemetry: the fault shows in the reading's eval alerts" jq -se \
	'[.[] | select(.device == "cod-analyzer") | .readings[0] | select(.status == "fault") | .eval.alerts] | any(.[]; . == ["fault"])' "$T/tel.json"
check "telemetry: the existing keys are unchanged" jq -se \
	'all(.[]; .v == 1 and has("seq") and has("ts") and (.readings | all(.[]; has("param") and has("unit") and has("status"))))' "$T/tel.json"

# The log says when an alert is raised (WARN, with the ratio) and cleared (INFO).
check "log: the exceedance is raised at WARN with Cmax and the ratio" \
	grep -qE 'WARN \[alert\] exceedance alert raised: cod 10s average [0-9.]+ mg/L exceeds Cmax 148\.5 \([0-9.]+ times\)' "$T/collector.log"
check "log: the exceedance is cleared at INFO" \
	grep -qE 'INFO \[alert\] exceedance alert cleared: cod 10s average [0-9.]+ mg/L is back under Cmax 148\.5' "$T/collector.log"
check "log: the fault and the lost device are logged" bash -c \
	"grep -q 'WARN \[alert\] fault alert raised: cod' '$T/collector.log' && grep -q 'WARN \[alert\] offline alert raised: device flow-out' '$T/collector.log' && grep -q 'INFO \[alert\] offline alert cleared: device flow-out' '$T/collector.log'"

# --print shows the evaluation, and alert lines apart from telemetry.
check "the simulator pins COD at 400 mg/L again" ctl set "$ST" cod 400
timeout $((40 * SLOW)) "$COLLECTOR" -c "$T/station.cfg" --print >"$T/print.json" 2>"$T/print.log" &
PR=$!
track $PR
if wait_for "grep -q '\"event\":\"raised\"' '$T/print.json'" $((30 * SLOW)); then
	ok "--print writes an alert line when COD exceeds"
else not_ok "--print writes an alert line when COD exceeds" "$(tail -n 3 "$T/print.log")"; fi
stop_pid $PR TERM
check "--print: telemetry lines carry eval, alert lines carry event and kind, nothing else" jq -se \
	'all(.[]; (has("readings") and (.readings[0] | has("eval"))) or (has("event") and has("kind") and (has("readings") | not)))' "$T/print.json"
check "--once --print: one telemetry line per device, with eval, and no alert lines" bash -c \
	"'$COLLECTOR' -c '$T/station.cfg' --once --print 2>/dev/null | jq -se 'length == 3 and all(.[]; has(\"readings\") and (.readings[0] | has(\"eval\")))'"

[ "$FAILS" -eq 0 ]
