/* Rootfs cache (see cache.h).
 *
 * Runs in the CLI, as root or as the invoking user, before any container
 * exists.  Creates only directories and files under <state_root>/cache.
 *
 * Why content addressing: the same tarball given under two names, or copied,
 * is extracted once; an edited tarball gets a new tree, never a stale one.
 * Hashing a large tarball costs seconds, so an index keyed by the file's
 * stat identity skips it while the file is unchanged (any write changes the
 * ctime, which cannot be set back).
 *
 * Threats handled here:
 *   - an extracted tree holds the image's setuid-root binaries: the cache
 *     directories are 0700, so no other host user can reach and run them;
 *   - the tarball changing while it is read (hashed as A, extracted as B,
 *     leaving B's tree under A's name for every later user of A): the file
 *     is opened once, hashed and extracted from that one fd, and its stat
 *     identity is checked again after extraction;
 *   - a half-written tree: it only ever exists under a .tmp- name, and only
 *     rename(2), which is atomic, gives it its real name.
 *
 * Ordering: every extractor holds a shared flock on cache/rootfs/.lock from
 * before it creates its .tmp- directory until after the rename.  Whoever
 * gets the lock exclusively (without waiting) knows that no extraction is
 * running, so every .tmp- directory it sees was left by a killed process. */
#include "image/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

#define TMP_PREFIX ".tmp-"
#define LOCK_NAME  ".lock"

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static char *stat_key(const struct stat *st)
{
	return xasprintf("%ju-%ju-%jd-%" PRId64 "-%" PRId64, (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
			 (intmax_t)st->st_size, ts_ns(&st->st_mtim), ts_ns(&st->st_ctim));
}

static bool same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       ts_ns(&a->st_mtim) == ts_ns(&b->st_mtim) && ts_ns(&a->st_ctim) == ts_ns(&b->st_ctim);
}

static bool is_sha_hex(const char *s)
{
	for (int i = 0; i < PD_SHA256_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The sha recorded for a stat key, or false.  The index is only a hint: any
 * oddity (missing, truncated, not hex) means "hash the file". */
static bool read_index(const char *index, char sha[PD_SHA256_HEX_LEN + 1])
{
	_cleanup_err_ struct pd_err *ignored = NULL;
	size_t len;
	_cleanup_free_ char *s = pd_read_file(index, &len, &ignored);
	if (!s || len < PD_SHA256_HEX_LEN || !is_sha_hex(s))
		return false;
	if (len > PD_SHA256_HEX_LEN && s[PD_SHA256_HEX_LEN] != '\n')
		return false;
	memcpy(sha, s, PD_SHA256_HEX_LEN);
	sha[PD_SHA256_HEX_LEN] = '\0';
	return true;
}

static void write_index(const char *index, const char *sha)
{
	/* Best effort: without the index the next run hashes again, which is
	 * slower but just as correct. */
	_cleanup_err_ struct pd_err *ignored = NULL;
	_cleanup_free_ char *line = xasprintf("%s\n", sha);
	if (pd_write_file_atomic(index, line, strlen(line), 0600, &ignored) == 0)
		pd_chown_to_invoker(index);
}

/* Remove every .tmp- tree: called only with the lock held exclusively, when
 * they all belong to dead extractors.  Best effort. */
static void sweep_stale(int rootfs_fd)
{
	int fd = fcntl(rootfs_fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	_cleanup_closedir_ DIR *dir = d;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!str_has_prefix(de->d_name, TMP_PREFIX))
			continue;
		_cleanup_err_ struct pd_err *ignored = NULL;
		(void)pd_rm_rf_at(dirfd(dir), de->d_name, &ignored);
	}
}

/* Take the extractors' shared lock, sweeping leftovers first if no one
 * else holds it.  Returns the fd that holds the lock. */
static int lock_extractors(const char *rootfs_dir, struct pd_err **err)
{
	_cleanup_close_ int dfd = open(rootfs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open '%s'", rootfs_dir);
	/* 0644: a lock file holds nothing, and must be openable by whichever
	 * user (root under sudo, or not) shares this state root. */
	_cleanup_close_ int lfd = openat(dfd, LOCK_NAME, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (lfd < 0)
		return pd_fail(err, errno, "open '%s/" LOCK_NAME "'", rootfs_dir);
	_cleanup_free_ char *lock = xasprintf("%s/" LOCK_NAME, rootfs_dir);
	pd_chown_to_invoker(lock);
	if (flock(lfd, LOCK_EX | LOCK_NB) == 0)
		sweep_stale(dfd);
	/* Converting EX to SH may drop the lock for an instant; another
	 * extractor taking it meanwhile is harmless (we have no .tmp- yet). */
	while (flock(lfd, LOCK_SH) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "lock '%s/" LOCK_NAME "'", rootfs_dir);
	return take_fd(&lfd);
}

void pd_cache_sweep(const char *state_root)
{
	_cleanup_free_ char *dir = xasprintf("%s/cache/rootfs", state_root);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return; /* no cache: nothing to sweep */
	_cleanup_close_ int lfd = openat(dfd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* No lock file: no extraction ever ran to completion of its lock
	 * step, yet a .tmp- tree is only made after it; so there is none. */
	if (lfd < 0)
		return;
	if (flock(lfd, LOCK_EX | LOCK_NB) == 0)
		sweep_stale(dfd);
}

static void remove_tmp(const char *tmp)
{
	/* A tree that cannot be removed now is swept by a later extraction;
	 * the original failure is the one worth reporting. */
	_cleanup_err_ struct pd_err *ignored = NULL;
	(void)pd_rm_rf(tmp, &ignored);
}

/* Rootless with a subordinate range: extract inside a user namespace that
 * maps it, so the archive's owners (uid 1000 for /home/app) are kept as
 * the ids the container will see.  The child reports its error, or the
 * count of skipped devices, through a pipe; on failure it removes the
 * partial tree itself (its files may belong to subordinate ids). */
struct userns_extract {
	int tarfd, dfd, report;
	const char *tarball, *tmp;
	const struct pd_extract_opts *o;
};

static int userns_extract_cb(void *arg)
{
	struct userns_extract *u = arg;
	struct pd_extract_result res = { 0 };
	_cleanup_err_ struct pd_err *e = NULL;
	char msg[1024];
	int r = pd_archive_extract_fd(u->tarfd, u->tarball, u->dfd, u->o, &res, &e);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "E%s%s%s", e ? e->msg : "extraction failed",
			 e && e->errnum ? ": " : "", e && e->errnum ? strerror(e->errnum) : "");
		remove_tmp(u->tmp);
	} else {
		snprintf(msg, sizeof(msg), "S%u", res.skipped_devices);
	}
	if (write(u->report, msg, strlen(msg)) < 0)
		return -1;
	return r;
}

int pd_cache_extract_in_userns(const struct pd_cache_mode *mode, int tarfd, const char *tarball, int dfd,
			       const char *tmp, const struct pd_extract_opts *o,
			       struct pd_extract_result *res, struct pd_err **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return pd_fail(err, errno, "create pipe");
	struct userns_extract u = {
		.tarfd = tarfd, .dfd = dfd, .report = p[1], .tarball = tarball, .tmp = tmp, .o = o
	};
	_cleanup_err_ struct pd_err *run_err = NULL;
	int r = mode->run_in_userns(mode->ctx, userns_extract_cb, &u, &run_err);
	close(p[1]);
	char msg[1024];
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	*res = (struct pd_extract_result){ 0 };
	if (r == 0 && msg[0] == 'S') {
		res->skipped_devices = (unsigned)strtoul(msg + 1, NULL, 10);
		return 0;
	}
	if (msg[0] == 'E')
		return pd_fail(err, 0, "%s", msg + 1);
	pd_cache_remove_tree(mode, tmp, pd_err_ignore(cleanup));
	if (run_err)
		return pd_fail(err, run_err->errnum, "extract '%s' in a user namespace: %s", tarball,
			       run_err->msg);
	return pd_fail(err, 0, "extract '%s' in a user namespace failed", tarball);
}

static int rm_rf_cb(void *path)
{
	return pd_rm_rf(path, pd_err_ignore(status));
}

int pd_cache_remove_tree(const struct pd_cache_mode *mode, const char *path, struct pd_err **err)
{
	_cleanup_err_ struct pd_err *e = NULL;
	if (pd_rm_rf(path, &e) == 0)
		return 0;
	if (!mode || !mode->run_in_userns)
		return pd_fail(err, e->errnum, "%s", e->msg);
	return mode->run_in_userns(mode->ctx, rm_rf_cb, (void *)path, err);
}

/* Extract the open tarball into rootfs_dir/.tmp-XXXXXX and rename it to
 * `dest`.  Losing the race to another extractor is success. */
static int extract_into_place(int tarfd, const char *tarball, const struct stat *before,
			      const char *rootfs_dir, const char *dest, const struct pd_cache_mode *mode,
			      unsigned *skipped, struct pd_err **err)
{
	/* pd_mkdir_p sets the mode only of what it creates; a cache directory
	 * made some other way must not expose the trees either. */
	struct stat dst;
	if (stat(rootfs_dir, &dst) < 0 || ((dst.st_mode & 077) && chmod(rootfs_dir, 0700) < 0))
		return pd_fail(err, errno, "set the mode of '%s'", rootfs_dir);
	/* Held until the function returns, after the rename. */
	_cleanup_close_ int lockfd = lock_extractors(rootfs_dir, err);
	if (lockfd < 0)
		return -1;
	_cleanup_free_ char *tmp = xasprintf("%s/" TMP_PREFIX "XXXXXX", rootfs_dir);
	if (!mkdtemp(tmp))
		return pd_fail(err, errno, "create a directory in '%s'", rootfs_dir);
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		pd_fail(err, errno, "open '%s'", tmp);
		remove_tmp(tmp);
		return -1;
	}

	struct pd_extract_opts o = { .rootless = mode->rootless };
	struct pd_extract_result res;
	struct stat after;
	if (mode->rootless && mode->run_in_userns) {
		o.keep_owners = true;
		if (pd_cache_extract_in_userns(mode, tarfd, tarball, dfd, tmp, &o, &res, err) < 0)
			return -1;
	} else if (pd_archive_extract_fd(tarfd, tarball, dfd, &o, &res, err) < 0) {
		remove_tmp(tmp);
		return -1;
	}
	if (fstat(tarfd, &after) < 0 || !same_file_state(before, &after)) {
		pd_fail(err, 0, "'%s' changed while it was being extracted", tarball);
		remove_tmp(tmp);
		return -1;
	}
	if (skipped)
		*skipped = res.skipped_devices;

	if (rename(tmp, dest) < 0) {
		int e = errno;
		remove_tmp(tmp);
		/* Another extractor finished first with the same content. */
		if ((e == EEXIST || e == ENOTEMPTY) && pd_is_dir(dest))
			return 0;
		return pd_fail(err, e, "rename '%s' to '%s'", tmp, dest);
	}
	return 0;
}

/* Create cache/rootfs and cache/by-stat (0700, see the threats above) and
 * return the absolute path of cache/rootfs.  Under sudo the directories are
 * the invoking user's, like the rest of the state root; the extracted trees
 * inside keep the image's owners. */
static char *make_dirs(const char *state_root, char **bystat_dir, struct pd_err **err)
{
	_cleanup_free_ char *cache = xasprintf("%s/cache", state_root);
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", state_root);
	_cleanup_free_ char *bystat = xasprintf("%s/cache/by-stat", state_root);
	if (pd_mkdir_p(rootfs, 0700, err) < 0 || pd_mkdir_p(bystat, 0700, err) < 0)
		return NULL;
	pd_chown_to_invoker(cache);
	pd_chown_to_invoker(rootfs);
	pd_chown_to_invoker(bystat);
	char *abs = realpath(rootfs, NULL);
	if (!abs) {
		pd_fail(err, errno, "resolve '%s'", rootfs);
		return NULL;
	}
	*bystat_dir = take_ptr(&bystat);
	return abs;
}

char *pd_cache_rootfs(const char *state_root, const char *tarball, const struct pd_cache_mode *mode,
		      unsigned *skipped_devices, struct pd_err **err)
{
	if (skipped_devices)
		*skipped_devices = 0;
	/* O_NONBLOCK: a fifo or device given by mistake must not hang the
	 * open; it is refused below, and regular files ignore the flag. */
	_cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		pd_fail(err, errno, "open '%s'", tarball);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		pd_fail(err, 0, "'%s' is not a regular file", tarball);
		return NULL;
	}
	_cleanup_free_ char *bystat_dir = NULL;
	_cleanup_free_ char *rootfs_dir = make_dirs(state_root, &bystat_dir, err);
	if (!rootfs_dir)
		return NULL;
	_cleanup_free_ char *key = stat_key(&st);
	_cleanup_free_ char *index = xasprintf("%s/%s", bystat_dir, key);
	/* Rootless trees keep the caller as owner of everything, or, with a
	 * subordinate range, the archive's owners inside it. */
	const char *suffix = !mode->rootless ? "" : mode->run_in_userns ? "-subids" : "-rootless";

	char sha[PD_SHA256_HEX_LEN + 1];
	if (read_index(index, sha)) {
		char *path = xasprintf("%s/%s%s", rootfs_dir, sha, suffix);
		if (pd_is_dir(path))
			return path;
		free(path);
	}

	if (pd_sha256_fd(fd, tarball, sha, err) < 0)
		return NULL;
	_cleanup_free_ char *path = xasprintf("%s/%s%s", rootfs_dir, sha, suffix);
	if (!pd_is_dir(path)) {
		if (extract_into_place(fd, tarball, &st, rootfs_dir, path, mode, skipped_devices, err) < 0)
			return NULL;
	}
	/* Record the sha only for the file state it was computed from. */
	struct stat now;
	if (fstat(fd, &now) == 0 && same_file_state(&st, &now))
		write_index(index, sha);
	return take_ptr(&path);
}
