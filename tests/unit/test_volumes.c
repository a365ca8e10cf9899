/* Unit tests for the volume rules of core/config.c: the destination '/' is
 * refused, and no source may be, contain or lie inside the state root
 * (symlinks resolved; a state root not made yet counts).  Works in a
 * temporary directory; no root, no network. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char tmp[PATH_MAX];

static int setup(void **state)
{
	char t[] = "/tmp/pd-volumes-XXXXXX";
	if (!mkdtemp(t) || !realpath(t, tmp))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return pd_rm_rf(tmp, NULL);
}

/* 0 when the spec parses and passes the state-root check, else -1. */
static int check(const char *spec, const char *state_root)
{
	struct pd_config c;
	pd_config_init(&c);
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	_cleanup_err_ struct pd_err *e = NULL;
	int r = pd_volume_parse(spec, &m.bind, &e);
	if (r == 0) {
		pd_config_add_mount(&c, &m);
		r = pd_volumes_check_state_root(&c, state_root, &e);
	}
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		assert_null(strchr(e->msg, '\n'));
	}
	pd_config_free(&c);
	return r;
}

#define SPEC(...) xasprintf(__VA_ARGS__)

static void test_destination_root(void **state)
{
	const char *const bad[] = { "/", "//", "/.", "/./", "/./.", NULL };
	for (size_t i = 0; bad[i]; i++) {
		_cleanup_free_ char *s = SPEC("%s:%s", tmp, bad[i]);
		assert_int_equal(check(s, "/nonexistent-state-root"), -1);
	}
	const char *const good[] = { "/...", "/.x", "/a/.", "/data", NULL };
	for (size_t i = 0; good[i]; i++) {
		_cleanup_free_ char *s = SPEC("%s:%s", tmp, good[i]);
		assert_int_equal(check(s, "/nonexistent-state-root"), 0);
	}
}

static void test_state_root_rules(void **state)
{
	_cleanup_free_ char *x = SPEC("%s/x", tmp), *root = SPEC("%s/x/state", tmp),
			    *data = SPEC("%s/x/data", tmp);
	assert_int_equal(mkdir(x, 0700), 0);
	assert_int_equal(mkdir(data, 0700), 0);
	/* The state root does not exist yet: a volume that would hold it. */
	_cleanup_free_ char *s1 = SPEC("%s:/h", x), *s2 = SPEC("%s:/h:ro", tmp), *s3 = SPEC("%s:/d", data);
	assert_int_equal(check(s1, root), -1);
	assert_int_equal(check(s2, root), -1);
	assert_int_equal(check(s3, root), 0);
	/* It exists: itself, its parent and a path inside it. */
	assert_int_equal(mkdir(root, 0700), 0);
	_cleanup_free_ char *in = SPEC("%s/containers", root);
	assert_int_equal(mkdir(in, 0700), 0);
	_cleanup_free_ char *s4 = SPEC("%s:/h", root), *s5 = SPEC("%s:/h", in);
	assert_int_equal(check(s1, root), -1);
	assert_int_equal(check(s4, root), -1);
	assert_int_equal(check(s5, root), -1);
	assert_int_equal(check(s3, root), 0);
	/* Through symlinks, in the source and in the state root's path. */
	_cleanup_free_ char *l1 = SPEC("%s/l1", tmp), *l2 = SPEC("%s/l2", tmp);
	assert_int_equal(symlink(x, l1), 0);
	assert_int_equal(symlink(in, l2), 0);
	_cleanup_free_ char *s6 = SPEC("%s:/h", l1), *s7 = SPEC("%s:/h", l2), *via = SPEC("%s/state", l1);
	assert_int_equal(check(s6, root), -1);
	assert_int_equal(check(s7, root), -1);
	assert_int_equal(check(s1, via), -1);
	assert_int_equal(check(s3, via), 0);
	/* A relative state root is resolved against the working directory. */
	assert_int_equal(chdir(x), 0);
	assert_int_equal(check(s1, "state"), -1);
	assert_int_equal(check(s1, "not-yet/state"), -1);
	assert_int_equal(check(s3, "state"), 0);
	assert_int_equal(chdir("/"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destination_root),
		cmocka_unit_test(test_state_root_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
