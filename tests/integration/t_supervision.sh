#!/bin/bash
# Supervision that never stalls: a chatty detached container, slow and
# closed clients, rm -f of a chatty container, log rotation (--log-opt).
#
# PD_SUPERVISION_BYTES sets the payload of test_detached_flood (default 1G,
# the issue's figure: about 20 s here; give 256M on a slow machine).
# A 1 GB flood plus reading it back takes longer than the default 90 s on a
# loaded 2-core machine: allow more per test unless told otherwise.
export PD_TEST_TIMEOUT=${PD_TEST_TIMEOUT:-240}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLOOD_BYTES=${PD_SUPERVISION_BYTES:-1G}

assert_err() {
	assert_error_line "$1"
	assert_contains "$ERR" "$1" "error message"
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(round($2 - $1, 2))"; }

# json_get JSON PYTHON_EXPR: evaluate EXPR with `d` bound to the JSON.
json_get() {
	printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

# monitor_of CONTAINER: the pid of the container's monitor (its init's parent).
monitor_of() {
	pd inspect "$1"
	assert_ok
	local pid
	pid=$(json_get "$OUT" 'd[0]["State"]["Pid"]')
	[ -n "$pid" ] && [ "$pid" != 0 ] || fail "no pid for $1"
	local mon
	mon=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)
	[ -n "$mon" ] || fail "$1 ended before its monitor was found"
	echo "$mon"
}

# state_of CONTAINER: "STATUS EXITCODE" from inspect ("running 0", "exited 137").
state_of() {
	local j
	j=$("$PD" --root "$T_ROOT" inspect "$1" 2>/dev/null) || return 1
	json_get "$j" 'd[0]["State"]["Status"], d[0]["State"]["ExitCode"]' | tr -d "(),'"
}

# is_gone PID: the process has ended (gone, or a zombie not yet reaped).
is_gone() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}

wait_gone() {
	# wait_gone PID WHAT: PID ends within 5 s, or the test fails naming
	# WHAT and where PID is blocked.
	local i=0
	while ! is_gone "$1"; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || fail "the monitor (pid $1) is still alive $2: $(cat "/proc/$1/wchan")"
		sleep 0.1
	done
}

rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# log_files ID: the container's log and its rotated files.
log_files() {
	ls "$T_ROOT/logs/" 2>/dev/null | grep "^$1\.log"
}

log_bytes() {
	local total=0 f s
	for f in $(log_files "$1"); do
		s=$(stat -c %s "$T_ROOT/logs/$f" 2>/dev/null || echo 0)
		total=$((total + s))
	done
	echo "$total"
}

# A detached container writing FLOOD_BYTES at full speed finishes, every
# byte is in the log, and the monitor's memory stays flat.  The old monitor
# kept its copy of the CLI's end of the attach socket and blocked for good
# writing to it after ~200 kB.
test_detached_flood() {
	need_busybox
	allow_containers_left
	local bytes want_md5
	bytes=$(numfmt --from=iec "$FLOOD_BYTES")
	want_md5=$(head -c "$bytes" /dev/zero | tr '\0' a | md5sum | cut -d' ' -f1)
	local t0 t1
	t0=$(now)
	pd run -d --rootfs "$BUSYBOX_DIR" sh -c "sleep 1; head -c $bytes /dev/zero | tr '\\0' a"
	assert_ok
	local cid=$OUT mon
	mon=$(monitor_of "$cid")
	local rss0 rss max=0 i=0
	rss0=$(rss_kb "$mon")
	while ! is_gone "$mon"; do
		rss=$(rss_kb "$mon")
		[ -n "$rss" ] && [ "$rss" -gt "$max" ] && max=$rss
		i=$((i + 1))
		[ "$i" -lt 1800 ] || fail "the container has not finished ${FLOOD_BYTES}B of output in 180 s (log: $(log_bytes "$cid") bytes)"
		sleep 0.1
	done
	t1=$(now)
	echo "flood: ${FLOOD_BYTES}B in $(elapsed "$t0" "$t1") s; monitor RSS at start ${rss0} kB, max ${max} kB" >&2
	[ $((max - rss0)) -le 4096 ] || fail "monitor RSS grew from ${rss0} kB to ${max} kB"
	assert_eq "exited 0" "$(state_of "$cid")" "the flood ended normally"
	# Every byte, in order, through `logs` ...
	local got
	got=$(timeout 120 "$PD" --root "$T_ROOT" logs "$cid" | md5sum | cut -d' ' -f1)
	assert_eq "$want_md5" "$got" "md5 of the payload from 'logs'"
	# ... and in the file itself: CRI records, all partial (no newline in
	# the payload), whose payloads add up to the bytes written.
	local log=$T_ROOT/logs/$cid.log
	local bad
	bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout P ' "$log")
	assert_eq 0 "$bad" "records not in the 'TIMESTAMP stdout P payload' form"
	got=$(cut -d' ' -f4- "$log" | tr -d '\n' | wc -c)
	assert_eq "$bytes" "$got" "payload bytes in the log file"
}

# rm -f of a running chatty container ends its monitor, at once.
test_rm_force_chatty_ends_monitor() {
	need_busybox
	pd run -d --rootfs "$BUSYBOX_DIR" yes
	assert_ok
	local cid=$OUT mon i=0
	mon=$(monitor_of "$cid")
	while [ "$(log_bytes "$cid")" -lt 2000000 ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "the log stopped growing at $(log_bytes "$cid") bytes"
		sleep 0.05
	done
	local t0 t1
	t0=$(now)
	pd rm -f "$cid"
	assert_ok
	t1=$(now)
	python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" || fail "rm -f took $(elapsed "$t0" "$t1") s"
	wait_gone "$mon" "after rm -f"
	assert_eq "" "$(log_files "$cid")" "log files left after rm -f"
	assert_absent "$T_ROOT/containers/$cid"
}

# A foreground run whose stdout is a pipe nobody reads: the container is
# paced by it (like any writer to a pipe), but the monitor keeps answering:
# another client can attach, `stop` ends the container promptly and the
# monitor with it.  The old monitor sat in a blocking send to the run.
test_foreground_stuck_pipe() {
	need_busybox
	allow_containers_left
	mkfifo "$T_TMP/never-read"
	# The fifo is opened read-write by the holder so the run's write
	# end can open it; nobody ever reads it.
	sleep 120 <>"$T_TMP/never-read" &
	local holder=$!
	"$PD" --root "$T_ROOT" run --name stuck --rootfs "$BUSYBOX_DIR" yes >"$T_TMP/never-read" 2>"$T_TMP/run.err" &
	local cli=$!
	local i=0
	until [ "$(state_of stuck)" = "running 0" ]; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || fail "the container did not start"
		sleep 0.05
	done
	sleep 1
	local mon
	mon=$(monitor_of stuck)
	# The monitor answers an attach while the owner is stuck.
	timeout 5 "$PD" --root "$T_ROOT" attach --no-stdin stuck >"$T_TMP/attach.out" 2>&1 &
	local att=$!
	sleep 1
	local t0 t1
	t0=$(now)
	pd stop -t 1 stuck
	assert_ok
	t1=$(now)
	python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" ||
		fail "stop of a container whose run is stuck took $(elapsed "$t0" "$t1") s"
	wait_gone "$mon" "after stop"
	assert_eq "exited 137" "$(state_of stuck)" "stopped (killed after the timeout)"
	wait "$att"
	local arc=$?
	[ "$arc" -ne 124 ] || fail "attach hung while the run was stuck"
	# Let the run go: it ends as soon as its pipe does.
	kill "$holder"
	wait "$holder" 2>/dev/null
	i=0
	while kill -0 "$cli" 2>/dev/null && [ "$i" -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -0 "$cli" 2>/dev/null && fail "the run did not end once its stdout was closed"
	wait "$cli" 2>/dev/null
	true
}

# A slow reader gets every byte; a closed one does not stop the container.
test_foreground_slow_and_closed_pipe() {
	need_busybox
	allow_containers_left
	local n=20000000
	"$PD" --root "$T_ROOT" run --name slow --rootfs "$BUSYBOX_DIR" \
		sh -c "head -c $n /dev/zero | tr '\\0' a; echo; echo end" | (sleep 3; wc -c) >"$T_TMP/slow.count" &
	local job=$!
	sleep 1.5
	assert_eq "running 0" "$(state_of slow)" "the paced container is running"
	wait "$job"
	assert_eq $((n + 5)) "$(cat "$T_TMP/slow.count")" "bytes through a slow pipe"
	local got
	got=$("$PD" --root "$T_ROOT" logs slow | wc -c)
	assert_eq $((n + 5)) "$got" "bytes in the log"

	"$PD" --root "$T_ROOT" run --name closed --rootfs "$BUSYBOX_DIR" \
		sh -c "yes | head -c $n; echo; echo end" | head -c 2 >/dev/null
	pd wait closed
	assert_ok
	assert_eq 0 "$OUT" "the container went on after its run's stdout closed"
	got=$("$PD" --root "$T_ROOT" logs closed | tail -n 1)
	assert_eq end "$got" "the end of the output is logged"
}

# --log-opt max-size=1m,max-file=2: never more than 2 MiB of log, `logs`
# shows the newest lines in order (across the rotated file too), rm
# removes every file.
test_log_rotation() {
	need_busybox
	local last=400000
	pd run -d --log-opt max-size=1m,max-file=2 --rootfs "$BUSYBOX_DIR" sh -c "sleep 1; seq 1 $last"
	assert_ok
	local cid=$OUT mon max=0 b i=0
	mon=$(monitor_of "$cid")
	while ! is_gone "$mon"; do
		b=$(log_bytes "$cid")
		[ "$b" -gt "$max" ] && max=$b
		i=$((i + 1))
		[ "$i" -lt 600 ] || fail "seq did not finish in 60 s"
		sleep 0.1
	done
	b=$(log_bytes "$cid")
	[ "$b" -gt "$max" ] && max=$b
	echo "log disk use: max $max bytes; files: $(log_files "$cid" | tr '\n' ' ')" >&2
	[ "$max" -le 2097152 ] || fail "the logs took $max bytes (max-size=1m, max-file=2)"
	assert_eq "$cid.log $cid.log.1" "$(log_files "$cid" | tr '\n' ' ' | sed 's/ $//')" "log files kept"
	pd logs "$cid"
	assert_ok
	local first count
	first=$(head -n 1 "$OUT_FILE")
	count=$(wc -l <"$OUT_FILE")
	assert_eq "$last" "$(tail -n 1 "$OUT_FILE")" "the newest line"
	[ "$first" -gt 1 ] || fail "nothing was rotated away (first line $first)"
	assert_eq $((last - first + 1)) "$count" "lines from $first to $last, none missing or repeated"
	seq "$first" "$last" | cmp -s - "$OUT_FILE" || fail "logs is not the sequence $first..$last"
	# --tail across the two files: it counts records (a line read in two
	# pieces is two), so ask for 10 more than the current file holds.
	cp "$OUT_FILE" "$T_TMP/full"
	local records lines
	records=$(wc -l <"$T_ROOT/logs/$cid.log")
	lines=$(grep -c ' stdout F ' "$T_ROOT/logs/$cid.log")
	pd logs --tail $((records + 10)) "$cid"
	assert_ok
	[ "$(wc -l <"$OUT_FILE")" -gt "$lines" ] || fail "--tail $((records + 10)) did not reach into the rotated file"
	tail -c "$(stat -c %s "$OUT_FILE")" "$T_TMP/full" | cmp -s - "$OUT_FILE" || fail "--tail is not the end of the log"
	pd inspect "$cid"
	assert_ok
	assert_eq "k8s-file" "$(json_get "$OUT" 'd[0]["HostConfig"]["LogConfig"]["Type"]')" "LogConfig.Type"
	assert_eq "1m 2" "$(json_get "$OUT" 'd[0]["HostConfig"]["LogConfig"]["Config"]["max-size"] + " " + d[0]["HostConfig"]["LogConfig"]["Config"]["max-file"]')" "LogConfig.Config"
	pd rm "$cid"
	assert_ok
	assert_eq "" "$(log_files "$cid")" "log files left after rm"
}

# Docker's repeated form; max-file=1 starts the log over (it never holds
# more than max-size); the options survive a restart (--restart).
test_log_opt_repeated_and_single_file() {
	need_busybox
	pd run -d --log-opt max-size=256k --log-opt max-file=3 --rootfs "$BUSYBOX_DIR" seq 1 200000
	assert_ok
	local a=$OUT
	pd wait "$a"
	assert_ok
	[ "$(log_files "$a" | wc -l)" -eq 3 ] || fail "expected 3 log files, got: $(log_files "$a" | tr '\n' ' ')"
	[ "$(log_bytes "$a")" -le $((3 * 262144)) ] || fail "the logs took $(log_bytes "$a") bytes"
	pd inspect "$a"
	assert_eq "256k 3" "$(json_get "$OUT" 'd[0]["HostConfig"]["LogConfig"]["Config"]["max-size"] + " " + d[0]["HostConfig"]["LogConfig"]["Config"]["max-file"]')" "LogConfig.Config"
	pd logs --tail 1 "$a"
	assert_out 200000 "the newest line"

	# max-file=1 (the default), and a container that restarts twice.
	pd run -d --restart on-failure:2 --log-opt max-size=128k --rootfs "$BUSYBOX_DIR" \
		sh -c 'seq 1 50000; echo run-end; exit 1'
	assert_ok
	local b=$OUT
	pd wait "$b"
	assert_exit 0
	assert_eq 1 "$OUT" "exit code after the restarts"
	pd inspect "$b"
	assert_eq 2 "$(json_get "$OUT" 'd[0]["RestartCount"]')" "restarts"
	assert_eq "$b.log" "$(log_files "$b")" "a single log file"
	[ "$(log_bytes "$b")" -le 131072 ] || fail "the log took $(log_bytes "$b") bytes (max-size=128k)"
	pd logs --tail 2 "$b"
	assert_out "50000
run-end" "the newest lines after the restarts"
	pd rm "$a" "$b"
	assert_ok
	assert_eq "" "$(log_files "$a")$(log_files "$b")" "log files left after rm"
}

# `logs -f` moves on to the new file at each rotation.
test_logs_follow_across_rotation() {
	need_busybox
	pd run -d --log-opt max-size=16k,max-file=3 --rootfs "$BUSYBOX_DIR" \
		sh -c 'sleep 0.5; i=1; while [ $i -le 3000 ]; do echo line-$i; [ $((i % 50)) = 0 ] && usleep 50000; i=$((i + 1)); done'
	assert_ok
	local cid=$OUT
	timeout 60 "$PD" --root "$T_ROOT" logs -f "$cid" >"$T_TMP/follow.out"
	local rc=$?
	assert_eq 0 "$rc" "logs -f exit status"
	local first
	first=$(head -n 1 "$T_TMP/follow.out" | sed 's/line-//')
	assert_eq line-3000 "$(tail -n 1 "$T_TMP/follow.out")" "the last line followed"
	seq "$first" 3000 | sed 's/^/line-/' | cmp -s - "$T_TMP/follow.out" ||
		fail "logs -f is not line-$first..line-3000 in order: $(diff <(seq "$first" 3000 | sed 's/^/line-/') "$T_TMP/follow.out" | head -5 | tr '\n' ' ')"
	[ "$(log_files "$cid" | wc -l)" -eq 3 ] || fail "expected 3 log files, got: $(log_files "$cid" | tr '\n' ' ')"
	pd rm "$cid"
	assert_ok
}

# Bad --log-opt values: one line, exit 125, nothing created.
test_log_opt_usage_errors() {
	need_busybox
	local spec
	for spec in max-size=abc max-size=0 max-size=-1 max-file=0 max-file=x max-size max-size=1m,max-file=0 ""; do
		pd run --log-opt "$spec" --rootfs "$BUSYBOX_DIR" true
		assert_exit 125 "--log-opt '$spec'"
		assert_error_line "--log-opt '$spec'"
		assert_contains "$ERR" "log-opt" "the error names the option"
	done
	pd run --log-opt compress=true --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_err "unknown --log-opt 'compress'"
	pd ps -a -q
	assert_eq "" "$OUT" "no container created"
	assert_eq "" "$(ls -A "$T_ROOT/logs" 2>/dev/null)" "no log created"
}

run_tests "$@"
