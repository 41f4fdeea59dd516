#!/usr/bin/env bash
# The simulator's fault injection and control port, checked from outside
# with an independent Modbus client (mbpoll, libmodbus-based but not our
# code) and with the collector: for every fault kind, the faulty device
# misbehaves as documented while the other device on the same TCP gateway
# port (or RS-485 bus) keeps answering, and `none` restores it; pinned
# values and forced statuses reach the collector exactly; --fault and --set
# work from the start and refuse bad input; the control port answers
# garbage with "error: ..." and keeps working; SIGTERM still exits 0.
. "$(dirname "$0")/../lib/common.sh"

command -v mbpoll >/dev/null || {
	not_ok "mbpoll is installed (Debian package mbpoll)" "run make deps"
	exit 1
}

read -r GW_PORT CTL_PORT < <(freeport 2 | tr '\n' ' ')
TMO=$((500 * SLOW))

# Two devices behind one gateway port (unit ids 1 and 2), two on one RS-485
# bus (5 and 6). gw-a has a device status register (value mode).
cat >"$T/lab.cfg" <<EOF
station = { id = "fault-lab"; name = "Fault lab"; plan = "review"; };
devices = (
  { name = "gw-a"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 1;
    interval_ms = 1000; timeout_ms = $TMO; retries = 0;
    status = { table = "holding"; address = 10; mode = "value"; calibrating = 1; fault = 2; };
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; unit = "mg/L"; },
               { param = "nh4"; table = "holding"; address = 2; type = "uint16"; scale = 0.01; } ); },
  { name = "gw-b"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 2;
    interval_ms = 1000; timeout_ms = $TMO; retries = 0;
    points = ( { param = "ph"; table = "holding"; address = 0; type = "uint16"; scale = 0.01; } ); },
  { name = "bus-c"; transport = "rtu"; serial = "/dev/ttyUSB0"; baud = 9600; unit_id = 5;
    interval_ms = 1000; timeout_ms = $TMO; retries = 0;
    points = ( { param = "temp"; table = "holding"; address = 0; type = "int16"; scale = 0.1; } ); },
  { name = "bus-d"; transport = "rtu"; serial = "/dev/ttyUSB0"; baud = 9600; unit_id = 6;
    interval_ms = 1000; timeout_ms = $TMO; retries = 0;
    points = ( { param = "tss"; table = "holding"; address = 0; type = "uint16"; scale = 0.1; } ); }
);
mqtt = { uri = "tcp://127.0.0.1:1"; };
EOF
check "the lab station is valid" "$COLLECTOR" --check -c "$T/lab.cfg" --profiles config/profiles

# --fault and --set refuse what they cannot do, before serving anything.
refused() { # DESC ARGS...: the simulator exits 2 at once and says why
	local desc=$1 rc
	shift
	timeout $((10 * SLOW)) "$SIM" -c "$T/lab.cfg" --profiles config/profiles "$@" >"$T/refused.out" 2>"$T/refused.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "$desc" "$T/refused.err"; then ok "refused with exit 2: $* ($desc)"; else
		not_ok "refused with exit 2: $*" "exit $rc" "$(tail -n 3 "$T/refused.err")"; fi
}
refused "no device 'gw-z'" --fault fault-lab/gw-z=crc
refused "unknown station 'nowhere'" --fault nowhere/gw-a=crc
refused "unknown fault kind" --fault fault-lab/gw-a=explode
refused "delay: milliseconds" --fault fault-lab/gw-a=delay:soon
refused "expected STATION/DEVICE=KIND" --fault gw-a=crc
refused "no param 'bod5'" --set fault-lab/bod5=3
refused "does not fit point nh4" --set fault-lab/nh4=-1
refused "not a number" --set fault-lab/ph=neutral
refused "a port 0..65535" --control 70000

# Started with a fault and a pinned value.
start_sim sim -c "$T/lab.cfg" --profiles config/profiles --control "$CTL_PORT" \
	--fault fault-lab/gw-b=exception:3 --set fault-lab/ph=7.77
SIM_PID=$SIM_PID_sim
PTY=$(awk '$1 == "rtu" { print $2 }' "$T/sim.ready")
check "the ready file names the control port" grep -qx "control 127.0.0.1 $CTL_PORT" "$T/sim.ready"
check "the bus is a pty" test -c "$PTY"

# The control connection stays open for the whole test: one line out, one in.
exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT"
ANSWER=""
ctl() { # ctl LINE: sends LINE, sets ANSWER to the answer line
	printf '%s\n' "$1" >&3
	IFS= read -r -t $((5 * SLOW)) ANSWER <&3 || ANSWER="(no answer)"
}
ctl_ok() { # ctl_ok LINE: an "ok" is expected (a failure is reported)
	ctl "$1"
	[ "$ANSWER" = ok ] || not_ok "control: '$1' answers ok" "answer: $ANSWER"
}

# poll_tcp UNIT [mbpoll options]: one read of the holding registers from
# address 0. Sets OUT (stdout and stderr), RC and MS (elapsed ms); options
# given later win over the defaults (mbpoll takes the last -o).
OK_TO=$((2 * SLOW))
poll() {
	local t0
	t0=$(date +%s%N)
	OUT=$(timeout 30 mbpoll -1 "$@" 2>&1)
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}
poll_tcp() { # unit 1 (gw-a) has registers 0..2 (and 10), unit 2 (gw-b) only 0
	local unit=$1 count=2
	shift
	[ "$unit" = 2 ] && count=1
	poll -m tcp -p "$GW_PORT" -a "$unit" -r 1 -c "$count" -t 4:hex -o "$OK_TO" "$@" 127.0.0.1
}
poll_rtu() {
	local unit=$1
	shift
	poll -m rtu -b 9600 -P none -a "$unit" -r 1 -c 1 -t 4 -o "$OK_TO" "$@" "$PTY"
}
answered() { [ "$RC" -eq 0 ] && echo "$OUT" | grep -q '^\[[0-9]*\]:'; }
# expect DESC PATTERN: the last poll failed with PATTERN in mbpoll's message.
expect_fail() {
	if [ "$RC" -ne 0 ] && echo "$OUT" | grep -q "$2"; then ok "$1"; else
		not_ok "$1" "mbpoll exit $RC after ${MS} ms, expected '$2':" "$(echo "$OUT" | tail -n 3)"; fi
}
expect_answer() {
	if answered; then ok "$1"; else not_ok "$1" "mbpoll exit $RC after ${MS} ms:" "$(echo "$OUT" | tail -n 3)"; fi
}
# other_fine UNIT|rtu:UNIT DESC: the neighbour answers, promptly.
other_fine() {
	case "$1" in rtu:*) poll_rtu "${1#rtu:}" ;; *) poll_tcp "$1" ;; esac
	if answered && [ "$MS" -lt $((1000 * SLOW)) ]; then ok "$2: the other device still answers (${MS} ms)"; else
		not_ok "$2: the other device still answers" "mbpoll exit $RC after ${MS} ms:" "$(echo "$OUT" | tail -n 3)"; fi
}
# restored FAULTED DESC: after `none`, the faulted device answers again.
restored() {
	case "$1" in rtu:*) ctl_ok "fault fault-lab bus-c none" ;; *) ctl_ok "fault fault-lab gw-a none" ;; esac
	case "$1" in rtu:*) poll_rtu "${1#rtu:}" ;; *) poll_tcp "$1" ;; esac
	expect_answer "$2: 'none' restores normal answers"
}

# ---- Started with --fault gw-b=exception:3 and --set ph=7.77 ------------
poll_tcp 2
expect_fail "--fault at start: gw-b answers exception 3" "Illegal data value"
other_fine 1 "--fault at start"
ctl "get fault-lab ph"
if [ "$ANSWER" = "ok 7.77" ]; then ok "--set at start: get says 7.77"; else not_ok "--set at start: get says 7.77" "answer: $ANSWER"; fi
ctl "show fault-lab gw-b"
case "$ANSWER" in "ok unit=2 transport=tcp fault=exception:3 "*) ok "show reports the fault given with --fault" ;;
*) not_ok "show reports the fault given with --fault" "answer: $ANSWER" ;; esac
ctl_ok "fault fault-lab gw-b none"
poll_tcp 2
expect_answer "gw-b answers again after 'none'"
# 7.77 as uint16 with scale 0.01 is raw 777 = 0x0309.
if echo "$OUT" | grep -q '^\[1\]:[[:space:]]*0x0309'; then ok "the pinned pH is raw 777 on the wire"; else
	not_ok "the pinned pH is raw 777 on the wire" "$(echo "$OUT" | tail -n 3)"; fi

# ---- TCP: gw-a (unit 1) misbehaves, gw-b (unit 2) on the same port does not.
poll_tcp 1
expect_answer "TCP unit 1 answers before any fault"

ctl_ok "fault fault-lab gw-a delay 1500"
# The delayed answer is held for its client only: unit 2, asked meanwhile
# on another connection, answers at once.
t0=$(date +%s%N)
timeout 30 mbpoll -1 -m tcp -p "$GW_PORT" -a 1 -r 1 -c 2 -t 4:hex -o $((3 * SLOW)) 127.0.0.1 >"$T/delayed.out" 2>&1 &
DELAYED=$!
sleep 0.3
other_fine 2 "delay (while unit 1's answer is held)"
wait $DELAYED
drc=$?
dms=$((($(date +%s%N) - t0) / 1000000))
if [ $drc -eq 0 ] && grep -q '^\[1\]:' "$T/delayed.out" && [ $dms -ge 1500 ]; then
	ok "delay 1500: unit 1 answers, after ${dms} ms"
else
	not_ok "delay 1500: unit 1 answers after at least 1500 ms" "exit $drc after $dms ms" "$(tail -n 3 "$T/delayed.out")"
fi
restored 1 "delay"
if [ "$MS" -lt 1500 ]; then ok "delay: gone after 'none' (${MS} ms)"; else not_ok "delay: gone after 'none'" "${MS} ms"; fi

ctl_ok "fault fault-lab gw-a drop"
poll_tcp 1 -o 1
expect_fail "drop: unit 1 times out" "timed out"
other_fine 2 "drop"
restored 1 "drop"

# drop P: with the simulator's seed the draws repeat, so this is not flaky;
# 12 polls at P = 0.5 that all land on one side would mean P is ignored.
ctl_ok "fault fault-lab gw-a drop 0.5"
got=0
lost=0
for _ in $(seq 12); do
	poll_tcp 1 -o 0.5
	if answered; then got=$((got + 1)); else lost=$((lost + 1)); fi
done
if [ $got -gt 0 ] && [ $lost -gt 0 ]; then ok "drop 0.5: some answers dropped ($lost of 12), others sent"; else
	not_ok "drop 0.5: some answers dropped, others sent" "$lost of 12 dropped"; fi
restored 1 "drop 0.5"

ctl_ok "fault fault-lab gw-a exception 6"
poll_tcp 1
expect_fail "exception 6: unit 1 answers 'busy'" "busy"
other_fine 2 "exception"
restored 1 "exception"

ctl_ok "fault fault-lab gw-a crc"
poll_tcp 1
expect_fail "crc on TCP: the frame (MBAP protocol id) is refused as invalid" "Invalid data"
other_fine 2 "crc"
restored 1 "crc"

ctl_ok "fault fault-lab gw-a close"
poll_tcp 1
expect_fail "close: the connection is closed instead of an answer" "reset by peer"
if [ "$MS" -lt 1000 ]; then ok "close: at once, not a timeout (${MS} ms)"; else not_ok "close: at once, not a timeout" "${MS} ms"; fi
other_fine 2 "close"
restored 1 "close"

t_set=$(date +%s%N)
ctl_ok "fault fault-lab gw-a silent 3"
poll_tcp 1 -o 1
expect_fail "silent 3: unit 1 times out" "timed out"
other_fine 2 "silent"
ctl "show fault-lab gw-a"
case "$ANSWER" in *"fault=silent:3.000 silent_left_ms="*) ok "show: the silence and what is left of it" ;;
*) not_ok "show: the silence and what is left of it" "answer: $ANSWER" ;; esac
# Normal again once the 3 s are over, without 'none'.
back=0
deadline=$(($(date +%s) + 10 * SLOW))
while [ "$(date +%s)" -lt $deadline ]; do
	poll_tcp 1 -o 1
	if answered; then
		back=$((($(date +%s%N) - t_set) / 1000000))
		break
	fi
done
if [ $back -ge 2900 ]; then ok "silent: unit 1 answers again by itself, ${back} ms after the silence began"; else
	not_ok "silent: unit 1 answers again by itself after 3 s" "first answer after $back ms (0: none)" "$(echo "$OUT" | tail -n 3)"; fi
ctl "show fault-lab gw-a"
case "$ANSWER" in *"fault=none"*) ok "show: fault none once the silence is over" ;;
*) not_ok "show: fault none once the silence is over" "answer: $ANSWER" ;; esac

# libmodbus 3.1.6's TCP client (hence mbpoll) does not check the unit id of
# an answer; its verbose dump shows what came back: unit 2 for a request to 1.
ctl_ok "fault fault-lab gw-a wrong-unit"
poll_tcp 1 -v
rx=$(echo "$OUT" | grep -m1 '^<')
if echo "$rx" | grep -q '^<[0-9A-F]*><[0-9A-F]*><00><00><00><07><02><03>'; then
	ok "wrong-unit on TCP: the answer to unit 1 carries unit 2 ($rx)"
else
	not_ok "wrong-unit on TCP: the answer to unit 1 carries unit 2" "received: $rx" "$(echo "$OUT" | tail -n 3)"
fi
other_fine 2 "wrong-unit"
restored 1 "wrong-unit"

ctl_ok "fault fault-lab gw-a bad-address 1"
poll_tcp 1 # registers 0..1: cod
expect_fail "bad-address 1: a read covering register 1 gets exception 2" "Illegal data address"
poll -m tcp -p "$GW_PORT" -a 1 -r 3 -c 1 -t 4 -o "$OK_TO" 127.0.0.1 # register 2: nh4
expect_answer "bad-address 1: a read of register 2 alone is answered"
other_fine 2 "bad-address"
restored 1 "bad-address"

# ---- RTU: bus-c (unit 5) misbehaves, bus-d (unit 6) on the same bus does not.
poll_rtu 5
expect_answer "RTU unit 5 answers before any fault"

ctl_ok "fault fault-lab bus-c crc"
poll_rtu 5
expect_fail "crc on RTU: the client sees a CRC error" "Invalid CRC"
other_fine rtu:6 "RTU crc"
restored rtu:5 "RTU crc"

ctl_ok "fault fault-lab bus-c wrong-unit"
poll_rtu 5
expect_fail "wrong-unit on RTU: the client rejects the answer" "not from requested slave"
other_fine rtu:6 "RTU wrong-unit"
restored rtu:5 "RTU wrong-unit"

ctl_ok "fault fault-lab bus-c exception 4"
poll_rtu 5
expect_fail "exception 4 on RTU: 'slave device failure'" "Slave device or server failure"
other_fine rtu:6 "RTU exception"
restored rtu:5 "RTU exception"

ctl_ok "fault fault-lab bus-c bad-address 0"
poll_rtu 5
expect_fail "bad-address 0 on RTU: exception 2" "Illegal data address"
other_fine rtu:6 "RTU bad-address"
restored rtu:5 "RTU bad-address"

for kind in drop close "silent 30"; do
	ctl_ok "fault fault-lab bus-c $kind"
	poll_rtu 5 -o 1
	expect_fail "$kind on RTU: unit 5 times out" "timed out"
	other_fine rtu:6 "RTU $kind"
	restored rtu:5 "RTU $kind"
done

ctl_ok "fault fault-lab bus-c delay 800"
poll_rtu 5
if answered && [ "$MS" -ge 800 ]; then ok "delay 800 on RTU: answered after ${MS} ms"; else
	not_ok "delay 800 on RTU: answered after at least 800 ms" "exit $RC after ${MS} ms" "$(echo "$OUT" | tail -n 3)"; fi
other_fine rtu:6 "RTU delay"
restored rtu:5 "RTU delay"

# ---- Values and statuses, read back by the collector ---------------------
sed "s|/dev/ttyUSB0|$PTY|" "$T/lab.cfg" >"$T/collector.cfg"
collect() { # NAME: one --once --print round into $T/NAME.json
	if ! timeout $((30 * SLOW)) "$COLLECTOR" --once --print -c "$T/collector.cfg" --profiles config/profiles \
		>"$T/$1.json" 2>"$T/$1.collector.log"; then
		not_ok "collector --once --print ($1) exits 0" "$(tail -n 3 "$T/$1.collector.log")"
	fi
}
reading() { # NAME PARAM FIELD: .value or .status of PARAM
	jq -r --arg p "$2" ".readings[] | select(.param == \$p) | .$3" "$T/$1.json"
}

ctl_ok "set fault-lab cod 123.25"
ctl_ok "set fault-lab temp -4.5"
ctl_ok "status fault-lab gw-a fault"
ctl "get fault-lab cod"
if [ "$ANSWER" = "ok 123.25" ]; then ok "get returns the pinned COD"; else not_ok "get returns the pinned COD" "answer: $ANSWER"; fi
collect pinned
v=$(reading pinned cod value)
if [ "$v" = 123.25 ]; then ok "set: the collector reads cod = 123.25 (float32)"; else not_ok "set: the collector reads cod = 123.25" "got '$v'"; fi
v=$(reading pinned temp value)
if [ "$v" = -4.5 ]; then ok "set: the collector reads temp = -4.5 (int16, scale 0.1, over RTU)"; else
	not_ok "set: the collector reads temp = -4.5" "got '$v'"; fi
# raw 777 x scale 0.01 is 7.7700000000000005 in double arithmetic: the
# register holds exactly what 7.77 encodes to, the decoder's product is
# within rounding of it.
v=$(reading pinned ph value)
if jq -ne --argjson v "${v:-null}" '$v != null and ($v - 7.77 | fabs) < 1e-9' >/dev/null; then
	ok "--set: the collector reads ph = 7.77 ($v)"
else
	not_ok "--set: the collector reads ph = 7.77" "got '$v'"
fi
s=$(reading pinned cod status)/$(reading pinned nh4 status)/$(reading pinned ph status)
if [ "$s" = fault/fault/ok ]; then ok "status fault: gw-a's readings are 'fault', gw-b's stay ok"; else
	not_ok "status fault: gw-a's readings are 'fault', gw-b's stay ok" "cod/nh4/ph: $s"; fi

ctl_ok "status fault-lab gw-a calibrating"
collect calibrating
s=$(reading calibrating cod status)
if [ "$s" = calibrating ]; then ok "status calibrating reaches the collector"; else not_ok "status calibrating reaches the collector" "got '$s'"; fi

ctl_ok "unset fault-lab cod"
ctl_ok "unset fault-lab temp"
ctl_ok "unset fault-lab ph"
ctl_ok "status fault-lab gw-a auto"
collect released
check "unset and status auto: the model's values and statuses are back" jq -se \
	'[.[].readings[]] | (map(select(.param == "cod"))[0] | .value != 123.25 and .value > 0 and .status == "ok") and
	 (map(select(.param == "temp"))[0].value > 15) and (map(select(.param == "ph"))[0].value != 7.77)' "$T/released.json"

# NaN: a float point plays "no value"; the collector publishes no value.
ctl_ok "set fault-lab cod nan"
ctl "get fault-lab cod"
if [ "$ANSWER" = "ok nan" ]; then ok "set cod nan: get says nan"; else not_ok "set cod nan: get says nan" "answer: $ANSWER"; fi
collect nan
check "set cod nan: the collector has no value for cod" jq -se \
	'[.[].readings[] | select(.param == "cod")] | length == 1 and (.[0] | has("value") | not)' "$T/nan.json"
ctl_ok "unset fault-lab cod"

# ---- The control port itself ----------------------------------------------
bad_line() { # LINE PATTERN: answered "error: ...PATTERN..."
	ctl "$1"
	case "$ANSWER" in "error: "*"$2"*) ok "control refuses '$(printf '%s' "$1" | head -c 40 | tr -c '[:print:]' '?')': $ANSWER" ;;
	*) not_ok "control refuses '$1' with an error" "answer: $ANSWER" ;; esac
}
bad_line "frobnicate" "unknown command"
bad_line "fault fault-lab gw-z crc" "no device 'gw-z'"
bad_line "fault nowhere gw-a crc" "unknown station 'nowhere'"
bad_line "fault fault-lab gw-a melt" "unknown fault kind"
bad_line "fault fault-lab gw-a delay -5" "delay"
bad_line "fault fault-lab gw-a drop 2" "probability"
bad_line "set fault-lab cod lots" "not a number"
bad_line "set fault-lab bod5 3" "no param 'bod5'"
bad_line "set fault-lab nh4 -1" "does not fit"
bad_line "status fault-lab gw-b fault" "no status register"
bad_line "status fault-lab gw-a broken" "status"
bad_line "get fault-lab" "usage"
bad_line "$(printf 'get fault-lab c\001od')" "not allowed"
bad_line "$(head -c 300 /dev/zero | tr '\0' x)" "too long"
# (an "x" first: a random line starting with '#' would be a comment)
bad_line "x$(head -c 2000 /dev/urandom | LC_ALL=C tr -d '\n\000' | head -c 200)" ""
ctl "list"
case "$ANSWER" in "ok fault-lab/gw-a:cod,nh4 fault-lab/gw-b:ph fault-lab/bus-c:temp fault-lab/bus-d:tss")
	ok "after the garbage the control port still works (list)" ;;
*) not_ok "after the garbage the control port still works (list)" "answer: $ANSWER" ;; esac
ctl "help"
case "$ANSWER" in "ok commands: fault STATION DEVICE KIND"*) ok "help answers one line" ;;
*) not_ok "help answers one line" "answer: $ANSWER" ;; esac

# Several clients at once; the ninth is refused; a client that quits.
declare -a extra=()
for i in 1 2 3 4 5 6 7; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$CTL_PORT"
	extra+=("$fd")
done
printf 'get fault-lab ph\n' >&"${extra[6]}"
IFS= read -r -t $((5 * SLOW)) a7 <&"${extra[6]}" || a7="(no answer)"
case "$a7" in "ok "*) ok "eight control clients at once: the eighth is served ($a7)" ;;
*) not_ok "eight control clients at once: the eighth is served" "answer: $a7" ;; esac
exec {fd9}<>"/dev/tcp/127.0.0.1/$CTL_PORT"
IFS= read -r -t $((5 * SLOW)) a9 <&"$fd9" || a9="(no answer)"
case "$a9" in "error: too many control clients"*) ok "a ninth control client is told why and closed" ;;
*) not_ok "a ninth control client is told why and closed" "answer: $a9" ;; esac
exec {fd9}>&-
for fd in "${extra[@]}"; do exec {fd}>&-; done
printf 'quit\n' >&3
IFS= read -r -t $((5 * SLOW)) ANSWER <&3 || ANSWER="(no answer)"
if [ "$ANSWER" = "ok bye" ] && ! IFS= read -r -t $((5 * SLOW)) _ <&3; then ok "quit: 'ok bye', then the connection ends"; else
	not_ok "quit: 'ok bye', then the connection ends" "answer: $ANSWER"; fi
exec 3>&-
exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT"
ctl "get fault-lab nh4"
case "$ANSWER" in "ok "*) ok "a new control client after the others left is served" ;;
*) not_ok "a new control client after the others left is served" "answer: $ANSWER" ;; esac

# Faults still set at exit do not hold up shutdown.
ctl_ok "fault fault-lab gw-a delay 600000"
timeout 30 mbpoll -1 -m tcp -p "$GW_PORT" -a 1 -r 1 -c 2 -o 10 127.0.0.1 >/dev/null 2>&1 &
HELD=$!
ctl_ok "fault fault-lab bus-c delay 600000"
timeout 30 mbpoll -1 -m rtu -b 9600 -P none -a 5 -r 1 -c 1 -o 10 "$PTY" >/dev/null 2>&1 &
HELD2=$!
sleep 0.5
exec 3>&-
t0=$(date +%s)
kill -TERM "$SIM_PID"
wait "$SIM_PID"
rc=$?
secs=$(($(date +%s) - t0))
if [ $rc -eq 0 ] && [ $secs -le $((5 * SLOW)) ]; then ok "SIGTERM with answers held: exit 0 in ${secs} s"; else
	not_ok "SIGTERM with answers held: exit 0 promptly" "exit $rc after ${secs} s" "$(tail -n 5 "$T/sim.log")"; fi
wait $HELD $HELD2 2>/dev/null
check "the simulator logged the faults it played" grep -q 'changed by a fault' "$T/sim.log"

[ "$FAILS" -eq 0 ]
