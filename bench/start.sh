#!/bin/bash
# Start-up benchmark: start to exit of /bin/true, side by side, on one busybox rootfs.
#
#   pd-dir   pocket-docker run --rm --rootfs DIR /bin/true
#   pd-tar   pocket-docker run --rm --rootfs busybox.tar /bin/true   (cache filled first)
#   crun     crun run (OCI bundle on the same DIR)
#   runc     runc run (same bundle)
#   bwrap    bwrap --unshare-all on DIR
#   floor    unshare -pfmuinC --root DIR --mount-proc /bin/true
#
# Must run as root.  Environment knobs:
#   BENCH_RUNS    runs per command in total (default 300, at least 100 is sensible)
#   BENCH_ROUNDS  hyperfine invocations the runs are split into; the command order rotates
#                 between rounds so slow drift of the machine hits every runtime alike (default 5)
#   BENCH_WARMUP  warm-up runs per command per round (default 3)
#   BENCH_MD      file to write the section to (default BENCHMARKS.md at the repo root)
#   BENCH_VERBOSE=1  show hyperfine's own output
#
# crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2").  So the measuring phase runs in a private mount namespace (unshare -m) in which
# /sys/fs/cgroup/unified is unmounted; every runtime is measured in that same namespace, so
# no runtime pays for a wrapper the others do not.  The host's mounts are untouched.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${BENCH_RUNS:-300}
ROUNDS=${BENCH_ROUNDS:-5}
WARMUP=${BENCH_WARMUP:-3}
MD=${BENCH_MD:-$REPO/BENCHMARKS.md}

# ---------------------------------------------------------------- measuring phase
# Runs inside "unshare -m --propagation private"; $1 = the scratch dir prepared below.
measure() {
	local tmp=$1 name cmd r i n
	if is_hybrid; then
		umount /sys/fs/cgroup/unified ||
			die "cannot unmount /sys/fs/cgroup/unified in the private mount namespace"
	fi
	local names=() cmds=()
	while IFS=$'\t' read -r name cmd; do
		# One run of each first: it must work (and it fills pocket-docker's tarball cache).
		local out t0 t1
		t0=$(date +%s%N)
		# shellcheck disable=SC2086  # the command is split on purpose, as hyperfine -N does
		if out=$($cmd 2>&1 </dev/null); then
			t1=$(date +%s%N)
			echo "$name $(((t1 - t0) / 1000000)) ms" >>"$tmp/first-runs"
			names+=("$name")
			cmds+=("$cmd")
		else
			log "SKIP $name: '$cmd' failed (exit $?):"
			printf '%s\n' "$out" | head -n 5 | sed 's/^/bench:   /' >&2
			printf '%s|%s\n' "$name" "failed in the sanity run, see the log" >>"$tmp/skipped"
		fi
	done <"$tmp/cmds"
	n=${#names[@]}
	[ "$n" -gt 0 ] || die "no command works"

	local per=$(((RUNS + ROUNDS - 1) / ROUNDS))
	[ "$per" -ge 2 ] || per=2
	local style=(--style none)
	[ "${BENCH_VERBOSE:-0}" = 1 ] && style=(--style basic)
	for ((r = 0; r < ROUNDS; r++)); do
		local args=()
		for ((i = 0; i < n; i++)); do
			local k=$(((i + r) % n))
			args+=(-n "${names[k]}" "${cmds[k]}")
		done
		log "round $((r + 1))/$ROUNDS: $n commands x $per runs (+$WARMUP warm-up)"
		# pipefail: the status is hyperfine's; its outlier warnings are dropped.
		if ! hyperfine -N "${style[@]}" --warmup "$WARMUP" --runs "$per" \
			--export-json "$tmp/round-$r.json" "${args[@]}" 2>&1 |
			{ grep -v -e 'Statistical outliers were detected' -e '^[[:space:]]*$' >&2 || true; }; then
			die "hyperfine failed in round $((r + 1))"
		fi
	done
}

if [ "${1:-}" = --measure ]; then
	measure "$2"
	exit 0
fi

# ---------------------------------------------------------------- preparation
[ "$(id -u)" -eq 0 ] || die "run as root (crun, runc and the floor need it)"
need_pkgs hyperfine crun runc bubblewrap busybox-static python3 util-linux

TMP=$(mktemp -d /tmp/pd-bench.XXXXXX)
CRUN_ID=pdbench-crun-$$
RUNC_ID=pdbench-runc-$$

cleanup() {
	local rc=$?
	set +e
	# Containers: both runtimes delete in the foreground, this catches an interrupted run.
	[ -d "$TMP/crun/$CRUN_ID" ] && crun --root "$TMP/crun" delete -f "$CRUN_ID" >/dev/null 2>&1
	[ -d "$TMP/runc/$RUNC_ID" ] && runc --root "$TMP/runc" delete -f "$RUNC_ID" >/dev/null 2>&1
	# Any cgroup a runtime left under the container ids.
	find /sys/fs/cgroup -depth -type d \( -name "$CRUN_ID" -o -name "$RUNC_ID" \) \
		-exec rmdir {} \; 2>/dev/null
	# Mounts below the scratch dir (the measuring namespace is gone, so normally none).
	local m
	for m in $(findmnt -rn -o TARGET | grep -F "$TMP" | sort -r); do umount -l "$m"; done
	if findmnt -rn -o TARGET | grep -qF "$TMP"; then
		log "WARNING: mounts remain under $TMP; not removing it"
	else
		rm -rf --one-file-system "$TMP"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

prepare_busybox "$TMP"
log "rootfs: $FIX_DIR"
log "tarball: $FIX_TAR"

# OCI bundle for crun and runc: crun's default spec, on the same rootfs directory, with the
# same namespaces as pocket-docker (pid, mount, ipc, uts, network, cgroup), no terminal, and a
# writable root (pocket-docker's root is writable too, through its overlay).
mkdir -p "$TMP/bundle" "$TMP/crun" "$TMP/runc" "$TMP/state"
(cd "$TMP/bundle" && crun spec)
python3 - "$TMP/bundle/config.json" "$FIX_DIR" <<'EOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": False}
want = ["pid", "mount", "ipc", "uts", "network", "cgroup"]
c["linux"]["namespaces"] = [{"type": t} for t in want]
json.dump(c, open(path, "w"), indent=1)
EOF

STATE="$TMP/state"
ROWS=()
SKIPPED=()
: >"$TMP/cmds"
: >"$TMP/skipped"
: >"$TMP/first-runs"
add() { # NAME DESCRIPTION COMMAND
	printf '%s\t%s\n' "$1" "$3" >>"$TMP/cmds"
	ROWS+=(--row "$1|$2")
}
if [ -x "$PD" ]; then
	add pd-dir "pocket-docker run --rm --rootfs DIR /bin/true" \
		"$PD --root $STATE run --rm --rootfs $FIX_DIR /bin/true"
	add pd-tar "pocket-docker run --rm --rootfs $(basename "$FIX_TAR") /bin/true (cached)" \
		"$PD --root $STATE run --rm --rootfs $FIX_TAR /bin/true"
else
	log "SKIP pocket-docker: $PD is not built yet (make pocket-docker)"
	ROWS+=(--row "pd-dir|pocket-docker run --rm --rootfs DIR /bin/true"
		--row "pd-tar|pocket-docker run --rm --rootfs $(basename "$FIX_TAR") /bin/true (cached)")
	SKIPPED+=(--skipped "pd-dir|./pocket-docker not built" --skipped "pd-tar|./pocket-docker not built")
fi
add crun "crun run --bundle B ID" "crun --root $TMP/crun run --bundle $TMP/bundle $CRUN_ID"
add runc "runc run --bundle B ID" "runc --root $TMP/runc run --bundle $TMP/bundle $RUNC_ID"
add bwrap "bwrap --unshare-all --bind DIR / --proc /proc --dev /dev /bin/true" \
	"bwrap --unshare-all --die-with-parent --bind $FIX_DIR / --proc /proc --dev /dev /bin/true"
add floor "unshare -pfmuinC --root DIR --mount-proc /bin/true" \
	"unshare -pfmuinC --root=$FIX_DIR --mount-proc /bin/true"

# ---------------------------------------------------------------- measure
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
log "measuring: $RUNS runs per command in $ROUNDS rounds, in a private mount namespace"
pd_cgroups() { find /sys/fs/cgroup/*/pocket-docker -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort; }
pd_cgroups >"$TMP/cgroups-before"
unshare -m --propagation private -- bash "$BENCH_DIR/start.sh" --measure "$TMP"
# --rm must leave no cgroup behind; say so if some appeared (another pocket-docker running
# at the same time could be the cause, so they are reported, not removed).
pd_cgroups | comm -13 "$TMP/cgroups-before" - >"$TMP/cgroups-new"
if [ -s "$TMP/cgroups-new" ]; then
	log "WARNING: $(wc -l <"$TMP/cgroups-new") pocket-docker cgroup directories appeared during the run, e.g.:"
	head -n 3 "$TMP/cgroups-new" | sed 's/^/bench:   /' >&2
fi

while IFS='|' read -r name why; do
	[ -n "$name" ] && SKIPPED+=(--skipped "$name|$why")
done <"$TMP/skipped"

# ---------------------------------------------------------------- report
{
	machine_info
	echo "- load average (1 min) before / after: $LOAD0 / $(cut -d' ' -f1 /proc/loadavg)"
	echo "- tools: $(tool_version crun --root "$TMP/crun" --version), $(tool_version runc --version)," \
		"$(tool_version bwrap --version), $(tool_version hyperfine --version)," \
		"$(tool_version unshare --version)"
	echo "- rootfs: busybox $(tool_version "$FIX_DIR/bin/busybox" | awk '{print $2}')" \
		"(Debian busybox-static), tarball $(basename "$FIX_TAR")"
} >"$TMP/machine"

NOTES=(
	--note "Each command was run $RUNS times in $ROUNDS hyperfine rounds (\`hyperfine -N\`, $WARMUP warm-up runs per round), the order rotating between rounds; medians over all runs. \`x crun\` and \`x floor\` are ratios of medians."
	--note "crun refuses hybrid cgroup hosts, so on such hosts all commands run in one private mount namespace with \`/sys/fs/cgroup/unified\` unmounted (the host is untouched). crun and runc use the same bundle: \`crun spec\`, writable root, namespaces pid, mount, ipc, uts, network, cgroup (no seccomp in that spec; pocket-docker installs one)."
	--note "The tarball row is measured after a first run has filled the cache. First (cold) runs in this run, timed with \`date\`: $(paste -sd, "$TMP/first-runs" | sed 's/,/, /g')."
)
mkdir -p "$BENCH_OUT"
python3 "$BENCH_DIR/report.py" --section start --md "$MD" --machine "$TMP/machine" \
	--title "Start-up: run --rm /bin/true" \
	"${ROWS[@]}" "${SKIPPED[@]}" \
	--ratio "crun|crun" --ratio "floor|floor" --ratio "pd-dir|pd-dir" \
	--check "pd-dir|crun|1.0|pocket-docker from a directory at or below crun's median" \
	--check "pd-dir|floor|2.5|pocket-docker from a directory within 2.5x of the floor" \
	--check "pd-tar|pd-dir|1.2|pocket-docker from a cached tarball within 1.2x of the directory case" \
	"${NOTES[@]}" \
	--merged "$BENCH_OUT/start.json" \
	"$TMP"/round-*.json
