#!/bin/bash
# User-defined networks: `network create|ls|inspect|rm|prune`, `run
# --network NAME --network-alias A --ip ADDR`.  Each network is a bridge of its own
# (pd-<8 hex>) with nft chains of its own (net-<bridge>-*) in the table
# `ip pocket_docker`; its containers find each other by name and alias
# through their /etc/hosts, rewritten as containers come and go; networks
# are isolated from each other and from the default bridge, both ways;
# parallel runs never share an address; rm, prune and a killed monitor
# leave no bridge, veth, chain or row behind.
#
# Traffic goes only between the test's own containers (and to a gateway,
# the host's own address on the test's bridge).  Host state is observed with
# ip(8), nft(8) and python3's sqlite3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

HTTPD_CMD='mkdir -p /www && echo "$0" >/www/index.html && exec httpd -f -p 80 -h /www'

_setup() {
	need_root
	need_busybox
	need_cmd ip nft python3 timeout
}

test_names_resolve_and_follow_membership() {
	_setup
	allow_containers_left
	pd network create names
	assert_ok
	local br
	br=$(_bridge_of names)
	pd run -d --name alpha --network names --network-alias web --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "served-by-alpha"
	assert_ok
	local alpha=$OUT ip_alpha
	ip_alpha=$(_ip_of alpha)
	assert_match "$ip_alpha" '^10\.50\.[0-9]+\.[0-9]+$' "alpha's address"
	pd inspect alpha
	assert_contains "$OUT" "\"Bridge\": \"$br\"" "inspect Bridge"
	assert_contains "$OUT" '"names": {' "inspect NetworkSettings.Networks"
	pd inspect -f '{{.NetworkSettings.Networks.names.IPAddress}}' alpha
	assert_eq "$ip_alpha" "$OUT" "inspect -f of the network's address"
	pd run -d --name beta --network names --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local beta=$OUT
	# By name and by alias, through getaddrinfo (busybox ping and wget).
	pd exec beta sh -c '
		ping -c 1 -W 5 alpha >/dev/null && echo PING-NAME-OK
		for i in 1 2 3 4 5 6 7 8 9 10; do
			timeout 3 wget -q -O - http://web/ && break
			sleep 0.2
		done
		timeout 3 wget -q -O - http://alpha/'
	assert_ok
	assert_eq "PING-NAME-OK"$'\n'"served-by-alpha"$'\n'"served-by-alpha" "$OUT" \
		"ping alpha, wget http://web/ and http://alpha/"
	pd exec beta ping -c 1 -W 5 "${alpha:0:12}"
	assert_ok
	# alpha, running since before beta came, sees beta by now.
	pd exec alpha ping -c 1 -W 5 beta
	assert_ok
	# A container that comes later appears in the running ones' files.
	pd run -d --name gamma --network names --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local gamma=$OUT
	_wait_hosts beta '[[:space:]]gamma( |$)' present
	pd exec beta ping -c 1 -W 5 gamma
	assert_ok
	# rm: the name stops resolving everywhere.
	pd rm -f alpha
	assert_ok
	_wait_hosts beta '[[:space:]]alpha( |$)' absent
	_wait_hosts gamma '[[:space:]]web( |$)' absent
	pd exec beta ping -c 1 -W 2 alpha
	[ "$RC" != 0 ] || fail "alpha still resolves after rm"
	pd exec beta timeout 2 wget -q -O - http://web/
	[ "$RC" != 0 ] || fail "the alias web still answers after rm"
	# stop: the same (its name goes with its run; the address is kept).
	pd stop -t 1 gamma
	assert_ok
	_wait_hosts beta '[[:space:]]gamma( |$)' absent
	# The default bridge keeps Docker's behaviour: no names.
	pd run --rm --network bridge --rootfs "$BUSYBOX_DIR" sh -c 'cat /etc/hosts; ping -c 1 -W 2 beta && echo RESOLVED; true'
	assert_ok
	assert_not_contains "$OUT" "pocket-docker network peers" "the default bridge's /etc/hosts"
	assert_not_contains "$OUT" "RESOLVED" "a name on the default bridge"
	pd rm -f beta gamma
	assert_ok
	for id in "$alpha" "$beta" "$gamma"; do
		assert_container_gone "$id"
	done
	pd network rm names
	assert_ok
	assert_net_gone "$br"
}

test_networks_are_isolated_both_ways() {
	_setup
	allow_containers_left
	pd network create isol-a
	assert_ok
	pd network create isol-b
	assert_ok
	local br_a br_b
	br_a=$(_bridge_of isol-a)
	br_b=$(_bridge_of isol-b)
	pd run -d --name a1 --network isol-a --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "a1"
	assert_ok
	pd run -d --name a2 --network isol-a --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	pd run -d --name b1 --network isol-b --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "b1"
	assert_ok
	pd run -d --name d1 --network bridge --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "d1"
	assert_ok
	local ip_a1 ip_b1 ip_d1
	ip_a1=$(_ip_of a1)
	ip_b1=$(_ip_of b1)
	ip_d1=$(_ip_of d1)
	[ -n "$ip_a1" ] && [ -n "$ip_b1" ] && [ -n "$ip_d1" ] || fail "addresses: '$ip_a1' '$ip_b1' '$ip_d1'"
	# The control: on one network, traffic flows.
	pd exec a2 sh -c "ping -c 1 -W 5 $ip_a1 >/dev/null && timeout 3 wget -q -O - http://$ip_a1/"
	assert_ok
	assert_eq "a1" "$OUT" "a2 -> a1 on one network"
	# Across networks, neither way, by address (names are not there at all).
	local from to
	for pair in "a2 $ip_b1" "b1 $ip_a1" "a2 $ip_d1" "d1 $ip_a1" "b1 $ip_d1" "d1 $ip_b1"; do
		read -r from to <<<"$pair"
		pd exec "$from" sh -c "ping -c 1 -W 2 $to >/dev/null && echo PING-CROSSED; timeout 2 wget -q -O - http://$to/ && echo HTTP-CROSSED; true"
		assert_ok
		assert_not_contains "$OUT" "CROSSED" "$from -> $to across networks"
	done
	pd exec b1 ping -c 1 -W 2 a1
	[ "$RC" != 0 ] || fail "a name of isol-a resolves on isol-b"
	local ids
	ids=$(_db "SELECT id FROM containers")
	pd rm -f a1 a2 b1 d1
	assert_ok
	for id in $ids; do
		assert_container_gone "$id"
	done
	pd network rm isol-a isol-b
	assert_ok
	assert_net_gone "$br_a"
	assert_net_gone "$br_b"
}

test_internal_network_has_no_route_out() {
	_setup
	allow_containers_left
	pd network create --internal inner
	assert_ok
	pd network create outer
	assert_ok
	local br_in br_out
	br_in=$(_bridge_of inner)
	br_out=$(_bridge_of outer)
	pd network inspect inner
	assert_contains "$OUT" '"Internal": true' "inspect Internal"
	pd run -d --name i1 --network inner --rootfs "$BUSYBOX_DIR" /bin/sh -c "$HTTPD_CMD" "i1"
	assert_ok
	pd run -d --name o1 --network outer --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	pd run --rm --network inner --rootfs "$BUSYBOX_DIR" timeout 3 wget -q -O - http://i1/
	assert_ok
	assert_eq "i1" "$OUT" "inside the internal network"
	# Out of it, by the rules: forwarding to any other link is dropped and
	# nothing is masqueraded; the other network masquerades.
	nft list chain ip pocket_docker "net-$br_in-fwd" >"$T_TMP/fwd"
	grep -q "iifname \"$br_in\" oifname != \"$br_in\" drop" "$T_TMP/fwd" || fail "no drop of what leaves $br_in: $(cat "$T_TMP/fwd")"
	grep -q "oifname \"$br_in\" iifname != \"$br_in\" drop" "$T_TMP/fwd" || fail "no drop of what enters $br_in: $(cat "$T_TMP/fwd")"
	nft list chain ip pocket_docker "net-$br_in-post" | grep -q masquerade && fail "the internal network masquerades"
	nft list chain ip pocket_docker "net-$br_out-post" | grep -q masquerade || fail "the other network does not masquerade"
	local ip_o1
	ip_o1=$(_ip_of o1)
	pd exec i1 ping -c 1 -W 2 "$ip_o1"
	[ "$RC" != 0 ] || fail "the internal network reached another network"
	local ids
	ids=$(_db "SELECT id FROM containers")
	pd rm -f i1 o1
	assert_ok
	for id in $ids; do
		assert_container_gone "$id"
	done
	pd network rm inner outer
	assert_ok
	assert_net_gone "$br_in"
	assert_net_gone "$br_out"
}

test_parallel_creates_and_runs_never_share() {
	_setup
	allow_containers_left
	local i pids=() ids=() id
	for i in $(seq 6); do
		"$PD" --root "$T_ROOT" network create "par$i" >"$T_TMP/net$i.out" 2>"$T_TMP/net$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "parallel network create $((i + 1)) failed: $(cat "$T_TMP/net$((i + 1)).err")"
	done
	assert_eq "6|6|6" "$(_db 'SELECT count(*), count(DISTINCT network), count(DISTINCT bridge) FROM networks')" "distinct subnets and bridges"
	pids=()
	for i in $(seq 12); do
		"$PD" --root "$T_ROOT" run -d --network par1 --rootfs "$BUSYBOX_DIR" sleep 120 \
			>"$T_TMP/par$i.out" 2>"$T_TMP/par$i.err" </dev/null &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "parallel run $((i + 1)) failed: $(cat "$T_TMP/par$((i + 1)).err")"
	done
	for i in $(seq 12); do
		ids+=("$(cat "$T_TMP/par$i.out")")
	done
	: >"$T_TMP/addrs"
	for id in "${ids[@]}"; do
		_ip_of "$id" >>"$T_TMP/addrs"
	done
	assert_eq 12 "$(grep -c . "$T_TMP/addrs")" "containers with an address"
	assert_eq 12 "$(sort -u "$T_TMP/addrs" | grep -c .)" "distinct addresses among 12 parallel runs"
	# Every one's /etc/hosts names all twelve, once it settled.
	local last=${ids[11]}
	_wait_hosts "$last" "${ids[0]:0:12}" present
	pd exec "$last" sh -c "sed -n '/pocket-docker network peers/,\$p' /etc/hosts | grep -c '^10\\.'"
	assert_eq 12 "$OUT" "peers in the last container's /etc/hosts"
	local bridges=()
	for i in $(seq 6); do
		bridges+=("$(_bridge_of "par$i")")
	done
	pd rm -f "${ids[@]}"
	assert_ok
	for id in "${ids[@]}"; do
		assert_container_gone "$id"
	done
	pd network prune
	assert_ok
	assert_contains "$OUT" "par6" "prune removed the unused networks"
	pd network ls -q
	assert_eq "" "$OUT" "networks after prune"
	local br
	for br in "${bridges[@]}"; do
		assert_net_gone "$br" "after prune"
	done
}

test_nothing_left_after_killed_monitor() {
	_setup
	allow_containers_left
	pd network create killed
	assert_ok
	local br
	br=$(_bridge_of killed)
	pd run -d --name victim --network killed --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local victim=$OUT
	pd run -d --name watcher --network killed --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local watcher=$OUT mon
	_wait_hosts watcher '[[:space:]]victim( |$)' present
	# In use: rm is refused, naming the container.
	pd network rm killed
	assert_exit 125
	assert_contains "$ERR" "in use by container" "rm of a network in use"
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
	pd network rm killed
	assert_ok
	assert_net_gone "$br"
}

# A container that replaced its /etc/hosts with a symlink out (to the
# host's /etc/passwd by absolute path) or with a FIFO: the runtime's
# rewrites when peers come and go neither write through it nor block on it.
test_hostile_hosts_file_is_not_followed() {
	_setup
	allow_containers_left
	pd network create hostile
	assert_ok
	local br before
	br=$(_bridge_of hostile)
	before=$(sha256sum /etc/passwd)
	pd run -d --name lnk --network hostile --rootfs "$BUSYBOX_DIR" \
		/bin/sh -c 'rm /etc/hosts; ln -s /etc/passwd /etc/hosts; echo ready; exec sleep 120'
	assert_ok
	local lnk=$OUT
	pd run -d --name fifo --network hostile --rootfs "$BUSYBOX_DIR" \
		/bin/sh -c 'rm /etc/hosts; mkfifo /etc/hosts; echo ready; exec sleep 120'
	assert_ok
	local fifo=$OUT
	wait_for_output "$T_ROOT/logs/$lnk.log" ready || fail "lnk never got ready"
	wait_for_output "$T_ROOT/logs/$fifo.log" ready || fail "fifo never got ready"
	# A newcomer makes the runtime rewrite every member's file.
	pd run -d --name newcomer --network hostile --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok "a run beside hostile hosts files (no hang)"
	pd rm -f newcomer
	assert_ok
	assert_eq "$before" "$(sha256sum /etc/passwd)" "the host's /etc/passwd"
	pd exec lnk /bin/sh -c 'test -L /etc/hosts && readlink /etc/hosts'
	assert_out /etc/passwd "the container's own symlink is left as it is"
	pd exec fifo /bin/sh -c 'test -p /etc/hosts && echo fifo'
	assert_out fifo "the container's FIFO is left as it is"
	pd rm -f lnk fifo
	assert_ok
	pd network rm hostile
	assert_ok
	assert_net_gone "$br"
}

test_fixed_address_with_ip() {
	_setup
	allow_containers_left
	pd network create --subnet 10.62.9.1/24 fixed
	assert_ok
	local br
	br=$(_bridge_of fixed)
	pd run -d --name f1 --network fixed --ip 10.62.9.77 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local f1=$OUT
	assert_eq "10.62.9.77" "$(_ip_of f1)" "the address asked for"
	# Taken, outside the subnet, the gateway: refused, naming why.
	pd run -d --network fixed --ip 10.62.9.77 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_exit 125
	assert_contains "$ERR" "address 10.62.9.77 is in use by container ${f1:0:12}"
	pd run -d --network fixed --ip 10.62.10.5 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_exit 125
	assert_contains "$ERR" "is not one a container may have on 10.62.9.0/24"
	pd run -d --network fixed --ip 10.62.9.1 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_exit 125
	assert_contains "$ERR" "is not one a container may have"
	# A container without --ip gets another address.
	pd run -d --name f2 --network fixed --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local f2=$OUT ip2
	ip2=$(_ip_of f2)
	assert_match "$ip2" '^10\.62\.9\.[0-9]+$' "f2's address"
	[ "$ip2" != "10.62.9.77" ] || fail "f2 got f1's address"
	# A restart keeps the address asked for.
	pd stop -t 1 f1
	assert_ok
	pd start f1
	assert_ok
	assert_eq "10.62.9.77" "$(_ip_of f1)" "the address after a restart"
	pd rm -f f1 f2
	assert_ok
	assert_container_gone "$f1"
	assert_container_gone "$f2"
	pd network rm fixed
	assert_ok
	assert_net_gone "$br"
}

test_bad_input_is_one_line_errors() {
	_setup
	pd network create bridge
	assert_exit 125
	assert_contains "$ERR" "invalid network name 'bridge'"
	pd network create 'bad/name'
	assert_exit 125
	assert_contains "$ERR" "invalid network name"
	pd network create --subnet 10.42.5.1/24 clash
	assert_exit 125
	assert_contains "$ERR" "overlaps"
	pd network create --subnet 10.61.3.1/24 first
	assert_ok
	pd network create --subnet 10.61.0.1/16 second
	assert_exit 125
	assert_contains "$ERR" "overlaps that of network first"
	pd network create first
	assert_exit 125
	assert_contains "$ERR" "already exists"
	pd run --rm --network nosuch --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "network nosuch not found"
	pd run --rm --network-alias x --network bridge --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "--network-alias needs a user-defined network"
	pd run --rm --ip 10.1.2.3 --network bridge --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "--ip needs a user-defined network"
	pd run --rm --ip 10.1.2 --network first --rootfs "$BUSYBOX_DIR" true
	assert_exit 125
	assert_contains "$ERR" "invalid --ip '10.1.2'"
	pd network rm nosuch
	assert_exit 125
	assert_contains "$ERR" "no such network: nosuch"
	assert_eq "0" "$(_db 'SELECT count(*) FROM containers')" "records after the errors"
	pd network rm first
	assert_ok
}

run_tests "$@"
