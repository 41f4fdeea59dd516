#!/usr/bin/env bash
# suite: plain pass too
# What a gateway's memory holds is what its configuration uses (issue 21,
# edge memory): a collector publishing to a tcp:// broker without a tt10
# group maps neither OpenSSL, Paho's TLS build nor libcurl (they come in
# only through /proc/PID/maps, so ldd alone would not tell); with a tt10
# group that names a server it starts wwtp-tt10-upload, which holds
# libcurl, starts it again when it dies, and takes it down when it stops.
. "$(dirname "$0")/../lib/common.sh"

DEV_PORT=$(freeport)
start_mosquitto
write_plant_station "$T/station.cfg" libs-test "Thư viện" "$DEV_PORT"
start_sim sim -c "$T/station.cfg" --profiles config/profiles

maps_of() { cat "/proc/$1/maps" 2>/dev/null; }
# has_lib PID PATTERN: the process maps a file whose name matches.
has_lib() { maps_of "$1" | awk '{ print $6 }' | grep -q "$2"; }

"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles 2>"$T/plain.log" >/dev/null &
COL=$!
track $COL
if ! wait_for "grep -q 'connected to' '$T/plain.log'" $((10 * SLOW)); then
	not_ok "the collector connects to the broker" "$(tail -n 5 "$T/plain.log")"
	exit 1
fi
check "with a tcp:// broker Paho's plain build is loaded" has_lib $COL 'libpaho-mqtt3a\.so'
for lib in libpaho-mqtt3as libssl libcrypto libcurl libgnutls; do
	if has_lib $COL "$lib\\.so"; then
		not_ok "without TLS or tt10 the collector does not map $lib" \
			"$(maps_of $COL | awk '{ print $6 }' | grep "$lib" | sort -u)"
	else
		ok "without TLS or tt10 the collector does not map $lib"
	fi
done
stop_pid $COL TERM

# A tt10 group with a server (nobody listens there: uploads fail and wait).
printf 'secret\n' >"$T/pw"
chmod 600 "$T/pw"
FTP_PORT=$(freeport)
cat >>"$T/station.cfg" <<EOF
tt10 = { province = "HN"; facility = "LIBS"; station = "NT01"; period_s = 5;
  dir = "$T/tt10"; retry_max_s = 1;
  upload = ( { name = "dept"; url = "ftp://127.0.0.1:$FTP_PORT/inbox/"; user = "wwtp";
               password_file = "$T/pw"; timeout_s = 5; } );
  params = ( { param = "cod"; code = "COD"; decimals = 1; } ); };
EOF
"$COLLECTOR" -c "$T/station.cfg" --profiles config/profiles --log-level warn \
	2>"$T/tt10.log" >/dev/null &
COL=$!
track $COL
child_of() { pgrep -P "$1" -f wwtp-tt10-upload | head -n1; }
if ! wait_for "[ -n \"\$(child_of $COL)\" ]" $((10 * SLOW)); then
	not_ok "with a tt10 server the collector starts wwtp-tt10-upload" "$(tail -n 5 "$T/tt10.log")"
	exit 1
fi
CHILD=$(child_of $COL)
ok "with a tt10 server the collector starts wwtp-tt10-upload (pid $CHILD)"
check "the uploader maps libcurl" has_lib "$CHILD" 'libcurl'
arg_after() { # pid option -> the argument that follows option in its command line
	tr '\0' '\n' <"/proc/$1/cmdline" | grep -A1 -x -- "$2" | tail -n1
}
check "the uploader logs at the collector's level" test "$(arg_after "$CHILD" --log-level)" = warn
if has_lib $COL 'libcurl'; then
	not_ok "the collector itself still does not map libcurl"
else
	ok "the collector itself still does not map libcurl"
fi

kill -KILL "$CHILD"
if wait_for "c=\$(child_of $COL); [ -n \"\$c\" ] && [ \"\$c\" != $CHILD ]" $((10 * SLOW)); then
	ok "a killed uploader is started again (pid $(child_of $COL))"
else
	not_ok "a killed uploader is started again" "$(tail -n 5 "$T/tt10.log")"
fi
check "its death is said in the log" grep -q "wwtp-tt10-upload ended by signal 9" "$T/tt10.log"
CHILD=$(child_of $COL)
stop_pid $COL TERM
if wait_for "! kill -0 ${CHILD:-0} 2>/dev/null" $((10 * SLOW)); then
	ok "stopping the collector stops the uploader"
else
	not_ok "stopping the collector stops the uploader" "pid $CHILD still runs"
fi
[ "$FAILS" -eq 0 ]
