#!/bin/bash
# --rootfs TARBALL: formats, the content-addressed cache (reused, never
# written by a container), broken tarballs, and hostile tarballs that try to
# write outside the extraction directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_cache_hex_entries() {
	cache_entries | grep -E '^[0-9a-f]{64}$'
}

test_tar_and_tar_gz() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/echo ok
	assert_ok
	assert_out ok "--rootfs busybox.tar"
	pd run --rm --rootfs "$BUSYBOX_TGZ" /bin/echo ok
	assert_ok
	assert_out ok "--rootfs busybox.tar.gz"
	cp "$BUSYBOX_TGZ" "$T_TMP/busybox.tgz"
	pd run --rm --rootfs "$T_TMP/busybox.tgz" /bin/echo ok
	assert_ok
	assert_out ok "--rootfs busybox.tgz"
}

test_tar_xz() {
	need_busybox
	need_cmd xz
	xz -T1 -c "$BUSYBOX_TAR" >"$T_TMP/busybox.tar.xz"
	pd run --rm --rootfs "$T_TMP/busybox.tar.xz" /bin/echo ok
	assert_ok
	assert_out ok "--rootfs busybox.tar.xz"
}

test_tar_zst() {
	need_busybox
	need_cmd zstd
	zstd -q -c "$BUSYBOX_TAR" >"$T_TMP/busybox.tar.zst"
	pd run --rm --rootfs "$T_TMP/busybox.tar.zst" /bin/echo ok
	assert_ok
	assert_out ok "--rootfs busybox.tar.zst"
}

test_cache_reused() {
	need_busybox
	local entry inode
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/true
	assert_ok
	[ "$(_cache_hex_entries | wc -l)" -eq 1 ] || fail "after one run the cache holds: $(cache_entries | tr '\n' ' ')"
	entry=$(_cache_hex_entries)
	inode=$(stat -c %i "$T_ROOT/cache/rootfs/$entry")
	echo "cache entry $entry; sha256 of the tarball $(sha256sum <"$BUSYBOX_TAR" | cut -d' ' -f1)" >&2
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/true
	assert_ok
	[ "$(_cache_hex_entries | wc -l)" -eq 1 ] || fail "after a second run the cache holds: $(cache_entries | tr '\n' ' ')"
	assert_eq "$inode" "$(stat -c %i "$T_ROOT/cache/rootfs/$entry")" "inode of the cache entry (re-extracted?)"
	# The same bytes under another name are the same cache entry.
	cp "$BUSYBOX_TAR" "$T_TMP/renamed.tar"
	pd run --rm --rootfs "$T_TMP/renamed.tar" /bin/true
	assert_ok
	[ "$(_cache_hex_entries | wc -l)" -eq 1 ] || fail "the same tarball under another name added a cache entry: $(cache_entries | tr '\n' ' ')"
	# Different bytes are a different entry.
	pd run --rm --rootfs "$BUSYBOX_TGZ" /bin/true
	assert_ok
	[ "$(_cache_hex_entries | wc -l)" -le 2 ] || fail "cache after tar and tar.gz: $(cache_entries | tr '\n' ' ')"
}

test_writes_do_not_reach_cache() {
	need_busybox
	local entry before after
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/true
	assert_ok
	entry=$(_cache_hex_entries | head -n 1)
	[ -n "$entry" ] || fail "no cache entry after a run"
	before=$(manifest "$T_ROOT/cache/rootfs/$entry")
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/sh -c '
		echo new > /etc/newfile
		echo "x:x:5:5::/:/bin/sh" >> /etc/passwd
		rm /bin/ls
		chmod 700 /home/app
		echo ok'
	assert_ok
	assert_out ok
	after=$(manifest "$T_ROOT/cache/rootfs/$entry")
	if [ "$before" != "$after" ]; then
		fail "cache entry changed: $(diff <(echo "$before") <(echo "$after") | head -n 20 | tr '\n' ';')"
	fi
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/sh -c 'ls /etc/newfile 2>/dev/null; ls /bin/ls'
	assert_ok
	assert_out /bin/ls "a later container sees the original rootfs"
}

test_tarball_owners_and_modes() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_TAR" /bin/stat -c '%n %u:%g %a' /home/app /tmp /root /bin/busybox
	assert_ok
	assert_out $'/home/app 1000:1000 755\n/tmp 0:0 1777\n/root 0:0 700\n/bin/busybox 0:0 755' "owners and modes from the tarball"
}

test_corrupt_tarball() {
	need_busybox
	local size
	size=$(stat -c %s "$BUSYBOX_TGZ")
	head -c $((size / 2)) "$BUSYBOX_TGZ" >"$T_TMP/truncated.tar.gz"
	pd run --rm --rootfs "$T_TMP/truncated.tar.gz" /bin/echo ok
	assert_exit 125 "truncated tar.gz"
	assert_error_line "truncated tar.gz"
	[ -z "$(_cache_hex_entries)" ] || fail "a half-extracted tarball was left in the cache: $(cache_entries | tr '\n' ' ')"
	pd run --rm --rootfs "$T_TMP/truncated.tar.gz" /bin/echo ok
	assert_exit 125 "truncated tar.gz, second try"
}

test_not_a_tarball() {
	need_busybox
	head -c 4096 /dev/urandom >"$T_TMP/garbage.tar"
	pd run --rm --rootfs "$T_TMP/garbage.tar" /bin/echo ok
	assert_exit 125 "random bytes as a .tar"
	assert_error_line "random bytes as a .tar"
	: >"$T_TMP/empty.tar"
	pd run --rm --rootfs "$T_TMP/empty.tar" /bin/echo ok
	[ "$RC" != 0 ] || fail "an empty .tar ran a command"
}

# --- hostile tarballs ---------------------------------------------------------

_build_hostile() {
	python3 "$MK_HOSTILE" "$T_TMP/hostile" "$T_TAG" "$BUSYBOX_DIR" >&2 ||
		fail "mk-hostile.py failed"
}

_run_hostile() {
	# Run NAME.tar: it must either work (hostile entries neutralised) or be
	# refused with one clear error line (exit 125).
	pd run --rm --rootfs "$T_TMP/hostile/$1.tar" /bin/echo ok
	if [ "$RC" = 0 ]; then
		assert_out ok "$1.tar neutralised: the command's output"
	elif [ "$RC" = 125 ]; then
		assert_error_line "$1.tar refused"
	else
		fail "$1.tar: neither refused (125) nor neutralised (0): exit $RC"
	fi
}

_assert_nothing_outside() {
	# No path named with the tag anywhere but inside a cache entry, except
	# the ones the test made itself (given as arguments).
	local hits hit ok allowed
	hits=$(
		find "$T_ROOT" -name "*$T_TAG*" 2>/dev/null
		ls -d /tmp/*"$T_TAG"* /*"$T_TAG"* /etc/*"$T_TAG"* /root/*"$T_TAG"* /var/tmp/*"$T_TAG"* 2>/dev/null
	)
	for hit in $hits; do
		ok=""
		case $hit in
		"$T_ROOT"/cache/rootfs/[0-9a-f]*/* | "$T_ROOT"/containers/*) ok=1 ;;
		esac
		for allowed in "$@"; do
			[ "$hit" = "$allowed" ] && ok=1
			case $hit in "$allowed"/*) ok=1 ;; esac
		done
		[ -n "$ok" ] || fail "extraction wrote outside its target: $hit"
	done
}

test_hostile_traversal() {
	need_busybox
	_build_hostile
	_run_hostile traversal
	assert_absent "/tmp/pd-escape-$T_TAG"
	_assert_nothing_outside
}

test_hostile_absolute_paths() {
	need_busybox
	_build_hostile
	_run_hostile absolute
	assert_absent "/tmp/pd-abs-$T_TAG"
	assert_absent "/tmp/pd-abs-dir-$T_TAG"
	_assert_nothing_outside
}

test_hostile_symlink_then_write() {
	need_busybox
	_build_hostile
	mkdir "/tmp/pd-symdir-$T_TAG"
	echo original >"/tmp/pd-symfile-$T_TAG"
	_run_hostile symlink
	assert_eq "" "$(ls -A "/tmp/pd-symdir-$T_TAG")" "host directory the symlink points to"
	assert_file_content "/tmp/pd-symfile-$T_TAG" original "host file the symlink points to"
	_assert_nothing_outside "/tmp/pd-symdir-$T_TAG" "/tmp/pd-symfile-$T_TAG"
}

test_hostile_hardlink_out() {
	need_busybox
	local passwd_links
	_build_hostile
	echo original >"/tmp/pd-hardtarget-$T_TAG"
	passwd_links=$(stat -c %h /etc/passwd)
	_run_hostile hardlink
	assert_eq 1 "$(stat -c %h "/tmp/pd-hardtarget-$T_TAG")" "link count of the host file"
	assert_file_content "/tmp/pd-hardtarget-$T_TAG" original "host file a hardlink points to"
	assert_eq "$passwd_links" "$(stat -c %h /etc/passwd)" "link count of /etc/passwd"
	[ -z "$(find "$T_ROOT" -samefile /etc/passwd 2>/dev/null)" ] || fail "/etc/passwd hard-linked into the state root"
	_assert_nothing_outside "/tmp/pd-hardtarget-$T_TAG"
}

test_hostile_hardlink_with_data() {
	need_busybox
	_build_hostile
	echo original >"/tmp/pd-hardtarget-$T_TAG"
	_run_hostile hardlink-data
	assert_eq 1 "$(stat -c %h "/tmp/pd-hardtarget-$T_TAG")" "link count of the host file"
	assert_file_content "/tmp/pd-hardtarget-$T_TAG" original "host file a hardlink with data points to"
	_assert_nothing_outside "/tmp/pd-hardtarget-$T_TAG"
}

test_hostile_symlink_not_followed_inside_container() {
	# If the symlink entries were kept, they must resolve inside the
	# container (to the container's /tmp), never to the host's.
	need_busybox
	_build_hostile
	mkdir "/tmp/pd-symdir-$T_TAG"
	echo "host secret" >"/tmp/pd-symdir-$T_TAG/secret"
	pd run --rm --rootfs "$T_TMP/hostile/symlink.tar" /bin/sh -c 'cat /evil/secret /evilrel/secret 2>/dev/null; echo done'
	if [ "$RC" = 0 ]; then
		assert_out "done" "reading through the tarball's symlinks inside the container"
	else
		assert_exit 125 "symlink.tar"
	fi
}

run_tests "$@"
