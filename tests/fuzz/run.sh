#!/usr/bin/env bash
# Runs the libFuzzer harnesses of BUILD/fuzz (make fuzz-build) and prints one
# TAP-like line per check, as the integration tests do (tests/lib/common.sh):
#   ok - fuzz_x: 3 regression inputs replayed, no crash
#   ok - fuzz_x: 41234 runs in 5 s (8246/s), cov 812, ft 2301, corpus 57, no crash
#   not ok - fuzz_x: ...        (then "# " lines: the report and the input)
# Exits non-zero when any check failed.
#
# Usage: tests/fuzz/run.sh BUILD short|long [NAME...]
#   short  FUZZ_SHORT_SECONDS (default 2) per harness, on a scratch copy of
#          the seed corpus (what make check runs)
#   long   FUZZ_SECONDS (default 300) per harness; the corpus is kept and
#          grows in BUILD/fuzz/corpus/NAME across runs
#   NAME   harnesses to run ("lineproto" or "fuzz_lineproto"); default all
# For each harness, first every file of tests/fuzz/regressions/NAME/ is
# replayed once, then it fuzzes from tests/fuzz/corpus/NAME/ with
# tests/fuzz/NAME.dict and the flags of tests/fuzz/NAME.options if present
# (the config loaders' say -detect_leaks=0: libconfig's own leak, suppressed,
# would otherwise make libFuzzer scan the heap after most inputs, five times
# slower; leaks are still found, when the harness exits).
# A crashing input is copied to BUILD/fuzz/crashes/NAME/: see
# docs/fuzzing.md for turning it into a regression test.
set -u
cd "$(dirname "$0")/../.."
SRC=$PWD

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD short|long [NAME...]" >&2
	exit 2
fi
BUILD=$1
MODE=$2
shift 2
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
case "$MODE" in
short) SECS=${FUZZ_SHORT_SECONDS:-2} ;;
long) SECS=${FUZZ_SECONDS:-300} ;;
*)
	echo "$0: mode is short or long, not '$MODE'" >&2
	exit 2
	;;
esac

# The suite's sanitizer settings when run alone (tests/run.sh sets its own).
export WWTP_SRCDIR=$SRC
: "${ASAN_OPTIONS:=detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
: "${LSAN_OPTIONS:=suppressions=$SRC/tests/lsan.supp:print_suppressions=0}"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

FUZZ_BUILD="$BUILD/fuzz"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wwtp-fuzz-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "# $l"; done
	FAILS=$((FAILS + 1))
}

# The lines of a libFuzzer log that say what went wrong.
report_of() {
	grep -E 'ERROR: |SUMMARY: |runtime error:|FUZZ ASSERTION|Test unit written|^ *#[0-9]+ 0x' "$1" |
		head -n 14 | grep . || tail -n 3 "$1" # not a crash: libFuzzer's own complaint
}

# Keeps the inputs libFuzzer wrote into $1 (crash-*, leak-*, timeout-*,
# oom-*) in BUILD/fuzz/crashes/NAME and prints their paths.
keep_crashes() {
	local dir=$1 name=$2 f
	mkdir -p "$FUZZ_BUILD/crashes/$name"
	for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-*; do
		[ -f "$f" ] || continue
		cp "$f" "$FUZZ_BUILD/crashes/$name/"
		echo "$FUZZ_BUILD/crashes/$name/$(basename "$f")"
	done
}

names=()
if [ $# -gt 0 ]; then
	for n in "$@"; do names+=("fuzz_${n#fuzz_}"); done
else
	for s in tests/fuzz/fuzz_*.c; do
		n=$(basename "$s" .c)
		[ "$n" = fuzz_common ] || names+=("$n")
	done
fi

start_all=$(date +%s)
for name in "${names[@]}"; do
	short=${name#fuzz_}
	bin="$FUZZ_BUILD/$name"
	if [ ! -x "$bin" ]; then
		not_ok "$name: harness built" "no $bin: make BUILD=${BUILD#"$SRC"/} fuzz-build"
		continue
	fi
	opts=()
	if [ -f "tests/fuzz/$short.options" ]; then
		read -r -a opts <"tests/fuzz/$short.options"
	fi
	[ -f "tests/fuzz/$short.dict" ] && opts+=("-dict=$SRC/tests/fuzz/$short.dict")
	mkdir -p "$WORK/$short"

	# 1. Every input that once crashed it, run once each.
	regs=()
	for f in "tests/fuzz/regressions/$short"/*; do
		[ -f "$f" ] && regs+=("$f")
	done
	if [ ${#regs[@]} -gt 0 ]; then
		log="$WORK/$short/regressions.log"
		if (cd "$WORK/$short" && TMPDIR="$WORK/$short" timeout 300 "$bin" "${opts[@]}" \
			-artifact_prefix="$WORK/$short/" "${regs[@]/#/$SRC/}") >"$log" 2>&1; then
			ok "$name: ${#regs[@]} regression inputs replayed, no crash"
		else
			mapfile -t why < <(report_of "$log")
			not_ok "$name: ${#regs[@]} regression inputs replayed, no crash" "${why[@]}" \
				"log: $log (copied to $FUZZ_BUILD/$short-regressions.log)"
			cp "$log" "$FUZZ_BUILD/$short-regressions.log"
		fi
	fi

	# 2. Fuzzing from the seeds (short: a scratch copy; long: the kept corpus).
	if [ "$MODE" = short ]; then
		corpus="$WORK/$short/corpus"
		mkdir -p "$corpus"
	else
		corpus="$FUZZ_BUILD/corpus/$short"
		mkdir -p "$corpus"
	fi
	if [ -d "tests/fuzz/corpus/$short" ]; then
		cp -n "tests/fuzz/corpus/$short"/* "$corpus"/ 2>/dev/null
	fi
	arts="$WORK/$short/artifacts"
	mkdir -p "$arts"
	log="$WORK/$short/fuzz.log"
	start=$(date +%s)
	# Time limit per input: 10 s is generous for parsers that take
	# microseconds; a hang is a bug. timeout(1) catches a stuck run.
	(cd "$WORK/$short" && TMPDIR="$WORK/$short" timeout $((SECS * 2 + 60)) "$bin" "${opts[@]}" \
		-max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$arts/" "$corpus") >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	last=$(grep -E '(DONE|pulse|NEW|REDUCE|INITED).*cov: ' "$log" | tail -n1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	ncorp=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		ok "$name: ${runs:-?} runs in ${secs} s (${speed:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus $ncorp, no crash"
	else
		mapfile -t why < <(report_of "$log")
		mapfile -t kept < <(keep_crashes "$arts" "$short")
		cp "$log" "$FUZZ_BUILD/$short-fuzz.log"
		# A leak found at exit (NAME.options: -detect_leaks=0) names no
		# input (libFuzzer writes the empty one, crash-da39a3ee...): keep
		# the scratch corpus, which holds it (docs/fuzzing.md, Leaks).
		if [ "$MODE" = short ]; then
			rm -rf "$FUZZ_BUILD/crashes/$short/corpus"
			mkdir -p "$FUZZ_BUILD/crashes/$short"
			cp -r "$corpus" "$FUZZ_BUILD/crashes/$short/corpus"
			kept+=("(corpus kept in $FUZZ_BUILD/crashes/$short/corpus)")
		fi
		not_ok "$name: fuzzed ${secs} s without a crash (exit $rc)" "${why[@]}" \
			"input: ${kept[*]:-none written}" "log: $FUZZ_BUILD/$short-fuzz.log" \
			"replay: $bin ${kept[0]:-INPUT}; keep it: docs/fuzzing.md"
	fi
done
log_total=$(($(date +%s) - start_all))
echo "# ${#names[@]} harnesses, $MODE run, ${log_total} s"
[ "$FAILS" -eq 0 ]
