#!/usr/bin/env bash
# The documents made on schedule (docs/report.md, "On schedule"): wwtp-central
# with a report group, its clock set by libfaketime, a real InfluxDB holding
# October 2026 of three plants (tests/lib/report_check.sh), a real SMTP
# server (Debian's python3-aiosmtpd, tests/lib/smtp_sink.py).
#   1. A new archive on 05/11/2026 (Hanoi): October, due that day, is made,
#      archived read-only with a SHA256SUMS that sha256sum -c accepts, and
#      e-mailed to each address with the PDFs attached (the same bytes); what
#      was due before the archive existed is not made, and said so.
#   2. Started again on 07/11: nothing is made or sent again.
#   3. Down over 05/12, 10/12 and 15/12, started on 16/12: November, Q4 and
#      2026 are made up, numbered after October, e-mailed.
#   Then October's archived CSV agrees with the independent InfluxQL
#   computation, and its PDFs pass the layout checks (report_pdf_layout).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/report_check.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
PY=/usr/bin/python3
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -e "$FAKETIME_LIB" ] || { not_ok "libfaketime is installed" "run make deps (package faketime)"; exit 1; }
A=$(($(date -u -d '2026-09-30T17:00:00Z' +%s) * 1000)) # 00:00 UTC+7, 1 October
B=$(($(date -u -d '2026-10-31T17:00:00Z' +%s) * 1000))
KQ=0.9
KF=1.0

start_influxd
curl -s -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE wwtp" >/dev/null
report_month_lp "$A" "$B" >"$T/month.lp"
split -l 20000 "$T/month.lp" "$T/chunk."
for c in "$T"/chunk.*; do
	code=$(curl -s -o "$T/write.out" -w '%{http_code}' -XPOST \
		"http://127.0.0.1:$INFLUX_PORT/write?db=wwtp&precision=ms" --data-binary @"$c")
	[ "$code" = 204 ] || { not_ok "InfluxDB takes the month's data" "HTTP $code"; exit 1; }
done
start_mosquitto
read -r SMTP_PORT < <(freeport 1)
$PY tests/lib/smtp_sink.py "$SMTP_PORT" "$T/mail" >>"$T/smtp.log" 2>&1 &
track $!
mkdir -p "$T/mail"
"$WAITPORT" 127.0.0.1 "$SMTP_PORT" 10000 || { not_ok "the SMTP server starts" "$(tail -n 5 "$T/smtp.log")"; exit 1; }

# Chromium prints the PDFs without libfaketime: under it, its processes
# sometimes hang (seen: 120 s and killed). report.chromium names this wrapper.
printf '#!/bin/sh\nunset LD_PRELOAD FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE\nexec chromium "$@"\n' >"$T/chromium"
chmod +x "$T/chromium"

mkdir -p "$T/stations"
for s in thanh-thuy yen-nghia bat-trang; do cp "config/stations/$s.cfg" "$T/stations/"; done
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "$WWTP_SRCDIR/config/profiles";
mqtt = { uri = "tcp://127.0.0.1:$MQTT_PORT"; client_id = "ci-report-schedule"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; spool_dir = "$T/spool"; };
notify = { smtp = { url = "smtp://127.0.0.1:$SMTP_PORT"; from = "giamsat@example.vn"; };
           dir = "$T/notify"; timeout_s = 20; };
report = {
  issuer_parent = "UBND thành phố Hà Nội";
  issuer = "Ban Quản lý các cụm công nghiệp";
  number_pattern = "%n/BC-BQLCCN";
  signer_authority = "KT. Trưởng ban";
  signer_title = "Phó Trưởng ban";
  signer_name = "Nguyễn Văn An";
  dir = "$T/archive";
  chromium = "$T/chromium";
  delay_s = 0;
  retry_s = 5;
  emails = [ "sct@example.vn", "stnmt@example.vn" ];
};
EOF

# at "YYYY-MM-DDTHH:MM:SSZ": wwtp-central's clock from then on (an offset
# from the real clock, read by libfaketime from a file).
at() { echo "$(($(date -u -d "$1" +%s) - $(date -u +%s)))" | sed 's/^\([0-9]\)/+\1/' >"$T/faketime"; }
fake_central() {
	LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$T/faketime" FAKETIME_NO_CACHE=1 \
		DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$CENTRAL" -c "$T/central.cfg" >"$T/$1.out" 2>"$T/$1.log" &
	CENTRAL_PID=$!
	track $CENTRAL_PID
	sleep 1
	kill -0 "$CENTRAL_PID" 2>/dev/null || { not_ok "wwtp-central starts ($1)" "$(tail -n 3 "$T/$1.log")"; exit 1; }
}
mails() { ls "$T/mail" 2>/dev/null | grep -c '\.eml$'; }
# subject and attachments (name sha256) of one e-mail
mail_parts() {
	$PY - "$1" <<'PYEOF'
import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("subject", m["Subject"])
print("to", m["To"])
for p in m.iter_attachments():
    print("file", p.get_filename(), hashlib.sha256(p.get_payload(decode=True)).hexdigest())
PYEOF
}

# ---- 1. a new archive on the 5th of November: October, due today ----
at "2026-11-05T01:00:00Z" # 08:00 in Hanoi
fake_central c1
if wait_for "[ -s '$T/archive/2026-10/SHA256SUMS' ] && [ \$(ls '$T/mail' | grep -c eml) -ge 2 ]" $((240 * SLOW)); then
	ok "on 05/11 October is archived and e-mailed"
else
	not_ok "on 05/11 October is archived and e-mailed" "$(ls "$T/archive" 2>&1 | tr '\n' ' ')" "$(grep -E 'report|WARN|ERROR' "$T/c1.log" | tail -n 5)"
fi
sleep 2
check "... to each of the two addresses, once" test "$(mails)" -eq 2
check "... and nothing due before the archive was made (2026-09, 2026-Q3, 2025), said so" \
	bash -c "[ \$(ls '$T/archive') = 2026-10 ] && grep -q '2025 was due before this archive was made' '$T/c1.log'"
stop_pid "$CENTRAL_PID"
(cd "$T/archive/2026-10" && sha256sum -c --quiet SHA256SUMS) >"$T/sums.out" 2>&1
check "the archive's SHA256SUMS lists every file and sha256sum -c accepts it" \
	bash -c "[ ! -s '$T/sums.out' ] && [ \$(wc -l <'$T/archive/2026-10/SHA256SUMS') -eq \$(ls '$T/archive/2026-10' | grep -vc SHA256SUMS) ]"
check "archived files are read-only (0444), their folder too (0555)" \
	bash -c "[ \"\$(stat -c %a '$T/archive/2026-10'/* | sort -u)\" = 444 ] && [ \"\$(stat -c %a '$T/archive/2026-10')\" = 555 ]"
ls -l --time-style=+%s.%N "$T/archive/2026-10/" >"$T/before.ls"

# ---- 2. started again on the 7th: nothing made or sent again ----
at "2026-11-07T01:00:00Z"
fake_central c2
wait_for "grep -q 'report-schedule.*documents on the' '$T/c2.log' 2>/dev/null" $((30 * SLOW))
sleep 5
check "started again, October is not made or sent again (2 e-mails, its files untouched)" \
	bash -c "[ \$(ls '$T/mail' | grep -c eml) -eq 2 ] && diff '$T/before.ls' <(ls -l --time-style=+%s.%N '$T/archive/2026-10/') >/dev/null && ! grep -q 'making its documents' '$T/c2.log'"
stop_pid "$CENTRAL_PID"

# ---- 3. down from then to 16/12: November, Q4 and 2026 made up ----
at "2026-12-16T01:00:00Z"
fake_central c3
if wait_for "[ -s '$T/archive/2026-11/SHA256SUMS' ] && [ -s '$T/archive/2026-Q4/SHA256SUMS' ] && [ -s '$T/archive/2026/SHA256SUMS' ] && [ \$(ls '$T/mail' | grep -c eml) -ge 8 ]" $((300 * SLOW)); then
	ok "down over 05/12, 10/12 and 15/12, started on 16/12: November, Q4 and 2026 are made up and e-mailed"
else
	not_ok "November, Q4 and 2026 are made up at the next start" "$(ls "$T/archive" | tr '\n' ' ')" "$(grep -E 'report|WARN|ERROR' "$T/c3.log" | tail -n 5)"
fi
sleep 3
check "... 8 e-mails in all, October's files untouched" \
	bash -c "[ \$(ls '$T/mail' | grep -c eml) -eq 8 ] && diff '$T/before.ls' <(ls -l --time-style=+%s.%N '$T/archive/2026-10/') >/dev/null"
stop_pid "$CENTRAL_PID"

# ---- the e-mails of October ----
OCT_MAILS=$(grep -l 'wwtp-report.2026-10' "$T/mail"/*.eml | sort)
check "October went to both addresses" \
	test "$(for f in $OCT_MAILS; do mail_parts "$f" | sed -n 's/^to //p'; done | sort | tr '\n' ' ')" = "sct@example.vn stnmt@example.vn "
f1=$(echo "$OCT_MAILS" | head -n 1)
mail_parts "$f1" >"$T/oct.parts"
check "... its subject names the month" grep -q '^subject \[Giám sát nước thải\] Báo cáo tháng 10/2026' "$T/oct.parts"
check "... the fleet's and the 3 plants' PDFs attached" \
	test "$(grep -c '^file .*\.pdf ' "$T/oct.parts")" -eq 4
awk '$1 == "file" { print $3 "  " $2 }' "$T/oct.parts" | sort >"$T/oct.attached"
grep '\.pdf$' "$T/archive/2026-10/SHA256SUMS" | sort >"$T/oct.archived"
check "... each attachment is byte for byte the archived file (SHA-256)" diff "$T/oct.attached" "$T/oct.archived"

# ---- the numbers ----
nums() { for f in "$T/archive/$1"/*.pdf; do pdftotext -l 1 "$f" - | grep -o 'Số: *[0-9]*/BC-BQLCCN' | grep -o '[0-9]*'; done | sort -n | tr '\n' ' '; }
# A run that failed (InfluxDB, Chromium) leaves its numbers unused: gaps are
# allowed, a number twice is not.
later=$(echo "$(nums 2026-11)$(nums 2026-Q4)$(nums 2026)" | tr ' ' '\n' | sed '/^$/d' | sort -n)
octn=$(nums 2026-10 | tr ' ' '\n' | sed '/^$/d' | sort -n)
check "every document has its own number (16 documents, 16 numbers)" \
	test "$(printf '%s\n%s\n' "$octn" "$later" | sort -un | wc -l)" -eq 16
check "... October's ($(echo $octn)) before the ones made after it" \
	test "$(echo "$octn" | tail -n 1)" -lt "$(echo "$later" | head -n 1)"

# ---- October's figures, independently; its PDFs' layout ----
report_indep "$A" "$B" 744
report_compare "$T/archive/2026-10/fleet-2026-10.csv" "$T/archive/2026-10/fleet-2026-10-stations.csv"
for f in "$T/archive/2026-10"/*.pdf; do
	report_pdf_layout "$f" vi "BAN QUẢN LÝ CÁC CỤM CÔNG NGHIỆP"
done
mkdir -p "$WWTP_BUILD/artefacts/report"
cp "$T/archive/2026-10"/*.pdf "$WWTP_BUILD/artefacts/report/" 2>/dev/null || true

[ "$FAILS" -eq 0 ]
