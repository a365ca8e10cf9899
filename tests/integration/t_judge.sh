#!/bin/bash
# Judge mode: run --timeout, --cpu-time, --output-limit, --stdin and
# --report.  Each verdict comes from a program made to cause it (a sleep, a
# busy loop, an output flood, a memory hog, a fork bomb, a segfault, exit 3,
# a missing command), and the report's fields are checked against what the
# program did.  The rootless half runs as the suite's unprivileged user.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# report_field FILE KEY: the report's KEY (python's repr of null is None).
report_field() {
	python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
v = r[sys.argv[2]]
print("null" if v is None else v)' "$1" "$2"
}

# check_report FILE KEY VALUE
check_report() {
	local got
	got=$(report_field "$1" "$2") || fail "no report in $1: $(cat "$1" 2>&1)"
	assert_eq "$got" "$3" "report $2"
}

# in_range VALUE LO HI WHAT: LO <= VALUE <= HI (floats).
in_range() {
	python3 -c 'import sys; v, lo, hi = map(float, sys.argv[1:4]); sys.exit(0 if lo <= v <= hi else 1)' "$1" "$2" "$3" ||
		fail "$4: $1 not within [$2, $3]"
}

# A static program put into a copy of the busybox rootfs as /bin/NAME.
# spin MS: burns MS ms of its own CPU time, then exits 0.  segv: dereferences NULL.
judge_rootfs() {
	need_busybox
	need_cmd gcc
	J_ROOTFS=$T_TMP/rootfs
	copy_busybox_rootfs "$J_ROOTFS"
	cat >"$T_TMP/spin.c" <<'C'
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 500;
	struct timespec t;
	volatile unsigned long x = 0;
	do {
		/* Work in user space between the clock reads (a system call each). */
		for (int i = 0; i < 1000000; i++)
			x += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while (t.tv_sec * 1000L + t.tv_nsec / 1000000 < ms);
	return 0;
}
C
	cat >"$T_TMP/segv.c" <<'C'
int main(void)
{
	return *(volatile int *)0;
}
C
	gcc -static -O1 -o "$J_ROOTFS/bin/spin" "$T_TMP/spin.c" || fail "cannot build the spin program"
	gcc -static -O0 -o "$J_ROOTFS/bin/segv" "$T_TMP/segv.c" || fail "cannot build the segv program"
}

test_ok_report_fields() {
	judge_rootfs
	need_root
	pd run --rm --memory 64m --pids-limit 16 --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sh -c 'echo hello; echo oops >&2'
	assert_ok
	assert_out hello
	check_report "$T_TMP/r.json" verdict ok
	check_report "$T_TMP/r.json" exit_code 0
	check_report "$T_TMP/r.json" signal null
	check_report "$T_TMP/r.json" output_bytes 11
	check_report "$T_TMP/r.json" message ""
	[ "$(wc -l <"$T_TMP/r.json")" = 1 ] || fail "the report is not one line: $(cat "$T_TMP/r.json")"
	# Peaks from the container's own group: some memory, at most 64 MiB;
	# one or two processes.
	in_range "$(report_field "$T_TMP/r.json" memory_peak)" 4096 67108864 "memory_peak"
	in_range "$(report_field "$T_TMP/r.json" pids_peak)" 1 3 "pids_peak"
	in_range "$(report_field "$T_TMP/r.json" wall_time)" 0.000001 5 "wall_time"
}

# A program that burns 0.5 s of CPU reports about 0.5 s, split into user
# and system time.
test_cpu_time_measured() {
	judge_rootfs
	need_root
	pd run --rm --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/spin 500
	assert_ok
	check_report "$T_TMP/r.json" verdict ok
	local cpu user sys
	cpu=$(report_field "$T_TMP/r.json" cpu_time)
	user=$(report_field "$T_TMP/r.json" user_time)
	sys=$(report_field "$T_TMP/r.json" system_time)
	# The group's count may trail the process's own clock by a tick.
	in_range "$cpu" 0.45 0.7 "cpu_time of a 0.5 s spin"
	in_range "$user" 0.3 0.7 "user_time of a 0.5 s spin"
	in_range "$(python3 -c "print($user + $sys)")" 0.45 0.75 "user_time + system_time"
	in_range "$(report_field "$T_TMP/r.json" wall_time)" 0.45 30 "wall_time is at least the CPU time of one thread"
}

test_timeout() {
	judge_rootfs
	need_root
	pd run --rm --timeout 500ms --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sleep 30
	assert_exit 137 "a sleep past --timeout is killed"
	check_report "$T_TMP/r.json" verdict timeout
	check_report "$T_TMP/r.json" signal 9
	check_report "$T_TMP/r.json" exit_code 137
	check_report "$T_TMP/r.json" message "wall clock limit of 500 ms exceeded"
	in_range "$(report_field "$T_TMP/r.json" wall_time)" 0.5 10 "wall_time of a 500 ms timeout"
	in_range "$(report_field "$T_TMP/r.json" cpu_time)" 0 0.3 "a sleep uses little CPU"
	# Every process of the container dies, not only its first.
	pd run --rm --timeout 300ms --report "$T_TMP/r2.json" --rootfs "$J_ROOTFS" /bin/sh -c 'sleep 30 & sleep 31 & wait'
	assert_exit 137
	check_report "$T_TMP/r2.json" verdict timeout
	pgrep -f 'sleep 3[01]$' && fail "a process of the timed-out container survived"
	return 0
}

# The whole group's CPU time counts: two busy children are stopped at the
# budget of both together, which a per-process rlimit would not do.
test_cpu_time_limit_whole_container() {
	judge_rootfs
	need_root
	pd run --rm --cpu-time 600ms --timeout 20s --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" \
		/bin/sh -c '/bin/spin 5000 & /bin/spin 5000 & wait'
	assert_exit 137 "busy children past --cpu-time are killed"
	check_report "$T_TMP/r.json" verdict cpu-time
	check_report "$T_TMP/r.json" message "CPU time limit of 600 ms exceeded"
	in_range "$(report_field "$T_TMP/r.json" cpu_time)" 0.6 1.0 "cpu_time at the kill"
	# A run that ends under the budget is ok.
	pd run --rm --cpu-time 2s --report "$T_TMP/r2.json" --rootfs "$J_ROOTFS" /bin/spin 200
	assert_ok
	check_report "$T_TMP/r2.json" verdict ok
}

test_output_limit() {
	judge_rootfs
	need_root
	allow_containers_left
	pd run --name flood --output-limit 1000 --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sh -c 'yes; echo never >&2'
	assert_exit 137 "an output flood is killed"
	[ "${#OUT}" -le 1000 ] || fail "stdout holds ${#OUT} bytes, over the 1000-byte limit"
	[ "$(wc -c <"$OUT_FILE")" = 1000 ] || fail "stdout holds $(wc -c <"$OUT_FILE") bytes, not the 1000 allowed"
	check_report "$T_TMP/r.json" verdict output-limit
	in_range "$(report_field "$T_TMP/r.json" output_bytes)" 1001 1e12 "output_bytes counts past the limit"
	# The log keeps what the limit let through, no more.
	pd logs flood
	assert_ok
	[ "$(wc -c <"$OUT_FILE")" = 1000 ] || fail "the log holds $(wc -c <"$OUT_FILE") bytes of stdout, not 1000"
	pd rm flood
	assert_ok
	# stderr counts too.
	pd run --rm --output-limit 10 --report "$T_TMP/r2.json" --rootfs "$J_ROOTFS" /bin/sh -c 'echo 123456789012 >&2; sleep 30'
	assert_exit 137
	check_report "$T_TMP/r2.json" verdict output-limit
	assert_eq "$ERR" "1234567890" "stderr cut at the limit"
}

test_oom() {
	judge_rootfs
	need_root
	pd run --rm --memory 32m --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sh -c 'head -c 300m /dev/zero | tail >/dev/null'
	assert_exit 137
	check_report "$T_TMP/r.json" verdict oom
	in_range "$(report_field "$T_TMP/r.json" memory_peak)" 16777216 34603008 "memory_peak under --memory 32m"
}

# A fork bomb under --pids-limit 64 is held at the limit (the report's
# PIDs peak shows it) and stopped by the wall clock.
test_fork_bomb() {
	judge_rootfs
	need_root
	pd run --rm --pids-limit 64 --timeout 2s --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sh -c \
		'bomb() { bomb & bomb; }; (bomb 2>/dev/null) & sleep 30'
	assert_exit 137
	check_report "$T_TMP/r.json" verdict timeout
	in_range "$(report_field "$T_TMP/r.json" pids_peak)" 48 64 "pids_peak of a fork bomb under --pids-limit 64"
}

test_signaled_and_nonzero() {
	judge_rootfs
	need_root
	pd run --rm --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/segv
	assert_exit 139 "a segfault"
	check_report "$T_TMP/r.json" verdict signaled
	check_report "$T_TMP/r.json" signal 11
	check_report "$T_TMP/r.json" message "killed by signal 11 (SIGSEGV)"
	pd run --rm --report "$T_TMP/r2.json" --rootfs "$J_ROOTFS" /bin/sh -c 'exit 3'
	assert_exit 3
	check_report "$T_TMP/r2.json" verdict nonzero-exit
	check_report "$T_TMP/r2.json" exit_code 3
	check_report "$T_TMP/r2.json" signal null
}

# A run that never started still gets its report, to the file or as the
# last line of stdout.
test_runtime_error() {
	judge_rootfs
	need_root
	pd run --rm --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /no/such/command
	assert_exit 127
	check_report "$T_TMP/r.json" verdict runtime-error
	check_report "$T_TMP/r.json" exit_code 127
	check_report "$T_TMP/r.json" memory_peak null
	assert_contains "$(report_field "$T_TMP/r.json" message)" "/no/such/command" "the message says why"
	pd run --rm --report - --rootfs "$T_TMP/no-such-rootfs" /bin/true
	assert_exit 125
	echo "$OUT" | tail -n 1 >"$T_TMP/r2.json"
	check_report "$T_TMP/r2.json" verdict runtime-error
	check_report "$T_TMP/r2.json" exit_code 125
}

# --report -: the report is stdout's last line, on a line of its own even
# when the output did not end with a newline.
test_report_stdout_last_line() {
	judge_rootfs
	need_root
	pd run --rm --report - --rootfs "$J_ROOTFS" /bin/sh -c 'printf abc'
	assert_ok
	assert_eq "$(head -n 1 "$OUT_FILE")" "abc" "the output comes first, on its own line"
	[ "$(wc -l <"$OUT_FILE")" = 2 ] || fail "want 2 lines, got: $OUT"
	tail -n 1 "$OUT_FILE" >"$T_TMP/r.json"
	check_report "$T_TMP/r.json" verdict ok
	check_report "$T_TMP/r.json" output_bytes 3
}

# A detached run's report is written by its monitor when it ends.
test_detached_report() {
	judge_rootfs
	need_root
	allow_containers_left
	pd run -d --timeout 300ms --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sleep 30
	assert_ok
	local id=$OUT
	pd wait "$id"
	assert_out 137
	check_report "$T_TMP/r.json" verdict timeout
	check_report "$T_TMP/r.json" id "$id"
	pd rm "$id"
	assert_ok
}

# --stdin gives the command a copy of the file: readable, seekable, and
# not a way back to the file for the container's root, which holds
# CAP_DAC_OVERRIDE (reopening /proc/self/fd/0 for writing would otherwise
# reach the caller's file).
test_stdin_copy_is_sealed() {
	judge_rootfs
	need_root
	printf 'line one\nline two\n' >"$T_TMP/in.txt"
	chmod 0644 "$T_TMP/in.txt"
	local before
	before=$(sha256sum <"$T_TMP/in.txt")
	pd run --rm --stdin "$T_TMP/in.txt" --report "$T_TMP/r.json" --rootfs "$J_ROOTFS" /bin/sh -c '
		cat
		echo overwrite >/proc/self/fd/0 && echo WROTE-THROUGH-PROC
		echo append >>/proc/self/fd/0 && echo APPENDED
		echo x >&0 && echo WROTE-FD0
		true >/proc/self/fd/0 && echo TRUNCATED
		echo "size $(wc -c </proc/self/fd/0)"'
	assert_not_contains "$OUT" WROTE-THROUGH-PROC "reopening stdin for writing"
	assert_not_contains "$OUT" APPENDED "appending to stdin"
	assert_not_contains "$OUT" WROTE-FD0 "writing to fd 0"
	assert_not_contains "$OUT" TRUNCATED "truncating stdin"
	assert_contains "$OUT" "line one" "the command reads the file"
	assert_contains "$OUT" "size 18" "the copy is whole and unchanged"
	assert_eq "$(sha256sum <"$T_TMP/in.txt")" "$before" "the caller's file is unchanged"
	check_report "$T_TMP/r.json" verdict ok
	# A pipe is read to its end (process substitution).
	pd run --rm --stdin <(printf 'from a pipe\n') --rootfs "$J_ROOTFS" /bin/cat
	assert_ok
	assert_out "from a pipe"
}

test_bad_input() {
	judge_rootfs
	need_root
	local bad
	for bad in "--timeout 0" "--timeout soon" "--cpu-time -1s" "--output-limit 0" "--output-limit lots" \
		"--stdin $T_TMP" "--stdin /dev/zero" "--stdin $T_TMP/missing" "--report $T_TMP/no/dir/r.json" \
		"--stdin /etc/hostname -i" "--report - -d" "--timeout 1s --restart always"; do
		# shellcheck disable=SC2086
		pd run --rm $bad --rootfs "$J_ROOTFS" /bin/true
		assert_exit 125 "run $bad"
		assert_error_line ""
	done
	pd ps -a -q
	assert_out "" "no container was left by a refused run"
}

# Rootless: the wall clock, the output limit and --stdin are the monitor's
# and hold as they do for root.  The CPU-time limit needs the container's
# own group: on a v1 or hybrid host an unprivileged user gets none, and the
# run is refused saying so; on a delegated v2 host it is enforced.
test_rootless_limits() {
	judge_rootfs
	rootless_prepare pdtest yes
	chmod -R a+rX "$J_ROOTFS"
	printf 'secret input\n' >"$T_TMP/in.txt"
	chmod 0644 "$T_TMP/in.txt"
	pd_as pdtest run --rm --timeout 400ms --report - --rootfs "$J_ROOTFS" /bin/sleep 30
	assert_exit 137
	echo "$OUT" | tail -n 1 >"$T_TMP/r.json"
	check_report "$T_TMP/r.json" verdict timeout
	pd_as pdtest run --rm --output-limit 100 --report - --rootfs "$J_ROOTFS" /bin/sh -c 'yes'
	assert_exit 137
	echo "$OUT" | tail -n 1 >"$T_TMP/r2.json"
	check_report "$T_TMP/r2.json" verdict output-limit
	[ "$(head -c 100 "$OUT_FILE" | wc -c)" = 100 ] && [ "$(head -n -1 "$OUT_FILE" | wc -c)" -le 101 ] ||
		fail "rootless output past the limit: $(head -n -1 "$OUT_FILE" | wc -c) bytes"
	pd_as pdtest run --rm --stdin "$T_TMP/in.txt" --rootfs "$J_ROOTFS" /bin/cat
	assert_ok
	assert_out "secret input"
	# The report file is opened as the user: one it may write.
	pd_as pdtest run --rm --report "$T_TMP/r3.json" --rootfs "$J_ROOTFS" /bin/true
	assert_exit 125 "a report file the user cannot write"
	assert_contains "$ERR" "Permission denied" "the refusal says why"
	mkdir "$T_TMP/rl" && chown pdtest: "$T_TMP/rl"
	pd_as pdtest run --rm --report "$T_TMP/rl/r3.json" --rootfs "$J_ROOTFS" /bin/spin 200
	assert_ok
	check_report "$T_TMP/rl/r3.json" verdict ok
	in_range "$(report_field "$T_TMP/rl/r3.json" cpu_time)" 0.18 0.4 "rootless cpu_time of a 0.2 s spin"
	pd_as pdtest run --rm --cpu-time 300ms --rootfs "$J_ROOTFS" /bin/spin 2000
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		# Pure v2: enforced where the user's group is delegated.
		[ "$RC" = 137 ] || [ "$RC" = 125 ] || fail "rootless --cpu-time on v2: exit $RC"
	else
		assert_exit 125 "rootless --cpu-time without a cgroup"
		assert_contains "$ERR" "--cpu-time needs the container's cgroup CPU accounting" "the refusal says why"
	fi
}

run_tests "$@"
