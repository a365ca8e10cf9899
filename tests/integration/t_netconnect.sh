#!/bin/bash
# `network connect [--ip ADDR] [--alias A] NETWORK CONTAINER` and `network
# disconnect [-f] NETWORK CONTAINER`: a container gets one more interface
# (eth1, eth2 ...) with an address on the network, and its names are in
# the members' /etc/hosts (and theirs in its own); disconnect takes them
# away.  A stopped or created container joins at its next start.  Networks
# stay isolated for the containers not connected; rm, a killed monitor and
# prune leave no veth, anti-spoofing chain, lease, endpoint or connection
# row; `network rm` is refused while a container is connected.
#
# Traffic goes only between the test's own containers.  Host state is
# observed with ip(8), nft(8) and python3's sqlite3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HTTPD_CMD='mkdir -p /www && echo "$0" >/www/index.html && exec httpd -f -p 80 -h /www'

_setup() {
	need_root
	need_busybox
	need_cmd ip nft python3 timeout
}

_db() {
	python3 - "$T_ROOT/state.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2]):
    print("|".join(str(v) for v in row))
EOF
}

_bridge_of() {
	pd network inspect "$1"
	printf '%s\n' "$OUT" | sed -n 's/.*"com.docker.network.bridge.name": "\(pd-[0-9a-f]*\)".*/\1/p'
}

_ip_of() {
	# _ip_of CONTAINER [IFACE]: its IPv4 address on IFACE (eth0).
	pd exec "$1" ip -4 addr show "${2:-eth0}"
	printf '%s\n' "$OUT" | awk '$1 == "inet" {sub("/.*", "", $2); print $2}'
}

_id_of() {
	pd inspect -f '{{.Id}}' "$1"
	printf '%s\n' "$OUT"
}

_net_leftovers() {
	local br=$1
	ip link show "$br" >/dev/null 2>&1 && echo "bridge $br still exists"
	ip -o link show master "$br" 2>/dev/null | grep -q . && echo "links still on $br"
	nft list table ip pocket_docker 2>/dev/null | grep -q "net-$br-" && echo "nft chains net-$br-* still exist"
	[ "$(_db "SELECT count(*) FROM networks WHERE bridge = '$br'")" = 0 ] || echo "network row of $br left"
}

assert_net_gone() {
	local left
	left=$(_net_leftovers "$1")
	[ -z "$left" ] || fail "${2:-after network rm}: $left"
}

_container_leftovers() {
	# Every interface's veth (pd<8 hex>, pd<8 hex>-N), anti-spoofing chain
	# (pd-<id>, pd-<id>-ethN) and row.
	local id=$1
	ip -o link show | grep -qE ": pd${id:0:8}(-[0-9]+)?[@:]" && echo "a veth pd${id:0:8}* still exists"
	nft list table bridge pocket_docker 2>/dev/null | grep -q "$id" && echo "an anti-spoofing chain of $id still exists"
	[ "$(_db "SELECT (SELECT count(*) FROM leases WHERE container_id = '$id') + (SELECT count(*) FROM endpoints WHERE container_id = '$id') + (SELECT count(*) FROM connections WHERE container_id = '$id')")" = 0 ] ||
		echo "lease/endpoint/connection rows left for $id"
}

assert_container_gone() {
	local left
	left=$(_container_leftovers "$1")
	[ -z "$left" ] || fail "${2:-after rm}: $left"
}

_wait_hosts() {
	# _wait_hosts CONTAINER PATTERN present|absent (5 s at most).
	local i=0
	while [ "$i" -lt 25 ]; do
		pd exec "$1" cat /etc/hosts
		if [ "$3" = present ]; then
			grep -qE "$2" <<<"$OUT" && return 0
		else
			grep -qE "$2" <<<"$OUT" || return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	fail "/etc/hosts of $1: '$2' not $3: $(_short "$OUT")"
}

_reaches() {
	# _reaches FROM TARGET: "PING HTTP" for what got through (httpd on 80).
	pd exec "$1" sh -c "ping -c 1 -W 2 $2 >/dev/null 2>&1 && echo PING; timeout 3 wget -q -O - http://$2/ >/dev/null 2>&1 && echo HTTP; true"
	printf '%s\n' "$OUT" | tr '\n' ' ' | sed 's/ $//'
}

test_connect_running_then_disconnect() {
	_setup
	allow_containers_left
	pd network create cna
	assert_ok
	pd network create cnb
	assert_ok
	local br_a br_b
	br_a=$(_bridge_of cna)
	br_b=$(_bridge_of cnb)
	pd run -d --name srv --network cnb --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-srv"
	assert_ok
	local srv=$OUT
	pd run -d --name cli --network cna --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-cli"
	assert_ok
	local cli=$OUT
	pd run -d --name other --network cna --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-other"
	assert_ok
	local other=$OUT ip_srv ip_other
	ip_srv=$(_ip_of srv)
	ip_other=$(_ip_of other)
	[ -n "$ip_srv" ] && [ -n "$ip_other" ] || fail "addresses: '$ip_srv' '$ip_other'"
	# Before: cna and cnb do not meet.
	assert_eq "" "$(_reaches cli "$ip_srv")" "cli -> srv before connect"
	pd network connect --alias front cnb cli
	assert_ok
	local ip_cli_b
	ip_cli_b=$(_ip_of cli eth1)
	assert_match "$ip_cli_b" '^10\.50\.[0-9]+\.[0-9]+$' "cli's address on cnb (eth1)"
	assert_eq "$(_ip_of cli eth0)" "$(_ip_of cli)" "eth0 stays"
	# By name and by address, and the members see it by name and alias.
	pd exec cli sh -c "timeout 3 wget -q -O - http://srv/; timeout 3 wget -q -O - http://$ip_srv/"
	assert_ok
	assert_eq "served-by-srv"$'\n'"served-by-srv" "$OUT" "cli -> srv by name and address"
	_wait_hosts srv '[[:space:]]cli( |$)' present
	pd exec srv sh -c "timeout 3 wget -q -O - http://cli/; timeout 3 wget -q -O - http://front/"
	assert_ok
	assert_eq "served-by-cli"$'\n'"served-by-cli" "$OUT" "srv -> cli by name and alias"
	pd exec srv ping -c 1 -W 2 "$ip_cli_b"
	assert_ok
	# cli's own names on cna are still there.
	pd exec cli ping -c 1 -W 2 other
	assert_ok
	# Isolation holds for what is not connected, both ways.
	assert_eq "" "$(_reaches other "$ip_srv")" "other (cna, not connected) -> srv"
	assert_eq "" "$(_reaches srv "$ip_other")" "srv -> other (cna, not connected)"
	pd exec srv ping -c 1 -W 2 other
	[ "$RC" != 0 ] || fail "a name of cna resolves on cnb"
	# inspect: both networks.
	pd inspect -f '{{.NetworkSettings.Networks.cnb.IPAddress}} {{.NetworkSettings.Networks.cna.IPAddress}}' cli
	assert_ok
	assert_eq "$ip_cli_b $(_ip_of cli)" "$OUT" "inspect's NetworkSettings.Networks"
	pd network inspect cnb
	assert_contains "$OUT" "\"$cli\"" "network inspect lists the connected container"
	# Disconnect: the interface, the address and the names go.
	pd network disconnect cnb cli
	assert_ok
	pd exec cli ip link show eth1
	[ "$RC" != 0 ] || fail "eth1 is still in cli after disconnect"
	assert_eq "" "$(_reaches cli "$ip_srv")" "cli -> srv after disconnect"
	pd exec cli ping -c 1 -W 2 srv
	[ "$RC" != 0 ] || fail "srv still resolves in cli after disconnect"
	_wait_hosts srv '[[:space:]]cli( |$)' absent
	ip -o link show | grep -qE ": pd${cli:0:8}-[0-9]+[@:]" && fail "the connection's veth is left"
	nft list table bridge pocket_docker | grep -q "pd-$cli-eth" && fail "the connection's anti-spoofing chain is left"
	assert_eq 0 "$(_db "SELECT (SELECT count(*) FROM leases WHERE container_id = '$cli' AND iface != 'eth0') + (SELECT count(*) FROM endpoints WHERE container_id = '$cli' AND network = 'cnb') + (SELECT count(*) FROM connections WHERE container_id = '$cli')")" "rows of the connection"
	# And back again: a second connect works.
	pd network connect cnb cli
	assert_ok
	pd exec cli timeout 3 wget -q -O - http://srv/
	assert_out "served-by-srv" "after a second connect"
	pd rm -f srv cli other
	assert_ok
	for id in "$srv" "$cli" "$other"; do
		assert_container_gone "$id"
	done
	pd network rm cna cnb
	assert_ok
	assert_net_gone "$br_a"
	assert_net_gone "$br_b"
}

test_stopped_and_default_bridge_containers_join_at_start() {
	_setup
	allow_containers_left
	pd network create cnlate
	assert_ok
	local br
	br=$(_bridge_of cnlate)
	pd run -d --name peer --network cnlate --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-peer"
	assert_ok
	local peer=$OUT
	# A created container (no network of its own), connected with --ip.
	pd create --name late --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local late=$OUT
	pd network connect --ip 10.50.0.0 cnlate late
	assert_exit 125
	pd network inspect cnlate
	local key
	key=$(printf '%s\n' "$OUT" | sed -n 's/.*"Subnet": "\([0-9.]*\)\.0\/24".*/\1/p')
	[ -n "$key" ] || fail "no subnet in network inspect: $(_short "$OUT")"
	pd network connect --ip "$key.77" cnlate late
	assert_ok
	pd inspect -f '{{.NetworkSettings.Networks.cnlate.IPAddress}}|' late
	assert_eq "|" "$OUT" "a created container has no address yet"
	pd start late
	assert_ok
	assert_eq "$key.77" "$(_ip_of late eth1)" "the address asked for, at start"
	pd exec late timeout 3 wget -q -O - http://peer/
	assert_out "served-by-peer" "late -> peer by name"
	_wait_hosts peer '[[:space:]]late( |$)' present
	# A default-bridge container, connected while running, then restarted:
	# it stays connected.
	pd run -d --name dflt --network bridge --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local dflt=$OUT
	pd network connect cnlate dflt
	assert_ok
	pd exec dflt timeout 3 wget -q -O - http://peer/
	assert_out "served-by-peer" "dflt (default bridge) -> peer"
	pd stop -t 1 dflt
	assert_ok
	_wait_hosts peer '[[:space:]]dflt( |$)' absent
	pd start dflt
	assert_ok
	pd exec dflt timeout 3 wget -q -O - http://peer/
	assert_out "served-by-peer" "dflt -> peer after stop and start"
	pd inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}}|{{.NetworkSettings.Networks.cnlate.IPAddress}}' dflt
	assert_match "$OUT" '^10\.42\.[0-9.]+\|10\.50\.[0-9.]+$' "inspect of dflt"
	# In use by connected containers: refused; the stopped one holds it too.
	pd stop -t 1 late
	assert_ok
	pd rm -f peer dflt
	assert_ok
	pd network rm cnlate
	assert_exit 125
	assert_contains "$ERR" "in use by container ${late:0:12}" "network rm with a stopped connected container"
	pd network disconnect cnlate late
	assert_ok
	pd network rm cnlate
	assert_ok
	pd rm -f late
	assert_ok
	for id in "$peer" "$late" "$dflt"; do
		assert_container_gone "$id"
	done
	assert_net_gone "$br"
}

_restarted() {
	# _restarted CONTAINER N: until it runs again after its Nth restart.
	local i=0
	while [ "$i" -lt 100 ]; do
		pd inspect -f '{{.RestartCount}} {{.State.Status}}' "$1"
		[ "$OUT" = "$2 running" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "$1 did not run again after restart $2: $OUT"
}

# A connection made or undone while the container runs holds for the runs
# its restart policy starts (the monitor reads them again at each restart).
test_restart_follows_connect_and_disconnect() {
	_setup
	allow_containers_left
	pd network create cnr
	assert_ok
	local br
	br=$(_bridge_of cnr)
	pd run -d --name peer --network cnr --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-peer"
	assert_ok
	local peer=$OUT
	pd run -d --restart on-failure --name rs --network bridge --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local rs=$OUT ip1
	pd network connect cnr rs
	assert_ok
	ip1=$(_ip_of rs eth1)
	[ -n "$ip1" ] || fail "no address on eth1"
	kill -KILL "$(_db "SELECT pid FROM containers WHERE id = '$rs'")"
	_restarted rs 1
	assert_eq "$ip1" "$(_ip_of rs eth1)" "eth1's address after a restart"
	pd exec rs timeout 3 wget -q -O - http://peer/
	assert_out "served-by-peer" "rs -> peer after a restart"
	_wait_hosts peer '[[:space:]]rs( |$)' present
	pd network disconnect cnr rs
	assert_ok
	kill -KILL "$(_db "SELECT pid FROM containers WHERE id = '$rs'")"
	_restarted rs 2
	pd exec rs ip link show eth1
	[ "$RC" != 0 ] || fail "eth1 came back after disconnect and a restart"
	_wait_hosts peer '[[:space:]]rs( |$)' absent
	pd rm -f rs peer
	assert_ok
	assert_container_gone "$rs"
	assert_container_gone "$peer"
	pd network rm cnr
	assert_ok
	assert_net_gone "$br"
}

test_nothing_left_after_rm_and_killed_monitor() {
	_setup
	allow_containers_left
	pd network create cn-k1
	assert_ok
	pd network create cn-k2
	assert_ok
	local br1 br2
	br1=$(_bridge_of cn-k1)
	br2=$(_bridge_of cn-k2)
	pd run -d --name victim --network cn-k1 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local victim=$OUT
	pd run -d --name gone --network cn-k1 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local gone=$OUT
	pd run -d --name watcher --network cn-k2 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local watcher=$OUT
	pd network connect cn-k2 victim
	assert_ok
	pd network connect cn-k2 gone
	assert_ok
	_wait_hosts watcher '[[:space:]]victim( |$)' present
	_wait_hosts watcher '[[:space:]]gone( |$)' present
	ip -o link show | grep -qE ": pd${victim:0:8}-1[@:]" || fail "no veth of victim's eth1"
	# rm -f of a connected container.
	pd rm -f gone
	assert_ok
	assert_container_gone "$gone" "after rm -f of a connected container"
	_wait_hosts watcher '[[:space:]]gone( |$)' absent
	# A killed monitor, then prune.
	local mon
	mon=$(_db "SELECT monitor_pid FROM containers WHERE id = '$victim'")
	[ -n "$mon" ] && [ "$mon" -gt 0 ] || fail "no monitor pid recorded"
	kill -KILL "$mon"
	local i=0
	while pd ps -q --filter name=victim && [ -n "$OUT" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pd prune
	assert_ok
	assert_contains "$OUT" "$victim" "prune removed the killed container"
	assert_container_gone "$victim" "after a killed monitor and prune"
	_wait_hosts watcher '[[:space:]]victim( |$)' absent
	pd rm -f watcher
	assert_ok
	assert_container_gone "$watcher"
	pd network prune
	assert_ok
	assert_net_gone "$br1" "after network prune"
	assert_net_gone "$br2" "after network prune"
}

test_parallel_connects_never_share() {
	_setup
	allow_containers_left
	pd network create cn-par
	assert_ok
	local br i id ids=() pids=()
	br=$(_bridge_of cn-par)
	for i in $(seq 8); do
		pd run -d --rootfs "$BUSYBOX_DIR" sleep 120
		assert_ok
		ids+=("$OUT")
	done
	for i in "${!ids[@]}"; do
		"$PD" --root "$T_ROOT" network connect cn-par "${ids[$i]}" >"$T_TMP/c$i.out" 2>"$T_TMP/c$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "parallel connect $i failed: $(cat "$T_TMP/c$i.err")"
	done
	: >"$T_TMP/addrs"
	for id in "${ids[@]}"; do
		_ip_of "$id" eth1 >>"$T_TMP/addrs"
	done
	assert_eq 8 "$(grep -c . "$T_TMP/addrs")" "containers with an address on eth1"
	assert_eq 8 "$(sort -u "$T_TMP/addrs" | grep -c .)" "distinct addresses among 8 parallel connects"
	# Each one reaches the others: ping the first from the last, by name.
	_wait_hosts "${ids[7]}" "${ids[0]:0:12}" present
	pd exec "${ids[7]}" ping -c 1 -W 2 "${ids[0]:0:12}"
	assert_ok
	pd exec "${ids[7]}" sh -c "sed -n '/pocket-docker network peers/,\$p' /etc/hosts | grep -c '^10\\.'"
	assert_eq 8 "$OUT" "peers in the last container's /etc/hosts"
	pd rm -f "${ids[@]}"
	assert_ok
	for id in "${ids[@]}"; do
		assert_container_gone "$id"
	done
	pd network rm cn-par
	assert_ok
	assert_net_gone "$br"
}

test_bad_input_is_one_line_errors() {
	_setup
	allow_containers_left
	pd network create --subnet 10.63.4.1/24 cn-bad
	assert_ok
	local br
	br=$(_bridge_of cn-bad)
	pd run -d --name on --network cn-bad --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local on=$OUT
	pd run -d --name off --network bridge --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local off=$OUT
	pd run -d --name hostnet --network host --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local hostnet=$OUT
	local before
	before=$(_db "SELECT (SELECT count(*) FROM leases) || '/' || (SELECT count(*) FROM endpoints) || '/' || (SELECT count(*) FROM connections)")
	pd network connect nosuch off
	assert_exit 125
	assert_error_line "no such network: nosuch"
	pd network connect cn-bad nosuch
	assert_exit 125
	assert_contains "$ERR" "no such container: nosuch"
	pd network connect cn-bad on
	assert_exit 125
	assert_contains "$ERR" "is already connected to network cn-bad"
	pd network connect cn-bad hostnet
	assert_exit 125
	assert_contains "$ERR" "--network host: it cannot be connected"
	pd network connect --ip 10.63.5.9 cn-bad off
	assert_exit 125
	assert_contains "$ERR" "is not one a container may have on 10.63.4.0/24"
	pd network connect --ip 10.63.4 cn-bad off
	assert_exit 125
	assert_contains "$ERR" "invalid --ip '10.63.4'"
	pd network connect --ip "$(_ip_of on)" cn-bad off
	assert_exit 125
	assert_contains "$ERR" "is in use by container ${on:0:12}"
	pd network connect --alias $'x\n1.2.3.4 evil' cn-bad off
	assert_exit 125
	assert_contains "$ERR" "invalid --alias"
	pd network disconnect cn-bad off
	assert_exit 125
	assert_error_line "pocket-docker: container ${off:0:12} is not connected to network cn-bad"
	pd network disconnect cn-bad on
	assert_exit 125
	assert_contains "$ERR" "by its --network"
	pd network disconnect nosuch off
	assert_exit 125
	pd network connect cn-bad
	assert_exit 125
	assert_eq "$before" "$(_db "SELECT (SELECT count(*) FROM leases) || '/' || (SELECT count(*) FROM endpoints) || '/' || (SELECT count(*) FROM connections)")" "rows after the errors"
	pd exec off ip link show eth1
	[ "$RC" != 0 ] || fail "a failed connect left an eth1"
	# Connected twice: the second is refused, the first stays.
	pd network connect cn-bad off
	assert_ok
	pd network connect cn-bad off
	assert_exit 125
	assert_contains "$ERR" "is already connected to network cn-bad"
	pd exec off ping -c 1 -W 2 on
	assert_ok
	pd rm -f on off hostnet
	assert_ok
	for id in "$on" "$off" "$hostnet"; do
		assert_container_gone "$id"
	done
	pd network rm cn-bad
	assert_ok
	assert_net_gone "$br"
}

run_tests "$@"
