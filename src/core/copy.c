/* `cp` and `diff` (see copy.h).
 *
 * Runs in the CLI, as root or as the user who made a rootless container.
 *
 * cp moves a tar stream between two sides: the host side in this process
 * (the caller's own files, its privileges) and the container side in a
 * child process that holds a descriptor of the container's root:
 *   - running: /proc/PID/root of its init, opened, then checked to be the
 *     recorded process (pid and start time), so a reused pid never names
 *     another root.  Walks from it see the container's mounts (volumes,
 *     tmpfs), as Docker's cp does.
 *   - exited: the child unshares its mount namespace, makes every mount
 *     private, and mounts the container's overlay (its lowers, upper and
 *     work) over the container directory, as the container's init did.
 *     Nothing is mounted on the host; whatever happens to the child, the
 *     mount ends with it.
 *   - rootless (the caller is not root): the child joins the running
 *     container's user namespace (its owner may), or makes one with the
 *     container's id map for an exited one; there it is the container's
 *     root over the subordinate ids, and overlay is mounted with userxattr.
 *
 * CVE-2018-15664 (a symlink or rename race in the container leading a
 * copy out of it): every container path is resolved with openat2
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS from the root descriptor, so
 * "/" and ".." in the path and in any symlink on it stop at the
 * container's root; the source is then held by descriptor and walked by
 * descriptor (image/tarwrite.h), never looked up again by name.  Writes
 * into the container (and onto the host) go through pd_archive_extract_fd
 * with the destination directory's descriptor as its root: no entry name,
 * symlink or hardlink of the stream can land outside it, and a symlink at
 * a name being written is replaced, never followed.
 *
 * Ordering of one copy (both sides speak over a SEQPACKET socket):
 *   1. the source side resolves the source and says what it is;
 *   2. the destination side applies Docker's rules to the destination and
 *      says under which name the top entry is to be written (or that only
 *      the contents go), or fails;
 *   3. the source side writes the tar stream into a pipe, the destination
 *      side extracts it (or passes it to stdout / from stdin for "-");
 *   4. the child says how it ended; the parent reaps it.
 *
 * diff reads the upper directory and the lowers directly (no overlay
 * mount); a caller who is not root does so from a child in a new user
 * namespace with its map, like cp's for an exited container, and the
 * child streams the changes back over a pipe (diff_in_userns). */
#include "core/copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/container.h"
#include "core/query.h"
#include "image/archive.h"
#include "image/tarwrite.h"
#include "linux/idmap.h"
#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

/* --- the container's files --- */

struct ctr {
	struct pd_record rec;
	struct pd_config cfg;
	bool running;
	bool rootless; /* made by a rootless run */
	char *dir;     /* <root>/containers/<ID> */
	char **lowers; /* exited: its overlay's lower directories */
};

static void ctr_free(struct ctr *c)
{
	pd_record_free(&c->rec);
	pd_config_free(&c->cfg);
	free(c->dir);
	strv_free(c->lowers);
}

/* The container `ref` names: its record and config, one lookup. */
static int ctr_open(const char *root, const char *ref, struct ctr *c, struct pd_err **err)
{
	memset(c, 0, sizeof(*c));
	if (pd_container_lookup(root, ref, &c->rec, err) < 0)
		return -1;
	if (pd_record_config(&c->rec, &c->cfg, err) < 0)
		return -1;
	c->running = c->rec.state == PD_STATE_RUNNING || c->rec.state == PD_STATE_STOPPING;
	c->rootless = c->cfg.rootless;
	c->dir = xasprintf("%s/containers/%s", root, c->rec.id);
	return 0;
}

/* Its file system: the upper layer must exist; the lowers when asked
 * (looking them up may extract a layer). */
static int ctr_files(const char *root, bool need_lowers, struct ctr *c, struct pd_err **err)
{
	_cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
	struct stat st;
	if (lstat(upper, &st) < 0 || !S_ISDIR(st.st_mode))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s has no file system (it never started)", c->rec.id);
	if (need_lowers) {
		c->lowers = pd_container_lowers(root, &c->cfg, err);
		if (!c->lowers) {
			pd_err_prefix(err, "container %.12s: its image", c->rec.id);
			return -1;
		}
	}
	return 0;
}

/* openat2 from `rootfd`, inside it: "/" and ".." (in the path and in
 * symlinks met on it) stop at rootfd.  rootfd < 0: a host path, resolved
 * as the caller's own. */
static int open_at_root(int rootfd, const char *path, int flags)
{
	if (rootfd < 0)
		return openat(AT_FDCWD, *path ? path : ".", flags | O_CLOEXEC);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	/* EAGAIN: a rename in the container raced the ".." check; the lookup
	 * is safe to repeat, and bounded. */
	for (int tries = 0; tries < 16; tries++) {
		fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/* --- the two sides' messages --- */

enum {
	MSG_ERR = 1, /* text: the error (errnum, err_kind) */
	MSG_SRC,     /* the source: is_dir, contents, text: its base name */
	MSG_DST,     /* the top entry's name (text), or contents only (flag) */
	MSG_DONE,    /* the child's side finished: bytes */
	MSG_USERNS,  /* child: my user namespace wants its map */
	MSG_GO,	     /* parent: it has it */
};

struct cp_msg {
	int32_t type;
	int32_t errnum;
	int32_t err_kind;
	uint8_t is_dir, contents;
	uint64_t bytes;
	char text[4352];
};

static int msg_send(int fd, const struct cp_msg *m)
{
	return send(fd, m, sizeof(*m), MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -1;
}

static void msg_send_err(int fd, const struct pd_err *e)
{
	struct cp_msg m = { .type = MSG_ERR, .errnum = e->errnum, .err_kind = (int32_t)e->kind };
	snprintf(m.text, sizeof(m.text), "%s", e->msg);
	msg_send(fd, &m);
}

/* The next message; an error message becomes *err.  `what` names the
 * side, for a peer that ended without a word. */
static int msg_recv(int fd, int want, struct cp_msg *m, struct pd_err **err)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return pd_fail(err, n < 0 ? errno : 0, "cp: the other side of the copy ended early");
	m->text[sizeof(m->text) - 1] = '\0';
	if (m->type == MSG_ERR)
		return pd_fail_kind(err, (enum pd_err_kind)m->err_kind, m->errnum, "%s", m->text);
	if (m->type != want)
		return pd_fail(err, 0, "cp: unexpected message %d from the other side", m->type);
	return 0;
}

/* --- the container side's root --- */

static int join_userns(pid_t pid, struct pd_err **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
		return pd_fail(err, errno, "join the container's user namespace");
	return 0;
}

/* In the child: a new user namespace with the caller's map (the
 * container's), where the caller is root over its subordinate ids; the
 * parent writes the map (newuidmap needs a process outside) when asked
 * over `ctl` (serve_userns). */
static int enter_userns(int ctl, struct pd_err **err)
{
	struct cp_msg m = { .type = MSG_USERNS };
	if (unshare(CLONE_NEWUSER) < 0)
		return pd_fail(err, errno, "make a user namespace");
	if (msg_send(ctl, &m) < 0)
		return pd_fail(err, errno, "send");
	return msg_recv(ctl, MSG_GO, &m, err);
}

/* In the child: a descriptor of the container's root (see the top). */
static int ctr_root(const struct ctr *c, int ctl, struct pd_err **err)
{
	bool as_user = geteuid() != 0;
	if (c->running) {
		if (as_user && join_userns(c->rec.pid, err) < 0)
			return -1;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/root", c->rec.pid);
		_cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* Checked after opening: the root we hold is the recorded
		 * process's, not a successor's under a reused pid. */
		if (fd < 0 || !pd_proc_is_alive(c->rec.pid, c->rec.pid_start))
			return pd_fail_kind(err, PD_ERR_USAGE, fd < 0 ? errno : 0,
					    "container %.12s is not running any more", c->rec.id);
		return take_fd(&fd);
	}
	if (as_user && enter_userns(ctl, err) < 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0)
		return pd_fail(err, errno, "make a mount namespace");
	if (mnt_make_private(err) < 0)
		return -1;
	_cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
	_cleanup_free_ char *work = xasprintf("%s/work", c->dir);
	if (mnt_overlay(c->lowers, upper, work, c->dir, c->rootless, err) < 0) {
		pd_err_prefix(err, "container %.12s", c->rec.id);
		return -1;
	}
	int fd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open the container's file system");
	return fd;
}

/* --- Docker's path rules --- */

/* The last component of `path` (trailing slashes ignored): "" for "/". */
static char *base_name(const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *s = path + len;
	while (s > path && s[-1] != '/')
		s--;
	if (len == 1 && path[0] == '/')
		return xstrdup("");
	return xstrndup(s, (size_t)(path + len - s));
}

/* Everything before the last component: "." when there is none. */
static char *dir_name(const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	if (len == 0)
		return xstrdup(".");
	while (len > 1 && path[len - 1] == '/')
		len--;
	return xstrndup(path, len);
}

static bool is_dot_name(const char *b)
{
	return !*b || !strcmp(b, ".") || !strcmp(b, "..");
}

struct source {
	int fd; /* O_PATH of the source itself */
	bool is_dir, contents;
	char *base;
};

/* Resolve the source `path` (inside `rootfd`, or on the host when < 0).
 * A trailing "/." copies a directory's contents; a trailing "/" (or -L)
 * follows a symlink at the end; otherwise a symlink is copied as one. */
static int source_open(int rootfd, const char *path, bool follow, const char *ctr_name, struct source *s,
		       struct pd_err **err)
{
	size_t len = strlen(path);
	bool slash = len && path[len - 1] == '/';
	bool dot = str_has_suffix(path, "/.") || !strcmp(path, ".");
	s->fd = -1;
	s->base = base_name(path);
	s->contents = dot || is_dot_name(s->base);
	int fd;
	if (follow || slash || s->contents) {
		fd = open_at_root(rootfd, path, O_PATH);
	} else {
		_cleanup_free_ char *parent = dir_name(path);
		_cleanup_close_ int pfd = open_at_root(rootfd, parent, O_PATH | O_DIRECTORY);
		fd = pfd < 0 ? -1 : openat(pfd, s->base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR) && ctr_name)
		return pd_fail(err, 0, "could not find the file %s in container %s", path, ctr_name);
	if (fd < 0)
		return pd_fail(err, errno, "'%s'", path);
	s->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pd_fail(err, errno, "stat '%s'", path);
	s->is_dir = S_ISDIR(st.st_mode);
	if ((slash || dot) && !s->is_dir)
		return pd_fail(err, ENOTDIR, "'%s'", path);
	return 0;
}

static void source_close(struct source *s)
{
	closep(&s->fd);
	free(s->base);
}

/* Where the stream goes, by Docker's rules for the destination `path`
 * (inside `rootfd`, or on the host when < 0): *dirfd is the directory to
 * extract into; *top the name the source takes there (NULL: only its
 * contents go, into *dirfd itself). */
static int dest_open(int rootfd, const char *path, const struct source *src, int *dirfd, char **top,
		     struct pd_err **err)
{
	*dirfd = -1;
	*top = NULL;
	size_t len = strlen(path);
	bool slash = len && path[len - 1] == '/';
	_cleanup_close_ int fd = open_at_root(rootfd, path, O_PATH);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) < 0)
		return pd_fail(err, errno, "stat '%s'", path);
	if (fd >= 0 && S_ISDIR(st.st_mode)) {
		if (!src->contents)
			*top = xstrdup(src->base);
		*dirfd = take_fd(&fd);
		return 0;
	}
	if (fd >= 0) {
		if (src->is_dir)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "cannot copy a directory to a file: '%s'",
					    path);
		if (slash)
			return pd_fail(err, ENOTDIR, "destination '%s'", path);
	} else if (errno != ENOENT) {
		return pd_fail(err, errno, "destination '%s'", path);
	} else if (slash && !src->is_dir) {
		return pd_fail(err, 0, "destination directory '%s' must exist", path);
	}
	_cleanup_free_ char *parent = dir_name(path);
	_cleanup_free_ char *base = base_name(path);
	if (is_dot_name(base))
		return pd_fail(err, ENOENT, "destination '%s'", path);
	int pfd = open_at_root(rootfd, parent, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pd_fail(err, errno, "destination directory '%s'", parent);
	*dirfd = pfd;
	*top = take_ptr(&base);
	return 0;
}

/* --- moving the stream --- */

static int copy_fd(int in, int out, uint64_t *bytes, const char *what, struct pd_err **err)
{
	char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "%s: read", what);
		if (n == 0)
			return 0;
		if (pd_write_all(out, buf, (size_t)n) < 0)
			return pd_fail(err, errno, "%s: write", what);
		if (bytes)
			*bytes += (uint64_t)n;
	}
}

/* Extract the stream `datafd` into `dirfd`.  Without `keep` (-a) nothing
 * is chowned: what is created belongs to its creator, which is the
 * container's root on the container side (root, or the root of its user
 * namespace) and the caller on the host.  With it the stream's owners are
 * kept where this process may set them: as root, and in the container's
 * user namespace for the ids it maps. */
static int extract(int datafd, int dirfd, bool keep, bool in_userns, bool to_host, uint64_t *bytes,
		   struct pd_err **err)
{
	struct pd_extract_opts o = {
		.rootless = !keep || in_userns || geteuid() != 0,
		.keep_owners = keep && in_userns,
		.keep_dirs = true,
		/* Onto the host without -a: no set-id program appears there. */
		.drop_setid = to_host && !keep,
	};
	struct pd_extract_result res;
	int ret = pd_archive_extract_fd(datafd, "the copied stream", dirfd, &o, &res, err);
	*bytes = res.bytes;
	return ret;
}

/* Of a failure on both sides, the one that explains: a side whose peer
 * went away first only saw a broken pipe or a short stream. */
static int pick_error(struct pd_err **mine, struct pd_err **theirs, struct pd_err **err)
{
	if (*mine && (!*theirs || (*theirs)->errnum == EPIPE))
		*err = take_ptr(mine);
	else if (*theirs)
		*err = take_ptr(theirs);
	else
		return 0;
	return -1;
}

/* The source side: the tar of `s` under `top` (contents only when NULL)
 * into `datafd`. */
static int write_source(const struct source *s, const char *top, int datafd, bool one_fs, uint64_t *bytes,
			struct pd_err **err)
{
	struct pd_tar_writer *w = pd_tar_writer_new(datafd, err);
	if (!w)
		return -1;
	if (one_fs)
		pd_tar_writer_one_fs(w);
	int ret = pd_tar_writer_add(w, s->fd, top ? top : "", !top, err);
	*bytes = pd_tar_writer_bytes(w);
	if (pd_tar_writer_close(w, ret < 0 ? pd_err_ignore(cleanup) : err) < 0)
		ret = -1;
	return ret;
}

struct job {
	const struct ctr *c;
	const struct pd_copy_opts *o;
	bool in_userns; /* the caller is not root: the child is in a user namespace */
	int ctl;	/* the child's end of the socket */
	int data;	/* the child's end of the pipe */
};

/* Child, copying out: steps 1 and 3 of the top comment. */
static int child_out(const struct job *j, int rootfd, struct pd_err **err)
{
	struct source s;
	int ret = source_open(rootfd, j->o->container_path, j->o->follow, j->o->ref, &s, err);
	struct cp_msg m = { .type = MSG_SRC, .is_dir = s.is_dir, .contents = s.contents };
	snprintf(m.text, sizeof(m.text), "%s", s.base);
	if (ret == 0 && msg_send(j->ctl, &m) < 0)
		ret = pd_fail(err, errno, "cp: send");
	if (ret == 0 && msg_recv(j->ctl, MSG_DST, &m, err) < 0)
		ret = -1;
	uint64_t bytes = 0;
	if (ret == 0)
		ret = write_source(&s, m.contents ? NULL : m.text, j->data, j->o->one_fs, &bytes, err);
	source_close(&s);
	close(j->data);
	m = (struct cp_msg){ .type = MSG_DONE, .bytes = bytes };
	if (ret == 0 && msg_send(j->ctl, &m) < 0)
		ret = pd_fail(err, errno, "cp: send");
	return ret;
}

/* Child, copying in: steps 2 and 3. */
static int child_in(const struct job *j, int rootfd, struct cp_msg *src, struct pd_err **err)
{
	struct cp_msg m = *src;
	struct source s = { .is_dir = m.is_dir, .contents = m.contents, .base = m.text };
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *top = NULL;
	bool stream = !strcmp(j->o->host_path, "-");
	if (stream) {
		/* A tar on stdin goes into a directory, as it stands. */
		dirfd = open_at_root(rootfd, j->o->container_path, O_PATH | O_DIRECTORY);
		if (dirfd < 0 && (errno == ENOENT || errno == ENOTDIR))
			return pd_fail(err, errno, "destination '%s' must be a directory",
				       j->o->container_path);
		if (dirfd < 0)
			return pd_fail(err, errno, "destination '%s'", j->o->container_path);
	} else if (dest_open(rootfd, j->o->container_path, &s, &dirfd, &top, err) < 0) {
		return -1;
	}
	m = (struct cp_msg){ .type = MSG_DST, .contents = !top };
	snprintf(m.text, sizeof(m.text), "%s", top ? top : "");
	if (msg_send(j->ctl, &m) < 0)
		return pd_fail(err, errno, "cp: send");
	uint64_t bytes = 0;
	if (extract(j->data, dirfd, j->o->archive, j->in_userns, false, &bytes, err) < 0)
		return -1;
	m = (struct cp_msg){ .type = MSG_DONE, .bytes = bytes };
	if (msg_send(j->ctl, &m) < 0)
		return pd_fail(err, errno, "cp: send");
	return 0;
}

static _Noreturn void child_main(const struct job *j)
{
	_cleanup_err_ struct pd_err *e = NULL;
	/* A parent that stopped reading makes our writes fail, not kill us
	 * before we say why. */
	signal(SIGPIPE, SIG_IGN);
	/* Copying in, the parent sends the source first: read it before any
	 * user namespace request of ctr_root, whose answer comes after. */
	static struct cp_msg src;
	int ret = j->o->to_container ? msg_recv(j->ctl, MSG_SRC, &src, &e) : 0;
	int rootfd = ret < 0 ? -1 : ctr_root(j->c, j->ctl, &e);
	if (rootfd >= 0)
		ret = j->o->to_container ? child_in(j, rootfd, &src, &e) : child_out(j, rootfd, &e);
	else
		ret = -1;
	if (ret < 0)
		msg_send_err(j->ctl, e);
	_exit(ret < 0 ? 1 : 0);
}

/* The parent's wait for the child's user namespace request, when it
 * makes one (rootless, exited container). */
static int serve_userns(int ctl, pid_t pid, struct cp_msg *m, struct pd_err **err)
{
	struct pd_idmap map;
	idmap_for_caller(&map);
	if (idmap_write(pid, &map, err) < 0)
		return -1;
	struct cp_msg go = { .type = MSG_GO };
	if (msg_send(ctl, &go) < 0)
		return pd_fail(err, errno, "cp: send");
	return 0;
}

/* The first message of the child: what `want` is, after a user namespace
 * request if one comes first. */
static int first_msg(int ctl, pid_t pid, int want, struct cp_msg *m, struct pd_err **err)
{
	ssize_t n;
	do
		n = recv(ctl, m, sizeof(*m), MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*m) && m->type == MSG_USERNS) {
		if (msg_recv(ctl, MSG_USERNS, m, err) < 0 || serve_userns(ctl, pid, m, err) < 0)
			return -1;
	}
	return msg_recv(ctl, want, m, err);
}

/* Parent, copying out. */
static int parent_out(const struct pd_copy_opts *o, int ctl, pid_t pid, int data_arg, uint64_t *bytes,
		      struct pd_err **err)
{
	_cleanup_close_ int data = data_arg;
	struct cp_msg m;
	if (first_msg(ctl, pid, MSG_SRC, &m, err) < 0)
		return -1;
	struct source s = { .fd = -1, .is_dir = m.is_dir, .contents = m.contents, .base = m.text };
	bool stream = !strcmp(o->host_path, "-");
	_cleanup_close_ int dirfd = -1;
	_cleanup_free_ char *top = NULL;
	if (stream) {
		if (!s.contents)
			top = xstrdup(s.base);
	} else if (dest_open(-1, o->host_path, &s, &dirfd, &top, err) < 0) {
		struct pd_err e = { .msg = (char *)"cp: cancelled" };
		msg_send_err(ctl, &e);
		return -1;
	}
	m = (struct cp_msg){ .type = MSG_DST, .contents = !top };
	snprintf(m.text, sizeof(m.text), "%s", top ? top : "");
	if (msg_send(ctl, &m) < 0)
		return pd_fail(err, errno, "cp: send");
	_cleanup_err_ struct pd_err *mine = NULL, *theirs = NULL;
	if (stream)
		copy_fd(data, o->stream_fd > 0 ? o->stream_fd : 1, bytes, "cp: stdout", &mine);
	else
		extract(data, dirfd, o->archive, false, true, bytes, &mine);
	/* Unblock a child still writing: it fails with EPIPE and ends. */
	closep(&data);
	if (msg_recv(ctl, MSG_DONE, &m, &theirs) == 0 && stream)
		*bytes = m.bytes;
	return pick_error(&mine, &theirs, err);
}

/* Parent, copying in. */
static int parent_in(const struct pd_copy_opts *o, int ctl, pid_t pid, int data_arg, uint64_t *bytes,
		     struct pd_err **err)
{
	_cleanup_close_ int data = data_arg;
	bool stream = !strcmp(o->host_path, "-");
	struct source s = { .fd = -1 };
	if (!stream && source_open(-1, o->host_path, o->follow, NULL, &s, err) < 0) {
		source_close(&s);
		/* The child waits for the source: tell it. */
		struct pd_err e = { .msg = (char *)"cp: cancelled" };
		msg_send_err(ctl, &e);
		return -1;
	}
	struct cp_msg m = { .type = MSG_SRC, .is_dir = stream || s.is_dir, .contents = stream || s.contents };
	snprintf(m.text, sizeof(m.text), "%s", s.base ? s.base : "");
	/* A child that failed already has said why: first_msg reads it. */
	msg_send(ctl, &m);
	int ret = first_msg(ctl, pid, MSG_DST, &m, err);
	_cleanup_err_ struct pd_err *mine = NULL, *theirs = NULL;
	uint64_t written = 0;
	if (ret == 0) {
		if (stream)
			copy_fd(0, data, &written, "cp: stdin", &mine);
		else
			write_source(&s, m.contents ? NULL : m.text, data, false, &written, &mine);
	}
	source_close(&s);
	closep(&data);
	if (ret < 0)
		return -1;
	if (msg_recv(ctl, MSG_DONE, &m, &theirs) == 0)
		*bytes = m.bytes;
	return pick_error(&mine, &theirs, err);
}

int pd_container_copy(const char *root, const struct pd_copy_opts *o, uint64_t *bytes, struct pd_err **err)
{
	uint64_t local = 0;
	if (!bytes)
		bytes = &local;
	*bytes = 0;
	/* The container's lock, which a start of a stopped container takes
	 * to claim it: a stopped container's overlay is mounted here only
	 * while no start can mount it too.  Its key is the id; the record
	 * that counts is the one read under it, by that id. */
	struct pd_record peek;
	if (pd_container_lookup(root, o->ref, &peek, err) < 0)
		return -1;
	char id[sizeof(peek.id)];
	memcpy(id, peek.id, sizeof(id));
	pd_record_free(&peek);
	_cleanup_close_ int lock = pd_container_lock(root, id, err);
	if (lock < 0)
		return -1;
	struct ctr c;
	if (ctr_open(root, id, &c, err) < 0) {
		ctr_free(&c);
		return -1;
	}
	enum pd_state st = c.rec.state;
	if (st == PD_STATE_CREATING || st == PD_STATE_RESTARTING) {
		ctr_free(&c);
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container %s is %s: try again once it runs",
				    o->ref, st == PD_STATE_CREATING ? "starting" : "restarting");
	}
	/* The lowers only matter to an exited container. */
	if (ctr_files(root, !c.running, &c, err) < 0) {
		ctr_free(&c);
		return -1;
	}
	int sv[2], pp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ctr_free(&c);
		return pd_fail(err, errno, "cp: socketpair");
	}
	if (pipe2(pp, O_CLOEXEC) < 0) {
		close(sv[0]), close(sv[1]);
		ctr_free(&c);
		return pd_fail(err, errno, "cp: pipe");
	}
	/* The child writes the stream out, or reads it in. */
	int child_data = o->to_container ? pp[0] : pp[1];
	int parent_data = o->to_container ? pp[1] : pp[0];
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]), close(sv[1]), close(pp[0]), close(pp[1]);
		ctr_free(&c);
		return pd_fail(err, errno, "cp: fork");
	}
	if (pid == 0) {
		close(sv[0]);
		close(parent_data);
		struct job j = {
			.c = &c, .o = o, .in_userns = geteuid() != 0, .ctl = sv[1], .data = child_data
		};
		child_main(&j);
	}
	close(sv[1]);
	close(child_data);
	/* A child that failed closes its end; our write then fails with
	 * EPIPE and the child's message says why. */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int ret = o->to_container ? parent_in(o, sv[0], pid, parent_data, bytes, err)
				  : parent_out(o, sv[0], pid, parent_data, bytes, err);
	close(sv[0]);
	signal(SIGPIPE, old);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ctr_free(&c);
	return ret;
}

/* --- diff --- */

struct diff {
	struct pd_change *v;
	size_t n, cap;
	int *lowers; /* O_PATH descriptors, top first */
	size_t nlowers;
	FILE *out; /* a walk in a child: the changes go to the parent */
};

static void diff_add(struct diff *d, char kind, const char *path)
{
	if (d->out) {
		/* One record: the kind, the path, a NUL (diff_read). */
		fputc(kind, d->out);
		fputs(path, d->out);
		fputc('\0', d->out);
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = (struct pd_change){ .kind = kind, .path = xstrdup(path) };
}

static bool is_whiteout(int dirfd, const char *name, const struct stat *st)
{
	if (S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0)
		return true;
	/* Rootless on kernels that refuse the device: an empty file marked
	 * user.overlay.whiteout. */
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	_cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return fd >= 0 && getxattr(proc, "user.overlay.whiteout", NULL, 0) >= 0;
}

static bool is_opaque(int dirfd, const char *name)
{
	static const char *const attrs[] = { "trusted.overlay.opaque", "user.overlay.opaque" };
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (size_t i = 0; fd >= 0 && i < ARRAY_SIZE(attrs); i++) {
		char v[4];
		ssize_t n = fgetxattr(fd, attrs[i], v, sizeof(v));
		if (n == 1 && v[0] == 'y')
			return true;
	}
	return false;
}

/* What the layers below hold at `path` ("a/b", relative): the first layer
 * that has it decides; a whiteout there means nothing.  The last
 * component is not followed; symlinks before it resolve inside the
 * layer. */
static bool lower_stat(const struct diff *d, const char *path, struct stat *st)
{
	for (size_t i = 0; i < d->nlowers; i++) {
		_cleanup_close_ int fd = open_at_root(d->lowers[i], path, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, st) < 0)
			return false;
		return !(S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0));
	}
	return false;
}

/* The names the layers below hold in directory `path`, sorted. */
static char **lower_names(const struct diff *d, const char *path)
{
	char **v = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < d->nlowers; i++) {
		_cleanup_close_ int fd =
		    open_at_root(d->lowers[i], path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			continue;
		DIR *dir = fdopendir(fd);
		if (!dir)
			continue;
		fd = -1;
		struct dirent *e;
		while ((e = readdir(dir))) {
			bool dup = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
			for (size_t k = 0; !dup && v[k]; k++)
				dup = !strcmp(v[k], e->d_name);
			if (!dup)
				strv_push(&v, e->d_name);
		}
		closedir(dir);
	}
	return v;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_name(char *const *v, size_t n, const char *name)
{
	return bsearch(&name, v, n, sizeof(char *), cmp_str) != NULL;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && (a->tv_nsec == b->tv_nsec || !a->tv_nsec || !b->tv_nsec);
}

/* The files the runtime writes into every container's upper layer. */
static bool is_runtime_file(const char *path)
{
	return !strcmp(path, "/etc/hostname") || !strcmp(path, "/etc/hosts") ||
	       !strcmp(path, "/etc/resolv.conf");
}

/* Walk the upper directory `dfd` at `path` ("" for the root).
 * `recorded`: the directory itself is in the list. */
static int diff_walk(struct diff *d, int dfd, const char *path, bool recorded, bool opaque, unsigned depth,
		     struct pd_err **err)
{
	if (depth > 512)
		return pd_fail(err, ELOOP, "'%s': more than 512 directories deep", path);
	int rfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *dir = rfd < 0 ? NULL : fdopendir(rfd);
	if (!dir) {
		if (rfd >= 0)
			close(rfd);
		return pd_fail(err, errno, "read the writable layer at '%s'", *path ? path : "/");
	}
	_cleanup_strv_ char **names = xcalloc(1, sizeof(char *));
	struct dirent *e;
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(&names, e->d_name);
	size_t nup = strv_len(names);
	qsort(names, nup, sizeof(char *), cmp_str);
	if (opaque) {
		/* What the layers below held here is gone. */
		_cleanup_strv_ char **low = lower_names(d, *path ? path + 1 : "");
		for (size_t i = 0; low[i]; i++)
			if (!has_name(names, nup, low[i])) {
				_cleanup_free_ char *child = xasprintf("%s/%s", path, low[i]);
				diff_add(d, 'D', child);
			}
	}
	for (size_t i = 0; i < nup; i++) {
		_cleanup_free_ char *child = xasprintf("%s/%s", path, names[i]);
		if (is_runtime_file(child))
			continue;
		struct stat st, lst;
		if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return pd_fail(err, errno, "stat '%s' in the writable layer", child);
		}
		char kind = 'A';
		bool child_opaque = false, skip = false;
		if (is_whiteout(dirfd(dir), names[i], &st)) {
			kind = 'D';
		} else if (lower_stat(d, child + 1, &lst)) {
			kind = 'C';
			if (S_ISDIR(st.st_mode) && S_ISDIR(lst.st_mode)) {
				child_opaque = is_opaque(dirfd(dir), names[i]);
				/* Docker's rule: a directory copied up only
				 * because of what changed below it is not a
				 * change.  /etc is copied up for the runtime's
				 * files, so its time and size say nothing. */
				bool etc = !strcmp(child, "/etc");
				skip = !child_opaque && st.st_mode == lst.st_mode &&
				       (etc ||
					(st.st_size == lst.st_size && same_time(&st.st_mtim, &lst.st_mtim)));
			}
		}
		if (!skip && kind != 'C' && !recorded && *path) {
			diff_add(d, 'C', path);
			recorded = true;
		}
		if (!skip)
			diff_add(d, kind, child);
		if (kind != 'D' && S_ISDIR(st.st_mode)) {
			_cleanup_close_ int cfd =
			    openat(dirfd(dir), names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				return pd_fail(err, errno, "open '%s' in the writable layer", child);
			if (diff_walk(d, cfd, child, !skip, child_opaque, depth + 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* The child of diff_in_userns: the walk, inside the user namespace. */
static _Noreturn void diff_child(struct diff *d, int ufd, int ctl, int data)
{
	_cleanup_err_ struct pd_err *e = NULL;
	/* A parent that stopped reading makes our writes fail, not kill us
	 * before we say why. */
	signal(SIGPIPE, SIG_IGN);
	int ret = enter_userns(ctl, &e);
	if (ret == 0) {
		d->out = fdopen(data, "w");
		if (!d->out)
			ret = pd_fail(&e, errno, "diff: open the pipe");
	}
	if (ret == 0)
		ret = diff_walk(d, ufd, "", true, false, 0, &e);
	if (d->out) {
		errno = 0;
		if ((fflush(d->out) != 0 || ferror(d->out)) && ret == 0)
			ret = pd_fail(&e, errno, "diff: write to the parent");
		fclose(d->out);
	}
	struct cp_msg m = { .type = MSG_DONE };
	if (ret < 0)
		msg_send_err(ctl, e);
	else
		msg_send(ctl, &m);
	_exit(ret < 0 ? 1 : 0);
}

/* The parent of diff_in_userns: the child's records (diff_add), up to
 * the end of the pipe. */
static int diff_read(struct diff *d, int data, struct pd_err **err)
{
	FILE *in = fdopen(data, "r");
	if (!in) {
		close(data);
		return pd_fail(err, errno, "diff: open the pipe");
	}
	_cleanup_free_ char *rec = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	while ((len = getdelim(&rec, &cap, '\0', in)) > 0) {
		if (ret == 0 && (len < 3 || rec[len - 1] != '\0' || !strchr("ACD", rec[0]) || rec[1] != '/'))
			ret = pd_fail(err, 0, "diff: a malformed change from the user namespace");
		if (ret == 0)
			diff_add(d, rec[0], rec + 1);
	}
	if (ferror(in) && ret == 0)
		ret = pd_fail(err, errno, "diff: read from the user namespace");
	fclose(in);
	return ret;
}

/* Walk the upper directory `ufd` from a child inside a user namespace
 * with the caller's map, as cp reaches a rootless container's files: a
 * directory the container gave to a subordinate id (mode 0750, say) is
 * not the caller's to read on the host.  The changes come back over a
 * pipe, read as they come; the child's end is said over a socket, which
 * also carries the user namespace's map request (enter_userns). */
static int diff_in_userns(struct diff *d, int ufd, struct pd_err **err)
{
	int sv[2], pp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pd_fail(err, errno, "diff: socketpair");
	if (pipe2(pp, O_CLOEXEC) < 0) {
		close(sv[0]), close(sv[1]);
		return pd_fail(err, errno, "diff: pipe");
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]), close(sv[1]), close(pp[0]), close(pp[1]);
		return pd_fail(err, errno, "diff: fork");
	}
	if (pid == 0) {
		close(sv[0]);
		close(pp[0]);
		diff_child(d, ufd, sv[1], pp[1]);
	}
	close(sv[1]);
	close(pp[1]);
	_cleanup_err_ struct pd_err *mine = NULL, *theirs = NULL;
	struct cp_msg m;
	int ret = msg_recv(sv[0], MSG_USERNS, &m, err);
	if (ret == 0)
		ret = serve_userns(sv[0], pid, &m, err);
	if (ret == 0) {
		diff_read(d, pp[0], &mine);
		msg_recv(sv[0], MSG_DONE, &m, &theirs);
		ret = pick_error(&mine, &theirs, err);
	} else {
		close(pp[0]);
	}
	/* A child still waiting for its map ends on the closed socket. */
	close(sv[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return ret;
}

/* Path order: component by component, so a directory comes right before
 * what it holds ("/a", "/a/b", "/a-b"). */
static int cmp_change(const void *pa, const void *pb)
{
	const unsigned char *a = (const unsigned char *)((const struct pd_change *)pa)->path;
	const unsigned char *b = (const unsigned char *)((const struct pd_change *)pb)->path;
	for (; *a && *a == *b; a++, b++)
		;
	unsigned ca = *a == '/' ? 1 : *a ? *a + 1u : 0;
	unsigned cb = *b == '/' ? 1 : *b ? *b + 1u : 0;
	return (ca > cb) - (ca < cb);
}

int pd_container_diff(const char *root, const char *ref, struct pd_change **out, size_t *n,
		      struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	struct ctr c;
	struct diff d = { 0 };
	int ret = ctr_open(root, ref, &c, err);
	if (ret == 0)
		ret = ctr_files(root, true, &c, err);
	if (ret == 0) {
		d.nlowers = strv_len(c.lowers);
		d.lowers = xcalloc(d.nlowers ? d.nlowers : 1, sizeof(int));
		for (size_t i = 0; ret == 0 && i < d.nlowers; i++) {
			d.lowers[i] = open(c.lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (d.lowers[i] < 0)
				ret = pd_fail(err, errno, "open the layer '%s'", c.lowers[i]);
		}
	}
	if (ret == 0) {
		_cleanup_free_ char *upper = xasprintf("%s/upper", c.dir);
		_cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (ufd < 0)
			ret = pd_fail(err, errno, "open '%s'", upper);
		else if (geteuid() != 0)
			ret = diff_in_userns(&d, ufd, err);
		else
			ret = diff_walk(&d, ufd, "", true, false, 0, err);
	}
	for (size_t i = 0; d.lowers && i < d.nlowers; i++)
		if (d.lowers[i] >= 0)
			close(d.lowers[i]);
	free(d.lowers);
	ctr_free(&c);
	if (ret < 0) {
		pd_changes_free(d.v, d.n);
		return -1;
	}
	if (d.n) {
		qsort(d.v, d.n, sizeof(*d.v), cmp_change);
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

void pd_changes_free(struct pd_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}
