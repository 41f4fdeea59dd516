#!/usr/bin/env bash
# suite: plain pass too
# What a field technician sees from `wwtp-collector --check`: every shipped
# config passes; a broken one is refused with FILE:LINE messages and exit 2,
# and nothing starts on a bad config. Also --help, --version, bad options.
. "$(dirname "$0")/../lib/common.sh"

# Every shipped station and example loads.
for f in config/stations/*.cfg config/examples/*.cfg; do
	case "$f" in
	config/examples/central-*.cfg) check "wwtp-central --check accepts $f" "$WWTP_BUILD/wwtp-central" --check -c "$f" ;;
	*) check "--check accepts $f" "$COLLECTOR" --check -c "$f" ;;
	esac
done
n=$(ls config/stations/*.cfg | wc -l)
if [ "$n" -eq 18 ]; then ok "18 station files shipped"; else not_ok "18 station files shipped" "found $n"; fi

# Station ids are unique across the shipped files (they name MQTT topics).
dups=$(grep -ho '^ *id *= *"[^"]*"' config/stations/*.cfg | sed 's/.*"\(.*\)"/\1/' | sort | uniq -d)
if [ -z "$dups" ]; then ok "station ids are unique"; else not_ok "station ids are unique" "$dups"; fi

# expect_error NAME EXPECTED_LINE PATTERN: the config in $T/NAME.cfg is
# refused with exit 2 and a message "FILE:LINE: ..." matching PATTERN.
expect_error() {
	local name=$1 line=$2 pattern=$3 out rc
	out=$("$COLLECTOR" --check -c "$T/$name.cfg" 2>&1)
	rc=$?
	if [ $rc -ne 2 ]; then
		not_ok "$name: refused with exit 2" "exit $rc" "$out"
	elif ! grep -qE "^$T/$name.cfg:$line: .*$pattern" <<<"$out"; then
		not_ok "$name: message names $name.cfg:$line and says /$pattern/" "$out"
	else
		ok "$name: refused at line $line ($(grep -m1 -E "$pattern" <<<"$out" | sed "s|$T/||"))"
	fi
}

good_device='{ name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502; unit_id = 1;
    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }'
station='station = { id = "t1"; name = "Test"; district = "X"; plan = "qd6613"; };'
mqtt='mqtt = { uri = "tcp://127.0.0.1:1883"; };'

# Line numbers below are where the fault stands in each file.
printf '%s\ndevices = ( %s );\n%s\nbogus = 1;\n' "$station" "$good_device" "$mqtt" >"$T/unknown_top.cfg"
expect_error unknown_top 5 "unknown (top-level )?key 'bogus'"

printf '%s\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502; unit_id = 1;\n    colour = "red";\n    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }\n);\n%s\n' \
	"$station" "$mqtt" >"$T/unknown_device_key.cfg"
expect_error unknown_device_key 4 "unknown key 'colour'"

printf '%s\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502; unit_id = 300;\n    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }\n);\n%s\n' \
	"$station" "$mqtt" >"$T/unit_range.cfg"
expect_error unit_range 3 "unit_id"

printf '%s\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502; unit_id = 1;\n    points = (\n      { param = "cod"; table = "holding"; address = 0; type = "float33"; } ); }\n);\n%s\n' \
	"$station" "$mqtt" >"$T/bad_type.cfg"
expect_error bad_type 5 "float33"

printf '%s\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = "502"; unit_id = 1;\n    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }\n);\n%s\n' \
	"$station" "$mqtt" >"$T/wrong_type.cfg"
expect_error wrong_type 3 "port"

printf '%s\ndevices = ( %s,\n  %s );\n%s\n' "$station" "$good_device" "$good_device" "$mqtt" >"$T/dup_device.cfg"
expect_error dup_device 4 "outlet"

printf 'station = { id = "t1"; name = "Test"; plan = "qd6613"; };\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 1502;\n    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }\n);\n%s\n' \
	"$mqtt" >"$T/missing_unit.cfg"
expect_error missing_unit 3 "unit_id"

printf '%s\ndevices = ( %s );\nmqtt = { uri = = "tcp://127.0.0.1:1883"; };\n' "$station" "$good_device" >"$T/syntax.cfg"
expect_error syntax 4 "syntax error"

# Several problems in one file are all reported.
printf '%s\ndevices = (\n  { name = "outlet"; transport = "tcp"; host = "127.0.0.1"; port = 70000; unit_id = 1; x = 1;\n    points = ( { param = "cod"; table = "holding"; address = 0; type = "float32"; } ); }\n);\n%s\n' \
	"$station" "$mqtt" >"$T/several.cfg"
out=$("$COLLECTOR" --check -c "$T/several.cfg" 2>&1)
if [ "$(grep -c "several.cfg:3:" <<<"$out")" -ge 2 ]; then ok "several problems of one file are all reported"; else
	not_ok "several problems of one file are all reported" "$out"; fi

# Root causes only: a device refused (a misspelt profile) is one message, not
# one more per tt10 param or plausibility override that named its points.
sed -e '0,/profile = "eh-cm44x"/s//profile = "eh-cm44"/' \
	-e "s|^limits = {|profiles_dir = \"$WWTP_SRCDIR/config/profiles\";\nlimits_dir = \"$WWTP_SRCDIR/config/limits\";\nplausibility = ( { param = \"cod\"; flat_h = 12.0; } );\nlimits = {|" \
	config/stations/thanh-thuy.cfg >"$T/root_cause.cfg"
out=$("$COLLECTOR" --check -c "$T/root_cause.cfg" 2>&1)
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "unknown profile 'eh-cm44'" <<<"$out"; then
	ok "a refused device is reported once, without its consequences (tt10, plausibility)"
else
	not_ok "a refused device is reported once, without its consequences (tt10, plausibility)" "exit $rc" "$out"
fi
# The plausibility keys (docs/plausibility.md): a param no point measures,
# min above max, an unknown key, all at their lines.
sed -e "s|^limits = {|profiles_dir = \"$WWTP_SRCDIR/config/profiles\";\nlimits_dir = \"$WWTP_SRCDIR/config/limits\";\nplausibility = ( { param = \"bod5\"; max = 10.0; },\n  { param = \"cod\"; min = 9.0; max = 1.0; },\n  { param = \"ph\"; colour = 1; } );\nlimits = {|" \
	config/stations/thanh-thuy.cfg >"$T/plaus.cfg"
out=$("$COLLECTOR" --check -c "$T/plaus.cfg" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "no point measures 'bod5'" <<<"$out" && grep -q "min 9 is above max 1" <<<"$out" &&
	grep -q "colour" <<<"$out"; then
	ok "bad plausibility overrides are each reported"
else
	not_ok "bad plausibility overrides are each reported" "exit $rc" "$out"
fi

# Nothing starts on a bad config: the daemon mode exits 2 at once.
if timeout 10 "$COLLECTOR" -c "$T/unit_range.cfg" >/dev/null 2>&1; then rc=0; else rc=$?; fi
if [ $rc -eq 2 ]; then ok "the collector does not start on a bad config"; else not_ok "the collector does not start on a bad config" "exit $rc"; fi

# A missing file is a clear error too.
out=$("$COLLECTOR" --check -c "$T/nope.cfg" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "nope.cfg" <<<"$out"; then ok "a missing file is named"; else not_ok "a missing file is named" "exit $rc: $out"; fi

# The command line.
check "--help exits 0 and lists --once" bash -c "'$COLLECTOR' --help | grep -q -- --once"
check "--version prints the version" bash -c "'$COLLECTOR' --version | grep -qF \"$(cat VERSION)\""
out=$("$COLLECTOR" --frobnicate 2>&1)
rc=$?
if [ $rc -eq 2 ] && [ -n "$out" ]; then ok "an unknown option is refused with exit 2"; else not_ok "an unknown option is refused with exit 2" "exit $rc"; fi
out=$("$COLLECTOR" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qi -- "-c" <<<"$out"; then ok "no -c: says a config file is needed"; else not_ok "no -c: says a config file is needed" "exit $rc: $out"; fi

[ "$FAILS" -eq 0 ]
