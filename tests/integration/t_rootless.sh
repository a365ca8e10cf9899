#!/bin/bash
# Rootless runs: pocket-docker started by an unprivileged user the tests
# create, with its state root in a directory it owns.  Its uid is mapped to
# root in a user namespace: a full range through newuidmap/newgidmap for a
# user with an /etc/subuid range (pdtest), only itself for a user without
# (pdtest-nosub).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USER_WITH_RANGE=pdtest
USER_NO_RANGE=pdtest-nosub

_setup_rootless() {
	# _setup_rootless USER yes|no: a user, a state root it owns, and copies
	# of the binary and the busybox fixtures where it can read them (the
	# repository may sit in a directory it cannot enter).
	local user=$1
	need_busybox
	rootless_prepare "$user" "$2"
	cp "$BUSYBOX_TAR" "$T_TMP/busybox.tar"
	ROOTLESS_TAR=$T_TMP/busybox.tar
	cp -a "$BUSYBOX_DIR" "$T_TMP/rootfs"
	ROOTLESS_DIR=$T_TMP/rootfs
	ROOTLESS_UID=$(id -u "$user")
}

test_rootless_is_root_inside_with_range() {
	_setup_rootless "$USER_WITH_RANGE" yes
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
	assert_ok
	assert_eq 0 "$(printf '%s\n' "$OUT" | sed -n 1p)" "id -u inside"
	assert_eq 0 "$(printf '%s\n' "$OUT" | sed -n 2p)" "id -g inside"
	assert_match "$OUT" "^[[:space:]]*0[[:space:]]+${ROOTLESS_UID}[[:space:]]+1\$" "uid 0 mapped to the user's own uid"
	assert_match "$OUT" '[[:space:]]65536$' "a full subordinate range mapped (newuidmap)"
}

test_rootless_from_user_owned_directory() {
	# A root filesystem directory the user owns (as one it unpacked itself).
	_setup_rootless "$USER_WITH_RANGE" yes
	local before after
	chown -R "$USER_WITH_RANGE:" "$ROOTLESS_DIR"
	before=$(manifest "$ROOTLESS_DIR")
	pd_as "$USER_WITH_RANGE" run --rm --hostname "rl-$T_TAG" --rootfs "$ROOTLESS_DIR" /bin/sh -c \
		'id -u; hostname; echo new > /etc/newfile; rm /bin/ls; echo done'
	assert_ok
	assert_out $'0\nrl-'"$T_TAG"$'\ndone' "rootless run from a directory the user owns"
	after=$(manifest "$ROOTLESS_DIR")
	[ "$before" = "$after" ] || fail "source directory changed: $(diff <(echo "$before") <(echo "$after") | head -n 10 | tr '\n' ';')"
}

test_rootless_from_root_owned_directory() {
	# A root filesystem directory owned by root that the user can read
	# (like build/fixtures/busybox-rootfs): root's files do not map inside,
	# so the overlay cannot copy them up and the tree is read-only, which
	# the user is told; the run still works, with its own /etc files, and
	# leaves the directory as is.
	_setup_rootless "$USER_WITH_RANGE" yes
	local before after
	before=$(manifest "$ROOTLESS_DIR")
	pd_as "$USER_WITH_RANGE" run --rm --hostname "rl-$T_TAG" --rootfs "$ROOTLESS_DIR" /bin/sh -c \
		'id -u; hostname; tail -n 1 /etc/hosts; if echo new > /tmp/newfile; then echo written; fi'
	assert_ok
	assert_out $'0\nrl-'"$T_TAG"$'\n127.0.1.1\trl-'"$T_TAG" "rootless run from a root-owned directory"
	assert_contains "$ERR" "warning: rootfs '$ROOTLESS_DIR' belongs to uid 0" "the user is told the tree is read-only"
	after=$(manifest "$ROOTLESS_DIR")
	[ "$before" = "$after" ] || fail "source directory changed: $(diff <(echo "$before") <(echo "$after") | head -n 10 | tr '\n' ';')"
}

test_rootless_tarball_cache_untouched() {
	_setup_rootless "$USER_WITH_RANGE" yes
	local entry before after
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/true
	assert_ok
	entry=$(cache_entries | grep -E '^[0-9a-f]{64}(-[a-z0-9]+)?$' | head -n 1)
	[ -n "$entry" ] || fail "no cache entry after a rootless run: $(cache_entries | tr '\n' ' ')"
	before=$(manifest "$T_ROOT/cache/rootfs/$entry")
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c 'echo x > /etc/newfile; rm /bin/ls; echo done'
	assert_ok
	after=$(manifest "$T_ROOT/cache/rootfs/$entry")
	[ "$before" = "$after" ] || fail "cache entry changed: $(diff <(echo "$before") <(echo "$after") | head -n 10 | tr '\n' ';')"
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c 'ls /etc/newfile 2>/dev/null; echo done'
	assert_out "done" "a later rootless container sees the original rootfs"
}

test_rootless_tarball_owners_with_range() {
	# With a subordinate range, owners from the tarball (uid 1000 for
	# /home/app) can be kept: they map into the range.
	_setup_rootless "$USER_WITH_RANGE" yes
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/stat -c '%u:%g' /home/app
	assert_ok
	assert_out 1000:1000 "owner of /home/app inside (uid 1000 from the subordinate range)"
}

test_rootless_capabilities() {
	_setup_rootless "$USER_WITH_RANGE" yes
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/grep -E '^(CapInh|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status
	assert_ok
	assert_match "$OUT" "^CapEff:[[:space:]]+$CAPS_DEFAULT\$" "CapEff (in the user namespace)"
	assert_match "$OUT" "^CapBnd:[[:space:]]+$CAPS_DEFAULT\$" "CapBnd"
	assert_match "$OUT" '^CapInh:[[:space:]]+0+$' "CapInh"
	assert_match "$OUT" '^CapAmb:[[:space:]]+0+$' "CapAmb"
	assert_match "$OUT" '^NoNewPrivs:[[:space:]]+1$' "NoNewPrivs"
}

test_rootless_user_flag() {
	_setup_rootless "$USER_WITH_RANGE" yes
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" -u app /bin/sh -c 'id -u; id -g'
	assert_ok
	assert_out $'1000\n1000' "-u app in a rootless container"
}

test_rootless_volume_rw() {
	_setup_rootless "$USER_WITH_RANGE" yes
	mkdir "$T_TMP/vol"
	echo "volume data" >"$T_TMP/vol/data.txt"
	chown -R "$USER_WITH_RANGE:" "$T_TMP/vol"
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" -v "$T_TMP/vol:/data" /bin/sh -c \
		'cat /data/data.txt; echo out > /data/out.txt'
	assert_ok
	assert_out "volume data" "reading a volume rootless"
	assert_file_content "$T_TMP/vol/out.txt" out "file written through a rootless volume"
	assert_eq "$ROOTLESS_UID" "$(stat -c %u "$T_TMP/vol/out.txt")" "host owner of a file root made in the container"
}

test_rootless_volume_ro() {
	_setup_rootless "$USER_WITH_RANGE" yes
	mkdir "$T_TMP/vol"
	echo "volume data" >"$T_TMP/vol/data.txt"
	chown -R "$USER_WITH_RANGE:" "$T_TMP/vol"
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" -v "$T_TMP/vol:/data:ro" /bin/sh -c \
		'cat /data/data.txt; touch /data/new 2>/dev/null && echo WROTE; echo done'
	assert_ok
	assert_out $'volume data\ndone' "a read-only volume rootless"
	assert_absent "$T_TMP/vol/new" "file created through a read-only rootless volume:"
}

test_rootless_cannot_read_root_only_host_files() {
	# Root in the container is the user outside: a volume of a directory
	# only the real root can read stays unreadable.
	_setup_rootless "$USER_WITH_RANGE" yes
	mkdir -m 0755 "$T_TMP/private"
	echo secret >"$T_TMP/private/secret"
	chmod 0600 "$T_TMP/private/secret"
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$ROOTLESS_TAR" -v "$T_TMP/private:/private:ro" /bin/sh -c \
		'cat /private/secret 2>/dev/null; echo done'
	assert_ok
	assert_out "done" "reading a root-only host file from a rootless container"
}

test_rootless_hostile_traversal() {
	_setup_rootless "$USER_WITH_RANGE" yes
	python3 "$MK_HOSTILE" "$T_TMP/hostile" "$T_TAG" "$BUSYBOX_DIR" >&2 || fail "mk-hostile.py failed"
	chmod -R a+rX "$T_TMP/hostile"
	local name
	for name in traversal absolute symlink; do
		[ "$name" = symlink ] && mkdir -p "/tmp/pd-symdir-$T_TAG" && chmod 1777 "/tmp/pd-symdir-$T_TAG"
		pd_as "$USER_WITH_RANGE" run --rm --rootfs "$T_TMP/hostile/$name.tar" /bin/echo ok
		if [ "$RC" = 125 ]; then
			assert_error_line "$name.tar refused"
		else
			assert_exit 0 "$name.tar: neither refused (125) nor neutralised (0)"
		fi
	done
	assert_absent "/tmp/pd-escape-$T_TAG"
	assert_absent "/tmp/pd-abs-$T_TAG"
	assert_absent "/tmp/pd-abs-dir-$T_TAG"
	assert_eq "" "$(ls -A "/tmp/pd-symdir-$T_TAG")" "host directory a symlink entry points to"
	[ -z "$(find "$T_ROOT" -maxdepth 3 -name "*$T_TAG*" 2>/dev/null)" ] ||
		fail "extraction wrote outside its target: $(find "$T_ROOT" -maxdepth 3 -name "*$T_TAG*")"
}

test_rootless_device_nodes() {
	# A tarball with device nodes: refused or the nodes skipped, rootless.
	_setup_rootless "$USER_WITH_RANGE" yes
	python3 "$MK_HOSTILE" "$T_TMP/hostile" "$T_TAG" "$BUSYBOX_DIR" >&2 || fail "mk-hostile.py failed"
	chmod -R a+rX "$T_TMP/hostile"
	pd_as "$USER_WITH_RANGE" run --rm --rootfs "$T_TMP/hostile/devnode.tar" /bin/sh -c \
		"ls -l /dev-evil/mem-$T_TAG /evilnull 2>/dev/null | grep '^c' ; echo done"
	if [ "$RC" = 125 ]; then
		assert_error_line "devnode.tar refused"
	else
		assert_ok "devnode.tar: neither refused (125) nor neutralised (0)"
		assert_out "done" "device nodes from the tarball inside a rootless container"
	fi
}

test_rootless_without_subuid_range() {
	_setup_rootless "$USER_NO_RANGE" no
	chown -R "$USER_NO_RANGE:" "$ROOTLESS_DIR"
	pd_as "$USER_NO_RANGE" run --rm --hostname "nr-$T_TAG" --rootfs "$ROOTLESS_DIR" /bin/sh -c \
		'id -u; hostname; cat /proc/self/uid_map'
	assert_ok
	assert_eq 0 "$(printf '%s\n' "$OUT" | sed -n 1p)" "id -u inside"
	assert_eq "nr-$T_TAG" "$(printf '%s\n' "$OUT" | sed -n 2p)" "hostname inside"
	assert_match "$OUT" "^[[:space:]]*0[[:space:]]+${ROOTLESS_UID}[[:space:]]+1\$" "uid 0 mapped to the user's own uid"
}

test_rootless_without_subuid_range_tarball() {
	# busybox.tar has /home/app owned by 1000, which this user cannot map:
	# extraction must still work (owners neutralised), or fail clearly.
	_setup_rootless "$USER_NO_RANGE" no
	pd_as "$USER_NO_RANGE" run --rm --rootfs "$ROOTLESS_TAR" /bin/sh -c 'id -u; echo ok > /tmp/x; cat /tmp/x'
	assert_ok
	assert_out $'0\nok' "rootless run of a tarball without a subordinate range"
}

run_tests "$@"
