#!/usr/bin/env bash
# suite: sanitizer pass only
# Notifications (docs/notify.md), end to end with real parts: mosquitto,
# InfluxDB, the simulator and the collector raising real alerts, a real
# SMTP server (aiosmtpd) and an HTTP receiver, wwtp-central between them.
#  1. An exceedance: exactly one e-mail (Vietnamese, MIME, the plant's name,
#     Hanoi time) and one webhook (JSON) arrive.
#  2. Grouping: a fault raised and cleared within min_interval_s reach the
#     webhook (min_priority low) as one message, not before the interval.
#  3. SIGKILL between raise and delivery: the SMTP server is down when the
#     exceedance clears; wwtp-central is killed with the message queued,
#     the server comes back, wwtp-central restarts: the e-mail arrives once,
#     and no webhook twice.
#  4. SIGKILL while sending: the server has the data but its 250 is late;
#     wwtp-central dies before reading it. At restart the message is sent
#     again with the same Message-ID and counted as resent (at least once,
#     as documented).
#  5. A server that requires STARTTLS and a log-in: with use_ssl, ca_file,
#     username and password_file the next message goes over TLS, logged
#     in; with a wrong password it waits in the outbox.
. "$(dirname "$0")/../lib/common.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
PY=/usr/bin/python3
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	not_ok "Debian's python3-aiosmtpd is installed (scripts/deps.sh)"
	exit 1
fi

MIN_INTERVAL=12
WEB_AUTH="ci:ci-password-1"
api() { curl -s -u "$WEB_AUTH" --max-time 10 "http://127.0.0.1:$HTTP_PORT$1"; }

start_influxd
start_mosquitto
read -r GW_PORT SMTP_PORT HOOK_PORT HTTP_PORT < <(freeport 4 | tr '\n' ' ')

# smtp_up DIR: the SMTP server, writing what it takes into DIR.
smtp_up() {
	$PY tests/lib/smtp_sink.py "$SMTP_PORT" "$1" >>"$T/smtp.log" 2>&1 &
	SMTP_PID=$!
	track $SMTP_PID
	"$WAITPORT" 127.0.0.1 "$SMTP_PORT" 10000 || { not_ok "the SMTP server starts" "$(tail -n 5 "$T/smtp.log")"; exit 1; }
}
$PY tests/lib/http_sink.py "$HOOK_PORT" "$T/hook" >>"$T/hook.log" 2>&1 &
track $!
"$WAITPORT" 127.0.0.1 "$HOOK_PORT" 10000 || { not_ok "the HTTP receiver starts" "$(tail -n 5 "$T/hook.log")"; exit 1; }
smtp_up "$T/mail"

ST=notify-test
mkdir -p "$T/stations"
cat >"$T/stations/$ST.cfg" <<EOF
station = { id = "$ST"; name = "CCN Thử Nghiệm"; plan = "qd6613"; design_flow_m3d = 1000.0; };
devices = (
  { name = "cod-analyzer"; transport = "tcp"; host = "127.0.0.1"; port = $GW_PORT; unit_id = 1;
    interval_ms = 500; timeout_ms = 300; retries = 0;
    status = { table = "holding"; address = 10; mode = "value"; calibrating = 1; fault = 2; };
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; unit = "mg/L"; } ); }
);
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; topic_prefix = "wwtp"; };
limits_dir = "$WWTP_SRCDIR/config/limits";
limits = { regulation = "QCVN40:2011"; column = "B"; kq = 0.9; kf = 1.1; };
evaluation = { windows_s = [ 10 ]; bucket_s = 1; min_availability = 0.5; offline_after_s = 3; };
EOF
printf '%s\n' "${WEB_AUTH#*:}" | "$CENTRAL" passwd --file "$T/accounts" "${WEB_AUTH%%:*}" inspector >/dev/null
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "config/profiles";
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-notify"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; create_database = true;
             batch_max_ms = 200; spool_dir = "$T/spool"; };
http = { listen = "127.0.0.1:$HTTP_PORT"; accounts_file = "$T/accounts"; acks_file = "$T/acks.jsonl"; };
notify = {
  smtp = { url = "smtp://127.0.0.1:$SMTP_PORT"; from = "giamsat@example.vn"; };
  recipients = ( { email = "thanhtra@example.vn"; stations = [ "*" ]; min_priority = "high"; } );
  webhooks = ( { url = "http://127.0.0.1:$HOOK_PORT/hook"; min_priority = "low"; } );
  min_interval_s = $MIN_INTERVAL;
  delay_s = 1; timeout_s = 5; retry_min_s = 1; retry_max_s = 2;
  dir = "$T/notify";
};
EOF
check "wwtp-central --check accepts the notify group" "$CENTRAL" -c "$T/central.cfg" --check
start_central central 15 "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u '$WEB_AUTH' http://127.0.0.1:$HTTP_PORT/api/health)\" = 200 ]"

start_sim sim -c "$T/stations/$ST.cfg" --control 0
CTL_PORT=$(sed -n 's/^control [0-9.]* \([0-9]*\)$/\1/p' "$T/sim.ready")
ctl() {
	local reply=""
	exec 3<>"/dev/tcp/127.0.0.1/$CTL_PORT" || return 1
	printf '%s\n' "$*" >&3
	read -r -t 5 reply <&3
	exec 3<&-
	[[ $reply == ok* ]]
}
mqtt_sub alerts 100 $((240 * SLOW)) "wwtp/$ST/alert"
"$COLLECTOR" -c "$T/stations/$ST.cfg" >"$T/collector.out" 2>"$T/collector.log" &
COL=$!
track $COL
alerts() { grep "^wwtp/$ST/alert " "$T/alerts.raw" | sed 's/^[^ ]* //'; }
count() { alerts | jq -c --arg k "$1" --arg e "$2" 'select(.kind == $k and .event == $e)' | wc -l; }

mails() { find "$1" -name '*.eml' 2>/dev/null | wc -l; }
hooks() { find "$T/hook" -name '*.json' 2>/dev/null | wc -l; }
# mail_text FILE: the decoded Subject, Message-ID and body of a received e-mail.
mail_text() {
	$PY -c 'import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
print("Subject:", m["subject"]); print("Message-ID:", m["message-id"]); print("Date:", m["date"])
print(m.get_content().replace("\r\n", "\n"))' "$1"
}
# hook_events KIND EVENT: how many webhook events of that kind and edge arrived.
hook_events() { cat "$T"/hook/*.json 2>/dev/null | jq -s --arg k "$1" --arg e "$2" '[.[].events[] | select(.kind == $k and .event == $e)] | length'; }

# ---- 1. one exceedance: one e-mail, one webhook ----
sleep 6 # the 10 s window half full: judged
check "the simulator pins COD at 400 mg/L" ctl set "$ST" cod 400
if wait_for "[ \$(count exceedance raised) -ge 1 ]" $((40 * SLOW)); then ok "the collector raises an exceedance"; else
	not_ok "the collector raises an exceedance" "$(alerts)"; exit 1; fi
if wait_for "[ \$(mails '$T/mail') -ge 1 ] && [ \$(hook_events exceedance raised) -ge 1 ]" $((20 * SLOW)); then
	ok "an e-mail and a webhook arrive for the exceedance"
else not_ok "an e-mail and a webhook arrive for the exceedance" "mails $(mails "$T/mail"), hooks $(hooks)" "$(grep notify "$T/central.log" | tail -n 5)"; fi
T_FIRST=$(date +%s)
mail_text "$T/mail/0001.eml" >"$T/mail1.txt"
check "the e-mail: encoded subject in Vietnamese with the plant's name" \
	grep -q '^Subject: \[Giám sát nước thải\] 1 cảnh báo mới - CCN Thử Nghiệm$' "$T/mail1.txt"
check "the e-mail: COD vượt quy chuẩn, the average, gấp N lần, Cmax 148,5 mg/L, Hanoi time dd/mm/yyyy HH:MM" \
	grep -qE '^- CCN Thử Nghiệm: COD vượt quy chuẩn - trung bình 10 giây [0-9]+(,[0-9]+)? mg/L, gấp [0-9]+(,[0-9]+)? lần giới hạn 148,5 mg/L, từ [0-3][0-9]/[01][0-9]/20[0-9]{2} [0-2][0-9]:[0-5][0-9]$' "$T/mail1.txt"
check "the e-mail: From, To, Date in +0700, a Message-ID, MIME UTF-8, and the envelope" bash -c \
	"grep -q '^From: <giamsat@example.vn>' '$T/mail/0001.eml' && grep -q '^To: <thanhtra@example.vn>' '$T/mail/0001.eml' &&
	 grep -qE '^Date: .* \+0700$' '$T/mail1.txt' && grep -qE '^Message-ID: <wwtp-notify\.[0-9a-f]{16}\.[0-9]+@example\.vn>$' '$T/mail1.txt' &&
	 grep -q 'Content-Type: text/plain; charset=UTF-8' '$T/mail/0001.eml' &&
	 grep -q 'X-Envelope: giamsat@example.vn -> thanhtra@example.vn' '$T/mail/0001.eml'"
check "the webhook: JSON with the id, the Vietnamese text and the event's numbers" jq -e \
	--arg st "$ST" '(.id | test("^wwtp-notify\\.")) and (.sent_at | test("Z$")) and (.text | test("vượt quy chuẩn")) and
	 (.events | length == 1) and .events[0].event == "raised" and .events[0].kind == "exceedance" and
	 .events[0].priority == "high" and .events[0].station == $st and .events[0].station_name == "CCN Thử Nghiệm" and
	 .events[0].param == "cod" and .events[0].limit == 148.5 and .events[0].ratio > 1 and .events[0].window_s == 10' "$T/hook/0001.json"
check "the webhook's Idempotency-Key is its id" bash -c "[ \"\$(cat '$T/hook/0001.key')\" = \"\$(jq -r .id '$T/hook/0001.json')\" ]"

# ---- 2. grouping: a fault raised and cleared within min_interval_s ----
check "the simulator puts the COD analyzer in fault" ctl status "$ST" cod-analyzer fault
wait_for "[ \$(count fault raised) -ge 1 ]" $((20 * SLOW)) || not_ok "a fault is raised" "$(alerts)"
check "the simulator's COD analyzer is ok again" ctl status "$ST" cod-analyzer ok
wait_for "[ \$(count fault cleared) -ge 1 ]" $((20 * SLOW)) || not_ok "the fault clears" "$(alerts)"
if wait_for "[ \$(hook_events fault cleared) -ge 1 ]" $((MIN_INTERVAL + 15 * SLOW)); then ok "the fault reaches the webhook"; else
	not_ok "the fault reaches the webhook" "$(grep notify "$T/central.log" | tail -n 5)"; fi
T_SECOND=$(date +%s)
check "the fault's raise and clear came in one webhook message" jq -se \
	'[.[] | select(any(.events[]; .kind == "fault"))] | length == 1 and
	 (.[0].events | map(select(.kind == "fault")) | map(.event) | sort == ["cleared", "raised"])' "$T"/hook/*.json
check "... not before min_interval_s after the first" jq -se --argjson m $MIN_INTERVAL \
	'def t: sub("\\.[0-9]+Z$"; "Z") | fromdate; (.[1].sent_at | t) - (.[0].sent_at | t) >= $m' \
	"$T/hook/0001.json" "$T/hook/0002.json"
check "the fault (low) is not e-mailed to a recipient of high only" bash -c "[ \$(ls '$T/mail' | wc -l) -eq 1 ]"
log "first message at $T_FIRST, grouped one at $T_SECOND"

# ---- 3. SIGKILL between raise and delivery ----
stop_pid $SMTP_PID TERM
check "the simulator lets COD follow its model again" ctl unset "$ST" cod
if wait_for "[ \$(count exceedance cleared) -ge 1 ]" $((40 * SLOW)); then ok "the exceedance clears"; else
	not_ok "the exceedance clears" "$(alerts)"; fi
# The e-mail is made and fails against the stopped server; the webhook goes.
if wait_for "grep -q 'cannot deliver to thanhtra@example.vn' '$T/central.log'" $((MIN_INTERVAL + 15 * SLOW)); then
	ok "with the SMTP server down, the e-mail waits in the outbox"
else not_ok "with the SMTP server down, the e-mail waits in the outbox" "$(grep notify "$T/central.log" | tail -n 5)"; fi
# (The webhook's message of the same change may be going out at that moment.)
health_queued() { api /api/health | jq -e '.notify.queued == 1 and .notify.retrying == 1 and .notify.failed >= 1 and .notify.sent >= 3' >/dev/null; }
if wait_for health_queued $((5 * SLOW)); then ok "health: the e-mail is queued and retrying, attempts failed"; else
	not_ok "health: the e-mail is queued and retrying, attempts failed" "$(api /api/health | jq -c .notify)"; fi
ls "$T/notify/out" >"$T/out-before-kill.txt"
stop_pid $CENTRAL_PID KILL
check "the outbox holds the e-mail after SIGKILL" grep -qE '^[0-9a-f]{16}-[0-9]{20}\.msg$' "$T/out-before-kill.txt"
smtp_up "$T/mail2"
start_central central2 15
if wait_for "[ \$(mails '$T/mail2') -ge 1 ]" $((15 * SLOW)); then ok "after the restart the queued e-mail arrives"; else
	not_ok "after the restart the queued e-mail arrives" "$(grep notify "$T/central2.log" | tail -n 5)"; fi
sleep 3
mail_text "$T/mail2/0001.eml" >"$T/mail2.txt"
check "it says the exceedance is over (hết vượt quy chuẩn) with its time" \
	grep -qE '^- CCN Thử Nghiệm: COD hết vượt quy chuẩn \(trung bình 10 giây\) lúc [0-3][0-9]/[01][0-9]/20[0-9]{2} [0-2][0-9]:[0-5][0-9]$' "$T/mail2.txt"
check "the e-mail arrived once" bash -c "[ \$(ls '$T/mail2' | grep -c eml) -eq 1 ]"
export T
ev_all() { cat "$T"/hook/*.json | jq -s '[.[].events[] | .alert_id + " " + .event]'; }
export -f ev_all
check "each webhook event arrived once (none sent again after the restart)" bash -c \
	"[ \$(ev_all | jq length) -eq \$(ev_all | jq 'unique | length') ] && [ \$(ev_all | jq length) -ge 3 ]"
check "the outbox is empty" bash -c "[ -z \"\$(ls '$T/notify/out')\" ]"

# ---- 4. SIGKILL while sending: the server took the data, the 250 is late ----
stop_pid $SMTP_PID TERM
SINK_HOLD_FIRST=30 smtp_up "$T/mail3"
check "the simulator pins COD at 400 mg/L again" ctl set "$ST" cod 400
if wait_for "[ \$(mails '$T/mail3') -ge 1 ]" $((40 * SLOW + MIN_INTERVAL)); then ok "the server has the new exceedance's data"; else
	not_ok "the server has the new exceedance's data" "$(grep notify "$T/central2.log" | tail -n 5)"; fi
check "... and wwtp-central is mid-send (.sending)" bash -c "ls '$T/notify/out' | grep -q '\.sending$'"
stop_pid $CENTRAL_PID KILL
stop_pid $SMTP_PID TERM
smtp_up "$T/mail4"
start_central central3 15
if wait_for "[ \$(mails '$T/mail4') -ge 1 ]" $((15 * SLOW)); then ok "after the restart it is sent again"; else
	not_ok "after the restart it is sent again" "$(grep notify "$T/central3.log" | tail -n 5)"; fi
mail_text "$T/mail3/0001.eml" | grep '^Message-ID' >"$T/id3"
mail_text "$T/mail4/0001.eml" | grep '^Message-ID' >"$T/id4"
check "the copy has the same Message-ID (a receiver can spot it)" bash -c "[ -s '$T/id3' ] && cmp -s '$T/id3' '$T/id4'"
check "the log says it may arrive twice" grep -q 'was being sent when central stopped: sending it again' "$T/central3.log"
# (The API may still be starting, the removal of the sent file under way.)
health_resent() { api /api/health | jq -e '.notify.resent == 1 and .notify.queued == 0 and .notify.sent >= 1' >/dev/null 2>&1; }
if wait_for health_resent $((5 * SLOW)); then ok "health: resent 1, queued 0"; else
	not_ok "health: resent 1, queued 0" "$(api /api/health | jq -c .notify)"; fi

# ---- 5. STARTTLS and a log-in ----
stop_pid $CENTRAL_PID TERM
stop_pid $SMTP_PID TERM
mkdir -p "$T/certs"
tls_certs "$T/certs"
printf 'wrong-password\n' >"$T/smtp-password"
chmod 600 "$T/smtp-password"
sed -i "s|smtp = { url = \"smtp://127.0.0.1:$SMTP_PORT\"; from = \"giamsat@example.vn\"; };|smtp = { url = \"smtp://127.0.0.1:$SMTP_PORT\"; from = \"giamsat@example.vn\"; use_ssl = \"required\"; ca_file = \"$T/certs/ca.crt\"; username = \"giamsat\"; password_file = \"$T/smtp-password\"; };|" "$T/central.cfg"
check "wwtp-central --check accepts STARTTLS and a log-in" "$CENTRAL" -c "$T/central.cfg" --check
SINK_TLS_CERT="$T/certs/broker.crt" SINK_TLS_KEY="$T/certs/broker.key" SINK_USER=giamsat SINK_PASS=s3cret-pw \
	smtp_up "$T/mail5"
start_central central4 15
check "the simulator lets COD follow its model again" ctl unset "$ST" cod
if wait_for "grep -q 'cannot deliver to thanhtra@example.vn' '$T/central4.log'" $((40 * SLOW + MIN_INTERVAL)); then
	ok "a wrong SMTP password: the e-mail waits, logged"
else not_ok "a wrong SMTP password: the e-mail waits, logged" "$(grep notify "$T/central4.log" | tail -n 5)"; fi
check "... and nothing reached the server" bash -c "[ \$(ls '$T/mail5' 2>/dev/null | grep -c eml) -eq 0 ]"
check "the password is not in the log" bash -c "! grep -q wrong-password '$T/central4.log'"
stop_pid $CENTRAL_PID TERM
printf 's3cret-pw\n' >"$T/smtp-password"
start_central central5 15
if wait_for "[ \$(mails '$T/mail5') -ge 1 ]" $((15 * SLOW)); then ok "with the right password the e-mail arrives"; else
	not_ok "with the right password the e-mail arrives" "$(grep notify "$T/central5.log" | tail -n 5)"; fi
check "... over STARTTLS, logged in as giamsat" bash -c \
	"grep -q '^X-Sink-TLS: yes' '$T/mail5/0001.eml' && grep -q '^X-Sink-Login: giamsat' '$T/mail5/0001.eml'"
check "... once" bash -c "sleep 2; [ \$(ls '$T/mail5' | grep -c eml) -eq 1 ]"

stop_pid $COL TERM
stop_pid $CENTRAL_PID TERM
check "wwtp-central stops cleanly" bash -c "! grep -qE 'ERROR|runtime error|AddressSanitizer' '$T/central5.log'"
[ "$FAILS" -eq 0 ]
