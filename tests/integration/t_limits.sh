#!/bin/bash
# Resource limits and supervision on this host's cgroups (v1 controllers on
# the project's machines, or v2): OOM, pids, CPU quota, restart policies,
# health checks, stats, and no group left behind.  The same limits on a
# pure cgroup v2 host run in a QEMU guest (t_cgroup_v2.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# assert_err TEXT: the last command failed with one "pocket-docker: " line
# on stderr that contains TEXT.
assert_err() {
	assert_error_line "$1"
	assert_contains "$ERR" "$1" "error message"
}

no_groups_left() {
	local d
	for d in /sys/fs/cgroup/pocket-docker /sys/fs/cgroup/*/pocket-docker; do
		[ -d "$d/$1" ] && fail "cgroup $d/$1 left behind"
	done
	return 0
}

start_detached() {
	pd run -d --rootfs "$BUSYBOX_DIR" "$@"
	assert_ok
	CID=$OUT
}

test_memory_limit_oom_killed() {
	need_busybox
	need_root
	allow_containers_left
	pd run --name hog --memory 50m --rootfs "$BUSYBOX_DIR" /bin/sh -c 'head -c 200m /dev/zero | tail >/dev/null'
	assert_exit 137 "a 200 MiB allocation under --memory 50m"
	pd ps -a
	assert_contains "$OUT" "OOMKilled" "ps shows the OOM kill"
	pd inspect hog
	assert_contains "$OUT" '"OOMKilled": true' "inspect shows the OOM kill"
	assert_contains "$OUT" '"Memory": 52428800' "the limit is recorded"
	local id
	id=$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
	pd rm hog
	assert_ok
	no_groups_left "$id"
	# Within the limit nothing is killed, and the limit is visible inside.
	pd run --rm --memory 64m --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	assert_ok
	assert_out 67108864
}

test_pids_limit_holds_a_fork_bomb() {
	need_busybox
	need_root
	allow_containers_left
	start_detached --pids-limit 20 /bin/sh -c 'bomb() { bomb & bomb; }; (bomb 2>/dev/null) & exec sleep 100'
	sleep 2
	local cur max
	cur=$(cat "$(cg_file "$CID" pids pids.current)" 2>/dev/null)
	max=$(cat "$(cg_file "$CID" pids pids.max)" 2>/dev/null)
	pd rm -f "$CID"
	assert_eq 20 "$max" "pids.max"
	[ -n "$cur" ] && [ "$cur" -le 20 ] || fail "pids.current is '$cur' under --pids-limit 20"
	[ "$cur" -ge 10 ] || fail "the fork bomb did not run ($cur processes)"
	no_groups_left "$CID"
}

test_cpus_half_a_core() {
	need_busybox
	need_root
	allow_containers_left
	start_detached --cpus 0.5 /bin/sh -c 'while :; do :; done'
	local f u0 u1 t0 t1
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		f=$(cg_file "$CID" cpu cpu.stat)
		u0=$(awk '/^usage_usec/ {print $2 * 1000}' "$f"); t0=$(date +%s%N)
		sleep 2
		u1=$(awk '/^usage_usec/ {print $2 * 1000}' "$f"); t1=$(date +%s%N)
	else
		f=$(cg_file "$CID" cpuacct cpuacct.usage)
		u0=$(cat "$f"); t0=$(date +%s%N)
		sleep 2
		u1=$(cat "$f"); t1=$(date +%s%N)
	fi
	pd rm -f "$CID"
	local cores
	cores=$(python3 -c "print(round(($u1 - $u0) / ($t1 - $t0), 3))")
	python3 -c "import sys; sys.exit(0 if 0.3 <= $cores <= 0.7 else 1)" ||
		fail "a busy loop under --cpus 0.5 used $cores cores"
	no_groups_left "$CID"
}

test_restart_on_failure_with_maximum() {
	need_busybox
	allow_containers_left
	pd run -d --name flaky --restart on-failure:2 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo attempt; exit 3'
	assert_ok
	pd wait flaky
	assert_out 3
	pd inspect flaky
	assert_contains "$OUT" '"RestartCount": 2' "two restarts"
	assert_contains "$OUT" '"Name": "on-failure"' "policy recorded"
	pd logs flaky
	assert_eq 3 "$(echo "$OUT" | grep -c attempt)" "three runs"
	# A clean exit is not restarted by on-failure.
	pd run -d --name fine --restart on-failure --rootfs "$BUSYBOX_DIR" true
	pd wait fine
	assert_out 0
	pd inspect fine
	assert_contains "$OUT" '"RestartCount": 0'
	pd rm flaky fine
	assert_ok
}

test_restart_always_ends_with_stop() {
	need_busybox
	allow_containers_left
	start_detached --name again --restart always /bin/sh -c 'sleep 0.2; exit 0'
	sleep 1.5
	pd inspect again
	local n
	n=$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RestartCount"])')
	[ "$n" -ge 2 ] || fail "always restarted only $n times in 1.5 s"
	pd stop -t 1 again
	assert_ok
	sleep 1
	pd inspect again
	local m
	m=$(echo "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(s["RestartCount"], s["State"]["Status"])')
	assert_match "$m" ' exited$' "stopped for good"
	sleep 1
	pd inspect again
	assert_eq "$m" "$(echo "$OUT" | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(s["RestartCount"], s["State"]["Status"])')" "no restart after stop"
	pd rm again
	assert_ok
}

test_health_check_turns_unhealthy() {
	need_busybox
	allow_containers_left
	start_detached --name doc --health-cmd 'test -f /tmp/ok' --health-interval 300ms --health-retries 2 \
		/bin/sh -c 'touch /tmp/ok; sleep 1.2; rm /tmp/ok; sleep 100'
	sleep 0.8
	pd ps
	assert_contains "$OUT" "(healthy)" "healthy while the file exists"
	sleep 2
	pd ps
	assert_contains "$OUT" "(unhealthy)" "unhealthy after the file is gone"
	pd inspect doc
	echo "$OUT" | python3 -c '
import json, sys
h = json.load(sys.stdin)[0]["State"]["Health"]
assert h["Status"] == "unhealthy" and h["FailingStreak"] >= 2, h
assert h["Log"][-1]["ExitCode"] == 1, h["Log"][-1]
' || fail "State.Health is not as expected"
	pd rm -f doc
	assert_ok
}

test_health_restart_acts_on_unhealthy() {
	need_busybox
	allow_containers_left
	start_detached --name sick --restart always --health-restart --health-cmd false \
		--health-interval 200ms --health-retries 1 sleep 100
	sleep 2.5
	pd inspect sick
	local n
	n=$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RestartCount"])')
	[ "$n" -ge 1 ] || fail "an unhealthy container with --health-restart was not restarted"
	pd rm -f sick
	assert_ok
}

test_stats() {
	need_busybox
	need_root
	allow_containers_left
	start_detached --name busy --memory 100m --cpus 0.5 /bin/sh -c 'while :; do :; done'
	pd stats --no-stream
	assert_ok
	assert_contains "$OUT" "CPU %" "header"
	assert_match "$OUT" 'busy +[0-9.]+% +[0-9.]+[KMG]?i?B / 100.00MiB' "a row with the limit"
	pd rm -f busy
	assert_ok
}

test_bad_limits_are_refused() {
	need_busybox
	pd run --rm --memory lots --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_err "invalid size"
	pd run --rm --cpus -1 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	pd run --rm --memory 10m --memory-swap 5m --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	pd run --rm --restart sometimes --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_err "invalid restart policy"
	pd ps -a -q
	assert_eq "" "$OUT" "nothing recorded"
}

test_rootless_limit_says_why() {
	need_busybox
	need_root
	ensure_test_user pdtest yes
	[ -e /sys/fs/cgroup/cgroup.controllers ] && skip "cgroup v2 host: rootless limits depend on delegation"
	local st
	st=$(mktemp -d /tmp/pd-rl-XXXXXX)
	chown pdtest: "$st"
	T_ROOT=$st pd_as pdtest run --rm --memory 50m --rootfs "$BUSYBOX_TAR" true
	rm -rf "$st"
	assert_exit 125
	assert_err "rootless"
}

# exec joins the container's cgroup: what it starts counts against the
# container's limits (and is listed in its group), never the host's.
test_exec_counts_against_pids_limit() {
	need_busybox
	need_root
	allow_containers_left
	start_detached --pids-limit 6 sleep 1000
	local child="" i procs
	pd_bg exec "$CID" sleep 31
	for i in $(seq 1 100); do
		child=$(find_container_pid sleep 31) && break
		sleep 0.1
	done
	[ -n "$child" ] || fail "the exec'd sleep not found on the host"
	procs=$(cat "$(cg_file "$CID" pids cgroup.procs)" 2>/dev/null)
	assert_contains "$procs" "$child" "the container's pids group lists the exec'd process"
	kill -TERM "$BG_PID"
	wait_bg 10
	pd exec "$CID" /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
	assert_contains "$OUT$ERR" "can't fork" "forks beyond --pids-limit 6 from an exec"
	pd rm -f "$CID"
	assert_ok
	no_groups_left "$CID"
}

run_tests "$@"
