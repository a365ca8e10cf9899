#!/bin/bash
# Run a command inside a small QEMU VM whose only cgroup hierarchy is v2, and
# exit with its status.  For the tests that need a pure cgroup v2 host on
# the project's v1/hybrid build machines (see shared/notes/cgroup-v2-vm.md).
#
#   tests/vm/run-v2.sh CMD [ARGS...]      e.g. tests/vm/run-v2.sh bash tests/vm/v2-tests.sh
#
# The guest: Debian's linux-image-6.1 kernel (fetched with apt-get download
# and unpacked into the cache, never installed), an initramfs of a static
# busybox and tests/vm/guest-init.sh, the host's /usr and /etc shared
# read-only over virtio-9p (writable in the guest through an overlay), the
# repository shared read-write at the same path, cgroup2 at /sys/fs/cgroup
# with memory, pids, cpu, io and cpuset enabled.  The command runs as root
# in the same working directory (inside the repository), its output comes
# out on stdout, and the guest prints "VM-EXIT <code>" at the end.  Keep
# state (SQLite, overlay upper dirs) under /tmp in the guest: it is a tmpfs,
# and 9p is a poor base for either.
#
# Exit: the command's status; 77 (SKIP) only when QEMU cannot run at all;
# 124 on timeout; 125 when the VM failed before or around the command.
#
# Environment: VM_TIMEOUT (seconds, 900), VM_MEM (MiB, 1024), VM_SMP (2),
# VM_VERBOSE=1 (boot details), VM_KERNEL_PKG (a linux-image-6.1 package
# name), POCKET_DOCKER_VM_CACHE (/var/cache/pocket-docker-vm).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${POCKET_DOCKER_VM_CACHE:-/var/cache/pocket-docker-vm}
timeout_s=${VM_TIMEOUT:-900}
mem=${VM_MEM:-1024}
smp=${VM_SMP:-2}
verbose=${VM_VERBOSE:-}

say() { if [ -n "$verbose" ]; then echo "run-v2.sh: $*" >&2; fi; }
die() {
	echo "run-v2.sh: $*" >&2
	exit 125
}
skip() {
	echo "SKIP: pure cgroup v2 VM: $*" >&2
	exit 77
}

[ $# -gt 0 ] || {
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
}
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
	is_root && command -v apt-get >/dev/null || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "$@" >&2; }
}

# --- QEMU: the only reason to skip -------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "run-v2.sh: installing qemu-system-x86" >&2
	apt_install qemu-system-x86 || true
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is missing and could not be installed"
qemu-system-x86_64 -version >/dev/null 2>&1 || skip "qemu-system-x86_64 does not start"

# --- busybox (static) for the initramfs ----------------------------------
# The initramfs has no libraries: only busybox-static's busybox will do.
if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
	apt_install busybox-static || die "a static busybox is needed: apt-get install busybox-static"
fi
bb=/bin/busybox

# --- the kernel ------------------------------------------------------------
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one download/extraction at a time; runs may overlap afterwards

find_kernel_pkg() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.1\.[0-9]+-[0-9]+-amd64$/ { print $2; exit }')
	[ -n "$p" ] || p=$(apt-cache search --names-only '^linux-image-6\.1\.[0-9]+-[0-9]+-amd64$' \
		2>/dev/null | awk '{ print $1 }' | sort -V | tail -n 1)
	echo "$p"
}

pkg=${VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	# Offline-friendly: reuse the newest kernel already unpacked.
	pkg=$(ls -1 "$cache/kernel" 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$pkg" ]; then
	pkg=$(find_kernel_pkg)
	if [ -z "$pkg" ] && is_root; then
		apt-get update -q >&2 || true
		pkg=$(find_kernel_pkg)
	fi
	[ -n "$pkg" ] || die "no linux-image-6.1 amd64 package known to apt (run apt-get update)"
fi
kdir=$cache/kernel/$pkg
if [ ! -d "$kdir" ]; then
	echo "run-v2.sh: fetching $pkg (once; cached in $cache)" >&2
	mkdir -p "$cache/debs"
	deb=$(ls -1 "$cache/debs/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		# apt-get download as root warns that _apt cannot write here; harmless.
		(cd "$cache/debs" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
		deb=$(ls -1 "$cache/debs/${pkg}_"*.deb | tail -n 1)
	fi
	mkdir -p "$cache/kernel"
	rm -rf "$kdir.tmp"
	dpkg-deb -x "$deb" "$kdir.tmp" || die "cannot unpack $deb"
	kver=$(ls -1 "$kdir.tmp/lib/modules" | head -n 1)
	# The package's postinst would run depmod; busybox's makes a
	# modules.dep (and aliases) that busybox modprobe in the guest reads.
	"$bb" depmod -b "$kdir.tmp" "$kver" || die "depmod failed for $pkg"
	mv "$kdir.tmp" "$kdir"
fi
kver=$(ls -1 "$kdir/lib/modules" | head -n 1)
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || die "no kernel image in $kdir"

# --- the initramfs (cached by content) -------------------------------------
moddir=$kdir/lib/modules/$kver
declare -A seen=()
order=()
add_module() { # deps first, as modprobe loads them
	local rel=$1 line i
	[ -n "${seen[$rel]:-}" ] && return
	seen[$rel]=1
	line=$(grep -m1 "^$rel:" "$moddir/modules.dep") || die "module $rel missing from $pkg"
	local deps
	read -ra deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_module "${deps[$i]}"; done
	order+=("$rel")
}
for m in virtio_pci 9pnet_virtio 9p overlay; do
	rel=$(grep -m1 -E "(^|/)$m\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | cut -d: -f1) ||
		die "module $m missing from $pkg"
	add_module "$rel"
done

key=$(cat "$here/guest-init.sh" "$0" | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$kver-$key.cpio.gz
if [ ! -s "$initrd" ]; then
	say "building $initrd"
	rm -f "$cache"/initramfs-*.cpio.gz # older versions of this script's
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/.bb/bin" "$stage/.vm/modules" "$stage/dev" "$stage/proc" "$stage/sys"
	cp "$bb" "$stage/.bb/busybox"
	for a in $("$bb" --list); do ln -s ../busybox "$stage/.bb/bin/$a"; done
	cp "$here/guest-init.sh" "$stage/init"
	chmod 755 "$stage/init"
	for rel in "${order[@]}"; do cp "$moddir/$rel" "$stage/.vm/modules/"; done
	(cd "$stage" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
	trap - EXIT
fi
flock -u 9

# --- this run's folder: the command, the config, the status ----------------
run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
cwd=$PWD
case "$cwd/" in "$repo"/*) ;; *) cwd=$repo ;; esac
{
	echo "# generated by run-v2.sh"
	echo "export POCKET_DOCKER_VM=1"
	for v in CI POCKET_DOCKER_ROOT TEST_VERBOSE; do
		if [ -n "${!v:-}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
	done
	printf '%q ' "$@"
	echo
} >"$run/cmd.sh"
usrlinks=""
for l in bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$l" ]; then usrlinks="$usrlinks $l=$(readlink "/$l")"; fi
done
mods=""
for rel in "${order[@]}"; do mods="$mods ${rel##*/}"; done
# The config is read by guest-init.sh from the initramfs copy in /.vm:
# append it to a per-run initramfs (the kernel merges concatenated cpio
# archives), so the cached one stays shared.
mkdir -p "$run/cfg/.vm"
{
	printf 'REPO=%q\n' "$repo"
	printf 'CWD=%q\n' "$cwd"
	printf 'MODULES=%q\n' "$mods"
	printf 'USRLINKS=%q\n' "$usrlinks"
	printf 'VERBOSE=%q\n' "$verbose"
} >"$run/cfg/.vm/config"
(cd "$run/cfg" && printf '.vm\n.vm/config\n' | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) \
	>"$run/cfg.cpio.gz"
cat "$initrd" "$run/cfg.cpio.gz" >"$run/initrd"

# --- boot ------------------------------------------------------------------
accel=tcg
cpu=max
# /dev/kvm may exist on a machine without vmx/svm (a paravirtual device that
# cannot run a stock kernel): KVM only where the CPU shows it.
if grep -qE '\b(vmx|svm)\b' /proc/cpuinfo && [ -w /dev/kvm ]; then
	accel=kvm
	cpu=host
fi
# qboot starts the kernel faster than SeaBIOS, and prints nothing.
bios=()
for d in /usr/share/qemu /usr/share/seabios; do
	if [ -r "$d/qboot.rom" ]; then
		bios=(-bios "$d/qboot.rom")
		break
	fi
done
shares=()
share() { # tag path ro|rw; a comma in a QEMU option value is written twice
	local ro=""
	[ "$3" = ro ] && ro=",readonly=on"
	shares+=(-fsdev "local,id=$1,path=${2//,/,,},security_model=none$ro"
		-device "virtio-9p-pci,fsdev=$1,mount_tag=$1")
}
share usr /usr ro
share etc /etc ro
share kmod "$kdir/lib/modules" ro
share repo "$repo" rw
share vmrun "$run" rw
args=(-accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp" -nographic -nodefaults -no-user-config
	-serial stdio -monitor none -nic none -no-reboot "${bios[@]}"
	-kernel "$vmlinuz" -initrd "$run/initrd"
	-append "console=ttyS0 quiet loglevel=1 panic=-1 cgroup_no_v1=all mitigations=off rdinit=/init"
	"${shares[@]}")
say "qemu-system-x86_64 ${args[*]}"

start=$(date +%s%N)
set +e
# The guest's console: without the carriage returns of the serial line, and
# without the kernel's last word ("reboot: Restarting system").
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${args[@]}" </dev/null 2>"$run/qemu.err" |
	tr -d '\r' | sed -u '/^\[ *[0-9.]*\] reboot: /d' | tee "$run/console"
qemu_rc=${PIPESTATUS[0]}
set -e
ms=$((($(date +%s%N) - start) / 1000000))
elapsed=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "run-v2.sh: the VM timed out after ${timeout_s}s" >&2
	exit 124
fi
# The status file is written by the guest's init after the command; the
# console marker is the fallback (the last one wins, so output of the
# command that happens to look like a marker cannot hide the real one).
rc=""
if [ -s "$run/status" ]; then
	rc=$(tr -dc '0-9' <"$run/status")
else
	rc=$(grep -ao 'VM-EXIT [0-9]*$' "$run/console" | tail -n 1 | cut -d' ' -f2 || true)
fi
if [ -z "$rc" ]; then
	echo "run-v2.sh: the VM ended without reporting an exit status (qemu exit $qemu_rc)" >&2
	sed 's/^/qemu: /' "$run/qemu.err" >&2
	exit 125
fi
boot=$(cut -d' ' -f2 "$run/boot" 2>/dev/null || echo "?")
echo "run-v2.sh: exit $rc after ${elapsed}s (guest ready at ${boot}s, accel $accel, $pkg)" >&2
exit "$rc"
