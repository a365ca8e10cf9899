#!/bin/bash
# State-root integrity: no volume may expose the state root (or the
# container's root as '/'), the seccomp cache is never trusted on its own
# word, a state root under sudo is not a symlink nor someone else's, and a
# rootless container on cgroup v1 sees no host cgroups.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_setup_rootless() {
	# _setup_rootless USER: a user with a subordinate range, a state root
	# it owns, and copies of the binary and the busybox tarball it can read.
	need_busybox
	rootless_prepare "$1" yes
	cp "$BUSYBOX_TAR" "$T_TMP/busybox.tar"
	ROOTLESS_TAR=$T_TMP/busybox.tar
}

test_rootless_cgroup_view_shows_no_host_groups() {
	# On cgroup v1 a rootless container has no group of its own, so its
	# cgroup namespace is rooted at the caller's groups, here the roots
	# of the hierarchies.  A marker group the test makes at such a root
	# (as another user's container or a system service would be) must
	# not show inside.
	_setup_rootless pdtest
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] || skip "not a cgroup v1/hybrid host"
	local ctl="" line
	while IFS=: read -r _ ctls path; do
		case $ctls in "" | name=*) continue ;; esac
		if [ "$path" = / ] && [ -d "/sys/fs/cgroup/${ctls%%,*}" ]; then
			ctl=${ctls%%,*}
			break
		fi
	done </proc/self/cgroup
	[ -n "$ctl" ] || skip "the test runs in no v1 hierarchy's root group"
	MARKER=/sys/fs/cgroup/$ctl/pd-host-$T_TAG
	mkdir "$MARKER" || skip "cannot make a marker group in '$ctl'"
	trap 'rmdir "$MARKER" 2>/dev/null' EXIT
	pd_as pdtest run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c \
		'for d in /sys/fs/cgroup /sys/fs/cgroup/*/; do echo "== $d"; ls "$d"; done; true'
	assert_ok
	local name
	for name in "pd-host-$T_TAG" pocket-docker user.slice system.slice init.scope; do
		assert_not_contains "$OUT" "$name" "host cgroups seen by a rootless container"
	done
	# The view is read-only: nothing can be made in it.
	pd_as pdtest run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c 'mkdir /sys/fs/cgroup/x && echo MADE; true'
	assert_ok
	assert_not_contains "$OUT" MADE "a directory made in the rootless cgroup view"
}

# ---------------------------------------------------------------------------
# Volumes and the state root.

_pd_root() {
	# _pd_root ROOT ARGS...: pocket-docker with another state root.
	local root=$1
	shift
	_pd_exec /dev/null "$PD" --root "$root" "$@"
}

_assert_refused() {
	# _assert_refused WHAT NEEDLE: run exited 125 with one error line
	# containing NEEDLE.
	assert_exit 125 "$1"
	assert_error_line "$1"
	assert_contains "$ERR" "$2" "$1"
}

test_volume_containing_state_root_refused() {
	# -v /tmp/x:/h with --root /tmp/x/state: through the volume the
	# container could rewrite state.db and the seccomp cache.
	need_busybox
	mkdir -p "$T_TMP/x"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/x:/h" /bin/true
	_assert_refused "a volume containing a state root not made yet" "contains the state root"
	assert_absent "$T_TMP/x/state" "state root made by a refused run:"
	_pd_root "$T_TMP/x/state" ps -a
	assert_ok
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/x:/h:ro" /bin/true
	_assert_refused "a read-only volume containing the state root" "contains the state root"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/x/state:/h" /bin/true
	_assert_refused "the state root itself as a volume" "contains the state root"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v /:/host /bin/true
	_assert_refused "the host's / as a volume" "contains the state root"
	assert_eq "" "$(ls -A "$T_TMP/x/state/containers")" "containers left by refused runs"
	# A sibling of the state root is fine.
	mkdir -p "$T_TMP/x/data"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/x/data:/d" /bin/sh -c 'echo ok > /d/f'
	assert_ok
	assert_file_content "$T_TMP/x/data/f" ok "a volume beside the state root"
}

test_volume_inside_state_root_refused() {
	need_busybox
	_pd_root "$T_TMP/state" ps -a
	assert_ok
	local p
	for p in containers cache logs state.db; do
		[ -e "$T_TMP/state/$p" ] || continue
		_pd_root "$T_TMP/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/state/$p:/h" /bin/true
		_assert_refused "a volume inside the state root ($p)" "is inside the state root"
	done
	assert_eq "" "$(ls -A "$T_TMP/state/containers")" "containers left by refused runs"
}

test_volume_state_root_through_symlink_and_bind_alias_refused() {
	# Symlinks in the source are resolved, and a bind mount of the same
	# directory elsewhere (same device and inode, another name) counts.
	need_root
	need_busybox
	mkdir -p "$T_TMP/x" "$T_TMP/alias"
	_pd_root "$T_TMP/x/state" ps -a
	ln -s "$T_TMP/x" "$T_TMP/link"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/link:/h" /bin/true
	_assert_refused "a symlink to a directory holding the state root" "contains the state root"
	ln -s "$T_TMP/x/state/containers" "$T_TMP/link2"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/link2:/h" /bin/true
	_assert_refused "a symlink into the state root" "is inside the state root"
	mount --bind "$T_TMP/x" "$T_TMP/alias" || skip "cannot bind-mount in the test directory"
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/alias:/h" /bin/true
	local rc=$RC err=$ERR
	_pd_root "$T_TMP/x/state" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/alias/state/logs:/h" /bin/true
	local rc2=$RC err2=$ERR
	umount "$T_TMP/alias"
	RC=$rc ERR=$err
	_assert_refused "a bind-mount alias of a directory holding the state root" "contains the state root"
	RC=$rc2 ERR=$err2
	_assert_refused "a path inside the state root through a bind-mount alias" "is inside the state root"
}

test_volume_default_state_root_in_home_refused() {
	# The default state root, ~/.pocket-docker: -v $HOME:/h is refused and
	# nothing is created.
	need_busybox
	mkdir -p "$T_TMP/home"
	_pd_exec /dev/null env HOME="$T_TMP/home" "$PD" run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/home:/h" /bin/true
	_assert_refused "a volume of the home holding the default state root" "contains the state root"
	assert_absent "$T_TMP/home/.pocket-docker" "default state root made by a refused run:"
}

test_volume_destination_root_refused() {
	need_busybox
	mkdir -p "$T_TMP/d"
	local dest
	for dest in / // /. /./ ; do
		pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/d:$dest" /bin/true
		_assert_refused "volume destination '$dest'" "the destination cannot be '/'"
	done
	assert_eq "" "$(ls -A "$T_ROOT/containers")" "containers left by refused runs"
	# A directory whose name is dots is not the root.
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/d:/..." /bin/sh -c 'echo ok > /.../f'
	assert_ok
	assert_file_content "$T_TMP/d/f" ok "a volume at '/...'"
}

test_volume_source_swapped_for_symlink_at_restart() {
	# The source is checked as a real path when the container is made;
	# if a directory in it is later swapped for a symlink (to the state
	# root, say) the next start of the container must not follow it.
	need_busybox
	mkdir -p "$T_TMP/v/sub" "$T_TMP/state"
	pd run -d --name swap --restart on-failure:1 --rootfs "$BUSYBOX_DIR" -v "$T_TMP/v/sub:/h" \
		/bin/sh -c 'sleep 1; ls /h; exit 3'
	assert_ok
	mv "$T_TMP/v/sub" "$T_TMP/v/sub.old"
	ln -s "$T_ROOT" "$T_TMP/v/sub"
	pd wait swap
	pd logs swap
	local logs="$OUT$ERR"
	pd rm -f swap
	assert_not_contains "$logs" "state.db" "the restarted container saw the state root"
}

test_device_swapped_for_symlink_at_restart() {
	# --device is checked to be a device node when the container is made;
	# a path swapped since for a symlink to a file (the state database)
	# must not be bound into the container at its next start.
	need_root
	need_busybox
	mknod "$T_TMP/dev0" c 1 3 || skip "cannot mknod in the test directory"
	pd run -d --name devswap --restart on-failure:1 --rootfs "$BUSYBOX_DIR" --device "$T_TMP/dev0:/dev/x" \
		/bin/sh -c 'sleep 1; head -c 15 /dev/x; echo; exit 3'
	assert_ok
	rm "$T_TMP/dev0"
	ln -s "$T_ROOT/state.db" "$T_TMP/dev0"
	pd wait devswap
	pd logs devswap
	local logs="$OUT$ERR"
	pd rm -f devswap
	assert_not_contains "$logs" "SQLite" "the restarted container read the state database"
}

test_rootless_seccomp_cached_and_confining() {
	# Rootless, the cache is the user's own keyring: the second run is
	# served from it and is as confined as the first.
	_setup_rootless pdtest
	_probe_rootfs "$T_TMP/prootfs"
	chown -R pdtest: "$T_TMP/prootfs"
	local i
	for i in 1 2; do
		pd_as pdtest run --rm --rootfs "$T_TMP/prootfs" /bin/probe try keyctl add_key mount
		assert_ok
		assert_out $'keyctl=EPERM\nadd_key=EPERM\nmount=EPERM' "rootless run $i"
	done
	assert_eq "" "$(find "$T_ROOT" -name 'seccomp-*.bpf')" "compiled seccomp programs kept in the state root"
}

# ---------------------------------------------------------------------------
# The state root under sudo.

_sudo_setup() {
	need_root
	need_busybox
	ensure_test_user pdtest yes
	SUDO_HOME=$(getent passwd pdtest | cut -d: -f6)
	SUDO_UIDN=$(id -u pdtest)
	SUDO_GIDN=$(id -g pdtest)
	[ -d "$SUDO_HOME" ] || skip "pdtest has no home directory"
	if [ -e "$SUDO_HOME/.pocket-docker" ] || [ -L "$SUDO_HOME/.pocket-docker" ]; then
		skip "$SUDO_HOME/.pocket-docker already exists"
	fi
	trap 'rm -rf "$SUDO_HOME/.pocket-docker"' EXIT
}

_pd_sudo() {
	_pd_exec /dev/null env SUDO_USER=pdtest SUDO_UID="$SUDO_UIDN" SUDO_GID="$SUDO_GIDN" HOME=/root "$PD" "$@"
}

test_sudo_symlinked_state_root_refused() {
	# pdtest points ~/.pocket-docker at a directory of root's: root must
	# neither create nor chown anything there.
	_sudo_setup
	mkdir -m 0755 "$T_TMP/rootdir"
	echo secret >"$T_TMP/rootdir/keep"
	ln -s "$T_TMP/rootdir" "$SUDO_HOME/.pocket-docker"
	chown -h pdtest: "$SUDO_HOME/.pocket-docker"
	_pd_sudo run --rm --rootfs "$BUSYBOX_DIR" /bin/true
	_assert_refused "a symlinked state root under sudo" "is a symbolic link"
	_pd_sudo ps -a
	assert_exit 125 "ps with a symlinked state root under sudo"
	assert_error_line "ps with a symlinked state root under sudo"
	assert_eq "keep" "$(ls -A "$T_TMP/rootdir")" "entries root made through the symlink"
	assert_eq "" "$(find "$T_TMP/rootdir" -uid "$SUDO_UIDN")" "files handed to pdtest through the symlink"
	assert_eq "$T_TMP/rootdir" "$(readlink "$SUDO_HOME/.pocket-docker")" "the symlink"
}

test_sudo_foreign_state_root_refused() {
	# A real directory, but root's: handing its contents to pdtest would
	# give pdtest root's state.
	_sudo_setup
	mkdir -m 0700 "$SUDO_HOME/.pocket-docker"
	_pd_sudo run --rm --rootfs "$BUSYBOX_DIR" /bin/true
	_assert_refused "a state root of root's under sudo" "belongs to uid 0"
	assert_eq "" "$(ls -A "$SUDO_HOME/.pocket-docker")" "entries made in root's state root"
	# pdtest's own state root whose containers/ is a symlink to root's.
	chown pdtest: "$SUDO_HOME/.pocket-docker"
	mkdir -m 0755 "$T_TMP/rootdir"
	ln -s "$T_TMP/rootdir" "$SUDO_HOME/.pocket-docker/containers"
	_pd_sudo run --rm --rootfs "$BUSYBOX_DIR" /bin/true
	_assert_refused "a symlinked containers/ under sudo" "is a symbolic link"
	assert_eq "" "$(ls -A "$T_TMP/rootdir")" "entries root made through containers/"
}

test_sudo_own_state_root_accepted() {
	# Control: a state root pdtest owns (or none yet) works under sudo.
	_sudo_setup
	_pd_sudo run --rm --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	assert_eq "$SUDO_UIDN" "$(stat -c %u "$SUDO_HOME/.pocket-docker")" "owner of the new state root"
	_pd_sudo run --rm --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
}

# ---------------------------------------------------------------------------
# The seccomp cache.

PROBE=$FIXTURES/probe
BUILD_PROBE=$REPO/tests/fixtures/build-probe.sh

_probe_rootfs() {
	need_busybox
	if [ ! -x "$PROBE" ]; then
		bash "$BUILD_PROBE" "$FIXTURES" >&2 || skip "cannot build the probe (needs cc and static glibc)"
	fi
	copy_busybox_rootfs "$1"
	install -m 0755 "$PROBE" "$1/bin/probe" || fail "cannot copy the probe into $1"
}

_plant_allow_all() {
	# _plant_allow_all FILE: a seccomp cache file in the format earlier
	# versions trusted (magic, length, FNV-1a of the program) holding a
	# program that allows every call.
	python3 - "$1" <<'PY'
import struct, sys
prog = struct.pack('<HBBI', 0x06, 0, 0, 0x7fff0000)  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
h = 0xcbf29ce484222325
for b in prog:
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
with open(sys.argv[1], 'wb') as f:
    f.write(b'PDSECBPF' + struct.pack('<QQ', len(prog), h) + prog)
PY
}

test_seccomp_cache_not_trusted_from_state_root() {
	# Whoever writes a trusted cache decides every later container's
	# filter.  Programs are kept out of the state root, and a file
	# planted there (as a container with a volume on it could have,
	# before volumes were checked) weakens neither `run` nor `exec`.
	_probe_rootfs "$T_TMP/rootfs"
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/probe try keyctl
	assert_ok
	assert_out "keyctl=EPERM" "keyctl in a default container"
	local files f
	files=$(find "$T_ROOT" -name 'seccomp-*.bpf')
	for f in $files; do
		_plant_allow_all "$f"
	done
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/probe try keyctl unshare-user
	assert_ok
	assert_out $'keyctl=EPERM\nunshare-user=EPERM' "a run after the cache was tampered with"
	pd run -d --name sc --rootfs "$T_TMP/rootfs" /bin/sleep 30
	assert_ok
	pd exec sc /bin/probe try keyctl unshare-user
	local out=$OUT rc=$RC
	pd rm -f sc
	RC=$rc
	assert_ok
	assert_eq $'keyctl=EPERM\nunshare-user=EPERM' "$out" "an exec after the cache was tampered with"
	assert_eq "" "$files" "compiled seccomp programs kept in the state root"
}

run_tests "$@"
