#!/bin/bash
# Helpers shared by the network test files (t_network, t_netnames,
# t_netconnect, t_netdns): the test's state database, a network's bridge, a
# container's address, and what a network or container left on the host.
# Sourced after lib.sh.

_db() {
	# _db SQL: one query on the test's state database, rows on stdout.
	python3 - "$T_ROOT/state.db" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2]):
    print("|".join(str(v) for v in row))
PY
}

_bridge_of() {
	# _bridge_of NETWORK: its bridge (from inspect).
	pd network inspect "$1"
	printf '%s\n' "$OUT" | sed -n 's/.*"com.docker.network.bridge.name": "\(pd-[0-9a-f]*\)".*/\1/p'
}

_ip_in() {
	# _ip_in ROOT CONTAINER [IFACE]: the IPv4 address on IFACE (eth0), seen
	# from inside the container of state root ROOT.
	_pd_exec /dev/null "$PD" --root "$1" exec "$2" ip -4 addr show "${3:-eth0}"
	printf '%s\n' "$OUT" | awk '$1 == "inet" {sub("/.*", "", $2); print $2}'
}

_ip_of() {
	# _ip_of CONTAINER [IFACE]: the same, in the test's state root.
	_ip_in "$T_ROOT" "$@"
}

_bridge_leftovers() {
	# _bridge_leftovers BRIDGE: what a removed network left, one line each.
	local br=$1
	ip link show "$br" >/dev/null 2>&1 && echo "bridge $br still exists"
	ip -o link show master "$br" 2>/dev/null | grep -q . && echo "links still on $br"
	nft list table ip pocket_docker 2>/dev/null | grep -q "net-$br-" && echo "nft chains net-$br-* still exist"
	[ "$(_db "SELECT count(*) FROM networks WHERE bridge = '$br'")" = 0 ] || echo "network row of $br left"
}

assert_net_gone() {
	local left
	left=$(_bridge_leftovers "$1")
	[ -z "$left" ] || fail "${2:-after network rm}: $left"
}

_container_leftovers() {
	# _container_leftovers ID: every interface's veth (pd<8 hex>,
	# pd<8 hex>-N), anti-spoofing chain (pd-<id>, pd-<id>-ethN) and row of a
	# removed container.
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
	# _wait_hosts CONTAINER PATTERN present|absent: until the container's
	# /etc/hosts (read inside it) matches PATTERN or not (5 s at most).
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
