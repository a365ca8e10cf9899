/* Unit tests for util/fs.c's removal: trees far deeper than the fd limit,
 * symlinks never followed, directories without permission.  Works in a private directory under
 * $TMPDIR (or /tmp); no root needed, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char *scratch(void)
{
	const char *t = getenv("TMPDIR");
	char *p = xasprintf("%s/pd-unit-fs.XXXXXX", t && *t ? t : "/tmp");
	assert_non_null(mkdtemp(p));
	return p;
}

/* Make DEPTH nested directories "d" under `top` without ever using a long
 * path: each level is entered by fd, the previous one closed. */
static void make_deep(const char *top, unsigned depth)
{
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		if (i % 100 == 0) {
			int f = openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			assert_true(f >= 0);
			close(f);
		}
		int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	close(fd);
}

static void test_deep_tree_with_few_fds(void **state)
{
	(void)state;
	_cleanup_free_ char *top = scratch();
	_cleanup_free_ char *tree = xasprintf("%s/tree", top);
	assert_int_equal(mkdir(tree, 0755), 0);
	make_deep(tree, 3000);
	struct rlimit old, low = { 32, 32 };
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	int r = pd_rm_rf(tree, &err);
	setrlimit(RLIMIT_NOFILE, &old);
	if (err)
		fprintf(stderr, "pd_rm_rf: %s\n", err->msg);
	assert_int_equal(r, 0);
	assert_false(pd_is_dir(tree));
	assert_int_equal(rmdir(top), 0);
}

static void test_symlinks_not_followed(void **state)
{
	(void)state;
	_cleanup_free_ char *top = scratch();
	_cleanup_free_ char *keep = xasprintf("%s/keep", top);
	_cleanup_free_ char *kept = xasprintf("%s/keep/file", top);
	_cleanup_free_ char *tree = xasprintf("%s/tree", top);
	_cleanup_free_ char *link = xasprintf("%s/tree/sub/link", top);
	_cleanup_free_ char *sub = xasprintf("%s/tree/sub", top);
	assert_int_equal(mkdir(keep, 0755), 0);
	assert_int_equal(close(open(kept, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
	assert_int_equal(mkdir(tree, 0755), 0);
	assert_int_equal(mkdir(sub, 0000), 0); /* no permission: opened up */
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(symlink(keep, link), 0);
	assert_int_equal(chmod(sub, 0000), 0);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_rm_rf(tree, &err), 0);
	assert_false(pd_is_dir(tree));
	assert_int_equal(access(kept, F_OK), 0);
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(pd_rm_rf(top, &e2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_tree_with_few_fds),
		cmocka_unit_test(test_symlinks_not_followed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
