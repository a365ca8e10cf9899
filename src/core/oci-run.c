/* The OCI runtime's lifecycle: see oci-run.h.
 *
 * create: the bundle's config.json is decoded and mapped (core/oci.c),
 * the group made at its cgroupsPath, the seccomp filter compiled, and the
 * init cloned into its namespaces with this process's stdio.  The init runs
 * core/init.c's steps on the bundle's rootfs (bound, not overlaid: writes
 * land where the caller put the root), reports SYNC_READY, and blocks
 * reading the start FIFO, which create opened read-write for it.  create
 * then records the state and the pid file and exits; the init is the
 * caller's (or its subreaper's) to reap.
 *
 * The status is read from the system, never stored: a live init (checked
 * by its start time, so a reused pid is not it) with the FIFO present is
 * "created", without it "running" ("paused" when its group is frozen); a
 * dead one is "stopped".
 *
 * Every command that changes a container holds an exclusive flock on its
 * directory, so two `start`s or a `start` and a `delete` never interleave. */
#include "core/oci-run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/exec.h"
#include "core/init.h"
#include "core/oci-hooks.h"
#include "core/oci.h"
#include "core/store.h"
#include "linux/cgroup.h"
#include "linux/console.h"
#include "linux/idmap.h"
#include "linux/ns.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

#define FIFO_NAME  "exec.fifo"
#define STATE_NAME "state.json"
#define SPEC_NAME  "config.json"

bool pd_oci_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (!n || n > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      (p != id && strchr("_.-", *p))))
			return false;
	return true;
}

/* What state.json holds (the rest of the spec's state is read live). */
struct oci_ctr {
	char *id, *dir;
	pid_t pid;
	uint64_t pid_start;
	char *bundle, *rootfs, *created, *owner;
	json_t *annotations; /* object */
	char *cgroup;	     /* the group's relative path */
	bool rootless;
	json_t *config; /* pd_config_json of the container */
	int lockfd;	/* the directory, flocked; -1 when not locked */
};

static void ctr_free(struct oci_ctr *c)
{
	free(c->id);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->owner);
	free(c->cgroup);
	json_decref(c->annotations);
	json_decref(c->config);
	if (c->lockfd >= 0)
		close(c->lockfd);
	memset(c, 0, sizeof(*c));
	c->lockfd = -1;
}

static char *ctr_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

static int not_found(const char *id, struct pd_err **err)
{
	return pd_fail_kind(err, PD_ERR_USAGE, ENOENT, "container '%s' does not exist", id);
}

/* Read <root>/<id>/state.json; `lock`: hold the directory's flock. */
static int ctr_load(const char *root, const char *id, bool lock, struct oci_ctr *c, struct pd_err **err)
{
	memset(c, 0, sizeof(*c));
	c->lockfd = -1;
	if (!pd_oci_id_valid(id))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid container id '%s'", id);
	c->id = xstrdup(id);
	c->dir = ctr_dir(root, id);
	if (lock) {
		c->lockfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (c->lockfd < 0)
			return errno == ENOENT ? not_found(id, err)
					       : pd_fail(err, errno, "open '%s'", c->dir);
		if (flock(c->lockfd, LOCK_EX) < 0)
			return pd_fail(err, errno, "lock '%s'", c->dir);
	}
	_cleanup_free_ char *path = xasprintf("%s/%s", c->dir, STATE_NAME);
	json_error_t jerr;
	json_auto_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		struct stat st;
		if (stat(c->dir, &st) < 0 && errno == ENOENT)
			return not_found(id, err);
		if (stat(path, &st) < 0 && errno == ENOENT)
			return pd_fail_kind(err, PD_ERR_USAGE, EBUSY, "container '%s' is being created", id);
		return pd_fail(err, EINVAL, "%s: %s", path, jerr.text);
	}
	json_int_t pid = 0, start = 0;
	const char *bundle = NULL, *rootfs = NULL, *created = NULL, *owner = NULL, *cgroup = NULL;
	int rootless = 0;
	json_t *ann = NULL, *config = NULL;
	if (json_unpack_ex(j, &jerr, 0, "{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "pid", &pid,
			   "pid_start", &start, "bundle", &bundle, "rootfs", &rootfs, "created", &created,
			   "owner", &owner, "cgroup", &cgroup, "rootless", &rootless, "annotations", &ann,
			   "config", &config) < 0)
		return pd_fail(err, EINVAL, "%s: %s", path, jerr.text);
	c->pid = (pid_t)pid;
	c->pid_start = (uint64_t)start;
	c->bundle = xstrdup(bundle);
	c->rootfs = xstrdup(rootfs);
	c->created = xstrdup(created);
	c->owner = xstrdup(owner);
	c->cgroup = xstrdup(cgroup);
	c->rootless = rootless;
	c->annotations = json_incref(ann);
	c->config = json_incref(config);
	return 0;
}

static int ctr_save(const struct oci_ctr *c, struct pd_err **err)
{
	json_auto_t *j =
	    json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:O, s:O}", "pid", (json_int_t)c->pid,
		      "pid_start", (json_int_t)c->pid_start, "bundle", c->bundle, "rootfs", c->rootfs,
		      "created", c->created, "owner", c->owner, "cgroup", c->cgroup, "rootless", c->rootless,
		      "annotations", c->annotations, "config", c->config);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!text)
		return pd_fail(err, ENOMEM, "encode the state");
	_cleanup_free_ char *path = xasprintf("%s/%s", c->dir, STATE_NAME);
	return pd_write_file_atomic(path, text, strlen(text), 0600, err);
}

enum status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };
static const char *const status_names[] = { "creating", "created", "running", "paused", "stopped" };

/* With no init recorded yet, `create` is under way while it holds the
 * directory's lock (or, once the lock is free, it died: stopped). */
static bool creator_alive(const struct oci_ctr *c)
{
	if (c->lockfd >= 0)
		return false; /* the lock is ours */
	_cleanup_close_ int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0)
		return false;
	return errno == EWOULDBLOCK;
}

static bool init_alive(const struct oci_ctr *c)
{
	return pd_proc_is_alive(c->pid, c->pid_start);
}

static struct pd_cgroup *ctr_cgroup(const struct oci_ctr *c, struct pd_err **err)
{
	return pd_cg_open_at(c->cgroup, c->rootless, err);
}

static enum status ctr_status(const struct oci_ctr *c)
{
	if (!c->pid)
		return creator_alive(c) ? ST_CREATING : ST_STOPPED;
	if (!init_alive(c))
		return ST_STOPPED;
	_cleanup_free_ char *fifo = xasprintf("%s/%s", c->dir, FIFO_NAME);
	if (access(fifo, F_OK) == 0)
		return ST_CREATED;
	struct pd_cgroup *cg = ctr_cgroup(c, pd_err_ignore(optional));
	bool frozen = false;
	if (cg && pd_cg_is_frozen(cg, &frozen, pd_err_ignore(optional)) < 0)
		frozen = false;
	if (cg)
		pd_cg_free(cg);
	return frozen ? ST_PAUSED : ST_RUNNING;
}

/* The spec's state object (runtime.md "State"). */
static json_t *state_json(const struct oci_ctr *c, enum status st)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion", pd_oci_spec_version(), "id",
		      c->id, "pid", st == ST_STOPPED ? 0 : (int)c->pid, "status", status_names[st], "bundle",
		      c->bundle, "rootfs", c->rootfs, "created", c->created, "owner", c->owner);
	if (json_object_size(c->annotations))
		json_object_set(j, "annotations", c->annotations);
	return j;
}

/* The state a hook reads on its stdin. */
static char *hook_state(const struct oci_ctr *c, enum status st)
{
	size_t n = json_object_size(c->annotations), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys)), **vals = xcalloc(n + 1, sizeof(*vals));
	const char *k;
	json_t *v;
	json_object_foreach(c->annotations, k, v)
	{
		keys[i] = k;
		vals[i++] = json_string_value(v);
	}
	char *text = pd_oci_state_json(c->id, status_names[st], c->pid, c->bundle, keys, vals, i);
	free(keys);
	free(vals);
	return text;
}

/* Re-read the spec saved at create for its hooks (NULL list: none). */
static int run_hooks(const struct oci_ctr *c, enum pd_oci_hook_kind kind, enum status st, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", c->dir, SPEC_NAME);
	size_t len = 0;
	_cleanup_free_ char *text = pd_read_regular(path, "saved config", PD_OCI_MAX_JSON >> 20, &len, err);
	if (!text)
		return -1;
	struct pd_oci_spec spec;
	if (pd_oci_spec_parse(text, len, &spec, err) < 0)
		return -1;
	int r = 0;
	if (spec.hooks[kind].n) {
		_cleanup_free_ char *state = hook_state(c, st);
		r = pd_oci_hooks_run(&spec.hooks[kind], pd_oci_hook_name(kind), state, err);
	}
	pd_oci_spec_free(&spec);
	return r;
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09ldZ", stamp, ts.tv_nsec);
}

static char *owner_name(void)
{
	return xasprintf("%u", (unsigned)geteuid());
}

/* The pid file as runc writes it: decimal, no newline, whole or not at all. */
static int write_pid_file(const char *path, pid_t pid, struct pd_err **err)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", (int)pid);
	_cleanup_free_ char *abs = path[0] == '/' ? xstrdup(path) : NULL;
	if (!abs) {
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd)))
			return pd_fail(err, errno, "getcwd");
		abs = xasprintf("%s/%s", cwd, path);
	}
	return pd_write_file_atomic(abs, text, (size_t)n, 0644, err);
}

/* What create builds and hands from step to step. */
struct creation {
	const struct pd_oci_create_opts *o;
	bool master_to_caller; /* the pty master goes back to the caller */
	struct oci_ctr c;
	struct pd_config cfg;
	struct pd_oci_spec spec;
	bool have_spec;
	char *spec_text;
	size_t spec_len;
	struct pd_seccomp *seccomp;
	struct pd_cgroup *cg;
	struct pd_idmap map;
	int fifo;
	int join_fds[3]; /* the namespaces joined by path */
	int sv[2];
	pid_t pid;
	bool dir_made;
};

static void creation_end(struct creation *k, bool failed)
{
	if (failed && k->pid > 0) {
		kill(k->pid, SIGKILL);
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (k->cg) {
		if (failed)
			pd_cg_destroy(k->cg, pd_err_ignore(cleanup));
		else
			pd_cg_free(k->cg);
	}
	if (failed && k->dir_made)
		pd_rm_rf(k->c.dir, pd_err_ignore(cleanup));
	for (int i = 0; i < 2; i++)
		if (k->sv[i] >= 0)
			close(k->sv[i]);
	for (int i = 0; i < 3; i++)
		if (k->join_fds[i] > 0)
			close(k->join_fds[i]);
	if (k->fifo >= 0)
		close(k->fifo);
	pd_seccomp_free(k->seccomp);
	if (k->have_spec)
		pd_oci_spec_free(&k->spec);
	free(k->spec_text);
	pd_config_free(&k->cfg);
	ctr_free(&k->c);
}

/* The directory: made exclusively (a second create of one id fails) and
 * locked. */
static int create_dir(struct creation *k, const char *root, const char *id, struct pd_err **err)
{
	if (pd_mkdir_p(root, 0700, err) < 0)
		return -1;
	k->c.dir = ctr_dir(root, id);
	if (mkdir(k->c.dir, 0700) < 0)
		return errno == EEXIST
			   ? pd_fail_kind(err, PD_ERR_USAGE, EEXIST, "container '%s' already exists", id)
			   : pd_fail(err, errno, "create '%s'", k->c.dir);
	k->dir_made = true;
	k->c.lockfd = open(k->c.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (k->c.lockfd < 0 || flock(k->c.lockfd, LOCK_EX) < 0)
		return pd_fail(err, errno, "lock '%s'", k->c.dir);
	return 0;
}

static int create_config(struct creation *k, struct pd_err **err)
{
	const char *bundle = k->o->bundle;
	_cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
	k->spec_text = pd_read_regular(path, "bundle config", PD_OCI_MAX_JSON >> 20, &k->spec_len, err);
	if (!k->spec_text)
		return -1;
	if (pd_oci_spec_parse(k->spec_text, k->spec_len, &k->spec, err) < 0) {
		pd_err_prefix(err, "%s", path);
		return -1;
	}
	k->have_spec = true;
	if (pd_config_from_oci(&k->spec, bundle, &k->cfg, err) < 0)
		return -1;
	snprintf(k->cfg.id, sizeof(k->cfg.id), "%s", k->c.id);
	if (k->cfg.tty && !k->o->console_socket && !k->master_to_caller)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "process.terminal needs --console-socket (the pty master goes there)");
	char *rel = pd_cg_oci_path(k->cfg.cgroup_path, k->o->systemd_cgroup, k->c.id, err);
	if (!rel)
		return -1;
	free(k->cfg.cgroup_path);
	k->cfg.cgroup_path = rel;
	_cleanup_free_ char *spec_copy = xasprintf("%s/%s", k->c.dir, SPEC_NAME);
	return pd_write_file_atomic(spec_copy, k->spec_text, k->spec_len, 0600, err);
}

/* The filter, compiled before the clone (the default profile's is cached
 * under the state root). */
static int create_seccomp(struct creation *k, const char *root, struct pd_err **err)
{
	return pd_exec_seccomp(root, &k->cfg, &k->seccomp, err);
}

static int create_cgroup(struct creation *k, struct pd_err **err)
{
	k->cg = pd_cg_create_at(k->cfg.cgroup_path, &k->cfg.limits, k->cfg.rootless, err);
	return k->cg ? 0 : -1;
}

static int create_fifo(struct creation *k, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", k->c.dir, FIFO_NAME);
	if (mkfifo(path, 0600) < 0)
		return pd_fail(err, errno, "create '%s'", path);
	/* Read-write: neither this open nor the init's read ever sees "no
	 * writer"; the read returns when `start` writes. */
	k->fifo = open(path, O_RDWR | O_CLOEXEC);
	return k->fifo < 0 ? pd_fail(err, errno, "open '%s'", path) : 0;
}

/* The namespaces to join, opened now and checked to be of their type: a
 * path that is no namespace (or another kind) fails here, by name. */
static int create_joins(struct creation *k, struct pd_err **err)
{
	const char *paths[3] = { k->cfg.netns_path, k->cfg.ipcns_path, k->cfg.utsns_path };
	static const int types[3] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS };
	static const char *const names[3] = { "network", "ipc", "uts" };
	for (int i = 0; i < 3; i++) {
		if (!paths[i])
			continue;
		/* O_PATH first: a FIFO or a device there is never opened. */
		_cleanup_close_ int pfd = open(paths[i], O_PATH | O_CLOEXEC);
		struct statfs sf;
		if (pfd < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "the %s namespace '%s'", names[i],
					    paths[i]);
		if (fstatfs(pfd, &sf) < 0 || sf.f_type != NSFS_MAGIC)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is not a %s namespace", paths[i],
					    names[i]);
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
		int fd = open(self, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "the %s namespace '%s'", names[i],
					    paths[i]);
		k->join_fds[i] = fd;
		int t = ioctl(fd, NS_GET_NSTYPE);
		if (t != types[i])
			return pd_fail_kind(err, PD_ERR_USAGE, t < 0 ? errno : 0,
					    "'%s' is not a %s namespace", paths[i], names[i]);
	}
	return 0;
}

/* Clone the init and do the parent's side of its setup: group, id maps,
 * GO.  Then wait for READY (or its report of a failed step). */
static int create_init(struct creation *k, int *master, struct pd_err **err)
{
	/* The caller's stdio goes to the container as it is (the CLI made
	 * a closed one /dev/null before it opened anything). */
	const int stdio[3] = { 0, 1, 2 };
	if (sync_pair(k->sv, err) < 0)
		return -1;
	if (k->cfg.rootless)
		idmap_for_caller(&k->map);
	struct init_ctx ctx = {
		.cfg = &k->cfg,
		.merged = k->cfg.rootfs_arg,
		.rootfs_bind = k->cfg.rootfs_arg,
		.userns = k->cfg.rootless,
		.full_idmap = k->cfg.rootless && idmap_has_range(&k->map),
		.seccomp = k->seccomp,
		.stdio = { stdio[0], stdio[1], stdio[2] },
		.syncfd = k->sv[1],
		.start_fd = k->fifo,
		.outlive_parent = true,
		.preserve_fds = k->o->preserve_fds,
		.join_fds = { k->join_fds[0], k->join_fds[1], k->join_fds[2] },
		.join_types = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS },
	};
	bool in_group = false;
	int pidfd = -1, cgfd = pd_cg_clone_fd(k->cg), saved;
	pid_t pid = ns_clone(ctx.userns, k->cfg.net.mode != PD_NET_HOST, cgfd, &in_group, &pidfd, err);
	if (cgfd >= 0)
		close(cgfd);
	if (pid == 0) {
		close(k->sv[0]);
		init_main(&ctx);
	}
	if (pid < 0)
		return -1;
	close(pidfd);
	k->pid = pid;
	k->c.pid = pid;
	k->c.pid_start = pd_proc_start_time(pid);
	saved = ctr_save(&k->c, err);
	close(take_fd(&k->sv[1]));
	struct sync_msg go = { .type = SYNC_GO };
	if (saved < 0 || (!in_group && pd_cg_add_pid(k->cg, pid, err) < 0) ||
	    (ctx.userns && idmap_write(pid, &k->map, err) < 0) || sync_send(k->sv[0], &go, err) < 0) {
		/* Its own report, if it left one, names the step. */
		kill(pid, SIGKILL);
	}
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		struct pd_err *e = NULL;
		int r = sync_recv_fd(k->sv[0], &m, &fd, &e);
		if (r > 0 && m.type == SYNC_PTY) {
			pd_err_free(e);
			if (fd < 0)
				return pd_fail(err, EPROTO, "no terminal came with the pty report");
			int sent =
			    master ? (*master = fd, 0) : console_send_master(k->o->console_socket, fd, err);
			if (!master)
				close(fd);
			if (sent < 0)
				return -1;
			continue;
		}
		if (r > 0 && m.type == SYNC_READY) {
			pd_err_free(e);
			if (*err) /* ours failed, yet it got through: still a failure */
				return -1;
			return 0;
		}
		if (r > 0 && m.type == SYNC_ERROR) {
			pd_err_free(e);
			pd_err_free(take_ptr(err));
			return pd_fail_kind(err, (enum pd_err_kind)m.kind, m.errnum, "step '%.*s': %.*s",
					    (int)sizeof(m.step), m.step, (int)sizeof(m.text), m.text);
		}
		if (*err) {
			pd_err_free(e);
			return -1;
		}
		if (e) {
			*err = e;
			return -1;
		}
		return pd_fail(err, EPIPE, "the container's init ended before it was set up");
	}
}

/* The state, written once the config is known (no init yet: `delete`
 * can remove what a `create` that died leaves), and again with the init's
 * pid once it is cloned (create_init). */
static int create_record(struct creation *k, struct pd_err **err)
{
	struct oci_ctr *c = &k->c;
	c->bundle = realpath(k->o->bundle, NULL);
	if (!c->bundle)
		return pd_fail(err, errno, "bundle '%s'", k->o->bundle);
	c->rootfs = xstrdup(k->cfg.rootfs_arg);
	c->created = now_rfc3339();
	c->owner = owner_name();
	c->cgroup = xstrdup(k->cfg.cgroup_path);
	c->rootless = k->cfg.rootless;
	c->annotations = json_object();
	for (size_t i = 0; i < k->spec.n_annotations; i++)
		json_object_set_new(c->annotations, k->spec.annotations[i].key,
				    json_string(k->spec.annotations[i].value));
	c->config = pd_config_json(&k->cfg);
	return ctr_save(c, err);
}

int pd_oci_create(const char *root, const char *id, const struct pd_oci_create_opts *o, pid_t *pid,
		  int *master, struct pd_err **err)
{
	if (!pd_oci_id_valid(id))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid container id '%s': 1 to 64 of [a-zA-Z0-9_.-], not starting with "
				    "[_.-]",
				    id);
	struct creation k = { .o = o, .master_to_caller = master != NULL, .fifo = -1, .sv = { -1, -1 } };
	k.c.lockfd = -1;
	k.c.id = xstrdup(id);
	pd_config_init(&k.cfg);
	int r = create_dir(&k, root, id, err);
	if (r == 0)
		r = create_config(&k, err);
	if (r == 0)
		r = create_record(&k, err);
	if (r == 0)
		r = create_seccomp(&k, root, err);
	if (r == 0)
		r = create_cgroup(&k, err);
	if (r == 0)
		r = create_joins(&k, err);
	if (r == 0)
		r = create_fifo(&k, err);
	if (r == 0)
		r = create_init(&k, master, err);
	/* The hooks see the container as created, its pid and namespaces
	 * there to join (a network hook, say). */
	if (r == 0)
		r = run_hooks(&k.c, PD_OCI_HOOK_PRESTART, ST_CREATED, err);
	if (r == 0)
		r = run_hooks(&k.c, PD_OCI_HOOK_CREATE_RUNTIME, ST_CREATED, err);
	if (r == 0 && o->pid_file)
		r = write_pid_file(o->pid_file, k.pid, err);
	if (r == 0)
		*pid = k.pid;
	creation_end(&k, r < 0);
	return r;
}

int pd_oci_start(const char *root, const char *id, char **warn, struct pd_err **err)
{
	struct oci_ctr c;
	int r = ctr_load(root, id, true, &c, err);
	enum status st = r == 0 ? ctr_status(&c) : ST_STOPPED;
	if (r == 0 && st != ST_CREATED)
		r = pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot start a container that is %s",
				 status_names[st]);
	if (r == 0) {
		_cleanup_free_ char *fifo = xasprintf("%s/%s", c.dir, FIFO_NAME);
		/* Non-blocking: no reader means the init is gone (ENXIO). */
		_cleanup_close_ int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			r = pd_fail(err, errno, "open '%s'", fifo);
		else if (write(fd, "0", 1) != 1)
			r = pd_fail(err, errno, "write '%s'", fifo);
		else
			unlink(fifo);
	}
	if (r == 0) {
		struct pd_err *e = NULL;
		if (run_hooks(&c, PD_OCI_HOOK_POSTSTART, ST_RUNNING, &e) < 0 && warn)
			*warn = xstrdup(e->msg);
		pd_err_free(e);
	}
	ctr_free(&c);
	return r;
}

json_t *pd_oci_state(const char *root, const char *id, struct pd_err **err)
{
	struct oci_ctr c;
	json_t *j = NULL;
	if (ctr_load(root, id, false, &c, err) == 0)
		j = state_json(&c, ctr_status(&c));
	ctr_free(&c);
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *pd_oci_list(const char *root, struct pd_err **err)
{
	json_t *out = json_array();
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return out;
		json_decref(out);
		pd_fail(err, errno, "open '%s'", root);
		return NULL;
	}
	char **ids = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && pd_oci_id_valid(e->d_name)) {
			ids = xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = xstrdup(e->d_name);
		}
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct oci_ctr c;
		/* One being created or removed meanwhile is not listed. */
		if (ctr_load(root, ids[i], false, &c, pd_err_ignore(gone)) == 0)
			json_array_append_new(out, state_json(&c, ctr_status(&c)));
		ctr_free(&c);
		free(ids[i]);
	}
	free(ids);
	return out;
}

/* Signal the init through a pidfd: a pid reused since cannot be hit. */
static int signal_init(const struct oci_ctr *c, int sig, struct pd_err **err)
{
	_cleanup_close_ int fd = pd_pidfd_open_checked(c->pid, c->pid_start);
	if (fd < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, ESRCH, "container '%s' is not running", c->id);
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		return pd_fail(err, errno, "signal the container's init");
	return 0;
}

/* A frozen group's processes take a SIGKILL only once thawed. */
static void thaw_for_kill(const struct oci_ctr *c, int sig)
{
	if (sig != SIGKILL)
		return;
	struct pd_cgroup *cg = ctr_cgroup(c, pd_err_ignore(optional));
	bool frozen = false;
	if (cg && pd_cg_is_frozen(cg, &frozen, pd_err_ignore(optional)) == 0 && frozen)
		pd_cg_freeze(cg, false, pd_err_ignore(optional));
	if (cg)
		pd_cg_free(cg);
}

int pd_oci_kill(const char *root, const char *id, int sig, bool all, struct pd_err **err)
{
	struct oci_ctr c;
	int r = ctr_load(root, id, false, &c, err);
	if (r == 0 && all) {
		struct pd_cgroup *cg = ctr_cgroup(&c, err);
		r = cg ? pd_cg_signal_all(cg, sig, err) : -1;
		if (cg)
			pd_cg_free(cg);
	} else if (r == 0) {
		/* A created container's init is PID 1 of its namespace, waiting
		 * for `start` with no handlers: the kernel would drop a
		 * terminating signal, which must end it as it ends runc's. */
		if (ctr_status(&c) == ST_CREATED && sig != SIGCHLD && sig != SIGCONT && sig != SIGURG &&
		    sig != SIGWINCH && sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
			sig = SIGKILL;
		r = signal_init(&c, sig, err);
	}
	if (r == 0)
		thaw_for_kill(&c, sig);
	ctr_free(&c);
	return r;
}

/* Wait (bounded) for the init to be gone after a SIGKILL: not our child,
 * so through a pidfd. */
static void wait_gone(const struct oci_ctr *c)
{
	_cleanup_close_ int fd = pd_pidfd_open_checked(c->pid, c->pid_start);
	if (fd >= 0)
		poll(&(struct pollfd){ fd, POLLIN, 0 }, 1, 5000);
}

int pd_oci_delete(const char *root, const char *id, bool force, char **warn, struct pd_err **err)
{
	struct oci_ctr c;
	struct pd_err *e = NULL;
	if (ctr_load(root, id, true, &c, &e) < 0) {
		/* No state, yet the lock is ours: the `create` that made the
		 * directory died before it wrote anything else of note. */
		int r = e->errnum == EBUSY && c.lockfd >= 0 ? pd_rm_rf(c.dir, err) : 1;
		ctr_free(&c);
		if (r <= 0 || (force && e->errnum == ENOENT)) {
			pd_err_free(e);
			return r;
		}
		*err = e;
		return -1;
	}
	enum status st = ctr_status(&c);
	if ((st == ST_RUNNING || st == ST_PAUSED) && !force) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot delete a container that is %s (use --force)",
			     status_names[st]);
		ctr_free(&c);
		return -1;
	}
	if (st != ST_STOPPED) {
		signal_init(&c, SIGKILL, pd_err_ignore(gone));
		thaw_for_kill(&c, SIGKILL);
		wait_gone(&c);
	}
	/* What is left in the group dies with it; a group already gone is
	 * not an error. */
	int r = 0;
	struct pd_cgroup *cg = ctr_cgroup(&c, &e);
	if (cg)
		r = pd_cg_destroy(cg, err);
	else if (e->errnum != ENOENT) {
		*err = take_ptr(&e);
		r = -1;
	}
	pd_err_free(take_ptr(&e));
	if (r == 0 && run_hooks(&c, PD_OCI_HOOK_POSTSTOP, ST_STOPPED, &e) < 0 && warn)
		*warn = xstrdup(e->msg);
	pd_err_free(e);
	if (r == 0)
		r = pd_rm_rf(c.dir, err);
	ctr_free(&c);
	return r;
}

/* The group of a container whose init is alive. */
static struct pd_cgroup *live_cgroup(const char *root, const char *id, bool lock, struct oci_ctr *c,
				     struct pd_err **err)
{
	if (ctr_load(root, id, lock, c, err) < 0)
		return NULL;
	if (!init_alive(c)) {
		pd_fail_kind(err, PD_ERR_USAGE, ESRCH, "container '%s' is not running", id);
		return NULL;
	}
	return ctr_cgroup(c, err);
}

int pd_oci_pause(const char *root, const char *id, bool pause, struct pd_err **err)
{
	struct oci_ctr c;
	struct pd_cgroup *cg = live_cgroup(root, id, true, &c, err);
	int r = -1;
	if (cg) {
		enum status st = ctr_status(&c);
		if (pause && st != ST_RUNNING)
			r = pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot pause a container that is %s",
					 status_names[st]);
		else if (!pause && st != ST_PAUSED)
			r = pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot resume a container that is %s",
					 status_names[st]);
		else
			r = pd_cg_freeze(cg, pause, err);
		pd_cg_free(cg);
	}
	ctr_free(&c);
	return r;
}

int pd_oci_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct pd_err **err)
{
	struct oci_ctr c;
	*pids = NULL;
	*n = 0;
	int r = ctr_load(root, id, false, &c, err);
	if (r == 0 && init_alive(&c)) {
		struct pd_cgroup *cg = ctr_cgroup(&c, err);
		r = cg ? pd_cg_pids(cg, pids, n, err) : -1;
		if (cg)
			pd_cg_free(cg);
	}
	ctr_free(&c);
	return r;
}

int pd_oci_update(const char *root, const char *id, const char *resources_json, const struct pd_limits *extra,
		  struct pd_err **err)
{
	struct pd_limits l = { 0 };
	if (resources_json) {
		struct pd_oci_resources res;
		if (pd_oci_resources_parse(resources_json, strlen(resources_json), &res, err) < 0)
			return -1;
		int r = pd_limits_from_oci(&res, &l, err);
		pd_oci_resources_free(&res);
		if (r < 0) {
			pd_limits_free(&l);
			return -1;
		}
	}
	if (extra->memory)
		l.memory = extra->memory;
	if (extra->memory_swap)
		l.memory_swap = extra->memory_swap;
	if (extra->cpu_quota_us)
		l.cpu_quota_us = extra->cpu_quota_us;
	if (extra->cpu_period_us)
		l.cpu_period_us = extra->cpu_period_us;
	if (extra->cpu_shares)
		l.cpu_shares = extra->cpu_shares;
	if (extra->pids_max)
		l.pids_max = extra->pids_max;
	if (extra->cpuset_cpus) {
		free(l.cpuset_cpus);
		l.cpuset_cpus = xstrdup(extra->cpuset_cpus);
	}
	struct oci_ctr c;
	struct pd_cgroup *cg = live_cgroup(root, id, true, &c, err);
	int r = cg ? pd_cg_update(cg, &l, err) : -1;
	if (cg)
		pd_cg_free(cg);
	ctr_free(&c);
	pd_limits_free(&l);
	return r;
}

json_t *pd_oci_stats(const char *root, const char *id, struct pd_err **err)
{
	struct oci_ctr c;
	struct pd_cgroup *cg = live_cgroup(root, id, false, &c, err);
	struct pd_cg_stats s;
	json_t *j = NULL;
	if (cg && pd_cg_stats(cg, &s, err) == 0)
		j = json_pack("{s:s, s:s, s:{s:{s:{s:I}}, s:{s:{s:I, s:I}}, s:{s:I}}}", "type", "stats", "id",
			      id, "data", "cpu", "usage", "total", (json_int_t)s.cpu_usage_ns, "memory",
			      "usage", "usage", (json_int_t)s.mem_usage, "limit", (json_int_t)s.mem_limit,
			      "pids", "current", (json_int_t)s.pids);
	if (cg)
		pd_cg_free(cg);
	ctr_free(&c);
	return j;
}

/* --cap names onto the container's set. */
static int add_caps(char **names, uint64_t *caps, struct pd_err **err)
{
	for (size_t i = 0; names && names[i]; i++) {
		bool all = false;
		uint64_t m = 0;
		if (pd_cap_name_parse(names[i], &m, &all, err) < 0)
			return -1;
		*caps |= m;
	}
	return 0;
}

/* The exec's process, from --process or the flags. */
static int exec_process(const struct pd_oci_exec_opts *o, struct pd_config *p, struct pd_err **err)
{
	if (o->process_json) {
		struct pd_oci_process proc;
		if (pd_oci_process_parse(o->process_json, strlen(o->process_json), &proc, err) < 0)
			return -1;
		int r = pd_config_from_oci_process(&proc, p, err);
		pd_oci_process_free(&proc);
		return r;
	}
	if (!o->argv || !o->argv[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "exec needs a command (or --process)");
	p->argv = strv_copy(o->argv);
	return 0;
}

int pd_oci_exec(const char *root, const char *id, const struct pd_oci_exec_opts *o, pid_t *pid,
		int *exit_code, struct pd_err **err)
{
	struct oci_ctr c;
	struct pd_config ctr, proc;
	pd_config_init(&ctr);
	pd_config_init(&proc);
	struct pd_seccomp *filter = NULL;
	int pidfd = -1, master = -1, r = ctr_load(root, id, false, &c, err);
	*exit_code = 0;
	if (r == 0) {
		_cleanup_free_ char *text = json_dumps(c.config, JSON_COMPACT);
		r = pd_config_decode(text, &ctr, err);
	}
	enum status st = r == 0 ? ctr_status(&c) : ST_STOPPED;
	if (r == 0 && st != ST_RUNNING)
		r = pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot exec in a container that is %s",
				 status_names[st]);
	if (r == 0)
		r = exec_process(o, &proc, err);
	bool from_json = o->process_json != NULL;
	if (r == 0 && !from_json)
		r = add_caps(o->caps, &ctr.caps, err);
	if (r == 0 && (from_json ? proc.tty : o->tty) && !o->console_socket)
		r = pd_fail_kind(err, PD_ERR_USAGE, 0, "a terminal needs --console-socket");
	if (r == 0)
		r = pd_exec_seccomp(root, &ctr, &filter, err);
	if (r == 0) {
		pidfd = pd_pidfd_open_checked(c.pid, c.pid_start);
		if (pidfd < 0)
			r = pd_fail_kind(err, PD_ERR_USAGE, ESRCH, "container '%s' is not running", id);
	}
	pid_t child = -1;
	if (r == 0) {
		struct pd_record rec = { .pid = c.pid, .pid_start = c.pid_start };
		snprintf(rec.id, sizeof(rec.id), "%s", id);
		struct pd_exec_opts eo = {
			.argv = proc.argv,
			.env = from_json ? NULL : o->env,
			.user = from_json ? proc.user : o->user,
			.workdir = from_json ? proc.workdir : o->cwd,
			.interactive = true,
			.tty = from_json ? proc.tty : o->tty,
			.detach = o->detach,
			.seccomp = filter,
			.process = from_json ? &proc : NULL,
		};
		const int stdio[3] = { 0, 1, 2 };
		child = pd_exec_start(&rec, &ctr, pidfd, &eo, stdio, &master, err);
		r = child < 0 ? -1 : 0;
	}
	if (r == 0 && master >= 0) {
		r = console_send_master(o->console_socket, master, err);
		close(take_fd(&master));
	}
	if (r == 0 && o->pid_file)
		r = write_pid_file(o->pid_file, child, err);
	if (r == 0)
		*pid = child;
	if (child > 0 && r < 0)
		kill(child, SIGKILL); /* not left running when the caller hears a failure */
	if (child > 0 && (!o->detach || r < 0)) {
		int status = 0;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		*exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	}
	if (master >= 0)
		close(master);
	if (pidfd >= 0)
		close(pidfd);
	pd_seccomp_free(filter);
	pd_config_free(&ctr);
	pd_config_free(&proc);
	ctr_free(&c);
	return r;
}
