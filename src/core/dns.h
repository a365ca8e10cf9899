/* The resolver a container on a user-defined network finds at
 * 127.0.0.11:53 (its /etc/resolv.conf names it): run by the container's
 * monitor, in the monitor's event loop.  It answers the names, aliases and
 * short ids of the containers on the container's networks from the state
 * database, and forwards other names to the upstream servers (--dns, or
 * the host's).  Internal to core/ (core/monitor.c). */
#pragma once
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/store.h"

#define PD_DNS_ADDR "127.0.0.11"
/* Upstream servers tried, in order, at most. */
#define PD_DNS_SERVERS_MAX 3

struct pd_dns_pending;

/* One run's resolver.  fd is what the monitor polls (an epoll set of its
 * sockets and timer); -1 when the container has none. */
struct pd_dns {
	int fd;
	int listen_fd;	    /* UDP 127.0.0.11:53 in the container's network namespace */
	int up4_fd, up6_fd; /* UDP in the host's, to the upstream servers; made on first use */
	int timer_fd;	    /* armed while a forwarded query waits */
	const char *id;	    /* the container's id (the config's) */
	struct sockaddr_storage *servers;
	size_t n_servers;
	struct pd_dns_pending *pending;	       /* PD_DNS_PENDING_MAX slots, allocated on first use */
	uint64_t answered, forwarded, dropped; /* counts, for tests and debugging */
};

/* Whether a container with this config gets a resolver: root, on a
 * user-defined network. */
bool pd_dns_wanted(const struct pd_config *cfg);
void pd_dns_init(struct pd_dns *d);
/* Monitor, after the network is attached, before GO: bind 127.0.0.11:53
 * inside the network namespace of `pid` (a short-lived child enters it; the
 * monitor never does) and read the upstream servers.  Nothing for a config
 * pd_dns_wanted refuses.  On failure *d holds nothing. */
int pd_dns_open(struct pd_dns *d, const struct pd_config *cfg, pid_t pid, struct pd_err **err);
/* Monitor, when d->fd is readable: answer what the sockets hold, relay the
 * upstream answers, and fail what waited too long.  `get_store` gives the
 * state database (opened on demand; NULL: answer SERVFAIL).  Never blocks;
 * never fails (bad packets are dropped or answered FORMERR). */
void pd_dns_serve(struct pd_dns *d, struct pd_store *(*get_store)(void *arg), void *arg);
/* Monitor, when the run ends: close everything (the container's namespace
 * is not held any longer). */
void pd_dns_close(struct pd_dns *d);
