#!/bin/bash
# Ports published on [::1] (`-p '[::1]:HOST:CONT'`) for a container on a
# network made with --ipv6: the kernel cannot DNAT from IPv6 loopback, so
# the container's monitor listens there and relays each TCP connection to
# the container's IPv6 address (core/relay6.c).  A large body arrives
# intact, several connections at once, a half-closed one is answered; the
# port stops accepting when the container stops, comes back on start, and
# nothing listens after rm.  [::1] is refused with one line (and nothing
# made) without an IPv6 address, for UDP, and on a port in use.
#
# Traffic only on loopback and the test's own bridge; the host side with
# curl and python3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

HTTPD_CMD='mkdir -p /www && echo "$0" >/www/index.html &&
dd if=/dev/urandom of=/www/big bs=1024 count=5120 2>/dev/null &&
sha256sum /www/big >/www/big.sum && exec httpd -f -p 80 -h /www'

_setup() {
	need_root
	need_busybox
	need_cmd ip curl python3 ss sha256sum timeout
	[ -e /proc/net/if_inet6 ] || skip "the kernel has no IPv6"
	ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || skip "loopback has no ::1"
}

_free_port6() {
	# A TCP port nothing listens on at [::1] (the kernel's pick).
	python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.bind(("::1", 0))
print(s.getsockname()[1])'
}

_get6() {
	# _get6 PORT PATH: the body of http://[::1]:PORT/PATH ("" on failure).
	curl -sg -m 20 "http://[::1]:$1/${2:-}" 2>/dev/null
	true
}

_wait6() {
	# _wait6 PORT TEXT: until GET / on [::1]:PORT answers TEXT (20 s).
	local i=0 body
	while [ "$i" -lt 100 ]; do
		body=$(_get6 "$1")
		[ "$body" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "GET http://[::1]:$1/ answered '$body', not '$2'" >&2
	return 1
}

_listening() {
	# Lines of ss for a TCP listener on port $1 (any address).
	ss -Hltn "sport = :$1"
}

test_publish6_relays_to_the_container() {
	_setup
	allow_containers_left
	local port
	port=$(_free_port6)
	pd network create --ipv6 p6net
	assert_ok
	local br
	br=$(_bridge_of p6net)
	pd run -d --name web6 --restart on-failure --network p6net -p "[::1]:$port:80" --rootfs "$BUSYBOX_DIR" sh -c "$HTTPD_CMD" "hi-$T_TAG"
	assert_ok
	local id=$OUT
	_wait6 "$port" "hi-$T_TAG" || fail "httpd does not answer on [::1]:$port"
	# The monitor listens, on ::1 only (not the IPv4 side, not every address).
	assert_match "$(_listening "$port")" "\[::1\]:$port " "the listener on [::1]:$port"
	assert_eq 1 "$(_listening "$port" | grep -c .)" "listeners on port $port"
	pd port web6
	assert_out "80/tcp -> [::1]:$port" "port"
	pd port web6 80
	assert_out "[::1]:$port" "port web6 80"
	pd ps
	assert_match "$OUT" "${id:0:12} .*\[::1\]:$port->80/tcp" "ps PORTS"
	# No DNAT rule for it (the kernel could not use one).
	nft list table ip pocket_docker 2>/dev/null | grep -q "dport $port dnat" && fail "a DNAT rule for $port"
	# 5 MiB intact.
	local want got
	want=$(_get6 "$port" big.sum | awk '{print $1}')
	[ ${#want} = 64 ] || fail "no checksum from the container: '$want'"
	got=$(curl -sg -m 60 "http://[::1]:$port/big" | sha256sum | awk '{print $1}')
	assert_eq "$want" "$got" "sha256 of 5 MiB through the relay"
	# Eight at once, each intact.
	local i
	for i in 1 2 3 4 5 6 7 8; do
		curl -sg -m 60 "http://[::1]:$port/big" -o "$T_TMP/big.$i" &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		assert_eq "$want" "$(sha256sum <"$T_TMP/big.$i" | awk '{print $1}')" "concurrent download $i"
	done
	# Half-close: the request, then the end of the client's writing; the
	# answer still arrives in full.
	got=$(timeout 20 python3 -c 'import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1])))
s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n\r\n", 1)[-1].decode().strip())' "$port")
	assert_eq "hi-$T_TAG" "$got" "a half-closed request's answer"
	# Another container cannot take the same [::1] port.
	pd run -d --name web6b --network p6net -p "[::1]:$port:80" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "the same [::1] port twice"
	assert_contains "$ERR" "::1:$port/tcp is already published by container ${id:0:12}" "the error names the port and its holder"
	pd rm -f web6b
	# A restart by the same monitor: the run's sockets were closed at its
	# end and the port is listened on again (once).
	local pid1
	pd inspect -f '{{.State.Pid}}' web6
	pid1=$OUT
	[ -d "/proc/$pid1" ] || fail "no process $pid1"
	kill -9 "$pid1"
	local i=0
	while [ "$i" -lt 100 ]; do
		pd inspect -f '{{.State.Pid}} {{.RestartCount}}' web6
		case $OUT in "$pid1 "* | "0 "* | "") ;; *) break ;; esac
		sleep 0.2
		i=$((i + 1))
	done
	assert_match "$OUT" '^[1-9][0-9]* 1$' "the container restarted once"
	_wait6 "$port" "hi-$T_TAG" || fail "httpd does not answer on [::1]:$port after the restart"
	assert_eq 1 "$(_listening "$port" | grep -c .)" "listeners on port $port after the restart"
	# Stop: nothing accepts any more.
	pd stop -t 1 web6
	assert_ok
	assert_eq "" "$(_listening "$port")" "a listener after stop"
	curl -sg -m 5 -o /dev/null "http://[::1]:$port/" && fail "[::1]:$port accepts after stop"
	# Start: the relay again.
	pd start web6
	assert_ok
	_wait6 "$port" "hi-$T_TAG" || fail "httpd does not answer on [::1]:$port after start"
	local mon
	mon=$(ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	[ -n "$mon" ] || fail "no process holds [::1]:$port"
	pd rm -f web6
	assert_ok
	assert_eq "" "$(_listening "$port")" "a listener after rm"
	[ -d "/proc/$mon" ] && fail "the monitor $mon still runs after rm"
	pd network rm p6net
	assert_ok
	assert_net_gone "$br"
}

test_publish6_refused_without_ipv6() {
	_setup
	local port
	port=$(_free_port6)
	pd network create p4net
	assert_ok
	# A network without --ipv6, the default bridge: no IPv6 address.
	pd run -d --name n6 --network p4net -p "[::1]:$port:80" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "[::1] on a network without IPv6"
	assert_contains "$ERR" "no IPv6 address" "the reason"
	pd run -d --name n6 -p "[::1]:$port:80" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "[::1] on the default bridge"
	pd ps -a --format '{{.Names}}'
	assert_not_contains "$OUT" n6 "a container left by a refused run"
	assert_eq "" "$(_listening "$port")" "a listener after the refusals"
	# UDP and other IPv6 addresses: refused at the flag.
	pd run -d --network p4net -p "[::1]:$port:53/udp" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "udp on [::1]"
	assert_contains "$ERR" "TCP only" "the reason"
	pd run -d --network p4net -p "[fd00::1]:$port:80" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "another IPv6 address"
	pd network rm p4net
	assert_ok
}

test_publish6_port_in_use_on_the_host() {
	_setup
	allow_containers_left
	pd network create --ipv6 p6busy
	assert_ok
	# A host program holds a port on ::1 (the test's own listener).
	local port
	port=$(_free_port6)
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::1", int(sys.argv[1])))
s.listen(1)
time.sleep(30)' "$port" &
	local holder=$!
	local i=0
	while [ -z "$(_listening "$port")" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pd run -d --name busy6 --network p6busy -p "[::1]:$port:80" --rootfs "$BUSYBOX_DIR" sleep 60
	assert_exit 125
	assert_error_line "a port in use on ::1"
	assert_contains "$ERR" "already in use" "the reason"
	kill "$holder"
	wait "$holder" 2>/dev/null
	pd ps -a --format '{{.Names}}'
	assert_not_contains "$OUT" busy6 "a container left by a refused run"
	pd network rm p6busy
	assert_ok
}

run_tests "$@"
