#!/usr/bin/env bash
# A few seconds of fuzzing per libFuzzer harness (tests/fuzz/, docs/fuzzing.md),
# after replaying every input that once crashed one (tests/fuzz/regressions/).
# The harnesses are always ASan+UBSan builds, so this runs in the sanitizer
# pass of tests/run.sh only (a build folder whose name ends in "asan"); the
# plain pass says so and checks nothing. A sanitizer build's check-build
# makes them (make BUILD=... SANITIZE=1 check-build, or make fuzz-build).
# FUZZ_SHORT_SECONDS (default 2) sets the time per harness.
. "$(dirname "$0")/../lib/common.sh"

case "$WWTP_BUILD" in
*asan) ;;
*)
	log "fuzzing runs in the sanitizer pass only (a build folder ending in asan), not in $WWTP_BUILD"
	exit 0
	;;
esac

TMPDIR="$T" tests/fuzz/run.sh "$WWTP_BUILD" short
