#!/bin/bash
# First-run tarball extraction: `pocket-docker run --rm --rootfs TARBALL /bin/true` with an
# empty rootfs cache (hash + extract + run) against `tar -xf TARBALL` of the same file, and the
# same run with the cache filled and from the extracted directory, to isolate extraction.
# Tarballs: the busybox tarball (plain and gzip) and, when the test fixtures have one, the
# larger python tarball.  Must run as root.  Knobs: BENCH_EXTRACT_RUNS (default 20; quick 4),
# BENCH_EXTRACT_BIG_RUNS (runs for the python tarball, default 8; not in quick mode),
# BENCH_QUICK, BENCH_MD, BENCH_VERBOSE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_EXTRACT_RUNS:-$(qv 20 4)}
BIG_RUNS=${BENCH_EXTRACT_BIG_RUNS:-8}
ROUNDS=$(qv 4 2)
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine tar gzip busybox-static python3
bench_begin extract
[ -n "$PD" ] || die "pocket-docker is not built"
prepare_busybox "$TMP"
: >"$TMP/skipped"

TARS=("$FIX_TAR")
[ -f "${FIX_TAR%.tar}.tar.gz" ] && TARS+=("${FIX_TAR%.tar}.tar.gz")
if [ -z "${BENCH_QUICK_NO_BIG:-}" ] && ! quick && [ -f "$REPO/build/fixtures/python.tar" ]; then
	TARS+=("$(readlink -f "$REPO/build/fixtures/python.tar")")
fi

ROWS=()
PAIRS=()
SETS=()   # "name|command|prepare" per measured command
k=0
for t in "${TARS[@]}"; do
	k=$((k + 1))
	b=$(basename "$t")
	s=$TMP/s$k                  # pocket-docker state root for this tarball
	d=$TMP/x$k                  # tar's target
	printf 'rm -rf "%s/cache"\n' "$s" >"$TMP/prep-cold-$k.sh"
	printf 'rm -rf "%s"; mkdir "%s"\n' "$d" "$d" >"$TMP/prep-tar-$k.sh"
	printf 'true\n' >"$TMP/prep-none.sh"
	mkdir -p "$s" "$d"
	tar -xf "$t" -C "$d"         # a directory with the same tree, for the pd-dir row
	cp -a "$d" "$TMP/dir$k"
	ROWS+=(--row "tar-$k|tar -xf $b -C DIR (into an empty directory)"
		--row "cold-$k|pocket-docker run --rm --rootfs $b /bin/true, empty cache"
		--row "warm-$k|pocket-docker run --rm --rootfs $b /bin/true, cached"
		--row "dir-$k|pocket-docker run --rm --rootfs DIR /bin/true (the same tree)")
	PAIRS+=(--pair "cold-$k|tar-$k")
	SETS+=("tar-$k|tar -xf $t -C $d|$TMP/prep-tar-$k.sh"
		"cold-$k|$PD --root $s run --rm --rootfs $t /bin/true|$TMP/prep-cold-$k.sh"
		"warm-$k|$PD --root $s run --rm --rootfs $t /bin/true|$TMP/prep-none.sh"
		"dir-$k|$PD --root $s run --rm --rootfs $TMP/dir$k /bin/true|$TMP/prep-none.sh")
	works "cold-$k" "$PD --root $s run --rm --rootfs $t /bin/true" || die "pocket-docker cannot run $b"
done

n=${#SETS[@]}
per=$(((RUNS + ROUNDS - 1) / ROUNDS))
bigper=$(((BIG_RUNS + ROUNDS - 1) / ROUNDS))
for ((r = 0; r < ROUNDS; r++)); do
	log "round $((r + 1))/$ROUNDS: ${#SETS[@]} commands"
	for ((i = 0; i < n; i++)); do
		IFS='|' read -r name cmd prep <<<"${SETS[(i + r) % n]}"
		p=$per w=1
		# The python tarball: one run takes seconds, so fewer runs and no warm-up run.
		if [ "${name#*-}" = 3 ]; then p=$bigper w=0; fi
		BENCH_QUIET=1 hf_rounds "$TMP/ex-$r-$name" 1 "$p" "$w" "$name" "$cmd" -- --prepare "bash $prep"
	done
done

# Extraction alone: (empty-cache run) - (cached run), against tar -x.
python3 "$BENCH_DIR/stats.py" medians "$TMP"/ex-*.json >"$TMP/med"
python3 - "$TMP/med" "${TARS[@]}" >"$TMP/ex.tsv" <<'PYEOF'
import os, sys
med = {}
for line in open(sys.argv[1]):
    f = line.split("\t")
    med[f[0]] = float(f[1]) * 1000
print("tarball\tsize MB\ttar -x ms\tpocket-docker first run - cached run ms\tx tar -x\tcached run - run from DIR ms")
for k, t in enumerate(sys.argv[2:], 1):
    k = str(k)
    if not all(f"{p}-{k}" in med for p in ("tar", "cold", "warm", "dir")):
        continue
    ex = med["cold-" + k] - med["warm-" + k]
    print(f"{os.path.basename(t)}\t{os.path.getsize(t) / 1e6:.1f}\t{med['tar-' + k]:.1f}\t{ex:.1f}\t"
          f"{ex / med['tar-' + k]:.2f}\t{med['warm-' + k] - med['dir-' + k]:.1f}")
PYEOF

write_machine "$TMP/machine" "- tools: $(tool_version tar --version), $(tool_version hyperfine --version)"
python3 "$BENCH_DIR/report.py" --section extract --md "$MD" --machine "$TMP/machine" \
	--title "First run from a tarball: extraction against tar -x" \
	"${ROWS[@]}" "${PAIRS[@]}" --pair-label "tar -x" \
	--tsv "**Extraction alone**: the empty-cache run minus the cached run (hashing, extraction and the cache's bookkeeping), against \`tar -x\`.|$TMP/ex.tsv" \
	--note "Each command ran $RUNS times in $ROUNDS rounds (\`hyperfine -N\`, one warm-up run per round; the order rotates; the python tarball's rows, when present: $((bigper * ROUNDS)) runs, no warm-up), each timed run after a \`--prepare\` that empties pocket-docker's rootfs cache (first run) or tar's target directory; the tarball itself stays in the page cache for both. \`x tar -x\` on the first-run rows = its median / tar's." \
	--merged "$BENCH_OUT/extract.json" \
	"$TMP"/ex-*.json
cp "$TMP/ex.tsv" "$BENCH_OUT/extract.tsv"
