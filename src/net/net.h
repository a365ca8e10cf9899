/* Container networking: the user's choices (struct pd_netcfg, parsed from
 * --network, --publish, --dns and --add-host), the bridge subnet, and the
 * files a container gets (/etc/resolv.conf, /etc/hosts).  Pure logic; the
 * kernel side is in link.h (netlink), nat.h (nftables) and rootless.h
 * (pasta / slirp4netns). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "util/error.h"

#define PD_NET_BRIDGE_NAME    "pocket0"
#define PD_NET_DEFAULT_SUBNET "10.42.0.1/16"
/* The routing table of the host-wide address claims (see link.c); no
 * rule points at it, so it never routes anything. */
#define PD_NET_CLAIM_TABLE 28772
/* Overrides PD_NET_DEFAULT_SUBNET: the bridge's address and prefix. */
#define PD_NET_SUBNET_ENV "POCKET_DOCKER_SUBNET"

enum pd_net_mode {
	PD_NET_DEFAULT = 0, /* a network namespace with loopback only */
	PD_NET_NONE,	    /* the same, asked for by name */
	PD_NET_BRIDGE,	    /* veth on pocket0 (root) or pasta/slirp4netns (rootless) */
	PD_NET_HOST,	    /* no network namespace */
};

struct pd_port {
	char host_ip[16];   /* dotted IPv4; "0.0.0.0" for every address; "::1" (relayed by the monitor) */
	uint16_t host_port; /* 0: a free one, chosen when the container starts */
	uint16_t container_port;
	char proto[4]; /* "tcp" or "udp" */
};

/* The bridge's subnet in host byte order. */
struct pd_subnet {
	uint32_t gateway; /* the bridge's own address */
	uint32_t network;
	unsigned prefix;
	char bridge[16]; /* the bridge's name; "": PD_NET_BRIDGE_NAME */
	/* IPv6 too (user-defined networks created with --ipv6): its network
	 * address and prefix.  An address of the IPv4 subnet has the one of
	 * the same host number here (pd_subnet_ip6): no second allocator. */
	bool v6;
	uint8_t net6[16];
	unsigned prefix6;
};

/* A network the container was connected to (`network connect`), filled
 * at each start from the state database. */
struct pd_net_conn {
	char *network;	      /* its name */
	char iface[16];	      /* eth1, eth2, ... in the container */
	struct pd_subnet sub; /* with its bridge */
	bool internal;
	char *aliases;	  /* more names there, space-separated, or "" */
	char ip_want[16]; /* --ip of the connect, or "" */
	char ip[16];	  /* the leased address */
};

struct pd_netcfg {
	enum pd_net_mode mode;
	char *network;	      /* a user-defined network's name (mode bridge), or NULL */
	char **aliases;	      /* --network-alias: more names on that network */
	char ip_want[16];     /* --ip: the address asked for on that network, or "" */
	struct pd_subnet sub; /* that network's, filled at start */
	bool internal;	      /* that network has no route out (filled at start) */
	char *peers;	      /* "IP\tNAME...\n" of that network, for /etc/hosts (at start) */
	struct pd_port *ports;
	size_t n_ports;
	char **dns;		   /* --dns servers; NULL: the host's */
	char **add_hosts;	   /* "NAME:IP" */
	char ip[16];		   /* the leased address (bridge, root), filled at start */
	char **expose;		   /* "80/tcp": --expose and the image's ExposedPorts, each once */
	bool publish_all;	   /* -P: every exposed port to a free host port */
	struct pd_net_conn *conns; /* `network connect`: more interfaces (at start) */
	size_t n_conns;
};
void pd_net_conns_free(struct pd_net_conn *c, size_t n);

/* The subnet's bridge: s->bridge, or PD_NET_BRIDGE_NAME. */
const char *pd_subnet_bridge(const struct pd_subnet *s);
/* A user-defined network's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64
 * characters, and none of the modes' names. */
bool pd_net_name_valid(const char *name);

void pd_netcfg_free(struct pd_netcfg *n);
const char *pd_net_mode_name(enum pd_net_mode m);

/* Setters for the run flags; each fails with a one-line usage error.  A
 * mode that is a valid network name selects that user-defined network
 * (whether it exists is checked at start). */
int pd_netcfg_set_mode(struct pd_netcfg *n, const char *mode, struct pd_err **err);
/* -p: one port or a range of them ("8000-8002:80-82", "80-82"), each a
 * pd_port; a host range must be as long as the container's. */
int pd_netcfg_add_port(struct pd_netcfg *n, const char *spec, struct pd_err **err);
/* --expose PORT[-END][/tcp|/udp]: each port once into n->expose. */
int pd_netcfg_add_expose(struct pd_netcfg *n, const char *spec, struct pd_err **err);
int pd_netcfg_add_dns(struct pd_netcfg *n, const char *ip, struct pd_err **err);
int pd_netcfg_add_host(struct pd_netcfg *n, const char *spec, struct pd_err **err);
/* --ip A.B.C.D (checked against the network's subnet at start). */
int pd_netcfg_set_ip(struct pd_netcfg *n, const char *ip, struct pd_err **err);
/* After every flag: -P publishes each exposed port that no -p names to a
 * free host port; -p without --network means bridge; -p with none or
 * host, or the same host port twice, is an error. */
int pd_netcfg_finish(struct pd_netcfg *n, struct pd_err **err);

/* Parse one "[[IP:][HOSTPORT]:]CONTAINERPORT[/tcp|/udp]" (Docker's -p
 * forms; no HOSTPORT: a free one, host_port 0).  IP may be "[::1]" (TCP
 * only; host_ip "::1").  A range is refused here
 * (pd_netcfg_add_port takes them). */
int pd_port_parse(const char *spec, struct pd_port *out, struct pd_err **err);
/* "0.0.0.0:18080->80/tcp" ("[::1]:18080->80/tcp"); caller frees. */
char *pd_port_text(const struct pd_port *p);

/* The subnet from $POCKET_DOCKER_SUBNET or the default: "A.B.C.D/P" with
 * A.B.C.D the bridge's address, P from 8 to 30. */
int pd_subnet_get(struct pd_subnet *out, struct pd_err **err);
int pd_subnet_parse(const char *s, struct pd_subnet *out, struct pd_err **err);
/* "10.42.0.0/16", the key of the subnet's leases. */
void pd_subnet_key(const struct pd_subnet *s, char *buf, size_t len);
/* The first and last address a container may lease. */
uint32_t pd_subnet_first(const struct pd_subnet *s);
uint32_t pd_subnet_last(const struct pd_subnet *s);
void pd_ip_text(uint32_t ip, char buf[16]);
/* "fd12:3456:789a::/64" (`sub` has v6); "" without IPv6. */
void pd_subnet6_key(const struct pd_subnet *s, char *buf, size_t len);
/* --subnet for IPv6: "ADDR/P", P from 64 to 120 and leaving room for every
 * host number of the IPv4 subnet (`s->prefix`, parsed already); into
 * s->net6/prefix6, s->v6 set.  Any other address: a usage error. */
int pd_subnet6_parse(const char *text, struct pd_subnet *s, struct pd_err **err);
/* Whether the text looks like an IPv6 subnet (has a ':'). */
bool pd_subnet_is_v6(const char *text);
/* Whether two IPv6 subnets overlap (both have v6). */
bool pd_subnet6_overlaps(const struct pd_subnet *a, const struct pd_subnet *b);
/* The IPv6 address of the IPv4 address `ip` (dotted, in s's subnet):
 * s->net6 plus its host number; "" when s has no IPv6 or ip is not in it.
 * The gateway's is pd_subnet_ip6 of the gateway's. */
void pd_subnet_ip6(const struct pd_subnet *s, const char *ip, char buf[46]);
void pd_subnet_gateway6(const struct pd_subnet *s, char buf[46]);
/* Fail when a route of the host's (`routes`: /proc/net/ipv6_route's text)
 * other than those of the network's own bridge overlaps s's IPv6 subnet;
 * default routes are ignored. */
int pd_subnet6_check_routes(const struct pd_subnet *s, const char *routes, struct pd_err **err);
/* The link-local address the kernel gives a link of MAC `mac`
 * ("xx:xx:..."; EUI-64, fe80::/64), or "" when it cannot be read. */
void pd_net_link_local(const char *mac, char buf[46]);

/* Fail when a route of the host's (`routes`: /proc/net/route's text), other
 * than the default route and the routes of our own bridge, overlaps. */
int pd_subnet_check_routes(const struct pd_subnet *s, const char *routes, struct pd_err **err);

/* The addresses claimed on the bridge by every state root's containers
 * (see link.c), from /proc/net/fib_trie's text: the entries of table
 * PD_NET_CLAIM_TABLE.  Returns how many; *out is the caller's to free. */
size_t pd_net_claims(const char *fib_trie, uint32_t **out);

/* /etc/resolv.conf for a container: `host` (the host's file) with its
 * loopback nameservers dropped (they would point at the container's own
 * loopback), or the --dns servers in place of all of the host's.  On a
 * user-defined network (n->network) the one nameserver is the monitor's
 * resolver, 127.0.0.11 (core/dns.c), with the host's other lines.  With
 * host networking the host's file unchanged.  Caller frees. */
char *pd_net_resolv_conf(const struct pd_netcfg *n, const char *host);
/* The line after which a container's /etc/hosts names the containers of its
 * user-defined networks (n->peers); what follows it is rewritten as they
 * come and go. */
#define PD_NET_HOSTS_MARK "# pocket-docker network peers (rewritten as they come and go)\n"
/* /etc/hosts for a container named `hostname`; caller frees. */
char *pd_net_hosts(const struct pd_netcfg *n, const char *hostname, const char *host_hosts);
