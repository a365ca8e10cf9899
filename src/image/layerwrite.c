/* Image layers written from directories, and stored layers read back
 * (see layerwrite.h).
 *
 * Runs in the CLI (`commit`, `save`), as root or as the user who made a
 * rootless container; it reads what that user may read.  The threat is
 * the tree: a container's root user controls every name, link target and
 * file type in its upper directory.  Hence the walk of tarwrite.c: one
 * O_PATH | O_NOFOLLOW descriptor per entry opened relative to its parent,
 * fstat of that descriptor only, data read through a reopening of the
 * held inode (a FIFO or device swapped in is never opened).  A commit of a
 * running container pauses it first (core/image-share.c), so the tree does
 * not change under the walk; if it does anyway, a file is cut or padded to
 * the size its header says.
 *
 * One pass makes both digests: the tar writer's output goes through a
 * callback that hashes it (the diff_id) and feeds a second libarchive
 * writer, in "raw" format with the gzip filter, which writes the layer
 * file.  Entries are written in name order, a directory before what it
 * holds and an opaque marker first in its directory. */
#include "image/layerwrite.h"

#include <archive.h>
#include <archive_entry.h>
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

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

#define LAYER_MAX_DEPTH 512

static void *archive_handle;
static PD_DL_SYM(archive_write_new);
static PD_DL_SYM(archive_write_free);
static PD_DL_SYM(archive_write_set_format_pax_restricted);
static PD_DL_SYM(archive_write_set_format_raw);
static PD_DL_SYM(archive_write_add_filter_gzip);
static PD_DL_SYM(archive_write_set_bytes_in_last_block);
static PD_DL_SYM(archive_write_set_bytes_per_block);
static PD_DL_SYM(archive_write_open);
static PD_DL_SYM(archive_write_open_fd);
static PD_DL_SYM(archive_write_header);
static PD_DL_SYM(archive_write_data);
static PD_DL_SYM(archive_write_finish_entry);
static PD_DL_SYM(archive_write_close);
static PD_DL_SYM(archive_error_string);
static PD_DL_SYM(archive_read_new);
static PD_DL_SYM(archive_read_free);
static PD_DL_SYM(archive_read_support_filter_all);
static PD_DL_SYM(archive_read_support_format_raw);
static PD_DL_SYM(archive_read_open_filename);
static PD_DL_SYM(archive_read_next_header);
static PD_DL_SYM(archive_read_data);
static PD_DL_SYM(archive_entry_new);
static PD_DL_SYM(archive_entry_free);
static PD_DL_SYM(archive_entry_clear);
static PD_DL_SYM(archive_entry_copy_pathname);
static PD_DL_SYM(archive_entry_copy_symlink);
static PD_DL_SYM(archive_entry_copy_hardlink);
static PD_DL_SYM(archive_entry_set_size);
static PD_DL_SYM(archive_entry_set_filetype);
static PD_DL_SYM(archive_entry_set_perm);
static PD_DL_SYM(archive_entry_set_uid);
static PD_DL_SYM(archive_entry_set_gid);
static PD_DL_SYM(archive_entry_set_mtime);
static PD_DL_SYM(archive_entry_set_rdev);

static int load_libarchive(struct pd_err **err)
{
	static const char *const sonames[] = { "libarchive.so.13", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(archive_write_new),
		PD_DL_ENTRY(archive_write_free),
		PD_DL_ENTRY(archive_write_set_format_pax_restricted),
		PD_DL_ENTRY(archive_write_set_format_raw),
		PD_DL_ENTRY(archive_write_add_filter_gzip),
		PD_DL_ENTRY(archive_write_set_bytes_in_last_block),
		PD_DL_ENTRY(archive_write_set_bytes_per_block),
		PD_DL_ENTRY(archive_write_open),
		PD_DL_ENTRY(archive_write_open_fd),
		PD_DL_ENTRY(archive_write_header),
		PD_DL_ENTRY(archive_write_data),
		PD_DL_ENTRY(archive_write_finish_entry),
		PD_DL_ENTRY(archive_write_close),
		PD_DL_ENTRY(archive_error_string),
		PD_DL_ENTRY(archive_read_new),
		PD_DL_ENTRY(archive_read_free),
		PD_DL_ENTRY(archive_read_support_filter_all),
		PD_DL_ENTRY(archive_read_support_format_raw),
		PD_DL_ENTRY(archive_read_open_filename),
		PD_DL_ENTRY(archive_read_next_header),
		PD_DL_ENTRY(archive_read_data),
		PD_DL_ENTRY(archive_entry_new),
		PD_DL_ENTRY(archive_entry_free),
		PD_DL_ENTRY(archive_entry_clear),
		PD_DL_ENTRY(archive_entry_copy_pathname),
		PD_DL_ENTRY(archive_entry_copy_symlink),
		PD_DL_ENTRY(archive_entry_copy_hardlink),
		PD_DL_ENTRY(archive_entry_set_size),
		PD_DL_ENTRY(archive_entry_set_filetype),
		PD_DL_ENTRY(archive_entry_set_perm),
		PD_DL_ENTRY(archive_entry_set_uid),
		PD_DL_ENTRY(archive_entry_set_gid),
		PD_DL_ENTRY(archive_entry_set_mtime),
		PD_DL_ENTRY(archive_entry_set_rdev),
		{ NULL, NULL },
	};
	return pd_dl_open(&archive_handle, sonames, "libarchive13", syms, err);
}

static const char *archive_msg(struct archive *a)
{
	const char *m = a ? sym_archive_error_string(a) : NULL;
	return m ? m : "unknown libarchive error";
}

/* A regular file of several links, archived once under `name`. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct lw {
	const struct pd_layer_write_opts *o;
	struct archive *tar; /* the layer's tar: its output goes to on_tar_write */
	struct archive *gz;  /* raw + gzip, to the layer file */
	struct archive_entry *e;
	struct pd_sha256 sha; /* of the tar's bytes */
	struct link_seen *links;
	size_t nlinks;
	char buf[64 * 1024];
};

static la_ssize_t on_tar_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct lw *w = data;
	pd_sha256_update(&w->sha, buf, len);
	la_ssize_t n = sym_archive_write_data(w->gz, buf, len);
	return n < 0 ? -1 : (la_ssize_t)len;
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

static int write_header(struct lw *w, const char *name, struct pd_err **err)
{
	if (sym_archive_write_header(w->tar, w->e) < ARCHIVE_WARN)
		return pd_fail(err, 0, "'%s': write the tar header: %s", name, archive_msg(w->tar));
	return 0;
}

/* An empty regular file named `name` (a whiteout or opaque marker). */
static int write_marker(struct lw *w, const char *name, const struct stat *st, struct pd_err **err)
{
	sym_archive_entry_clear(w->e);
	sym_archive_entry_copy_pathname(w->e, name);
	sym_archive_entry_set_filetype(w->e, AE_IFREG);
	sym_archive_entry_set_perm(w->e, 0644);
	sym_archive_entry_set_size(w->e, 0);
	sym_archive_entry_set_mtime(w->e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return write_header(w, name, err);
}

static int write_data(struct lw *w, int fd, const char *name, int64_t size, struct pd_err **err)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	_cleanup_close_ int rfd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (rfd < 0)
		return pd_fail(err, errno, "'%s': open", name);
	for (int64_t left = size; left > 0;) {
		ssize_t n = read(rfd, w->buf, left < (int64_t)sizeof(w->buf) ? (size_t)left : sizeof(w->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "'%s': read", name);
		if (n == 0)
			break;
		if (sym_archive_write_data(w->tar, w->buf, (size_t)n) < 0)
			return pd_fail(err, 0, "'%s': write the layer: %s", name, archive_msg(w->tar));
		left -= n;
	}
	if (sym_archive_write_finish_entry(w->tar) < ARCHIVE_WARN)
		return pd_fail(err, 0, "'%s': write the layer: %s", name, archive_msg(w->tar));
	return 0;
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

static const char *link_first(struct lw *w, const struct stat *st, const char *name)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].name;
	w->links = xrealloc(w->links, (w->nlinks + 1) * sizeof(*w->links));
	w->links[w->nlinks++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup(name) };
	return NULL;
}

static bool is_skipped(const struct lw *w, const char *name)
{
	for (size_t i = 0; w->o->skip && w->o->skip[i]; i++)
		if (!strcmp(w->o->skip[i], name))
			return true;
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_entry(struct lw *w, int fd, const char *dir, const char *base, unsigned depth,
		     struct pd_err **err);

static int add_children(struct lw *w, int fd, const char *prefix, unsigned depth, struct pd_err **err)
{
	if (depth >= LAYER_MAX_DEPTH)
		return pd_fail(err, ELOOP, "'%s': more than %d directories deep", prefix, LAYER_MAX_DEPTH);
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
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			strv_push(&names, de->d_name);
			n++;
		}
	}
	if (errno)
		return pd_fail(err, errno, "'%s': read directory", *prefix ? prefix : ".");
	qsort(names, n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int cfd = openat(dirfd(d), names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0 && errno == ENOENT)
			continue; /* removed since the directory was read */
		if (cfd < 0)
			return pd_fail(err, errno, "'%s/%s': open", prefix, names[i]);
		if (add_entry(w, cfd, prefix, names[i], depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

static int add_entry(struct lw *w, int fd, const char *dir, const char *base, unsigned depth,
		     struct pd_err **err)
{
	_cleanup_free_ char *name = *dir ? xasprintf("%s/%s", dir, base) : xstrdup(base);
	if (is_skipped(w, name))
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pd_fail(err, errno, "'%s': stat", name);
	if (S_ISSOCK(st.st_mode))
		return 0; /* tar has no sockets */
	if (w->o->upper && is_whiteout(fd, &st)) {
		_cleanup_free_ char *wh =
		    *dir ? xasprintf("%s/.wh.%s", dir, base) : xasprintf(".wh.%s", base);
		return write_marker(w, wh, &st, err);
	}
	struct archive_entry *e = w->e;
	const struct pd_layer_write_opts *o = w->o;
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
	if (w->o->upper && has_overlay_xattr(fd, "opaque", "y")) {
		_cleanup_free_ char *opq = xasprintf("%s/.wh..wh..opq", name);
		if (write_marker(w, opq, &st, err) < 0)
			return -1;
	}
	return add_children(w, fd, name, depth, err);
}

static void lw_free(struct lw *w)
{
	if (w->tar)
		sym_archive_write_free(w->tar);
	if (w->gz)
		sym_archive_write_free(w->gz);
	if (w->e)
		sym_archive_entry_free(w->e);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].name);
	free(w->links);
	free(w);
}

/* The gzip side: one "raw" entry whose data is the tar stream. */
static int open_gz(struct lw *w, int outfd, struct pd_err **err)
{
	w->gz = sym_archive_write_new();
	if (!w->gz)
		return pd_fail(err, ENOMEM, "start libarchive");
	if (sym_archive_write_set_format_raw(w->gz) < ARCHIVE_WARN ||
	    sym_archive_write_add_filter_gzip(w->gz) < ARCHIVE_WARN ||
	    sym_archive_write_set_bytes_per_block(w->gz, 0) < ARCHIVE_WARN ||
	    sym_archive_write_open_fd(w->gz, outfd) < ARCHIVE_WARN)
		return pd_fail(err, 0, "start the layer's gzip stream: %s", archive_msg(w->gz));
	struct archive_entry *e = w->e;
	sym_archive_entry_clear(e);
	sym_archive_entry_copy_pathname(e, "layer.tar");
	sym_archive_entry_set_filetype(e, AE_IFREG);
	sym_archive_entry_set_perm(e, 0644);
	if (sym_archive_write_header(w->gz, e) < ARCHIVE_WARN)
		return pd_fail(err, 0, "start the layer's gzip stream: %s", archive_msg(w->gz));
	return 0;
}

static int open_tar(struct lw *w, struct pd_err **err)
{
	w->tar = sym_archive_write_new();
	if (!w->tar)
		return pd_fail(err, ENOMEM, "start libarchive");
	if (sym_archive_write_set_format_pax_restricted(w->tar) < ARCHIVE_WARN ||
	    sym_archive_write_set_bytes_in_last_block(w->tar, 1) < ARCHIVE_WARN ||
	    sym_archive_write_open(w->tar, w, NULL, on_tar_write, NULL) < ARCHIVE_WARN)
		return pd_fail(err, 0, "start the layer's tar stream: %s", archive_msg(w->tar));
	return 0;
}

int pd_layer_write_dir(int dirfd, int outfd, const struct pd_layer_write_opts *o,
		       char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	if (load_libarchive(err) < 0)
		return -1;
	struct lw *w = xcalloc(1, sizeof(*w));
	w->o = o;
	int ret = pd_sha256_init(&w->sha, err);
	if (ret == 0) {
		w->e = sym_archive_entry_new();
		if (!w->e)
			ret = pd_fail(err, ENOMEM, "start libarchive");
	}
	if (ret == 0)
		ret = open_gz(w, outfd, err);
	if (ret == 0)
		ret = open_tar(w, err);
	if (ret == 0)
		ret = add_children(w, dirfd, "", 0, err);
	if (ret == 0 && sym_archive_write_close(w->tar) < ARCHIVE_WARN)
		ret = pd_fail(err, 0, "finish the layer's tar stream: %s", archive_msg(w->tar));
	if (ret == 0 && (sym_archive_write_finish_entry(w->gz) < ARCHIVE_WARN ||
			 sym_archive_write_close(w->gz) < ARCHIVE_WARN))
		ret = pd_fail(err, 0, "finish the layer's gzip stream: %s", archive_msg(w->gz));
	if (ret == 0) {
		char hex[PD_SHA256_HEX_LEN + 1];
		pd_sha256_final(&w->sha, hex);
		snprintf(diff_id, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	}
	lw_free(w);
	return ret;
}

int pd_layer_uncompress(const char *path, int outfd, char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	struct pd_sha256 sha;
	if (load_libarchive(err) < 0 || pd_sha256_init(&sha, err) < 0)
		return -1;
	struct archive *a = sym_archive_read_new();
	if (!a)
		return pd_fail(err, ENOMEM, "start libarchive");
	int ret = 0;
	struct archive_entry *e;
	if (sym_archive_read_support_filter_all(a) < ARCHIVE_WARN ||
	    sym_archive_read_support_format_raw(a) < ARCHIVE_WARN ||
	    sym_archive_read_open_filename(a, path, 64 * 1024) < ARCHIVE_WARN ||
	    sym_archive_read_next_header(a, &e) < ARCHIVE_WARN)
		ret = pd_fail(err, 0, "read the layer '%s': %s", path, archive_msg(a));
	static char buf[64 * 1024];
	while (ret == 0) {
		la_ssize_t n = sym_archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			ret = pd_fail(err, 0, "read the layer '%s': %s", path, archive_msg(a));
		if (n <= 0)
			break;
		pd_sha256_update(&sha, buf, (size_t)n);
		if (outfd >= 0 && pd_write_all(outfd, buf, (size_t)n) < 0)
			ret = pd_fail(err, errno, "write the layer's tar");
	}
	sym_archive_read_free(a);
	if (ret == 0) {
		char hex[PD_SHA256_HEX_LEN + 1];
		pd_sha256_final(&sha, hex);
		snprintf(diff_id, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	}
	return ret;
}
