/* User-defined networks (`network create|ls|inspect|rm|prune`) and the
 * names their containers find each other by.  Each network is a bridge
 * of its own (pd-<first 8 hex of its id>), made when its first container
 * starts, with nft chains of its own (net/nat.h) that keep it apart from
 * the other networks; its addresses are leases in state.db like the
 * default bridge's.
 *
 * Names are /etc/hosts lines: every container on a network has, after
 * PD_NET_HOSTS_MARK in its /etc/hosts, one line per container on each
 * network it is on (address, name, --network-alias names, short id).  A
 * container is on its --network and on every network it was connected to
 * (`network connect`, one more interface each).  Whoever
 * changes who is on it (the CLI at run/start, the monitor when a
 * container ends, rm/prune after a killed monitor) rewrites those lines
 * in every member's file, in place, so the running containers see it at
 * once.  No process runs for it.  Runs as root only. */
#pragma once
#include <jansson.h>

#include "core/config.h"
#include "core/store-networks.h"
#include "core/store.h"

/* `network create`: `subnet` ("A.B.C.D/P", the gateway's address; NULL: a
 * free /24 of 10.50.0.0/16), labels "KEY=VALUE".  `ipv6`: an IPv6 subnet
 * too, `subnet6` ("ADDR/P", net.h's pd_subnet6_parse) or NULL for a free
 * ULA /64 picked in the same transaction; the containers' IPv6 addresses
 * have their IPv4 host numbers.  *id is the new network's id (the caller
 * frees). */
int pd_networks_create(const char *root, const char *name, const char *subnet, const char *subnet6, bool ipv6,
		       bool internal, char *const *labels, char **id, struct pd_err **err);
int pd_networks_list(const char *root, struct pd_store_network **out, size_t *n, struct pd_err **err);
/* `network inspect`: Docker's keys, and the containers on it. */
int pd_networks_inspect(const char *root, const char *name, json_t **out, struct pd_err **err);
/* Remove the network, its bridge and its chains; refused (usage error
 * naming the container) while a container holds an address on it.  1
 * when there is no such network. */
int pd_networks_remove(const char *root, const char *name, struct pd_err **err);
/* Remove every network no container uses; `removed` is called with each
 * name. */
int pd_networks_prune(const char *root, void (*removed)(const char *name, void *data), void *data,
		      struct pd_err **err);

/* `network connect`: connect the container `ref` to `network` (its
 * interface ethN, N >= 1, an address of the network, --ip `ip` or NULL,
 * more names `aliases`, NULL-terminated or NULL).  A running container
 * gets it at once and the members' names are rewritten; a stopped one
 * joins at its next start; either way it stays connected until
 * disconnected.  Usage errors, nothing changed: no such network or
 * container, connected already (or its --network), a container with
 * --network host or none, or rootless. */
int pd_networks_connect(const char *root, const char *network, const char *ref, const char *ip,
			char *const *aliases, struct pd_err **err);
/* `network disconnect`: the interface, its address and its names go;
 * usage error when the container is not connected to it (its --network
 * cannot be disconnected).  `force` is accepted: the removal of the
 * kernel's objects is best effort anyway. */
int pd_networks_disconnect(const char *root, const char *network, const char *ref, bool force,
			   struct pd_err **err);

/* Internal to core/ (network.c).  At start, after the lease: the network
 * of cfg->net.network into cfg->net.sub/internal. */
int pd_networks_lookup(struct pd_store *s, struct pd_config *cfg, struct pd_err **err);
/* After the leases: record the container on its network and those it was
 * connected to (cfg->net.conns), and rewrite the names of every container
 * there; cfg->net.peers gets them for its own /etc/hosts. */
int pd_networks_join(struct pd_store *s, const char *root, struct pd_config *cfg, struct pd_err **err);
/* The network whose subnet key (a lease's "10.50.3.0/24") is `key`: 0
 * with *out (pd_store_network_free), 1 when none is. */
int pd_networks_by_subnet(struct pd_store *s, const char *key, struct pd_store_network *out);
/* Write the names of `network` into its members' /etc/hosts again.  Best
 * effort. */
void pd_networks_refresh(struct pd_store *s, const char *network);
/* Once it runs: the names of every network it is on written again into
 * every member's /etc/hosts (its own too, given the marker unless
 * `marked`, its /etc/hosts made with one).  Best effort. */
void pd_networks_started(struct pd_store *s, const char *id, bool marked);
/* When it ends (or at rm/prune): forget it and rewrite the others' names.
 * Best effort. */
void pd_networks_leave(struct pd_store *s, const char *id);
