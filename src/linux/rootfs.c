/* In-root path resolution (see rootfs.h).  Runs in the container's init
 * before pivot_root, with full privileges over the new mount namespace; the
 * root filesystem is untrusted, which is the reason for every check here. */
#include "linux/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

int rootfs_try_open(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Split "a/b/c" into the parent "a/b" (or ".") and the last name "c";
 * both are owned by the caller. */
static char *split_last(const char *rel, char **name)
{
	while (*rel == '/')
		rel++;
	char *p = xstrdup(*rel ? rel : ".");
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (!slash) {
		*name = p;
		return xstrdup(".");
	}
	*slash = '\0';
	*name = xstrdup(slash + 1);
	return p;
}

static int mkdir_p_depth(int rootfd, const char *rel, mode_t mode, unsigned depth, struct pd_err **err)
{
	int fd = rootfs_try_open(rootfd, rel, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT)
		return pd_fail(err, -fd, "open directory '%s' in rootfs", rel);
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *parent = split_last(rel, &name);
	_cleanup_close_ int pfd = mkdir_p_depth(rootfd, parent, mode, depth, err);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
		return pd_fail(err, errno, "create directory '%s' in rootfs", rel);
	/* A dangling symlink: create what it points to, resolved inside the
	 * rootfs (as Docker does for a volume over a link), then follow it. */
	struct stat st;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		/* On the heap: this recurses once per missing component, and a
		 * path of 4,096 bytes can have 2,048 of them. */
		_cleanup_free_ char *target = xmalloc(4096);
		ssize_t n = readlinkat(pfd, name, target, 4095);
		if (n <= 0 || depth >= 40)
			return pd_fail(err, ELOOP, "create directory '%s' in rootfs", rel);
		target[n] = '\0';
		_cleanup_free_ char *next =
		    target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", parent, target);
		_cleanup_close_ int tfd = mkdir_p_depth(rootfd, next, mode, depth + 1, err);
		if (tfd < 0)
			return -1;
		fd = rootfs_try_open(rootfd, rel, O_PATH | O_DIRECTORY, 0);
		if (fd < 0)
			return pd_fail(err, -fd, "open directory '%s' in rootfs", rel);
		return fd;
	}
	fd = rootfs_try_open(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return pd_fail(err, -fd, "open directory '%s' in rootfs (a dangling symlink?)", rel);
	return fd;
}

int rootfs_mkdir_p(int rootfd, const char *rel, mode_t mode, struct pd_err **err)
{
	return mkdir_p_depth(rootfd, rel, mode, 0, err);
}

int rootfs_mkfile(int rootfd, const char *rel, struct pd_err **err)
{
	int fd = rootfs_try_open(rootfd, rel, O_PATH, 0);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			return pd_fail(err, EISDIR, "'%s' in rootfs is a directory", rel);
		}
		return fd;
	}
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *parent = split_last(rel, &name);
	_cleanup_close_ int pfd = rootfs_mkdir_p(rootfd, parent, 0755, err);
	if (pfd < 0)
		return -1;
	_cleanup_close_ int wfd = openat(pfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (wfd < 0)
		return pd_fail(err, errno, "create '%s' in rootfs", rel);
	fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s' in rootfs", rel);
	return fd;
}

int rootfs_write_file(int rootfd, const char *rel, const char *data, mode_t mode, struct pd_err **err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *parent = split_last(rel, &name);
	_cleanup_close_ int pfd = rootfs_mkdir_p(rootfd, parent, 0755, err);
	if (pfd < 0)
		return -1;
	/* Unlink first: whatever the image put at this name (a symlink to a
	 * host-looking path, a fifo) is replaced, never opened. */
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
		return pd_fail(err, errno, "replace '%s' in rootfs", rel);
	_cleanup_close_ int fd =
	    openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return pd_fail(err, errno, "create '%s' in rootfs", rel);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		return pd_fail(err, errno, "write '%s' in rootfs", rel);
	return 0;
}
