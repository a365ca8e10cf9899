#!/bin/bash
# Lifecycle without a daemon: detach, ps, logs, stop, kill, wait, rm,
# inspect, prune, exec; the state database under concurrency; faults.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# assert_err TEXT: the last command failed with one "pocket-docker: " line
# on stderr that contains TEXT.
assert_err() {
	assert_error_line "$1"
	assert_contains "$ERR" "$1" "error message"
}

LOOP="while true; do echo tick; sleep 0.2; done"

# The full id of a new detached container running CMD...
start_detached() {
	pd run -d --rootfs "$BUSYBOX_DIR" "$@"
	assert_ok
	assert_match "$OUT" '^[0-9a-f]{64}$' "run -d prints the full id"
	CID=$OUT
}

test_detach_ps_logs_rm() {
	need_busybox
	allow_containers_left
	start_detached --name ticker /bin/sh -c "$LOOP"
	wait_for_output "$T_ROOT/logs/$CID.log" tick || fail "no output logged"
	pd ps
	assert_ok
	assert_contains "$OUT" "CONTAINER ID" "ps header"
	assert_contains "$OUT" "${CID:0:12}" "ps lists the container"
	assert_match "$OUT" 'Up [A-Za-z0-9 ]+' "ps status"
	assert_contains "$OUT" "ticker" "ps shows the name"
	pd logs ticker
	assert_ok
	assert_contains "$OUT" "tick" "logs by name"
	pd logs "${CID:0:5}"
	assert_ok
	assert_contains "$OUT" "tick" "logs by id prefix"
	pd rm ticker
	assert_exit 125 "rm of a running container"
	assert_err "container is running"
	pd rm -f ticker
	assert_ok
	pd ps -a -q
	assert_eq "" "$OUT" "nothing left after rm -f"
	[ ! -e "$T_ROOT/logs/$CID.log" ] || fail "log left after rm"
	[ ! -e "$T_ROOT/containers/$CID" ] || fail "container dir left after rm"
}

test_ps_formats_and_states() {
	need_busybox
	allow_containers_left
	pd run --name three --rootfs "$BUSYBOX_DIR" /bin/sh -c 'exit 3'
	assert_exit 3
	start_detached --name sleeper sleep 100
	pd ps
	assert_not_contains "$OUT" "three" "ps without -a hides exited"
	pd ps -a
	assert_match "$OUT" 'Exited \(3\) [A-Za-z0-9 ]+ ago' "exited status"
	pd ps -a -q
	assert_eq 2 "$(echo "$OUT" | wc -l)" "two ids"
	assert_match "$(echo "$OUT" | head -n1)" '^[0-9a-f]{12}$' "short ids"
	pd ps -a -q --no-trunc
	assert_match "$(echo "$OUT" | head -n1)" '^[0-9a-f]{64}$' "full ids"
	pd ps -a --format json
	assert_ok
	echo "$OUT" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
states = sorted(r["State"] for r in rows)
assert states == ["exited", "running"], states
assert all(len(r["ID"]) == 64 for r in rows)
' || fail "ps --format json is not one JSON object per container"
	pd inspect three sleeper
	assert_ok
	echo "$OUT" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 2
t = [c for c in a if c["Name"] == "/three"][0]
assert t["State"]["Status"] == "exited" and t["State"]["ExitCode"] == 3, t["State"]
assert t["Path"] == "/bin/sh" and t["Args"] == ["-c", "exit 3"], (t["Path"], t["Args"])
s = [c for c in a if c["Name"] == "/sleeper"][0]
assert s["State"]["Running"] is True and s["State"]["Pid"] > 0
for k in ("Id", "Created", "Config", "HostConfig", "LogPath", "State"):
    assert k in s, k
' || fail "inspect output is not Docker-shaped"
	pd rm -f sleeper three
	assert_ok
}

test_ps_columns_aligned() {
	# Columns as wide as their widest cell, as Docker prints them: every
	# row's name starts under NAMES, whatever the other cells' lengths.
	need_busybox
	pd run --name a-rather-long-container-name --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo a long command line here'
	assert_ok
	pd run --name s --rootfs "$BUSYBOX_DIR" true
	assert_ok
	pd ps -a
	assert_ok
	local col line
	col=$(printf '%s\n' "$OUT" | head -n 1 | awk '{print index($0, "NAMES")}')
	[ "$col" -gt 1 ] || fail "no NAMES header: $OUT"
	while IFS= read -r line; do
		case ${line:$((col - 1))} in
		a-rather-long-container-name | s) ;;
		*) fail "name not under NAMES (column $col) in: $line" ;;
		esac
	done < <(printf '%s\n' "$OUT" | tail -n +2)
	pd rm a-rather-long-container-name s
	assert_ok
}

test_logs_tail_timestamps_follow() {
	need_busybox
	allow_containers_left
	pd run --name counter --rootfs "$BUSYBOX_DIR" /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; done; echo oops >&2'
	assert_ok
	pd logs --tail 2 counter
	assert_ok
	assert_eq "line10" "$OUT" "stdout of --tail 2"
	assert_eq "oops" "$ERR" "stderr of --tail 2"
	pd logs -t counter
	assert_match "$(echo "$OUT" | head -n1)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z line1$' "-t timestamps"
	# -f: a line written later appears, and -f returns when the container ends.
	start_detached --name slow /bin/sh -c 'echo first; sleep 1.5; echo second; sleep 0.5'
	pd_bg logs -f slow
	wait_for_output "$BG_OUT" first 10 || fail "logs -f did not print the first line"
	wait_for_output "$BG_OUT" second 10 || fail "logs -f did not follow a new line"
	wait_bg 10
	assert_eq 0 "$RC" "logs -f exit status"
	assert_eq "$(printf 'first\nsecond')" "$OUT" "logs -f output"
	pd rm counter slow
	assert_ok
}

test_stop_grace_then_kill() {
	need_busybox
	allow_containers_left
	start_detached --name stubborn /bin/sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
	wait_for_output "$T_ROOT/logs/$CID.log" ready || fail "not ready"
	local t0 t1
	t0=$(date +%s.%N)
	pd stop -t 2 stubborn
	t1=$(date +%s.%N)
	assert_ok
	python3 -c "import sys; d=$t1-$t0; sys.exit(0 if 1.8 <= d < 6 else 1)" ||
		fail "stop -t 2 of a TERM-ignoring container took $(python3 -c "print(round($t1-$t0,2))")s"
	pd inspect stubborn
	assert_contains "$OUT" '"ExitCode": 137' "killed after the grace period"
	# A container that honours SIGTERM stops at once.
	start_detached --name polite /bin/sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	sleep 0.3
	t0=$(date +%s.%N)
	pd stop polite
	t1=$(date +%s.%N)
	assert_ok
	python3 -c "import sys; sys.exit(0 if $t1-$t0 < 2 else 1)" || fail "stop of a polite container waited"
	pd wait polite
	assert_out 0
	pd rm stubborn polite
	assert_ok
}

test_stop_all_in_parallel() {
	need_busybox
	allow_containers_left
	local i
	for i in $(seq 1 10); do
		start_detached /bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	done
	sleep 0.5
	local t0 t1
	t0=$(date +%s.%N)
	pd stop -t 2 --all
	t1=$(date +%s.%N)
	assert_ok
	assert_eq 10 "$(echo "$OUT" | wc -l)" "stop --all reports each container"
	# Sequential stops would take 10 grace periods (20 s).
	python3 -c "import sys; sys.exit(0 if $t1-$t0 < 8 else 1)" ||
		fail "stop --all of 10 took $(python3 -c "print(round($t1-$t0,2))")s: not in parallel"
	pd ps -q
	assert_eq "" "$OUT" "nothing running after stop --all"
	pd rm --all
	assert_ok
}

test_parallel_runs_lose_nothing() {
	need_busybox
	allow_containers_left
	local i pids=()
	for i in $(seq 1 50); do
		"$PD" --root "$T_ROOT" run -d --name "par$i" --rootfs "$BUSYBOX_DIR" sleep 30 \
			>"$T_TMP/run$i.out" 2>"$T_TMP/run$i.err" </dev/null &
		pids+=($!)
		if [ $((i % 10)) = 0 ]; then
			"$PD" --root "$T_ROOT" ps -a >/dev/null 2>>"$T_TMP/ps.err" &
			pids+=($!)
		fi
	done
	# rm of containers that do not exist yet must fail cleanly, not lock.
	for i in 1 2 3; do
		"$PD" --root "$T_ROOT" rm -f "par$i" >/dev/null 2>>"$T_TMP/rm.err" &
		pids+=($!)
	done
	local p
	for p in "${pids[@]}"; do wait "$p"; done
	if cat "$T_TMP"/*.err | grep -qi "locked"; then
		fail "database is locked: $(cat "$T_TMP"/*.err | grep -i locked | head -n 3)"
	fi
	pd ps -a --format json
	local n started=0
	n=$(echo "$OUT" | grep -c '"ID"')
	for i in $(seq 1 50); do
		grep -qE '^[0-9a-f]{64}$' "$T_TMP/run$i.out" && started=$((started + 1))
	done
	[ "$started" -ge 47 ] || fail "only $started of 50 runs printed an id: $(head -n 3 "$T_TMP"/run*.err)"
	# Every started container is recorded, except those a racing rm removed.
	[ "$n" -ge $((started - 3)) ] || fail "$started started but only $n records"
	pd rm -f --all
	assert_ok
	pd ps -a -q
	assert_eq "" "$OUT" "rm --all -f removed everything"
}

test_monitor_killed_record_does_not_lie() {
	need_busybox
	allow_containers_left
	start_detached --name victim /bin/sh -c "$LOOP"
	wait_for_output "$T_ROOT/logs/$CID.log" tick || fail "not started"
	local mon
	mon=$(python3 -c "
import sqlite3; c = sqlite3.connect('$T_ROOT/state.db')
print(c.execute(\"select monitor_pid from containers where name='victim'\").fetchone()[0])")
	[ -n "$mon" ] && [ "$mon" -gt 1 ] || fail "no monitor pid recorded"
	kill -KILL "$mon"
	sleep 0.5
	pd ps -a
	assert_match "$OUT" 'Exited \([0-9]+\)' "a container whose monitor was killed is shown exited"
	assert_not_contains "$OUT" "Up " "never shown running"
	pd prune
	assert_ok
	assert_contains "$OUT" "$CID" "prune removed it"
	[ ! -e "$T_ROOT/containers/$CID" ] || fail "prune left the container directory"
}

# A monitor whose container outlives its start gives back what starting took
# (the state database, SQLite's and the start path's pages) and still does
# all its work afterwards: logs, a restart, the exit record, rm.
test_idle_monitor_lets_go_and_still_works() {
	need_busybox
	allow_containers_left
	start_detached --name idler --restart on-failure:1 /bin/sh -c 'sleep 1.5; echo "late $$"; exit 4'
	local mon
	mon=$(python3 -c "
import sqlite3; c = sqlite3.connect('$T_ROOT/state.db')
print(c.execute(\"select monitor_pid from containers where name='idler'\").fetchone()[0])")
	[ -n "$mon" ] && [ "$mon" -gt 1 ] || fail "no monitor pid recorded"
	sleep 1
	[ -d "/proc/$mon" ] || fail "the monitor is gone while its container runs"
	if ls -l "/proc/$mon/fd" | grep -q 'state\.db'; then
		fail "an idle monitor still holds the state database open"
	fi
	grep -q 'state\.db-shm' "/proc/$mon/maps" && fail "an idle monitor still maps the database's shared memory"
	# SQLite's code is not resident in the idle monitor (only the pages
	# relocations wrote, which are anonymous now).
	local sqlite_clean
	sqlite_clean=$(awk '/^[0-9a-f]+-[0-9a-f]+ r-xp .*libsqlite3/{m=1; next} /^[0-9a-f]+-/{m=0} m && /^(Shared|Private)_Clean:/{s+=$2} END{print s+0}' "/proc/$mon/smaps")
	assert_eq 0 "$sqlite_clean" "kB of SQLite code resident in the idle monitor"
	# It restarts the container once (on-failure:1), records the exit,
	# and the output of both runs is in the log.
	pd wait idler
	assert_out 4
	pd inspect idler
	assert_contains "$OUT" '"RestartCount": 1' "restarted once after going idle"
	pd logs idler
	assert_eq 2 "$(grep -c '^late ' <<<"$OUT")" "output of both runs logged"
	pd rm idler
	assert_ok
}

# run --rm: when it returns the container is out of sight (record, name,
# containers/<ID>); its directory, moved to trash/, is deleted just after
# by the monitor, and `prune` deletes what a killed monitor left there.
test_rm_directory_deleted_after_exit() {
	need_busybox
	pd run --rm --name gone --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo data > /written'
	assert_ok
	assert_eq "" "$(ls -A "$T_ROOT/containers")" "containers/ right after run --rm"
	pd ps -a -q
	assert_eq "" "$OUT" "no record after run --rm"
	local i
	for i in $(seq 100); do
		[ -z "$(ls -A "$T_ROOT/trash" 2>/dev/null)" ] && break
		sleep 0.05
	done
	assert_eq "" "$(ls -A "$T_ROOT/trash" 2>/dev/null)" "trash/ 5 s after run --rm"
	local orphan
	orphan="$T_ROOT/trash/$(printf 'a%.0s' $(seq 64))"
	mkdir -p "$orphan/upper/etc" "$orphan/work"
	echo x >"$orphan/upper/etc/hosts"
	pd prune
	assert_ok
	[ ! -e "$orphan" ] || fail "prune left a directory in trash/"
}

test_cli_killed_mid_run() {
	need_busybox
	allow_containers_left
	pd_bg run --name fg --rootfs "$BUSYBOX_DIR" /bin/sh -c "$LOOP"
	wait_for_output "$BG_OUT" tick || { kill -KILL "$BG_PID"; fail "not started"; }
	kill -KILL "$BG_PID"
	wait "$BG_PID" 2>/dev/null
	# The monitor owns the container: it keeps running, and says so.
	pd ps
	assert_contains "$OUT" "fg" "still running after the CLI was killed"
	pd stop -t 1 fg
	assert_ok
	pd ps -a
	assert_match "$OUT" 'Exited \(137\)' "stopped"
	pd rm fg
	assert_ok
}

test_container_killed_from_host() {
	need_busybox
	allow_containers_left
	start_detached --name k /bin/sh -c "$LOOP"
	wait_for_output "$T_ROOT/logs/$CID.log" tick || fail "not started"
	pd kill -s KILL k
	assert_ok
	pd wait k
	assert_out 137
	pd kill k
	assert_exit 125 "kill of an exited container"
	assert_err "not running"
	pd rm k
	assert_ok
}

test_bad_input_changes_nothing() {
	need_busybox
	allow_containers_left
	start_detached --name one sleep 100
	local a=$CID
	start_detached --name two sleep 100
	local before
	# The records themselves, without the relative "Up N seconds" that
	# changes while the test runs.
	pd ps -a --format json
	before=$(printf '%s\n' "$OUT" | sed 's/"Status":"[^"]*",//')
	pd logs nosuch
	assert_exit 125
	assert_err "no such container"
	pd rm -f nosuch
	assert_exit 125
	assert_err "no such container"
	# A one-character prefix shared by both ids is ambiguous (retry ids
	# until they share one).
	if [ "${a:0:1}" = "${CID:0:1}" ]; then
		pd stop "${a:0:1}"
		assert_exit 125
		assert_err "ambiguous"
	fi
	pd run --name one --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_err "already in use"
	pd run --rootfs /nonexistent true
	assert_exit 125
	pd run --name never --rootfs "$BUSYBOX_DIR" /no/such/cmd
	assert_exit 127
	pd logs never
	assert_exit 125
	assert_err "never started"
	pd rm never
	assert_ok
	pd ps -a --format json
	assert_eq "$before" "$(printf '%s\n' "$OUT" | sed 's/"Status":"[^"]*",//')" "records unchanged by bad input"
	pd rm -f one two
	assert_ok
}

test_failed_start_with_rm_leaves_no_record() {
	# The start fails in a setup step (the working directory is a file):
	# with --rm the record is gone by the time run returns.
	need_busybox
	local i
	for i in 1 2 3; do
		pd run --rm --rootfs "$BUSYBOX_DIR" -w /etc/passwd /bin/true
		assert_exit 125
		assert_contains "$ERR" "step 'workdir'" "the failing step is named"
		pd ps -a -q
		assert_eq "" "$OUT" "no record left after a failed --rm run ($i)"
	done
	pd run --rootfs "$BUSYBOX_DIR" --name kept -w /etc/passwd /bin/true
	assert_exit 125
	pd inspect kept
	assert_contains "$OUT" "step 'workdir'" "without --rm the failure is recorded"
	pd rm kept
	assert_ok
}

test_exec() {
	need_busybox
	allow_containers_left
	start_detached --name ex -e FROMRUN=yes sleep 100
	pd exec ex /bin/sh -c 'echo "$$ $FROMRUN"; hostname'
	assert_ok
	assert_eq "${CID:0:12}" "$(echo "$OUT" | sed -n 2p)" "exec sees the container's hostname"
	[ "$(echo "$OUT" | head -n1 | cut -d' ' -f1)" -gt 1 ] || fail "exec'd process is not in the container's pid namespace"
	assert_contains "$OUT" "yes" "exec inherits the container's env"
	pd exec ex /bin/sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	assert_contains "$OUT" "$(printf 'CapEff:\t00000000a80425fb')" "same capabilities"
	assert_contains "$OUT" "$(printf 'NoNewPrivs:\t1')" "no_new_privs"
	assert_contains "$OUT" "$(printf 'Seccomp:\t2')" "seccomp"
	pd exec ex sh -c 'exit 5'
	assert_exit 5
	pd exec ex /no/such
	assert_exit 127
	pd exec ex /etc/passwd
	assert_exit 126
	pd_stdin "piped input" exec -i ex cat
	assert_ok
	assert_out "piped input"
	pd exec -u 65534 ex id -u
	assert_out 65534
	pd exec -w /tmp ex pwd
	assert_out /tmp
	pd stop -t 0 ex
	pd exec ex true
	assert_exit 125
	assert_err "not running"
	pd rm ex
	assert_ok
}

test_sudo_hands_files_back() {
	need_busybox
	need_root
	need_root
	ensure_test_user pdtest yes
	local home uid gid
	home=$(getent passwd pdtest | cut -d: -f6)
	uid=$(id -u pdtest)
	gid=$(id -g pdtest)
	[ -d "$home" ] || skip "pdtest has no home directory"
	[ ! -e "$home/.pocket-docker" ] || skip "$home/.pocket-docker already exists"
	SUDO_USER=pdtest SUDO_UID=$uid SUDO_GID=$gid HOME=/root \
		"$PD" run --rootfs "$BUSYBOX_DIR" --name handed true </dev/null >/dev/null 2>"$T_TMP/err"
	local rc=$? bad
	bad=$(find "$home/.pocket-docker" -maxdepth 1 \( -name 'state.db*' -o -name logs -o -name containers \
		-o -name cache -o -name .pocket-docker \) ! -uid "$uid" 2>/dev/null)
	[ -d "$home/.pocket-docker" ] || fail "state root not made in SUDO_USER's home ($rc: $(cat "$T_TMP/err"))"
	local owner
	owner=$(stat -c %u "$home/.pocket-docker")
	SUDO_USER=pdtest SUDO_UID=$uid SUDO_GID=$gid "$PD" rm handed >/dev/null 2>&1
	rm -rf "$home/.pocket-docker"
	assert_eq 0 "$rc" "run under sudo"
	assert_eq "$uid" "$owner" "state root owner"
	assert_eq "" "$bad" "files not handed back"
}

run_tests "$@"
