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
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/container.h"
#include "core/init.h"
#include "core/store.h"
#include "linux/caps.h"
#include "linux/cgroup.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

static volatile pid_t exec_child;

static void forward(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

/* The exec's view of the container's config: its env, user and working
 * directory, overridden by the exec's own options. */
static void build_config(const struct pd_record *r, const struct pd_exec_opts *o, struct pd_config *c)
{
	json_t *conf = json_loads(r->config ? r->config : "{}", 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(conf, "Env"), i, v) if (json_string_value(v))
		pd_env_add(&c->env, json_string_value(v), NULL);
	for (i = 0; o->env && o->env[i]; i++)
		pd_env_add(&c->env, o->env[i], NULL);
	const char *user = json_string_value(json_object_get(conf, "User"));
	const char *wd = json_string_value(json_object_get(conf, "WorkingDir"));
	c->user = o->user ? xstrdup(o->user) : user && *user ? xstrdup(user) : NULL;
	c->workdir = o->workdir ? xstrdup(o->workdir) : wd && *wd ? xstrdup(wd) : NULL;
	c->rootless = json_is_true(json_object_get(conf, "Rootless"));
	c->no_new_privs_off = json_is_false(json_object_get(conf, "NoNewPrivileges"));
	json_t *mask = json_object_get(conf, "CapMask");
	c->caps = json_is_integer(mask) ? (uint64_t)json_integer_value(mask) : caps_default_mask();
	c->argv = strv_copy(o->argv);
	snprintf(c->id, sizeof(c->id), "%s", r->id);
	json_decref(conf);
}

/* The helper: join, fork the command, wait for it.  Never returns. */
__attribute__((noreturn)) static void helper_main(int pidfd, struct pd_config *c, const struct pd_exec_opts *o,
						   const int stdio[3], int syncfd)
{
	struct pd_err *err = NULL;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, o->detach ? 0 : SIGKILL, 0, 0, 0);
	if (o->detach)
		setsid();
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int in = o->interactive ? stdio[0] : null;
	if (null < 0 || dup2(in, 0) < 0 || dup2(stdio[1], 1) < 0 || dup2(stdio[2], 2) < 0) {
		pd_fail(&err, errno, "set up stdio");
		sync_die(syncfd, "stdio", err, 125);
	}
	close(null);
	/* The container's cgroup first (its limits apply to the command too),
	 * while we can still see the host's cgroup tree. */
	struct pd_cgroup *cg = pd_cg_open(c->id, c->rootless, NULL);
	if (cg) {
		int r = pd_cg_add_pid(cg, getpid(), &err);
		pd_cg_free(cg);
		if (r < 0)
			sync_die(syncfd, "cgroup", err, 125);
	}
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;
	if (c->rootless)
		flags |= CLONE_NEWUSER;
	if (setns(pidfd, flags) < 0) {
		pd_fail(&err, errno, "join the container's namespaces");
		sync_die(syncfd, "join", err, 125);
	}
	close(pidfd);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid < 0) {
		pd_fail(&err, errno, "fork into the container");
		sync_die(syncfd, "fork", err, 125);
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* A health check that times out is ended by killing its helper:
		 * the command must go with it. */
		if (!o->detach)
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		struct init_ctx ctx = {
			.cfg = c, .userns = c->rootless, .seccomp = o->seccomp, .syncfd = syncfd, .stdio = { -1, 1, 2 },
		};
		/* A user namespace without a subordinate range denies setgroups. */
		ctx.full_idmap = true;
		if (c->rootless) {
			char buf[64] = "";
			int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t n = read(fd, buf, sizeof(buf) - 1);
				ctx.full_idmap = !(n > 0 && !strncmp(buf, "deny", 4));
				close(fd);
			}
		}
		init_exec_process(&ctx);
	}
	close(syncfd);
	exec_child = pid;
	struct sigaction sa = { .sa_handler = forward };
	sigemptyset(&sa.sa_mask);
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

static int find_running(const char *root, const char *ref, struct pd_record *r, int *pidfd, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	if (pd_store_find(s, ref, r, err) < 0)
		return -1;
	pd_container_refresh(s, r);
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

pid_t pd_exec_start(const struct pd_record *r, int pidfd, const struct pd_exec_opts *o, const int stdio[3],
		    struct pd_err **err)
{
	struct pd_config c;
	pd_config_init(&c);
	build_config(r, o, &c);
	int sv[2];
	if (sync_pair(sv, err) < 0) {
		pd_config_free(&c);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		helper_main(pidfd, &c, o, stdio, sv[1]);
	}
	close(sv[1]);
	pd_config_free(&c);
	_cleanup_close_ int fd = sv[0];
	if (pid < 0)
		return pd_fail(err, errno, "fork");
	struct sync_msg m;
	int got = sync_recv(fd, &m, err);
	if (got == 0)
		return pid; /* EOF: the command was executed */
	if (got > 0)
		pd_fail_kind(err, (enum pd_err_kind)m.kind, m.errnum, "step '%s': %s", m.step, m.text);
	if (!o->detach)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return -1;
}

int pd_exec_seccomp(const char *root, const char *config_json, struct pd_seccomp **out, struct pd_err **err)
{
	*out = NULL;
	json_t *conf = json_loads(config_json ? config_json : "{}", 0, NULL);
	const char *prof = json_string_value(json_object_get(conf, "SeccompProfile"));
	json_t *jm = json_object_get(conf, "CapMask");
	uint64_t caps = json_is_integer(jm) ? (uint64_t)json_integer_value(jm) : caps_default_mask();
	int ret = 0;
	if (!prof || !strcmp(prof, "default")) {
		_cleanup_free_ char *cache = xasprintf("%s/cache", root);
		*out = pd_seccomp_default_cached(cache, caps, err);
		ret = *out ? 0 : -1;
	} else if (strcmp(prof, "unconfined") != 0) {
		*out = pd_seccomp_from_json(prof, caps, err);
		ret = *out ? 0 : -1;
	}
	json_decref(conf);
	return ret;
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
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	static const int stdio[3] = { 0, 1, 2 };
	struct pd_seccomp *filter = NULL;
	if (pd_exec_seccomp(root, r.config, &filter, err) < 0) {
		pd_record_free(&r);
		return -1;
	}
	struct pd_exec_opts with = *o;
	with.seccomp = filter;
	pid_t pid = pd_exec_start(&r, pidfd, &with, stdio, err);
	pd_seccomp_free(filter);
	pd_record_free(&r);
	if (pid < 0)
		return -1;
	exec_child = pid;
	if (o->detach) {
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
