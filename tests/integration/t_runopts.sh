#!/bin/bash
# run's namespace and port options, with Docker's meanings: --pid host and
# container:NAME, --uts host, --ipc private|shareable|none|host|container:NAME,
# -p CONTAINERPORT (a free host port), IP::PORT and ranges, --expose and -P
# (free host ports never handed out twice, even to parallel runs), and
# -a/--attach stdin|stdout|stderr.
#
# Namespaces are compared by their inodes (readlink /proc/PID/ns/X); traffic
# goes only to 127.0.0.1 and the test's own containers.  Every container is
# removed, and its veth and nft rules are checked gone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

_setup() {
	need_root
	need_busybox
	# A failed assertion exits the test: its containers are removed even
	# then, so that their rules and veths go with them.
	trap '"$PD" --root "$T_ROOT" rm -f $(cat "$T_TMP/ids" 2>/dev/null) >/dev/null 2>&1' EXIT
}

_track() {
	# _track ID...: containers the EXIT trap removes.
	printf '%s\n' "$@" >>"$T_TMP/ids"
}

_net_setup() {
	_setup
	need_cmd ip nft timeout
}

_ns_of() {
	# _ns_of CONTAINER KIND: the container's namespace of KIND, seen from inside.
	pd exec "$1" readlink "/proc/self/ns/$2"
	printf '%s\n' "$OUT"
}

_net_leftovers() {
	# What container ID left on the host: its veth, its nft rules.
	ip -o link show | grep -q ": pd${1:0:8}[@:]" && echo "veth pd${1:0:8} still exists"
	nft list table ip pocket_docker 2>/dev/null | grep -q "pd:$1" && echo "nft rules tagged pd:$1 still exist"
}

_rm_clean() {
	# _rm_clean ID...: remove the containers; fail if any left a veth or rule.
	local id left
	pd rm -f "$@"
	assert_ok "rm -f"
	for id in "$@"; do
		left=$(_net_leftovers "$id")
		[ -z "$left" ] || fail "after rm: $left"
	done
}

http_get() {
	# http_get PORT: the body of GET / on 127.0.0.1:PORT; empty when nothing answers.
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET / HTTP/1.0\r\nHost: x\r\n\r\n" >&3
		sed "1,/^\r\?$/d" <&3' _ "$1" 2>/dev/null
}

wait_http() {
	# wait_http PORT TEXT: until GET / on 127.0.0.1:PORT answers TEXT (20 s at most).
	local i=0
	while [ "$i" -lt 100 ]; do
		[ "$(http_get "$1")" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# One httpd per port given, each answering "PORT-TAG".
HTTPD='for p in "$@"; do mkdir -p /www$p && echo "$p-$0" >/www$p/index.html && httpd -p $p -h /www$p; done; exec sleep 600'

_host_port() {
	# _host_port ID CPORT[/PROTO]: the host port `port` shows for it.
	pd port "$1" "$2"
	assert_ok "port $2"
	printf '%s\n' "$OUT" | head -n 1 | sed 's/.*://'
}

test_pid_host() {
	_setup
	# The host's PID 1, and this test's own shell, are seen from inside.
	pd run --rm --pid host --rootfs "$BUSYBOX_DIR" sh -c "cat /proc/1/comm; test -d /proc/$$ && echo sees-$$"
	assert_ok
	assert_line "$OUT" "$(cat /proc/1/comm)" "/proc/1/comm with --pid host"
	assert_line "$OUT" "sees-$$" "the host's processes with --pid host"
	# Without it, a PID namespace of its own: the command is PID 1.
	pd run --rm --rootfs "$BUSYBOX_DIR" sh -c "echo \$\$; test -d /proc/$$ && echo sees-$$"
	assert_eq 1 "$(printf '%s\n' "$OUT" | head -n 1)" "PID of the command in its own namespace"
	assert_not_contains "$OUT" "sees-$$" "a private PID namespace"
	pd run --rm --pid private --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--pid private (not one of Docker's)"
	assert_error_line
}

test_pid_container() {
	_setup
	pd run -d --name donor --rootfs "$BUSYBOX_DIR" sleep 600
	assert_ok
	local donor=$OUT want
	_track "$donor"
	want=$(_ns_of donor pid)
	pd run --rm --pid container:donor --rootfs "$BUSYBOX_DIR" sh -c 'readlink /proc/self/ns/pid; ps -o comm'
	assert_ok
	assert_line "$OUT" "$want" "the donor's PID namespace"
	assert_line "$OUT" "sleep" "the donor's process, seen by ps"
	pd run --rm --pid container:nosuch --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--pid container: of no container"
	assert_error_line
	pd stop -t 0 donor
	pd run --rm --pid container:donor --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--pid container: of a stopped one"
	assert_error_line
	assert_contains "$ERR" "is not running" "the error"
	_rm_clean "$donor"
}

test_uts_host() {
	_setup
	pd run --rm --uts host --rootfs "$BUSYBOX_DIR" sh -c 'hostname; cat /etc/hostname; echo $HOSTNAME'
	assert_ok
	assert_eq "$(hostname)
$(hostname)
$(hostname)" "$OUT" "hostname, /etc/hostname and \$HOSTNAME with --uts host"
	readlink /proc/self/ns/uts >"$T_TMP/host-uts"
	pd run --rm --uts host --rootfs "$BUSYBOX_DIR" readlink /proc/self/ns/uts
	assert_out "$(cat "$T_TMP/host-uts")" "the host's UTS namespace"
	pd run --rm --rootfs "$BUSYBOX_DIR" readlink /proc/self/ns/uts
	[ "$OUT" != "$(cat "$T_TMP/host-uts")" ] || fail "a default container shares the host's UTS namespace"
	# Docker's conflict, and a mode that is none.
	pd run --rm --uts host --hostname web --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--uts host with --hostname"
	assert_error_line
	pd run --rm --uts container:x --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--uts container:"
	assert_error_line
}

test_ipc_modes() {
	_setup
	local host
	host=$(readlink /proc/self/ns/ipc)
	pd run --rm --ipc host --rootfs "$BUSYBOX_DIR" readlink /proc/self/ns/ipc
	assert_ok
	assert_out "$host" "--ipc host"
	pd run -d --name donor --ipc shareable --rootfs "$BUSYBOX_DIR" sleep 600
	local donor=$OUT
	_track "$donor"
	pd run -d --name priv --rootfs "$BUSYBOX_DIR" sleep 600
	local priv=$OUT d p
	_track "$priv"
	d=$(_ns_of donor ipc)
	p=$(_ns_of priv ipc)
	[ "$d" != "$host" ] && [ "$p" != "$host" ] && [ "$d" != "$p" ] ||
		fail "shareable ($d) and private ($p) namespaces are not each their own (host $host)"
	pd inspect --format '{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}|{{.HostConfig.UTSMode}}' donor priv
	assert_out "shareable |
private |" "inspect's IpcMode"
	# The joiner shares the donor's, by name or by id.
	pd run --rm --ipc container:donor --rootfs "$BUSYBOX_DIR" readlink /proc/self/ns/ipc
	assert_ok
	assert_out "$d" "--ipc container:donor"
	pd run --rm --ipc "container:${donor:0:12}" --rootfs "$BUSYBOX_DIR" readlink /proc/self/ns/ipc
	assert_out "$d" "--ipc container:ID"
	# A private one may not be joined, nor a stopped one.
	pd run --rm --ipc container:priv --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--ipc container: of a private one"
	assert_error_line
	assert_contains "$ERR" "non-shareable" "the error"
	pd stop -t 0 donor
	pd run --rm --ipc container:donor --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--ipc container: of a stopped one"
	assert_error_line
	# none: its own namespace, no /dev/shm mounted.
	pd run --rm --ipc none --rootfs "$BUSYBOX_DIR" sh -c 'grep -c " /dev/shm " /proc/mounts'
	assert_out 0 "/dev/shm mounts with --ipc none"
	pd run --rm --rootfs "$BUSYBOX_DIR" sh -c 'grep -c " /dev/shm " /proc/mounts'
	assert_out 1 "/dev/shm mounts by default"
	pd run --rm --ipc host --sysctl kernel.shmmax=100000 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "an IPC sysctl with --ipc host (it would change the host's)"
	assert_error_line
	pd run --rm --ipc sideways --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--ipc sideways"
	assert_error_line
	_rm_clean "$donor" "$priv"
}

# --ipc container:X shares X's /dev/shm as well as its SysV IPC, as
# Docker's: a file one writes there the other reads, both ways, and the
# joiner has one /dev/shm mount (X's, in place of its own).
test_ipc_container_shares_dev_shm() {
	_setup
	pd run -d --name shmdonor --ipc shareable --rootfs "$BUSYBOX_DIR" \
		sh -c "echo from-donor-$T_TAG > /dev/shm/d; sleep 600"
	assert_ok
	local donor=$OUT i
	_track "$donor"
	for i in $(seq 1 50); do
		pd exec shmdonor cat /dev/shm/d
		[ "$OUT" = "from-donor-$T_TAG" ] && break
		sleep 0.1
	done
	pd run --rm --ipc container:shmdonor --rootfs "$BUSYBOX_DIR" \
		sh -c 'cat /dev/shm/d; echo from-joiner > /dev/shm/j; grep -c " /dev/shm " /proc/mounts'
	assert_ok
	assert_out "from-donor-$T_TAG
1" "the donor's /dev/shm file, read in the joiner; its /dev/shm mounts"
	pd exec shmdonor cat /dev/shm/j
	assert_ok
	assert_out from-joiner "the joiner's file, read in the donor"
	# A private container's /dev/shm stays its own.
	pd run --rm --rootfs "$BUSYBOX_DIR" sh -c 'ls /dev/shm'
	assert_ok
	assert_out "" "a default container's /dev/shm"
	_rm_clean "$donor"
}

test_publish_free_port() {
	_net_setup
	pd run -d -p 80 -p 127.0.0.1::81 --rootfs "$BUSYBOX_DIR" sh -c "$HTTPD" "$T_TAG" 80 81
	assert_ok
	local id=$OUT hp lp
	_track "$id"
	hp=$(_host_port "$id" 80)
	lp=$(_host_port "$id" 81/tcp)
	assert_match "$hp" '^[0-9]+$' "a host port for -p 80"
	[ "$hp" -ge 1024 ] && [ "$hp" != "$lp" ] || fail "host ports $hp and $lp"
	pd port "$id" 81
	assert_out "127.0.0.1:$lp" "-p 127.0.0.1::81 keeps its address"
	pd ps --format '{{.Ports}}'
	assert_contains "$OUT" "0.0.0.0:$hp->80/tcp" "ps's PORTS"
	wait_http "$hp" "80-$T_TAG" || fail "the container's httpd does not answer on 127.0.0.1:$hp"
	wait_http "$lp" "81-$T_TAG" || fail "the container's httpd does not answer on 127.0.0.1:$lp"
	pd inspect --format '{{json .Config.ExposedPorts}}' "$id"
	assert_out '{"80/tcp":{},"81/tcp":{}}' "Config.ExposedPorts"
	_rm_clean "$id"
}

test_publish_ranges() {
	_net_setup
	pd run -d -p 18280-18281:80-81 --rootfs "$BUSYBOX_DIR" sh -c "$HTTPD" "$T_TAG" 80 81
	assert_ok
	local id=$OUT
	_track "$id"
	pd port "$id"
	assert_out "80/tcp -> 0.0.0.0:18280
81/tcp -> 0.0.0.0:18281" "port of a range"
	wait_http 18280 "80-$T_TAG" || fail "18280 does not reach port 80"
	wait_http 18281 "81-$T_TAG" || fail "18281 does not reach port 81"
	_rm_clean "$id"
	pd run --rm -p 18280-18282:80-81 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "ranges of different lengths"
	assert_error_line
	assert_contains "$ERR" "differ in length" "the error"
	pd run --rm -p 81-80 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "a backwards range"
	assert_error_line
	pd run --rm -p 1-65535 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "every port"
	assert_error_line
	pd run --rm -p 10.255.255.254::80 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "a free port on an address the host lacks"
	assert_error_line
}

test_publish_all() {
	_net_setup
	pd run -d -P --expose 80 --expose 5000-5001/udp -p 18290:81 --rootfs "$BUSYBOX_DIR" sh -c "$HTTPD" "$T_TAG" 80
	assert_ok
	local id=$OUT hp
	_track "$id"
	pd port "$id"
	assert_match "$OUT" '^80/tcp -> 0\.0\.0\.0:[0-9]+$' "-P publishes --expose 80"
	assert_match "$OUT" '^5000/udp -> 0\.0\.0\.0:[0-9]+$' "-P publishes 5000/udp"
	assert_match "$OUT" '^5001/udp -> 0\.0\.0\.0:[0-9]+$' "-P publishes 5001/udp"
	assert_line "$OUT" "81/tcp -> 0.0.0.0:18290" "-p beside -P"
	assert_eq 4 "$(printf '%s\n' "$OUT" | grep -c .)" "published ports"
	hp=$(_host_port "$id" 80)
	wait_http "$hp" "80-$T_TAG" || fail "-P's port $hp does not reach the container"
	pd inspect --format '{{json .Config.ExposedPorts}} {{.HostConfig.PublishAllPorts}}' "$id"
	assert_out '{"5000/udp":{},"5001/udp":{},"80/tcp":{},"81/tcp":{}} true' "inspect"
	_rm_clean "$id"
	# Exposed without -P: recorded, not published.
	pd run -d --expose 80 --rootfs "$BUSYBOX_DIR" sleep 600
	id=$OUT
	_track "$id"
	pd port "$id"
	assert_out "" "port without -P"
	pd inspect --format '{{json .Config.ExposedPorts}}' "$id"
	assert_out '{"80/tcp":{}}' "ExposedPorts without -P"
	_rm_clean "$id"
	pd run --rm --expose 80/sctp --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "--expose 80/sctp"
	assert_error_line
}

# An image's ExposedPorts are exposed ports too: -P publishes them; an
# ExposedPorts key that is not a port refuses the run.
test_publish_all_image_exposed_ports() {
	_net_setup
	need_cmd python3
	make_save_archive "$T_TMP/exp.tar" "exp-$T_TAG:v1" "$HTTPD" '{"ExposedPorts": {"80/tcp": {}, "53/udp": {}}}' ||
		fail "cannot build the image archive"
	pd import "$T_TMP/exp.tar"
	assert_ok
	pd run -d -P "exp-$T_TAG:v1" sh -c "$HTTPD" "$T_TAG" 80
	assert_ok
	local id=$OUT hp
	_track "$id"
	pd port "$id"
	assert_match "$OUT" '^80/tcp -> 0\.0\.0\.0:[0-9]+$' "-P publishes the image's 80/tcp"
	assert_match "$OUT" '^53/udp -> 0\.0\.0\.0:[0-9]+$' "-P publishes the image's 53/udp"
	hp=$(_host_port "$id" 80)
	wait_http "$hp" "80-$T_TAG" || fail "-P's port $hp does not reach the container"
	pd inspect --format '{{json .Config.ExposedPorts}}' "$id"
	assert_out '{"53/udp":{},"80/tcp":{}}' "the image's ExposedPorts in inspect"
	_rm_clean "$id"
	make_save_archive "$T_TMP/bad.tar" "expbad-$T_TAG:v1" true '{"ExposedPorts": {"80/sctp": {}}}' ||
		fail "cannot build the image archive"
	pd import "$T_TMP/bad.tar"
	assert_ok
	pd run --rm -P "expbad-$T_TAG:v1"
	assert_exit 125 "an image exposing 80/sctp"
	assert_error_line "an image exposing 80/sctp"
	pd rmi "exp-$T_TAG:v1" "expbad-$T_TAG:v1"
	assert_ok
}

test_publish_free_parallel() {
	_net_setup
	local i
	for i in 1 2 3 4 5 6; do
		"$PD" --root "$T_ROOT" run -d -p 80 --rootfs "$BUSYBOX_DIR" sleep 600 >"$T_TMP/id$i" 2>"$T_TMP/err$i" &
	done
	wait
	local ids=() ports=()
	for i in 1 2 3 4 5 6; do
		[ -s "$T_TMP/id$i" ] && _track "$(cat "$T_TMP/id$i")"
	done
	for i in 1 2 3 4 5 6; do
		[ -s "$T_TMP/id$i" ] || fail "parallel run $i failed: $(cat "$T_TMP/err$i")"
		ids+=("$(cat "$T_TMP/id$i")")
	done
	for i in "${ids[@]}"; do
		ports+=("$(_host_port "$i" 80)")
	done
	assert_eq 6 "$(printf '%s\n' "${ports[@]}" | grep -E '^[0-9]+$' | sort -u | wc -l)" \
		"distinct host ports among ${ports[*]}"
	_rm_clean "${ids[@]}"
}

test_attach_streams() {
	_setup
	local cmd='echo to-out; echo to-err >&2'
	_track a1
	pd run -a stdout --name a1 --rootfs "$BUSYBOX_DIR" sh -c "$cmd"
	assert_ok
	assert_out "to-out" "stdout with -a stdout"
	assert_eq "" "$ERR" "stderr with -a stdout"
	# Still logged.
	pd logs a1
	assert_contains "$OUT$ERR" "to-err" "logs of the stream not attached"
	pd run -a stderr --rm --rootfs "$BUSYBOX_DIR" sh -c "$cmd"
	assert_eq "" "$OUT" "stdout with -a stderr"
	assert_eq "to-err" "$ERR" "stderr with -a stderr"
	pd run -a stdout -a STDERR --rm --rootfs "$BUSYBOX_DIR" sh -c "$cmd"
	assert_out "to-out" "stdout with both"
	assert_eq "to-err" "$ERR" "stderr with both"
	# stdin attached with -a stdin, not without it (the container's stdin
	# stays open with -i, as Docker's: read with a timeout here).
	pd_stdin $'piped\n' run -i -a stdin -a stdout --rm --rootfs "$BUSYBOX_DIR" sh -c 'cat; echo done'
	assert_out "piped
done" "-a stdin"
	pd_stdin $'piped\n' run -i -a stdout --rm --rootfs "$BUSYBOX_DIR" sh -c 'timeout 2 cat; echo done'
	assert_out "done" "-i -a stdout leaves stdin unattached"
	pd run -a stdout -d --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "-a with -d"
	assert_error_line
	pd run -a stdlog --rootfs "$BUSYBOX_DIR" true
	assert_exit 125 "-a stdlog"
	assert_error_line
	pd rm -f a1
}

run_tests "$@"
