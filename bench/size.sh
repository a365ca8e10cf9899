#!/bin/bash
# Binary sizes: pocket-docker against crun, runc, bwrap, podman (and conmon, podman's monitor).
# File size on disk as installed (Debian's binaries are stripped; pocket-docker is shown as built,
# with -g, and stripped), plus the shared libraries each one loads at start (ldd) and the
# libraries pocket-docker opens only when needed.  Must run as root (installs packages).
# Knobs: BENCH_MD.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MD=${BENCH_MD:-$REPO/BENCHMARKS.md}
need_pkgs crun runc bubblewrap podman conmon binutils
bench_begin size

kb() { echo $((($(stat -L -c %s "$1") + 1023) / 1024)); }
# libs FILE: "count<TAB>total kB" of the shared libraries ldd lists (resolved, deduplicated).
libs() {
	ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u |
		while read -r l; do stat -L -c %s "$l"; done |
		awk '{n++; s += $1} END {printf "%d\t%d", n, (s + 1023) / 1024}'
}
row() { # NAME FILE NOTE [SHOWN-PATH]
	local f=$2 shown=${4:-$2}
	if [ ! -x "$f" ]; then
		printf '%s\t%s\t-\t-\t-\t-\t-\t%s\n' "$1" "$f" "not installed" >>"$TMP/size.tsv"
		return
	fi
	local l n lk
	l=$(libs "$f")
	n=${l%%$'\t'*}
	lk=${l##*$'\t'}
	local ref=${PD_STRIPPED_KB:-}
	local x=-
	[ -n "$ref" ] && x=$(awk -v a="$(kb "$f")" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$shown" "$(kb "$f")" "$x" "$n" "$lk" \
		"$(($(kb "$f") + lk))" "$3" >>"$TMP/size.tsv"
}
printf 'binary\tfile\tsize kB\tx pocket-docker (stripped)\tshared libraries at start\tlibraries kB\tbinary + libraries kB\tnote\n' >"$TMP/size.tsv"
if [ -n "$PD" ]; then
	strip -o "$TMP/pocket-docker.stripped" "$PD"
	PD_STRIPPED_KB=$(kb "$TMP/pocket-docker.stripped")
	row "pocket-docker (stripped)" "$TMP/pocket-docker.stripped" "strip of the build" "strip ./pocket-docker"
	row "pocket-docker (as built)" "$PD" "-O2 -g: with debug information" ./pocket-docker
	# Libraries opened only when a feature needs them (src/util/dl.h).
	DL=$(strings "$PD" | grep -E '^lib(archive|curl|curl-gnutls|nl-3|nl-route-3|nftables|nettle|hogweed)\.so' | sort -u | tr '\n' ' ')
else
	echo "pocket-docker	-	-	-	-	-	-	not built" >>"$TMP/size.tsv"
fi
row crun "$(command -v crun)" "$(tool_version crun --version)"
row runc "$(command -v runc)" "$(tool_version runc --version)"
row bwrap "$(command -v bwrap)" "$(tool_version bwrap --version)"
row podman "$(command -v podman)" "$(tool_version podman --version)"
row conmon "$(command -v conmon || echo /usr/bin/conmon)" "podman's per-container monitor"

write_machine "$TMP/machine"
python3 "$BENCH_DIR/report.py" --section size --md "$MD" --machine "$TMP/machine" \
	--title "Binary size" \
	--tsv "$TMP/size.tsv" \
	--note "Sizes of the files on disk (kB = 1024 bytes); Debian's binaries are stripped. Shared libraries: what \`ldd\` lists, each counted whole. pocket-docker opens these only on first use (dlopen), so they are not counted: ${DL:-none found}."
cp "$TMP/size.tsv" "$BENCH_OUT/size.tsv"
