#!/bin/bash
# Names by DNS on user-defined networks: each container's monitor answers
# at 127.0.0.11:53 inside the container (its /etc/resolv.conf says so) for
# the names, aliases and short ids of the containers on its network, read
# from state.db per query; other names go to the upstream servers (--dns,
# or the host's), from the monitor in the host's namespace.  The default
# bridge has no resolver.  Hostile packets do not kill the monitor.
#
# Traffic goes only between the test's own containers and the host's
# loopback (a tiny responder of the test's own on 127.0.0.77:53 stands in
# for an upstream server); never to a real resolver.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM_IP=127.0.0.77
FORGER_IP=127.0.0.80
# The upstream of every container not testing forwarding: a loopback
# address nothing listens on, so that no name a test (or a search line of
# the host's resolv.conf) makes up ever reaches a real resolver.
NO_UPSTREAM="--dns 127.0.0.79"

_setup() {
	need_root
	need_busybox
	need_cmd ip python3 timeout nsenter
}

_db() {
	python3 - "$T_ROOT/state.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2]):
    print("|".join(str(v) for v in row))
EOF
}

_ip_of() {
	pd exec "$1" ip -4 addr show eth0
	printf '%s\n' "$OUT" | awk '$1 == "inet" {sub("/.*", "", $2); print $2}'
}

_monitor_of() {
	_db "SELECT monitor_pid FROM containers WHERE name = '$1'"
}

_nslookup() {
	# _nslookup CONTAINER NAME: busybox nslookup from inside CONTAINER;
	# $OUT is its output, $RC its status.
	pd exec "$1" timeout 10 nslookup "$2"
}

_answer_of() {
	# The address lines of an nslookup answer in $OUT (after "Name:").
	printf '%s\n' "$OUT" | awk '/^Name:/ {n = 1; next} n && /^Address/ {print $NF}'
}

_assert_resolves() {
	# _assert_resolves CONTAINER NAME IP
	_nslookup "$1" "$2"
	assert_ok
	assert_eq "$3" "$(_answer_of)" "nslookup $2 from $1"
}

_rcode_of() {
	# _rcode_of CONTAINER NAME: "rcode=N" of an A query for NAME sent to
	# 127.0.0.11 from inside CONTAINER's network namespace (the host's
	# python3 under nsenter: busybox nslookup retries a SERVFAIL until it
	# times out, and prints no rcode then).
	local pid
	pid=$(_db "SELECT pid FROM containers WHERE name = '$1'")
	nsenter --net="/proc/$pid/ns/net" python3 - "$2" <<'EOF'
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in sys.argv[1].split(".")) + b"\0\0\1\0\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(q, ("127.0.0.11", 53))
try:
    r = s.recv(4096)
    print("rcode=%d" % (r[3] & 15))
except socket.timeout:
    print("timeout")
EOF
}

_assert_nxdomain() {
	_nslookup "$1" "$2"
	[ "$RC" != 0 ] || fail "nslookup $2 from $1 succeeded: $(_short "$OUT")"
	assert_contains "$OUT" "NXDOMAIN" "nslookup $2 from $1"
}

test_names_resolve_by_dns() {
	_setup
	allow_containers_left
	pd network create dnsnet
	assert_ok
	pd run -d --name alpha --network dnsnet $NO_UPSTREAM --network-alias web --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local alpha=$OUT
	pd run -d --name beta --network dnsnet $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local ip_alpha ip_beta
	ip_alpha=$(_ip_of alpha)
	ip_beta=$(_ip_of beta)
	assert_match "$ip_alpha" '^10\.[0-9]+\.[0-9]+\.[0-9]+$' "alpha's address"
	pd exec beta cat /etc/resolv.conf
	assert_ok
	assert_eq "nameserver 127.0.0.11" "$(grep '^nameserver' <<<"$OUT")" "beta's resolv.conf nameservers"
	# By name, alias, short id, in any case; itself too.
	_assert_resolves beta alpha "$ip_alpha"
	_assert_resolves beta web "$ip_alpha"
	_assert_resolves beta "${alpha:0:12}" "$ip_alpha"
	_assert_resolves beta ALPHA "$ip_alpha"
	_assert_resolves alpha beta "$ip_beta"
	_assert_resolves beta beta "$ip_beta"
	# AAAA of a member: an empty answer, not NXDOMAIN.
	pd exec beta timeout 10 nslookup -type=aaaa alpha
	assert_ok
	assert_not_contains "$OUT" "NXDOMAIN" "AAAA of alpha"
	# A name nobody has.
	_assert_nxdomain beta nosuchname
	# Through getaddrinfo with the names gone from /etc/hosts (the marker
	# removed, so the rewrites leave the file alone): DNS alone.
	pd exec beta sh -c 'printf "127.0.0.1\tlocalhost\n" >/etc/hosts; ping -c 1 -W 5 alpha'
	assert_ok
	assert_contains "$OUT" "PING alpha ($ip_alpha)" "ping alpha through DNS only"
	# A container that comes later resolves at once.
	pd run -d --name gamma --network dnsnet $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local gamma=$OUT
	_assert_resolves beta gamma "$(_ip_of gamma)"
	# rm: its name and alias stop resolving.
	pd rm -f alpha
	assert_ok
	_assert_nxdomain beta alpha
	_assert_nxdomain beta web
	_assert_nxdomain gamma alpha
	pd exec beta ping -c 1 -W 2 alpha
	[ "$RC" != 0 ] || fail "ping alpha still resolves after rm"
	# stop: the same (its endpoint goes with its run).
	pd stop -t 1 gamma
	assert_ok
	_assert_nxdomain beta gamma
	pd rm -f beta gamma
	assert_ok
	pd network rm dnsnet
	assert_ok
}

test_default_bridge_has_no_resolver() {
	_setup
	pd run --rm --network bridge --rootfs "$BUSYBOX_DIR" sh -c \
		'cat /etc/resolv.conf; echo ---; timeout 5 nslookup anything 127.0.0.11; echo "rc=$?"'
	assert_ok
	local conf=${OUT%%---*}
	assert_not_contains "$conf" "127.0.0.11" "the default bridge's resolv.conf"
	assert_not_contains "$OUT" "Name:" "an answer from 127.0.0.11 on the default bridge"
	assert_not_contains "$OUT" "rc=0" "nslookup at 127.0.0.11 on the default bridge"
}

test_hostile_packets_do_not_kill_the_monitor() {
	_setup
	need_python_fixture
	allow_containers_left
	pd network create dnshostile
	assert_ok
	pd run -d --name alpha --network dnshostile $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	local ip_alpha monitor
	ip_alpha=$(_ip_of alpha)
	pd run -d --name evil --network dnshostile $NO_UPSTREAM --rootfs "$PYTHON_DIR" -v "$T_TMP:/t:ro" sleep 120
	assert_ok
	monitor=$(_monitor_of evil)
	[ -n "$monitor" ] && [ "$monitor" -gt 0 ] || fail "no monitor pid for evil: '$monitor'"
	cat >"$T_TMP/hostile.py" <<'EOF'
import os, random, socket, struct, sys
SRV = ("127.0.0.11", 53)
def hdr(qid, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)
def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
def ask(pkt, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, SRV)
    try:
        return s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()
def rcode(r):
    return "none" if r is None else "id=%d rcode=%d" % (struct.unpack(">H", r[:2])[0], r[3] & 15)
cases = [
    ("missing-question", hdr(1)),
    ("pointer-loop", hdr(2) + b"\x03www\xc0\x0c\x00\x01\x00\x01"),
    ("self-pointer", hdr(3) + b"\xc0\x0c\x00\x01\x00\x01"),
    ("huge-counts", hdr(4, qd=0xffff, an=0xffff, ns=0xffff, ar=0xffff) + qname("a") + b"\x00\x01\x00\x01"),
    ("truncated-label", hdr(5) + b"\x3f" + b"a" * 10),
    ("a-response", hdr(6, flags=0x8180) + qname("alpha") + b"\x00\x01\x00\x01"),
    ("name-too-long", hdr(7) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01"),
    ("opcode-status", hdr(8, flags=0x1100) + qname("alpha") + b"\x00\x01\x00\x01"),
    ("short", b"\x09\x09\x01"),
]
for name, pkt in cases:
    print(name, rcode(ask(pkt, 1.0)))
# A flood of random bytes (half with a plausible header), not waiting.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rnd = random.Random(7)
for i in range(3000):
    n = rnd.randint(0, 5000 if i % 100 == 0 else 700)
    pkt = bytes(rnd.getrandbits(8) for _ in range(n))
    if i % 2 and n >= 12:
        pkt = pkt[:2] + bytes([pkt[2] & 0x79, pkt[3], 0, 1]) + pkt[6:]
    try:
        s.sendto(pkt, SRV)
    except OSError:
        pass
# Then a well-formed query: answered, with alpha's address.
q = hdr(0x4242) + qname("alpha") + b"\x00\x01\x00\x01"
for attempt in range(5):
    r = ask(q, 2.0)
    if r is not None and r[:2] == b"\x42\x42":
        break
print("after-flood", rcode(r), ".".join(str(b) for b in r[-4:]) if r else "")
EOF
	pd exec evil /usr/bin/python3 /t/hostile.py
	assert_ok
	local expect
	expect=$(printf '%s\n' \
		"missing-question id=1 rcode=1" \
		"pointer-loop id=2 rcode=1" \
		"self-pointer id=3 rcode=1" \
		"huge-counts id=4 rcode=1" \
		"truncated-label id=5 rcode=1" \
		"a-response none" \
		"name-too-long id=7 rcode=1" \
		"opcode-status id=8 rcode=4" \
		"short none" \
		"after-flood id=16962 rcode=0 $ip_alpha")
	assert_eq "$expect" "$OUT" "the resolver's answers to hostile packets"
	# The same monitor, alive; the container running; lookups still work.
	[ -d "/proc/$monitor" ] || fail "evil's monitor ($monitor) died"
	assert_eq "$monitor" "$(_monitor_of evil)" "evil's monitor pid"
	pd inspect -f '{{.State.Running}}' evil
	assert_eq "true" "$OUT" "evil still running"
	pd exec evil /usr/bin/python3 -c 'import socket; print(socket.gethostbyname("alpha"))'
	assert_ok
	assert_eq "$ip_alpha" "$OUT" "getaddrinfo (glibc) of alpha after the flood"
	pd rm -f alpha evil
	assert_ok
	pd network rm dnshostile
	assert_ok
}

_start_upstream() {
	# A DNS responder on the host's loopback: upstream.test. is 192.0.2.7,
	# spoof.test. 192.0.2.8 (after two forged answers, one of them from
	# $FORGER_IP), anything else NXDOMAIN; each question is logged to
	# $T_TMP/upstream.log.
	cat >"$T_TMP/upstream.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind((sys.argv[1], 53))
except OSError as e:
    print("bind: %s" % e, flush=True)
    sys.exit(3)
other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
other.bind((sys.argv[3], 53))
log = open(sys.argv[2], "a", buffering=1)
print("ready", flush=True)
while True:
    pkt, peer = s.recvfrom(4096)
    if len(pkt) < 12:
        continue
    off, labels = 12, []
    while off < len(pkt) and pkt[off] and len(labels) < 20:
        labels.append(pkt[off + 1:off + 1 + pkt[off]].decode("ascii", "replace"))
        off += 1 + pkt[off]
    off += 1
    name = ".".join(labels).lower()
    qtype = struct.unpack(">H", pkt[off:off + 2])[0] if off + 2 <= len(pkt) else 0
    log.write("%s %d from %s\n" % (name, qtype, peer[0]))
    question = pkt[12:off + 4]
    def answer(qid, last, rcode=0):
        ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, last]) if last else b""
        return qid + struct.pack(">HHHHH", 0x8180 | rcode, 1, 1 if ans else 0, 0, 0) + question + ans
    if name == "spoof.test" and qtype == 1:
        # Forged answers first: from another address with the right id,
        # then from the right address with a wrong id; the true one last.
        other.sendto(answer(pkt[:2], 66), peer)
        s.sendto(answer(bytes([pkt[0] ^ 0xff, pkt[1]]), 67), peer)
        s.sendto(answer(pkt[:2], 8), peer)
    elif name in ("upstream.test", "spoof.test"):
        s.sendto(answer(pkt[:2], 7 if qtype == 1 else 0), peer)
    else:
        s.sendto(answer(pkt[:2], 0, 3), peer)
EOF
	python3 "$T_TMP/upstream.py" "$UPSTREAM_IP" "$T_TMP/upstream.log" "$FORGER_IP" >"$T_TMP/upstream.out" 2>&1 &
	UPSTREAM_PID=$!
	trap _stop_upstream EXIT
	local i
	for i in $(seq 50); do
		grep -q . "$T_TMP/upstream.out" 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -q ready "$T_TMP/upstream.out"; then
		kill "$UPSTREAM_PID" 2>/dev/null
		wait "$UPSTREAM_PID" 2>/dev/null
		skip "cannot run a DNS responder on $UPSTREAM_IP:53: $(cat "$T_TMP/upstream.out")"
	fi
}

_stop_upstream() {
	kill "$UPSTREAM_PID" 2>/dev/null
	wait "$UPSTREAM_PID" 2>/dev/null
}

test_other_names_are_forwarded() {
	_setup
	allow_containers_left
	_start_upstream
	pd network create dnsfwd
	assert_ok
	pd network create dnsfwd-int --internal
	assert_ok
	pd run -d --name fwd --network dnsfwd --dns "$UPSTREAM_IP" --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	pd run -d --name peer --network dnsfwd $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	# --dns goes to the resolver, not into the file.
	pd exec fwd cat /etc/resolv.conf
	assert_eq "nameserver 127.0.0.11" "$(grep '^nameserver' <<<"$OUT")" "resolv.conf with --dns"
	_assert_resolves fwd upstream.test 192.0.2.7
	grep -q "^upstream.test 1 from 127.0.0.1$" "$T_TMP/upstream.log" ||
		fail "the upstream did not see the query from the host's loopback: $(cat "$T_TMP/upstream.log")"
	# Answers from another address, or with another id, are not relayed.
	_assert_resolves fwd spoof.test 192.0.2.8
	# Its NXDOMAIN is relayed.
	_assert_nxdomain fwd other.test
	grep -q "^other.test 1 " "$T_TMP/upstream.log" || fail "other.test was not forwarded"
	# Members' names are answered locally, never sent upstream.
	_assert_resolves fwd peer "$(_ip_of peer)"
	! grep -q "^peer " "$T_TMP/upstream.log" || fail "a member's name went upstream"
	# No upstream answers (nothing listens on 127.0.0.78): SERVFAIL.
	pd run -d --name dead --network dnsfwd --dns 127.0.0.78 --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	assert_eq "rcode=2" "$(_rcode_of dead upstream.test)" "a query with no upstream"
	pd exec dead timeout 10 nslookup upstream.test
	[ "$RC" != 0 ] || fail "nslookup succeeded with no upstream: $(_short "$OUT")"
	# An --internal network forwards nothing, even with --dns.
	: >"$T_TMP/upstream.log"
	pd run -d --name inside --network dnsfwd-int --dns "$UPSTREAM_IP" --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	assert_eq "rcode=2" "$(_rcode_of inside upstream.test)" "an outside name on an internal network"
	[ ! -s "$T_TMP/upstream.log" ] || fail "an --internal network's query went upstream: $(cat "$T_TMP/upstream.log")"
	_stop_upstream
	pd rm -f fwd peer dead inside
	assert_ok
	pd network rm dnsfwd dnsfwd-int
	assert_ok
}

test_resolver_leaves_nothing() {
	_setup
	allow_containers_left
	pd network create dnsleft
	assert_ok
	pd run -d --name one --network dnsleft $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	pd run -d --name two --network dnsleft $NO_UPSTREAM --rootfs "$BUSYBOX_DIR" sleep 120
	assert_ok
	_assert_resolves two one "$(_ip_of one)"
	local monitor
	monitor=$(_monitor_of two)
	# The monitor's only child is the container's init: the child that
	# bound the socket in the namespace is gone.
	local kids
	kids=$(ps -o pid= --ppid "$monitor" | wc -l)
	assert_eq "1" "$kids" "children of two's monitor"
	# Idle, the resolver costs no CPU: the monitor sleeps in poll (its
	# user+system ticks do not move over 2 s; a busy loop would add ~200).
	local t0 t1
	t0=$(awk '{print $14 + $15}' "/proc/$monitor/stat")
	sleep 2
	t1=$(awk '{print $14 + $15}' "/proc/$monitor/stat")
	[ $((t1 - t0)) -le 2 ] || fail "two's monitor used $((t1 - t0)) ticks in 2 s idle"
	# A restart binds again, in the new namespace.
	pd restart -t 1 two
	assert_ok
	_assert_resolves two one "$(_ip_of one)"
	monitor=$(_monitor_of two)
	pd rm -f one two
	assert_ok
	local i=0
	while [ -d "/proc/$monitor" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ ! -d "/proc/$monitor" ] || fail "two's monitor ($monitor) still runs after rm"
	pd network rm dnsleft
	assert_ok
}

run_tests "$@"
