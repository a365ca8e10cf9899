/* Unit tests for net/dns.c, the DNS messages of the containers' resolver:
 * well-formed queries and the replies built for them, and hostile bytes
 * (compression pointer loops, truncated packets, huge counts, overlong
 * names, responses sent as queries) that must be refused without reading
 * past the packet.  Also the resolv.conf a container on a user-defined
 * network gets (net/spec.c).  Pure logic; no root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "net/dns.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* A query for `name` (dotted) of `type`, class IN, RD set, id 0x1234. */
static size_t make_query(uint8_t *out, const char *name, uint16_t type)
{
	static const uint8_t head[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(out, head, sizeof(head));
	size_t off = sizeof(head);
	const char *p = name;
	while (*p) {
		size_t len = strcspn(p, ".");
		out[off++] = (uint8_t)len;
		memcpy(out + off, p, len);
		off += len;
		p += len;
		if (*p == '.')
			p++;
	}
	out[off++] = 0;
	out[off++] = (uint8_t)(type >> 8);
	out[off++] = (uint8_t)type;
	out[off++] = 0;
	out[off++] = 1;
	return off;
}

static void test_query_parse(void **state)
{
	uint8_t pkt[512];
	size_t len = make_query(pkt, "Alpha.Example", DNS_TYPE_A);
	struct dns_question q;
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	assert_true(q.parsed);
	assert_int_equal(q.id, 0x1234);
	assert_string_equal(q.name, "alpha.example");
	assert_true(q.plain);
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_int_equal(q.qname_len, 15);
	/* The case is kept in the wire form (it is echoed back). */
	assert_memory_equal(q.qname, "\5Alpha\7Example\0", 15);

	len = make_query(pkt, "web_1", DNS_TYPE_AAAA);
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	assert_string_equal(q.name, "web_1");
	assert_true(q.plain);
	assert_int_equal(q.qtype, DNS_TYPE_AAAA);

	/* A label with a byte outside [a-z0-9_-] is not a member's name. */
	len = make_query(pkt, "a b", DNS_TYPE_A);
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	assert_false(q.plain);
	pkt[13] = 0; /* a NUL inside the label: text can never be cut by it */
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	assert_false(q.plain);
	assert_int_equal(strlen(q.name), 3);

	/* The root name. */
	len = make_query(pkt, "", DNS_TYPE_A);
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	assert_string_equal(q.name, "");
	assert_int_equal(q.qname_len, 1);

	/* Trailing bytes (an EDNS OPT record, say) are ignored. */
	len = make_query(pkt, "alpha", DNS_TYPE_A);
	pkt[11] = 1;
	memcpy(pkt + len, "\0\0\x29\x10\0\0\0\0\0\0\0", 11);
	assert_int_equal(dns_parse_query(pkt, len + 11, &q), 0);
	assert_string_equal(q.name, "alpha");
}

static void test_reply(void **state)
{
	uint8_t pkt[512], out[DNS_UDP_MAX];
	size_t len = make_query(pkt, "Alpha", DNS_TYPE_A);
	struct dns_question q;
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	uint32_t addrs[2];
	inet_pton(AF_INET, "10.50.0.2", &addrs[0]);
	inet_pton(AF_INET, "10.50.0.3", &addrs[1]);
	size_t n = dns_build_reply(out, sizeof(out), &q, DNS_NOERROR, addrs, 2, 5);
	assert_int_equal(n, len + 2 * 16);
	/* Header: same id, QR|AA|RD|RA, NOERROR, one question, two answers. */
	static const uint8_t head[] = { 0x12, 0x34, 0x85, 0x80, 0, 1, 0, 2, 0, 0, 0, 0 };
	assert_memory_equal(out, head, sizeof(head));
	/* The question as asked, case kept. */
	assert_memory_equal(out + 12, pkt + 12, len - 12);
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 50, 0, 2 };
	assert_memory_equal(out + len, rr, sizeof(rr));
	assert_int_equal(out[len + 16 + 15], 3);

	/* The reply read back as a response: the same question. */
	struct dns_question r;
	assert_int_equal(dns_parse_response(out, n, &r), 0);
	assert_true(dns_same_question(&q, &r));
	/* ... and never as a query (a reply sent back to us is dropped). */
	assert_int_equal(dns_parse_query(out, n, &r), -1);

	/* NXDOMAIN: no answers even when addresses are given. */
	n = dns_build_reply(out, sizeof(out), &q, DNS_NXDOMAIN, addrs, 2, 5);
	assert_int_equal(n, len);
	assert_int_equal(out[3] & 0xf, DNS_NXDOMAIN);
	assert_int_equal(out[7], 0);

	/* Never more than fits in 512 bytes, whatever the count. */
	uint32_t many[64] = { 0 };
	n = dns_build_reply(out, sizeof(out), &q, DNS_NOERROR, many, 64, 5);
	assert_true(n <= DNS_UDP_MAX);
	assert_int_equal(out[7], (DNS_UDP_MAX - len) / 16);
	/* A buffer too small for the question: nothing. */
	assert_int_equal(dns_build_reply(out, 12, &q, DNS_NOERROR, NULL, 0, 5), 0);

	/* Case does not make a different question; the type does. */
	len = make_query(pkt, "ALPHA", DNS_TYPE_A);
	assert_int_equal(dns_parse_query(pkt, len, &r), 0);
	assert_true(dns_same_question(&q, &r));
	r.qtype = DNS_TYPE_AAAA;
	assert_false(dns_same_question(&q, &r));
}

static void test_ids(void **state)
{
	uint8_t pkt[512];
	make_query(pkt, "x", DNS_TYPE_A);
	assert_int_equal(dns_get_id(pkt), 0x1234);
	dns_set_id(pkt, 0xbeef);
	assert_int_equal(dns_get_id(pkt), 0xbeef);
	assert_int_equal(pkt[0], 0xbe);
}

/* A pointer back to the question's name is read as that name. */
static void test_compression(void **state)
{
	uint8_t pkt[512];
	size_t len = make_query(pkt, "alpha", DNS_TYPE_A);
	struct dns_question q;
	/* "\3www" then a pointer to offset 12, the name's own start: a loop. */
	uint8_t loop[] = { 0x12, 0x34, 0x01, 0x00, 0,	1,    0,  0, 0, 0, 0,
			   0,	 3,    'w',  'w',  'w', 0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(loop, sizeof(loop), &q), DNS_FORMERR);
	assert_false(q.parsed);
	assert_int_equal(q.id, 0x1234);
	/* A pointer to itself. */
	uint8_t self[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(self, sizeof(self), &q), DNS_FORMERR);
	/* A pointer forward (past the end, or ahead in the packet). */
	uint8_t fwd[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1, 1, 'a', 0 };
	assert_int_equal(dns_parse_query(fwd, sizeof(fwd), &q), DNS_FORMERR);
	uint8_t far[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(far, sizeof(far), &q), DNS_FORMERR);
	/* Two pointers pointing at each other (each backwards once). */
	uint8_t pair[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(pair, sizeof(pair), &q), DNS_FORMERR);
	/* A pointer that is cut (its second byte missing). */
	uint8_t cut[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0 };
	assert_int_equal(dns_parse_query(cut, sizeof(cut), &q), DNS_FORMERR);
	/* A response with the question as a plain name. */
	uint8_t resp[512];
	len = make_query(resp, "alpha", DNS_TYPE_A);
	resp[2] |= 0x80;
	assert_int_equal(dns_parse_response(resp, len, &q), 0);
	assert_string_equal(q.name, "alpha");
	/* A label then a pointer into the header, where QDCOUNT's high byte
	 * (0) ends the name: "a". */
	uint8_t hdr[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 4, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(hdr, sizeof(hdr), &q), 0);
	assert_string_equal(q.name, "a");
	assert_int_equal(q.qname_len, 3);
	(void)pkt;
}

/* The question starts at offset 12, so a pointer in it can only point
 * into the header; the header's counts can hold pointers themselves.  A
 * chain each pointing further back is followed; one pointing forward
 * again (a loop through the header) is refused. */
static void test_pointer_chain(void **state)
{
	/* 12 -> 10 -> 8 -> 6 -> 4, where QDCOUNT's high byte (0) ends it. */
	uint8_t chain[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0xc0, 4, 0xc0, 6, 0xc0, 8, 0xc0, 10, 0, 1, 0, 1 };
	struct dns_question q;
	assert_int_equal(dns_parse_query(chain, sizeof(chain), &q), 0);
	assert_string_equal(q.name, "");
	assert_int_equal(q.qtype, 1);
	/* 12 -> 10 -> 8 -> 10: a loop. */
	uint8_t loop[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0xc0, 10, 0xc0, 8, 0xc0, 10, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_query(loop, sizeof(loop), &q), DNS_FORMERR);
}

static void test_hostile(void **state)
{
	struct dns_question q;
	uint8_t pkt[1024] = { 0 };
	/* Shorter than a header: no answer at all. */
	assert_int_equal(dns_parse_query(pkt, 0, &q), -1);
	assert_int_equal(dns_parse_query(pkt, 11, &q), -1);
	/* A header alone, QDCOUNT 1: the question is missing. */
	size_t len = make_query(pkt, "alpha", DNS_TYPE_A);
	assert_int_equal(dns_parse_query(pkt, 12, &q), DNS_FORMERR);
	/* Every truncation of a good query fails cleanly. */
	for (size_t cut = 12; cut < len; cut++)
		assert_int_equal(dns_parse_query(pkt, cut, &q), DNS_FORMERR);
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	/* Huge counts: QDCOUNT 65535 is refused; the other counts are never
	 * walked. */
	pkt[4] = 0xff;
	pkt[5] = 0xff;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_FORMERR);
	pkt[4] = 0;
	pkt[5] = 0;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_FORMERR);
	pkt[5] = 1;
	memset(pkt + 6, 0xff, 6);
	assert_int_equal(dns_parse_query(pkt, len, &q), 0);
	/* Not a standard query (opcode 2, STATUS): NOTIMP. */
	pkt[2] = 0x10;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_NOTIMP);
	assert_false(q.parsed);
	/* A response (QR set): dropped, never answered. */
	pkt[2] = 0x80;
	assert_int_equal(dns_parse_query(pkt, len, &q), -1);
	/* Reserved label types (0x40, 0x80). */
	len = make_query(pkt, "alpha", DNS_TYPE_A);
	pkt[12] = 0x45;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_FORMERR);
	pkt[12] = 0x85;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_FORMERR);
	/* A label longer than the packet. */
	pkt[12] = 63;
	assert_int_equal(dns_parse_query(pkt, len, &q), DNS_FORMERR);
	/* A name longer than 255 bytes: five labels of 63. */
	uint8_t big[512] = { 0x12, 0x34, 0x01, 0x00, 0, 1 };
	size_t off = 12;
	for (int i = 0; i < 5; i++) {
		big[off++] = 63;
		memset(big + off, 'a', 63);
		off += 63;
	}
	big[off++] = 0;
	memcpy(big + off, "\0\1\0\1", 4);
	off += 4;
	assert_int_equal(dns_parse_query(big, off, &q), DNS_FORMERR);
	/* Four labels of 63 (plus final 0: 257 bytes) is too long too; three
	 * labels of 63 and one of 61 (255) is the longest there is. */
	off = 12;
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		big[off++] = (uint8_t)l;
		memset(big + off, 'b', l);
		off += l;
	}
	big[off++] = 0;
	memcpy(big + off, "\0\1\0\1", 4);
	off += 4;
	assert_int_equal(dns_parse_query(big, off, &q), 0);
	assert_int_equal(q.qname_len, 255);
	assert_int_equal(strlen(q.name), 253);
	big[12 + 3 * 64] = 62; /* one byte more: 256 */
	assert_int_equal(dns_parse_query(big, off, &q), DNS_FORMERR);
	/* A reply to an unparsed question is the header alone, with the id. */
	uint8_t out[DNS_UDP_MAX];
	assert_int_equal(dns_parse_query((const uint8_t *)"\xab\xcd\x01\x00\0\2\0\0\0\0\0\0", 12, &q),
			 DNS_FORMERR);
	size_t n = dns_build_reply(out, sizeof(out), &q, DNS_FORMERR, NULL, 0, 5);
	assert_int_equal(n, 12);
	assert_int_equal(dns_get_id(out), 0xabcd);
	assert_int_equal(out[3] & 0xf, DNS_FORMERR);
	assert_int_equal(out[5], 0);
}

/* Every byte string of a few lengths from a simple generator: no crash,
 * no read past the length (ASan's build runs this too). */
static void test_random_bytes(void **state)
{
	uint32_t x = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(round % 64);
		uint8_t *pkt = xmalloc(len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			pkt[i] = (uint8_t)(x >> 16);
		}
		/* Often a plausible header, so the name parser is reached. */
		if (len >= 6 && round % 2) {
			pkt[2] &= 0x07;
			pkt[4] = 0;
			pkt[5] = 1;
		}
		struct dns_question q;
		int r = dns_parse_query(pkt, len, &q);
		assert_true(r == -1 || r == 0 || r == DNS_FORMERR || r == DNS_NOTIMP);
		if (r == 0) {
			assert_true(q.qname_len <= DNS_NAME_MAX);
			assert_true(strlen(q.name) < sizeof(q.name));
		}
		dns_parse_response(pkt, len, &q);
		free(pkt);
	}
}

static void test_resolv_servers(void **state)
{
	char s[3][46];
	const char *text = "# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver\t::1 # x\n"
			   "nameserverx 1.1.1.1\noptions edns0\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n";
	assert_int_equal(dns_resolv_servers(text, s, 3), 3);
	assert_string_equal(s[0], "127.0.0.53");
	assert_string_equal(s[1], "::1");
	assert_string_equal(s[2], "10.0.0.1");
	assert_int_equal(dns_resolv_servers(NULL, s, 3), 0);
	assert_int_equal(dns_resolv_servers("nameserver", s, 3), 0);
	assert_int_equal(dns_resolv_servers("nameserver 1.2.3.4", s, 3), 1);
	assert_string_equal(s[0], "1.2.3.4");
}

/* On a user-defined network the one nameserver is the monitor's resolver;
 * the host's search and options lines stay; --dns goes to the resolver's
 * upstreams, not the file.  The default bridge keeps the host's servers. */
static void test_resolv_conf_network(void **state)
{
	const char *host =
	    "search example.org\nnameserver 10.0.0.1\nnameserver 127.0.0.53\noptions ndots:2\n";
	struct pd_netcfg n = { .mode = PD_NET_BRIDGE };
	n.network = xstrdup("appnet");
	_cleanup_free_ char *a = pd_net_resolv_conf(&n, host);
	assert_string_equal(a, "nameserver 127.0.0.11\nsearch example.org\noptions ndots:2\n");
	char *dns[] = { "10.9.9.9", NULL };
	n.dns = dns;
	_cleanup_free_ char *b = pd_net_resolv_conf(&n, host);
	assert_string_equal(b, "nameserver 127.0.0.11\nsearch example.org\noptions ndots:2\n");
	n.dns = NULL;
	free(n.network);
	n.network = NULL;
	_cleanup_free_ char *c = pd_net_resolv_conf(&n, host);
	assert_string_equal(c, "search example.org\nnameserver 10.0.0.1\noptions ndots:2\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_pointer_chain),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_resolv_servers),
		cmocka_unit_test(test_resolv_conf_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
