/* libFuzzer harness: the DNS messages the containers' resolver reads
 * (net/dns.c), bytes a container (or an upstream server) chooses.
 * Checks: no read out of bounds (ASan); a parsed question's name is at
 * most DNS_NAME_MAX bytes and its text NUL-terminated; a reply built for
 * it fits the buffer and a plain UDP message, and parses back as a
 * response with the same question. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65535)
		return 0;
	/* A copy of exactly `size` bytes: any read past it is caught. */
	uint8_t *pkt = malloc(size ? size : 1);
	memcpy(pkt, data, size);
	struct dns_question q;
	memset(&q, 0xa5, sizeof(q));
	int r = dns_parse_query(pkt, size, &q);
	if (r == 0) {
		if (!q.parsed || q.qname_len > DNS_NAME_MAX || strnlen(q.name, sizeof(q.name)) > DNS_NAME_MAX)
			abort();
		uint8_t out[DNS_UDP_MAX + 64];
		const uint32_t addrs[3] = { 0x0100000a, 0x0200000a, 0x0300000a };
		size_t n = dns_build_reply(out, sizeof(out), &q, DNS_NOERROR, addrs, 3, 5);
		if (n > DNS_UDP_MAX)
			abort();
		if (n) {
			struct dns_question back;
			if (dns_parse_response(out, n, &back) != 0 || !dns_same_question(&q, &back))
				abort();
		}
	} else if (r > 0) {
		uint8_t out[DNS_UDP_MAX];
		if (dns_build_reply(out, sizeof(out), &q, (enum dns_rcode)r, NULL, 0, 0) > DNS_UDP_MAX)
			abort();
	}
	struct dns_question resp;
	dns_parse_response(pkt, size, &resp);
	/* The same bytes as a resolv.conf's text. */
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char servers[3][46];
	if (dns_resolv_servers(text, servers, 3) > 3)
		abort();
	for (size_t i = 0; i < 3; i++)
		if (memchr(servers[i], '\0', sizeof(servers[i])) == NULL)
			abort();
	free(text);
	free(pkt);
	return 0;
}
