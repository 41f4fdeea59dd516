#!/usr/bin/env bash
# `make demo` (scripts/demo.sh) runs for a few seconds and shows all 18
# stations online and publishing; the plants under review run degraded.
. "$(dirname "$0")/../lib/common.sh"

secs=$((12 * SLOW))
timeout $((secs + 60)) scripts/demo.sh "$WWTP_BUILD" --duration "$secs" >"$T/demo.out" 2>"$T/demo.log"
rc=$?
if [ $rc -eq 0 ]; then ok "the demo runs and stops by itself"; else not_ok "the demo runs and stops by itself" "exit $rc" "$(tail -n 5 "$T/demo.log")"; fi
cp -r "$WWTP_BUILD/demo/logs" "$T/demo-logs" 2>/dev/null
for f in "$T"/demo-logs/*.log; do [ -f "$f" ] && cp "$f" "$T/demo-$(basename "$f")"; done

online=$(grep -c ' is online ' "$T/demo.out")
if [ "$online" -eq 18 ]; then ok "all 18 stations say online"; else not_ok "all 18 stations say online" "$online online" "$(head -n 5 "$T/demo.out")"; fi
stations=$(grep -oE '^[0-9:]{8}  [a-z0-9-]+/' "$T/demo.out" | awk '{print $2}' | sort -u | wc -l)
if [ "$stations" -eq 18 ]; then ok "telemetry from all 18 stations"; else not_ok "telemetry from all 18 stations" "from $stations"; fi
# The five plants under review run degraded (failed aeration): their COD is
# high; the others' is not.
high=$(grep -oE '^[0-9:]{8}  [a-z-]+[0-9]*/outlet-analyzer #[0-9]+: cod=[0-9.]+' "$T/demo.out" |
	awk '{split($4, a, "="); if (a[2] > 150) print $2}' | cut -d/ -f1 | sort -u | tr '\n' ' ')
if [ "$high" = "bat-trang duyen-thai lien-ha tan-trieu yen-nghia " ]; then
	ok "COD above 150 mg/L exactly at the five plants under review"
else
	not_ok "COD above 150 mg/L exactly at the five plants under review" "got: $high"
fi
if grep -q "stopped" "$T/demo.out"; then ok "the demo says it stopped everything"; else not_ok "the demo says it stopped everything" ""; fi
leftover=$(pgrep -f "$WWTP_BUILD/demo/config" | wc -l)
if [ "$leftover" -eq 0 ]; then ok "no demo process is left running"; else not_ok "no demo process is left running" "$(pgrep -af "$WWTP_BUILD/demo/config")"; fi

[ "$FAILS" -eq 0 ]
