#!/bin/sh
# mkcert.sh - a small private CA for the MQTT broker, the central side and
# the stations, with Debian's openssl (docs/security.md).
#
#   scripts/mkcert.sh ca DIR                   DIR/ca.key, DIR/ca.crt (10 years)
#   scripts/mkcert.sh server DIR NAME HOST...  DIR/NAME.key, DIR/NAME.crt for the
#                                              broker, HOST = DNS names and IP
#                                              addresses clients connect to
#   scripts/mkcert.sh client DIR USER          DIR/USER.key, DIR/USER.crt, CN=USER
#                                              (the broker's user name for it)
#
# Leaf certificates last CERT_DAYS (default 825) days and are signed by
# DIR/ca.key. Keys are EC P-256, written with mode 600: copy a station's key
# to its gateway only, and keep ca.key off every server (sign offline).
set -eu
umask 077

usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2
days=${CERT_DAYS:-825}
mkdir -p "$dir"

case "$cmd" in
ca)
	[ ! -e "$dir/ca.key" ] || { echo "mkcert.sh: $dir/ca.key exists; not replacing it" >&2; exit 1; }
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 -subj "/CN=wwtp MQTT CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>/dev/null
	chmod 644 "$dir/ca.crt"
	echo "$dir/ca.crt"
	;;
server | client)
	[ $# -ge 1 ] || usage
	name=$1
	shift
	case "$name" in *[!A-Za-z0-9._@-]*) echo "mkcert.sh: '$name': letters, digits, '.', '_', '@', '-' only" >&2; exit 2 ;; esac
	[ -r "$dir/ca.key" ] || { echo "mkcert.sh: no $dir/ca.key: run 'mkcert.sh ca $dir' first" >&2; exit 1; }
	if [ "$cmd" = server ]; then
		[ $# -ge 1 ] || usage
		san=
		for h in "$@"; do
			if printf "%s" "$h" | grep -Eq "^([0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*)\$"; then
				san="$san${san:+,}IP:$h"
			else
				san="$san${san:+,}DNS:$h"
			fi
		done
		ext="subjectAltName=$san
extendedKeyUsage=serverAuth"
	else
		ext="extendedKeyUsage=clientAuth"
	fi
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" 2>/dev/null
	printf '%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' "$ext" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -days "$days" -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
	rm -f "$dir/$name.csr" "$dir/$name.ext"
	chmod 644 "$dir/$name.crt"
	echo "$dir/$name.crt"
	;;
*) usage ;;
esac
