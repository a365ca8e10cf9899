#!/bin/bash
# OCI runtimes under podman: `podman --runtime X run --rm IMAGE /bin/true`, start to exit, for
# each runtime side by side:
#
#   runc         podman --runtime runc run --rm IMAGE /bin/true
#   crun         podman --runtime crun run --rm IMAGE /bin/true   (when crun is installed)
#   pocket-runc  podman --runtime pocket-runc run --rm IMAGE /bin/true
#
# What is measured is the whole podman path (podman, conmon, the runtime's create, start and
# delete --force, podman's cleanup); the runtimes differ only in the binary.  One private podman
# store (set up as docs/oci-runtime-clients.md records: its own CONTAINERS_CONF, cgroupfs, no
# network, the JSON log for every runtime), one image imported from the busybox tarball.  A
# runtime that cannot run the command (pocket-runc before it has create/start/delete) is
# reported as failed, with its error, and the others are measured.
#
# Must run as root.  Environment knobs:
#   BENCH_RUNS    runs per runtime in total (default 60; quick 6): one run takes ~0.3-0.5 s
#   BENCH_ROUNDS  hyperfine invocations the runs are split into; the order of the runtimes
#                 rotates between rounds (default 3; quick 2)
#   BENCH_WARMUP  warm-up runs per runtime per round (default 2; quick 1)
#   BENCH_QUICK=1 a short pass for trying the script out
#   BENCH_MD      file to write the section to (default BENCHMARKS.md at the repo root)
#   PD_BIN        the pocket-docker binary (pocket-runc is a link to a snapshot of it)
#
# crun refuses hybrid cgroup hosts, so the script runs in a private mount namespace (unshare
# -m) with /sys/fs/cgroup/unified unmounted; every runtime is measured in that same namespace.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
enter_private_ns "$@"

RUNS=${BENCH_RUNS:-$(qv 60 6)}
ROUNDS=${BENCH_ROUNDS:-$(qv 3 2)}
WARMUP=${BENCH_WARMUP:-$(qv 2 1)}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

need_pkgs hyperfine podman conmon runc busybox-static python3 util-linux
bench_begin oci-podman
prepare_busybox "$TMP"
log "tarball: $FIX_TAR"
: >"$TMP/skipped"

# ---------------------------------------------------------------- podman
P_DIR=$TMP/podman
# shellcheck source=scripts/private-podman.sh
. "$REPO/scripts/private-podman.sh"
private_podman_conf "$P_DIR" runc
# PODMAN and PODMAN_CG_NEW are what lib.sh's podman_cleanup and unified_junk_cleanup use.
PODMAN="env CONTAINERS_CONF=$P_DIR/containers.conf podman --root $P_DIR/root --runroot $P_DIR/run --tmpdir $P_DIR/tmp --storage-driver overlay"
# shellcheck disable=SC2034
PODMAN_CG_NEW=1
[ -n "$(libpod_dirs)" ] && PODMAN_CG_NEW=0
# (Hooks run last first: podman's cleanup, then the leftovers.)
on_exit podman_cgroup_leftovers
on_exit podman_cleanup

# After podman_cleanup: the cgroups of this script's containers (ids from podman's events log).
# A runtime removes a container's cgroup when it deletes it: say so when one stayed (empty ones
# are removed).  In the private namespace, the directories crun made on the tmpfs under the
# hidden /sys/fs/cgroup/unified are removed too.
podman_cgroup_leftovers() {
	local id d n=0
	[ -f "$P_DIR/tmp/events.log" ] || return 0
	for id in $(grep -F '"Type":"container"' "$P_DIR/tmp/events.log" | grep -oE '"ID":"[0-9a-f]{64}"' |
		cut -d'"' -f4 | sort -u); do
		for d in /sys/fs/cgroup/*/libpod_parent/libpod-"$id"; do
			[ -d "$d" ] || continue
			if [ "$(stat -f -c %T "$(dirname "$(dirname "$d")")")" = tmpfs ]; then
				rm -rf --one-file-system -- "$d"
			else
				find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
				n=$((n + 1))
			fi
		done
	done
	[ "$n" = 0 ] || log "WARNING: $n cgroup directories of removed podman containers were left behind (removed the empty ones)"
	return 0
}

# shellcheck disable=SC2086
$PODMAN import -q "$FIX_TAR" pdbench-busybox >/dev/null || die "podman import of $FIX_TAR failed"

# ---------------------------------------------------------------- runtimes
ROWS=()
NAMES=()
CMDS=()
add() { # NAME RUNTIME-PATH: podman --runtime PATH run --rm IMAGE /bin/true, if it works once
	local cmd="$PODMAN --runtime $2 run --rm pdbench-busybox /bin/true"
	ROWS+=(--row "$1|podman --runtime $1 run --rm IMAGE /bin/true")
	works "$1" "$cmd" || return 0
	NAMES+=("$1")
	CMDS+=("$cmd")
}
add runc "$(command -v runc)"
if command -v crun >/dev/null; then
	add crun "$(command -v crun)"
else
	ROWS+=(--row "crun|podman --runtime crun run --rm IMAGE /bin/true")
	echo "crun|crun is not installed" >>"$TMP/skipped"
fi
if [ -n "$PD" ]; then
	# The snapshot of the binary, under runc's name.
	ln -s pocket-docker "$TMP/pocket-runc"
	add pocket-runc "$TMP/pocket-runc"
else
	ROWS+=(--row "pocket-runc|podman --runtime pocket-runc run --rm IMAGE /bin/true")
	echo "pocket-runc|pocket-docker is not built (make pocket-docker)" >>"$TMP/skipped"
fi
[ ${#NAMES[@]} -gt 0 ] || die "no runtime works under podman here"

# ---------------------------------------------------------------- measure
PAIRS=()
for ((i = 0; i < ${#NAMES[@]}; i++)); do PAIRS+=("${NAMES[i]}" "${CMDS[i]}"); done
rotated_rounds "$TMP/round" "$RUNS" "$ROUNDS" "$WARMUP" "podman runs per runtime" "${PAIRS[@]}"

# ---------------------------------------------------------------- report
SKIP_ARGS=()
while IFS= read -r -d '' a; do SKIP_ARGS+=("$a"); done < <(skipped_args)
write_machine "$TMP/machine" \
	"- tools: $(tool_version podman --version), $(tool_version conmon --version), $(tool_version runc --version), $(tool_version crun --version), $(tool_version hyperfine --version)" \
	"- image: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}') (Debian busybox-static), imported with \`podman import\` from $(basename "$FIX_TAR")"
python3 "$BENCH_DIR/report.py" --section oci-podman --md "$MD" --machine "$TMP/machine" \
	--title "OCI runtimes under podman: run --rm of /bin/true" \
	"${ROWS[@]}" "${SKIP_ARGS[@]}" \
	--ratio "runc|runc" --ratio "crun|crun" \
	--check "pocket-runc|runc|1.0|podman with pocket-runc at or below podman with runc" \
	--note "Each runtime was run $RUNS times under podman in $ROUNDS hyperfine rounds (\`hyperfine -N\`, $WARMUP warm-up runs per round), the order rotating between rounds; medians over all runs. \`x runc\` and \`x crun\` are ratios of medians." \
	--note "One private podman store under \`/tmp\` (overlay storage driver), \`cgroup_manager = cgroupfs\`, \`netns = none\`, the k8s-file log driver, the file events logger, nofile/nproc rlimits this host allows, and \`--log-format=json --log\` for every runtime (all three in \`runtime_supports_json\`): the setup of docs/oci-runtime-clients.md. Each run is podman, conmon and the runtime's create, start and delete, and podman's cleanup." \
	--note "crun refuses hybrid cgroup hosts, so on such hosts all commands run in one private mount namespace with \`/sys/fs/cgroup/unified\` unmounted (the host is untouched)." \
	--merged "$BENCH_OUT/oci-podman.json" \
	"$TMP"/round-*.json
