#!/usr/bin/env bash
# Runs the whole suite against one or more build folders (a plain build and
# a sanitizer build): every cmocka binary in BUILD/tests, then every script in
# tests/integration with WWTP_BUILD=BUILD. Logs go to BUILD/test-logs/.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
# Usage: tests/run.sh BUILD [BUILD...]   (TESTS=pattern limits the scripts)
#
# When a sanitizer build ("*asan*") is among the folders, the end-to-end
# scripts run against it only: the same code is exercised there, under
# ASan+UBSan, and the suite stays well inside its time budget. The plain
# build still runs every unit test, plus the scripts marked
# "# suite: plain pass too" (quick ones that check the optimised binaries
# against real devices). Alone, a plain build runs every script.
# ("# suite: sanitizer pass only" marks the slow ones; they never run twice.)
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

# Integration scripts run TEST_JOBS at a time (default 2): most of their time
# is spent waiting for polls, timeouts and servers, not computing. A script
# marked "# suite: alone" (heavy on CPU, or sharing the demo's ports) runs
# by itself. Each picks its own free ports, so the others do not meet.
jobs=${TEST_JOBS:-2}

run_script() { # script build logs: runs one, prints its line, leaves NAME.result
	local s=$1 build=$2 logs=$3 name log start rc p f secs label
	label=$(basename "$build")
	name=$(basename "$s" .sh)
	log="$logs/$name.log"
	start=$(date +%s)
	WWTP_BUILD="$build" timeout 600 bash "$s" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	secs=$(($(date +%s) - start))
	echo "$p $f" >"$logs/$name.result"
	if [ "$f" -ne 0 ]; then
		{
			echo "FAIL $label/$name: $p passed, $f failed (rc $rc, ${secs}s)"
			grep -E '^not ok - |^# ' "$log" | head -20 | sed 's/^/     /'
		} | cat # one write for the block, so a parallel script's line does not land inside it
	else
		echo "ok   $label/$name: $p checks (${secs}s)"
	fi
}

for build in "$@"; do
	ran=()
	label=$(basename "$build")
	logs="$build/test-logs"
	rm -rf "$logs"
	mkdir -p "$logs"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		log="$logs/$name.log"
		timeout 300 "$t" >"$log" 2>&1
		rc=$?
		count_cmocka "$log"
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or sanitizer abort
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures+=("$label/$name ($log)")
			echo "FAIL $label/$name: $p passed, $f failed (rc $rc)"
		else
			echo "ok   $label/$name: $p passed"
		fi
	done
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		case "$name" in ${TESTS:-*}) ;; *) continue ;; esac
		case "$build" in *asan*) ;; *)
			if [ $have_asan = 1 ] && ! grep -q '^# suite: plain pass too' "$s"; then
				echo "skip $label/$name: runs in the sanitizer pass only"
				continue
			fi ;;
		esac
		ran+=("$name")
		if grep -q '^# suite: alone' "$s"; then
			wait # the pair before it ends first
			run_script "$s" "$build" "$logs"
		else
			while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
			run_script "$s" "$build" "$logs" &
		fi
	done
	wait
	for name in "${ran[@]}"; do
		read -r p f < "$logs/$name.result" || { p=0; f=1; }
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -ne 0 ] && failures+=("$label/$name ($logs/$name.log)")
	done
done

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failed: see the logs"
	for x in "${failures[@]}"; do echo "  $x"; done
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
