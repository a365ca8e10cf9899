#!/bin/bash
# What a new user runs into first: bad values refused with one clear line
# and exit 125 (--hostname, --memory, --cpus, --pids-limit, --cpuset-cpus,
# --network), the same exit code from every command for bad input and
# unknown containers, names from archives printed without their control
# bytes, the rootless warning for a tree it cannot write, and the README's
# health-check example.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# refused WHAT TEXT: the last command exited 125 with one "pocket-docker: "
# line on stderr containing TEXT, and no container was left.
refused() {
	assert_exit 125 "$1"
	assert_error_line "$1"
	assert_contains "$ERR" "$2" "$1"
	local out=$OUT
	pd ps -a -q
	assert_out "" "$1: no container left"
	OUT=$out
}

# no_raw_controls WHAT FILE: FILE holds no byte below 0x20 but newline, and
# no ESC, DEL or C1 (0x80-0x9f after 0xc2).
no_raw_controls() {
	if LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$2"; then
		fail "$1: raw control bytes printed: $(od -c "$2" | head -n 5 | tr '\n' ' ')"
	fi
}

test_hostname_validated() {
	need_busybox
	local h
	# A newline would add a line to /etc/hosts (issue 13).
	pd run --rm --hostname $'web\n10.6.6.6 evil.example' --rootfs "$BUSYBOX_DIR" cat /etc/hosts
	refused "--hostname with a newline" "invalid hostname 'web\\n10.6.6.6 evil.example'"
	for h in 'a_b' '-web' 'web-' 'a..b' '.web' 'web.' 'a b' 'we/b' "$(printf 'x%.0s' {1..64})" ''; do
		pd run --rm --hostname "$h" --rootfs "$BUSYBOX_DIR" true
		refused "--hostname '$h'" "invalid hostname"
	done
	pd run --rm -h $'x\ty' --rootfs "$BUSYBOX_DIR" true
	refused "-h with a tab" "invalid hostname 'x\\ty'"
	h=$(printf 'a%.0s' {1..63})
	pd run --rm --hostname "$h" --rootfs "$BUSYBOX_DIR" hostname
	assert_ok "63 characters"
	assert_out "$h"
	pd run --rm --hostname Web-1.example.COM --rootfs "$BUSYBOX_DIR" /bin/sh -c 'hostname; grep -c . /etc/hosts'
	assert_ok "labels with dots, digits, '-' and capitals"
	assert_eq Web-1.example.COM "$(printf '%s\n' "$OUT" | head -n 1)" "hostname"
}

test_archive_names_escaped() {
	need_busybox
	allow_containers_left
	# A tag with terminal escapes is refused, and the error quoting it
	# shows them escaped.
	make_save_archive "$T_TMP/evil-tag.tar" $'evil\x1b[31m\x1b]0;pwned\x07:v1' 'true' ||
		fail "could not build the archive"
	pd import "$T_TMP/evil-tag.tar"
	no_raw_controls "import error" "$ERR_FILE"
	assert_contains "$ERR" 'evil\x1b[31m\x1b]0;pwned\x07:v1' "the tag, escaped"
	assert_error_line "import of a tag with escapes"
	assert_exit 125 "import of a tag with escapes"
	# A command with escapes is shown escaped by ps.
	make_save_archive "$T_TMP/evil-cmd.tar" "okname:v1" $'sleep 60 #\x1b]0;pwned\x07\x1b[2J\xc2\x9b1m' ||
		fail "could not build the archive"
	pd import "$T_TMP/evil-cmd.tar"
	assert_ok "import"
	no_raw_controls "import output" "$OUT_FILE"
	pd run -d --name "c-$T_TAG" okname:v1
	assert_ok "run the image"
	pd ps --no-trunc
	assert_ok
	no_raw_controls "ps" "$OUT_FILE"
	assert_contains "$OUT" '#\x1b]0;pwned\x07\x1b[2J\u009b1m"' "ps shows the command escaped"
	pd ps -a
	no_raw_controls "ps -a" "$OUT_FILE"
	pd images
	no_raw_controls "images" "$OUT_FILE"
	# References the user typed come back escaped too.
	for cmd in stop kill rm inspect wait logs attach; do
		pd "$cmd" $'no\x1b[2Jsuch'
		assert_exit 125 "$cmd of an unknown container"
		assert_error_line "$cmd of an unknown container"
		no_raw_controls "$cmd error" "$ERR_FILE"
		assert_contains "$ERR" 'no\x1b[2Jsuch' "$cmd error"
	done
	pd pull $'bad\x1b[2J\nref'
	assert_error_line "pull of a reference with escapes"
	no_raw_controls "pull error" "$ERR_FILE"
	pd rm -f "c-$T_TAG"
	assert_ok
	pd rmi okname:v1
	assert_ok
	no_raw_controls "rmi report" "$OUT_FILE"
}

test_memory_minimum() {
	need_busybox
	need_root
	pd run --rm --memory 1k --rootfs "$BUSYBOX_DIR" echo hi
	refused "--memory 1k" "minimum memory limit allowed is 6MB"
	pd run --rm --memory 6291455b --rootfs "$BUSYBOX_DIR" echo hi
	refused "--memory just below 6 MiB" "minimum memory limit allowed is 6MB"
	pd run --rm --memory 6m --rootfs "$BUSYBOX_DIR" echo hi
	assert_ok "--memory 6m"
	assert_out hi
	pd run --rm --memory 0 --rootfs "$BUSYBOX_DIR" echo hi
	assert_ok "--memory 0 is no limit"
	pd run --rm --memory 64m --memory-swap 32m --rootfs "$BUSYBOX_DIR" true
	refused "--memory-swap below --memory" "--memory-swap"
	pd run --rm --memory-swap 64m --rootfs "$BUSYBOX_DIR" true
	refused "--memory-swap without --memory" "--memory-swap needs --memory"
}

test_cpus_within_host() {
	need_busybox
	need_root
	local n
	n=$(nproc)
	pd run --rm --cpus 999 --rootfs "$BUSYBOX_DIR" true
	if [ "$n" = 1 ]; then
		refused "--cpus 999" "range of CPUs is from 0.01 to 1.00, as there is only 1 CPU available"
	else
		refused "--cpus 999" "range of CPUs is from 0.01 to $n.00, as there are only $n CPUs available"
	fi
	pd run --rm --cpus "$n.01" --rootfs "$BUSYBOX_DIR" true
	refused "--cpus just above the host" "range of CPUs"
	pd run --rm --cpus "$n" --rootfs "$BUSYBOX_DIR" echo ok
	assert_ok "--cpus $n"
	pd run --rm --cpus 0 --rootfs "$BUSYBOX_DIR" echo ok
	assert_ok "--cpus 0 is no limit"
	pd run --rm --cpus -1 --rootfs "$BUSYBOX_DIR" true
	refused "--cpus -1" "invalid --cpus"
	pd run --rm --cpu-shares 1 --rootfs "$BUSYBOX_DIR" true
	refused "--cpu-shares 1" "invalid --cpu-shares"
}

test_pids_limit_unlimited() {
	need_busybox
	need_root
	local v
	for v in -1 0; do
		pd run --rm --pids-limit "$v" --rootfs "$BUSYBOX_DIR" /bin/sh -c \
			'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null || echo max'
		assert_ok "--pids-limit $v"
		assert_out max "--pids-limit $v is no limit"
	done
	pd run --rm --pids-limit 50 --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
	assert_ok "--pids-limit 50"
	assert_out 50
	pd run --rm --pids-limit lots --rootfs "$BUSYBOX_DIR" true
	refused "--pids-limit lots" "invalid --pids-limit 'lots'"
}

test_cpuset_checked() {
	need_busybox
	need_root
	local online
	online=$(cat /sys/devices/system/cpu/online)
	pd run --rm --cpuset-cpus 99 --rootfs "$BUSYBOX_DIR" true
	refused "--cpuset-cpus 99" "invalid --cpuset-cpus '99': requested CPUs are not available (online: $online)"
	pd run --rm --cpuset-cpus "0,99" --rootfs "$BUSYBOX_DIR" true
	refused "--cpuset-cpus 0,99" "not available"
	for v in 1-0 0,,1 0- ,0 0-1, a 0x1 -1; do
		pd run --rm --cpuset-cpus "$v" --rootfs "$BUSYBOX_DIR" true
		refused "--cpuset-cpus '$v'" "invalid --cpuset-cpus '$v': want a list like 0-1,3"
	done
	pd run --rm --cpuset-cpus 0 --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset.cpus'
	assert_ok "--cpuset-cpus 0"
	assert_out 0
}

test_network_takes_its_value() {
	need_busybox
	need_root
	# "--network mynet" is the network, never the image (issue 13).
	pd run --rm --network mynet --rootfs "$BUSYBOX_DIR" true
	refused "--network mynet" "network mynet not found"
	pd run --rm --net mynet "$BUSYBOX_DIR" true
	refused "--net mynet" "network mynet not found"
	pd run --rm --network=mynet --rootfs "$BUSYBOX_DIR" true
	refused "--network=mynet" "network mynet not found"
	local links='awk -F: '"'"'NR > 2 {gsub(/ /, "", $1); print $1}'"'"' /proc/net/dev | sort | xargs'
	pd run --rm --network none --rootfs "$BUSYBOX_DIR" /bin/sh -c "$links"
	assert_ok "--network none"
	assert_out lo "--network none: loopback only"
	pd run --rm --net host --rootfs "$BUSYBOX_DIR" hostname
	assert_ok "--net host"
	assert_out "$(hostname)" "--net host: the host's name"
	# Alone (before another option, or last) it still means the bridge,
	# as the README says.
	pd run --rm --network --rootfs "$BUSYBOX_DIR" /bin/sh -c "$links"
	assert_ok "--network alone"
	assert_out "eth0 lo" "--network alone: the bridge"
}

# Every command: a bad flag and an unknown container (or image) exit 125
# with one line (issue 13).
test_exit_codes_every_command() {
	need_busybox
	local cmd
	for cmd in run exec ps stop kill rm wait stats inspect prune attach pull images rmi import; do
		pd "$cmd" --no-such-flag
		assert_exit 125 "$cmd --no-such-flag"
		assert_error_line "$cmd --no-such-flag"
		assert_contains "$ERR" "unknown flag: --no-such-flag" "$cmd --no-such-flag"
		pd "$cmd" -Z
		assert_exit 125 "$cmd -Z"
		assert_error_line "$cmd -Z"
	done
	for cmd in stop kill rm wait inspect attach logs "stats --no-stream" "rm -f" "stop -t 1" "kill -s TERM"; do
		# shellcheck disable=SC2086
		pd $cmd "nosuch-$T_TAG"
		assert_exit 125 "$cmd of an unknown container"
		assert_error_line "$cmd of an unknown container"
		assert_contains "$ERR" "no such container: nosuch-$T_TAG" "$cmd of an unknown container"
	done
	pd exec "nosuch-$T_TAG" true
	assert_exit 125 "exec in an unknown container"
	assert_error_line "exec in an unknown container"
	pd rmi "nosuch-$T_TAG"
	assert_exit 125 "rmi of an unknown image"
	assert_error_line "rmi of an unknown image"
	pd run --rm --pull never "nosuch-$T_TAG" true
	assert_exit 125 "run of an unknown image"
	assert_error_line "run of an unknown image"
	pd pull "Bad//Ref"
	assert_exit 125 "pull of an invalid reference"
	assert_error_line "pull of an invalid reference"
	# Missing or extra arguments.
	for cmd in stop kill rm wait inspect attach logs rmi pull import exec "ps extra" "images one two"; do
		# shellcheck disable=SC2086
		pd $cmd
		assert_exit 125 "'$cmd' with wrong arguments"
		assert_error_line "'$cmd' with wrong arguments"
	done
	pd run
	assert_exit 125 "run without an image"
	assert_error_line "run without an image"
	# Global flags and commands.
	pd_noroot --no-such-global ps
	assert_exit 125 "unknown global flag"
	assert_error_line "unknown global flag"
	pd_noroot --root
	assert_exit 125 "--root without a value"
	assert_error_line "--root without a value"
	assert_contains "$ERR" "flag needs an argument: --root" "--root without a value"
	pd no-such-command
	assert_exit 125 "unknown command"
	assert_error_line "unknown command"
}

# logs is the one command whose flag errors exit 1 until src/cli/logs.c
# returns CLI_EXIT_USAGE after cli_parse_flags (a one-line change there).
test_logs_bad_flag_exit_code() {
	pd logs --no-such-flag x
	assert_exit 125 "logs --no-such-flag"
	assert_error_line "logs --no-such-flag"
}

test_rootless_warning_says_what_is_read_only() {
	need_busybox
	local user=pdtest
	rootless_prepare "$user" yes
	cp -a "$BUSYBOX_DIR" "$T_TMP/rootfs"
	pd_as "$user" run --rm --rootfs "$T_TMP/rootfs" /bin/sh -c '
		echo x > /new-at-top && echo top
		echo x > /etc/new-in-etc && echo etc
		echo x 2>/dev/null > /tmp/new-in-tmp || echo no-tmp
		echo x 2>/dev/null >> /etc/passwd || echo no-passwd
		rm /bin/ls 2>/dev/null || echo no-rm'
	assert_ok "rootless run from a root-owned tree"
	# What the warning says is what happens.
	assert_out $'top\netc\nno-tmp\nno-passwd\nno-rm' "what is writable"
	assert_error_line "the warning"
	assert_contains "$ERR" "warning: rootfs '$T_TMP/rootfs' belongs to uid 0" "the warning"
	assert_contains "$ERR" "its existing files cannot be changed and its directories take no new files, except / and /etc" "the warning"
	assert_contains "$ERR" "--tmpfs" "the warning names the way out"
	pd_as "$user" run --rm --tmpfs /tmp --rootfs "$T_TMP/rootfs" /bin/sh -c 'echo x > /tmp/f && echo tmp'
	assert_ok "--tmpfs /tmp"
	assert_out tmp "--tmpfs /tmp is writable"
}

# The README's health-check example, corrected: busybox httpd serves files
# of its -h directory and has no index, so the check asks for a file there.
test_readme_health_example() {
	need_busybox
	need_root
	allow_containers_left
	local rootfs=$BUSYBOX_DIR good bad i
	pd run -d --health-cmd 'wget -q -O- localhost:80/hostname' --health-interval 5s --rootfs $rootfs httpd -f -h /etc
	assert_ok "the corrected example"
	good=$OUT
	# The example as it was: no index file, so never healthy.
	pd run -d --health-cmd 'wget -q -O- localhost:80' --health-interval 5s --rootfs $rootfs httpd -f
	assert_ok "the example as it was"
	bad=$OUT
	for i in $(seq 1 40); do
		pd ps
		case $OUT in *"(healthy)"*) break ;; esac
		sleep 0.5
	done
	assert_match "$(printf '%s\n' "$OUT" | grep "^${good:0:12} ")" 'Up .* \(healthy\)' "the corrected example turns healthy"
	assert_not_contains "$(printf '%s\n' "$OUT" | grep "^${bad:0:12} ")" "(healthy)" "the old example"
	pd rm -f "$good" "$bad"
	assert_ok
}

# Docker's boolean flag form: --rm=true, --detach=false, --init=1.
test_boolean_flag_values() {
	need_busybox
	local before
	pd ps -aq
	before=$(printf '%s\n' "$OUT" | grep -c .)
	pd run --rm=true --detach=false --init=1 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'echo pid1=$(cat /proc/1/comm)'
	assert_ok "--rm=true --detach=false --init=1"
	assert_contains "$OUT" "pid1=" "ran in the foreground"
	assert_not_contains "$OUT" "pid1=sh" "--init=1 gave the container an init"
	pd ps -aq
	assert_eq "$before" "$(printf '%s\n' "$OUT" | grep -c .)" "--rm=true removed the container"
	pd run --rm=maybe --rootfs "$BUSYBOX_DIR" true
	refused "--rm=maybe" "invalid value 'maybe' for --rm: want true or false"
}

# Every command and every group's subcommand, from the binary's own table:
# an unknown flag exits 125 with one line, and --help prints its usage
# and exits 0.
test_every_command_refuses_unknown_flags_and_has_help() {
	local kind a b rest words n=0
	while IFS=$'\t' read -r kind a b rest; do
		case $kind in
		command) words=("$a") ;;
		sub) words=("$a" "$b") ;;
		*) continue ;;
		esac
		n=$((n + 1))
		pd "${words[@]}" --no-such-flag-x
		assert_exit 125 "${words[*]} --no-such-flag-x"
		assert_error_line "${words[*]} --no-such-flag-x"
		pd "${words[@]}" --help
		assert_ok "${words[*]} --help"
		assert_contains "$OUT" "Usage: pocket-docker" "${words[*]} --help"
	done < <("$PD" __commands)
	[ "$n" -gt 60 ] || fail "only $n commands in the table"
	pd ps -a -q
	assert_out "" "no container was made"
}

run_tests "$@"
