/* User-defined networks (see networks.h).  Runs in the CLI (the `network`
 * commands; join at run/start, leave at rm/prune) and in the monitor
 * (leave when the container ends), as root.
 *
 * Why /etc/hosts and not a resolver: getaddrinfo and busybox's wget read
 * /etc/hosts before DNS, no process has to run or be supervised per
 * network or host, and nothing listens on the containers' networks.  The
 * cost: tools that only speak DNS (nslookup, dig) do not see the names.
 *
 * Each member's file is its /etc/hosts in its overlay's upper layer, the
 * file the container sees; it is rewritten in place (same inode: a new
 * file would not be seen through an overlay already holding the old
 * one), opened inside the upper directory so that a symlink the container
 * put there cannot lead the write out.  Only what follows the marker line
 * is ours; a container that removed it keeps its own file.  Rewrites
 * happen inside a write transaction of the state database: two of them
 * never interleave, and the last one writes the latest membership. */
#include "core/networks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/container.h"
#include "core/network.h"
#include "core/store-internal.h"
#include "core/store-net.h"
#include "linux/rootfs.h"
#include "net/link.h"
#include "net/nat.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/proc.h"
#include "util/xalloc.h"

static void random_id(char out[65])
{
	unsigned char raw[32] = { 0 };
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		uint64_t t = (uint64_t)pd_now_ns() ^ (uint64_t)getpid();
		memcpy(raw, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static char *labels_json(char *const *kv)
{
	json_auto_t *o = json_object();
	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		size_t klen = eq ? (size_t)(eq - kv[i]) : strlen(kv[i]);
		json_object_setn_new(o, kv[i], klen, json_string(eq ? eq + 1 : ""));
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		abort();
	return s;
}

static int need_root(struct pd_err **err)
{
	if (geteuid() != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, EPERM, "user-defined networks need root");
	return 0;
}

int pd_networks_create(const char *root, const char *name, const char *subnet, const char *subnet6, bool ipv6,
		       bool internal, char *const *labels, char **id, struct pd_err **err)
{
	if (!pd_net_name_valid(name))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid network name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 64, "
				    "not bridge, host, none or default) are allowed",
				    name);
	if (subnet6 && !ipv6)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "IPv6 subnet %s given without --ipv6", subnet6);
	if (subnet && pd_subnet_is_v6(subnet))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid subnet '%s': want A.B.C.D/PREFIX", subnet);
	if (subnet6 && !pd_subnet_is_v6(subnet6))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid IPv6 subnet '%s'", subnet6);
	if (need_root(err) < 0)
		return -1;
	struct pd_subnet reserved;
	_cleanup_free_ char *lj = labels_json(labels);
	struct pd_store_network n = {
		.name = (char *)name, .internal = internal, .labels = lj, .created_ns = pd_now_ns()
	};
	random_id(n.id);
	if (subnet && pd_subnet_parse(subnet, &n.sub, err) < 0)
		return -1;
	/* Without --subnet the IPv4 subnet is a /24 (store-networks.c): the
	 * IPv6 one must have room for its host numbers. */
	struct pd_subnet probe = { .prefix = subnet ? n.sub.prefix : 24 };
	if (subnet6 && pd_subnet6_parse(subnet6, &probe, err) < 0)
		return -1;
	n.sub.v6 = ipv6;
	memcpy(n.sub.net6, probe.net6, sizeof(n.sub.net6));
	n.sub.prefix6 = probe.prefix6;
	snprintf(n.sub.bridge, sizeof(n.sub.bridge), "pd-%.8s", n.id);
	if (pd_subnet_get(&reserved, err) < 0)
		return -1;
	_cleanup_free_ char *routes = pd_read_file("/proc/net/route", NULL, pd_err_ignore(optional));
	_cleanup_free_ char *routes6 = pd_read_file("/proc/net/ipv6_route", NULL, pd_err_ignore(optional));
	if (subnet && pd_subnet_check_routes(&n.sub, routes, err) < 0)
		return -1;
	if (subnet6 && pd_subnet6_check_routes(&n.sub, routes6, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s || pd_store_network_create(s, &n, &reserved, routes, routes6, err) < 0)
		return -1;
	*id = xstrdup(n.id);
	return 0;
}

int pd_networks_list(const char *root, struct pd_store_network **out, size_t *n, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_network_list(s, out, n, err);
}

static json_t *network_json(const struct pd_store_network *n, const struct pd_store_endpoint *e, size_t ne)
{
	char key[32], gw[16], created[64];
	pd_subnet_key(&n->sub, key, sizeof(key));
	pd_ip_text(n->sub.gateway, gw);
	time_t t = (time_t)(n->created_ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *containers = json_object();
	for (size_t i = 0; i < ne; i++) {
		_cleanup_free_ char *addr = xasprintf("%s/%u", e[i].ip, n->sub.prefix);
		_cleanup_free_ char *addr6 =
		    *e[i].ip6 ? xasprintf("%s/%u", e[i].ip6, n->sub.prefix6) : xstrdup("");
		_cleanup_free_ char *first = xstrndup(e[i].names, strcspn(e[i].names, " "));
		json_object_set_new(containers, e[i].container_id,
				    json_pack("{s:s, s:s, s:s, s:s}", "Name", first, "IPv4Address", addr,
					      "IPv6Address", addr6, "Names", e[i].names));
	}
	json_t *config = json_pack("[{s:s, s:s}]", "Subnet", key, "Gateway", gw);
	if (n->sub.v6) {
		char key6[64], gw6[46];
		pd_subnet6_key(&n->sub, key6, sizeof(key6));
		pd_subnet_gateway6(&n->sub, gw6);
		json_array_append_new(config, json_pack("{s:s, s:s}", "Subnet", key6, "Gateway", gw6));
	}
	json_t *labels = json_loads(n->labels ? n->labels : "{}", 0, NULL);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:o}, s:o, s:{s:s}, s:o}", "Name",
			 n->name, "Id", n->id, "Created", created, "Scope", "local", "Driver", "bridge",
			 "EnableIPv6", n->sub.v6, "Internal", n->internal, "IPAM", "Driver", "default",
			 "Config", config, "Containers", containers, "Options",
			 "com.docker.network.bridge.name", n->sub.bridge, "Labels",
			 labels ? labels : json_object());
}

int pd_networks_inspect(const char *root, const char *name, json_t **out, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_store_network n;
	int r = pd_store_network_get(s, name, &n, err);
	if (r == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such network: %s", name);
	if (r < 0)
		return -1;
	struct pd_store_endpoint *e = NULL;
	size_t ne = 0;
	if (pd_store_endpoints(s, n.name, &e, &ne, err) < 0) {
		pd_store_network_free(&n);
		return -1;
	}
	*out = network_json(&n, e, ne);
	pd_store_endpoints_free(e, ne);
	pd_store_network_free(&n);
	return 0;
}

int pd_networks_remove(const char *root, const char *name, struct pd_err **err)
{
	if (need_root(err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_store_network n;
	int r = pd_store_network_get(s, name, &n, err);
	if (r != 0)
		return r;
	/* The row first: once it is gone no start can lease on the network,
	 * so nothing can attach to the bridge while it goes. */
	r = pd_store_network_remove(s, n.name, err);
	if (r == 0 && (pd_nat_network_remove(n.sub.bridge, err) < 0 || pd_link_delete(n.sub.bridge, err) < 0))
		r = -1;
	pd_store_network_free(&n);
	return r;
}

int pd_networks_prune(const char *root, void (*removed)(const char *name, void *data), void *data,
		      struct pd_err **err)
{
	struct pd_store_network *all = NULL;
	size_t n = 0;
	if (pd_networks_list(root, &all, &n, err) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		int r = pd_networks_remove(root, all[i].name, &e);
		if (r == 0)
			removed(all[i].name, data);
		else if (r < 0 && e->kind != PD_ERR_USAGE) /* in use: kept */
			ret = pd_fail(err, e->errnum, "%s", e->msg);
	}
	pd_store_networks_free(all, n);
	return ret;
}

int pd_networks_lookup(struct pd_store *s, struct pd_config *cfg, struct pd_err **err)
{
	if (cfg->rootless)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--network %s: user-defined networks need root",
				    cfg->net.network);
	struct pd_store_network n;
	int r = pd_store_network_get(s, cfg->net.network, &n, err);
	if (r == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --network '%s': network %s not found",
				    cfg->net.network, cfg->net.network);
	if (r < 0)
		return -1;
	cfg->net.sub = n.sub;
	cfg->net.internal = n.internal;
	/* A network named by a prefix of its id: its name from now on. */
	free(cfg->net.network);
	cfg->net.network = take_ptr(&n.name);
	pd_store_network_free(&n);
	return 0;
}

/* Replace what follows the marker in the file `hosts` (an upper
 * directory) with `peers`.  Best effort: a member whose file is gone or
 * not ours any more is skipped.  `add_mark`: a file without the marker
 * (a container that started on no user-defined network, now connected to
 * one) gets it at its end. */
static void rewrite_hosts(const char *upper, const char *peers, bool add_mark)
{
	_cleanup_close_ int upfd = open(upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upfd < 0)
		return;
	/* In the upper directory as in a root: symlinks resolve inside it;
	 * the file itself must not be one, nor a fifo or device. */
	_cleanup_close_ int fd = rootfs_try_open(upfd, "etc/hosts", O_RDWR | O_NOFOLLOW | O_NONBLOCK, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		return;
	_cleanup_free_ char *old = xmalloc((size_t)st.st_size + 1);
	ssize_t got = pread(fd, old, (size_t)st.st_size, 0);
	if (got < 0)
		return;
	old[got] = '\0';
	char *mark = strstr(old, PD_NET_HOSTS_MARK);
	if (!mark && !add_mark)
		return;
	if (mark)
		mark[strlen(PD_NET_HOSTS_MARK)] = '\0';
	bool nl = !mark && got > 0 && old[got - 1] != '\n';
	_cleanup_free_ char *text =
	    xasprintf("%s%s%s%s", old, nl ? "\n" : "", mark ? "" : PD_NET_HOSTS_MARK, peers);
	size_t len = strlen(text);
	/* The new text, then the end cut: a reader meanwhile sees the new
	 * lines, at worst with a tail of the old ones. */
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		return;
}

/* "IP\tNAMES\n" of every container on a network `id` is on (itself too). */
static char *peers_of(struct pd_store *s, const char *id, struct pd_err **err)
{
	struct pd_store_endpoint *e = NULL;
	size_t n = 0;
	if (pd_store_peer_endpoints(s, id, &e, &n, err) < 0)
		return NULL;
	char *text = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s\t%s\n", text, e[i].ip, e[i].names);
		free(text);
		text = next;
		if (!*e[i].ip6)
			continue;
		next = xasprintf("%s%s\t%s\n", text, e[i].ip6, e[i].names);
		free(text);
		text = next;
	}
	pd_store_endpoints_free(e, n);
	return text;
}

/* Inside the caller's transaction: every member of `network` gets, in its
 * /etc/hosts, the names of the containers of every network it is on. */
static int refresh(struct pd_store *s, const char *network, struct pd_err **err)
{
	struct pd_store_endpoint *e = NULL;
	size_t n = 0;
	if (pd_store_endpoints(s, network, &e, &n, err) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		_cleanup_free_ char *text = peers_of(s, e[i].container_id, err);
		if (!text)
			ret = -1;
		else
			rewrite_hosts(e[i].hosts, text, false);
	}
	pd_store_endpoints_free(e, n);
	return ret;
}

static char *join_names(const char *name, char *const *aliases, const char *more, const char *id)
{
	char *names = xstrdup(name);
	for (size_t i = 0; aliases && aliases[i]; i++) {
		char *next = xasprintf("%s %s", names, aliases[i]);
		free(names);
		names = next;
	}
	char *next = xasprintf("%s%s%s %.12s", names, more && *more ? " " : "", more ? more : "", id);
	free(names);
	return next;
}

int pd_networks_join(struct pd_store *s, const char *root, struct pd_config *cfg, struct pd_err **err)
{
	_cleanup_free_ char *hosts = xasprintf("%s/containers/%s/upper", root, cfg->id);
	if (store_begin(s, err) < 0)
		return -1;
	free(take_ptr(&cfg->net.peers));
	const struct pd_netcfg *n = &cfg->net;
	/* The --network's, then each connected network's. */
	for (size_t i = 0; i <= n->n_conns; i++) {
		const struct pd_net_conn *c = i ? &n->conns[i - 1] : NULL;
		if (!c && !n->network)
			continue;
		_cleanup_free_ char *names = c ? join_names(cfg->name, NULL, c->aliases, cfg->id)
					       : join_names(cfg->name, n->aliases, NULL, cfg->id);
		struct pd_store_endpoint e = { .names = names, .hosts = hosts };
		snprintf(e.container_id, sizeof(e.container_id), "%s", cfg->id);
		snprintf(e.ip, sizeof(e.ip), "%s", c ? c->ip : n->ip);
		pd_subnet_ip6(c ? &c->sub : &n->sub, e.ip, e.ip6);
		if (pd_store_endpoint_set(s, c ? c->network : n->network, &e, err) < 0 ||
		    refresh(s, c ? c->network : n->network, err) < 0) {
			store_rollback(s);
			return -1;
		}
	}
	cfg->net.peers = peers_of(s, cfg->id, err);
	if (!cfg->net.peers) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int pd_networks_by_subnet(struct pd_store *s, const char *key, struct pd_store_network *out)
{
	struct pd_store_network *all = NULL;
	size_t n = 0;
	int found = 1;
	if (pd_store_network_list(s, &all, &n, pd_err_ignore(optional)) < 0)
		return 1;
	for (size_t i = 0; i < n && found; i++) {
		char k[32];
		pd_subnet_key(&all[i].sub, k, sizeof(k));
		if (!strcmp(k, key)) {
			*out = all[i];
			memset(&all[i], 0, sizeof(all[i]));
			found = 0;
		}
	}
	pd_store_networks_free(all, n);
	return found;
}

void pd_networks_refresh(struct pd_store *s, const char *network)
{
	if (store_begin(s, pd_err_ignore(gone)) < 0)
		return;
	refresh(s, network, pd_err_ignore(gone));
	store_commit(s, pd_err_ignore(gone));
}

void pd_networks_started(struct pd_store *s, const char *id, bool marked)
{
	_cleanup_strv_ char **networks = NULL;
	/* A read first: most containers are on no user-defined network, and
	 * their start takes no write lock for it. */
	if (pd_store_endpoint_networks(s, id, &networks, pd_err_ignore(gone)) < 0 || !networks[0] ||
	    store_begin(s, pd_err_ignore(gone)) < 0)
		return;
	for (size_t i = 0; networks[i]; i++)
		refresh(s, networks[i], pd_err_ignore(gone));
	/* Connected during an earlier run of a container that started on no
	 * user-defined network: its new /etc/hosts has no marker yet. */
	struct pd_store_endpoint *e = NULL;
	size_t n = 0;
	if (!marked && networks[0] && pd_store_endpoints(s, networks[0], &e, &n, pd_err_ignore(gone)) == 0) {
		_cleanup_free_ char *own = peers_of(s, id, pd_err_ignore(gone));
		for (size_t i = 0; i < n && own; i++)
			if (!strcmp(e[i].container_id, id))
				rewrite_hosts(e[i].hosts, own, true);
		pd_store_endpoints_free(e, n);
	}
	store_commit(s, pd_err_ignore(gone));
}

void pd_networks_leave(struct pd_store *s, const char *id)
{
	_cleanup_free_ char *one = NULL;
	_cleanup_strv_ char **networks = NULL;
	if (store_begin(s, pd_err_ignore(gone)) < 0)
		return;
	pd_store_endpoint_networks(s, id, &networks, pd_err_ignore(gone));
	if (pd_store_endpoint_drop(s, id, &one, pd_err_ignore(gone)) == 1)
		for (size_t i = 0; networks[i]; i++)
			refresh(s, networks[i], pd_err_ignore(gone));
	store_commit(s, pd_err_ignore(gone));
}

/* The container `ref` for connect/disconnect: its record (corrected
 * against its processes) and its config, with its id and name. */
static int find_container(struct pd_store *s, const char *ref, struct pd_record *r, struct pd_config *cfg,
			  struct pd_err **err)
{
	pd_config_init(cfg);
	if (pd_store_find(s, ref, r, err) < 0)
		return -1;
	pd_container_refresh(s, r);
	if (pd_config_decode(r->config, cfg, err) < 0) {
		pd_err_prefix(err, "container %.12s's record", r->id);
		return -1;
	}
	snprintf(cfg->id, sizeof(cfg->id), "%s", r->id);
	free(cfg->name);
	cfg->name = xstrdup(r->name);
	return 0;
}

static bool runs(const struct pd_record *r)
{
	return (r->state == PD_STATE_RUNNING || r->state == PD_STATE_STOPPING) && r->pid > 0 &&
	       pd_proc_start_time(r->pid) == r->pid_start;
}

/* Whether a connection may be made: root, a network namespace of the
 * container's own with no helper in it, not already on the network. */
static int can_connect(const struct pd_record *r, const struct pd_config *cfg, const char *network,
		       struct pd_err **err)
{
	if (cfg->rootless)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s is rootless: user-defined networks need root", r->id);
	if (cfg->net.mode == PD_NET_HOST || cfg->net.mode == PD_NET_NONE)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s has --network %s: it cannot be connected to a network",
				    r->id, pd_net_mode_name(cfg->net.mode));
	if (r->state == PD_STATE_RESTARTING || r->state == PD_STATE_CREATING)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s is %s: connect it once it runs or has stopped", r->id,
				    r->state == PD_STATE_RESTARTING ? "restarting" : "being created");
	if (cfg->net.network && !strcmp(cfg->net.network, network))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s is already connected to network %s", r->id, network);
	return 0;
}

/* --ip: an address a container may have on the network. */
static int check_ip(const char *ip, const struct pd_subnet *sub, uint32_t *out, struct pd_err **err)
{
	struct pd_netcfg tmp = { 0 };
	if (pd_netcfg_set_ip(&tmp, ip, err) < 0)
		return -1;
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	*out = ntohl(a.s_addr);
	char key[32];
	pd_subnet_key(sub, key, sizeof(key));
	if (*out < pd_subnet_first(sub) || *out > pd_subnet_last(sub) || *out == sub->gateway)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "address %s is not one a container may have on %s",
				    ip, key);
	return 0;
}

/* Inside the caller's transaction: the rows of a running container's new
 * connection (its lease into c->ip, its endpoint), and every member's
 * names rewritten, its own file given the marker if it had none. */
static int join_running(struct pd_store *s, const char *root, const struct pd_config *cfg,
			struct pd_net_conn *c, uint32_t want, struct pd_err **err)
{
	_cleanup_free_ uint32_t *taken = NULL;
	size_t n_taken = pd_network_claims(&taken);
	uint32_t ip = want;
	if (pd_store_net_lease(s, cfg->id, c->iface, &c->sub, taken, n_taken, false, &ip, err) < 0)
		return -1;
	pd_ip_text(ip, c->ip);
	_cleanup_free_ char *names = join_names(cfg->name, NULL, c->aliases, cfg->id);
	_cleanup_free_ char *hosts = xasprintf("%s/containers/%s/upper", root, cfg->id);
	struct pd_store_endpoint e = { .names = names, .hosts = hosts };
	snprintf(e.container_id, sizeof(e.container_id), "%s", cfg->id);
	snprintf(e.ip, sizeof(e.ip), "%s", c->ip);
	pd_subnet_ip6(&c->sub, e.ip, e.ip6);
	if (pd_store_endpoint_set(s, c->network, &e, err) < 0 || refresh(s, c->network, err) < 0)
		return -1;
	_cleanup_free_ char *own = peers_of(s, cfg->id, err);
	if (!own)
		return -1;
	rewrite_hosts(hosts, own, true);
	return 0;
}

/* Undo a connection's rows (a failed connect, a disconnect) and rewrite
 * the names of the network's members and the container's own. */
static void forget(struct pd_store *s, const char *root, const char *id, const char *network)
{
	char iface[16] = "";
	if (store_begin(s, pd_err_ignore(gone)) < 0)
		return;
	if (pd_store_conn_drop(s, id, network, iface, pd_err_ignore(gone)) == 1)
		pd_store_net_drop_lease(s, id, iface, pd_err_ignore(gone));
	if (pd_store_endpoint_drop_one(s, id, network, pd_err_ignore(gone)) == 1) {
		refresh(s, network, pd_err_ignore(gone));
		_cleanup_free_ char *hosts = xasprintf("%s/containers/%s/upper", root, id);
		_cleanup_free_ char *own = peers_of(s, id, pd_err_ignore(gone));
		if (own)
			rewrite_hosts(hosts, own, false);
	}
	store_commit(s, pd_err_ignore(gone));
}

int pd_networks_connect(const char *root, const char *network, const char *ref, const char *ip,
			char *const *aliases, struct pd_err **err)
{
	/* Names go into other containers' /etc/hosts: host names only. */
	for (size_t i = 0; aliases && aliases[i]; i++)
		if (!pd_net_name_valid(aliases[i]) || strchr(aliases[i], '_'))
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "invalid --alias '%s': want a host name ([a-zA-Z0-9][a-zA-Z0-9.-]*)", aliases[i]);
	if (need_root(err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_store_network n;
	int r = pd_store_network_get(s, network, &n, err);
	if (r == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such network: %s", network);
	if (r < 0)
		return -1;
	struct pd_record rec = { 0 };
	struct pd_config cfg;
	struct pd_net_conn c = { .sub = n.sub, .internal = n.internal };
	uint32_t want = 0;
	int ret = -1, claim_lock = -1;
	if (find_container(s, ref, &rec, &cfg, err) < 0) {
		pd_store_network_free(&n);
		pd_config_free(&cfg);
		return -1;
	}
	c.network = take_ptr(&n.name);
	c.aliases = xstrdup("");
	for (size_t i = 0; aliases && aliases[i]; i++) {
		char *next = xasprintf("%s%s%s", c.aliases, i ? " " : "", aliases[i]);
		free(c.aliases);
		c.aliases = next;
	}
	if (can_connect(&rec, &cfg, c.network, err) < 0 || (ip && check_ip(ip, &c.sub, &want, err) < 0))
		goto out;
	if (ip)
		snprintf(c.ip_want, sizeof(c.ip_want), "%s", ip);
	bool running = runs(&rec);
	/* From the look at the kernel's claims (join_running) to this
	 * container's claim (the attach below). */
	if (running)
		claim_lock = pd_network_claim_lock();
	struct pd_store_conn sc = { .network = c.network, .aliases = c.aliases };
	snprintf(sc.ip_want, sizeof(sc.ip_want), "%s", c.ip_want);
	if (store_begin(s, err) < 0)
		goto out;
	if (pd_store_conn_add(s, rec.id, &sc, err) < 0) {
		store_rollback(s);
		goto out;
	}
	snprintf(c.iface, sizeof(c.iface), "%s", sc.iface);
	if (running && join_running(s, root, &cfg, &c, want, err) < 0) {
		store_rollback(s);
		goto out;
	}
	if (store_commit(s, err) < 0)
		goto out;
	if (!running) {
		ret = 0; /* it joins at its next start */
		goto out;
	}
	/* The rows first (see network.c's ordering), then the kernel's
	 * objects; a container that ended meanwhile has had its rows taken
	 * by its monitor, or has them taken here. */
	if (pd_network_attach_conn(rec.id, &c, rec.pid, true, err) < 0) {
		pd_err_prefix(err, "connect container %.12s to network %s", rec.id, c.network);
		forget(s, root, rec.id, c.network);
		goto out;
	}
	if (!runs(&rec)) {
		pd_network_detach_conn(rec.id, c.iface);
		forget(s, root, rec.id, c.network);
		ret =
		    pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s ended while being connected", rec.id);
		goto out;
	}
	ret = 0;
out:
	pd_network_claim_unlock(&claim_lock);
	free(c.network);
	free(c.aliases);
	pd_store_network_free(&n);
	pd_record_free(&rec);
	pd_config_free(&cfg);
	return ret;
}

int pd_networks_disconnect(const char *root, const char *network, const char *ref, bool force,
			   struct pd_err **err)
{
	if (need_root(err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_store_network n;
	int r = pd_store_network_get(s, network, &n, err);
	if (r == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such network: %s", network);
	if (r < 0)
		return -1;
	struct pd_record rec = { 0 };
	struct pd_config cfg;
	int ret = -1;
	if (find_container(s, ref, &rec, &cfg, err) < 0)
		goto out;
	if (cfg.net.network && !strcmp(cfg.net.network, n.name)) {
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0,
				   "container %.12s is on network %s by its --network: only a network it was "
				   "connected to can be disconnected",
				   rec.id, n.name);
		goto out;
	}
	struct pd_store_conn *c = NULL;
	size_t nc = 0;
	if (pd_store_conns(s, rec.id, &c, &nc, err) < 0)
		goto out;
	const char *iface = NULL;
	for (size_t i = 0; i < nc && !iface; i++)
		if (!strcmp(c[i].network, n.name))
			iface = c[i].iface;
	if (!iface) {
		pd_store_conns_free(c, nc);
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is not connected to network %s",
				   rec.id, n.name);
		goto out;
	}
	/* The kernel's objects before the rows: rows never point at
	 * nothing, and nothing is left that no row points to.  -f changes
	 * nothing here: their removal is best effort anyway. */
	(void)force;
	pd_network_detach_conn(rec.id, iface);
	pd_store_conns_free(c, nc);
	forget(s, root, rec.id, n.name);
	ret = 0;
out:
	pd_store_network_free(&n);
	pd_record_free(&rec);
	pd_config_free(&cfg);
	return ret;
}
