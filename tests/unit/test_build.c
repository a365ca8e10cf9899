/* Unit tests for core/build-copy.c, COPY's file walk: path cleaning (a
 * source climbing out of the context is refused), globs, a directory's
 * contents copied, and the context's boundary (a symlink pointing out is
 * copied as a symlink, its target never read; a path through a symlinked
 * directory resolves inside the context).  Works in a private directory
 * under $TMPDIR (or /tmp); no root needed, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/build-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

static char *scratch(void)
{
	const char *t = getenv("TMPDIR");
	char *p = xasprintf("%s/pd-unit-build.XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

static void put(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pd_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void test_clean_rel(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
		{ "a/./b/../c", "a/c" }, { "/etc/passwd", "etc/passwd" }, { ".", "" },	  { "a//b/", "a/b" },
		{ "../x", NULL },	 { "a/../../x", NULL },		  { "a/..", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *got = build_clean_rel(cases[i].in);
		if (!cases[i].out)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].out);
	}
	/* In the image, ".." at the root stays at the root (Docker's COPY x /../etc/y). */
	const char *abs[][2] = { { "/../etc/y", "etc/y" }, { "/a/../../../b/./c", "b/c" }, { "/..", "" } };
	for (size_t i = 0; i < sizeof(abs) / sizeof(abs[0]); i++) {
		_cleanup_free_ char *got = build_clean_abs(abs[i][0]);
		assert_string_equal(got, abs[i][1]);
	}
}

struct fixture {
	char *top, *ctx, *out;
	int ctxfd, outfd;
};

static void setup_fixture(struct fixture *f)
{
	f->top = scratch();
	f->ctx = xasprintf("%s/ctx", f->top);
	f->out = xasprintf("%s/out", f->top);
	assert_int_equal(mkdir(f->ctx, 0755), 0);
	assert_int_equal(mkdir(f->out, 0755), 0);
	_cleanup_free_ char *sub = xasprintf("%s/sub", f->ctx);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(f->ctx, "a.txt", "a\n");
	put(f->ctx, "b.txt", "b\n");
	put(f->ctx, "c.md", "c\n");
	put(sub, "deep.txt", "deep\n");
	put(f->top, "secret", "host secret\n");
	_cleanup_free_ char *target = xasprintf("%s/secret", f->top);
	_cleanup_free_ char *link = xasprintf("%s/leak", f->ctx);
	_cleanup_free_ char *dlink = xasprintf("%s/up", f->ctx);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink(f->top, dlink), 0);
	f->ctxfd = open(f->ctx, O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->outfd = open(f->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->ctxfd >= 0 && f->outfd >= 0);
}

static void free_fixture(struct fixture *f)
{
	close(f->ctxfd);
	close(f->outfd);
	pd_rm_rf(f->top, NULL);
	free(f->top);
	free(f->ctx);
	free(f->out);
}

static void test_glob(void **state)
{
	(void)state;
	struct fixture f;
	setup_fixture(&f);
	_cleanup_strv_ char **g = build_glob(f.ctxfd, "*.txt", NULL, NULL);
	assert_non_null(g);
	_cleanup_free_ char *joined = strv_join(g, ",");
	assert_string_equal(joined, "a.txt,b.txt");
	_cleanup_strv_ char **none = build_glob(f.ctxfd, "nothing*", NULL, NULL);
	assert_non_null(none);
	assert_null(none[0]);
	/* Through a symlink pointing out: resolved inside the context, where
	 * there is no "secret". */
	_cleanup_strv_ char **out = build_glob(f.ctxfd, "up/secret", NULL, NULL);
	assert_non_null(out);
	assert_null(out[0]);
	free_fixture(&f);
}

static void test_copy_dir_contents_and_symlinks(void **state)
{
	(void)state;
	struct fixture f;
	setup_fixture(&f);
	struct build_copy c = { .staging_fd = f.outfd };
	assert_int_equal(pd_sha256_init(&c.sha, NULL), 0);
	assert_int_equal(build_copy_source(&c, f.ctxfd, "sub", "/dst", true, NULL), 0);
	assert_int_equal(build_copy_source(&c, f.ctxfd, "leak", "/dst/leak", false, NULL), 0);
	assert_int_equal(build_copy_source(&c, f.ctxfd, "a.txt", "/dst/", true, NULL), 0);
	struct stat st;
	_cleanup_free_ char *deep = xasprintf("%s/dst/deep.txt", f.out);
	assert_int_equal(lstat(deep, &st), 0); /* a directory's contents, not the directory */
	_cleanup_free_ char *a = xasprintf("%s/dst/a.txt", f.out);
	assert_int_equal(lstat(a, &st), 0);
	_cleanup_free_ char *leak = xasprintf("%s/dst/leak", f.out);
	assert_int_equal(lstat(leak, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* copied as a link, never followed */
	char target[4096];
	ssize_t n = readlink(leak, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = 0;
	_cleanup_free_ char *want = xasprintf("%s/secret", f.top);
	assert_string_equal(target, want);
	free_fixture(&f);
}

static void test_checksum_follows_content(void **state)
{
	(void)state;
	char sums[2][PD_SHA256_HEX_LEN + 1];
	for (int round = 0; round < 2; round++) {
		struct fixture f;
		setup_fixture(&f);
		if (round == 1)
			put(f.ctx, "b.txt", "B\n");
		struct build_copy c = { .staging_fd = f.outfd };
		assert_int_equal(pd_sha256_init(&c.sha, NULL), 0);
		assert_int_equal(build_copy_source(&c, f.ctxfd, "b.txt", "/b", false, NULL), 0);
		pd_sha256_final(&c.sha, sums[round]);
		free_fixture(&f);
	}
	assert_string_not_equal(sums[0], sums[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_rel),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_copy_dir_contents_and_symlinks),
		cmocka_unit_test(test_checksum_follows_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
