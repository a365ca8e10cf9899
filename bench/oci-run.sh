#!/bin/bash
# OCI runtime benchmark: `run` of one bundle (busybox, /bin/true) by each OCI runtime, start
# to exit, side by side:
#
#   pocket-runc  pocket-runc run --bundle B ID   (pocket-docker under runc's name)
#   runc         runc run --bundle B ID
#   crun         crun run --bundle B ID          (when crun is installed)
#
# One bundle for all: `pocket-runc spec` (runc's default document; ociVersion 1.0.0 for
# Debian 12's crun), on the busybox rootfs directory, writable root, no terminal, namespaces pid,
# mount, ipc, uts, network, cgroup, no seccomp (so no runtime compiles a filter).
#
# Must run as root.  Environment knobs:
#   BENCH_RUNS    runs per command in total (default 300; quick 30)
#   BENCH_ROUNDS  hyperfine invocations the runs are split into; the command order rotates
#                 between rounds (default 5; quick 3)
#   BENCH_WARMUP  warm-up runs per command per round (default 3; quick 1)
#   BENCH_QUICK=1 a short pass for trying the script out
#   BENCH_MD      file to write the section to (default BENCHMARKS.md at the repo root)
#
# crun refuses hybrid cgroup hosts, so the script runs in a private mount namespace (unshare
# -m) with /sys/fs/cgroup/unified unmounted; every runtime is measured in that same namespace.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_RUNS:-$(qv 300 30)}
ROUNDS=${BENCH_ROUNDS:-$(qv 5 3)}
WARMUP=${BENCH_WARMUP:-$(qv 3 1)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine runc busybox-static python3 util-linux
bench_begin oci-run
on_exit oci_cleanup
[ -n "$PD" ] || die "pocket-docker is not built (make pocket-docker)"
# The snapshot of the binary, under runc's name.
ln -s pocket-docker "$TMP/pocket-runc"
PR=$TMP/pocket-runc
prepare_busybox "$TMP"
log "rootfs: $FIX_DIR"
B=$TMP/bundle
mkdir -p "$B" "$TMP/runc" "$TMP/crun"
"$PR" spec --bundle "$B"
python3 - "$B/config.json" "$FIX_DIR" <<'PYEOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
# Debian 12's crun knows spec versions up to 1.0 only; the fields used are 1.0's.
c["ociVersion"] = "1.0.0"
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": False}
c["linux"]["namespaces"] = [{"type": t} for t in ["pid", "mount", "ipc", "uts", "network", "cgroup"]]
json.dump(c, open(path, "w"), indent=1)
PYEOF
: >"$TMP/skipped"

ROWS=()
NAMES=()
CMDS=()
add() { # NAME DESCRIPTION COMMAND
	ROWS+=(--row "$1|$2")
	works "$1" "$3" || return 0
	NAMES+=("$1")
	CMDS+=("$3")
}
add pocket-runc "pocket-runc run --bundle B ID" "$PR --root $STATE run --bundle $B ${OCI_PREFIX}pr"
add runc "runc run --bundle B ID" "runc --root $TMP/runc run --bundle $B ${OCI_PREFIX}runc"
if command -v crun >/dev/null; then
	add crun "crun run --bundle B ID" "crun --root $TMP/crun run --bundle $B ${OCI_PREFIX}crun"
else
	ROWS+=(--row "crun|crun run --bundle B ID")
	echo "crun|crun is not installed" >>"$TMP/skipped"
fi
[ ${#NAMES[@]} -gt 0 ] || die "no command works"

PAIRS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do PAIRS+=("${NAMES[i]}" "${CMDS[i]}"); done
rotated_rounds "$TMP/round" "$RUNS" "$ROUNDS" "$WARMUP" "runs per command" "${PAIRS[@]}"

SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" \
	"- tools: $(tool_version runc --version), $(tool_version crun --version), $(tool_version hyperfine --version)" \
	"- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static)"
# shellcheck disable=SC2046
python3 "$BENCH_DIR/report.py" --section oci-run --md "$MD" --machine "$TMP/machine" \
	--title "OCI runtimes: run of one bundle (/bin/true)" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" \
	--ratio "runc|runc" --ratio "crun|crun" \
	--check "pocket-runc|crun|1.0|pocket-runc run at or below crun's median" \
	--check "pocket-runc|runc|1.0|pocket-runc run at or below runc's median" \
	--note "Each command was run $RUNS times in $ROUNDS hyperfine rounds (\`hyperfine -N\`, $WARMUP warm-up runs per round), the order rotating between rounds; medians over all runs. \`x runc\` and \`x crun\` are ratios of medians." \
	--note "One bundle for every runtime: \`pocket-runc spec\` on the busybox directory, writable root, no terminal, namespaces pid, mount, ipc, uts, network, cgroup, no seccomp. pocket-runc keeps its state root (database, container directory with the overlay's upper layer) under \`/tmp\`; runc and crun keep theirs there too; every run removes its container." \
	--note "crun refuses hybrid cgroup hosts, so on such hosts all commands run in one private mount namespace with \`/sys/fs/cgroup/unified\` unmounted (the host is untouched)." \
	--merged "$BENCH_OUT/oci-run.json" \
	"$TMP"/round-*.json
