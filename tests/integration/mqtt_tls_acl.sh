#!/usr/bin/env bash
# MQTT over TLS with per-station credentials and the ACL of `wwtp-central
# acl`, on a real mosquitto (certificates made now with scripts/mkcert.sh):
#  - the broker refuses: a station publishing under another station's topic
#    (checked by a subscriber that may read everything: it never sees the
#    forged message, and does see the station's own), a station reading
#    another's topics, a wrong password, a client certificate of another CA,
#    no client certificate, a client without TLS;
#  - the collector refuses: a broker whose certificate is of another CA, and
#    one whose certificate names another host;
#  - the collector, with its certificate and password, publishes through it;
#    it warns about a password file others can read; the central side
#    subscribes through it; no password is in their logs.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
C="$T/certs"
EVIL="$T/evil"

# ---- certificates, passwords, the ACL ----
tls_certs "$C"
scripts/mkcert.sh server "$C" elsewhere other.example >/dev/null
# Another CA, with a broker and a station certificate of its own.
scripts/mkcert.sh ca "$EVIL" >/dev/null
scripts/mkcert.sh server "$EVIL" broker 127.0.0.1 localhost >/dev/null
scripts/mkcert.sh client "$EVIL" st-a >/dev/null

PW_A="pw-a-$RANDOM$RANDOM"
PW_B="pw-b-$RANDOM$RANDOM"
PW_C="pw-c-$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$PW_A" >"$T/st-a.pw" && printf '%s\n' "$PW_B" >"$T/st-b.pw" &&
	printf '%s\n' "$PW_C" >"$T/central.pw")
(umask 077 && : >"$T/passwd")
mosquitto_passwd -b "$T/passwd" st-a "$PW_A"
mosquitto_passwd -b "$T/passwd" st-b "$PW_B"
mosquitto_passwd -b "$T/passwd" wwtp-central "$PW_C"

MQTT_PORT=$(freeport)
DEAD_PORT=$(freeport)
for s in st-a st-b; do
	write_tls_station "$s" "$MQTT_PORT" "$DEAD_PORT" "$C" "username = \"$s\"; password_file = \"$T/$s.pw\";"
done
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
mqtt = { uri = "ssl://127.0.0.1:$MQTT_PORT"; ca_file = "$C/ca.crt"; cert_file = "$C/wwtp-central.crt";
         key_file = "$C/wwtp-central.key"; username = "wwtp-central"; password_file = "$T/central.pw"; };
influxdb = { url = "http://127.0.0.1:1"; database = "wwtp"; spool_dir = "$T/spool"; };
EOF
check "wwtp-central acl writes the ACL and the broker configuration" \
	"$CENTRAL" acl -c "$T/central.cfg" --out "$T/broker" --auth both --port "$MQTT_PORT" \
	--bind 127.0.0.1 --cafile "$C/ca.crt" --certfile "$C/broker.crt" --keyfile "$C/broker.key" \
	--password-file "$T/passwd"
if grep -qx "topic write wwtp/st-a/telemetry" "$T/broker/acl" && grep -qx "topic read wwtp/#" "$T/broker/acl" &&
	grep -qx "allow_anonymous false" "$T/broker/mosquitto.conf"; then
	ok "the ACL grants each station its own topics and the central side read"
else
	not_ok "the ACL grants each station its own topics and the central side read" "$(cat "$T/broker/acl")"
fi
start_conf_broker mosquitto "$MQTT_PORT" "$T/broker/mosquitto.conf"

# tls_args USER [CERT-DIR]: mosquitto_{pub,sub} options for USER's certificate.
tls_args() { local d=${2:-$C}; echo "-h 127.0.0.1 -p $MQTT_PORT --cafile $C/ca.crt --cert $d/$1.crt --key $d/$1.key -u $1"; }
# pub USER PASSWORD TOPIC MESSAGE [CERT-DIR]
pub() { mosquitto_pub $(tls_args "$1" "${5:-}") -P "$2" -q 1 -t "$3" -m "$4"; }

# sub_start NAME USER PASSWORD TOPIC: a subscriber with USER's credentials.
sub_start() {
	stdbuf -oL mosquitto_sub -d $(tls_args "$2") -P "$3" -q 1 -v -W $((20 * SLOW)) -t "$4" \
		>"$T/$1.raw" 2>"$T/$1.sub.log" &
	track $!
	if ! wait_for "grep -q 'received SUBACK' '$T/$1.raw' 2>/dev/null" 10; then
		not_ok "subscriber $1 subscribed" "$(cat "$T/$1.sub.log")"
		exit 1
	fi
}
# The central side's user may read everything; station b's user tries to
# read station a's topics.
sub_start all wwtp-central "$PW_C" 'wwtp/#'
sub_start spy st-b "$PW_B" 'wwtp/st-a/#'

# ---- the broker's refusals ----
pub st-a "$PW_A" wwtp/st-b/telemetry '{"forged":"a-as-b"}'
pub st-a "$PW_A" wwtp/st-a/telemetry '{"own":"a"}'
if wait_for "grep -q '\"own\":\"a\"' '$T/all.raw'" $((10 * SLOW)); then
	ok "a station publishes under its own topic (the central side's user reads it)"
else
	not_ok "a station publishes under its own topic" "$(cat "$T/all.raw")" "$(tail -n 5 "$T/mosquitto.log")"
fi
# The forged one went first, through the same broker to the same
# subscriber: had it been let through, it would be there already.
if grep -q 'a-as-b' "$T/all.raw"; then
	not_ok "the broker drops a station's message under another station's topic" "$(grep a-as-b "$T/all.raw")"
else
	ok "the broker drops a station's message under another station's topic"
fi
if grep -q '"own":"a"' "$T/spy.raw"; then
	not_ok "a station cannot read another station's topics" "$(grep own "$T/spy.raw")"
else
	ok "a station cannot read another station's topics"
fi

# The end-to-end acknowledgements: only the central side publishes them,
# and a station reads its own only.
sub_start ack-a st-a "$PW_A" 'wwtp/st-a/ack'
sub_start ack-spy st-b "$PW_B" 'wwtp/st-a/ack'
pub st-b "$PW_B" wwtp/st-a/ack '{"v":1,"station":"st-a","seq":999999,"alert_seq":0,"forged":1}'
pub wwtp-central "$PW_C" wwtp/st-a/ack '{"v":1,"station":"st-a","seq":7,"alert_seq":0}'
if wait_for "grep -q '\"seq\":7' '$T/ack-a.raw'" $((10 * SLOW)); then
	ok "a station reads the central side's acknowledgement on its own ack topic"
else
	not_ok "a station reads the central side's acknowledgement on its own ack topic" "$(cat "$T/ack-a.raw")"
fi
if grep -q 'forged' "$T/ack-a.raw"; then
	not_ok "the broker drops an acknowledgement published by a station" "$(grep forged "$T/ack-a.raw")"
else
	ok "the broker drops an acknowledgement published by a station"
fi
if grep -q '"seq":7' "$T/ack-spy.raw"; then
	not_ok "a station cannot read another station's acknowledgements"
else
	ok "a station cannot read another station's acknowledgements"
fi

# refused DESC CMD...: CMD must fail (the broker refused the connection).
refused() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then not_ok "$desc" "it was accepted: $*"; else ok "$desc ($(echo "$out" | tail -n1))"; fi
}
refused "the broker refuses a wrong password" pub st-a "wrong-$PW_A" wwtp/st-a/telemetry '{"x":1}'
refused "the broker refuses another station's password" pub st-a "$PW_B" wwtp/st-a/telemetry '{"x":1}'
refused "the broker refuses a client certificate of another CA" \
	pub st-a "$PW_A" wwtp/st-a/telemetry '{"x":1}' "$EVIL"
refused "the broker refuses a client without a certificate" \
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile "$C/ca.crt" -u st-a -P "$PW_A" -q 1 -t wwtp/st-a/telemetry -m '{"x":1}'
refused "the broker refuses a client without TLS" \
	mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u st-a -P "$PW_A" -q 1 -t wwtp/st-a/telemetry -m '{"x":1}'
sleep 0.3
if grep -q '"x"' "$T/all.raw"; then not_ok "nothing of the refused clients arrived" "$(grep x "$T/all.raw")"; else
	ok "nothing of the refused clients arrived"; fi

# ---- the collector ----
# once NAME CFG [SECS]: one collector run (--once, waiting SECS, default 3, times
# SLOW for acknowledgements), log $T/collector-NAME.log. A refusal comes at
# once: those runs wait 1 s.
once() {
	"$COLLECTOR" -c "$2" --profiles config/profiles --once --ack-timeout $((${3:-3} * SLOW)) \
		>"$T/collector-$1.out" 2>"$T/collector-$1.log"
}
# With its credentials it publishes through the broker under its own
# topics; its password file is private: no warning.
if once ok "$T/stations/st-a.cfg" && wait_for "grep -q '^wwtp/st-a/telemetry {' '$T/all.raw'" $((5 * SLOW)); then
	ok "the collector publishes over TLS with its certificate and password"
else
	not_ok "the collector publishes over TLS with its certificate and password" "$(tail -n 5 "$T/collector-ok.log")"
fi
if grep -q 'can be read by' "$T/collector-ok.log"; then
	not_ok "no permission warning for a private password file" "$(grep 'can be read' "$T/collector-ok.log")"
else
	ok "no permission warning for a private password file"
fi

# A password file every user may read: a warning naming it.
chmod 644 "$T/st-a.pw"
once 644 "$T/stations/st-a.cfg"
if grep -q "password_file $T/st-a.pw can be read by every user" "$T/collector-644.log"; then
	ok "a password file others can read gives a warning"
else
	not_ok "a password file others can read gives a warning" "$(head -n 5 "$T/collector-644.log")"
fi
chmod 600 "$T/st-a.pw"

# A wrong password: refused, and the collector says why.
(umask 077 && printf 'not-%s\n' "$PW_A" >"$T/st-a-wrong.pw")
sed "s|$T/st-a.pw|$T/st-a-wrong.pw|" "$T/stations/st-a.cfg" >"$T/st-a-wrong.cfg"
if once wrong "$T/st-a-wrong.cfg" 1; then
	not_ok "the collector with a wrong password is refused" "it exited 0"
elif grep -qE "refused: (bad user name or password|not authorised)" "$T/collector-wrong.log"; then
	ok "the collector with a wrong password is refused, and says why"
else
	not_ok "the collector with a wrong password is refused, and says why" "$(tail -n 3 "$T/collector-wrong.log")"
fi

# Brokers the collector must not trust: a certificate of another CA, and
# one of our CA for another host name. Both let anyone in and would take
# the collector's messages (and password): it must refuse them first.
impostor() { # impostor NAME CERT KEY: sets IMP_PORT
	IMP_PORT=$(freeport)
	printf 'allow_anonymous true\nlistener %s 127.0.0.1\ncertfile %s\nkeyfile %s\n' \
		"$IMP_PORT" "$2" "$3" >"$T/$1.snippet"
	start_conf_broker "$1" "$IMP_PORT" "$T/$1.snippet"
}
impostor rogue "$EVIL/broker.crt" "$EVIL/broker.key"
ROGUE_PORT=$IMP_PORT
sed "s|127.0.0.1:$MQTT_PORT|127.0.0.1:$IMP_PORT|" "$T/stations/st-a.cfg" >"$T/st-a-rogue.cfg"
if once rogue "$T/st-a-rogue.cfg" 1; then
	not_ok "the collector refuses a broker whose certificate is of another CA" "it exited 0"
elif grep -q 'certificate verify failed' "$T/collector-rogue.log"; then
	ok "the collector refuses a broker whose certificate is of another CA, and says why"
else
	not_ok "the collector refuses a broker whose certificate is of another CA, and says why" \
		"$(grep -m3 'mqtt' "$T/collector-rogue.log")"
fi
impostor misnamed "$C/elsewhere.crt" "$C/elsewhere.key"
sed "s|127.0.0.1:$MQTT_PORT|127.0.0.1:$IMP_PORT|" "$T/stations/st-a.cfg" >"$T/st-a-misnamed.cfg"
if once misnamed "$T/st-a-misnamed.cfg" 1 || grep -q "New client connected" "$T/misnamed.log"; then
	not_ok "the collector refuses a broker whose certificate names another host" \
		"$(tail -n 3 "$T/collector-misnamed.log")"
else
	ok "the collector refuses a broker whose certificate names another host"
fi

# The central side, with its certificate and password, subscribes.
"$CENTRAL" -c "$T/central.cfg" >"$T/central.out" 2>"$T/central.log" &
CPID=$!
track $CPID
if wait_for "grep -q 'subscribed to' '$T/central.log'" $((10 * SLOW)); then
	ok "wwtp-central subscribes over TLS with its certificate and password"
else
	not_ok "wwtp-central subscribes over TLS with its certificate and password" "$(tail -n 5 "$T/central.log")"
fi
stop_pid $CPID TERM

# The central side refuses the same impostors (its own TLS code, sub.c):
# it never subscribes there, and says why.
for imp in rogue:$ROGUE_PORT misnamed:$IMP_PORT; do
	name=${imp%%:*} port=${imp#*:}
	sed "s|127.0.0.1:$MQTT_PORT|127.0.0.1:$port|" "$T/central.cfg" >"$T/central-$name.cfg"
	"$CENTRAL" -c "$T/central-$name.cfg" >"$T/central-$name.out" 2>"$T/central-$name.log" &
	CPID=$!
	track $CPID
	wait_for "grep -q 'cannot connect to' '$T/central-$name.log'" $((10 * SLOW))
	stop_pid $CPID TERM
	if grep -q 'subscribed to' "$T/central-$name.log" || grep -q 'New client connected.* as wwtp-central ' "$T/$name.log"; then
		not_ok "wwtp-central refuses the $name broker" "$(grep -m3 mqtt "$T/central-$name.log")"
	elif [ "$name" = rogue ] && ! grep -q 'certificate verify failed' "$T/central-$name.log"; then
		not_ok "wwtp-central refuses the $name broker, and says why" "$(grep -m3 mqtt "$T/central-$name.log")"
	else
		ok "wwtp-central refuses the $name broker"
	fi
done

# No password in any log of ours.
leaks=$(grep -lF -e "$PW_A" -e "$PW_B" -e "$PW_C" "$T"/collector-*.log "$T"/central*.log 2>/dev/null)
if [ -z "$leaks" ]; then ok "no password appears in the collector's or the central side's logs"; else
	not_ok "no password appears in the collector's or the central side's logs" "in: $leaks"; fi

exit $((FAILS > 0))
