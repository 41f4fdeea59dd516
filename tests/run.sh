#!/usr/bin/env bash
# Runs the whole suite against one or more build folders (a plain build and
# a sanitizer build): every cmocka binary in BUILD/tests and every script in
# tests/integration with WWTP_BUILD=BUILD. Logs go to BUILD/test-logs/.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
# Usage: tests/run.sh BUILD [BUILD...]
#   TESTS='pat...'  only the scripts matching one of these patterns
#                   (unit tests always run)
#   TEST_JOBS=N     slots for jobs at once (default: twice the cores)
#
# When a sanitizer build ("*asan*") is among the folders, the end-to-end
# scripts run against it only: the same code is exercised there, under
# ASan+UBSan, and the suite stays well inside its time budget. The plain
# build still runs every unit test, plus the scripts marked
# "# suite: plain pass too" (quick ones that check the optimised binaries
# against real devices). Alone, a plain build runs every script.
# ("# suite: sanitizer pass only" marks the slow ones; they never run twice.)
#
# Scheduling: every unit test program and every script, of every build, is
# one job of a single pool, started longest first (by the figures of
# tests/lib/durations), so the long scripts do not end the suite alone and
# the short ones fill the gaps. A job takes one of TEST_JOBS slots: most
# scripts spend their time waiting for polls, timeouts and servers, not
# computing, so twice the cores keeps the CPU busy without starving anyone.
# A script marked "# suite: alone" (heavy on CPU, or using the demo's
# folder) takes a slot too, but at most half the slots hold such scripts,
# and two that run scripts/demo.sh (one BUILD/demo folder) never meet.
# Each script picks its own free ports, so the others do not meet.
set -u
cd "$(dirname "$0")/.."
export WWTP_SRCDIR=$PWD
passed=0
failed=0
failures=()
have_asan=0
for b in "$@"; do case "$b" in *asan*) have_asan=1 ;; esac; done

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

count_cmocka() { # log -> sets p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | tail -n1)
	p=${p:-0}
	f=${f:-0}
}

slots=${TEST_JOBS:-$((2 * $(nproc 2>/dev/null || echo 1)))}
[ "$slots" -ge 1 ] 2>/dev/null || slots=1
heavy_max=$((slots / 2 > 0 ? slots / 2 : 1))

# Each job leaves NAME.result in its logs folder: "passed failed seconds cpu".
# CPU seconds are the job's and its children's (bash's time, user + system).
TIMEFORMAT='%U %S'
cpu_of() { awk '{ printf "%d", $1 + $2 + 0.5 }' "$1" 2>/dev/null || echo "?"; }

run_unit() { # binary build logs
	local t=$1 build=$2 logs=$3 name label log rc start secs cpu
	label=$(basename "$build")
	name=$(basename "$t")
	log="$logs/$name.log"
	start=$(date +%s)
	{ time timeout 300 "$t" >"$log" 2>&1; } 2>"$logs/$name.cpu"
	rc=$?
	secs=$(($(date +%s) - start))
	cpu=$(cpu_of "$logs/$name.cpu")
	count_cmocka "$log"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or sanitizer abort
	echo "$p $f $secs $cpu" >"$logs/$name.result"
	if [ "$f" -ne 0 ]; then
		echo "FAIL $label/$name: $p passed, $f failed (rc $rc, ${secs}s)"
	else
		echo "ok   $label/$name: $p passed (${secs}s)"
	fi
}

run_script() { # script build logs
	local s=$1 build=$2 logs=$3 name log start rc p f secs cpu label
	label=$(basename "$build")
	name=$(basename "$s" .sh)
	log="$logs/$name.log"
	start=$(date +%s)
	{ time WWTP_BUILD="$build" timeout 600 bash "$s" >"$log" 2>&1; } 2>"$logs/$name.cpu"
	rc=$?
	secs=$(($(date +%s) - start))
	cpu=$(cpu_of "$logs/$name.cpu")
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	echo "$p $f $secs $cpu" >"$logs/$name.result"
	if [ "$f" -ne 0 ]; then
		{
			echo "FAIL $label/$name: $p passed, $f failed (rc $rc, ${secs}s)"
			grep -E '^not ok - |^# ' "$log" | head -20 | sed 's/^/     /'
		} | cat # one write for the block, so a parallel job's line does not land inside it
	else
		echo "ok   $label/$name: $p checks (${secs}s, cpu ${cpu}s)"
	fi
}

# Expected seconds per name (tests/lib/durations).
declare -A est
while read -r n s _; do
	case "$n" in '' | '#'*) continue ;; esac
	est[$n]=$s
done <tests/lib/durations

# The jobs: J_KIND (unit|script), J_PATH, J_BUILD, J_EST, J_HEAVY.
J_KIND=() J_PATH=() J_BUILD=() J_EST=() J_HEAVY=()
add_job() { # kind path build estimate heavy
	J_KIND+=("$1") J_PATH+=("$2") J_BUILD+=("$3") J_EST+=("$4") J_HEAVY+=("$5")
}
matches() { # name: one of the TESTS patterns
	local - pat
	set -f # the patterns are for names, not for the files here
	# shellcheck disable=SC2086 # TESTS: words on purpose, patterns unquoted
	for pat in ${TESTS:-*}; do
		# shellcheck disable=SC2254
		case "$1" in $pat) return 0 ;; esac
	done
	return 1
}
for build in "$@"; do
	label=$(basename "$build")
	logs="$build/test-logs"
	rm -rf "$logs"
	mkdir -p "$logs"
	case "$build" in *asan*) plain=0 ;; *) plain=1 ;; esac
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		[ -f "$t" ] || continue
		name=$(basename "$t")
		e=${est[$name]:-1}
		add_job unit "$t" "$build" $((plain ? (e + 1) / 2 : e)) 0
	done
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		matches "$name" || continue
		if [ $plain = 1 ] && [ $have_asan = 1 ] && ! grep -q '^# suite: plain pass too' "$s"; then
			echo "skip $label/$name: runs in the sanitizer pass only"
			continue
		fi
		e=${est[$name]:-30}
		heavy=0
		grep -q '^# suite: alone' "$s" && heavy=1
		[ $heavy = 1 ] && grep -q 'scripts/demo\.sh' "$s" && heavy=2 # uses BUILD/demo
		add_job script "$s" "$build" $((plain ? (e + 1) / 2 : e)) $heavy
	done
done

# Longest first; among equals, the order above.
mapfile -t order < <(for i in "${!J_EST[@]}"; do echo "${J_EST[$i]} $i"; done | sort -k1,1nr -k2,2n | cut -d' ' -f2)

declare -A running # pid -> job
free=$slots
heavy_busy=0 # alone scripts running
demo_busy=0  # one of them runs scripts/demo.sh
suite_start=$(date +%s)
queue=("${order[@]}")
while [ ${#queue[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
	# The first job in the queue that may start does, when a slot is free.
	# An alone script kept out by the others of its kind is passed over
	# for the next job; one that waits only for a slot keeps its turn.
	pick=-1
	for k in "${!queue[@]}"; do
		i=${queue[$k]}
		if [ "${J_HEAVY[$i]}" != 0 ]; then
			[ $heavy_busy -ge $heavy_max ] && continue
			[ "${J_HEAVY[$i]}" = 2 ] && [ $demo_busy = 1 ] && continue
		fi
		[ $free -ge 1 ] && pick=$k
		break
	done
	if [ $pick -ge 0 ]; then
		i=${queue[$pick]}
		unset 'queue[pick]'
		queue=("${queue[@]}")
		b=${J_BUILD[$i]}
		if [ "${J_KIND[$i]}" = unit ]; then
			run_unit "${J_PATH[$i]}" "$b" "$b/test-logs" &
		else
			run_script "${J_PATH[$i]}" "$b" "$b/test-logs" &
		fi
		running[$!]=$i
		free=$((free - 1))
		[ "${J_HEAVY[$i]}" != 0 ] && heavy_busy=$((heavy_busy + 1))
		[ "${J_HEAVY[$i]}" = 2 ] && demo_busy=1
		continue
	fi
	wait -n -p done_pid
	i=${running[$done_pid]}
	unset 'running[$done_pid]'
	free=$((free + 1))
	[ "${J_HEAVY[$i]}" != 0 ] && heavy_busy=$((heavy_busy - 1))
	[ "${J_HEAVY[$i]}" = 2 ] && demo_busy=0
done
suite_secs=$(($(date +%s) - suite_start))

# Totals, in the jobs' own order; BUILD/test-logs/times: what each took.
for i in "${!J_KIND[@]}"; do
	b=${J_BUILD[$i]}
	label=$(basename "$b")
	if [ "${J_KIND[$i]}" = unit ]; then name=$(basename "${J_PATH[$i]}"); else name=$(basename "${J_PATH[$i]}" .sh); fi
	read -r p f secs cpu <"$b/test-logs/$name.result" || { p=0 f=1 secs=? cpu=?; }
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -ne 0 ] && failures+=("$label/$name ($b/test-logs/$name.log)")
	echo "$name $secs $cpu" >>"$b/test-logs/times.unsorted"
done
for b in "$@"; do
	[ -f "$b/test-logs/times.unsorted" ] || continue
	{
		echo "# name seconds cpu-seconds ($(date -u '+%F %T') UTC; TEST_JOBS=$slots; load $(cut -d' ' -f1-3 /proc/loadavg))"
		sort -k2,2nr "$b/test-logs/times.unsorted"
	} >"$b/test-logs/times"
	rm -f "$b/test-logs/times.unsorted"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failed: see the logs"
	for x in "${failures[@]}"; do echo "  $x"; done
fi
echo
echo "tests took $((suite_secs / 60)) min $((suite_secs % 60)) s ($slots slots, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
