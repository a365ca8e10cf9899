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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

int pd_networks_create(const char *root, const char *name, const char *subnet, bool internal,
		       char *const *labels, char **id, struct pd_err **err)
{
	if (!pd_net_name_valid(name))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid network name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 64, "
				    "not bridge, host, none or default) are allowed",
				    name);
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
	snprintf(n.sub.bridge, sizeof(n.sub.bridge), "pd-%.8s", n.id);
	if (pd_subnet_get(&reserved, err) < 0)
		return -1;
	_cleanup_free_ char *routes = pd_read_file("/proc/net/route", NULL, pd_err_ignore(optional));
	if (subnet && pd_subnet_check_routes(&n.sub, routes, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s || pd_store_network_create(s, &n, &reserved, routes, err) < 0)
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
		_cleanup_free_ char *first = xstrndup(e[i].names, strcspn(e[i].names, " "));
		json_object_set_new(
		    containers, e[i].container_id,
		    json_pack("{s:s, s:s, s:s}", "Name", first, "IPv4Address", addr, "Names", e[i].names));
	}
	json_t *labels = json_loads(n->labels ? n->labels : "{}", 0, NULL);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:[{s:s, s:s}]}, s:o, s:{s:s}, s:o}",
			 "Name", n->name, "Id", n->id, "Created", created, "Scope", "local", "Driver",
			 "bridge", "EnableIPv6", false, "Internal", n->internal, "IPAM", "Driver", "default",
			 "Config", "Subnet", key, "Gateway", gw, "Containers", containers, "Options",
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
 * not ours any more is skipped. */
static void rewrite_hosts(const char *upper, const char *peers)
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
	if (!mark)
		return;
	mark[strlen(PD_NET_HOSTS_MARK)] = '\0';
	_cleanup_free_ char *text = xasprintf("%s%s", old, peers);
	size_t len = strlen(text);
	/* The new text, then the end cut: a reader meanwhile sees the new
	 * lines, at worst with a tail of the old ones. */
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		return;
}

/* The names of every container on `network` ("IP\tNAMES\n" each); inside
 * the caller's transaction, each member's file rewritten with them. */
static int refresh(struct pd_store *s, const char *network, char **peers, struct pd_err **err)
{
	struct pd_store_endpoint *e = NULL;
	size_t n = 0;
	if (pd_store_endpoints(s, network, &e, &n, err) < 0)
		return -1;
	char *text = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s\t%s\n", text, e[i].ip, e[i].names);
		free(text);
		text = next;
	}
	for (size_t i = 0; i < n; i++)
		rewrite_hosts(e[i].hosts, text);
	pd_store_endpoints_free(e, n);
	if (peers)
		*peers = text;
	else
		free(text);
	return 0;
}

int pd_networks_join(struct pd_store *s, const char *root, struct pd_config *cfg, struct pd_err **err)
{
	_cleanup_free_ char *names = xasprintf("%s", cfg->name);
	for (size_t i = 0; cfg->net.aliases && cfg->net.aliases[i]; i++) {
		char *next = xasprintf("%s %s", names, cfg->net.aliases[i]);
		free(names);
		names = next;
	}
	char *next = xasprintf("%s %.12s", names, cfg->id);
	free(names);
	names = next;
	_cleanup_free_ char *hosts = xasprintf("%s/containers/%s/upper", root, cfg->id);
	struct pd_store_endpoint e = { .names = names, .hosts = hosts };
	snprintf(e.container_id, sizeof(e.container_id), "%s", cfg->id);
	snprintf(e.ip, sizeof(e.ip), "%s", cfg->net.ip);
	if (store_begin(s, err) < 0)
		return -1;
	free(take_ptr(&cfg->net.peers));
	if (pd_store_endpoint_set(s, cfg->net.network, &e, err) < 0 ||
	    refresh(s, cfg->net.network, &cfg->net.peers, err) < 0) {
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
	refresh(s, network, NULL, pd_err_ignore(gone));
	store_commit(s, pd_err_ignore(gone));
}

void pd_networks_leave(struct pd_store *s, const char *id)
{
	_cleanup_free_ char *network = NULL;
	if (store_begin(s, pd_err_ignore(gone)) < 0)
		return;
	if (pd_store_endpoint_drop(s, id, &network, pd_err_ignore(gone)) == 1)
		refresh(s, network, NULL, pd_err_ignore(gone));
	store_commit(s, pd_err_ignore(gone));
}
