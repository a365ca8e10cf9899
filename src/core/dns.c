/* The containers' resolver (see dns.h).  Runs in the container's monitor,
 * as root (user-defined networks need root), in the host's network
 * namespace; only its listening socket lives in the container's.
 *
 * Why in the monitor: every container already has one, it lives exactly
 * as long as the container runs, and it already has an event loop that
 * sleeps until something happens, so the names cost no daemon and no CPU
 * while nobody asks.  Each container's resolver serves that container
 * alone (127.0.0.11 is in its own loopback), so one container's queries
 * never wait on another's monitor.
 *
 * The socket: a child of the monitor enters the container's network
 * namespace (setns), brings its loopback up, binds 127.0.0.11:53, passes
 * the socket back over a socket pair and exits; a socket keeps the
 * namespace it was made in.  The monitor itself never enters a namespace
 * of the container's.
 *
 * Names: read from the endpoints table per query (one indexed SELECT:
 * cheap next to a lookup's round trip, and never stale).  A name that is
 * a member's name, alias or short id (case ignored) gets the members'
 * addresses (A), or their IPv6 addresses on networks created with --ipv6
 * (AAAA); other types of such a name get an empty NOERROR.
 * Another single-label name gets NXDOMAIN at once (no upstream would know
 * it: systemd-resolved does the same), anything else goes upstream.
 *
 * Forwarding: the query is sent as it came, under a fresh random id, from
 * a socket of the monitor's (so an upstream on the host's loopback, such
 * as 127.0.0.53, is reachable); an answer is taken only from the server
 * it was sent to, with that id and the same question, and relayed with
 * the client's id.  A server that does not answer in UPSTREAM_TIMEOUT_MS
 * is followed by the next; after the last, SERVFAIL.  An --internal
 * network forwards nothing: names there must not be a way out.
 *
 * Untrusted input: the container sends any bytes it likes.  net/dns.c
 * parses them with bounds checks; a query too long, or more forwarded
 * queries than PD_DNS_PENDING_MAX waiting, get SERVFAIL, and each call
 * reads at most BATCH datagrams per socket so that a flood does not stop
 * the monitor's other work (the container's output, its clients). */
#include "core/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/store-dns.h"
#include "linux/ns.h"
#include "linux/sync.h"
#include "net/dns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/xalloc.h"

#define PD_DNS_PENDING_MAX 32
/* A forwarded query kept for retries: larger ones get SERVFAIL. */
#define PENDING_PKT_MAX	    1232
#define UPSTREAM_TIMEOUT_MS 2000
/* Seconds a client may keep an answer: members come and go. */
#define ANSWER_TTL 5
/* Datagrams read per socket per call. */
#define BATCH 64
/* An upstream answer can be this large (EDNS); a larger one is dropped. */
#define UPSTREAM_MAX 4096

struct pd_dns_pending {
	bool used;
	uint16_t up_id;		   /* the id it went upstream under */
	struct sockaddr_in client; /* who asked, in the container */
	struct dns_question q;
	size_t server; /* the index of the server it went to */
	int64_t deadline_ns;
	size_t len;
	uint8_t pkt[PENDING_PKT_MAX];
};

bool pd_dns_wanted(const struct pd_config *cfg)
{
	return cfg->net.mode == PD_NET_BRIDGE && cfg->net.network && !cfg->rootless && geteuid() == 0;
}

void pd_dns_init(struct pd_dns *d)
{
	*d = (struct pd_dns){ .fd = -1, .listen_fd = -1, .up4_fd = -1, .up6_fd = -1, .timer_fd = -1 };
}

void pd_dns_close(struct pd_dns *d)
{
	int *fds[] = { &d->fd, &d->listen_fd, &d->up4_fd, &d->up6_fd, &d->timer_fd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	free(d->servers);
	free(d->pending);
	pd_dns_init(d);
}

/* The child's side of open_in_netns: never returns. */
__attribute__((noreturn)) static void bind_child(int nsfd, int chan)
{
	struct pd_err *e = NULL;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		pd_fail(&e, errno, "enter the container's network namespace");
		sync_die(chan, "dns", e, 1);
	}
	/* The container's init brings it up as well, later: 127.0.0.11 is
	 * an address of the namespace only once loopback is up. */
	if (ns_loopback_up(&e) < 0)
		sync_die(chan, "dns", e, 1);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, PD_DNS_ADDR, &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		pd_fail(&e, errno, "bind %s:53 in the container's network namespace", PD_DNS_ADDR);
		sync_die(chan, "dns", e, 1);
	}
	struct sync_msg ok = { .type = SYNC_READY };
	_exit(sync_send_fd(chan, &ok, fd, &e) < 0 ? 1 : 0);
}

/* A UDP socket bound to 127.0.0.11:53 in the network namespace of `pid`. */
static int open_in_netns(pid_t pid, struct pd_err **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return pd_fail(err, errno, "open '%s'", path);
	int sv[2];
	if (sync_pair(sv, err) < 0)
		return -1;
	_cleanup_close_ int ours = sv[0];
	pid_t child = fork();
	if (child == 0) {
		close(ours);
		bind_child(nsfd, sv[1]);
	}
	close(sv[1]);
	if (child < 0)
		return pd_fail(err, errno, "fork");
	struct sync_msg msg = { 0 };
	int fd = -1;
	int r = sync_recv_fd(ours, &msg, &fd, err);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (r == 0 || msg.type != SYNC_READY || fd < 0) {
		if (fd >= 0)
			close(fd);
		if (r > 0 && msg.type == SYNC_ERROR)
			return pd_fail(err, msg.errnum, "%.*s", (int)sizeof(msg.text), msg.text);
		return pd_fail(err, EPROTO, "the resolver's socket did not come");
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static bool parse_server(const char *text, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(53);
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		return true;
	}
	return false; /* a scoped IPv6 address (fe80::1%eth0) among them */
}

/* --dns, or the host's own servers (loopback ones too: the monitor is in
 * the host's namespace); none on an --internal network. */
static void read_servers(struct pd_dns *d, const struct pd_config *cfg)
{
	char text[PD_DNS_SERVERS_MAX][46];
	size_t n = 0;
	if (cfg->net.internal)
		return;
	if (cfg->net.dns) {
		for (; cfg->net.dns[n] && n < PD_DNS_SERVERS_MAX; n++)
			snprintf(text[n], sizeof(text[n]), "%s", cfg->net.dns[n]);
	} else {
		_cleanup_free_ char *host = pd_read_file("/etc/resolv.conf", NULL, pd_err_ignore(optional));
		n = dns_resolv_servers(host, text, PD_DNS_SERVERS_MAX);
	}
	d->servers = xcalloc(PD_DNS_SERVERS_MAX, sizeof(*d->servers));
	for (size_t i = 0; i < n; i++)
		if (parse_server(text[i], &d->servers[d->n_servers]))
			d->n_servers++;
}

static int watch(struct pd_dns *d, int fd, struct pd_err **err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(d->fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? pd_fail(err, errno, "watch a resolver socket")
							    : 0;
}

int pd_dns_open(struct pd_dns *d, const struct pd_config *cfg, pid_t pid, struct pd_err **err)
{
	pd_dns_init(d);
	if (!pd_dns_wanted(cfg))
		return 0;
	d->id = cfg->id;
	d->fd = epoll_create1(EPOLL_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->fd < 0 || d->timer_fd < 0) {
		pd_fail(err, errno, "create the resolver's event set");
		goto close_all;
	}
	d->listen_fd = open_in_netns(pid, err);
	if (d->listen_fd < 0 || watch(d, d->listen_fd, err) < 0 || watch(d, d->timer_fd, err) < 0)
		goto close_all;
	read_servers(d, cfg);
	return 0;
close_all:
	pd_dns_close(d);
	pd_err_prefix(err, "dns");
	return -1;
}

static void reply(struct pd_dns *d, const struct sockaddr_in *to, const struct dns_question *q,
		  enum dns_rcode rcode, const uint32_t *addrs, size_t n)
{
	uint8_t out[DNS_UDP_MAX];
	size_t len = dns_build_reply(out, sizeof(out), q, rcode, addrs, n, ANSWER_TTL);
	/* Non-blocking: a client that does not read its socket loses the
	 * answer, the monitor never waits for it. */
	if (len &&
	    sendto(d->listen_fd, out, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) >= 0)
		d->answered++;
}

/* An answer of AAAA records: net/dns.c's reply with no answer (header and
 * question), the records appended, its answer count set. */
static void reply6(struct pd_dns *d, const struct sockaddr_in *to, const struct dns_question *q,
		   const uint8_t (*addrs)[16], size_t n)
{
	uint8_t out[DNS_UDP_MAX];
	size_t len = dns_build_reply(out, sizeof(out), q, DNS_NOERROR, NULL, 0, ANSWER_TTL);
	size_t an = 0;
	for (size_t i = 0; len && i < n && sizeof(out) - len >= 28; i++, an++) {
		uint8_t *r = out + len;
		const uint8_t rr[12] = { 0xc0,
					 12,
					 0,
					 DNS_TYPE_AAAA,
					 0,
					 DNS_CLASS_IN,
					 (uint8_t)(ANSWER_TTL >> 24),
					 (uint8_t)(ANSWER_TTL >> 16),
					 (uint8_t)(ANSWER_TTL >> 8),
					 (uint8_t)ANSWER_TTL,
					 0,
					 16 };
		memcpy(r, rr, sizeof(rr));
		memcpy(r + 12, addrs[i], 16);
		len += 28;
	}
	if (!len)
		return;
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	if (sendto(d->listen_fd, out, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) >= 0)
		d->answered++;
}

static bool has_name(const char *names, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = names; *p;) {
		size_t tok = strcspn(p, " ");
		if (tok == len && !strncasecmp(p, name, len))
			return true;
		p += tok;
		p += strspn(p, " ");
	}
	return false;
}

/* 1 with addrs[*n] when `name` is a member's, 0 when not, -1 when the
 * database could not say. */
static int lookup(struct pd_dns *d, struct pd_store *s, const char *name, uint32_t *addrs, size_t max,
		  size_t *n, uint8_t (*addrs6)[16], size_t *n6)
{
	*n = 0;
	*n6 = 0;
	if (!s)
		return -1;
	struct pd_store_dns_member *m = NULL;
	size_t count = 0;
	if (pd_store_dns_members(s, d->id, &m, &count, pd_err_ignore(status)) < 0)
		return -1;
	bool found = false;
	for (size_t i = 0; i < count; i++) {
		struct in_addr a;
		if (!has_name(m[i].names, name))
			continue;
		found = true;
		uint8_t a6[16];
		bool dup6 = false;
		if (inet_pton(AF_INET6, m[i].ip6, a6) == 1) {
			for (size_t j = 0; j < *n6; j++)
				dup6 = dup6 || !memcmp(addrs6[j], a6, 16);
			if (!dup6 && *n6 < max)
				memcpy(addrs6[(*n6)++], a6, 16);
		}
		if (inet_pton(AF_INET, m[i].ip, &a) != 1)
			continue;
		bool dup = false;
		for (size_t j = 0; j < *n; j++)
			dup = dup || addrs[j] == a.s_addr;
		if (!dup && *n < max)
			addrs[(*n)++] = a.s_addr;
	}
	pd_store_dns_members_free(m, count);
	return found;
}

static void arm_timer(struct pd_dns *d)
{
	int64_t next = 0;
	for (size_t i = 0; d->pending && i < PD_DNS_PENDING_MAX; i++)
		if (d->pending[i].used && (!next || d->pending[i].deadline_ns < next))
			next = d->pending[i].deadline_ns;
	struct itimerspec t = { 0 };
	if (next) {
		int64_t left = next - pd_mono_ns();
		if (left < 1000000)
			left = 1000000;
		t.it_value.tv_sec = left / 1000000000;
		t.it_value.tv_nsec = left % 1000000000;
	}
	timerfd_settime(d->timer_fd, 0, &t, NULL);
}

static int upstream_fd(struct pd_dns *d, int family)
{
	int *fd = family == AF_INET ? &d->up4_fd : &d->up6_fd;
	if (*fd >= 0)
		return *fd;
	*fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd >= 0 && watch(d, *fd, pd_err_ignore(status)) < 0) {
		close(*fd);
		*fd = -1;
	}
	return *fd;
}

/* Send p to its server, or the next ones: false when none took it. */
static bool send_upstream(struct pd_dns *d, struct pd_dns_pending *p)
{
	for (; p->server < d->n_servers; p->server++) {
		const struct sockaddr_storage *srv = &d->servers[p->server];
		int fd = upstream_fd(d, srv->ss_family);
		socklen_t len =
		    srv->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (fd >= 0 &&
		    sendto(fd, p->pkt, p->len, MSG_DONTWAIT, (const struct sockaddr *)srv, len) >= 0) {
			p->deadline_ns = pd_mono_ns() + UPSTREAM_TIMEOUT_MS * 1000000LL;
			return true;
		}
	}
	return false;
}

static uint16_t fresh_id(const struct pd_dns *d)
{
	for (;;) {
		uint16_t id = 0;
		if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
			id = (uint16_t)(pd_mono_ns() ^ (int64_t)getpid());
		bool taken = false;
		for (size_t i = 0; i < PD_DNS_PENDING_MAX; i++)
			taken = taken || (d->pending[i].used && d->pending[i].up_id == id);
		if (!taken)
			return id;
	}
}

static void forward(struct pd_dns *d, const uint8_t *pkt, size_t len, const struct sockaddr_in *from,
		    const struct dns_question *q)
{
	if (!d->n_servers || len > PENDING_PKT_MAX) {
		reply(d, from, q, DNS_SERVFAIL, NULL, 0);
		return;
	}
	if (!d->pending)
		d->pending = xcalloc(PD_DNS_PENDING_MAX, sizeof(*d->pending));
	struct pd_dns_pending *p = NULL;
	for (size_t i = 0; i < PD_DNS_PENDING_MAX && !p; i++)
		if (!d->pending[i].used)
			p = &d->pending[i];
	if (!p) {
		reply(d, from, q, DNS_SERVFAIL, NULL, 0);
		return;
	}
	*p = (struct pd_dns_pending){ .up_id = fresh_id(d), .client = *from, .q = *q, .len = len };
	memcpy(p->pkt, pkt, len);
	dns_set_id(p->pkt, p->up_id);
	if (!send_upstream(d, p)) {
		reply(d, from, q, DNS_SERVFAIL, NULL, 0);
		return;
	}
	p->used = true;
	d->forwarded++;
	arm_timer(d);
}

static void handle_query(struct pd_dns *d, const uint8_t *pkt, size_t len, const struct sockaddr_in *from,
			 struct pd_store *(*get_store)(void *arg), void *arg)
{
	struct dns_question q;
	int r = dns_parse_query(pkt, len, &q);
	if (r < 0) {
		d->dropped++;
		return;
	}
	if (r > 0) {
		reply(d, from, &q, (enum dns_rcode)r, NULL, 0);
		return;
	}
	/* Names of members are plain ([a-z0-9_.-]: container names and
	 * aliases); of class IN (or ANY). */
	if (q.plain && q.name[0] && (q.qclass == DNS_CLASS_IN || q.qclass == 255)) {
		uint32_t addrs[32];
		uint8_t addrs6[32][16];
		size_t n = 0, n6 = 0;
		int found = lookup(d, get_store(arg), q.name, addrs, ARRAY_SIZE(addrs), &n, addrs6, &n6);
		if (found < 0) {
			reply(d, from, &q, DNS_SERVFAIL, NULL, 0);
			return;
		}
		if (found > 0 && q.qtype == DNS_TYPE_AAAA) {
			reply6(d, from, &q, (const uint8_t(*)[16])addrs6, n6);
			return;
		}
		if (found > 0) {
			bool a = q.qtype == DNS_TYPE_A || q.qtype == 255;
			reply(d, from, &q, DNS_NOERROR, addrs, a ? n : 0);
			return;
		}
		if (!strchr(q.name, '.')) {
			reply(d, from, &q, DNS_NXDOMAIN, NULL, 0);
			return;
		}
	}
	forward(d, pkt, len, from, &q);
}

static void read_queries(struct pd_dns *d, struct pd_store *(*get_store)(void *arg), void *arg)
{
	for (int i = 0; i < BATCH; i++) {
		uint8_t pkt[PENDING_PKT_MAX + 1];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(d->listen_fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if (flen != sizeof(from) || from.sin_family != AF_INET) {
			d->dropped++;
			continue;
		}
		/* Longer than the buffer (MSG_TRUNC gives the real length): its
		 * header is still there to answer. */
		size_t len = (size_t)n > sizeof(pkt) ? sizeof(pkt) : (size_t)n;
		handle_query(d, pkt, len, &from, get_store, arg);
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
}

static void read_answers(struct pd_dns *d, int fd)
{
	for (int i = 0; fd >= 0 && i < BATCH; i++) {
		uint8_t pkt[UPSTREAM_MAX];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n =
		    recvfrom(fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		struct dns_question q;
		if ((size_t)n > sizeof(pkt) || !d->pending || dns_parse_response(pkt, (size_t)n, &q) < 0)
			continue;
		for (size_t j = 0; j < PD_DNS_PENDING_MAX; j++) {
			struct pd_dns_pending *p = &d->pending[j];
			if (!p->used || p->up_id != q.id || !same_addr(&from, &d->servers[p->server]) ||
			    !dns_same_question(&p->q, &q))
				continue;
			dns_set_id(pkt, p->q.id);
			sendto(d->listen_fd, pkt, (size_t)n, MSG_DONTWAIT,
			       (const struct sockaddr *)&p->client, sizeof(p->client));
			p->used = false;
			break;
		}
	}
}

/* Queries whose server said nothing in time: the next server, or SERVFAIL. */
static void expire(struct pd_dns *d)
{
	uint64_t ticks;
	while (read(d->timer_fd, &ticks, sizeof(ticks)) > 0)
		;
	int64_t now = pd_mono_ns();
	for (size_t i = 0; d->pending && i < PD_DNS_PENDING_MAX; i++) {
		struct pd_dns_pending *p = &d->pending[i];
		if (!p->used || p->deadline_ns > now)
			continue;
		p->server++;
		if (!send_upstream(d, p)) {
			p->used = false;
			reply(d, &p->client, &p->q, DNS_SERVFAIL, NULL, 0);
		}
	}
	arm_timer(d);
}

void pd_dns_serve(struct pd_dns *d, struct pd_store *(*get_store)(void *arg), void *arg)
{
	if (d->fd < 0)
		return;
	/* Level-triggered: whatever is left after a batch keeps d->fd
	 * readable, and the monitor comes back after its other work. */
	read_queries(d, get_store, arg);
	read_answers(d, d->up4_fd);
	read_answers(d, d->up6_fd);
	expire(d);
}
