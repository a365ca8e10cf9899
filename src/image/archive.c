/* Safe tarball extraction (see archive.h).
 *
 * Runs in the CLI (run --rootfs x.tar.gz, pull), as root or as an ordinary
 * user; never inside a container.  As root it creates device nodes and sets
 * the owners the archive records; rootless it keeps the caller as owner and
 * skips devices.
 *
 * Threat model: the archive is hostile.  libarchive only parses it; every
 * write is ours, made relative to a directory fd resolved inside the target
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).  That defeats:
 *   - "../x" names: refused outright, naming the entry (a silent skip would
 *     hide a malicious image);
 *   - "/etc/x" names: made relative, as tar does;
 *   - symlink chains ("l -> /etc", then "l/passwd"): the symlink is followed,
 *     but inside the target, so the write lands in <target>/etc/passwd;
 *   - a symlink planted at a file's own name: removed, then the file is
 *     created with O_CREAT | O_EXCL | O_NOFOLLOW, never followed;
 *   - hardlinks to host files ("h" => "../../etc/shadow", or through a
 *     planted symlink): the target is resolved inside the target directory
 *     without following its last component, and ".." is refused;
 *   - size and entry-count bombs: bounded, with a message saying how to raise
 *     the limit.
 * Device nodes are data here: they are never opened.
 *
 * Layers (o->layer): OCI whiteouts are turned into what overlayfs reads in a
 * lower layer, by the same resolved-inside-the-target rules; a whiteout
 * naming "." or ".." is refused like any other escape.
 *
 * Ordering: a directory is created writable by its owner (0700 | mode), and
 * its real mode, owner and mtime are applied after the last entry, deepest
 * first, so that a 0555 directory still receives its entries and adding
 * entries does not disturb its mtime.  Owner before mode, because chown(2)
 * clears the setuid and setgid bits. */
#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

static void *archive_handle;
static PD_DL_SYM(archive_read_new);
static PD_DL_SYM(archive_read_free);
static PD_DL_SYM(archive_read_support_format_tar);
static PD_DL_SYM(archive_read_support_filter_gzip);
static PD_DL_SYM(archive_read_support_filter_xz);
static PD_DL_SYM(archive_read_support_filter_zstd);
static PD_DL_SYM(archive_read_support_filter_bzip2);
static PD_DL_SYM(archive_read_open_fd);
static PD_DL_SYM(archive_read_next_header);
static PD_DL_SYM(archive_read_data_block);
static PD_DL_SYM(archive_error_string);
static PD_DL_SYM(archive_entry_pathname);
static PD_DL_SYM(archive_entry_hardlink);
static PD_DL_SYM(archive_entry_symlink);
static PD_DL_SYM(archive_entry_filetype);
static PD_DL_SYM(archive_entry_perm);
static PD_DL_SYM(archive_entry_uid);
static PD_DL_SYM(archive_entry_gid);
static PD_DL_SYM(archive_entry_rdev);
static PD_DL_SYM(archive_entry_size);
static PD_DL_SYM(archive_entry_size_is_set);
static PD_DL_SYM(archive_entry_mtime);
static PD_DL_SYM(archive_entry_mtime_nsec);
static PD_DL_SYM(archive_entry_mtime_is_set);
static PD_DL_SYM(archive_entry_atime);
static PD_DL_SYM(archive_entry_atime_nsec);
static PD_DL_SYM(archive_entry_atime_is_set);

static int load_libarchive(struct pd_err **err)
{
	static const char *const sonames[] = { "libarchive.so.13", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(archive_read_new),
		PD_DL_ENTRY(archive_read_free),
		PD_DL_ENTRY(archive_read_support_format_tar),
		PD_DL_ENTRY(archive_read_support_filter_gzip),
		PD_DL_ENTRY(archive_read_support_filter_xz),
		PD_DL_ENTRY(archive_read_support_filter_zstd),
		PD_DL_ENTRY(archive_read_support_filter_bzip2),
		PD_DL_ENTRY(archive_read_open_fd),
		PD_DL_ENTRY(archive_read_next_header),
		PD_DL_ENTRY(archive_read_data_block),
		PD_DL_ENTRY(archive_error_string),
		PD_DL_ENTRY(archive_entry_pathname),
		PD_DL_ENTRY(archive_entry_hardlink),
		PD_DL_ENTRY(archive_entry_symlink),
		PD_DL_ENTRY(archive_entry_filetype),
		PD_DL_ENTRY(archive_entry_perm),
		PD_DL_ENTRY(archive_entry_uid),
		PD_DL_ENTRY(archive_entry_gid),
		PD_DL_ENTRY(archive_entry_rdev),
		PD_DL_ENTRY(archive_entry_size),
		PD_DL_ENTRY(archive_entry_size_is_set),
		PD_DL_ENTRY(archive_entry_mtime),
		PD_DL_ENTRY(archive_entry_mtime_nsec),
		PD_DL_ENTRY(archive_entry_mtime_is_set),
		PD_DL_ENTRY(archive_entry_atime),
		PD_DL_ENTRY(archive_entry_atime_nsec),
		PD_DL_ENTRY(archive_entry_atime_is_set),
		{ NULL, NULL },
	};
	return pd_dl_open(&archive_handle, sonames, "libarchive13", syms, err);
}

static void archive_freep(struct archive **a)
{
	if (*a) {
		int saved = errno;
		sym_archive_read_free(*a);
		errno = saved;
	}
}

bool pd_archive_is_tarball_name(const char *path)
{
	static const char *const suffixes[] = {
		".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.bz2",
	};
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (str_has_suffix(path, suffixes[i]))
			return true;
	return false;
}

/* Metadata of a directory entry, applied after the last entry. */
struct dir_meta {
	char *path;
	unsigned depth;
	size_t seq; /* order in the archive: for one path, the last entry wins */
	dev_t dev;  /* the directory we created, so a later replacement is skipped */
	ino_t ino;
	mode_t perm;
	uid_t uid;
	gid_t gid;
	struct timespec ts[2];
};

struct extract {
	struct archive *a;
	int rootfd;
	bool rootless;
	bool keep_owners;
	bool layer;
	bool keep_dirs;
	mode_t perm_mask; /* 07777, or 01777 with drop_setid */
	uint64_t max_bytes;
	uint64_t max_entries;
	struct pd_extract_result *res;
	const char *name; /* the current entry's name as the archive spells it */
	struct dir_meta *dirs;
	size_t n_dirs, cap_dirs;
	size_t dir_bytes; /* held for dirs, against PD_EXTRACT_DIR_META_MAX */
};

#define PD_EXTRACT_DIR_META_MAX (64 << 20)

static const char *archive_msg(struct archive *a)
{
	const char *m = sym_archive_error_string(a);
	return m ? m : "unknown libarchive error";
}

/* openat2 relative to the extraction root.  RESOLVE_IN_ROOT makes "/" and
 * ".." (including in symlink targets) stop at rootfd; RESOLVE_NO_MAGICLINKS
 * stops /proc/self/fd-style jumps, should the tree hold such a thing. */
static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	/* EAGAIN: a concurrent rename raced the ".." handling; the lookup is
	 * safe to repeat, and the target is private to us anyway. */
	for (int tries = 0; tries < 16; tries++) {
		fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return (int)fd;
}

/* Make an archive name relative and canonical: strip leading "/" (as tar
 * does) and empty and "." components.  Returns -1 when a component is "..":
 * such an entry is refused, never rewritten, because no honest image needs it. */
static int normalize_name(const char *name, char **out, unsigned *depth)
{
	size_t len = strlen(name);
	_cleanup_free_ char *p = xmalloc(len + 1);
	size_t n = 0;
	unsigned d = 0;

	for (const char *s = name; *s;) {
		const char *e = strchrnul(s, '/');
		size_t cl = (size_t)(e - s);
		if (cl == 2 && s[0] == '.' && s[1] == '.')
			return -1;
		if (cl && !(cl == 1 && s[0] == '.')) {
			if (n)
				p[n++] = '/';
			memcpy(p + n, s, cl);
			n += cl;
			d++;
		}
		s = *e ? e + 1 : e;
	}
	p[n] = '\0';
	*out = take_ptr(&p);
	if (depth)
		*depth = d;
	return 0;
}

/* Open (O_PATH) the directory `parent` inside the root, creating missing
 * components.
 *
 * Cost: one lookup of the whole path when it exists.  Otherwise the path is
 * walked once, a component at a time from the directory reached so far: a
 * plain directory is entered with O_NOFOLLOW, a missing one is created there
 * (mkdirat on a resolved parent fd and a plain name cannot be redirected).
 * Only a component that is something else (a symlink above all) makes us
 * resolve the prefix from the root again, where the symlink is followed
 * inside the root; openat2 follows at most 40 of them per lookup, so that
 * too is bounded.  Resolving every prefix from the root instead would make
 * an entry 2,000 directories deep cost 2,000,000 lookups, and an archive of
 * a few hundred such entries take minutes. */
static int open_parent(struct extract *x, const char *parent, struct pd_err **err)
{
	int fd = open_in_root(x->rootfd, parent, O_PATH | O_DIRECTORY);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			return pd_fail(err, errno, "entry '%s': open directory '%s'", x->name, parent);
		return fd;
	}

	_cleanup_free_ char *p = xstrdup(parent);
	_cleanup_close_ int curfd = open_in_root(x->rootfd, "", O_PATH | O_DIRECTORY);
	if (curfd < 0)
		return pd_fail(err, errno, "open the extraction root");
	for (char *comp = p;;) {
		char *slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		int nfd = openat(curfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			/* EEXIST means another entry's name is there: a
			 * dangling symlink, reported below. */
			if (mkdirat(curfd, comp, 0755) < 0 && errno != EEXIST)
				return pd_fail(err, errno, "entry '%s': create directory '%s'", x->name, p);
			nfd = openat(curfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			/* Not a plain directory: a symlink is followed, inside
			 * the root; anything else fails the lookup. */
			nfd = open_in_root(x->rootfd, p, O_PATH | O_DIRECTORY);
			if (nfd < 0 && errno == ENOENT)
				return pd_fail(err, 0, "entry '%s': '%s' is a dangling symlink", x->name, p);
		}
		if (nfd < 0)
			return pd_fail(err, errno, "entry '%s': open directory '%s'", x->name, p);
		closep(&curfd);
		curfd = nfd;
		if (!slash)
			break;
		*slash = '/';
		comp = slash + 1;
	}
	return take_fd(&curfd);
}

/* Make room for a new entry at (pfd, leaf).  Whatever non-directory is there
 * (a symlink above all) is removed, never followed.  A directory is kept when
 * the entry is one too (returns 1), otherwise removed with its contents (a
 * later entry replaces an earlier one, as in tar) or, with keep_dirs, the
 * entry refused.  Returns 0 when the name
 * is free. */
static int clear_leaf(struct extract *x, int pfd, const char *leaf, bool want_dir, struct pd_err **err)
{
	struct stat st;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return pd_fail(err, errno, "entry '%s': stat", x->name);
	}
	if (S_ISDIR(st.st_mode)) {
		if (want_dir)
			return 1;
		if (x->keep_dirs)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "cannot overwrite directory '%s' with a non-directory", x->name);
		if (pd_rm_rf_at(pfd, leaf, err) < 0) {
			pd_err_prefix(err, "entry '%s': replace directory", x->name);
			return -1;
		}
		return 0;
	}
	if (unlinkat(pfd, leaf, 0) < 0 && errno != ENOENT)
		return pd_fail(err, errno, "entry '%s': remove the existing file", x->name);
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	if (sym_archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = sym_archive_entry_mtime(e);
		ts[1].tv_nsec = sym_archive_entry_mtime_nsec(e);
	}
	ts[0] = ts[1];
	if (sym_archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = sym_archive_entry_atime(e);
		ts[0].tv_nsec = sym_archive_entry_atime_nsec(e);
	}
}

/* Owner, then mode, then times of a file we hold open. */
/* Owners are set as root, and rootless inside a user namespace with a
 * subordinate range (keep_owners), where an id beyond the range (EINVAL)
 * leaves the file to the namespace's root. */
static bool chown_wanted(const struct extract *x)
{
	return !x->rootless || x->keep_owners;
}

static bool chown_failed(const struct extract *x, int r)
{
	return r < 0 && !(x->keep_owners && errno == EINVAL);
}

static int apply_meta_fd(struct extract *x, int fd, struct archive_entry *e, struct pd_err **err)
{
	struct timespec ts[2];
	entry_times(e, ts);
	if (chown_wanted(x) &&
	    chown_failed(x, fchown(fd, (uid_t)sym_archive_entry_uid(e), (gid_t)sym_archive_entry_gid(e))))
		return pd_fail(err, errno, "entry '%s': set owner", x->name);
	if (fchmod(fd, sym_archive_entry_perm(e) & x->perm_mask) < 0)
		return pd_fail(err, errno, "entry '%s': set mode", x->name);
	if (futimens(fd, ts) < 0)
		return pd_fail(err, errno, "entry '%s': set times", x->name);
	return 0;
}

/* Same for a symlink, fifo or device node, by name: such files are never
 * opened (opening a device from an untrusted image could have effects).
 * Every call refuses to follow a symlink at the name. */
static int apply_meta_at(struct extract *x, int pfd, const char *leaf, struct archive_entry *e,
			 struct pd_err **err)
{
	struct timespec ts[2];
	entry_times(e, ts);
	bool is_link = sym_archive_entry_filetype(e) == AE_IFLNK;
	if (chown_wanted(x) &&
	    chown_failed(x, fchownat(pfd, leaf, (uid_t)sym_archive_entry_uid(e),
				     (gid_t)sym_archive_entry_gid(e), AT_SYMLINK_NOFOLLOW)))
		return pd_fail(err, errno, "entry '%s': set owner", x->name);
	/* A symlink has no mode of its own on Linux. */
	if (!is_link &&
	    fchmodat(pfd, leaf, sym_archive_entry_perm(e) & x->perm_mask, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_fail(err, errno, "entry '%s': set mode", x->name);
	if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_fail(err, errno, "entry '%s': set times", x->name);
	return 0;
}

static int write_all_at(int fd, const char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Copy the entry's data, block by block at the offsets libarchive gives (a
 * sparse file keeps its holes), counting every byte against the limit before
 * it reaches the disk. */
static int copy_data(struct extract *x, int fd, struct archive_entry *e, struct pd_err **err)
{
	int64_t end = 0;
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = sym_archive_read_data_block(x->a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return pd_fail(err, 0, "entry '%s': read: %s", x->name, archive_msg(x->a));
		if (size > x->max_bytes - x->res->bytes)
			return pd_fail(
			    err, 0,
			    "extraction exceeds the limit of %llu bytes (set " PD_EXTRACT_ENV_MAX_BYTES
			    " to raise it)",
			    (unsigned long long)x->max_bytes);
		x->res->bytes += size;
		if (off < 0 || write_all_at(fd, buf, size, (off_t)off) < 0)
			return pd_fail(err, off < 0 ? EINVAL : errno, "entry '%s': write", x->name);
		if (off + (int64_t)size > end)
			end = off + (int64_t)size;
	}
	/* A trailing hole is not a data block; the recorded size makes it. */
	if (sym_archive_entry_size_is_set(e) && sym_archive_entry_size(e) > end &&
	    ftruncate(fd, (off_t)sym_archive_entry_size(e)) < 0)
		return pd_fail(err, errno, "entry '%s': set size", x->name);
	return 0;
}

static int extract_file(struct extract *x, int pfd, const char *leaf, struct archive_entry *e,
			struct pd_err **err)
{
	if (clear_leaf(x, pfd, leaf, false, err) < 0)
		return -1;
	/* O_EXCL | O_NOFOLLOW: the name was just cleared; if anything is there
	 * now, fail rather than write through it. */
	_cleanup_close_ int fd =
	    openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_fail(err, errno, "entry '%s': create file", x->name);
	if (copy_data(x, fd, e, err) < 0)
		return -1;
	return apply_meta_fd(x, fd, e, err);
}

static int extract_dir(struct extract *x, int pfd, const char *leaf, const char *path, unsigned depth,
		       struct archive_entry *e, struct pd_err **err)
{
	int r = clear_leaf(x, pfd, leaf, true, err);
	if (r < 0)
		return -1;
	/* Writable by its owner until the end, whatever the archive says. */
	if (r == 0 && mkdirat(pfd, leaf, 0700 | (sym_archive_entry_perm(e) & 0777)) < 0)
		return pd_fail(err, errno, "entry '%s': create directory", x->name);
	struct stat st;
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_fail(err, errno, "entry '%s': stat", x->name);

	/* What is kept per directory grows with its path, which the archive
	 * chooses up to PATH_MAX: 100,000 directories under a deep prefix
	 * would hold 400 MB here.  Bounded, with a limit no honest image
	 * comes near (some 500,000 directories of ordinary depth). */
	size_t need = sizeof(struct dir_meta) + strlen(path) + 1;
	if (need > PD_EXTRACT_DIR_META_MAX - x->dir_bytes)
		return pd_fail(err, 0,
			       "the archive holds more directories than the limit of %d MiB of directory "
			       "metadata allows (too many, or too deeply nested)",
			       PD_EXTRACT_DIR_META_MAX >> 20);
	x->dir_bytes += need;
	if (x->n_dirs == x->cap_dirs) {
		x->cap_dirs = x->cap_dirs ? 2 * x->cap_dirs : 64;
		x->dirs = xrealloc(x->dirs, x->cap_dirs * sizeof(*x->dirs));
	}
	struct dir_meta *m = &x->dirs[x->n_dirs];
	*m = (struct dir_meta){
		.path = xstrdup(path),
		.depth = depth,
		.seq = x->n_dirs,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.perm = sym_archive_entry_perm(e) & x->perm_mask,
		.uid = (uid_t)sym_archive_entry_uid(e),
		.gid = (gid_t)sym_archive_entry_gid(e),
	};
	entry_times(e, m->ts);
	x->n_dirs++;
	return 0;
}

static int extract_symlink(struct extract *x, int pfd, const char *leaf, struct archive_entry *e,
			   struct pd_err **err)
{
	/* The target is data: it is only ever resolved inside a root. */
	const char *target = sym_archive_entry_symlink(e);
	if (!target)
		return pd_fail(err, 0, "entry '%s': symlink without a target", x->name);
	if (clear_leaf(x, pfd, leaf, false, err) < 0)
		return -1;
	if (symlinkat(target, pfd, leaf) < 0)
		return pd_fail(err, errno, "entry '%s': create symlink", x->name);
	return apply_meta_at(x, pfd, leaf, e, err);
}

/* Link the file open as O_PATH `tfd` at (pfd, leaf). */
static int link_fd(int tfd, int pfd, const char *leaf)
{
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd works for the
	 * file's owner and is what a rootless caller gets.  Both link the
	 * inode we resolved, not whatever a path names by now. */
	if (linkat(tfd, "", pfd, leaf, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
	return linkat(AT_FDCWD, proc, pfd, leaf, AT_SYMLINK_FOLLOW);
}

static int extract_hardlink(struct extract *x, int pfd, const char *leaf, const char *target,
			    struct pd_err **err)
{
	_cleanup_free_ char *tpath = NULL;
	if (normalize_name(target, &tpath, NULL) < 0)
		return pd_fail(err, 0, "hardlink target '%s' of entry '%s' escapes the root filesystem",
			       target, x->name);
	/* O_NOFOLLOW: a hardlink to a symlink links the symlink itself.  Were
	 * it followed, "s -> /etc/shadow" then "h => s" would expose a host
	 * file (RESOLVE_IN_ROOT already keeps the path inside the root). */
	_cleanup_close_ int tfd = open_in_root(x->rootfd, tpath, O_PATH | O_NOFOLLOW);
	if (tfd < 0)
		return pd_fail(err, errno, "entry '%s': hardlink target '%s'", x->name, target);
	struct stat tst, st;
	if (fstat(tfd, &tst) < 0)
		return pd_fail(err, errno, "entry '%s': hardlink target '%s'", x->name, target);
	if (S_ISDIR(tst.st_mode))
		return pd_fail(err, EPERM, "entry '%s': hardlink target '%s' is a directory", x->name,
			       target);
	/* Already the same file (a repeated entry): unlinking first would
	 * drop the last link to it. */
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev &&
	    st.st_ino == tst.st_ino)
		return 0;
	if (clear_leaf(x, pfd, leaf, false, err) < 0)
		return -1;
	if (link_fd(tfd, pfd, leaf) < 0)
		return pd_fail(err, errno, "entry '%s': link to '%s'", x->name, target);
	return 0;
}

static int extract_node(struct extract *x, int pfd, const char *leaf, struct archive_entry *e,
			struct pd_err **err)
{
	mode_t type = sym_archive_entry_filetype(e);
	/* An unprivileged user cannot mknod devices; the caller says how many
	 * were left out.  (A fifo needs no privilege.) */
	if (type != AE_IFIFO && x->rootless) {
		x->res->skipped_devices++;
		return 0;
	}
	if (clear_leaf(x, pfd, leaf, false, err) < 0)
		return -1;
	dev_t rdev = type == AE_IFIFO ? 0 : sym_archive_entry_rdev(e);
	if (mknodat(pfd, leaf, type | 0600, rdev) < 0)
		return pd_fail(err, errno, "entry '%s': create %s", x->name,
			       type == AE_IFIFO ? "fifo" : "device node");
	return apply_meta_at(x, pfd, leaf, e, err);
}

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* Set an overlay xattr on the directory `dir` (resolved inside the root). */
static int set_dir_xattr(struct extract *x, const char *dir, const char *name, const char *value,
			 struct pd_err **err)
{
	_cleanup_close_ int fd = open_in_root(x->rootfd, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return pd_fail(err, errno, "entry '%s': open directory '%s'", x->name, *dir ? dir : ".");
	if (fsetxattr(fd, name, value, strlen(value), 0) < 0)
		return pd_fail(err, errno, "entry '%s': set %s on '%s'", x->name, name, *dir ? dir : ".");
	return 0;
}

/* ".wh.NAME" hides NAME of the layers below; ".wh..wh..opq" hides every
 * entry below in its directory.  Other ".wh..wh." names are aufs' own
 * bookkeeping (hardlink directories) and carry nothing: skipped. */
static int extract_whiteout(struct extract *x, const char *parent, const char *leaf, struct pd_err **err)
{
	_cleanup_close_ int pfd = open_parent(x, parent, err);
	if (pfd < 0)
		return -1;
	if (!strcmp(leaf, WH_OPAQUE)) {
		x->res->whiteouts++;
		return set_dir_xattr(
		    x, parent, x->rootless ? "user.overlay.opaque" : "trusted.overlay.opaque", "y", err);
	}
	if (str_has_prefix(leaf, WH_PREFIX WH_PREFIX))
		return 0;
	const char *hidden = leaf + strlen(WH_PREFIX);
	if (!*hidden || !strcmp(hidden, ".") || !strcmp(hidden, ".."))
		return pd_fail(err, 0, "whiteout entry '%s' names no file", x->name);
	if (clear_leaf(x, pfd, hidden, false, err) < 0)
		return -1;
	x->res->whiteouts++;
	/* A 0:0 character device is overlayfs' whiteout in any mode; since
	 * Linux 5.8 it needs no CAP_MKNOD. */
	if (mknodat(pfd, hidden, S_IFCHR | 0600, makedev(0, 0)) == 0)
		return 0;
	if (errno != EPERM || !x->rootless)
		return pd_fail(err, errno, "entry '%s': create whiteout", x->name);
	/* Older kernels: the xattr form (Linux 6.7), which overlayfs only
	 * looks for in a directory marked opaque "x". */
	_cleanup_close_ int fd =
	    openat(pfd, hidden, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_fail(err, errno, "entry '%s': create whiteout", x->name);
	if (fsetxattr(fd, "user.overlay.whiteout", "", 0, 0) < 0)
		return pd_fail(err, errno, "entry '%s': set user.overlay.whiteout", x->name);
	return set_dir_xattr(x, parent, "user.overlay.opaque", "x", err);
}

/* The root entry ("./"): its metadata applies to the root itself. */
static int extract_root(struct extract *x, struct archive_entry *e, struct pd_err **err)
{
	if (sym_archive_entry_filetype(e) != AE_IFDIR || sym_archive_entry_hardlink(e))
		return pd_fail(err, 0, "entry '%s' would replace the root directory", x->name);
	return extract_dir(x, x->rootfd, ".", "", 0, e, err);
}

static int extract_entry(struct extract *x, struct archive_entry *e, struct pd_err **err)
{
	x->name = sym_archive_entry_pathname(e);
	if (!x->name)
		return pd_fail(err, 0, "entry without a name (after %llu entries)",
			       (unsigned long long)x->res->entries - 1);
	_cleanup_free_ char *path = NULL;
	unsigned depth;
	if (normalize_name(x->name, &path, &depth) < 0)
		return pd_fail(err, 0, "entry '%s' escapes the root filesystem", x->name);
	if (!*path)
		return extract_root(x, e, err);

	char *leaf = strrchr(path, '/');
	_cleanup_free_ char *parent = leaf ? xstrndup(path, (size_t)(leaf - path)) : xstrdup("");
	leaf = leaf ? leaf + 1 : path;
	/* Whiteouts are intercepted by name before anything is created. */
	if (x->layer && str_has_prefix(leaf, WH_PREFIX))
		return extract_whiteout(x, parent, leaf, err);
	_cleanup_close_ int pfd = open_parent(x, parent, err);
	if (pfd < 0)
		return -1;

	const char *hardlink = sym_archive_entry_hardlink(e);
	if (hardlink)
		return extract_hardlink(x, pfd, leaf, hardlink, err);
	switch (sym_archive_entry_filetype(e)) {
	case AE_IFREG: return extract_file(x, pfd, leaf, e, err);
	case AE_IFDIR: return extract_dir(x, pfd, leaf, path, depth, e, err);
	case AE_IFLNK: return extract_symlink(x, pfd, leaf, e, err);
	case AE_IFIFO:
	case AE_IFCHR:
	case AE_IFBLK: return extract_node(x, pfd, leaf, e, err);
	default:
		return pd_fail(err, 0, "entry '%s' has an unsupported type (0%o)", x->name,
			       (unsigned)sym_archive_entry_filetype(e));
	}
}

/* Deepest first, so a child is finished before its parent loses write or
 * search permission; for one path, archive order, so the last entry wins. */
static int cmp_dir_meta(const void *pa, const void *pb)
{
	const struct dir_meta *a = pa, *b = pb;
	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int finish_dirs(struct extract *x, struct pd_err **err)
{
	if (x->n_dirs)
		qsort(x->dirs, x->n_dirs, sizeof(*x->dirs), cmp_dir_meta);
	for (size_t i = 0; i < x->n_dirs; i++) {
		struct dir_meta *m = &x->dirs[i];
		const char *shown = *m->path ? m->path : ".";
		_cleanup_close_ int fd =
		    open_in_root(x->rootfd, m->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		struct stat st;
		/* Gone, or replaced by a later entry: nothing of ours to fix. */
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return pd_fail(err, errno, "directory '%s': open", shown);
		if (st.st_dev != m->dev || st.st_ino != m->ino)
			continue;
		if (chown_wanted(x) && chown_failed(x, fchown(fd, m->uid, m->gid)))
			return pd_fail(err, errno, "directory '%s': set owner", shown);
		if (fchmod(fd, m->perm) < 0)
			return pd_fail(err, errno, "directory '%s': set mode", shown);
		if (futimens(fd, m->ts) < 0)
			return pd_fail(err, errno, "directory '%s': set times", shown);
	}
	return 0;
}

static int resolve_limits(const struct pd_extract_opts *o, struct extract *x, struct pd_err **err)
{
	x->max_entries = o && o->max_entries ? o->max_entries : PD_EXTRACT_DEFAULT_MAX_ENTRIES;
	x->max_bytes = o && o->max_bytes ? o->max_bytes : PD_EXTRACT_DEFAULT_MAX_BYTES;
	const char *env = getenv(PD_EXTRACT_ENV_MAX_BYTES);
	if ((!o || !o->max_bytes) && env && *env) {
		/* A bad value is an error, not a silent fallback to the default:
		 * the user meant to change the limit. */
		if (pd_parse_size(env, &x->max_bytes, err) < 0) {
			pd_err_prefix(err, "%s", PD_EXTRACT_ENV_MAX_BYTES);
			return -1;
		}
	}
	return 0;
}

/* Fail early and clearly where openat2 is missing (before Linux 5.6). */
static int check_target(int dirfd, struct pd_err **err)
{
	_cleanup_close_ int fd = open_in_root(dirfd, "", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return pd_fail(err, errno,
			       errno == ENOSYS ? "openat2 (Linux 5.6 or later is needed)"
					       : "open the target directory");
	return 0;
}

static int open_reader(struct extract *x, int fd, struct pd_err **err)
{
	x->a = sym_archive_read_new();
	if (!x->a)
		return pd_fail(err, ENOMEM, "start libarchive");
	/* Only tar (ustar, pax, GNU) and four filters: support_format_all
	 * would bring xar's libxml2 and a much larger attack surface. */
	if (sym_archive_read_support_format_tar(x->a) < ARCHIVE_WARN ||
	    sym_archive_read_support_filter_gzip(x->a) < ARCHIVE_WARN ||
	    sym_archive_read_support_filter_xz(x->a) < ARCHIVE_WARN ||
	    sym_archive_read_support_filter_zstd(x->a) < ARCHIVE_WARN ||
	    sym_archive_read_support_filter_bzip2(x->a) < ARCHIVE_WARN)
		return pd_fail(err, 0, "set up libarchive: %s", archive_msg(x->a));
	if (sym_archive_read_open_fd(x->a, fd, 64 * 1024) < ARCHIVE_WARN)
		return pd_fail(err, 0, "read: %s", archive_msg(x->a));
	return 0;
}

static int extract_all(struct extract *x, struct pd_err **err)
{
	for (;;) {
		struct archive_entry *e;
		int r = sym_archive_read_next_header(x->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		/* x->name is stale here: libarchive reuses the entry. */
		if (r < ARCHIVE_WARN)
			return pd_fail(err, 0, "read entry %llu: %s", (unsigned long long)x->res->entries + 1,
				       archive_msg(x->a));
		if (++x->res->entries > x->max_entries)
			return pd_fail(err, 0, "extraction exceeds the limit of %llu entries",
				       (unsigned long long)x->max_entries);
		if (extract_entry(x, e, err) < 0)
			return -1;
	}
	return finish_dirs(x, err);
}

/* Entry names are chosen by the archive's author and end up in a message
 * printed on a terminal, where an escape sequence could rewrite what the
 * user sees.  Control bytes become \xNN. */
static void escape_controls(struct pd_err **err)
{
	if (!err || !*err)
		return;
	const char *m = (*err)->msg;
	size_t n = 0;
	for (const char *p = m; *p; p++)
		n += ((unsigned char)*p < 0x20 || *p == 0x7f) ? 4 : 1;
	if (n == strlen(m))
		return;
	char *out = xmalloc(n + 1), *q = out;
	for (const char *p = m; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			q += sprintf(q, "\\x%02x", (unsigned char)*p);
		else
			*q++ = *p;
	}
	*q = '\0';
	free((*err)->msg);
	(*err)->msg = out;
}

int pd_archive_extract_fd(int tarfd, const char *name, int dirfd, const struct pd_extract_opts *o,
			  struct pd_extract_result *res, struct pd_err **err)
{
	struct pd_extract_result local;
	if (!res)
		res = &local;
	*res = (struct pd_extract_result){ 0 };
	struct extract x = {
		.rootfd = dirfd,
		.rootless = o ? o->rootless : geteuid() != 0,
		.keep_owners = o && o->keep_owners,
		.layer = o && o->layer,
		.keep_dirs = o && o->keep_dirs,
		.perm_mask = o && o->drop_setid ? 01777 : 07777,
		.res = res,
	};

	int ret = -1;
	if (load_libarchive(err) == 0 && resolve_limits(o, &x, err) == 0 && check_target(dirfd, err) == 0 &&
	    open_reader(&x, tarfd, err) == 0)
		ret = extract_all(&x, err);
	archive_freep(&x.a);
	for (size_t i = 0; i < x.n_dirs; i++)
		free(x.dirs[i].path);
	free(x.dirs);
	if (ret < 0) {
		pd_err_prefix(err, "extract '%s'", name);
		escape_controls(err);
	}
	return ret;
}

int pd_archive_extract(const char *tarball, int dirfd, const struct pd_extract_opts *o,
		       struct pd_extract_result *res, struct pd_err **err)
{
	_cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (res)
			*res = (struct pd_extract_result){ 0 };
		return pd_fail(err, errno, "extract '%s': open", tarball);
	}
	return pd_archive_extract_fd(fd, tarball, dirfd, o, res, err);
}

int pd_archive_find_files(const char *tarball, const char *const *names, bool *found, struct pd_err **err)
{
	for (size_t i = 0; names[i]; i++)
		found[i] = false;
	_cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pd_fail(err, errno, "read '%s'", tarball);
	struct extract x = { 0 };
	int ret = -1;
	if (load_libarchive(err) < 0 || open_reader(&x, fd, err) < 0)
		goto out;
	for (uint64_t n = 0;; n++) {
		struct archive_entry *e;
		int r = sym_archive_read_next_header(x.a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			pd_fail(err, 0, "read entry %llu: %s", (unsigned long long)n + 1, archive_msg(x.a));
			goto out;
		}
		if (n >= PD_EXTRACT_DEFAULT_MAX_ENTRIES) {
			pd_fail(err, 0, "more than %llu entries",
				(unsigned long long)PD_EXTRACT_DEFAULT_MAX_ENTRIES);
			goto out;
		}
		/* Only names are read: the data is skipped by the next header. */
		const char *p = sym_archive_entry_pathname(e);
		while (p && (str_has_prefix(p, "./") || *p == '/'))
			p += *p == '/' ? 1 : 2;
		for (size_t i = 0; p && names[i]; i++)
			if (!strcmp(p, names[i]) && sym_archive_entry_filetype(e) == AE_IFREG)
				found[i] = true;
	}
	ret = 0;
out:
	archive_freep(&x.a);
	if (ret < 0) {
		pd_err_prefix(err, "read '%s'", tarball);
		escape_controls(err);
	}
	return ret;
}
