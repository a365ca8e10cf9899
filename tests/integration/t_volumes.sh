#!/bin/bash
# Volumes (-v HOST:CONTAINER[:ro|rw]) and the overlay over a directory
# rootfs: writes reach a rw volume and nothing else; a destination that is a
# symlink out of the rootfs stays inside it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_make_volume_src() {
	mkdir -p "$T_TMP/vol"
	echo "volume data" >"$T_TMP/vol/data.txt"
}

test_volume_read_only() {
	need_busybox
	_make_volume_src
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/vol:/data:ro" /bin/sh -c '
		cat /data/data.txt
		if touch /data/new 2>/dev/null; then echo WROTE; else echo DENIED; fi
		if echo x >> /data/data.txt 2>/dev/null; then echo APPENDED; else echo DENIED; fi'
	assert_ok
	assert_out $'volume data\nDENIED\nDENIED' "reading and writing a :ro volume"
	assert_absent "$T_TMP/vol/new" "file created through a read-only volume:"
	assert_file_content "$T_TMP/vol/data.txt" "volume data" "host file behind a :ro volume"
}

test_volume_read_write() {
	need_busybox
	_make_volume_src
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/vol:/data" /bin/sh -c \
		'cat /data/data.txt; echo "from container" > /data/out.txt; mkdir /data/sub'
	assert_ok
	assert_out "volume data" "reading a rw volume"
	assert_file_content "$T_TMP/vol/out.txt" "from container" "file written through the default (rw) volume"
	[ -d "$T_TMP/vol/sub" ] || fail "directory made through the volume is missing on the host"
	pd run --rm --rootfs "$BUSYBOX_DIR" --volume "$T_TMP/vol:/data:rw" /bin/sh -c 'echo again > /data/out2.txt'
	assert_ok
	assert_file_content "$T_TMP/vol/out2.txt" "again" "file written through a :rw volume"
}

test_volume_single_file() {
	need_busybox
	echo "config line" >"$T_TMP/config.txt"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/config.txt:/etc/pd-config.txt:ro" /bin/cat /etc/pd-config.txt
	assert_ok
	assert_out "config line" "a file volume"
	assert_absent "$BUSYBOX_DIR/etc/pd-config.txt" "volume mount point created in the source directory:"
}

test_volume_destination_created() {
	need_busybox
	_make_volume_src
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/vol:/deep/er/dest-$T_TAG:ro" /bin/cat "/deep/er/dest-$T_TAG/data.txt"
	assert_ok
	assert_out "volume data" "volume at a destination missing from the rootfs"
	assert_absent "$BUSYBOX_DIR/deep" "volume destination created in the source directory:"
}

# As Docker's -v: a missing host path is made (a directory, as the caller)
# once every check has passed; --mount's missing bind source is an error,
# and a path that would be made inside the state root is refused with
# nothing made.
test_volume_missing_source() {
	need_busybox
	local src=$T_TMP/no-such-dir-$T_TAG/deep
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$src:/data" /bin/sh -c 'echo made >/data/f'
	assert_ok "-v with a missing source"
	[ -d "$src" ] || fail "-v did not make its missing source"
	assert_eq "root root 755" "$(stat -c '%U %G %a' "$src")" "the made source's owner and mode"
	assert_file_content "$src/f" made "written through the made source"
	pd run --rm --rootfs "$BUSYBOX_DIR" --mount "type=bind,source=$T_TMP/nope-$T_TAG,target=/d" /bin/true
	assert_exit 125 "--mount with a missing bind source"
	assert_error_line "--mount with a missing bind source"
	assert_absent "$T_TMP/nope-$T_TAG" "--mount's missing source was made:"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_ROOT/containers/x-$T_TAG:/d" /bin/true
	assert_exit 125 "-v making a path inside the state root"
	assert_error_line "-v making a path inside the state root"
	assert_absent "$T_ROOT/containers/x-$T_TAG" "a source inside the state root was made:"
	pd run --rm --rootfs "$BUSYBOX_DIR" -v "$T_TMP/bad-$T_TAG:/d" --memory nonsense /bin/true
	assert_exit 125 "a refused run"
	assert_absent "$T_TMP/bad-$T_TAG" "a refused run made its -v source:"
}

test_volume_bad_specs() {
	need_busybox
	_make_volume_src
	local spec
	for spec in "$T_TMP/vol:relative/dest" "$T_TMP/vol:/data/../../etc" "$T_TMP/vol:/data:rx" "vol"; do
		pd run --rm --rootfs "$BUSYBOX_DIR" -v "$spec" /bin/true
		assert_exit 125 "-v '$spec'"
		assert_error_line "-v '$spec'"
	done
}

_symlink_run_ok_or_refused() {
	# A volume over a symlink out of the rootfs: safe outcomes are a run
	# that mounted the volume inside the rootfs (exit 0) or a clear refusal
	# (125, one error line).  Whether it was created inside is checked by
	# test_volume_over_symlink_created_inside.
	if [ "$RC" = 125 ]; then
		assert_error_line "volume over a symlink refused"
		return 1
	fi
	assert_ok "volume over a symlink: neither refused (125) nor run (0)"
	return 0
}

test_volume_over_symlink_created_inside() {
	# rootfs/mnt/link -> /tmp/pd-hostlink-TAG/deep (absolute, missing on the
	# host).  Resolved inside the rootfs, the destination is created at
	# <rootfs>/tmp/pd-hostlink-TAG/deep in the container's own layer and the
	# volume mounted there (as Docker does); nothing is created on the host.
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	ln -s "/tmp/pd-hostlink-$T_TAG/deep" "$T_TMP/rootfs/mnt/link"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/link" /bin/sh -c \
		'cat /mnt/link/data.txt; echo written > /mnt/link/from-container'
	assert_absent "/tmp/pd-hostlink-$T_TAG" "the volume destination symlink was followed to the host:"
	assert_ok "volume whose destination is a symlink to a path missing in the rootfs"
	assert_out "volume data" "volume seen through /mnt/link inside the container"
	assert_file_content "$T_TMP/vol/from-container" written "write through the volume"
	[ -L "$T_TMP/rootfs/mnt/link" ] || fail "the rootfs's symlink /mnt/link was replaced in the source directory"
	assert_absent "$T_TMP/rootfs/tmp/pd-hostlink-$T_TAG" "volume destination created in the source directory:"
}

test_volume_over_symlink_absolute() {
	# The same, checking only safety: the host path is never created.
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	ln -s "/tmp/pd-hostlink-$T_TAG/deep" "$T_TMP/rootfs/mnt/link"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/link" /bin/sh -c \
		'cat /mnt/link/data.txt; echo written > /mnt/link/from-container'
	assert_absent "/tmp/pd-hostlink-$T_TAG" "the volume destination symlink was followed to the host:"
	[ -L "$T_TMP/rootfs/mnt/link" ] || fail "the rootfs's symlink /mnt/link was replaced in the source directory"
	_symlink_run_ok_or_refused || return 0
	assert_out "volume data" "volume seen through /mnt/link inside the container"
}

test_volume_over_symlink_existing_host_dir() {
	# rootfs/mnt/link -> /tmp/pd-hosttarget-TAG, which exists on the host
	# with a file of its own.  The container must never see the host
	# directory, and the host directory must not change.
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	mkdir "/tmp/pd-hosttarget-$T_TAG"
	echo "host secret" >"/tmp/pd-hosttarget-$T_TAG/host-file"
	ln -s "/tmp/pd-hosttarget-$T_TAG" "$T_TMP/rootfs/mnt/link"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/link" /bin/sh -c \
		'ls /mnt/link; cat /mnt/link/host-file 2>/dev/null; echo x > /mnt/link/written-inside'
	assert_eq "host-file" "$(ls -A "/tmp/pd-hosttarget-$T_TAG")" "host directory behind the symlink after the run"
	assert_not_contains "$OUT" "host secret" "the host directory seen in the container"
	_symlink_run_ok_or_refused || return 0
	assert_out "data.txt" "listing of /mnt/link inside"
}

test_volume_over_symlink_to_existing_dir_inside() {
	# A symlink to a directory that exists inside the rootfs is followed
	# inside it: rootfs/mnt/link -> /srv-TAG (absolute, in the rootfs).
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	mkdir "$T_TMP/rootfs/srv-$T_TAG"
	ln -s "/srv-$T_TAG" "$T_TMP/rootfs/mnt/link"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/link:ro" /bin/sh -c \
		"cat /mnt/link/data.txt; cat /srv-$T_TAG/data.txt"
	assert_ok "volume over a symlink to a directory inside the rootfs"
	assert_out $'volume data\nvolume data' "volume seen through the symlink and at its target"
	assert_absent "/srv-$T_TAG" "symlink followed on the host:"
}

test_volume_over_symlink_relative() {
	# rootfs/mnt/link -> ../../../(...)/tmp/pd-hostrel-TAG: ".." stops at the
	# rootfs's own root.
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	ln -s "../../../../../../../../../../tmp/pd-hostrel-$T_TAG" "$T_TMP/rootfs/mnt/link"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/link:ro" /bin/cat /mnt/link/data.txt
	assert_absent "/tmp/pd-hostrel-$T_TAG" "relative symlink destination followed out of the rootfs:"
	_symlink_run_ok_or_refused || return 0
	assert_out "volume data" "volume through a relative symlink"
}

test_volume_over_symlinked_parent() {
	# A symlinked parent directory: rootfs/mnt/pdir -> /tmp/pd-hostparent-TAG,
	# volume at /mnt/pdir/sub.
	need_busybox
	_make_volume_src
	copy_busybox_rootfs "$T_TMP/rootfs"
	ln -s "/tmp/pd-hostparent-$T_TAG" "$T_TMP/rootfs/mnt/pdir"
	pd run --rm --rootfs "$T_TMP/rootfs" -v "$T_TMP/vol:/mnt/pdir/sub:ro" /bin/cat /mnt/pdir/sub/data.txt
	assert_absent "/tmp/pd-hostparent-$T_TAG" "symlinked parent of a volume destination followed to the host:"
	_symlink_run_ok_or_refused || return 0
	assert_out "volume data" "volume under a symlinked parent"
}

test_writes_do_not_reach_source_dir() {
	need_busybox
	local before after
	copy_busybox_rootfs "$T_TMP/rootfs"
	before=$(manifest "$T_TMP/rootfs")
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		echo new > /etc/newfile
		echo "x:x:5:5::/:/bin/sh" >> /etc/passwd
		rm /bin/ls
		mkdir -p /var/newdir/sub
		chmod 700 /home/app
		ln -s /etc/passwd /tmp/link
		echo ok'
	assert_ok
	assert_out ok
	after=$(manifest "$T_TMP/rootfs")
	if [ "$before" != "$after" ]; then
		fail "source directory changed: $(diff <(echo "$before") <(echo "$after") | head -n 20 | tr '\n' ';')"
	fi
}

test_containers_do_not_share_writes() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c "echo one > /etc/marker-$T_TAG"
	assert_ok
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c "cat /etc/marker-$T_TAG 2>/dev/null || echo absent"
	assert_ok
	assert_out absent "a file written by an earlier container"
	assert_absent "$BUSYBOX_DIR/etc/marker-$T_TAG" "write reached the source directory:"
}

run_tests "$@"
