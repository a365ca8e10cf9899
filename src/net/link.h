/* Links through libnl-route (loaded on first use): the bridge, one veth
 * pair per container, and the container's side of it.  Needs
 * CAP_NET_ADMIN in the host's network namespace; runs in the monitor
 * (set-up, teardown) and in the CLI (rm/prune of a crashed monitor's
 * container). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "net/net.h"

/* "pd" and the first 8 hex digits of the container id. */
void pd_link_veth_name(const char *id, char name[16]);
/* The host side of the container's interface `iface`: eth0's is
 * pd_link_veth_name's; ethN's (N >= 1) "pd<8 hex>-N". */
void pd_link_veth_name_for(const char *id, const char *iface, char name[16]);
/* Create the bridge with the subnet's gateway address and bring it up;
 * what exists already is kept, so parallel callers are fine. */
int pd_link_ensure_bridge(const struct pd_subnet *s, struct pd_err **err);
/* A veth pair: `host_name` on the bridge, up; its peer created directly in
 * the network namespace of `pid` as eth0, configured there with `ip` and a
 * default route through the bridge.  `mac` gets eth0's MAC address. */
int pd_link_attach(const char *host_name, pid_t pid, const struct pd_subnet *s, const char *ip, char mac[18],
		   struct pd_err **err);
/* The same with the peer named `peer_name`; only eth0 gets the default
 * route.  Without `up` the peer stays down (pd_link_peer_up), so that a
 * running container sends nothing through it before its rules exist. */
int pd_link_attach_as(const char *host_name, pid_t pid, const char *peer_name, const struct pd_subnet *s,
		      const char *ip, bool up, char mac[18], struct pd_err **err);
/* Bring the link `peer` in the network namespace of `pid` up. */
int pd_link_peer_up(pid_t pid, const char *peer, struct pd_err **err);
/* Delete a link by name in our namespace; one that is gone is fine. */
int pd_link_delete(const char *name, struct pd_err **err);
