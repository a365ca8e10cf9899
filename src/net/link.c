/* Links through libnl-route (see link.h).  Runs as root in the monitor and
 * the CLI.  libnl-route-3 is opened with dlopen on first use: a run
 * without --network bridge never loads it.
 *
 * The peer of each veth is created straight in the container's network
 * namespace (IFLA_NET_NS_PID on the peer), named eth0 there: no temporary
 * name in the host's namespace that could clash.  The container's side is
 * then configured through a netlink socket opened inside its namespace:
 * the monitor (single-threaded) enters it with setns(), opens the socket,
 * and returns; the socket keeps talking to the namespace it was made in. */
#include "net/link.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/xalloc.h"

static PD_DL_SYM(nl_socket_alloc);
static PD_DL_SYM(nl_socket_free);
static PD_DL_SYM(nl_connect);
static PD_DL_SYM(nl_geterror);
static PD_DL_SYM(nl_addr_parse);
static PD_DL_SYM(nl_addr_put);
static PD_DL_SYM(nl_addr_get_binary_addr);
static PD_DL_SYM(nl_addr_get_len);
static PD_DL_SYM(rtnl_link_alloc);
static PD_DL_SYM(rtnl_link_put);
static PD_DL_SYM(rtnl_link_bridge_alloc);
static PD_DL_SYM(rtnl_link_is_bridge);
static PD_DL_SYM(rtnl_link_veth_alloc);
static PD_DL_SYM(rtnl_link_veth_get_peer);
static PD_DL_SYM(rtnl_link_set_name);
static PD_DL_SYM(rtnl_link_set_master);
static PD_DL_SYM(rtnl_link_set_flags);
static PD_DL_SYM(rtnl_link_get_flags);
static PD_DL_SYM(rtnl_link_set_ns_pid);
static PD_DL_SYM(rtnl_link_add);
static PD_DL_SYM(rtnl_link_change);
static PD_DL_SYM(rtnl_link_delete);
static PD_DL_SYM(rtnl_link_get_kernel);
static PD_DL_SYM(rtnl_link_get_ifindex);
static PD_DL_SYM(rtnl_link_get_addr);
static PD_DL_SYM(rtnl_addr_alloc);
static PD_DL_SYM(rtnl_addr_put);
static PD_DL_SYM(rtnl_addr_set_ifindex);
static PD_DL_SYM(rtnl_addr_set_local);
static PD_DL_SYM(rtnl_addr_set_flags);
static PD_DL_SYM(rtnl_addr_add);
static PD_DL_SYM(rtnl_route_alloc);
static PD_DL_SYM(rtnl_route_put);
static PD_DL_SYM(rtnl_route_set_dst);
static PD_DL_SYM(rtnl_route_set_table);
static PD_DL_SYM(rtnl_route_set_protocol);
static PD_DL_SYM(rtnl_route_add_nexthop);
static PD_DL_SYM(rtnl_route_add);
static PD_DL_SYM(rtnl_route_nh_alloc);
static PD_DL_SYM(rtnl_route_nh_set_gateway);
static PD_DL_SYM(rtnl_route_nh_set_ifindex);

static void *libnl;

static int load_libnl(struct pd_err **err)
{
	/* libnl-3's own symbols (sockets, addresses) resolve through the
	 * handle too: dlsym searches the library's dependencies. */
	static const char *const sonames[] = { "libnl-route-3.so.200", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(nl_socket_alloc),
		PD_DL_ENTRY(nl_socket_free),
		PD_DL_ENTRY(nl_connect),
		PD_DL_ENTRY(nl_geterror),
		PD_DL_ENTRY(nl_addr_parse),
		PD_DL_ENTRY(nl_addr_put),
		PD_DL_ENTRY(nl_addr_get_binary_addr),
		PD_DL_ENTRY(nl_addr_get_len),
		PD_DL_ENTRY(rtnl_link_get_addr),
		PD_DL_ENTRY(rtnl_link_alloc),
		PD_DL_ENTRY(rtnl_link_put),
		PD_DL_ENTRY(rtnl_link_bridge_alloc),
		PD_DL_ENTRY(rtnl_link_is_bridge),
		PD_DL_ENTRY(rtnl_link_veth_alloc),
		PD_DL_ENTRY(rtnl_link_veth_get_peer),
		PD_DL_ENTRY(rtnl_link_set_name),
		PD_DL_ENTRY(rtnl_link_set_master),
		PD_DL_ENTRY(rtnl_link_set_flags),
		PD_DL_ENTRY(rtnl_link_get_flags),
		PD_DL_ENTRY(rtnl_link_set_ns_pid),
		PD_DL_ENTRY(rtnl_link_add),
		PD_DL_ENTRY(rtnl_link_change),
		PD_DL_ENTRY(rtnl_link_delete),
		PD_DL_ENTRY(rtnl_link_get_kernel),
		PD_DL_ENTRY(rtnl_link_get_ifindex),
		PD_DL_ENTRY(rtnl_addr_alloc),
		PD_DL_ENTRY(rtnl_addr_put),
		PD_DL_ENTRY(rtnl_addr_set_ifindex),
		PD_DL_ENTRY(rtnl_addr_set_local),
		PD_DL_ENTRY(rtnl_addr_set_flags),
		PD_DL_ENTRY(rtnl_addr_add),
		PD_DL_ENTRY(rtnl_route_alloc),
		PD_DL_ENTRY(rtnl_route_put),
		PD_DL_ENTRY(rtnl_route_set_dst),
		PD_DL_ENTRY(rtnl_route_set_table),
		PD_DL_ENTRY(rtnl_route_set_protocol),
		PD_DL_ENTRY(rtnl_route_add_nexthop),
		PD_DL_ENTRY(rtnl_route_add),
		PD_DL_ENTRY(rtnl_route_nh_alloc),
		PD_DL_ENTRY(rtnl_route_nh_set_gateway),
		PD_DL_ENTRY(rtnl_route_nh_set_ifindex),
		{ NULL, NULL },
	};
	return pd_dl_open(&libnl, sonames, "libnl-route-3-200", syms, err);
}

static void sockp(struct nl_sock **sk)
{
	if (*sk)
		sym_nl_socket_free(*sk);
}
static void linkp(struct rtnl_link **l)
{
	if (*l)
		sym_rtnl_link_put(*l);
}
static void addrp(struct nl_addr **a)
{
	if (*a)
		sym_nl_addr_put(*a);
}
#define _cleanup_sock_	 _cleanup_(sockp)
#define _cleanup_link_	 _cleanup_(linkp)
#define _cleanup_nladdr_ _cleanup_(addrp)

/* libnl returns negative NLE_* codes; the message names the operation. */
static int nl_fail(struct pd_err **err, int nlerr, const char *what, const char *name)
{
	return pd_fail(err, 0, "%s '%s': %s", what, name, sym_nl_geterror(nlerr));
}

static struct nl_sock *open_socket(struct pd_err **err)
{
	if (load_libnl(err) < 0)
		return NULL;
	struct nl_sock *sk = sym_nl_socket_alloc();
	if (!sk) {
		pd_fail(err, ENOMEM, "allocate netlink socket");
		return NULL;
	}
	int r = sym_nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		pd_fail(err, 0, "connect netlink socket: %s", sym_nl_geterror(r));
		sym_nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void pd_link_veth_name(const char *id, char name[16])
{
	snprintf(name, 16, "pd%.8s", id);
}

void pd_link_veth_name_for(const char *id, const char *iface, char name[16])
{
	if (!strncmp(iface, "eth", 3) && strcmp(iface, "eth0") != 0)
		snprintf(name, 16, "pd%.8s-%.4s", id, iface + 3);
	else
		pd_link_veth_name(id, name);
}

static int set_up(struct nl_sock *sk, struct rtnl_link *cur, const char *name, struct pd_err **err)
{
	if (sym_rtnl_link_get_flags(cur) & IFF_UP)
		return 0;
	_cleanup_link_ struct rtnl_link *chg = sym_rtnl_link_alloc();
	sym_rtnl_link_set_flags(chg, IFF_UP);
	int r = sym_rtnl_link_change(sk, cur, chg, 0);
	return r < 0 ? nl_fail(err, r, "bring up", name) : 0;
}

/* An IPv4 address, or an IPv6 one (`cidr` has a ':') without duplicate
 * address detection: the addresses are ours to give, and DAD would keep
 * them unusable for a second or more. */
static int add_addr(struct nl_sock *sk, int ifindex, const char *cidr, const char *name, struct pd_err **err)
{
	_cleanup_nladdr_ struct nl_addr *local = NULL;
	bool v6 = strchr(cidr, ':') != NULL;
	int r = sym_nl_addr_parse(cidr, v6 ? AF_INET6 : AF_INET, &local);
	if (r < 0)
		return nl_fail(err, r, "parse address", cidr);
	struct rtnl_addr *a = sym_rtnl_addr_alloc();
	sym_rtnl_addr_set_ifindex(a, ifindex);
	sym_rtnl_addr_set_local(a, local);
	if (v6)
		sym_rtnl_addr_set_flags(a, IFA_F_NODAD);
	r = sym_rtnl_addr_add(sk, a, NLM_F_CREATE | NLM_F_EXCL);
	sym_rtnl_addr_put(a);
	if (r < 0 && r != -NLE_EXIST)
		return nl_fail(err, r, "add address to", name);
	return 0;
}

/* Linux quirk: with route_localnet off, a packet whose source is 127.x
 * may not be routed out of a non-loopback device.  Publishing a port to
 * 127.0.0.1 DNATs the host's own connections to a container while their
 * source is still 127.0.0.1 (it is masqueraded only in postrouting, after
 * the routing decision), so the bridge needs route_localnet=1; nat.c drops
 * packets that come in on the bridge for 127.0.0.0/8, which that setting
 * would otherwise let containers reach (CVE-2020-8558). */
static int bridge_sysctls(const char *name, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		return pd_fail(err, errno, "set route_localnet on '%s'", name);
	return 0;
}

int pd_link_ensure_bridge(const struct pd_subnet *s, struct pd_err **err)
{
	_cleanup_(sockp) struct nl_sock *sk = open_socket(err);
	if (!sk)
		return -1;
	const char *name = pd_subnet_bridge(s);
	_cleanup_link_ struct rtnl_link *br = sym_rtnl_link_bridge_alloc();
	sym_rtnl_link_set_name(br, name);
	int r = sym_rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0 && r != -NLE_EXIST)
		return nl_fail(err, r, "create bridge", name);
	_cleanup_link_ struct rtnl_link *cur = NULL;
	r = sym_rtnl_link_get_kernel(sk, 0, name, &cur);
	if (r < 0)
		return nl_fail(err, r, "look up bridge", name);
	if (!sym_rtnl_link_is_bridge(cur))
		return pd_fail(err, 0, "'%s' exists and is not a bridge", name);
	char gw[16], cidr[24];
	pd_ip_text(s->gateway, gw);
	snprintf(cidr, sizeof(cidr), "%s/%u", gw, s->prefix);
	if (add_addr(sk, sym_rtnl_link_get_ifindex(cur), cidr, name, err) < 0)
		return -1;
	if (s->v6) {
		char gw6[46];
		pd_subnet_gateway6(s, gw6);
		_cleanup_free_ char *cidr6 = xasprintf("%s/%u", gw6, s->prefix6);
		if (add_addr(sk, sym_rtnl_link_get_ifindex(cur), cidr6, name, err) < 0)
			return -1;
	}
	if (set_up(sk, cur, name, err) < 0)
		return -1;
	return bridge_sysctls(name, err);
}

/* A netlink socket that talks to the network namespace of `pid`. */
static struct nl_sock *open_socket_in(pid_t pid, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		pd_fail(err, errno, "open network namespace '%s'", path);
		return NULL;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		pd_fail(err, errno, "enter network namespace '%s'", path);
		return NULL;
	}
	struct nl_sock *sk = open_socket(err);
	/* Not coming back would leave the monitor in the container's
	 * namespace, where nothing it does later makes sense: give up. */
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	return sk;
}

static int add_default_route(struct nl_sock *sk, int ifindex, const char *gw, struct pd_err **err)
{
	_cleanup_nladdr_ struct nl_addr *dst = NULL, *via = NULL;
	int family = strchr(gw, ':') ? AF_INET6 : AF_INET;
	if (sym_nl_addr_parse(family == AF_INET6 ? "::/0" : "0.0.0.0/0", family, &dst) < 0 ||
	    sym_nl_addr_parse(gw, family, &via) < 0)
		return pd_fail(err, EINVAL, "parse gateway '%s'", gw);
	struct rtnl_route *rt = sym_rtnl_route_alloc();
	struct rtnl_nexthop *nh = sym_rtnl_route_nh_alloc();
	sym_rtnl_route_nh_set_ifindex(nh, ifindex);
	sym_rtnl_route_nh_set_gateway(nh, via);
	sym_rtnl_route_set_dst(rt, dst);
	sym_rtnl_route_set_table(rt, RT_TABLE_MAIN);
	sym_rtnl_route_set_protocol(rt, RTPROT_BOOT);
	sym_rtnl_route_add_nexthop(rt, nh);
	int r = sym_rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	sym_rtnl_route_put(rt);
	return r < 0 ? nl_fail(err, r, "add default route via", gw) : 0;
}

/* The link's MAC address as "xx:xx:xx:xx:xx:xx". */
static int link_mac(struct rtnl_link *l, char mac[18], struct pd_err **err)
{
	struct nl_addr *a = sym_rtnl_link_get_addr(l); /* the link's own */
	const unsigned char *b = a ? sym_nl_addr_get_binary_addr(a) : NULL;
	if (!b || sym_nl_addr_get_len(a) != 6)
		return pd_fail(err, 0, "no MAC address on the container's eth0");
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
}

/* Inside the container's namespace: `peer` gets its address and (`up`)
 * comes up and, `route`, routes everything through the bridge; `mac` is
 * its MAC address. */
static int configure_peer(pid_t pid, const char *peer, const struct pd_subnet *s, const char *ip, bool up,
			  bool route, char mac[18], struct pd_err **err)
{
	_cleanup_(sockp) struct nl_sock *sk = open_socket_in(pid, err);
	if (!sk)
		return -1;
	_cleanup_link_ struct rtnl_link *eth = NULL;
	int r = sym_rtnl_link_get_kernel(sk, 0, peer, &eth);
	if (r < 0)
		return nl_fail(err, r, "look up the container's link", peer);
	char cidr[24], gw[16];
	snprintf(cidr, sizeof(cidr), "%s/%u", ip, s->prefix);
	pd_ip_text(s->gateway, gw);
	int ifindex = sym_rtnl_link_get_ifindex(eth);
	if (link_mac(eth, mac, err) < 0 || add_addr(sk, ifindex, cidr, peer, err) < 0)
		return -1;
	char ip6[46] = "", gw6[46] = "";
	pd_subnet_ip6(s, ip, ip6);
	pd_subnet_gateway6(s, gw6);
	if (*ip6) {
		_cleanup_free_ char *cidr6 = xasprintf("%s/%u", ip6, s->prefix6);
		if (add_addr(sk, ifindex, cidr6, peer, err) < 0)
			return -1;
	}
	if (!up)
		return 0;
	if (set_up(sk, eth, peer, err) < 0)
		return -1;
	if (!route)
		return 0;
	if (add_default_route(sk, ifindex, gw, err) < 0)
		return -1;
	return *ip6 && *gw6 ? add_default_route(sk, ifindex, gw6, err) : 0;
}

int pd_link_peer_up(pid_t pid, const char *peer, struct pd_err **err)
{
	_cleanup_(sockp) struct nl_sock *sk = open_socket_in(pid, err);
	if (!sk)
		return -1;
	_cleanup_link_ struct rtnl_link *eth = NULL;
	int r = sym_rtnl_link_get_kernel(sk, 0, peer, &eth);
	if (r < 0)
		return nl_fail(err, r, "look up the container's link", peer);
	return set_up(sk, eth, peer, err);
}

/* Leases live in each state root's database, but the bridge is the
 * host's: two state roots could hand out one address.  The kernel keeps
 * the host-wide claim: a route to the address through the container's
 * veth in a table no rule ever consults, added exclusively.  It goes with
 * the veth, so a crash can leave no stale claim. */
static int claim_address(struct nl_sock *sk, const char *host_name, const char *ip, struct pd_err **err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	int r = sym_rtnl_link_get_kernel(sk, 0, host_name, &l);
	if (r < 0)
		return nl_fail(err, r, "look up", host_name);
	_cleanup_free_ char *cidr = xasprintf("%s/32", ip);
	_cleanup_nladdr_ struct nl_addr *dst = NULL;
	if (sym_nl_addr_parse(cidr, AF_INET, &dst) < 0)
		return pd_fail(err, EINVAL, "parse address '%s'", ip);
	struct rtnl_route *rt = sym_rtnl_route_alloc();
	struct rtnl_nexthop *nh = sym_rtnl_route_nh_alloc();
	sym_rtnl_route_nh_set_ifindex(nh, sym_rtnl_link_get_ifindex(l));
	sym_rtnl_route_set_dst(rt, dst);
	sym_rtnl_route_set_table(rt, PD_NET_CLAIM_TABLE);
	sym_rtnl_route_set_protocol(rt, RTPROT_BOOT);
	sym_rtnl_route_add_nexthop(rt, nh);
	r = sym_rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	sym_rtnl_route_put(rt);
	if (r == -NLE_EXIST)
		return pd_fail(err, 0, "address %s is in use by another container (of another state root?)",
			       ip);
	return r < 0 ? nl_fail(err, r, "claim address", ip) : 0;
}

int pd_link_attach(const char *host_name, pid_t pid, const struct pd_subnet *s, const char *ip, char mac[18],
		   struct pd_err **err)
{
	return pd_link_attach_as(host_name, pid, "eth0", s, ip, true, mac, err);
}

int pd_link_attach_as(const char *host_name, pid_t pid, const char *peer_name, const struct pd_subnet *s,
		      const char *ip, bool up, char mac[18], struct pd_err **err)
{
	_cleanup_(sockp) struct nl_sock *sk = open_socket(err);
	if (!sk)
		return -1;
	_cleanup_link_ struct rtnl_link *br = NULL;
	int r = sym_rtnl_link_get_kernel(sk, 0, pd_subnet_bridge(s), &br);
	if (r < 0)
		return nl_fail(err, r, "look up bridge", pd_subnet_bridge(s));
	_cleanup_link_ struct rtnl_link *veth = sym_rtnl_link_veth_alloc();
	/* The peer is owned by the pair; get_peer hands out a reference. */
	_cleanup_link_ struct rtnl_link *peer = sym_rtnl_link_veth_get_peer(veth);
	sym_rtnl_link_set_name(veth, host_name);
	sym_rtnl_link_set_master(veth, sym_rtnl_link_get_ifindex(br));
	sym_rtnl_link_set_flags(veth, IFF_UP);
	sym_rtnl_link_set_name(peer, peer_name);
	sym_rtnl_link_set_ns_pid(peer, pid);
	r = sym_rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "create veth pair", host_name);
	/* Only eth0 routes out: a connected network's interface reaches its
	 * own subnet, as in Docker when it is not the first network. */
	bool route = !strcmp(peer_name, "eth0");
	if (claim_address(sk, host_name, ip, err) < 0 ||
	    configure_peer(pid, peer_name, s, ip, up, route, mac, err) < 0) {
		pd_link_delete(host_name, pd_err_ignore(cleanup));
		return -1;
	}
	return 0;
}

int pd_link_delete(const char *name, struct pd_err **err)
{
	_cleanup_(sockp) struct nl_sock *sk = open_socket(err);
	if (!sk)
		return -1;
	_cleanup_link_ struct rtnl_link *l = sym_rtnl_link_alloc();
	sym_rtnl_link_set_name(l, name);
	int r = sym_rtnl_link_delete(sk, l);
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return nl_fail(err, r, "delete link", name);
	return 0;
}
