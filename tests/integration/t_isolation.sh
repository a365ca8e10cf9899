#!/bin/bash
# What a container sees of the host: namespaces, capabilities, no_new_privs,
# masked and read-only paths, /sys, /dev, /etc files, the network, mounts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_status_field() {
	# _status_field NAME: the value of NAME: in OUT (a /proc/self/status dump).
	printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {print $2}'
}

test_capabilities_root() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/cat /proc/self/status
	assert_ok
	assert_eq 0000000000000000 "$(_status_field CapInh)" "CapInh"
	assert_eq "$CAPS_DEFAULT" "$(_status_field CapPrm)" "CapPrm"
	assert_eq "$CAPS_DEFAULT" "$(_status_field CapEff)" "CapEff"
	assert_eq "$CAPS_DEFAULT" "$(_status_field CapBnd)" "CapBnd"
	assert_eq 0000000000000000 "$(_status_field CapAmb)" "CapAmb"
	assert_eq 1 "$(_status_field NoNewPrivs)" "NoNewPrivs"
}

test_capabilities_non_root_user() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 1000 /bin/cat /proc/self/status
	assert_ok
	assert_eq 0000000000000000 "$(_status_field CapInh)" "CapInh for -u 1000"
	assert_eq 0000000000000000 "$(_status_field CapPrm)" "CapPrm for -u 1000"
	assert_eq 0000000000000000 "$(_status_field CapEff)" "CapEff for -u 1000"
	assert_eq "$CAPS_DEFAULT" "$(_status_field CapBnd)" "CapBnd for -u 1000"
	assert_eq 0000000000000000 "$(_status_field CapAmb)" "CapAmb for -u 1000"
	assert_eq 1 "$(_status_field NoNewPrivs)" "NoNewPrivs for -u 1000"
}

test_dropped_capabilities_are_denied() {
	# CAP_SYS_ADMIN is not in the default set: mount and sethostname fail.
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'mount -t tmpfs none /mnt 2>/dev/null && echo MOUNTED; hostname changed 2>/dev/null && echo RENAMED; echo done'
	assert_ok
	assert_out "done" "mount and hostname without CAP_SYS_ADMIN"
}

test_namespaces_are_new() {
	need_busybox
	local ns host inside i=1
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'for ns in mnt uts ipc pid net cgroup; do readlink /proc/self/ns/$ns; done'
	assert_ok
	for ns in mnt uts ipc pid net cgroup; do
		host=$(readlink "/proc/self/ns/$ns")
		inside=$(printf '%s\n' "$OUT" | sed -n "${i}p")
		[ -n "$inside" ] || fail "no $ns namespace reported from inside"
		[ "$host" != "$inside" ] || fail "$ns namespace is the host's ($host)"
		i=$((i + 1))
	done
}

test_pid_namespace_shows_only_container() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'ls -d /proc/[0-9]* | wc -l'
	assert_ok
	[ "$OUT" -le 3 ] || fail "the container sees $OUT processes in /proc"
}

test_masked_paths() {
	need_busybox
	local paths=() p line
	for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug \
		/proc/latency_stats /proc/timer_stats /sys/firmware; do
		[ -e "$p" ] && paths+=("$p")
	done
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		for p in "$@"; do
			if [ -d "$p" ]; then
				echo "$p:$(ls -A "$p" 2>/dev/null | head -n 3 | tr "\n" ",")"
			else
				echo "$p:$(head -c 64 "$p" 2>/dev/null | od -An -c | head -n 1 | tr -d " ")"
			fi
		done' sh "${paths[@]}"
	assert_ok
	for p in "${paths[@]}"; do
		line=$(printf '%s\n' "$OUT" | grep "^$p:")
		assert_eq "$p:" "$line" "content of masked $p"
	done
}

test_readonly_proc_writes_fail() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		echo pd-test > /proc/sys/kernel/domainname 2>/dev/null && echo "WROTE domainname"
		echo h > /proc/sysrq-trigger 2>/dev/null && echo "WROTE sysrq-trigger"
		echo done'
	assert_ok
	assert_out "done" "writes to /proc/sys/kernel/domainname and /proc/sysrq-trigger"
}

test_readonly_proc_mounts() {
	# /proc/sys, /proc/sysrq-trigger, /proc/bus, /proc/fs, /proc/irq are
	# read-only mounts (the per-mount options in mountinfo start with "ro").
	need_busybox
	local p opts
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/cat /proc/self/mountinfo
	assert_ok
	for p in /proc/sys /proc/sysrq-trigger /proc/bus /proc/fs /proc/irq; do
		[ -e "$p" ] || continue
		opts=$(printf '%s\n' "$OUT" | awk -v m="$p" '$5 == m {o = $6} END {print o}')
		[ -n "$opts" ] || fail "$p is not a mount point inside"
		case ,$opts, in
		*,ro,*) ;;
		*) fail "$p is mounted '$opts', not read-only" ;;
		esac
	done
}

test_sys_readonly() {
	need_busybox
	local opts
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/cat /proc/self/mountinfo
	assert_ok
	opts=$(printf '%s\n' "$OUT" | awk '$5 == "/sys" {o = $6} END {print o}')
	[ -n "$opts" ] || fail "/sys is not mounted inside"
	case ,$opts, in
	*,ro,*) ;;
	*) fail "/sys is mounted '$opts', not read-only" ;;
	esac
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'touch /sys/pd-test 2>&1; echo rc=$?'
	assert_contains "$OUT" "rc=1" "touch in /sys"
}

test_dev_contents() {
	need_busybox
	local entry extra=""
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/ls -A /dev
	assert_ok
	for entry in null zero full random urandom tty pts shm fd stdin stdout stderr ptmx; do
		printf '%s\n' "$OUT" | grep -qx "$entry" || fail "/dev/$entry missing; /dev has: $(echo $OUT)"
	done
	for entry in $OUT; do
		case $entry in
		null | zero | full | random | urandom | tty | pts | shm | fd | stdin | stdout | stderr | ptmx | console | core | mqueue) ;;
		*) extra="$extra $entry" ;;
		esac
	done
	[ -z "$extra" ] || fail "unexpected entries in /dev:$extra"
}

test_dev_nodes_and_links() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done
		for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
		ls -l /dev/null'
	assert_ok
	assert_contains "$OUT" "null character special file 1:3" "/dev/null"
	assert_contains "$OUT" "zero character special file 1:5" "/dev/zero"
	assert_contains "$OUT" "full character special file 1:7" "/dev/full"
	assert_contains "$OUT" "random character special file 1:8" "/dev/random"
	assert_contains "$OUT" "urandom character special file 1:9" "/dev/urandom"
	assert_contains "$OUT" "tty character special file 5:0" "/dev/tty"
	assert_contains "$OUT" "fd -> /proc/self/fd" "/dev/fd"
	assert_contains "$OUT" "stdin -> /proc/self/fd/0" "/dev/stdin"
	assert_contains "$OUT" "stdout -> /proc/self/fd/1" "/dev/stdout"
	assert_contains "$OUT" "stderr -> /proc/self/fd/2" "/dev/stderr"
	assert_contains "$OUT" "ptmx -> pts/ptmx" "/dev/ptmx"
	assert_match "$(printf '%s\n' "$OUT" | tail -n 1)" '^c' "ls -l /dev/null is a character device"
}

test_dev_behaviour() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		echo x > /dev/null && echo null-ok
		echo "zero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")"
		echo x > /dev/full 2>/dev/null || echo full-enospc
		echo "urandom=$(head -c 16 /dev/urandom | wc -c)"
		echo hi > /dev/shm/pd-test && echo "shm=$(cat /dev/shm/pd-test)"'
	assert_ok
	assert_out $'null-ok\nzero=00000000\nfull-enospc\nurandom=16\nshm=hi' "/dev behaviour"
}

test_dev_mounts() {
	# /dev is a tmpfs, /dev/pts a new devpts instance (no host ptys), /dev/shm
	# a tmpfs.
	need_busybox
	local fstype
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'cat /proc/self/mountinfo; echo "pts: $(ls /dev/pts | tr "\n" " ")"'
	assert_ok
	for mp in /dev:tmpfs /dev/pts:devpts /dev/shm:tmpfs; do
		fstype=$(printf '%s\n' "$OUT" | awk -v m="${mp%%:*}" '$5 == m {for (i = 7; i <= NF; i++) if ($i == "-") {t = $(i + 1)}} END {print t}')
		assert_eq "${mp#*:}" "$fstype" "filesystem type of ${mp%%:*}"
	done
	assert_eq "pts: ptmx " "$(printf '%s\n' "$OUT" | grep '^pts:')" "/dev/pts holds only ptmx (a new instance)"
}

test_etc_files_provided() {
	need_busybox
	pd run --rm --hostname "etc-$T_TAG" --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		for f in /etc/hostname /etc/hosts /etc/resolv.conf; do [ -f $f ] && echo "$f present"; done
		cat /etc/hosts'
	assert_ok
	assert_contains "$OUT" "/etc/hostname present" "/etc/hostname"
	assert_contains "$OUT" "/etc/hosts present" "/etc/hosts"
	assert_contains "$OUT" "/etc/resolv.conf present" "/etc/resolv.conf"
	assert_match "$OUT" '^127\.0\.0\.1[[:space:]].*localhost' "/etc/hosts maps localhost"
	assert_absent "$BUSYBOX_DIR/etc/hostname" "/etc/hostname written into the source directory:"
	assert_absent "$BUSYBOX_DIR/etc/hosts" "/etc/hosts written into the source directory:"
}

test_etc_files_writes_stay_inside() {
	# Writing the provided /etc files must not reach the host's own.
	need_busybox
	local f
	for f in hosts resolv.conf hostname; do
		[ -e "/etc/$f" ] && cp -a "/etc/$f" "$T_TMP/host-$f.bak"
	done
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c "
		for f in /etc/hosts /etc/resolv.conf /etc/hostname; do echo '# pd-$T_TAG' >> \$f; done; echo done"
	for f in hosts resolv.conf hostname; do
		if [ -e "/etc/$f" ] && grep -q "pd-$T_TAG" "/etc/$f"; then
			cp -a "$T_TMP/host-$f.bak" "/etc/$f"
			fail "a write to /etc/$f in the container reached the host's /etc/$f (restored)"
		fi
	done
}

test_network_loopback_only() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		echo "ifaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
		echo "sysfs: $(ls /sys/class/net | tr "\n" " ")"
		echo "lo-up: $(( $(cat /sys/class/net/lo/flags) & 1 ))"
		ping -c 1 -W 2 127.0.0.1 >/dev/null 2>&1 && echo ping-ok'
	assert_ok
	assert_contains "$OUT" "ifaces: lo " "interfaces in /proc/net/dev"
	assert_contains "$OUT" "sysfs: lo " "interfaces in /sys/class/net"
	assert_contains "$OUT" "lo-up: 1" "loopback is up"
	assert_contains "$OUT" "ping-ok" "ping 127.0.0.1"
}

test_old_root_detached() {
	# Only the container's own mounts are visible: none of the host's.
	need_busybox
	local mp bad=""
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/cat /proc/self/mountinfo
	assert_ok
	for mp in $(printf '%s\n' "$OUT" | awk '{print $5}'); do
		case $mp in
		/ | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /etc/hostname | /etc/hosts | /etc/resolv.conf) ;;
		*) bad="$bad $mp" ;;
		esac
	done
	[ -z "$bad" ] || fail "host mounts visible in the container:$bad"
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'ls -d /work /root/.pyenv /usr/lib/x86_64-linux-gnu 2>/dev/null; echo done'
	assert_out "done" "host directories visible in the container"
}

test_mount_propagation_private() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/cat /proc/self/mountinfo
	assert_ok
	if printf '%s\n' "$OUT" | grep -q ' shared:'; then
		fail "shared mounts in the container: $(printf '%s\n' "$OUT" | grep ' shared:' | awk '{print $5}' | tr '\n' ' ')"
	fi
}

run_tests "$@"
