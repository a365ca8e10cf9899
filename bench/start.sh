#!/bin/bash
# Start-up benchmark: start to exit of /bin/true, side by side, on one busybox rootfs.
#
#   pd-dir   pocket-docker run --rm --rootfs DIR /bin/true
#   pd-tar   pocket-docker run --rm --rootfs busybox.tar /bin/true   (cache filled first)
#   crun     crun run (OCI bundle on the same DIR)
#   runc     runc run (same bundle)
#   bwrap    bwrap --unshare-all on DIR
#   floor    unshare -pfmuinC --root DIR --mount-proc /bin/true
#   pd-dir-tmpfs  as pd-dir, with the state root on a tmpfs
#   podman   podman run --rm IMAGE /bin/true (image imported from the same tarball)
#
# Must run as root.  Environment knobs:
#   BENCH_RUNS    runs per command in total (default 300; quick 30)
#   BENCH_ROUNDS  hyperfine invocations the runs are split into; the command order rotates
#                 between rounds so slow drift of the machine hits every runtime alike (default 5)
#   BENCH_WARMUP  warm-up runs per command per round (default 3; quick 1)
#   BENCH_PODMAN_RUNS  podman runs in total (default 50; quick 6): one podman run takes
#                 ~0.3 s, so podman gets its own, smaller, hyperfine call in every round
#   BENCH_QUICK=1 a short pass for trying the script out
#   BENCH_MD      file to write the section to (default BENCHMARKS.md at the repo root)
#   BENCH_VERBOSE=1  show hyperfine's own output
#
# crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2").  So the script runs in a private mount namespace (unshare -m) in which
# /sys/fs/cgroup/unified is unmounted; every runtime is measured in that same namespace, so
# no runtime pays for a wrapper the others do not.  The host's mounts are untouched.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_RUNS:-$(qv 300 30)}
ROUNDS=${BENCH_ROUNDS:-$(qv 5 3)}
WARMUP=${BENCH_WARMUP:-$(qv 3 1)}
PRUNS=${BENCH_PODMAN_RUNS:-$(qv 50 6)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine crun runc bubblewrap busybox-static python3 util-linux
bench_begin start
on_exit oci_cleanup
prepare_busybox "$TMP"
log "rootfs: $FIX_DIR"
log "tarball: $FIX_TAR"
# OCI bundle for crun and runc: crun's default spec, on the same rootfs directory, with the
# same namespaces as pocket-docker (pid, mount, ipc, uts, network, cgroup), no terminal, and a
# writable root (pocket-docker's root is writable too, through its overlay).
mk_bundle "$TMP/bundle" "$FIX_DIR" /bin/true
mkdir -p "$TMP/crun" "$TMP/runc"
: >"$TMP/skipped"
: >"$TMP/first-runs"
podman_setup "$FIX_TAR" || true

ROWS=()
NAMES=()
CMDS=()
add() { # NAME DESCRIPTION COMMAND: checked (and timed) once first; it fills the tarball cache
	local t0 t1
	ROWS+=(--row "$1|$2")
	t0=$(now_ns)
	works "$1" "$3" || return 0
	t1=$(now_ns)
	echo "$1 $(((t1 - t0) / 1000000)) ms" >>"$TMP/first-runs"
	NAMES+=("$1")
	CMDS+=("$3")
}
TARNAME=$(basename "$FIX_TAR")
if [ -n "$PD" ]; then
	add pd-dir "pocket-docker run --rm --rootfs DIR /bin/true" \
		"$PD --root $STATE run --rm --rootfs $FIX_DIR /bin/true"
	add pd-tar "pocket-docker run --rm --rootfs $TARNAME /bin/true (cached)" \
		"$PD --root $STATE run --rm --rootfs $FIX_TAR /bin/true"
	# The same with the state root on a tmpfs (mounted in this script's private namespace):
	# shows what the filesystem under the state root costs (see the notes).
	mkdir -p "$TMP/tmpfs-state"
	mount -t tmpfs -o size=256m,mode=0700 pdbench-state "$TMP/tmpfs-state"
	on_exit "umount '$TMP/tmpfs-state'"
	add pd-dir-tmpfs "pocket-docker run --rm --rootfs DIR /bin/true, state root on a tmpfs" \
		"$PD --root $TMP/tmpfs-state run --rm --rootfs $FIX_DIR /bin/true"
else
	ROWS+=(--row "pd-dir|pocket-docker run --rm --rootfs DIR /bin/true"
		--row "pd-tar|pocket-docker run --rm --rootfs $TARNAME /bin/true (cached)")
	echo "pd-dir|pocket-docker is not built" >>"$TMP/skipped"
	echo "pd-tar|pocket-docker is not built" >>"$TMP/skipped"
fi
add crun "crun run --bundle B ID" "crun --root $TMP/crun run --bundle $TMP/bundle ${OCI_PREFIX}crun"
add runc "runc run --bundle B ID" "runc --root $TMP/runc run --bundle $TMP/bundle ${OCI_PREFIX}runc"
add bwrap "bwrap --unshare-all --bind DIR / --proc /proc --dev /dev /bin/true" \
	"bwrap --unshare-all --die-with-parent --bind $FIX_DIR / --proc /proc --dev /dev /bin/true"
add floor "unshare -pfmuinC --root DIR --mount-proc /bin/true" \
	"unshare -pfmuinC --root=$FIX_DIR --mount-proc /bin/true"
PODMAN_CMD=
if [ "$PODMAN_OK" = 1 ]; then
	ROWS+=(--row "podman|podman run --rm IMAGE /bin/true (image imported from $TARNAME)")
	# shellcheck disable=SC2086
	PODMAN_CMD="$PODMAN run --rm $PODMAN_RUN pdbench-busybox /bin/true"
else
	ROWS+=(--row "podman|podman run --rm IMAGE /bin/true")
	echo "podman|$PODMAN_WHY" >>"$TMP/skipped"
fi
[ ${#NAMES[@]} -gt 0 ] || die "no command works"

# ---------------------------------------------------------------- measure
pd_cgroups() { find /sys/fs/cgroup/*/pocket-docker -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort; }
pd_cgroups >"$TMP/cgroups-before"
PER=$(((RUNS + ROUNDS - 1) / ROUNDS))
[ "$PER" -ge 2 ] || PER=2
PPER=$(((PRUNS + ROUNDS - 1) / ROUNDS))
[ "$PPER" -ge 2 ] || PPER=2
PAIRS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do PAIRS+=("${NAMES[i]}" "${CMDS[i]}"); done
log "measuring: $RUNS runs per command (podman $PRUNS) in $ROUNDS rounds"
for ((r = 0; r < ROUNDS; r++)); do
	rotation "$r" "${PAIRS[@]}"
	# podman first in odd rounds, last in even ones.
	if [ -n "$PODMAN_CMD" ] && [ $((r % 2)) = 1 ]; then
		hf_rounds "$TMP/podman-$r" 1 "$PPER" 1 podman "$PODMAN_CMD"
	fi
	hf_rounds "$TMP/round-$r" 1 "$PER" "$WARMUP" "${ROT[@]}"
	if [ -n "$PODMAN_CMD" ] && [ $((r % 2)) = 0 ]; then
		hf_rounds "$TMP/podman-$r" 1 "$PPER" 1 podman "$PODMAN_CMD"
	fi
done
# --rm must leave no cgroup behind; say so if some appeared (another pocket-docker running
# at the same time could be the cause, so they are reported, not removed).
# Directories that come and go belong to other users of the machine: look again after 2 s.
pd_cgroups | comm -13 "$TMP/cgroups-before" - >"$TMP/cgroups-new"
[ -s "$TMP/cgroups-new" ] && sleep 2
while read -r d; do [ -d "$d" ] && echo "$d"; done <"$TMP/cgroups-new" >"$TMP/cgroups-left"
if [ -s "$TMP/cgroups-left" ]; then
	log "note: $(wc -l <"$TMP/cgroups-left") pocket-docker cgroup directories appeared during the run and stay (--rm should leave none; they may belong to another user of the machine), e.g.:"
	head -n 3 "$TMP/cgroups-left" | sed 's/^/bench:   /' >&2
fi

# ---------------------------------------------------------------- report
SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" \
	"- tools: $(tool_version crun --version), $(tool_version runc --version), $(tool_version bwrap --version), ${PODMAN_VERSION:-podman not usable}, $(tool_version hyperfine --version), $(tool_version unshare --version)" \
	"- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static), tarball $TARNAME"
POD_NOTE="podman did not run here: $PODMAN_WHY."
[ "$PODMAN_OK" = 1 ] && POD_NOTE="podman ($PODMAN_VERSION) ran $PRUNS times, in its own hyperfine call in each round (first in odd rounds, last in even ones), with its own storage under a temporary directory, \`--cgroup-manager cgroupfs --events-backend none --network none --log-driver k8s-file\`, and explicit \`--ulimit nofile/nproc\` (podman 4.3 asks crun for RLIMIT_NOFILE 1048576, above this host's hard limit, and \`--ulimit host\` does not help); the image was made with \`podman import\` from the same busybox tarball."
python3 "$BENCH_DIR/report.py" --section start --md "$MD" --machine "$TMP/machine" \
	--title "Start-up: run --rm /bin/true" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" \
	--ratio "crun|crun" --ratio "floor|floor" --ratio "pd-dir|pd-dir" \
	--check "pd-dir|crun|1.0|pocket-docker from a directory at or below crun's median" \
	--check "pd-dir|floor|2.5|pocket-docker from a directory within 2.5x of the floor" \
	--check "pd-dir|podman|0.1|pocket-docker from a directory at least 10x faster than podman" \
	--check "pd-tar|pd-dir|1.2|pocket-docker from a cached tarball within 1.2x of the directory case" \
	--note "Each command was run $RUNS times in $ROUNDS hyperfine rounds (\`hyperfine -N\`, $WARMUP warm-up runs per round), the order rotating between rounds; medians over all runs. \`x crun\`, \`x floor\` and \`x pd-dir\` are ratios of medians." \
	--note "$POD_NOTE" \
	--note "crun refuses hybrid cgroup hosts, so on such hosts all commands run in one private mount namespace with \`/sys/fs/cgroup/unified\` unmounted (the host is untouched). crun and runc use the same bundle: \`crun spec\`, writable root, namespaces pid, mount, ipc, uts, network, cgroup (no seccomp in that spec; pocket-docker installs one)." \
	--note "pd-dir and pd-tar keep pocket-docker's state root (\`--root\`: the database, and each container's directory with the overlay's upper and work directories) under \`/tmp\` on $(stat -f -c %T "$TMP" | sed 's|ext2/ext3|ext4 (or ext2/3)|') (\`$(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$TMP" | tr -s ' ' | cut -c1-80)\`), as a user's \`~/.pocket-docker\` would be; crun and runc keep their (smaller) state there too. pd-dir-tmpfs is the same command with the state root on a tmpfs." \
	--note "The tarball row is measured after a first run has filled the cache. First (cold) runs in this run, timed with \`date\`: $(paste -sd, "$TMP/first-runs" | sed 's/,/, /g')." \
	--merged "$BENCH_OUT/start.json" \
	"$TMP"/round-*.json $(ls "$TMP"/podman-*.json 2>/dev/null)
