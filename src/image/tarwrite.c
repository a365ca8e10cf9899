/* A tar stream of a descriptor-held tree (see tarwrite.h).
 *
 * Runs in the CLI, or in its child inside a container's mount namespace
 * view (core/copy.c), with whatever privileges that process has: it reads
 * what they let it read.  The threat is the tree: a container's root user
 * controls every name, link target and file type in it, and may swap
 * entries while they are read.  Hence the walk holds a descriptor per
 * entry, opened relative to the parent's descriptor with O_NOFOLLOW, looks
 * at that descriptor only (fstat), and opens a file for reading by
 * reopening the held inode through /proc/self/fd (never the name again):
 * a FIFO or device node swapped in meanwhile is never opened, so cp can
 * neither hang on a FIFO nor trigger a device's open.  Entry names are the
 * directory's own bytes joined by "/": a name cannot hold "/" nor be "."
 * or "..", so the stream names nothing outside its top.
 *
 * The same walk writes the layers of `commit` (layerwrite.c): options turn
 * an overlay upper directory's whiteouts and opaque directories into the
 * OCI ".wh." files, leave the runtime's own files out, and map a rootless
 * container's owners back to the ids it sees.  Entries are written in
 * name order, a directory before what it holds and an opaque marker first
 * in its directory. */
#include "image/tarwrite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/tarwrite-dl.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define TAR_MAX_DEPTH 256

#define LA_DEFINE(name) PD_DL_SYM(name);
TARWRITE_LA_SYMS(LA_DEFINE)
#undef LA_DEFINE

int tarwrite_load_libarchive(struct pd_err **err)
{
#define LA_ENTRY(name) PD_DL_ENTRY(name),
	static void *handle;
	static const char *const sonames[] = { "libarchive.so.13", NULL };
	static const struct pd_dl_sym syms[] = { TARWRITE_LA_SYMS(LA_ENTRY){ NULL, NULL } };
#undef LA_ENTRY
	return pd_dl_open(&handle, sonames, "libarchive13", syms, err);
}

const char *tarwrite_archive_msg(struct archive *a)
{
	const char *m = a ? sym_archive_error_string(a) : NULL;
	return m ? m : "unknown libarchive error";
}

/* A regular file with more than one link, archived once: later names of
 * it become hardlink entries. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *name; /* NULL: free slot */
};

struct pd_tar_writer {
	struct pd_tar_write_opts o;
	struct archive *a;
	struct archive_entry *e;
	uint64_t bytes;
	struct link_seen *links; /* open addressing, size a power of two */
	size_t nlinks, caplinks;
	bool one_fs, has_dev; /* pd_tar_writer_one_fs; the first entry's device is known */
	dev_t dev;
	char buf[64 * 1024];
};

static la_ssize_t on_write(struct archive *a, void *data, const void *buf, size_t len)
{
	(void)a;
	const struct pd_tar_write_opts *o = data;
	return o->write(o->data, buf, len);
}

struct pd_tar_writer *pd_tar_writer_new_opts(const struct pd_tar_write_opts *o, struct pd_err **err)
{
	if (tarwrite_load_libarchive(err) < 0)
		return NULL;
	struct pd_tar_writer *w = xcalloc(1, sizeof(*w));
	w->o = *o;
	if (!w->o.max_depth)
		w->o.max_depth = TAR_MAX_DEPTH;
	w->a = sym_archive_write_new();
	w->e = sym_archive_entry_new();
	if (!w->a || !w->e) {
		pd_tar_writer_close(w, pd_err_ignore(cleanup));
		return pd_fail(err, ENOMEM, "start libarchive"), NULL;
	}
	/* pax where a name or size needs it, plain ustar otherwise: what
	 * every tar reads.  The last block is not padded to 10 KiB: the
	 * stream goes to a pipe or a terminal's consumer, not a tape. */
	if (sym_archive_write_set_format_pax_restricted(w->a) < ARCHIVE_WARN ||
	    sym_archive_write_set_bytes_in_last_block(w->a, 1) < ARCHIVE_WARN ||
	    (o->write ? sym_archive_write_open(w->a, &w->o, NULL, on_write, NULL)
		      : sym_archive_write_open_fd(w->a, o->fd)) < ARCHIVE_WARN) {
		pd_fail(err, 0, "start a tar stream: %s", tarwrite_archive_msg(w->a));
		pd_tar_writer_close(w, pd_err_ignore(cleanup));
		return NULL;
	}
	return w;
}

struct pd_tar_writer *pd_tar_writer_new(int fd, struct pd_err **err)
{
	return pd_tar_writer_new_opts(&(struct pd_tar_write_opts){ .fd = fd }, err);
}

static size_t link_slot(const struct pd_tar_writer *w, dev_t dev, ino_t ino)
{
	size_t h = ((size_t)ino * 0x9E3779B97F4A7C15ULL) ^ (size_t)dev;
	size_t i = h & (w->caplinks - 1);
	while (w->links[i].name && !(w->links[i].dev == dev && w->links[i].ino == ino))
		i = (i + 1) & (w->caplinks - 1);
	return i;
}

/* The name a file of several links was archived under, or NULL after
 * recording `name` as its first. */
static const char *link_first(struct pd_tar_writer *w, const struct stat *st, const char *name)
{
	if (2 * (w->nlinks + 1) > w->caplinks) {
		struct link_seen *old = w->links;
		size_t oldcap = w->caplinks;
		w->caplinks = oldcap ? 2 * oldcap : 64;
		w->links = xcalloc(w->caplinks, sizeof(*w->links));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].name)
				w->links[link_slot(w, old[i].dev, old[i].ino)] = old[i];
		free(old);
	}
	size_t i = link_slot(w, st->st_dev, st->st_ino);
	if (w->links[i].name)
		return w->links[i].name;
	w->links[i] = (struct link_seen){ .dev = st->st_dev, .ino = st->st_ino, .name = xstrdup(name) };
	w->nlinks++;
	return NULL;
}

static int write_header(struct pd_tar_writer *w, const char *name, struct pd_err **err)
{
	/* ARCHIVE_WARN: a name that is not valid in the locale's charset is
	 * stored as its bytes, which is what the file is called. */
	if (sym_archive_write_header(w->a, w->e) < ARCHIVE_WARN)
		return pd_fail(err, 0, "'%s': write the tar header: %s", name, tarwrite_archive_msg(w->a));
	return 0;
}

/* The data of the regular file held by `fd`, exactly `size` bytes: a file
 * that shrank meanwhile is padded with zeros (by libarchive, at the end of
 * the entry), one that grew is cut. */
static int write_data(struct pd_tar_writer *w, int fd, const char *name, int64_t size, struct pd_err **err)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	/* The held inode itself, which fstat said is a regular file: opening
	 * it cannot block, whatever the name is by now. */
	_cleanup_close_ int rfd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (rfd < 0)
		return pd_fail(err, errno, "'%s': open", name);
	int64_t left = size;
	while (left > 0) {
		ssize_t n = read(rfd, w->buf, left < (int64_t)sizeof(w->buf) ? (size_t)left : sizeof(w->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "'%s': read", name);
		if (n == 0)
			break;
		if (sym_archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return pd_fail(err, 0, "'%s': write to the tar stream: %s", name,
				       tarwrite_archive_msg(w->a));
		left -= n;
		w->bytes += (uint64_t)n;
	}
	if (sym_archive_write_finish_entry(w->a) < ARCHIVE_WARN)
		return pd_fail(err, 0, "'%s': write to the tar stream: %s", name, tarwrite_archive_msg(w->a));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_entry(struct pd_tar_writer *w, int fd, const char *dir, const char *base, unsigned depth,
		     struct pd_err **err);

/* Every entry of the directory held by `fd`, in name order, named
 * "prefix/NAME" ("NAME" when prefix is empty). */
static int add_children(struct pd_tar_writer *w, int fd, const char *prefix, unsigned depth,
			struct pd_err **err)
{
	if (depth >= w->o.max_depth)
		return pd_fail(err, ELOOP, "'%s': more than %u directories deep", prefix, w->o.max_depth);
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "'%s': open directory", *prefix ? prefix : ".");
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return pd_fail(err, errno, "'%s': open directory", *prefix ? prefix : ".");
	}
	_cleanup_strv_ char **names = xcalloc(1, sizeof(char *));
	size_t n = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strv_push(&names, de->d_name);
		n++;
	}
	if (errno)
		return pd_fail(err, errno, "'%s': read directory", *prefix ? prefix : ".");
	qsort(names, n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int cfd = openat(dirfd(d), names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0 && errno == ENOENT)
			continue; /* removed since the directory was read */
		if (cfd < 0)
			return pd_fail(err, errno, "'%s%s%s': open", prefix, *prefix ? "/" : "", names[i]);
		if (add_entry(w, cfd, prefix, names[i], depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* An empty regular file named `name` (a whiteout or opaque marker). */
static int write_marker(struct pd_tar_writer *w, const char *name, const struct stat *st, struct pd_err **err)
{
	sym_archive_entry_clear(w->e);
	sym_archive_entry_copy_pathname(w->e, name);
	sym_archive_entry_set_filetype(w->e, AE_IFREG);
	sym_archive_entry_set_perm(w->e, 0644);
	sym_archive_entry_set_size(w->e, 0);
	sym_archive_entry_set_mtime(w->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return write_header(w, name, err);
}

/* Does the entry held by `fd` carry the overlay xattr `suffix` ("whiteout",
 * "opaque") with a value starting with `want` (NULL: any value)?  Both
 * namespaces are looked at: trusted (overlay mounted by root) and user
 * (mounted with userxattr, rootless). */
static bool has_overlay_xattr(int fd, const char *suffix, const char *want)
{
	char proc[64], name[64], val[8];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s.overlay.%s", i ? "user" : "trusted", suffix);
		ssize_t n = getxattr(proc, name, val, sizeof(val));
		if (n >= 0 && (!want || (n >= 1 && val[0] == want[0])))
			return true;
	}
	return false;
}

static bool is_whiteout(int fd, const struct stat *st)
{
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return true;
	return S_ISREG(st->st_mode) && st->st_size == 0 && has_overlay_xattr(fd, "whiteout", NULL);
}

static bool is_skipped(const struct pd_tar_writer *w, const char *name)
{
	for (size_t i = 0; w->o.skip && w->o.skip[i]; i++)
		if (!strcmp(w->o.skip[i], name))
			return true;
	return false;
}

static uid_t map_id(unsigned long id, unsigned long self, unsigned long sub, unsigned long count)
{
	if (!count && !self)
		return (uid_t)id;
	if (id == self)
		return 0;
	if (id >= sub && id - sub < count)
		return (uid_t)(id - sub + 1);
	return 65534; /* unmapped: the overflow id, as the kernel shows it */
}

/* The entry held by `fd`, named "dir/base" ("base" when dir is empty),
 * and when it is a directory everything below it. */
static int add_entry(struct pd_tar_writer *w, int fd, const char *dir, const char *base, unsigned depth,
		     struct pd_err **err)
{
	_cleanup_free_ char *name = *dir ? xasprintf("%s/%s", dir, base) : xstrdup(base);
	if (is_skipped(w, name))
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pd_fail(err, errno, "'%s': stat", name);
	if (S_ISSOCK(st.st_mode))
		return 0; /* tar has no sockets, as tar(1) says too */
	const struct pd_tar_write_opts *o = &w->o;
	if (o->upper && is_whiteout(fd, &st)) {
		_cleanup_free_ char *wh =
		    *dir ? xasprintf("%s/.wh.%s", dir, base) : xasprintf(".wh.%s", base);
		return write_marker(w, wh, &st, err);
	}
	struct archive_entry *e = w->e;
	sym_archive_entry_clear(e);
	sym_archive_entry_copy_pathname(e, name);
	sym_archive_entry_set_filetype(e, st.st_mode & S_IFMT);
	sym_archive_entry_set_perm(e, st.st_mode & 07777);
	sym_archive_entry_set_uid(e, map_id(st.st_uid, o->uid, o->sub_uid, o->sub_uid_count));
	sym_archive_entry_set_gid(e, map_id(st.st_gid, o->gid, o->sub_gid, o->sub_gid_count));
	sym_archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	sym_archive_entry_set_size(e, 0);
	if (S_ISREG(st.st_mode)) {
		const char *first = st.st_nlink > 1 ? link_first(w, &st, name) : NULL;
		if (first) {
			sym_archive_entry_copy_hardlink(e, first);
			return write_header(w, name, err);
		}
		sym_archive_entry_set_size(e, st.st_size);
		if (write_header(w, name, err) < 0)
			return -1;
		return write_data(w, fd, name, st.st_size, err);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4097];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return pd_fail(err, errno, "'%s': read the symlink", name);
		target[n] = '\0';
		sym_archive_entry_copy_symlink(e, target);
		return write_header(w, name, err);
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		sym_archive_entry_set_rdev(e, st.st_rdev);
		return write_header(w, name, err);
	}
	if (!S_ISDIR(st.st_mode))
		return pd_fail(err, 0, "'%s': a file of unknown type (0%o)", name,
			       (unsigned)(st.st_mode & S_IFMT));
	if (write_header(w, name, err) < 0)
		return -1;
	if (o->upper && has_overlay_xattr(fd, "opaque", "y")) {
		_cleanup_free_ char *opq = xasprintf("%s/.wh..wh..opq", name);
		if (write_marker(w, opq, &st, err) < 0)
			return -1;
	}
	if (w->one_fs && st.st_dev != w->dev)
		return 0;
	return add_children(w, fd, name, depth, err);
}

int pd_tar_writer_add(struct pd_tar_writer *w, int fd, const char *name, bool contents, struct pd_err **err)
{
	struct stat st;
	if (w->one_fs && !w->has_dev && fstat(fd, &st) == 0) {
		w->dev = st.st_dev;
		w->has_dev = true;
	}
	if (!contents)
		return add_entry(w, fd, "", name, 0, err);
	return add_children(w, fd, "", 0, err);
}

void pd_tar_writer_one_fs(struct pd_tar_writer *w)
{
	w->one_fs = true;
}

uint64_t pd_tar_writer_bytes(const struct pd_tar_writer *w)
{
	return w->bytes;
}

int pd_tar_writer_close(struct pd_tar_writer *w, struct pd_err **err)
{
	if (!w)
		return 0;
	int ret = 0;
	if (w->a && sym_archive_write_close(w->a) < ARCHIVE_WARN)
		ret = pd_fail(err, 0, "finish the tar stream: %s", tarwrite_archive_msg(w->a));
	if (w->a)
		sym_archive_write_free(w->a);
	if (w->e)
		sym_archive_entry_free(w->e);
	for (size_t i = 0; i < w->caplinks; i++)
		free(w->links[i].name);
	free(w->links);
	free(w);
	return ret;
}
