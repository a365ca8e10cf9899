#!/bin/bash
# Throughput: N short containers (`/bin/true`, removed at exit) one after the other, and N with
# two at a time (xargs -P2), per second, side by side:
#
#   pd      pocket-docker run --rm --rootfs DIR /bin/true
#   crun    crun run --bundle B ID-{}     (a unique id per container)
#   runc    runc run --bundle B ID-{}
#   podman  podman run --rm IMAGE /bin/true (image imported from the same tarball)
#
# Must run as root.  Environment knobs:
#   BENCH_TP_N            containers per batch (default 200; quick 50)
#   BENCH_TP_ROUNDS       rounds of batches for pd, crun, runc (default 2; quick 1)
#   BENCH_TP_PODMAN_ROUNDS  rounds of podman batches (default 1: a podman batch takes ~1 min)
#   BENCH_QUICK=1, BENCH_MD, BENCH_VERBOSE as in start.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

N=${BENCH_TP_N:-$(qv 200 50)}
ROUNDS=${BENCH_TP_ROUNDS:-$(qv 2 1)}
PROUNDS=${BENCH_TP_PODMAN_ROUNDS:-1}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine crun runc busybox-static python3 util-linux findutils
bench_begin throughput
on_exit oci_cleanup
prepare_busybox "$TMP"
mk_bundle "$TMP/bundle" "$FIX_DIR" /bin/true
mkdir -p "$TMP/crun" "$TMP/runc" "$TMP/tp"
: >"$TMP/skipped"
podman_setup "$FIX_TAR" || true

# One batch = a small script: seq N | xargs -P P -I{} COMMAND ({} = the container's number).
CMDS=()    # name cmd pairs for pd, crun, runc
PCMDS=()   # the same for podman
ROWS=()
batch() { # NAME PARALLEL COMMAND
	local f=$TMP/tp/$1.sh
	printf 'exec < <(seq %d)\nexec xargs -P %d -I{} %s\n' "$N" "$2" "$3" >"$f"
	echo "bash $f"
}
add() { # NAME COMMAND-WITH-{}  (sanity-checked with {} = 0)
	local name=$1 cmd=$2 seq par
	if ! works "$name" "${cmd//\{\}/0}"; then
		SKIPPED_RT+=("$name")
		return 0
	fi
	seq=$(batch "$name-seq" 1 "$cmd")
	par=$(batch "$name-par" 2 "$cmd")
	if [ "$name" = podman ]; then
		PCMDS+=("$name-seq" "$seq" "$name-par" "$par")
	else
		CMDS+=("$name-seq" "$seq" "$name-par" "$par")
	fi
}
SKIPPED_RT=()
[ -n "$PD" ] && add pd "$PD --root $STATE run --rm --rootfs $FIX_DIR /bin/true"
add crun "crun --root $TMP/crun run --bundle $TMP/bundle $OCI_PREFIX{}"
add runc "runc --root $TMP/runc run --bundle $TMP/bundle $OCI_PREFIX{}"
if [ "$PODMAN_OK" = 1 ]; then
	add podman "$PODMAN run --rm $PODMAN_RUN pdbench-busybox /bin/true"
fi

# ---------------------------------------------------------------- measure
log "throughput: batches of $N containers; $ROUNDS round(s), podman $PROUNDS"
for ((r = 0; r < ROUNDS || r < PROUNDS; r++)); do
	set -- 
	[ "$r" -lt "$ROUNDS" ] && set -- "$@" "${CMDS[@]}"
	[ "$r" -lt "$PROUNDS" ] && set -- "$@" "${PCMDS[@]}"
	[ $# -gt 0 ] || continue
	# Rotate the order between rounds, as hf_rounds does within one call.
	rotation "$r" "$@"
	hf_rounds "$TMP/tp-$r" 1 1 0 "${ROT[@]}"
done

# ---------------------------------------------------------------- report
python3 "$BENCH_DIR/stats.py" medians "$TMP"/tp-*.json >"$TMP/tp-medians"
[ "$PODMAN_OK" = 1 ] || SKIPPED_RT+=(podman)
python3 - "$TMP/tp-medians" "$N" "${SKIPPED_RT[*]}" "${PODMAN_WHY:-}" >"$TMP/tp.tsv" <<'EOF'
import sys
med = {}
runs = {}
for line in open(sys.argv[1]):
    name, m, lo, hi, n = line.split("\t")
    med[name] = float(m)
    runs[name] = int(n)
N = int(sys.argv[2])
skipped = sys.argv[3].split()
desc = {
    "pd": "pocket-docker run --rm --rootfs DIR /bin/true",
    "crun": "crun run --bundle B ID",
    "runc": "runc run --bundle B ID",
    "podman": "podman run --rm IMAGE /bin/true",
}
print("\t".join(["runtime", "command", f"sequential: s per {N}", "containers/s",
                 f"2 in parallel: s per {N}", "containers/s", "x pd (seq / par)", "batches"]))
def rate(k):
    return N / med[k] if k in med else None
for rt in ["pd", "crun", "runc", "podman"]:
    s, p = f"{rt}-seq", f"{rt}-par"
    if s not in med:
        why = "not measured"
        if rt in skipped:
            why = "skipped: " + (sys.argv[4] if rt == "podman" and sys.argv[4] else "failed in the sanity run, see the log")
        print("\t".join([rt, f"{desc[rt]} — *{why}*", "-", "-", "-", "-", "-", "0"]))
        continue
    rel = "-"
    if "pd-seq" in med:
        rel = f"{rate(s) / rate('pd-seq'):.2f} / {rate(p) / rate('pd-par'):.2f}"
    print("\t".join([rt, desc[rt], f"{med[s]:.2f}", f"{rate(s):.1f}", f"{med[p]:.2f}",
                     f"{rate(p):.1f}", rel, str(runs[s])]))
EOF

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
[ "$PODMAN_OK" = 1 ] || SKIP_ARGS+=(--skipped "podman|$PODMAN_WHY")
write_machine "$TMP/machine" \
	"- tools: $(tool_version crun --version), $(tool_version runc --version), ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version)" \
	"- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static)"
python3 "$BENCH_DIR/report.py" --section throughput --md "$MD" --machine "$TMP/machine" \
	--title "Throughput: short containers per second" \
	--tsv "**Throughput**: $N containers running \`/bin/true\`, sequentially and two at a time (\`xargs -P2\`); medians of the batch times.|$TMP/tp.tsv" \
	"${SKIP_ARGS[@]}" \
	--note "Each batch is \`seq $N | xargs -P1|-P2 -I{} COMMAND\` under \`hyperfine -N --runs 1\`; pd, crun and runc ran $ROUNDS batch(es) of each kind, podman $PROUNDS (a podman batch takes about a minute); rounds alternate the order. crun and runc get a unique container id per container; pocket-docker and podman remove theirs at exit (\`--rm\`). \`x pd\` is the runtime's rate over pocket-docker's." \
	--note "podman: see the start-up section for its options.${PODMAN_WHY:+ Not measured: $PODMAN_WHY.}" \
	--note "All runtimes run in one private mount namespace in which \`/sys/fs/cgroup/unified\` is unmounted (crun, and podman through it, refuse hybrid hosts); see the start-up section."
cp "$TMP/tp.tsv" "$BENCH_OUT/throughput.tsv"
