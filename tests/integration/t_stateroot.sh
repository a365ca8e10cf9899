#!/bin/bash
# State-root integrity: no volume may expose the state root (or the
# container's root as '/'), the seccomp cache is never trusted on its own
# word, a state root under sudo is not a symlink nor someone else's, and a
# rootless container on cgroup v1 sees no host cgroups.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_setup_rootless() {
	# _setup_rootless USER: a user with a subordinate range, a state root
	# it owns, and copies of the binary and the busybox tarball it can read.
	local user=$1
	need_root
	need_busybox
	need_cmd setpriv unshare
	ensure_test_user "$user" yes
	if ! setpriv --reuid="$user" --regid="$user" --init-groups unshare --user --map-root-user true 2>"$T_TMP/userns.err"; then
		skip "user namespaces unavailable to $user: $(cat "$T_TMP/userns.err")"
	fi
	[ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ] || skip "newuidmap/newgidmap missing (package uidmap)"
	chmod 0755 "$T_TMP"
	mkdir -p "$T_TMP/bin"
	cp "$PD" "$T_TMP/bin/pocket-docker"
	PD=$T_TMP/bin/pocket-docker
	cp "$BUSYBOX_TAR" "$T_TMP/busybox.tar"
	ROOTLESS_TAR=$T_TMP/busybox.tar
	chown "$user:" "$T_ROOT"
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

run_tests "$@"
