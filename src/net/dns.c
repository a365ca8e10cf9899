/* DNS messages for the containers' resolver (see dns.h).  Pure logic: runs
 * in the monitor on bytes a container sent (or an upstream server), so it
 * trusts nothing in them: every read is checked against the length, a
 * name's compression pointers must each point before the last one followed
 * (so no loop can go round) and are at most DNS_MAX_HOPS, a name is at most
 * DNS_NAME_MAX bytes, and the counts of the header are never used to size
 * or walk anything but the one question we read. */
#include "net/dns.h"

#include <ctype.h>
#include <string.h>

#define FLAG_QR	  0x8000
#define FLAG_AA	  0x0400
#define FLAG_TC	  0x0200
#define FLAG_RD	  0x0100
#define FLAG_RA	  0x0080
#define OPCODE(f) (((f) >> 11) & 0xf)
#define PTR_MASK  0xc0

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t dns_get_id(const uint8_t *pkt)
{
	return get16(pkt);
}

void dns_set_id(uint8_t *pkt, uint16_t id)
{
	put16(pkt, id);
}

static bool is_plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Read the name at *off into q (wire form and text); *off moves past it
 * (past the first pointer, if any).  0, or -1 when malformed. */
static int read_name(const uint8_t *pkt, size_t len, size_t *off, struct dns_question *q)
{
	size_t pos = *off, wire = 0, text = 0;
	size_t limit = pos; /* a pointer must point before this */
	bool jumped = false;
	int hops = 0;
	q->plain = true;
	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t c = pkt[pos];
		if ((c & PTR_MASK) == PTR_MASK) {
			if (pos + 1 >= len || ++hops > DNS_MAX_HOPS)
				return -1;
			size_t to = (size_t)(((c & 0x3f) << 8) | pkt[pos + 1]);
			if (to >= limit)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			limit = to;
			pos = to;
			continue;
		}
		if (c & PTR_MASK) /* 0x40 and 0x80: extended and reserved label types */
			return -1;
		if (c == 0) {
			q->qname[wire++] = 0;
			q->qname_len = wire;
			q->name[text] = '\0';
			if (!jumped)
				*off = pos + 1;
			return 0;
		}
		/* The label, and the final 0 still to come. */
		if (c > len - pos - 1 || wire + 1 + c + 1 > DNS_NAME_MAX)
			return -1;
		q->qname[wire++] = c;
		memcpy(q->qname + wire, pkt + pos + 1, c);
		wire += c;
		if (text)
			q->name[text++] = '.';
		for (size_t i = 0; i < c; i++) {
			char ch = (char)tolower(pkt[pos + 1 + i]);
			if (!is_plain_char(ch))
				q->plain = false;
			/* Text can never outgrow the wire form (one length byte per
			 * label stands for its dot): DNS_NAME_MAX + 1 holds it. */
			q->name[text++] = ch ? ch : '?';
		}
		pos += 1 + (size_t)c;
	}
}

/* The header and the one question; `response` says which kind pkt must be. */
static int read_message(const uint8_t *pkt, size_t len, struct dns_question *q, bool response)
{
	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER_LEN)
		return -1;
	q->id = get16(pkt);
	q->flags = get16(pkt + 2);
	if (!(q->flags & FLAG_QR) != !response)
		return -1;
	if (!response && OPCODE(q->flags) != 0)
		return DNS_NOTIMP;
	if (get16(pkt + 4) != 1)
		return response ? -1 : DNS_FORMERR;
	size_t off = DNS_HEADER_LEN;
	if (read_name(pkt, len, &off, q) < 0 || len - off < 4)
		return response ? -1 : DNS_FORMERR;
	q->qtype = get16(pkt + off);
	q->qclass = get16(pkt + off + 2);
	q->parsed = true;
	return 0;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_question *q)
{
	int r = read_message(pkt, len, q, false);
	if (r > 0)
		q->parsed = false;
	return r;
}

int dns_parse_response(const uint8_t *pkt, size_t len, struct dns_question *q)
{
	return read_message(pkt, len, q, true) == 0 ? 0 : -1;
}

bool dns_same_question(const struct dns_question *a, const struct dns_question *b)
{
	if (!a->parsed || !b->parsed || a->qtype != b->qtype || a->qclass != b->qclass ||
	    a->qname_len != b->qname_len)
		return false;
	/* Length bytes are below 64: tolower leaves them alone. */
	for (size_t i = 0; i < a->qname_len; i++)
		if (tolower(a->qname[i]) != tolower(b->qname[i]))
			return false;
	return true;
}

size_t dns_build_reply(uint8_t *out, size_t cap, const struct dns_question *q, enum dns_rcode rcode,
		       const uint32_t *addrs, size_t n, uint32_t ttl)
{
	if (cap > DNS_UDP_MAX)
		cap = DNS_UDP_MAX;
	size_t qlen = q->parsed ? q->qname_len + 4 : 0;
	if (cap < DNS_HEADER_LEN + qlen)
		return 0;
	/* Authoritative for the names it answers itself; recursion offered
	 * (it forwards the rest).  The query's RD is echoed as RFC 1035 says. */
	uint16_t flags = FLAG_QR | FLAG_RA | (q->flags & FLAG_RD) | (uint16_t)(rcode & 0xf);
	if (rcode == DNS_NOERROR || rcode == DNS_NXDOMAIN)
		flags |= FLAG_AA;
	memset(out, 0, DNS_HEADER_LEN);
	put16(out, q->id);
	put16(out + 2, flags);
	size_t off = DNS_HEADER_LEN;
	if (q->parsed) {
		put16(out + 4, 1);
		memcpy(out + off, q->qname, q->qname_len);
		off += q->qname_len;
		put16(out + off, q->qtype);
		put16(out + off + 2, q->qclass);
		off += 4;
	}
	size_t an = 0;
	/* Each record: a pointer to the question's name, type, class, TTL,
	 * length, the address: 16 bytes. */
	for (size_t i = 0; q->parsed && rcode == DNS_NOERROR && i < n && cap - off >= 16; i++) {
		put16(out + off, 0xc000 | DNS_HEADER_LEN);
		put16(out + off + 2, DNS_TYPE_A);
		put16(out + off + 4, DNS_CLASS_IN);
		put16(out + off + 6, (uint16_t)(ttl >> 16));
		put16(out + off + 8, (uint16_t)ttl);
		put16(out + off + 10, 4);
		memcpy(out + off + 12, &addrs[i], 4);
		off += 16;
		an++;
	}
	put16(out + 6, (uint16_t)an);
	return off;
}

size_t dns_resolv_servers(const char *text, char out[][46], size_t max)
{
	size_t n = 0;
	for (const char *l = text; l && *l && n < max;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		static const char key[] = "nameserver";
		if (len > sizeof(key) - 1 && !strncmp(l, key, sizeof(key) - 1) &&
		    (l[sizeof(key) - 1] == ' ' || l[sizeof(key) - 1] == '\t')) {
			const char *a = l + sizeof(key) - 1;
			while (a < l + len && (*a == ' ' || *a == '\t'))
				a++;
			size_t alen = strcspn(a, " \t\r\n#;");
			if (alen > (size_t)(l + len - a))
				alen = (size_t)(l + len - a);
			if (alen > 0 && alen < 46) {
				memcpy(out[n], a, alen);
				out[n++][alen] = '\0';
			}
		}
		l = end ? end + 1 : NULL;
	}
	return n;
}
