#!/.bb/busybox sh
# shellcheck shell=dash
# /init of the pure cgroup v2 test VM (see run-v2.sh).  Runs as PID 1 in the
# guest, as root, with only the static busybox in /.bb until the host's /usr
# is mounted.
#
# Stage 1 (in the initramfs): copy ourselves onto a tmpfs and switch_root
# there, because pivot_root(2), which the runtime under test uses, fails
# with EINVAL when the current root is the initramfs (rootfs cannot be
# unmounted).  Stage 2 (on the tmpfs): mount the shares, make cgroup v2 the
# only hierarchy, run the command, print "VM-EXIT <code>", reboot (QEMU
# runs with -no-reboot, so a reboot ends it).
B=/.bb/busybox
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/.bb/bin
export PATH

say() { [ -n "$VERBOSE" ] && echo "vm-init: $*"; }
fail() {
	echo "vm-init: $*"
	echo "VM-EXIT 125"
	$B sync
	$B reboot -f
}

if [ "$1" != stage2 ]; then
	$B mount -t devtmpfs devtmpfs /dev 2>/dev/null
	exec </dev/console >/dev/console 2>&1
	$B mkdir -p /newroot
	$B mount -t tmpfs -o mode=0755 root /newroot || fail "cannot mount the tmpfs root"
	$B cp -a /.bb /.vm /init /newroot/ || fail "cannot copy the initramfs"
	$B mkdir -p /newroot/dev
	$B mount --move /dev /newroot/dev
	exec $B switch_root /newroot /init stage2
fi

$B mkdir -p /proc /sys /dev /tmp /run /usr /etc /root /mnt /var/tmp /.vm/usr /.vm/etc /.vm/upper
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B grep -q '^[^ ]* /dev ' /proc/mounts || $B mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
. /.vm/config
say "stage 2 at $($B cut -d' ' -f1 /proc/uptime) s"
# Kernel messages (an OOM killer report, say) would interleave with the
# test output on the one console: keep only emergencies.
echo 1 >/proc/sys/kernel/printk
$B mkdir -p /dev/pts /dev/shm /dev/mqueue
$B mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
$B mount -t tmpfs -o mode=1777 shm /dev/shm
$B mount -t tmpfs -o mode=1777 tmp /tmp
$B mount -t tmpfs -o mode=0755 run /run
$B ln -sf /proc/self/fd /dev/fd
$B ln -sf /proc/self/fd/0 /dev/stdin
$B ln -sf /proc/self/fd/1 /dev/stdout
$B ln -sf /proc/self/fd/2 /dev/stderr
[ -e /dev/ptmx ] || $B ln -sf pts/ptmx /dev/ptmx

# virtio-pci, 9p and overlay, from the kernel package (see run-v2.sh).
for m in $MODULES; do
	$B insmod "/.vm/modules/$m" 2>/dev/null || $B grep -q "^${m%.ko} " /proc/modules ||
		fail "cannot load module $m"
done

# 9p shares.  Read-only trees use cache=loose (the host does not change
# them during a run; it makes exec and library loading many times faster);
# the read-write ones use cache=mmap so writes reach the host at once and
# shared mmap (SQLite) works.
p9() { $B mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$3" "$1" "$2"; }
p9 usr /.vm/usr ro,cache=loose || fail "cannot mount the host's /usr"
p9 etc /.vm/etc ro,cache=loose || fail "cannot mount the host's /etc"
# /usr and /etc are overlays with a tmpfs upper layer: writable in the
# guest, never on the host; /usr/lib/modules gets the guest kernel's.
$B mkdir -p /.vm/upper/usr /.vm/upper/usr.work /.vm/upper/etc /.vm/upper/etc.work
$B mount -t overlay -o lowerdir=/.vm/usr,upperdir=/.vm/upper/usr,workdir=/.vm/upper/usr.work overlay /usr ||
	$B mount --bind /.vm/usr /usr || fail "cannot mount /usr"
$B mount -t overlay -o lowerdir=/.vm/etc,upperdir=/.vm/upper/etc,workdir=/.vm/upper/etc.work overlay /etc ||
	$B mount --bind /.vm/etc /etc || fail "cannot mount /etc"
# The merged-/usr links, as on the host.
for l in $USRLINKS; do
	$B ln -sfn "${l#*=}" "/${l%%=*}"
done
$B mkdir -p /usr/lib/modules
p9 kmod /usr/lib/modules ro,cache=loose || fail "cannot mount the guest kernel's modules"
# Modules the kernel asks for on its own (veth, nf_tables, ...) load
# through busybox's modprobe: the host may have no kmod.
echo /.bb/bin/modprobe >/proc/sys/kernel/modprobe
$B mkdir -p "$REPO"
p9 repo "$REPO" rw,cache=mmap || fail "cannot mount the repository '$REPO'"
$B mkdir -p /.vm/run
p9 vmrun /.vm/run rw,cache=mmap || fail "cannot mount the run folder"

$B mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2"
for c in memory pids cpu io cpuset; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || say "controller $c not enabled"
done
$B hostname pdvm
$B ip link set lo up 2>/dev/null
say "booted in $($B cut -d' ' -f1 /proc/uptime) s"
echo "VM-BOOTED $($B cut -d' ' -f1 /proc/uptime)" >/.vm/run/boot

cd "$CWD" || fail "cannot enter '$CWD'"
HOME=/root TERM=dumb /usr/bin/bash /.vm/run/cmd.sh
rc=$?
cd /
echo "$rc" >/.vm/run/status
echo "VM-EXIT $rc"
$B sync
$B umount /.vm/run "$REPO" 2>/dev/null
$B reboot -f
