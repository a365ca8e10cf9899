/* The [::1] port relay (see relay6.h).  Runs in the container's monitor,
 * in the host's network namespace, with the caller's privileges (root: only
 * a root container on an --ipv6 network publishes on [::1]).
 *
 * Each accepted connection is one slot: the client's socket, a socket
 * connected (without blocking) to the container's IPv6 address and a
 * bounded buffer per direction.  Everything is nonblocking and level
 * triggered: a side is read only while its buffer has room, so a slow
 * peer stalls its own connection, never the monitor.  When one side ends
 * its writing, the other is told once its buffer is written
 * (shutdown SHUT_WR): half-closed connections work as they do directly. */
#include "core/relay6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* One direction: bytes read from `from`, not yet written to the other. */
struct half {
	char *buf;
	size_t off, len;
	bool eof;  /* its reader saw the end */
	bool shut; /* the other side was told (SHUT_WR) */
};

struct pd_relay6_conn {
	int fd[2];	    /* 0: the client's, 1: the container's; -1: a free slot */
	struct half dir[2]; /* dir[k]: read from fd[k], written to fd[!k] */
	bool connecting;
	bool gone[2]; /* the side hung up (nothing can be written to it) */
	unsigned watched[2];
};

struct pd_relay6_listener {
	int fd;
	struct sockaddr_in6 to; /* the container's address and port */
};

/* epoll data: listeners above LISTENER_TAG, connections as slot*2+side. */
#define LISTENER_TAG (1ULL << 40)

bool pd_relay6_port(const struct pd_port *p)
{
	return !strcmp(p->host_ip, "::1");
}

void pd_relay6_init(struct pd_relay6 *r)
{
	*r = (struct pd_relay6){ .fd = -1 };
}

static void conn_close(struct pd_relay6 *r, struct pd_relay6_conn *c)
{
	for (int k = 0; k < 2; k++) {
		if (c->fd[k] >= 0)
			close(c->fd[k]); /* leaves the epoll set with it */
		free(c->dir[k].buf);
	}
	*c = (struct pd_relay6_conn){ .fd = { -1, -1 } };
	r->n_conns--;
}

void pd_relay6_close(struct pd_relay6 *r)
{
	for (size_t i = 0; r->conns && i < PD_RELAY6_CONNS_MAX; i++)
		if (r->conns[i].fd[0] >= 0)
			conn_close(r, &r->conns[i]);
	for (size_t i = 0; i < r->n_listeners; i++)
		if (r->listeners[i].fd >= 0)
			close(r->listeners[i].fd);
	if (r->fd >= 0)
		close(r->fd);
	free(r->listeners);
	free(r->conns);
	pd_relay6_init(r);
}

static int listen_on(const struct pd_port *p, struct pd_err **err)
{
	_cleanup_close_ int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pd_fail(err, errno, "create a socket for [::1]:%u", p->host_port);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(p->host_port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (errno == EADDRINUSE)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "host port [::1]:%u/tcp is already in use",
					    p->host_port);
		return pd_fail(err, errno, "bind [::1]:%u", p->host_port);
	}
	if (listen(fd, 128) < 0)
		return pd_fail(err, errno, "listen on [::1]:%u", p->host_port);
	return take_fd(&fd);
}

int pd_relay6_open(struct pd_relay6 *r, const struct pd_config *cfg, struct pd_err **err)
{
	pd_relay6_init(r);
	size_t n = 0;
	for (size_t i = 0; i < cfg->net.n_ports; i++)
		n += pd_relay6_port(&cfg->net.ports[i]);
	if (!n)
		return 0;
	char ip6[46];
	pd_subnet_ip6(&cfg->net.sub, cfg->net.ip, ip6);
	struct in6_addr to;
	if (!ip6[0] || inet_pton(AF_INET6, ip6, &to) != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "publishing on [::1] needs an IPv6 address (a network made with --ipv6)");
	r->fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->fd < 0) {
		pd_fail(err, errno, "create the relay's event set");
		goto close_all;
	}
	r->listeners = xcalloc(n, sizeof(*r->listeners));
	r->conns = xcalloc(PD_RELAY6_CONNS_MAX, sizeof(*r->conns));
	for (size_t i = 0; i < PD_RELAY6_CONNS_MAX; i++)
		r->conns[i].fd[0] = r->conns[i].fd[1] = -1;
	for (size_t i = 0; i < cfg->net.n_ports; i++) {
		const struct pd_port *p = &cfg->net.ports[i];
		if (!pd_relay6_port(p))
			continue;
		struct pd_relay6_listener *l = &r->listeners[r->n_listeners];
		l->fd = listen_on(p, err);
		if (l->fd < 0)
			goto close_all;
		r->n_listeners++;
		l->to = (struct sockaddr_in6){ .sin6_family = AF_INET6,
					       .sin6_port = htons(p->container_port),
					       .sin6_addr = to };
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTENER_TAG + r->n_listeners - 1 };
		if (epoll_ctl(r->fd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
			pd_fail(err, errno, "watch [::1]:%u", p->host_port);
			goto close_all;
		}
	}
	return 0;
close_all:
	pd_relay6_close(r);
	pd_err_prefix(err, "publish on [::1]");
	return -1;
}

/* Watch each side for what its connection can do next. */
static void conn_watch(struct pd_relay6 *r, struct pd_relay6_conn *c, size_t slot)
{
	for (int k = 0; k < 2; k++) {
		if (c->fd[k] < 0 || c->gone[k])
			continue;
		unsigned ev = 0;
		if (k == 1 && c->connecting) {
			ev = EPOLLOUT;
		} else {
			if (!c->dir[k].eof && c->dir[k].len < PD_RELAY6_BUF)
				ev |= EPOLLIN;
			if (c->dir[!k].len)
				ev |= EPOLLOUT;
		}
		if (ev == c->watched[k])
			continue;
		struct epoll_event e = { .events = ev, .data.u64 = slot * 2 + (unsigned)k };
		epoll_ctl(r->fd, EPOLL_CTL_MOD, c->fd[k], &e);
		c->watched[k] = ev;
	}
}

/* Read what fits from side k: 1 when something was read (or the end),
 * 0 when nothing was, -1 on an error. */
static int fill(struct pd_relay6_conn *c, int k)
{
	struct half *h = &c->dir[k];
	if (h->eof || h->len == PD_RELAY6_BUF)
		return 0;
	if (h->off && h->off + h->len == PD_RELAY6_BUF) {
		memmove(h->buf, h->buf + h->off, h->len);
		h->off = 0;
	}
	ssize_t n = read(c->fd[k], h->buf + h->off + h->len, PD_RELAY6_BUF - h->off - h->len);
	if (n > 0)
		h->len += (size_t)n;
	else if (n == 0)
		h->eof = true;
	else
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return 1;
}

/* Write what side k's buffer holds to the other side: false on an
 * error. */
static bool drain(struct pd_relay6_conn *c, int k)
{
	struct half *h = &c->dir[k];
	if (h->len) {
		ssize_t n = send(c->fd[!k], h->buf + h->off, h->len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		h->off += (size_t)n;
		h->len -= (size_t)n;
		if (!h->len)
			h->off = 0;
	}
	if (h->eof && !h->len && !h->shut) {
		shutdown(c->fd[!k], SHUT_WR);
		h->shut = true;
	}
	return true;
}

/* A side that hung up (EPOLLHUP, reported whether watched or not) leaves
 * the epoll set, or it would be reported again and again while its data
 * waits for the other side.  Its data is all in the kernel by then (a read
 * returns it or the end, never EAGAIN): it is read whenever the other side
 * takes some. */
static void conn_step(struct pd_relay6 *r, size_t slot, int side, unsigned events)
{
	struct pd_relay6_conn *c = &r->conns[slot];
	if (c->fd[0] < 0)
		return;
	if (side == 1 && c->connecting) {
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
			conn_close(r, c);
			return;
		}
		c->connecting = false;
	} else if ((events & (EPOLLHUP | EPOLLERR)) && !c->gone[side]) {
		c->gone[side] = true;
		epoll_ctl(r->fd, EPOLL_CTL_DEL, c->fd[side], NULL);
	}
	/* While the container's side connects, the client's data waits in
	 * its buffer. */
	for (int k = 0; k < 2; k++) {
		for (;;) {
			int got = c->connecting && k == 1 ? 0 : fill(c, k);
			if (got < 0 || (!c->connecting && !drain(c, k))) {
				conn_close(r, c);
				return;
			}
			/* A gone side again until its data waits or ends. */
			if (!got || !c->gone[k] || c->dir[k].eof || c->dir[k].len)
				break;
		}
	}
	/* Done both ways, or all that a gone side sent is delivered (nothing
	 * can be written to it any more). */
	if ((c->dir[0].shut && c->dir[1].shut) || (c->gone[0] && c->dir[0].shut) ||
	    (c->gone[1] && c->dir[1].shut)) {
		conn_close(r, c);
		return;
	}
	conn_watch(r, c, slot);
}

static void accept_one(struct pd_relay6 *r, const struct pd_relay6_listener *l, int fd)
{
	_cleanup_close_ int cfd = fd;
	if (r->n_conns >= PD_RELAY6_CONNS_MAX)
		return; /* over the cap: closed at once */
	size_t slot = 0;
	while (r->conns[slot].fd[0] >= 0)
		slot++;
	_cleanup_close_ int up = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0)
		return;
	bool connecting = false;
	if (connect(up, (const struct sockaddr *)&l->to, sizeof(l->to)) < 0) {
		if (errno != EINPROGRESS)
			return;
		connecting = true;
	}
	struct pd_relay6_conn *c = &r->conns[slot];
	*c = (struct pd_relay6_conn){ .fd = { cfd, up }, .connecting = connecting };
	for (int k = 0; k < 2; k++) {
		c->dir[k].buf = xmalloc(PD_RELAY6_BUF);
		c->watched[k] = k == 1 && connecting ? EPOLLOUT : EPOLLIN;
		struct epoll_event e = { .events = c->watched[k], .data.u64 = slot * 2 + (unsigned)k };
		if (epoll_ctl(r->fd, EPOLL_CTL_ADD, c->fd[k], &e) < 0) {
			free(c->dir[0].buf);
			free(c->dir[1].buf);
			*c = (struct pd_relay6_conn){ .fd = { -1, -1 } };
			return;
		}
	}
	take_fd(&cfd);
	take_fd(&up);
	r->n_conns++;
}

void pd_relay6_serve(struct pd_relay6 *r)
{
	struct epoll_event ev[32];
	int n = epoll_wait(r->fd, ev, 32, 0);
	/* The connections' events first, new connections after: a slot a
	 * connection closed in this batch is taken again only once the batch's
	 * events, which may still name the closed one, are all handled. */
	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 < LISTENER_TAG)
			conn_step(r, ev[i].data.u64 / 2, (int)(ev[i].data.u64 % 2), ev[i].events);
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		if (tag < LISTENER_TAG)
			continue;
		const struct pd_relay6_listener *l = &r->listeners[tag - LISTENER_TAG];
		/* A few at a time: a flood must not starve the rest. */
		for (int k = 0; k < 16; k++) {
			int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				break;
			accept_one(r, l, fd);
		}
	}
}
