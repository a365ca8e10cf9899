/* Unit tests for net/spec.c: --publish specs, --network, --dns and
 * --add-host, the bridge subnet and its overlap with the host's routes,
 * /etc/resolv.conf and /etc/hosts, and the address claims read from
 * /proc/net/fib_trie.  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/net.h"
#include "util/cleanup.h"
#include "util/str.h"

static void test_port_parse(void **state)
{
	struct pd_port p;
	assert_int_equal(pd_port_parse("18080:80", &p, NULL), 0);
	assert_string_equal(p.host_ip, "0.0.0.0");
	assert_int_equal(p.host_port, 18080);
	assert_int_equal(p.container_port, 80);
	assert_string_equal(p.proto, "tcp");
	assert_int_equal(pd_port_parse("127.0.0.1:53:5353/udp", &p, NULL), 0);
	assert_string_equal(p.host_ip, "127.0.0.1");
	assert_int_equal(p.host_port, 53);
	assert_int_equal(p.container_port, 5353);
	assert_string_equal(p.proto, "udp");
	assert_int_equal(pd_port_parse("65535:1/tcp", &p, NULL), 0);
	_cleanup_free_ char *t = pd_port_text(&p);
	assert_string_equal(t, "0.0.0.0:65535->1/tcp");
	/* [::1]: relayed by the monitor, shown in brackets. */
	assert_int_equal(pd_port_parse("[::1]:8080:80", &p, NULL), 0);
	assert_string_equal(p.host_ip, "::1");
	assert_int_equal(p.host_port, 8080);
	assert_int_equal(p.container_port, 80);
	assert_string_equal(p.proto, "tcp");
	_cleanup_free_ char *t6 = pd_port_text(&p);
	assert_string_equal(t6, "[::1]:8080->80/tcp");
	assert_int_equal(pd_port_parse("[::1]::80/tcp", &p, NULL), 0);
	assert_string_equal(p.host_ip, "::1");
	assert_int_equal(p.host_port, 0);
}

static void test_port_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"80-81",
		"8000-8001:80-81",
		"80:",
		"a:80",
		"80:b",
		"0:80",
		"80:0",
		"65536:80",
		"80:70000",
		"-1:80",
		"+80:80",
		" 80:80",
		"80:80 ",
		"1.2.3:80:80",
		"300.1.1.1:80:80",
		"::1:80:80",
		"80:80/sctp",
		"80:80/",
		"80:80/tcp/udp",
		"1:2:3:4",
		"123456:80",
		/* [::1] is TCP only; no other IPv6 address. */
		"[::1]:53:53/udp",
		"[fd00::1]:80:80",
		"[::1]:80",
		"[::1]80:80",
		"[::1:80:80",
		"[]:80:80",
		"[::1]:1:2:3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_port p;
		_cleanup_err_ struct pd_err *err = NULL;
		if (pd_port_parse(bad[i], &p, &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(err);
		assert_int_equal(err->kind, PD_ERR_USAGE);
		assert_non_null(strstr(err->msg, "invalid port spec"));
	}
}

/* Docker's short forms: no host port is a free one (0), chosen at start. */
static void test_port_parse_free(void **state)
{
	struct pd_port p;
	assert_int_equal(pd_port_parse("80", &p, NULL), 0);
	assert_string_equal(p.host_ip, "0.0.0.0");
	assert_int_equal(p.host_port, 0);
	assert_int_equal(p.container_port, 80);
	assert_int_equal(pd_port_parse(":53/udp", &p, NULL), 0);
	assert_int_equal(p.host_port, 0);
	assert_string_equal(p.proto, "udp");
	assert_int_equal(pd_port_parse("127.0.0.1::80", &p, NULL), 0);
	assert_string_equal(p.host_ip, "127.0.0.1");
	assert_int_equal(p.host_port, 0);
	assert_int_equal(p.container_port, 80);
}

/* Ranges: each container port with its host port, in order; host and
 * container ranges of one length, or no host range at all. */
static void test_port_ranges(void **state)
{
	struct pd_netcfg n = { 0 };
	assert_int_equal(pd_netcfg_add_port(&n, "8000-8002:80-82", NULL), 0);
	assert_int_equal(n.n_ports, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(n.ports[i].host_port, 8000 + i);
		assert_int_equal(n.ports[i].container_port, 80 + i);
	}
	assert_int_equal(pd_netcfg_add_port(&n, "127.0.0.1::90-91/udp", NULL), 0);
	assert_int_equal(n.n_ports, 5);
	assert_int_equal(n.ports[4].host_port, 0);
	assert_int_equal(n.ports[4].container_port, 91);
	assert_string_equal(n.ports[4].host_ip, "127.0.0.1");
	assert_string_equal(n.ports[4].proto, "udp");
	assert_int_equal(pd_netcfg_finish(&n, NULL), 0); /* free ports never clash */
	static const char *const bad[] = { "8000-8002:80-81", "8000:80-81", "82-80",
					   "8000-7999:80-81", "80-",	    "-80",
					   "1-65535:1-65535" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_err_ struct pd_err *err = NULL;
		if (pd_netcfg_add_port(&n, bad[i], &err) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(err->kind, PD_ERR_USAGE);
	}
	pd_netcfg_free(&n);
}

/* --expose and -P: each exposed port not published by -p gets a free
 * host port; a port exposed twice counts once. */
static void test_expose_publish_all(void **state)
{
	struct pd_netcfg n = { 0 };
	assert_int_equal(pd_netcfg_add_expose(&n, "80", NULL), 0);
	assert_int_equal(pd_netcfg_add_expose(&n, "80/tcp", NULL), 0);
	assert_int_equal(pd_netcfg_add_expose(&n, "5000-5001/udp", NULL), 0);
	assert_int_equal(strv_len(n.expose), 3);
	assert_string_equal(n.expose[0], "80/tcp");
	assert_string_equal(n.expose[2], "5001/udp");
	assert_int_equal(pd_netcfg_add_expose(&n, "80/sctp", NULL), -1);
	assert_int_equal(pd_netcfg_add_expose(&n, "0", NULL), -1);
	assert_int_equal(pd_netcfg_add_expose(&n, "x", NULL), -1);
	assert_int_equal(pd_netcfg_add_port(&n, "8080:80", NULL), 0);
	/* Without -P, exposing publishes nothing. */
	assert_int_equal(pd_netcfg_finish(&n, NULL), 0);
	assert_int_equal(n.n_ports, 1);
	n.publish_all = true;
	assert_int_equal(pd_netcfg_finish(&n, NULL), 0);
	assert_int_equal(n.n_ports, 3); /* 80/tcp is -p's already */
	assert_int_equal(n.ports[1].container_port, 5000);
	assert_int_equal(n.ports[1].host_port, 0);
	assert_string_equal(n.ports[2].proto, "udp");
	assert_int_equal(n.mode, PD_NET_BRIDGE);
	pd_netcfg_free(&n);
}

static void test_netcfg_finish(void **state)
{
	struct pd_netcfg n = { 0 };
	assert_int_equal(pd_netcfg_add_port(&n, "8080:80", NULL), 0);
	assert_int_equal(pd_netcfg_finish(&n, NULL), 0);
	assert_int_equal(n.mode, PD_NET_BRIDGE); /* -p implies the bridge */
	assert_int_equal(pd_netcfg_add_port(&n, "127.0.0.1:8080:81", NULL), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_netcfg_finish(&n, &err), -1); /* the wildcard covers 127.0.0.1 */
	assert_non_null(strstr(err->msg, "published twice"));
	pd_netcfg_free(&n);

	struct pd_netcfg h = { 0 };
	assert_int_equal(pd_netcfg_set_mode(&h, "host", NULL), 0);
	assert_int_equal(pd_netcfg_add_port(&h, "8080:80/udp", NULL), 0);
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_int_equal(pd_netcfg_finish(&h, &err2), -1);
	assert_non_null(strstr(err2->msg, "--publish needs --network bridge"));
	pd_netcfg_free(&h);

	struct pd_netcfg u = { 0 };
	assert_int_equal(pd_netcfg_add_port(&u, "8080:80/udp", NULL), 0);
	assert_int_equal(pd_netcfg_add_port(&u, "8080:80/tcp", NULL), 0);
	assert_int_equal(pd_netcfg_finish(&u, NULL), 0);
	pd_netcfg_free(&u);
}

static void test_modes_dns_hosts(void **state)
{
	struct pd_netcfg n = { 0 };
	assert_int_equal(pd_netcfg_set_mode(&n, "none", NULL), 0);
	assert_int_equal(n.mode, PD_NET_NONE);
	assert_int_equal(pd_netcfg_set_mode(&n, "bridge", NULL), 0);
	assert_int_equal(n.mode, PD_NET_BRIDGE);
	assert_int_equal(pd_netcfg_set_mode(&n, "", NULL), -1);
	assert_int_equal(pd_netcfg_set_mode(&n, "-x", NULL), -1);
	assert_int_equal(pd_netcfg_add_dns(&n, "192.0.2.53", NULL), 0);
	assert_int_equal(pd_netcfg_add_dns(&n, "2001:db8::1", NULL), 0);
	assert_int_equal(pd_netcfg_add_dns(&n, "dns.example", NULL), -1);
	assert_int_equal(pd_netcfg_add_host(&n, "db:10.1.2.3", NULL), 0);
	assert_int_equal(pd_netcfg_add_host(&n, "v6:2001:db8::2", NULL), 0);
	assert_int_equal(pd_netcfg_add_host(&n, "db", NULL), -1);
	assert_int_equal(pd_netcfg_add_host(&n, ":10.1.2.3", NULL), -1);
	assert_int_equal(pd_netcfg_add_host(&n, "bad name:10.1.2.3", NULL), -1);
	assert_int_equal(pd_netcfg_add_host(&n, "db:10.1.2", NULL), -1);
	pd_netcfg_free(&n);
}

static void test_subnet(void **state)
{
	struct pd_subnet s;
	assert_int_equal(pd_subnet_parse("10.42.0.1/16", &s, NULL), 0);
	char buf[32], ip[16];
	pd_subnet_key(&s, buf, sizeof(buf));
	assert_string_equal(buf, "10.42.0.0/16");
	pd_ip_text(pd_subnet_first(&s), ip);
	assert_string_equal(ip, "10.42.0.1");
	pd_ip_text(pd_subnet_last(&s), ip);
	assert_string_equal(ip, "10.42.255.254");
	assert_int_equal(pd_subnet_parse("192.168.7.129/30", &s, NULL), 0);
	pd_subnet_key(&s, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.7.128/30");
	static const char *const bad[] = { "10.42.0.0/16", "10.42.255.255/16", "10.42.0.1",  "10.42.0.1/7",
					   "10.42.0.1/31", "10.42.0.1/x",      "10.42.1/16", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pd_subnet_parse(bad[i], &s, NULL) == 0)
			fail_msg("subnet '%s' was accepted", bad[i]);
}

/* /proc/net/route: addresses in hex, network byte order (little-endian host). */
static const char routes[] =
    "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "pocket0\t00002A0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "wg0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n";

static void test_subnet_routes(void **state)
{
	struct pd_subnet s;
	/* 10.0.0.0/8 on wg0 covers 10.42.0.0/16; the default route and the
	 * bridge's own route never count. */
	assert_int_equal(pd_subnet_parse("10.42.0.1/16", &s, NULL), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_subnet_check_routes(&s, routes, &err), -1);
	assert_non_null(strstr(err->msg, "10.0.0.0/8 on 'wg0'"));
	assert_int_equal(pd_subnet_parse("172.30.0.1/16", &s, NULL), 0);
	assert_int_equal(pd_subnet_check_routes(&s, routes, NULL), 0);
	/* A wider subnet that contains a host route overlaps too. */
	assert_int_equal(pd_subnet_parse("192.0.0.1/16", &s, NULL), 0);
	assert_int_equal(pd_subnet_check_routes(&s, routes, NULL), -1);
	assert_int_equal(pd_subnet_check_routes(&s, NULL, NULL), 0);
}

static void test_resolv_conf(void **state)
{
	const char *host = "# generated\nsearch example.org\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n"
			   "nameserver ::1\noptions edns0\n";
	struct pd_netcfg n = { .mode = PD_NET_BRIDGE };
	_cleanup_free_ char *a = pd_net_resolv_conf(&n, host);
	assert_string_equal(a, "# generated\nsearch example.org\nnameserver 192.0.2.1\noptions edns0\n");
	assert_int_equal(pd_netcfg_add_dns(&n, "9.9.9.9", NULL), 0);
	_cleanup_free_ char *b = pd_net_resolv_conf(&n, host);
	assert_string_equal(b, "# generated\nsearch example.org\noptions edns0\nnameserver 9.9.9.9\n");
	pd_netcfg_free(&n);
	struct pd_netcfg h = { .mode = PD_NET_HOST };
	_cleanup_free_ char *c = pd_net_resolv_conf(&h, host);
	assert_string_equal(c, host);
	_cleanup_free_ char *d = pd_net_resolv_conf(&h, NULL);
	assert_string_equal(d, "");
}

static void test_hosts(void **state)
{
	struct pd_netcfg n = { .mode = PD_NET_BRIDGE };
	snprintf(n.ip, sizeof(n.ip), "10.42.0.7");
	assert_int_equal(pd_netcfg_add_host(&n, "db:10.1.2.3", NULL), 0);
	_cleanup_free_ char *a = pd_net_hosts(&n, "web", NULL);
	assert_non_null(strstr(a, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(a, "\n10.1.2.3\tdb\n10.42.0.7\tweb\n"));
	struct pd_netcfg h = { .mode = PD_NET_HOST };
	assert_int_equal(pd_netcfg_add_host(&h, "x:10.9.9.9", NULL), 0);
	_cleanup_free_ char *b = pd_net_hosts(&h, "web", "127.0.0.1 localhost");
	assert_string_equal(b, "127.0.0.1 localhost\n10.9.9.9\tx\n");
	struct pd_netcfg none = { .mode = PD_NET_NONE };
	_cleanup_free_ char *c = pd_net_hosts(&none, "solo", NULL);
	assert_non_null(strstr(c, "\n127.0.1.1\tsolo\n"));
	pd_netcfg_free(&n);
	pd_netcfg_free(&h);
}

/* A valid name that is no mode is a user-defined network (its existence
 * is the start's to check); its /etc/hosts carries the marker and peers. */
static void test_user_networks(void **state)
{
	assert_true(pd_net_name_valid("my-net.1_x"));
	assert_true(pd_net_name_valid("Bridge"));
	assert_false(pd_net_name_valid("bridge"));
	assert_false(pd_net_name_valid("none"));
	assert_false(pd_net_name_valid("_x"));
	assert_false(pd_net_name_valid("a/b"));
	assert_false(pd_net_name_valid(""));
	char long_name[66];
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_false(pd_net_name_valid(long_name));
	struct pd_netcfg n = { 0 };
	assert_int_equal(pd_netcfg_set_mode(&n, "backend", NULL), 0);
	assert_int_equal(n.mode, PD_NET_BRIDGE);
	assert_string_equal(n.network, "backend");
	assert_int_equal(pd_netcfg_set_mode(&n, "host", NULL), 0);
	assert_null(n.network);
	assert_int_equal(pd_netcfg_set_mode(&n, "backend", NULL), 0);
	n.peers = strdup("10.50.0.2\tdb 0123456789ab\n");
	snprintf(n.ip, sizeof(n.ip), "10.50.0.3");
	_cleanup_free_ char *h = pd_net_hosts(&n, "web", NULL);
	assert_non_null(strstr(h, "10.50.0.3\tweb\n" PD_NET_HOSTS_MARK "10.50.0.2\tdb 0123456789ab\n"));
	pd_netcfg_free(&n);
	struct pd_netcfg a = { 0 };
	strv_push(&a.aliases, "web");
	assert_int_equal(pd_netcfg_finish(&a, NULL), -1);
	assert_int_equal(pd_netcfg_set_mode(&a, "backend", NULL), 0);
	assert_int_equal(pd_netcfg_finish(&a, NULL), 0);
	pd_netcfg_free(&a);
	struct pd_netcfg b = { .mode = PD_NET_BRIDGE };
	_cleanup_free_ char *d = pd_net_hosts(&b, "web", NULL);
	assert_null(strstr(d, PD_NET_HOSTS_MARK));
}

static void test_claims(void **state)
{
	const char *trie = "Id 28772:\n"
			   "  +-- 10.42.0.2/31 1 0 0\n"
			   "     |-- 10.42.0.2\n"
			   "        /32 link UNICAST\n"
			   "     |-- 10.42.0.3\n"
			   "        /32 link UNICAST\n"
			   "Main:\n"
			   "  +-- 0.0.0.0/0 3 0 5\n"
			   "     |-- 10.42.0.9\n"
			   "        /32 host LOCAL\n"
			   "Id 100:\n"
			   "     |-- 10.42.0.4\n";
	_cleanup_free_ uint32_t *v = NULL;
	size_t n = pd_net_claims(trie, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0], 0x0A2A0002);
	assert_int_equal(v[1], 0x0A2A0003);
	_cleanup_free_ uint32_t *w = NULL;
	assert_int_equal(pd_net_claims(NULL, &w), 0);
	assert_null(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_parse),
		cmocka_unit_test(test_port_parse_bad),
		cmocka_unit_test(test_port_parse_free),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_expose_publish_all),
		cmocka_unit_test(test_netcfg_finish),
		cmocka_unit_test(test_modes_dns_hosts),
		cmocka_unit_test(test_subnet),
		cmocka_unit_test(test_subnet_routes),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_user_networks),
		cmocka_unit_test(test_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
