#!/bin/bash
# Restart benchmark: `start -a` of an exited container of /bin/true, from start to exit, side by
# side with podman's, and, for context, a new container each time (run --rm, crun run).
#
#   pd-start      pocket-docker start -a NAME   (made once with create --rootfs DIR /bin/true)
#   podman-start  podman start -a NAME          (made once with podman create IMAGE /bin/true)
#   pd-run        pocket-docker run --rm --rootfs DIR /bin/true
#   crun          crun run (OCI bundle on the same DIR, as in start.sh)
#
# Every start of NAME starts the same record again; after the runs each runtime must still hold
# that one record, exited.  Must run as root.  Environment knobs:
#   BENCH_RESTART_RUNS         runs per command in total (default 200; quick 20)
#   BENCH_RESTART_ROUNDS       hyperfine invocations the runs are split into, the command order
#                              rotating between rounds (default 5; quick 2)
#   BENCH_RESTART_WARMUP       warm-up runs per command per round (default 3; quick 1)
#   BENCH_RESTART_PODMAN_RUNS  podman start runs in total (default 50; quick 6): podman gets
#                              its own, smaller, hyperfine call in every round, as in start.sh
#   BENCH_QUICK, BENCH_MD, BENCH_VERBOSE
# Like start.sh, runs in a private mount namespace (crun refuses hybrid cgroup hosts).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_RESTART_RUNS:-$(qv 200 20)}
ROUNDS=${BENCH_RESTART_ROUNDS:-$(qv 5 2)}
WARMUP=${BENCH_RESTART_WARMUP:-$(qv 3 1)}
PRUNS=${BENCH_RESTART_PODMAN_RUNS:-$(qv 50 6)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}
NAME=pdbench-restart

need_pkgs hyperfine crun busybox-static python3 util-linux
bench_begin restart
on_exit oci_cleanup
prepare_busybox "$TMP"
log "rootfs: $FIX_DIR"
mk_bundle "$TMP/bundle" "$FIX_DIR" /bin/true
mkdir -p "$TMP/crun"
: >"$TMP/skipped"
podman_setup "$FIX_TAR" || true

ROWS=(--row "pd-start|pocket-docker start -a NAME (exited container of /bin/true)"
	--row "podman-start|podman start -a NAME (exited container of /bin/true)"
	--row "pd-run|pocket-docker run --rm --rootfs DIR /bin/true"
	--row "crun|crun run --bundle B ID (same rootfs)")
NAMES=()
CMDS=()
# add NAME COMMAND: measured if it works once first.
add() {
	works "$1" "$2" || return 0
	NAMES+=("$1")
	CMDS+=("$2")
}
# pd_state: the status and the record count of pocket-docker's container, "STATUS COUNT".
pd_state() {
	echo "$("$PD" --root "$STATE" inspect -f '{{.State.Status}}' "$NAME" 2>/dev/null) $("$PD" --root "$STATE" ps -a -q | wc -l)"
}
# podman_state: the same for podman's.
podman_state() {
	# shellcheck disable=SC2086
	echo "$($PODMAN inspect -f '{{.State.Status}}' "$NAME" 2>/dev/null) $($PODMAN ps -a -q | wc -l)"
}

PD_START_OK=0
PD_AFTER=
if [ -n "$PD" ]; then
	# The record is made once; the sanity run (works) is its first start, after which it is
	# exited, as in every timed run.
	"$PD" --root "$STATE" create --name "$NAME" --rootfs "$FIX_DIR" /bin/true >>"$TMP/ids" ||
		die "pocket-docker create failed"
	add pd-start "$PD --root $STATE start -a $NAME"
	[[ " ${NAMES[*]} " == *" pd-start "* ]] && PD_START_OK=1
	if [ "$PD_START_OK" = 1 ]; then
		s=$(pd_state)
		[ "$s" = "exited 1" ] || die "pocket-docker after start -a: '$s' (status, records), expected 'exited 1'"
	fi
	add pd-run "$PD --root $STATE run --rm --rootfs $FIX_DIR /bin/true"
else
	echo "pd-start|pocket-docker is not built" >>"$TMP/skipped"
	echo "pd-run|pocket-docker is not built" >>"$TMP/skipped"
fi
add crun "crun --root $TMP/crun run --bundle $TMP/bundle ${OCI_PREFIX}crun"

PODMAN_CMD=
if [ "$PODMAN_OK" = 1 ]; then
	# shellcheck disable=SC2086
	if ! out=$($PODMAN create --name "$NAME" $PODMAN_RUN pdbench-busybox /bin/true 2>&1); then
		echo "podman-start|podman create failed: $(printf '%s' "$out" | tail -n1 | tr '|' '/')" >>"$TMP/skipped"
	elif works podman-start "$PODMAN start -a $NAME"; then
		s=$(podman_state)
		[ "$s" = "exited 1" ] || die "podman after start -a: '$s' (status, records), expected 'exited 1'"
		PODMAN_CMD="$PODMAN start -a $NAME"
	fi
else
	echo "podman-start|$PODMAN_WHY" >>"$TMP/skipped"
fi
[ ${#NAMES[@]} -gt 0 ] || die "no command works"

# ---------------------------------------------------------------- measure
PER=$(((RUNS + ROUNDS - 1) / ROUNDS))
[ "$PER" -ge 2 ] || PER=2
PPER=$(((PRUNS + ROUNDS - 1) / ROUNDS))
[ "$PPER" -ge 2 ] || PPER=2
PAIRS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do PAIRS+=("${NAMES[i]}" "${CMDS[i]}"); done
log "measuring: $RUNS runs per command (podman start $PRUNS) in $ROUNDS rounds"
for ((r = 0; r < ROUNDS; r++)); do
	rotation "$r" "${PAIRS[@]}"
	# podman first in odd rounds, last in even ones.
	if [ -n "$PODMAN_CMD" ] && [ $((r % 2)) = 1 ]; then
		hf_rounds "$TMP/podman-$r" 1 "$PPER" 1 podman-start "$PODMAN_CMD"
	fi
	hf_rounds "$TMP/round-$r" 1 "$PER" "$WARMUP" "${ROT[@]}"
	if [ -n "$PODMAN_CMD" ] && [ $((r % 2)) = 0 ]; then
		hf_rounds "$TMP/podman-$r" 1 "$PPER" 1 podman-start "$PODMAN_CMD"
	fi
done

# Each start reused the one record: still one record, exited (run --rm left none of its own).
if [ "$PD_START_OK" = 1 ]; then
	s=$(pd_state)
	[ "$s" = "exited 1" ] || die "pocket-docker after the runs: '$s' (status, records), expected 'exited 1'"
	PD_AFTER=$s
fi
if [ -n "$PODMAN_CMD" ]; then
	s=$(podman_state)
	[ "$s" = "exited 1" ] || die "podman after the runs: '$s' (status, records), expected 'exited 1'"
fi

# ---------------------------------------------------------------- report
SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" \
	"- tools: $(tool_version crun --version), ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version)" \
	"- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static)"
POD_NOTE="podman did not run here: $PODMAN_WHY."
[ -n "$PODMAN_CMD" ] && POD_NOTE="podman-start ($PODMAN_VERSION) ran $((PPER * ROUNDS)) times, in its own hyperfine call in each round (first in odd rounds, last in even ones; 1 warm-up run), with its own storage under a temporary directory and the options of the start section (\`--cgroup-manager cgroupfs --events-backend none\`; created with \`--network none --log-driver k8s-file\` and explicit \`--ulimit nofile/nproc\`), from the image imported from the same busybox tarball."
python3 "$BENCH_DIR/report.py" --section restart --md "$MD" --machine "$TMP/machine" \
	--title "Restart: start -a of an exited container of /bin/true" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" \
	--ratio "pd-start|pd-start" --ratio "podman-start|podman-start" --ratio "pd-run|pd-run" --ratio "crun|crun" \
	--note "pd-start and podman-start start the same exited container again in every run (made once with \`create\`; its first start was the sanity run); after the runs each runtime still held that one record, in state exited${PD_AFTER:+ (pocket-docker: \`inspect -f '{{.State.Status}}'\` and \`ps -a -q | wc -l\` gave '$PD_AFTER')}. pd-run and crun make a new container each time, for context; pd-run uses the same state root as pd-start." \
	--note "pd-start, pd-run and crun ran $((PER * ROUNDS)) times each in $ROUNDS hyperfine rounds (\`hyperfine -N\`, $WARMUP warm-up runs per round), the order rotating between rounds; medians over all runs. \`x NAME\` is the row's median / NAME's median: in the pd-start row, \`x podman-start\` compares restarting with podman's restart, \`x pd-run\` and \`x crun\` with making a new container." \
	--note "$POD_NOTE" \
	--note "As in the start section, every command runs in one private mount namespace with \`/sys/fs/cgroup/unified\` unmounted on hybrid hosts (crun refuses them); the crun bundle is \`crun spec\` with a writable root and namespaces pid, mount, ipc, uts, network, cgroup. pocket-docker's state root is under \`/tmp\` on $(stat -f -c %T "$TMP" | sed 's|ext2/ext3|ext4 (or ext2/3)|')." \
	--merged "$BENCH_OUT/restart.json" \
	"$TMP"/round-*.json $(ls "$TMP"/podman-*.json 2>/dev/null)
