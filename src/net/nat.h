/* NAT and port publishing through libnftables (loaded on first use), in one
 * table of the project's own, `ip pocket_docker`.  Needs CAP_NET_ADMIN;
 * runs in the monitor and in the CLI (rm/prune). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "net/net.h"

#define PD_NAT_TABLE "pocket_docker"

/* Create the table and its chains if missing and (re)write the rules that
 * are not any container's: masquerade for the subnet, and the guard that
 * route_localnet needs.  One atomic nft transaction, so parallel callers
 * and a changed subnet are fine. */
int pd_nat_setup(const struct pd_subnet *s, struct pd_err **err);
/* DNAT each of `ports` to `ip`, in prerouting (other hosts) and output (the
 * host itself), every rule tagged with the comment "pd:<id>". */
int pd_nat_publish(const char *id, const char *ip, const struct pd_port *ports, size_t n,
		   struct pd_err **err);
/* 1 with the holder's id when a rule of another container than `self`
 * (of any state root) publishes the host port `p` already, 0 when none
 * does (or there is no table). */
int pd_nat_port_holder(const struct pd_port *p, const char *self, char holder[65], struct pd_err **err);
/* Delete the rules tagged "pd:<id>", by handle, and nothing else; no
 * table or no such rule is fine. */
int pd_nat_unpublish(const char *id, struct pd_err **err);
/* Anti-spoofing on the bridge (table `bridge pocket_docker`): what comes
 * in on the host side `veth` of container `id` must have the source MAC
 * `mac` ("02:00:..."), be IPv4 or ARP, and name `ip` as its sender; other
 * frames are dropped.  Replaces what an earlier run of `id` left.  `id`
 * names the chain (pd-<id>): a container's eth0 uses its id, each of its
 * other interfaces "<id>-ethN" (core/network.c).  With `ip6` (an IPv6
 * address, or NULL or "") IPv6 is let through too, from `ip6`, from the
 * link-local address of `mac` and, for duplicate address detection, from
 * :: (neighbour solicitations for those two only); neighbour
 * advertisements only for those two, never a router advertisement or a
 * redirect.  Without it every IPv6 frame is dropped. */
int pd_nat_pin(const char *id, const char *veth, const char *ip, const char *ip6, const char *mac,
	       struct pd_err **err);
/* Undo pd_nat_pin for `id`; nothing pinned is fine. */
int pd_nat_unpin(const char *id, const char *veth, struct pd_err **err);
/* A user-defined network's chains (see nat.c): masquerade (none when
 * `internal`), the 127.0.0.0/8 guard, and the forward rules that isolate
 * it from the project's other bridges (and, `internal`, from every other
 * link).  Kept when they exist already.  With s->v6 the same for IPv6 in
 * the table `ip6 pocket_docker` (no guard: ::1 is never routed). */
int pd_nat_network_setup(const struct pd_subnet *s, bool internal, struct pd_err **err);
/* Delete those chains of the network on `bridge`; none is fine. */
int pd_nat_network_remove(const char *bridge, struct pd_err **err);
/* Turn IPv4 forwarding on if it is off. */
int pd_nat_enable_forwarding(struct pd_err **err);
/* The same for IPv6 (net.ipv6.conf.all.forwarding).  The kernel then
 * ignores router advertisements on links with accept_ra 1. */
int pd_nat_enable_forwarding6(struct pd_err **err);
