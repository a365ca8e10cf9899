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
#include "util/str.h"
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

static void test_volume_names(void **state)
{
	const char *const good[] = { "a", "data", "A1_b.c-d", "0", NULL };
	for (size_t i = 0; good[i]; i++)
		assert_true(pd_volume_name_valid(good[i]));
	const char *const bad[] = { "", ".", "..", ".x", "-x", "_x", "a/b", "../x", "a b", "a:b", NULL };
	for (size_t i = 0; bad[i]; i++)
		assert_false(pd_volume_name_valid(bad[i]));
	char longname[PD_VOLUME_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(pd_volume_name_valid(longname));
}

/* -v NAME:/dest is a named volume; a relative path is refused. */
static void test_named_spec(void **state)
{
	struct pd_volume v = { 0 };
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_volume_parse("cache:/var/cache:ro,nocopy", &v, &e), 0);
	assert_string_equal(v.name, "cache");
	assert_null(v.src);
	assert_true(v.readonly && v.nocopy);
	free(v.name);
	free(v.dest);
	assert_int_equal(pd_volume_parse("./cache:/x", &v, &e), -1);
	assert_int_equal(e->kind, PD_ERR_USAGE);
}

/* --mount forms, and their round trip through the record's JSON. */
static void test_mount_round_trip(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	_cleanup_free_ char *bind = SPEC("type=bind,src=%s,dst=/b,ro,bind-propagation=rslave", tmp);
	const char *const specs[] = { bind,
				      "type=volume,source=v1,target=/v,volume-nocopy,volume-opt=type=tmpfs",
				      "target=/anon", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700" };
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct pd_mount m = { 0 };
		_cleanup_err_ struct pd_err *e = NULL;
		assert_int_equal(pd_mount_parse(specs[i], &m, &e), 0);
		pd_config_add_mount(&c, &m);
	}
	strv_push(&c.volumes_from, "other:ro");
	_cleanup_free_ char *json = pd_config_encode(&c);
	struct pd_config d;
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_config_decode(json, &d, &e), 0);
	_cleanup_free_ char *again = pd_config_encode(&d);
	assert_string_equal(json, again);
	assert_int_equal(d.n_mounts, 4);
	assert_int_equal(d.mounts[0].bind.propagation, PD_PROP_RSLAVE);
	assert_string_equal(d.mounts[1].bind.name, "v1");
	assert_true(d.mounts[1].bind.nocopy);
	assert_string_equal(d.mounts[1].bind.opts[0], "type=tmpfs");
	assert_true(d.mounts[2].bind.anonymous);
	assert_null(d.mounts[2].bind.name);
	assert_int_equal(d.mounts[3].type, PD_MOUNT_TMPFS);
	assert_int_equal(d.mounts[3].tmpfs.mode, 0700);
	assert_string_equal(d.volumes_from[0], "other:ro");
	pd_config_free(&c);
	pd_config_free(&d);
	const char *const bad[] = { "type=bind,target=/x",
				    "type=bind,source=rel,target=/x",
				    "source=../x,target=/x",
				    "type=nfs,target=/x",
				    "source=v",
				    "type=tmpfs,source=x,target=/x",
				    "target=/x,bogus=1",
				    "target=/x,readonly=maybe",
				    "type=volume,target=/x,bind-propagation=shared" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pd_mount m = { 0 };
		_cleanup_err_ struct pd_err *e2 = NULL;
		assert_int_equal(pd_mount_parse(bad[i], &m, &e2), -1);
		assert_int_equal(e2->kind, PD_ERR_USAGE);
	}
}

/* --mount reads its own fields: a path may hold ':' (never split as -v's
 * SRC:DEST), and a field in double quotes may hold commas ("" is a quote),
 * as Docker's CSV reading. */
static void test_mount_colons_and_quotes(void **state)
{
	_cleanup_free_ char *dir = SPEC("%s/a:b,c", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	_cleanup_free_ char *spec = SPEC("type=bind,\"source=%s\",target=/x:y,readonly", dir);
	struct pd_mount m = { 0 };
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_mount_parse(spec, &m, &e), 0);
	assert_int_equal(m.type, PD_MOUNT_BIND);
	assert_string_equal(m.bind.src, dir);
	assert_string_equal(m.bind.dest, "/x:y");
	assert_true(m.bind.readonly);
	free(m.bind.src);
	free(m.bind.dest);

	m = (struct pd_mount){ 0 };
	assert_int_equal(pd_mount_parse("\"target=/q\"\"s\",source=v", &m, &e), 0);
	assert_string_equal(m.bind.dest, "/q\"s");
	assert_string_equal(m.bind.name, "v");
	free(m.bind.name);
	free(m.bind.dest);

	const char *const bad[] = { "target=\"/x\"", "\"target=/x", "\"target=/x\"y",
				    "type=bind,source=/nonexistent-pd:x,target=/x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pd_mount b = { 0 };
		_cleanup_err_ struct pd_err *e2 = NULL;
		assert_int_equal(pd_mount_parse(bad[i], &b, &e2), -1);
		assert_int_equal(e2->kind, PD_ERR_USAGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destination_root), cmocka_unit_test(test_state_root_rules),
		cmocka_unit_test(test_volume_names),	 cmocka_unit_test(test_named_spec),
		cmocka_unit_test(test_mount_round_trip), cmocka_unit_test(test_mount_colons_and_quotes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
