#!/bin/bash
# Networking: the bridge (pocket0, veth pairs, addresses from the leases in
# state.db), published ports through nftables, --network none/host,
# /etc/resolv.conf and /etc/hosts, bad input, and that stop, rm, prune after
# a killed monitor and a failed start leave no veth, no nft rule and no
# lease; the bridge drops what a container sends with a source address or
# MAC not its own, and any IPv6; rootless --network and -p through pasta as
# an unprivileged user.
#
# Traffic goes only to loopback and to the test's own containers.  The host
# is observed with ip(8) and nft(8) (package nftables) and the state
# database with python3's sqlite3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

ROOTLESS_USER=pdtest

_net_setup() {
	need_root
	need_busybox
	need_cmd ip nft python3 timeout
}

_veth_of() {
	echo "pd${1:0:8}"
}

_net_leftovers() {
	# _net_leftovers ID [stopped]: what the container left on the host, one
	# line each (nothing when clean).  A stopped container (not removed)
	# keeps its lease, and only that, for its next start.
	local id=$1 n leases=0
	[ "${2:-}" = stopped ] && leases=1
	ip -o link show | grep -q ": $(_veth_of "$id")[@:]" && echo "veth $(_veth_of "$id") still exists"
	nft list table ip pocket_docker 2>/dev/null | grep -q "pd:$id" && echo "nft rules tagged pd:$id still exist"
	nft list table bridge pocket_docker 2>/dev/null | grep -q "$id" && echo "anti-spoofing chain or element of $id still exists"
	n=$(_db "SELECT count(*) FROM ports WHERE container_id = '$id'")
	[ "$n" = 0 ] || echo "$n port rows left for $id"
	n=$(_db "SELECT count(*) FROM leases WHERE container_id = '$id'")
	[ "$n" = "$leases" ] || echo "$n lease rows for $id (want $leases)"
}

# assert_stopped_net_clean ID [WHAT]: a stopped container kept its lease
# and nothing else.
assert_stopped_net_clean() {
	local left
	left=$(_net_leftovers "$1" stopped)
	[ -z "$left" ] || fail "${2:-network leftovers}: $left"
}

assert_no_net_leftovers() {
	local left
	left=$(_net_leftovers "$1")
	[ -z "$left" ] || fail "${2:-after rm}: $left"
}

http_get() {
	# http_get HOST PORT: the body of GET / from the host, through bash's
	# /dev/tcp; empty when nothing answers.
	timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET / HTTP/1.0\r\nHost: x\r\n\r\n" >&3
		sed "1,/^\r\?$/d" <&3' _ "$1" "$2" 2>/dev/null
}

wait_http() {
	# wait_http HOST PORT TEXT: until GET / answers with TEXT (20 s at most).
	local i=0 body
	while [ "$i" -lt 100 ]; do
		body=$(http_get "$1" "$2")
		[ "$body" = "$3" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "GET http://$1:$2/ answered '$body', not '$3'" >&2
	return 1
}

HTTPD_CMD='mkdir -p /www && echo "$0" >/www/index.html && exec httpd -f -p 80 -h /www'

test_bridge_containers_reach_each_other() {
	_net_setup
	allow_containers_left
	pd run -d --network bridge --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-a"
	assert_ok
	local a=$OUT ip_a gw
	ip_a=$(_ip_of "$a")
	assert_match "$ip_a" '^10\.42\.[0-9]+\.[0-9]+$' "address of the first container"
	pd inspect "$a"
	assert_contains "$OUT" "\"IPAddress\": \"$ip_a\"" "inspect IPAddress"
	assert_contains "$OUT" '"Gateway": "10.42.0.1"' "inspect Gateway"
	assert_contains "$OUT" '"Bridge": "pocket0"' "inspect Bridge"
	# The second container: its own address, a default route through the
	# bridge, and the first one reachable by ping and by TCP.
	pd run --rm --network --rootfs "$BUSYBOX_DIR" /bin/sh -c "
		ip -4 addr show eth0; ip route
		ping -c 1 -W 5 $ip_a >/dev/null && echo PING-OK
		for i in 1 2 3 4 5 6 7 8 9 10; do
			printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $ip_a 80 | tail -n 1 | grep . && break
			sleep 0.2
		done"
	assert_ok
	assert_match "$OUT" 'inet 10\.42\.[0-9]+\.[0-9]+/16' "second container's address"
	assert_not_contains "$OUT" "inet $ip_a/" "the two addresses differ"
	assert_match "$OUT" '^default via 10\.42\.0\.1 dev eth0' "default route through the bridge"
	assert_line "$OUT" "PING-OK" "ping between the containers"
	assert_line "$OUT" "served-by-a" "TCP between the containers"
	pd rm -f "$a"
	assert_ok
	assert_no_net_leftovers "$a"
}

test_publish_answers_on_host_loopback() {
	_net_setup
	allow_containers_left
	pd run -d -p 18080:80 --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "hello-from-$T_TAG"
	assert_ok
	local id=$OUT
	wait_http 127.0.0.1 18080 "hello-from-$T_TAG" || fail "httpd -p 18080:80 does not answer on 127.0.0.1:18080"
	nft list table ip pocket_docker | grep "pd:$id" >"$T_TMP/rules"
	assert_eq 2 "$(grep -c 'dport 18080 dnat' "$T_TMP/rules")" "DNAT rules for 18080 (prerouting and output)"
	pd ps
	assert_match "$OUT" "${id:0:12} .*0\.0\.0\.0:18080->80/tcp" "ps PORTS"
	pd inspect "$id"
	assert_contains "$OUT" '"80/tcp": [' "inspect Ports key"
	assert_contains "$OUT" '"HostPort": "18080"' "inspect HostPort"
	# Another container reaches the published port through the gateway.
	pd run --rm --network --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		"printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 10.42.0.1 18080 | tail -n 1"
	assert_ok
	assert_eq "hello-from-$T_TAG" "$OUT" "published port through the gateway, from another container"
	pd rm -f "$id"
	assert_ok
	assert_no_net_leftovers "$id"
	[ -z "$(http_get 127.0.0.1 18080)" ] || fail "127.0.0.1:18080 still answers after rm"
}

test_publish_on_one_address_and_udp() {
	_net_setup
	allow_containers_left
	pd run -d -p 127.0.0.1:18081:80 -p 18081:53/udp --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "lo-only"
	assert_ok
	local id=$OUT
	wait_http 127.0.0.1 18081 "lo-only" || fail "-p 127.0.0.1:18081:80 does not answer"
	nft list table ip pocket_docker | grep "pd:$id" >"$T_TMP/rules"
	assert_match "$(cat "$T_TMP/rules")" 'ip daddr 127\.0\.0\.1 tcp dport 18081 dnat to 10\.42\.[0-9.]+:80' "rule for one address"
	assert_match "$(cat "$T_TMP/rules")" 'udp dport 18081 dnat to 10\.42\.[0-9.]+:53' "udp rule"
	pd ps
	assert_contains "$OUT" "127.0.0.1:18081->80/tcp" "ps PORTS, tcp"
	assert_contains "$OUT" "0.0.0.0:18081->53/udp" "ps PORTS, udp"
	pd stop -t 1 "$id"
	assert_ok
	# The container ended: its ports are back in the pool, its address
	# is kept for its next start.
	assert_stopped_net_clean "$id" "after stop"
	pd rm "$id"
	assert_ok
}

test_parallel_starts_get_distinct_addresses() {
	_net_setup
	allow_containers_left
	local i pids=() ids=() id addrs
	for i in $(seq 20); do
		"$PD" --root "$T_ROOT" run -d --network bridge --rootfs "$BUSYBOX_DIR" sleep 120 \
			>"$T_TMP/par$i.out" 2>"$T_TMP/par$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "parallel run $((i + 1)) failed: $(cat "$T_TMP/par$((i + 1)).err")"
	done
	for i in $(seq 20); do
		ids+=("$(cat "$T_TMP/par$i.out")")
	done
	: >"$T_TMP/addrs"
	for id in "${ids[@]}"; do
		_ip_of "$id" >>"$T_TMP/addrs"
	done
	addrs=$(grep -c . "$T_TMP/addrs")
	assert_eq 20 "$addrs" "containers with an address on eth0"
	assert_eq 20 "$(sort -u "$T_TMP/addrs" | grep -c .)" "distinct addresses among 20 parallel starts"
	assert_eq "20|20" "$(_db 'SELECT count(*), count(DISTINCT ip) FROM leases')" "leases in state.db"
	# Only this test's veths: other state roots may have containers on
	# the bridge meanwhile.
	: >"$T_TMP/veths"
	for id in "${ids[@]}"; do
		ip -o link show master pocket0 | grep -E ": $(_veth_of "$id")@" >>"$T_TMP/veths"
	done
	assert_eq 20 "$(grep -c . "$T_TMP/veths")" "the test's veths on the bridge"
	pd rm -f "${ids[@]}"
	assert_ok
	for id in "${ids[@]}"; do
		assert_no_net_leftovers "$id"
	done
	assert_eq "0" "$(_db 'SELECT count(*) FROM leases')" "leases after rm"
}

test_two_state_roots_share_the_bridge() {
	# Leases are per state root, the bridge is the host's: the kernel's
	# claims (a table of /32 routes through each veth) keep them apart.
	_net_setup
	allow_containers_left
	local other=$T_TMP/root2 a b ip_a ip_b
	mkdir -p "$other"
	pd run -d -p 18088:80 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	a=$OUT
	_pd_exec /dev/null "$PD" --root "$other" run -d --network --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	b=$OUT
	# The published port too: the other root finds the first one's rules.
	_pd_exec /dev/null "$PD" --root "$other" run --rm -p 127.0.0.1:18088:81 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "port of another state root"
	assert_contains "$ERR" "already published by container ${a:0:12} of another state root" "names the holder"
	ip_a=$(_ip_of "$a")
	ip_b=$(_ip_in "$other" "$b")
	[ -n "$ip_a" ] && [ -n "$ip_b" ] || fail "addresses: '$ip_a' '$ip_b'"
	[ "$ip_a" != "$ip_b" ] || fail "two state roots leased the same address $ip_a"
	ip route show table 28772 >"$T_TMP/claims"
	assert_match "$(cat "$T_TMP/claims")" "^$ip_a dev $(_veth_of "$a") " "claim of the first"
	assert_match "$(cat "$T_TMP/claims")" "^$ip_b dev $(_veth_of "$b") " "claim of the second"
	_pd_exec /dev/null "$PD" --root "$other" rm -f "$b"
	assert_ok
	pd rm -f "$a"
	assert_ok
	assert_no_net_leftovers "$a"
	# The addresses may be claimed anew by another state root meanwhile:
	# only a claim through these containers' veths is theirs.
	ip route show table 28772 | grep -qE "^($ip_a dev $(_veth_of "$a")|$ip_b dev $(_veth_of "$b")) " &&
		fail "claims left: $(ip route show table 28772)"
	return 0
}

test_two_state_roots_start_at_once() {
	# Two state roots starting bridge containers at the same moment: each
	# root's leases see only its own, so between a root's choice of a free
	# address and its claim in the kernel the other could choose the same.
	# A host-wide lock spans that window: every start succeeds, each with
	# an address of its own.
	_net_setup
	allow_containers_left
	local other=$T_TMP/root2 i r n=8 pids=() failed=0
	mkdir -p "$other"
	for i in $(seq "$n"); do
		for r in "$T_ROOT" "$other"; do
			"$PD" --root "$r" run -d --network bridge --rootfs "$BUSYBOX_DIR" sleep 120 \
				>"$T_TMP/both-${r##*/}-$i.out" 2>"$T_TMP/both-${r##*/}-$i.err" </dev/null &
			pids+=($!)
		done
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	local errs
	errs=$(cat "$T_TMP"/both-*.err)
	: >"$T_TMP/both-addrs"
	for r in "$T_ROOT" "$other"; do
		for i in $(seq "$n"); do
			local id
			id=$(cat "$T_TMP/both-${r##*/}-$i.out")
			[ -n "$id" ] || continue
			_ip_in "$r" "$id" >>"$T_TMP/both-addrs"
		done
		_pd_exec /dev/null "$PD" --root "$r" rm -f $(cat "$T_TMP"/both-"${r##*/}"-*.out)
	done
	assert_eq 0 "$failed" "starts that failed: $errs"
	assert_eq $((2 * n)) "$(sort -u "$T_TMP/both-addrs" | grep -c .)" "distinct addresses across the two roots"
}

# _start_behind_holder SECONDS: a bridge start while another process holds
# the host-wide claim lock for SECONDS (ended by its pid after the start):
# STARTED the container's id, TOOK_MS how long the start took.
_start_behind_holder() {
	local holder t0
	python3 -c 'import fcntl, sys, time; f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(float(sys.argv[2]))' \
		/run/pocket-docker.claims.lock "$1" &
	holder=$!
	local i
	for i in $(seq 50); do
		flock -n /run/pocket-docker.claims.lock true || break # held now
		sleep 0.1
	done
	t0=$(date +%s%N)
	pd run -d --network bridge --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	STARTED=$OUT
	TOOK_MS=$((($(date +%s%N) - t0) / 1000000))
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	return 0
}

test_start_waits_for_the_claim_lock() {
	# A bridge start takes the host-wide lock before it chooses an address
	# (it waits while another holds it), and a start that hangs holding it
	# stops the others for 10 s at most.
	_net_setup
	need_cmd flock
	allow_containers_left
	local a
	_start_behind_holder 2
	a=$STARTED
	[ "$TOOK_MS" -ge 1200 ] || fail "the start did not wait for the lock ($TOOK_MS ms)"
	_start_behind_holder 60
	[ "$TOOK_MS" -ge 9000 ] && [ "$TOOK_MS" -lt 30000 ] ||
		fail "a start behind a stuck holder took $TOOK_MS ms (10 s expected)"
	[ "$(_ip_of "$a")" != "$(_ip_of "$STARTED")" ] || fail "one address for both"
	pd rm -f "$a" "$STARTED"
	assert_ok
}

test_killed_start_frees_the_claim_lock() {
	# A start whose CLI is killed at any moment leaves no one holding the
	# lock: the next start does not wait out its 10 s.
	_net_setup
	allow_containers_left
	local d p t0 ms
	for d in 0.002 0.01 0.03; do
		"$PD" --root "$T_ROOT" run -d --network bridge --rootfs "$BUSYBOX_DIR" sleep 120 \
			>/dev/null 2>&1 </dev/null &
		p=$!
		sleep "$d"
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		t0=$(date +%s%N)
		pd run -d --network bridge --rootfs "$BUSYBOX_DIR" sleep 120
		assert_ok "a start after one killed at $d s"
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$ms" -lt 5000 ] || fail "a start after one killed at $d s waited $ms ms"
	done
	pd ps -a -q
	pd rm -f $OUT
	assert_ok
}

test_nothing_left_after_killed_monitor_and_prune() {
	_net_setup
	allow_containers_left
	pd run -d -p 18082:80 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local id=$OUT mon
	mon=$(_db "SELECT monitor_pid FROM containers WHERE id = '$id'")
	[ -n "$mon" ] && [ "$mon" -gt 0 ] || fail "no monitor pid recorded"
	[ -n "$(nft list table ip pocket_docker | grep "pd:$id")" ] || fail "no rules while running"
	kill -KILL "$mon"
	# The container goes with its monitor; its rules and lease stay until prune.
	local i=0
	while pd ps -q && [ -n "$OUT" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pd prune
	assert_ok
	assert_contains "$OUT" "$id" "prune removed the container"
	assert_no_net_leftovers "$id" "after a killed monitor and prune"
	[ -z "$(http_get 127.0.0.1 18082)" ] || fail "127.0.0.1:18082 still answers"
}

_rules_18083() {
	# The comments (pd:ID) of the DNAT rules for host port 18083, sorted.
	nft list table ip pocket_docker 2>/dev/null | grep 'dport 18083 ' | grep -o 'comment "[^"]*"' | LC_ALL=C sort
}

test_nothing_left_after_failed_start() {
	_net_setup
	# The --rm container's id is never seen: compare the rules for 18083
	# before and after (a rule of another state root's stays the same).
	_rules_18083 >"$T_TMP/rules-before"
	pd run --rm -p 18083:80 --rootfs "$BUSYBOX_DIR" /no/such/command
	assert_exit 127
	assert_error_line "missing command"
	assert_eq "0 0" "$(_db 'SELECT count(*) FROM leases') $(_db 'SELECT count(*) FROM ports')" "rows after a failed --rm start"
	_rules_18083 | LC_ALL=C comm -13 "$T_TMP/rules-before" - | grep -q . && fail "a rule for 18083 was left"
	pd run -p 18083:80 --rootfs "$BUSYBOX_DIR" /no/such/command
	assert_exit 127
	pd ps -aq
	local id=$OUT
	[ -n "$id" ] || fail "no record of the failed container"
	assert_eq "1 0" "$(_db 'SELECT count(*) FROM leases') $(_db 'SELECT count(*) FROM ports')" "rows after a failed start (the record keeps its address)"
	ip -o link show | grep -q ": pd${id:0:8}" && fail "veth left after a failed start"
	pd rm "$id"
	assert_ok
	assert_no_net_leftovers "$id" "after a failed start and rm"
	# The port is free again.
	pd run --rm -p 18083:80 --rootfs "$BUSYBOX_DIR" true
	assert_ok
}

test_bad_specs_are_one_line_errors() {
	_net_setup
	local spec
	for spec in 80-81:90 a:80 0:80 65536:80 80:99999 1.2.3:80:80 80:80/sctp 1:2:3:4 81-80 80: -1:80 '80 :80' 300.1.1.1:80:80; do
		pd run --rm -p "$spec" --rootfs "$BUSYBOX_DIR" true
		assert_exit 125 "-p '$spec'"
		assert_error_line "-p '$spec'"
		assert_contains "$ERR" "invalid port spec '$spec'" "-p '$spec'"
	done
	pd run --rm --network nosuch --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "--network nosuch"
	pd run --rm --network=nosuch --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "invalid --network 'nosuch'" "--network=nosuch"
	pd run --rm --network host -p 80:80 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "--publish needs --network bridge" "-p with host networking"
	pd run --rm -p 18084:80 -p 18084:81 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "published twice" "one host port twice"
	pd run --rm --dns not-an-ip --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "--dns"
	pd run --rm --add-host nocolon --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "--add-host"
	pd run --rm -p 10.255.254.253:18084:80 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "not an address of this host" "-p on a foreign address"
	POCKET_DOCKER_SUBNET=10.42.0.0/16 pd run --rm --network --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "subnet without a host address"
	assert_eq "" "$(ls -A "$T_ROOT/containers" 2>/dev/null)" "containers after bad input"
	assert_eq "0" "$(_db 'SELECT count(*) FROM containers')" "records after bad input"
}

test_taken_ports_are_errors() {
	_net_setup
	allow_containers_left
	pd run -d -p 18085:80 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local id=$OUT listener
	pd run --rm -p 18085:81 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "port taken by a container"
	assert_contains "$ERR" "already published by container ${id:0:12}" "names the holder"
	pd run --rm -p 127.0.0.1:18085:81 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "already published" "one address inside a wildcard"
	pd run --rm -p 18085:81/udp --rootfs "$BUSYBOX_DIR" true
	assert_ok "the same port number over udp is another port"
	# A port a host program listens on.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 18086)); s.listen(1)
print("ready", flush=True); time.sleep(60)' >"$T_TMP/listener.out" &
	listener=$!
	wait_for_output "$T_TMP/listener.out" ready || fail "host listener did not start"
	pd run --rm -p 127.0.0.1:18086:80 --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "port in use on the host"
	assert_contains "$ERR" "in use on the host" "port in use on the host"
	kill "$listener"
	wait "$listener" 2>/dev/null
	assert_eq "1" "$(_db 'SELECT count(*) FROM ports')" "port rows: only the running container's"
	pd rm -f "$id"
	assert_ok
	assert_no_net_leftovers "$id"
}

test_subnet_overlapping_a_host_route_is_refused() {
	_net_setup
	local route subnet
	# A route of the host's other than the default and the bridge's.
	route=$(ip -4 -o route show | awk '$1 != "default" && $1 ~ /\// && $3 != "pocket0" {print $1; exit}')
	[ -n "$route" ] || skip "the host has no non-default IPv4 route to overlap"
	subnet=$(python3 -c 'import ipaddress, sys
n = ipaddress.ip_network(sys.argv[1])
print(f"{n[1]}/{n.prefixlen}" if n.prefixlen <= 30 else "")' "$route")
	[ -n "$subnet" ] || skip "route $route is too narrow"
	POCKET_DOCKER_SUBNET=$subnet pd run --rm --network --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_error_line "overlapping subnet"
	assert_contains "$ERR" "overlaps the host's route to $route" "names the route"
	assert_eq "0" "$(_db 'SELECT count(*) FROM containers')" "records after the refusal"
	ip -o addr show dev pocket0 2>/dev/null | grep -q " ${subnet%/*}/" && fail "the bridge got $subnet"
	return 0
}

test_network_modes() {
	_net_setup
	local host_links
	# Default and none: loopback only.
	pd run --rm --rootfs "$BUSYBOX_DIR" cat /proc/net/dev
	assert_ok
	assert_eq "lo" "$(printf '%s\n' "$OUT" | awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}')" "links by default"
	pd run --rm --network none --rootfs "$BUSYBOX_DIR" cat /proc/net/dev
	assert_ok
	assert_eq "lo" "$(printf '%s\n' "$OUT" | awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}')" "links with none"
	# Bridge: lo and eth0; --network alone and --net mean bridge.
	pd run --rm --network --rootfs "$BUSYBOX_DIR" cat /proc/net/dev
	assert_ok
	assert_eq "eth0 lo" "$(printf '%s\n' "$OUT" | awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}' | sort | xargs)" "links with --network alone"
	pd run --rm --net bridge --rootfs "$BUSYBOX_DIR" cat /proc/net/dev
	assert_ok
	assert_contains "$OUT" "eth0:" "--net bridge"
	# Host: the host's own links.
	host_links=$(awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}' /proc/net/dev | sort | xargs)
	pd run --rm --net=host --rootfs "$BUSYBOX_DIR" cat /proc/net/dev
	assert_ok
	assert_eq "$host_links" "$(printf '%s\n' "$OUT" | awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}' | sort | xargs)" "links with host"
	pd run --rm --network host --rootfs "$BUSYBOX_DIR" hostname
	assert_ok
	assert_eq "$(hostname)" "$OUT" "hostname with host networking"
	pd run --rm --network host --add-host extra.test:10.9.8.7 --rootfs "$BUSYBOX_DIR" cat /etc/hosts
	assert_ok
	assert_eq "$(cat /etc/hosts)"$'\n10.9.8.7\textra.test' "$OUT" "/etc/hosts with host networking, and --add-host"
}

test_resolv_conf_and_hosts() {
	_net_setup
	local want
	# The host's resolvers without loopback ones (they would be the
	# container's own loopback).
	want=$(grep '^nameserver' /etc/resolv.conf | grep -vE '^nameserver[[:space:]]+(127\.|::1)')
	pd run --rm --network --hostname web1 --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'grep ^nameserver /etc/resolv.conf; echo ---; cat /etc/hosts; hostname'
	assert_ok
	assert_eq "$want" "$(printf '%s\n' "$OUT" | sed '/^---$/,$d')" "nameservers"
	assert_match "$OUT" $'^10\\.42\\.[0-9]+\\.[0-9]+\tweb1$' "/etc/hosts names the container by its address"
	assert_match "$OUT" $'127\\.0\\.0\\.1\tlocalhost' "/etc/hosts localhost"
	pd run --rm --network --dns 192.0.2.53 --dns 2001:db8::53 --add-host db.test:10.1.2.3 \
		--add-host api:10.1.2.4 --rootfs "$BUSYBOX_DIR" /bin/sh -c \
		'cat /etc/resolv.conf; echo ---; cat /etc/hosts; ping -c 1 -W 1 db.test 2>&1 | head -n 1'
	assert_ok
	assert_eq $'nameserver 192.0.2.53\nnameserver 2001:db8::53' "$(printf '%s\n' "$OUT" | grep ^nameserver)" "--dns replaces the host's"
	assert_line "$OUT" $'10.1.2.3\tdb.test' "--add-host"
	assert_line "$OUT" $'10.1.2.4\tapi' "--add-host, second"
	assert_match "$OUT" 'PING db.test \(10\.1\.2\.3\)' "the name resolves inside"
	# Without a network namespace of its own a container has loopback only,
	# and its name on 127.0.1.1.
	pd run --rm --network none --hostname solo --rootfs "$BUSYBOX_DIR" cat /etc/hosts
	assert_ok
	assert_line "$OUT" $'127.0.1.1\tsolo' "/etc/hosts with none"
}

test_restart_keeps_address_and_rules() {
	_net_setup
	allow_containers_left
	pd run -d --restart on-failure:2 -p 18087:80 --rootfs "$BUSYBOX_DIR" /bin/sh -c 'sleep 0.3; exit 3'
	assert_ok
	local id=$OUT
	pd wait "$id"
	assert_ok
	assert_eq 3 "$OUT" "exit code after the restarts"
	pd inspect "$id"
	assert_contains "$OUT" '"RestartCount": 2' "restarted twice"
	assert_stopped_net_clean "$id" "after the last run"
	pd rm "$id"
	assert_ok
}

# ---------------------------------------------------------------------------
# Anti-spoofing on the bridge: what a container sends must carry its own
# lease and MAC.  Container A (CAP_NET_RAW, Docker's default) forges frames
# with the probe through an AF_PACKET socket; B listens.

_spoof_setup() {
	_net_setup
	need_cmd cc
	bash "$REPO/tests/fixtures/build-probe.sh" "$T_TMP/probe-bin" >&2 ||
		skip "cannot build the probe (needs cc and static glibc)"
	PROBE_VOL=$T_TMP/probe-bin/probe:/probe:ro
}

_mac_of() {
	pd exec "$1" cat /sys/class/net/eth0/address
	printf '%s\n' "$OUT"
}

test_bridge_spoofed_sources_are_dropped() {
	_spoof_setup
	allow_containers_left
	pd run -d --network bridge -v "$PROBE_VOL" --rootfs "$BUSYBOX_DIR" /probe udp-recv 9999 60000
	assert_ok
	local b=$OUT ip_b mac_b ll_b
	# A failed assertion must not leave the listener (and its rules) behind.
	trap '"$PD" --root "$T_ROOT" rm -f "$b" >/dev/null 2>&1' EXIT
	local i=0
	while pd logs "$b" && [ "$OUT" != listening ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq listening "$OUT" "the listener's output"
	ip_b=$(_ip_of "$b")
	mac_b=$(_mac_of "$b")
	pd exec "$b" ip -6 -o addr show eth0 scope link
	ll_b=$(printf '%s\n' "$OUT" | awk '{sub("/.*", "", $4); print $4}')
	[ -n "$ip_b" ] && [ -n "$mac_b" ] && [ -n "$ll_b" ] || fail "addresses of the listener: '$ip_b' '$mac_b' '$ll_b'"
	# A: the real source first (the control), then a forged IPv4 source
	# (the gateway, an address no one leased), a forged source MAC with the
	# real address, and ARP requests that claim the gateway's and an unused
	# address, which would poison B's neighbour table.
	pd run --rm --network bridge -v "$PROBE_VOL" --rootfs "$BUSYBOX_DIR" /bin/sh -c '
		mac=$(cat /sys/class/net/eth0/address)
		ip=$(ip -o -4 addr show eth0 | awk "{sub(\"/.*\", \"\", \$4); print \$4}")
		echo "me=$ip $mac"
		/probe eth-udp eth0 $mac $ip $1 $2 9999 real
		/probe eth-udp eth0 $mac 10.42.0.1 $1 $2 9999 forged-gateway
		/probe eth-udp eth0 $mac 10.42.255.250 $1 $2 9999 forged-unused
		/probe eth-udp eth0 02:00:00:00:00:99 $ip $1 $2 9999 forged-mac
		/probe eth-arp eth0 $mac 10.42.255.251 $2
		/probe eth-arp eth0 $mac 10.42.0.1 $2
		/probe eth-udp eth0 $mac $ip $1 $2 9999 real-again
		# IPv6 is not routed for containers: none may cross the bridge
		# either (link-local addresses would let a container reach and
		# spoof its neighbours outside the IPv4 rules).  Once A has left
		# duplicate address detection, its ping6 would be answered.
		i=0
		while ip -6 addr show eth0 | grep -q tentative && [ $i -lt 40 ]; do sleep 0.1; i=$((i + 1)); done
		ping6 -c 1 -W 2 "$3%eth0" >/dev/null 2>&1 && echo ipv6-reached-b
		exit 0' _ "$mac_b" "$ip_b" "$ll_b"
	assert_ok
	assert_not_contains "$OUT" "ipv6-reached-b" "IPv6 from A to B's link-local address"
	local ip_a mac_a
	read -r ip_a mac_a < <(printf '%s\n' "$OUT" | sed -n 's/^me=//p')
	assert_eq 7 "$(printf '%s\n' "$OUT" | grep -c '^sent$')" "frames sent by A (CAP_NET_RAW)"
	# Both real datagrams came through (the listener, and the path, work).
	i=0
	while [ "$i" -lt 50 ]; do
		pd logs "$b"
		printf '%s\n' "$OUT" | grep -q 'text=real-again' && break
		sleep 0.1
		i=$((i + 1))
	done
	assert_line "$OUT" "from=$ip_a text=real" "the datagram with A's own source"
	assert_line "$OUT" "from=$ip_a text=real-again" "the second datagram with A's own source"
	assert_not_contains "$OUT" "forged" "datagrams with a forged source"
	pd exec "$b" ip neigh show
	assert_not_contains "$OUT" "10.42.255.251" "B's neighbour entry for an address A claimed by ARP"
	printf '%s\n' "$OUT" | grep -F "$mac_a" | grep -q '^10\.42\.0\.1 ' &&
		fail "B maps the gateway to A's MAC $mac_a: $OUT"
	pd rm -f "$b"
	assert_ok
	assert_no_net_leftovers "$b"
}

# ---------------------------------------------------------------------------
# Rootless: an unprivileged user with a subordinate id range, pasta.

_rootless_setup() {
	_net_setup
	rootless_prepare "$ROOTLESS_USER" yes
	cp "$BUSYBOX_TAR" "$T_TMP/busybox.tar"
}

_pasta_pid() {
	# The pasta process serving container ID (its pid file is in the
	# container's directory); non-zero when none.
	local d
	for d in /proc/[0-9]*; do
		tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q -- "--pid [^ ]*/$1/pasta.pid" || continue
		echo "${d#/proc/}"
		return 0
	done
	return 1
}

_tun_usable_by_others() {
	[ $((0$(stat -c %a /dev/net/tun) & 6)) -eq 6 ]
}

_with_open_tun() {
	# pasta opens /dev/net/tun as the user; distributions make it 0666.
	# When this host has it closer, open it for the test and put the mode
	# back afterwards.
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	if ! _tun_usable_by_others; then
		TUN_MODE=$(stat -c %a /dev/net/tun)
		trap 'chmod "$TUN_MODE" /dev/net/tun' EXIT
		chmod 0666 /dev/net/tun
	fi
}

test_rootless_network_with_published_port() {
	_rootless_setup
	command -v pasta >/dev/null || skip "pasta missing (package passt)"
	_with_open_tun
	pd_as "$ROOTLESS_USER" run -d -p 18090:80 --rootfs "$T_TMP/busybox.tar" /bin/sh -c "$HTTPD_CMD" "rootless-$T_TAG"
	assert_ok
	local id=$OUT
	wait_http 127.0.0.1 18090 "rootless-$T_TAG" || fail "rootless -p 18090:80 does not answer on 127.0.0.1:18090"
	local helper
	helper=$(_pasta_pid "$id") || fail "no pasta process for the container"
	assert_eq "$(id -u "$ROOTLESS_USER")" "$(stat -c %u "/proc/$helper")" "pasta runs as the user"
	pd_as "$ROOTLESS_USER" exec "$id" cat /proc/net/dev
	assert_ok
	assert_match "$OUT" '^ *eth0:' "the container has eth0"
	pd_as "$ROOTLESS_USER" ps
	assert_contains "$OUT" "0.0.0.0:18090->80/tcp" "ps PORTS"
	pd_as "$ROOTLESS_USER" run --rm -p 18090:81 --rootfs "$T_TMP/busybox.tar" true
	assert_exit 125
	assert_contains "$ERR" "already published by container ${id:0:12}" "taken port, rootless"
	pd_as "$ROOTLESS_USER" rm -f "$id"
	assert_ok
	_pasta_pid "$id" >/dev/null && fail "pasta still runs after rm"
	assert_eq "0" "$(_db 'SELECT count(*) FROM ports')" "port rows after rm"
	[ -z "$(http_get 127.0.0.1 18090)" ] || fail "127.0.0.1:18090 still answers after rm"
	# Outbound through pasta: the host's loopback is not the container's,
	# and a plain --network run works.
	pd_as "$ROOTLESS_USER" run --rm --network --rootfs "$T_TMP/busybox.tar" /bin/sh -c 'ip -4 route | head -n 1'
	assert_ok
	assert_match "$OUT" '^default via ' "a default route inside"
}

test_rootless_network_through_slirp4netns() {
	_rootless_setup
	command -v slirp4netns >/dev/null || skip "slirp4netns missing (package slirp4netns)"
	_with_open_tun
	# A PATH with slirp4netns but no pasta (newuidmap and newgidmap too).
	mkdir -p "$T_TMP/path"
	local t
	for t in newuidmap newgidmap slirp4netns; do
		[ -x "/usr/bin/$t" ] && ln -s "/usr/bin/$t" "$T_TMP/path/$t"
	done
	_pd_exec /dev/null setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups \
		env HOME=/ PATH="$T_TMP/path" "$PD" --root "$T_ROOT" run --rm --network --rootfs "$T_TMP/busybox.tar" \
		/bin/sh -c 'ip -4 addr show eth0; ip -4 route'
	assert_ok
	assert_match "$OUT" 'inet 10\.0\.2\.100/24' "slirp4netns's address"
	assert_match "$OUT" '^default via 10\.0\.2\.2 dev eth0' "slirp4netns's gateway"
	_pd_exec /dev/null setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups \
		env HOME=/ PATH="$T_TMP/path" "$PD" --root "$T_ROOT" run --rm -p 18093:80 --rootfs "$T_TMP/busybox.tar" true
	assert_exit 125
	assert_error_line "-p without pasta"
	assert_contains "$ERR" "needs pasta (install the Debian package 'passt')" "names passt"
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = slirp4netns ] && [ "$(stat -c %U "$d")" = "$ROOTLESS_USER" ] &&
			fail "slirp4netns still there: $(cat "$d/stat")"
	done
	assert_eq "0" "$(_db 'SELECT count(*) FROM containers')" "records left"
}

test_rootless_errors_name_the_package() {
	_rootless_setup
	# No helper on PATH (newuidmap and newgidmap still there).
	mkdir -p "$T_TMP/path"
	local t
	for t in newuidmap newgidmap; do
		[ -x "/usr/bin/$t" ] && ln -s "/usr/bin/$t" "$T_TMP/path/$t"
	done
	_pd_exec /dev/null setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups \
		env HOME=/ PATH="$T_TMP/path" "$PD" --root "$T_ROOT" run --rm --network --rootfs "$T_TMP/busybox.tar" true
	assert_exit 125
	assert_error_line "no helper"
	assert_contains "$ERR" "'passt'" "names the package passt"
	assert_contains "$ERR" "'slirp4netns'" "names slirp4netns"
	# A tun device the user cannot open.
	if command -v pasta >/dev/null && ! _tun_usable_by_others; then
		pd_as "$ROOTLESS_USER" run --rm --network --rootfs "$T_TMP/busybox.tar" true
		assert_exit 125
		assert_error_line "closed /dev/net/tun"
		assert_contains "$ERR" "/dev/net/tun" "names the device"
	fi
	# Host ports the user cannot have: privileged ones, and one a host
	# program listens on (pasta would only warn and leave it out).
	command -v pasta >/dev/null || skip "pasta missing (package passt)"
	_with_open_tun
	if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
		pd_as "$ROOTLESS_USER" run --rm -p 80:80 --rootfs "$T_TMP/busybox.tar" true
		assert_exit 125
		assert_error_line "privileged port"
		assert_contains "$ERR" "without privileges" "privileged port"
	fi
	python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 18089)); s.listen(1)
print("ready", flush=True); time.sleep(60)' >"$T_TMP/listener.out" &
	local listener=$!
	wait_for_output "$T_TMP/listener.out" ready || fail "host listener did not start"
	pd_as "$ROOTLESS_USER" run --rm -p 127.0.0.1:18089:80 --rootfs "$T_TMP/busybox.tar" true
	kill "$listener"
	wait "$listener" 2>/dev/null
	assert_exit 125
	assert_error_line "port in use, rootless"
	assert_contains "$ERR" "in use on the host" "port in use, rootless"
	assert_eq "0" "$(_db 'SELECT count(*) FROM containers')" "records after the errors"
}

run_tests "$@"
