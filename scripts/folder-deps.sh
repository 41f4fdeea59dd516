#!/bin/sh
# folder-deps.sh [ROOT]: the folder dependency graph of the C sources,
# drawn from their #include "..." lines: one "FOLDER -> FOLDER" line per
# edge (a folder depends on the folders whose headers it includes; a file's
# folder is its directory, so central/web and central/ingest are rooms of
# their own). Tests, bench tools and build output are not part of the house.
# Exits 0 when the graph has no loop; otherwise says "loop:" and the
# folders on it (tsort's words) and exits 1. docs/architecture.md.
set -eu
cd "${1:-.}"
edges=$(
	find . \( -path ./build -o -path ./tests -o -path ./bench -o -path ./dist -o -path './.*' \) \
		-prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort |
		awk '
		function dir(p) { return sub(/\/[^\/]*$/, "", p) ? p : "." }
		function norm(p,   n, i, k, a, out) { # "a/b/../c" -> "a/c"
			n = split(p, a, "/"); k = 0
			for (i = 1; i <= n; i++) {
				if (a[i] == "" || a[i] == ".") continue
				if (a[i] == ".." && k > 0 && s[k] != "..") { k--; continue }
				s[++k] = a[i]
			}
			out = ""
			for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") s[i]
			return out
		}
		{ file[NR] = $0; have[$0] = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				f = file[i]; d = dir(f)
				while ((getline line < f) > 0) {
					if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
					sub(/^[^"]*"/, "", line); sub(/".*$/, "", line)
					t = norm(d "/" line)
					if (!(t in have)) continue # generated, or not ours
					td = dir(t)
					if (td != d) print d, td
				}
				close(f)
			}
		}' | sort -u
)
printf '%s\n' "$edges" | sed '/^$/d; s/ / -> /'
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "loop: the folder graph is not one-way:" >&2
	printf '%s\n' "$out" | sed 's/^tsort: //' >&2
	exit 1
fi
