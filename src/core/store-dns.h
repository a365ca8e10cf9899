/* What the containers' resolver (core/dns.c) reads of the state database
 * (store-dns.c): the members of the networks a container is on.  Internal
 * to core/. */
#pragma once
#include <stddef.h>

#include "core/store.h"

/* A container on one of those networks: its address and its names
 * (space-separated: name, aliases, short id), owned by the struct. */
struct pd_store_dns_member {
	char ip[16];
	char ip6[46]; /* on a network created with --ipv6, or "" */
	char *names;
};
void pd_store_dns_members_free(struct pd_store_dns_member *m, size_t n);
/* Every endpoint on a network `container_id` has an endpoint on (itself
 * included), read at once (one statement: one snapshot).  0 with *out
 * (the caller frees) and *n, or -1. */
int pd_store_dns_members(struct pd_store *s, const char *container_id, struct pd_store_dns_member **out,
			 size_t *n, struct pd_err **err);
