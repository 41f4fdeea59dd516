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
