/* Network settings of a container (see net.h): parsing the run flags, the
 * bridge subnet and its overlap with the host's routes, and the contents of
 * /etc/resolv.conf and /etc/hosts.  Pure logic: runs in the CLI and the
 * monitor, needs no privilege, makes no system call. */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define PORT_USAGE "want [[IP:][HOSTPORT]:]CONTAINERPORT[/tcp|/udp], ports or ranges"

void pd_net_conns_free(struct pd_net_conn *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].network);
		free(c[i].aliases);
	}
	free(c);
}

void pd_netcfg_free(struct pd_netcfg *n)
{
	pd_net_conns_free(n->conns, n->n_conns);
	free(n->ports);
	strv_free(n->expose);
	strv_free(n->dns);
	strv_free(n->add_hosts);
	free(n->network);
	strv_free(n->aliases);
	free(n->peers);
	memset(n, 0, sizeof(*n));
}

const char *pd_net_mode_name(enum pd_net_mode m)
{
	switch (m) {
	case PD_NET_NONE: return "none";
	case PD_NET_BRIDGE: return "bridge";
	case PD_NET_HOST: return "host";
	default: return "default";
	}
}

int pd_netcfg_set_mode(struct pd_netcfg *n, const char *mode, struct pd_err **err)
{
	static const enum pd_net_mode modes[] = { PD_NET_DEFAULT, PD_NET_NONE, PD_NET_BRIDGE, PD_NET_HOST };
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(mode, pd_net_mode_name(modes[i]))) {
			n->mode = modes[i];
			free(take_ptr(&n->network));
			return 0;
		}
	if (pd_net_name_valid(mode)) {
		n->mode = PD_NET_BRIDGE;
		free(n->network);
		n->network = xstrdup(mode);
		return 0;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "invalid --network '%s': want bridge, none, host, default or a network's name",
			    mode);
}

bool pd_net_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (!len || len > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	static const char *const modes[] = { "none", "bridge", "host", "default" };
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(name, modes[i]))
			return false;
	return true;
}

const char *pd_subnet_bridge(const struct pd_subnet *s)
{
	return s->bridge[0] ? s->bridge : PD_NET_BRIDGE_NAME;
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

static bool is_ip(const char *s)
{
	struct in6_addr a;
	return is_ipv4(s) || inet_pton(AF_INET6, s, &a) == 1;
}

int pd_netcfg_set_ip(struct pd_netcfg *n, const char *ip, struct pd_err **err)
{
	if (strlen(ip) >= sizeof(n->ip_want) || !is_ipv4(ip))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --ip '%s': want an IPv4 address", ip);
	snprintf(n->ip_want, sizeof(n->ip_want), "%s", ip);
	return 0;
}

/* A port number: decimal digits only, 1 to 65535. */
static int parse_port(const char *s, const char *spec, const char *what, uint16_t *out, struct pd_err **err)
{
	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port spec '%s': %s '%s' is not a number (%s)", spec, what, s,
				    PORT_USAGE);
	unsigned long v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port spec '%s': %s %lu is out of range 1-65535", spec, what, v);
	*out = (uint16_t)v;
	return 0;
}

/* "PORT" or "FIRST-LAST" (FIRST <= LAST) into [*lo, *hi]. */
static int parse_range(char *s, const char *spec, const char *what, uint16_t *lo, uint16_t *hi,
		       struct pd_err **err)
{
	char *dash = strchr(s, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_port(s, spec, what, lo, err) < 0 || parse_port(dash ? dash : s, spec, what, hi, err) < 0)
		return -1;
	if (*hi < *lo)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port spec '%s': %s range %u-%u runs backwards", spec, what, *lo,
				    *hi);
	return 0;
}

/* One -p spec: the host address, the host range (0-0: free ports), the
 * container range and the protocol. */
struct port_spec {
	char host_ip[16];
	uint16_t host_lo, host_hi, cont_lo, cont_hi;
	char proto[4];
};

/* Docker's forms: CPORT, [HPORT]:CPORT, IP:[HPORT]:CPORT, each port a
 * number or a range, then /tcp or /udp. */
static int parse_spec(const char *spec, struct port_spec *out, struct pd_err **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *s = xstrdup(spec);
	char *proto = strchr(s, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid port spec '%s': protocol '%s' (%s)", spec, proto,
					    PORT_USAGE);
	}
	snprintf(out->proto, sizeof(out->proto), "%s", proto ? proto : "tcp");
	/* "[::1]:HPORT:CPORT": IPv6 loopback, relayed by the monitor (the
	 * kernel cannot DNAT from it); no other IPv6 address. */
	char *rest = s;
	const char *ip6 = NULL;
	if (*s == '[') {
		char *end = strstr(s, "]:");
		if (!end)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid port spec '%s': %s", spec,
					    PORT_USAGE);
		*end = '\0';
		ip6 = s + 1;
		rest = end + 1; /* ":HPORT:CPORT": an empty address before it */
		if (strcmp(ip6, "::1") != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid port spec '%s': of IPv6 addresses only [::1] can be "
					    "published",
					    spec);
		if (strcmp(out->proto, "tcp") != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid port spec '%s': publishing on [::1] is TCP only", spec);
	}
	char *parts[4] = { 0 };
	size_t n = 0;
	for (char *p = rest; p && n < ARRAY_SIZE(parts); n++) {
		parts[n] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	if (n < 1 || n > 3)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid port spec '%s': %s", spec, PORT_USAGE);
	if (ip6 && n != 3)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid port spec '%s': %s", spec, PORT_USAGE);
	const char *ip = ip6 ? ip6 : n == 3 ? parts[0] : "0.0.0.0";
	if (!ip6 && !is_ipv4(ip))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port spec '%s': '%s' is not an IPv4 address", spec, ip);
	snprintf(out->host_ip, sizeof(out->host_ip), "%s", ip);
	if (parse_range(parts[n - 1], spec, "container port", &out->cont_lo, &out->cont_hi, err) < 0)
		return -1;
	if (n >= 2 && *parts[n - 2] &&
	    parse_range(parts[n - 2], spec, "host port", &out->host_lo, &out->host_hi, err) < 0)
		return -1;
	if (out->host_lo && out->host_hi - out->host_lo != out->cont_hi - out->cont_lo)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port spec '%s': the host range %u-%u and the container range "
				    "%u-%u differ in length",
				    spec, out->host_lo, out->host_hi, out->cont_lo, out->cont_hi);
	return 0;
}

/* The k-th port of a parsed spec. */
static struct pd_port spec_port(const struct port_spec *ps, unsigned k)
{
	struct pd_port p = {
		.host_port = ps->host_lo ? (uint16_t)(ps->host_lo + k) : 0,
		.container_port = (uint16_t)(ps->cont_lo + k),
	};
	memcpy(p.host_ip, ps->host_ip, sizeof(p.host_ip));
	memcpy(p.proto, ps->proto, sizeof(p.proto));
	return p;
}

int pd_port_parse(const char *spec, struct pd_port *out, struct pd_err **err)
{
	memset(out, 0, sizeof(*out));
	struct port_spec ps;
	if (parse_spec(spec, &ps, err) < 0)
		return -1;
	if (ps.cont_hi != ps.cont_lo)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid port spec '%s': a range, want one port",
				    spec);
	*out = spec_port(&ps, 0);
	return 0;
}

char *pd_port_text(const struct pd_port *p)
{
	bool v6 = strchr(p->host_ip, ':') != NULL;
	return xasprintf("%s%s%s:%u->%u/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", p->host_port,
			 p->container_port, p->proto);
}

/* Each port is a few nftables rules, and the checks compare them pairwise:
 * a bound far above any real use, so that "-p 1-65535" fails at once. */
#define MAX_PORTS 4096

static int add_port(struct pd_netcfg *n, const struct pd_port *p, struct pd_err **err)
{
	if (n->n_ports >= MAX_PORTS)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "too many published ports (at most %d)", MAX_PORTS);
	n->ports = xrealloc(n->ports, (n->n_ports + 1) * sizeof(*n->ports));
	n->ports[n->n_ports++] = *p;
	return 0;
}

int pd_netcfg_add_port(struct pd_netcfg *n, const char *spec, struct pd_err **err)
{
	struct port_spec ps;
	if (parse_spec(spec, &ps, err) < 0)
		return -1;
	for (unsigned k = 0; k <= (unsigned)(ps.cont_hi - ps.cont_lo); k++) {
		struct pd_port p = spec_port(&ps, k);
		if (add_port(n, &p, err) < 0)
			return -1;
	}
	return 0;
}

int pd_netcfg_add_expose(struct pd_netcfg *n, const char *spec, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *proto = strchr(s, '/');
	if (proto)
		*proto++ = '\0';
	if (proto && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --expose '%s': protocol '%s' (want PORT[-END][/tcp|/udp])", spec,
				    proto);
	uint16_t lo, hi;
	if (parse_range(s, spec, "port", &lo, &hi, err) < 0) {
		pd_err_prefix(err, "invalid --expose");
		return -1;
	}
	/* Grown once, not pushed one by one: a range may hold thousands. */
	size_t before = strv_len(n->expose), k = before;
	n->expose = xrealloc(n->expose, (before + (size_t)(hi - lo) + 2) * sizeof(char *));
	for (unsigned p = lo; p <= hi; p++) {
		char *e = xasprintf("%u/%s", p, proto ? proto : "tcp");
		bool have = false;
		for (size_t i = 0; i < before && !have; i++) /* a range's own ports are distinct */
			have = !strcmp(n->expose[i], e);
		if (have)
			free(e);
		else
			n->expose[k++] = e;
	}
	n->expose[k] = NULL;
	return 0;
}

int pd_netcfg_add_dns(struct pd_netcfg *n, const char *ip, struct pd_err **err)
{
	if (!is_ip(ip))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --dns '%s': not an IP address", ip);
	strv_push(&n->dns, ip);
	return 0;
}

int pd_netcfg_add_host(struct pd_netcfg *n, const char *spec, struct pd_err **err)
{
	const char *colon = strchr(spec, ':');
	_cleanup_free_ char *name = colon ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
	if (!name || !*name ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		strlen(name) ||
	    !is_ip(colon + 1))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --add-host '%s': want NAME:IP", spec);
	strv_push(&n->add_hosts, spec);
	return 0;
}

static bool ports_clash(const struct pd_port *a, const struct pd_port *b)
{
	if (!a->host_port || !b->host_port)
		return false; /* free ports are chosen apart */
	bool any = !strcmp(a->host_ip, "0.0.0.0") || !strcmp(b->host_ip, "0.0.0.0");
	return a->host_port == b->host_port && !strcmp(a->proto, b->proto) &&
	       (any || !strcmp(a->host_ip, b->host_ip));
}

/* Whether a -p names this container port and protocol. */
static bool is_published(const struct pd_netcfg *n, unsigned port, const char *proto)
{
	for (size_t i = 0; i < n->n_ports; i++)
		if (n->ports[i].container_port == port && !strcmp(n->ports[i].proto, proto))
			return true;
	return false;
}

int pd_netcfg_finish(struct pd_netcfg *n, struct pd_err **err)
{
	if (n->aliases && !n->network)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--network-alias needs a user-defined network (--network NAME)");
	if (n->ip_want[0] && !n->network)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--ip needs a user-defined network (--network NAME)");
	for (size_t i = 0; n->publish_all && n->expose && n->expose[i]; i++) {
		unsigned port = 0;
		char proto[4] = "";
		if (sscanf(n->expose[i], "%5u/%3s", &port, proto) != 2 || is_published(n, port, proto))
			continue;
		struct pd_port p = { .host_ip = "0.0.0.0", .container_port = (uint16_t)port };
		snprintf(p.proto, sizeof(p.proto), "%s", proto);
		if (add_port(n, &p, err) < 0)
			return -1;
	}
	if (!n->n_ports)
		return 0;
	if (n->mode == PD_NET_DEFAULT)
		n->mode = PD_NET_BRIDGE;
	if (n->mode != PD_NET_BRIDGE)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--publish needs --network bridge, not '%s'",
				    pd_net_mode_name(n->mode));
	for (size_t i = 0; i < n->n_ports; i++)
		for (size_t j = 0; j < i; j++)
			if (ports_clash(&n->ports[i], &n->ports[j]))
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "host port %u/%s is published twice",
						    n->ports[i].host_port, n->ports[i].proto);
	return 0;
}

int pd_subnet_parse(const char *s, struct pd_subnet *out, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *slash = strchr(copy, '/');
	struct in_addr a;
	uint64_t prefix = 0;
	*out = (struct pd_subnet){ 0 };
	if (!slash)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid subnet '%s': want A.B.C.D/PREFIX", s);
	*slash++ = '\0';
	if (inet_pton(AF_INET, copy, &a) != 1 ||
	    pd_parse_uint(slash, 30, &prefix, pd_err_ignore(status)) < 0 || prefix < 8)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid subnet '%s': want the bridge's address and a prefix of 8 to 30, "
				    "e.g. 10.42.0.1/16",
				    s);
	uint32_t mask = ~0U << (32 - prefix);
	out->gateway = ntohl(a.s_addr);
	out->network = out->gateway & mask;
	out->prefix = (unsigned)prefix;
	uint32_t host = out->gateway & ~mask;
	if (host == 0 || host == ~mask)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid subnet '%s': %s is not a host address", s,
				    copy);
	return 0;
}

int pd_subnet_get(struct pd_subnet *out, struct pd_err **err)
{
	const char *env = getenv(PD_NET_SUBNET_ENV);
	if (pd_subnet_parse(env && *env ? env : PD_NET_DEFAULT_SUBNET, out, err) < 0) {
		pd_err_prefix(err, "$%s", PD_NET_SUBNET_ENV);
		return -1;
	}
	return 0;
}

void pd_ip_text(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void pd_subnet_key(const struct pd_subnet *s, char *buf, size_t len)
{
	char ip[16];
	pd_ip_text(s->network, ip);
	snprintf(buf, len, "%s/%u", ip, s->prefix);
}

bool pd_subnet_is_v6(const char *text)
{
	return text && strchr(text, ':');
}

void pd_subnet6_key(const struct pd_subnet *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";
	if (!s->v6 || !inet_ntop(AF_INET6, s->net6, a, sizeof(a))) {
		snprintf(buf, len, "%s", "");
		return;
	}
	snprintf(buf, len, "%s/%u", a, s->prefix6);
}

/* Keep the first `prefix` bits of `a`. */
static void mask6(uint8_t a[16], unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

int pd_subnet6_parse(const char *text, struct pd_subnet *s, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *slash = strchr(copy, '/');
	uint64_t prefix = 0;
	uint8_t a[16];
	if (!slash)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid IPv6 subnet '%s': want ADDRESS/PREFIX",
				    text);
	*slash++ = '\0';
	if (inet_pton(AF_INET6, copy, a) != 1 ||
	    pd_parse_uint(slash, 120, &prefix, pd_err_ignore(status)) < 0 || prefix < 64)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid IPv6 subnet '%s': want an address and a prefix of 64 to 120, "
				    "e.g. fd00:1::/64",
				    text);
	/* Unicast only: not ::, loopback, link-local, multicast or an IPv4
	 * mapped address. */
	static const uint8_t zero[10] = { 0 };
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, zero, sizeof(zero)))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid IPv6 subnet '%s': not a unicast subnet (a ULA like fd00:1::/64 "
				    "or a global one)",
				    text);
	if (128 - prefix < 32 - s->prefix)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid IPv6 subnet '%s': too small for the IPv4 subnet's /%u (each "
				    "container's IPv6 address has its IPv4 host number)",
				    text, s->prefix);
	mask6(a, (unsigned)prefix);
	memcpy(s->net6, a, 16);
	s->prefix6 = (unsigned)prefix;
	s->v6 = true;
	return 0;
}

bool pd_subnet6_overlaps(const struct pd_subnet *a, const struct pd_subnet *b)
{
	uint8_t x[16], y[16];
	unsigned p = a->prefix6 < b->prefix6 ? a->prefix6 : b->prefix6;
	memcpy(x, a->net6, 16);
	memcpy(y, b->net6, 16);
	mask6(x, p);
	mask6(y, p);
	return a->v6 && b->v6 && !memcmp(x, y, 16);
}

static void ip6_of_host(const struct pd_subnet *s, uint32_t host, char buf[46])
{
	uint8_t a[16];
	memcpy(a, s->net6, 16);
	for (unsigned i = 0; i < 4; i++)
		a[15 - i] |= (uint8_t)(host >> (8 * i));
	if (!inet_ntop(AF_INET6, a, buf, 46))
		buf[0] = '\0';
}

void pd_subnet_ip6(const struct pd_subnet *s, const char *ip, char buf[46])
{
	struct in_addr a;
	buf[0] = '\0';
	if (!s->v6 || !ip || inet_pton(AF_INET, ip, &a) != 1)
		return;
	uint32_t v = ntohl(a.s_addr);
	uint32_t mask = ~0U << (32 - s->prefix);
	if ((v & mask) != s->network)
		return;
	ip6_of_host(s, v & ~mask, buf);
}

void pd_subnet_gateway6(const struct pd_subnet *s, char buf[46])
{
	buf[0] = '\0';
	if (s->v6)
		ip6_of_host(s, s->gateway & ~(~0U << (32 - s->prefix)), buf);
}

int pd_subnet6_check_routes(const struct pd_subnet *s, const char *routes, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(routes ? routes : "");
	char *save = NULL;
	/* DEST DESTPREFIX SRC SRCPREFIX NEXTHOP METRIC REF USE FLAGS IFACE,
	 * the addresses 32 hexadecimal digits, the prefixes 2. */
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dst[33], iface[32];
		unsigned plen;
		if (sscanf(l, "%32s %x %*s %*s %*s %*s %*s %*s %*s %31s", dst, &plen, iface) != 3 ||
		    strlen(dst) != 32 || plen == 0 || plen > 128 || !strcmp(iface, "lo") ||
		    !strcmp(iface, pd_subnet_bridge(s)))
			continue;
		struct pd_subnet r = { .v6 = true, .prefix6 = plen };
		for (unsigned i = 0; i < 16; i++) {
			unsigned b;
			if (sscanf(dst + 2 * i, "%2x", &b) != 1)
				break;
			r.net6[i] = (uint8_t)b;
		}
		/* Link-local and multicast routes are on every link. */
		if (r.net6[0] == 0xff || (r.net6[0] == 0xfe && (r.net6[1] & 0xc0) == 0x80))
			continue;
		if (pd_subnet6_overlaps(s, &r)) {
			char key[64];
			pd_subnet6_key(s, key, sizeof(key));
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "subnet %s overlaps a route of the host's (on %s)", key, iface);
		}
	}
	return 0;
}

void pd_net_link_local(const char *mac, char buf[46])
{
	unsigned m[6];
	buf[0] = '\0';
	if (!mac || sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return;
	uint8_t a[16] = { 0xfe, 0x80 };
	a[8] = (uint8_t)(m[0] ^ 0x02);
	a[9] = (uint8_t)m[1];
	a[10] = (uint8_t)m[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = (uint8_t)m[3];
	a[14] = (uint8_t)m[4];
	a[15] = (uint8_t)m[5];
	if (!inet_ntop(AF_INET6, a, buf, 46))
		buf[0] = '\0';
}

uint32_t pd_subnet_first(const struct pd_subnet *s)
{
	return s->network + 1;
}

uint32_t pd_subnet_last(const struct pd_subnet *s)
{
	return (s->network | ~(~0U << (32 - s->prefix))) - 1;
}

int pd_subnet_check_routes(const struct pd_subnet *s, const char *routes, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(routes ? routes : "");
	uint32_t mine = ~0U << (32 - s->prefix);
	char *save = NULL;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; the
	 * addresses are hexadecimal in network byte order. */
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char dev[64];
		unsigned dst, mask;
		if (sscanf(l, "%63s %x %*x %*x %*d %*d %*d %x", dev, &dst, &mask) != 3 || mask == 0 ||
		    !strcmp(dev, pd_subnet_bridge(s)))
			continue;
		uint32_t d = ntohl(dst), m = ntohl(mask);
		uint32_t common = m & mine; /* the shorter of the two prefixes */
		if ((d & common) != (s->network & common))
			continue;
		char a[16], net[16];
		pd_ip_text(d, a);
		pd_ip_text(s->network, net);
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "bridge subnet %s/%u overlaps the host's route to %s/%d on '%s' (set $%s to "
		    "another subnet)",
		    net, s->prefix, a, __builtin_popcount(m), dev, PD_NET_SUBNET_ENV);
	}
	return 0;
}

size_t pd_net_claims(const char *fib_trie, uint32_t **out)
{
	*out = NULL;
	size_t n = 0;
	bool in_table = false;
	char head[32];
	snprintf(head, sizeof(head), "Id %d:", PD_NET_CLAIM_TABLE);
	_cleanup_free_ char *copy = xstrdup(fib_trie ? fib_trie : "");
	char *save = NULL;
	/* "Id 28772:" then indented lines, "|-- A.B.C.D" for each entry,
	 * until the next table's unindented heading. */
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (*l != ' ') {
			in_table = !strcmp(l, head);
			continue;
		}
		const char *leaf = strstr(l, "|-- ");
		struct in_addr a;
		if (!in_table || !leaf || inet_pton(AF_INET, leaf + 4, &a) != 1)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = ntohl(a.s_addr);
	}
	return n;
}

static void append(char **out, const char *fmt, const char *a, const char *b)
{
	char *n = xasprintf(fmt, *out, a, b);
	free(*out);
	*out = n;
}

static bool is_loopback_server(const char *line)
{
	if (!str_has_prefix(line, "nameserver"))
		return false;
	const char *a = line + strlen("nameserver");
	a += strspn(a, " \t");
	return str_has_prefix(a, "127.") || str_has_prefix(a, "::1");
}

char *pd_net_resolv_conf(const struct pd_netcfg *n, const char *host)
{
	if (n->mode == PD_NET_HOST && !n->dns)
		return xstrdup(host ? host : "");
	/* A user-defined network: the monitor's resolver, which forwards to
	 * the --dns servers or the host's (core/dns.c). */
	char *out = xstrdup(n->network ? "nameserver 127.0.0.11\n" : "");
	_cleanup_free_ char *copy = xstrdup(host ? host : "");
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (str_has_prefix(l, "nameserver") && (n->dns || n->network || is_loopback_server(l)))
			continue;
		append(&out, "%s%s%s\n", l, "");
	}
	for (size_t i = 0; n->dns && !n->network && n->dns[i]; i++)
		append(&out, "%s%s%s\n", "nameserver ", n->dns[i]);
	return out;
}

char *pd_net_hosts(const struct pd_netcfg *n, const char *hostname, const char *host_hosts)
{
	if (n->mode == PD_NET_HOST && host_hosts) {
		/* The host's names, and --add-host's after them. */
		char *out = xasprintf("%s%s", host_hosts,
				      *host_hosts && host_hosts[strlen(host_hosts) - 1] != '\n' ? "\n" : "");
		for (size_t i = 0; n->add_hosts && n->add_hosts[i]; i++) {
			const char *colon = strchr(n->add_hosts[i], ':');
			_cleanup_free_ char *name =
			    xstrndup(n->add_hosts[i], (size_t)(colon - n->add_hosts[i]));
			append(&out, "%s%s\t%s\n", colon + 1, name);
		}
		return out;
	}
	char *out = xstrdup("127.0.0.1\tlocalhost\n"
			    "::1\tlocalhost ip6-localhost ip6-loopback\n"
			    "fe00::0\tip6-localnet\n"
			    "ff00::0\tip6-mcastprefix\n"
			    "ff02::1\tip6-allnodes\n"
			    "ff02::2\tip6-allrouters\n");
	for (size_t i = 0; n->add_hosts && n->add_hosts[i]; i++) {
		const char *colon = strchr(n->add_hosts[i], ':');
		_cleanup_free_ char *name = xstrndup(n->add_hosts[i], (size_t)(colon - n->add_hosts[i]));
		append(&out, "%s%s\t%s\n", colon + 1, name);
	}
	append(&out, "%s%s\t%s\n", n->ip[0] ? n->ip : "127.0.1.1", hostname);
	if (n->network || n->n_conns)
		append(&out, "%s%s%s", PD_NET_HOSTS_MARK, n->peers ? n->peers : "");
	return out;
}
