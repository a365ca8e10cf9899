/* A container's config as an OCI runtime spec (core/spec.c): the document
 * `run --dump-spec` prints is one the project's own config.json decoder
 * (oci/spec.c) reads back, with every typed field at its place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/spec.h"
#include "linux/caps.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* A config as `run` makes it for a directory rootfs with flags. */
static void sample(struct pd_config *c, const char *user)
{
	pd_config_init(c);
	snprintf(c->id, sizeof(c->id), "%064d", 7);
	c->rootfs_arg = xstrdup("/");
	c->hostname = xstrdup("web");
	c->argv = strv_copy((char *[]){ "sh", "-c", "echo hi", NULL });
	c->env = strv_copy((char *[]){ "A=1", "PATH=/bin", NULL });
	c->workdir = xstrdup("/tmp");
	c->user = user ? xstrdup(user) : NULL;
	c->limits.memory = 64 << 20;
	c->limits.pids_max = 50;
	c->limits.cpu_quota_us = 50000;
	c->limits.cpu_period_us = 100000;
	struct pd_mount v = { .type = PD_MOUNT_BIND,
			      .bind = {
				  .src = xstrdup("/srv"), .dest = xstrdup("/data"), .readonly = true } };
	pd_config_add_mount(c, &v);
	struct pd_mount t = { .type = PD_MOUNT_TMPFS,
			      .tmpfs = { .dest = xstrdup("/scratch"), .size = 1 << 20, .mode = 01777 } };
	pd_config_add_mount(c, &t);
}

static const struct pd_oci_mount *mount_at(const struct pd_oci_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].destination, dest))
			return &s->mounts[i];
	return NULL;
}

/* Root's process holds the capability set in bounding, effective and
 * permitted; the mounts, limits and process fields are where the spec
 * puts them, and the decoder accepts the whole document. */
static void test_spec_round_trip(void **state)
{
	struct pd_config c;
	sample(&c, NULL);
	_cleanup_free_ char *text = pd_config_oci_spec(&c, NULL);
	assert_non_null(text);
	struct pd_oci_spec s;
	struct pd_err *err = NULL;
	assert_int_equal(pd_oci_spec_parse(text, strlen(text), &s, &err), 0);
	assert_string_equal(s.root_path, "/");
	assert_string_equal(s.hostname, "web");
	assert_string_equal(s.process->args[2], "echo hi");
	assert_string_equal(s.process->env[0], "A=1");
	assert_string_equal(s.process->cwd, "/tmp");
	assert_int_equal(s.process->uid, 0);
	assert_true(s.process->no_new_privileges);
	assert_int_equal(s.process->caps.bounding, c.caps);
	assert_int_equal(s.process->caps.effective, c.caps);
	assert_int_equal(s.process->caps.inheritable, 0);
	const struct pd_oci_mount *m = mount_at(&s, "/data");
	assert_non_null(m);
	assert_string_equal(m->source, "/srv");
	assert_true(m->flags & MS_RDONLY);
	m = mount_at(&s, "/scratch");
	assert_non_null(m);
	assert_string_equal(m->type, "tmpfs");
	assert_non_null(mount_at(&s, "/proc"));
	assert_true(s.linux_cfg.has_resources);
	assert_int_equal(s.linux_cfg.resources.mem_limit.val, 64 << 20);
	assert_int_equal(s.linux_cfg.resources.pids_limit, 50);
	assert_int_equal(s.linux_cfg.resources.cpu_quota.val, 50000);
	assert_int_equal(s.linux_cfg.resources.cpu_period.val, 100000);
	pd_oci_spec_free(&s);
	pd_config_free(&c);
}

/* Another user holds no capabilities; a user by name has no place in the
 * spec's numbers and goes to an annotation. */
static void test_spec_users(void **state)
{
	struct pd_config c;
	sample(&c, "1000:1001");
	_cleanup_free_ char *text = pd_config_oci_spec(&c, NULL);
	struct pd_oci_spec s;
	assert_int_equal(pd_oci_spec_parse(text, strlen(text), &s, NULL), 0);
	assert_int_equal(s.process->uid, 1000);
	assert_int_equal(s.process->gid, 1001);
	assert_int_equal(s.process->caps.bounding, c.caps);
	assert_int_equal(s.process->caps.effective, 0);
	pd_oci_spec_free(&s);
	pd_config_free(&c);

	/* A uid alone: its group is the image's (/etc/passwd, at start). */
	sample(&c, "1000");
	_cleanup_free_ char *uid_only = pd_config_oci_spec(&c, NULL);
	assert_int_equal(pd_oci_spec_parse(uid_only, strlen(uid_only), &s, NULL), 0);
	assert_int_equal(s.process->uid, 1000);
	assert_int_equal(s.process->gid, 0);
	assert_int_equal(s.process->caps.effective, 0);
	bool noted = false;
	for (size_t i = 0; i < s.n_annotations; i++)
		noted |= !strcmp(s.annotations[i].key, "org.pocket-docker.user") &&
			 !strcmp(s.annotations[i].value, "1000");
	assert_true(noted);
	pd_oci_spec_free(&s);
	pd_config_free(&c);

	sample(&c, "nobody");
	_cleanup_free_ char *named = pd_config_oci_spec(&c, NULL);
	assert_int_equal(pd_oci_spec_parse(named, strlen(named), &s, NULL), 0);
	bool found = false;
	for (size_t i = 0; i < s.n_annotations; i++)
		found |= !strcmp(s.annotations[i].key, "org.pocket-docker.user") &&
			 !strcmp(s.annotations[i].value, "nobody");
	assert_true(found);
	pd_oci_spec_free(&s);
	pd_config_free(&c);
}

/* A --device that is not a device node is an error, not a spec. */
static void test_spec_bad_device(void **state)
{
	struct pd_config c;
	sample(&c, NULL);
	struct pd_device d = { .host = xstrdup("/etc/hostname"), .dest = xstrdup("/dev/x"), .perms = "rw" };
	pd_config_add_device(&c, &d);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_null(pd_config_oci_spec(&c, &err));
	assert_non_null(err);
	assert_string_equal(err->msg, "device '/etc/hostname' is not a device node");
	pd_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_round_trip),
		cmocka_unit_test(test_spec_users),
		cmocka_unit_test(test_spec_bad_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
