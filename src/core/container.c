/* Container lifecycle (see container.h).  Runs in the CLI with the caller's
 * privileges: real root, or an unprivileged user (rootless, where the
 * container gets a user namespace).
 *
 * `run`: the record is written as 'creating' (owned by this CLI's process
 * identity) before anything else exists; then the rootfs is resolved (a
 * tarball extracted into the cache once), the container's directory made,
 * and a monitor forked (setsid).  The monitor starts the container and
 * reports back over the attach socket; a foreground run stays attached to
 * it, a detached one prints the id and leaves.  The overlay is mounted by
 * the container's init inside its own mount namespace, so nothing ever has
 * to be unmounted on the host: removal is a directory and a record. */
#include "core/container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/attach.h"
#include "core/control.h"
#include "core/detach.h"
#include "core/events.h"
#include "core/logs.h"
#include "core/monitor.h"
#include "core/network.h"
#include "core/query.h"
#include "core/volumes.h"
#include "image/archive.h"
#include "image/blobs.h"
#include "image/cache.h"
#include "core/images.h"
#include "linux/cgroup.h"
#include "linux/idmap.h"
#include "linux/pty.h"
#include "linux/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

static void home_of_invoker(char *out, size_t len)
{
	const char *sudo_user = getenv("SUDO_USER");
	if (geteuid() == 0 && sudo_user && *sudo_user) {
		struct passwd *pw = getpwnam(sudo_user);
		if (pw && pw->pw_dir) {
			snprintf(out, len, "%s", pw->pw_dir);
			return;
		}
	}
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw && pw->pw_dir ? pw->pw_dir : "/";
	}
	snprintf(out, len, "%s", home);
}

/* Under sudo the state root is the invoking user's (SUDO_USER's home) and
 * what root makes in it is handed to that user (pd_chown_to_invoker, to
 * SUDO_UID).  That user controls their home: ~/.pocket-docker may be a
 * symlink to a directory of root's (/etc, /root/.ssh), and following it
 * would have root create files there and chown them to the user.  So under
 * sudo the state root and its subdirectories must be real directories
 * (opened with O_NOFOLLOW) owned by the user they are handed to.  *uid: that
 * user (SUDO_UID, else SUDO_USER's uid); false when not under sudo. */
static bool sudo_owner(uid_t *uid)
{
	if (geteuid() != 0)
		return false;
	const char *su = getenv("SUDO_UID"), *user = getenv("SUDO_USER");
	if (su && *su) {
		*uid = (uid_t)strtoul(su, NULL, 10);
		return true;
	}
	struct passwd *pw = user && *user ? getpwnam(user) : NULL;
	if (!pw)
		return false;
	*uid = pw->pw_uid;
	return true;
}

/* `path` is a directory (not a symlink) owned by `uid`; a missing path is
 * fine when `may_be_missing`. */
static int check_sudo_dir(const char *path, uid_t uid, bool may_be_missing, struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 && errno == ENOENT && may_be_missing)
		return 0;
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "state root '%s' is a symbolic link: under sudo it must be a directory "
				    "owned by the invoking user (uid %u)",
				    path, (unsigned)uid);
	if (fd < 0 || fstat(fd, &st) < 0)
		return pd_fail(err, errno, "open state root '%s'", path);
	if (st.st_uid != uid)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "state root '%s' belongs to uid %u, not to the invoking user (uid %u) it "
				    "is handed to under sudo",
				    path, (unsigned)st.st_uid, (unsigned)uid);
	return 0;
}

/* The state root's subdirectories, handed back to the invoking user. */
static int make_layout(const char *root, const uid_t *sudo_uid, struct pd_err **err)
{
	static const char *const subdirs[] = { "containers", "logs", "cache", "volumes" };
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", root, subdirs[i]);
		if (mkdir(p, 0700) == 0)
			pd_chown_to_invoker(p);
		else if (errno != EEXIST)
			return pd_fail(err, errno, "create '%s'", p);
		if (sudo_uid && check_sudo_dir(p, *sudo_uid, false, err) < 0)
			return -1;
	}
	return 0;
}

char *pd_state_root_path(const char *arg)
{
	const char *env = getenv("POCKET_DOCKER_ROOT");
	if (arg && *arg)
		return xstrdup(arg);
	if (env && *env)
		return xstrdup(env);
	char home[4096];
	home_of_invoker(home, sizeof(home));
	return xasprintf("%s/.pocket-docker", home);
}

char *pd_state_root(const char *arg, struct pd_err **err)
{
	_cleanup_free_ char *root = pd_state_root_path(arg);
	uid_t owner = 0;
	bool sudo = sudo_owner(&owner);
	if (sudo && check_sudo_dir(root, owner, true, err) < 0)
		return NULL;
	if (!pd_is_dir(root)) {
		if (pd_mkdir_p(root, 0700, err) < 0)
			return NULL;
		pd_chown_to_invoker(root);
	}
	if (sudo && check_sudo_dir(root, owner, false, err) < 0)
		return NULL;
	char real[4096];
	if (!realpath(root, real)) {
		pd_fail(err, errno, "resolve state root '%s'", root);
		return NULL;
	}
	if (make_layout(real, sudo ? &owner : NULL, err) < 0)
		return NULL;
	return xstrdup(real);
}

static int rm_rf_cb(void *path)
{
	return pd_rm_rf(path, pd_err_ignore(status));
}

/* A rootless container may leave files owned by subordinate ids in its
 * upper layer, which the caller cannot remove as itself; they are removed
 * from inside a user namespace with the same map, where the caller is root
 * over them. */
int pd_container_remove_dir(const char *dir, bool rootless, struct pd_err **err)
{
	_cleanup_err_ struct pd_err *e = NULL;
	if (pd_rm_rf(dir, &e) == 0)
		return 0;
	struct pd_idmap map;
	idmap_for_caller(&map);
	if (!rootless || !idmap_has_range(&map))
		return pd_fail(err, e->errnum, "%s", e->msg);
	return idmap_run_in_userns(&map, rm_rf_cb, (void *)dir, err);
}

char *pd_container_hide_dir(const char *root, const char *dir, bool rootless)
{
	const char *slash = strrchr(dir, '/');
	_cleanup_free_ char *trash = xasprintf("%s/trash", root);
	char *to = xasprintf("%s/%s", trash, slash ? slash + 1 : dir);
	if (mkdir(trash, 0700) == 0)
		pd_chown_to_invoker(trash);
	if (rename(dir, to) == 0)
		return to;
	free(to);
	pd_container_remove_dir(dir, rootless, pd_err_ignore(cleanup));
	return NULL;
}

/* The lower layer: a directory as given, or a tarball's cached extraction. */
static char *resolve_rootfs(const char *root, const char *arg, bool rootless, struct pd_err **err)
{
	struct stat st;
	if (stat(arg, &st) < 0) {
		pd_fail_kind(err, PD_ERR_USAGE, errno, "rootfs '%s'", arg);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		char real[4096];
		if (!realpath(arg, real)) {
			pd_fail(err, errno, "resolve rootfs '%s'", arg);
			return NULL;
		}
		if (rootless && st.st_uid != geteuid()) {
			/* Files owned by ids outside the user namespace cannot
			 * be copied up by the overlay: what the tree holds can
			 * be neither changed nor added to.  The overlay's root
			 * takes its owner from the upper directory (ours), and
			 * /etc is copied up for the generated files, so those
			 * two still take new files. */
			struct pd_idmap map;
			idmap_for_caller(&map);
			if (!idmap_has_range(&map) || st.st_uid < map.sub_uid ||
			    st.st_uid - map.sub_uid >= map.sub_uid_count)
				pd_warn("rootfs '%s' belongs to uid %u, which is not mapped rootless: in the "
					"container its existing files cannot be changed and its directories "
					"take no new files, except / and /etc (use --tmpfs PATH for scratch "
					"space, or a tarball of the tree for a writable copy)",
					arg, (unsigned)st.st_uid);
		}
		return xstrdup(real);
	}
	if (!S_ISREG(st.st_mode) || !pd_archive_is_tarball_name(arg)) {
		pd_fail_kind(err, PD_ERR_USAGE, 0,
			     "rootfs '%s' is neither a directory nor a tarball (.tar, .tar.gz, .tgz, "
			     ".tar.xz, .tar.zst)",
			     arg);
		return NULL;
	}
	unsigned skipped = 0;
	return pd_image_tarball_rootfs(root, arg, rootless, &skipped, err);
}

/* The lower layers, top first: an image's layers, or that one. */
char **pd_container_lowers(const char *root, const struct pd_config *cfg, struct pd_err **err)
{
	if (cfg->image_id)
		return pd_image_lowers(root, cfg->image_id, cfg->rootless, err);
	char *one = resolve_rootfs(root, cfg->rootfs_arg, cfg->rootless, err);
	if (!one)
		return NULL;
	char **v = xcalloc(2, sizeof(char *));
	v[0] = one;
	return v;
}

static char *command_json(char *const *argv)
{
	json_t *a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!s)
		abort();
	return s;
}

static const char *const name_left[] = { "brave",  "calm",  "eager", "fancy",	"gentle", "happy",  "jolly",
					 "keen",   "lucid", "merry", "nifty",	"proud",  "quirky", "serene",
					 "tender", "vivid", "witty", "zealous", "bold",	  "crisp" };
static const char *const name_right[] = { "turing",    "hopper",   "lovelace", "ritchie",  "thompson",
					  "knuth",     "dijkstra", "liskov",   "hamilton", "torvalds",
					  "kernighan", "lamport",  "backus",   "mccarthy", "wirth",
					  "shannon",   "babbage",  "noether",  "curie",	   "euler" };

static char *random_name(const char *id)
{
	unsigned v = (unsigned)strtoul((char[9]){ id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0 },
				       NULL, 16);
	return xasprintf("%s_%s_%c%c", name_left[v % ARRAY_SIZE(name_left)],
			 name_right[(v / 32) % ARRAY_SIZE(name_right)], id[8], id[9]);
}

/* A generated name taken already (1 in ~100,000 per pair): another one,
 * from fresh random bits and a longer suffix. */
static char *another_name(void)
{
	unsigned char b[4] = { 0 };
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		b[0] = (unsigned char)getpid(), b[1] = (unsigned char)(getpid() >> 8);
	return xasprintf("%s_%s_%02x%02x", name_left[b[0] % ARRAY_SIZE(name_left)],
			 name_right[b[1] % ARRAY_SIZE(name_right)], b[2], b[3]);
}

static int insert_record(struct pd_store *s, struct pd_config *cfg, struct pd_err **err)
{
	bool generated = !cfg->name;
	if (generated)
		cfg->name = random_name(cfg->id);

	_cleanup_free_ char *cmd = command_json(cfg->argv);
	_cleanup_free_ char *conf = pd_config_encode(cfg);
	struct pd_record r = {
		.name = cfg->name,
		.image = cfg->rootfs_arg,
		.command = cmd,
		.config = conf,
		.created_ns = pd_now_ns(),
		.auto_remove = cfg->remove,
		/* Until the monitor takes over, the record belongs to this
		 * process: if it dies here, `ps` and `prune` see a 'creating'
		 * row whose owner is gone. */
		.monitor_pid = getpid(),
		.monitor_start = pd_proc_start_time(getpid()),
	};
	snprintf(r.id, sizeof(r.id), "%s", cfg->id);
	for (int attempt = 0;; attempt++) {
		if (pd_store_insert(s, &r, err) == 0)
			return 0;
		struct pd_record other;
		if (!generated || attempt >= 8 ||
		    pd_store_find(s, cfg->name, &other, pd_err_ignore(status)) < 0)
			return -1;
		pd_record_free(&other);
		if (err) {
			pd_err_free(*err);
			*err = NULL;
		}
		free(cfg->name);
		r.name = cfg->name = another_name();
	}
}

/* Discard a record (and its directory) whose start never happened. */
static void discard(struct pd_store *s, const char *root, const struct pd_config *cfg)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, cfg->id);
	/* Its name on a user-defined network goes from the others' files. */
	pd_network_release(s, cfg->id, false);
	pd_container_remove_dir(dir, cfg->rootless, pd_err_ignore(cleanup));
	pd_store_delete(s, cfg->id, pd_err_ignore(cleanup));
	if (pd_volumes_has_anonymous(cfg))
		pd_volumes_remove_anonymous(root, cfg->id, pd_err_ignore(cleanup));
}

/* One fork: the monitor starts a session of its own (so the caller's
 * terminal and its signals never reach it; it opens no terminal, so none
 * becomes its controlling one) and is re-parented to the nearest
 * subreaper or init when the CLI exits.  No intermediate process to fork
 * and reap on the start's path.  The child closes the CLI's end of the
 * attach pair: holding it, a monitor would write into a socket only it
 * could read, and stall once its buffer filled. */
static void spawn_monitor(struct monitor_args *a, int cli_fd)
{
	if (fork() == 0) {
		close(cli_fd);
		setsid();
		monitor_main(a);
	}
}

/* Wait for the monitor's first word: started, or the failed step. */
static int await_start(int fd, pid_t *pid, struct pd_err **err)
{
	char buf[sizeof(struct sync_msg) + 16];
	uint32_t type = 0;
	ssize_t n = attach_recv(fd, &type, buf, sizeof(buf));
	if (n < 0)
		return pd_fail(err, errno, "read from the monitor");
	if (type == ATTACH_STARTED && n == sizeof(struct attach_started)) {
		*pid = ((struct attach_started *)buf)->pid;
		return 0;
	}
	if (type == ATTACH_ERROR && n == sizeof(struct sync_msg)) {
		struct sync_msg *m = (struct sync_msg *)buf;
		m->step[sizeof(m->step) - 1] = m->text[sizeof(m->text) - 1] = '\0';
		pd_fail_kind(err, (enum pd_err_kind)m->kind, m->errnum, "step '%s': %s", m->step, m->text);
		return -1;
	}
	return pd_fail(err, 0, "the monitor ended before the container started");
}

/* The container's directory: no "merged" directory, the overlay is
 * mounted over this directory itself, in the container's own mount
 * namespace only (one inode less to create and delete per container).
 * `again`: a stopped container's, which has them already. */
static int make_dirs(const char *dir, bool again, struct pd_err **err)
{
	if (mkdir(dir, 0700) < 0 && !(again && errno == EEXIST))
		return pd_fail(err, errno, "create container directory '%s'", dir);
	static const char *const sub[] = { "upper", "work" };
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, sub[i]);
		if (mkdir(p, i == 1 ? 0700 : 0755) < 0 && !(again && errno == EEXIST))
			return pd_fail(err, errno, "create '%s'", p);
	}
	return 0;
}

/* Hand the container to a new monitor and wait until its command runs.
 * `claim_lock`: pd_network_reserve's, handed to the monitor, which
 * releases it once it claimed the address (the caller only closes its
 * copy). */
static int launch(struct pd_config *cfg, const char *root, char **lowers, const char *dir, bool detach,
		  const struct pd_start_io *io, int claim_lock, int *attach_fd, pid_t *pid,
		  struct pd_err **err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pd_fail(err, errno, "create the monitor's socket");
	struct monitor_args a = {
		.cfg = cfg,
		.root = root,
		.lowers = lowers,
		.dir = dir,
		.client_fd = sv[1],
		.stdin_fd = io ? io->stdin_fd : -1,
		.report_fd = io ? io->report_fd : -1,
		.report_to_owner = io && io->report_to_owner,
		.claim_lock = claim_lock,
	};
	spawn_monitor(&a, sv[0]);
	close(sv[1]);
	_cleanup_close_ int fd = sv[0];
	if (await_start(fd, pid, err) < 0)
		return -1;
	if (!detach)
		*attach_fd = take_fd(&fd);
	return 0;
}

int pd_container_start(struct pd_config *cfg, const char *root, bool detach, const struct pd_start_io *io,
		       int *attach_fd, pid_t *pid, struct pd_err **err)
{
	/* The container's v1 cgroup move is ~5 ms away: start its wait now. */
	pd_cg_prime(cfg->rootless);
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	if (insert_record(s, cfg, err) < 0)
		return -1;
	_cleanup_close_ int claim_lock = -1;
	if (pd_network_reserve(s, root, cfg, false, &claim_lock, err) < 0) {
		discard(s, root, cfg);
		return -1;
	}
	_cleanup_strv_ char **lowers = pd_container_lowers(root, cfg, err);
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, cfg->id);
	if (!lowers || pd_volumes_prepare(s, root, cfg, lowers, err) < 0 || make_dirs(dir, false, err) < 0) {
		discard(s, root, cfg);
		return -1;
	}
	pd_store_close(take_ptr(&s));
	return launch(cfg, root, lowers, dir, detach, io, claim_lock, attach_fd, pid, err);
}

int pd_container_create(struct pd_config *cfg, const char *root, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	if (insert_record(s, cfg, err) < 0)
		return -1;
	/* The layers are looked up now (an image removed later is the
	 * start's error), and nothing is reserved: ports and an address are
	 * taken by each start. */
	_cleanup_strv_ char **lowers = pd_container_lowers(root, cfg, err);
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, cfg->id);
	if (!lowers || pd_volumes_prepare(s, root, cfg, lowers, err) < 0 || make_dirs(dir, false, err) < 0 ||
	    pd_store_set_created(s, cfg->id, err) < 0) {
		discard(s, root, cfg);
		return -1;
	}
	return 0;
}

/* pd_container_stop's report for one container: keep its error. */
static void keep_stop_error(const char *ref, const struct pd_err *e, void *data)
{
	struct pd_err **err = data;
	if (e && err && !*err)
		pd_fail_kind(err, e->kind, e->errnum, "%s", e->msg);
}

int pd_container_restart(const char *root, const char *ref, int timeout_s, struct pd_err **err)
{
	struct pd_err *stop_err = NULL;
	char *one[] = { (char *)ref, NULL };
	pd_container_stop(root, one, timeout_s, keep_stop_error, &stop_err);
	if (stop_err) {
		if (err)
			*err = stop_err;
		else
			pd_err_free(stop_err);
		return -1;
	}
	struct pd_config cfg;
	pd_config_init(&cfg);
	int r = pd_container_start_existing(root, ref, true, &cfg, NULL, &(pid_t){ 0 }, err);
	if (r >= 0) {
		_cleanup_store_ struct pd_store *s = pd_store_open(root, pd_err_ignore(optional));
		pd_event_container(s, cfg.id[0] ? cfg.id : NULL, "restart", NULL, NULL);
	}
	pd_config_free(&cfg);
	return r < 0 ? -1 : 0;
}

int pd_container_lock(const char *root, const char *id, struct pd_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, id);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", dir);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return pd_fail(err, e, "lock '%s'", dir);
		}
	}
	return fd;
}

/* A start of a stopped container that failed before its monitor took the
 * record: back to how it was, with the reason for an exited one. */
static void unclaim(struct pd_store *s, const struct pd_record *r, const struct pd_err *why)
{
	if (r->state == PD_STATE_CREATED) {
		pd_store_set_created(s, r->id, pd_err_ignore(unreportable));
		return;
	}
	_cleanup_free_ char *text = why ? pd_err_text(why) : NULL;
	pd_store_set_exited(s, r->id, r->exit_code, r->oom_killed, r->finished_ns, text,
			    pd_err_ignore(unreportable));
}

int pd_container_start_existing(const char *root, const char *ref, bool detach, struct pd_config *cfg,
				int *attach_fd, pid_t *pid, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0)
		return -1;
	pd_container_refresh(s, &r);
	int ret = -1;
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, r.id);
	_cleanup_close_ int claim_lock = -1;
	if (!pd_state_is_stopped(r.state)) {
		/* Docker's `start` of a running container does nothing. */
		ret = 1;
		goto out;
	}
	if (r.auto_remove && r.started_ns) {
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s ran with --rm and is being removed",
				   r.id);
		goto out;
	}
	if (pd_config_decode(r.config, cfg, err) < 0) {
		pd_err_prefix(err, "container %.12s's record", r.id);
		goto out;
	}
	snprintf(cfg->id, sizeof(cfg->id), "%s", r.id);
	free(cfg->name);
	cfg->name = xstrdup(r.name);
	/* Claimed under the directory's lock: a `cp` that has mounted the
	 * stopped container's overlay holds it until it is done. */
	int lock = pd_container_lock(root, r.id, err);
	if (lock < 0)
		goto out;
	int c = pd_store_claim_start(s, r.id, getpid(), pd_proc_start_time(getpid()), err);
	close(lock);
	if (c <= 0) {
		if (c == 0)
			ret = 1; /* another start took it first: running now */
		goto out;
	}
	/* No pd_cg_prime here: its thread could still be running (holding
	 * an allocator lock) when the monitor is forked a moment later, and
	 * the monitor would deadlock on that lock (seen under ASan). */
	if (pd_network_reserve(s, root, cfg, true, &claim_lock, err) < 0 ||
	    !(lowers = pd_container_lowers(root, cfg, err)) ||
	    pd_volumes_prepare(s, root, cfg, lowers, err) < 0 || make_dirs(dir, true, err) < 0) {
		pd_network_release(s, r.id, true);
		unclaim(s, &r, err ? *err : NULL);
		goto out;
	}
	pd_store_close(take_ptr(&s));
	/* From here the monitor owns the record, and records a failure. */
	ret = launch(cfg, root, lowers, dir, detach, NULL, claim_lock, attach_fd, pid, err);
out:
	pd_record_free(&r);
	return ret;
}

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
	if (forward_pid > 0)
		kill(forward_pid, sig);
}

char *pd_parse_detach_keys(const char *spec, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *out = xcalloc(strlen(spec) + 1, 1);
	size_t n = 0;
	for (char *save = NULL, *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (strlen(k) == 1) {
			out[n++] = k[0];
		} else if (!strncasecmp(k, "ctrl-", 5) && strlen(k) == 6) {
			char c = (char)toupper((unsigned char)k[5]);
			if (!((c >= '@' && c <= '_') || c == '?')) {
				free(out);
				pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid detach key '%s'", k);
				return NULL;
			}
			out[n++] = c == '?' ? 0x7f : (char)(c - '@');
		} else {
			free(out);
			pd_fail_kind(err, PD_ERR_USAGE, 0,
				     "invalid detach key '%s' (want e.g. ctrl-p,ctrl-q)", k);
			return NULL;
		}
	}
	if (!n) {
		free(out);
		pd_fail_kind(err, PD_ERR_USAGE, 0, "empty detach keys");
		return NULL;
	}
	return out;
}

/* Stop reading what is typed while this much waits for the monitor.  What
 * goes to the monitor is queued, never sent with a blocking write: the
 * monitor stops reading us while the container does not read its input,
 * and a container that writes before it reads waits for us to take its
 * output meanwhile. */
#define TYPED_HIGH_WATER 65536

struct attach_state {
	int fd;
	const struct pd_attach_opts *o;
	struct relay_input in;	/* what is typed, less the detach keys */
	struct attach_out sent; /* frames the monitor has not taken yet */
	bool stdin_done;
};

static void send_size(struct attach_state *st)
{
	struct attach_resize r;
	if (pty_get_size(0, &r.rows, &r.cols) || pty_get_size(1, &r.rows, &r.cols))
		attach_out_send(st->fd, &st->sent, ATTACH_RESIZE, &r, sizeof(r));
}

/* Forward what was typed, holding back a possible start of the detach
 * sequence; returns 1 once the whole sequence was typed. */
static int forward_input(struct attach_state *st)
{
	const char *data;
	size_t len;
	enum relay_in got = relay_input_read(&st->in, &data, &len);
	if (len)
		attach_out_send(st->fd, &st->sent, ATTACH_STDIN, data, len);
	if (got == RELAY_IN_EOF) {
		attach_out_send(st->fd, &st->sent, ATTACH_STDIN_EOF, NULL, 0);
		st->stdin_done = true;
	}
	return got == RELAY_IN_DETACH ? 1 : 0;
}

int pd_container_attach(int attach_fd, pid_t pid, const struct pd_attach_opts *o, int *exit_code,
			struct pd_err **err)
{
	if (!o->tty) {
		forward_pid = pid;
		struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
			sigaction(forwarded_signals[i], &sa, NULL);
	}
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	_cleanup_close_ int wfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	struct attach_state st = { .fd = attach_fd, .o = o, .stdin_done = !o->stdin_open };
	/* The detach keys act on a terminal only, as Docker's: without -t,
	 * stdin is data (a binary file may hold Ctrl-P Ctrl-Q) and all of
	 * it reaches the container. */
	relay_input_init(&st.in, 0, o->tty ? o->detach_keys : NULL, ATTACH_MAX_PAYLOAD / 2);
	if (o->tty)
		send_size(&st);
	_cleanup_free_ char *buf = xmalloc(ATTACH_MAX_PAYLOAD + 64);
	int ret = -1;
	for (;;) {
		size_t waiting = attach_out_pending(&st.sent);
		struct pollfd p[3] = {
			{ attach_fd, POLLIN | (waiting ? POLLOUT : 0), 0 },
			{ st.stdin_done || waiting >= TYPED_HIGH_WATER ? -1 : 0, POLLIN, 0 },
			{ o->tty ? wfd : -1, POLLIN, 0 },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = pd_fail(err, errno, "wait for the container");
			break;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(wfd, &si, sizeof(si)) == sizeof(si))
				;
			send_size(&st);
		}
		if (p[1].revents && forward_input(&st) == 1) {
			ret = 1;
			break;
		}
		if (p[0].revents & POLLOUT)
			attach_out_flush(attach_fd, &st.sent); /* a monitor gone: its EOF is read next */
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		uint32_t type;
		ssize_t n = attach_recv(attach_fd, &type, buf, ATTACH_MAX_PAYLOAD + 64);
		if (n < 0) {
			ret = pd_fail(err, errno, "read from the monitor");
			break;
		}
		if (type == 0) {
			ret = pd_fail(err, 0, "the monitor ended without reporting the exit status");
			break;
		}
		if (type == ATTACH_STDOUT || type == ATTACH_STDERR) {
			/* A closed stdout (| head) must not stop the container. */
			pd_write_all(type == ATTACH_STDOUT ? 1 : 2, buf, (size_t)n);
			if (type == ATTACH_STDOUT && n > 0 && o->end)
				o->end->stdout_mid_line = buf[n - 1] != '\n';
		} else if (type == ATTACH_REPORT && o->end && !o->end->report) {
			o->end->report = xstrndup(buf, (size_t)n);
		} else if (type == ATTACH_EXIT && n == sizeof(int32_t)) {
			*exit_code = *(int32_t *)buf;
			ret = 0;
			break;
		}
	}
	forward_pid = 0;
	relay_input_free(&st.in);
	attach_out_reset(&st.sent);
	return ret;
}

/* Whether a record in state `st` has a monitor that runs: it is running,
 * being stopped, or waiting out a restart's back-off (the monitor stays
 * through it).  `wait` waits for that monitor; `attach` talks to it. */
static bool has_live_monitor(enum pd_state st)
{
	return st == PD_STATE_RUNNING || st == PD_STATE_STOPPING || st == PD_STATE_RESTARTING;
}

int pd_container_connect(const char *root, const char *ref, int *attach_fd, pid_t *pid, bool *tty,
			 bool *stdin_open, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0)
		return -1;
	pd_container_refresh(s, &r);
	bool running = has_live_monitor(r.state);
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, r.id);
	char id[13];
	snprintf(id, sizeof(id), "%.12s", r.id);
	pd_record_free(&r);
	if (!running)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container %s is not running", id);
	int fd = attach_connect(dir, err);
	if (fd < 0)
		return -1;
	struct attach_started st;
	uint32_t type;
	if (attach_recv(fd, &type, &st, sizeof(st)) != sizeof(st) || type != ATTACH_STARTED) {
		close(fd);
		return pd_fail(err, EPROTO, "the monitor of container %s did not answer", id);
	}
	*attach_fd = fd;
	*pid = st.pid;
	*tty = st.tty;
	*stdin_open = st.stdin_open;
	return 0;
}

void pd_container_refresh(struct pd_store *s, struct pd_record *r)
{
	if (pd_state_is_stopped(r->state))
		return;
	if (pd_proc_is_alive(r->monitor_pid, r->monitor_start))
		return;
	/* The owner (the creating CLI, then the monitor) is gone without
	 * recording an exit; the container's init dies with its monitor
	 * (PR_SET_PDEATHSIG), so the container is gone too.  Unless the
	 * record has a new owner since it was read (a start of the stopped
	 * container): then it is read again. */
	const char *why = r->state == PD_STATE_CREATING
			      ? "the runtime died while creating the container"
			      : "the monitor died; the container was killed with it";
	int code = r->exit_code >= 0 ? r->exit_code : r->started_ns ? 137 : 125;
	int64_t now = pd_now_ns();
	int w = pd_store_set_owner_died(s, r->id, r->monitor_pid, r->monitor_start, code, now, why,
					pd_err_ignore(corrected));
	if (w == 0) {
		struct pd_record again;
		if (pd_store_find(s, r->id, &again, pd_err_ignore(gone)) == 0) {
			pd_record_free(r);
			*r = again;
		}
		return;
	}
	r->state = PD_STATE_EXITED;
	r->exit_code = code;
	r->finished_ns = now;
	free(r->error);
	r->error = xstrdup(why);
	r->pid = 0;
}

/* The signal `stop` sends first: the image's StopSignal or --stop-signal
 * ("SIGQUIT", "QUIT", "3") recorded in the config; SIGTERM otherwise (and
 * when the record cannot be read: stopping must still work). */
/* The record's stop signal (SIGTERM unless the image or --stop-signal
 * named another) and grace period in ms (`timeout_s` when not negative,
 * else the container's --stop-timeout, else PD_STOP_TIMEOUT_DEFAULT). */
static int stop_params_of(const struct pd_record *r, int timeout_s, int64_t *grace_ms)
{
	struct pd_config c;
	int sig = -1;
	bool ok = pd_config_decode(r->config, &c, pd_err_ignore(status)) == 0;
	if (ok && c.stop_signal)
		sig = pd_signal_parse(c.stop_signal);
	*grace_ms = (int64_t)(timeout_s >= 0		 ? (unsigned)timeout_s
			      : ok && c.has_stop_timeout ? c.stop_timeout
							 : PD_STOP_TIMEOUT_DEFAULT) *
		    1000;
	pd_config_free(&c);
	return sig > 0 ? sig : SIGTERM;
}

static int stop_signal_of(const struct pd_record *r)
{
	int64_t unused;
	return stop_params_of(r, 0, &unused);
}

/* A live record's container init, or -1. */
static int open_container_pidfd(const struct pd_record *r)
{
	if (r->state != PD_STATE_RUNNING && r->state != PD_STATE_STOPPING)
		return -1;
	return pd_pidfd_open_checked(r->pid, r->pid_start);
}

/* Wait (up to deadline_ms, -1 forever) for every fd in v to be readable. */
static void wait_pidfds(int *v, size_t n, int64_t deadline_ms)
{
	int64_t end = deadline_ms < 0 ? -1 : pd_mono_ns() / 1000000 + deadline_ms;
	for (;;) {
		size_t live = 0;
		struct pollfd p[n ? n : 1];
		for (size_t i = 0; i < n; i++) {
			p[i] = (struct pollfd){ v[i], POLLIN, 0 };
			if (v[i] >= 0)
				live++;
		}
		if (!live)
			return;
		int64_t left = end < 0 ? -1 : end - pd_mono_ns() / 1000000;
		if (end >= 0 && left <= 0)
			return;
		if (poll(p, n, (int)left) <= 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (v[i] >= 0 && p[i].revents) {
				close(v[i]);
				v[i] = -1;
			}
	}
}

/* SIGKILL each container still alive once its own grace period (ms from
 * now) is over; returns when every one has exited or been killed. */
static void kill_after_grace(int *cfd, const int64_t *grace, size_t n)
{
	int64_t start = pd_mono_ns() / 1000000;
	bool *killed = xcalloc(n ? n : 1, sizeof(bool));
	for (;;) {
		int64_t next = -1, now = pd_mono_ns() / 1000000;
		for (size_t i = 0; i < n; i++) {
			if (cfd[i] < 0 || killed[i])
				continue;
			if (start + grace[i] <= now) {
				syscall(SYS_pidfd_send_signal, cfd[i], SIGKILL, NULL, 0);
				killed[i] = true;
			} else if (next < 0 || start + grace[i] < next) {
				next = start + grace[i];
			}
		}
		if (next < 0)
			break;
		/* Until the next period ends, or every container is gone. */
		wait_pidfds(cfd, n, next - now);
		bool live = false;
		for (size_t i = 0; i < n; i++)
			live |= cfd[i] >= 0 && !killed[i];
		if (!live)
			break;
	}
	free(killed);
}

int pd_container_stop(const char *root, char **refs, int timeout_s, pd_report_fn report, void *data)
{
	struct pd_err *err = NULL;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, &err);
	if (!s) {
		report(NULL, err, data);
		pd_err_free(err);
		return -1;
	}
	size_t n = strv_len(refs);
	int *cfd = xcalloc(n ? n : 1, sizeof(int)), *mfd = xcalloc(n ? n : 1, sizeof(int));
	bool *ok = xcalloc(n ? n : 1, sizeof(bool));
	int64_t *grace = xcalloc(n ? n : 1, sizeof(int64_t));
	int ret = 0;
	/* Every container gets its stop signal first, then the grace periods
	 * run side by side: stopping N containers takes the longest period,
	 * not the sum. */
	for (size_t i = 0; i < n; i++) {
		struct pd_record r;
		cfd[i] = mfd[i] = -1;
		if (pd_store_find(s, refs[i], &r, &err) < 0) {
			report(refs[i], err, data);
			pd_err_freep(&err);
			ret = -1;
			continue;
		}
		pd_container_refresh(s, &r);
		/* Unrecorded, the request would let a restart policy start
		 * the container again: it is not stopped then. */
		if (pd_store_set_stop_requested(s, r.id, &err) < 0) {
			report(refs[i], err, data);
			pd_err_freep(&err);
			pd_record_free(&r);
			ret = -1;
			continue;
		}
		ok[i] = true;
		cfd[i] = open_container_pidfd(&r);
		mfd[i] = pd_pidfd_open_checked(r.monitor_pid, r.monitor_start);
		if (cfd[i] >= 0) {
			/* Recorded first: the container's die can come at once.
			 * Through the pidfd: the pid could be another's by now. */
			pd_event_container_kill(s, r.id, stop_signal_of(&r));
			syscall(SYS_pidfd_send_signal, cfd[i], stop_params_of(&r, timeout_s, &grace[i]), NULL,
				0);
			pd_container_thaw_for_signal(&r);
		}
		pd_record_free(&r);
	}
	kill_after_grace(cfd, grace, n);
	wait_pidfds(cfd, n, 10000);
	/* The monitor records the exit and cleans up: wait for it, so that
	 * `ps` right after `stop` already shows the container exited. */
	wait_pidfds(mfd, n, 10000);
	for (size_t i = 0; i < n; i++)
		if (ok[i])
			report(refs[i], NULL, data);
	free(cfd);
	free(mfd);
	free(ok);
	free(grace);
	return ret;
}

int pd_container_kill(const char *root, const char *ref, int sig, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0)
		return -1;
	pd_container_refresh(s, &r);
	_cleanup_close_ int fd = open_container_pidfd(&r);
	int ret = 0;
	/* The event goes first: the container's die can come at once. */
	if (fd >= 0)
		pd_event_container_kill(s, r.id, sig);
	if (fd < 0)
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is not running", r.id);
	else if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		ret = pd_fail(err, errno, "send signal %d to container %.12s", sig, r.id);
	else if (sig == SIGKILL || sig == stop_signal_of(&r))
		pd_container_thaw_for_signal(&r);
	pd_record_free(&r);
	return ret;
}

int pd_container_wait(const char *root, const char *ref, int *exit_code, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0)
		return -1;
	_cleanup_free_ char *id = xstrdup(r.id);
	/* Until it has exited: a created container is waited for through
	 * its start (as Docker's `wait` does), a running one through its
	 * monitor's end. */
	for (;;) {
		pd_container_refresh(s, &r);
		enum pd_state st = r.state;
		int mon = has_live_monitor(st) ? pd_pidfd_open_checked(r.monitor_pid, r.monitor_start) : -1;
		if (st == PD_STATE_EXITED) {
			*exit_code = r.exit_code;
			pd_record_free(&r);
			return 0;
		}
		pd_record_free(&r);
		if (mon >= 0)
			wait_pidfds(&mon, 1, -1);
		else
			usleep(50 * 1000);
		if (pd_store_find(s, id, &r, err) < 0)
			return -1;
	}
}

/* 0 only when the container's directory is gone (a tree its processes
 * left thousands of levels deep included). */
static int remove_files(const char *root, const struct pd_record *r, struct pd_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", root, r->id);
	bool rootless = pd_record_rootless(r);
	/* The monitor removes the group when the container ends; one that is
	 * still there was left by a monitor that died. */
	struct pd_cgroup *cg = pd_cg_open(r->id, rootless, pd_err_ignore(gone));
	if (cg)
		pd_cg_destroy(cg, pd_err_ignore(gone));
	int ret = pd_container_remove_dir(dir, rootless, err);
	pd_log_remove(root, r->id);
	return ret;
}

int pd_container_remove(const char *root, const char *ref, bool force, bool volumes, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0)
		return -1;
	pd_container_refresh(s, &r);
	int ret = 0;
	if (!pd_state_is_stopped(r.state)) {
		if (!force) {
			ret = pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "cannot remove container %.12s: container is running: stop the container "
			    "before removing or force remove",
			    r.id);
			goto out;
		}
		if (pd_store_set_stop_requested(s, r.id, err) < 0) {
			ret = -1;
			goto out;
		}
		int c = open_container_pidfd(&r), m = pd_pidfd_open_checked(r.monitor_pid, r.monitor_start);
		if (c >= 0) {
			pd_event_container_kill(s, r.id, SIGKILL);
			syscall(SYS_pidfd_send_signal, c, SIGKILL, NULL, 0);
			pd_container_thaw_for_signal(&r);
		}
		wait_pidfds(&c, 1, 10000);
		wait_pidfds(&m, 1, 10000);
	}
	pd_network_release(s, r.id, false);
	/* Not while `cp` works in a stopped container's files (it holds the
	 * lock); the record stays while files do: `rm` can be run again. */
	int lock = pd_container_lock(root, r.id, pd_err_ignore(gone));
	int removed = remove_files(root, &r, err);
	if (lock >= 0)
		close(lock);
	if (removed < 0) {
		pd_err_prefix(err, "remove container %.12s", r.id);
		ret = -1;
		goto out;
	}
	ret = pd_store_delete(s, r.id, err);
	if (ret == 0 && volumes)
		ret = pd_volumes_remove_anonymous(root, r.id, err);
out:
	pd_record_free(&r);
	return ret;
}

/* Directories and logs under the state root that no record owns. */
static unsigned prune_orphans(const char *root, struct pd_store *s, pd_report_fn report, void *data)
{
	unsigned failed = 0;
	static const char *const sub[] = { "containers", "logs", "trash" };
	for (size_t k = 0; k < ARRAY_SIZE(sub); k++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", root, sub[k]);
		_cleanup_closedir_ DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			char id[65];
			if (strlen(de->d_name) < 64 || de->d_name[0] == '.')
				continue;
			snprintf(id, sizeof(id), "%.64s", de->d_name);
			struct pd_record r;
			if (pd_store_find(s, id, &r, pd_err_ignore(status)) == 0) {
				pd_record_free(&r);
				continue;
			}
			_cleanup_free_ char *p = xasprintf("%s/%s", path, de->d_name);
			_cleanup_err_ struct pd_err *e = NULL;
			if (pd_container_remove_dir(p, geteuid() != 0, &e) < 0) {
				report(NULL, e, data);
				failed++;
			}
		}
	}
	return failed;
}

int pd_container_prune(const char *root, pd_report_fn report, void *data, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record *v = NULL;
	size_t n = 0;
	if (pd_store_list(s, &v, &n, err) < 0)
		return -1;
	unsigned failed = 0;
	for (size_t i = 0; i < n; i++) {
		pd_container_refresh(s, &v[i]);
		if (!pd_state_is_stopped(v[i].state))
			continue;
		pd_network_release(s, v[i].id, false);
		_cleanup_err_ struct pd_err *e = NULL;
		if (remove_files(root, &v[i], &e) < 0) {
			report(v[i].id, e, data);
			failed++;
			continue;
		}
		if (pd_store_delete(s, v[i].id, &e) < 0) {
			report(v[i].id, e, data);
			failed++;
			continue;
		}
		report(v[i].id, NULL, data);
	}
	pd_records_free(v, n);
	failed += prune_orphans(root, s, report, data);
	pd_images_sweep(root);
	pd_cache_sweep(root);
	if (failed)
		return pd_fail(err, 0, "%u container director%s could not be removed", failed,
			       failed == 1 ? "y" : "ies");
	return 0;
}
