/* A container's network (see network.h).  Runs in the CLI (reserve,
 * release at rm/prune, ps/inspect) and in the monitor (attach, detach,
 * release), with the caller's privileges: the bridge, veths and nft rules
 * only as root; rootless containers get pasta/slirp4netns.
 *
 * Ordering: the lease and ports are rows before any kernel object exists,
 * and the rows go last, so whoever finds rows (rm, prune after a monitor
 * crashed) knows there may be rules and a veth to remove, and nothing can
 * be left that no row points to. */
#include "core/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/networks.h"
#include "core/relay6.h"
#include "core/store-internal.h"
#include "core/store-net.h"
#include "net/link.h"
#include "net/nat.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static bool is_bridge(const struct pd_config *cfg)
{
	return cfg->net.mode == PD_NET_BRIDGE;
}

/* Bind the host port `p` for a moment: 0, or -1 with errno. */
static int try_bind(const struct pd_port *p)
{
	bool tcp = !strcmp(p->proto, "tcp");
	bool v6 = pd_relay6_port(p);
	_cleanup_close_ int fd =
	    socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(p->host_port),
					   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		return bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	inet_pton(AF_INET, p->host_ip, &a.sin_addr);
	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

/* A published port DNATs the host's own traffic too: a host program
 * listening on it would silently stop being reachable.  Fail instead, as
 * binding the port would. */
static int check_host_port(const struct pd_port *p, struct pd_err **err)
{
	if (try_bind(p) == 0)
		return 0;
	if (errno == EADDRINUSE)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "host port %s:%u/%s is already in use on the host",
				    p->host_ip, p->host_port, p->proto);
	if (errno == EADDRNOTAVAIL)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot publish on %s: not an address of this host",
				    p->host_ip);
	if (errno == EACCES)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "cannot publish host port %u without privileges (ports below "
				    "/proc/sys/net/ipv4/ip_unprivileged_port_start need root)",
				    p->host_port);
	return 0;
}

/* Every host port free on the host itself.  After the reservation, so
 * that a port this state root's container holds is named by its holder;
 * a failure here discards the record and with it the reservation. */
static int check_host_ports(const struct pd_netcfg *n, struct pd_err **err)
{
	for (size_t i = 0; i < n->n_ports; i++)
		if (check_host_port(&n->ports[i], err) < 0)
			return -1;
	return 0;
}

/* A port chosen for -p CONTAINERPORT or -P: one the host lets us bind, and
 * (as root) that no other state root's rule publishes. */
static bool is_free_on_host(const struct pd_port *p, void *arg)
{
	const struct pd_config *cfg = arg;
	char holder[65];
	if (try_bind(p) < 0)
		return false;
	return cfg->rootless || pd_nat_port_holder(p, cfg->id, holder, pd_err_ignore(status)) == 0;
}

/* Where free host ports are chosen: the kernel's ephemeral range, as
 * Docker does, from a random point of it. */
static void port_pick_init(struct pd_port_pick *pick, const struct pd_config *cfg)
{
	unsigned lo = 32768, hi = 60999;
	_cleanup_free_ char *range =
	    pd_read_file("/proc/sys/net/ipv4/ip_local_port_range", NULL, pd_err_ignore(optional));
	unsigned a, b;
	if (range && sscanf(range, "%u %u", &a, &b) == 2 && a >= 1 && a <= b && b <= 65535) {
		lo = a;
		hi = b;
	}
	uint32_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint32_t)getpid();
	*pick = (struct pd_port_pick){ .lo = (uint16_t)lo,
				       .hi = (uint16_t)hi,
				       .seed = seed,
				       .is_free = is_free_on_host,
				       .arg = (void *)cfg };
}

/* In /run: one for the host, whatever the state root. */
#define CLAIM_LOCK_PATH "/run/pocket-docker.claims.lock"

/* A start that hangs while holding it (a stuck mount, say) must not stop
 * every other start on the host: after this long without it, go on
 * without it. */
#define CLAIM_LOCK_WAIT_MS 10000

int pd_network_claim_lock(void)
{
	int fd = open(CLAIM_LOCK_PATH, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	long waited_us = 0, step_us = 100;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited_us >= CLAIM_LOCK_WAIT_MS * 1000L) {
			close(fd);
			return -1;
		}
		usleep((useconds_t)step_us);
		waited_us += step_us;
		if (step_us < 2000)
			step_us *= 2;
	}
	return fd;
}

void pd_network_claim_unlock(int *fd)
{
	if (*fd < 0)
		return;
	/* On the open file itself: a copy of the descriptor that a child
	 * still has (until its exec) does not keep it locked. */
	flock(*fd, LOCK_UN);
	close(*fd);
	*fd = -1;
}

size_t pd_network_claims(uint32_t **taken)
{
	_cleanup_free_ char *trie = pd_read_file("/proc/net/fib_trie", NULL, pd_err_ignore(optional));
	return pd_net_claims(trie, taken);
}

/* One transaction: the lease of the connection `c` into *ip. */
static int lease_conn(struct pd_store *s, const char *id, const struct pd_net_conn *c, const uint32_t *taken,
		      size_t n_taken, uint32_t *ip, struct pd_err **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	if (pd_store_net_lease(s, id, c->iface, &c->sub, taken, n_taken, true, ip, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

/* The leases of the networks the container was connected to (`network
 * connect`), each network looked up again (its bridge, whether internal). */
static int reserve_conns(struct pd_store *s, struct pd_config *cfg, int *claim_lock, struct pd_err **err)
{
	struct pd_store_conn *c = NULL;
	size_t n = 0;
	if (pd_store_conns(s, cfg->id, &c, &n, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (*claim_lock < 0)
		*claim_lock = pd_network_claim_lock();
	_cleanup_free_ uint32_t *taken = NULL;
	size_t n_taken = pd_network_claims(&taken);
	struct pd_netcfg *net = &cfg->net;
	net->conns = xcalloc(n, sizeof(*net->conns));
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct pd_net_conn *o = &net->conns[net->n_conns++];
		struct pd_store_network nw;
		int r = pd_store_network_get(s, c[i].network, &nw, err);
		if (r == 1)
			r = pd_fail_kind(err, PD_ERR_USAGE, 0, "network %s not found", c[i].network);
		if (r < 0) {
			ret = -1;
			break;
		}
		o->network = take_ptr(&nw.name);
		o->sub = nw.sub;
		o->internal = nw.internal;
		pd_store_network_free(&nw);
		snprintf(o->iface, sizeof(o->iface), "%s", c[i].iface);
		snprintf(o->ip_want, sizeof(o->ip_want), "%s", c[i].ip_want);
		o->aliases = take_ptr(&c[i].aliases);
		struct in_addr want = { 0 };
		if (o->ip_want[0])
			inet_pton(AF_INET, o->ip_want, &want);
		uint32_t ip = ntohl(want.s_addr);
		if (lease_conn(s, cfg->id, o, taken, n_taken, &ip, err) < 0) {
			pd_err_prefix(err, "network %s", o->network);
			ret = -1;
			break;
		}
		pd_ip_text(ip, o->ip);
	}
	pd_store_conns_free(c, n);
	return ret;
}

/* The default bridge's or the --network's address and the ports. */
static int reserve_primary(struct pd_store *s, struct pd_config *cfg, bool existing, int *claim_lock,
			   struct pd_err **err)
{
	struct pd_netcfg *n = &cfg->net;
	if (n->network && pd_networks_lookup(s, cfg, err) < 0)
		return -1;
	/* [::1] is relayed to the container's IPv6 address by its monitor
	 * (core/relay6.c): a root container on an --ipv6 network only. */
	for (size_t i = 0; i < n->n_ports; i++)
		if (pd_relay6_port(&n->ports[i]) && (cfg->rootless || !n->network || !n->sub.v6))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "cannot publish on [::1]: the container has no IPv6 address (%s)",
					    cfg->rootless
						? "rootless containers have none"
						: "connect it with --network to a network made with --ipv6");
	struct pd_port_pick pick;
	port_pick_init(&pick, cfg);
	/* A port to be chosen on an address the host does not have would
	 * find none free: say why at once. */
	for (size_t i = 0; i < n->n_ports; i++) {
		struct pd_port any = n->ports[i];
		any.host_port = 0;
		if (!n->ports[i].host_port && check_host_port(&any, err) < 0)
			return -1;
	}
	if (cfg->rootless) {
		/* pasta binds the host ports as the caller, and only warns about
		 * one it cannot bind. */
		if (pd_rootless_net_check(n->n_ports, err) < 0 ||
		    pd_store_net_reserve(s, cfg->id, NULL, NULL, 0, n->ports, n->n_ports, &pick, false, NULL,
					 err) < 0)
			return -1;
		return check_host_ports(n, err);
	}
	struct pd_subnet sub = n->sub;
	if (!n->network && pd_subnet_get(&sub, err) < 0)
		return -1;
	_cleanup_free_ char *routes = pd_read_file("/proc/net/route", NULL, pd_err_ignore(optional));
	if (pd_subnet_check_routes(&sub, routes, err) < 0)
		return -1;
	*claim_lock = pd_network_claim_lock();
	_cleanup_free_ uint32_t *taken = NULL;
	size_t n_taken = pd_network_claims(&taken);
	/* --ip: the address asked for (pd_store_net_reserve takes *ip). */
	struct in_addr want = { 0 };
	if (n->ip_want[0])
		inet_pton(AF_INET, n->ip_want, &want);
	uint32_t ip = ntohl(want.s_addr);
	if (pd_store_net_reserve(s, cfg->id, &sub, taken, n_taken, n->ports, n->n_ports, &pick, existing, &ip,
				 err) < 0)
		return -1;
	/* This state root's containers are checked by now; the rules also
	 * show those of other state roots. */
	for (size_t i = 0; i < n->n_ports; i++) {
		char holder[65];
		int r = pd_nat_port_holder(&n->ports[i], cfg->id, holder, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "host port %s:%u/%s is already published by container %.12s of another "
			    "state root (its rules are in nftables table ip %s)",
			    n->ports[i].host_ip, n->ports[i].host_port, n->ports[i].proto, holder,
			    PD_NAT_TABLE);
	}
	if (check_host_ports(n, err) < 0)
		return -1;
	pd_ip_text(ip, n->ip);
	return 0;
}

int pd_network_reserve(struct pd_store *s, const char *root, struct pd_config *cfg, bool existing,
		       int *claim_lock, struct pd_err **err)
{
	*claim_lock = -1;
	int r = 0;
	if (is_bridge(cfg) && reserve_primary(s, cfg, existing, claim_lock, err) < 0)
		r = -1;
	/* Only a container that exists can have been connected to a network. */
	else if (existing && !cfg->rootless && (is_bridge(cfg) || cfg->net.mode == PD_NET_DEFAULT) &&
		 reserve_conns(s, cfg, claim_lock, err) < 0)
		r = -1;
	else if (cfg->net.network || cfg->net.n_conns)
		r = pd_networks_join(s, root, cfg, err);
	if (r < 0)
		pd_network_claim_unlock(claim_lock);
	return r;
}

void pd_network_run_init(struct pd_network_run *r)
{
	memset(r, 0, sizeof(*r));
	r->helper.pidfd = -1;
}

static int attach_bridge(struct pd_network_run *r, const struct pd_config *cfg, pid_t pid,
			 struct pd_err **err)
{
	struct pd_subnet sub = cfg->net.sub;
	char veth[16];
	pd_link_veth_name(cfg->id, veth);
	/* A user-defined network: its own bridge and chains; the default
	 * bridge's table too when it publishes ports (its DNAT chains). */
	if (cfg->net.network ? pd_nat_network_setup(&sub, cfg->net.internal, err) < 0
			     : pd_subnet_get(&sub, err) < 0)
		return -1;
	struct pd_subnet dflt;
	bool nat = !cfg->net.network || cfg->net.n_ports;
	if (pd_nat_enable_forwarding(err) < 0 || (sub.v6 && pd_nat_enable_forwarding6(err) < 0) ||
	    pd_link_ensure_bridge(&sub, err) < 0 ||
	    (nat && (pd_subnet_get(&dflt, err) < 0 || pd_nat_setup(&dflt, err) < 0)))
		return -1;
	/* A veth of an earlier run of this container may outlive its
	 * namespace for a moment (the kernel frees namespaces lazily). */
	pd_link_delete(veth, pd_err_ignore(gone));
	char mac[18], ip6[46];
	if (pd_link_attach(veth, pid, &sub, cfg->net.ip, mac, err) < 0)
		return -1;
	/* Before GO: the container's first packet is filtered already.  On
	 * failure the monitor's detach unpins and deletes the veth. */
	pd_subnet_ip6(&sub, cfg->net.ip, ip6);
	if (pd_nat_pin(cfg->id, veth, cfg->net.ip, ip6, mac, err) < 0)
		return -1;
	if (r->published)
		return 0;
	/* Those on [::1] are the monitor's (core/relay6.c). */
	_cleanup_free_ struct pd_port *v4 = xcalloc(cfg->net.n_ports + 1, sizeof(*v4));
	size_t n_v4 = 0;
	for (size_t i = 0; i < cfg->net.n_ports; i++)
		if (!pd_relay6_port(&cfg->net.ports[i]))
			v4[n_v4++] = cfg->net.ports[i];
	if (pd_nat_publish(cfg->id, cfg->net.ip, v4, n_v4, err) < 0)
		return -1;
	r->published = true;
	return 0;
}

/* The anti-spoofing chain's tag of the container's interface `iface`:
 * eth0's is the id itself (as before connections existed). */
static void pin_tag(const char *id, const char *iface, char tag[96])
{
	if (!strcmp(iface, "eth0"))
		snprintf(tag, 96, "%s", id);
	else
		snprintf(tag, 96, "%s-%s", id, iface);
}

int pd_network_attach_conn(const char *id, const struct pd_net_conn *c, pid_t pid, bool running,
			   struct pd_err **err)
{
	struct pd_subnet sub = c->sub;
	if (pd_nat_network_setup(&sub, c->internal, err) < 0 || pd_nat_enable_forwarding(err) < 0 ||
	    (sub.v6 && pd_nat_enable_forwarding6(err) < 0) || pd_link_ensure_bridge(&sub, err) < 0)
		return -1;
	char veth[16], tag[96], mac[18], ip6[46];
	pd_subnet_ip6(&sub, c->ip, ip6);
	pd_link_veth_name_for(id, c->iface, veth);
	pin_tag(id, c->iface, tag);
	pd_link_delete(veth, pd_err_ignore(gone));
	/* A running container's interface comes up only once its rules
	 * exist: nothing it sends through it is unfiltered. */
	if (pd_link_attach_as(veth, pid, c->iface, &sub, c->ip, !running, mac, err) < 0)
		return -1;
	if (pd_nat_pin(tag, veth, c->ip, ip6, mac, err) < 0 ||
	    (running && pd_link_peer_up(pid, c->iface, err) < 0)) {
		pd_link_delete(veth, pd_err_ignore(cleanup));
		pd_nat_unpin(tag, veth, pd_err_ignore(cleanup));
		return -1;
	}
	return 0;
}

void pd_network_detach_conn(const char *id, const char *iface)
{
	char veth[16], tag[96];
	pd_link_veth_name_for(id, iface, veth);
	pin_tag(id, iface, tag);
	pd_link_delete(veth, pd_err_ignore(gone));
	pd_nat_unpin(tag, veth, pd_err_ignore(gone));
}

/* A restart: the connected networks that have a lease now (connected
 * during an earlier run, not disconnected since) into r->conns.  Best
 * effort: what cannot be read is not attached. */
static void reload_conns(struct pd_network_run *r, struct pd_store *s, const struct pd_config *cfg)
{
	pd_net_conns_free(r->conns, r->n_conns);
	r->conns = xcalloc(1, sizeof(*r->conns));
	r->n_conns = 0;
	struct pd_store_conn *c = NULL;
	struct pd_store_lease *l = NULL;
	size_t nc = 0, nl = 0;
	if (pd_store_conns(s, cfg->id, &c, &nc, pd_err_ignore(optional)) < 0 ||
	    pd_store_net_leases(s, cfg->id, &l, &nl, pd_err_ignore(optional)) < 0)
		nl = 0;
	for (size_t i = 0; i < nc; i++) {
		struct pd_store_network nw;
		const struct pd_store_lease *lease = NULL;
		for (size_t k = 0; k < nl && !lease; k++)
			if (!strcmp(l[k].iface, c[i].iface))
				lease = &l[k];
		if (!lease || pd_store_network_get(s, c[i].network, &nw, pd_err_ignore(optional)) != 0)
			continue;
		r->conns = xrealloc(r->conns, (r->n_conns + 1) * sizeof(*r->conns));
		struct pd_net_conn *o = &r->conns[r->n_conns++];
		*o = (struct pd_net_conn){ .network = take_ptr(&nw.name),
					   .sub = nw.sub,
					   .internal = nw.internal };
		snprintf(o->iface, sizeof(o->iface), "%s", c[i].iface);
		snprintf(o->ip, sizeof(o->ip), "%s", lease->ip);
		o->aliases = take_ptr(&c[i].aliases);
		pd_store_network_free(&nw);
	}
	pd_store_conns_free(c, nc);
	pd_store_leases_free(l, nl);
}

/* The connected networks of this run. */
static const struct pd_net_conn *run_conns(const struct pd_network_run *r, const struct pd_config *cfg,
					   size_t *n)
{
	*n = r->conns ? r->n_conns : cfg->net.n_conns;
	return r->conns ? r->conns : cfg->net.conns;
}

int pd_network_attach(struct pd_network_run *r, struct pd_store *s, const struct pd_config *cfg,
		      const char *dir, pid_t pid, struct pd_err **err)
{
	r->runs++;
	if (s && !cfg->rootless && (is_bridge(cfg) || cfg->net.mode == PD_NET_DEFAULT))
		reload_conns(r, s, cfg);
	size_t nc;
	const struct pd_net_conn *conns = run_conns(r, cfg, &nc);
	if (!is_bridge(cfg) && !nc)
		return 0;
	int ret = 0;
	if (is_bridge(cfg))
		ret = cfg->rootless
			  ? pd_rootless_net_start(&r->helper, pid, dir, cfg->net.ports, cfg->net.n_ports, err)
			  : attach_bridge(r, cfg, pid, err);
	for (size_t i = 0; ret == 0 && i < nc; i++)
		if (pd_network_attach_conn(cfg->id, &conns[i], pid, false, err) < 0) {
			pd_err_prefix(err, "network %s", conns[i].network);
			ret = -1;
		}
	if (ret < 0)
		pd_err_prefix(err, "network");
	return ret;
}

void pd_network_started(struct pd_store *s, const struct pd_config *cfg)
{
	/* Only a container with a network namespace of its own, on a bridge
	 * or connected, can be on a user-defined network. */
	if (s && !cfg->rootless && (is_bridge(cfg) || cfg->net.mode == PD_NET_DEFAULT))
		pd_networks_started(s, cfg->id, cfg->net.network || cfg->net.n_conns);
}

void pd_network_detach(struct pd_network_run *r, const struct pd_config *cfg)
{
	pd_rootless_net_stop(&r->helper);
	size_t nc;
	const struct pd_net_conn *conns = run_conns(r, cfg, &nc);
	for (size_t i = 0; i < nc; i++)
		pd_network_detach_conn(cfg->id, conns[i].iface);
	if (!is_bridge(cfg) || cfg->rootless)
		return;
	/* The veth dies with the container's namespace, but asynchronously;
	 * deleting it here means none is seen after the container ended. */
	char veth[16];
	pd_link_veth_name(cfg->id, veth);
	pd_link_delete(veth, pd_err_ignore(gone));
	pd_nat_unpin(cfg->id, veth, pd_err_ignore(gone));
}

void pd_network_release(struct pd_store *s, const char *id, bool keep_address)
{
	struct pd_store_net n;
	if (!s || pd_store_net_get(s, id, &n, pd_err_ignore(gone)) < 0)
		return;
	struct pd_store_lease *l = NULL;
	size_t nl = 0;
	if (pd_store_net_leases(s, id, &l, &nl, pd_err_ignore(gone)) < 0)
		nl = 0;
	/* Its names go before its addresses may be another's. */
	pd_networks_leave(s, id);
	if (nl && geteuid() == 0) {
		/* The rows of the ports go in before their rules and out after:
		 * no rows, no rules. */
		if (n.n_ports)
			pd_nat_unpublish(id, pd_err_ignore(gone));
		/* A monitor that died (SIGKILL) could not unpin; an interface
		 * `network connect` added is not in the monitor's config. */
		for (size_t i = 0; i < nl; i++)
			pd_network_detach_conn(id, l[i].iface);
	}
	if (nl || n.n_ports)
		pd_store_net_release(s, id, keep_address, pd_err_ignore(gone));
	pd_store_leases_free(l, nl);
	pd_store_net_free(&n);
}

char *pd_network_resolv_conf(const struct pd_config *cfg)
{
	_cleanup_free_ char *host = pd_read_file("/etc/resolv.conf", NULL, pd_err_ignore(optional));
	return pd_net_resolv_conf(&cfg->net, host);
}

char *pd_network_hosts(const struct pd_config *cfg)
{
	_cleanup_free_ char *host =
	    cfg->net.mode == PD_NET_HOST ? pd_read_file("/etc/hosts", NULL, pd_err_ignore(optional)) : NULL;
	return pd_net_hosts(&cfg->net, cfg->hostname, host);
}

static char *ports_join(char *out, const struct pd_port *p, bool first)
{
	_cleanup_free_ char *t = pd_port_text(p);
	char *next = xasprintf("%s%s%s", out, first ? "" : ", ", t);
	free(out);
	return next;
}

void pd_network_ports_load(struct pd_store *s, struct pd_ports_table *t)
{
	/* Unreadable: the column stays empty, as with one container. */
	if (pd_store_net_all_ports(s, &t->rows, &t->n, pd_err_ignore(optional)) < 0) {
		t->rows = NULL;
		t->n = 0;
	}
}

char *pd_network_ports_lookup(const struct pd_ports_table *t, const char *id)
{
	/* Rows are ordered by container id: the first of this id, then the
	 * run of them. */
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->rows[mid].container_id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	char *out = xstrdup("");
	for (size_t i = lo; i < t->n && !strcmp(t->rows[i].container_id, id); i++)
		out = ports_join(out, &t->rows[i].port, i == lo);
	return out;
}

void pd_network_ports_free(struct pd_ports_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}

/* One network's entry of NetworkSettings.Networks. */
static json_t *endpoint_json(const char *net_id, const char *iface, const char *ip, const char *gw,
			     unsigned prefix, const struct pd_subnet *sub)
{
	char ip6[46] = "", gw6[46] = "";
	if (sub && *ip) {
		pd_subnet_ip6(sub, ip, ip6);
		pd_subnet_gateway6(sub, gw6);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i}", "NetworkID", net_id, "Interface", iface,
			 "IPAddress", ip, "Gateway", gw, "IPPrefixLen", (int)prefix, "GlobalIPv6Address", ip6,
			 "IPv6Gateway", *ip6 ? gw6 : "", "GlobalIPv6PrefixLen", *ip6 ? (int)sub->prefix6 : 0);
}

/* Every network of the container: each lease's (the default bridge's is
 * "bridge"), and the connected networks it has no address on yet (a
 * container that has not started since). */
static json_t *networks_json(struct pd_store *s, const char *id)
{
	json_t *nets = json_object();
	struct pd_store_lease *l = NULL;
	size_t nl = 0;
	if (pd_store_net_leases(s, id, &l, &nl, pd_err_ignore(optional)) < 0)
		nl = 0;
	for (size_t i = 0; i < nl; i++) {
		struct pd_store_network net = { 0 };
		bool user = pd_networks_by_subnet(s, l[i].network, &net) == 0;
		json_object_set_new(nets, user ? net.name : "bridge",
				    endpoint_json(user ? net.id : "", l[i].iface, l[i].ip, l[i].gateway,
						  l[i].prefix, user ? &net.sub : NULL));
		pd_store_network_free(&net);
	}
	pd_store_leases_free(l, nl);
	struct pd_store_conn *c = NULL;
	size_t nc = 0;
	if (pd_store_conns(s, id, &c, &nc, pd_err_ignore(optional)) < 0)
		nc = 0;
	for (size_t i = 0; i < nc; i++) {
		if (json_object_get(nets, c[i].network))
			continue;
		struct pd_store_network net = { 0 };
		bool found = pd_store_network_get(s, c[i].network, &net, pd_err_ignore(optional)) == 0;
		json_object_set_new(nets, c[i].network,
				    endpoint_json(found ? net.id : "", c[i].iface, "", "", 0, NULL));
		if (found)
			pd_store_network_free(&net);
	}
	pd_store_conns_free(c, nc);
	return nets;
}

json_t *pd_network_settings_json(struct pd_store *s, const char *id)
{
	struct pd_store_net n;
	if (pd_store_net_get(s, id, &n, pd_err_ignore(optional)) < 0)
		memset(&n, 0, sizeof(n));
	json_t *ports = json_object();
	for (size_t i = 0; i < n.n_ports; i++) {
		char key[16], hp[8];
		snprintf(key, sizeof(key), "%u/%s", n.ports[i].container_port, n.ports[i].proto);
		snprintf(hp, sizeof(hp), "%u", n.ports[i].host_port);
		json_t *list = json_object_get(ports, key);
		if (!list) {
			list = json_array();
			json_object_set_new(ports, key, list);
		}
		json_array_append_new(list,
				      json_pack("{s:s, s:s}", "HostIp", n.ports[i].host_ip, "HostPort", hp));
	}
	/* A lease on a user-defined network's subnet: that network's bridge. */
	struct pd_store_network net = { 0 };
	bool user = n.leased && pd_networks_by_subnet(s, n.network, &net) == 0;
	json_t *o =
	    json_pack("{s:s, s:s, s:i, s:s, s:o}", "Bridge",
		      user	 ? net.sub.bridge
		      : n.leased ? PD_NET_BRIDGE_NAME
				 : "",
		      "IPAddress", n.ip, "IPPrefixLen", (int)n.prefix, "Gateway", n.gateway, "Ports", ports);
	char ip6[46] = "";
	if (user)
		pd_subnet_ip6(&net.sub, n.ip, ip6);
	json_object_set_new(o, "GlobalIPv6Address", json_string(ip6));
	json_t *nets = networks_json(s, id);
	if (json_object_size(nets))
		json_object_set_new(o, "Networks", nets);
	else
		json_decref(nets);
	pd_store_network_free(&net);
	pd_store_net_free(&n);
	return o;
}
