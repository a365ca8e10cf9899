/* libFuzzer harness: the network flags' parsers (net/spec.c): -p/--publish
 * (pd_netcfg_add_port, pd_port_parse), --add-host, --dns, --network and
 * POCKET_DOCKER_SUBNET (pd_subnet_parse).  The input is split at newlines;
 * each line's first byte picks the parser.  Checks beyond the sanitizers:
 * success and *err agree; an accepted port has its container port in
 * 1-65535 (its host port too, or 0 for a free one), a protocol of tcp or
 * udp and an IPv4 host address, and its text form parses back to the same
 * port; a range adds at least one port; an accepted subnet has a prefix of 8-30
 * and its gateway inside its network. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void agree(int r, struct pd_err *err)
{
	if ((r == 0) != (err == NULL))
		abort();
	pd_err_free(err);
}

static void check_port(const struct pd_port *p)
{
	struct in_addr a;
	if (p->container_port < 1 || inet_pton(AF_INET, p->host_ip, &a) != 1 ||
	    (strcmp(p->proto, "tcp") != 0 && strcmp(p->proto, "udp") != 0))
		abort();
	/* "IP:HOST->CONTAINER/PROTO" back into a spec. */
	char spec[64], host[8] = "";
	if (p->host_port)
		snprintf(host, sizeof(host), "%u", p->host_port);
	snprintf(spec, sizeof(spec), "%s:%s:%u/%s", p->host_ip, host, p->container_port, p->proto);
	struct pd_port again;
	struct pd_err *err = NULL;
	if (pd_port_parse(spec, &again, &err) < 0 || memcmp(&again, p, sizeof(again)) != 0)
		abort();
	char *text = pd_port_text(p);
	if (!text || !strstr(text, "->"))
		abort();
	free(text);
}

static void one(struct pd_netcfg *n, char op, const char *s)
{
	struct pd_err *err = NULL;
	switch (op % 6) {
	case 0: {
		size_t before = n->n_ports;
		int r = pd_netcfg_add_port(n, s, &err);
		agree(r, err);
		if (r == 0) {
			if (n->n_ports < before + 1)
				abort();
			for (size_t i = before; i < n->n_ports; i++)
				check_port(&n->ports[i]);
		}
		break;
	}
	case 1: agree(pd_netcfg_add_host(n, s, &err), err); break;
	case 2: agree(pd_netcfg_add_dns(n, s, &err), err); break;
	case 3: agree(pd_netcfg_set_mode(n, s, &err), err); break;
	case 4: {
		struct pd_subnet sn;
		int r = pd_subnet_parse(s, &sn, &err);
		agree(r, err);
		if (r == 0) {
			if (sn.prefix < 8 || sn.prefix > 30)
				abort();
			uint32_t mask = ~0u << (32 - sn.prefix);
			if ((sn.gateway & mask) != sn.network)
				abort();
			char key[64];
			pd_subnet_key(&sn, key, sizeof(key));
		}
		break;
	}
	default: {
		struct pd_port p;
		int r = pd_port_parse(s, &p, &err);
		agree(r, err);
		if (r == 0)
			check_port(&p);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct pd_netcfg n = {0};
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line)
			one(&n, line[0], line + 1);
	struct pd_err *err = NULL;
	agree(pd_netcfg_finish(&n, &err), err);
	pd_netcfg_free(&n);
	free(buf);
	return 0;
}
