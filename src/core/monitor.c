/* The monitor.  Runs as a forked child of the CLI, in its own
 * session, with the caller's privileges; it is the parent (and a child
 * subreaper) of the container's init.
 *
 * It owns the container's stdout and stderr (two pipes), appends them to
 * logs/<ID>.log (rotated as --log-opt says) and copies them to the attached
 * clients, if any; it records start, exit code and finish time in the state
 * database; and it removes what the container used (and, with --rm, the
 * record).  The container's init carries PR_SET_PDEATHSIG, so if the
 * monitor is killed the container dies with it and `ps` finds both gone.
 *
 * Its side of a start is a table of named steps, as the container's init's
 * is (start_steps): pipes, the cgroup, the clone; then, while the child (as
 * root) builds its mounts, the child into its group, its id maps, its
 * network, GO, and the state database.  A failing step, or the child's own
 * report (which wins: it names the child's step), reaches the CLI as one
 * frame, and the record as "step 'NAME': message".
 *
 * It never blocks on a client: every send is non-blocking and what a
 * client cannot take yet waits in that client's bounded queue.  The owner
 * (the foreground `run` that started the container) paces the output, as a
 * pipe would: while it has OWNER_HIGH_WATER bytes waiting, the container's
 * output is not read.  Any other client (`attach`) that falls
 * CLIENT_QUEUE_MAX behind is dropped.  The log gets every byte read. */
#include "core/monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/attach.h"
#include "core/container.h"
#include "core/dns.h"
#include "core/events.h"
#include "core/health.h"
#include "core/judge.h"
#include "core/init.h"
#include "core/logs.h"
#include "core/namespaces.h"
#include "core/network.h"
#include "core/relay.h"
#include "core/relay6.h"
#include "core/store.h"
#include "core/volumes.h"
#include "linux/caps.h"
#include "linux/cgroup.h"
#include "linux/idmap.h"
#include "linux/ns.h"
#include "linux/pty.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MAX_CLIENTS 16
/* Stop reading clients while this much input waits for the container. */
#define STDIN_HIGH_WATER 65536
/* Stop reading the container while this much output waits for the owner. */
#define OWNER_HIGH_WATER (256 * 1024)
/* Drop another client that has this much output waiting. */
#define CLIENT_QUEUE_MAX (1024 * 1024)
/* After the exit the owner no longer paces (see supervise): what is left in
 * the pipes, at most 1 MiB each (fs.pipe-max-size), is queued for it.  Past
 * this (a straggler outside the namespace still writing), it is dropped. */
#define OWNER_QUEUE_MAX (4 * 1024 * 1024)

struct client {
	int fd;		       /* -1: a free slot */
	bool owner;	       /* the `run` that started the container: it paces */
	struct attach_out out; /* output it has not taken yet */
};

/* One start of the container: what the steps of start_container hand on
 * to each other.  Descriptors are -1 once closed or handed on. */
struct start {
	int out[2], errp[2], in[2]; /* the container's stdio pipes */
	int sv[2];		    /* the sync channel: [0] ours, [1] the child's */
	struct pd_idmap map;	    /* rootless: the ids its user namespace maps */
	char *upper, *work, *merged, *resolv, *hosts;
	struct init_ctx ctx; /* what the child runs its setup from */
	bool in_group;	     /* born in its cgroup (CLONE_INTO_CGROUP) */
};

/* Why the container did not start: the failed step as the CLI and the
 * record name it ("step 'NAME': message"), and its error. */
struct start_failure {
	char step[sizeof(((struct sync_msg *)NULL)->step)];
	struct pd_err *err;
};

struct monitor {
	struct monitor_args *a;
	struct pd_store *store;
	struct pd_seccomp *seccomp; /* compiled once, loaded by each start */
	struct pd_cgroup *cg;	    /* of the current run */
	struct pd_log_writer *log;
	int listen_fd; /* the attach socket */
	struct client clients[MAX_CLIENTS];
	int out_fd, err_fd;	  /* read ends; with -t out_fd is the pty master */
	int in_fd;		  /* the container's stdin (pipe or pty master); -1 if closed */
	struct relay_queue input; /* client input not yet written to in_fd */
	bool input_eof;		  /* close in_fd once the input is written */
	int sigfd;		  /* SIGCHLD */
	bool draining;		  /* the container exited: its output is drained */
	pid_t pid;
	uint64_t pid_start;
	bool oom;
	struct pd_network_run net; /* veth/rules or the rootless helper */
	struct pd_dns dns;	   /* 127.0.0.11 on a user-defined network (core/dns.c) */
	struct pd_relay6 relay6;   /* ports published on [::1] (core/relay6.c) */
	struct start st;	   /* the start under way (start_container) */

	/* Judge mode (cfg->judge, run --report): the current run's clock,
	 * output count and the limit it was killed for. */
	int64_t t_start, t_exit; /* monotonic ns: the command's execve, its exit */
	int64_t cpu_check_at;	 /* monotonic ns of the next CPU time check; 0: none */
	enum pd_limit_hit hit;
	uint64_t output_bytes;
	struct rusage ru; /* the init's, from wait4 */
	char *report;	  /* the last run's report (when one was asked for) */
};

static void drop_client(struct monitor *m, size_t i)
{
	close(m->clients[i].fd);
	m->clients[i].fd = -1;
	m->clients[i].owner = false;
	attach_out_reset(&m->clients[i].out);
}

/* Output goes to every attached client without waiting for any; one that
 * went away (detached or killed) is dropped and the container keeps
 * running, and so is one that is not the owner and fell too far behind. */
static void send_client(struct monitor *m, enum attach_type t, const void *data, size_t len)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		if (c->fd < 0)
			continue;
		size_t max = !c->owner ? CLIENT_QUEUE_MAX : m->draining ? OWNER_QUEUE_MAX : SIZE_MAX;
		if (attach_out_send(c->fd, &c->out, t, data, len) < 0 || attach_out_pending(&c->out) > max)
			drop_client(m, i);
	}
}

static void flush_client(struct monitor *m, size_t i)
{
	if (attach_out_flush(m->clients[i].fd, &m->clients[i].out) < 0)
		drop_client(m, i);
}

/* The owner has too much output waiting: read no more from the container. */
static bool owner_is_behind(const struct monitor *m)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i].fd >= 0 && m->clients[i].owner &&
		    attach_out_pending(&m->clients[i].out) >= OWNER_HIGH_WATER)
			return true;
	return false;
}

static void add_client(struct monitor *m, int fd, bool owner)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i].fd < 0) {
			m->clients[i] = (struct client){ .fd = fd, .owner = owner };
			return;
		}
	close(fd);
}

static struct attach_started started_msg(const struct monitor *m)
{
	return (struct attach_started){
		.pid = m->pid,
		.pid_start = m->pid_start,
		.tty = m->a->cfg->tty,
		.stdin_open = m->a->cfg->interactive,
	};
}

static void accept_clients(struct monitor *m)
{
	int fd;
	while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct attach_started st = started_msg(m);
		struct attach_out out = { 0 };
		/* A new socket's buffer is empty: this first frame is never queued. */
		if (attach_out_send(fd, &out, ATTACH_STARTED, &st, sizeof(st)) < 0 ||
		    attach_out_pending(&out)) {
			attach_out_reset(&out);
			close(fd);
		} else {
			add_client(m, fd, false);
		}
	}
}

static void close_input(struct monitor *m)
{
	if (m->in_fd >= 0)
		close(m->in_fd);
	m->in_fd = -1;
	relay_queue_reset(&m->input);
}

/* Write what clients typed to the container, without ever blocking: the
 * rest waits for POLLOUT, and clients are not read meanwhile. */
static void flush_input(struct monitor *m)
{
	if (m->in_fd >= 0 && relay_queue_write(m->in_fd, &m->input) < 0)
		close_input(m); /* the container closed its stdin */
	if (m->input_eof && !m->a->cfg->tty && m->in_fd >= 0 && !relay_queue_pending(&m->input))
		close_input(m);
}

static void read_client(struct monitor *m, size_t i)
{
	char buf[ATTACH_MAX_PAYLOAD];
	uint32_t type;
	ssize_t n = attach_recv(m->clients[i].fd, &type, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0 || type == 0) {
		drop_client(m, i);
		return;
	}
	if (type == ATTACH_STDIN && m->in_fd >= 0) {
		relay_queue_push(&m->input, buf, (size_t)n);
		flush_input(m);
	} else if (type == ATTACH_STDIN_EOF) {
		m->input_eof = true;
		flush_input(m);
	} else if (type == ATTACH_RESIZE && n == sizeof(struct attach_resize) && m->a->cfg->tty &&
		   m->in_fd >= 0) {
		struct attach_resize *r = (struct attach_resize *)buf;
		pty_set_size(m->in_fd, r->rows, r->cols);
	}
}

/* The state database: opened once the child has its GO (start_container),
 * closed while idle (go_idle), opened again when needed. */
static struct pd_store *store(struct monitor *m, struct pd_err **err)
{
	if (!m->store)
		m->store = pd_store_open(m->a->root, err);
	return m->store;
}

/* The monitor's side of a start is a table of named steps, as the
 * child's is (core/init.c): prepare_steps once, then start_steps for each
 * run.  A step fails with a struct pd_err; run_steps names the step, and
 * the CLI gets both in one frame (failure_msg). */
struct monitor_step {
	const char *name; /* what a failure reports: "step 'NAME': ..." */
	int (*run)(struct monitor *m, struct pd_err **err);
};

/* Run steps in order until one fails: 0, or -1 with *f naming it. */
static int run_steps(struct monitor *m, const struct monitor_step *steps, size_t n, struct start_failure *f)
{
	for (size_t i = 0; i < n; i++) {
		if (steps[i].run(m, &f->err) >= 0)
			continue;
		snprintf(f->step, sizeof(f->step), "%s", steps[i].name);
		if (!f->err)
			pd_fail(&f->err, 0, "failed");
		return -1;
	}
	return 0;
}

/* Close what the start did not hand on, free what it built for the child
 * (its copy is its own: the clone is a fork). */
static void start_end(struct start *s)
{
	int *fds[] = { s->out, s->errp, s->in, s->sv };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		for (int k = 0; k < 2; k++)
			if (fds[i][k] >= 0)
				close(take_fd(&fds[i][k]));
	free(take_ptr(&s->upper));
	free(take_ptr(&s->work));
	free(take_ptr(&s->merged));
	free(take_ptr(&s->resolv));
	free(take_ptr(&s->hosts));
}

static int step_pipes(struct monitor *m, struct pd_err **err)
{
	struct start *s = &m->st;
	bool want_pipe = m->a->cfg->interactive && !m->a->cfg->tty;
	if (pipe2(s->out, O_CLOEXEC) < 0 || pipe2(s->errp, O_CLOEXEC) < 0 ||
	    sync_pair(s->sv, pd_err_ignore(status)) < 0 || (want_pipe && pipe2(s->in, O_CLOEXEC) < 0))
		return pd_fail(err, errno, "create pipes");
	/* run --stdin: the sealed copy, from its start at each start. */
	if (m->a->stdin_fd >= 0 &&
	    ((s->in[0] = fcntl(m->a->stdin_fd, F_DUPFD_CLOEXEC, 3)) < 0 || lseek(s->in[0], 0, SEEK_SET) < 0))
		return pd_fail(err, errno, "set up the container's stdin");
	return 0;
}

/* What the child's setup runs from.  Only rootless needs the maps (a
 * passwd lookup and /etc/subuid). */
static int step_context(struct monitor *m, struct pd_err **err)
{
	struct start *s = &m->st;
	const struct monitor_args *a = m->a;
	if (a->cfg->rootless)
		idmap_for_caller(&s->map);
	s->upper = xasprintf("%s/upper", a->dir);
	s->work = xasprintf("%s/work", a->dir);
	/* The rootfs is mounted over the container's directory, seen so only
	 * inside the container's mount namespace. */
	s->merged = xstrdup(a->dir);
	s->resolv = pd_network_resolv_conf(a->cfg);
	s->hosts = pd_network_hosts(a->cfg);
	s->ctx = (struct init_ctx){
		.cfg = a->cfg,
		.lowers = a->lowers,
		.upper = s->upper,
		.work = s->work,
		.merged = s->merged,
		.resolv_conf = s->resolv,
		.hosts = s->hosts,
		.userns = a->cfg->rootless,
		.full_idmap = a->cfg->rootless && idmap_has_range(&s->map),
		.seccomp = m->seccomp,
		.stdio = { s->in[0], s->out[1], s->errp[1] },
		.syncfd = s->sv[1],
	};
	return 0;
}

static int step_cgroup(struct monitor *m, struct pd_err **err)
{
	m->cg = pd_cg_create(m->a->cfg->id, &m->a->cfg->limits, m->a->cfg->rootless, err);
	if (!m->cg)
		return -1;
	/* --cpu-time counts the whole group's CPU time: without a group (rootless
	 * on a v1 host) it cannot be enforced, and says so. */
	struct pd_cg_usage u;
	if (m->a->cfg->judge.cpu_time_ms && pd_cg_usage(m->cg, &u, err) < 0) {
		pd_err_prefix(err, "--cpu-time needs the container's cgroup CPU accounting");
		return -1;
	}
	return 0;
}

/* The child, born in its group where the kernel can (CLONE_INTO_CGROUP),
 * runs its own steps (init_main) and never comes back here.  The child's
 * ends of the pipes and of the channel are its own from now on. */
static int step_clone(struct monitor *m, struct pd_err **err)
{
	struct start *s = &m->st;
	int pidfd = -1, cgfd = pd_cg_clone_fd(m->cg);
	pid_t pid = pd_namespaces_clone(&s->ctx, m->a->root, cgfd, &s->in_group, &pidfd, err);
	if (cgfd >= 0)
		close(cgfd);
	if (pid == 0) {
		close(s->sv[0]);
		init_main(&s->ctx);
	}
	if (pid < 0)
		return -1;
	close(pidfd);
	m->pid = pid;
	close(take_fd(&s->sv[1]));
	close(take_fd(&s->out[1]));
	close(take_fd(&s->errp[1]));
	if (s->in[0] >= 0)
		close(take_fd(&s->in[0]));
	m->out_fd = take_fd(&s->out[0]);
	m->err_fd = take_fd(&s->errp[0]);
	m->in_fd = take_fd(&s->in[1]);
	relay_queue_reset(&m->input);
	m->input_eof = false;
	return 0;
}

/* Into the group before GO: the child's cgroup namespace, and everything
 * it forks, start there.  As root the child builds its mounts meanwhile
 * (a v1 cgroup.procs write can take a whole RCU grace period). */
static int step_join_cgroup(struct monitor *m, struct pd_err **err)
{
	return m->st.in_group ? 0 : pd_cg_add_pid(m->cg, m->pid, err);
}

/* Rootless: the maps before the network (a rootless network helper enters
 * the user namespace) and before GO (nothing works in the namespace
 * without them: the child waits for GO before anything). */
static int step_id_maps(struct monitor *m, struct pd_err **err)
{
	return m->st.ctx.userns ? idmap_write(m->pid, &m->st.map, err) : 0;
}

static int step_network(struct monitor *m, struct pd_err **err)
{
	/* A restart: `network connect|disconnect` may have run meanwhile. */
	struct pd_store *s = m->net.runs ? store(m, pd_err_ignore(optional)) : NULL;
	int r = pd_network_attach(&m->net, s, m->a->cfg, m->a->dir, m->pid, err);
	/* The address is claimed in the kernel (or the start fails): other
	 * state roots' starts may choose theirs now. */
	pd_network_claim_unlock(&m->a->claim_lock);
	return r;
}

/* After the network (its loopback is brought up here if the init has
 * not yet), before GO: the command's first lookup finds it. */
static int step_dns(struct monitor *m, struct pd_err **err)
{
	return pd_dns_open(&m->dns, m->a->cfg, m->pid, err);
}

/* Before GO, so that a port in use fails the start; a restart opens the
 * ports again. */
static int step_relay6(struct monitor *m, struct pd_err **err)
{
	return pd_relay6_open(&m->relay6, m->a->cfg, err);
}

static int step_go(struct monitor *m, struct pd_err **err)
{
	struct sync_msg go = { .type = SYNC_GO };
	return sync_send(m->st.sv[0], &go, err);
}

/* The state database is opened while the child finishes its setup. */
static int step_store(struct monitor *m, struct pd_err **err)
{
	return store(m, err) ? 0 : -1;
}

/* In this order (see each step).  The names are what the CLI prints and
 * the record keeps; every step from the clone on reports as "start" (the
 * child names its own). */
static const struct monitor_step start_steps[] = {
	{ "monitor", step_pipes }, { "start", step_context },	  { "cgroup", step_cgroup },
	{ "start", step_clone },   { "start", step_join_cgroup }, { "start", step_id_maps },
	{ "start", step_network }, { "start", step_dns },	  { "start", step_relay6 },
	{ "start", step_go },	   { "start", step_store },
};

/* Read the child's reports until EOF (the command runs: 0), its failure
 * (1, *child filled) or a broken channel (-1 with *err).  With -t the
 * first report carries the pty master: output is read from it, input
 * written to it. */
static int await_exec(struct monitor *m, struct start_failure *child, struct pd_err **err)
{
	bool retried = false;
	for (;;) {
		struct sync_msg msg;
		int fd = -1;
		int r = sync_recv_fd(m->st.sv[0], &msg, &fd, err);
		/* A child that died with our GO unread resets the channel; the
		 * error is reported once, then its own report can be read. */
		if (r < 0 && !retried && *err && (*err)->errnum == ECONNRESET) {
			pd_err_free(take_ptr(err));
			retried = true;
			continue;
		}
		if (r <= 0)
			return r;
		if (msg.type != SYNC_PTY) {
			snprintf(child->step, sizeof(child->step), "%.*s", (int)sizeof(msg.step), msg.step);
			pd_fail_kind(&child->err, (enum pd_err_kind)msg.kind, msg.errnum, "%.*s",
				     (int)sizeof(msg.text), msg.text);
			return 1;
		}
		if (fd < 0)
			return pd_fail(err, EPROTO, "no terminal came with the pty report");
		close(m->out_fd);
		m->out_fd = fd;
		m->in_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	}
}

/* Clone the container and run the monitor's side of its setup, then wait
 * for the child's side: 0 once the command runs, -1 with *f filled. */
static int start_container(struct monitor *m, struct start_failure *f)
{
	struct start *s = &m->st;
	*s = (struct start){ .out = { -1, -1 }, .errp = { -1, -1 }, .in = { -1, -1 }, .sv = { -1, -1 } };
	m->pid = 0;
	struct start_failure ours = { 0 };
	int r = run_steps(m, start_steps, ARRAY_SIZE(start_steps), &ours);
	if (m->pid > 0) {
		/* A child that failed before GO has left its report in the
		 * channel: it names the step, so it wins over ours. */
		if (r < 0)
			kill(m->pid, SIGKILL);
		struct pd_err *broken = NULL;
		int got = await_exec(m, f, &broken);
		if (got == 0 && r == 0) {
			start_end(s);
			pd_network_started(m->store, m->a->cfg);
			fcntl(m->in_fd, F_SETFL, O_NONBLOCK);
			return 0; /* EOF: execve happened */
		}
		if (got > 0) {
			pd_err_free(broken);
			pd_err_free(ours.err);
			start_end(s);
			return -1;
		}
		if (r == 0) {
			snprintf(ours.step, sizeof(ours.step), "start");
			ours.err = take_ptr(&broken);
			if (!ours.err)
				pd_fail(&ours.err, 0, "failed");
		}
		pd_err_free(broken);
	}
	start_end(s);
	*f = ours;
	return -1;
}

/* The frame that tells the CLI why the container did not start (it
 * prints "step 'STEP': message"; the kind picks 125/126/127). */
static struct sync_msg failure_msg(const struct start_failure *f)
{
	struct sync_msg msg = { .type = SYNC_ERROR };
	if (f->err) {
		msg.errnum = f->err->errnum;
		msg.kind = f->err->kind;
		snprintf(msg.text, sizeof(msg.text), "%s", f->err->msg);
	}
	snprintf(msg.step, sizeof(msg.step), "%s", f->step);
	return msg;
}

/* The monitor kills the container for a limit: the init is the first
 * process of its PID namespace, so everything in it dies with it.  Only
 * while the init is not reaped (its pid cannot be another's yet). */
static void judge_kill(struct monitor *m, enum pd_limit_hit why)
{
	if (m->hit != PD_HIT_NONE || m->draining || m->pid <= 0)
		return;
	m->hit = why;
	kill(m->pid, SIGKILL);
	/* A paused container (v1: frozen tasks act on no signal) is thawed
	 * so that the kill takes effect now. */
	bool frozen = false;
	if (m->cg && pd_cg_is_frozen(m->cg, &frozen, pd_err_ignore(optional)) == 0 && frozen)
		pd_cg_freeze(m->cg, false, pd_err_ignore(optional));
}

/* --output-limit: count what was read, and keep only what fits (what
 * comes past it, also after the kill, is dropped).  The bytes to keep. */
static size_t judge_count_output(struct monitor *m, size_t n)
{
	uint64_t limit = m->a->cfg->judge.output_limit, before = m->output_bytes;
	m->output_bytes += n;
	if (!limit || m->output_bytes <= limit)
		return n;
	judge_kill(m, PD_HIT_OUTPUT);
	return before < limit ? (size_t)(limit - before) : 0;
}

/* CPU time can grow by at most the number of CPUs per unit of wall time:
 * the next check is when the rest of the budget could be spent at the
 * earliest, and at least 10 ms away (so a check costs nothing). */
#define CPU_CHECK_MIN_NS 10000000LL

static void judge_schedule_cpu(struct monitor *m, uint64_t used_ns)
{
	uint64_t limit = m->a->cfg->judge.cpu_time_ms * 1000000ULL;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t in = used_ns < limit ? (int64_t)((limit - used_ns) / (uint64_t)(n > 0 ? n : 1)) : 0;
	m->cpu_check_at = pd_mono_ns() + (in > CPU_CHECK_MIN_NS ? in : CPU_CHECK_MIN_NS);
}

/* Milliseconds until the next limit check is due (0: now), -1 when none. */
static int judge_wait_ms(const struct monitor *m)
{
	const struct pd_judge *j = &m->a->cfg->judge;
	if (m->hit != PD_HIT_NONE || (!j->timeout_ms && !m->cpu_check_at))
		return -1;
	int64_t due = INT64_MAX;
	if (j->timeout_ms)
		due = m->t_start + (int64_t)j->timeout_ms * 1000000;
	if (m->cpu_check_at && m->cpu_check_at < due)
		due = m->cpu_check_at;
	int64_t left = due - pd_mono_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* The limit checks that are due: the wall clock, the group's CPU time. */
static void judge_check(struct monitor *m)
{
	const struct pd_judge *j = &m->a->cfg->judge;
	int64_t now = pd_mono_ns();
	if (j->timeout_ms && now >= m->t_start + (int64_t)j->timeout_ms * 1000000)
		judge_kill(m, PD_HIT_TIMEOUT);
	if (m->hit != PD_HIT_NONE || !m->cpu_check_at || now < m->cpu_check_at)
		return;
	struct pd_cg_usage u;
	if (pd_cg_usage(m->cg, &u, pd_err_ignore(status)) < 0) {
		m->cpu_check_at = 0; /* checked readable at the start: the group is gone */
		return;
	}
	if (u.cpu_ns >= j->cpu_time_ms * 1000000ULL)
		judge_kill(m, PD_HIT_CPU_TIME);
	else
		judge_schedule_cpu(m, u.cpu_ns);
}

static void pump(struct monitor *m, int *fd, int stream)
{
	char buf[ATTACH_MAX_PAYLOAD];
	ssize_t n = relay_read(*fd, buf, sizeof(buf));
	if (n < 0)
		return;
	if (n == 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	n = judge_count_output(m, (size_t)n);
	if (n == 0)
		return;
	if (m->log)
		pd_log_write(m->log, stream, buf, (size_t)n);
	send_client(m, stream == 1 ? ATTACH_STDOUT : ATTACH_STDERR, buf, (size_t)n);
}

/* A container that outlives its start may run for months: give back what
 * starting it took.  The CLI's heap came with the fork, SQLite's cache and
 * the code of everything that ran once (SQLite, libseccomp, the start path)
 * stay mapped although the loop below uses none of it.  Not on the path of
 * a short run: that would only cost it time. */
#define IDLE_AFTER_MS 500

/* The resolver's state database: opened when a query needs it. */
static struct pd_store *dns_store(void *arg)
{
	return store(arg, pd_err_ignore(optional));
}

static void go_idle(struct monitor *m)
{
	pd_store_close(m->store); /* reopened when needed: store() */
	m->store = NULL;
	pd_proc_release_memory();
}

/* Copy output to the log and clients, and clients' input to the
 * container, until it exits and its output is drained; returns its wait
 * status. */
static int supervise(struct monitor *m)
{
	int status = 0;
	bool exited = false, idle = false;
	int oomfd = pd_cg_oom_fd(m->cg);
	enum { P_OUT, P_ERR, P_SIG, P_OOM, P_LISTEN, P_IN, P_DNS, P_RELAY6, P_CLIENTS };
	while (!exited || m->out_fd >= 0 || m->err_fd >= 0) {
		/* While the owner is behind, the output stays in the pipes and
		 * the container waits on them, as it would on a slow reader.  Not
		 * once it has exited: what is left in the pipes (bounded by their
		 * size) goes to the log and the queue, and the exit is recorded
		 * without waiting for the owner. */
		m->draining = exited;
		bool paced = !exited && owner_is_behind(m);
		struct pollfd p[P_CLIENTS + MAX_CLIENTS] = {
			[P_OUT] = { paced ? -1 : m->out_fd, POLLIN, 0 },
			[P_ERR] = { paced ? -1 : m->err_fd, POLLIN, 0 },
			[P_SIG] = { exited ? -1 : m->sigfd, POLLIN, 0 },
			[P_OOM] = { exited ? -1 : oomfd, POLLIN, 0 },
			[P_LISTEN] = { m->listen_fd, POLLIN, 0 },
			[P_IN] = { relay_queue_pending(&m->input) ? m->in_fd : -1, POLLOUT, 0 },
			[P_DNS] = { exited ? -1 : m->dns.fd, POLLIN, 0 },
			[P_RELAY6] = { exited ? -1 : m->relay6.fd, POLLIN, 0 },
		};
		bool read_clients = relay_queue_pending(&m->input) < STDIN_HIGH_WATER;
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			short ev = (read_clients ? POLLIN : 0) |
				   (attach_out_pending(&m->clients[i].out) ? POLLOUT : 0);
			p[P_CLIENTS + i] = (struct pollfd){ m->clients[i].fd, ev, 0 };
		}
		/* After the exit, the pipes close as soon as the last process of
		 * the namespace is gone; don't wait forever for a straggler (but
		 * do for an owner that is still taking the output). */
		int idle_ms = exited && !paced ? 2000 : idle ? -1 : IDLE_AFTER_MS;
		int limit_ms = exited ? -1 : judge_wait_ms(m);
		bool for_limit = limit_ms >= 0 && (idle_ms < 0 || limit_ms < idle_ms);
		int ready = poll(p, ARRAY_SIZE(p), for_limit ? limit_ms : idle_ms);
		if (ready == 0 && for_limit) {
			judge_check(m);
			continue;
		}
		if (ready == 0 && exited && !paced)
			break;
		if (ready == 0) {
			go_idle(m);
			idle = true;
			continue;
		}
		if (p[P_OOM].revents && pd_cg_oom_killed(m->cg))
			m->oom = true;
		if (p[P_OUT].revents)
			pump(m, &m->out_fd, 1);
		if (p[P_ERR].revents)
			pump(m, &m->err_fd, 2);
		if (p[P_LISTEN].revents)
			accept_clients(m);
		if (p[P_IN].revents)
			flush_input(m);
		if (p[P_DNS].revents) {
			pd_dns_serve(&m->dns, dns_store, m);
			idle = false; /* the store it opened closes again when idle */
		}
		if (p[P_RELAY6].revents)
			pd_relay6_serve(&m->relay6);
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			short rev = p[P_CLIENTS + i].revents;
			if (m->clients[i].fd >= 0 && (rev & (POLLOUT | POLLERR)))
				flush_client(m, i);
			if (m->clients[i].fd >= 0 && (rev & (POLLIN | POLLHUP | POLLERR)))
				read_client(m, i);
		}
		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;
			while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
				;
			int st;
			pid_t r;
			struct rusage ru;
			while ((r = wait4(-1, &st, WNOHANG, &ru)) > 0)
				if (r == m->pid) {
					status = st;
					exited = true;
					m->t_exit = pd_mono_ns();
					m->ru = ru;
				}
		}
		/* After the exit is reaped: a command that ended before its
		 * deadline is never judged by it. */
		if (limit_ms >= 0 && !exited)
			judge_check(m);
	}
	close_input(m);
	m->draining = false;
	return status;
}

/* What clients still have waiting (the end of the output, the exit
 * status), once everything else is done: the owner gets it all for as long
 * as it is there; another client is dropped after DELIVER_STALL_MS without
 * taking anything.  Runs in a child of its own (see monitor_main). */
#define DELIVER_STALL_MS 5000

__attribute__((noreturn)) static void deliver_rest(struct monitor *m)
{
	int64_t stall_end = pd_mono_ns() + DELIVER_STALL_MS * 1000000LL;
	for (;;) {
		struct pollfd p[MAX_CLIENTS];
		bool any = false, others = false;
		int64_t left_ms = (stall_end - pd_mono_ns()) / 1000000;
		for (size_t i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &m->clients[i];
			if (c->fd >= 0 && !c->owner && attach_out_pending(&c->out) && left_ms <= 0)
				drop_client(m, i);
			bool waits = c->fd >= 0 && attach_out_pending(&c->out);
			p[i] = (struct pollfd){ waits ? c->fd : -1, POLLOUT, 0 };
			any |= waits;
			others |= waits && !c->owner;
		}
		if (!any)
			_exit(0);
		int ready = poll(p, MAX_CLIENTS, others ? (int)(left_ms > 0 ? left_ms : 0) : -1);
		if (ready < 0 && errno != EINTR)
			_exit(0);
		for (size_t i = 0; ready > 0 && i < MAX_CLIENTS; i++) {
			if (!p[i].revents)
				continue;
			size_t before = attach_out_pending(&m->clients[i].out);
			flush_client(m, i);
			if (m->clients[i].fd >= 0 && attach_out_pending(&m->clients[i].out) < before)
				stall_end = pd_mono_ns() + DELIVER_STALL_MS * 1000000LL;
		}
	}
}

static void detach_from_cli(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
}

/* Descriptors the CLI inherited from whoever ran it (a shell's extra
 * pipe, a test harness's): the runtime opens all of its own with
 * O_CLOEXEC, so one without it is not ours.  Kept open, a pipe's reader
 * would wait for its EOF as long as the container runs. */
static void close_inherited(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		int flags = fd > 2 && fd != dirfd(d) ? fcntl(fd, F_GETFD) : -1;
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			close(fd);
	}
}

/* The exit is the one thing the record must get.  A write that fails (the
 * database busy past its timeout, a disk being freed) is tried again for
 * a few seconds, with the store reopened; after that no one is left to
 * tell, and `ps` finds a dead monitor and records the container killed. */
static void record_exit(struct monitor *m, int exit_code, const char *error)
{
	for (unsigned i = 0, wait_ms = 100; i < 5; i++, wait_ms *= 2) {
		if (store(m, pd_err_ignore(unreportable)) &&
		    pd_store_set_exited(m->store, m->a->cfg->id, exit_code, m->oom, pd_now_ns(), error,
					pd_err_ignore(unreportable)) == 0)
			return;
		pd_store_close(take_ptr(&m->store));
		nanosleep(
		    &(struct timespec){ .tv_sec = wait_ms / 1000, .tv_nsec = (wait_ms % 1000) * 1000000L },
		    NULL);
	}
}

static bool stop_requested(struct monitor *m)
{
	struct pd_record r;
	if (!store(m, pd_err_ignore(status)) ||
	    pd_store_find(m->store, m->a->cfg->id, &r, pd_err_ignore(status)) < 0)
		return true;
	bool stop = r.stop_requested;
	pd_record_free(&r);
	return stop;
}

/* The restart policy the record holds now: `update --restart` changes it
 * while the container runs.  The monitor's own copy when the record
 * cannot be read. */
static void current_restart_policy(struct monitor *m, enum pd_restart *policy, unsigned *max)
{
	struct pd_record r;
	if (!store(m, pd_err_ignore(status)) ||
	    pd_store_find(m->store, m->a->cfg->id, &r, pd_err_ignore(status)) < 0)
		return;
	struct pd_config c;
	if (r.config && pd_config_decode(r.config, &c, pd_err_ignore(status)) == 0) {
		*policy = c.restart;
		*max = c.restart_max;
	}
	if (r.config)
		pd_config_free(&c);
	pd_record_free(&r);
}

static bool should_restart(struct monitor *m, int exit_code, unsigned restarts)
{
	enum pd_restart policy = m->a->cfg->restart;
	unsigned max = m->a->cfg->restart_max;
	current_restart_policy(m, &policy, &max);
	switch (policy) {
	case PD_RESTART_NO: return false;
	case PD_RESTART_ON_FAILURE:
		if (exit_code == 0 || (max && restarts >= max))
			return false;
		break;
	default: break;
	}
	return !stop_requested(m);
}

/* Sleep the back-off, waking early to end it if `stop` asks. */
static bool backoff_sleep(struct monitor *m, uint64_t ms)
{
	int64_t end = pd_mono_ns() + (int64_t)ms * 1000000;
	while (pd_mono_ns() < end) {
		poll(NULL, 0, 50);
		if (stop_requested(m))
			return false;
	}
	return true;
}

static pid_t spawn_health(struct monitor *m)
{
	if (!m->a->cfg->health.test)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		pd_dns_close(&m->dns); /* its sockets are the monitor's alone */
		pd_relay6_close(&m->relay6);
		health_main(m->a->root, m->a->cfg->id, &m->a->cfg->health, m->seccomp);
	}
	return pid;
}

static void end_health(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Whether the kernel OOM-killed in the group: before the exit is recorded. */
static void check_oom(struct monitor *m)
{
	if (m->cg && pd_cg_oom_killed(m->cg))
		m->oom = true;
}

/* Remove the group of the last run (killing what is left in it). */
static void finish_cgroup(struct monitor *m)
{
	if (!m->cg)
		return;
	check_oom(m);
	pd_cg_destroy(m->cg, pd_err_ignore(unreportable));
	m->cg = NULL;
}

/* The command runs: its clock starts, its counts are reset. */
static void judge_begin(struct monitor *m)
{
	m->t_start = m->t_exit = pd_mono_ns();
	m->hit = PD_HIT_NONE;
	m->output_bytes = 0;
	m->cpu_check_at = 0;
	m->ru = (struct rusage){ 0 };
	if (m->a->cfg->judge.cpu_time_ms)
		judge_schedule_cpu(m, 0);
}

static bool wants_report(const struct monitor *m)
{
	return m->a->report_fd >= 0 || m->a->report_to_owner;
}

/* The run ended: its report, from the group's accounting before the group
 * goes.  (A start that failed is reported by the CLI, which heard why.) */
static void judge_report(struct monitor *m, int status)
{
	if (!wants_report(m))
		return;
	struct pd_run_facts f = {
		.id = m->a->cfg->id,
		.started = true,
		.wait_status = status,
		.hit = m->hit,
		.oom = m->oom,
		.wall_ns = (uint64_t)(m->t_exit - m->t_start),
		.ru = m->ru,
		.output_bytes = m->output_bytes,
	};
	f.has_usage = m->cg && pd_cg_usage(m->cg, &f.usage, pd_err_ignore(optional)) == 0;
	free(m->report);
	m->report = pd_judge_report(&f, &m->a->cfg->judge);
}

/* One run of the container: 0 with *exit_code once it ended, -1 when it
 * could not start (*failure filled). */
static int run_once(struct monitor *m, unsigned restarts, bool first, int *exit_code,
		    struct start_failure *failure)
{
	const char *id = m->a->cfg->id;
	finish_cgroup(m); /* a restart: the group of the run before */
	m->oom = false;
	/* A restart mounts the upper layer again: under the container's lock,
	 * which `cp` holds while it works in the container's files (a copy
	 * into the run that just ended must not share the upper layer with
	 * this one).  The first start's CLI took it to claim the record. */
	int lock = first ? -1 : pd_container_lock(m->a->root, id, pd_err_ignore(optional));
	int started = start_container(m, failure);
	if (lock >= 0)
		close(lock);
	if (started < 0) {
		if (m->pid > 0)
			waitpid(m->pid, NULL, 0);
		finish_cgroup(m);
		pd_dns_close(&m->dns);
		pd_relay6_close(&m->relay6);
		pd_network_detach(&m->net, m->a->cfg);
		return -1;
	}
	m->pid_start = pd_proc_start_time(m->pid);
	judge_begin(m);
	struct attach_started st = started_msg(m);
	if (m->store) {
		pd_store_set_running(m->store, id, m->pid, st.pid_start, getpid(),
				     pd_proc_start_time(getpid()), pd_now_ns(), pd_err_ignore(unreportable));
		pd_store_set_restart(m->store, id, (int)restarts, pd_err_ignore(unreportable));
	}
	if (first)
		send_client(m, ATTACH_STARTED, &st, sizeof(st));
	pid_t health = spawn_health(m);
	int status = supervise(m);
	end_health(health);
	/* The group itself is removed later: before a restart, or once the
	 * client has heard the exit (nothing can run in it any more: the
	 * namespace's init is gone, and with it every process). */
	check_oom(m);
	judge_report(m, status);
	pd_dns_close(&m->dns);
	pd_relay6_close(&m->relay6);
	pd_network_detach(&m->net, m->a->cfg);
	*exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return 0;
}

/* Before the first start.  SIGCHLD comes through a signalfd, polled with
 * everything else (supervise). */
static int step_signals(struct monitor *m, struct pd_err **err)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	m->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->sigfd < 0 ? pd_fail(err, errno, "create a signalfd") : 0;
}

/* Without its socket the container still runs; only `attach` cannot
 * reach it (and says so), so a failure here is not the start's. */
static int step_attach_socket(struct monitor *m, struct pd_err **err)
{
	m->listen_fd = attach_listen(m->a->dir, pd_err_ignore(optional));
	return 0;
}

static int step_log(struct monitor *m, struct pd_err **err)
{
	_cleanup_free_ char *path = pd_log_path(m->a->root, m->a->cfg->id);
	m->log = pd_log_open(path, m->a->cfg->log_max_size, m->a->cfg->log_max_file, pd_err_ignore(status));
	return m->log ? 0 : pd_fail(err, 0, "open log '%s'", path);
}

/* The default profile is compiled once per host and capability set and
 * cached in the keyring of the runtime's user (linux/seccomp.c); a profile
 * is compiled here from the text `run` read. */
static int step_seccomp(struct monitor *m, struct pd_err **err)
{
	const struct pd_config *c = m->a->cfg;
	if (c->privileged && !c->seccomp)
		return 0; /* --privileged: no filter unless one was asked for */
	if (c->seccomp && !strcmp(c->seccomp, "unconfined"))
		return 0;
	if (c->seccomp && !c->seccomp_json)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "seccomp profile '%s' was not read", c->seccomp);
	_cleanup_free_ char *cache = xasprintf("%s/cache", m->a->root);
	m->seccomp = c->seccomp ? pd_seccomp_from_json(c->seccomp, c->seccomp_json, c->caps, err)
				: pd_seccomp_default_cached(cache, c->caps, err);
	return m->seccomp ? 0 : -1;
}

/* The state database is not among them: it is opened once the child has
 * its GO, while it finishes its setup (start_steps), off the start's path. */
static const struct monitor_step prepare_steps[] = {
	{ "monitor", step_signals },
	{ "monitor", step_attach_socket },
	{ "monitor", step_log },
	{ "seccomp", step_seccomp },
};

void monitor_main(struct monitor_args *a)
{
	struct monitor m = { .a = a, .listen_fd = -1, .out_fd = -1, .err_fd = -1, .in_fd = -1, .sigfd = -1 };
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		m.clients[i].fd = -1;
	/* The owner.  For a detached run the CLI closes its end once it has
	 * heard STARTED (and this process holds no copy of it: see
	 * spawn_monitor), so the first send after that drops it. */
	fcntl(a->client_fd, F_SETFL, O_NONBLOCK);
	add_client(&m, a->client_fd, true);
	pd_network_run_init(&m.net);
	pd_dns_init(&m.dns);
	pd_relay6_init(&m.relay6);
	/* A write to a stdin pipe the container closed must not kill us; the
	 * container's own processes get SIGPIPE back (init resets it). */
	signal(SIGPIPE, SIG_IGN);
	const char *id = a->cfg->id;
	/* The monitor must not hold the CLI's terminal or pipes open: a
	 * `$(pocket-docker run -d ...)` would never see EOF. */
	detach_from_cli();
	close_inherited();
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	struct start_failure failure = { 0 };
	int exit_code = 0;
	char *error = NULL;
	unsigned restarts = 0;
	uint64_t backoff_ms = 100;
	bool started = false;
	if (run_steps(&m, prepare_steps, ARRAY_SIZE(prepare_steps), &failure) == 0) {
		for (;;) {
			int64_t t0 = pd_mono_ns();
			if (run_once(&m, restarts, !started, &exit_code, &failure) < 0)
				break;
			started = true;
			if (!should_restart(&m, exit_code, restarts))
				break;
			/* Restart with a growing back-off, reset after a run that
			 * lasted: a crash loop cannot spin the host. */
			if (pd_mono_ns() - t0 > 10LL * 1000000000)
				backoff_ms = 100;
			restarts++;
			if (store(&m, pd_err_ignore(unreportable)))
				pd_store_set_restarting(m.store, id, exit_code, m.oom, pd_now_ns(),
							(int)restarts, pd_err_ignore(unreportable));
			if (!backoff_sleep(&m, backoff_ms))
				break;
			backoff_ms = backoff_ms * 2 > 10000 ? 10000 : backoff_ms * 2;
		}
	}
	/* Why the first start failed, built once for the CLI and the record. */
	struct sync_msg fail_msg = failure_msg(&failure);
	if (!started) {
		exit_code = pd_err_exec_status((enum pd_err_kind)fail_msg.kind);
		error = xasprintf("step '%s': %s", fail_msg.step, fail_msg.text);
	}
	if (!a->cfg->remove)
		record_exit(&m, exit_code, error);
	/* A container that stays (no --rm) keeps its address for its next
	 * start; its ports, veth and rules go now. */
	pd_network_release(m.store, id, !a->cfg->remove);
	/* With --rm everything is gone from sight before the client hears the
	 * exit (the record, the log, the name, the directory out of
	 * containers/), so whoever ran the container finds nothing left.  The
	 * directory's deletion comes after: on a disk each inode and block it
	 * frees costs (with online discard, a synchronous trim each). */
	_cleanup_free_ char *trash = NULL;
	if (a->cfg->remove) {
		trash = pd_container_hide_dir(a->root, a->dir, a->cfg->rootless);
		pd_log_remove(a->root, id);
		/* Opened here if the start failed before its store step (a
		 * child that died before GO): the record must go all the same,
		 * its end recorded first. */
		if (store(&m, pd_err_ignore(unreportable))) {
			pd_event_container_exit(m.store, id, exit_code, m.oom);
			pd_store_delete(m.store, id, pd_err_ignore(unreportable));
		}
	}
	int32_t code = exit_code;
	if (started && m.report && a->report_fd >= 0) {
		_cleanup_free_ char *line = xasprintf("%s\n", m.report);
		pd_write_all(a->report_fd, line, strlen(line));
	}
	if (started && m.report && a->report_to_owner)
		send_client(&m, ATTACH_REPORT, m.report, strlen(m.report));
	if (started)
		send_client(&m, ATTACH_EXIT, &code, sizeof(code));
	else
		send_client(&m, ATTACH_ERROR, &fail_msg, sizeof(fail_msg));
	if (trash)
		pd_container_remove_dir(trash, a->cfg->rootless, pd_err_ignore(unreportable));
	if (a->cfg->remove && pd_volumes_has_anonymous(a->cfg))
		pd_volumes_remove_anonymous(a->root, id, pd_err_ignore(unreportable));
	finish_cgroup(&m);
	pd_store_checkpoint_idle(m.store);
	pd_store_close(take_ptr(&m.store));
	pd_log_close(take_ptr(&m.log));
	close(m.listen_fd);
	free(error);
	free(m.report);
	pd_err_free(failure.err);
	relay_queue_reset(&m.input);
	pd_seccomp_free(m.seccomp);
	/* A client that has not taken everything yet (a stopped or slow
	 * `run`) gets the rest from a child: the monitor itself ends now, so
	 * `stop`, `rm -f` and `wait`, which wait for it, never wait for a
	 * client. */
	bool pending = false;
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		if (m.clients[i].fd >= 0)
			flush_client(&m, i);
		pending |= m.clients[i].fd >= 0 && attach_out_pending(&m.clients[i].out);
	}
	if (pending && fork() == 0)
		deliver_rest(&m);
	_exit(0);
}
