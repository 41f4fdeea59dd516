#!/usr/bin/env bash
# The suite proves its own install list: every external command and Python
# module that the tests, scripts/, the demo, bench/ and the Makefile's
# recipes use comes from a Debian package that `scripts/deps.sh PURPOSE`
# lists or pulls in through dependencies, or that every Debian has
# (tests/lib/install_list.py reads the scripts with shfmt and asks dpkg).
# A command that is not installed fails too, named with its script and line.
# Runs once (the sanitizer pass when there is one): it reads files only.
. "$(dirname "$0")/../lib/common.sh"

for t in shfmt /usr/bin/python3 dpkg-query; do
	command -v "$t" >/dev/null || { not_ok "$t is installed (scripts/deps.sh check)"; exit 1; }
done
start=$(date +%s)
/usr/bin/python3 tests/lib/install_list.py "$WWTP_SRCDIR"
rc=$?
log "install_list.py: $(($(date +%s) - start)) s"
exit $rc
