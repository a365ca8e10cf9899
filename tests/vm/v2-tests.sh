#!/bin/bash
# Tests that need a pure cgroup v2 host; run inside the VM by
#   tests/vm/run-v2.sh bash tests/vm/v2-tests.sh
# Prints "PASS name" / "FAIL name: why" lines and exits non-zero on any
# failure.  For now it checks the VM itself; pocket-docker's limit tests
# (--memory, --pids-limit, --cpus with ./pocket-docker run) go here, all in
# this one boot, since every boot costs seconds under TCG.
set -u
fails=0
pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1: $2"
	fails=$((fails + 1))
}

fstype=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
if [ "$fstype" = cgroup2fs ]; then
	pass cgroup2-mounted
else
	fail cgroup2-mounted "/sys/fs/cgroup is '$fstype'"
fi

v1=$(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts)
if [ -z "$v1" ]; then pass no-cgroup-v1-mounts; else fail no-cgroup-v1-mounts "v1 mounted at: $v1"; fi
if grep -qw cgroup_no_v1=all /proc/cmdline; then
	pass v1-disabled
else
	fail v1-disabled "cgroup_no_v1=all missing"
fi

ctls=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)
sub=$(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null)
for c in memory pids cpu; do
	if ! grep -qw "$c" <<<"$ctls"; then
		fail "controller-$c" "not in cgroup.controllers ($ctls)"
	elif ! grep -qw "$c" <<<"$sub"; then
		fail "controller-$c" "not enabled in the root's cgroup.subtree_control ($sub)"
	else
		pass "controller-$c"
	fi
done

# A child group gets the interface files of the enabled controllers.
g=/sys/fs/cgroup/vm-selftest.$$
if mkdir "$g" 2>/dev/null; then
	missing=""
	for f in memory.max memory.events pids.max cpu.max cgroup.kill; do
		[ -e "$g/$f" ] || missing="$missing $f"
	done
	rmdir "$g"
	if [ -z "$missing" ]; then pass child-group-files; else fail child-group-files "missing:$missing"; fi
else
	fail child-group-files "cannot create $g"
fi

# overlay is a module: loaded at boot, or on demand by the kernel.
if grep -qw overlay /proc/filesystems; then
	pass overlay-available
else
	fail overlay-available "not in /proc/filesystems"
fi

# Other modules load on demand (the kernel runs busybox's modprobe).
if command -v ip >/dev/null; then
	if ip link add pdvm0 type veth peer name pdvm1 2>/dev/null && ip link del pdvm0; then
		pass module-autoload-veth
	else
		fail module-autoload-veth "cannot create a veth pair"
	fi
fi

if [ -x ./pocket-docker ]; then
	if ./pocket-docker --version >/dev/null 2>&1 || ./pocket-docker version >/dev/null 2>&1; then
		pass host-built-binary-runs
	else
		fail host-built-binary-runs "./pocket-docker does not start"
	fi
fi

echo "v2-tests: $fails failure(s)"
[ "$fails" = 0 ]
