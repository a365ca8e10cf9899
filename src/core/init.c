/* The container's init.  Runs in the cloned child, in the new namespaces,
 * as root of them (real root, or root of the container's user namespace),
 * between clone and execve.
 *
 * The setup is a flat table of named steps, run in order; the first that
 * fails sends {step, errno, message} to the parent over the sync channel and
 * exits.  Ordering rules: nothing is mounted before the parent's GO (the id
 * maps must exist); /dev before /proc and /sys (masking binds /dev/null);
 * volumes after the default mounts; everything path-based before pivot_root;
 * the user is looked up in the container's own files after it; capabilities
 * are cut before and after the user switch; no_new_privs, then execve. */
#include "core/init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/caps.h"
#include "linux/execstub.h"
#include "linux/cgroup.h"
#include "linux/mount.h"
#include "linux/ns.h"
#include "linux/pty.h"
#include "linux/rootfs.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "linux/user.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

struct init_state {
	struct init_ctx *ctx;
	int rootfd;
	int devfd;
	int tty_slave; /* -t: the container's end of its pty */
	struct pd_user user;
	char *exe;   /* resolved path of argv[0] */
	int stubfd;  /* the exec stub (linux/execstub.h) */
	bool got_go; /* SYNC_GO received (step "wait-parent") */
};

/* GO from the monitor: we are in the container's cgroup, our id maps are
 * written and the network is attached.  Received once, by whichever
 * "wait-parent" step comes first. */
static int step_wait_parent(struct init_state *s, struct pd_err **err)
{
	if (s->got_go)
		return 0;
	s->got_go = true;
	struct sync_msg m;
	int r = sync_recv(s->ctx->syncfd, &m, err);
	if (r < 0)
		return -1;
	if (r == 0 || m.type != SYNC_GO)
		return pd_fail(err, 0, "the runtime went away before the container started");
	return 0;
}

/* Rootless we wait before anything (nothing works in the user namespace
 * before its maps); as root the mounts are built meanwhile and we wait
 * just before the cgroup namespace. */
static int step_wait_parent_userns(struct init_state *s, struct pd_err **err)
{
	return s->ctx->userns ? step_wait_parent(s, err) : 0;
}

/* The parent has put us in the container's cgroup by now: a cgroup
 * namespace made here is rooted at it, so the container sees its own group
 * as / and nothing of the host's hierarchy. */
static int step_cgroup_ns(struct init_state *s, struct pd_err **err)
{
	if (unshare(CLONE_NEWCGROUP) < 0)
		return pd_fail(err, errno, "create cgroup namespace");
	return 0;
}

static int step_cgroup_mount(struct init_state *s, struct pd_err **err)
{
	return pd_cg_mount_in_container(s->rootfd, s->ctx->userns, err);
}

static int step_private(struct init_state *s, struct pd_err **err)
{
	return mnt_make_private(err);
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf are written into the
 * upper layer before the overlay is mounted, so they never need a copy-up of
 * the image's /etc: that copy-up fails rootless when /etc belongs to an id
 * outside the user namespace (a root-owned directory).  upper/etc takes the
 * mode (less the umask) and, as root, the owner of the image's /etc.  Paths resolve inside
 * the upper directory: a symlink the container left there on a previous
 * run (restart) cannot lead out. */
static int step_etc(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	if (s->ctx->rootfs_bind)
		return 0; /* a bundle's files are its own (its mounts bring them) */
	_cleanup_close_ int upfd = open(s->ctx->upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upfd < 0)
		return pd_fail(err, errno, "open '%s'", s->ctx->upper);
	struct stat lower_etc = { .st_mode = S_IFDIR | 0755 };
	for (char *const *l = s->ctx->lowers; *l; l++) {
		_cleanup_free_ char *p = xasprintf("%s/etc", *l);
		if (lstat(p, &lower_etc) == 0 && S_ISDIR(lower_etc.st_mode))
			break;
		lower_etc = (struct stat){ .st_mode = S_IFDIR | 0755 };
	}
	_cleanup_close_ int etcfd = rootfs_mkdir_p(upfd, "etc", lower_etc.st_mode & 07777, err);
	if (etcfd < 0)
		return -1;
	if (!s->ctx->userns && fchownat(etcfd, "", lower_etc.st_uid, lower_etc.st_gid, AT_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "set the owner of /etc in the upper layer");
	_cleanup_free_ char *hostname = xasprintf("%s\n", cfg->hostname);
	_cleanup_free_ char *hosts = xasprintf("127.0.0.1\tlocalhost\n"
					       "::1\tlocalhost ip6-localhost ip6-loopback\n"
					       "fe00::0\tip6-localnet\n"
					       "ff00::0\tip6-mcastprefix\n"
					       "ff02::1\tip6-allnodes\n"
					       "ff02::2\tip6-allrouters\n"
					       "127.0.1.1\t%s\n",
					       cfg->hostname);
	if (rootfs_write_file(upfd, "etc/hostname", hostname, 0644, err) < 0 ||
	    rootfs_write_file(upfd, "etc/hosts", s->ctx->hosts ? s->ctx->hosts : hosts, 0644, err) < 0 ||
	    rootfs_write_file(upfd, "etc/resolv.conf", s->ctx->resolv_conf, 0644, err) < 0)
		return -1;
	return 0;
}

static int step_rootfs(struct init_state *s, struct pd_err **err)
{
	struct init_ctx *c = s->ctx;
	if (c->rootfs_bind ? mnt_bind_root(c->rootfs_bind, err) < 0
			   : mnt_overlay(c->lowers, c->upper, c->work, c->merged, c->userns, err) < 0)
		return -1;
	s->rootfd = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return pd_fail(err, errno, "open rootfs '%s'", c->merged);
	return 0;
}

static int step_dev(struct init_state *s, struct pd_err **err)
{
	bool tty_gid = !s->ctx->userns || s->ctx->full_idmap;
	s->devfd =
	    mnt_dev(s->rootfd, s->ctx->userns, tty_gid, s->ctx->cfg->privileged, s->ctx->cfg->shm_size, err);
	return s->devfd < 0 ? -1 : 0;
}

/* --ipc container:X: the IPC namespace was joined (step "join-namespaces");
 * X's /dev/shm is shared too, as Docker's is (core/namespaces.c). */
static int step_ipc_shm(struct init_state *s, struct pd_err **err)
{
	int fd = s->ctx->ipc_shm_pidfd;
	if (fd <= 0)
		return 0;
	int r = mnt_shm_from(s->devfd, fd, err);
	close(fd);
	s->ctx->ipc_shm_pidfd = 0;
	return r;
}

/* -t: a pty from the container's own devpts instance; the master goes to
 * the monitor, the slave becomes our controlling terminal (step "stdio").
 * The host's terminal never enters the container, so nothing in it can
 * push input into the host's (TIOCSTI). */
static int step_tty(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	if (!cfg->tty)
		return 0;
	int master;
	if (pty_open(s->devfd, &master, &s->tty_slave, err) < 0)
		return -1;
	if (cfg->tty_rows)
		pty_set_size(master, cfg->tty_rows, cfg->tty_cols);
	struct sync_msg m = { .type = SYNC_PTY };
	int r = sync_send_fd(s->ctx->syncfd, &m, master, err);
	close(master);
	return r;
}

static int step_proc(struct init_state *s, struct pd_err **err)
{
	return mnt_proc(s->rootfd, s->devfd, s->ctx->cfg->privileged, err);
}

static int step_sys(struct init_state *s, struct pd_err **err)
{
	return mnt_sys(s->rootfd, s->devfd, s->ctx->cfg->privileged, err);
}

static int step_volumes(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (mnt_mount(s->rootfd, &cfg->mounts[i], err) < 0)
			return -1;
	for (size_t i = 0; i < cfg->n_devices; i++)
		if (mnt_device(s->rootfd, &cfg->devices[i], err) < 0)
			return -1;
	return 0;
}

static int step_mask_paths(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	return mnt_mask_paths(s->rootfd, s->devfd, cfg->masked_paths, cfg->readonly_paths, err);
}

static int step_readonly(struct init_state *s, struct pd_err **err)
{
	return s->ctx->cfg->read_only ? mnt_readonly_root(s->rootfd, err) : 0;
}

/* Create the working directory inside the root now, while paths are still
 * resolved against the root fd: a "-w /proc/self/fd/N" or a symlink in the
 * image cannot point it at a host directory (the CVE-2024-21626 class). */
static int step_workdir(struct init_state *s, struct pd_err **err)
{
	const char *wd = s->ctx->cfg->workdir;
	if (!wd)
		return 0;
	int fd = rootfs_mkdir_p(s->rootfd, wd, 0755, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int step_pivot(struct init_state *s, struct pd_err **err)
{
	if (mnt_pivot(s->rootfd, err) < 0)
		return -1;
	close(s->rootfd);
	close(s->devfd);
	s->rootfd = s->devfd = -1;
	return 0;
}

/* Namespaces joined, before anything is built in them: the OCI face's, by
 * path (the new ones clone made are left for them), and --ipc
 * container:ID's (core/namespaces.c). */
static int step_join(struct init_state *s, struct pd_err **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->ctx->join_fds); i++) {
		int fd = s->ctx->join_fds[i];
		if (fd <= 0)
			continue;
		if (setns(fd, s->ctx->join_types[i]) < 0)
			return pd_fail(err, errno, "join the %s namespace",
				       s->ctx->join_types[i] == CLONE_NEWNET   ? "network"
				       : s->ctx->join_types[i] == CLONE_NEWIPC ? "IPC"
									       : "UTS");
		close(fd);
		s->ctx->join_fds[i] = 0;
	}
	return 0;
}

static int step_hostname(struct init_state *s, struct pd_err **err)
{
	const char *h = s->ctx->cfg->hostname, *d = s->ctx->cfg->domainname;
	if (s->ctx->cfg->uts_ns.mode == PD_NS_HOST)
		return 0; /* the host's: its name is the host's to set (config.c refuses --hostname) */
	if (h && sethostname(h, strlen(h)) < 0) /* NULL: a joined uts namespace keeps its name */
		return pd_fail(err, errno, "set hostname '%s'", h);
	if (d && setdomainname(d, strlen(d)) < 0)
		return pd_fail(err, errno, "set domain name '%s'", d);
	return 0;
}

/* The document's namespaced sysctls (core/oci.c checked each belongs to a
 * namespace of the container's own).  Written through the host's /proc,
 * still mounted in our mount namespace before pivot_root: /proc/sys/net,
 * kernel.shm* and the rest show the namespaces of the writer, which are
 * the container's by now, and the container's own /proc/sys is read-only. */
/* --ipc none: an IPC namespace of its own without /dev/shm (Docker's
 * meaning); linux/mount.c made one with the rest of /dev. */
static int step_ipc_none(struct init_state *s, struct pd_err **err)
{
	if (s->ctx->cfg->ipc_ns.mode != PD_NS_NONE)
		return 0;
	if (umount2("/dev/shm", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return pd_fail(err, errno, "unmount /dev/shm");
	return 0;
}

static int step_sysctl(struct init_state *s, struct pd_err **err)
{
	for (char **kv = s->ctx->cfg->sysctls; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		if (!eq)
			continue;
		_cleanup_free_ char *path = xasprintf("/proc/sys/%.*s", (int)(eq - *kv), *kv);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		size_t len = strlen(eq + 1);
		if (fd < 0 || write(fd, eq + 1, len) != (ssize_t)len)
			return pd_fail(err, errno, "set sysctl '%.*s'", (int)(eq - *kv), *kv);
	}
	return 0;
}

static int step_network(struct init_state *s, struct pd_err **err)
{
	if (s->ctx->cfg->net.mode == PD_NET_HOST || s->ctx->cfg->netns_path)
		return 0; /* the host's or a joined namespace: not ours to change */
	return ns_loopback_up(err);
}

static int step_stdio(struct init_state *s, struct pd_err **err)
{
	if (s->tty_slave >= 0) {
		int r = pty_become_controlling(s->tty_slave, err);
		close(s->tty_slave);
		s->tty_slave = -1;
		return r;
	}
	const int *io = s->ctx->stdio;
	int in = io[0];
	if (in < 0) {
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return pd_fail(err, errno, "open /dev/null");
	}
	if (dup2(in, 0) < 0 || dup2(io[1], 1) < 0 || dup2(io[2], 2) < 0)
		return pd_fail(err, errno, "set up stdio");
	return 0;
}

static int add_group(struct pd_user *u, gid_t g, struct pd_err **err)
{
	for (size_t k = 0; k < u->n_groups; k++)
		if (u->groups[k] == g)
			return 0;
	if (u->n_groups == ARRAY_SIZE(u->groups))
		return pd_fail(err, E2BIG, "more than %zu supplementary groups", ARRAY_SIZE(u->groups));
	u->groups[u->n_groups++] = g;
	return 0;
}

static int step_user(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	if (user_resolve(cfg->user, "/etc/passwd", "/etc/group", &s->user, err) < 0)
		return -1;
	/* Without a subordinate range setgroups is denied (step
	 * switch-user): the groups could not be had, and are not dropped
	 * silently. */
	if ((cfg->n_groups || cfg->group_names) && s->ctx->userns && !s->ctx->full_idmap)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--group-add needs a subordinate gid range for this user (/etc/subgid)");
	for (size_t i = 0; i < cfg->n_groups; i++)
		if (add_group(&s->user, cfg->groups[i], err) < 0)
			return -1;
	/* --group-add NAME: the container's own /etc/group, as Docker. */
	for (char **name = cfg->group_names; name && *name; name++) {
		gid_t g;
		if (user_group_lookup("/etc/group", *name, &g, err) < 0 || add_group(&s->user, g, err) < 0)
			return -1;
	}
	return 0;
}

/* linux.personality: LINUX32 (uname -m says i686); LINUX is the default. */
static int step_personality(struct init_state *s, struct pd_err **err)
{
	if (s->ctx->cfg->linux32 && personality(PER_LINUX32) < 0)
		return pd_fail(err, errno, "set the personality LINUX32");
	return 0;
}

/* As root of the namespaces, before the user switch: a hard limit can be
 * raised only with CAP_SYS_RESOURCE, which the message says. */
static int step_rlimits(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	for (size_t i = 0; i < cfg->n_rlimits; i++) {
		const struct pd_rlimit *r = &cfg->rlimits[i];
		struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };
		if (setrlimit(r->type, &rl) < 0)
			return pd_fail(err, errno, "set resource limit %s to %llu:%llu%s",
				       pd_rlimit_name(r->type) ? pd_rlimit_name(r->type) : "?",
				       (unsigned long long)r->soft, (unsigned long long)r->hard,
				       errno == EPERM ? " (above the hard limit the runtime has)" : "");
	}
	return 0;
}

/* Before pivot_root, while /proc is the host's (the exec helper sets its
 * own before it joins: core/exec.c). */
static int step_oom_score(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	return cfg->has_oom_score_adj ? pd_oom_score_adj_set(cfg->oom_score_adj, err) : 0;
}

/* The OCI face's create/start split: tell `create` the container is
 * ready, then wait for `start`'s byte on the start FIFO (opened read-write
 * by `create`, so the read blocks until a writer writes, never sees EOF).
 * The sync channel's other end is gone once `create` has exited: it is
 * closed here, and the stub reports nothing on it. */
static int step_wait_start(struct init_state *s, struct pd_err **err)
{
	if (s->ctx->start_fd <= 0)
		return 0;
	/* Until `start` this process is still the runtime's image, as PID 1
	 * of the container: nothing there may open its /proc/1/exe (to
	 * overwrite the runtime's binary: the CVE-2019-5736 class) or its
	 * memory.  `exec` refuses a container that is not running, and this
	 * closes the rest; the stub's execve makes the command dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return pd_fail(err, errno, "make the init undumpable");
	struct sync_msg ready = { .type = SYNC_READY };
	if (sync_send(s->ctx->syncfd, &ready, err) < 0)
		return -1;
	close(s->ctx->syncfd);
	s->ctx->syncfd = -1;
	char byte;
	ssize_t n;
	while ((n = read(s->ctx->start_fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(125); /* nobody to tell: `create` is gone */
	close(s->ctx->start_fd);
	return 0;
}

static int step_caps_bounding(struct init_state *s, struct pd_err **err)
{
	return caps_drop_bounding(s->ctx->cfg->caps, err);
}

static int step_switch_user(struct init_state *s, struct pd_err **err)
{
	/* Without a subordinate range, setgroups is denied in the user
	 * namespace (the kernel requires it for an unprivileged map). */
	bool no_setgroups = s->ctx->userns && !s->ctx->full_idmap;
	return user_switch(&s->user, no_setgroups, err);
}

static int step_caps(struct init_state *s, struct pd_err **err)
{
	return caps_apply(s->ctx->cfg->caps, err);
}

static int step_chdir(struct init_state *s, struct pd_err **err)
{
	const char *wd = s->ctx->cfg->workdir ? s->ctx->cfg->workdir : "/";
	if (chdir(wd) < 0)
		return pd_fail(err, errno, "chdir to '%s'", wd);
	/* Whatever the path went through (a link to /proc/self/fd/N, say),
	 * the directory reached must be inside the container's root: the
	 * kernel gives no path for one outside it (CVE-2024-21626 class). */
	char buf[4096];
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return pd_fail(err, EPERM, "working directory '%s' is outside the container", wd);
	return 0;
}

static int step_no_new_privs(struct init_state *s, struct pd_err **err)
{
	/* Without no_new_privs only a process holding CAP_SYS_ADMIN may load a
	 * seccomp filter; Docker's no-new-privileges=false keeps it off. */
	if (s->ctx->cfg->no_new_privs_off)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return pd_fail(err, errno, "set no_new_privs");
	return 0;
}

/* After the user switch (a change of credentials clears the parent-death
 * signal): the container's init dies with its monitor, an exec's process
 * with its helper. */
static int step_parent_death(struct init_state *s, struct pd_err **err)
{
	if (s->ctx->pdeathsig && prctl(PR_SET_PDEATHSIG, s->ctx->pdeathsig, 0, 0, 0) < 0)
		return pd_fail(err, errno, "set the parent-death signal");
	return 0;
}

/* Last, so that the runtime's own setup is never filtered; compiled by the
 * parent before clone, loaded here as plain BPF. */
static int step_seccomp(struct init_state *s, struct pd_err **err)
{
	if (!s->ctx->seccomp || s->ctx->cfg->no_new_privs_off)
		return 0;
	return pd_seccomp_load(s->ctx->seccomp, err);
}

/* With no-new-privileges=false the filter must be loaded while we still
 * hold CAP_SYS_ADMIN, that is before the capabilities are cut; the rest of
 * the process steps then run under it (the default profile allows them). */
static int step_seccomp_early(struct init_state *s, struct pd_err **err)
{
	if (!s->ctx->seccomp || !s->ctx->cfg->no_new_privs_off)
		return 0;
	return pd_seccomp_load(s->ctx->seccomp, err);
}

/* Find the command the way a shell would, in the container's own PATH. */
static int step_find_command(struct init_state *s, struct pd_err **err)
{
	const struct pd_config *cfg = s->ctx->cfg;
	const char *cmd = cfg->argv[0];
	if (strchr(cmd, '/')) {
		if (access(cmd, F_OK) < 0)
			return pd_fail_kind(err, PD_ERR_NOT_FOUND, errno, "exec: '%s'", cmd);
		s->exe = xstrdup(cmd);
		return 0;
	}
	const char *path = pd_env_get(cfg->env, "PATH");
	_cleanup_free_ char *copy =
	    xstrdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", cmd);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			s->exe = take_ptr(&cand);
			return 0;
		}
	}
	return pd_fail_kind(err, PD_ERR_NOT_FOUND, 0, "exec: '%s': executable file not found in $PATH", cmd);
}

/* The command is run through the exec stub, made here while no seccomp
 * filter of the container's applies yet. */
static int step_exec_stub(struct init_state *s, struct pd_err **err)
{
	s->stubfd = execstub_open(err);
	return s->stubfd < 0 ? -1 : 0;
}

struct init_step {
	const char *name;
	int (*run)(struct init_state *s, struct pd_err **err);
};

/* Building the container: namespaces' contents, before pivot_root. */
static const struct init_step setup_steps[] = {
	{ "join-namespaces", step_join },
	{ "wait-parent", step_wait_parent_userns },
	{ "mount-private", step_private },
	{ "etc-files", step_etc },
	{ "mount-rootfs", step_rootfs },
	{ "mount-dev", step_dev },
	{ "ipc-shm", step_ipc_shm },
	{ "tty", step_tty },
	{ "mount-proc", step_proc },
	{ "mount-sys", step_sys },
	{ "mount-volumes", step_volumes },
	{ "mask-paths", step_mask_paths },
	{ "workdir", step_workdir },
	{ "wait-parent", step_wait_parent },
	{ "sysctl", step_sysctl },
	{ "oom-score-adj", step_oom_score },
	{ "cgroup-namespace", step_cgroup_ns },
	{ "mount-cgroup", step_cgroup_mount },
	{ "read-only", step_readonly },
	{ "pivot-root", step_pivot },
	{ "ipc-none", step_ipc_none },
	{ "hostname", step_hostname },
	{ "network", step_network },
	{ "stdio", step_stdio },
};

/* Becoming the container's process: shared with `exec`, which joins an
 * existing container and then runs exactly these. */
static const struct init_step process_steps[] = {
	{ "user", step_user },
	{ "rlimits", step_rlimits },
	{ "personality", step_personality },
	{ "seccomp-early", step_seccomp_early },
	{ "capabilities-bounding", step_caps_bounding },
	{ "switch-user", step_switch_user },
	{ "capabilities", step_caps },
	{ "chdir", step_chdir },
	{ "no-new-privs", step_no_new_privs },
	{ "find-command", step_find_command },
	{ "exec-stub", step_exec_stub },
	{ "parent-death", step_parent_death },
	{ "seccomp", step_seccomp },
	{ "wait-start", step_wait_start },
};

/* The last act of the runtime's image in this process: exec the stub
 * (linux/execstub.h), which runs the command in place or, in a forking
 * mode, in a child of its own.  Either way no process inside the
 * container ever runs the runtime's image again: with --init, PID 1 is the
 * stub; with `exec`, the first process in the PID namespace is the stub's
 * child.  Even a container given CAP_SYS_PTRACE finds nothing of the host's
 * behind a /proc/PID/exe. */
__attribute__((noreturn)) static void do_exec(struct init_state *s, const char *mode)
{
	const struct pd_config *cfg = s->ctx->cfg;
	/* Nothing of the runtime's reaches the command: every fd above
	 * stderr closes at execve, the sync channel included. */
	unsigned keep = 3U + (unsigned)s->ctx->preserve_fds;
	syscall(SYS_close_range, keep, ~0U, CLOSE_RANGE_CLOEXEC);
	for (int fd = 3; fd < (int)keep; fd++) /* --preserve-fds: the caller's, passed on */
		fcntl(fd, F_SETFD, 0);
	umask(cfg->has_umask ? cfg->umask : 022);
	/* A forking stub waits for signals with all of them blocked, from its
	 * first instruction on (the mask survives execve); the command itself
	 * starts with none blocked. */
	sigset_t mask;
	if (mode && *mode)
		sigfillset(&mask);
	else
		sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	/* HOME from the container's passwd entry unless the user set it,
	 * as Docker does. */
	char **env = cfg->env;
	if (!pd_env_get(cfg->env, "HOME")) {
		size_t n = 0;
		while (cfg->env && cfg->env[n])
			n++;
		env = xcalloc(n + 2, sizeof(*env));
		for (size_t i = 0; i < n; i++)
			env[i] = cfg->env[i];
		env[n] = xasprintf("HOME=%s", s->user.home);
	}
	/* Never execve from the runtime's own image: the kernel would resolve
	 * the command's interpreter (a "#!/proc/self/exe", the image's ld.so)
	 * in a process whose /proc/self/exe is the runtime on the host. */
	execstub_exec(s->stubfd, s->ctx->syncfd, mode, s->exe, cfg->argv, env);
	int e = errno;
	struct pd_err *err = NULL;
	enum pd_err_kind kind = e == ENOENT ? PD_ERR_NOT_FOUND : PD_ERR_CANNOT_EXEC;
	pd_fail_kind(&err, kind, e, "exec: '%s' (the exec stub)", s->exe);
	sync_die(s->ctx->syncfd, "exec", err, pd_err_exec_status(err->kind));
}

static void run_steps(struct init_state *s, const struct init_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pd_err *err = NULL;
		if (steps[i].run(s, &err) < 0)
			sync_die(s->ctx->syncfd, steps[i].name, err, pd_err_exec_status(err->kind));
	}
}

void init_main(struct init_ctx *ctx)
{
	struct init_state s = { .ctx = ctx, .rootfd = -1, .devfd = -1, .tty_slave = -1, .stubfd = -1 };
	/* Die with the monitor that started us rather than run unwatched
	 * (set again after the user switch, step "parent-death"). */
	ctx->pdeathsig = ctx->outlive_parent ? 0 : SIGKILL;
	prctl(PR_SET_PDEATHSIG, ctx->pdeathsig, 0, 0, 0);
	/* Outliving `create`, hold nothing of its caller's but stdio: a
	 * client waiting for EOF on a pipe it passed (containerd's shim)
	 * would wait for the container. */
	if (ctx->outlive_parent) {
		int keep[] = { 0,
			       1,
			       2,
			       ctx->stdio[0],
			       ctx->stdio[1],
			       ctx->stdio[2],
			       ctx->syncfd,
			       ctx->start_fd,
			       ctx->join_fds[0] > 0 ? ctx->join_fds[0] : -1,
			       ctx->join_fds[1] > 0 ? ctx->join_fds[1] : -1,
			       ctx->join_fds[2] > 0 ? ctx->join_fds[2] : -1 };
		pd_close_all_but(3 + ctx->preserve_fds, keep, ARRAY_SIZE(keep));
	}
	/* The monitor ignores SIGPIPE; the container's processes must not. */
	signal(SIGPIPE, SIG_DFL);
	umask(0);
	run_steps(&s, setup_steps, ARRAY_SIZE(setup_steps));
	run_steps(&s, process_steps, ARRAY_SIZE(process_steps));
	/* --init: PID 1 is the stub, forwarding signals to the command and
	 * reaping every orphan, exiting with the command's status. */
	do_exec(&s, ctx->cfg->init ? EXECSTUB_INIT : NULL);
}

void init_exec_process(struct init_ctx *ctx)
{
	struct init_state s = { .ctx = ctx, .rootfd = -1, .devfd = -1, .tty_slave = -1, .stubfd = -1 };
	signal(SIGPIPE, SIG_DFL);
	umask(022);
	/* The caller's descriptors are the host's (a directory open there
	 * would let "-w /proc/self/fd/N" leave the root): only stdio and the
	 * sync channel stay. */
	unsigned sfd = (unsigned)ctx->syncfd;
	if (sfd > 3)
		syscall(SYS_close_range, 3U, sfd - 1, 0U);
	syscall(SYS_close_range, sfd < 3 ? 3U : sfd + 1, ~0U, 0U);
	run_steps(&s, process_steps, ARRAY_SIZE(process_steps));
	do_exec(&s, ctx->stub_mode);
}
