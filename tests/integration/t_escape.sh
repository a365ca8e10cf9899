#!/bin/bash
# Escape-class tests: each replays the shape of an attack that broke another
# runtime and shows that it fails here, and would be noticed if it worked
# (a host file changed, a host marker visible, a call succeeding).
#
#   /proc/PID/exe overwrite (runc CVE-2019-5736)
#   leaked host fds and -w /proc/self/fd/N (runc CVE-2024-21626)
#   symlinks planted at mount targets, /dev/null swap (CVE-2021-30465, 2025
#   masked-path class), writes meant for procfs
#   inheritable/ambient capabilities (CVE-2022-29162)
#   cgroup v1 release_agent (CVE-2022-0492)
#   TIOCSTI into the caller's terminal
#   hostile tarballs (what t_tarball.sh does not cover) and a gzip bomb
#   mount, unshare -U, keyctl, bpf, perf_event_open, ptrace, raw devices
#   the same key checks for a rootless container
#
# Safety: every hostile target is a path inside the test's own T_TMP, and
# _safe_target checks that before anything runs as root (an earlier test
# once overwrote the host's /etc/passwd).  Host-wide knobs are only ever
# "written" with the value they already hold.
#
# Uses the static probe (tests/fixtures/probe.c), built on demand into the
# fixtures directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROBE=$FIXTURES/probe
BUILD_PROBE=$REPO/tests/fixtures/build-probe.sh

# The calls a container must not make.  chroot and PTRACE_TRACEME are
# allowed in Docker's profile (controls, not listed).
DENIED_OPS="mount umount unshare-user unshare-mnt unshare-net clone-newuser keyctl add_key request_key
bpf perf_event_open kexec_load open_by_handle_at userfaultfd init_module finit_module delete_module
swapon reboot acct settimeofday clock_settime sethostname setns pivot_root iopl ioperm fsopen
open_tree move_mount mount_setattr personality syslog quotactl vhangup io_uring"
# shellcheck disable=SC2086
DENIED_OPS=$(echo $DENIED_OPS)

need_probe() {
	need_busybox
	if [ ! -x "$PROBE" ] || ! bash "$BUILD_PROBE" "$FIXTURES" >&2; then
		bash "$BUILD_PROBE" "$FIXTURES" >&2 || skip "cannot build the probe (needs cc and static glibc)"
	fi
}

probe_rootfs() {
	# probe_rootfs DIR: a private busybox rootfs with /bin/probe in it.
	need_probe
	copy_busybox_rootfs "$1"
	install -m 0755 "$PROBE" "$1/bin/probe" || fail "cannot copy the probe into $1"
}

_safe_target() {
	# _safe_target PATH...: each PATH is inside T_TMP (after resolving
	# what exists of it); fail before doing anything otherwise.
	local p real tmp
	tmp=$(realpath "$T_TMP")
	for p in "$@"; do
		case $p in
		"$T_TMP"/*) ;;
		*) fail "internal: hostile target '$p' is not inside T_TMP" ;;
		esac
		case $p in */../* | */..) fail "internal: hostile target '$p' contains '..'" ;; esac
		real=$(realpath -m "$p")
		case $real in
		"$tmp"/*) ;;
		*) fail "internal: hostile target '$p' resolves to '$real', outside T_TMP" ;;
		esac
	done
}

_host_mounts_at() {
	# Mount points in the host's mount table under DIR (none expected).
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

_probe_field() {
	# _probe_field KEY: the value of KEY=VALUE in OUT.
	printf '%s\n' "$OUT" | awk -F= -v k="$1" '$1 == k {sub(/^[^=]*=/, ""); print; exit}'
}

_assert_denied() {
	# _assert_denied OPS...: every "op=RESULT" line in OUT is EPERM (the
	# seccomp filter's answer, or a missing capability's: an EINVAL or
	# ENOENT would mean the call got through to the kernel's argument
	# checks).
	local op v
	for op in "$@"; do
		v=$(_probe_field "$op")
		[ -n "$v" ] || fail "probe reported nothing for '$op'"
		[ "$v" != OK ] || fail "'$op' succeeded inside the container"
		case $v in CRASHED*) fail "'$op' crashed the probe: $v" ;; esac
		[ "$v" = EPERM ] || fail "'$op' refused with $v, not EPERM"
	done
}

_pty_run() {
	# _pty_run CMD...: run CMD with a fresh pty as its controlling terminal
	# and stdio (as a user's shell would); sets OUT to its output, and
	# INJECTED to what was pushed into the terminal's input queue (what the
	# user's shell would read and run next).
	need_cmd python3
	cat >"$T_STATE/ptyrun.py" <<'PY'
import fcntl, os, pty, select, sys, termios, time, tty
master, slave = pty.openpty()
tty.setraw(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.close(slave)
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
st = 0
deadline = time.time() + 60
while True:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    p, st = os.waitpid(pid, os.WNOHANG)
    if p or time.time() > deadline:
        break
time.sleep(0.3)
while select.select([master], [], [], 0.1)[0]:
    try:
        d = os.read(master, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
os.set_blocking(slave, False)
try:
    injected = os.read(slave, 65536)
except BlockingIOError:
    injected = b""
open(sys.argv[0] + ".out", "wb").write(out.replace(b"\r", b""))
open(sys.argv[0] + ".inj", "wb").write(injected)
sys.exit(os.waitstatus_to_exitcode(st) if p else 124)
PY
	LAST_CMD=$(printf '%q ' "$@")
	echo "+ (in a pty) $LAST_CMD" >&2
	python3 "$T_STATE/ptyrun.py" "$@" </dev/null >&2 2>&1
	RC=$?
	OUT=$(cat "$T_STATE/ptyrun.py.out")
	INJECTED=$(cat "$T_STATE/ptyrun.py.inj")
	echo "  exit $RC; output: $OUT; injected: '$INJECTED'" >&2
}

# --- /proc/PID/exe: the runtime binary (CVE-2019-5736) ----------------------

test_init_pid1_exe_unreachable() {
	# With --init, PID 1 is the exec stub from its sealed memfd, never the
	# runtime's own image: its exe link leads to nothing of the host's,
	# whatever the container can open, and can never be written; PID 1
	# holds no fd of the runtime's.  With --cap-add SYS_PTRACE too, which
	# lets the container ptrace PID 1 (it could not reach a non-dumpable
	# process of the host's image before only because it lacked that
	# capability).
	probe_rootfs "$T_TMP/rootfs"
	local before devino caps
	before=$(sha256sum <"$PD")
	devino=$(stat -L -c %d:%i "$PD")
	for caps in "" "--cap-add SYS_PTRACE"; do
		# shellcheck disable=SC2086
		pd run --rm --init $caps --rootfs "$T_TMP/rootfs" /bin/sh -c '
			for m in w rw; do echo "open-$m=$(probe open /proc/1/exe $m)"; done
			echo "readlink=$(probe readlink /proc/1/exe)"
			echo "exe=$(stat -L -c %d:%i /proc/1/exe 2>/dev/null)"
			echo "ptrace=$(probe ptrace 1)"
			echo "fds=$(ls /proc/1/fd 2>&1 | tr "\n" " ")"
			(echo pwned > /proc/1/exe) 2>/dev/null && echo "shell-write=OK"
			echo done'
		assert_ok
		assert_contains "$OUT" done "the probe ran"
		assert_contains "$(_probe_field readlink)" "memfd:pd-exec-stub" "$caps: PID 1 runs the stub"
		assert_not_contains "$OUT" "exe=$devino" "$caps: /proc/1/exe is the host's binary"
		case $(_probe_field open-w)$(_probe_field open-rw) in
		*OK*) fail "$caps: /proc/1/exe opened for writing" ;;
		esac
		assert_not_contains "$OUT" "shell-write=OK" "$caps: writing /proc/1/exe"
		# PID 1 keeps 0-2 only (listed while readable at all).
		case $(_probe_field fds) in
		"0 1 2 " | *"ermission"*) ;;
		*) fail "$caps: PID 1 holds fds beyond stdio: '$(_probe_field fds)'" ;;
		esac
	done
	assert_eq "$before" "$(sha256sum <"$PD")" "hash of the host binary"
}

test_init_pid1_exe_race_at_start() {
	# The command's very first act is to grab /proc/1/exe: at no moment is
	# it the host's binary.
	probe_rootfs "$T_TMP/rootfs"
	local i before devino
	before=$(sha256sum <"$PD")
	devino=$(stat -L -c %d:%i "$PD")
	for i in $(seq 1 15); do
		pd run --rm --init --cap-add SYS_PTRACE --rootfs "$T_TMP/rootfs" /bin/sh -c 'stat -L -c %d:%i /proc/1/exe'
		assert_ok
		[ "$OUT" != "$devino" ] || fail "run $i: /proc/1/exe was the host's binary as the command started"
	done
	assert_eq "$before" "$(sha256sum <"$PD")" "hash of the host binary"
}

_exec_watch() {
	# _exec_watch CAPS: a watcher inside, given CAPS, follows every
	# process's /proc/PID/exe while 25 `exec`s come and go.
	local caps=$1 i before seen name
	name=w$RANDOM-$T_TAG
	before=$(sha256sum <"$PD")
	# shellcheck disable=SC2086
	pd run -d --name "$name" $caps --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	trap 'pd rm -f "'"$name"'" >/dev/null 2>&1' EXIT
	# Every process is checked against the host binary's own dev:ino (the
	# stat of a file on another filesystem: no false match inside).
	pd exec -d "$name" /bin/sh -c "probe watch-exe 5000 $(stat -L -c %d:%i "$PD") > /tmp/watch.out 2>&1; echo end >> /tmp/watch.out"
	assert_ok
	for i in $(seq 1 25); do
		pd exec -u 0 -w /tmp "$name" /bin/true
	done
	for i in $(seq 1 100); do
		pd exec "$name" /bin/cat /tmp/watch.out
		case $OUT in *end*) break ;; esac
		sleep 0.1
	done
	pd exec "$name" /bin/cat /tmp/watch.out
	assert_contains "$OUT" "leaked=0" "$caps: runtime processes whose exe the container could open"
	seen=$(printf '%s\n' "$OUT" | sed -n 's/.*seen=\([0-9]*\).*/\1/p')
	# No process running the runtime's image is ever inside the PID
	# namespace: the first one there is the exec stub's child.
	assert_eq "0" "$seen" "$caps: runtime processes seen inside the container"
	pd exec "$name" /bin/sh -c 'for p in /proc/[0-9]*; do probe readlink $p/exe; done'
	assert_not_contains "$OUT" "pocket-docker" "$caps: exe links inside the container"
	assert_eq "$before" "$(sha256sum <"$PD")" "hash of the host binary"
	pd rm -f "$name"
	trap - EXIT
}

test_exec_helper_exe_unreachable() {
	# During `exec` the runtime's image joins the container's namespaces;
	# a watcher inside tries to follow the /proc/PID/exe of every process
	# all along, first with Docker's capabilities, then with
	# CAP_SYS_PTRACE, which overrides non-dumpable (before the exec stub
	# forked the command, the helper's child ran the host's binary inside
	# the PID namespace until its exec).
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	_exec_watch ""
	_exec_watch "--cap-add SYS_PTRACE"
}

test_runtime_exe_through_interpreter() {
	# The runc CVE-2019-5736 attack itself: the image names /proc/self/exe
	# as a script's interpreter (or as the command), and ships its own
	# ld.so.  Were the runtime's image the process making the command's
	# execve, the kernel would load the runtime (a dynamic program) with the
	# image's ld.so, which then runs in a process whose /proc/self/exe is
	# the runtime's binary on the host: it reports that file's dev:ino and
	# chmods it 04777.  (Before the exec stub, this did make the binary
	# setuid and world-writable.)  Run on a copy of the binary, so a
	# failure cannot damage the one under test.
	probe_rootfs "$T_TMP/rootfs"
	[ -x "$FIXTURES/evil-interp" ] || skip "no evil-interp fixture (x86_64 only)"
	need_cmd readelf
	allow_containers_left
	mkdir -p "$T_TMP/bin"
	cp "$PD" "$T_TMP/bin/pocket-docker"
	chmod 0755 "$T_TMP/bin/pocket-docker"
	PD=$T_TMP/bin/pocket-docker
	local interp devino mode hash
	interp=$(readelf -l "$PD" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || skip "the runtime is not a dynamic program: no ld.so to plant"
	case $interp in /*) ;; *) fail "odd interpreter path '$interp'" ;; esac
	mkdir -p "$T_TMP/rootfs$(dirname "$interp")"
	rm -f "$T_TMP/rootfs$interp"
	install -m 0755 "$FIXTURES/evil-interp" "$T_TMP/rootfs$interp"
	printf '#!/proc/self/exe\n' >"$T_TMP/rootfs/bin/evil-script"
	chmod 0755 "$T_TMP/rootfs/bin/evil-script"
	devino=$(stat -c '%d:%i' "$PD")
	mode=$(stat -c '%a' "$PD")
	hash=$(sha256sum <"$PD")
	# Control: the planted payload does run and report, as a command.
	pd run --rm --rootfs "$T_TMP/rootfs" "$interp"
	assert_exit 42 "control: the payload run as the command"
	assert_contains "$OUT" "evil-interp exe=" "control: the payload reports"
	local how init
	for init in "" --init; do
		for how in /bin/evil-script /proc/self/exe; do
			# shellcheck disable=SC2086
			pd run --rm $init --rootfs "$T_TMP/rootfs" "$how"
			assert_not_contains "$OUT" "exe=$devino" "run $init $how: the runtime's binary reached from inside"
			assert_exit 126 "run $init $how"
			assert_contains "$ERR" "(/proc/self/exe): refused" "run $init $how: the refusal is explained"
			assert_eq "$mode" "$(stat -c '%a' "$PD")" "run $init $how: mode of the runtime's binary"
		done
	done
	pd run -d --name "ex-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	trap 'pd rm -f "ex-$T_TAG" >/dev/null 2>&1' EXIT
	for how in /bin/evil-script /proc/self/exe; do
		pd exec "ex-$T_TAG" "$how"
		assert_not_contains "$OUT" "exe=$devino" "exec $how: the runtime's binary reached from inside"
		assert_eq "$mode" "$(stat -c '%a' "$PD")" "exec $how: mode of the runtime's binary"
		case $how in
		/bin/evil-script)
			assert_exit 126 "exec $how"
			assert_contains "$ERR" "(/proc/self/exe): refused" "exec $how: the refusal is explained"
			;;
		*)
			# Looked up by the helper, which is outside the container's
			# PID namespace: there /proc/self names no process at all.
			assert_exit 127 "exec $how"
			;;
		esac
	done
	pd rm -f "ex-$T_TAG"
	assert_eq "$hash" "$(sha256sum <"$PD")" "hash of the runtime's binary"
}

# --- leaked fds and -w /proc/self/fd/N (CVE-2024-21626) ---------------------

_mk_host_marker_dir() {
	HOSTDIR=$T_TMP/hostdir-$T_TAG
	_safe_target "$HOSTDIR"
	mkdir -p "$HOSTDIR"
	echo "host secret" >"$HOSTDIR/HOSTMARK-$T_TAG"
}

_check_cwd_output() {
	# OUT of `probe cwd; ls; ls ..`: the cwd is inside the root, no marker.
	local what=$1
	case $OUT in
	*"HOSTMARK-$T_TAG"*) fail "$what: the container saw the host directory through its cwd" ;;
	*"(unreachable)"*) fail "$what: the container's cwd is outside its root: $OUT" ;;
	esac
}

test_workdir_proc_self_fd_run() {
	# A host directory open on fd N in the caller; `run -w /proc/self/fd/N`
	# (and friends) must be refused or stay inside the root.
	probe_rootfs "$T_TMP/rootfs"
	_mk_host_marker_dir
	local n wd
	for n in 3 4 5 6 7 8 9 10; do
		for wd in "/proc/self/fd/$n" "/proc/1/fd/$n" "/proc/self/cwd" "/proc/thread-self/fd/$n"; do
			# shellcheck disable=SC2261
			eval "exec $n<\"\$HOSTDIR\""
			pd run --rm -w "$wd" --rootfs "$T_TMP/rootfs" /bin/sh -c 'probe cwd; ls; ls ..'
			eval "exec $n<&-"
			_check_cwd_output "run -w $wd with a host directory on fd $n"
			if [ "$RC" != 0 ]; then
				assert_exit 125 "run -w $wd refused"
				assert_error_line "run -w $wd"
			fi
		done
	done
}

test_workdir_proc_self_fd_exec() {
	# The same through `exec -w`.
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	_mk_host_marker_dir
	local n
	pd run -d --name "fd-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "fd-$T_TAG" >/dev/null 2>&1' EXIT
	for n in 3 4 5 6 7 8 9 10; do
		eval "exec $n<\"\$HOSTDIR\""
		pd exec -w "/proc/self/fd/$n" "fd-$T_TAG" /bin/sh -c 'probe cwd; ls; ls ..'
		eval "exec $n<&-"
		_check_cwd_output "exec -w /proc/self/fd/$n with a host directory on fd $n"
	done
	pd rm -f "fd-$T_TAG"
}

test_workdir_symlink_to_proc_fd_exec() {
	# The container itself turns its working directory into a symlink to
	# /proc/self/fd/N; a later `exec` (which uses the container's working
	# directory) from a caller holding a host directory on fd N must not
	# start with its cwd there (runc's CVE-2024-21626 "attack 2").
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	_mk_host_marker_dir
	local n
	pd run -d --name "wl-$T_TAG" -w /work --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "wl-$T_TAG" >/dev/null 2>&1' EXIT
	for n in 3 4 5 6 7 8 9 10; do
		pd exec -w / "wl-$T_TAG" /bin/sh -c "rm -rf /work; ln -s /proc/self/fd/$n /work"
		assert_ok
		eval "exec $n<\"\$HOSTDIR\""
		pd exec "wl-$T_TAG" /bin/sh -c 'probe cwd; ls; ls ..'
		eval "exec $n<&-"
		_check_cwd_output "exec into a container whose workdir links to /proc/self/fd/$n"
		if [ "$RC" != 0 ]; then
			assert_exit 125 "exec with the workdir linked to /proc/self/fd/$n refused"
			assert_error_line "exec with the workdir linked to /proc/self/fd/$n"
		fi
	done
	# The same link to a directory fd the exec's own process has open
	# (its stdin redirected from a directory cannot be: 0-2 are stdio).
	pd exec -w / "wl-$T_TAG" /bin/sh -c "rm -rf /work; ln -s /proc/self/cwd/.. /work"
	assert_ok
	pd exec "wl-$T_TAG" /bin/sh -c 'probe cwd; ls; ls ..'
	_check_cwd_output "exec into a container whose workdir links to /proc/self/cwd/.."
	pd rm -f "wl-$T_TAG"
}

test_no_host_fds_inside() {
	# Whatever the caller has open (a host directory, a file), the command
	# sees only 0, 1 and 2; in run and in exec.
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	_mk_host_marker_dir
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/probe fds 5<"$HOSTDIR" 7<"$HOSTDIR/HOSTMARK-$T_TAG"
	assert_ok
	assert_eq "0 1 2" "$(printf '%s\n' "$OUT" | awk '{print $1}' | sort -n | tr '\n' ' ' | sed 's/ $//')" "fds in a run"
	pd run -d --name "fds-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "fds-$T_TAG" >/dev/null 2>&1' EXIT
	pd exec "fds-$T_TAG" /bin/probe fds 5<"$HOSTDIR" 7<"$HOSTDIR/HOSTMARK-$T_TAG"
	assert_ok
	assert_eq "0 1 2" "$(printf '%s\n' "$OUT" | awk '{print $1}' | sort -n | tr '\n' ' ' | sed 's/ $//')" "fds in an exec"
	# Nor does PID 1 of the container hold any (--init).
	pd run --rm --init --rootfs "$T_TMP/rootfs" /bin/sh -c 'ls /proc/1/fd 2>&1 | tr "\n" " "' 5<"$HOSTDIR"
	assert_ok
	assert_not_contains "$OUT" " 5 " "fds of the --init PID 1"
	pd rm -f "fds-$T_TAG"
}

_exec_stdio_attack() {
	# _exec_stdio_attack AS_USER EXEC_ARGS...: an exec whose stdout and
	# stderr are a root-owned host file and whose stdin is a host
	# directory.  The command tries to make the files behind its fds 1 and
	# 2 setuid, to list the directory behind fd 0 and to walk from it to the
	# host's root.  Sets RC, OUT (the command's output, as written to the
	# host file).
	local as=$1
	shift
	local out=$T_TMP/exec-out-$T_TAG
	rm -f "$out"
	: >"$out"
	chmod 0644 "$out"
	local cmd=(setpriv --reuid="$as" --regid="$as" --init-groups env HOME=/)
	[ "$as" = root ] && cmd=()
	echo "+ ${cmd[*]} $PD exec $* <$HOSTDIR >$out" >&2
	timeout -k 5 "$CMD_TIMEOUT" "${cmd[@]}" "$PD" --root "$T_ROOT" exec "$@" /bin/sh -c '
		chmod 4755 /proc/self/fd/1 /proc/self/fd/2 2>/dev/null
		ls /proc/self/fd/0/ 2>/dev/null; ls /proc/self/fd/0/../ 2>/dev/null
		cat /proc/self/fd/0/HOSTMARK-* 2>/dev/null
		for f in 0 1 2; do echo "fd$f=$(probe readlink /proc/$$/fd/$f)"; done
		echo done' <"$HOSTDIR" >"$out" 2>&1
	RC=$?
	OUT=$(cat "$out")
	echo "  exit $RC" >&2
	sed 's/^/  out| /' "$out" >&2
	EXEC_OUT_MODE=$(stat -c %a "$out")
}

_check_exec_stdio() {
	local what=$1
	assert_eq 644 "$EXEC_OUT_MODE" "$what: mode of the host file given as stdout"
	assert_not_contains "$OUT" "HOSTMARK-$T_TAG" "$what: the host directory given as stdin"
	assert_not_contains "$OUT" "host secret" "$what: a host file read through stdin"
	case $(_probe_field fd0) in
	"/dev/null" | pipe:*) ;;
	*) fail "$what: the command's stdin is '$(_probe_field fd0)'" ;;
	esac
	case $(_probe_field fd1)$(_probe_field fd2) in
	pipe:*pipe:*) ;;
	*) fail "$what: the command's stdout/stderr are '$(_probe_field fd1)' '$(_probe_field fd2)'" ;;
	esac
}

test_exec_caller_stdio_never_enters() {
	# `exec` relays its streams through pipes of the runtime's own: the
	# caller's files never enter the container, redirected or not, with
	# -i, or with -d (whose command gets the container's own /dev/null).
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	_mk_host_marker_dir
	pd run -d --name "io-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	trap 'pd rm -f "io-$T_TAG" >/dev/null 2>&1' EXIT
	_exec_stdio_attack root "io-$T_TAG"
	assert_ok
	assert_contains "$OUT" done "the command ran"
	_check_exec_stdio "exec"
	_exec_stdio_attack root -i "io-$T_TAG"
	assert_ok
	_check_exec_stdio "exec -i"
	# -d: nothing of ours is passed; the command writes its findings
	# into the container.
	_exec_stdio_attack root -d "io-$T_TAG"
	assert_ok
	assert_eq 644 "$EXEC_OUT_MODE" "exec -d: mode of the host file given as stdout"
	pd exec "io-$T_TAG" /bin/sh -c 'sleep 0.3; ls -l /proc/1/fd/ >/dev/null; echo checked'
	pd exec -d "io-$T_TAG" /bin/sh -c 'exec 3>/tmp/d.part; for f in 0 1 2; do echo "fd$f=$(probe readlink /proc/$$/fd/$f)" >&3; done; mv /tmp/d.part /tmp/d.out'
	assert_ok
	local i
	for i in $(seq 1 50); do
		pd exec "io-$T_TAG" /bin/cat /tmp/d.out
		case $OUT in *fd2=*) break ;; esac
		sleep 0.1
	done
	assert_eq "/dev/null" "$(_probe_field fd0)" "exec -d: stdin"
	assert_eq "/dev/null" "$(_probe_field fd1)" "exec -d: stdout"
	assert_eq 644 "$(stat -c %a "$T_TMP/exec-out-$T_TAG")" "host file after exec -d"
	pd rm -f "io-$T_TAG"
	trap - EXIT
}

test_host_device_nodes_unchangeable() {
	# /dev/null, /dev/zero... are binds of the host's own inodes: the
	# container's root can use them but never chmod, chown or touch them
	# (that would change the host's /dev/null for everyone), neither
	# directly nor through a masked /proc path bound from /dev/null, nor
	# through the /dev/null an `exec -d` gets as its stdout.
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	local before after
	before=$(stat -c '%n %a %u:%g %Y' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty)
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		for d in null zero full random urandom tty; do
			chmod 4777 /dev/$d 2>/dev/null && echo "chmod-$d=OK"
			chown 1:1 /dev/$d 2>/dev/null && echo "chown-$d=OK"
			touch -d 2001-01-01 /dev/$d 2>/dev/null && echo "touch-$d=OK"
		done
		chmod 4777 /proc/kcore /proc/timer_list 2>/dev/null && echo "chmod-masked=OK"
		echo data > /dev/null && echo write-null=ok
		head -c 3 /dev/zero | wc -c'
	assert_ok
	assert_not_contains "$OUT" "=OK" "a host device node changed from inside"
	assert_contains "$OUT" "write-null=ok" "the devices still work"
	pd run -d --name "dv-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	trap 'pd rm -f "dv-$T_TAG" >/dev/null 2>&1' EXIT
	pd exec -d "dv-$T_TAG" /bin/sh -c 'chmod 4755 /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2'
	assert_ok
	sleep 0.5
	pd rm -f "dv-$T_TAG"
	trap - EXIT
	after=$(stat -c '%n %a %u:%g %Y' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty)
	if [ "$before" != "$after" ]; then
		# Put the host back before failing.
		chmod 0666 /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
		chown root:root /dev/null /dev/zero /dev/full /dev/random /dev/urandom
		chown root:tty /dev/tty 2>/dev/null
		fail "host device nodes changed: before '$before', after '$after'"
	fi
}

test_exec_planted_dev_null() {
	# The container replaces its /dev/null with a FIFO (or a link to a
	# file): an exec that needs it fails at once with a clear error; it
	# never hangs and never opens the planted file.
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	# /dev/null is a mount point: only a container given CAP_SYS_ADMIN
	# can take it away and plant something else.
	pd run -d --name "dn-$T_TAG" --cap-add SYS_ADMIN --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	trap 'pd rm -f "dn-$T_TAG" >/dev/null 2>&1' EXIT
	pd exec "dn-$T_TAG" /bin/sh -c 'umount -l /dev/null && rm -f /dev/null && mkfifo /dev/null'
	assert_ok
	pd exec "dn-$T_TAG" /bin/true
	assert_exit 125 "exec with a FIFO at /dev/null"
	assert_contains "$ERR" "not the null device" "the error says why"
	pd exec -i "dn-$T_TAG" /bin/sh -c 'rm -f /dev/null; echo x > /tmp/f; ln -s /tmp/f /dev/null'
	assert_ok
	pd exec -d "dn-$T_TAG" /bin/true
	assert_exit 125 "exec -d with a symlink at /dev/null"
	pd rm -f "dn-$T_TAG"
	trap - EXIT
}

# --- symlinks planted in the rootfs (CVE-2021-30465 class) ------------------

test_symlink_at_volume_tmpfs_device_targets() {
	probe_rootfs "$T_TMP/rootfs"
	local tgt=$T_TMP/target-$T_TAG rel
	_safe_target "$tgt" "$tgt/dir" "$tgt/tmpfs" "$tgt/file" "$tgt/devfile" "$tgt/reldir" "$T_TMP/vol" "$T_TMP/volfile"
	mkdir -p "$tgt/dir" "$tgt/tmpfs" "$tgt/reldir" "$T_TMP/vol"
	echo "host file" >"$tgt/file"
	echo "host dev target" >"$tgt/devfile"
	echo "volume file" >"$T_TMP/volfile"
	# Absolute and ../-relative links, each to a host path in T_TMP.
	rel=$(printf '../%.0s' $(seq 1 20))
	ln -s "$tgt/dir" "$T_TMP/rootfs/mnt/vol"
	ln -s "$rel${tgt#/}/reldir" "$T_TMP/rootfs/mnt/relvol"
	ln -s "$tgt/tmpfs" "$T_TMP/rootfs/mnt/tmp"
	ln -s "$tgt/file" "$T_TMP/rootfs/etc/volfile"
	ln -s "$tgt/devfile" "$T_TMP/rootfs/mnt/zero"
	local before_mounts before_tree
	before_tree=$(manifest "$tgt")
	before_mounts=$(_host_mounts_at "$T_TMP")
	pd run --rm -v "$T_TMP/vol:/mnt/vol" -v "$T_TMP/vol:/mnt/relvol" -v "$T_TMP/volfile:/etc/volfile" \
		--tmpfs /mnt/tmp --device /dev/zero:/mnt/zero --rootfs "$T_TMP/rootfs" /bin/sh -c "
		echo pwned > /mnt/vol/pwned-$T_TAG; echo pwned > /mnt/relvol/pwned-rel-$T_TAG
		echo pwned > /mnt/tmp/pwned-$T_TAG; echo pwned >> /etc/volfile
		head -c 2 /mnt/zero | od -An -tx1; echo done"
	if [ "$RC" = 0 ]; then
		assert_contains "$OUT" done "the command ran"
		[ -f "$T_TMP/vol/pwned-$T_TAG" ] || fail "the volume did not receive the write (where did it go?)"
		assert_contains "$(cat "$T_TMP/volfile")" pwned "the file volume received the write"
	else
		assert_exit 125 "planted symlinks: refused"
		assert_error_line "planted symlinks"
	fi
	assert_eq "$before_tree" "$(manifest "$tgt")" "host targets of the planted symlinks"
	assert_eq "$before_mounts" "$(_host_mounts_at "$T_TMP")" "host mounts under the test directory"
}

test_symlink_at_proc_dev_sys() {
	# /proc, /dev, /sys (and /sys/fs/cgroup) of the image are symlinks to
	# host directories holding decoys: the new filesystems must not be
	# mounted there, nothing may be written there, and a container that
	# runs must have the real ones.
	local d tgt
	for d in proc dev sys; do
		rm -rf "$T_TMP/rootfs"
		probe_rootfs "$T_TMP/rootfs"
		tgt=$T_TMP/fake-$d-$T_TAG
		_safe_target "$tgt"
		mkdir -p "$tgt/sys/kernel" "$tgt/fs/cgroup"
		echo decoy >"$tgt/sys/kernel/core_pattern"
		echo decoy >"$tgt/null"
		echo decoy >"$tgt/kcore"
		rm -rf "${T_TMP:?}/rootfs/$d"
		ln -s "$tgt" "$T_TMP/rootfs/$d"
		local before
		before=$(manifest "$tgt")
		pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
			echo x > /dev/null; echo x > /proc/sys/kernel/core_pattern 2>/dev/null
			echo "fs=$(stat -f -c %T /proc) $(stat -f -c %T /dev) $(stat -f -c %T /sys)"'
		if [ "$RC" = 0 ]; then
			assert_contains "$OUT" "fs=proc tmpfs sysfs" "/$d planted as a symlink: the real filesystems"
		else
			assert_exit 125 "/$d planted as a symlink: refused"
			assert_error_line "/$d planted as a symlink"
		fi
		assert_eq "$before" "$(manifest "$tgt")" "host decoy directory behind /$d"
		assert_eq "" "$(_host_mounts_at "$tgt")" "host mounts at the decoy behind /$d"
	done
}

test_etc_files_planted_symlinks() {
	# The runtime writes /etc/hosts, /etc/hostname, /etc/resolv.conf into
	# the root: links there to host files must be replaced, not followed.
	probe_rootfs "$T_TMP/rootfs"
	local f tgt=$T_TMP/etc-$T_TAG before
	_safe_target "$tgt"
	mkdir -p "$tgt"
	for f in hosts hostname resolv.conf; do
		echo "host $f" >"$tgt/$f"
		rm -f "$T_TMP/rootfs/etc/$f"
		ln -s "$tgt/$f" "$T_TMP/rootfs/etc/$f"
	done
	before=$(manifest "$tgt")
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c 'cat /etc/hostname >/dev/null; echo pwned >> /etc/hosts; echo ok'
	if [ "$RC" = 0 ]; then
		assert_out ok
	else
		assert_exit 125
		assert_error_line "planted /etc links"
	fi
	assert_eq "$before" "$(manifest "$tgt")" "host files behind the image's /etc links"
}

test_dev_null_symlink_swap() {
	# The image's /dev/null (and /dev/console, /dev/pts) link to host files;
	# the masks over /proc use /dev/null: they must be the real device and
	# the host files must not change (CVE-2025-31133 shape).
	probe_rootfs "$T_TMP/rootfs"
	local tgt=$T_TMP/null-$T_TAG before
	_safe_target "$tgt"
	mkdir -p "$tgt"
	echo "host file behind /dev/null" >"$tgt/nullfile"
	echo "host file behind /dev/console" >"$tgt/console"
	mkdir -p "$T_TMP/rootfs/dev"
	ln -s "$tgt/nullfile" "$T_TMP/rootfs/dev/null"
	ln -s "$tgt/console" "$T_TMP/rootfs/dev/console"
	ln -s "$tgt" "$T_TMP/rootfs/dev/pts"
	before=$(manifest "$tgt")
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		echo pwned > /dev/null
		echo pwned > /proc/kcore 2>/dev/null; echo pwned > /proc/timer_list 2>/dev/null
		for p in /dev/null /proc/kcore /proc/keys /proc/timer_list; do
			[ -e $p ] && echo "$p $(stat -c "%F %t:%T" $p)"
		done; echo done'
	assert_ok
	assert_contains "$OUT" "/dev/null character special file 1:3" "/dev/null inside"
	printf '%s\n' "$OUT" | grep '^/proc/' | grep -v 'character special file 1:3' |
		grep -q . && fail "a masked /proc file is not /dev/null: $OUT"
	assert_eq "$before" "$(manifest "$tgt")" "host files behind the image's /dev links"
	assert_eq "" "$(_host_mounts_at "$tgt")" "host mounts at the /dev decoys"
}

# --- procfs and sysfs knobs ------------------------------------------------

test_host_knobs_unwritable() {
	# Each knob is written with the value it already holds: a success would
	# be an escape but would change nothing.
	probe_rootfs "$T_TMP/rootfs"
	local knobs=() k vals=() before=()
	for k in /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /proc/sys/vm/panic_on_oom \
		/proc/sys/kernel/hotplug /sys/kernel/uevent_helper /sys/kernel/mm/transparent_hugepage/enabled \
		/sys/fs/cgroup/memory/release_agent /sys/fs/cgroup/devices/release_agent; do
		[ -f "$k" ] || continue
		knobs+=("$k")
		before+=("$(cat "$k" 2>/dev/null | head -c 200 | sha256sum)")
	done
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		for k in "$@"; do
			[ -e "$k" ] || { echo "$k absent"; continue; }
			v=$(cat "$k" 2>/dev/null | head -c 200)
			case $k in */transparent_hugepage/*) v=$(echo "$v" | sed "s/.*\[\(.*\)\].*/\1/") ;; esac
			if (printf "%s\n" "$v" > "$k") 2>/dev/null; then echo "$k WRITABLE"; else echo "$k refused"; fi
		done
		(echo h > /proc/sysrq-trigger) 2>/dev/null && echo "sysrq WRITABLE"
		touch /sys/pd-probe 2>/dev/null && echo "sys WRITABLE"
		echo done' sh "${knobs[@]}"
	assert_ok
	assert_contains "$OUT" done "the probe ran"
	assert_not_contains "$OUT" WRITABLE "host knobs written from inside"
	local i
	for i in "${!knobs[@]}"; do
		assert_eq "${before[$i]}" "$(cat "${knobs[$i]}" 2>/dev/null | head -c 200 | sha256sum)" "host ${knobs[$i]}"
	done
}

# --- capabilities (CVE-2022-29162) -----------------------------------------

test_caps_exec_and_non_root() {
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	pd run -d --name "caps-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "caps-$T_TAG" >/dev/null 2>&1' EXIT
	pd exec "caps-$T_TAG" /bin/probe ids
	assert_ok
	assert_eq 0000000000000000 "$(_probe_field CapInh)" "exec: CapInh"
	assert_eq 0000000000000000 "$(_probe_field CapAmb)" "exec: CapAmb"
	assert_eq "$CAPS_DEFAULT" "$(_probe_field CapBnd)" "exec: CapBnd"
	assert_eq "$CAPS_DEFAULT" "$(_probe_field CapEff)" "exec: CapEff"
	assert_eq 1 "$(_probe_field NoNewPrivs)" "exec: NoNewPrivs"
	assert_eq 2 "$(_probe_field Seccomp)" "exec: Seccomp"
	pd exec -u 1000 "caps-$T_TAG" /bin/probe ids
	assert_ok
	assert_eq 1000,1000,1000 "$(_probe_field uid)" "exec -u 1000: uid"
	assert_eq 0000000000000000 "$(_probe_field CapEff)" "exec -u 1000: CapEff"
	assert_eq 0000000000000000 "$(_probe_field CapPrm)" "exec -u 1000: CapPrm"
	assert_eq 0000000000000000 "$(_probe_field CapInh)" "exec -u 1000: CapInh"
	assert_eq 0000000000000000 "$(_probe_field CapAmb)" "exec -u 1000: CapAmb"
	assert_eq "$CAPS_DEFAULT" "$(_probe_field CapBnd)" "exec -u 1000: CapBnd"
	pd rm -f "caps-$T_TAG"
}

test_file_caps_and_setuid_gain_nothing() {
	# A binary with inheritable+effective file capabilities run by a
	# non-root user gains them only if the process has them inheritable
	# (CVE-2022-29162); a setuid-root binary gains nothing under
	# no_new_privs; file caps outside the bounding set never apply.
	probe_rootfs "$T_TMP/rootfs"
	need_cmd setcap
	cp "$T_TMP/rootfs/bin/probe" "$T_TMP/rootfs/bin/probe-fcaps"
	setcap cap_net_raw,cap_chown+eip "$T_TMP/rootfs/bin/probe-fcaps" ||
		skip "setcap failed on this filesystem"
	cp "$T_TMP/rootfs/bin/probe" "$T_TMP/rootfs/bin/probe-fadmin"
	setcap cap_sys_admin+ei "$T_TMP/rootfs/bin/probe-fadmin" || skip "setcap failed on this filesystem"
	cp "$T_TMP/rootfs/bin/probe" "$T_TMP/rootfs/bin/probe-suid"
	chmod 4755 "$T_TMP/rootfs/bin/probe-suid"
	pd run --rm -u 1000 --rootfs "$T_TMP/rootfs" /bin/probe-fcaps ids
	assert_ok
	assert_eq 0000000000000000 "$(_probe_field CapEff)" "-u 1000, file caps +eip: CapEff"
	assert_eq 0000000000000000 "$(_probe_field CapPrm)" "-u 1000, file caps +eip: CapPrm"
	pd run --rm -u 1000 --rootfs "$T_TMP/rootfs" /bin/probe-suid ids
	assert_ok
	assert_eq 1000,1000,1000 "$(_probe_field uid)" "-u 1000, setuid-root binary: uid"
	assert_eq 0000000000000000 "$(_probe_field CapEff)" "-u 1000, setuid-root binary: CapEff"
	pd run --rm -u 1000 --rootfs "$T_TMP/rootfs" /bin/probe-fadmin ids
	assert_ok
	assert_eq 0000000000000000 "$(_probe_field CapEff)" "-u 1000, file caps sys_admin+ei: CapEff"
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/probe-fadmin ids
	assert_ok
	# CAP_SYS_ADMIN is bit 21: never, whatever the file says.
	local eff=$(( 16#$(_probe_field CapEff) ))
	[ $(( eff & (1 << 21) )) -eq 0 ] || fail "root gained CAP_SYS_ADMIN from file capabilities: $(_probe_field CapEff)"
}

# --- cgroups (CVE-2022-0492) ----------------------------------------------

test_cgroup_release_agent_unreachable() {
	probe_rootfs "$T_TMP/rootfs"
	local f before=()
	local agents=(/sys/fs/cgroup/*/release_agent)
	for f in "${agents[@]}"; do
		[ -f "$f" ] && before+=("$f=$(cat "$f")")
	done
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		for f in /sys/fs/cgroup/*/release_agent; do
			[ -e "$f" ] || continue
			(printf "%s" "$(cat $f)" > $f) 2>/dev/null && echo "$f WRITABLE"
		done
		for f in /sys/fs/cgroup/*/notify_on_release /sys/fs/cgroup/*/*/notify_on_release; do
			[ -e "$f" ] || continue
			(cat $f > $f) 2>/dev/null && echo "$f WRITABLE"
		done
		mkdir /sys/fs/cgroup/memory/pd-x 2>/dev/null && echo "mkdir cgroup OK"
		mkdir -p /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg 2>/dev/null && echo "cgroup mount OK"
		mount -t cgroup2 none /tmp/cg 2>/dev/null && echo "cgroup2 mount OK"
		echo done'
	assert_ok
	assert_contains "$OUT" done "the probe ran"
	assert_not_contains "$OUT" WRITABLE "cgroup release_agent / notify_on_release written from inside"
	assert_not_contains "$OUT" "mount OK" "cgroupfs mounted from inside"
	assert_not_contains "$OUT" "mkdir cgroup OK" "cgroup created from inside"
	for f in "${before[@]}"; do
		assert_eq "$f" "${f%%=*}=$(cat "${f%%=*}")" "host release_agent"
	done
}

# --- TIOCSTI -------------------------------------------------------------

test_tiocsti_run() {
	# From a user's terminal: the container must not be able to push input
	# into it (the user's shell would run it after we exit).
	probe_rootfs "$T_TMP/rootfs"
	_pty_run "$PD" --root "$T_ROOT" run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		probe tiocsti /dev/tty "echo PWNED-A"; probe tiocsti 0 "echo PWNED-B"
		probe tiocsti 1 "echo PWNED-C"; probe tiocsti 2 "echo PWNED-D"'
	assert_contains "$OUT" "tiocsti=" "the probe ran (run)"
	assert_eq "" "$INJECTED" "input pushed into the caller's terminal by run"
	_pty_run "$PD" --root "$T_ROOT" run --rm -it --rootfs "$T_TMP/rootfs" /bin/sh -c '
		probe tiocsti /dev/tty "echo PWNED-E"; probe tiocsti 0 "echo PWNED-F"'
	assert_contains "$OUT" "tiocsti=" "the probe ran (run -it)"
	assert_eq "" "$INJECTED" "input pushed into the caller's terminal by run -it"
}

test_tiocsti_exec() {
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	pd run -d --name "tty-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "tty-$T_TAG" >/dev/null 2>&1' EXIT
	local mode
	for mode in "" "-i" "-t" "-it" "-d"; do
		# shellcheck disable=SC2086
		_pty_run "$PD" --root "$T_ROOT" exec $mode "tty-$T_TAG" /bin/sh -c '
			probe tiocsti /dev/tty "echo PWNED-A"; probe tiocsti 0 "echo PWNED-B"
			probe tiocsti 1 "echo PWNED-C"; probe tiocsti 2 "echo PWNED-D"'
		[ "$mode" = -d ] && sleep 1
		[ "$mode" = -d ] || assert_contains "$OUT" "tiocsti=" "the probe ran (exec $mode)"
		assert_eq "" "$INJECTED" "input pushed into the caller's terminal by exec ${mode:-(no flags)}"
	done
	pd rm -f "tty-$T_TAG"
}

# --- hostile tarballs (beyond t_tarball.sh) --------------------------------

test_tarball_gzip_bomb() {
	# 1 GiB of zeros in about 1 MiB of gzip, made on the fly; the limit
	# stops it with a clear error and nothing is left in the cache.
	need_busybox
	need_cmd python3
	python3 - "$T_TMP/bomb.tar.gz" <<'PY' || fail "cannot build the bomb"
import sys, tarfile, zlib
class Zeros:
    def __init__(self, n): self.left = n
    def read(self, k=-1):
        k = self.left if k < 0 else min(k, self.left)
        self.left -= k
        return bytes(k)
with tarfile.open(sys.argv[1], "w:gz", compresslevel=1) as t:
    info = tarfile.TarInfo("bin/zeros")
    info.size = 1 << 30
    t.addfile(info, Zeros(info.size))
PY
	echo "bomb: $(stat -c %s "$T_TMP/bomb.tar.gz") bytes" >&2
	local t0=$SECONDS
	POCKET_DOCKER_MAX_EXTRACT=100m pd run --rm --rootfs "$T_TMP/bomb.tar.gz" /bin/true
	assert_exit 125 "gzip bomb with POCKET_DOCKER_MAX_EXTRACT=100m"
	assert_error_line "gzip bomb"
	assert_match "$ERR" 'limit of 104857600 bytes' "the error names the limit"
	assert_contains "$ERR" POCKET_DOCKER_MAX_EXTRACT "the error says how to raise it"
	[ -z "$(cache_entries | grep -v '\.lock$')" ] || fail "the cache holds after the bomb: $(cache_entries | tr '\n' ' ')"
	[ $((SECONDS - t0)) -lt 30 ] || fail "the bomb took $((SECONDS - t0))s to refuse"
}

test_tarball_links_through_planted_symlinks() {
	# A directory symlink to a host directory, then a directory entry, a
	# file and a hardlink through it; a hardlink to a symlink that points
	# out; a device node (the overlay is nodev: never openable).
	need_busybox
	need_cmd python3
	local tgt=$T_TMP/tar-target-$T_TAG before links
	_safe_target "$tgt"
	mkdir -p "$tgt/dir"
	echo "host secret" >"$tgt/secret"
	before=$(manifest "$tgt")
	links=$(stat -c %h "$tgt/secret")
	python3 - "$T_TMP/evil.tar" "$BUSYBOX_DIR" "$tgt" <<'PY' || fail "cannot build the tarball"
import io, sys, tarfile
out, base, tgt = sys.argv[1:]
def ent(name, **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items(): setattr(i, k, v)
    return i
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    t.add(base, arcname=".")
    t.addfile(ent("d", type=tarfile.SYMTYPE, linkname=tgt + "/dir"))
    t.addfile(ent("d", type=tarfile.DIRTYPE, mode=0o777))
    t.addfile(ent("d/pwned", size=6), io.BytesIO(b"pwned\n"))
    t.addfile(ent("s", type=tarfile.SYMTYPE, linkname=tgt))
    t.addfile(ent("s/pwned2", size=6), io.BytesIO(b"pwned\n"))
    t.addfile(ent("h", type=tarfile.LNKTYPE, linkname="s/secret"))
    t.addfile(ent("ls", type=tarfile.SYMTYPE, linkname=tgt + "/secret"))
    t.addfile(ent("hl", type=tarfile.LNKTYPE, linkname="ls"))
    t.addfile(ent("hl", type=tarfile.LNKTYPE, linkname="ls", size=6), io.BytesIO(b"pwned\n"))
    t.addfile(ent("mem", type=tarfile.CHRTYPE, devmajor=1, devminor=1, mode=0o666))
    t.addfile(ent("disk", type=tarfile.BLKTYPE, devmajor=7, devminor=0, mode=0o666))
PY
	pd run --rm --rootfs "$T_TMP/evil.tar" /bin/sh -c '
		head -c 1 /mem >/dev/null 2>&1 && echo "opened /mem"
		head -c 1 /disk >/dev/null 2>&1 && echo "opened /disk"
		cat /h /hl 2>/dev/null | grep -q "host secret" && echo "read host secret"
		echo pwned >> /hl 2>/dev/null; echo pwned > /s/x 2>/dev/null; echo ok'
	if [ "$RC" = 0 ]; then
		assert_not_contains "$OUT" opened "device nodes from the tarball"
		assert_not_contains "$OUT" "read host secret" "a host file through the tarball's links"
	else
		assert_exit 125 "hostile links refused"
		assert_error_line "hostile links"
	fi
	assert_eq "$before" "$(manifest "$tgt")" "host directory the tarball links to"
	assert_eq "$links" "$(stat -c %h "$tgt/secret")" "link count of the host file"
}

# --- refused calls ---------------------------------------------------------

test_dangerous_calls_refused() {
	probe_rootfs "$T_TMP/rootfs"
	allow_containers_left
	# shellcheck disable=SC2086
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/probe try $DENIED_OPS ptrace-traceme
	assert_ok
	# shellcheck disable=SC2086
	_assert_denied $DENIED_OPS
	assert_eq OK "$(_probe_field ptrace-traceme)" "control: PTRACE_TRACEME is allowed"
	# Control: the probe does see these calls succeed where they may
	# (--privileged: all capabilities, no filter).
	pd run --rm --privileged --rootfs "$T_TMP/rootfs" /bin/probe try mount umount unshare-user unshare-mnt \
		clone-newuser keyctl add_key perf_event_open sethostname
	assert_ok
	for op in mount umount unshare-user unshare-mnt clone-newuser keyctl add_key perf_event_open sethostname; do
		assert_eq OK "$(_probe_field "$op")" "control: $op under --privileged"
	done
	pd run -d --name "calls-$T_TAG" --rootfs "$T_TMP/rootfs" /bin/sleep 60
	assert_ok
	assert_ok
	trap 'pd rm -f "calls-$T_TAG" >/dev/null 2>&1' EXIT
	# shellcheck disable=SC2086
	pd exec "calls-$T_TAG" /bin/probe try $DENIED_OPS
	assert_ok
	# shellcheck disable=SC2086
	_assert_denied $DENIED_OPS
	pd rm -f "calls-$T_TAG"
}

test_host_processes_invisible() {
	# No host process can be named, so none can be ptraced: /proc holds
	# the container's own only, and PID 1 is its command.
	probe_rootfs "$T_TMP/rootfs"
	sleep 60 &
	local host_sleep=$!
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c "
		echo pids=\$(ls -d /proc/[0-9]* | wc -l)
		echo pid1=\$(cat /proc/1/comm)
		echo hostpid=\$(probe ptrace $host_sleep)
		echo comms=\$(for p in /proc/[0-9]*; do cat \$p/comm; done | tr '\n' ,)
		echo done"
	kill "$host_sleep" 2>/dev/null
	wait "$host_sleep" 2>/dev/null
	assert_ok
	assert_contains "$OUT" done "the probe ran"
	[ "$(_probe_field pids)" -le 4 ] || fail "the container sees $(_probe_field pids) processes"
	assert_eq sh "$(_probe_field pid1)" "PID 1 is the container's command"
	assert_not_contains ",$(_probe_field comms)," ",sleep," "host process visible inside"
	[ "$(_probe_field hostpid)" != OK ] || fail "ptrace of host pid $host_sleep's number succeeded inside"
	# Control: ptrace itself works inside (a process of the container's
	# own), so the refusal above is the host process being out of reach.
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c 'sleep 30 & echo own=$(probe ptrace $!); kill $!'
	assert_ok
	assert_eq OK "$(_probe_field own)" "control: ptrace of the container's own process"
}

test_raw_devices_absent() {
	probe_rootfs "$T_TMP/rootfs"
	pd run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		echo "blk=$(find /dev -type b | tr "\n" " ")"
		for d in /dev/sda /dev/vda /dev/nvme0n1 /dev/mem /dev/kmem /dev/port /dev/kmsg; do
			[ -e $d ] && echo "present $d"
		done
		probe mknod /tmp/disk 7 0; probe mknod /dev/shm/disk 7 0; echo done'
	assert_ok
	assert_eq "" "$(_probe_field blk)" "block devices in /dev"
	assert_not_contains "$OUT" present "host devices in /dev"
	assert_not_contains "$OUT" "open=OK" "a block device made with mknod opened"
}

# --- rootless ---------------------------------------------------------------

_rootless_setup() {
	# A copy of the binary and a probe rootfs that user pdtest (with a
	# subordinate range, see t_rootless.sh) can read; its own state root.
	probe_rootfs "$T_TMP/rootfs"
	RL_USER=pdtest
	rootless_prepare "$RL_USER" yes
	# A tarball: the directory copy is root's, which the user cannot
	# write into (etc/hostname); extracted, it is the user's.
	tar -C "$T_TMP/rootfs" -cf "$T_TMP/rootfs.tar" . || fail "cannot make the rootless tarball"
	chmod 0644 "$T_TMP/rootfs.tar"
	RL_ROOTFS=$T_TMP/rootfs.tar
}

test_rootless_key_checks() {
	_rootless_setup
	local before
	before=$(sha256sum <"$PD")
	# shellcheck disable=SC2086
	pd_as "$RL_USER" run --rm --rootfs "$RL_ROOTFS" /bin/sh -c "probe ids; probe try $DENIED_OPS mknod-blk"
	assert_ok
	assert_eq 0000000000000000 "$(_probe_field CapInh)" "rootless: CapInh"
	assert_eq 0000000000000000 "$(_probe_field CapAmb)" "rootless: CapAmb"
	assert_eq "$CAPS_DEFAULT" "$(_probe_field CapBnd)" "rootless: CapBnd"
	assert_eq 1 "$(_probe_field NoNewPrivs)" "rootless: NoNewPrivs"
	# shellcheck disable=SC2086
	_assert_denied $DENIED_OPS
	pd_as "$RL_USER" run --rm -u 1000 --rootfs "$RL_ROOTFS" /bin/probe ids
	assert_ok
	assert_eq 0000000000000000 "$(_probe_field CapEff)" "rootless -u 1000: CapEff"
	pd_as "$RL_USER" run --rm --init --rootfs "$RL_ROOTFS" /bin/sh -c '
		echo "readlink=$(probe readlink /proc/1/exe)"; echo "exe=$(stat -L -c %d:%i /proc/1/exe)"'
	assert_ok
	assert_contains "$(_probe_field readlink)" "memfd:pd-exec-stub" "rootless --init: PID 1 runs the stub"
	assert_not_contains "$OUT" "exe=$(stat -L -c %d:%i "$PD")" "rootless --init: /proc/1/exe is the host's binary"
	assert_eq "$before" "$(sha256sum <"$PD")" "hash of the binary"
	_mk_host_marker_dir
	chmod 0755 "$HOSTDIR"
	exec 7<"$HOSTDIR"
	pd_as "$RL_USER" run --rm -w /proc/self/fd/7 --rootfs "$RL_ROOTFS" /bin/sh -c 'probe cwd; ls; ls ..'
	exec 7<&-
	_check_cwd_output "rootless run -w /proc/self/fd/7"
}

test_rootless_tiocsti() {
	_rootless_setup
	_pty_run setpriv --reuid="$RL_USER" --regid="$RL_USER" --init-groups env HOME=/ \
		"$PD" --root "$T_ROOT" run --rm --rootfs "$RL_ROOTFS" /bin/sh -c '
		probe tiocsti /dev/tty "echo PWNED-A"; probe tiocsti 0 "echo PWNED-B"'
	assert_contains "$OUT" "tiocsti=" "the probe ran (rootless)"
	assert_eq "" "$INJECTED" "input pushed into the caller's terminal by a rootless run"
}

test_rootless_exec_caller_stdio_never_enters() {
	_rootless_setup
	allow_containers_left
	_mk_host_marker_dir
	chmod 0755 "$HOSTDIR"
	pd_as "$RL_USER" run -d --name "rio-$T_TAG" --rootfs "$RL_ROOTFS" /bin/sleep 60
	assert_ok
	trap 'pd_as "'"$RL_USER"'" rm -f "rio-$T_TAG" >/dev/null 2>&1' EXIT
	_exec_stdio_attack "$RL_USER" "rio-$T_TAG"
	assert_ok
	assert_contains "$OUT" done "the command ran (rootless)"
	_check_exec_stdio "rootless exec"
	_exec_stdio_attack "$RL_USER" -i "rio-$T_TAG"
	_check_exec_stdio "rootless exec -i"
	pd_as "$RL_USER" rm -f "rio-$T_TAG"
	trap - EXIT
}

run_tests "$@"
