/* File-system helpers for runtime-owned host paths (see fs.h).  Runs in the
 * CLI and the monitor, with the caller's privileges. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static int rm_children(int dfd, dev_t dev, const char *what, struct pd_err **err)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return pd_fail(err, errno, "open directory '%s'", what);
	}
	_cleanup_closedir_ DIR *dir = d;
	struct dirent *de;
	int ret = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = pd_fail(err, errno, "stat '%s/%s'", what, de->d_name);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				ret = pd_fail(err, EBUSY, "'%s/%s' is a mount point", what, de->d_name);
				continue;
			}
			/* Directories without full owner permission (an image's
			 * 0555 /proc, overlayfs's 000 work/work) must be opened up
			 * to be emptied; this is our own tree. */
			if ((st.st_mode & S_IRWXU) != S_IRWXU)
				(void)!fchmodat(dirfd(dir), de->d_name, (st.st_mode & 07777) | S_IRWXU, 0); /* on failure, the open below reports it */
			int cfd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				ret = pd_fail(err, errno, "open '%s/%s'", what, de->d_name);
				continue;
			}
			if (rm_children(cfd, dev, what, err) < 0)
				ret = -1;
			if (unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				ret = pd_fail(err, errno, "remove '%s/%s'", what, de->d_name);
		} else if (unlinkat(dirfd(dir), de->d_name, 0) < 0 && errno != ENOENT) {
			ret = pd_fail(err, errno, "remove '%s/%s'", what, de->d_name);
		}
	}
	return ret;
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
		(void)!fchmodat(dirfd, name, (st.st_mode & 07777) | S_IRWXU, 0); /* on failure, the open below reports it */
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", name);
	if (rm_children(fd, st.st_dev, name, err) < 0)
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
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
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
