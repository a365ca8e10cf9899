/* User-defined networks in the state database (store-networks.c): one row
 * per network, one endpoint per container and network it is on (its
 * address and names, and where its /etc/hosts is), and the networks a
 * container was connected to (`network connect`), removed with the
 * container's row.  Internal to core/ (core/networks.c and network.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"
#include "net/net.h"

/* One network's row.  Strings are owned by the struct. */
struct pd_store_network {
	char *name;
	char id[65];
	struct pd_subnet sub; /* with its bridge's name */
	bool internal;
	char *labels; /* a JSON object of strings */
	int64_t created_ns;
};
void pd_store_network_free(struct pd_store_network *n);
void pd_store_networks_free(struct pd_store_network *n, size_t count);

/* In one BEGIN IMMEDIATE transaction: fail (usage) when the name is taken
 * or the subnet overlaps another network's or `reserved` (the default
 * bridge's); with n->sub.prefix 0 take a /24 of 10.50.0.0/16 (the first from a
 * random one on) that overlaps none of them nor the routes in `routes` (/proc/net/route's
 * text).  With n->sub.v6: the IPv6 subnet must overlap no other network's;
 * with prefix6 0 take a random ULA /64 that overlaps none of them nor the
 * routes in `routes6` (/proc/net/ipv6_route's text).  Writes n->sub on
 * success. */
int pd_store_network_create(struct pd_store *s, struct pd_store_network *n, const struct pd_subnet *reserved,
			    const char *routes, const char *routes6, struct pd_err **err);
/* 0 with *out (by name, or by a prefix of its id), 1 when there is none. */
int pd_store_network_get(struct pd_store *s, const char *name, struct pd_store_network *out,
			 struct pd_err **err);
int pd_store_network_list(struct pd_store *s, struct pd_store_network **out, size_t *n, struct pd_err **err);
/* Delete the row unless a container holds an address on it: then fail
 * (usage) naming it.  1 when there is no such network. */
int pd_store_network_remove(struct pd_store *s, const char *name, struct pd_err **err);

/* Migration 8 (store.c): the networks' IPv6 subnets and endpoints'
 * addresses. */
extern const char pd_store_migration_ipv6[];

/* A container attached to a network. */
struct pd_store_endpoint {
	char container_id[65];
	char ip[16];
	char ip6[46]; /* its IPv6 address, or "" */
	char *names;  /* space-separated */
	char *hosts;  /* the path of its /etc/hosts on the host (upper layer) */
};
void pd_store_endpoints_free(struct pd_store_endpoint *e, size_t n);
/* Record (or replace) the endpoint of `container_id` on `network`. */
int pd_store_endpoint_set(struct pd_store *s, const char *network, const struct pd_store_endpoint *e,
			  struct pd_err **err);
/* Forget its endpoints: 1 with *network (one of them; the caller frees)
 * when there was one. */
int pd_store_endpoint_drop(struct pd_store *s, const char *container_id, char **network, struct pd_err **err);
/* Every endpoint on `network`, ordered by address. */
int pd_store_endpoints(struct pd_store *s, const char *network, struct pd_store_endpoint **out, size_t *n,
		       struct pd_err **err);
/* Every endpoint on every network `container_id` has an endpoint on (its
 * own too), ordered by network and container. */
int pd_store_peer_endpoints(struct pd_store *s, const char *container_id, struct pd_store_endpoint **out,
			    size_t *n, struct pd_err **err);
/* The networks the container has an endpoint on, a NULL-terminated list
 * (strv_free) in *networks, even on failure. */
int pd_store_endpoint_networks(struct pd_store *s, const char *container_id, char ***networks,
			       struct pd_err **err);
/* Forget its endpoint on `network`: 1 when there was one. */
int pd_store_endpoint_drop_one(struct pd_store *s, const char *container_id, const char *network,
			       struct pd_err **err);

/* A network a container was connected to with `network connect`. */
struct pd_store_conn {
	char *network;
	char iface[16];	  /* its interface in the container: eth1, eth2, ... */
	char ip_want[16]; /* --ip, or "" */
	char *aliases;	  /* --alias names, space-separated, or "" */
};
void pd_store_conns_free(struct pd_store_conn *c, size_t n);
/* Inside the caller's transaction: record c (c->iface gets the lowest
 * free ethN, N >= 1); a usage error when it is connected to it already. */
int pd_store_conn_add(struct pd_store *s, const char *container_id, struct pd_store_conn *c,
		      struct pd_err **err);
/* The container's connections, eth1 first. */
int pd_store_conns(struct pd_store *s, const char *container_id, struct pd_store_conn **out, size_t *n,
		   struct pd_err **err);
/* Forget the connection to `network`: 1 with its iface, 0 when there was
 * none. */
int pd_store_conn_drop(struct pd_store *s, const char *container_id, const char *network, char iface[16],
		       struct pd_err **err);
