# The stations table `make demo` prints (scripts/demo.sh), checked from its
# output: all 18 stations online, exactly the five plants under review and
# qd6613-07, the plant that fakes its data (docs/plausibility.md), flagged,
# each with reasons that match what its simulation did.
# Sourced by a test that runs the demo, after tests/lib/common.sh.
demo_table_checks() { # DEMO-OUTPUT
	local out=$1 rows online flagged review nonreview
	# "STATION PLAN STATUS FLAGGED NAME" rows, reasons under them.
	sed -n '/^STATION /,/^$/p' "$out" | grep -E '^[a-z0-9-]+ +[a-z0-9]+ +[a-z]+ +(yes|no) ' >"$T/rows"
	rows=$(wc -l <"$T/rows")
	online=$(awk '$3 == "online"' "$T/rows" | wc -l)
	if [ "$rows" -eq 18 ] && [ "$online" -eq 18 ]; then ok "the demo's table has the 18 stations, all online"; else
		not_ok "the demo's table has the 18 stations, all online" "$rows rows, $online online" "$(head -n 30 "$out")"; fi
	flagged=$(awk '$4 == "yes" {print $1}' "$T/rows" | tr '\n' ' ')
	if [ "$flagged" = "bat-trang duyen-thai lien-ha qd6613-07 tan-trieu yen-nghia " ]; then
		ok "exactly the five plants under review and the cheating qd6613-07 are flagged"
	else
		not_ok "exactly the five plants under review and the cheating qd6613-07 are flagged" "flagged: $flagged"
	fi
	review=$(awk '$2 == "review" {print $1}' "$T/rows" | tr '\n' ' ')
	[ "$review" = "${flagged/qd6613-07 /}" ] && ok "... the five are the plan's (PLAN review)" || not_ok "... the five are the plan's" "review: $review"

	DEMO_OUT=$out
	expect_reason yen-nghia "failed aeration: COD and NH4 over, removal poor" \
		'- cod: [0-9]+% of [0-9]+ hourly averages within 135 mg/L' '- nh4: ' 'COD removal [0-9]+%' 'NH4 removal [0-9]+%'
	expect_reason tan-trieu "failed aeration: COD, NH4, TSS over" '- cod: ' '- nh4: ' '- tss: '
	expect_reason lien-ha "hydraulic overload: over its design flow, TSS washed out" \
		'flow_out: 1[1-9][0-9]% of the design flow' '- tss: '
	expect_reason bat-trang "analyzer faults, TSS and colour high" \
		'instrument in fault [0-9]+% of the time' '- tss: [0-9]+% of' '- color: ' 'valid hourly averages for'
	expect_reason duyen-thai "no nitrogen removal, colour" '- nh4: ' 'NH4 removal [0-9]+%' '- color: '
	expect_reason qd6613-07 "fakes its data: COD, NH4 and pH frozen, flagged for it" \
		'- cod: implausible data [0-9]+% of [0-9]+ hours, unchanged for [0-9]+ hours in a row' \
		'- nh4: implausible data' '- ph: implausible data'
	nonreview=$(for s in $(awk '$4 == "no" {print $1}' "$T/rows"); do reasons "$s"; done | wc -l)
	[ "$nonreview" -eq 0 ] && ok "the healthy plants have no reasons" || not_ok "the healthy plants have no reasons" "$nonreview lines"
}

# reasons STATION: the reason lines under the station's row.
reasons() { awk -v s="$1" '$1 == s {on = 1; next} /^[a-z0-9]/ {on = 0} on && /^ +- /' "$DEMO_OUT"; }
expect_reason() { # STATION WHAT PATTERN...
	local st=$1 what=$2 miss=""
	shift 2
	for p in "$@"; do reasons "$st" | grep -qE -e "$p" || miss="$miss [$p]"; done
	if [ -z "$miss" ]; then ok "$st: $what"; else not_ok "$st: $what" "missing$miss" "$(reasons "$st")"; fi
}
