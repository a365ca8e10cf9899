#!/bin/bash
# pause/unpause (the cgroup freezer: a paused busy loop uses no CPU; ps and
# inspect say so; stop, kill and rm -f of a paused container work), rename,
# top (the host's ps, the container's rows only), port (Docker's format),
# the `container` and `image` command groups, --help and bad input of each
# command; rootless where the behaviour differs (no cgroup on a v1 host:
# pause is refused saying why; top still works through the pid namespace).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSY='echo ready; while :; do :; done'
SLEEPER='trap "exit 3" TERM; trap "exit 4" USR1; echo ready; while :; do sleep 0.1; done'

start_detached() {
	pd run -d --rootfs "$BUSYBOX_DIR" "$@"
	assert_ok
	assert_match "$OUT" '^[0-9a-f]{64}$' "run -d prints the full id"
	CID=$OUT
	STARTED="$STARTED $CID"
}

# A test that fails while one of its containers is paused must not leave
# frozen processes behind (a task frozen by the v1 freezer does not die of
# the harness's SIGKILL): on the way out, thaw the groups of the
# containers this test started, and only those.
STARTED=""
_thaw_started() {
	local id
	for id in $STARTED; do
		[ -w "/sys/fs/cgroup/freezer/pocket-docker/$id/freezer.state" ] &&
			echo THAWED >"/sys/fs/cgroup/freezer/pocket-docker/$id/freezer.state"
		[ -w "/sys/fs/cgroup/pocket-docker/$id/cgroup.freeze" ] &&
			echo 0 >"/sys/fs/cgroup/pocket-docker/$id/cgroup.freeze"
	done 2>/dev/null
	return 0
}
trap _thaw_started EXIT

wait_ready() {
	wait_for_output "$T_ROOT/logs/$1.log" ready || fail "container ${1:0:12} never printed ready"
}

_cpu_ns() {
	# _cpu_ns ID: the CPU time (ns) container ID's cgroup has used.
	local v1=/sys/fs/cgroup/cpuacct/pocket-docker/$1/cpuacct.usage
	local v2=/sys/fs/cgroup/pocket-docker/$1/cpu.stat
	if [ -r "$v1" ]; then
		cat "$v1"
	elif [ -r "$v2" ]; then
		echo $(($(awk '$1 == "usage_usec" {print $2}' "$v2") * 1000))
	else
		skip "no cpu accounting file for the container's cgroup ($v1, $v2)"
	fi
}

_cpu_grows_ns() {
	# _cpu_grows_ns ID: the CPU time container ID used over 0.5 s.
	local a b
	a=$(_cpu_ns "$1")
	sleep 0.5
	b=$(_cpu_ns "$1")
	echo $((b - a))
}

_need_freezer() {
	[ -d /sys/fs/cgroup/freezer ] || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
		skip "no cgroup freezer on this host"
}

test_pause_stops_cpu_and_unpause_resumes() {
	need_root
	need_busybox
	_need_freezer
	allow_containers_left
	start_detached --name spinner /bin/sh -c "$BUSY"
	wait_ready "$CID"
	local used
	used=$(_cpu_grows_ns "$CID")
	[ "$used" -gt 100000000 ] || fail "the busy loop used only ${used} ns of CPU in 0.5 s before pause"
	pd pause spinner
	assert_ok
	assert_out spinner "pause prints the container as named"
	used=$(_cpu_grows_ns "$CID")
	[ "$used" -lt 10000000 ] || fail "a paused busy loop used ${used} ns of CPU in 0.5 s"
	pd ps
	assert_ok
	assert_match "$OUT" 'Up [A-Za-z0-9 ]+ \(Paused\) ' "ps shows the container paused"
	pd ps --format '{{.Names}} {{.State}}'
	assert_out "spinner paused" "ps State"
	pd ps --filter status=paused --format '{{.Names}}'
	assert_out spinner "ps --filter status=paused"
	pd ps --filter status=running --format '{{.Names}}'
	assert_out "" "a paused container is not listed as running"
	pd inspect --format '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' spinner
	assert_out "paused true true" "inspect State of a paused container"
	pd pause spinner
	assert_exit 125
	assert_error_line "pause of a paused container"
	assert_contains "$ERR" "container ${CID:0:12} is already paused" "pause of a paused container"
	pd unpause "${CID:0:12}"
	assert_ok
	assert_out "${CID:0:12}" "unpause prints the container as named"
	used=$(_cpu_grows_ns "$CID")
	[ "$used" -gt 100000000 ] || fail "the busy loop used only ${used} ns of CPU in 0.5 s after unpause"
	pd inspect --format '{{.State.Status}} {{.State.Paused}}' spinner
	assert_out "running false" "inspect State after unpause"
	pd ps --format '{{.Status}}'
	assert_not_contains "$OUT" Paused "ps after unpause"
	pd unpause spinner
	assert_exit 125
	assert_error_line "unpause of a running container"
	assert_contains "$ERR" "container ${CID:0:12} is not paused" "unpause of a running container"
	pd rm -f spinner
	assert_ok
}

test_pause_refused_when_not_running() {
	need_busybox
	allow_containers_left
	pd run --name done --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	local id
	pd inspect --format '{{.Id}}' done
	id=$OUT
	for cmd in pause unpause; do
		pd "$cmd" done
		assert_exit 125
		assert_error_line "$cmd of an exited container"
		assert_contains "$ERR" "container ${id:0:12} is not running" "$cmd of an exited container"
		pd "$cmd" no-such-container
		assert_exit 125
		assert_error_line "$cmd of a missing container"
		assert_contains "$ERR" "no such container: no-such-container" "$cmd of a missing container"
		pd "$cmd"
		assert_exit 125
		assert_error_line "$cmd without a container"
	done
	pd rm done
	assert_ok
}

test_stop_kill_rm_of_paused_container() {
	need_root
	need_busybox
	_need_freezer
	allow_containers_left
	local t0 t1
	# stop: the stop signal reaches the paused container (its TERM trap
	# exits 3) without waiting for the grace period.
	start_detached --name p-stop /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-stop
	assert_ok
	t0=$(date +%s.%N)
	pd stop -t 20 p-stop
	t1=$(date +%s.%N)
	assert_ok
	python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" ||
		fail "stop of a paused container took $(python3 -c "print(round($t1 - $t0, 2))")s"
	pd inspect --format '{{.State.Status}} {{.State.ExitCode}}' p-stop
	assert_out "exited 3" "a paused container took its stop signal"
	# kill (SIGKILL): at once.
	start_detached --name p-kill /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-kill
	assert_ok
	pd kill p-kill
	assert_ok
	pd wait p-kill
	assert_out 137 "kill of a paused container"
	# kill -s USR1: not a signal that ends it, so it stays paused, and
	# takes the signal when unpaused (its USR1 trap exits 4).
	start_detached --name p-usr1 /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-usr1
	assert_ok
	pd kill -s USR1 p-usr1
	assert_ok
	sleep 0.3
	pd inspect --format '{{.State.Status}}' p-usr1
	assert_out paused "kill -s USR1 leaves a paused container paused"
	pd unpause p-usr1
	assert_ok
	pd wait p-usr1
	assert_out 4 "the pending USR1 is taken on unpause"
	# rm -f: removed, no process left.
	start_detached --name p-rm /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-rm
	assert_ok
	t0=$(date +%s.%N)
	pd rm -f p-rm
	t1=$(date +%s.%N)
	assert_ok
	python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 5 else 1)" ||
		fail "rm -f of a paused container took $(python3 -c "print(round($t1 - $t0, 2))")s"
	pd inspect p-rm
	assert_exit 125
	[ ! -e "/sys/fs/cgroup/freezer/pocket-docker/$CID" ] && [ ! -e "/sys/fs/cgroup/pocket-docker/$CID" ] ||
		fail "rm -f of a paused container left its cgroup"
	pd rm p-stop p-kill p-usr1
	assert_ok
}

test_rename() {
	need_busybox
	allow_containers_left
	start_detached --name old-name /bin/sh -c 'echo hello-rename; echo ready; exec sleep 1000'
	wait_ready "$CID"
	pd rename old-name new.name_1
	assert_ok
	assert_out "" "rename prints nothing"
	pd logs new.name_1
	assert_ok
	assert_contains "$OUT" hello-rename "logs by the new name"
	pd inspect --format '{{.Name}} {{.Id}}' new.name_1
	assert_out "/new.name_1 $CID" "inspect by the new name"
	pd ps --format '{{.Names}}'
	assert_out new.name_1 "ps shows the new name"
	pd inspect old-name
	assert_exit 125
	assert_contains "$ERR" "no such container: old-name" "the old name is gone"
	# The old name is free for another container.
	pd run --name old-name --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	# A taken name, the same name, bad names, bad arguments.
	pd rename new.name_1 old-name
	assert_exit 125
	assert_error_line "rename to a taken name"
	assert_contains "$ERR" 'the container name "old-name" is already in use by container' "rename to a taken name"
	pd inspect --format '{{.Name}}' "$CID"
	assert_out /new.name_1 "a refused rename changes nothing"
	pd rename new.name_1 new.name_1
	assert_exit 125
	assert_error_line "rename to the same name"
	for bad in 'has space' '_leading' 'sl/ash' 'a:b' ''; do
		pd rename new.name_1 "$bad"
		assert_exit 125
		assert_error_line "rename to '$bad'"
	done
	pd rename new.name_1
	assert_exit 125
	assert_error_line "rename with one argument"
	pd rename a b c
	assert_exit 125
	assert_error_line "rename with three arguments"
	pd rename no-such x1
	assert_exit 125
	assert_contains "$ERR" "no such container: no-such" "rename of a missing container"
	# An exited container can be renamed too, then removed by its name.
	pd rename old-name exited-one
	assert_ok
	pd rm exited-one
	assert_ok
	pd rm -f new.name_1
	assert_ok
	pd ps -a --format '{{.Names}}'
	assert_out "" "both removed by their new names"
}

test_top_shows_only_the_container() {
	need_busybox
	allow_containers_left
	local secs=$((100000 + RANDOM)) host_pid pid
	# A host process with the same command line must not show.
	sleep "$secs" &
	host_pid=$!
	start_detached --name topper /bin/sleep "$secs"
	pd top topper
	assert_ok
	local header rows
	header=$(printf '%s\n' "$OUT" | sed -n 1p)
	assert_match "$header" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD$' "top's header is ps -ef's"
	rows=$(printf '%s\n' "$OUT" | sed 1d)
	[ "$(printf '%s\n' "$rows" | grep -c .)" -eq 1 ] || fail "top shows $(printf '%s\n' "$rows" | grep -c .) rows, want the container's one process"
	assert_contains "$rows" "sleep $secs" "top shows the container's sleep"
	pid=$(printf '%s\n' "$rows" | awk '{print $2}')
	[ "$pid" != "$host_pid" ] || fail "top shows the host's sleep"
	pd inspect --format '{{.State.Pid}}' topper
	assert_out "$pid" "top's PID is the container's init"
	# Docker's layout: columns at least 20 wide.
	assert_match "$header" '^UID {17}PID {17}' "columns padded to 20"
	# ps options after the container.
	pd top topper -o pid,comm
	assert_ok
	assert_eq "$(printf 'PID                 COMMAND\n%-20ssleep' "$pid")" "$OUT" "top with -o pid,comm"
	pd top topper aux
	assert_ok
	assert_match "$(printf '%s\n' "$OUT" | sed -n 1p)" '^USER +PID ' "top with aux"
	assert_contains "$OUT" "sleep $secs" "top with aux shows the sleep"
	# Bad input: options ps refuses, no PID column, not running, missing.
	pd top topper --no-such-ps-option
	assert_exit 125
	assert_error_line "top with a bad ps option"
	pd top topper -o comm
	assert_exit 125
	assert_error_line "top without a PID column"
	assert_contains "$ERR" "no PID column" "top without a PID column"
	pd top
	assert_exit 125
	assert_error_line "top without a container"
	pd top no-such
	assert_exit 125
	assert_error_line "top of a missing container"
	pd kill topper
	assert_ok
	pd wait topper
	pd top topper
	assert_exit 125
	assert_error_line "top of an exited container"
	assert_contains "$ERR" "is not running" "top of an exited container"
	kill "$host_pid"
	wait "$host_pid" 2>/dev/null
	pd rm topper
	assert_ok
}

test_top_of_paused_container() {
	need_root
	need_busybox
	_need_freezer
	allow_containers_left
	start_detached --name top-paused /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause top-paused
	assert_ok
	pd top top-paused -o pid,stat,comm
	assert_ok
	assert_match "$OUT" '[0-9]+ +[DST][^ ]* +sh' "top of a paused container shows its shell"
	pd rm -f top-paused
	assert_ok
}

test_port() {
	need_root
	need_busybox
	need_cmd nft
	allow_containers_left
	start_detached --name porter -p 18091:80 -p 127.0.0.1:18092:80 -p 18093:53/udp /bin/sleep 1000
	pd port porter
	assert_ok
	assert_out $'53/udp -> 0.0.0.0:18093\n80/tcp -> 0.0.0.0:18091\n80/tcp -> 127.0.0.1:18092' "port lists every mapping"
	pd port porter 80
	assert_ok
	assert_out $'0.0.0.0:18091\n127.0.0.1:18092' "port 80: its host addresses"
	pd port porter 80/tcp
	assert_out $'0.0.0.0:18091\n127.0.0.1:18092' "port 80/tcp"
	pd port porter 53/udp
	assert_out 0.0.0.0:18093 "port 53/udp"
	pd port porter 81
	assert_exit 125
	assert_error_line "an unpublished port"
	assert_contains "$ERR" "no public port '81/tcp' published for porter" "an unpublished port"
	pd port porter 53
	assert_exit 125
	assert_contains "$ERR" "no public port '53/tcp' published for porter" "53/tcp is not 53/udp"
	for bad in 0 65536 80/sctp x 80/ -1; do
		pd port porter "$bad"
		assert_exit 125
		assert_error_line "port '$bad'"
	done
	pd port
	assert_exit 125
	assert_error_line "port without a container"
	pd port porter 80 81
	assert_exit 125
	assert_error_line "port with two ports"
	# No ports: nothing; an exited container publishes none.
	pd run -d --name plain --rootfs "$BUSYBOX_DIR" /bin/sleep 1000
	assert_ok
	pd port plain
	assert_ok
	assert_out "" "a container without -p"
	pd stop -t 0 porter
	assert_ok
	pd port porter
	assert_ok
	assert_out "" "an exited container publishes nothing"
	pd rm -f porter plain
	assert_ok
}

test_command_groups() {
	need_busybox
	allow_containers_left
	start_detached --name grouped /bin/sleep 1000
	local ps_out
	pd ps
	ps_out=$OUT
	for sub in ls list ps; do
		pd container "$sub"
		assert_ok
		assert_eq "$(cut -c1-20 <<<"$ps_out")" "$(cut -c1-20 <<<"$OUT")" "container $sub is ps"
		assert_contains "$OUT" grouped "container $sub lists the container"
	done
	pd container ls -a --format '{{.Names}}'
	assert_out grouped "container ls takes ps's flags"
	pd container inspect --format '{{.Name}}' grouped
	assert_out /grouped "container inspect"
	pd container top grouped -o pid,comm
	assert_ok
	assert_contains "$OUT" sleep "container top"
	pd container rename grouped grouped2
	assert_ok
	pd container logs grouped2
	assert_ok
	pd container kill grouped2
	assert_ok
	pd container wait grouped2
	assert_out 137 "container wait"
	pd container rm grouped2
	assert_ok
	pd container ls -a -q
	assert_out "" "container rm removed it"
	pd image ls
	assert_ok
	assert_match "$OUT" '^REPOSITORY +TAG ' "image ls is images"
	pd images
	local images_out=$OUT
	pd image list
	assert_eq "$images_out" "$OUT" "image list is images"
	pd image rm no-such-image
	assert_exit 125
	assert_error_line "image rm of a missing image"
	# The group alone, its help, an unknown subcommand.
	pd container --help
	assert_ok
	assert_contains "$OUT" "Usage: pocket-docker container COMMAND" "container --help"
	assert_contains "$OUT" "rename" "container --help lists rename"
	pd image --help
	assert_ok
	assert_contains "$OUT" "pull" "image --help lists pull"
	pd container
	assert_exit 125
	pd container frobnicate
	assert_exit 125
	assert_error_line "an unknown container subcommand"
	assert_contains "$ERR" "unknown command 'container frobnicate'" "an unknown container subcommand"
	pd image frobnicate
	assert_exit 125
	assert_error_line "an unknown image subcommand"
	pd --help
	assert_ok
	assert_contains "$OUT" "container  Manage containers" "--help lists the groups"
}

test_help_and_bad_flags() {
	local cmd
	for cmd in pause unpause rename top port; do
		pd "$cmd" --help
		assert_ok
		assert_contains "$OUT" "Usage: pocket-docker $cmd" "$cmd --help"
		assert_contains "$OUT" "--help" "$cmd --help lists its options"
		pd "$cmd" --no-such-flag x
		assert_exit 125
		assert_error_line "$cmd with an unknown flag"
		pd container "$cmd" --help
		assert_ok
		assert_contains "$OUT" "Usage: pocket-docker $cmd" "container $cmd --help"
	done
}

test_rootless_pause_and_top() {
	need_busybox
	rootless_prepare pdtest yes
	allow_containers_left
	local rootfs=$T_TMP/rootfs
	cp -a "$BUSYBOX_DIR" "$rootfs"
	pd_as pdtest run -d --name rl --rootfs "$rootfs" /bin/sh -c "$SLEEPER"
	assert_ok
	local id=$OUT
	wait_ready "$id"
	pd_as pdtest pause rl
	if [ -d /sys/fs/cgroup/freezer ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
		# cgroup v1: no delegation, so the container has no cgroup.
		assert_exit 125
		assert_error_line "rootless pause on cgroup v1"
		assert_contains "$ERR" "has no cgroup of its own" "rootless pause says why"
	elif [ "$RC" -eq 0 ]; then
		# cgroup v2 with a delegated freezer.
		pd_as pdtest inspect --format '{{.State.Status}}' rl
		assert_out paused "rootless pause on cgroup v2"
		pd_as pdtest unpause rl
		assert_ok
	else
		assert_exit 125
		assert_error_line "rootless pause without delegation"
	fi
	# top finds the container's processes through its pid namespace when
	# it has no cgroup.
	pd_as pdtest top rl -o pid,args
	assert_ok
	assert_contains "$OUT" "trap" "rootless top shows the container's shell"
	[ "$(printf '%s\n' "$OUT" | sed 1d | grep -c .)" -ge 1 ] || fail "rootless top shows no process"
	assert_not_contains "$OUT" "pocket-docker" "rootless top shows no host process"
	pd_as pdtest rename rl rl2
	assert_ok
	pd_as pdtest rm -f rl2
	assert_ok
}

# exec into a paused container is refused at once (joining its frozen
# group would freeze the exec with it), and works again after unpause.
test_exec_into_paused_refused() {
	need_root
	need_busybox
	_need_freezer
	allow_containers_left
	start_detached --name p-exec /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-exec
	assert_ok
	pd exec p-exec /bin/echo hello
	assert_exit 125 "exec into a paused container"
	assert_error_line "exec into a paused container"
	assert_contains "$ERR" "is paused, unpause the container before exec" "the refusal says why"
	pd unpause p-exec
	assert_ok
	pd exec p-exec /bin/echo hello
	assert_ok
	assert_out hello
	pd rm -f p-exec
	assert_ok
}

# A judge limit ends a paused run too (the monitor thaws it for the kill).
test_timeout_of_paused_container() {
	need_root
	need_busybox
	_need_freezer
	allow_containers_left
	start_detached --name p-judge --timeout 2s --report "$T_TMP/r.json" /bin/sh -c "$SLEEPER"
	wait_ready "$CID"
	pd pause p-judge
	assert_ok
	pd wait p-judge
	assert_out 137 "a paused run killed at its --timeout"
	assert_contains "$(cat "$T_TMP/r.json")" '"verdict":"timeout"' "the report"
	pd rm p-judge
	assert_ok
}

run_tests "$@"
