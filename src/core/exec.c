/* `exec` (see exec.h).  Runs in the CLI with the caller's privileges.
 *
 * Process model: the CLI forks a helper that makes itself non-dumpable and
 * joins all of the container's namespaces at once (setns on a pidfd, which
 * also enters the user namespace of a rootless container first), then forks
 * the command's process, which is the first to live inside the container's
 * PID namespace; it runs the same process steps as the container's init
 * (user, capabilities, working directory, no_new_privs) and execs.  The
 * helper waits for it and exits with its status, forwarding signals.
 *
 * Non-dumpable before setns: while the runtime's own image runs inside the
 * container, no container process may ptrace it or open its /proc/PID/exe
 * (the host binary: the CVE-2019-5736 class). */
#include "core/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/container.h"
#include "core/init.h"
#include "core/query.h"
#include "core/relay.h"
#include "core/store.h"
#include "linux/caps.h"
#include "linux/execstub.h"
#include "linux/cgroup.h"
#include "linux/pty.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

static volatile pid_t exec_child;

static void forward(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

static void copy_process_limits(const struct pd_config *from, struct pd_config *c)
{
	if (from->n_rlimits) {
		c->rlimits = xmalloc(from->n_rlimits * sizeof(*from->rlimits));
		memcpy(c->rlimits, from->rlimits, from->n_rlimits * sizeof(*from->rlimits));
		c->n_rlimits = from->n_rlimits;
	}
	if (from->n_groups) {
		c->groups = xmalloc(from->n_groups * sizeof(*from->groups));
		memcpy(c->groups, from->groups, from->n_groups * sizeof(*from->groups));
		c->n_groups = from->n_groups;
	}
}

/* The exec's view of the container's config (decoded from its record
 * once): its env, user and working directory, overridden by the exec's
 * own options; its capabilities, no_new_privs, rlimits and groups as they
 * are.  An OCI process (o->process) is taken whole instead. */
static void build_config(const struct pd_record *r, const struct pd_config *ctr, const struct pd_exec_opts *o,
			 struct pd_config *c)
{
	const struct pd_config *p = o->process ? o->process : ctr;
	for (size_t i = 0; p->env && p->env[i]; i++)
		pd_env_add(&c->env, p->env[i], pd_err_ignore(status));
	for (size_t i = 0; !o->process && o->env && o->env[i]; i++)
		pd_env_add(&c->env, o->env[i], pd_err_ignore(status));
	const char *user = o->user ? o->user : p->user;
	const char *wd = o->workdir ? o->workdir : p->workdir;
	c->user = user ? xstrdup(user) : NULL;
	c->workdir = wd ? xstrdup(wd) : NULL;
	c->rootless = ctr->rootless;
	c->net.mode = ctr->net.mode;
	c->no_new_privs_off = p->no_new_privs_off;
	c->caps = p->caps;
	copy_process_limits(p, c);
	c->has_umask = p->has_umask;
	c->umask = p->umask;
	c->linux32 = ctr->linux32;
	c->has_oom_score_adj = p->has_oom_score_adj;
	c->oom_score_adj = p->oom_score_adj;
	c->cgroup_path = ctr->cgroup_path ? xstrdup(ctr->cgroup_path) : NULL;
	c->argv = strv_copy(o->argv);
	snprintf(c->id, sizeof(c->id), "%s", r->id);
}

/* The container's /dev/null for a stream the caller does not give.  Opened
 * inside the container (its /dev is the container's to change), so it must
 * prove to be the null device: a FIFO planted there would hang the exec,
 * a symlink would lead elsewhere. */
static int open_container_null(struct pd_err **err)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open the container's /dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return pd_fail(err, EPERM, "the container's /dev/null is not the null device");
	fcntl(fd, F_SETFL, 0);
	return take_fd(&fd);
}

/* Whether the user namespace of the container (its init's pid as the host
 * sees it) maps a subordinate range: without one, setgroups is denied.
 * Read from the host's /proc, before we join: the container's own /proc
 * has no entry for a process outside its PID namespace. */
static bool has_full_idmap(pid_t initpid)
{
	char path[64], buf[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)initpid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	return !(n > 0 && !strncmp(buf, "deny", 4));
}

/* The helper: join every namespace but the PID namespace's inside (setns
 * of a PID namespace only applies to children), become the container's
 * process here, where nothing in the container can see us, then exec the
 * stub, which forks the command into the PID namespace and waits for it.
 * No process of the container's can reach a process running the runtime's
 * image, whatever capabilities it holds (CAP_SYS_PTRACE included).  Never
 * returns. */
__attribute__((noreturn)) static void helper_main(int pidfd, pid_t initpid, struct pd_config *c,
						  const struct pd_exec_opts *o, const int stdio[3],
						  int syncfd)
{
	struct pd_err *err = NULL;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* With a terminal the command may outlive us (detach keys); the
	 * caller's end of the terminal closing hangs it up instead. */
	bool pdeath = !o->detach && !o->tty;
	prctl(PR_SET_PDEATHSIG, pdeath ? SIGKILL : 0, 0, 0, 0);
	if (o->detach || o->tty)
		setsid();
	/* 0-2 stay (the caller's) until the container's replace them, so
	 * that nothing opened from here on lands there by accident. */
	int keep[] = { 0, 1, 2, pidfd, syncfd, stdio[0], stdio[1], stdio[2] };
	pd_close_all_but(0, keep, ARRAY_SIZE(keep));
	bool full_idmap = !c->rootless || has_full_idmap(initpid);
	/* The container's cgroup first (its limits apply to the command too),
	 * while we can still see the host's cgroup tree.  A container with no group at all (ENOENT: rootless
	 * without delegation) has no limits to join; any other failure must not let the command run outside
	 * the container's limits. */
	struct pd_cgroup *cg = c->cgroup_path ? pd_cg_open_at(c->cgroup_path, c->rootless, &err)
					      : pd_cg_open(c->id, c->rootless, &err);
	if (!cg && err->errnum != ENOENT)
		sync_die(syncfd, "cgroup", err, 125);
	pd_err_freep(&err);
	if (cg) {
		int r = pd_cg_add_pid(cg, getpid(), &err);
		pd_cg_free(cg);
		if (r < 0)
			sync_die(syncfd, "cgroup", err, 125);
	}
	/* While /proc is the host's: the container's has no entry for us. */
	if (c->has_oom_score_adj && pd_oom_score_adj_set(c->oom_score_adj, &err) < 0)
		sync_die(syncfd, "oom-score-adj", err, 125);
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;
	if (c->rootless)
		flags |= CLONE_NEWUSER;
	/* With the host's network there is no namespace of the container's to
	 * join (and a rootless caller may not join the host's). */
	if (c->net.mode == PD_NET_HOST)
		flags &= ~CLONE_NEWNET;
	if (setns(pidfd, flags) < 0) {
		pd_fail(&err, errno, "join the container's namespaces");
		sync_die(syncfd, "join", err, 125);
	}
	close(pidfd);
	int fds[3] = { stdio[0], stdio[1], stdio[2] };
	if (o->tty) {
		/* A pty of the container's own devpts (we are in its mount
		 * namespace now); the master goes back to the CLI. */
		int devfd = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC), master, slave;
		if (devfd < 0 || pty_open(devfd, &master, &slave, &err) < 0) {
			if (!err)
				pd_fail(&err, errno, "open the container's /dev");
			sync_die(syncfd, "tty", err, 125);
		}
		close(devfd);
		struct sync_msg pm = { .type = SYNC_PTY };
		if (sync_send_fd(syncfd, &pm, master, &err) < 0)
			_exit(125);
		close(master);
		fds[0] = fds[1] = fds[2] = slave;
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 && (fds[i] = open_container_null(&err)) < 0)
			sync_die(syncfd, "stdio", err, 125);
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0) {
			pd_fail(&err, errno, "set up stdio");
			sync_die(syncfd, "stdio", err, 125);
		}
	for (int i = 0; i < 3; i++)
		if (fds[i] > 2 && (i == 0 || fds[i] != fds[i - 1]) && (i < 2 || fds[i] != fds[0]))
			close(fds[i]);
	struct init_ctx ctx = {
		.cfg = c,
		.userns = c->rootless,
		.full_idmap = full_idmap,
		.seccomp = o->seccomp,
		.syncfd = syncfd,
		.stdio = { 0, 1, 2 },
		.pdeathsig = pdeath ? SIGKILL : 0,
		/* The command's session is its own: the caller's terminal is
		 * never its controlling terminal (TIOCSTI), its pty is. */
		/* Without a terminal the command dies with the stub, detached
		 * too: the stub is the process the caller knows (the pid file
		 * of `pocket-runc exec -d`), and a SIGKILL to it cannot be
		 * forwarded. */
		.stub_mode =
		    o->tty ? EXECSTUB_FORK EXECSTUB_TTY : EXECSTUB_FORK EXECSTUB_SESSION EXECSTUB_PDEATH,
	};
	init_exec_process(&ctx);
}

static int find_running(const char *root, const char *ref, struct pd_record *r, int *pidfd,
			struct pd_err **err)
{
	if (pd_container_lookup(root, ref, r, err) < 0)
		return -1;
	*pidfd = r->state == PD_STATE_RUNNING || r->state == PD_STATE_STOPPING
		     ? pd_pidfd_open_checked(r->pid, r->pid_start)
		     : -1;
	if (*pidfd < 0) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is not running", r->id);
		pd_record_free(r);
		return -1;
	}
	return 0;
}

/* Wait until the sync channel has something (a message or EOF); a setup
 * that hangs (an image's /etc/passwd that never ends, say) is bounded by
 * the caller's deadline, if any: the helper is killed.  1 when readable,
 * -1 with *err on the deadline. */
static int wait_setup(int fd, pid_t helper, int64_t deadline_ns, struct pd_err **err)
{
	while (deadline_ns > 0) {
		int64_t left = (deadline_ns - pd_mono_ns()) / 1000000;
		int ready = left > 0 ? poll(&(struct pollfd){ fd, POLLIN, 0 }, 1, (int)left) : 0;
		if (ready > 0 || (ready < 0 && errno != EINTR))
			break;
		if (ready == 0) {
			kill(helper, SIGKILL);
			while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
				;
			return pd_fail(err, ETIMEDOUT, "the command's setup did not finish in time");
		}
	}
	return 1;
}

/* A frozen group freezes whatever joins it: the helper would stop before
 * it reports, and the command would run whenever the container is
 * unpaused.  Refused instead, as Docker and runc refuse. */
static int refuse_paused(const struct pd_record *r, const struct pd_config *ctr, struct pd_err **err)
{
	struct pd_cgroup *cg = ctr->cgroup_path
				   ? pd_cg_open_at(ctr->cgroup_path, ctr->rootless, pd_err_ignore(optional))
				   : pd_cg_open(r->id, ctr->rootless, pd_err_ignore(optional));
	bool frozen = false;
	if (cg && pd_cg_is_frozen(cg, &frozen, pd_err_ignore(optional)) < 0)
		frozen = false;
	pd_cg_free(cg);
	return frozen ? pd_fail_kind(err, PD_ERR_USAGE, 0,
				     "container %.12s is paused, unpause the container before exec", r->id)
		      : 0;
}

pid_t pd_exec_start(const struct pd_record *r, const struct pd_config *ctr, int pidfd,
		    const struct pd_exec_opts *o, const int stdio[3], int *pty_master, struct pd_err **err)
{
	if (refuse_paused(r, ctr, err) < 0)
		return -1;
	struct pd_config c;
	pd_config_init(&c);
	build_config(r, ctr, o, &c);
	int sv[2];
	if (sync_pair(sv, err) < 0) {
		pd_config_free(&c);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		helper_main(pidfd, r->pid, &c, o, stdio, sv[1]);
	}
	close(sv[1]);
	pd_config_free(&c);
	_cleanup_close_ int fd = sv[0];
	if (pid < 0)
		return pd_fail(err, errno, "fork");
	struct sync_msg m;
	int passed = -1, got;
	while ((got = wait_setup(fd, pid, o->deadline_ns, err)) > 0 &&
	       (got = sync_recv_fd(fd, &m, &passed, err)) > 0 && m.type == SYNC_PTY) {
		if (pty_master)
			*pty_master = passed;
		else if (passed >= 0)
			close(passed);
	}
	if (got == 0)
		return pid; /* EOF: the command was executed */
	if (got > 0)
		pd_fail_kind(err, (enum pd_err_kind)m.kind, m.errnum, "step '%s': %s", m.step, m.text);
	if (!o->detach)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return -1;
}

int pd_exec_seccomp(const char *root, const struct pd_config *ctr, struct pd_seccomp **out,
		    struct pd_err **err)
{
	*out = NULL;
	if (!ctr->seccomp) {
		_cleanup_free_ char *cache = xasprintf("%s/cache", root);
		*out = pd_seccomp_default_cached(cache, ctr->caps, err);
		return *out ? 0 : -1;
	}
	if (!strcmp(ctr->seccomp, "unconfined"))
		return 0;
	/* The text `run` read, never the file again: it may sit in a volume
	 * the container can rewrite. */
	if (!ctr->seccomp_json)
		return pd_fail(err, 0, "the container's seccomp profile '%s' was not recorded (restart it)",
			       ctr->seccomp);
	*out = pd_seccomp_from_json(ctr->seccomp, ctr->seccomp_json, ctr->caps, err);
	return *out ? 0 : -1;
}

struct relay {
	int in_w;  /* to the command's stdin (pipe or pty master), -1 if none */
	int out_r; /* its stdout, or the pty master */
	int err_r; /* its stderr; -1 with a pty */
	bool tty;
	const char *keys; /* -it: the detach sequence */
};

/* Stop reading our stdin while this much waits for the command: it is
 * written without blocking, so that its output is still copied while it
 * does not read (a command that writes before it reads would otherwise
 * wait on us as we wait on it). */
#define INPUT_HIGH_WATER 65536

static void set_size_from_caller(int master)
{
	unsigned short rows, cols;
	if (pty_get_size(0, &rows, &cols) || pty_get_size(1, &rows, &cols))
		pty_set_size(master, rows, cols);
}

/* What the user typed, queued for the command: true once the detach keys
 * were typed (what came before them is queued), *eof once the input ended. */
static bool read_input(struct relay_input *in, struct relay_queue *q, bool *eof)
{
	const char *data;
	size_t len;
	enum relay_in got = relay_input_read(in, &data, &len);
	relay_queue_push(q, data, len);
	*eof = got == RELAY_IN_EOF;
	return got == RELAY_IN_DETACH;
}

static void end_input(struct relay *r, bool *in_open)
{
	*in_open = false;
	if (!r->tty) { /* a pty master is the output too: it stays */
		close(r->in_w);
		r->in_w = -1;
	}
}

/* What waits for the command's stdin, written as far as it takes it.  Once
 * our input ended and all of it is written, the command's stdin ends.  A
 * pipe whose reader went away ends it too; with a terminal, what it did
 * not take is dropped and the keys are still read. */
static void write_input(struct relay *r, struct relay_queue *q, bool eof, bool *in_open)
{
	bool gone = r->in_w >= 0 && relay_queue_write(r->in_w, q) < 0;
	if ((gone && !r->tty) || (eof && *in_open && !relay_queue_pending(q)))
		end_input(r, in_open);
}

/* Detached from `exec -it`: the command keeps running, and its terminal
 * must stay open or it would be hung up.  A small process of ours, in a
 * session of its own, holds the master and drops what the command writes
 * until the command ends. */
static void leave_terminal(int master, int hfd)
{
	pid_t p = fork();
	if (p != 0)
		return;
	setsid();
	int keep[] = { master, hfd };
	pd_close_all_but(0, keep, ARRAY_SIZE(keep));
	char buf[4096];
	for (;;) {
		struct pollfd pf[2] = { { master, POLLIN, 0 }, { hfd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			_exit(0);
		if (pf[1].revents)
			_exit(0);
		if (pf[0].revents && read(master, buf, sizeof(buf)) <= 0 && errno != EINTR && errno != EAGAIN)
			_exit(0);
	}
}

/* Copy between our stdio and the command until its helper exits, then
 * whatever output is still readable: returns at once when the command
 * ends, whoever else still holds its terminal or pipes.  Returns true when
 * the user detached (-it). */
static bool relay_io(struct relay *r, pid_t helper)
{
	_cleanup_close_ int hfd = (int)syscall(SYS_pidfd_open, helper, 0);
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	_cleanup_close_ int wfd = r->tty ? signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
	if (r->tty)
		set_size_from_caller(r->out_r);
	if (r->in_w >= 0)
		fcntl(r->in_w, F_SETFL, fcntl(r->in_w, F_GETFL) | O_NONBLOCK);
	struct relay_input input;
	relay_input_init(&input, 0, r->keys, 16384);
	struct relay_queue q = { 0 };
	bool in_open = r->in_w >= 0, in_eof = false, out_open = r->out_r >= 0, err_open = r->err_r >= 0;
	bool detached = false;
	while (!detached) {
		bool take = in_open && !in_eof && relay_queue_pending(&q) < INPUT_HIGH_WATER;
		struct pollfd p[6] = {
			{ take ? 0 : -1, POLLIN, 0 },
			{ out_open ? r->out_r : -1, POLLIN, 0 },
			{ err_open ? r->err_r : -1, POLLIN, 0 },
			{ hfd, POLLIN, 0 },
			{ wfd, POLLIN, 0 },
			{ relay_queue_pending(&q) ? r->in_w : -1, POLLOUT, 0 },
		};
		if (poll(p, 6, -1) < 0 && errno != EINTR)
			break;
		if (p[4].revents) {
			struct signalfd_siginfo si;
			while (read(wfd, &si, sizeof(si)) == sizeof(si))
				;
			set_size_from_caller(r->out_r);
		}
		if (p[1].revents)
			out_open = relay_copy(r->out_r, 1);
		if (p[2].revents)
			err_open = relay_copy(r->err_r, 2);
		if (p[0].revents)
			detached = read_input(&input, &q, &in_eof);
		if (p[0].revents || p[5].revents)
			write_input(r, &q, in_eof, &in_open);
		if (p[3].revents)
			break;
	}
	relay_input_free(&input);
	relay_queue_reset(&q);
	if (detached) {
		leave_terminal(r->out_r, hfd);
		return true;
	}
	/* The command is gone: what it wrote is already in the pipe or pty. */
	if (out_open)
		relay_drain(r->out_r, 1);
	if (err_open)
		relay_drain(r->err_r, 2);
	return false;
}

int pd_container_exec(const char *root, const char *ref, const struct pd_exec_opts *o, int *exit_code,
		      struct pd_err **err)
{
	struct pd_record r;
	int pidfd_raw;
	if (find_running(root, ref, &r, &pidfd_raw, err) < 0)
		return -1;
	_cleanup_close_ int pidfd = pidfd_raw;
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < ARRAY_SIZE(sigs) && !o->tty; i++)
		sigaction(sigs[i], &sa, NULL);
	/* No descriptor of the caller's ever reaches the container: a file
	 * the caller redirected to could be chmod'ed setuid through
	 * /proc/self/fd, a directory given as stdin walked up to the host's
	 * root, and a terminal pushed input into (TIOCSTI).  The command gets
	 * pipes (or a pty) of ours, and we copy; a stream it is not given
	 * (stdin without -i, everything with -d) is the container's own
	 * /dev/null. */
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int stdio[3] = { -1, -1, -1 };
	if (!o->detach && !o->tty) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		    (o->interactive && pipe2(in, O_CLOEXEC) < 0)) {
			int e = errno;
			int fds[] = { in[0], in[1], out[0], out[1], errp[0], errp[1] };
			for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
				if (fds[i] >= 0)
					close(fds[i]);
			pd_record_free(&r);
			return pd_fail(err, e, "create pipes");
		}
		stdio[0] = in[0];
		stdio[1] = out[1];
		stdio[2] = errp[1];
	}
	struct pd_seccomp *filter = NULL;
	struct pd_config ctr;
	if (pd_record_config(&r, &ctr, err) < 0 || pd_exec_seccomp(root, &ctr, &filter, err) < 0) {
		pd_config_free(&ctr);
		pd_record_free(&r);
		int fds[] = { in[0], in[1], out[0], out[1], errp[0], errp[1] };
		for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return -1;
	}
	struct pd_exec_opts with = *o;
	with.seccomp = filter;
	int master = -1;
	pid_t pid = pd_exec_start(&r, &ctr, pidfd, &with, stdio, &master, err);
	pd_seccomp_free(filter);
	pd_config_free(&ctr);
	pd_record_free(&r);
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);
	bool detached = false;
	if (pid >= 0 && !o->detach) {
		/* Writing to a command that stopped reading must not kill us. */
		signal(SIGPIPE, SIG_IGN);
		struct relay rl = { in[1], o->tty ? master : out[0], o->tty ? -1 : errp[0], o->tty,
				    o->tty && o->interactive ? o->detach_keys : NULL };
		if (o->tty)
			rl.in_w = o->interactive ? master : -1;
		exec_child = pid;
		detached = relay_io(&rl, pid);
		in[1] = o->tty ? -1 : rl.in_w;
	}
	int fds[] = { in[1], out[0], errp[0], master };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (pid < 0)
		return -1;
	exec_child = pid;
	if (o->detach || detached) {
		*exit_code = 0;
		return 0; /* the helper lives on in its own session */
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "wait for exec");
	exec_child = 0;
	*exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return 0;
}
