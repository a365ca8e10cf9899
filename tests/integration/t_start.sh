#!/bin/bash
# create, start, restart: a created container runs nothing and holds
# nothing until started; a stopped one starts again from its recorded
# config with its upper layer, name, id, log and address; a manual start
# resets RestartCount (as Docker's does) and StartedAt/FinishedAt follow
# each run; two starts at once start it once; `wait` on a created
# container waits through its start; a start that fails leaves the record
# as it was.  Rootless: create/start/restart as the test user.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Appends a line to /count in the container's own root, prints how many
# runs the upper layer has seen, and exits 3.
COUNTER='echo run >> /count; wc -l < /count; exit 3'
SLEEPER='trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done'

wait_ready_n() {
	# wait_ready_n ID N: the container's log holds N "ready" lines.
	local i=0
	while [ "$i" -lt 300 ]; do
		[ "$(grep -c ready "$T_ROOT/logs/$1.log" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	fail "container ${1:0:12} never printed ready $2 times"
}

field() {
	# field REF TEMPLATE: inspect --format TEMPLATE of REF into OUT.
	pd inspect --format "$2" "$1"
	assert_ok "inspect $1"
}

test_create_runs_nothing_until_start() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name c1 --rootfs "$BUSYBOX_DIR" /bin/sh -c "$COUNTER"
	assert_ok
	assert_match "$OUT" '^[0-9a-f]{64}$' "create prints the full id"
	local id=$OUT
	pd ps -a --format '{{.Names}} {{.Status}}'
	assert_out "c1 Created"
	field c1 '{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}}'
	assert_out "created 0 0001-01-01T00:00:00Z 0"
	pd ps --format '{{.Names}}'
	assert_out "" "a created container is not among the running ones"
	pd logs c1
	assert_ok "logs of a created container"
	assert_out "" "logs of a created container"
	[ -d "$T_ROOT/containers/$id/upper" ] || fail "create made no upper layer"
	[ ! -d "/sys/fs/cgroup/memory/pocket-docker/$id" ] && [ ! -d "/sys/fs/cgroup/pocket-docker/$id" ] ||
		fail "create made a cgroup"
	pd start -a c1
	assert_exit 3 "start -a returns the container's exit status"
	assert_out 1
	field c1 '{{.Id}} {{.State.Status}} {{.State.ExitCode}}'
	assert_out "$id exited 3"
	pd rm c1
	assert_ok
}

test_start_keeps_upper_layer_log_and_identity() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name keep --rootfs "$BUSYBOX_DIR" /bin/sh -c "$COUNTER"
	assert_ok
	local id=$OUT
	pd start -a keep
	assert_exit 3
	assert_out 1
	field keep '{{.State.StartedAt}} {{.State.FinishedAt}}'
	local first=$OUT
	pd start keep
	assert_ok
	assert_out keep "start prints the container as named"
	pd wait keep
	assert_out 3
	pd start -a "${id:0:12}"
	assert_exit 3
	assert_out 3 "the third run sees the two runs before it in its upper layer"
	pd logs keep
	assert_eq "$(printf '1\n2\n3')" "$OUT" "the log keeps every run's output"
	field keep '{{.Id}} {{.Name}} {{.RestartCount}} {{.State.ExitCode}}'
	assert_out "$id /keep 0 3"
	field keep '{{.State.StartedAt}} {{.State.FinishedAt}}'
	[ "$OUT" != "$first" ] || fail "StartedAt/FinishedAt did not change over two more runs: $OUT"
	local started=${OUT% *} finished=${OUT#* }
	[[ "$finished" > "$started" ]] || fail "FinishedAt ($finished) is not after StartedAt ($started)"
	[ ! -e "$BUSYBOX_DIR/count" ] || fail "the runs wrote into the lower layer"
	pd rm keep
	assert_ok
}

test_restart_running_container_keeps_address_and_ports() {
	need_root
	need_busybox
	allow_containers_left
	local port=$((20000 + RANDOM % 20000))
	pd run -d --name web -p "127.0.0.1:$port:80" --rootfs "$BUSYBOX_DIR" \
		/bin/sh -c 'echo ready; echo hello >/index.html; exec httpd -f -p 80 -h /'
	assert_ok
	local id=$OUT
	wait_ready_n "$id" 1
	field web '{{.State.Pid}} {{.NetworkSettings.IPAddress}}'
	local pid1=${OUT% *} ip1=${OUT#* }
	pd restart -t 2 web
	assert_ok
	assert_out web
	wait_ready_n "$id" 2
	field web '{{.State.Status}} {{.State.Pid}} {{.NetworkSettings.IPAddress}} {{.RestartCount}}'
	local st pid2 ip2 rc
	read -r st pid2 ip2 rc <<<"$OUT"
	assert_eq running "$st" "status after restart"
	[ "$pid2" != "$pid1" ] || fail "restart kept the old process ($pid1)"
	assert_eq "$ip1" "$ip2" "the address after restart"
	assert_eq 0 "$rc" "RestartCount after a manual restart (Docker resets it)"
	pd port web 80
	assert_out "127.0.0.1:$port"
	local body="" i
	for i in $(seq 50); do
		body=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
			printf "GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n" >&3
			sed "1,/^\r\?$/d" <&3' _ "$port" 2>/dev/null)
		[ "$body" = hello ] && break
		sleep 0.1
	done
	assert_eq hello "$body" "the published port after restart"
	pd events --since 5m --until 0s --filter container=web --format '{{.Action}}'
	assert_ok
	assert_eq "create start kill die stop start restart" "$(echo $OUT)" "the events of run and restart"
	pd rm -f web
	assert_ok
}

# A stopped container keeps its address: a container started meanwhile
# gets another one, and the next start gets the same one back; rm frees it.
test_stopped_container_keeps_its_address() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --name a1 --network bridge --rootfs "$BUSYBOX_DIR" /bin/sh -c "$SLEEPER"
	assert_ok
	field a1 '{{.NetworkSettings.IPAddress}}'
	local ip_a=$OUT
	[ -n "$ip_a" ] || fail "no address for a1"
	pd stop a1
	assert_ok
	pd run -d --name b1 --network bridge --rootfs "$BUSYBOX_DIR" /bin/sh -c "$SLEEPER"
	assert_ok
	field b1 '{{.NetworkSettings.IPAddress}}'
	local ip_b=$OUT
	[ "$ip_b" != "$ip_a" ] || fail "b1 got the address a1 keeps ($ip_a)"
	pd start a1
	assert_ok
	field a1 '{{.NetworkSettings.IPAddress}}'
	assert_out "$ip_a" "a1's address after its start"
	pd rm -f a1
	assert_ok
	pd run -d --name c1 --network bridge --rootfs "$BUSYBOX_DIR" /bin/sh -c "$SLEEPER"
	assert_ok
	field c1 '{{.NetworkSettings.IPAddress}}'
	assert_out "$ip_a" "the address rm freed is leased again"
	pd rm -f b1 c1
	assert_ok
}

test_start_of_running_container_does_nothing() {
	need_root
	need_busybox
	allow_containers_left
	pd run -d --name up --rootfs "$BUSYBOX_DIR" /bin/sh -c "$SLEEPER"
	assert_ok
	local id=$OUT
	wait_ready_n "$id" 1
	field up '{{.State.Pid}}'
	local pid=$OUT
	pd start up
	assert_ok
	assert_out up
	field up '{{.State.Pid}} {{.State.Status}}'
	assert_out "$pid running" "start of a running container"
	pd rm -f up
	assert_ok
}

test_parallel_starts_start_once() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name once --rootfs "$BUSYBOX_DIR" /bin/sh -c "$SLEEPER"
	assert_ok
	local id=$OUT k
	for k in 1 2 3 4; do
		"$PD" --root "$T_ROOT" start once >"$T_TMP/s$k.out" 2>"$T_TMP/s$k.err" &
	done
	wait
	for k in 1 2 3 4; do
		assert_eq once "$(cat "$T_TMP/s$k.out")" "start $k's output ($(cat "$T_TMP/s$k.err"))"
	done
	wait_ready_n "$id" 1
	sleep 0.3
	local n
	n=$(grep -c ready "$T_ROOT/logs/$id.log")
	assert_eq 1 "$n" "runs started by four parallel starts"
	pd rm -f once
	assert_ok
}

test_wait_on_created_waits_for_its_run() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name w --rootfs "$BUSYBOX_DIR" /bin/sh -c 'sleep 0.3; exit 7'
	assert_ok
	pd_bg wait w
	local waiter=$BG_PID
	sleep 0.5
	[ -d "/proc/$waiter" ] || fail "wait returned before the created container ran"
	pd start w
	assert_ok
	BG_PID=$waiter
	wait_bg 15
	assert_ok
	assert_out 7 "wait prints the exit code of the run"
	pd rm w
	assert_ok
}

test_failed_start_leaves_record_as_it_was() {
	need_root
	need_busybox
	allow_containers_left
	local rootfs=$T_TMP/rootfs
	copy_busybox_rootfs "$rootfs"
	pd create --name gone --rootfs "$rootfs" /bin/true
	assert_ok
	rm -rf "$rootfs"
	pd start gone
	assert_exit 125 "start of a container whose rootfs is gone"
	assert_error_line "start of a container whose rootfs is gone"
	pd ps -a --format '{{.Names}} {{.Status}}'
	assert_out "gone Created" "the record after a failed start"
	copy_busybox_rootfs "$rootfs"
	pd start -a gone
	assert_ok "start once the rootfs is back"
	pd rm gone
	assert_ok
	pd ps -a -q
	assert_out ""
}

test_created_containers_are_removed_by_rm_and_prune() {
	need_root
	need_busybox
	pd create --name r1 --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	local id1=$OUT
	pd rm r1
	assert_ok "rm of a created container needs no -f"
	pd create --name r2 --rootfs "$BUSYBOX_DIR" /bin/true
	assert_ok
	local id2=$OUT
	pd prune
	assert_ok
	assert_contains "$OUT" "$id2" "prune removes a created container"
	pd ps -a -q
	assert_out ""
	assert_absent "$T_ROOT/containers/$id1"
	assert_absent "$T_ROOT/containers/$id2"
}

test_create_with_rm_is_removed_after_its_run() {
	need_root
	need_busybox
	pd create --rm --name once-rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo bye'
	assert_ok
	pd start -a once-rm
	assert_ok
	assert_out bye
	pd ps -a -q
	assert_out "" "a --rm container is gone after its run"
}

test_create_takes_run_options_and_cidfile() {
	need_root
	need_busybox
	allow_containers_left
	pd create --name opts -e A=1 -l k=v --hostname hh --workdir /tmp --cidfile "$T_TMP/cid" \
		--rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo "$A $(hostname) $(pwd)"'
	assert_ok
	assert_eq "$OUT" "$(cat "$T_TMP/cid")" "--cidfile holds the created id"
	pd start -a opts
	assert_ok
	assert_out "1 hh /tmp"
	field opts '{{index .Config.Labels "k"}}'
	assert_out v
	pd rm opts
	assert_ok
}

test_bad_input() {
	need_root
	need_busybox
	local args
	for args in "start" "restart" "start nosuch" "restart nosuch" "start --bogus x" \
		"restart -t x y" "create" "create --rootfs $BUSYBOX_DIR" \
		"create --stdin /etc/hostname --rootfs $BUSYBOX_DIR true" \
		"create --report - --rootfs $BUSYBOX_DIR true" "create -d --rootfs $BUSYBOX_DIR true" \
		"start -a x y"; do
		# shellcheck disable=SC2086
		pd $args
		assert_exit 125 "$args"
		assert_error_line "$args"
	done
	pd ps -a -q
	assert_out "" "nothing was created by bad input"
	for args in create start restart; do
		pd "$args" --help
		assert_ok "$args --help"
		assert_contains "$OUT" "Usage: pocket-docker $args" "$args --help"
	done
}

test_rootless_create_start_restart() {
	need_busybox
	rootless_prepare pdtest yes
	allow_containers_left
	local rootfs=$T_TMP/rootfs
	cp -a "$BUSYBOX_DIR" "$rootfs"
	chown -R pdtest: "$rootfs"
	pd_as pdtest create --name rl --rootfs "$rootfs" /bin/sh -c "$COUNTER"
	assert_ok
	pd_as pdtest start -a rl
	assert_exit 3
	assert_out 1
	pd_as pdtest restart rl
	assert_ok
	pd_as pdtest wait rl
	assert_out 3
	pd_as pdtest start -a rl
	assert_exit 3
	assert_out 3 "the rootless upper layer is kept across runs"
	pd_as pdtest rm rl
	assert_ok
}

run_tests "$@"
