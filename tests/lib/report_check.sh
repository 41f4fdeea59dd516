# Shared by the report's integration tests (tests/integration/report_*.sh,
# docs/report.md): the month's figures computed again without the project's
# C code - InfluxQL aggregates through the influx CLI, jq and awk, the limits
# read from config/limits/qcvn40-2011.cfg column B with factors KQ and KF -
# and compared with the report's CSV value by value. Needs common.sh, $T,
# $INFLUX_PORT, iq(), KQ and KF.

# csvcols FILE COL,COL...: those columns of a CSV with a header, by name.
csvcols() {
	awk -F, -v want="$2" 'NR == 1 { sub(/\r$/, ""); for (i = 1; i <= NF; i++) c[$i] = i; n = split(want, w, ","); next }
		{ sub(/\r$/, ""); line = ""; for (j = 1; j <= n; j++) line = line (j > 1 ? "," : "") $(c[w[j]]); print line }' "$1"
}

# cmp_csv A B: the same keys (two first fields), numbers equal to 1e-6 relative.
cmp_csv() {
	awk -F, 'NR == FNR { v[$1 "," $2] = $0; next }
	function differ(x, y) { if (x == "" || y == "") return x != y; d = x - y; if (d < 0) d = -d; m = (x < 0 ? -x : x); return d > 1e-6 * (m > 1 ? m : 1) }
	{ k = $1 "," $2; if (!(k in v)) { print "missing in the report: " k; bad++; next }
	  n = split(v[k], a, ","); split($0, b, ",")
	  for (i = 3; i <= n; i++) if (differ(a[i], b[i])) { print k ": column " i ": report " a[i] ", independent " b[i]; bad++ } }
	END { exit bad > 0 }' "$1" "$2"
}

# report_indep A B HOURS: the figures of [A, B) (epoch ms; HOURS = (B - A) / 1 h)
# into $T/indep.csv (station,param,readings,valid,hours_judged,availability,
# mean,min,max,hours_exceeding,days_judged,days_exceeding,max_ratio),
# $T/indep-alerts.csv (station,param,alert_hours) and
# $T/indep-verdicts.csv (station,verdict).
report_indep() {
	local A=$1 B=$2 HOURS=$3
local W="time >= ${A}ms AND time < ${B}ms"
# station param -> value, from one InfluxQL statement grouped by station, param
by_sp() { iq "$1" | jq -r '.results[].series[]? | [.tags.station, .tags.param] + (.values[0][1:] | map(tostring)) | @tsv'; }
by_sp "SELECT count(status) FROM reading WHERE $W GROUP BY station, param" >"$T/i.readings"
by_sp "SELECT count(value), mean(value), min(value), max(value) FROM reading WHERE $W AND status='ok' GROUP BY station, param" >"$T/i.stats"
hourly() { iq "$1" | jq -r '.results[].series[]? | .tags.station as $s | .tags.param as $p | .values[] | [$s, $p] + map(tostring) | @tsv'; }
hourly "SELECT count(status) FROM reading WHERE $W GROUP BY time(1h), station, param fill(none)" >"$T/i.hpolls"
hourly "SELECT count(value), mean(value) FROM reading WHERE $W AND status='ok' GROUP BY time(1h), station, param fill(none)" >"$T/i.hok"
hourly "SELECT mean(value) FROM reading WHERE $W AND status='ok' GROUP BY time(1d), station, param fill(none) tz('Asia/Ho_Chi_Minh')" >"$T/i.daily"
hourly "SELECT count(status) FROM reading WHERE $W AND status='fault' GROUP BY time(1h), station, param fill(none)" >"$T/i.hfault"
by_sp "SELECT spread(value) FROM reading WHERE $W AND status='ok' AND (param='volume_out' OR param='volume_in') GROUP BY station, param" >"$T/i.spread"
iq "SELECT * FROM alert WHERE kind='exceedance' OR kind='range'" |
	jq -r '.results[].series[]? | .columns as $c | .values[] | [$c, .] | transpose | map({(.[0]): .[1]}) | add |
	       [.station, .param, .event, .id, (.start_ms // .time), (.end_ms // 0)] | map(tostring) | @tsv' >"$T/i.alerts"

# Limits: column B of the regulation file, times Kq x Kf where the row applies them.
awk -v kq="$KQ" -v kf="$KF" '
	/param = "/ { match($0, /param = "[^"]*"/); p = substr($0, RSTART + 9, RLENGTH - 10); f = ""; }
	/apply_factors = / { f = ($0 ~ /apply_factors = true/) }
	/^ *B = \{/ && p != "" {
		mn = ""; mx = ""
		if (match($0, /min = [0-9.]+/)) mn = substr($0, RSTART + 6, RLENGTH - 6)
		if (match($0, /max = [0-9.]+/)) mx = substr($0, RSTART + 6, RLENGTH - 6)
		if (f == 1 && mn == "") mx = mx * kq * kf
		print p "\t" mn "\t" mx; p = ""
	}' config/limits/qcvn40-2011.cfg >"$T/i.limits"

# Per station and param: the report's figures as awk computes them.
awk -F'\t' -v A="$A" -v HOURS="$HOURS" '
	FILENAME ~ /i.limits$/ { lo[$1] = $2; hi[$1] = $3; lim[$1] = 1; next }
	FILENAME ~ /i.readings$/ { n[$1 "," $2] = $3; keys[$1 "," $2] = 1; next }
	FILENAME ~ /i.stats$/ { valid[$1 "," $2] = $3; mean[$1 "," $2] = $4; mn[$1 "," $2] = $5; mx[$1 "," $2] = $6; next }
	FILENAME ~ /i.hpolls$/ { polls[$1 "," $2 "," $3] = $4; next }
	FILENAME ~ /i.hok$/ {
		k = $1 "," $2; pl = polls[k "," $3]; if ($4 > pl) pl = $4
		if ($4 < 1 || $4 < 0.75 * pl) next
		hj[k]++; day = int(($3 - A) / 86400000); dj[k "," day]++
		if (!lim[$2]) next
		x = 0; r = ""
		if (hi[$2] != "") { r = $5 / hi[$2]; if ($5 > hi[$2]) x = 1 }
		if (lo[$2] != "") { rl = lo[$2] / $5; if (r == "" || rl > r) r = rl; if ($5 < lo[$2]) x = 1 }
		hx[k] += x; if (!(k in mr) || r > mr[k]) mr[k] = r
		next
	}
	FILENAME ~ /i.daily$/ {
		k = $1 "," $2; day = int(($3 - A) / 86400000)
		if (day >= int(HOURS / 24) || dj[k "," day] < 18) next   # whole days; min_availability 0.75 of 24 hours
		dayj[k]++
		if (lim[$2] && ((hi[$2] != "" && $4 > hi[$2]) || (lo[$2] != "" && $4 < lo[$2]))) dayx[k]++
		next
	}
	END {
		for (k in keys) {
			split(k, a, ","); p = a[2]
			printf "%s,%s,%d,%d,%d,%.9g,%s,%s,%s,%d,%d,%d,%s\n", a[1], p, n[k], valid[k], hj[k] + 0,
				(hj[k] + 0) / HOURS, mean[k], mn[k], mx[k], hx[k] + 0, dayj[k] + 0, dayx[k] + 0,
				(lim[p] && (k in mr)) ? sprintf("%.10g", mr[k]) : ""
		}
	}' "$T/i.limits" "$T/i.readings" "$T/i.stats" "$T/i.hpolls" "$T/i.hok" "$T/i.daily" | sort >"$T/indep.csv"

# Hours lost (not judged), by why: no reading in the hour; readings mostly in
# fault (fault >= half of the readings that are not valid); the rest.
awk -F'\t' -v HOURS="$HOURS" '
	FILENAME ~ /i.hpolls$/ { k = $1 "," $2; keys[k] = 1; pl[k "," $3] = $4; hrs[k]++; next }
	FILENAME ~ /i.hfault$/ { fa[$1 "," $2 "," $3] = $4; next }
	FILENAME ~ /i.hok$/ { okn[$1 "," $2 "," $3] = $4; next }
	END {
		for (kh in pl) {
			split(kh, a, ","); k = a[1] "," a[2]; p = pl[kh]; o = okn[kh] + 0
			if (o > p) p = o
			if (o >= 1 && o >= 0.75 * p) continue
			if (2 * (fa[kh] + 0) >= p - o) lf[k]++; else lo[k]++
		}
		for (k in keys) {
			nd = HOURS - hrs[k]
			printf "%s,%d,%d,%d,%d\n", k, nd + lf[k] + lo[k], nd, lf[k] + 0, lo[k] + 0
		}
	}' "$T/i.hpolls" "$T/i.hfault" "$T/i.hok" | sort >"$T/indep-lost.csv"

# The volume discharged: the totaliser's increase (spread, the counter never
# going back in these data) where there is one, else the sum of the hourly
# mean flows (m3/h) over the hours with valid data.
awk -F'\t' '
	FILENAME ~ /i.spread$/ { if ($2 == "volume_out") tot[$1] = $3; next }
	$2 == "flow_out" && $4 >= 1 { sum[$1] += $5; seen[$1] = 1 }
	END {
		for (s in tot) printf "%s,%.6f,totaliser\n", s, tot[s]
		for (s in seen) if (!(s in tot)) printf "%s,%.6f,integral\n", s, sum[s]
	}' "$T/i.spread" "$T/i.hok" | sort >"$T/indep-volume.csv"

# Hours in alert: raises paired with their clears by id, clipped to the
# month, the union per station and param.
awk -F'\t' -v A="$A" -v B="$B" '
	$3 == "cleared" { end[$4] = $6; next }
	{ raise[$4] = $1 "," $2 "\t" $5 }
	END {
		for (id in raise) {
			split(raise[id], r, "\t"); s = r[2]; e = (id in end) ? end[id] : B
			if (s < A) s = A; if (e > B) e = B
			if (e > s) print r[1] "\t" s "\t" e
		}
	}' "$T/i.alerts" | sort -t"$(printf '\t')" -k1,1 -k2,2n |
	awk -F'\t' '
	{ if ($1 != k) { flush(); k = $1; cs = $2; ce = $3 } else if ($2 > ce) { tot[k] += ce - cs; cs = $2; ce = $3 } else if ($3 > ce) ce = $3 }
	function flush() { if (k != "") tot[k] += ce - cs }
	END { flush(); for (x in tot) printf "%s,%.6f\n", x, tot[x] / 3600000 }' | sort >"$T/indep-alerts.csv"

# Verdicts: not met when a judged daily average is outside a limit; else
# insufficient when a limited parameter is under 75% available; else met.
awk -F, 'NR == FNR { if ($3 != "") lim[$1] = 1; next } { if (!lim[$2]) next; k = $1; seen[k] = 1; if ($12 > 0) nm[k] = 1; if ($6 < 0.75) ins[k] = 1 }
	END { for (k in seen) print k "," (nm[k] ? "not_met" : ins[k] ? "insufficient_data" : "met") }' \
	FS='\t' "$T/i.limits" FS=, "$T/indep.csv" | sort >"$T/indep-verdicts.csv"
}

# report_compare PARAMS_CSV STATIONS_CSV: the report's figures, hours in
# alert and verdicts against report_indep's.
report_compare() {
	local pcsv=$1 scsv=$2 out
# The report's CSV, the same columns (by name), then a value-by-value comparison.
csvcols "$pcsv" "station,param,readings,valid,hours_judged,availability,mean,min,max,hours_exceeding,days_judged,days_exceeding,max_ratio" |
	awk -F, '$3 > 0' | sort >"$T/report.csv"
check "the report has a line for every station and parameter that has data" \
	test "$(wc -l <"$T/report.csv")" -eq "$(wc -l <"$T/indep.csv")"
if out=$(cmp_csv "$T/report.csv" "$T/indep.csv"); then
	ok "every figure of the CSV agrees with the independent computation ($(wc -l <"$T/indep.csv") station-parameter lines x 11 figures)"
else
	not_ok "every figure of the CSV agrees with the independent computation" "$(echo "$out" | head -n 10)"
fi
csvcols "$pcsv" "station,param,alert_hours" | awk -F, '$3 != "" && $3 > 0' | sort >"$T/report-alerts.csv"
if out=$(cmp_csv "$T/report-alerts.csv" "$T/indep-alerts.csv") && [ -s "$T/indep-alerts.csv" ]; then
	ok "hours in alert agree ($(tr '\n' ' ' <"$T/indep-alerts.csv"))"
else
	not_ok "hours in alert agree" "$out" "report: $(tr '\n' ' ' <"$T/report-alerts.csv")" "independent: $(tr '\n' ' ' <"$T/indep-alerts.csv")"
fi

	csvcols "$pcsv" "station,param,hours_lost,lost_nodata,lost_fault,lost_other" | sort >"$T/report-lost.csv"
	if out=$(diff "$T/indep-lost.csv" <(grep -Ff <(cut -d, -f1,2 "$T/indep-lost.csv") "$T/report-lost.csv")); then
		ok "hours lost and why (offline / fault / other) agree for every station and parameter with data"
	else
		not_ok "hours lost and why agree" "$(echo "$out" | head -n 8)"
	fi
	csvcols "$scsv" "station,volume_out_m3,volume_out_method" | awk -F, '$3 != ""' | sort >"$T/report-volume.csv"
	if out=$(cmp_csv <(awk -F, '{ print $1 ",v," $2 }' "$T/report-volume.csv") <(awk -F, '{ print $1 ",v," $2 }' "$T/indep-volume.csv")) &&
		diff <(cut -d, -f1,3 "$T/report-volume.csv") <(cut -d, -f1,3 "$T/indep-volume.csv") >/dev/null && [ -s "$T/indep-volume.csv" ]; then
		ok "the volume discharged agrees, and how it was found ($(tr '\n' ' ' <"$T/indep-volume.csv"))"
	else
		not_ok "the volume discharged agrees" "report: $(tr '\n' ' ' <"$T/report-volume.csv")" "independent: $(tr '\n' ' ' <"$T/indep-volume.csv")"
	fi

	csvcols "$scsv" "station,verdict" | sort >"$T/report-verdicts.csv"
	check "the verdicts agree with the independent ones ($(tr '\n' ' ' <"$T/indep-verdicts.csv"))" diff "$T/indep-verdicts.csv" "$T/report-verdicts.csv"
}

# report_month_lp A B: October 2026 (A, B: its bounds in epoch ms) of three
# plants as line protocol, deterministic (report_month.sh says what each
# plant's data is made to show).
report_month_lp() {
	local A=$1 B=$2
	awk -v A="$A" -v B="$B" '
	function lp(st, p, t, status, v) {
		if (v == "") printf "reading,device=d,param=%s,station=%s status=\"%s\",unit=\"\",seq=1i %.0f\n", p, st, status, t
		else printf "reading,device=d,param=%s,station=%s value=%s,status=\"%s\",unit=\"\",seq=1i %.0f\n", p, st, v, status, t
	}
	BEGIN {
		H = 3600000; STEP = 600000   # a reading every 10 minutes
		np["thanh-thuy"] = split("cod nh4 tss ph temp cod_in nh4_in flow_out", pt, " ")
		for (i = 1; i <= np["thanh-thuy"]; i++) P["thanh-thuy", i] = pt[i]
		np["yen-nghia"] = split("cod nh4 tss ph temp tn tp cod_in nh4_in flow_out", py, " ")
		for (i = 1; i <= np["yen-nghia"]; i++) P["yen-nghia", i] = py[i]
		np["bat-trang"] = split("cod nh4 ph temp tss color flow_out", pb, " ")
		for (i = 1; i <= np["bat-trang"]; i++) P["bat-trang", i] = pb[i]
		base["cod"] = 60; base["nh4"] = 4; base["tss"] = 40; base["ph"] = 7; base["temp"] = 29
		base["cod_in"] = 500; base["nh4_in"] = 35; base["flow_out"] = 30; base["tn"] = 20
		base["tp"] = 3; base["color"] = 80
		for (t = A; t < B; t += STEP) {
			k = (t - A) / STEP; h = int((t - A) / H); d = int(h / 24); hl = h % 24; m = (t - A) % H / 60000
			for (s in np) for (i = 1; i <= np[s]; i++) {
				p = P[s, i]
				v = base[p] * (1 + 0.1 * sin(k / 7 + i))
				if (p == "ph") v = 7 + 0.3 * sin(k / 11)
				st = "ok"
				if (s == "thanh-thuy") {
					if (d == 4 && hl < 6) continue                       # a gap
					if (d == 1 && hl == 2 && m < 30) { st = "calibrating"; v = 999 }
					if (p == "cod" && d == 9 && hl >= 8 && hl < 12) v = 135  # exactly Cmax
					if (p == "cod" && d == 19 && hl == 14) v = 200           # one hour above
					if (p == "ph" && d == 14 && hl == 3) v = 5.0             # one hour below
				} else if (s == "yen-nghia") {
					if (p == "cod") v = 200 + 20 * sin(k / 5)
					if (p == "nh4") v = 25 + 2 * sin(k / 5)
					if (p == "tss") v = 150 + 10 * sin(k / 3)
					if (p == "tn") v = 40 + 3 * sin(k / 4)
					if (p == "cod_in") v = 520; if (p == "nh4_in") v = 40
				} else {
					if (hl % 5 >= 3) continue                            # 2 hours in 5 missing
					if (hl % 5 == 2 && m < 20) { lp(s, p, t, "fault", ""); continue }
				}
				lp(s, p, t, st, sprintf("%.6f", v))
			}
		}
		# Just outside the month, on both sides: must not count.
		lp("thanh-thuy", "cod", A - 1000, "ok", "5000"); lp("thanh-thuy", "cod", B, "ok", "5000")
		# Just inside: the last second of the month (Hanoi time).
		lp("thanh-thuy", "cod", B - 1000, "ok", "61")
		# Alerts of the edge (exceedance, range), docs/influxdb-schema.md.
		al("thanh-thuy", "cod", "exceedance", 3600, A + 19 * 24 * H + 14 * H, A + 19 * 24 * H + 15.5 * H, 1.48)
		al("thanh-thuy", "ph", "range", 3600, A - 11 * 24 * H, A - 10 * 24 * H, 1.2)
		al("yen-nghia", "cod", "exceedance", 3600, A - 6 * 24 * H, 0, 1.5)
		al("yen-nghia", "cod", "exceedance", 86400, A + 24 * H, 0, 1.4)
		al("yen-nghia", "nh4", "exceedance", 3600, B - H, 0, 2.8)
	}
	function al(st, p, kind, win, s, e, r,   id) {
		id = st ":" p ":" kind ":" win ":" sprintf("%.0f", s)
		printf "alert,device=d,event=raised,kind=%s,param=%s,station=%s,window=%d id=\"%s\",ratio=%s,start_ms=%.0fi,since_ms=%.0fi %.0f\n", kind, p, st, win, id, r, s, s, s
		if (e > 0) printf "alert,device=d,event=cleared,kind=%s,param=%s,station=%s,window=%d id=\"%s\",ratio=0.9,start_ms=%.0fi,end_ms=%.0fi,since_ms=%.0fi %.0f\n", kind, p, st, win, id, s, e, s, e
	}'
}

# report_pdf_layout PDF LANG ISSUER_CAPS: the printed document as its reader
# sees it (pdftotext, pdftoppm of poppler-utils): the header (national motto,
# the issuer in capitals), the regulation written out, "Trang i/N" on every
# page, no table header or section heading ending a page, the compliance
# table without a process signal, every plant's name whole in the fleet's
# chart, no word of the other language; its pages rendered to PNG (kept in
# BUILD/artefacts/report/ for people to look at).
report_pdf_layout() {
	local pdf=$1 lang=$2 issuer=$3 name n i bad
	name=$(basename "$pdf")
	n=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
	pdftotext -layout "$pdf" "$T/layout.txt"
	pdftotext "$pdf" - | tr '\n' ' ' | tr -s ' ' >"$T/layout.flat"
	if [ "$lang" = vi ]; then
		# The top of the first page (a long issuer wraps: its lines joined).
		pdftotext -l 1 "$pdf" - | head -n 14 | tr '\n' ' ' | tr -s ' ' >"$T/layout.top"
		check "$name: the national motto and the issuer at the top" \
			bash -c "grep -q 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' '$T/layout.top' &&
				grep -q 'Độc lập - Tự do - Hạnh phúc' '$T/layout.top' &&
				grep -qF '$issuer' '$T/layout.top' && grep -q 'BÁO CÁO' '$T/layout.top'"
		check "$name: the regulation written out" grep -q 'QCVN 40:2011/BTNMT, cột B, Kq = 0,9, Kf = 1' "$T/layout.flat"
		check "$name: Nơi nhận and the signer" bash -c "grep -q 'Nơi nhận:' '$T/layout.txt'"
	fi
	bad=""
	for i in $(seq 1 "$n"); do
		pdftotext -layout -f "$i" -l "$i" "$pdf" "$T/page.txt"
		grep -Eq "(Trang|Page) $i/$n\b" "$T/page.txt" || bad="$bad no-number:$i"
		# The last line of text above the page number.
		last=$(grep -v '^[[:space:]]*$' "$T/page.txt" | grep -Ev "(Trang|Page) $i/$n" | tail -n 1)
		if echo "$last" | grep -Eq '^ *(Thông số|Trạm|Parameter|Plant) +(Đơn|Số|Quy|Unit|Hours|Regulation|Valid)' ||
			echo "$last" | grep -Eq '^ *([IVX]+\. |PHỤ LỤC|ANNEX)'; then
			bad="$bad orphan:$i:'$last'"
		fi
	done
	check "$name: 'Trang i/$n' on each of its $n pages, no table header or heading ending a page" test -z "$bad"
	[ -n "$bad" ] && log "$name:$bad"
	if [ "$lang" = vi ]; then
		# English that has no business in a Vietnamese document (developer
		# notes, UTC stamps, English headings).
		check "$name: no English in the Vietnamese document" \
			bash -c "! grep -Eiwo 'the|of|and|from|not found|hours?|hourly|daily|station|limit|month|average|report|flagged|within|memory|verbatim|regulation|availability|generated' '$T/layout.flat' | head -n 3 | grep -q . && ! grep -qF '(UTC)' '$T/layout.flat'"
		sed -n '/^ *III\. /,/^ *IV\. /{/^ *IV\. /!p}' "$T/layout.txt" >"$T/layout.table"
		case "$name" in station-*)
			check "$name: the compliance table holds no process or equipment signal" \
				bash -c "[ -s '$T/layout.table' ] && ! grep -Eq 'đầu vào|thổi khí|PLC|tự động|Lưu lượng|Bơm|Mực nước|Oxy hoà tan|cộng dồn' '$T/layout.table'" ;;
		esac
	else
		check "$name: no Vietnamese words of the document's own in the English one" \
			bash -c "! grep -Eq 'Thông số|Kết quả|Trung bình|Giới hạn|Nơi nhận|Trang [0-9]|tháng|giờ' '$T/layout.flat'"
	fi
	case "$name" in fleet-*)
		bad=""
		for s in "$T"/stations/*.cfg; do
			sn=$(sed -n 's/^station = {.*name = "\([^"]*\)".*/\1/p; s/^ *name = "\([^"]*\)";.*/\1/p' "$s" | head -n 1)
			[ -n "$sn" ] && ! grep -qF "$sn" "$T/layout.flat" && bad="$bad '$sn'"
		done
		check "$name: every plant's name whole (chart labels and table)" test -z "$bad"
		[ -n "$bad" ] && log "cut:$bad" ;;
	esac
	mkdir -p "$WWTP_BUILD/artefacts/report"
	rm -f "$WWTP_BUILD/artefacts/report/${name%.pdf}"-*.png # an earlier run's pages
	pdftoppm -r 60 -png "$pdf" "$WWTP_BUILD/artefacts/report/${name%.pdf}" &&
		check "$name: its $n pages render to images" test "$(ls "$WWTP_BUILD/artefacts/report/${name%.pdf}"-*.png | wc -l)" -eq "$n"
}
