/* COPY and ADD of `build`: files of the context (or of another stage's or
 * image's layers) into a staging directory that becomes the step's layer.
 *
 * Runs in the CLI, as root (or the caller, rootless).  Threat: the context
 * is untrusted input (a cloned repository): a symlink in it may point
 * anywhere on the host (`ln -s /etc/shadow x`), and `COPY ../x` asks for a
 * file outside it.  So a source path climbing above the context is
 * refused before any lookup; the source itself is opened with openat2
 * RESOLVE_IN_ROOT (a symlink on the way resolves inside the context, never
 * out), O_NOFOLLOW on the last component; and everything below is walked
 * by descriptor, each entry opened O_NOFOLLOW relative to its parent's, so
 * a symlink is copied as a symlink and its target is never read.  Regular
 * files are reopened O_NOFOLLOW | O_NONBLOCK and checked to be the very
 * inode looked at (a FIFO swapped in is never read).
 *
 * The staging directory is ours (under <root>/build-tmp): writes into it
 * are relative to its descriptors, O_NOFOLLOW, and an entry already there
 * is replaced, never followed.  Every name, mode, owner and content byte
 * read feeds the step's checksum, the layer cache's key. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/build-internal.h"
#include "image/archive.h"
#include "image/layers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MAX_DEPTH 256

int build_open_in(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = -1;
	/* EAGAIN: a rename raced the ".." check; the lookup is safe to
	 * repeat, and bounded. */
	for (int tries = 0; tries < 16; tries++) {
		fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/* `path` cleaned; a ".." at the root: NULL, or nothing when `clamp`. */
static char *clean_path(const char *path, bool clamp)
{
	_cleanup_strv_ char **parts = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			size_t n = strv_len(parts);
			if (n == 0) {
				if (clamp)
					continue;
				return NULL;
			}
			free(parts[n - 1]);
			parts[n - 1] = NULL;
			continue;
		}
		strv_push(&parts, t);
	}
	return strv_join(parts, "/");
}

char *build_clean_rel(const char *path)
{
	return clean_path(path, false);
}

char *build_clean_abs(const char *path)
{
	return clean_path(path, true);
}

static void hash_str(struct build_copy *c, const char *s)
{
	pd_sha256_update(&c->sha, s, strlen(s) + 1);
}

static void hash_stat(struct build_copy *c, const char *rel, const struct stat *st)
{
	char buf[96];
	snprintf(buf, sizeof(buf), "%o %u %u %llu", (unsigned)st->st_mode, (unsigned)st->st_uid,
		 (unsigned)st->st_gid, S_ISREG(st->st_mode) ? (unsigned long long)st->st_size : 0ULL);
	hash_str(c, rel);
	hash_str(c, buf);
}

int build_staging_dir(int staging_fd, const char *rel, struct pd_err **err)
{
	int fd = fcntl(staging_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return pd_fail(err, errno, "staging directory");
	_cleanup_free_ char *copy = xstrdup(rel);
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, t, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return pd_fail(err, errno, "mkdir '%s'", rel);
		}
		int next = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return pd_fail(err, errno, "open '%s' (a file where a directory must be)", rel);
		fd = next;
	}
	return fd;
}

/* Owner and mode as the step says: COPY's files are root's unless
 * --chown, and keep their mode unless --chmod. */
static int set_meta(struct build_copy *c, int dirfd, const char *name, const struct stat *st, bool link,
		    struct pd_err **err)
{
	uid_t uid = c->has_chown ? c->uid : 0;
	gid_t gid = c->has_chown ? c->gid : 0;
	if (geteuid() == 0 && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_fail(err, errno, "chown '%s'", name);
	if (link)
		return 0;
	mode_t mode = c->has_chmod ? c->mode : st->st_mode & 07777;
	if (fchmodat(dirfd, name, mode, 0) < 0)
		return pd_fail(err, errno, "chmod '%s'", name);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* Remove what is at `name` in the staging tree unless it is a directory
 * and a directory comes (the copies merge, as Docker's do). */
static void clear_dest(int dirfd, const char *name, bool dir)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (dir && S_ISDIR(st.st_mode))
		return;
	pd_rm_rf_at(dirfd, name, pd_err_ignore(optional));
}

/* Empty the staging directory `dfd` (what layers below put there, hidden
 * by an opaque directory or a whiteout above). */
static void clear_children(int dfd)
{
	int d = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir) {
		if (d >= 0)
			close(d);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			pd_rm_rf_at(dfd, de->d_name, pd_err_ignore(optional));
}

/* Whether the directory held by `pathfd` (O_PATH) is an opaque one of a
 * layer. */
static bool opaque_dir(int pathfd)
{
	_cleanup_close_ int fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && pd_layer_is_opaque(fd);
}

static int copy_data(struct build_copy *c, int in, int out, const char *rel, struct pd_err **err)
{
	char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "read '%s'", rel);
		if (n == 0)
			return 0;
		pd_sha256_update(&c->sha, buf, (size_t)n);
		if (pd_write_all(out, buf, (size_t)n) < 0)
			return pd_fail(err, errno, "write '%s'", rel);
	}
}

static int copy_entry(struct build_copy *c, int srcdir, const char *name, int dstdir, const char *dstname,
		      const char *rel, unsigned depth, struct pd_err **err);

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory `fd` (an O_PATH one), sorted: the checksum must
 * not depend on readdir's order. */
static char **dir_names(int fd, const char *rel, struct pd_err **err)
{
	int rd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rd < 0)
		return pd_fail(err, errno, "open '%s'", rel), NULL;
	DIR *d = fdopendir(rd);
	if (!d) {
		close(rd);
		return pd_fail(err, errno, "open '%s'", rel), NULL;
	}
	char **names = xcalloc(1, sizeof(char *));
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(&names, e->d_name);
	closedir(d);
	qsort(names, strv_len(names), sizeof(char *), name_cmp);
	return names;
}

/* Everything directory `srcfd` holds into directory `dstfd`. */
static int copy_children(struct build_copy *c, int srcfd, int dstfd, const char *rel, unsigned depth,
			 struct pd_err **err)
{
	_cleanup_strv_ char **names = dir_names(srcfd, rel, err);
	if (!names)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *crel = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		if (copy_entry(c, srcfd, names[i], dstfd, names[i], crel, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

int build_reopen_regular(int pathfd)
{
	struct stat st;
	if (fstat(pathfd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	/* The held inode itself: nothing is looked up by name again, so no
	 * device or FIFO swapped in meanwhile is ever opened. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
	return open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

bool build_name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int copy_entry(struct build_copy *c, int srcdir, const char *name, int dstdir, const char *dstname,
		      const char *rel, unsigned depth, struct pd_err **err)
{
	/* Every name written is one entry of the staging directory held by
	 * dstdir: never a path, nor "." or "..", which would lead out. */
	if (!build_name_ok(dstname))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s': cannot be copied to '%s'", rel, dstname);
	if (depth > MAX_DEPTH)
		return pd_fail(err, ELOOP, "'%s': directories nested too deep", rel);
	_cleanup_close_ int fd = openat(srcdir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return pd_fail(err, errno, "open '%s'", rel);
	if (c->ig && *rel && pd_ignore_match(c->ig, rel) &&
	    !(S_ISDIR(st.st_mode) && pd_ignore_may_include_below(c->ig, rel)))
		return 0;
	hash_stat(c, rel, &st);
	/* A stage's layers, copied bottom first: a whiteout removes what the
	 * layers below put at its name, an opaque directory what they put
	 * under it, as overlayfs shows the stage. */
	if (c->layered && pd_layer_is_whiteout(srcdir, name, &st)) {
		clear_dest(dstdir, dstname, false);
		return 0;
	}
	if (c->layered && S_ISDIR(st.st_mode) && opaque_dir(fd))
		clear_dest(dstdir, dstname, false);
	if (S_ISDIR(st.st_mode)) {
		clear_dest(dstdir, dstname, true);
		if (mkdirat(dstdir, dstname, 0755) < 0 && errno != EEXIST)
			return pd_fail(err, errno, "mkdir '%s'", rel);
		_cleanup_close_ int out =
		    openat(dstdir, dstname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0)
			return pd_fail(err, errno, "open '%s'", rel);
		if (copy_children(c, fd, out, rel, depth, err) < 0)
			return -1;
		return set_meta(c, dstdir, dstname, &st, false, err);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return pd_fail(err, errno, "readlink '%s'", rel);
		target[n] = 0;
		hash_str(c, target);
		clear_dest(dstdir, dstname, false);
		if (symlinkat(target, dstdir, dstname) < 0)
			return pd_fail(err, errno, "symlink '%s'", rel);
		return set_meta(c, dstdir, dstname, &st, true, err);
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* FIFOs, sockets and devices are not copied */
	_cleanup_close_ int in = build_reopen_regular(fd);
	if (in < 0)
		return pd_fail(err, errno, "open '%s'", rel);
	clear_dest(dstdir, dstname, false);
	_cleanup_close_ int out =
	    openat(dstdir, dstname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return pd_fail(err, errno, "create '%s'", rel);
	if (copy_data(c, in, out, rel, err) < 0)
		return -1;
	return set_meta(c, dstdir, dstname, &st, false, err);
}

/* The directory part and last name of `dest` (absolute, cleaned). */
static void split_dest(const char *dest, char **dir, char **base)
{
	_cleanup_free_ char *rel = build_clean_rel(dest);
	const char *slash = strrchr(rel, '/');
	*dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	*base = xstrdup(slash ? slash + 1 : rel);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ADD of a local tarball: its entries into `dest`, a directory. */
static int add_tarball(struct build_copy *c, int fd, const char *src, const char *dest, struct pd_err **err)
{
	char buf[64 * 1024];
	for (off_t off = 0;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0)
			return pd_fail(err, errno, "read '%s'", src);
		if (n == 0)
			break;
		pd_sha256_update(&c->sha, buf, (size_t)n);
		off += n;
	}
	_cleanup_free_ char *rel = build_clean_rel(dest);
	_cleanup_close_ int dfd = build_staging_dir(c->staging_fd, rel, err);
	if (dfd < 0)
		return -1;
	struct pd_extract_opts eo = { .rootless = geteuid() != 0 };
	if (pd_archive_extract_fd(fd, src, dfd, &eo, NULL, err) < 0) {
		pd_err_prefix(err, "ADD '%s'", src);
		return -1;
	}
	return 0;
}

int build_copy_source(struct build_copy *c, int rootfd, const char *src, const char *dest, bool dest_dir,
		      struct pd_err **err)
{
	_cleanup_close_ int fd = build_open_in(rootfd, src, O_PATH | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "'%s'", *src ? src : ".");
	hash_str(c, src);
	if (c->layered && *src) {
		/* The source itself a whiteout: hidden from here down. */
		_cleanup_free_ char *up = xstrndup(src, (size_t)(base_name(src) - src));
		_cleanup_close_ int upfd = build_open_in(rootfd, up, O_PATH | O_DIRECTORY);
		if (upfd >= 0 && pd_layer_is_whiteout(upfd, base_name(src), &st)) {
			build_copy_hidden(c, src, dest, dest_dir);
			return 0;
		}
	}
	c->visible = true;
	if (S_ISDIR(st.st_mode)) {
		_cleanup_free_ char *rel = build_clean_rel(dest);
		_cleanup_close_ int dfd = build_staging_dir(c->staging_fd, rel, err);
		if (dfd < 0)
			return -1;
		if (c->layered && opaque_dir(fd))
			clear_children(dfd);
		c->src_dir = true;
		return copy_children(c, fd, dfd, src, 0, err);
	}
	if (c->layered && c->src_dir) {
		/* A directory below, a file here: the directory's contents go. */
		build_copy_hidden(c, src, dest, dest_dir);
		c->visible = true;
	}
	c->src_dir = false;
	if (c->add && S_ISREG(st.st_mode) && pd_archive_is_tarball_name(src)) {
		_cleanup_close_ int in = build_reopen_regular(fd);
		if (in < 0)
			return pd_fail(err, errno, "open '%s'", src);
		return add_tarball(c, in, src, dest, err);
	}
	_cleanup_free_ char *dir = NULL, *base = NULL;
	if (dest_dir) {
		dir = build_clean_rel(dest);
		base = xstrdup(base_name(src));
	} else {
		split_dest(dest, &dir, &base);
	}
	_cleanup_close_ int dfd = build_staging_dir(c->staging_fd, dir, err);
	if (dfd < 0)
		return -1;
	/* The parent of the source, held inside the root, for the walk. */
	_cleanup_free_ char *parent = xstrndup(src, (size_t)(base_name(src) - src));
	_cleanup_close_ int pfd = build_open_in(rootfd, parent, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pd_fail(err, errno, "open '%s'", parent);
	return copy_entry(c, pfd, base_name(src), dfd, base, src, 0, err);
}

void build_copy_hidden(struct build_copy *c, const char *src, const char *dest, bool dest_dir)
{
	c->visible = false;
	if (c->src_dir) {
		/* A directory's contents went into dest itself. */
		_cleanup_free_ char *rel = build_clean_rel(dest);
		_cleanup_close_ int dfd =
		    rel ? build_open_in(c->staging_fd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW) : -1;
		if (dfd >= 0)
			clear_children(dfd);
		c->src_dir = false;
		return;
	}
	_cleanup_free_ char *dir = NULL, *base = NULL;
	if (dest_dir) {
		dir = build_clean_rel(dest);
		base = xstrdup(base_name(src));
	} else {
		split_dest(dest, &dir, &base);
	}
	_cleanup_close_ int dfd =
	    dir ? build_open_in(c->staging_fd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW) : -1;
	if (dfd >= 0 && build_name_ok(base))
		clear_dest(dfd, base, false);
}

bool build_layer_hides(int layerfd, const char *rel)
{
	int fd = openat(layerfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	_cleanup_free_ char *copy = xstrdup(rel);
	char *save = NULL;
	bool hides = false;
	for (char *comp = strtok_r(copy, "/", &save); comp;) {
		char *next = strtok_r(NULL, "/", &save);
		struct stat st;
		if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* Missing here: hidden below when this directory is opaque. */
			hides = errno == ENOENT && pd_layer_is_opaque(fd);
			break;
		}
		if (pd_layer_is_whiteout(fd, comp, &st) || (!S_ISDIR(st.st_mode) && next)) {
			hides = true;
			break;
		}
		if (!S_ISDIR(st.st_mode))
			break;
		int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			break;
		close(fd);
		fd = sub;
		comp = next;
	}
	close(fd);
	return hides;
}

int build_copy_text(struct build_copy *c, const char *name, const char *body, const char *dest, bool dest_dir,
		    struct pd_err **err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL;
	if (dest_dir) {
		dir = build_clean_rel(dest);
		base = xstrdup(name);
	} else {
		split_dest(dest, &dir, &base);
	}
	/* A heredoc's name is the Dockerfile's: a file name, never a path. */
	if (!build_name_ok(base))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "heredoc '%s': the file's name must be a name, not a path", name);
	hash_str(c, name);
	hash_str(c, body);
	_cleanup_close_ int dfd = build_staging_dir(c->staging_fd, dir, err);
	if (dfd < 0)
		return -1;
	clear_dest(dfd, base, false);
	_cleanup_close_ int out =
	    openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || pd_write_all(out, body, strlen(body)) < 0)
		return pd_fail(err, errno, "write '%s'", name);
	struct stat st = { .st_mode = S_IFREG | 0644 };
	clock_gettime(CLOCK_REALTIME, &st.st_mtim);
	st.st_atim = st.st_mtim;
	return set_meta(c, dfd, base, &st, false, err);
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int glob_walk(int rootfd, const char *prefix, char **comps, const struct pd_ignore *ig, char ***out,
		     struct pd_err **err)
{
	if (!comps[0]) {
		strv_push(out, prefix);
		return 0;
	}
	if (!has_glob(comps[0])) {
		_cleanup_free_ char *p = *prefix ? xasprintf("%s/%s", prefix, comps[0]) : xstrdup(comps[0]);
		_cleanup_close_ int fd = build_open_in(rootfd, p, O_PATH | O_NOFOLLOW);
		if (fd < 0)
			return 0;
		return glob_walk(rootfd, p, comps + 1, ig, out, err);
	}
	_cleanup_close_ int dfd = build_open_in(rootfd, prefix, O_PATH | O_DIRECTORY);
	if (dfd < 0)
		return 0;
	_cleanup_strv_ char **names = dir_names(dfd, prefix, err);
	if (!names)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		if (fnmatch(comps[0], names[i], 0) != 0)
			continue;
		_cleanup_free_ char *p = *prefix ? xasprintf("%s/%s", prefix, names[i]) : xstrdup(names[i]);
		if (ig && pd_ignore_match(ig, p))
			continue;
		if (glob_walk(rootfd, p, comps + 1, ig, out, err) < 0)
			return -1;
	}
	return 0;
}

char **build_glob(int rootfd, const char *pattern, const struct pd_ignore *ig, struct pd_err **err)
{
	char **out = xcalloc(1, sizeof(char *));
	if (!has_glob(pattern)) {
		_cleanup_close_ int fd = build_open_in(rootfd, pattern, O_PATH | O_NOFOLLOW);
		if (fd >= 0 && !(ig && *pattern && pd_ignore_match(ig, pattern)))
			strv_push(&out, pattern);
		return out;
	}
	_cleanup_strv_ char **comps = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(pattern);
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
		strv_push(&comps, t);
	if (glob_walk(rootfd, "", comps, ig, &out, err) < 0) {
		strv_free(out);
		return NULL;
	}
	return out;
}
