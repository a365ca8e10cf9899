/* File-system helpers for runtime-owned host paths (see fs.h).  Runs in the
 * CLI and the monitor, with the caller's privileges. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

int pd_mkdir_p(const char *path, mode_t mode, struct pd_err **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return pd_fail(err, errno, "create directory '%s'", p);
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* Removal of a tree without one fd per level.
 *
 * A tree is the runtime's own (a container's upper layer, an extraction's
 * temporary directory) but its shape is not: a container or an archive can
 * make it thousands of directories deep.  Holding a descriptor (and a DIR
 * buffer) per level would run out of descriptors (ulimit -n 1024) and leave
 * the tree behind; recursion would grow the stack as deep.  So one level is
 * open at a time: a directory is read once (its files unlinked, the names of
 * its subdirectories kept), we go down into each subdirectory by name, and
 * come back up through "..", which is checked to be the very directory we
 * came from (device and inode): were the tree moved meanwhile, ".." could be
 * anywhere, and removal stops there.
 *
 * Nothing is followed: every open is O_NOFOLLOW | O_DIRECTORY relative to
 * the level's fd, and a directory on another device or mount (a stale mount
 * point) is left in place and reported.  Any entry left behind makes the
 * whole removal fail. */
struct rm_level {
	char *name; /* this directory's name in its parent (NULL at the top) */
	dev_t dev;
	ino_t ino;
	char **subdirs; /* names still to go down into */
	size_t n, next;
};

struct rm_ctx {
	const char *what; /* the top's path, for messages */
	dev_t dev;	  /* the top's device */
	uint64_t mnt_id;  /* and mount, where statx reports it */
	bool has_mnt_id;
	int ret;
};

static void rm_level_free(struct rm_level *l)
{
	free(l->name);
	for (size_t i = l->next; i < l->n; i++)
		free(l->subdirs[i]);
	free(l->subdirs);
}

/* Whether the directory open as `fd` is on the top's mount. */
static bool rm_same_mount(const struct rm_ctx *c, int fd, const struct stat *st)
{
	if (st->st_dev != c->dev)
		return false;
	struct statx sx;
	if (!c->has_mnt_id || statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return true; /* the device check above is all there is */
	return sx.stx_mnt_id == c->mnt_id;
}

/* Unlink every non-directory in `fd` and list its subdirectories in `l`. */
static void rm_scan(struct rm_ctx *c, int fd, struct rm_level *l, struct pd_err **err)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		c->ret = pd_fail(err, errno, "read a directory of '%s'", c->what);
		return;
	}
	_cleanup_closedir_ DIR *dir = d;
	size_t cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					c->ret =
					    pd_fail(err, errno, "stat '%s' under '%s'", de->d_name, c->what);
				continue;
			}
			is_dir = S_ISDIR(st.st_mode);
		}
		if (is_dir) {
			if (l->n == cap)
				l->subdirs = xrealloc(l->subdirs, (cap = cap ? cap * 2 : 8) * sizeof(char *));
			l->subdirs[l->n++] = xstrdup(de->d_name);
		} else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			c->ret = pd_fail(err, errno, "remove '%s' under '%s'", de->d_name, c->what);
		}
		errno = 0;
	}
	if (errno)
		c->ret = pd_fail(err, errno, "read a directory of '%s'", c->what);
}

/* Open the subdirectory `name` of `fd` (made searchable if it is not:
 * an image's 0555 /proc, overlayfs' 000 work/work), or -1 when it is to
 * be skipped (gone, or reported). */
static int rm_down(struct rm_ctx *c, int fd, const char *name, struct stat *st, struct pd_err **err)
{
	if (fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			c->ret = pd_fail(err, errno, "stat '%s' under '%s'", name, c->what);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		/* Replaced since the scan: a plain entry now. */
		if (unlinkat(fd, name, 0) < 0 && errno != ENOENT)
			c->ret = pd_fail(err, errno, "remove '%s' under '%s'", name, c->what);
		return -1;
	}
	if ((st->st_mode & S_IRWXU) != S_IRWXU)
		(void)!fchmodat(fd, name, (st->st_mode & 07777) | S_IRWXU,
				0); /* the open reports a failure */
	int cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0) {
		if (errno != ENOENT)
			c->ret = pd_fail(err, errno, "open '%s' under '%s'", name, c->what);
		return -1;
	}
	if (fstat(cfd, st) < 0 || !rm_same_mount(c, cfd, st)) {
		c->ret = pd_fail(err, EBUSY, "'%s' under '%s' is a mount point", name, c->what);
		close(cfd);
		return -1;
	}
	return cfd;
}

/* Empty the directory open as `topfd` (taken), as described above. */
static int rm_tree(int topfd, const char *what, struct pd_err **err)
{
	struct rm_ctx c = { .what = what };
	struct stat st;
	struct statx sx;
	_cleanup_close_ int fd = topfd;
	if (fstat(fd, &st) < 0)
		return pd_fail(err, errno, "stat '%s'", what);
	c.dev = st.st_dev;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID)) {
		c.has_mnt_id = true;
		c.mnt_id = sx.stx_mnt_id;
	}
	size_t depth = 0, cap = 16;
	struct rm_level *lv = xcalloc(cap, sizeof(*lv));
	lv[0] = (struct rm_level){ .dev = st.st_dev, .ino = st.st_ino };
	rm_scan(&c, fd, &lv[0], err);
	for (;;) {
		struct rm_level *l = &lv[depth];
		if (l->next < l->n) {
			_cleanup_free_ char *name = l->subdirs[l->next++];
			int cfd = rm_down(&c, fd, name, &st, err);
			if (cfd < 0)
				continue;
			closep(&fd);
			fd = cfd;
			if (++depth == cap)
				lv = xrealloc(lv, (cap *= 2) * sizeof(*lv));
			lv[depth] =
			    (struct rm_level){ .name = take_ptr(&name), .dev = st.st_dev, .ino = st.st_ino };
			rm_scan(&c, fd, &lv[depth], err);
			continue;
		}
		if (depth == 0)
			break;
		/* Back up: ".." must be the parent we left, or the tree was
		 * moved under us and ".." leads who knows where. */
		int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat pst;
		if (pfd < 0 || fstat(pfd, &pst) < 0 || pst.st_dev != lv[depth - 1].dev ||
		    pst.st_ino != lv[depth - 1].ino) {
			c.ret = pd_fail(err, pfd < 0 ? errno : 0, "'%s' was moved while it was being removed",
					what);
			if (pfd >= 0)
				close(pfd);
			break;
		}
		closep(&fd);
		fd = pfd;
		if (unlinkat(fd, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			c.ret = pd_fail(err, errno, "remove '%s' under '%s'", l->name, what);
		rm_level_free(l);
		depth--;
	}
	for (size_t i = 0; i <= depth; i++)
		rm_level_free(&lv[i]);
	free(lv);
	return c.ret;
}

int pd_rm_rf_at(int dirfd, const char *name, struct pd_err **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : pd_fail(err, errno, "stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return pd_fail(err, errno, "remove '%s'", name);
		return 0;
	}
	if ((st.st_mode & S_IRWXU) != S_IRWXU)
		(void)!fchmodat(dirfd, name, (st.st_mode & 07777) | S_IRWXU,
				0); /* on failure, the open below reports it */
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", name);
	if (rm_tree(fd, name, err) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return pd_fail(err, errno, "remove '%s'", name);
	return 0;
}

int pd_rm_rf(const char *path, struct pd_err **err)
{
	return pd_rm_rf_at(AT_FDCWD, path, err);
}

int pd_write_all(int fd, const void *data, size_t len)
{
	for (const char *p = data; len;) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int pd_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct pd_err **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	/* A new file, never one planted at the name (a symlink would make
	 * the caller truncate its target). */
	unlink(tmp);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return pd_fail(err, errno, "create '%s'", tmp);
	if (pd_write_all(fd, data, len) < 0) {
		int e = errno;
		unlink(tmp);
		return pd_fail(err, e, "write '%s'", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return pd_fail(err, e, "rename '%s'", path);
	}
	return 0;
}

char *pd_read_fd(int fd, size_t size, size_t *len_out)
{
	_cleanup_free_ char *buf = xmalloc(size + 1);
	size_t n = 0;
	while (n < size) {
		ssize_t r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return NULL;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len_out = n;
	return take_ptr(&buf);
}

char *pd_read_regular(const char *path, const char *what, size_t max_mib, size_t *len_out,
		      struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		pd_fail_kind(err, PD_ERR_USAGE, errno, "%s '%s'", what, path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > (uint64_t)max_mib << 20) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s': not a regular file of at most %zu MiB", what,
			     path, max_mib);
		return NULL;
	}
	size_t got;
	_cleanup_free_ char *buf = pd_read_fd(fd, (size_t)st.st_size, &got);
	if (!buf) {
		pd_fail_kind(err, PD_ERR_USAGE, errno, "%s '%s'", what, path);
		return NULL;
	}
	if (strlen(buf) != got) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s': not a text file", what, path);
		return NULL;
	}
	if (len_out)
		*len_out = got;
	return take_ptr(&buf);
}

int pd_sealed_copy(const char *path, const char *what, struct pd_err **err)
{
	/* Opened without blocking first, so a device or a FIFO is seen before
	 * anything waits on it; a FIFO is then opened as a shell's `< fifo`
	 * would, waiting for its writer. */
	_cleanup_close_ int src = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (src < 0 || fstat(src, &st) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "%s '%s'", what, path);
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s': not a regular file or a pipe", what,
				    path);
	if (S_ISFIFO(st.st_mode)) {
		close(src);
		src = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		if (src < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "%s '%s'", what, path);
	}
	_cleanup_close_ int mem = memfd_create("pocket-docker-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0)
		return pd_fail(err, errno, "create a memory file for %s", what);
	char buf[65536];
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "read %s '%s'", what, path);
		if (n == 0)
			break;
		if (pd_write_all(mem, buf, (size_t)n) < 0)
			return pd_fail(err, errno, "copy %s '%s' into memory", what, path);
	}
	if (fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return pd_fail(err, errno, "seal the copy of %s '%s'", what, path);
	/* A read-only open of the copy: the descriptor the container gets
	 * says O_RDONLY, as a shell's `< file` would. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", mem);
	int ro = open(self, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		return pd_fail(err, errno, "reopen the copy of %s '%s'", what, path);
	return ro;
}

char *pd_read_file(const char *path, size_t *len_out, struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pd_fail(err, errno, "open '%s'", path);
		return NULL;
	}
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pd_fail(err, errno, "read '%s'", path);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return take_ptr(&buf);
}

bool pd_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void pd_chown_to_invoker(const char *path)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	if (geteuid() != 0 || !su || !sg || !*su || !*sg)
		return;
	/* Best effort: on failure the state stays usable by root. */
	(void)!lchown(path, (uid_t)strtoul(su, NULL, 10), (gid_t)strtoul(sg, NULL, 10));
}

void pd_close_all_but(int lowest, const int *keep, size_t n)
{
	int sorted[16];
	size_t m = 0;
	for (size_t i = 0; i < n && m < ARRAY_SIZE(sorted); i++)
		if (keep[i] >= lowest)
			sorted[m++] = keep[i];
	for (size_t i = 1; i < m; i++)
		for (size_t k = i; k > 0 && sorted[k - 1] > sorted[k]; k--) {
			int t = sorted[k];
			sorted[k] = sorted[k - 1];
			sorted[k - 1] = t;
		}
	unsigned from = (unsigned)lowest;
	for (size_t i = 0; i < m; i++) {
		if ((unsigned)sorted[i] > from)
			syscall(SYS_close_range, from, (unsigned)sorted[i] - 1, 0U);
		from = (unsigned)sorted[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0U);
}
