#!/bin/bash
# Security options: capabilities flags, --privileged, --read-only, --tmpfs,
# --device, --security-opt seccomp/no-new-privileges, and the nodev rule
# that keeps raw devices out of reach.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

caps_of() {
	# caps_of FIELD: the FIELD line of /proc/self/status seen in the last output.
	echo "$OUT" | awk -v f="$1:" '$1 == f {print $2}'
}

test_cap_drop_and_add() {
	need_busybox
	pd run --rm --cap-drop ALL --cap-add NET_ADMIN --rootfs "$BUSYBOX_DIR" grep -E '^Cap' /proc/self/status
	assert_ok
	assert_eq 0000000000001000 "$(caps_of CapEff)" "only NET_ADMIN"
	assert_eq 0000000000001000 "$(caps_of CapBnd)" "bounding set too"
	assert_eq 0000000000000000 "$(caps_of CapInh)" "nothing inheritable"
	assert_eq 0000000000000000 "$(caps_of CapAmb)" "nothing ambient"
	pd run --rm --cap-drop chown --rootfs "$BUSYBOX_DIR" /bin/sh -c 'chown 1 /tmp'
	assert_exit 1 "chown without CAP_CHOWN"
	pd run --rm --cap-drop ALL --rootfs "$BUSYBOX_DIR" /bin/sh -c 'touch /tmp/x; chown 1 /tmp/x'
	assert_exit 1 "chown with no capabilities"
	pd run --rm --cap-add NOT_A_CAP --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "unknown capability"
	pd run --rm -u 1000 --cap-add ALL --rootfs "$BUSYBOX_DIR" grep CapEff /proc/self/status
	assert_ok
	assert_eq 0000000000000000 "$(caps_of CapEff)" "a non-root user has no effective capabilities"
}

test_raw_devices_unreachable() {
	need_busybox
	need_root
	# CAP_MKNOD is in the default set, so mknod succeeds; every writable
	# filesystem is nodev, so the node cannot be opened.
	local dev
	dev=$(awk 'NR > 2 && $4 !~ /[0-9]$/ {print $1 ":" $2; exit}' /proc/partitions)
	[ -n "$dev" ] || dev=1:3
	mkdir -p "$T_TMP/vol"
	pd run --rm -v "$T_TMP/vol:/vol" --rootfs "$BUSYBOX_DIR" /bin/sh -c "
		for d in /tmp /dev /vol; do
			mknod \$d/disk b ${dev%%:*} ${dev##*:} || exit 10
			if head -c 1 \$d/disk >/dev/null 2>&1; then echo \"opened \$d/disk\"; exit 11; fi
		done; echo held"
	assert_ok
	assert_out held
	rm -f "$T_TMP/vol/disk"
}

test_privileged() {
	need_busybox
	pd run --rm --privileged --rootfs "$BUSYBOX_DIR" /bin/sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; test -c /dev/kmsg && echo host-devices'
	assert_ok
	assert_eq 0 "$(caps_of Seccomp)" "no seccomp filter"
	assert_contains "$OUT" host-devices "host devices"
	[ "$(caps_of CapEff)" = "$(awk '/^CapBnd/ {print $2}' /proc/self/status)" ] ||
		fail "privileged capabilities $(caps_of CapEff) are not the full bounding set"
}

test_read_only_and_tmpfs() {
	need_busybox
	pd run --rm --read-only --tmpfs /run:size=1m --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		touch /x 2>/dev/null && echo wrote-root
		touch /run/x && echo wrote-tmpfs
		echo y > /dev/null && echo dev-ok
		grep " /run " /proc/self/mounts'
	assert_ok
	assert_not_contains "$OUT" wrote-root "the root is read-only"
	assert_contains "$OUT" wrote-tmpfs "the tmpfs is writable"
	assert_contains "$OUT" "dev-ok" "/dev still works"
	assert_contains "$OUT" "size=1024k" "tmpfs size"
	assert_contains "$OUT" "noexec" "tmpfs is noexec by default"
	pd run --rm --tmpfs relative --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "relative tmpfs"
	pd run --rm --tmpfs /x:bogus=1 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
}

test_device() {
	need_busybox
	pd run --rm --device /dev/zero:/dev/myzero --rootfs "$BUSYBOX_DIR" /bin/sh -c 'head -c 3 /dev/myzero | od -An -tx1'
	assert_ok
	assert_out " 00 00 00"
	pd run --rm --device /etc/passwd --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "not a device"
}

test_seccomp_options() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" grep Seccomp: /proc/self/status
	assert_out "$(printf 'Seccomp:\t2')" "default profile loaded"
	pd run --rm --security-opt seccomp=unconfined --rootfs "$BUSYBOX_DIR" grep Seccomp: /proc/self/status
	assert_out "$(printf 'Seccomp:\t0')" "unconfined"
	cat >"$T_TMP/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
JSON
	pd run --rm --security-opt "seccomp=$T_TMP/profile.json" --rootfs "$BUSYBOX_DIR" mkdir /tmp/d
	assert_exit 1 "mkdir under a profile that refuses it"
	assert_contains "$ERR" "Operation not permitted" "EPERM"
	echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$T_TMP/bad.json"
	pd run --rm --security-opt "seccomp=$T_TMP/bad.json" --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "bad profile"
	pd run --rm --security-opt no-new-privileges=false --rootfs "$BUSYBOX_DIR" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	assert_ok
	assert_contains "$OUT" "$(printf 'NoNewPrivs:\t0')" "no_new_privs off"
	assert_contains "$OUT" "$(printf 'Seccomp:\t2')" "still filtered"
}

test_seccomp_profile_read_once() {
	# The profile is read when the container is created: a container that
	# can rewrite the file (here it sits in one of its volumes) changes
	# neither what its `exec`s nor its restarts are filtered by.
	need_busybox
	allow_containers_left
	mkdir -p "$T_TMP/prof"
	cat >"$T_TMP/prof/p.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
JSON
	pd run -d --name "sp-$T_TAG" --restart always -v "$T_TMP/prof:/prof" \
		--security-opt "seccomp=$T_TMP/prof/p.json" --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok
	trap 'pd rm -f "sp-$T_TAG" >/dev/null 2>&1' EXIT
	pd exec "sp-$T_TAG" mkdir /tmp/a
	assert_exit 1 "mkdir in an exec under the profile"
	pd exec "sp-$T_TAG" sh -c 'echo "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}" > /prof/p.json'
	assert_ok
	grep -q mkdir "$T_TMP/prof/p.json" && fail "the container did not manage to rewrite the profile"
	pd exec "sp-$T_TAG" mkdir /tmp/b
	assert_exit 1 "mkdir in an exec after the container rewrote its profile"
	# A restart (the container's PID 1 killed from inside) is filtered
	# by the same profile.
	pd exec "sp-$T_TAG" kill -9 1
	local i
	for i in $(seq 1 50); do
		pd inspect "sp-$T_TAG"
		case $OUT in *'"RestartCount": 1'* | *'"RestartCount":1'*) break ;; esac
		sleep 0.1
	done
	sleep 0.3
	pd exec "sp-$T_TAG" mkdir /tmp/c
	assert_exit 1 "mkdir after a restart"
	pd rm -f "sp-$T_TAG"
	trap - EXIT
	# And a profile that is not a regular file is refused at once.
	mkfifo "$T_TMP/fifo.json"
	pd run --rm --security-opt "seccomp=$T_TMP/fifo.json" --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "a FIFO as the profile"
	assert_error_line "not a regular file"
}

run_tests "$@"
