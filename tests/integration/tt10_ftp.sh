#!/usr/bin/env bash
# suite: sanitizer pass only
# Circular 10/2021 files to a real FTP server (pyftpdlib from Debian) on
# loopback: a station on the simulator with pinned values writes one file
# every 5 s; each arrives under its final name in a dated folder with the
# exact content the pinned readings give (codes, decimals, units, local
# time, status); the server is stopped for a few periods while the
# analyzer calibrates and the collector restarts, then started again:
# every file written meanwhile arrives, the calibrating ones with status 01;
# a file the server refuses waits in the outbox without holding back the next.
. "$(dirname "$0")/../lib/common.sh"

PERIOD=5
PW=not-the-real-password-7f3a
read -r GW_PORT FLOW_PORT FTP_PORT < <(freeport 3 | tr '\n' ' ')

# Thanh Thùy with this run's ports, 1 s polls, and the test's tt10 group
# instead of the shipped (disabled) one.
sed -e "s/port = 15120;/port = $GW_PORT;/g" -e "s/port = 15121;/port = $FLOW_PORT;/g" \
	-e "s/interval_ms = [0-9]*;/interval_ms = 1000;/g" -e '/^tt10 = {/,/^};/d' \
	config/stations/thanh-thuy.cfg >"$T/station.cfg"
cat >>"$T/station.cfg" <<EOF
tt10 = { province = "HN"; facility = "THANHTHUY"; station = "NT01"; period_s = $PERIOD;
  dir = "$T/tt10"; retry_max_s = 1;
  upload = ( { name = "dept"; url = "ftp://127.0.0.1:$FTP_PORT/inbox/"; user = "wwtp";
               password_file = "$T/pw"; remote_dir = "%Y/%m/%d/"; timeout_s = 5; } );
  params = ( { param = "flow_out"; code = "Flow"; decimals = 1; },
             { param = "temp"; code = "Temp"; decimals = 1; unit = "oC"; },
             { param = "ph"; code = "pH"; decimals = 2; },
             { param = "cod"; code = "COD"; decimals = 1; },
             { param = "nh4"; code = "NH4"; decimals = 2; } ); };
EOF
printf '%s\n' "$PW" >"$T/pw"
chmod 600 "$T/pw"
check "the test station is valid" "$COLLECTOR" --check -c "$T/station.cfg" --profiles config/profiles

mkdir -p "$T/ftp"
start_ftp() {
	/usr/bin/python3 -m pyftpdlib -i 127.0.0.1 -p "$FTP_PORT" -w -d "$T/ftp" -u wwtp -P "$PW" \
		>>"$T/ftp.log" 2>&1 &
	FTP_PID=$!
	track $FTP_PID
	if ! "$WAITPORT" 127.0.0.1 "$FTP_PORT" 10000; then
		not_ok "the FTP server starts on port $FTP_PORT" "$(tail -n 5 "$T/ftp.log")"
		exit 1
	fi
}
start_ftp

start_sim sim -c "$T/station.cfg" --profiles config/profiles --control 0 \
	--set thanh-thuy/flow_out=42.5 --set thanh-thuy/temp=28 --set thanh-thuy/ph=7.25 \
	--set thanh-thuy/cod=123.4 --set thanh-thuy/nh4=1.5
CONTROL_PORT=$(awk '$1 == "control" { print $3 }' "$T/sim.ready")

start_collector() { # NAME
	"$COLLECTOR" --print -c "$T/station.cfg" --profiles config/profiles >/dev/null 2>"$T/$1.log" &
	COL=$!
	track $COL
}
start_collector collector1

remote() { find "$T/ftp" -type f -name '*.txt' -printf '%f\n' | sort; }
local_files() { find "$T/tt10" -maxdepth 1 -type f -name '*.txt' -printf '%f\n' | sort; }
outbox() { find "$T/tt10/outbox/dept" -type f -printf '%f\n' 2>/dev/null | sort; }

# The first period is partial (started in its middle); wait for two more.
if ! wait_for '[ "$(remote | wc -l)" -ge 3 ]' $((4 * PERIOD * SLOW)); then
	not_ok "three files arrive within $((4 * PERIOD * SLOW)) s" "remote: $(remote | tr '\n' ' ')" \
		"local: $(local_files | tr '\n' ' ')"
	exit 1
fi
ok "files arrive at the FTP server, one per period"

# Names: the fixed parts, a local time on a period boundary.
bad=$(remote | grep -vE "^HN_THANHTHUY_NT01_[0-9]{12}[0-5][05]\.txt$")
if [ -z "$bad" ]; then ok "file names are HN_THANHTHUY_NT01_<yyyyMMddHHmmss on a ${PERIOD} s boundary>.txt"; else
	not_ok "file names are HN_THANHTHUY_NT01_<stamp>.txt" "$bad"; fi
f=$(remote | sed -n 2p)
stamp=${f#HN_THANHTHUY_NT01_}
stamp=${stamp%.txt}
# Local time is UTC+7 all year: the stamp is within a minute of now + 7 h.
now_local=$(date -u -d "@$(($(date +%s) + 7 * 3600))" +%Y%m%d%H%M%S)
stamp_s=$(date -u -d "${stamp:0:8} ${stamp:8:2}:${stamp:10:2}:${stamp:12:2}" +%s)
now_s=$(date -u -d "${now_local:0:8} ${now_local:8:2}:${now_local:10:2}:${now_local:12:2}" +%s)
if [ $((now_s - stamp_s)) -ge 0 ] && [ $((now_s - stamp_s)) -le 60 ]; then
	ok "the file time is Vietnam local time (UTC+7): $stamp, now $now_local"
else
	not_ok "the file time is Vietnam local time (UTC+7)" "stamp $stamp, local now $now_local"
fi
path="$T/ftp/inbox/${stamp:0:4}/${stamp:4:2}/${stamp:6:2}/$f"
if [ -f "$path" ]; then ok "the file is in the dated folder inbox/%Y/%m/%d/"; else
	not_ok "the file is in the dated folder" "not at $path: $(find "$T/ftp" -name "$f")"; fi

# Content: the pinned readings, averaged over the period (all equal), with
# each param's decimals and unit, the stamp and status 00.
printf 'Flow\t42.5\tm3/h\t%s\t00\nTemp\t28.0\toC\t%s\t00\npH\t7.25\tpH\t%s\t00\nCOD\t123.4\tmg/L\t%s\t00\nNH4\t1.50\tmg/L\t%s\t00\n' \
	"$stamp" "$stamp" "$stamp" "$stamp" "$stamp" >"$T/want.txt"
if cmp -s "$T/want.txt" "$path"; then ok "content: 5 TAB-separated lines with codes, values, units, local time, status 00"; else
	not_ok "content matches the simulator's pinned readings" "want: $(cat -A "$T/want.txt" | tr '\n' ' ')" \
		"got:  $(cat -A "$path" | tr '\n' ' ')"; fi
check "the local copy is the same file" cmp "$T/tt10/$f" "$path"

# Outage: the server stops; the analyzer goes into calibration; the
# collector restarts in the middle (its backlog is on disk, not in memory).
stop_pid $FTP_PID
exec 3<>"/dev/tcp/127.0.0.1/$CONTROL_PORT"
echo "status thanh-thuy outlet-analyzer calibrating" >&3
read -r answer <&3
[ "$answer" = ok ] || not_ok "the simulator takes the calibration command" "$answer"
cal_since=$(date -u -d "@$(($(date +%s) + 7 * 3600))" +%Y%m%d%H%M%S)
before=$(local_files | wc -l)
if wait_for '[ "$(outbox | wc -l)" -ge 2 ]' $((3 * PERIOD * SLOW)); then
	ok "while the server is down, files wait in the outbox ($(outbox | wc -l))"
else
	not_ok "while the server is down, files wait in the outbox" "outbox: $(outbox | tr '\n' ' ')"
fi
stop_pid $COL TERM
wait $COL 2>/dev/null
rc=$?
if [ $rc -eq 0 ]; then ok "SIGTERM during the outage: the collector exits 0"; else
	not_ok "SIGTERM during the outage: the collector exits 0" "exit $rc"; fi
check "the failed uploads were logged" grep -q "cannot send HN_THANHTHUY_NT01_" "$T/collector1.log"
chmod 644 "$T/pw"
start_collector collector2
wait_for '[ "$(local_files | wc -l)" -ge $((before + 3)) ]' $((3 * PERIOD * SLOW))
start_ftp

# Back: every file written, by either run, reaches the server.
if wait_for '[ -z "$(outbox)" ] && [ "$(remote)" = "$(local_files)" ]' $((6 * PERIOD * SLOW)); then
	ok "after the outage every file arrives ($(remote | wc -l) files, none missing)"
else
	not_ok "after the outage every file arrives" "missing: $(comm -13 <(remote) <(local_files) | tr '\n' ' ')" \
		"outbox: $(outbox | tr '\n' ' ')"
fi
tmp=$(find "$T/ftp" -name '*.tmp')
if [ -z "$tmp" ]; then ok "no temporary upload is left on the server"; else not_ok "no temporary upload is left on the server" "$tmp"; fi

# The periods wholly inside the calibration say 01 for the analyzer's
# params (with the value it kept showing) and 00 for the others.
n01=0
for g in $(remote); do
	s=${g#HN_THANHTHUY_NT01_}
	s=${s%.txt}
	p=$(find "$T/ftp" -name "$g")
	if [[ "$s" < "$cal_since" ]]; then
		grep -q $'\t01$' "$p" && not_ok "no file before the calibration says 01" "$g: $(cat -A "$p")"
		continue
	fi
	if grep -q $'^COD\t123.4\tmg/L\t'"$s"$'\t01$' "$p" && grep -q $'^NH4\t1.50\tmg/L\t'"$s"$'\t01$' "$p" &&
		grep -q $'^pH\t7.25\tpH\t'"$s"$'\t00$' "$p"; then
		n01=$((n01 + 1))
	fi
done
if [ "$n01" -ge 1 ]; then ok "files of the calibration say 01 for COD and NH4, 00 for pH ($n01 files)"; else
	not_ok "files of the calibration say 01 for COD and NH4" "$(for g in $(remote); do echo "$g"; done | tail -n 4)"; fi

# A file the server refuses (a folder there has its name, so the rename
# fails) stays in the outbox and does not hold back the files after it.
local_stamp() { date -u -d "@$(($1 + 7 * 3600))" +%Y%m%d%H%M%S; }
now=$(date +%s)
blocked_end=$(((now / PERIOD + 2) * PERIOD)) # the end of the next period
blocked=HN_THANHTHUY_NT01_$(local_stamp $blocked_end).txt
after=HN_THANHTHUY_NT01_$(local_stamp $((blocked_end + PERIOD))).txt
b=$(local_stamp $blocked_end)
mkdir -p "$T/ftp/inbox/${b:0:4}/${b:4:2}/${b:6:2}/$blocked"
if wait_for '[ -n "$(find "$T/ftp" -type f -name "$after")" ]' $((5 * PERIOD * SLOW)); then
	ok "a file the server refuses does not hold back the next one ($after arrived)"
else
	not_ok "a file the server refuses does not hold back the next one" "remote: $(remote | tail -n 3 | tr '\n' ' ')" \
		"outbox: $(outbox | tr '\n' ' ')"
fi
check "the refused file waits in the outbox" test -f "$T/tt10/outbox/dept/$blocked"
check "the refusal is logged" grep -q "cannot send $blocked" "$T/collector2.log"

check "a password file readable by others is warned about" grep -q "can be read by other users" "$T/collector2.log"
if grep -q -- "$PW" "$T"/collector*.log; then not_ok "the password is never logged" "$(grep -- "$PW" "$T"/collector*.log | head -n 2)"; else
	ok "the password is never logged"; fi

stop_pid $COL TERM
wait $COL 2>/dev/null
rc=$?
if [ $rc -eq 0 ]; then ok "SIGTERM: the collector exits 0"; else not_ok "SIGTERM: the collector exits 0" "exit $rc"; fi

[ "$FAILS" -eq 0 ]
