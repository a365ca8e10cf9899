#!/bin/bash
# Terminals, attach and exec, driven through tmux as a person would type:
# run -it, detach with Ctrl-P Ctrl-Q and attach back, exec -it and exit,
# window sizes, the caller's terminal restored; piped stdin; exec codes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A tmux session running a plain bash in T_TMP, with pd ($PD --root
# $T_ROOT) defined; tmux runs as its own server on a private socket.
tm_start() {
	need_cmd tmux
	TM="tmux -S $T_TMP/tmux.sock"
	$TM new-session -d -s t -x 100 -y 30 "env -i PATH=$PATH HOME=$T_TMP TERM=xterm bash --norc --noprofile" ||
		fail "cannot start tmux"
	sleep 0.3
	tm_type "cd $T_TMP; pd() { $PD --root $T_ROOT \"\$@\"; }; stty -a > stty.before"
}

tm_type() {
	$TM send-keys -t t "$1" Enter
}

tm_keys() {
	$TM send-keys -t t "$@"
}

tm_screen() {
	$TM capture-pane -t t -p
}

# tm_wait TEXT [SECONDS]: wait until the screen shows TEXT.
tm_wait() {
	local i=0 limit=$((${2:-10} * 10))
	while [ "$i" -lt "$limit" ]; do
		tm_screen | grep -qF -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "the screen never showed '$1': $(tm_screen | grep -v '^$' | tail -n 8 | tr '\n' '|')"
}

# tm_prompt: wait until the host shell's prompt is back (the last line).
tm_prompt() {
	local i=0
	while [ "$i" -lt 100 ]; do
		tm_screen | grep -v '^$' | tail -n 1 | grep -q 'bash-[0-9.]*# *$' && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "the host prompt did not come back: $(tm_screen | grep -v '^$' | tail -n 4 | tr '\n' '|')"
}

tm_stop() {
	$TM kill-server 2>/dev/null
}

test_run_it_shell_and_terminal_restored() {
	need_busybox
	tm_start
	tm_type "pd run -it --rm --rootfs $BUSYBOX_DIR sh"
	tm_wait "/ #"
	tm_type 'echo in-$((6*7)); stty size; tty'
	tm_wait "in-42"
	tm_wait "30 100"
	tm_wait "/dev/pts/0"
	tm_type "sleep 30"
	sleep 0.3
	tm_keys C-c
	tm_type "echo after-interrupt"
	tm_wait "after-interrupt"
	tm_type "exit 4"
	tm_prompt
	tm_type 'echo rc=$?; stty -a > stty.after; cmp -s stty.before stty.after && echo STTY-SAME'
	tm_wait "rc=4"
	tm_wait "STTY-SAME"
	tm_stop
}

test_resize_followed() {
	need_busybox
	tm_start
	tm_type "pd run -it --rm --rootfs $BUSYBOX_DIR sh"
	tm_wait "/ #"
	$TM resize-window -t t -x 90 -y 20
	sleep 0.5
	tm_type 'echo size=$(stty size)'
	tm_wait "size=20 90"
	tm_type "exit"
	tm_stop
}

test_detach_and_attach() {
	need_busybox
	allow_containers_left
	tm_start
	tm_type "pd run -it --name tt --rootfs $BUSYBOX_DIR sh"
	tm_wait "/ #"
	tm_type "echo first-session"
	tm_wait "first-session"
	tm_keys C-p C-q
	tm_prompt
	tm_type 'echo detached-rc=$?'
	tm_wait "detached-rc=0"
	pd ps
	assert_contains "$OUT" tt "still running after detach"
	tm_type "pd attach tt"
	sleep 0.5
	tm_type "echo second-session"
	tm_wait "second-session"
	tm_keys C-p C-q
	tm_prompt
	pd ps
	assert_contains "$OUT" tt "still running after the second detach"
	tm_type "pd attach --detach-keys ctrl-a,x tt"
	sleep 0.5
	tm_type "exit 6"
	tm_prompt
	tm_type 'echo attach-rc=$?; stty -a > stty.after; cmp -s stty.before stty.after && echo STTY-SAME'
	tm_wait "attach-rc=6"
	tm_wait "STTY-SAME"
	tm_stop
	pd rm tt
	assert_ok
}

test_run_detached_tty_then_attach() {
	need_busybox
	allow_containers_left
	pd run -d -i -t --name bg --rootfs "$BUSYBOX_DIR" sh
	assert_ok
	tm_start
	tm_type "pd attach bg"
	sleep 0.5
	tm_type "echo attached-to-\$HOSTNAME"
	tm_wait "attached-to-"
	tm_type "exit"
	tm_prompt
	tm_type 'echo rc=$?'
	tm_wait "rc=0"
	tm_stop
	pd rm bg
	assert_ok
}

test_exec_it_returns_at_once() {
	need_busybox
	allow_containers_left
	pd run -d --name host --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok
	tm_start
	tm_type "pd exec -it host /bin/sh"
	tm_wait "/ #"
	tm_type 'sleep 100 & jobs; echo tty=$(tty)'
	tm_wait "tty=/dev/pts/"
	tm_type "exit"
	# At once: the background sleep inside must not hold the shell up.
	tm_prompt
	tm_type 'echo exec-rc=$?; stty -a > stty.after; cmp -s stty.before stty.after && echo STTY-SAME'
	tm_wait "exec-rc=0" 3
	tm_wait "STTY-SAME"
	if tm_screen | grep -qi "can't access tty\|job control"; then
		fail "the shell complained about its terminal: $(tm_screen | grep -i 'tty\|job' | head -n 2)"
	fi
	tm_stop
	pd rm -f host
	assert_ok
}

test_exec_piped_stdin_with_terminal_output() {
	# The README's `echo data | pd exec -i box cat`, typed at a terminal:
	# stdout and stderr are the terminal, stdin a pipe.  The command sees
	# the end of its input and the exec returns (it used to hang: the
	# helper kept the write end of the command's stdin pipe).
	need_busybox
	allow_containers_left
	pd run -d --name pipe --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok
	tm_start
	tm_type "echo data-in | pd exec -i pipe cat; echo exec-rc=\$?"
	tm_wait "exec-rc=0" 10
	tm_wait "data-in"
	tm_type "printf 'a\\nb\\nc\\n' | pd exec -i pipe wc -l 2>&1 | tr -d ' '; echo wc-rc=\$?"
	tm_wait "wc-rc=0" 10
	tm_stop
	pd rm -f pipe
	assert_ok
}

test_exec_it_detach_keys() {
	# exec -it leaves with Ctrl-P Ctrl-Q (or --detach-keys) as run -it
	# does; the command keeps running, its terminal held for it.
	need_busybox
	allow_containers_left
	pd run -d --name dk --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok
	tm_start
	tm_type "pd exec -it dk sh"
	tm_wait "/ #"
	tm_type "sleep 777 & echo started-777"
	tm_wait "started-777"
	tm_keys C-p C-q
	tm_prompt
	tm_type 'echo detached-rc=$?; stty -a > stty.after; cmp -s stty.before stty.after && echo STTY-SAME'
	tm_wait "detached-rc=0"
	tm_wait "STTY-SAME"
	sleep 0.5
	pd exec dk ps
	assert_contains "$OUT" "sleep 777" "the detached exec's command still runs"
	# A single Ctrl-P is typed through; then --detach-keys.
	# A prompt of its own: the first session's "/ #" is still on the
	# screen, and keys typed before this exec holds the terminal would go
	# to the host's shell.  (Quoted apart, so the typed line never shows
	# the prompt's text.)
	tm_type "pd exec -it --detach-keys ctrl-a,x -e PS1=sec'ond'-exec# dk sh"
	tm_wait "second-exec#"
	tm_keys C-p
	tm_type "echo still-in-$((6 * 7))"
	tm_wait "still-in-42"
	tm_keys C-a x
	tm_prompt
	tm_type 'echo detached2-rc=$?'
	tm_wait "detached2-rc=0"
	pd exec dk sh -c 'ps | grep -c "[s]h$"'
	tm_stop
	pd rm -f dk
	assert_ok
}

test_piped_stdin_and_exec_codes() {
	need_busybox
	allow_containers_left
	pd_stdin "$(printf 'one\ntwo\nthree')" run --rm -i --rootfs "$BUSYBOX_DIR" wc -w
	assert_ok
	assert_eq 3 "$(echo "$OUT" | tr -d ' ')" "stdin reached the container and ended"
	pd run -d --name ex --rootfs "$BUSYBOX_DIR" sleep 100
	pd_stdin "via exec" exec -i ex cat
	assert_out "via exec"
	pd exec ex sh -c 'exit 9'
	assert_exit 9
	pd exec ex /nonexistent
	assert_exit 127
	pd exec ex /etc
	assert_exit 126
	pd stop -t 0 ex
	pd exec ex true
	assert_exit 125
	assert_error_line "exec into a stopped container"
	assert_contains "$ERR" "not running" "the error says why"
	pd rm ex
	assert_ok
}

test_exec_input_while_output_waits() {
	# A command that writes a lot before it reads its input: `exec -i`
	# keeps copying its output while its stdin waits (it used to block on
	# the full stdin pipe while the command blocked on its full stdout).
	need_busybox
	allow_containers_left
	pd run -d --name both --rootfs "$BUSYBOX_DIR" sleep 1000
	assert_ok
	head -c 1000000 /dev/zero >"$T_TMP/in"
	local CMD_TIMEOUT=20
	_pd_exec "$T_TMP/in" "$PD" --root "$T_ROOT" exec -i both \
		sh -c 'sleep 0.3; head -c 1000000 /dev/zero | tr "\0" x; wc -c'
	assert_ok
	assert_eq 1000008 "$(stat -c %s "$OUT_FILE")" "all of the output came through"
	assert_eq 1000000 "$(tail -n 1 "$OUT_FILE" | tr -dc 0-9)" "all of the input reached the command"
	pd rm -f both
	assert_ok
}

test_run_input_while_output_waits() {
	# The same through `run -i`: the attached CLI queues what goes to the
	# monitor (it used to block on the socket while the monitor, pacing
	# the output for it, read no more of it).
	need_busybox
	head -c 1000000 /dev/zero >"$T_TMP/in"
	local CMD_TIMEOUT=20
	_pd_exec "$T_TMP/in" "$PD" --root "$T_ROOT" run --rm -i --rootfs "$BUSYBOX_DIR" \
		sh -c 'sleep 0.3; head -c 1000000 /dev/zero | tr "\0" x; wc -c'
	assert_ok
	assert_eq 1000008 "$(stat -c %s "$OUT_FILE")" "all of the output came through"
	assert_eq 1000000 "$(tail -n 1 "$OUT_FILE" | tr -dc 0-9)" "all of the input reached the container"
}

test_container_tty_is_its_own() {
	# The container's terminal comes from its own devpts instance: the
	# host's terminal is never among its fds, so TIOCSTI cannot reach it.
	need_busybox
	tm_start
	tm_type "pd run -it --rm --rootfs $BUSYBOX_DIR sh -c 'ls -l /proc/self/fd/; stat -c %t:%T /dev/pts/0; grep -c . /proc/self/mountinfo'"
	tm_prompt
	tm_type 'echo rc=$?'
	tm_wait "rc=0"
	if tm_screen | grep -F -- "-> /dev/tty" | grep -v "/dev/pts/0" >/dev/null; then
		fail "a host terminal reached the container: $(tm_screen | grep -- '->' | head -n 5)"
	fi
	tm_screen | grep -qF -- "-> /dev/pts/0" || fail "stdio is not the container's own pts: $(tm_screen | head -n 10)"
	tm_stop
}

# Without -t, stdin is data: bytes that spell the detach keys (Ctrl-P
# Ctrl-Q, or --detach-keys) reach the command, and run stays attached.
test_run_i_binary_stdin_passes_detach_bytes() {
	need_busybox
	local want got
	printf 'a\020\021b\030c' >"$T_TMP/bin.in"
	want=$(od -An -tx1 "$T_TMP/bin.in" | tr -d ' \n')
	got=$(timeout 20 "$PD" run --rm -i --detach-keys ctrl-x --rootfs "$BUSYBOX_DIR" \
		/bin/sh -c 'od -An -tx1 | tr -d " \n"' <"$T_TMP/bin.in")
	assert_eq "$want" "$got" "the bytes the command read"
	got=$(timeout 20 "$PD" run --rm -i --rootfs "$BUSYBOX_DIR" /bin/sh -c 'od -An -tx1 | tr -d " \n"' <"$T_TMP/bin.in")
	assert_eq "$want" "$got" "the bytes the command read (default keys)"
}

run_tests "$@"
