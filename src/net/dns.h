/* DNS messages (RFC 1035) for the containers' resolver (core/dns.c): the
 * question of a query or a response read from untrusted bytes, and the
 * replies the resolver builds itself.  Pure logic: no system call, no
 * allocation; every read is bounds-checked against the packet's length. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
/* A name's wire form at most (RFC 1035 3.1), length bytes and the final 0. */
#define DNS_NAME_MAX 255
/* A reply the resolver builds fits a plain (non-EDNS) UDP message. */
#define DNS_UDP_MAX 512
/* Compression pointers followed in one name at most (each must also point
 * before the last one followed, so a loop ends sooner). */
#define DNS_MAX_HOPS 32

#define DNS_TYPE_A    1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN  1

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_FORMERR = 1,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4,
	DNS_REFUSED = 5,
};

/* The question of a message. */
struct dns_question {
	uint16_t id;
	uint16_t flags;		     /* the header's flags as sent */
	bool parsed;		     /* the question was read (else only id and flags) */
	uint8_t qname[DNS_NAME_MAX]; /* wire form, uncompressed, case kept */
	size_t qname_len;	     /* bytes of qname, the final 0 included */
	char name[DNS_NAME_MAX + 1]; /* lower-case text, labels joined by '.', no final dot */
	bool plain;		     /* every label is non-empty [a-z0-9_-]: `name` says it exactly */
	uint16_t qtype, qclass;
};

/* Read a query (a message from a client).  Returns 0 with *q filled; a
 * DNS_* rcode (FORMERR, NOTIMP) with q->id and q->flags filled, to be
 * answered with that rcode; -1 for bytes that deserve no answer at all
 * (shorter than a header, or a response: answering those could loop). */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_question *q);
/* Read a response's header and question (from an upstream server): 0, or
 * -1 when it is not a response with exactly one well-formed question. */
int dns_parse_response(const uint8_t *pkt, size_t len, struct dns_question *q);
/* Whether two questions ask the same (names compared without case). */
bool dns_same_question(const struct dns_question *a, const struct dns_question *b);

/* Build the reply to `q` in out[cap]: rcode, and with DNS_NOERROR one A
 * record per address of addrs[n] (IPv4, network byte order) with `ttl`, as
 * many as fit in min(cap, DNS_UDP_MAX) bytes.  An unparsed question (see
 * dns_parse_query) is answered with the header only.  Returns the length,
 * 0 if cap cannot hold even the header and question. */
size_t dns_build_reply(uint8_t *out, size_t cap, const struct dns_question *q, enum dns_rcode rcode,
		       const uint32_t *addrs, size_t n, uint32_t ttl);

/* The message id of pkt[len] (which holds at least a header). */
uint16_t dns_get_id(const uint8_t *pkt);
void dns_set_id(uint8_t *pkt, uint16_t id);

/* The nameserver addresses of a resolv.conf's text, in order, at most
 * `max`, each as written (not checked: the caller parses it). */
size_t dns_resolv_servers(const char *text, char out[][46], size_t max);
