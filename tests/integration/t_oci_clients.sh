#!/bin/bash
# The OCI runtime face driven by the real clients: podman (through conmon)
# and containerd (ctr, through containerd-shim-runc-v2) run, exec, pause,
# signal, limit and remove containers with the runtime binary as their OCI
# runtime, set up as docs/oci-runtime-clients.md records.
#
# The runtime is pocket-runc next to the binary under test (the link `make`
# makes), or $PD_OCI_RUNTIME: `PD_OCI_RUNTIME=/usr/bin/runc bash
# tests/integration/t_oci_clients.sh` proves the tests against runc.
#
# Every client keeps its state under T_TMP: podman a private store
# (--root, --runroot, --tmpdir, its own CONTAINERS_CONF: cgroupfs, no
# network), containerd a private daemon (its own root, state, sockets, opt
# directory) with a namespace of this test's own.  Each test sets up its
# clients (about a second) and tears them down in an EXIT trap, which fails
# the test for what the clients or the runtime left behind (processes,
# cgroups, /run/libpod, runtime state) after removing it.  Every client call
# runs under a timeout (PD_CLIENT_TIMEOUT, default 30 s).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/private-podman.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/private-podman.sh"

RUNTIME=${PD_OCI_RUNTIME:-$(dirname "$PD")/pocket-runc}
case $RUNTIME in
/*) ;;
*) RUNTIME=$PWD/$RUNTIME ;;
esac
RUNTIME_NAME=$(basename "$RUNTIME")
CLIENT_TIMEOUT=${PD_CLIENT_TIMEOUT:-30}
IMAGE=localhost/busybox:latest

need_runtime() {
	[ -x "$RUNTIME" ] || fail "no OCI runtime at $RUNTIME (make pocket-docker, or set PD_OCI_RUNTIME)"
}

# client ARGS...: a client command under the client timeout (RC, OUT, ERR
# as pd).  client_in FILE ARGS...: the same with FILE on stdin.
# shellcheck disable=SC2034 # CMD_TIMEOUT is _pd_exec's
client() {
	local CMD_TIMEOUT=$CLIENT_TIMEOUT
	_pd_exec /dev/null "$@"
}
# shellcheck disable=SC2034
client_in() {
	local CMD_TIMEOUT=$CLIENT_TIMEOUT
	_pd_exec "$@"
}

# client_tty ARGS...: the command on a terminal of its own (script(1));
# OUT without the terminal's carriage returns.  script's stdin is a FIFO
# that nobody writes to but stays open: at the end of a stdin script sends
# an end-of-file character to the terminal, which a client that keeps it
# raw (ctr) passes on to the container's terminal, and that one echoes it.
client_tty() {
	local fifo=$T_TMP/tty-stdin
	[ -p "$fifo" ] || mkfifo "$fifo"
	exec 9<>"$fifo"
	client_in "$fifo" script -qec "$(printf '%q ' "$@")" /dev/null
	exec 9>&-
	OUT=${OUT//$'\r'/}
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_until() {
	local limit=$1 i=0
	shift
	while [ "$i" -lt $((limit * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# lines_above FILE N: FILE has more than N lines (a missing FILE none).
lines_above() {
	local n
	n=$({ wc -l <"$1"; } 2>/dev/null) || n=0
	[ "$n" -gt "$2" ]
}

# gone PATH...: none of the paths exists.
gone() {
	local p
	for p in "$@"; do
		[ -e "$p" ] && return 1
	done
	return 0
}

# ---------------------------------------------------------------------------
# Teardown: functions registered with on_teardown run at exit, last first.
# A leftover they find is a problem: they remove it and the test fails
# naming it (after its own reason, when it failed already).

TEARDOWNS=()
PROBLEMS=""

on_teardown() {
	[ ${#TEARDOWNS[@]} -eq 0 ] && trap _teardown EXIT
	TEARDOWNS+=("$1")
}

problem() {
	echo "teardown: $1" >&2
	PROBLEMS="${PROBLEMS:+$PROBLEMS; }$1"
}

_teardown() {
	local i
	echo "--- teardown" >&2
	for ((i = ${#TEARDOWNS[@]} - 1; i >= 0; i--)); do
		"${TEARDOWNS[i]}"
	done
	[ -z "$PROBLEMS" ] && return 0
	if [ -s "$T_STATE/reason" ]; then
		printf '%s; left behind: %s\n' "$(cat "$T_STATE/reason")" "$PROBLEMS" >"$T_STATE/reason"
	else
		echo "left behind: $PROBLEMS" >"$T_STATE/reason"
	fi
	exit 1
}

# procs_mentioning TEXT: the pids of processes whose command line has TEXT.
# (The pattern comes from a file: grep's own command line must not have it.)
procs_mentioning() {
	grep -laF -f <(printf '%s\n' "$1") /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
	return 0
}

# proc_ended PID: PID is gone or a zombie.
proc_ended() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

no_procs_mentioning() {
	[ -z "$(procs_mentioning "$1")" ]
}

# settle TEXT WHAT: wait up to 10 s for the processes mentioning TEXT (the
# clients' monitors, shims, cleanup commands) to end; kill what is left.
settle() {
	local left p
	wait_until 10 no_procs_mentioning "$1" && return 0
	left=$(procs_mentioning "$1")
	[ -z "$left" ] && return 0
	for p in $left; do
		[ -d "/proc/$p" ] || continue
		problem "$2 process $p still running: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-160)"
		kill -KILL "$p" 2>/dev/null
	done
}

# rm_cgroup_tree DIR: remove a cgroup directory and the groups below it
# (empty ones only: rmdir refuses the others).
rm_cgroup_tree() {
	[ -d "$1" ] && find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
	return 0
}

# The runtime's own state directory when podman gives it no --root
# (runc: /run/runc, pocket-runc: /run/pocket-runc).
RT_DEFAULT_ROOT=/run/$RUNTIME_NAME

# ---------------------------------------------------------------------------
# podman: a private store under T_TMP/podman.  PM is the command.

podman_setup() {
	need_root
	need_busybox
	need_cmd podman conmon
	need_runtime
	PM_DIR=$T_TMP/podman
	mkdir -p "$PM_DIR/vol"
	private_podman_conf "$PM_DIR" "$RUNTIME_NAME" "$RUNTIME_NAME" "$RUNTIME"
	PM=(env CONTAINERS_CONF="$PM_DIR/containers.conf" podman --root "$PM_DIR/root"
		--runroot "$PM_DIR/runroot" --tmpdir "$PM_DIR/tmp" --storage-driver overlay)
	PM_HAD_RUN_LIBPOD=0
	[ -e /run/libpod ] && PM_HAD_RUN_LIBPOD=1
	PM_HAD_LIBPOD_PARENT=0
	compgen -G '/sys/fs/cgroup/*/libpod_parent' >/dev/null && PM_HAD_LIBPOD_PARENT=1
	PM_HAD_RT_ROOT=0
	[ -e "$RT_DEFAULT_ROOT" ] && PM_HAD_RT_ROOT=1
	on_teardown podman_teardown
	pm import -q "$BUSYBOX_TAR" "$IMAGE"
	assert_ok "podman import of the busybox fixture"
}

pm() {
	client "${PM[@]}" "$@"
}

# The ids of every container this test's podman made (its events log).
pm_container_ids() {
	grep -F '"Type":"container"' "$PM_DIR/tmp/events.log" 2>/dev/null |
		grep -oE '"ID":"[0-9a-f]{64}"' | cut -d'"' -f4 | sort -u
}

podman_teardown() {
	local id d left
	# (After a failure its containers may be in any state: not news.)
	if ! timeout -k 5 60 "${PM[@]}" rm -af -t 0 >&2 2>&1 && [ ! -s "$T_STATE/reason" ]; then
		problem "podman rm -af failed"
	fi
	settle "$PM_DIR" podman
	for id in $(pm_container_ids); do
		left=$(compgen -G "/sys/fs/cgroup/*/libpod_parent/libpod-$id")
		if [ -n "$left" ]; then
			problem "cgroup /libpod_parent/libpod-$id (in $(echo "$left" | wc -l) hierarchies)"
			for d in $left; do rm_cgroup_tree "$d"; done
		fi
		if [ -d "$RT_DEFAULT_ROOT" ]; then
			left=$(find "$RT_DEFAULT_ROOT" -name "*$id*" 2>/dev/null)
			if [ -n "$left" ]; then
				problem "runtime state of a removed container: $(echo "$left" | head -n 3 | tr '\n' ' ')"
				echo "$left" | while read -r d; do rm -rf --one-file-system "$d"; done
			fi
		fi
	done
	if [ "$PM_HAD_LIBPOD_PARENT" = 0 ]; then
		for d in /sys/fs/cgroup/*/libpod_parent; do rm_cgroup_tree "$d"; done
	fi
	if [ "$PM_HAD_RUN_LIBPOD" = 0 ] && [ -e /run/libpod ]; then
		problem "/run/libpod"
		rm -rf --one-file-system /run/libpod
	fi
	# The runtime's state directory, when this test made it.
	[ "$PM_HAD_RT_ROOT" = 0 ] && [ -d "$RT_DEFAULT_ROOT" ] && rm -rf --one-file-system "$RT_DEFAULT_ROOT"
	return 0
}

# pm_field ID FORMAT: podman inspect's FORMAT of ID in PM_VALUE.
pm_field() {
	pm inspect --format "$2" "$1"
	assert_ok "podman inspect --format '$2'"
	PM_VALUE=$OUT
}

# pm_logs_have ID TEXT: the container's log (stdout) has TEXT.
pm_logs_have() {
	local out
	out=$(timeout -k 5 "$CLIENT_TIMEOUT" "${PM[@]}" logs "$1" 2>/dev/null)
	[[ $out == *"$2"* ]]
}

# pm_run_d ARGS...: `podman run -d ARGS...`; the container's id in CID.
pm_run_d() {
	pm run -d "$@"
	assert_ok "podman run -d"
	assert_match "$OUT" '^[0-9a-f]{64}$' "podman run -d prints the id"
	CID=$OUT
}

# ---------------------------------------------------------------------------
# containerd: a private daemon under T_TMP/ctr, a namespace of this test's
# own.  CT is ctr's command, CT_RT the options naming the runtime.

containerd_setup() {
	need_root
	need_cmd containerd ctr containerd-shim-runc-v2
	podman_setup # the image: podman's import, saved as an OCI archive
	CT_DIR=$T_TMP/ctr
	CT_NS=pdt-$T_TAG
	mkdir -p "$CT_DIR/vol"
	cat >"$CT_DIR/config.toml" <<EOF
version = 2
root = "$CT_DIR/root"
state = "$CT_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CT_DIR/containerd.sock"
[ttrpc]
  address = "$CT_DIR/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CT_DIR/opt"
EOF
	CT=(ctr --address "$CT_DIR/containerd.sock" -n "$CT_NS")
	CT_RT=(--runc-binary "$RUNTIME" --runc-root "$CT_DIR/runc" --fifo-dir "$CT_DIR/fifo")
	CT_HAD_RUN=0
	[ -e /run/containerd ] && CT_HAD_RUN=1
	setsid containerd --config "$CT_DIR/config.toml" >"$CT_DIR/containerd.log" 2>&1 &
	CT_PID=$!
	on_teardown containerd_teardown
	wait_until 15 ct_answers ||
		fail "containerd did not come up: $(tail -n 5 "$CT_DIR/containerd.log")"
	pm save --format oci-archive -o "$CT_DIR/busybox-oci.tar" "$IMAGE"
	assert_ok "podman save of the image as an OCI archive"
	ct images import --base-name localhost/busybox "$CT_DIR/busybox-oci.tar"
	assert_ok "ctr images import"
}

ct() {
	client "${CT[@]}" "$@"
}

ct_answers() {
	timeout 2 "${CT[@]}" version >/dev/null 2>&1
}

# ct_status ID: the task's status as `ctr task ls` shows it (RUNNING,
# PAUSED, STOPPED...), empty when there is none.
ct_status() {
	timeout -k 5 "$CLIENT_TIMEOUT" "${CT[@]}" task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'
}

# ct_status_is ID STATUS
ct_status_is() {
	[ "$(ct_status "$1")" = "$2" ]
}

ct_not_running() {
	[ "$(ct_status "$1")" != RUNNING ]
}

containerd_teardown() {
	local id ids d left
	ids=$(timeout -k 5 "$CLIENT_TIMEOUT" "${CT[@]}" containers ls -q 2>/dev/null)
	for id in $ids; do
		# A test that failed midway leaves its containers: not news.
		[ -s "$T_STATE/reason" ] || problem "containerd container $id"
		timeout -k 5 "$CLIENT_TIMEOUT" "${CT[@]}" task kill -s KILL "$id" >&2 2>&1
		wait_until 5 ct_not_running "$id"
		timeout -k 5 "$CLIENT_TIMEOUT" "${CT[@]}" task delete -f "$id" >&2 2>&1
		timeout -k 5 "$CLIENT_TIMEOUT" "${CT[@]}" containers rm "$id" >&2 2>&1
	done
	kill -TERM "$CT_PID" 2>/dev/null
	if ! wait_until 10 proc_ended "$CT_PID"; then
		problem "containerd did not stop on SIGTERM (killed)"
		kill -KILL "$CT_PID" 2>/dev/null
	fi
	wait "$CT_PID" 2>/dev/null
	settle "$CT_DIR" containerd
	# The runtime's cgroups (cgroupsPath /<namespace>/<id>): the
	# namespace's group is expected, a container's is a leftover.
	left=$(compgen -G "/sys/fs/cgroup/*/$CT_NS/*/" | awk -F/ '{print $(NF-1)}' | sort | uniq -c)
	[ -n "$left" ] && problem "cgroups of containers (count, id): $(echo "$left" | tr -s ' \n' ' ')"
	for d in /sys/fs/cgroup/*/"$CT_NS"; do rm_cgroup_tree "$d"; done
	if [ "$CT_HAD_RUN" = 0 ]; then
		# The shims' sockets are made under /run/containerd/s whatever
		# the config says; only empty directories go (another
		# containerd may have come meanwhile).
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
	fi
	return 0
}

# ---------------------------------------------------------------------------
# podman

# run --rm: the command's output, its stderr, its exit status; the
# container is gone afterwards.
test_podman_run() {
	podman_setup
	pm run --rm "$IMAGE" echo "hello-$T_TAG"
	assert_ok "podman run --rm echo"
	assert_out "hello-$T_TAG"
	pm run --rm "$IMAGE" sh -c 'echo to-stderr >&2; exit 7'
	assert_exit 7 "the workload's exit status through podman run"
	assert_contains "$ERR" "to-stderr" "the container's stderr"
	pm ps -aq
	assert_ok
	assert_out "" "podman ps -a after run --rm"
}

# run -d then exec: the exec'd process joins the container (its pid 1 is
# the container's), gets stdin with -i, and its exit status is exec's.
test_podman_exec() {
	podman_setup
	pm_run_d "$IMAGE" sleep 1000
	pm exec "$CID" echo "in-exec-$T_TAG"
	assert_ok "podman exec echo"
	assert_out "in-exec-$T_TAG"
	pm exec "$CID" cat /proc/1/cmdline
	assert_ok
	assert_eq "sleep1000" "$(tr -d '\0' <"$OUT_FILE")" "pid 1 seen by exec (the container's pid namespace)"
	pm exec "$CID" sh -c 'exit 5'
	assert_exit 5 "exec's exit status"
	printf 'line-one\nline-two\n' >"$T_TMP/stdin"
	client_in "$T_TMP/stdin" "${PM[@]}" exec -i "$CID" sh -c 'wc -l; echo done'
	assert_ok "podman exec -i"
	assert_out "2
done" "exec -i reads its stdin"
	pm rm -f -t 0 "$CID"
	assert_ok "podman rm -f"
	pm ps -aq
	assert_out "" "podman ps -a after rm"
}

# run -t and exec -t: the process's stdio is a terminal of the container's.
test_podman_tty() {
	need_cmd script
	podman_setup
	client_tty "${PM[@]}" run --rm -t "$IMAGE" sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
	assert_ok "podman run -t"
	assert_match "$OUT" '^/dev/pts/[0-9]+$' "tty in run -t"
	assert_line "$OUT" "stdin-is-a-tty" "run -t: stdin"
	pm_run_d "$IMAGE" sleep 1000
	client_tty "${PM[@]}" exec -t "$CID" sh -c 'tty; exit 6'
	assert_exit 6 "exec -t's exit status"
	assert_match "$OUT" '^/dev/pts/[0-9]+$' "tty in exec -t"
	pm rm -f -t 0 "$CID"
	assert_ok
}

# logs and wait of a detached container: stdout and stderr kept apart, in
# order; the exit status.
test_podman_logs() {
	podman_setup
	pm_run_d "$IMAGE" sh -c 'echo out-1; echo err-1 >&2; echo out-2; exit 3'
	pm wait "$CID"
	assert_ok "podman wait"
	assert_out "3" "the exit status podman wait reports"
	pm logs "$CID"
	assert_ok "podman logs"
	assert_out "out-1
out-2" "the container's stdout"
	assert_eq "err-1" "$ERR" "the container's stderr"
	pm_field "$CID" '{{.State.Status}} {{.State.ExitCode}}'
	assert_eq "exited 3" "$PM_VALUE" "the container's state"
	pm rm "$CID"
	assert_ok "podman rm of an exited container"
}

# pause / unpause: a paused container's counter stands still and podman
# shows it paused; it counts again once unpaused.
test_podman_pause() {
	podman_setup
	local n=$PM_DIR/vol/n a b
	pm_run_d -v "$PM_DIR/vol:/vol" "$IMAGE" sh -c 'while :; do echo x >>/vol/n; sleep 0.1; done'
	wait_until 10 lines_above "$n" 2 || fail "the counter does not count"
	pm pause "$CID"
	assert_ok "podman pause"
	pm ps -a --format '{{.Status}}'
	assert_out "Paused" "podman ps -a of a paused container"
	pm_field "$CID" '{{.State.Status}}'
	assert_eq "paused" "$PM_VALUE" "inspect of a paused container"
	a=$(wc -l <"$n")
	sleep 1
	b=$(wc -l <"$n")
	assert_eq "$a" "$b" "the counter while paused"
	pm unpause "$CID"
	assert_ok "podman unpause"
	wait_until 10 lines_above "$n" "$b" || fail "the counter did not move after unpause"
	pm ps --format '{{.Status}}'
	assert_match "$OUT" '^Up ' "podman ps after unpause"
	pm rm -f -t 0 "$CID"
	assert_ok
}

# kill -s USR1 reaches the container's trap and the container goes on;
# kill (SIGKILL) ends it with 137.
test_podman_kill_signal() {
	podman_setup
	pm_run_d "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	wait_until 10 pm_logs_have "$CID" ready || fail "the container did not start its loop"
	pm kill -s USR1 "$CID"
	assert_ok "podman kill -s USR1"
	wait_until 10 pm_logs_have "$CID" got-usr1 || fail "SIGUSR1 did not reach the container's trap"
	pm_field "$CID" '{{.State.Status}}'
	assert_eq "running" "$PM_VALUE" "the container after SIGUSR1"
	pm kill "$CID"
	assert_ok "podman kill"
	pm wait "$CID"
	assert_out "137" "the exit status after SIGKILL"
	pm rm "$CID"
	assert_ok
}

# stop: SIGTERM reaches the container's trap (stop returns long before its
# timeout), the trap's exit status is the container's; then rm.
test_podman_stop() {
	podman_setup
	local t0 t1
	pm_run_d "$IMAGE" sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
	wait_until 10 pm_logs_have "$CID" ready || fail "the container did not start its loop"
	t0=$(date +%s)
	pm stop -t 20 "$CID"
	t1=$(date +%s)
	assert_ok "podman stop"
	[ $((t1 - t0)) -lt 10 ] || fail "podman stop took $((t1 - t0)) s: SIGTERM was not honoured"
	pm_field "$CID" '{{.State.Status}} {{.State.ExitCode}}'
	assert_eq "exited 3" "$PM_VALUE" "the state after stop"
	pm logs "$CID"
	assert_line "$OUT" "got-term" "the TERM trap ran"
	pm rm "$CID"
	assert_ok "podman rm"
	pm ps -aq
	assert_out "" "podman ps -a after rm"
}

# run --memory --pids-limit: the limits are on the host, in the cgroup
# podman named (cgroupfs: /libpod_parent/libpod-<id>), which holds the
# container's process; the container sees them; rm removes the group.
test_podman_limits() {
	podman_setup
	local cg pid line
	pm_run_d --memory 64m --pids-limit 50 "$IMAGE" sleep 1000
	pm_field "$CID" '{{.State.CgroupPath}}'
	cg=$PM_VALUE
	assert_eq "/libpod_parent/libpod-$CID" "$cg" "the container's cgroup path"
	pm_field "$CID" '{{.State.Pid}}'
	pid=$PM_VALUE
	[ "$pid" -gt 0 ] 2>/dev/null || fail "no pid for the container: '$pid'"
	line=$(grep -E '^[0-9]+:memory:' "/proc/$pid/cgroup")
	assert_eq "$cg" "${line#*:memory:}" "the memory cgroup of the container's process"
	line=$(grep -E '^[0-9]+:pids:' "/proc/$pid/cgroup")
	assert_eq "$cg" "${line#*:pids:}" "the pids cgroup of the container's process"
	assert_file_content "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 67108864 "memory.limit_in_bytes on the host"
	assert_file_content "/sys/fs/cgroup/pids$cg/pids.max" 50 "pids.max on the host"
	pm exec "$CID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
	assert_ok
	assert_out "67108864
50" "the limits seen in the container"
	pm rm -f -t 0 "$CID"
	assert_ok
	wait_until 5 gone "/sys/fs/cgroup/memory$cg" "/sys/fs/cgroup/pids$cg" ||
		fail "the container's cgroups are still there after rm"
}

# podman update --memory: the new limit reaches the host's cgroup.
test_podman_update() {
	podman_setup
	local cg
	pm_run_d --memory 64m "$IMAGE" sleep 1000
	pm_field "$CID" '{{.State.CgroupPath}}'
	cg=$PM_VALUE
	assert_file_content "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 67108864 "the limit before update"
	pm update --memory 96m "$CID"
	assert_ok "podman update --memory 96m"
	assert_file_content "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 100663296 "the limit after update"
	pm exec "$CID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_out "100663296" "the limit seen in the container after update"
	pm rm -f -t 0 "$CID"
	assert_ok
}

# A command that is missing or not executable: podman's 127 and 126 (it
# picks them from the runtime's error text), for run and for exec; the
# failed run --rm leaves no container.
test_podman_command_errors() {
	podman_setup
	pm run --rm "$IMAGE" "/nonexistent-$T_TAG"
	assert_exit 127 "run of a missing command"
	pm run --rm "$IMAGE" /etc/passwd
	assert_exit 126 "run of a file that is not executable"
	pm_run_d "$IMAGE" sleep 1000
	pm exec "$CID" "/nonexistent-$T_TAG"
	assert_exit 127 "exec of a missing command"
	pm exec "$CID" /etc/passwd
	assert_exit 126 "exec of a file that is not executable"
	pm exec "$CID" true
	assert_ok "exec after the failed ones"
	pm rm -f -t 0 "$CID"
	assert_ok
	pm ps -aq
	assert_out "" "podman ps -a after the failed runs"
}

# ---------------------------------------------------------------------------
# containerd

# ctr run --rm: output, stderr, the workload's exit status.
test_ctr_run() {
	containerd_setup
	ct run --rm "${CT_RT[@]}" "$IMAGE" r1 echo "hello-$T_TAG"
	assert_ok "ctr run --rm echo"
	assert_out "hello-$T_TAG"
	ct run --rm "${CT_RT[@]}" "$IMAGE" r2 sh -c 'echo to-stderr >&2; exit 9'
	assert_exit 9 "the workload's exit status through ctr run"
	assert_contains "$ERR" "to-stderr" "the container's stderr"
	ct containers ls -q
	assert_ok
	assert_out "" "ctr containers ls after run --rm"
}

# ctr run -d, then task exec, task ps, pause / resume (a counter stands
# still), kill -s KILL, task delete, container rm.
test_ctr_lifecycle() {
	containerd_setup
	local n=$CT_DIR/vol/n pid p a b line
	ct run -d "${CT_RT[@]}" --mount "type=bind,src=$CT_DIR/vol,dst=/vol,options=rbind:rw" "$IMAGE" c1 \
		sh -c 'while :; do echo x >>/vol/n; sleep 0.1; done'
	assert_ok "ctr run -d"
	wait_until 10 lines_above "$n" 2 || fail "the counter does not count"
	assert_eq RUNNING "$(ct_status c1)" "ctr task ls"
	ct task exec --fifo-dir "$CT_DIR/fifo" --exec-id e1 c1 sh -c "echo in-exec-$T_TAG; exit 4"
	assert_exit 4 "task exec's exit status"
	assert_out "in-exec-$T_TAG" "task exec's output"
	ct task ls
	pid=$(echo "$OUT" | awk '$1 == "c1" {print $2}')
	[ "$pid" -gt 0 ] 2>/dev/null || fail "no pid for the task in ctr task ls"
	ct task ps c1
	assert_ok "ctr task ps"
	assert_match "$OUT" "^$pid( |$)" "task ps lists the init's pid"
	# Each one is the container's (the loop's short-lived sleeps may be
	# gone by now).
	for p in $(echo "$OUT" | awk 'NR > 1 {print $1}'); do
		line=$(grep -E '^[0-9]+:memory:' "/proc/$p/cgroup" 2>/dev/null) || continue
		assert_eq "/$CT_NS/c1" "${line#*:memory:}" "the memory cgroup of pid $p that task ps lists"
	done
	ct task pause c1
	assert_ok "ctr task pause"
	assert_eq PAUSED "$(ct_status c1)" "ctr task ls after pause"
	a=$(wc -l <"$n")
	sleep 1
	b=$(wc -l <"$n")
	assert_eq "$a" "$b" "the counter while paused"
	ct task resume c1
	assert_ok "ctr task resume"
	assert_eq RUNNING "$(ct_status c1)" "ctr task ls after resume"
	wait_until 10 lines_above "$n" "$b" || fail "the counter did not move after resume"
	ct task kill -s KILL c1
	assert_ok "ctr task kill -s KILL"
	wait_until 10 ct_status_is c1 STOPPED || fail "the task is not stopped after SIGKILL: $(ct_status c1)"
	ct task delete c1
	assert_ok "ctr task delete"
	assert_eq "" "$(ct_status c1)" "ctr task ls after delete"
	ct containers rm c1
	assert_ok "ctr containers rm"
	ct containers ls -q
	assert_out "" "ctr containers ls after rm"
}

# ctr run -t and task exec -t: stdio on a terminal.
test_ctr_tty() {
	need_cmd script
	containerd_setup
	client_tty "${CT[@]}" run --rm -t "${CT_RT[@]}" "$IMAGE" t1 sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
	assert_ok "ctr run -t"
	assert_match "$OUT" '^/dev/pts/[0-9]+$' "tty in ctr run -t"
	assert_line "$OUT" "stdin-is-a-tty" "ctr run -t: stdin"
	ct run -d "${CT_RT[@]}" "$IMAGE" c1 sleep 1000
	assert_ok "ctr run -d"
	client_tty "${CT[@]}" task exec -t --fifo-dir "$CT_DIR/fifo" --exec-id e1 c1 sh -c 'tty; exit 6'
	assert_exit 6 "task exec -t's exit status"
	assert_match "$OUT" '^/dev/pts/[0-9]+$' "tty in task exec -t"
	ct task kill -s KILL c1
	assert_ok
	wait_until 10 ct_status_is c1 STOPPED || fail "the task is not stopped after SIGKILL"
	ct task delete c1
	assert_ok
	ct containers rm c1
	assert_ok
}

run_tests "$@"
