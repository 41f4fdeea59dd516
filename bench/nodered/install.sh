#!/bin/sh
# bench/nodered/install.sh DIR - installs Node-RED and node-red-contrib-modbus
# for benchmark 3 into DIR (make bench: build/nodered) from the npm
# registry, at the versions bench/nodered/package.json pins. Skipped when DIR
# already holds that package.json's install. On failure it writes the reason
# to DIR/install-failed (bench/run.sh quotes it in the table) and exits 1.
#
# node and npm are those on PATH: Debian's nodejs and npm (scripts/deps.sh
# bench), or NodeSource's nodejs, which bundles npm (what Node-RED's own
# Raspberry Pi installer sets up). Node-RED 4 asks for Node.js 18.5 or later.
# node-red-contrib-modbus is pinned to 5.23.3: its newer releases fetch a
# dependency from a host this machine cannot reach.
set -eu
dir=$1
src=$(dirname "$0")/package.json
mkdir -p "$dir"
rm -f "$dir/install-failed"
fail() {
	echo "$*" >"$dir/install-failed"
	echo "bench: Node-RED not installed: $*" >&2
	exit 1
}
command -v node >/dev/null 2>&1 || fail "no node on PATH (Debian package nodejs)"
command -v npm >/dev/null 2>&1 || fail "no npm on PATH (Debian package npm)"
major=$(node -e 'console.log(process.versions.node.split(".")[0])')
[ "$major" -ge 18 ] || fail "node $(node --version) is older than Node-RED 4's 18.5"
if cmp -s "$src" "$dir/package.json" && [ -f "$dir/node_modules/node-red/red.js" ] &&
	[ -f "$dir/node_modules/node-red-contrib-modbus/package.json" ]; then
	exit 0
fi
cp "$src" "$dir/package.json"
echo "bench: installing Node-RED from the npm registry into $dir (about a minute)" >&2
if ! (cd "$dir" && npm install --no-audit --no-fund --omit=dev >npm-install.log 2>&1); then
	rm -f "$dir/package.json" # not installed: tried again next time
	fail "npm install failed: $(grep -m1 -i 'err' "$dir/npm-install.log" | cut -c1-160)"
fi
