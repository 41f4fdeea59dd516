#!/usr/bin/env bash
# The monthly summary (`wwtp-central report`, docs/report.md) against a real
# InfluxDB 1.x holding a month (October 2026, Hanoi time) of three plants,
# written as line protocol by a small deterministic generator (awk):
#   thanh-thuy  healthy: a 6-hour gap, an hour half calibrating (not
#               judged), four hours exactly at Cmax (within), one hour of
#               COD above Cmax and one of pH below 5.5 (hourly exceedances,
#               no daily one), readings just outside the month on both
#               sides with absurd values (must not count); an exceedance
#               alert of 1.5 h;
#   yen-nghia   degraded: COD, NH4, TSS and TN above their limits all month,
#               poor removal; alerts open since before the month;
#   bat-trang   instruments in fault and data missing 2 hours in 5.
# Then every figure of the CSV is computed again, independently of the
# project's C code: InfluxQL aggregates (count, mean, min, max; GROUP BY
# time(1h) and time(1d) with tz('Asia/Ho_Chi_Minh')) read with the influx
# CLI, post-processed with jq and awk, the limits read from
# config/limits/qcvn40-2011.cfg (column B) with the stations' factors. The
# CSV must agree value by value (floats to 1e-6 relative), the verdicts and
# the fleet total too. The HTML must be self-contained (no http(s) src or
# href), hold SVG charts and the Vietnamese headings; --lang en gives
# English; with Chromium a PDF starting with %PDF is written. Bad months,
# stations and an InfluxDB that does not answer are refused clearly.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/report_check.sh"

CENTRAL="$WWTP_BUILD/wwtp-central"
MONTH=2026-10
A=$(($(date -u -d '2026-09-30T17:00:00Z' +%s) * 1000)) # 00:00 UTC+7, 1 October
B=$(($(date -u -d '2026-10-31T17:00:00Z' +%s) * 1000)) # 00:00 UTC+7, 1 November
HOURS=744
KQ=0.9 # the station files: a river without flow data (docs/compliance.md)
KF=1.0 # design_flow_m3d = 1000: 500 < F <= 5000

start_influxd
curl -s -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE wwtp" >/dev/null

# ---- the stations: three of the shipped files, as they are ----
mkdir -p "$T/stations"
for s in thanh-thuy yen-nghia bat-trang; do cp "config/stations/$s.cfg" "$T/stations/"; done
cat >"$T/central.cfg" <<EOF
stations_dir = "$T/stations";
profiles_dir = "$WWTP_SRCDIR/config/profiles";
mqtt = { uri = "tcp://127.0.0.1:1"; };
influxdb = { url = "http://127.0.0.1:$INFLUX_PORT"; database = "wwtp"; spool_dir = "$T/spool"; };
EOF
sed "s|http://127.0.0.1:$INFLUX_PORT|http://127.0.0.1:$(freeport)|" "$T/central.cfg" >"$T/central-down.cfg"

# ---- the month's data (tests/lib/report_check.sh) ----
report_month_lp "$A" "$B" >"$T/month.lp"
split -l 20000 "$T/month.lp" "$T/chunk."
for c in "$T"/chunk.*; do
	code=$(curl -s -o "$T/write.out" -w '%{http_code}' -XPOST \
		"http://127.0.0.1:$INFLUX_PORT/write?db=wwtp&precision=ms" --data-binary @"$c")
	[ "$code" = 204 ] || { not_ok "InfluxDB takes the month's data" "HTTP $code: $(head -c 300 "$T/write.out")"; exit 1; }
done
ok "a month of 3 plants written to InfluxDB ($(wc -l <"$T/month.lp") points)"

# ---- the report ----
OUT="$T/out"
if "$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --out "$OUT" >"$T/report.out" 2>"$T/report.log"; then
	ok "report --month $MONTH exits 0"
else
	not_ok "report --month $MONTH exits 0" "$(tail -n 5 "$T/report.log")"
	exit 1
fi
for f in fleet-$MONTH.html fleet-$MONTH.csv fleet-$MONTH-stations.csv \
	station-thanh-thuy-$MONTH.html station-yen-nghia-$MONTH.csv station-bat-trang-$MONTH.html; do
	check "it writes $f" test -s "$OUT/$f"
done

# ---- the same figures, independently (tests/lib/report_check.sh) ----
report_indep "$A" "$B" "$HOURS"
check "InfluxDB answered the independent queries" test -s "$T/i.hok" -a -s "$T/i.daily" -a -s "$T/i.alerts"
check "the limits are read from config/limits/qcvn40-2011.cfg" grep -q "^cod	.*	135$" "$T/i.limits"
report_compare "$OUT/fleet-$MONTH.csv" "$OUT/fleet-$MONTH-stations.csv"

# The cases the data was made for, spelled out (so that a wrong generator
# cannot make both sides agree on nothing).
field() { csvcols "$OUT/fleet-$MONTH.csv" "station,param,$3" | awk -F, -v k="$1,$2" '$1 "," $2 == k { print $3 }'; }
check "thanh-thuy COD: the readings outside the month do not count (max 200)" test "$(field thanh-thuy cod max)" = 200
check "thanh-thuy COD: 4 hours exactly at Cmax are within, 1 hour above" test "$(field thanh-thuy cod hours_exceeding)" = 1
check "thanh-thuy COD: the largest ratio is 200/135" awk -v r="$(field thanh-thuy cod max_ratio)" 'BEGIN { exit !(r > 1.4814 && r < 1.4815) }'
check "thanh-thuy pH: the hour at 5.0 is below the range (ratio 5.5/5 = 1.1)" awk -v r="$(field thanh-thuy ph max_ratio)" 'BEGIN { exit !(r > 1.0999 && r < 1.1001) }'
check "thanh-thuy: the gap and the half-calibrating hour are not judged (737 of 744 hours)" test "$(field thanh-thuy cod hours_judged)" = 737
check "thanh-thuy: the calibrating values (999) are not valid samples (max pH under 8)" awk -v m="$(field thanh-thuy ph max)" 'BEGIN { exit !(m > 7 && m < 8) }'
check "bat-trang: 2 hours in 5 missing, 1 in 5 mostly in fault: 10 of 24 hours judged" awk -v a="$(field bat-trang cod availability)" 'BEGIN { exit !(a > 0.4166 && a < 0.4167) }'

check "the verdicts agree (thanh-thuy met, yen-nghia not met, bat-trang insufficient data)" \
	diff <(printf 'bat-trang,insufficient_data\nthanh-thuy,met\nyen-nghia,not_met\n') "$T/report-verdicts.csv"
check "yen-nghia is flagged (compliance and removal), thanh-thuy not" \
	test "$(csvcols "$OUT/fleet-$MONTH-stations.csv" "station,flagged,reasons" | sort | tr '\n' ' ')" != "" -a \
	"$(csvcols "$OUT/fleet-$MONTH-stations.csv" "station,flagged" | sort | tr '\n' ' ')" = "bat-trang,1 thanh-thuy,0 yen-nghia,1 "
check "yen-nghia's reasons name COD compliance and COD removal" \
	grep -q 'yen-nghia.*compliance:cod.*cod_removal:cod' "$OUT/fleet-$MONTH-stations.csv"

# ---- the documents ----
H="$OUT/fleet-$MONTH.html"
check "the fleet HTML gives the fleet total: 1 of 3 plants met" grep -q 'Số trạm đạt quy chuẩn trong kỳ: 1/3' "$H"
for f in "$H" "$OUT/station-thanh-thuy-$MONTH.html"; do
	check "$(basename "$f") is self-contained (no http(s) src or href, no script)" \
		bash -c "! grep -Eiq '(src|href)=\"?(https?:)?//|<script|@import|url\\(' '$f'"
	check "$(basename "$f") has inline SVG charts" grep -q '<svg xmlns' "$f"
done
check "the station HTML is in Vietnamese with diacritics" \
	grep -q 'Kết quả các thông số theo quy chuẩn' "$OUT/station-thanh-thuy-$MONTH.html"
check "... with the regulation written out, its column and factors" \
	grep -q 'QCVN 40:2011/BTNMT, cột B, Kq = 0,9, Kf = 1' "$OUT/station-thanh-thuy-$MONTH.html"
# The compliance table (section III) holds only what the regulation limits.
sed -n '/<h2>III\./,/<\/table>/p' "$OUT/station-thanh-thuy-$MONTH.html" >"$T/compliance-table.html"
check "... its compliance table holds the 5 limited parameters and no inlet or flow signal" \
	bash -c "[ \$(grep -c '<tr' '$T/compliance-table.html') -eq 6 ] && ! grep -Eq 'đầu vào|Lưu lượng' '$T/compliance-table.html'"
check "... the inlet analyzers and the flow are in the signals' annex" \
	bash -c "sed -n '/PHỤ LỤC 2/,/PHỤ LỤC 3/p' '$OUT/station-thanh-thuy-$MONTH.html' | grep -q 'COD đầu vào'"
check "... and one chart per limited parameter (5) and the flow" \
	test "$(grep -c '<svg' "$OUT/station-thanh-thuy-$MONTH.html")" -eq 6

if "$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --station yen-nghia --lang en --out "$T/en" >"$T/en.out" 2>"$T/en.log"; then
	check "--lang en --station: English, and only that station" \
		bash -c "grep -q 'Parameters limited by the regulation' '$T/en/station-yen-nghia-$MONTH.html' && ! ls '$T/en' | grep -q fleet"
	check "... its reasons in English" grep -q 'hourly averages within' "$T/en/station-yen-nghia-$MONTH.html"
	if command -v chromium >/dev/null; then
		check "with Chromium, a PDF is printed and starts with %PDF" \
			bash -c "head -c 4 '$T/en/station-yen-nghia-$MONTH.pdf' | grep -q '%PDF'"
		report_pdf_layout "$T/en/station-yen-nghia-$MONTH.pdf" en ""
	else
		check "without Chromium, the PDF is skipped and said so" grep -q 'PDF skipped' "$T/en.out"
	fi
else
	not_ok "report --station yen-nghia --lang en exits 0" "$(tail -n 5 "$T/en.log")"
fi

# ---- the printed documents, as their readers see them ----
if command -v chromium >/dev/null; then
	for f in "$OUT"/*.pdf; do report_pdf_layout "$f" vi "HỆ THỐNG GIÁM SÁT NƯỚC THẢI"; done
fi

# ---- the quarter and the year: the same data, the longer periods ----
# Q4 2026 and 2026 may be under way when the test runs: the period is then
# judged up to the last complete hour, which the CSV says (hours_period); the
# independent computation is made over the same hours.
NOW_H=$(($(date -u +%s) / 3600 * 3600000))
for per in "quarter 2026-Q4 $A $(($(date -u -d '2026-12-31T17:00:00Z' +%s) * 1000))" \
	"year 2026 $(($(date -u -d '2025-12-31T17:00:00Z' +%s) * 1000)) $(($(date -u -d '2026-12-31T17:00:00Z' +%s) * 1000))"; do
	set -- $per
	kind=$1 id=$2 PA=$3 PB=$4
	if ! "$CENTRAL" report -c "$T/central.cfg" --"$kind" "$id" --out "$T/p-$id" --no-pdf >"$T/p.out" 2>"$T/p.log"; then
		not_ok "report --$kind $id exits 0" "$(tail -n 5 "$T/p.log")"
		continue
	fi
	ok "report --$kind $id exits 0"
	check "... and writes fleet-$id.html, fleet-$id.csv and station-thanh-thuy-$id.csv" \
		test -s "$T/p-$id/fleet-$id.html" -a -s "$T/p-$id/fleet-$id.csv" -a -s "$T/p-$id/station-thanh-thuy-$id.csv"
	hp=$(csvcols "$T/p-$id/fleet-$id.csv" hours_period | head -n 1)
	want=$(((PB - PA) / 3600000))
	[ "$NOW_H" -lt "$PB" ] && want=$(((NOW_H - PA) / 3600000))
	check "... over the whole $kind or up to the last complete hour ($hp hours)" test "$hp" = "$want"
	report_indep "$PA" "$((PA + hp * 3600000))" "$hp"
	report_compare "$T/p-$id/fleet-$id.csv" "$T/p-$id/fleet-$id-stations.csv"
done
check "the quarter's document says which quarter" grep -q 'quý IV năm 2026' "$T/p-2026-Q4/fleet-2026-Q4.html"
check "the year's document says which year" grep -q 'liên tục nước thải sau xử lý năm 2026' "$T/p-2026/station-yen-nghia-2026.html"

# ---- refusals ----
refused() { # refused DESC STATUS PATTERN ARGS...
	local desc=$1 want=$2 pat=$3 rc
	shift 3
	"$CENTRAL" report "$@" >"$T/r.out" 2>"$T/r.err"
	rc=$?
	if [ "$rc" = "$want" ] && grep -q "$pat" "$T/r.err"; then ok "$desc"; else not_ok "$desc" "exit $rc" "$(head -n 3 "$T/r.err")"; fi
}
refused "a bad month is refused (exit 2, says the format)" 2 "YYYY-MM" -c "$T/central.cfg" --month 2026-13 --out "$T/x" --no-pdf
refused "a bad quarter is refused (exit 2, says the format)" 2 "YYYY-Qn" -c "$T/central.cfg" --quarter 2026-Q5 --out "$T/x" --no-pdf
refused "a month given to --year is refused (exit 2)" 2 "give it as YYYY" -c "$T/central.cfg" --year 2026-10 --out "$T/x" --no-pdf
refused "two periods at once are refused (exit 2)" 2 "give one period" -c "$T/central.cfg" --month 2026-10 --year 2026 --out "$T/x" --no-pdf
refused "an unknown station is refused (exit 2)" 2 "no station 'nowhere'" -c "$T/central.cfg" --month "$MONTH" --station nowhere --out "$T/x" --no-pdf
refused "a bad language is refused (exit 2)" 2 "vi or en" -c "$T/central.cfg" --month "$MONTH" --lang fr --out "$T/x"
refused "InfluxDB not answering: exit 1, says so" 1 "did not answer" -c "$T/central-down.cfg" --month "$MONTH" --out "$T/x" --no-pdf
check "... and writes nothing" test ! -e "$T/x"
refused "--pdf without the browser: exit 1, says what to install" 1 "install Debian's chromium" \
	-c "$T/central.cfg" --month "$MONTH" --station thanh-thuy --out "$T/y" --pdf --chromium "$T/no-such-browser"
if "$CENTRAL" report -c "$T/central.cfg" --month "$MONTH" --station thanh-thuy --out "$T/y" \
	--chromium "$T/no-such-browser" >"$T/y.out" 2>"$T/y.err" && grep -q '^PDF skipped' "$T/y.out" &&
	[ -s "$T/y/station-thanh-thuy-$MONTH.html" ] && ! ls "$T/y" | grep -q pdf; then
	ok "no browser and no --pdf: HTML and CSV written, 'PDF skipped' said"
else
	not_ok "no browser and no --pdf: HTML and CSV written, 'PDF skipped' said" "$(cat "$T/y.out" "$T/y.err" | tail -n 4)"
fi

[ "$FAILS" -eq 0 ]
