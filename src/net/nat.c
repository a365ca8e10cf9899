/* NAT and port publishing (see nat.h).  Runs as root in the monitor and
 * the CLI; libnftables is opened with dlopen on first use.
 *
 * The table `ip pocket_docker` is the project's alone:
 *   prerouting  (nat, -100)  DNAT of published ports for other hosts
 *   output      (nat, -100)  the same for the host's own connections, so
 *                            127.0.0.1:HOSTPORT and the host's addresses work
 *   postrouting (nat, 100)   masquerade of the subnet leaving by any other
 *                            link; masquerade of 127.0.0.0/8 sources going
 *                            to the bridge (the output DNAT above keeps the
 *                            source 127.0.0.1, which the container could
 *                            not answer); masquerade of the subnet going
 *                            back to the bridge after a DNAT, so that a
 *                            container reaching another's published port
 *                            through the gateway gets its answer back
 *   guard       (filter, -300)  drop what comes in on the bridge for
 *                            127.0.0.0/8 (route_localnet, see link.c)
 * Rules of a container carry the comment "pd:<full id>" and are deleted by
 * handle, so concurrent containers never touch each other's rules and
 * nothing outside the table is ever changed.
 *
 * The table `bridge pocket_docker` holds the anti-spoofing rules: an ip
 * table never sees what one container sends another across the bridge.
 *   prerouting (filter, -200)  iifname vmap @ports: a frame that comes in
 *                            on a container's veth jumps to its chain
 *   ports                    map of veth name to "jump pd-<full id>"
 *   pd-<full id>             drops frames whose source MAC is not the
 *                            container's eth0, that are neither IPv4 nor
 *                            ARP, and IPv4 packets and ARP messages whose
 *                            sender address is not its lease
 * A container with an IPv6 address (a network created with --ipv6) has
 * IPv6 let through from that address, its link-local one (from its MAC)
 * and :: (DAD), with neighbour discovery restricted (see nat.h).
 *
 * The table `ip6 pocket_docker` holds the IPv6 chains of the networks
 * created with --ipv6 (net-<bridge>-post, net-<bridge>-fwd, as below);
 * a table of its own leaves the `ip` table's rules and their handles as
 * they are.
 *
 * A veth with no element in the map is not filtered: the containers of an
 * older binary sharing the bridge keep working.  The element and chain are
 * written before the container's process runs (see network.c), in one
 * transaction, and go together in another. */
#include "net/nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/xalloc.h"

#define T  "ip " PD_NAT_TABLE
#define T6 "ip6 " PD_NAT_TABLE
#define TB "bridge " PD_NAT_TABLE

static PD_DL_SYM(nft_ctx_new);
static PD_DL_SYM(nft_ctx_free);
static PD_DL_SYM(nft_ctx_buffer_output);
static PD_DL_SYM(nft_ctx_buffer_error);
static PD_DL_SYM(nft_ctx_get_output_buffer);
static PD_DL_SYM(nft_ctx_get_error_buffer);
static PD_DL_SYM(nft_ctx_output_set_flags);
static PD_DL_SYM(nft_run_cmd_from_buffer);

static void *libnftables;

static void ctxp(struct nft_ctx **c)
{
	if (*c)
		sym_nft_ctx_free(*c);
}
#define _cleanup_nft_ _cleanup_(ctxp)

static struct nft_ctx *ctx_new(struct pd_err **err)
{
	static const char *const sonames[] = { "libnftables.so.1", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(nft_ctx_new),
		PD_DL_ENTRY(nft_ctx_free),
		PD_DL_ENTRY(nft_ctx_buffer_output),
		PD_DL_ENTRY(nft_ctx_buffer_error),
		PD_DL_ENTRY(nft_ctx_get_output_buffer),
		PD_DL_ENTRY(nft_ctx_get_error_buffer),
		PD_DL_ENTRY(nft_ctx_output_set_flags),
		PD_DL_ENTRY(nft_run_cmd_from_buffer),
		{ NULL, NULL },
	};
	if (pd_dl_open(&libnftables, sonames, "libnftables1", syms, err) < 0)
		return NULL;
	struct nft_ctx *c = sym_nft_ctx_new(NFT_CTX_DEFAULT);
	if (!c) {
		pd_fail(err, ENOMEM, "create nftables context");
		return NULL;
	}
	sym_nft_ctx_buffer_output(c);
	sym_nft_ctx_buffer_error(c);
	return c;
}

/* Run one nft script as one transaction; the error is nft's first line. */
static int run(struct nft_ctx *c, const char *script, const char *what, struct pd_err **err)
{
	if (sym_nft_run_cmd_from_buffer(c, script) == 0)
		return 0;
	const char *e = sym_nft_ctx_get_error_buffer(c);
	e = e && *e ? e : "failed";
	return pd_fail(err, 0, "nftables: %s: %.*s", what, (int)strcspn(e, "\n"), e);
}

/* The table as pd_nat_setup writes it for the subnet `key`: the four
 * chains, and the shared rules (three in postrouting, one in guard), each
 * tagged "pd-nat:<key>".  Checking costs a read of the table; writing it
 * again, a commit that waits for the kernel (several ms). */
static bool table_is_set_up(struct nft_ctx *c, const char *key)
{
	sym_nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON);
	bool ok = false;
	if (sym_nft_run_cmd_from_buffer(c, "list table " T) == 0) {
		_cleanup_free_ char *tag = xasprintf("pd-nat:%s", key);
		json_t *root = json_loads(sym_nft_ctx_get_output_buffer(c), 0, NULL);
		unsigned chains = 0, post = 0, guard = 0, other = 0;
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(root, "nftables"), i, it)
		{
			const char *cname =
			    json_string_value(json_object_get(json_object_get(it, "chain"), "name"));
			/* Only the default bridge's chains: a user-defined
			 * network's (net-*) are its own. */
			if (cname && strncmp(cname, "net-", 4) != 0)
				chains++;
			json_t *rule = json_object_get(it, "rule");
			const char *comment = json_string_value(json_object_get(rule, "comment"));
			const char *chain = json_string_value(json_object_get(rule, "chain"));
			if (!rule || !chain)
				continue;
			bool mine = comment && !strcmp(comment, tag);
			if (mine && !strcmp(chain, "postrouting"))
				post++;
			else if (mine && !strcmp(chain, "guard"))
				guard++;
			else if (!strcmp(chain, "postrouting") || !strcmp(chain, "guard"))
				other++;
		}
		json_decref(root);
		ok = chains == 4 && post == 3 && guard == 1 && other == 0;
	}
	sym_nft_ctx_output_set_flags(c, 0);
	return ok;
}

int pd_nat_setup(const struct pd_subnet *s, struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	char net[16], key[24];
	pd_ip_text(s->network, net);
	pd_subnet_key(s, key, sizeof(key));
	if (table_is_set_up(c, key))
		return 0;
	_cleanup_free_ char *script = xasprintf(
	    "add table " T "\n"
	    "add chain " T " prerouting { type nat hook prerouting priority -100; policy accept; }\n"
	    "add chain " T " output { type nat hook output priority -100; policy accept; }\n"
	    "add chain " T " postrouting { type nat hook postrouting priority 100; policy accept; }\n"
	    "add chain " T " guard { type filter hook prerouting priority -300; policy accept; }\n"
	    "flush chain " T " postrouting\n"
	    "flush chain " T " guard\n"
	    "add rule " T " postrouting ip saddr %s/%u oifname != \"%s\" masquerade comment \"pd-nat:%s\"\n"
	    "add rule " T
	    " postrouting ip saddr 127.0.0.0/8 oifname \"%s\" masquerade comment \"pd-nat:%s\"\n"
	    "add rule " T
	    " postrouting ip saddr %s/%u oifname \"%s\" ct status dnat masquerade comment \"pd-nat:%s\"\n"
	    "add rule " T " guard iifname \"%s\" ip daddr 127.0.0.0/8 drop comment \"pd-nat:%s\"\n",
	    net, s->prefix, PD_NET_BRIDGE_NAME, key, PD_NET_BRIDGE_NAME, key, net, s->prefix,
	    PD_NET_BRIDGE_NAME, key, PD_NET_BRIDGE_NAME, key);
	return run(c, script, "set up table " PD_NAT_TABLE, err);
}

/* A user-defined network's chains, its own so that writing or deleting
 * them never touches another network's or the default bridge's:
 *   net-<bridge>-post  (nat postrouting, 100)  masquerade of its subnet
 *                      leaving by another link (not for --internal)
 *   net-<bridge>-guard (filter prerouting, -300)  as `guard` above
 *   net-<bridge>-fwd   (filter forward, 0)  isolation: nothing is routed
 *                      between it and another of the project's bridges
 *                      (pocket0, pd-*), either way; --internal: nothing
 *                      between it and any other link
 * One transaction; a chain that exists is flushed and written again. */
static int network_setup6(struct nft_ctx *c, const struct pd_subnet *s, bool internal, struct pd_err **err);

int pd_nat_network_setup(const struct pd_subnet *s, bool internal, struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	const char *br = pd_subnet_bridge(s);
	if (s->v6 && network_setup6(c, s, internal, err) < 0)
		return -1;
	_cleanup_free_ char *probe = xasprintf("list chain " T " net-%s-fwd", br);
	if (sym_nft_run_cmd_from_buffer(c, probe) == 0)
		return 0;
	char net[16];
	pd_ip_text(s->network, net);
	_cleanup_free_ char *script = xasprintf(
	    "add table " T "\n"
	    "add chain " T " net-%s-post { type nat hook postrouting priority 100; policy accept; }\n"
	    "add chain " T " net-%s-guard { type filter hook prerouting priority -300; policy accept; }\n"
	    "add chain " T " net-%s-fwd { type filter hook forward priority 0; policy accept; }\n"
	    "flush chain " T " net-%s-post\n"
	    "flush chain " T " net-%s-guard\n"
	    "flush chain " T " net-%s-fwd\n"
	    "add rule " T " net-%s-guard iifname \"%s\" ip daddr 127.0.0.0/8 drop\n"
	    "add rule " T " net-%s-fwd iifname \"%s\" oifname != \"%s\" oifname { \"%s\", \"pd-*\" } drop\n"
	    "add rule " T " net-%s-fwd oifname \"%s\" iifname != \"%s\" iifname { \"%s\", \"pd-*\" } drop\n",
	    br, br, br, br, br, br, br, br, br, br, br, PD_NET_BRIDGE_NAME, br, br, br, PD_NET_BRIDGE_NAME);
	char *more =
	    internal ? xasprintf("%sadd rule " T " net-%s-fwd iifname \"%s\" oifname != \"%s\" drop\n"
				 "add rule " T " net-%s-fwd oifname \"%s\" iifname != \"%s\" drop\n",
				 script, br, br, br, br, br, br)
		     : xasprintf("%sadd rule " T " net-%s-post ip saddr %s/%u oifname != \"%s\" masquerade\n",
				 script, br, net, s->prefix, br);
	free(script);
	script = more;
	return run(c, script, "set up the network's chains", err);
}

/* The IPv6 half of pd_nat_network_setup. */
static int network_setup6(struct nft_ctx *c, const struct pd_subnet *s, bool internal, struct pd_err **err)
{
	const char *br = pd_subnet_bridge(s);
	_cleanup_free_ char *probe = xasprintf("list chain " T6 " net-%s-fwd", br);
	if (sym_nft_run_cmd_from_buffer(c, probe) == 0)
		return 0;
	char key6[64];
	pd_subnet6_key(s, key6, sizeof(key6));
	_cleanup_free_ char *script = xasprintf(
	    "add table " T6 "\n"
	    "add chain " T6 " net-%s-post { type nat hook postrouting priority 100; policy accept; }\n"
	    "add chain " T6 " net-%s-fwd { type filter hook forward priority 0; policy accept; }\n"
	    "flush chain " T6 " net-%s-post\n"
	    "flush chain " T6 " net-%s-fwd\n"
	    "add rule " T6 " net-%s-fwd iifname \"%s\" oifname != \"%s\" oifname { \"%s\", \"pd-*\" } drop\n"
	    "add rule " T6 " net-%s-fwd oifname \"%s\" iifname != \"%s\" iifname { \"%s\", \"pd-*\" } drop\n",
	    br, br, br, br, br, br, br, PD_NET_BRIDGE_NAME, br, br, br, PD_NET_BRIDGE_NAME);
	char *more =
	    internal ? xasprintf("%sadd rule " T6 " net-%s-fwd iifname \"%s\" oifname != \"%s\" drop\n"
				 "add rule " T6 " net-%s-fwd oifname \"%s\" iifname != \"%s\" drop\n",
				 script, br, br, br, br, br, br)
		     : xasprintf("%sadd rule " T6 " net-%s-post ip6 saddr %s oifname != \"%s\" masquerade\n",
				 script, br, key6, br);
	free(script);
	script = more;
	return run(c, script, "set up the network's IPv6 chains", err);
}

int pd_nat_network_remove(const char *bridge, struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	static const char *const kinds[] = { "post", "guard", "fwd" };
	static const char *const tables[] = { T, T6 };
	for (size_t i = 0; i < ARRAY_SIZE(kinds) * ARRAY_SIZE(tables); i++) {
		const char *t = tables[i / ARRAY_SIZE(kinds)], *kind = kinds[i % ARRAY_SIZE(kinds)];
		_cleanup_free_ char *probe = xasprintf("list chain %s net-%s-%s", t, bridge, kind);
		if (sym_nft_run_cmd_from_buffer(c, probe) != 0)
			continue; /* never made, or removed already */
		_cleanup_free_ char *del = xasprintf("delete chain %s net-%s-%s", t, bridge, kind);
		if (run(c, del, "delete the network's chains", err) < 0)
			return -1;
	}
	return 0;
}

/* An address of the host's or every one of them. */
static char *match_daddr(const struct pd_port *p)
{
	if (!strcmp(p->host_ip, "0.0.0.0"))
		return xstrdup("fib daddr type local");
	return xasprintf("ip daddr %s", p->host_ip);
}

int pd_nat_publish(const char *id, const char *ip, const struct pd_port *ports, size_t n, struct pd_err **err)
{
	if (!n)
		return 0;
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	static const char *const chains[] = { "prerouting", "output" };
	_cleanup_free_ char *script = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *match = match_daddr(&ports[i]);
		for (size_t k = 0; k < ARRAY_SIZE(chains); k++) {
			char *next =
			    xasprintf("%sadd rule " T " %s %s %s dport %u dnat to %s:%u comment \"pd:%s\"\n",
				      script, chains[k], match, ports[i].proto, ports[i].host_port, ip,
				      ports[i].container_port, id);
			free(script);
			script = next;
		}
	}
	return run(c, script, "publish ports", err);
}

/* What a container's rule in the output chain publishes: its protocol,
 * port and address ("0.0.0.0": any local address). */
static bool rule_port(json_t *rule, char proto[4], unsigned *port, char addr[16])
{
	*port = 0;
	snprintf(addr, 16, "0.0.0.0");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(rule, "expr"), i, e)
	{
		json_t *m = json_object_get(e, "match");
		json_t *payload = json_object_get(json_object_get(m, "left"), "payload");
		const char *field = json_string_value(json_object_get(payload, "field"));
		const char *proto_name = json_string_value(json_object_get(payload, "protocol"));
		json_t *right = json_object_get(m, "right");
		if (!field || !proto_name)
			continue;
		if (!strcmp(field, "dport") && json_is_integer(right)) {
			snprintf(proto, 4, "%s", proto_name);
			*port = (unsigned)json_integer_value(right);
		} else if (!strcmp(field, "daddr") && json_is_string(right)) {
			snprintf(addr, 16, "%s", json_string_value(right));
		}
	}
	return *port != 0;
}

int pd_nat_port_holder(const struct pd_port *p, const char *self, char holder[65], struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	sym_nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON);
	if (sym_nft_run_cmd_from_buffer(c, "list chain " T " output") != 0)
		return 0;
	json_t *root = json_loads(sym_nft_ctx_get_output_buffer(c), 0, NULL);
	int found = 0;
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(root, "nftables"), i, it)
	{
		json_t *rule = json_object_get(it, "rule");
		const char *comment = json_string_value(json_object_get(rule, "comment"));
		char proto[4] = "", addr[16];
		unsigned port;
		if (!comment || strncmp(comment, "pd:", 3) != 0 || !strcmp(comment + 3, self) ||
		    !rule_port(rule, proto, &port, addr))
			continue;
		bool any = !strcmp(addr, "0.0.0.0") || !strcmp(p->host_ip, "0.0.0.0");
		if (port == p->host_port && !strcmp(proto, p->proto) && (any || !strcmp(addr, p->host_ip))) {
			snprintf(holder, 65, "%s", comment + 3);
			found = 1;
			break;
		}
	}
	json_decref(root);
	return found;
}

/* "delete rule ..." lines for the rules tagged `tag` in nft's JSON. */
static char *delete_script(const char *json, const char *tag)
{
	json_t *root = json_loads(json, 0, NULL);
	json_t *items = json_object_get(root, "nftables");
	char *script = xstrdup("");
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		json_t *rule = json_object_get(it, "rule");
		const char *comment = json_string_value(json_object_get(rule, "comment"));
		const char *chain = json_string_value(json_object_get(rule, "chain"));
		json_t *handle = json_object_get(rule, "handle");
		if (!comment || !chain || !json_is_integer(handle) || strcmp(comment, tag) != 0)
			continue;
		char *next = xasprintf("%sdelete rule " T " %s handle %lld\n", script, chain,
				       (long long)json_integer_value(handle));
		free(script);
		script = next;
	}
	json_decref(root);
	return script;
}

int pd_nat_unpublish(const char *id, struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	sym_nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	/* No table: nothing was ever published, nothing to delete. */
	if (sym_nft_run_cmd_from_buffer(c, "list table " T) != 0)
		return 0;
	_cleanup_free_ char *tag = xasprintf("pd:%s", id);
	_cleanup_free_ char *script = delete_script(sym_nft_ctx_get_output_buffer(c), tag);
	if (!*script)
		return 0;
	return run(c, script, "delete the container's rules", err);
}

/* IPv4 forwarding is turned on when a bridge container starts and it is
 * off, and never turned off again: other containers, or whatever else on
 * the host came to rely on it meanwhile, may need it. */
int pd_nat_enable_forwarding(struct pd_err **err)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDWR | O_CLOEXEC);
	char v = 0;
	if (fd < 0 || read(fd, &v, 1) != 1)
		return pd_fail(err, errno, "read /proc/sys/net/ipv4/ip_forward");
	if (v == '1')
		return 0;
	if (pwrite(fd, "1", 1, 0) != 1)
		return pd_fail(err, errno, "turn on /proc/sys/net/ipv4/ip_forward");
	return 0;
}

int pd_nat_enable_forwarding6(struct pd_err **err)
{
	static const char path[] = "/proc/sys/net/ipv6/conf/all/forwarding";
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	char v = 0;
	if (fd < 0 || read(fd, &v, 1) != 1)
		return pd_fail(err, errno, "read %s", path);
	if (v == '1')
		return 0;
	if (pwrite(fd, "1", 1, 0) != 1)
		return pd_fail(err, errno, "turn on %s", path);
	return 0;
}

/* An IPv6 address as the 128-bit integer nft compares a raw payload
 * with ("0x..."); "" when it is not one. */
static void ip6_hex(const char *ip6, char out[35])
{
	unsigned char a[16];
	out[0] = '\0';
	if (inet_pton(AF_INET6, ip6, a) != 1)
		return;
	snprintf(out, 35, "0x");
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", a[i]);
}

/* The IPv6 rules of chain pd-<id> (see nat.h): after the source MAC and
 * IPv4/ARP rules.  The target of a neighbour message is at bit 64 of the
 * ICMPv6 header (nft 1.0.6 has no name for it); its first option at bit
 * 192.  An advertisement's or (not DAD) solicitation's first option must
 * be the link-layer address option with the container's own MAC: Linux
 * takes the first of its kind, so no other MAC can be claimed for the
 * container's addresses (as the ARP rules do for IPv4).  A message with no
 * option changes no link-layer address, and passes (the load fails). */
static char *pin6_rules(const char *id, const char *ip6, const char *mac)
{
	char ll[46], hex[35], llhex[35], machex[15] = "0x";
	for (const char *p = mac; *p && strlen(machex) < sizeof(machex) - 1; p++)
		if (*p != ':')
			strncat(machex, p, 1);
	pd_net_link_local(mac, ll);
	ip6_hex(ip6, hex);
	ip6_hex(ll, llhex);
	if (!*ll || !*hex || !*llhex || strlen(machex) != 14)
		return NULL;
	const char *na = "icmpv6 type nd-neighbor-advert",
		   *ns = "ip6 saddr != :: icmpv6 type nd-neighbor-solicit";
	return xasprintf("add rule " TB " pd-%s ip6 saddr != { %s, %s, :: } drop\n"
			 "add rule " TB " pd-%s ip6 saddr :: meta l4proto != ipv6-icmp drop\n"
			 "add rule " TB " pd-%s ip6 saddr :: icmpv6 type != nd-neighbor-solicit drop\n"
			 "add rule " TB " pd-%s ip6 saddr :: @th,64,128 != { %s, %s } drop\n"
			 "add rule " TB " pd-%s icmpv6 type { nd-router-advert, nd-redirect } drop\n"
			 "add rule " TB " pd-%s %s @th,64,128 != { %s, %s } drop\n"
			 "add rule " TB " pd-%s %s @th,192,16 != 0x0201 drop\n"
			 "add rule " TB " pd-%s %s @th,208,48 != %s drop\n"
			 "add rule " TB " pd-%s %s @th,192,16 != 0x0101 drop\n"
			 "add rule " TB " pd-%s %s @th,208,48 != %s drop\n",
			 id, ip6, ll, id, id, id, hex, llhex, id, id, na, hex, llhex, id, na, id, na, machex,
			 id, ns, id, ns, machex);
}

/* The chain the map's element for `veth` jumps to, or NULL (no element,
 * no map); the caller frees. */
static char *map_target(struct nft_ctx *c, const char *veth)
{
	/* Reading the buffer empties it: what an earlier command printed is
	 * not parsed with the JSON. */
	sym_nft_ctx_get_output_buffer(c);
	sym_nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON);
	char *target = NULL;
	if (sym_nft_run_cmd_from_buffer(c, "list map " TB " ports") == 0) {
		json_t *root = json_loads(sym_nft_ctx_get_output_buffer(c), 0, NULL);
		size_t i, k;
		json_t *it, *el;
		json_array_foreach(json_object_get(root, "nftables"), i, it)
		{
			json_array_foreach(json_object_get(json_object_get(it, "map"), "elem"), k, el)
			{
				const char *key = json_string_value(json_array_get(el, 0));
				json_t *jump = json_object_get(json_array_get(el, 1), "jump");
				const char *t = json_string_value(json_object_get(jump, "target"));
				if (key && t && !target && !strcmp(key, veth))
					target = xstrdup(t);
			}
		}
		json_decref(root);
	}
	sym_nft_ctx_output_set_flags(c, 0);
	return target;
}

int pd_nat_pin(const char *id, const char *veth, const char *ip, const char *ip6, const char *mac,
	       struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	bool v6 = ip6 && *ip6;
	_cleanup_free_ char *rules6 = v6 ? pin6_rules(id, ip6, mac) : xstrdup("");
	if (!rules6)
		return pd_fail(err, EINVAL, "IPv6 address '%s' or MAC '%s' of the container", ip6, mac);
	/* Every "add" of what exists is a no-op and the base chain is
	 * rewritten whole, so this one transaction is right whatever was
	 * there, and parallel starts are fine.  Adding the element again
	 * with the same verdict (a restart) is accepted too. */
	_cleanup_free_ char *script = xasprintf(
	    "add table " TB "\n"
	    "add map " TB " ports { type ifname : verdict; }\n"
	    "add chain " TB " prerouting { type filter hook prerouting priority -200; policy accept; }\n"
	    "flush chain " TB " prerouting\n"
	    "add rule " TB " prerouting iifname vmap @ports\n"
	    "add chain " TB " pd-%s\n"
	    "flush chain " TB " pd-%s\n"
	    "add rule " TB " pd-%s ether saddr != %s drop\n"
	    "add rule " TB " pd-%s ether type != { ip, arp%s } drop\n"
	    "add rule " TB " pd-%s arp htype . arp ptype . arp hlen . arp plen "
	    "!= { 1 . 0x0800 . 6 . 4 } drop\n"
	    "add rule " TB " pd-%s arp saddr ether != %s drop\n"
	    "add rule " TB " pd-%s arp saddr ip != %s drop\n"
	    "add rule " TB " pd-%s ip saddr != %s drop\n"
	    "%s"
	    "add element " TB " ports { \"%s\" : jump pd-%s }\n",
	    id, id, id, mac, id, v6 ? ", ip6" : "", id, id, mac, id, ip, id, ip, rules6, veth, id);
	if (sym_nft_run_cmd_from_buffer(c, script) == 0)
		return 0;
	/* An element for this veth name that jumps elsewhere: left by a
	 * container of another state root whose id starts alike, whose monitor
	 * died before it was pruned (while it lived, our veth could not have
	 * been created).  Its traffic is gone with its veth: replace it. */
	_cleanup_free_ char *stale = map_target(c, veth);
	if (stale) {
		char *again = xasprintf("delete element " TB " ports { \"%s\" }\n%s", veth, script);
		free(script);
		script = again;
	}
	return run(c, script, "pin the addresses of the container's veth", err);
}

int pd_nat_unpin(const char *id, const char *veth, struct pd_err **err)
{
	_cleanup_nft_ struct nft_ctx *c = ctx_new(err);
	if (!c)
		return -1;
	_cleanup_free_ char *chain = xasprintf("pd-%s", id);
	_cleanup_free_ char *list_chain = xasprintf("list chain " TB " %s", chain);
	/* No chain (or no table): never pinned, or unpinned already. */
	if (sym_nft_run_cmd_from_buffer(c, list_chain) != 0)
		return 0;
	_cleanup_free_ char *target = map_target(c, veth);
	/* The element first: a chain a verdict still jumps to cannot go.  An
	 * element of another container's (a veth name reused) is not ours. */
	_cleanup_free_ char *script =
	    target && !strcmp(target, chain)
		? xasprintf("delete element " TB " ports { \"%s\" }\ndelete chain " TB " %s\n", veth, chain)
		: xasprintf("delete chain " TB " %s\n", chain);
	return run(c, script, "unpin the container's veth", err);
}
