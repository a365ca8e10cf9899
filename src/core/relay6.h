/* Ports published on [::1] (`-p '[::1]:HOST:CONT'`, TCP only): the kernel
 * cannot DNAT from IPv6 loopback (IPv6 has no route_localnet), so the
 * container's monitor listens there itself and relays each connection to
 * the container's IPv6 address, in the monitor's event loop.  Internal to
 * core/ (core/monitor.c). */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Connections relayed at once; more are accepted and closed at once. */
#define PD_RELAY6_CONNS_MAX 64
/* Bytes buffered per direction of one connection. */
#define PD_RELAY6_BUF (64 * 1024)

struct pd_relay6_conn;
struct pd_relay6_listener;

/* One run's relays.  fd is what the monitor polls (an epoll set of the
 * listening and relayed sockets); -1 when the run publishes nothing on
 * [::1]. */
struct pd_relay6 {
	int fd;
	struct pd_relay6_listener *listeners;
	size_t n_listeners;
	struct pd_relay6_conn *conns; /* PD_RELAY6_CONNS_MAX slots */
	size_t n_conns;		      /* open ones */
};

/* Whether the port is published on [::1] (by the monitor's relay, not by
 * nftables). */
bool pd_relay6_port(const struct pd_port *p);
void pd_relay6_init(struct pd_relay6 *r);
/* Monitor, after the network is attached, before GO: listen on [::1] at
 * each such port of cfg's, towards the container's IPv6 address.  A port
 * in use fails the start.  On failure *r holds nothing. */
int pd_relay6_open(struct pd_relay6 *r, const struct pd_config *cfg, struct pd_err **err);
/* Monitor, when r->fd is readable: accept, connect and copy what can be
 * copied without blocking.  Never fails (a broken connection is closed). */
void pd_relay6_serve(struct pd_relay6 *r);
/* Monitor, when the run ends: close every socket. */
void pd_relay6_close(struct pd_relay6 *r);
