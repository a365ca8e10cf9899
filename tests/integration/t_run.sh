#!/bin/bash
# `pocket-docker run` from a directory: output, exit codes, the command line
# (--cmd, trailing arguments), hostname, env, workdir, user, stdin, --init,
# signal forwarding, the state root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

test_echo_output() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/echo "Hello from container"
	assert_ok
	assert_out "Hello from container"
	assert_eq "" "$ERR" "stderr"
}

test_exit_status_is_the_commands() {
	need_busybox
	local code
	for code in 0 1 3 42 255; do
		pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c "exit $code"
		assert_exit "$code" "sh -c 'exit $code'"
	done
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/false
	assert_exit 1 "/bin/false"
}

test_exit_signal_under_init() {
	# With --init the shell is not PID 1, so it can kill itself: 128+9.
	need_busybox
	pd run --rm --init --rootfs "$BUSYBOX_DIR" /bin/sh -c 'kill -9 $$'
	assert_exit 137 "sh -c 'kill -9 \$\$' under --init"
}

test_exit_signal_killed_from_host() {
	# Without --init the command is PID 1, which the kernel protects from
	# its own namespace's signals; SIGKILL from the host still kills it.
	need_busybox
	local victim i=0
	pd_bg run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo ready; while :; do sleep 0.1; done' "victim-$T_TAG"
	wait_for_output "$BG_OUT" ready || { wait_bg 5; fail "container did not start"; }
	victim=$(find_container_pid sh "victim-$T_TAG") || { kill -KILL "$BG_PID"; wait_bg 5; fail "container's sh not found on the host"; }
	echo "killing container pid $victim with SIGKILL" >&2
	kill -KILL "$victim"
	wait_bg 15
	assert_exit 137 "run after its PID 1 got SIGKILL"
}

test_missing_command_127() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" "/bin/no-such-command-$T_TAG"
	assert_exit 127 "absolute path that does not exist"
	assert_error_line "missing command"
	assert_contains "$ERR" "no-such-command-$T_TAG" "error names the command"
	assert_match "$ERR" '[Ee][Xx][Ee][Cc]' "error names the failing step (exec)"
	pd run --rm --rootfs "$BUSYBOX_DIR" "no-such-command-$T_TAG"
	assert_exit 127 "command looked up in PATH that does not exist"
	assert_error_line "missing command in PATH"
}

test_not_executable_126() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /etc/passwd
	assert_exit 126 "non-executable file as the command"
	assert_error_line "non-executable file"
	assert_contains "$ERR" "/etc/passwd" "error names the command"
	pd run --rm --rootfs "$BUSYBOX_DIR" /etc
	assert_exit 126 "directory as the command"
	assert_error_line "directory as command"
}

test_runtime_failure_125() {
	need_busybox
	pd run --rm --rootfs "$T_TMP/no-such-rootfs-$T_TAG" /bin/true
	assert_exit 125 "--rootfs that does not exist"
	assert_error_line "missing rootfs"
	assert_contains "$ERR" "no-such-rootfs-$T_TAG" "error names the rootfs"
	pd run --rm /bin/true
	assert_exit 125 "run without --rootfs"
	assert_error_line "missing --rootfs"
	pd run --rm --rootfs "$BUSYBOX_DIR" --no-such-flag /bin/true
	assert_exit 125 "unknown flag"
	assert_error_line "unknown flag"
}

test_pid_one() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo $$'
	assert_ok
	assert_out 1 "\$\$ inside"
}

test_cmd_shell_words() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "/bin/echo 'a  b' \"c  d\" e\\ f"
	assert_ok
	assert_out "a  b c  d e f" "single quotes, double quotes, backslash"
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "/bin/sh -c 'echo \$((1+2)); exit 4'"
	assert_exit 4 "--cmd \"/bin/sh -c '...; exit 4'\""
	assert_out 3 "sh -c in --cmd"
	# The seed's form: a loop in single quotes.
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "/bin/sh -c 'for i in 1 2; do echo \$i; done'"
	assert_ok
	assert_out $'1\n2' "seed-style --cmd loop"
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "/bin/sh -c 'echo [\$1][\$2]' zero '' \"x y\""
	assert_ok
	assert_out "[][x y]" "empty word and quoted word"
	local cmd
	cmd=$(cat <<'CMD'
/bin/echo "say \"hi\"" 'it'"s"
CMD
)
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "$cmd"
	assert_ok
	assert_out "say \"hi\" its" "escaped double quote; adjacent quoted parts join"
}

test_cmd_unbalanced_quote() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" --cmd "/bin/echo 'oops"
	assert_exit 125 "--cmd with an unbalanced quote"
	assert_error_line "unbalanced quote"
}

test_trailing_args() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -- /bin/echo -n hello
	assert_ok
	assert_eq "hello" "$(cat "$OUT_FILE")" "output of echo -n after --"
	assert_eq 5 "$(wc -c <"$OUT_FILE")" "byte count (no newline)"
	# Options after the command belong to the command, not to run.
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/echo -e 'a\tb'
	assert_ok
	assert_out $'a\tb' "echo -e after the command"
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/echo --rm --name x -v a:b
	assert_ok
	assert_out "--rm --name x -v a:b" "run's own flags after the command"
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo "$0:$1:$2"' zero one "two words"
	assert_ok
	assert_out "zero:one:two words" "arguments with spaces"
}

test_hostname_default_short_id() {
	need_busybox
	allow_containers_left
	local first second
	pd run --rootfs "$BUSYBOX_DIR" /bin/sh -c 'hostname; cat /etc/hostname'
	assert_ok
	first=$(printf '%s\n' "$OUT" | sed -n 1p)
	assert_match "$first" '^[0-9a-f]{12}$' "default hostname (short id)"
	assert_eq "$first" "$(printf '%s\n' "$OUT" | sed -n 2p)" "/etc/hostname"
	if [ -n "$(ls -A "$T_ROOT/containers" 2>/dev/null)" ]; then
		ls -A "$T_ROOT/containers" | grep -q "^$first" ||
			fail "no containers/<ID> starts with the hostname $first: $(ls -A "$T_ROOT/containers")"
	fi
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/hostname
	assert_ok
	second=$OUT
	assert_match "$second" '^[0-9a-f]{12}$' "default hostname of a second container"
	[ "$first" != "$second" ] || fail "two containers got the same id $first"
}

test_hostname_flag() {
	need_busybox
	pd run --rm --hostname "box-$T_TAG" --rootfs "$BUSYBOX_DIR" /bin/sh -c 'hostname; cat /etc/hostname'
	assert_ok
	assert_out "box-$T_TAG"$'\n'"box-$T_TAG" "hostname and /etc/hostname"
	[ "$(hostname)" != "box-$T_TAG" ] || fail "the host's hostname changed"
}

test_name_flag() {
	need_busybox
	pd run --rm --name "web-$T_TAG" --rootfs "$BUSYBOX_DIR" /bin/echo named
	assert_ok
	assert_out named
}

test_env_flags() {
	need_busybox
	export PD_FROM_HOST="host value $T_TAG"
	export PD_HOST_ONLY="must-not-leak"
	unset PD_UNSET_VAR
	pd run --rm --rootfs "$BUSYBOX_DIR" -e FOO=bar -e "SPACED=a b" --env EQ=x=y \
		-e PD_FROM_HOST -e PD_UNSET_VAR /usr/bin/env
	assert_ok
	assert_line "$OUT" "FOO=bar" "-e FOO=bar"
	assert_line "$OUT" "SPACED=a b" "-e with a space"
	assert_line "$OUT" "EQ=x=y" "--env value with '='"
	assert_contains "$OUT" "PD_FROM_HOST=host value $T_TAG" "-e KEY takes the host's value"
	assert_not_contains "$OUT" "PD_UNSET_VAR" "-e KEY unset on the host"
	assert_not_contains "$OUT" "PD_HOST_ONLY" "host environment must not leak"
}

test_env_file() {
	need_busybox
	export PD_FROM_HOST="from-host-$T_TAG"
	printf '%s\n' "A=1" "# a comment" "" "B=two words" "PD_FROM_HOST" "C=x=y" >"$T_TMP/env.list"
	pd run --rm --rootfs "$BUSYBOX_DIR" --env-file "$T_TMP/env.list" /usr/bin/env
	assert_ok
	assert_line "$OUT" "A=1" "A from --env-file"
	assert_line "$OUT" "B=two words" "B from --env-file"
	assert_line "$OUT" "C=x=y" "C from --env-file"
	assert_contains "$OUT" "PD_FROM_HOST=from-host-$T_TAG" "bare KEY in --env-file takes the host's value"
	assert_not_contains "$OUT" "comment" "comment line"
	pd run --rm --rootfs "$BUSYBOX_DIR" --env-file "$T_TMP/no-such-file" /usr/bin/env
	assert_exit 125 "--env-file that does not exist"
	assert_error_line "missing env file"
}

test_env_defaults() {
	need_busybox
	export PD_HOST_ONLY="must-not-leak"
	pd run --rm --rootfs "$BUSYBOX_DIR" /usr/bin/env
	assert_ok
	assert_line "$OUT" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "default PATH (Docker's)"
	assert_line "$OUT" "HOME=/root" "HOME for root"
	assert_not_contains "$OUT" "PD_HOST_ONLY" "host environment must not leak"
	assert_not_contains "$OUT" "T_ROOT" "host environment must not leak"
}

test_workdir() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/pwd
	assert_ok
	assert_out / "default working directory"
	pd run --rm --rootfs "$BUSYBOX_DIR" -w /tmp /bin/pwd
	assert_ok
	assert_out /tmp "-w /tmp"
	pd run --rm --rootfs "$BUSYBOX_DIR" --workdir /home/app /bin/pwd
	assert_ok
	assert_out /home/app "--workdir /home/app"
}

test_workdir_created() {
	# Like Docker, a missing working directory is created (in the
	# container's own layer, not in the source directory).
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -w "/made/by-run-$T_TAG" /bin/pwd
	assert_ok
	assert_out "/made/by-run-$T_TAG" "-w of a missing directory"
	assert_absent "$BUSYBOX_DIR/made" "workdir created in the source directory:"
}

test_user_numeric() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 1000 /bin/sh -c 'id -u; id -g; echo $HOME'
	assert_ok
	assert_out $'1000\n1000\n/home/app' "-u 1000 (uid, gid from /etc/passwd, HOME)"
}

test_user_name() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" --user app /bin/sh -c 'id -u; id -g; echo $HOME; id -un'
	assert_ok
	assert_out $'1000\n1000\n/home/app\napp' "-u app"
}

test_user_uid_gid() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 1000:1000 /bin/sh -c 'id -u; id -g'
	assert_ok
	assert_out $'1000\n1000' "-u 1000:1000"
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 1000:0 /bin/sh -c 'id -u; id -g'
	assert_ok
	assert_out $'1000\n0' "-u 1000:0"
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 4242:4343 /bin/sh -c 'id -u; id -g'
	assert_ok
	assert_out $'4242\n4343' "-u 4242:4343 (not in /etc/passwd)"
	pd run --rm --rootfs "$BUSYBOX_DIR" -u 0 /bin/sh -c 'id -u; id -g'
	assert_ok
	assert_out $'0\n0' "-u 0"
}

test_user_groups_dropped() {
	# The invoking process's supplementary groups must not reach the
	# container: run pocket-docker with groups 4444 and 5555.
	need_busybox
	need_cmd setpriv
	_pd_exec /dev/null setpriv --groups 4444,5555 "$PD" --root "$T_ROOT" \
		run --rm --rootfs "$BUSYBOX_DIR" -u 1000 /bin/sh -c 'grep Groups /proc/self/status'
	assert_ok
	assert_match "$OUT" '^Groups:[[:space:]]*(1000[[:space:]]*)?$' "supplementary groups for -u 1000"
	_pd_exec /dev/null setpriv --groups 4444,5555 "$PD" --root "$T_ROOT" \
		run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c 'grep Groups /proc/self/status'
	assert_ok
	assert_not_contains "$OUT" 4444 "supplementary groups of root in the container"
}

test_user_unknown_name() {
	need_busybox
	pd run --rm --rootfs "$BUSYBOX_DIR" -u "nosuchuser$T_TAG" /usr/bin/id
	[ "$RC" != 0 ] || fail "-u with an unknown name succeeded"
	assert_error_line "unknown user"
	assert_contains "$ERR" "nosuchuser$T_TAG" "error names the user"
}

test_stdin_is_dev_null_without_i() {
	need_busybox
	pd_stdin "from the host" run --rm --rootfs "$BUSYBOX_DIR" /bin/cat
	assert_ok
	assert_out "" "stdin without -i"
	pd_stdin "from the host" run --rm -i --rootfs "$BUSYBOX_DIR" /bin/cat
	assert_ok
	assert_out "from the host" "stdin with -i"
}

test_no_host_fds() {
	need_busybox
	exec 7>"$T_TMP/leak-w" 8<"$BUSYBOX_DIR/etc/passwd"
	# PID 1 is sleep itself (a shell would hold pipe and saved fds of its
	# own); its fds are read by an exec'd ls.
	pd run -d --name fds --rootfs "$BUSYBOX_DIR" /bin/sleep 30
	exec 7>&- 8<&-
	assert_ok
	pd exec fds /bin/ls /proc/1/fd
	assert_ok
	assert_eq "0 1 2" "$(echo $OUT)" "fds open in the container's PID 1"
	pd rm -f fds
	assert_ok
}

test_init_reaps_zombies() {
	# An orphan ("sleep 0" whose parent exited) is reparented to PID 1.
	# With --init, PID 1 is the runtime's init, which reaps it; the command
	# itself ("exec sleep") never would.  A second subshell lists the
	# process states after the orphan has exited.
	need_busybox
	local script='(sleep 0 &); (sleep 0.5; echo "pid1=$(cat /proc/1/comm)"; cat /proc/[0-9]*/stat) & exec sleep 1'
	pd run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c "$script"
	echo "without --init (for comparison): $(printf '%s\n' "$OUT" | grep -c ') Z ') zombie(s)" >&2
	pd run --rm --init --rootfs "$BUSYBOX_DIR" /bin/sh -c "$script"
	assert_ok
	assert_not_contains "$OUT" "pid1=sleep" "PID 1 under --init"
	if printf '%s\n' "$OUT" | grep -q ') Z '; then
		fail "zombie left under --init: $(printf '%s\n' "$OUT" | grep ') Z ')"
	fi
	pd run --rm --init --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo $$'
	assert_ok
	[ "$OUT" != 1 ] || fail "under --init the command is PID 1"
}

test_init_forwards_signal() {
	need_busybox
	pd_bg run --rm --init --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo ready; exec sleep 100'
	wait_for_output "$BG_OUT" ready || { kill -KILL "$BG_PID"; wait_bg 5; fail "container did not start"; }
	sleep 0.2
	kill -TERM "$BG_PID"
	wait_bg 15
	assert_exit 143 "SIGTERM to run with --init and a plain sleep"
}

_check_forwarded() {
	local sig=$1
	pd_bg run --rm --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		"trap 'echo got $sig; exit 7' $sig; echo ready; while :; do sleep 0.1; done"
	wait_for_output "$BG_OUT" ready || { kill -KILL "$BG_PID"; wait_bg 5; fail "container did not start"; }
	kill -"$sig" "$BG_PID"
	wait_bg 15
	assert_exit 7 "exit status after SIG$sig to run"
	assert_contains "$OUT" "got $sig" "container saw SIG$sig"
}

test_signal_forwarding_term() {
	need_busybox
	_check_forwarded TERM
}

test_signal_forwarding_int() {
	need_busybox
	_check_forwarded INT
}

test_signal_forwarding_hup() {
	need_busybox
	_check_forwarded HUP
}

test_state_root_from_env() {
	need_busybox
	POCKET_DOCKER_ROOT=$T_ROOT pd_noroot run --rm --rootfs "$BUSYBOX_TAR" /bin/true
	assert_ok
	[ -n "$(cache_entries)" ] || fail "POCKET_DOCKER_ROOT=$T_ROOT: nothing cached under it"
	mkdir "$T_TMP/other-root"
	POCKET_DOCKER_ROOT=$T_TMP/other-root pd run --rm --rootfs "$BUSYBOX_TGZ" /bin/true
	assert_ok
	[ -z "$(ls -A "$T_TMP/other-root")" ] || fail "--root did not take precedence over POCKET_DOCKER_ROOT: $(ls -A "$T_TMP/other-root")"
}

test_many_runs_in_a_row() {
	need_busybox
	local i
	for i in $(seq 1 20); do
		pd run --rm --rootfs "$BUSYBOX_DIR" /bin/true
		assert_exit 0 "run $i of 20"
	done
}

test_concurrent_runs() {
	need_busybox
	local i pids=() rc
	for i in 1 2 3 4; do
		"$PD" --root "$T_ROOT" run --rm --rootfs "$BUSYBOX_TAR" /bin/sh -c 'sleep 0.3; hostname' \
			>"$T_TMP/c$i.out" 2>"$T_TMP/c$i.err" </dev/null &
		pids+=($!)
	done
	for i in 1 2 3 4; do
		wait "${pids[$((i - 1))]}"
		rc=$?
		[ "$rc" -eq 0 ] || fail "concurrent run $i exited $rc: $(cat "$T_TMP/c$i.err")"
	done
	[ "$(cat "$T_TMP"/c*.out | sort -u | wc -l)" -eq 4 ] ||
		fail "concurrent runs did not get 4 different hostnames: $(cat "$T_TMP"/c*.out | tr '\n' ' ')"
	[ "$(cache_entries | grep -cE '^[0-9a-f]{64}$')" -eq 1 ] ||
		fail "concurrent runs of one tarball left $(cache_entries | wc -l) cache entries: $(cache_entries | tr '\n' ' ')"
}

run_tests "$@"
