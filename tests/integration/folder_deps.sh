#!/usr/bin/env bash
# suite: plain pass too
# The house is one-way (docs/architecture.md): the folder dependency graph
# drawn from the #includes (scripts/folder-deps.sh) has no loop; the lower
# floors include nothing from the programs' folders; and a loop made on
# purpose, in a copy of the tree, is found and named.
. "$(dirname "$0")/../lib/common.sh"

g="$T/graph.txt"
if scripts/folder-deps.sh >"$g" 2>"$T/graph.err"; then
	ok "the folder graph has no loop ($(wc -l <"$g") edges)"
else
	not_ok "the folder graph has no loop" "$(cat "$T/graph.err")"
fi

# The floors reach only below themselves: util, then model (the domain's
# ground floor), then compliance and drivers, then payload and the station
# loaders; the programs' folders stand on them.
bad=$(awk 'BEGIN { r["util"] = 0; r["model"] = 1; r["compliance"] = 2; r["drivers"] = 2
		  r["payload"] = 3; r["station"] = 3 }
	($1 in r) && (!($3 in r) || r[$3] >= r[$1])' "$g")
if [ -z "$bad" ]; then
	ok "util, model, compliance, drivers, payload, station: each includes only from below"
else
	not_ok "the lower floors include only from below" "$bad"
fi
if grep -qx 'compliance -> model' "$g" && grep -qx 'payload -> compliance' "$g" &&
	! grep -qE '^(model|compliance|drivers) -> (payload|station)$' "$g"; then
	ok "the domain's ground floor (model/) is below drivers, payload and compliance"
else
	not_ok "model/ is below drivers, payload and compliance" "$(grep -E '^(model|compliance|drivers|payload) ' "$g")"
fi

# A loop on purpose: the evaluator including a payload header again, as it
# did before model/ existed. The script must fail and name both folders.
copy="$T/tree"
mkdir -p "$copy"
tar -C . --exclude=./build --exclude=./dist --exclude=./.git -cf - . | tar -C "$copy" -xf -
sed -i 's|^#include "../model/reading.h"|#include "../payload/payload.h"|' "$copy/compliance/evaluator.c"
if scripts/folder-deps.sh "$copy" >/dev/null 2>"$T/loop.err"; then
	not_ok "a loop made on purpose is found" "exit 0"
elif grep -qx compliance "$T/loop.err" && grep -qx payload "$T/loop.err"; then
	ok "a loop made on purpose (compliance -> payload -> compliance) is found and named"
else
	not_ok "a loop made on purpose is named" "$(cat "$T/loop.err")"
fi
[ "$FAILS" -eq 0 ]
