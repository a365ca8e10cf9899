/* Unit tests for core/oci: a decoded config.json mapped onto struct
 * pd_config.  The documents of `runc spec` and `runc spec --rootless`
 * (tests/unit/data/oci/) map; each field this phase cannot honour is
 * refused with an error naming it; a config printed as a spec
 * (core/spec.c) comes back the same.  Pure logic; no root, no network. */
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci-fixture.h"

#include "core/config.h"
#include "core/oci.h"
#include "core/spec.h"
#include "linux/seccomp.h"
#include "oci/spec.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define BIT(c) (UINT64_C(1) << (c))

static const uint64_t runc_caps = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);

/* A fixture's text (its length is not needed here). */
static char *fixture(const char *name)
{
	size_t len;
	return read_fixture(name, &len);
}

/* Set the dotted `path` of `doc` to the JSON `value` (NULL: delete it). */
static void patch(json_t *doc, const char *path, const char *value)
{
	_cleanup_free_ char *p = xstrdup(path);
	json_t *o = doc;
	char *save = NULL, *key = strtok_r(p, ".", &save), *next;
	while ((next = strtok_r(NULL, ".", &save))) {
		json_t *child = json_object_get(o, key);
		if (!child) {
			child = json_object();
			json_object_set_new(o, key, child);
		}
		o = child;
		key = next;
	}
	if (!value) {
		json_object_del(o, key);
		return;
	}
	json_error_t jerr;
	json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
	if (!v)
		fail_msg("bad test value '%s': %s", value, jerr.text);
	json_object_set_new(o, key, v);
}

/* Map the JSON text; the return of pd_config_from_oci, *err on failure. */
static int map_text(const char *text, struct pd_config *c, struct pd_err **err)
{
	struct pd_oci_spec s;
	if (pd_oci_spec_parse(text, strlen(text), &s, err) < 0)
		fail_msg("the test document does not decode: %s", (*err)->msg);
	int r = pd_config_from_oci(&s, "/tmp", c, err);
	pd_oci_spec_free(&s);
	return r;
}

static int map_doc(json_t *doc, struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
	return map_text(text, c, err);
}

/* runc's document as `runc spec` writes it. */
static json_t *runc_doc(bool rootless)
{
	_cleanup_free_ char *text = fixture(rootless ? "runc-spec-rootless.json" : "runc-spec.json");
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	return doc;
}

static void test_runc_spec_maps(void **state)
{
	json_t *doc = runc_doc(false);
	struct pd_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = map_doc(doc, &c, &err);
	json_decref(doc);
	if (r < 0)
		fail_msg("runc spec: %s", err->msg);
	assert_string_equal(c.rootfs_arg, "/tmp/rootfs");
	assert_true(c.read_only);
	assert_string_equal(c.hostname, "runc");
	assert_string_equal(c.argv[0], "sh");
	assert_null(c.argv[1]);
	assert_string_equal(c.env[1], "TERM=xterm");
	assert_string_equal(c.workdir, "/");
	assert_string_equal(c.user, "0:0");
	assert_true(c.tty);
	assert_true(c.caps == runc_caps);
	assert_false(c.no_new_privs_off);
	assert_int_equal(c.n_mounts, 0);
	assert_int_equal(c.net.mode, PD_NET_DEFAULT);
	assert_string_equal(c.seccomp, "unconfined");
	assert_null(c.seccomp_json);
	assert_int_equal(c.limits.memory, 0);
	pd_config_free(&c);
}

/* The process fields beyond the engine's first ones: rlimits (runc's
 * RLIMIT_NOFILE), oomScoreAdj and additionalGids are carried over. */
static void test_process_limits_map(void **state)
{
	json_t *doc = runc_doc(false);
	patch(doc, "process.oomScoreAdj", "100");
	patch(doc, "process.user.additionalGids", "[5, 7]");
	struct pd_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = map_doc(doc, &c, &err);
	json_decref(doc);
	if (r < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(c.n_rlimits, 1);
	assert_int_equal(c.rlimits[0].type, RLIMIT_NOFILE);
	assert_int_equal(c.rlimits[0].soft, 1024);
	assert_int_equal(c.rlimits[0].hard, 1024);
	assert_true(c.has_oom_score_adj);
	assert_int_equal(c.oom_score_adj, 100);
	assert_int_equal(c.n_groups, 2);
	assert_int_equal(c.groups[1], 7);
	/* The record's codec keeps them. */
	_cleanup_free_ char *text = pd_config_encode(&c);
	struct pd_config back;
	assert_int_equal(pd_config_decode(text, &back, &err), 0);
	assert_int_equal(back.n_rlimits, 1);
	assert_int_equal(back.rlimits[0].soft, 1024);
	assert_int_equal(back.oom_score_adj, 100);
	assert_int_equal(back.n_groups, 2);
	pd_config_free(&back);
	pd_config_free(&c);
}

/* podman's and containerd's documents map as they are: their bind options
 * (nosuid, noexec, rprivate), tmpfs atime options, device rules and
 * cgroupsPath. */
static void test_client_documents_map(void **state)
{
	static const char *const names[] = { "podman-run.json", "containerd-ctr-run.json" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *text = fixture(names[i]);
		json_t *doc = json_loads(text, 0, NULL);
		assert_non_null(doc);
		/* Sources that exist here. */
		json_t *m;
		size_t k;
		json_array_foreach(json_object_get(doc, "mounts"), k,
				   m) if (!strcmp(json_string_value(json_object_get(m, "type")), "bind"))
		    json_object_set_new(m, "source", json_string("/etc/hostname"));
		struct pd_config c;
		_cleanup_err_ struct pd_err *err = NULL;
		int r = map_doc(doc, &c, &err);
		json_decref(doc);
		if (r < 0)
			fail_msg("%s: %s", names[i], err->msg);
		assert_non_null(c.cgroup_path);
		assert_true(c.n_rlimits >= 1);
		for (size_t n = 0; n < c.n_mounts; n++)
			if (c.mounts[n].type == PD_MOUNT_BIND && !strcmp(c.mounts[n].bind.dest, "/dev/shm"))
				assert_true(c.mounts[n].bind.nosuid && c.mounts[n].bind.noexec);
		pd_config_free(&c);
	}
}

/* The rootless document: a user namespace, which only a rootless run
 * takes (it makes its own mapping); the host's network; /sys bound. */
static void test_runc_spec_rootless(void **state)
{
	json_t *doc = runc_doc(true);
	struct pd_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = map_doc(doc, &c, &err);
	json_decref(doc);
	if (geteuid() == 0) {
		assert_int_equal(r, -1);
		assert_non_null(strstr(err->msg, "user namespace"));
	} else {
		if (r < 0)
			fail_msg("runc spec --rootless: %s", err->msg);
		assert_true(c.rootless);
		assert_int_equal(c.net.mode, PD_NET_HOST);
		assert_int_equal(c.n_mounts, 0);
	}
	pd_config_free(&c);
}

static void test_mounts_limits_seccomp(void **state)
{
	json_t *doc = runc_doc(false);
	json_t *mounts = json_object_get(doc, "mounts");
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:[s,s]}", "destination", "/data", "source",
						"/etc", "options", "rbind", "ro"));
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination", "/scratch",
						"type", "tmpfs", "source", "tmpfs", "options", "size=1m",
						"mode=700", "exec"));
	patch(doc, "linux.resources.memory", "{\"limit\": 67108864, \"swap\": 134217728}");
	patch(doc, "linux.resources.cpu",
	      "{\"quota\": 50000, \"period\": 100000, \"shares\": 512, \"cpus\": \"0\"}");
	patch(doc, "linux.resources.pids", "{\"limit\": 50}");
	patch(doc, "linux.seccomp",
	      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
	      " \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
	patch(doc, "hostname", NULL);
	struct pd_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = map_doc(doc, &c, &err);
	json_decref(doc);
	if (r < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(c.n_mounts, 2);
	assert_int_equal(c.mounts[0].type, PD_MOUNT_BIND);
	assert_string_equal(c.mounts[0].bind.src, "/etc");
	assert_string_equal(c.mounts[0].bind.dest, "/data");
	assert_true(c.mounts[0].bind.readonly);
	assert_int_equal(c.mounts[1].type, PD_MOUNT_TMPFS);
	assert_string_equal(c.mounts[1].tmpfs.dest, "/scratch");
	assert_int_equal(c.mounts[1].tmpfs.size, 1 << 20);
	assert_int_equal(c.mounts[1].tmpfs.mode, 0700);
	assert_true(c.mounts[1].tmpfs.exec);
	assert_int_equal(c.limits.memory, 64 << 20);
	assert_int_equal(c.limits.memory_swap, 128 << 20);
	assert_int_equal(c.limits.cpu_quota_us, 50000);
	assert_int_equal(c.limits.cpu_period_us, 100000);
	assert_int_equal(c.limits.cpu_shares, 512);
	assert_string_equal(c.limits.cpuset_cpus, "0");
	assert_int_equal(c.limits.pids_max, 50);
	/* No hostname: the host's, as the new UTS namespace starts with. */
	char host[HOST_NAME_MAX + 1] = "";
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(c.hostname, host);
	/* The spec's filter, compiled by the profile compiler. */
	assert_string_equal(c.seccomp, "oci");
	assert_non_null(c.seccomp_json);
	struct pd_seccomp *f = pd_seccomp_from_json(c.seccomp, c.seccomp_json, c.caps, &err);
	if (!f)
		fail_msg("seccomp: %s", err->msg);
	pd_seccomp_free(f);
	pd_config_free(&c);
}

/* podman's seccomp object (the spec's form, with its arches and
 * includes) compiles too. */
static void test_podman_seccomp_compiles(void **state)
{
	_cleanup_free_ char *text = fixture("podman-run.json");
	struct pd_oci_spec s;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_oci_spec_parse(text, strlen(text), &s, &err), 0);
	assert_true(s.linux_cfg.has_seccomp);
	struct pd_seccomp *f = pd_seccomp_from_json("oci", s.linux_cfg.seccomp.json, runc_caps, &err);
	if (!f)
		fail_msg("seccomp: %s", err->msg);
	pd_seccomp_free(f);
	pd_oci_spec_free(&s);
}

static const struct {
	const char *path, *value; /* value NULL: deleted */
	const char *want;	  /* in the error */
} refusals[] = {
	{ "process.apparmorProfile", "\"x\"", "process.apparmorProfile" },
	{ "process.selinuxLabel", "\"x\"", "process.selinuxLabel" },
	{ "process.capabilities.effective", "[\"CAP_KILL\"]", "for uid 0 the effective and permitted" },
	{ "process.capabilities.inheritable", "[\"CAP_KILL\"]", "process.capabilities.inheritable" },
	{ "process", NULL, "process: required" },
	{ "hooks", "{\"createContainer\": [{\"path\": \"/bin/true\"}]}", "hooks.createContainer" },
	{ "hooks", "{\"startContainer\": [{\"path\": \"/bin/true\"}]}", "hooks.startContainer" },
	{ "linux.sysctl", "{\"kernel.panic\": \"1\"}", "'kernel.panic' is not namespaced" },
	{ "linux.sysctl", "{\"net/../../x\": \"1\"}", "invalid key" },
	{ "linux.sysctl", "{\"kernel.shmmax\": \"1\\n2\"}", "holds a newline" },
	{ "linux.devices", "[{\"path\": \"/dev/p\", \"type\": \"p\"}]", "only character and block devices" },
	{ "linux.intelRdt", "{\"closID\": \"x\"}", "linux.intelRdt" },
	{ "linux.timeOffsets", "{\"monotonic\": {\"secs\": 1}}", "linux.timeOffsets" },
	{ "linux.mountLabel", "\"x\"", "linux.mountLabel" },
	{ "linux.rootfsPropagation", "\"shared\"", "linux.rootfsPropagation" },
	{ "linux.devices", "[{\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, \"minor\": 0}]",
	  "linux.devices[0] ('/dev/sda')" },
	{ "mounts",
	  "[{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"t\", \"options\": [\"tmpcopyup\"]}]",
	  "tmpcopyup" },
	{ "mounts",
	  "[{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/tmp\", \"options\": [\"rbind\", "
	  "\"rshared\"]}]",
	  "shared or unbindable propagation" },
	{ "linux.resources.memory", "{\"kernel\": 1048576}", "linux.resources.memory.kernel: not supported" },
	{ "linux.resources.blockIO", "{\"leafWeight\": 100}", "linux.resources.blockIO.leafWeight" },
	{ "linux.resources.blockIO", "{\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"leafWeight\": 10}]}",
	  "weightDevice[0].leafWeight" },
	{ "linux.resources.blockIO",
	  "{\"throttleReadBpsDevice\": [{\"major\": 4294967296, \"minor\": 0, \"rate\": 1}]}",
	  "throttleReadBpsDevice[0]: invalid device" },
	{ "linux.resources.network", "{\"classID\": 1}", "linux.resources.network: not supported" },
	{ "linux.resources.rdma", "{\"mlx5_0\": {\"hcaHandles\": 3}}",
	  "linux.resources.rdma: not supported" },
	{ "linux.namespaces",
	  "[{\"type\": \"pid\", \"path\": \"/proc/1/ns/pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},"
	  " {\"type\": \"mount\"}]",
	  "joining the pid namespace '/proc/1/ns/pid'" },
	{ "linux.namespaces", "[{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"mount\"}]",
	  "without its own uts namespace" },
	{ "linux.namespaces", "[{\"type\": \"uts\"}, {\"type\": \"ipc\"}, {\"type\": \"mount\"}]",
	  "without its own pid namespace" },
	{ "mounts", "[{\"destination\": \"/mnt\", \"type\": \"nfs\", \"source\": \"srv:/x\"}]",
	  "mounts[0] ('/mnt', type 'nfs')" },
	{ "mounts", "[{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"/etc\"}]",
	  "mounts[0] ('/proc'): only the runtime's own proc" },
	{ "mounts",
	  "[{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"t\", \"options\": [\"uid=5\"]}]",
	  "tmpfs option 'uid=5'" },
	{ "mounts", "[{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/no/such/dir\"}]",
	  "mounts[0] ('/d'): source '/no/such/dir'" },
	{ "linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x.sock\"}",
	  "linux.seccomp.listenerPath" },
	{ "linux.maskedPaths", "[\"/proc/kcore\", \"/sys/../etc\"]", "linux.maskedPaths '/sys/../etc'" },
	{ "linux.readonlyPaths", "[\"relative\"]", "linux.readonlyPaths 'relative'" },
};

static void test_refusals(void **state)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		json_t *doc = runc_doc(false);
		patch(doc, refusals[i].path, refusals[i].value);
		struct pd_config c;
		_cleanup_err_ struct pd_err *err = NULL;
		int r = map_doc(doc, &c, &err);
		json_decref(doc);
		pd_config_free(&c);
		if (r != -1)
			fail_msg("case %zu (%s): accepted", i, refusals[i].path);
		if (!strstr(err->msg, refusals[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, err->msg, refusals[i].want);
		assert_int_equal(err->kind, PD_ERR_USAGE);
	}
}

/* The resources only OCI configs set, as `update --resources` reads them:
 * each onto its field of pd_limits (which owns the copies). */
static void test_resources_map(void **state)
{
	static const char res[] =
	    "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swappiness\": 0,"
	    " \"kernelTCP\": 1048576, \"kernel\": -1, \"disableOOMKiller\": true},"
	    " \"cpu\": {\"quota\": 50000, \"period\": 100000, \"burst\": 20000, \"idle\": 0,"
	    " \"mems\": \"0\", \"realtimePeriod\": 1000000, \"realtimeRuntime\": -1},"
	    " \"blockIO\": {\"weight\": 300, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": "
	    "500},"
	    " {\"major\": 8, \"minor\": 16}],"
	    " \"throttleReadBpsDevice\": [{\"major\": 254, \"minor\": 0, \"rate\": 1048576}],"
	    " \"throttleWriteIOPSDevice\": [{\"major\": 254, \"minor\": 0, \"rate\": 100}]},"
	    " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
	    " \"unified\": {\"memory.high\": \"50000000\", \"pids.max\": \"20\"}}";
	struct pd_oci_resources r;
	struct pd_err *err = NULL;
	assert_int_equal(pd_oci_resources_parse(res, strlen(res), &r, &err), 0);
	struct pd_limits l = { 0 };
	int rc = pd_limits_from_oci(&r, &l, &err);
	pd_oci_resources_free(&r);
	if (rc < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(l.memory, 67108864);
	assert_int_equal(l.memory_reservation, 33554432);
	assert_true(l.has_swappiness);
	assert_int_equal(l.swappiness, 0);
	assert_int_equal(l.kernel_tcp, 1048576);
	assert_true(l.disable_oom_killer);
	assert_true(l.has_cpu_burst);
	assert_int_equal(l.cpu_burst_us, 20000);
	assert_true(l.has_cpu_idle);
	assert_int_equal(l.cpu_idle, 0);
	assert_string_equal(l.cpuset_mems, "0");
	assert_int_equal(l.cpu_rt_period_us, 1000000);
	assert_true(l.has_cpu_rt_runtime);
	assert_int_equal(l.cpu_rt_runtime_us, -1);
	assert_int_equal(l.blkio_weight, 300);
	/* The weightDevice entry without a weight sets nothing. */
	assert_int_equal(l.n_blkio_devs, 3);
	assert_int_equal(l.blkio_devs[0].kind, PD_BLKIO_WEIGHT);
	assert_int_equal(l.blkio_devs[0].major, 8);
	assert_int_equal(l.blkio_devs[0].value, 500);
	assert_int_equal(l.blkio_devs[1].kind, PD_BLKIO_READ_BPS);
	assert_int_equal(l.blkio_devs[1].major, 254);
	assert_int_equal(l.blkio_devs[1].value, 1048576);
	assert_int_equal(l.blkio_devs[2].kind, PD_BLKIO_WRITE_IOPS);
	assert_int_equal(l.blkio_devs[2].value, 100);
	assert_int_equal(l.n_hugepages, 1);
	assert_string_equal(l.hugepages[0].size, "2MB");
	assert_int_equal(l.hugepages[0].limit, 4194304);
	assert_int_equal(l.n_unified, 2);
	assert_string_equal(l.unified[0].key, "memory.high");
	assert_string_equal(l.unified[1].value, "20");
	assert_int_equal(pd_cg_check_limits(&l, &err), 0);
	pd_limits_free(&l);
	assert_null(l.unified);
	assert_int_equal(l.n_blkio_devs, 0);

	/* Absent fields stay unset (0 is a value for swappiness, idle, burst). */
	static const char empty[] = "{\"memory\": {\"limit\": 1048576}}";
	assert_int_equal(pd_oci_resources_parse(empty, strlen(empty), &r, &err), 0);
	assert_int_equal(pd_limits_from_oci(&r, &l, &err), 0);
	pd_oci_resources_free(&r);
	assert_false(l.has_swappiness || l.has_cpu_idle || l.has_cpu_burst || l.has_cpu_rt_runtime);
	assert_int_equal(l.memory_reservation, 0);
	pd_limits_free(&l);
}

/* Values no host takes: the checks of create and update refuse them. */
static void test_resources_checked(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"memory\": {\"limit\": 1048576, \"reservation\": 2097152}}",
		  "must not exceed the memory limit" },
		{ "{\"cpu\": {\"quota\": 10000, \"period\": 100000, \"burst\": 20000}}", "cpu.burst" },
		{ "{\"cpu\": {\"idle\": 2}}", "neither 0 nor 1" },
		{ "{\"cpu\": {\"idle\": 1, \"shares\": 512}}", "exclude each other" },
		{ "{\"blockIO\": {\"weight\": 5}}", "outside 10..1000" },
		{ "{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 2000}]}}",
		  "8:0: weight 2000" },
		{ "{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}", "invalid page size '2M'" },
		{ "{\"hugepageLimits\": [{\"pageSize\": \"../x\", \"limit\": 1}]}", "invalid page size" },
		{ "{\"unified\": {\"cgroup.procs\": \"1\"}}", "'cgroup.procs' is the runtime's" },
		{ "{\"unified\": {\"cgroup.subtree_control\": \"+cpu\"}}", "is the runtime's" },
		{ "{\"unified\": {\"cgroup.threads\": \"1\"}}", "is the runtime's" },
		{ "{\"unified\": {\"cgroup.kill\": \"1\"}}", "is the runtime's" },
		{ "{\"unified\": {\"../memory.max\": \"1\"}}", "not a plain file name" },
		{ "{\"unified\": {\"a/memory.max\": \"1\"}}", "not a plain file name" },
		{ "{\"unified\": {\"memory..max\": \"1\"}}", "not an interface file" },
		{ "{\"unified\": {\"memory\": \"1\"}}", "not an interface file" },
		{ "{\"unified\": {\"memory.max\": \"\"}}", "is empty" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_oci_resources r;
		struct pd_err *err = NULL;
		assert_int_equal(pd_oci_resources_parse(bad[i][0], strlen(bad[i][0]), &r, &err), 0);
		struct pd_limits l = { 0 };
		int rc = pd_limits_from_oci(&r, &l, &err);
		pd_oci_resources_free(&r);
		if (rc == 0)
			rc = pd_cg_check_limits(&l, &err);
		pd_limits_free(&l);
		if (rc != -1)
			fail_msg("case %zu accepted", i);
		if (!strstr(err->msg, bad[i][1]))
			fail_msg("case %zu: '%s' does not say '%s'", i, err->msg, bad[i][1]);
		assert_int_equal(err->kind, PD_ERR_USAGE);
		pd_err_free(err);
	}
	/* cgroup.max.depth and cgroup.max.descendants are limits too. */
	struct pd_cg_kv kv[] = { { "cgroup.max.depth", "3" }, { "cgroup.max.descendants", "10" } };
	struct pd_err *err = NULL;
	assert_int_equal(pd_cg_check_limits(&(struct pd_limits){ .unified = kv, .n_unified = 2 }, &err), 0);
}

/* Another user holds no effective capabilities: refused when the document
 * gives some, accepted (bounding only) when it does not. */
static void test_user_caps(void **state)
{
	json_t *doc = runc_doc(false);
	patch(doc, "process.user", "{\"uid\": 1000, \"gid\": 1001}");
	struct pd_config c;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(map_doc(doc, &c, &err), -1);
	assert_non_null(strstr(err->msg, "other than root"));
	pd_config_free(&c);
	pd_err_free(err);
	err = NULL;
	patch(doc, "process.capabilities", "{\"bounding\": [\"CAP_KILL\"]}");
	int r = map_doc(doc, &c, &err);
	json_decref(doc);
	if (r < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(c.user, "1000:1001");
	assert_true(c.caps == BIT(CAP_KILL));
	pd_config_free(&c);
}

/* pd_config -> spec -> decoded -> pd_config: the fields both carry come
 * back the same (the record's encoding compared whole). */
static void test_round_trip(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	c.rootfs_arg = xstrdup("/tmp");
	c.hostname = xstrdup("web");
	c.argv = xcalloc(3, sizeof(char *));
	c.argv[0] = xstrdup("/bin/sh");
	c.argv[1] = xstrdup("-c");
	c.env = xcalloc(3, sizeof(char *));
	c.env[0] = xstrdup("PATH=/bin");
	c.env[1] = xstrdup("A=1");
	c.workdir = xstrdup("/srv");
	c.user = xstrdup("1000:1001");
	c.read_only = true;
	c.caps &= ~BIT(CAP_NET_RAW);
	c.rootless = geteuid() != 0;
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	m.bind = (struct pd_volume){ .src = xstrdup("/etc"), .dest = xstrdup("/data"), .readonly = true };
	pd_config_add_mount(&c, &m);
	struct pd_mount t = { .type = PD_MOUNT_TMPFS };
	t.tmpfs = (struct pd_tmpfs){ .dest = xstrdup("/scratch"), .size = 1 << 20, .mode = 01777 };
	pd_config_add_mount(&c, &t);
	c.limits.memory = 64 << 20;
	c.limits.memory_swap = 128 << 20;
	c.limits.cpu_quota_us = 50000;
	c.limits.cpu_period_us = 100000;
	c.limits.cpu_shares = 512;
	c.limits.cpuset_cpus = xstrdup("0");
	c.limits.pids_max = 50;

	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *spec = pd_config_oci_spec(&c, &err);
	if (!spec)
		fail_msg("%s", err->msg);
	struct pd_config back;
	if (map_text(spec, &back, &err) < 0)
		fail_msg("%s", err->msg);
	_cleanup_free_ char *want = pd_config_encode(&c);
	_cleanup_free_ char *got = pd_config_encode(&back);
	assert_string_equal(got, want);

	/* With the host's network and a tty of a known size, too. */
	c.net.mode = PD_NET_HOST;
	c.tty = true;
	c.tty_rows = 40;
	c.tty_cols = 120;
	free(spec);
	spec = pd_config_oci_spec(&c, &err);
	assert_non_null(spec);
	pd_config_free(&back);
	if (map_text(spec, &back, &err) < 0)
		fail_msg("%s", err->msg);
	free(want);
	free(got);
	want = pd_config_encode(&c);
	got = pd_config_encode(&back);
	assert_string_equal(got, want);
	pd_config_free(&back);
	pd_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runc_spec_maps),
		cmocka_unit_test(test_process_limits_map),
		cmocka_unit_test(test_client_documents_map),
		cmocka_unit_test(test_runc_spec_rootless),
		cmocka_unit_test(test_mounts_limits_seccomp),
		cmocka_unit_test(test_podman_seccomp_compiles),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_resources_map),
		cmocka_unit_test(test_resources_checked),
		cmocka_unit_test(test_user_caps),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
