#!/bin/bash
# IPv6 on user-defined networks: `network create --ipv6 [--subnet ADDR/P]`
# gives the bridge and each container an IPv6 address (the container's has
# its IPv4 host number) and a default route; the containers reach each
# other and the host over IPv6, by address and by name (/etc/hosts); two
# networks stay isolated over IPv6 both ways; a container cannot send IPv6
# from an address that is not its own; rm and `network rm` leave no
# address, bridge, veth or chain (ip6 and bridge tables).  The monitor's
# resolver answers AAAA queries with the IPv6 addresses.
#
# Traffic goes only between the test's own containers and the host's own
# address on the test's bridge.  Host state is observed with ip(8), nft(8)
# and python3's sqlite3; the host pings with the busybox fixture.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

_setup() {
	need_root
	need_busybox
	need_cmd ip nft python3 timeout
	[ -e /proc/net/if_inet6 ] || skip "the kernel has no IPv6"
}

_net_field() {
	# _net_field NETWORK PYEXPR: a Python expression of `n`, network
	# inspect's object, printed.
	pd network inspect "$1"
	printf '%s\n' "$OUT" | python3 -c 'import json, sys
n = json.load(sys.stdin)[0]
print(eval(sys.argv[1]))' "$2"
}

_subnet6_of() {
	# The network's IPv6 subnet from inspect's IPAM config.
	_net_field "$1" '" ".join(c["Subnet"] for c in n["IPAM"]["Config"] if ":" in c["Subnet"])'
}

_ip6_of() {
	# The container's global IPv6 address on eth0, seen from inside it.
	pd exec "$1" ip -6 addr show eth0 scope global
	printf '%s\n' "$OUT" | awk '$1 == "inet6" {sub("/.*", "", $2); print $2}' | head -1
}

_echos_in() {
	# ICMPv6 echo requests the container's namespace has received.
	pd exec "$1" cat /proc/net/snmp6
	printf '%s\n' "$OUT" | awk '$1 == "Icmp6InEchos" {print $2}'
}

_ping6() {
	# _ping6 CONTAINER TARGET [SOURCE]: "ok" when one echo got an answer.
	if [ -n "${3:-}" ]; then
		pd exec "$1" ping -6 -c 1 -W 2 -I "$3" "$2"
	else
		pd exec "$1" ping -6 -c 1 -W 2 "$2"
	fi
	[ "$RC" = 0 ] && echo ok
	true
}

_host_ping6() {
	timeout 5 "$BUSYBOX_DIR/bin/busybox" ping -6 -c 1 -W 2 "$1" >/dev/null 2>&1 && echo ok
	true
}

_leftovers() {
	# _leftovers BRIDGE ID...: what a removed network and its removed
	# containers left.
	local br=$1 id
	shift
	ip link show "$br" >/dev/null 2>&1 && echo "bridge $br still exists"
	nft list table ip6 pocket_docker 2>/dev/null | grep -q "net-$br-" && echo "ip6 chains net-$br-* still exist"
	nft list table ip pocket_docker 2>/dev/null | grep -q "net-$br-" && echo "ip chains net-$br-* still exist"
	[ "$(_db "SELECT count(*) FROM networks WHERE bridge = '$br'")" = 0 ] || echo "network row of $br left"
	for id in "$@"; do
		ip -o link show | grep -qE ": pd${id:0:8}(-[0-9]+)?[@:]" && echo "a veth pd${id:0:8}* still exists"
		nft list table bridge pocket_docker 2>/dev/null | grep -q "$id" && echo "an anti-spoofing chain of $id still exists"
		[ "$(_db "SELECT (SELECT count(*) FROM leases WHERE container_id = '$id') + (SELECT count(*) FROM endpoints WHERE container_id = '$id')")" = 0 ] ||
			echo "lease/endpoint rows left for $id"
	done
	true
}

assert_gone() {
	local left
	left=$(_leftovers "$@")
	[ -z "$left" ] || fail "after rm and network rm: $left"
}

test_ipv6_network_containers_host_names_and_cleanup() {
	_setup
	allow_containers_left
	pd network create --ipv6 v6one
	assert_ok
	local br sub6
	br=$(_bridge_of v6one)
	assert_eq True "$(_net_field v6one 'n["EnableIPv6"]')" "EnableIPv6"
	sub6=$(_subnet6_of v6one)
	# A ULA /64 by default.
	assert_match "$sub6" '^fd[0-9a-f]{2}:[0-9a-f:]+/64$' "the IPv6 subnet picked"
	local gw6=${sub6%/64}1
	pd run -d --name a --network v6one --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local a=$OUT
	# The bridge (made at the first start) has the gateway's address.
	ip -6 addr show dev "$br" | grep -qF "inet6 $gw6/64" || fail "the bridge $br has no $gw6/64: $(ip -6 addr show dev "$br")"
	pd run -d --name b --network v6one --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local b=$OUT ip6_a ip6_b ip4_b
	ip6_a=$(_ip6_of a)
	ip6_b=$(_ip6_of b)
	ip4_b=$(_ip_of b)
	[ -n "$ip6_a" ] && [ -n "$ip6_b" ] || fail "IPv6 addresses: '$ip6_a' '$ip6_b'"
	# The IPv4 host number in the IPv6 subnet.
	assert_eq "${sub6%/64}${ip4_b##*.}" "$ip6_b" "b's IPv6 address from its IPv4 host number ($ip4_b)"
	pd exec a ip -6 route show default
	assert_contains "$OUT" "via $gw6" "a's IPv6 default route"
	# inspect: the container's and the network's.
	pd inspect -f '{{.NetworkSettings.Networks.v6one.GlobalIPv6Address}}' b
	assert_out "$ip6_b" "inspect's GlobalIPv6Address"
	pd network inspect v6one
	assert_contains "$OUT" "\"IPv6Address\": \"$ip6_b/64\"" "network inspect's container entry"
	# By address, both ways, and by name (/etc/hosts has the IPv6 lines).
	assert_eq ok "$(_ping6 a "$ip6_b")" "a -> b over IPv6"
	assert_eq ok "$(_ping6 b "$ip6_a")" "b -> a over IPv6"
	pd exec a cat /etc/hosts
	assert_match "$OUT" "^$ip6_b[[:space:]]+b " "a's /etc/hosts names b's IPv6 address"
	pd exec a ping -6 -c 1 -W 2 b
	assert_ok
	assert_contains "$OUT" "$ip6_b" "ping -6 b goes to b's IPv6 address"
	# The monitor's resolver answers AAAA with it too.
	pd exec a timeout 10 nslookup -type=AAAA b
	assert_ok
	assert_line "$OUT" "Address: $ip6_b" "AAAA of b from 127.0.0.11"
	# The host reaches them on the bridge, and they reach the gateway.
	assert_eq ok "$(_host_ping6 "$ip6_a")" "host -> a over IPv6"
	assert_eq ok "$(_ping6 b "$gw6")" "b -> the gateway over IPv6"
	# The anti-spoofing chain names the address; the network has its ip6
	# chains.
	nft list chain bridge pocket_docker "pd-$a" | grep -qF "$ip6_a" || fail "a's anti-spoofing chain does not name $ip6_a"
	nft list table ip6 pocket_docker | grep -q "net-$br-fwd" || fail "no ip6 chain net-$br-fwd"
	# Masquerade of the subnet leaving by another link (only the rule:
	# the test sends nothing off the host).
	nft list chain ip6 pocket_docker "net-$br-post" | grep -qF "ip6 saddr $sub6 oifname != \"$br\" masquerade" ||
		fail "no IPv6 masquerade rule for $sub6: $(nft list chain ip6 pocket_docker "net-$br-post")"
	pd rm -f a b
	assert_ok
	# The network stays (no container) until it is removed.
	pd network rm v6one
	assert_ok
	assert_gone "$br" "$a" "$b"
}

test_ipv6_given_subnets() {
	_setup
	allow_containers_left
	# Unlikely to be any host's: a random ULA prefix.
	local p
	p=$(printf 'fd%02x:%x:%x' $((RANDOM % 256)) $((RANDOM + 1)) $((RANDOM + 1)))
	pd network create --ipv6 --subnet 10.61.7.1/24 --subnet "$p:5::/80" v6given
	assert_ok
	local br
	br=$(_bridge_of v6given)
	assert_eq "10.61.7.0/24 10.61.7.1 $p:5::/80 $p:5::1" \
		"$(_net_field v6given '" ".join(c["Subnet"] + " " + c["Gateway"] for c in n["IPAM"]["Config"])')" \
		"IPAM config"
	pd run -d --name g --network v6given --ip 10.61.7.200 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local g=$OUT
	assert_eq "$p:5::c8" "$(_ip6_of g)" "the address of --ip 10.61.7.200"
	assert_eq ok "$(_host_ping6 "$p:5::c8")" "host -> g"
	pd rm -f g
	assert_ok
	pd network rm v6given
	assert_ok
	assert_gone "$br" "$g"
}

test_ipv6_networks_isolated_both_ways() {
	_setup
	allow_containers_left
	pd network create --ipv6 v6iso1
	assert_ok
	pd network create --ipv6 v6iso2
	assert_ok
	local br1 br2
	br1=$(_bridge_of v6iso1)
	br2=$(_bridge_of v6iso2)
	pd run -d --name x1 --network v6iso1 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local x1=$OUT
	pd run -d --name y1 --network v6iso1 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local y1=$OUT
	pd run -d --name x2 --network v6iso2 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local x2=$OUT ip6_x1 ip6_y1 ip6_x2
	ip6_x1=$(_ip6_of x1)
	ip6_y1=$(_ip6_of y1)
	ip6_x2=$(_ip6_of x2)
	[ -n "$ip6_x1" ] && [ -n "$ip6_y1" ] && [ -n "$ip6_x2" ] || fail "addresses: '$ip6_x1' '$ip6_y1' '$ip6_x2'"
	# The control: inside one network it works; each reaches its gateway.
	assert_eq ok "$(_ping6 y1 "$ip6_x1")" "y1 -> x1 (same network)"
	# Across: no echo arrives at all, either way.
	local before after
	before=$(_echos_in x2)
	assert_eq "" "$(_ping6 x1 "$ip6_x2")" "x1 (v6iso1) -> x2 (v6iso2)"
	after=$(_echos_in x2)
	assert_eq "$before" "$after" "echo requests that reached x2 from the other network"
	before=$(_echos_in x1)
	assert_eq "" "$(_ping6 x2 "$ip6_x1")" "x2 (v6iso2) -> x1 (v6iso1)"
	after=$(_echos_in x1)
	assert_eq "$before" "$after" "echo requests that reached x1 from the other network"
	pd rm -f x1 y1 x2
	assert_ok
	pd network rm v6iso1 v6iso2
	assert_ok
	assert_gone "$br1" "$x1" "$y1"
	assert_gone "$br2" "$x2"
}

test_ipv6_spoofed_sources_dropped() {
	_setup
	allow_containers_left
	pd network create --ipv6 v6spoof
	assert_ok
	local br
	br=$(_bridge_of v6spoof)
	pd run -d --name victim --network v6spoof --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local victim=$OUT
	pd run -d --name bystander --network v6spoof --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local bystander=$OUT
	# NET_ADMIN: it may add any address to its eth0; the bridge must still
	# drop what it sends from those.
	pd run -d --name spoofer --cap-add NET_ADMIN --network v6spoof --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local spoofer=$OUT ip6_v ip6_by ip6_s sub6
	ip6_v=$(_ip6_of victim)
	ip6_by=$(_ip6_of bystander)
	ip6_s=$(_ip6_of spoofer)
	sub6=$(_subnet6_of v6spoof)
	[ -n "$ip6_v" ] && [ -n "$ip6_by" ] && [ -n "$ip6_s" ] || fail "addresses: '$ip6_v' '$ip6_by' '$ip6_s'"
	# The control: from its own address the echo arrives.
	local before after
	before=$(_echos_in victim)
	assert_eq ok "$(_ping6 spoofer "$ip6_v" "$ip6_s")" "spoofer -> victim from its own address"
	after=$(_echos_in victim)
	[ "$after" -gt "$before" ] || fail "the control echo did not count at the victim ($before -> $after)"
	# Another container's address and an unused one of the subnet.
	local unused=${sub6%/64}fe
	pd exec spoofer sh -c "ip -6 addr add $ip6_by/64 dev eth0 && ip -6 addr add $unused/64 dev eth0"
	assert_ok
	# Duplicate address detection ends (nothing answers it) in a second
	# or two; then the addresses can be used as sources.
	local i=0
	while pd exec spoofer ip -6 addr show eth0 && grep -q tentative <<<"$OUT" && [ "$i" -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q tentative <<<"$OUT" && fail "the spoofer's extra addresses stay tentative: $(_short "$OUT")"
	before=$(_echos_in victim)
	assert_eq "" "$(_ping6 spoofer "$ip6_v" "$ip6_by")" "spoofer -> victim as the bystander"
	assert_eq "" "$(_ping6 spoofer "$ip6_v" "$unused")" "spoofer -> victim from an unused address"
	after=$(_echos_in victim)
	assert_eq "$before" "$after" "spoofed echo requests that reached the victim"
	# Nor the host: its neighbour entry of the bystander's address stays
	# the bystander's MAC (no forged advertisement got through).
	local mac_by
	pd exec bystander cat /sys/class/net/eth0/address
	mac_by=$OUT
	_host_ping6 "$ip6_by" >/dev/null
	ip -6 neigh show dev "$br" | grep -F "$ip6_by " | grep -qvF "$mac_by" &&
		fail "the host maps $ip6_by to another MAC: $(ip -6 neigh show dev "$br")"
	assert_eq ok "$(_host_ping6 "$ip6_by")" "host -> bystander after the spoofing"
	assert_eq ok "$(_ping6 victim "$ip6_by")" "victim -> bystander after the spoofing"
	pd rm -f victim bystander spoofer
	assert_ok
	pd network rm v6spoof
	assert_ok
	assert_gone "$br" "$victim" "$bystander" "$spoofer"
}

test_ipv6_connect_and_internal() {
	_setup
	allow_containers_left
	pd network create --ipv6 --internal v6in
	assert_ok
	pd network create v6plain4
	assert_ok
	local br br4
	br=$(_bridge_of v6in)
	br4=$(_bridge_of v6plain4)
	pd run -d --name inner --network v6in --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local inner=$OUT
	pd run -d --name joiner --network v6plain4 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local joiner=$OUT
	# --internal: no masquerade, nothing forwarded to or from other links.
	nft list table ip6 pocket_docker >"$T_TMP/ip6" || fail "no table ip6 pocket_docker"
	grep -A4 "chain net-$br-post" "$T_TMP/ip6" | grep -q masquerade && fail "an --internal network masquerades: $(cat "$T_TMP/ip6")"
	grep -A6 "chain net-$br-fwd" "$T_TMP/ip6" | grep -qF "iifname \"$br\" oifname != \"$br\" drop" ||
		fail "no internal drop rule in net-$br-fwd: $(cat "$T_TMP/ip6")"
	# An IPv4-only network's container connected to it gets an IPv6
	# address there (eth1) and reaches its members by name.
	pd network connect v6in joiner
	assert_ok
	local pfx
	pfx=$(_subnet6_of v6in)
	pfx=${pfx%::/64}
	[ -n "$pfx" ] || fail "no IPv6 subnet on v6in"
	pd exec joiner ip -6 addr show eth1 scope global
	assert_match "$OUT" "inet6 $pfx::[0-9a-f]+/64" "joiner's eth1 IPv6 address"
	pd exec joiner ping -6 -c 1 -W 2 inner
	assert_ok
	assert_contains "$OUT" "$(_ip6_of inner)" "joiner pings inner's IPv6 address by name"
	nft list chain bridge pocket_docker "pd-$joiner-eth1" | grep -q "ip6 saddr" || fail "eth1's anti-spoofing chain has no IPv6 rule"
	pd network disconnect v6in joiner
	assert_ok
	pd rm -f inner joiner
	assert_ok
	pd network rm v6in v6plain4
	assert_ok
	assert_gone "$br" "$inner" "$joiner"
	assert_gone "$br4"
}

_write_na_py() {
	# na.py SRC_MAC SRC_IP DST_MAC DST_IP TARGET_IP TLLA_MAC: one
	# unsolicited neighbour advertisement (override set) out of eth0,
	# through an AF_PACKET socket (CAP_NET_RAW, Docker's default).
	mkdir -p "$T_TMP/na"
	cat >"$T_TMP/na/na.py" <<'PYEOF'
import socket, struct, sys
smac, sip, dmac, dip, target, tlla = sys.argv[1:7]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
ip6 = lambda a: socket.inet_pton(socket.AF_INET6, a)
body = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + ip6(target) + bytes([2, 1]) + mac(tlla)
data = ip6(sip) + ip6(dip) + struct.pack("!I3xB", len(body), 58) + body
s = sum((data[i] << 8) + data[i + 1] for i in range(0, len(data), 2))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
body = body[:2] + struct.pack("!H", ~s & 0xffff) + body[4:]
hdr = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + ip6(sip) + ip6(dip)
sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sk.bind(("eth0", 0))
sk.send(mac(dmac) + mac(smac) + b"\x86\xdd" + hdr + body)
print("sent")
PYEOF
}

_neigh_mac() {
	# _neigh_mac CONTAINER IP: the link-layer address its neighbour table
	# has for IP.
	pd exec "$1" ip -6 neigh show
	printf '%s\n' "$OUT" | awk -v ip="$2" '$1 == ip {for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'
}

test_ipv6_forged_neighbour_advertisements_dropped() {
	_setup
	need_python_fixture
	allow_containers_left
	_write_na_py
	pd network create --ipv6 v6nd
	assert_ok
	local br
	br=$(_bridge_of v6nd)
	pd run -d --name victim --network v6nd --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local victim=$OUT
	pd run -d --name bystander --network v6nd --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local bystander=$OUT
	pd run -d --name forger --network v6nd -v "$T_TMP/na:/na:ro" --rootfs "$PYTHON_DIR" sleep 120
	assert_ok
	local forger=$OUT ip_v ip_b ip_f mac_v mac_b mac_f
	ip_v=$(_ip6_of victim)
	ip_b=$(_ip6_of bystander)
	pd inspect -f '{{.NetworkSettings.Networks.v6nd.GlobalIPv6Address}}' forger
	ip_f=$OUT
	pd exec victim cat /sys/class/net/eth0/address
	mac_v=$OUT
	pd exec bystander cat /sys/class/net/eth0/address
	mac_b=$OUT
	pd exec forger cat /sys/class/net/eth0/address
	mac_f=$OUT
	[ -n "$ip_v" ] && [ -n "$ip_b" ] && [ -n "$ip_f" ] || fail "addresses: '$ip_v' '$ip_b' '$ip_f'"
	# The victim knows both by their real MACs.
	assert_eq ok "$(_ping6 victim "$ip_b")" "victim -> bystander"
	assert_eq ok "$(_ping6 victim "$ip_f")" "victim -> forger"
	assert_eq "$mac_b" "$(_neigh_mac victim "$ip_b")" "the victim's entry of the bystander before"
	# The control: the forger's own address at its own MAC goes through
	# (sent and taken: the packet is well formed).
	pd exec forger python3 /na/na.py "$mac_f" "$ip_f" "$mac_v" "$ip_v" "$ip_f" "$mac_f"
	assert_out sent "the control advertisement"
	assert_eq "$mac_f" "$(_neigh_mac victim "$ip_f")" "the victim's entry of the forger after its own advertisement"
	# Forged: the bystander's address at the forger's MAC, and the
	# forger's own address at the bystander's MAC.
	pd exec forger python3 /na/na.py "$mac_f" "$ip_f" "$mac_v" "$ip_v" "$ip_b" "$mac_f"
	assert_out sent "the forged advertisement of the bystander's address"
	pd exec forger python3 /na/na.py "$mac_f" "$ip_f" "$mac_v" "$ip_v" "$ip_f" "$mac_b"
	assert_out sent "the advertisement of another MAC"
	sleep 0.3
	assert_eq "$mac_b" "$(_neigh_mac victim "$ip_b")" "the victim's entry of the bystander after the forgery"
	assert_eq "$mac_f" "$(_neigh_mac victim "$ip_f")" "the victim's entry of the forger after it claimed another MAC"
	assert_eq ok "$(_ping6 victim "$ip_b")" "victim -> bystander after the forgery"
	pd rm -f victim bystander forger
	assert_ok
	pd network rm v6nd
	assert_ok
	assert_gone "$br" "$victim" "$bystander" "$forger"
}

test_ipv6_default_bridge_stays_ipv4_only() {
	_setup
	allow_containers_left
	pd run --rm --network bridge --rootfs "$BUSYBOX_DIR" ip -6 addr show eth0 scope global
	assert_ok
	assert_eq "" "$OUT" "global IPv6 addresses on the default bridge"
	pd network create v4only
	assert_ok
	assert_eq "False 1" "$(_net_field v4only '"%s %d" % (n["EnableIPv6"], len(n["IPAM"]["Config"]))')" \
		"EnableIPv6 and IPAM configs without --ipv6"
	pd network rm v4only
	assert_ok
}

test_ipv6_bad_input() {
	_setup
	local p
	p=$(printf 'fd%02x:%x:%x' $((RANDOM % 256)) $((RANDOM + 1)) $((RANDOM + 1)))
	# An IPv6 subnet without --ipv6, two of a family, bad prefixes, not
	# unicast, too small for the IPv4 subnet's host numbers.
	pd network create --subnet "$p::/64" v6bad
	assert_exit 125 "an IPv6 subnet without --ipv6"
	pd network create --ipv6 --subnet "$p::/64" --subnet "$p:1::/64" v6bad
	assert_exit 125 "two IPv6 subnets"
	pd network create --ipv6 --subnet "$p::/48" v6bad
	assert_exit 125 "a /48"
	pd network create --ipv6 --subnet "$p::" v6bad
	assert_exit 125 "no prefix"
	pd network create --ipv6 --subnet "ff05::/64" v6bad
	assert_exit 125 "a multicast subnet"
	pd network create --ipv6 --subnet "fe80::/64" v6bad
	assert_exit 125 "a link-local subnet"
	pd network create --ipv6 --subnet "$p::zz/64" v6bad
	assert_exit 125 "not an address"
	pd network create --ipv6 --subnet 10.62.0.1/16 --subnet "$p::/120" v6bad
	assert_exit 125 "a /120 for a /16's host numbers"
	pd network ls -q
	assert_eq "" "$OUT" "networks made by refused creates"
	# Overlapping another network's, or a route of the host's.
	pd network create --ipv6 --subnet "$p::/64" v6first
	assert_ok
	pd network create --ipv6 --subnet "$p::8000:0:0/80" v6second
	assert_exit 125 "a subnet inside another network's"
	assert_contains "$ERR" "v6first" "the error names the network"
	local hostroute
	hostroute=$(ip -6 route show | awk '$1 ~ /^[0-9a-f]+:.*\/(6[4-9]|[7-9][0-9]|1[01][0-9]|120)$/ && $1 !~ /^fe80/ {print $1; exit}')
	if [ -n "$hostroute" ]; then
		pd network create --ipv6 --subnet "$hostroute" v6route
		assert_exit 125 "the host's route $hostroute"
	fi
	pd network rm v6first
	assert_ok
}

run_tests "$@"
