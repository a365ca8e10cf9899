# Shared helpers for the bench/ scripts.  Source it; do not run it.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
# The binary under test: $PD_BIN if set (make bench passes its $(BIN)), else ./pocket-docker.
PD_SRC=${PD_BIN:-$REPO/pocket-docker}
PD=$PD_SRC
BENCH_OUT="$REPO/build/bench"   # raw hyperfine JSON kept here for inspection

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# cgroup layout of this host: v2, hybrid or v1.
cgroup_mode() {
	# Inside enter_private_ns's namespace, the host's layout (seen before entering it).
	if [ -n "${PD_BENCH_CGROUP_MODE:-}" ]; then
		echo "$PD_BENCH_CGROUP_MODE"
	elif [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo "v2 (unified)"
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
	else
		echo "v1"
	fi
}

is_hybrid() { [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; }

# One line per fact; also used verbatim in BENCHMARKS.md.
machine_info() {
	local cpu os
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	echo "- cores: $(nproc) (${cpu:-unknown CPU})"
	echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "- kernel: $(uname -r) ($(uname -m))"
	echo "- OS: ${os:-unknown}"
	echo "- cgroups: $(cgroup_mode)"
}

# Install Debian packages that are missing (apt-get only, and only if needed).
need_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Version of a tool, first line, for the report.
tool_version() { "$@" 2>/dev/null | head -n1; }

# Build a minimal busybox root filesystem in $1 from Debian's busybox-static.
# Used only when tests/fixtures/mk-busybox.sh is not there.
mk_busybox_rootfs() {
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,mnt}
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# Set FIX_DIR (a busybox rootfs directory) and FIX_TAR (a tarball of it).
# $1: a scratch directory that the caller removes.
prepare_busybox() {
	local scratch=$1
	if [ -f "$REPO/tests/fixtures/mk-busybox.sh" ]; then
		bash "$REPO/tests/fixtures/mk-busybox.sh" "$REPO/build/fixtures" >&2 ||
			die "tests/fixtures/mk-busybox.sh failed"
		FIX_DIR="$REPO/build/fixtures/busybox-rootfs"
		FIX_TAR=
		local t
		for t in busybox.tar busybox.tar.gz; do
			if [ -f "$REPO/build/fixtures/$t" ]; then FIX_TAR="$REPO/build/fixtures/$t"; break; fi
		done
		[ -d "$FIX_DIR" ] || die "mk-busybox.sh did not produce $FIX_DIR"
		if [ -z "$FIX_TAR" ]; then
			FIX_TAR="$scratch/busybox.tar"
			tar -C "$FIX_DIR" -cf "$FIX_TAR" .
		fi
	else
		log "tests/fixtures/mk-busybox.sh not found: building a busybox rootfs in $scratch"
		FIX_DIR="$scratch/busybox-rootfs"
		FIX_TAR="$scratch/busybox.tar"
		mk_busybox_rootfs "$FIX_DIR"
		tar -C "$FIX_DIR" --numeric-owner -cf "$FIX_TAR" .
	fi
	[ -x "$FIX_DIR/bin/true" ] || die "$FIX_DIR/bin/true missing"
}

# ---------------------------------------------------------------- shared by the issue-9 scripts
# (throughput, exec, ps, stop, memory, size, extract).  start.sh keeps its own structure.

# BENCH_QUICK=1: a faster pass (fewer runs, smaller counts), for trying the scripts out.
quick() { [ "${BENCH_QUICK:-0}" = 1 ]; }
# qv NORMAL QUICK: the value for this pass.
qv() { if quick; then echo "$2"; else echo "$1"; fi; }

load1() { cut -d' ' -f1 /proc/loadavg; }
now_ns() { date +%s%N; }

# Re-execute the calling script in a private mount namespace in which /sys/fs/cgroup/unified is
# unmounted (crun, and so podman, refuse hybrid hosts otherwise; see start.sh).  Everything the
# script starts lives in that namespace, every runtime alike; the host's mounts are untouched and
# the namespace's mounts vanish with its last process.  Call as: enter_private_ns "$@"
enter_private_ns() {
	if [ "${PD_BENCH_IN_NS:-}" != "$$" ]; then
		export PD_BENCH_CGROUP_MODE
		PD_BENCH_CGROUP_MODE=$(cgroup_mode)
		exec unshare -m --propagation private -- env PD_BENCH_NS_PARENT=1 bash "$0" "$@"
	fi
}
# (unshare keeps the pid, so the re-executed script recognises itself by $$.)
if [ "${PD_BENCH_NS_PARENT:-}" = 1 ]; then
	unset PD_BENCH_NS_PARENT
	export PD_BENCH_IN_NS=$$
	if is_hybrid; then
		umount /sys/fs/cgroup/unified ||
			die "cannot unmount /sys/fs/cgroup/unified in the private mount namespace"
	fi
fi

# bench_begin NAME: root check, scratch dir $TMP (with $STATE, pocket-docker's state root),
# a snapshot of ./pocket-docker in $PD (others may rebuild it while we measure), the load
# average in $LOAD0, and the cleanup trap.  Register more cleanup with on_exit 'COMMAND'.
CLEANUP_HOOKS=()
on_exit() { CLEANUP_HOOKS+=("$*"); }
bench_begin() {
	[ "$(id -u)" -eq 0 ] || die "run as root"
	TMP=$(mktemp -d "/tmp/pd-bench-$1.XXXXXX")
	STATE=$TMP/state
	mkdir -p "$STATE" "$BENCH_OUT"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	LOAD0=$(load1)
	echo "pocket-docker benchmark '$1' on:"
	machine_info
	if [ -x "$PD_SRC" ]; then
		cp "$PD_SRC" "$TMP/pocket-docker"
		PD=$TMP/pocket-docker
		# "-dirty" only for changes that can change what is measured: not
		# BENCHMARKS.md, which each section of a full run rewrites.
		PD_VERSION="$(git -C "$REPO" describe --always 2>/dev/null || echo unknown)"
		if [ "$PD_VERSION" != unknown ] &&
			! git -C "$REPO" diff --quiet HEAD -- . ':(exclude)BENCHMARKS.md' 2>/dev/null; then
			PD_VERSION="$PD_VERSION-dirty"
		fi
	else
		PD=
		log "SKIP pocket-docker: $PD_SRC is not built yet (make pocket-docker)"
	fi
}
bench_cleanup() {
	local rc=$? i m
	set +e
	trap - INT TERM
	for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do eval "${CLEANUP_HOOKS[i]}"; done
	if [ -n "${PD:-}" ] && [ -e "$STATE/state.db" ]; then
		"$PD" --root "$STATE" ps -a -q --no-trunc >>"$TMP/ids" 2>/dev/null
		"$PD" --root "$STATE" rm -f --all >/dev/null 2>&1
	fi
	pd_cgroup_leftovers
	unified_junk_cleanup
	for m in $(findmnt -rn -o TARGET | grep -F "$TMP" | sort -r); do umount -l "$m"; done
	if findmnt -rn -o TARGET | grep -qF "$TMP"; then
		log "WARNING: mounts remain under $TMP; not removing it"
	else
		rm -rf --one-file-system "$TMP"
	fi
	exit $rc
}

# In the private namespace /sys/fs/cgroup/unified is an empty directory of the host's
# /sys/fs/cgroup tmpfs, hidden under the cgroup2 mount outside.  crun (and podman through it)
# still create their cgroup directories and files there: remove what this script's runtimes
# made (its OCI prefix, and libpod_parent if podman made it), only on that tmpfs.
unified_junk_cleanup() {
	[ -n "${PD_BENCH_IN_NS:-}" ] && [ -n "${PD_BENCH_CGROUP_MODE:-}" ] || return 0
	[[ "$PD_BENCH_CGROUP_MODE" == hybrid* ]] || return 0
	local u=/sys/fs/cgroup/unified e
	[ "$(stat -f -c %T "$u" 2>/dev/null)" = tmpfs ] || return 0
	for e in "$u/$OCI_PREFIX"*; do
		[ -e "$e" ] && rm -rf --one-file-system -- "$e"
	done
	if [ "${PODMAN_CG_NEW:-0}" = 1 ] && [ -e "$u/libpod_parent" ]; then
		rm -rf --one-file-system -- "$u/libpod_parent"
	fi
	return 0
}

# pocket-docker removes a container's cgroups when the container goes.  For the ids in $TMP/ids
# (containers this script made), remove any that are left (empty ones only) and say so.
pd_cgroup_leftovers() {
	[ -s "$TMP/ids" ] || return 0
	local id d n=0
	while read -r id; do
		[[ "$id" =~ ^[0-9a-f]{64}$ ]] || continue
		for d in /sys/fs/cgroup/*/pocket-docker/"$id"; do
			[ -d "$d" ] || continue
			sleep 0.2
			rmdir "$d" 2>/dev/null && n=$((n + 1))
		done
	done < <(sort -u "$TMP/ids")
	[ "$n" = 0 ] || log "WARNING: $n cgroup directories of removed containers were left behind by pocket-docker (removed now)"
	return 0
}

# The machine file for report.py: machine_info, load before/after, extra lines from the args.
write_machine() { # FILE [LINE...]
	local f=$1
	shift
	{
		machine_info
		echo "- load average (1 min) before / after: $LOAD0 / $(load1)"
		[ -n "${PD:-}" ] && echo "- pocket-docker: $("$PD" version 2>/dev/null | head -n1) (tree $PD_VERSION)"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# works NAME CMD: run CMD once (split on spaces, as hyperfine -N does); on failure log it,
# add NAME to $TMP/skipped and return 1.
works() {
	local name=$1 cmd=$2 out
	# shellcheck disable=SC2086
	if out=$($cmd 2>&1 </dev/null); then return 0; fi
	log "SKIP $name: '$cmd' failed:"
	printf '%s\n' "$out" | tail -n 5 | sed 's/^/bench:   /' >&2
	printf '%s|%s\n' "$name" "failed in the sanity run: $(printf '%s' "$out" | tail -n1 | tr '|' '/' | cut -c1-120)" >>"$TMP/skipped"
	return 1
}
# skipped_args: --skipped options for report.py from $TMP/skipped.
skipped_args() {
	local name why
	[ -f "$TMP/skipped" ] || return 0
	while IFS='|' read -r name why; do
		[ -n "$name" ] && printf '%s\0%s\0' --skipped "$name|$why"
	done <"$TMP/skipped"
}

# hf_rounds PREFIX ROUNDS RUNS WARMUP NAME CMD [NAME CMD]... [-- HYPERFINE-OPTION...]
# hyperfine -N in ROUNDS invocations of RUNS runs per command, the order rotating between
# rounds; writes PREFIX-<round>.json.
hf_rounds() {
	local prefix=$1 rounds=$2 runs=$3 warmup=$4 r i k
	shift 4
	local names=() cmds=() extra=()
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then
			shift
			extra=("$@")
			break
		fi
		names+=("$1")
		cmds+=("$2")
		shift 2
	done
	local n=${#names[@]}
	[ "$n" -gt 0 ] || return 0
	local style=(--style none)
	[ "${BENCH_VERBOSE:-0}" = 1 ] && style=(--style basic)
	for ((r = 0; r < rounds; r++)); do
		local args=()
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			args+=(-n "${names[k]}" "${cmds[k]}")
		done
		[ "${BENCH_QUIET:-0}" = 1 ] || log "round $((r + 1))/$rounds: $n commands x $runs runs (+$warmup warm-up)"
		if ! hyperfine -N "${style[@]}" --warmup "$warmup" --runs "$runs" "${extra[@]}" \
			--export-json "$prefix-$r.json" "${args[@]}" 2>&1 |
			{ grep -v -e 'Statistical outliers were detected' -e 'first benchmarking run for this command was significantly slower' \
				-e '^[[:space:]]*$' >&2 || true; }; then
			die "hyperfine failed in round $((r + 1))"
		fi
	done
}

# ---------------------------------------------------------------- OCI bundle and podman

# mk_bundle DIR ROOTFS ARG...: crun's default spec on ROOTFS (as start.sh makes it: no terminal,
# writable root, namespaces pid, mount, ipc, uts, network, cgroup) running ARG...
mk_bundle() {
	local dir=$1 rootfs=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && rm -f config.json && crun spec)
	python3 - "$dir/config.json" "$rootfs" "$@" <<'PYEOF'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = args
c["root"] = {"path": rootfs, "readonly": False}
want = ["pid", "mount", "ipc", "uts", "network", "cgroup"]
c["linux"]["namespaces"] = [{"type": t} for t in want]
json.dump(c, open(path, "w"), indent=1)
PYEOF
}

# podman_setup TARBALL: install podman, give it its own storage under $TMP/podman, import
# TARBALL as localhost/pdbench-busybox and check that `podman run --rm` works.  Sets PODMAN
# (the command with its global options), PODMAN_RUN (options for run/create), PODMAN_OK=1
# and PODMAN_WHY (why not, when it does not work).  Needs the private namespace (crun).
PODMAN_OK=0
PODMAN_WHY=
podman_setup() {
	local tarball=$1 out
	if ! need_pkgs podman >&2 || ! command -v podman >/dev/null; then
		PODMAN_WHY="podman could not be installed"
		return 1
	fi
	local d=$TMP/podman
	mkdir -p "$d/root" "$d/run" "$d/tmp" "$d/volumes" "$d/net"
	PODMAN="podman --root $d/root --runroot $d/run --tmpdir $d/tmp --volumepath $d/volumes --network-config-dir $d/net --cgroup-manager cgroupfs --events-backend none --storage-driver overlay"
	# podman 4.3 asks crun for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 32768, more than this
	# host's hard limits allow in crun's context (EPERM), and ignores --ulimit host: ask for the
	# caller's open-files limit and a modest process limit instead.
	PODMAN_RUN="--network none --log-driver k8s-file --ulimit nofile=$(ulimit -Sn):$(ulimit -Hn) --ulimit nproc=4096:4096"
	# podman (cgroupfs manager) makes libpod_parent/ in every hierarchy and leaves it: remove
	# it afterwards (only if it was not there before, and only empty directories).
	PODMAN_CG_NEW=1
	[ -n "$(libpod_dirs)" ] && PODMAN_CG_NEW=0
	on_exit podman_cleanup
	# shellcheck disable=SC2086
	if ! out=$($PODMAN import "$tarball" pdbench-busybox 2>&1); then
		PODMAN_WHY="podman import failed: $(printf '%s' "$out" | tail -n1)"
		log "SKIP podman: $PODMAN_WHY"
		return 1
	fi
	# shellcheck disable=SC2086
	if ! out=$($PODMAN run --rm $PODMAN_RUN pdbench-busybox /bin/true 2>&1 </dev/null); then
		PODMAN_WHY="podman run failed on this host: $(printf '%s' "$out" | tail -n1)"
		log "SKIP podman: $PODMAN_WHY"
		return 1
	fi
	PODMAN_OK=1
	PODMAN_VERSION=$(tool_version podman --version)
}
podman_cleanup() {
	[ -n "${PODMAN:-}" ] || return 0
	# shellcheck disable=SC2086
	timeout 300 $PODMAN rm -af -t 0 >/dev/null 2>&1
	[ "${PODMAN_CG_NEW:-0}" = 1 ] && rm_libpod_cgroups
	return 0
}
# podman's libpod_parent directories in the cgroup hierarchies (cgroup file systems only).
libpod_dirs() {
	local h t
	for h in /sys/fs/cgroup/*/libpod_parent; do
		[ -d "$h" ] || continue
		t=$(stat -f -c %T "$(dirname "$h")")
		[ "$t" = cgroupfs ] || [ "$t" = cgroup2fs ] && echo "$h"
	done
	return 0
}
# Remove podman's (empty) libpod_parent cgroup directories; conmon may take a moment to go.
rm_libpod_cgroups() {
	local i d
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for d in $(libpod_dirs); do
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
		[ -z "$(libpod_dirs)" ] && return 0
		sleep 0.5
	done
	log "WARNING: podman's libpod_parent cgroups are still busy; left in place"
}

# crun and runc keep their state under $TMP/crun and $TMP/runc; container ids start with
# $OCI_PREFIX.  oci_cleanup deletes what is left there, and the runtimes' leftover cgroups.
OCI_PREFIX=pdbench-$$-
oci_cleanup() {
	local rt d
	for rt in crun runc; do
		[ -d "$TMP/$rt" ] || continue
		for d in "$TMP/$rt"/*/; do
			[ -d "$d" ] && "$rt" --root "$TMP/$rt" delete -f "$(basename "$d")" >/dev/null 2>&1
		done
	done
	find /sys/fs/cgroup -maxdepth 4 -depth -type d -name "$OCI_PREFIX*" -exec rmdir {} \; 2>/dev/null
	return 0
}

# rotation R NAME CMD [NAME CMD...]: sets ROT to the pairs rotated by R, so
# that each command leads one round in turn (no command always runs first,
# on a cold cache, or last, after the others warmed it).
rotation() {
	local r=$1 n i k
	shift
	n=$(($# / 2))
	local -a pairs=("$@")
	ROT=()
	for ((i = 0; i < n; i++)); do
		k=$(((i + r) % n))
		ROT+=("${pairs[2 * k]}" "${pairs[2 * k + 1]}")
	done
}

# rotated_rounds PREFIX RUNS ROUNDS WARMUP WHAT NAME CMD [NAME CMD...]: RUNS
# runs of each command in all (at least 2 per round), split into ROUNDS
# hyperfine invocations whose order rotates (rotation); results in
# PREFIX-R.  WHAT names the runs in the log line.
rotated_rounds() {
	local prefix=$1 runs=$2 rounds=$3 warmup=$4 what=$5 per r
	shift 5
	per=$(((runs + rounds - 1) / rounds))
	[ "$per" -ge 2 ] || per=2
	log "measuring: $runs $what in $rounds rounds"
	for ((r = 0; r < rounds; r++)); do
		rotation "$r" "$@"
		hf_rounds "$prefix-$r" 1 "$per" "$warmup" "${ROT[@]}"
	done
}
