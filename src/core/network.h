/* A container's network from core/'s side: what the CLI reserves before
 * anything is created, what the monitor attaches after clone and removes
 * when the container ends, and what rm/prune clean after a crash.  The
 * how is in net/.  Internal to core/. */
#pragma once
#include <jansson.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/store.h"
#include "core/store-net.h"
#include "net/rootless.h"

/* CLI, after the record is written: for --network bridge (or a
 * user-defined network, looked up in the store; then the container is
 * recorded on it and its members' names rewritten, see networks.h) check the subnet
 * against the host's routes and, in one transaction, the published ports
 * against other containers' and lease an address (root) into cfg->net.ip.
 * `existing`: the start of a container that exists (it may have kept an
 * address, and been connected to networks: their leases into
 * cfg->net.conns).  Nothing of the kernel's is touched yet.  With an
 * address leased, *claim_lock holds the claim lock (see below; -1 when
 * none is held), which the caller hands to whoever claims the address. */
int pd_network_reserve(struct pd_store *s, const char *root, struct pd_config *cfg, bool existing,
		       int *claim_lock, struct pd_err **err);

/* Leases are per state root, the bridge's addresses the host's: between a
 * start's look at the kernel's claims (the addresses other state roots'
 * containers hold) and its own claim, at attach, another state root's
 * start could choose the same free address, and one of the two would
 * fail.  This lock, one for the host, spans that window: taken before the
 * claims are read, released once the address is claimed in the kernel
 * (the monitor, after attach; `network connect`, after its attach).  It
 * goes with the last descriptor of it, so a process that dies holding it
 * frees it.  -1 when it cannot be had, or not within 10 s (a start stuck
 * while holding it): the start goes on without it, its claim still
 * exclusive. */
int pd_network_claim_lock(void);
/* Release it (once the claim is in the kernel) and close *fd; -1 is fine. */
void pd_network_claim_unlock(int *fd);
/* The addresses the kernel's claims hold (see pd_net_claims), into
 * *taken; their number. */
size_t pd_network_claims(uint32_t **taken);

/* The monitor's per-run state. */
struct pd_network_run {
	bool published; /* the nft rules exist */
	struct pd_rootless_net helper;
	unsigned runs; /* attaches so far */
	/* A restart's connected networks, read again from the store
	 * (`network connect|disconnect` may have run meanwhile); NULL: those
	 * of the config, reserved by the CLI. */
	struct pd_net_conn *conns;
	size_t n_conns;
};
void pd_network_run_init(struct pd_network_run *r);
/* Monitor, after clone and the id maps, before the container goes: the
 * bridge, the veth and the rules (root) or pasta (rootless), and an
 * interface per connected network.  `s`: the store, at a restart (the
 * connected networks are read from it again), else NULL. */
int pd_network_attach(struct pd_network_run *r, struct pd_store *s, const struct pd_config *cfg,
		      const char *dir, pid_t pid, struct pd_err **err);
/* The interface of a connected network (c->iface, addressed c->ip) in
 * the network namespace of `pid`, its bridge and chains, its veth pinned
 * (net/nat.h).  `running`: the container runs already, and the interface
 * comes up only once pinned.  On failure nothing of it is left. */
int pd_network_attach_conn(const char *id, const struct pd_net_conn *c, pid_t pid, bool running,
			   struct pd_err **err);
/* Delete the veth of the container's interface `iface` and its pin;
 * best effort. */
void pd_network_detach_conn(const char *id, const char *iface);
/* Monitor, once the command runs (its /etc/hosts is written): the names
 * of its user-defined network written again into every member's
 * /etc/hosts, its own too (a member that came meanwhile).  Best effort. */
void pd_network_started(struct pd_store *s, const struct pd_config *cfg);
/* Monitor, after each run: the helper and the veth of that run. */
void pd_network_detach(struct pd_network_run *r, const struct pd_config *cfg);
/* Monitor at the end, and rm/prune: the container's nft rules, veths
 * (every interface it had a lease for), ports and, unless `keep_address`
 * (a container that stays: its next start leases the same addresses
 * again), its leases.  Best effort; loads
 * no library for a container that recorded none of them. */
void pd_network_release(struct pd_store *s, const char *id, bool keep_address);

/* The contents of the container's /etc/resolv.conf and /etc/hosts. */
char *pd_network_resolv_conf(const struct pd_config *cfg);
char *pd_network_hosts(const struct pd_config *cfg);

/* "0.0.0.0:18080->80/tcp, ..." for many containers (ps): every port read in one query, then
 * looked up per container id. */
struct pd_ports_table {
	struct pd_store_port_row *rows;
	size_t n;
};
void pd_network_ports_load(struct pd_store *s, struct pd_ports_table *t);
char *pd_network_ports_lookup(const struct pd_ports_table *t, const char *id);
void pd_network_ports_free(struct pd_ports_table *t);
/* inspect's NetworkSettings (a new reference). */
json_t *pd_network_settings_json(struct pd_store *s, const char *id);
