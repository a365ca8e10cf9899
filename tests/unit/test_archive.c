/* Unit tests for image/archive.c (safe extraction) and image/cache.c (rootfs
 * cache).  Runs as root or not, without network: the tarballs are written
 * here with libarchive's writer, opened with dlopen like the code under test
 * (unit tests link only the core libraries).  Every security rule has a
 * negative test: a hostile entry must fail or land inside the target, and
 * the "outside" directory next to the target must stay empty.
 *
 * Every hostile path aims at that "outside" directory, never at a host path
 * such as /etc/passwd: if a check regresses, the test fails without harming
 * the machine that runs it (as root). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/archive.h"
#include "image/cache.h"
#include "util/cleanup.h"
#include "util/dl.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

static void *writer_handle;
static PD_DL_SYM(archive_write_new);
static PD_DL_SYM(archive_write_free);
static PD_DL_SYM(archive_write_close);
static PD_DL_SYM(archive_write_set_format_pax_restricted);
static PD_DL_SYM(archive_write_add_filter_gzip);
static PD_DL_SYM(archive_write_add_filter_xz);
static PD_DL_SYM(archive_write_add_filter_zstd);
static PD_DL_SYM(archive_write_add_filter_bzip2);
static PD_DL_SYM(archive_write_open_filename);
static PD_DL_SYM(archive_write_header);
static PD_DL_SYM(archive_write_data);
static PD_DL_SYM(archive_error_string);
static PD_DL_SYM(archive_entry_new);
static PD_DL_SYM(archive_entry_free);
static PD_DL_SYM(archive_entry_set_pathname);
static PD_DL_SYM(archive_entry_set_filetype);
static PD_DL_SYM(archive_entry_set_perm);
static PD_DL_SYM(archive_entry_set_size);
static PD_DL_SYM(archive_entry_set_symlink);
static PD_DL_SYM(archive_entry_set_hardlink);
static PD_DL_SYM(archive_entry_set_uid);
static PD_DL_SYM(archive_entry_set_gid);
static PD_DL_SYM(archive_entry_set_mtime);
static PD_DL_SYM(archive_entry_set_rdev);

static void load_writer(void)
{
	static const char *const sonames[] = { "libarchive.so.13", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(archive_write_new),
		PD_DL_ENTRY(archive_write_free),
		PD_DL_ENTRY(archive_write_close),
		PD_DL_ENTRY(archive_write_set_format_pax_restricted),
		PD_DL_ENTRY(archive_write_add_filter_gzip),
		PD_DL_ENTRY(archive_write_add_filter_xz),
		PD_DL_ENTRY(archive_write_add_filter_zstd),
		PD_DL_ENTRY(archive_write_add_filter_bzip2),
		PD_DL_ENTRY(archive_write_open_filename),
		PD_DL_ENTRY(archive_write_header),
		PD_DL_ENTRY(archive_write_data),
		PD_DL_ENTRY(archive_error_string),
		PD_DL_ENTRY(archive_entry_new),
		PD_DL_ENTRY(archive_entry_free),
		PD_DL_ENTRY(archive_entry_set_pathname),
		PD_DL_ENTRY(archive_entry_set_filetype),
		PD_DL_ENTRY(archive_entry_set_perm),
		PD_DL_ENTRY(archive_entry_set_size),
		PD_DL_ENTRY(archive_entry_set_symlink),
		PD_DL_ENTRY(archive_entry_set_hardlink),
		PD_DL_ENTRY(archive_entry_set_uid),
		PD_DL_ENTRY(archive_entry_set_gid),
		PD_DL_ENTRY(archive_entry_set_mtime),
		PD_DL_ENTRY(archive_entry_set_rdev),
		{ NULL, NULL },
	};
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_dl_open(&writer_handle, sonames, "libarchive13", syms, &err) < 0)
		fail_msg("%s", err->msg);
}

/* One archive entry.  type: 'f' file, 'd' dir, 'l' symlink, 'h' hardlink,
 * 'p' fifo, 'c' char device.  `data` is the content, link target or (for a
 * file with size > 0) ignored: `size` zero bytes are written instead. */
struct ent {
	const char *name;
	char type;
	const char *data;
	mode_t perm;
	int64_t size;
	int64_t uid, gid;
	time_t mtime;
	dev_t rdev;
};

#define T_MTIME 1500000000

#define E_FILE(n, d, ...)                                                                                    \
	{                                                                                                    \
		.name = (n), .type = 'f', .data = (d), ##__VA_ARGS__                                         \
	}
#define E_DIR(n, ...)                                                                                        \
	{                                                                                                    \
		.name = (n), .type = 'd', ##__VA_ARGS__                                                      \
	}
#define E_SYM(n, t, ...)                                                                                     \
	{                                                                                                    \
		.name = (n), .type = 'l', .data = (t), ##__VA_ARGS__                                         \
	}
#define E_HARD(n, t)                                                                                         \
	{                                                                                                    \
		.name = (n), .type = 'h', .data = (t)                                                        \
	}
#define E_FIFO(n, ...)                                                                                       \
	{                                                                                                    \
		.name = (n), .type = 'p', ##__VA_ARGS__                                                      \
	}
#define E_CHR(n, ...)                                                                                        \
	{                                                                                                    \
		.name = (n), .type = 'c', ##__VA_ARGS__                                                      \
	}

static void write_entry(struct archive *a, const struct ent *e)
{
	struct archive_entry *ae = sym_archive_entry_new();
	static const char zeros[65536];
	int64_t size = 0;

	sym_archive_entry_set_pathname(ae, e->name);
	sym_archive_entry_set_perm(ae, e->perm ? e->perm : (e->type == 'd' ? 0755 : 0644));
	sym_archive_entry_set_uid(ae, e->uid);
	sym_archive_entry_set_gid(ae, e->gid);
	sym_archive_entry_set_mtime(ae, e->mtime ? e->mtime : T_MTIME, 0);
	switch (e->type) {
	case 'f':
		size = e->size ? e->size : (e->data ? (int64_t)strlen(e->data) : 0);
		sym_archive_entry_set_filetype(ae, AE_IFREG);
		break;
	case 'd': sym_archive_entry_set_filetype(ae, AE_IFDIR); break;
	case 'l':
		sym_archive_entry_set_filetype(ae, AE_IFLNK);
		sym_archive_entry_set_symlink(ae, e->data);
		break;
	case 'h':
		sym_archive_entry_set_filetype(ae, AE_IFREG);
		sym_archive_entry_set_hardlink(ae, e->data);
		break;
	case 'p': sym_archive_entry_set_filetype(ae, AE_IFIFO); break;
	case 'c':
		sym_archive_entry_set_filetype(ae, AE_IFCHR);
		sym_archive_entry_set_rdev(ae, e->rdev);
		break;
	default: fail_msg("bad entry type %c", e->type);
	}
	sym_archive_entry_set_size(ae, size);
	if (sym_archive_write_header(a, ae) < ARCHIVE_WARN)
		fail_msg("write header %s: %s", e->name, sym_archive_error_string(a));
	if (e->type == 'f' && e->size) {
		for (int64_t left = size; left > 0;) {
			size_t n = left > (int64_t)sizeof(zeros) ? sizeof(zeros) : (size_t)left;
			assert_int_equal(sym_archive_write_data(a, zeros, n), n);
			left -= (int64_t)n;
		}
	} else if (size) {
		assert_int_equal(sym_archive_write_data(a, e->data, (size_t)size), size);
	}
	sym_archive_entry_free(ae);
}

/* Write a tarball; filter NULL (plain), "gzip", "xz", "zstd" or "bzip2".
 * Returns false if this libarchive cannot write that filter. */
static bool make_tar_filtered(const char *path, const char *filter, const struct ent *ents, size_t n)
{
	load_writer();
	struct archive *a = sym_archive_write_new();
	assert_non_null(a);
	assert_int_equal(sym_archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	int r = ARCHIVE_OK;
	if (filter && !strcmp(filter, "gzip"))
		r = sym_archive_write_add_filter_gzip(a);
	else if (filter && !strcmp(filter, "xz"))
		r = sym_archive_write_add_filter_xz(a);
	else if (filter && !strcmp(filter, "zstd"))
		r = sym_archive_write_add_filter_zstd(a);
	else if (filter && !strcmp(filter, "bzip2"))
		r = sym_archive_write_add_filter_bzip2(a);
	if (r != ARCHIVE_OK) {
		sym_archive_write_free(a);
		return false;
	}
	assert_int_equal(sym_archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++)
		write_entry(a, &ents[i]);
	assert_int_equal(sym_archive_write_close(a), ARCHIVE_OK);
	sym_archive_write_free(a);
	return true;
}

#define MAKE_TAR(path, ...)                                                                                  \
	do {                                                                                                 \
		const struct ent ents_[] = { __VA_ARGS__ };                                                  \
		assert_true(make_tar_filtered((path), NULL, ents_, ARRAY_SIZE(ents_)));                      \
	} while (0)

/* Per-test directory: <dir>/root is the target, <dir>/outside must stay
 * empty, <dir>/t.tar is the tarball. */
struct fx {
	char dir[64];
	char *root, *outside, *tar, *state;
	int rootfd;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pd-test-archive-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->root = xasprintf("%s/root", f->dir);
	f->outside = xasprintf("%s/outside", f->dir);
	f->tar = xasprintf("%s/t.tar", f->dir);
	f->state = xasprintf("%s/state", f->dir);
	if (mkdir(f->root, 0755) < 0 || mkdir(f->outside, 0755) < 0)
		return -1;
	f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsetenv(PD_EXTRACT_ENV_MAX_BYTES);
	*state = f;
	return f->rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	_cleanup_err_ struct pd_err *err = NULL;
	close(f->rootfd);
	int r = pd_rm_rf(f->dir, &err);
	free(f->root);
	free(f->outside);
	free(f->tar);
	free(f->state);
	free(f);
	unsetenv(PD_EXTRACT_ENV_MAX_BYTES);
	return r;
}

static bool is_root(void)
{
	return geteuid() == 0;
}

static struct pd_extract_opts default_opts(void)
{
	return (struct pd_extract_opts){ .rootless = !is_root() };
}

static int extract(struct fx *f, const struct pd_extract_opts *o, struct pd_extract_result *res,
		   struct pd_err **err)
{
	struct pd_extract_opts d = default_opts();
	return pd_archive_extract(f->tar, f->rootfd, o ? o : &d, res, err);
}

static void assert_extract_ok(struct fx *f)
{
	_cleanup_err_ struct pd_err *err = NULL;
	if (extract(f, NULL, NULL, &err) < 0)
		fail_msg("extract: %s: %s", err->msg, err->errnum ? strerror(err->errnum) : "-");
}

/* Extraction must fail with a message containing `what` and the tarball. */
static void assert_extract_fails(struct fx *f, const char *what)
{
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, NULL, NULL, &err), -1);
	assert_non_null(err);
	if (!strstr(err->msg, what) || !strstr(err->msg, f->tar))
		fail_msg("message '%s' lacks '%s' or the tarball name", err->msg, what);
}

static void assert_empty_dir(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fail_msg("'%s' holds '%s'", path, de->d_name);
}

static char *read_at(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", name, strerror(errno));
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	return xstrdup(buf);
}

static void assert_content(int dirfd, const char *name, const char *want)
{
	_cleanup_free_ char *s = read_at(dirfd, name);
	assert_string_equal(s, want);
}

static struct stat lstat_at(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("stat %s: %s", name, strerror(errno));
	return st;
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_tree(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_DIR("./", .perm = 0751, .mtime = 1400000000), E_DIR("./etc/"),
		 E_FILE("./etc/hostname", "box\n"), E_SYM("./etc/link", "hostname"),
		 E_SYM("./etc/abs", "/etc/hostname"), E_HARD("./etc/hard", "./etc/hostname"),
		 E_FILE("./bin/su", "su", .perm = 04755), E_FIFO("./run/fifo", .perm = 0600),
		 E_DIR("./ro/", .perm = 0555), E_DIR("./ro/inner/", .perm = 0500),
		 E_FILE("./ro/inner/f", "x", .perm = 0400), E_FILE("deep/a/b/c", "deep"),
		 E_FILE("./empty", ""));
	assert_extract_ok(f);

	assert_content(f->rootfd, "etc/hostname", "box\n");
	assert_content(f->rootfd, "deep/a/b/c", "deep");
	assert_content(f->rootfd, "ro/inner/f", "x");
	assert_content(f->rootfd, "empty", "");
	char target[64];
	ssize_t n = readlinkat(f->rootfd, "etc/link", target, sizeof(target));
	assert_int_equal(n, 8);
	assert_memory_equal(target, "hostname", 8);
	n = readlinkat(f->rootfd, "etc/abs", target, sizeof(target));
	assert_int_equal(n, 13);

	struct stat a = lstat_at(f->rootfd, "etc/hostname"), b = lstat_at(f->rootfd, "etc/hard");
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 2);
	assert_int_equal(a.st_mode & 07777, 0644);
	assert_int_equal(a.st_mtim.tv_sec, T_MTIME);
	assert_int_equal(lstat_at(f->rootfd, "bin/su").st_mode & 07777, 04755);
	assert_true(S_ISFIFO(lstat_at(f->rootfd, "run/fifo").st_mode));
	assert_int_equal(lstat_at(f->rootfd, "run/fifo").st_mode & 07777, 0600);
	assert_true(S_ISLNK(lstat_at(f->rootfd, "etc/link").st_mode));

	/* Directory metadata is applied at the end, read-only ones included. */
	struct stat ro = lstat_at(f->rootfd, "ro"), inner = lstat_at(f->rootfd, "ro/inner");
	assert_int_equal(ro.st_mode & 07777, 0555);
	assert_int_equal(inner.st_mode & 07777, 0500);
	assert_int_equal(ro.st_mtim.tv_sec, T_MTIME);
	assert_int_equal(lstat_at(f->rootfd, "etc").st_mtim.tv_sec, T_MTIME);
	/* "./" describes the root itself. */
	struct stat root;
	assert_int_equal(fstat(f->rootfd, &root), 0);
	assert_int_equal(root.st_mode & 07777, 0751);
	assert_int_equal(root.st_mtim.tv_sec, 1400000000);
	/* Implicit parents exist and are plain directories. */
	assert_true(S_ISDIR(lstat_at(f->rootfd, "deep/a/b").st_mode));
	assert_empty_dir(f->outside);
}

static void test_result_counts(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_FILE("a", "12345"), E_FILE("b", "678"), E_DIR("d/"));
	struct pd_extract_result res;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, NULL, &res, &err), 0);
	assert_int_equal(res.entries, 3);
	assert_int_equal(res.bytes, 8);
	assert_int_equal(res.skipped_devices, 0);
}

static void test_dotdot_refused(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_FILE("ok", "ok"), E_FILE("../outside/evil", "evil"));
	assert_extract_fails(f, "entry '../outside/evil' escapes the root filesystem");
	assert_empty_dir(f->outside);

	MAKE_TAR(f->tar, E_FILE("a/b/../../../outside/evil", "evil"));
	assert_extract_fails(f, "escapes the root filesystem");
	MAKE_TAR(f->tar, E_DIR(".."));
	assert_extract_fails(f, "escapes the root filesystem");
	MAKE_TAR(f->tar, E_FILE("/../outside/evil", "evil"));
	assert_extract_fails(f, "escapes the root filesystem");
	MAKE_TAR(f->tar, E_SYM("x", "../outside"), E_FILE("x/../../outside/evil", "evil"));
	assert_extract_fails(f, "escapes the root filesystem");
	assert_empty_dir(f->outside);
	assert_false(exists_at(AT_FDCWD, "/tmp/evil"));
}

static void test_absolute_neutralised(void **state)
{
	struct fx *f = *state;
	/* Absolute names are the image's own paths.  The one aimed at the
	 * real outside directory must land under the root. */
	_cleanup_free_ char *abs = xasprintf("%s/abs", f->outside);
	_cleanup_free_ char *dbl = xasprintf("/%s//dbl", f->outside);
	MAKE_TAR(f->tar, E_FILE(abs, "abs"), E_FILE(dbl, "dbl"), E_FILE("/./././z", "z"),
		 E_DIR("/", .perm = 0755), E_DIR("a/./b/."));
	assert_extract_ok(f);
	assert_content(f->rootfd, abs + 1, "abs");
	_cleanup_free_ char *dbl_rel = xasprintf("%s/dbl", f->outside + 1);
	assert_content(f->rootfd, dbl_rel, "dbl");
	assert_content(f->rootfd, "z", "z");
	assert_true(S_ISDIR(lstat_at(f->rootfd, "a/b").st_mode));
	assert_empty_dir(f->outside);
}

static void test_symlink_parent_stays_inside(void **state)
{
	struct fx *f = *state;
	/* An absolute symlink to a real host directory, then a file "through"
	 * it: resolved inside the root, where that directory does not exist. */
	MAKE_TAR(f->tar, E_SYM("link", f->outside), E_FILE("link/pwned", "pwned"));
	_cleanup_err_ struct pd_err *err = NULL;
	if (extract(f, NULL, NULL, &err) == 0) {
		_cleanup_free_ char *inside = xasprintf("%s%s/pwned", f->root, f->outside);
		assert_true(exists_at(AT_FDCWD, inside));
	} else {
		assert_non_null(strstr(err->msg, "link/pwned"));
	}
	assert_empty_dir(f->outside);
}

static void test_symlink_clamped_to_root(void **state)
{
	struct fx *f = *state;
	/* The root's copy of the outside directory's absolute path exists,
	 * so an absolute symlink to it is followed, but inside the root. */
	_cleanup_free_ char *mirror = xasprintf("%s/", f->outside + 1);
	/* ".." in a symlink target stops at the root, like "/" does: from
	 * <dir>/root, "../outside" would be <dir>/outside. */
	MAKE_TAR(f->tar, E_DIR(mirror), E_SYM("abs", f->outside), E_FILE("abs/a", "a"), E_DIR("outside/"),
		 E_SYM("up", "../outside"), E_FILE("up/b", "b"), E_SYM("x/y/up2", "../../../outside"),
		 E_FILE("x/y/up2/c", "c"), E_SYM("slash", "/"), E_FILE("slash/outside/d", "d"));
	assert_extract_ok(f);
	_cleanup_free_ char *a = xasprintf("%sa", mirror);
	assert_content(f->rootfd, a, "a");
	assert_content(f->rootfd, "outside/b", "b");
	assert_content(f->rootfd, "outside/c", "c");
	assert_content(f->rootfd, "outside/d", "d");
	assert_empty_dir(f->outside);
}

static void test_symlink_at_name_replaced(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *victim = xasprintf("%s/victim", f->outside);
	_cleanup_free_ char *vdir = xasprintf("%s/vdir", f->outside);
	/* A symlink at a file's own name, then the file: never written through. */
	MAKE_TAR(f->tar, E_SYM("x", victim), E_FILE("x", "new"), E_SYM("y", "../outside/victim"),
		 E_FILE("y", "new2"), E_SYM("d", vdir), E_DIR("d/"), E_FILE("d/f", "in"), E_SYM("h", victim),
		 E_HARD("h", "x"), E_SYM("p", victim), E_FIFO("p"));
	assert_extract_ok(f);
	assert_content(f->rootfd, "x", "new");
	assert_content(f->rootfd, "y", "new2");
	assert_content(f->rootfd, "d/f", "in");
	assert_content(f->rootfd, "h", "new");
	assert_true(S_ISDIR(lstat_at(f->rootfd, "d").st_mode));
	assert_true(S_ISFIFO(lstat_at(f->rootfd, "p").st_mode));
	assert_empty_dir(f->outside);
}

static void test_replace_dir_with_file(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_DIR("d/", .perm = 0555), E_FILE("d/f", "x"), E_FILE("d", "now a file"),
		 E_FILE("e", "file"), E_DIR("e/"), E_FILE("e/g", "g"));
	assert_extract_ok(f);
	assert_content(f->rootfd, "d", "now a file");
	assert_content(f->rootfd, "e/g", "g");
}

/* A file outside the root that hostile hardlinks aim at. */
static char *make_secret(struct fx *f)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *secret = xasprintf("%s/secret", f->outside);
	assert_int_equal(pd_write_file_atomic(secret, "secret", 6, 0600, &err), 0);
	return secret;
}

static void assert_secret_unlinked(const char *secret)
{
	struct stat st;
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_nlink, 1);
}

static void test_hardlink_escape_refused(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *secret = make_secret(f);
	MAKE_TAR(f->tar, E_HARD("h", "../outside/secret"));
	assert_extract_fails(f,
			     "hardlink target '../outside/secret' of entry 'h' escapes the root filesystem");
	MAKE_TAR(f->tar, E_HARD("h", "a/../../outside/secret"));
	assert_extract_fails(f, "escapes the root filesystem");

	/* An absolute target names the image's file: absent here. */
	MAKE_TAR(f->tar, E_HARD("h", secret));
	assert_extract_fails(f, "hardlink target '");
	/* Nor through a symlink planted for the purpose. */
	MAKE_TAR(f->tar, E_SYM("s", f->outside), E_HARD("h", "s/secret"));
	assert_extract_fails(f, "hardlink target 's/secret'");
	MAKE_TAR(f->tar, E_SYM("s", "../outside"), E_HARD("h", "s/secret"));
	assert_extract_fails(f, "hardlink target 's/secret'");
	assert_secret_unlinked(secret);
	assert_false(exists_at(f->rootfd, "h"));
}

static void test_hardlink_to_symlink_links_the_symlink(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *secret = make_secret(f);
	_cleanup_free_ char *mirror = xasprintf("%s/", f->outside + 1);
	_cleanup_free_ char *inner = xasprintf("%ssecret", mirror);
	/* Even where the symlink's target exists inside the root, the link
	 * is to the symlink itself, as tar records it. */
	MAKE_TAR(f->tar, E_DIR(mirror), E_FILE(inner, "inner"), E_SYM("s", secret), E_HARD("h", "s"));
	assert_extract_ok(f);
	struct stat h = lstat_at(f->rootfd, "h");
	assert_true(S_ISLNK(h.st_mode));
	assert_int_equal(h.st_ino, lstat_at(f->rootfd, "s").st_ino);
	assert_int_equal(h.st_nlink, 2);
	assert_secret_unlinked(secret);
}

static void test_hardlink_to_dir_refused(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_DIR("d/"), E_HARD("h", "d"));
	assert_extract_fails(f, "is a directory");
}

static void test_size_limit(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_FILE("small", "x"), E_FILE("big", NULL, .size = 4096));
	setenv(PD_EXTRACT_ENV_MAX_BYTES, "1k", 1);
	assert_extract_fails(f,
			     "extraction exceeds the limit of 1024 bytes (set POCKET_DOCKER_MAX_EXTRACT to "
			     "raise it)");
	/* Counted before writing: the big file got nothing past the limit. */
	struct stat st;
	if (fstatat(f->rootfd, "big", &st, 0) == 0)
		assert_true(st.st_size <= 1024);

	setenv(PD_EXTRACT_ENV_MAX_BYTES, "10k", 1);
	assert_extract_ok(f);
	assert_int_equal(lstat_at(f->rootfd, "big").st_size, 4096);

	setenv(PD_EXTRACT_ENV_MAX_BYTES, "10x", 1);
	assert_extract_fails(f, PD_EXTRACT_ENV_MAX_BYTES);
	unsetenv(PD_EXTRACT_ENV_MAX_BYTES);

	struct pd_extract_opts o = default_opts();
	o.max_bytes = 4096;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, &o, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "limit of 4096 bytes"));
}

static void test_entry_limit(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_FILE("a", ""), E_FILE("b", ""), E_FILE("c", ""));
	struct pd_extract_opts o = default_opts();
	o.max_entries = 2;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, &o, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "extraction exceeds the limit of 2 entries"));
	assert_false(exists_at(f->rootfd, "c"));
	o.max_entries = 3;
	pd_err_freep(&err);
	assert_int_equal(extract(f, &o, NULL, &err), 0);
}

static void test_devices(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_CHR("dev/null", .perm = 0666, .rdev = makedev(1, 3)),
		 E_CHR("dev/zero", .perm = 0666, .rdev = makedev(1, 5)), E_FIFO("dev/fifo"));
	struct pd_extract_opts o = { .rootless = true };
	struct pd_extract_result res;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, &o, &res, &err), 0);
	assert_int_equal(res.skipped_devices, 2);
	assert_false(exists_at(f->rootfd, "dev/null"));
	assert_true(S_ISFIFO(lstat_at(f->rootfd, "dev/fifo").st_mode));
	if (!is_root()) {
		print_message("skip: device creation needs root\n");
		return;
	}
	o.rootless = false;
	if (extract(f, &o, &res, &err) < 0) {
		/* A root without CAP_MKNOD (in a container) cannot; say so. */
		print_message("skip: mknod refused here: %s\n", err->msg);
		return;
	}
	assert_int_equal(res.skipped_devices, 0);
	struct stat st = lstat_at(f->rootfd, "dev/null");
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(st.st_mode & 07777, 0666);
}

static void test_ownership(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_DIR("d/", .uid = 1234, .gid = 5678),
		 E_FILE("d/su", "x", .perm = 06755, .uid = 1234, .gid = 5678),
		 E_SYM("d/l", "su", .uid = 4321, .gid = 8765));
	if (!is_root()) {
		struct pd_extract_opts o = { .rootless = true };
		_cleanup_err_ struct pd_err *err = NULL;
		assert_int_equal(extract(f, &o, NULL, &err), 0);
		assert_int_equal(lstat_at(f->rootfd, "d/su").st_uid, geteuid());
		print_message("skip: ownership checks need root\n");
		return;
	}
	assert_extract_ok(f);
	struct stat su = lstat_at(f->rootfd, "d/su"), d = lstat_at(f->rootfd, "d"),
		    l = lstat_at(f->rootfd, "d/l");
	assert_int_equal(su.st_uid, 1234);
	assert_int_equal(su.st_gid, 5678);
	/* Mode after owner: chown would have cleared setuid and setgid. */
	assert_int_equal(su.st_mode & 07777, 06755);
	assert_int_equal(d.st_uid, 1234);
	assert_int_equal(l.st_uid, 4321);
	assert_int_equal(l.st_gid, 8765);

	/* Rootless mode as root: the caller keeps everything. */
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *r2 = xasprintf("%s/r2", f->dir);
	assert_int_equal(mkdir(r2, 0755), 0);
	fd = open(r2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct pd_extract_opts o = { .rootless = true };
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_archive_extract(f->tar, fd, &o, NULL, &err), 0);
	assert_int_equal(lstat_at(fd, "d/su").st_uid, 0);
	assert_int_equal(lstat_at(fd, "d/su").st_mode & 07777, 06755);
}

static void test_compression(void **state)
{
	struct fx *f = *state;
	static const char *const filters[][2] = {
		{ "gzip", "t.tar.gz" },
		{ "xz", "t.tar.xz" },
		{ "zstd", "t.tar.zst" },
		{ "bzip2", "t.tar.bz2" },
	};
	const struct ent ents[] = { E_FILE("dir/file", "compressed"), E_FILE("big", NULL, .size = 300000) };
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		_cleanup_free_ char *tar = xasprintf("%s/%s", f->dir, filters[i][1]);
		assert_true(pd_archive_is_tarball_name(tar));
		if (!make_tar_filtered(tar, filters[i][0], ents, ARRAY_SIZE(ents))) {
			print_message("skip: this libarchive cannot write %s\n", filters[i][0]);
			continue;
		}
		_cleanup_free_ char *sub = xasprintf("%s/%s.d", f->dir, filters[i][0]);
		assert_int_equal(mkdir(sub, 0755), 0);
		_cleanup_close_ int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct pd_extract_opts o = default_opts();
		_cleanup_err_ struct pd_err *err = NULL;
		if (pd_archive_extract(tar, fd, &o, NULL, &err) < 0)
			fail_msg("%s: %s", filters[i][0], err->msg);
		assert_content(fd, "dir/file", "compressed");
		assert_int_equal(lstat_at(fd, "big").st_size, 300000);
	}
}

static void test_garbage_input(void **state)
{
	struct fx *f = *state;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_write_file_atomic(f->tar, "this is not a tarball\n", 22, 0644, &err), 0);
	assert_extract_fails(f, "extract '");
	/* A truncated archive fails too, naming the tarball. */
	MAKE_TAR(f->tar, E_FILE("big", NULL, .size = 100000));
	assert_int_equal(truncate(f->tar, 20000), 0);
	assert_extract_fails(f, "extract '");
	pd_err_freep(&err);
	assert_int_equal(pd_archive_extract("/nonexistent/x.tar", f->rootfd, NULL, NULL, &err), -1);
	assert_int_equal(err->errnum, ENOENT);
}

static void test_control_chars_escaped(void **state)
{
	struct fx *f = *state;
	/* A name that would clear the screen if printed raw. */
	MAKE_TAR(f->tar, E_FILE("../\033[2J\033[Hx\n", "x"));
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(extract(f, NULL, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "entry '../\\x1b[2J\\x1b[Hx\\x0a' escapes"));
	for (const char *p = err->msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void test_is_tarball_name(void **state)
{
	const char *yes[] = { "a.tar", "a.tar.gz",  "a.tgz",  "a.tar.xz",
			      "a.txz", "a.tar.zst", "a.tzst", "/x/y.tar.bz2" };
	const char *no[] = { "a", "a.gz", "a.zip", "tar", "a.tar.gz.part", "a.tar/", "a.xz" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		assert_true(pd_archive_is_tarball_name(yes[i]));
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		assert_false(pd_archive_is_tarball_name(no[i]));
}

static void test_sha256(void **state)
{
	struct fx *f = *state;
	_cleanup_err_ struct pd_err *err = NULL;
	char hex[65];
	assert_int_equal(pd_write_file_atomic(f->tar, "abc", 3, 0644, &err), 0);
	assert_int_equal(pd_sha256_file(f->tar, hex, &err), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct pd_sha256 s;
	assert_int_equal(pd_sha256_init(&s, &err), 0);
	pd_sha256_final(&s, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(pd_sha256_init(&s, &err), 0);
	pd_sha256_update(&s, "a", 1);
	pd_sha256_update(&s, "bc", 2);
	pd_sha256_final(&s, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(pd_sha256_file("/nonexistent", hex, &err), -1);
}

/* Names in dir other than "." and ".."; *tmp counts the .tmp- ones. */
static size_t count_entries(const char *dir, size_t *tmp)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	size_t n = 0;
	*tmp = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, ".lock"))
			continue;
		n++;
		if (str_has_prefix(de->d_name, ".tmp-"))
			(*tmp)++;
	}
	return n;
}

/* Root, or rootless without a subordinate range. */
#define MODE_AS_CALLER (&(struct pd_cache_mode){ .rootless = !is_root() })

static void test_cache_reuse(void **state)
{
	struct fx *f = *state;
	MAKE_TAR(f->tar, E_FILE("bin/sh", "sh", .perm = 0755), E_FILE("etc/os-release", "test\n"));
	bool rootless = !is_root();
	const struct pd_cache_mode mode = { .rootless = rootless };
	_cleanup_err_ struct pd_err *err = NULL;
	unsigned skipped = 99;
	_cleanup_free_ char *p1 = pd_cache_rootfs(f->state, f->tar, &mode, &skipped, &err);
	if (!p1)
		fail_msg("%s", err->msg);
	assert_int_equal(skipped, 0);
	char sha[65];
	assert_int_equal(pd_sha256_file(f->tar, sha, &err), 0);
	_cleanup_free_ char *want =
	    xasprintf("%s/cache/rootfs/%s%s", f->state, sha, rootless ? "-rootless" : "");
	assert_string_equal(p1, want);
	assert_true(p1[0] == '/');
	_cleanup_free_ char *os = xasprintf("%s/etc/os-release", p1);
	assert_true(exists_at(AT_FDCWD, os));

	/* The by-stat index now names the sha. */
	_cleanup_free_ char *bystat = xasprintf("%s/cache/by-stat", f->state);
	size_t tmp;
	assert_int_equal(count_entries(bystat, &tmp), 1);
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", f->state);
	assert_int_equal(count_entries(rootfs, &tmp), 1);
	assert_int_equal(tmp, 0);
	assert_int_equal(lstat_at(AT_FDCWD, rootfs).st_mode & 0777, 0700);

	/* Second call: same path, nothing extracted again. */
	assert_int_equal(unlink(os), 0);
	_cleanup_free_ char *p2 = pd_cache_rootfs(f->state, f->tar, &mode, &skipped, &err);
	assert_non_null(p2);
	assert_string_equal(p1, p2);
	assert_false(exists_at(AT_FDCWD, os));

	/* A stale index (tree removed) falls back to hashing and extracting. */
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(pd_rm_rf(p1, &e2), 0);
	_cleanup_free_ char *p3 = pd_cache_rootfs(f->state, f->tar, &mode, NULL, &err);
	assert_non_null(p3);
	assert_string_equal(p1, p3);
	assert_true(exists_at(AT_FDCWD, os));

	/* A changed tarball gets its own tree. */
	MAKE_TAR(f->tar, E_FILE("etc/os-release", "changed\n"));
	_cleanup_free_ char *p4 = pd_cache_rootfs(f->state, f->tar, &mode, NULL, &err);
	assert_non_null(p4);
	assert_string_not_equal(p1, p4);
	assert_int_equal(count_entries(rootfs, &tmp), 2);
}

static void test_cache_failure_leaves_nothing(void **state)
{
	struct fx *f = *state;
	/* From <dir>/state/cache/rootfs/.tmp-X, this is <dir>/outside/evil. */
	MAKE_TAR(f->tar, E_FILE("ok", "fine"), E_FILE("../../../../outside/evil", "evil"));
	_cleanup_err_ struct pd_err *err = NULL;
	char *p = pd_cache_rootfs(f->state, f->tar, MODE_AS_CALLER, NULL, &err);
	assert_null(p);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "escapes the root filesystem"));
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", f->state);
	_cleanup_free_ char *bystat = xasprintf("%s/cache/by-stat", f->state);
	size_t tmp;
	assert_int_equal(count_entries(rootfs, &tmp), 0);
	assert_int_equal(count_entries(bystat, &tmp), 0);
	assert_empty_dir(f->outside);

	pd_err_freep(&err);
	assert_null(pd_cache_rootfs(f->state, "/nonexistent.tar", &(struct pd_cache_mode){ 0 }, NULL, &err));
	pd_err_freep(&err);
	assert_null(pd_cache_rootfs(f->state, f->dir, &(struct pd_cache_mode){ 0 }, NULL, &err));
	assert_non_null(strstr(err->msg, "not a regular file"));
}

static void test_cache_sweeps_leftovers(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", f->state);
	_cleanup_free_ char *stale = xasprintf("%s/.tmp-dead01", rootfs);
	_cleanup_free_ char *busy = xasprintf("%s/.tmp-busy01", rootfs);
	_cleanup_free_ char *lock = xasprintf("%s/.lock", rootfs);
	_cleanup_err_ struct pd_err *err = NULL;
	size_t tmp;
	assert_int_equal(pd_mkdir_p(stale, 0700, &err), 0);
	assert_int_equal(pd_write_file_atomic(lock, "", 0, 0644, &err), 0);

	/* While another extraction runs (its shared lock held), nothing of
	 * its can be swept. */
	_cleanup_close_ int lfd = open(lock, O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(lfd, LOCK_SH), 0);
	assert_int_equal(mkdir(busy, 0700), 0);
	MAKE_TAR(f->tar, E_FILE("a", "a"));
	_cleanup_free_ char *p = pd_cache_rootfs(f->state, f->tar, MODE_AS_CALLER, NULL, &err);
	assert_non_null(p);
	assert_int_equal(count_entries(rootfs, &tmp), 3);
	assert_int_equal(tmp, 2);

	/* Once no one holds it, the next extraction removes the leftovers. */
	closep(&lfd);
	lfd = -1;
	MAKE_TAR(f->tar, E_FILE("b", "b"));
	_cleanup_free_ char *p2 = pd_cache_rootfs(f->state, f->tar, MODE_AS_CALLER, NULL, &err);
	assert_non_null(p2);
	assert_int_equal(count_entries(rootfs, &tmp), 2);
	assert_int_equal(tmp, 0);
}

static void test_cache_concurrent(void **state)
{
	struct fx *f = *state;
	enum { N = 8 };
	const struct ent ents[] = { E_FILE("big", NULL, .size = 4 << 20), E_FILE("etc/x", "x") };
	assert_true(make_tar_filtered(f->tar, "gzip", ents, ARRAY_SIZE(ents)));
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct pd_err *err = NULL;
			char *p = pd_cache_rootfs(f->state, f->tar, MODE_AS_CALLER, NULL, &err);
			char line[512];
			int n = snprintf(line, sizeof(line), "%s\n", p ? p : err->msg);
			_exit(write(pfd[1], line, (size_t)n) == n && p ? 0 : 1);
		}
	}
	close(pfd[1]);
	for (int i = 0; i < N; i++) {
		int status;
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(pfd[0]);
	buf[len] = '\0';
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_strv_ char **paths = pd_shell_split(buf, &err);
	assert_int_equal(strv_len(paths), N);
	for (int i = 1; i < N; i++)
		assert_string_equal(paths[0], paths[i]);
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", f->state);
	size_t tmp;
	assert_int_equal(count_entries(rootfs, &tmp), 1);
	assert_int_equal(tmp, 0);
	_cleanup_free_ char *x = xasprintf("%s/etc/x", paths[0]);
	assert_true(exists_at(AT_FDCWD, x));
}

/* A stand-in for core's "run in a user namespace": fn runs in a child, as
 * it would there, and the calls are counted. */
static int fake_userns(void *ctx, int (*fn)(void *arg), void *arg, struct pd_err **err)
{
	(*(int *)ctx)++;
	pid_t pid = fork();
	if (pid < 0)
		return pd_fail(err, errno, "fork");
	if (pid == 0)
		_exit(fn(arg) == 0 ? 0 : 1);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return pd_fail(err, errno, "wait");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : pd_fail(err, 0, "the helper failed");
}

/* Rootless with a subordinate range: the extraction runs through the
 * caller's function, keeps the archive's owners, and its tree has its own
 * name; a failure inside comes back with its message, leaving nothing. */
static void test_cache_userns_mode(void **state)
{
	struct fx *f = *state;
	int calls = 0;
	struct pd_cache_mode mode = { .rootless = true, .run_in_userns = fake_userns, .ctx = &calls };
	const struct ent ents[] = { E_FILE("etc/x", "x", .uid = getuid(), .gid = getgid()),
				    E_CHR("dev/null", .rdev = makedev(1, 3)) };
	assert_true(make_tar_filtered(f->tar, NULL, ents, ARRAY_SIZE(ents)));
	_cleanup_err_ struct pd_err *err = NULL;
	unsigned skipped = 0;
	_cleanup_free_ char *p = pd_cache_rootfs(f->state, f->tar, &mode, &skipped, &err);
	if (!p)
		fail_msg("%s", err->msg);
	assert_int_equal(calls, 1);
	assert_int_equal(skipped, 1);
	char sha[65];
	assert_int_equal(pd_sha256_file(f->tar, sha, &err), 0);
	_cleanup_free_ char *want = xasprintf("%s/cache/rootfs/%s-subids", f->state, sha);
	assert_string_equal(p, want);
	_cleanup_free_ char *x = xasprintf("%s/etc/x", p);
	assert_true(exists_at(AT_FDCWD, x));

	/* Cached: no second extraction. */
	_cleanup_free_ char *p2 = pd_cache_rootfs(f->state, f->tar, &mode, NULL, &err);
	assert_non_null(p2);
	assert_int_equal(calls, 1);

	MAKE_TAR(f->tar, E_FILE("ok", "fine"), E_FILE("../../../../outside/evil", "evil"));
	assert_null(pd_cache_rootfs(f->state, f->tar, &mode, NULL, &err));
	assert_int_equal(calls, 2);
	assert_non_null(strstr(err->msg, "escapes the root filesystem"));
	_cleanup_free_ char *rootfs = xasprintf("%s/cache/rootfs", f->state);
	size_t tmp;
	assert_int_equal(count_entries(rootfs, &tmp), 1);
	assert_int_equal(tmp, 0);
	assert_empty_dir(f->outside);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree),
		T(test_result_counts),
		T(test_dotdot_refused),
		T(test_absolute_neutralised),
		T(test_symlink_parent_stays_inside),
		T(test_symlink_clamped_to_root),
		T(test_symlink_at_name_replaced),
		T(test_replace_dir_with_file),
		T(test_hardlink_escape_refused),
		T(test_hardlink_to_symlink_links_the_symlink),
		T(test_hardlink_to_dir_refused),
		T(test_size_limit),
		T(test_entry_limit),
		T(test_devices),
		T(test_ownership),
		T(test_compression),
		T(test_garbage_input),
		T(test_control_chars_escaped),
		T(test_is_tarball_name),
		T(test_sha256),
		T(test_cache_reuse),
		T(test_cache_failure_leaves_nothing),
		T(test_cache_sweeps_leftovers),
		T(test_cache_concurrent),
		T(test_cache_userns_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
