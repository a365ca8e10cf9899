/* Network state in the state database (store-net.c): address leases (one
 * per interface of a container: eth0 for its --network, eth1... for the
 * networks it was connected to) and the host ports it publishes, keyed by
 * the container's id and removed with its row.  Internal to core/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"
#include "net/net.h"

/* How a free host port is chosen for a port of host_port 0 (-p 80, -P). */
struct pd_port_pick {
	uint16_t lo, hi; /* the range to choose from: the kernel's ephemeral ports */
	uint32_t seed;	 /* where in it to start looking (random) */
	/* Whether the host itself lets the port be had (no listener on it,
	 * no other state root's rule). */
	bool (*is_free)(const struct pd_port *p, void *arg);
	void *arg;
};

/* In one BEGIN IMMEDIATE transaction: fail naming the holder when a port of
 * `ports` is already published by another container; choose a free host
 * port (by `pick`) for each of host_port 0 and write it there; record the
 * ports; with `subnet`, lease the lowest free address of it, other than
 * the `taken` ones (held by other state roots), into *ip, as eth0's; a
 * non-zero *ip asks for that address (a usage error when it is not in
 * the subnet or is held).  `existing`: a container that ran before, whose
 * kept address (pd_store_net_release) is taken again.  Parallel
 * callers queue on the database lock, so no two get one address or one
 * chosen port. */
int pd_store_net_reserve(struct pd_store *s, const char *id, const struct pd_subnet *subnet,
			 const uint32_t *taken, size_t n_taken, struct pd_port *ports, size_t n_ports,
			 const struct pd_port_pick *pick, bool existing, uint32_t *ip, struct pd_err **err);
/* Inside the caller's transaction: the lease of interface `iface` (as
 * pd_store_net_reserve's of eth0).  A usage error when the container has
 * an address on that subnet already. */
int pd_store_net_lease(struct pd_store *s, const char *id, const char *iface, const struct pd_subnet *n,
		       const uint32_t *taken, size_t n_taken, bool existing, uint32_t *ip,
		       struct pd_err **err);
/* Forget the lease of one interface; none is fine. */
int pd_store_net_drop_lease(struct pd_store *s, const char *id, const char *iface, struct pd_err **err);
/* Forget the container's ports and, unless `keep_lease`, its lease (its
 * row's deletion forgets both).  A kept lease is the container's address
 * again at its next start (pd_store_net_reserve), unless another state
 * root's container has taken the address meanwhile. */
int pd_store_net_release(struct pd_store *s, const char *id, bool keep_lease, struct pd_err **err);

/* One lease of a container's. */
struct pd_store_lease {
	char iface[16]; /* "eth0", "eth1", ... */
	char ip[16], gateway[16];
	unsigned prefix;
	char network[32]; /* the subnet's key */
};
/* Every lease of the container, eth0 first; *out is freed with
 * pd_store_leases_free. */
int pd_store_net_leases(struct pd_store *s, const char *id, struct pd_store_lease **out, size_t *n,
			struct pd_err **err);
void pd_store_leases_free(struct pd_store_lease *l, size_t n);

/* What is recorded for a container (its eth0 lease).  Owned by the
 * caller. */
struct pd_store_net {
	bool leased;
	char ip[16], gateway[16];
	unsigned prefix;
	char network[32]; /* the lease's subnet ("10.42.0.0/16") */
	struct pd_port *ports;
	size_t n_ports;
};
/* 0 with *out filled (empty when nothing is recorded). */
int pd_store_net_get(struct pd_store *s, const char *id, struct pd_store_net *out, struct pd_err **err);
void pd_store_net_free(struct pd_store_net *n);
/* Every container's published ports in one query (for ps), ordered by
 * container id; *out is freed by the caller. */
struct pd_store_port_row {
	char container_id[65];
	struct pd_port port;
};
int pd_store_net_all_ports(struct pd_store *s, struct pd_store_port_row **out, size_t *n,
			   struct pd_err **err);
