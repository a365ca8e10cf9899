# Shared helpers for the bench/ scripts.  Source it; do not run it.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PD="$REPO/pocket-docker"
BENCH_OUT="$REPO/build/bench"   # raw hyperfine JSON kept here for inspection

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# cgroup layout of this host: v2, hybrid or v1.
cgroup_mode() {
	if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
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
