/* Unit tests of the cgroup module.  Pure logic first: mountinfo and cgroup
 * file parsing, id checks, limit checks, shares-to-weight, the OCI
 * cgroupsPath forms.  Then the module against the kernel, on real groups
 * the test makes below "pd-unit-<pid>" and removes: create/open/destroy at
 * a path, freeze, pids, signal_all, update.  Those need root and a cgroup
 * hierarchy; without them they are skipped, visibly.  On a hybrid host they
 * run twice: against the v1 back end, then against the v2 back end on the
 * host's cgroup2 (test_kernel_v2_on_hybrid); on a v2 host (the VM of
 * tests/vm/) against v2 with its controllers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

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

/* ------------------------------------------------------------------ */
/* OCI cgroupsPath                                                     */

static void oci_ok(const char *given, bool systemd, const char *want)
{
	struct pd_err *e = NULL;
	char *got = pd_cg_oci_path(given, systemd, "ctr1", &e);
	if (!got)
		fail_msg("'%s' refused: %s", given ? given : "(null)", e->msg);
	assert_null(e);
	assert_string_equal(got, want);
	free(got);
}

static void oci_bad(const char *given, bool systemd)
{
	struct pd_err *e = NULL;
	char *got = pd_cg_oci_path(given, systemd, "ctr1", &e);
	if (got)
		fail_msg("'%s' accepted as '%s'", given, got);
	assert_non_null(e);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	assert_null(strchr(e->msg, '\n'));
	assert_non_null(strstr(e->msg, "cgroupsPath"));
	pd_err_free(e);
}

static void test_oci_path_cgroupfs(void **state)
{
	oci_ok(NULL, false, "pocket-runc/ctr1");
	oci_ok("", false, "pocket-runc/ctr1");
	oci_ok("/libpod_parent/libpod-0123abcd", false, "libpod_parent/libpod-0123abcd");
	oci_ok("/pdtest/t1", false, "pdtest/t1");
	oci_ok("/one", false, "one");
	oci_ok("relative/x", false, "pocket-runc/relative/x");
	oci_ok("plain", false, "pocket-runc/plain");
	/* A ':' is a plain character in a cgroupfs name; one ':' or three
	 * is not the systemd form, nor two with a '/'. */
	oci_ok("/a:b:c", false, "a:b:c");
	oci_ok("a:b", false, "pocket-runc/a:b");
	oci_ok("a:b:c:d", false, "pocket-runc/a:b:c:d");
	oci_ok("/x/..a/b..", false, "x/..a/b..");
	oci_ok("/.hidden/x", false, ".hidden/x");

	oci_bad("/", false);
	oci_bad("//a", false);
	oci_bad("/a//b", false);
	oci_bad("/a/b/", false);
	oci_bad("a/", false);
	oci_bad("/..", false);
	oci_bad("/a/../b", false);
	oci_bad("../escape", false);
	oci_bad("a/..", false);
	oci_bad("/a/./b", false);
	oci_bad(".", false);
	oci_bad("/a\nb", false);
	oci_bad("/a\tb", false);
	oci_bad("/a\x7f", false);
	oci_bad("/a\x1b[31m", false);

	char *long_path = xmalloc(5000);
	memset(long_path, 'a', 4999);
	long_path[0] = '/';
	long_path[4999] = '\0';
	for (int i = 200; i < 4999; i += 200)
		long_path[i] = '/';
	oci_bad(long_path, false);
	/* 4096 bytes given is the limit; the result must fit in it too. */
	long_path[4096] = '\0';
	char *got = pd_cg_oci_path(long_path, false, "x", NULL);
	assert_non_null(got);
	assert_int_equal(strlen(got), 4095);
	free(got);
	long_path[4096] = 'a';
	long_path[4097] = '\0';
	oci_bad(long_path, false);
	oci_bad(long_path, true);
	long_path[4090] = '\0';
	oci_bad(long_path + 1, false); /* relative: "pocket-runc/" makes it 4101 */
	/* A component over NAME_MAX. */
	char comp[300];
	memset(comp, 'b', sizeof(comp) - 1);
	comp[0] = '/';
	comp[sizeof(comp) - 1] = '\0';
	oci_bad(comp, false);
	free(long_path);

	/* The default path needs an id that is one component. */
	struct pd_err *e = NULL;
	assert_null(pd_cg_oci_path(NULL, false, "", &e));
	assert_int_equal(e->kind, PD_ERR_USAGE);
	pd_err_free(e);
	e = NULL;
	assert_null(pd_cg_oci_path("", false, "../x", &e));
	pd_err_free(e);
	e = NULL;
	assert_null(pd_cg_oci_path(NULL, false, "..", &e));
	pd_err_free(e);
}

static void test_oci_path_systemd(void **state)
{
	oci_ok("system.slice:docker:1234", false, "system.slice/docker-1234.scope");
	oci_ok("machine.slice:libpod:abc", false, "machine.slice/libpod-abc.scope");
	oci_ok("machine.slice:libpod:abc", true, "machine.slice/libpod-abc.scope");
	oci_ok("user-1000.slice:p:n", false, "user.slice/user-1000.slice/p-n.scope");
	oci_ok("a-b-c.slice:p:n", false, "a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	oci_ok(":p:n", false, "system.slice/p-n.scope");
	oci_ok("-.slice:p:n", false, "p-n.scope");
	oci_ok("-:p:n", false, "p-n.scope");
	oci_ok("system.slice:p:sub.slice", false, "system.slice/sub.slice");
	oci_ok("system.slice:p:a-b.slice", false, "system.slice/a-b.slice");
	oci_ok("system.slice::n", false, "system.slice/-n.scope");
	oci_ok(NULL, true, "system.slice/pocket-runc-ctr1.scope");
	oci_ok("", true, "system.slice/pocket-runc-ctr1.scope");

	oci_bad("system:p:n", false);	       /* not a slice */
	oci_bad(".slice:p:n", false);	       /* no name before .slice */
	oci_bad("a--b.slice:p:n", false);      /* empty part */
	oci_bad("-a.slice:p:n", false);	       /* leading dash */
	oci_bad("a-.slice:p:n", false);	       /* trailing dash */
	oci_bad("system.slice:p:", false);     /* no name */
	oci_bad("system.slice:p:x\ny", false); /* control character */
	oci_bad("/a/b", true);		       /* systemd wants slice:prefix:name */
	oci_bad("a:b", true);
	oci_bad("a:b:c:d", true);
	oci_bad("a/b.slice:p:n", true);
	oci_bad("system.slice:p/q:n", true);
	oci_bad("system.slice:p:--.slice", false);
}

static void test_rel_problem(void **state)
{
	assert_null(cg_rel_problem("a"));
	assert_null(cg_rel_problem("pocket-docker/0123"));
	assert_non_null(cg_rel_problem(""));
	assert_non_null(cg_rel_problem(NULL));
	assert_non_null(cg_rel_problem("/a"));
	assert_non_null(cg_rel_problem("a/"));
	assert_non_null(cg_rel_problem("a//b"));
	assert_non_null(cg_rel_problem("a/../b"));
	assert_non_null(cg_rel_problem("./a"));
	assert_non_null(cg_rel_problem("a\rb"));
}

/* ------------------------------------------------------------------ */
/* against the kernel                                                  */

static char unit_base[32]; /* "pd-unit-<pid>" */

/* Skip (visibly, with the reason) unless groups can be made here. */
static bool kernel_ready(void)
{
	const char *why = NULL;
	if (geteuid() != 0)
		why = "needs root";
	else if (pd_cg_detect() == PD_CG_NONE)
		why = "no cgroup hierarchy at " CG_ROOT;
	if (why)
		print_message("[  SKIP    ] %s\n", why);
	return !why;
}

static char *rel_of(const char *leaf)
{
	return xasprintf("%s/%s", unit_base, leaf);
}

/* The directory of group `rel` in the hierarchy of `ctl` (v2: the one). */
static char *ctl_dir_of(const char *ctl, const char *rel)
{
	if (pd_cg_detect() == PD_CG_V2)
		return xasprintf(CG_ROOT "/%s", rel);
	char *mi = pd_read_file("/proc/self/mountinfo", NULL, NULL);
	struct cg1_hier **h = cg1_parse_mountinfo(mi);
	char *dir = NULL;
	for (size_t i = 0; h[i] && !dir; i++)
		if (cg1_hier_has(h[i], ctl))
			dir = xasprintf("%s/%s", h[i]->mountpoint, rel);
	cg1_hiers_free(h);
	free(mi);
	return dir;
}

/* Every place the group `rel` could be (v1: each hierarchy). */
static char **all_dirs_of(const char *rel)
{
	char **v = NULL;
	if (pd_cg_detect() == PD_CG_V2) {
		strv_push_take(&v, xasprintf(CG_ROOT "/%s", rel));
		return v;
	}
	char *mi = pd_read_file("/proc/self/mountinfo", NULL, NULL);
	struct cg1_hier **h = cg1_parse_mountinfo(mi);
	for (size_t i = 0; h[i]; i++)
		strv_push_take(&v, xasprintf("%s/%s", h[i]->mountpoint, rel));
	cg1_hiers_free(h);
	free(mi);
	return v;
}

static bool exists_anywhere(const char *rel)
{
	char **v = all_dirs_of(rel);
	bool any = false;
	for (size_t i = 0; v[i]; i++)
		any |= pd_is_dir(v[i]);
	strv_free(v);
	return any;
}

/* The test's own parent groups, removed bottom-up by the test. */
static void rmdir_all(const char *rel)
{
	char **v = all_dirs_of(rel);
	for (size_t i = 0; v[i]; i++)
		if (rmdir(v[i]) < 0 && errno != ENOENT)
			fail_msg("remove test group '%s': %s", v[i], strerror(errno));
	strv_free(v);
}

/* Whether limits of controller `ctl` can be set here (the cgroup2 of a
 * hybrid host offers none of those bound to v1). */
static bool have_ctl(const char *ctl)
{
	if (pd_cg_detect() == PD_CG_V2) {
		char *avail = pd_read_file(CG_ROOT "/cgroup.controllers", NULL, NULL);
		bool has = avail && cg_list_has(avail, ctl);
		free(avail);
		return has;
	}
	char *dir = ctl_dir_of(ctl, "");
	free(dir);
	return dir != NULL;
}

static uint64_t read_num(const char *ctl, const char *rel, const char *file)
{
	char *dir = ctl_dir_of(ctl, rel);
	assert_non_null(dir);
	uint64_t v = 0;
	struct pd_err *e = NULL;
	if (cg_read_u64(dir, file, &v, &e) < 0)
		fail_msg("%s", e->msg);
	free(dir);
	return v;
}

/* A child that dies with us: busy (spins) or idle (pauses). */
static pid_t spawn(bool busy)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (busy)
			for (;;)
				__asm__ volatile("");
		for (;;)
			pause();
	}
	return p;
}

static pid_t spawn_in(struct pd_cgroup *cg, bool busy)
{
	pid_t p = spawn(busy);
	struct pd_err *e = NULL;
	if (pd_cg_add_pid(cg, p, &e) < 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		fail_msg("%s", e->msg);
	}
	return p;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

/* Wait up to `ms` for `p` to end; its wait status, or -1 when it lives on. */
static int reap(pid_t p, int ms)
{
	for (int i = 0; i < ms; i++) {
		int st = 0;
		if (waitpid(p, &st, WNOHANG) == p)
			return st;
		sleep_ms(1);
	}
	return -1;
}

static void reap_killed(pid_t p, int sig)
{
	int st = reap(p, 3000);
	if (st == -1) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		fail_msg("pid %d did not end", (int)p);
	}
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), sig);
}

static uint64_t cpu_ns(pid_t p)
{
	clockid_t clk;
	struct timespec ts;
	assert_int_equal(clock_getcpuclockid(p, &clk), 0);
	assert_int_equal(clock_gettime(clk, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct pd_cgroup *make(const char *rel, const struct pd_limits *l)
{
	struct pd_err *e = NULL;
	struct pd_cgroup *cg = pd_cg_create_at(rel, l, false, &e);
	if (!cg)
		fail_msg("create '%s': %s", rel, e->msg);
	return cg;
}

static void destroy(struct pd_cgroup *cg, const char *rel)
{
	struct pd_err *e = NULL;
	if (pd_cg_destroy(cg, &e) < 0)
		fail_msg("destroy '%s': %s", rel, e->msg);
	assert_false(exists_anywhere(rel));
}

static void test_kernel_create_open(void **state)
{
	if (!kernel_ready())
		skip();
	char *mid = rel_of("a"), *rel = rel_of("a/b"), *none = rel_of("nope");
	bool has_pids = have_ctl("pids");
	struct pd_limits l = { .pids_max = has_pids ? 77 : 0 };
	struct pd_cgroup *cg = make(rel, &l);
	if (has_pids)
		assert_int_equal(read_num("pids", rel, "pids.max"), 77);
	/* Stats, ps and pause need these on v1 even without a limit. */
	if (pd_cg_detect() == PD_CG_V1) {
		static const char *const always[] = { "memory", "pids", "cpuacct", "freezer" };
		for (size_t i = 0; i < ARRAY_SIZE(always); i++) {
			char *d = ctl_dir_of(always[i], rel);
			if (d && !pd_is_dir(d))
				fail_msg("no %s group '%s'", always[i], d);
			free(d);
		}
	}
	pd_cg_free(cg);

	struct pd_err *e = NULL;
	struct pd_cgroup *again = pd_cg_open_at(rel, false, &e);
	if (!again)
		fail_msg("%s", e->msg);
	pid_t *pids = NULL;
	size_t n = 99;
	assert_int_equal(pd_cg_pids(again, &pids, &n, &e), 0);
	assert_int_equal(n, 0);
	free(pids);
	destroy(again, rel);
	/* The leaf only: the parent the create made stays. */
	char *mid_dir = ctl_dir_of("memory", mid);
	assert_true(pd_is_dir(mid_dir));
	free(mid_dir);

	assert_null(pd_cg_open_at(none, false, &e));
	assert_int_equal(e->errnum, ENOENT);
	pd_err_free(e);
	e = NULL;
	static const char *const bad[] = { "", "/abs", "a/../b", "a//b", "./a", "a\nb" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_null(pd_cg_create_at(bad[i], NULL, false, &e));
		assert_int_equal(e->kind, PD_ERR_USAGE);
		pd_err_free(e);
		e = NULL;
		assert_null(pd_cg_open_at(bad[i], false, &e));
		assert_int_equal(e->kind, PD_ERR_USAGE);
		pd_err_free(e);
		e = NULL;
	}
	rmdir_all(mid);
	free(mid);
	free(rel);
	free(none);
}

static void test_kernel_reuse(void **state)
{
	if (!kernel_ready())
		skip();
	char *rel = rel_of("reuse");
	/* An empty group left in place (as podman makes its parent) is
	 * taken over. */
	pd_cg_free(make(rel, NULL));
	struct pd_cgroup *cg = make(rel, NULL);
	pid_t p = spawn_in(cg, false);
	pd_cg_free(cg);
	/* One with a process is someone's: refused, and left as it was. */
	struct pd_err *e = NULL;
	assert_null(pd_cg_create_at(rel, NULL, false, &e));
	assert_int_equal(e->errnum, EEXIST);
	assert_non_null(strstr(e->msg, "holds processes"));
	pd_err_free(e);
	e = NULL;
	cg = pd_cg_open_at(rel, false, &e);
	assert_non_null(cg);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(pd_cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], p);
	free(pids);
	/* destroy kills what is left. */
	destroy(cg, rel);
	reap_killed(p, SIGKILL);
	free(rel);
}

static void test_kernel_freeze(void **state)
{
	if (!kernel_ready())
		skip();
	char *rel = rel_of("freeze");
	struct pd_cgroup *cg = make(rel, NULL);
	pid_t p = spawn_in(cg, true);
	struct pd_err *e = NULL;
	bool frozen = true;
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_false(frozen);
	sleep_ms(50);
	if (pd_cg_freeze(cg, true, &e) < 0)
		fail_msg("%s", e->msg);
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_true(frozen);
	uint64_t t0 = cpu_ns(p);
	sleep_ms(300);
	uint64_t t1 = cpu_ns(p);
	print_message("frozen: %" PRIu64 " ns of CPU in 300 ms\n", t1 - t0);
	assert_true(t1 - t0 < 1000000);
	/* Freezing twice is fine. */
	assert_int_equal(pd_cg_freeze(cg, true, &e), 0);
	assert_int_equal(pd_cg_freeze(cg, false, &e), 0);
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_false(frozen);
	sleep_ms(300);
	uint64_t t2 = cpu_ns(p);
	print_message("thawed: %" PRIu64 " ns of CPU in 300 ms\n", t2 - t1);
	assert_true(t2 - t1 > 50000000);
	kill(p, SIGKILL);
	reap_killed(p, SIGKILL);
	destroy(cg, rel);
	free(rel);
}

static int cmp_pid_t(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static void test_kernel_pids(void **state)
{
	if (!kernel_ready())
		skip();
	char *rel = rel_of("ps"), *sub = rel_of("ps/inner");
	struct pd_cgroup *cg = make(rel, NULL), *inner = make(sub, NULL);
	pid_t want[3] = { spawn_in(cg, false), spawn_in(inner, false), spawn_in(cg, false) };
	qsort(want, 3, sizeof(*want), cmp_pid_t);
	pid_t *pids = NULL;
	size_t n = 0;
	struct pd_err *e = NULL;
	assert_int_equal(pd_cg_pids(cg, &pids, &n, &e), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pids[i], want[i]);
	free(pids);
	assert_int_equal(pd_cg_pids(inner, &pids, &n, &e), 0);
	assert_int_equal(n, 1);
	free(pids);
	pd_cg_free(inner);
	/* The group and the one below it, with their processes. */
	destroy(cg, rel);
	for (size_t i = 0; i < 3; i++)
		reap_killed(want[i], SIGKILL);
	free(rel);
	free(sub);
}

static void test_kernel_signal_all(void **state)
{
	if (!kernel_ready())
		skip();
	char *rel = rel_of("kill");
	struct pd_cgroup *cg = make(rel, NULL);
	struct pd_err *e = NULL;
	assert_int_equal(pd_cg_signal_all(cg, SIGKILL, &e), 0); /* empty: nothing to do */
	assert_int_equal(pd_cg_signal_all(cg, 0, &e), -1);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	pd_err_free(e);
	e = NULL;

	pid_t a = spawn_in(cg, false), b = spawn_in(cg, true);
	assert_int_equal(pd_cg_signal_all(cg, SIGTERM, &e), 0);
	reap_killed(a, SIGTERM);
	reap_killed(b, SIGTERM);
	bool frozen = true;
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_false(frozen); /* frozen for the pass only */

	a = spawn_in(cg, false);
	b = spawn_in(cg, true);
	assert_int_equal(pd_cg_signal_all(cg, SIGKILL, &e), 0);
	reap_killed(a, SIGKILL);
	reap_killed(b, SIGKILL);

	/* A paused group: SIGTERM waits for the thaw, SIGKILL does not. */
	a = spawn_in(cg, false);
	b = spawn_in(cg, true);
	if (pd_cg_freeze(cg, true, &e) < 0)
		fail_msg("%s", e->msg);
	assert_int_equal(pd_cg_signal_all(cg, SIGTERM, &e), 0);
	if (pd_cg_detect() == PD_CG_V1) {
		assert_int_equal(reap(a, 200), -1);
	} else {
		/* The v2 freezer lets a fatal signal through at once. */
		reap_killed(a, SIGTERM);
		reap_killed(b, SIGTERM);
		a = spawn_in(cg, false);
		b = spawn_in(cg, true);
		if (pd_cg_freeze(cg, true, &e) < 0)
			fail_msg("%s", e->msg);
	}
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_true(frozen);
	assert_int_equal(pd_cg_signal_all(cg, SIGKILL, &e), 0);
	int sa = reap(a, 3000), sb = reap(b, 3000);
	assert_true(sa != -1 && sb != -1);
	assert_true(WIFSIGNALED(sa) && WIFSIGNALED(sb));
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_false(frozen);
	destroy(cg, rel);
	free(rel);
}

static void test_kernel_update(void **state)
{
	if (!kernel_ready())
		skip();
	bool v2 = pd_cg_detect() == PD_CG_V2;
	const char *mem_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	if (!have_ctl("memory") || !have_ctl("pids")) {
		print_message("[  SKIP    ] no memory or pids controller to update here\n");
		skip();
	}
	char *rel = rel_of("update");
	struct pd_cgroup *cg = make(rel, &(struct pd_limits){ .pids_max = 50 });
	struct pd_err *e = NULL;
	if (pd_cg_update(cg, &(struct pd_limits){ .memory = 64 << 20 }, &e) < 0)
		fail_msg("%s", e->msg);
	assert_int_equal(read_num("memory", rel, mem_file), 64 << 20);
	assert_int_equal(read_num("pids", rel, "pids.max"), 50); /* untouched */
	/* Up past the memory+swap of the first update (2 x 64 MiB on v1). */
	if (pd_cg_update(cg, &(struct pd_limits){ .memory = 256 << 20 }, &e) < 0)
		fail_msg("%s", e->msg);
	assert_int_equal(read_num("memory", rel, mem_file), 256 << 20);
	/* And down again. */
	if (pd_cg_update(cg, &(struct pd_limits){ .memory = 32 << 20, .pids_max = 9 }, &e) < 0)
		fail_msg("%s", e->msg);
	assert_int_equal(read_num("memory", rel, mem_file), 32 << 20);
	assert_int_equal(read_num("pids", rel, "pids.max"), 9);
	/* The checks of create, with its messages. */
	assert_int_equal(pd_cg_update(cg, &(struct pd_limits){ .memory_swap = 1 << 30 }, &e), -1);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	assert_non_null(strstr(e->msg, "--memory-swap needs --memory"));
	pd_err_free(e);
	e = NULL;
	assert_int_equal(read_num("memory", rel, mem_file), 32 << 20);
	assert_int_equal(pd_cg_update(cg, NULL, &e), 0);
	assert_int_equal(pd_cg_update(cg, &(struct pd_limits){ 0 }, &e), 0);
	/* v1: a hierarchy the group was made without is a clear refusal. */
	if (!v2) {
		assert_int_equal(pd_cg_update(cg, &(struct pd_limits){ .cpuset_cpus = "0" }, &e), -1);
		assert_int_equal(e->errnum, ENOTSUP);
		assert_non_null(strstr(e->msg, "cpuset"));
		pd_err_free(e);
		e = NULL;
	}
	destroy(cg, rel);
	free(rel);
}

static char *read_str(const char *ctl, const char *rel, const char *file)
{
	char *dir = ctl_dir_of(ctl, rel);
	assert_non_null(dir);
	struct pd_err *e = NULL;
	char *s = cg_read(dir, file, &e);
	if (!s)
		fail_msg("%s", e->msg);
	free(dir);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static void want_str(const char *ctl, const char *rel, const char *file, const char *want)
{
	char *got = read_str(ctl, rel, file);
	if (!strstr(got, want))
		fail_msg("%s: '%s', not '%s'", file, got, want);
	free(got);
}

/* "maj:min" of a block device of this machine, or false. */
static bool a_disk(char *buf, size_t len)
{
	static const char *const names[] = { "vda", "sda", "nvme0n1", "xvda", "zram0", "loop0" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("/sys/block/%s/dev", names[i]);
		char *s = pd_read_file(p, NULL, NULL);
		free(p);
		if (s) {
			snprintf(buf, len, "%.*s", (int)strcspn(s, "\n"), s);
			free(s);
			return true;
		}
	}
	return false;
}

/* Update `cg` with `l`; the refusal must say `want` (ENOTSUP). */
static void update_refused(struct pd_cgroup *cg, const struct pd_limits *l, const char *want)
{
	struct pd_err *e = NULL;
	if (pd_cg_update(cg, l, &e) == 0)
		fail_msg("accepted; wanted a refusal saying '%s'", want);
	if (!strstr(e->msg, want))
		fail_msg("'%s' does not say '%s'", e->msg, want);
	assert_int_equal(e->errnum, ENOTSUP);
	pd_err_free(e);
}

/* The limits only OCI configs set, on real groups: written by create, read
 * back, changed by update, and refused (by name, ENOTSUP) where this host's
 * hierarchy has no file for them. */
static void test_kernel_oci_limits(void **state)
{
	if (!kernel_ready())
		skip();
	bool v2 = pd_cg_detect() == PD_CG_V2;
	bool mem = have_ctl("memory"), cpu = have_ctl("cpu"), cpuset = have_ctl("cpuset");
	bool io = have_ctl(v2 ? "io" : "blkio"), huge = have_ctl("hugetlb"), pids = have_ctl("pids");
	char disk[32] = "";
	if (io && !a_disk(disk, sizeof(disk)))
		io = false;
	unsigned maj = 0, mnr = 0;
	sscanf(disk, "%u:%u", &maj, &mnr);
	bool huge2m = huge && pd_is_dir("/sys/kernel/mm/hugepages/hugepages-2048kB");
	print_message("# %s: memory %d cpu %d cpuset %d io %d hugetlb(2MB) %d\n", v2 ? "v2" : "v1", mem, cpu,
		      cpuset, io, huge2m);
	struct pd_blkio_dev devs[] = { { PD_BLKIO_READ_BPS, maj, mnr, 1048576 },
				       { PD_BLKIO_WRITE_IOPS, maj, mnr, 120 } };
	struct pd_hugepage_limit hp[] = { { "2MB", 4 << 21 } };
	struct pd_cg_kv uni[] = { { "pids.max", "33" } };
	struct pd_limits l = {
		.memory = mem ? 64 << 20 : 0,
		.memory_reservation = mem ? 32 << 20 : 0,
		.kernel_tcp = mem && !v2 ? 16 << 20 : 0,
		.has_swappiness = mem && !v2,
		.swappiness = 10,
		.disable_oom_killer = mem && !v2,
		.cpu_quota_us = cpu ? 50000 : 0,
		.cpu_period_us = cpu ? 100000 : 0,
		.has_cpu_burst = cpu,
		.cpu_burst_us = 20000,
		.has_cpu_idle = cpu,
		.cpu_idle = 1,
		.cpuset_mems = cpuset ? "0" : NULL,
		.blkio_devs = io ? devs : NULL,
		.n_blkio_devs = io ? 2 : 0,
		.hugepages = huge2m ? hp : NULL,
		.n_hugepages = huge2m ? 1 : 0,
		.unified = v2 && pids ? uni : NULL,
		.n_unified = v2 && pids ? 1 : 0,
	};
	char *rel = rel_of("oci");
	struct pd_cgroup *cg = make(rel, &l);
	char want[96];
	if (mem) {
		want_str("memory", rel, v2 ? "memory.low" : "memory.soft_limit_in_bytes", "33554432");
		if (!v2) {
			want_str("memory", rel, "memory.kmem.tcp.limit_in_bytes", "16777216");
			want_str("memory", rel, "memory.swappiness", "10");
			char *oc = read_str("memory", rel, "memory.oom_control");
			free(oc);
			char *dir = ctl_dir_of("memory", rel),
			     *text = cg_read(dir, "memory.oom_control", NULL);
			uint64_t off = 0;
			assert_true(cg_parse_keyed(text, "oom_kill_disable", &off));
			assert_int_equal(off, 1);
			free(text);
			free(dir);
		}
	}
	if (cpu) {
		want_str("cpu", rel, v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", "20000");
		want_str("cpu", rel, "cpu.idle", "1");
	}
	if (cpuset)
		want_str("cpuset", rel, "cpuset.mems", "0");
	if (io && v2) {
		snprintf(want, sizeof(want), "%s rbps=1048576 wbps=max riops=max wiops=120", disk);
		want_str("io", rel, "io.max", want);
	} else if (io) {
		snprintf(want, sizeof(want), "%s 1048576", disk);
		want_str("blkio", rel, "blkio.throttle.read_bps_device", want);
		snprintf(want, sizeof(want), "%s 120", disk);
		want_str("blkio", rel, "blkio.throttle.write_iops_device", want);
	}
	if (huge2m)
		assert_int_equal(
		    read_num("hugetlb", rel, v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes"), 4 << 21);
	if (v2 && pids)
		assert_int_equal(read_num("pids", rel, "pids.max"), 33);

	/* Update: each changed, the others left as they are. */
	struct pd_blkio_dev devs2[] = { { PD_BLKIO_READ_BPS, maj, mnr, 0 } };
	struct pd_cg_kv uni2[] = { { "pids.max", "44" } };
	struct pd_limits u = {
		.memory_reservation = mem ? 16 << 20 : 0,
		.has_swappiness = mem && !v2,
		.swappiness = 0,
		.has_cpu_burst = cpu,
		.cpu_burst_us = 0,
		.has_cpu_idle = cpu,
		.cpu_idle = 0,
		.blkio_devs = io ? devs2 : NULL,
		.n_blkio_devs = io ? 1 : 0,
		.unified = v2 && pids ? uni2 : NULL,
		.n_unified = v2 && pids ? 1 : 0,
	};
	struct pd_err *e = NULL;
	if (pd_cg_update(cg, &u, &e) < 0)
		fail_msg("update: %s", e->msg);
	if (mem)
		want_str("memory", rel, v2 ? "memory.low" : "memory.soft_limit_in_bytes", "16777216");
	if (mem && !v2)
		want_str("memory", rel, "memory.swappiness", "0");
	if (cpu) {
		want_str("cpu", rel, v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", "0");
		want_str("cpu", rel, "cpu.idle", "0");
		want_str("cpu", rel, v2 ? "cpu.max" : "cpu.cfs_quota_us", "50000");
	}
	if (io && v2) {
		snprintf(want, sizeof(want), "%s rbps=max wbps=max riops=max wiops=120", disk);
		want_str("io", rel, "io.max", want);
	} else if (io) {
		char *got = read_str("blkio", rel, "blkio.throttle.read_bps_device");
		assert_string_equal(got, "");
		free(got);
	}
	if (v2 && pids)
		assert_int_equal(read_num("pids", rel, "pids.max"), 44);

	/* What this host cannot honour: refused by name, with the reason. */
	if (v2) {
		update_refused(cg, &(struct pd_limits){ .has_swappiness = true, .swappiness = 5 },
			       "memory.swappiness cannot be honoured on cgroup v2");
		update_refused(cg, &(struct pd_limits){ .disable_oom_killer = true },
			       "memory.disableOOMKiller cannot be honoured on cgroup v2");
		update_refused(cg, &(struct pd_limits){ .kernel_tcp = 1 << 20 }, "memory.kernelTCP");
		update_refused(cg, &(struct pd_limits){ .has_cpu_rt_runtime = true },
			       "CONFIG_RT_GROUP_SCHED");
		struct pd_cg_kv nofile[] = { { "nosuch.file", "1" } };
		update_refused(cg, &(struct pd_limits){ .unified = nofile, .n_unified = 1 },
			       "unified 'nosuch.file'");
	} else {
		update_refused(cg, &(struct pd_limits){ .unified = uni, .n_unified = 1 },
			       "unified needs a cgroup v2 host");
		if (!huge) {
			char *r2 = rel_of("huge");
			assert_null(pd_cg_create_at(
			    r2, &(struct pd_limits){ .hugepages = hp, .n_hugepages = 1 }, false, &e));
			assert_non_null(strstr(e->msg, "hugepageLimits needs the hugetlb cgroup controller"));
			assert_int_equal(e->errnum, ENOTSUP);
			pd_err_free(e);
			e = NULL;
			assert_false(exists_anywhere(r2));
			free(r2);
		}
		char *bdir = io ? ctl_dir_of("blkio", rel) : NULL;
		if (bdir && !cg_file_exists(bdir, "blkio.weight") &&
		    !cg_file_exists(bdir, "blkio.bfq.weight"))
			update_refused(cg, &(struct pd_limits){ .blkio_weight = 500 },
				       "blockIO.weight cannot be honoured on this host");
		free(bdir);
		char *cdir = cpu ? ctl_dir_of("cpu", rel) : NULL;
		if (cdir && cg_file_exists(cdir, "cpu.rt_runtime_us")) {
			/* Period and a zero runtime need no budget; a runtime
			 * beyond the parents' budget is refused with why. */
			if (pd_cg_update(
				cg,
				&(struct pd_limits){ .cpu_rt_period_us = 500000, .has_cpu_rt_runtime = true },
				&e) < 0)
				fail_msg("realtime: %s", e->msg);
			want_str("cpu", rel, "cpu.rt_period_us", "500000");
			want_str("cpu", rel, "cpu.rt_runtime_us", "0");
			assert_int_equal(pd_cg_update(cg,
						      &(struct pd_limits){ .has_cpu_rt_runtime = true,
									   .cpu_rt_runtime_us = 1000 },
						      &e),
					 -1);
			assert_non_null(strstr(e->msg, "realtime budget"));
			pd_err_free(e);
			e = NULL;
		}
		free(cdir);
	}
	destroy(cg, rel);
	free(rel);

	/* v1: blkio and hugetlb are joined only when a limit needs them. */
	if (!v2 && io) {
		rel = rel_of("plain");
		cg = make(rel, &(struct pd_limits){ .pids_max = pids ? 10 : 0 });
		char *bdir = ctl_dir_of("blkio", rel);
		assert_false(pd_is_dir(bdir));
		free(bdir);
		update_refused(cg, &(struct pd_limits){ .blkio_devs = devs, .n_blkio_devs = 1 },
			       "made without the blkio controller");
		destroy(cg, rel);
		free(rel);
	}
}

/* `state`/`delete` from another process: only the path is shared. */
static void test_kernel_destroy_frozen(void **state)
{
	if (!kernel_ready())
		skip();
	char *rel = rel_of("delete");
	struct pd_cgroup *cg = make(rel, &(struct pd_limits){ .memory = have_ctl("memory") ? 64 << 20 : 0 });
	pid_t a = spawn_in(cg, true), b = spawn_in(cg, false);
	struct pd_err *e = NULL;
	if (pd_cg_freeze(cg, true, &e) < 0)
		fail_msg("%s", e->msg);
	pd_cg_free(cg);

	cg = pd_cg_open_at(rel, false, &e);
	assert_non_null(cg);
	bool frozen = false;
	assert_int_equal(pd_cg_is_frozen(cg, &frozen, &e), 0);
	assert_true(frozen);
	destroy(cg, rel);
	reap_killed(a, SIGKILL);
	reap_killed(b, SIGKILL);
	free(rel);
}

/* pd_cg_create/pd_cg_open are pd_cg_create_at/open_at of
 * pocket-docker/<id>. */
static void test_kernel_docker_path(void **state)
{
	if (!kernel_ready())
		skip();
	char id[48];
	snprintf(id, sizeof(id), "%s-docker", unit_base);
	char *rel = xasprintf(CG_PARENT "/%s", id);
	/* The runtime's parent group, per hierarchy: made for this test? */
	char **parents = all_dirs_of(CG_PARENT);
	bool had[16] = { 0 };
	for (size_t i = 0; parents[i] && i < ARRAY_SIZE(had); i++)
		had[i] = pd_is_dir(parents[i]);
	struct pd_err *e = NULL;
	bool pids = have_ctl("pids");
	struct pd_cgroup *cg = pd_cg_create(id, &(struct pd_limits){ .pids_max = pids ? 33 : 0 }, false, &e);
	if (!cg)
		fail_msg("%s", e->msg);
	assert_true(pd_is_dir(parents[0]));
	if (pids)
		assert_int_equal(read_num("pids", rel, "pids.max"), 33);
	pd_cg_free(cg);
	cg = pd_cg_open(id, false, &e);
	assert_non_null(cg);
	destroy(cg, rel);
	assert_null(pd_cg_create("../x", NULL, false, &e));
	assert_int_equal(e->errnum, EINVAL);
	pd_err_free(e);
	/* Those made for this test only; one in use meanwhile (not empty)
	 * stays. */
	for (size_t i = 0; parents[i] && i < ARRAY_SIZE(had); i++)
		if (!had[i])
			rmdir(parents[i]);
	strv_free(parents);
	free(rel);
}

/* The v2 back end on a v1/hybrid host: the kernel tests again, in a child
 * with a private mount namespace where /sys/fs/cgroup is the host's
 * cgroup2 (mounted at /sys/fs/cgroup/unified, holding no controller that
 * v1 has: the limits part skips there, freeze, pids, kill and removal run
 * for real).  Its output is shown as comments. */
static void test_kernel_v2_on_hybrid(void **state)
{
	if (!kernel_ready())
		skip();
	struct statfs sfs;
	if (pd_cg_detect() != PD_CG_V1 || statfs(CG_ROOT "/unified", &sfs) < 0 ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		print_message("[  SKIP    ] not a hybrid host (no cgroup2 at " CG_ROOT "/unified)\n");
		skip();
	}
	int pfd[2];
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(CG_ROOT "/unified", CG_ROOT, NULL, MS_BIND, NULL) < 0) {
			perror("a private view of cgroup2 at " CG_ROOT);
			_exit(2);
		}
		setenv("PD_UNIT_CGROUP_V2", "1", 1);
		execl("/proc/self/exe", "test_cgroup", (char *)NULL);
		perror("exec /proc/self/exe");
		_exit(3);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	assert_non_null(f);
	char line[512];
	int passed = 0;
	while (fgets(line, sizeof(line), f)) {
		print_message("# v2: %s", line);
		passed += strncmp(line, "ok ", 3) == 0 || strstr(line, "[       OK ]") != NULL;
	}
	fclose(f);
	int st = 0;
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(passed >= 5);
}

static int kernel_setup(void **state)
{
	snprintf(unit_base, sizeof(unit_base), "pd-unit-%d", (int)getpid());
	return 0;
}

/* Everything the tests made is gone: only the empty base is left. */
static int kernel_teardown(void **state)
{
	if (geteuid() != 0 || pd_cg_detect() == PD_CG_NONE)
		return 0;
	char **v = all_dirs_of(unit_base);
	int r = 0;
	for (size_t i = 0; v[i]; i++) {
		if (rmdir(v[i]) < 0 && errno != ENOENT) {
			fprintf(stderr, "test group '%s' left behind: %s\n", v[i], strerror(errno));
			r = -1;
		}
	}
	strv_free(v);
	return r;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_weight),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_oci_path_cgroupfs),
		cmocka_unit_test(test_oci_path_systemd),
		cmocka_unit_test(test_rel_problem),
	};
	const struct CMUnitTest kernel_tests[] = {
		cmocka_unit_test(test_kernel_create_open),    cmocka_unit_test(test_kernel_reuse),
		cmocka_unit_test(test_kernel_freeze),	      cmocka_unit_test(test_kernel_pids),
		cmocka_unit_test(test_kernel_signal_all),     cmocka_unit_test(test_kernel_update),
		cmocka_unit_test(test_kernel_destroy_frozen), cmocka_unit_test(test_kernel_docker_path),
		cmocka_unit_test(test_kernel_oci_limits),
	};
	const struct CMUnitTest hybrid_tests[] = {
		cmocka_unit_test(test_kernel_v2_on_hybrid),
	};
	/* The child of test_kernel_v2_on_hybrid. */
	if (getenv("PD_UNIT_CGROUP_V2")) {
		if (pd_cg_detect() != PD_CG_V2)
			return 2;
		return cmocka_run_group_tests(kernel_tests, kernel_setup, kernel_teardown);
	}
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	r |= cmocka_run_group_tests(kernel_tests, kernel_setup, kernel_teardown);
	return r | cmocka_run_group_tests(hybrid_tests, NULL, NULL);
}
