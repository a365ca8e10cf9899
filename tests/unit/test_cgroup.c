/* Unit tests of the cgroup module's pure logic: mountinfo and cgroup file
 * parsing, id checks, limit checks, shares-to-weight.  No root, no cgroupfs:
 * the behaviour against a kernel is tested on the host (v1) and in the
 * cgroup v2 VM (tests/vm/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linux/cgroup-internal.h"

/* /proc/self/mountinfo of a hybrid host, with the noise around it. */
static const char mountinfo[] =
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 "
    "rw,nsdelegate\n"
    "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n"
    "32 25 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids,release_agent=/x/y\n"
    "33 25 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:17 master:3 - cgroup cgroup "
    "rw,cpuset,clone_children\n"
    "40 22 0:29 /docker /mnt/with\\040space rw,relatime - cgroup cgroup rw,memory\n"
    "41 22 0:40 / /srv/odd\\040dir rw,relatime - cgroup cgroup rw,freezer\n"
    "42 22 0:41 / /proc rw,nosuid - proc proc rw\n";

static void test_mountinfo(void **state)
{
	struct cg1_hier **h = cg1_parse_mountinfo(mountinfo);
	assert_non_null(h);
	size_t n = 0;
	while (h[n])
		n++;
	/* systemd, cpu+cpuacct, memory (once), pids, cpuset, freezer */
	assert_int_equal(n, 6);
	assert_string_equal(h[0]->controllers, "name=systemd");
	assert_string_equal(h[0]->mountpoint, "/sys/fs/cgroup/systemd");
	assert_string_equal(h[1]->controllers, "cpu,cpuacct");
	assert_string_equal(h[1]->mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	assert_true(cg1_hier_has(h[1], "cpu"));
	assert_true(cg1_hier_has(h[1], "cpuacct"));
	assert_false(cg1_hier_has(h[1], "cpuset"));
	assert_false(cg1_hier_has(h[1], "cp"));
	assert_string_equal(h[2]->mountpoint, "/sys/fs/cgroup/memory");
	assert_string_equal(h[3]->controllers, "pids");
	assert_string_equal(h[4]->controllers, "cpuset");
	assert_string_equal(h[5]->mountpoint, "/srv/odd dir");
	cg1_hiers_free(h);

	h = cg1_parse_mountinfo("");
	assert_non_null(h);
	assert_null(h[0]);
	cg1_hiers_free(h);
	h = cg1_parse_mountinfo("garbage\n1 2 3\n\n - cgroup\n");
	assert_null(h[0]);
	cg1_hiers_free(h);
}

static void test_keyed(void **state)
{
	const char ev[] = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
	uint64_t v = 99;
	assert_true(cg_parse_keyed(ev, "oom_kill", &v));
	assert_int_equal(v, 2);
	assert_true(cg_parse_keyed(ev, "oom", &v));
	assert_int_equal(v, 3);
	assert_true(cg_parse_keyed(ev, "low", &v));
	assert_int_equal(v, 0);
	assert_false(cg_parse_keyed(ev, "oom_ki", &v));
	assert_false(cg_parse_keyed(ev, "missing", &v));
	/* v1 memory.oom_control of a kernel before 4.13: no oom_kill line. */
	assert_false(cg_parse_keyed("oom_kill_disable 0\nunder_oom 1\n", "oom_kill", &v));
	assert_true(cg_parse_keyed("oom_kill_disable 0\nunder_oom 1", "under_oom", &v));
	assert_int_equal(v, 1);
	assert_true(cg_parse_keyed("usage_usec 123456789012\nuser_usec 1\n", "usage_usec", &v));
	assert_int_equal(v, 123456789012ULL);
	assert_false(cg_parse_keyed("", "x", &v));
}

static void test_list(void **state)
{
	assert_true(cg_list_has("cpuset cpu io memory pids\n", "cpu"));
	assert_true(cg_list_has("cpuset cpu io memory pids\n", "pids"));
	assert_true(cg_list_has("memory", "memory"));
	assert_false(cg_list_has("cpuset io", "cpu"));
	assert_false(cg_list_has("", "cpu"));
	assert_false(cg_list_has("\n", "cpu"));
}

static void test_self(void **state)
{
	char *p = cg2_parse_self("12:memory:/x\n1:name=systemd:/user.slice\n0::/user.slice/user-1000.slice/"
				 "user@1000.service/app.slice/a.scope\n");
	assert_string_equal(p, "/user.slice/user-1000.slice/user@1000.service/app.slice/a.scope");
	free(p);
	p = cg2_parse_self("0::/\n");
	assert_string_equal(p, "/");
	free(p);
	assert_null(cg2_parse_self("0::/../../outside\n"));
	assert_null(cg2_parse_self("4:memory:/x\n"));
	assert_null(cg2_parse_self(""));
}

static void test_ids(void **state)
{
	assert_true(cg_is_valid_id("3f2a9c81d0e4"));
	assert_true(cg_is_valid_id("my_container-1.2"));
	assert_false(cg_is_valid_id(""));
	assert_false(cg_is_valid_id(NULL));
	assert_false(cg_is_valid_id("."));
	assert_false(cg_is_valid_id(".."));
	assert_false(cg_is_valid_id("../x"));
	assert_false(cg_is_valid_id("a/b"));
	assert_false(cg_is_valid_id("a b"));
	assert_false(cg_is_valid_id("a\nb"));
}

static void test_weight(void **state)
{
	assert_int_equal(pd_cg_shares_to_weight(2), 1);
	assert_int_equal(pd_cg_shares_to_weight(1024), 39);
	assert_int_equal(pd_cg_shares_to_weight(262144), 10000);
	assert_int_equal(pd_cg_shares_to_weight(0), 1);
	assert_int_equal(pd_cg_shares_to_weight(1000000), 10000);
}

static void check_limits(const struct pd_limits *l, bool ok)
{
	struct pd_err *e = NULL;
	int r = pd_cg_check_limits(l, &e);
	if (ok) {
		assert_int_equal(r, 0);
		assert_null(e);
	} else {
		assert_int_equal(r, -1);
		assert_non_null(e);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		pd_err_free(e);
	}
}

static void test_limits(void **state)
{
	check_limits(NULL, true);
	check_limits(&(struct pd_limits){ 0 }, true);
	check_limits(&(struct pd_limits){ .memory = 50 << 20, .memory_swap = 100 << 20 }, true);
	check_limits(&(struct pd_limits){ .memory = 50 << 20, .memory_swap = 50 << 20 }, true);
	check_limits(&(struct pd_limits){ .memory = 50 << 20, .memory_swap = -1 }, true);
	check_limits(&(struct pd_limits){ .memory_swap = 100 << 20 }, false);
	check_limits(&(struct pd_limits){ .memory = 50 << 20, .memory_swap = 10 << 20 }, false);
	check_limits(&(struct pd_limits){ .memory = 50 << 20, .memory_swap = -2 }, false);
	check_limits(&(struct pd_limits){ .cpu_quota_us = 50000, .cpu_period_us = 100000 }, true);
	check_limits(&(struct pd_limits){ .cpu_quota_us = 50000 }, false);
	check_limits(&(struct pd_limits){ .cpu_shares = 1 }, false);
	check_limits(&(struct pd_limits){ .cpu_shares = 512 }, true);
	check_limits(&(struct pd_limits){ .cpuset_cpus = "" }, false);
	check_limits(&(struct pd_limits){ .cpuset_cpus = "0-1" }, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo), cmocka_unit_test(test_keyed), cmocka_unit_test(test_list),
		cmocka_unit_test(test_self),	  cmocka_unit_test(test_ids),	cmocka_unit_test(test_weight),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
