/* Unit tests for the container config of core/config.c, written to be read
 * as its documentation: what a fresh config holds, what `run` fills in
 * after the flags, how the config is stored in a container's record and
 * read back (whole, typed; records of older versions included), and which
 * --tmpfs, --device and --volume specs are taken.  No root, no network;
 * the device tests use /dev/null. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "image/manifest.h"
#include "linux/caps.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* A NULL-terminated string vector from its arguments. */
static char **strv_of(const char *first, ...)
{
	char **v = NULL;
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		strv_push(&v, s);
	va_end(ap);
	return v;
}

static void assert_strv_equal(char *const *a, char *const *b)
{
	assert_int_equal(strv_len(a), strv_len(b));
	for (size_t i = 0; a && a[i]; i++)
		assert_string_equal(a[i], b[i]);
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* A fresh config: Docker's capabilities, no_new_privs, no restart, the
 * default network, and the health-check timings used once a test is set. */
static void test_init_defaults(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	assert_int_equal(c.caps, caps_default_mask());
	assert_false(c.no_new_privs_off);
	assert_int_equal(c.restart, PD_RESTART_NO);
	assert_int_equal(c.net.mode, PD_NET_DEFAULT);
	assert_null(c.health.test);
	assert_int_equal(c.health.interval_ms, 30000);
	assert_int_equal(c.health.timeout_ms, 30000);
	assert_int_equal(c.health.start_period_ms, 0);
	assert_int_equal(c.health.retries, 3);
	assert_null(c.seccomp);
	assert_int_equal(c.n_mounts, 0);
	assert_int_equal(c.n_devices, 0);
	pd_config_free(&c);
}

/* After the flags: the hostname is the short id, and PATH, HOSTNAME (and
 * TERM with a tty) are set unless the user set them. */
static void test_defaults_after_flags(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	snprintf(c.id, sizeof(c.id), "%s",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	c.tty = true;
	pd_env_add(&c.env, "PATH=/mine", NULL);
	pd_config_defaults(&c);
	assert_string_equal(c.hostname, "0123456789ab");
	assert_string_equal(pd_env_get(c.env, "PATH"), "/mine");
	assert_string_equal(pd_env_get(c.env, "HOSTNAME"), "0123456789ab");
	assert_string_equal(pd_env_get(c.env, "TERM"), "xterm");
	assert_int_equal(c.rootless, geteuid() != 0);
	pd_config_free(&c);

	/* A hostname given is kept. */
	pd_config_init(&c);
	snprintf(c.id, sizeof(c.id), "%s", "ffff");
	c.hostname = xstrdup("web");
	pd_config_defaults(&c);
	assert_string_equal(c.hostname, "web");
	assert_string_equal(pd_env_get(c.env, "HOSTNAME"), "web");
	assert_null(pd_env_get(c.env, "TERM"));
	pd_config_free(&c);
}

static void add_bind(struct pd_config *c, const char *src, const char *dest, bool ro)
{
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	m.bind = (struct pd_volume){ .src = xstrdup(src), .dest = xstrdup(dest), .readonly = ro };
	pd_config_add_mount(c, &m);
}

static void add_tmpfs(struct pd_config *c, const char *dest, uint64_t size, unsigned pct, unsigned mode,
		      bool exec)
{
	struct pd_mount m = { .type = PD_MOUNT_TMPFS };
	m.tmpfs = (struct pd_tmpfs){
		.dest = xstrdup(dest), .size = size, .size_pct = pct, .mode = mode, .exec = exec
	};
	pd_config_add_mount(c, &m);
}

static void add_device(struct pd_config *c, const char *host, const char *dest, const char *perms)
{
	struct pd_device d = { .host = xstrdup(host), .dest = xstrdup(dest) };
	snprintf(d.perms, sizeof(d.perms), "%s", perms);
	pd_config_add_device(c, &d);
}

/* Every field set to something other than its default. */
static void populate(struct pd_config *c)
{
	pd_config_init(c);
	c->hostname = xstrdup("web");
	c->rootfs_arg = xstrdup("busybox:latest");
	c->image_id = xstrdup("sha256:0123");
	c->read_only = true;
	c->argv = strv_of("/bin/sh", "-c", "echo \"hi\"; sleep 1", NULL);
	c->env = strv_of("PATH=/bin", "A=b=c", "EMPTY=", NULL);
	c->workdir = xstrdup("/srv");
	c->user = xstrdup("1000:1000");
	c->tty = true;
	c->tty_rows = 50;
	c->tty_cols = 132;
	c->caps = (1ULL << 0) | (1ULL << 21) | (1ULL << 40);
	c->no_new_privs_off = true;
	c->interactive = true;
	c->init = true;
	c->stop_signal = xstrdup("SIGQUIT");
	add_bind(c, "/srv/data:with:colons", "/data", true);
	add_bind(c, "/srv/cache", "/cache", false);
	add_tmpfs(c, "/run", 1 << 20, 0, 0755, false);
	add_tmpfs(c, "/scratch", 0, 25, 01777, true);
	add_device(c, "/dev/null", "/dev/mynull", "rw");
	add_device(c, "/dev/zero", "/dev/zero", "rwm");
	c->limits = (struct pd_limits){
		.memory = 256ULL << 20,
		.memory_swap = -1,
		.cpu_quota_us = 50000,
		.cpu_period_us = 100000,
		.cpu_shares = 512,
		.pids_max = 100,
		.cpuset_cpus = xstrdup("0-1,3"),
	};
	c->seccomp = xstrdup("/etc/profile.json");
	c->seccomp_json = xstrdup("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
	c->privileged = false;
	c->rootless = true;
	assert_int_equal(pd_netcfg_set_mode(&c->net, "bridge", NULL), 0);
	assert_int_equal(pd_netcfg_add_port(&c->net, "127.0.0.1:8080:80", NULL), 0);
	assert_int_equal(pd_netcfg_add_port(&c->net, "5353:53/udp", NULL), 0);
	assert_int_equal(pd_netcfg_add_dns(&c->net, "1.1.1.1", NULL), 0);
	assert_int_equal(pd_netcfg_add_host(&c->net, "db:10.0.0.2", NULL), 0);
	c->remove = true;
	c->restart = PD_RESTART_ON_FAILURE;
	c->restart_max = 5;
	c->health.test = strv_of("/bin/sh", "-c", "test -f /ready", NULL);
	c->health.interval_ms = 1500;
	c->health.timeout_ms = 700;
	c->health.start_period_ms = 2000;
	c->health.retries = 7;
	c->health.restart_unhealthy = true;
	c->log_max_size = 10 << 20;
	c->log_max_file = 3;
	c->judge = (struct pd_judge){ .timeout_ms = 2000, .cpu_time_ms = 1500, .output_limit = 65536 };
	c->labels = strv_of("com.example.team=web", "empty=", "eq=a=b", NULL);
	c->rlimits = xcalloc(2, sizeof(*c->rlimits));
	c->rlimits[0] = (struct pd_rlimit){ .type = RLIMIT_NOFILE, .soft = 1024, .hard = 2048 };
	c->rlimits[1] =
	    (struct pd_rlimit){ .type = RLIMIT_CORE, .soft = RLIM_INFINITY, .hard = RLIM_INFINITY };
	c->n_rlimits = 2;
	c->has_oom_score_adj = true;
	c->oom_score_adj = -500;
	c->groups = xcalloc(2, sizeof(*c->groups));
	c->groups[0] = 10;
	c->groups[1] = 4294967294u;
	c->n_groups = 2;
	c->group_names = strv_of("audio", "video-1", NULL);
	c->sysctls = strv_of("net.ipv4.ip_forward=1", "kernel.shmmax=65536", NULL);
	c->cidfile = xstrdup("/tmp/cid");
	c->has_stop_timeout = true;
	c->stop_timeout = 42;
	c->shm_size = 128 << 20;
	c->limits.memory_reservation = 64 << 20;
}

static void assert_config_equal(const struct pd_config *a, const struct pd_config *b)
{
	assert_str_or_null_equal(a->hostname, b->hostname);
	assert_str_or_null_equal(a->rootfs_arg, b->rootfs_arg);
	assert_str_or_null_equal(a->image_id, b->image_id);
	assert_int_equal(a->read_only, b->read_only);
	assert_strv_equal(a->argv, b->argv);
	assert_strv_equal(a->env, b->env);
	assert_str_or_null_equal(a->workdir, b->workdir);
	assert_str_or_null_equal(a->user, b->user);
	assert_int_equal(a->tty, b->tty);
	assert_int_equal(a->tty_rows, b->tty_rows);
	assert_int_equal(a->tty_cols, b->tty_cols);
	assert_int_equal(a->caps, b->caps);
	assert_int_equal(a->no_new_privs_off, b->no_new_privs_off);
	assert_int_equal(a->interactive, b->interactive);
	assert_int_equal(a->init, b->init);
	assert_str_or_null_equal(a->stop_signal, b->stop_signal);
	assert_int_equal(a->n_mounts, b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct pd_mount *x = &a->mounts[i], *y = &b->mounts[i];
		assert_int_equal(x->type, y->type);
		if (x->type == PD_MOUNT_BIND) {
			assert_string_equal(x->bind.src, y->bind.src);
			assert_string_equal(x->bind.dest, y->bind.dest);
			assert_int_equal(x->bind.readonly, y->bind.readonly);
		} else {
			assert_string_equal(x->tmpfs.dest, y->tmpfs.dest);
			assert_int_equal(x->tmpfs.size, y->tmpfs.size);
			assert_int_equal(x->tmpfs.size_pct, y->tmpfs.size_pct);
			assert_int_equal(x->tmpfs.mode, y->tmpfs.mode);
			assert_int_equal(x->tmpfs.exec, y->tmpfs.exec);
		}
	}
	assert_int_equal(a->n_devices, b->n_devices);
	for (size_t i = 0; i < a->n_devices; i++) {
		assert_string_equal(a->devices[i].host, b->devices[i].host);
		assert_string_equal(a->devices[i].dest, b->devices[i].dest);
		assert_string_equal(a->devices[i].perms, b->devices[i].perms);
	}
	assert_int_equal(a->limits.memory, b->limits.memory);
	assert_int_equal(a->limits.memory_swap, b->limits.memory_swap);
	assert_int_equal(a->limits.cpu_quota_us, b->limits.cpu_quota_us);
	assert_int_equal(a->limits.cpu_period_us, b->limits.cpu_period_us);
	assert_int_equal(a->limits.cpu_shares, b->limits.cpu_shares);
	assert_int_equal(a->limits.pids_max, b->limits.pids_max);
	assert_str_or_null_equal(a->limits.cpuset_cpus, b->limits.cpuset_cpus);
	assert_str_or_null_equal(a->seccomp, b->seccomp);
	assert_str_or_null_equal(a->seccomp_json, b->seccomp_json);
	assert_int_equal(a->privileged, b->privileged);
	assert_int_equal(a->rootless, b->rootless);
	assert_int_equal(a->net.mode, b->net.mode);
	assert_int_equal(a->net.n_ports, b->net.n_ports);
	for (size_t i = 0; i < a->net.n_ports; i++)
		assert_memory_equal(&a->net.ports[i], &b->net.ports[i], sizeof(struct pd_port));
	assert_strv_equal(a->net.dns, b->net.dns);
	assert_strv_equal(a->net.add_hosts, b->net.add_hosts);
	assert_int_equal(a->remove, b->remove);
	assert_int_equal(a->restart, b->restart);
	assert_int_equal(a->restart_max, b->restart_max);
	assert_strv_equal(a->health.test, b->health.test);
	assert_int_equal(a->health.interval_ms, b->health.interval_ms);
	assert_int_equal(a->health.timeout_ms, b->health.timeout_ms);
	assert_int_equal(a->health.start_period_ms, b->health.start_period_ms);
	assert_int_equal(a->health.retries, b->health.retries);
	assert_int_equal(a->health.restart_unhealthy, b->health.restart_unhealthy);
	assert_int_equal(a->log_max_size, b->log_max_size);
	assert_int_equal(a->log_max_file, b->log_max_file);
	assert_int_equal(a->judge.timeout_ms, b->judge.timeout_ms);
	assert_int_equal(a->judge.cpu_time_ms, b->judge.cpu_time_ms);
	assert_int_equal(a->judge.output_limit, b->judge.output_limit);
	assert_strv_equal(a->labels, b->labels);
	assert_int_equal(a->n_rlimits, b->n_rlimits);
	for (size_t i = 0; i < a->n_rlimits; i++) {
		assert_int_equal(a->rlimits[i].type, b->rlimits[i].type);
		assert_int_equal(a->rlimits[i].soft, b->rlimits[i].soft);
		assert_int_equal(a->rlimits[i].hard, b->rlimits[i].hard);
	}
	assert_int_equal(a->has_oom_score_adj, b->has_oom_score_adj);
	assert_int_equal(a->oom_score_adj, b->oom_score_adj);
	assert_int_equal(a->n_groups, b->n_groups);
	for (size_t i = 0; i < a->n_groups; i++)
		assert_int_equal(a->groups[i], b->groups[i]);
	assert_strv_equal(a->group_names, b->group_names);
	assert_strv_equal(a->sysctls, b->sysctls);
	assert_str_or_null_equal(a->cidfile, b->cidfile);
	assert_int_equal(a->has_stop_timeout, b->has_stop_timeout);
	assert_int_equal(a->stop_timeout, b->stop_timeout);
	assert_int_equal(a->shm_size, b->shm_size);
	assert_int_equal(a->limits.memory_reservation, b->limits.memory_reservation);
}

/* Encoded into a record and decoded, a config comes back field for field;
 * encoding that again gives the same text. */
static void test_round_trip(void **state)
{
	struct pd_config a, b;
	populate(&a);
	_cleanup_free_ char *text = pd_config_encode(&a);
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_config_decode(text, &b, &e), 0);
	assert_null(e);
	assert_config_equal(&a, &b);
	_cleanup_free_ char *again = pd_config_encode(&b);
	assert_string_equal(text, again);
	pd_config_free(&a);
	pd_config_free(&b);

	/* An empty config too (what `exec` builds on). */
	pd_config_init(&a);
	_cleanup_free_ char *empty = pd_config_encode(&a);
	assert_int_equal(pd_config_decode(empty, &b, &e), 0);
	assert_int_equal(strv_len(b.argv), 0);
	assert_int_equal(b.caps, caps_default_mask());
	assert_null(b.seccomp);
	pd_config_free(&a);
	pd_config_free(&b);
}

/* The CPU quota is stored as Docker's NanoCpus and comes back exactly, for
 * --cpus's period and for any other up to the kernel's maximum (1 s). */
static void test_cpu_quota_exact(void **state)
{
	static const uint64_t periods[] = { 100000, 1000, 33333, 99999, 1000000 };
	static const uint64_t quotas[] = { 1000, 1001, 12345, 50000, 333333, 4096ULL * 1000000 };
	for (size_t i = 0; i < ARRAY_SIZE(periods); i++)
		for (size_t k = 0; k < ARRAY_SIZE(quotas); k++) {
			struct pd_config a, b;
			pd_config_init(&a);
			a.limits.cpu_period_us = periods[i];
			a.limits.cpu_quota_us = quotas[k];
			_cleanup_free_ char *text = pd_config_encode(&a);
			assert_int_equal(pd_config_decode(text, &b, NULL), 0);
			assert_int_equal(b.limits.cpu_quota_us, quotas[k]);
			assert_int_equal(b.limits.cpu_period_us, periods[i]);
			pd_config_free(&a);
			pd_config_free(&b);
		}
}

/* The record keeps the keys `inspect` shows, in Docker's names and shapes. */
static void test_record_keys(void **state)
{
	struct pd_config c;
	populate(&c);
	json_t *o = pd_config_json(&c);
	static const char *const keys[] = { "Cmd",
					    "Env",
					    "Binds",
					    "Hostname",
					    "WorkingDir",
					    "User",
					    "Image",
					    "AutoRemove",
					    "Init",
					    "OpenStdin",
					    "Tty",
					    "Rootless",
					    "RestartPolicy",
					    "Resources",
					    "SeccompProfile",
					    "CapMask",
					    "Privileged",
					    "ReadonlyRootfs",
					    "NoNewPrivileges",
					    "NetworkMode",
					    "LogConfig" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		assert_non_null(json_object_get(o, keys[i]));
	char *binds = json_dumps(json_object_get(o, "Binds"), JSON_COMPACT);
	assert_string_equal(binds, "[\"/srv/data:with:colons:/data:ro\",\"/srv/cache:/cache:rw\"]");
	free(binds);
	char *res = json_dumps(json_object_get(o, "Resources"), JSON_COMPACT);
	assert_string_equal(
	    res, "{\"Memory\":268435456,\"MemorySwap\":-1,\"NanoCpus\":500000000,\"PidsLimit\":100,"
		 "\"CpuShares\":512,\"CpuPeriod\":100000,\"CpusetCpus\":\"0-1,3\","
		 "\"MemoryReservation\":67108864}");
	free(res);
	/* Docker's shapes: Labels an object, GroupAdd strings, StopTimeout
	 * and ShmSize numbers. */
	char *labels = json_dumps(json_object_get(o, "Labels"), JSON_COMPACT);
	assert_string_equal(labels, "{\"com.example.team\":\"web\",\"empty\":\"\",\"eq\":\"a=b\"}");
	free(labels);
	char *groups = json_dumps(json_object_get(o, "GroupAdd"), JSON_COMPACT);
	assert_string_equal(groups, "[\"10\",\"4294967294\",\"audio\",\"video-1\"]");
	free(groups);
	assert_int_equal(json_integer_value(json_object_get(o, "StopTimeout")), 42);
	assert_int_equal(json_integer_value(json_object_get(o, "ShmSize")), 128 << 20);
	char *log = json_dumps(json_object_get(o, "LogConfig"), JSON_COMPACT);
	assert_string_equal(log,
			    "{\"Type\":\"k8s-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}}");
	free(log);
	json_decref(o);
	pd_config_free(&c);
}

/* A record written by the previous version (no Mounts, Devices,
 * Healthcheck, Publish...): what it has comes back, the rest is default. */
static void test_old_record(void **state)
{
	static const char old[] =
	    "{\"Cmd\":[\"true\"],\"Env\":[\"A=b\",\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
	    "sbin:/bin\","
	    "\"HOSTNAME=e8010a7c0a9d\"],\"Binds\":[\"/tmp/pdcfg-vol:/"
	    "data:ro\"],\"Hostname\":\"e8010a7c0a9d\","
	    "\"WorkingDir\":\"/tmp\",\"User\":\"1:1\",\"Image\":\"/work/"
	    "busybox-rootfs\",\"StopSignal\":\"QUIT\","
	    "\"AutoRemove\":false,\"Init\":false,\"OpenStdin\":false,\"Tty\":false,\"Rootless\":false,"
	    "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":2},\"Resources\":{\"Memory\":"
	    "67108864,"
	    "\"MemorySwap\":0,\"NanoCpus\":500000000,\"PidsLimit\":0,\"CpuShares\":0,\"CpuPeriod\":100000,"
	    "\"CpusetCpus\":\"\"},\"SeccompProfile\":\"default\",\"CapMask\":2818844155,\"Privileged\":false,"
	    "\"ReadonlyRootfs\":false,\"NoNewPrivileges\":true,\"NetworkMode\":\"default\",\"LogConfig\":{"
	    "\"Type\":"
	    "\"k8s-file\",\"Config\":{\"max-size\":\"1m\"}}}";
	struct pd_config c;
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_config_decode(old, &c, &e), 0);
	_cleanup_strv_ char **argv = strv_of("true", NULL);
	assert_strv_equal(c.argv, argv);
	assert_string_equal(pd_env_get(c.env, "A"), "b");
	assert_string_equal(c.hostname, "e8010a7c0a9d");
	assert_string_equal(c.workdir, "/tmp");
	assert_string_equal(c.user, "1:1");
	assert_string_equal(c.rootfs_arg, "/work/busybox-rootfs");
	assert_null(c.image_id);
	assert_string_equal(c.stop_signal, "QUIT");
	assert_int_equal(c.restart, PD_RESTART_ON_FAILURE);
	assert_int_equal(c.restart_max, 2);
	assert_int_equal(c.limits.memory, 64 << 20);
	assert_int_equal(c.limits.cpu_quota_us, 50000);
	assert_int_equal(c.limits.cpu_period_us, 100000);
	assert_null(c.limits.cpuset_cpus);
	assert_null(c.seccomp);
	assert_int_equal(c.caps, 2818844155ULL);
	assert_int_equal(c.log_max_size, 1 << 20);
	assert_int_equal(c.log_max_file, 0);
	/* Its binds come from Binds; tmpfs and devices were not recorded. */
	assert_int_equal(c.n_mounts, 1);
	assert_int_equal(c.mounts[0].type, PD_MOUNT_BIND);
	assert_string_equal(c.mounts[0].bind.src, "/tmp/pdcfg-vol");
	assert_string_equal(c.mounts[0].bind.dest, "/data");
	assert_true(c.mounts[0].bind.readonly);
	assert_int_equal(c.n_devices, 0);
	assert_null(c.health.test);
	assert_int_equal(c.net.n_ports, 0);
	pd_config_free(&c);

	/* Older still, with only the first keys: the rest is default. */
	assert_int_equal(pd_config_decode("{\"Cmd\":[\"sh\"],\"Env\":[],\"Binds\":[]}", &c, &e), 0);
	assert_int_equal(c.caps, caps_default_mask());
	assert_false(c.no_new_privs_off);
	assert_false(c.rootless);
	assert_null(c.seccomp);
	assert_int_equal(c.net.mode, PD_NET_DEFAULT);
	assert_int_equal(c.restart, PD_RESTART_NO);
	assert_int_equal(c.health.retries, 3);
	pd_config_free(&c);

	/* "unconfined", and a privileged container's profile, stay so. */
	assert_int_equal(pd_config_decode("{\"Privileged\":true,\"SeccompProfile\":\"unconfined\"}", &c, &e),
			 0);
	assert_true(c.privileged);
	assert_string_equal(c.seccomp, "unconfined");
	pd_config_free(&c);
}

/* Text that is no JSON object, or a key of the wrong type, is an error
 * (and the config can still be freed). */
static void test_bad_json(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"not json",
		"[]",
		"\"Cmd\"",
		"{\"Cmd\":\"true\"}",
		"{\"Cmd\":[1]}",
		"{\"Env\":3}",
		"{\"Tty\":\"yes\"}",
		"{\"CapMask\":-1}",
		"{\"Resources\":[]}",
		"{\"Resources\":{\"Memory\":-5}}",
		"{\"RestartPolicy\":{\"Name\":\"sometimes\"}}",
		"{\"NetworkMode\":\"over/lay\"}",
		"{\"Binds\":[\"/no-mode\"]}",
		"{\"Mounts\":[{\"Type\":\"nfs\",\"Target\":\"/x\"}]}",
		"{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"/x\"}]}",
		"{\"Devices\":[{\"PathOnHost\":\"/dev/null\"}]}",
		"{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/"
		"x\",\"CgroupPermissions\":\"rwx\"}]}",
		"{\"Healthcheck\":{\"Test\":[\"SOMETIMES\"]}}",
		"{\"Publish\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":70000,\"ContainerPort\":80,\"Protocol\":"
		"\"tcp\"}]}",
		"{\"ConsoleSize\":[24]}",
		"{\"Cmd\":[],\"Cmd\":[]}",
		"{\"Labels\":[\"a=b\"]}",
		"{\"Labels\":{\"a\":1}}",
		"{\"Labels\":{\"\":\"x\"}}",
		"{\"Labels\":{\"a=b\":\"x\"}}",
		"{\"StopTimeout\":-1}",
		"{\"ShmSize\":\"64m\"}",
		"{\"GroupAdd\":[\"bad name\"]}",
		"{\"Resources\":{\"MemoryReservation\":-2}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pd_config c;
		_cleanup_err_ struct pd_err *e = NULL;
		assert_int_equal(pd_config_decode(bad[i], &c, &e), -1);
		assert_non_null(e);
		assert_non_null(strstr(e->msg, "container config"));
		pd_config_free(&c);
	}
	struct pd_config c;
	assert_int_equal(pd_config_decode(NULL, &c, NULL), -1);
	pd_config_free(&c);
}

/* Health checks: Docker's CMD and CMD-SHELL forms, and NONE. */
static void test_healthcheck_forms(void **state)
{
	struct pd_config c;
	assert_int_equal(
	    pd_config_decode("{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl -f x\"],\"Interval\":"
			     "2000000000}}",
			     &c, NULL),
	    0);
	_cleanup_strv_ char **shell = strv_of("/bin/sh", "-c", "curl -f x", NULL);
	assert_strv_equal(c.health.test, shell);
	assert_int_equal(c.health.interval_ms, 2000);
	assert_int_equal(c.health.timeout_ms, 30000);
	pd_config_free(&c);
	assert_int_equal(pd_config_decode("{\"Healthcheck\":{\"Test\":[\"NONE\"]}}", &c, NULL), 0);
	assert_null(c.health.test);
	pd_config_free(&c);
}

/* 0 and the tmpfs when the spec is taken; otherwise a one-line usage error. */
static int tmpfs(const char *spec, struct pd_tmpfs *t)
{
	_cleanup_err_ struct pd_err *e = NULL;
	memset(t, 0, sizeof(*t));
	int r = pd_tmpfs_parse(spec, t, &e);
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		assert_null(strchr(e->msg, '\n'));
	}
	return r;
}

static void test_tmpfs_specs(void **state)
{
	struct pd_tmpfs t;
	/* Just a path: the kernel's default size, mode 1777, noexec. */
	assert_int_equal(tmpfs("/run", &t), 0);
	assert_string_equal(t.dest, "/run");
	assert_int_equal(t.size, 0);
	assert_int_equal(t.size_pct, 0);
	assert_int_equal(t.mode, 01777);
	assert_false(t.exec);
	free(t.dest);
	assert_int_equal(tmpfs("/run:size=1m", &t), 0);
	assert_int_equal(t.size, 1 << 20);
	free(t.dest);
	assert_int_equal(tmpfs("/cache:size=64k,mode=755,exec", &t), 0);
	assert_int_equal(t.size, 64 << 10);
	assert_int_equal(t.mode, 0755);
	assert_true(t.exec);
	free(t.dest);
	/* A share of the RAM, as the kernel takes it. */
	assert_int_equal(tmpfs("/big:size=50%", &t), 0);
	assert_int_equal(t.size_pct, 50);
	assert_int_equal(t.size, 0);
	free(t.dest);
	/* The defaults may be named; the last of exec and noexec wins. */
	assert_int_equal(tmpfs("/x:rw,nosuid,nodev,exec,noexec", &t), 0);
	assert_false(t.exec);
	free(t.dest);

	static const char *const bad[] = {
		"relative",  "/a/../b",	      "/x:bogus=1",  "/x:ro",	    "/x:mode=99",
		"/x:mode=",  "/x:mode=17777", "/x:mode=-1",  "/x:size=abc", "/x:size=",
		"/x:size=0", "/x:size=0%",    "/x:size=-1m", "/x:suid",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(tmpfs(bad[i], &t), -1);
}

/* 0 and the device when the spec is taken; otherwise a one-line usage error. */
static int device(const char *spec, struct pd_device *d)
{
	_cleanup_err_ struct pd_err *e = NULL;
	memset(d, 0, sizeof(*d));
	int r = pd_device_parse(spec, d, &e);
	if (r < 0) {
		assert_non_null(e);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		assert_null(strchr(e->msg, '\n'));
	}
	return r;
}

static void test_device_specs(void **state)
{
	static const struct {
		const char *spec, *host, *dest, *perms;
	} good[] = {
		{ "/dev/null", "/dev/null", "/dev/null", "rwm" },
		{ "/dev/null:/dev/mynull", "/dev/null", "/dev/mynull", "rwm" },
		{ "/dev/null:/dev/mynull:r", "/dev/null", "/dev/mynull", "r" },
		/* Docker's HOST:PERMS. */
		{ "/dev/null:rw", "/dev/null", "/dev/null", "rw" },
		{ "/dev/null:/dev/x:mwr", "/dev/null", "/dev/x", "mwr" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct pd_device d;
		assert_int_equal(device(good[i].spec, &d), 0);
		assert_string_equal(d.host, good[i].host);
		assert_string_equal(d.dest, good[i].dest);
		assert_string_equal(d.perms, good[i].perms);
		free(d.host);
		free(d.dest);
	}
	static const char *const bad[] = {
		"/etc/passwd",	/* not a device */
		"/nonexistent", /* not there */
		"",
		"/dev/null:relative", /* the destination must be absolute */
		"/dev/null:",
		"/dev/null:/a/../b",
		"/dev/null:/x:rwx", /* permissions are r, w, m */
		"/dev/null:/x:rr",
		"/dev/null:/x:",
		"/dev/null:/x:r:extra",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pd_device d;
		assert_int_equal(device(bad[i], &d), -1);
	}
}

static void test_volume_specs(void **state)
{
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	struct pd_volume v;
	_cleanup_err_ struct pd_err *e = NULL;
	/* A relative source names a volume, never a path under the current
	 * directory (as Docker); "." is no volume's name. */
	assert_int_equal(pd_volume_parse(".:/data", &v, &e), -1);
	pd_err_freep(&e);
	/* An absolute path alone is an anonymous volume there (Docker's). */
	assert_int_equal(pd_volume_parse(cwd, &v, &e), 0);
	assert_true(v.anonymous);
	assert_null(v.src);
	assert_null(v.name);
	assert_string_equal(v.dest, cwd);
	free(v.dest);
	/* An absolute source is kept resolved; rw unless :ro. */
	_cleanup_free_ char *spec = xasprintf("%s/.:/data", cwd);
	assert_int_equal(pd_volume_parse(spec, &v, &e), 0);
	char real[PATH_MAX];
	assert_non_null(realpath(cwd, real));
	assert_string_equal(v.src, real);
	assert_string_equal(v.dest, "/data");
	assert_false(v.readonly);
	free(v.src);
	free(v.dest);
	assert_int_equal(pd_volume_parse("/dev:/host-dev:ro", &v, &e), 0);
	assert_true(v.readonly);
	assert_false(v.create);
	free(v.src);
	free(v.dest);
	/* A missing host path: to be made by `run` (Docker's -v); the parse
	 * itself makes nothing. */
	assert_int_equal(pd_volume_parse("/nonexistent-pd-test/x:/x", &v, &e), 0);
	assert_true(v.create);
	assert_string_equal(v.src, "/nonexistent-pd-test/x");
	assert_int_equal(access("/nonexistent-pd-test", F_OK), -1);
	free(v.src);
	free(v.dest);
	static const char *const bad[] = {
		"dev",		 ":/x",	   "/dev:",	   "/dev:/x:rx",
		"/dev:relative", "/dev:/", "/dev:/a/../b", "/nonexistent/../x:/x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pd_err_freep(&e);
		assert_int_equal(pd_volume_parse(bad[i], &v, &e), -1);
		assert_int_equal(e->kind, PD_ERR_USAGE);
	}
}

/* The stop signal (--stop-signal, an image's StopSignal) and `kill -s`
 * name signals one way: a number, or a name with or without SIG, in any
 * case. */
/* --label KEY[=VALUE]: no '=' is an empty value, a later KEY replaces an
 * earlier one in place, an empty KEY is refused; the file form skips
 * comments and blank lines. */
static void test_label_specs(void **state)
{
	_cleanup_strv_ char **l = NULL;
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_label_add(&l, "a=1", &e), 0);
	assert_int_equal(pd_label_add(&l, "flag", &e), 0);
	assert_int_equal(pd_label_add(&l, "b=x=y", &e), 0);
	assert_int_equal(pd_label_add(&l, "a=2", &e), 0);
	assert_null(e);
	_cleanup_strv_ char **want = strv_of("a=2", "flag=", "b=x=y", NULL);
	assert_strv_equal(l, want);
	assert_string_equal(pd_label_get(l, "flag"), "");
	assert_string_equal(pd_label_get(l, "b"), "x=y");
	assert_null(pd_label_get(l, "fla"));
	assert_int_equal(pd_label_add(&l, "=v", &e), -1);
	assert_int_equal(e->kind, PD_ERR_USAGE);
	pd_err_freep(&e);

	char path[] = "/tmp/test_config_labels_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "# a comment\n\n  c=3\r\nd\n\t# indented comment\na=4\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(pd_label_add_file(&l, path, &e), 0);
	_cleanup_strv_ char **want2 = strv_of("a=4", "flag=", "b=x=y", "c=3", "d=", NULL);
	assert_strv_equal(l, want2);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write(fd, "ok=1\n=bad\n", 11), 11);
	close(fd);
	assert_int_equal(pd_label_add_file(&l, path, &e), -1);
	assert_non_null(strstr(e->msg, "line 2"));
	unlink(path);
}

/* --ulimit NAME=SOFT[:HARD]: Docker's names, -1 or unlimited, HARD
 * defaulting to SOFT, a later NAME replacing an earlier one. */
static void test_ulimit_specs(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_ulimit_parse(&c, "nofile=1024:2048", &e), 0);
	assert_int_equal(pd_ulimit_parse(&c, "core=-1", &e), 0);
	assert_int_equal(pd_ulimit_parse(&c, "nproc=10:unlimited", &e), 0);
	assert_int_equal(pd_ulimit_parse(&c, "nofile=512", &e), 0);
	assert_null(e);
	assert_int_equal(c.n_rlimits, 3);
	assert_int_equal(c.rlimits[0].type, RLIMIT_NOFILE);
	assert_int_equal(c.rlimits[0].soft, 512);
	assert_int_equal(c.rlimits[0].hard, 512);
	assert_int_equal(c.rlimits[1].type, RLIMIT_CORE);
	assert_true(c.rlimits[1].soft == RLIM_INFINITY && c.rlimits[1].hard == RLIM_INFINITY);
	assert_int_equal(c.rlimits[2].soft, 10);
	assert_true(c.rlimits[2].hard == RLIM_INFINITY);
	assert_string_equal(pd_rlimit_name(RLIMIT_MEMLOCK), "memlock");
	static const char *const bad[] = { "nofile",   "nofile=",    "=1",	  "bogus=1",   "nofile=1:2:3",
					   "nofile=x", "nofile=2:1", "nofile=-2", "nofile=1:", "NOFILE=1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(pd_ulimit_parse(&c, bad[i], &e), -1);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		pd_err_freep(&e);
	}
	assert_int_equal(c.n_rlimits, 3);
	pd_config_free(&c);
}

/* --platform: this host's, in Docker's spellings; nothing else. */
static void test_platform(void **state)
{
	const char *arch = pd_host_arch();
	const char *other = strcmp(arch, "arm64") ? "linux/arm64" : "linux/amd64";
	_cleanup_free_ char *full = xasprintf("linux/%s", arch);
	_cleanup_free_ char *upper = xasprintf("LINUX/%s", arch);
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_platform_check(full, &e), 0);
	assert_int_equal(pd_platform_check(upper, &e), 0);
	assert_int_equal(pd_platform_check(arch, &e), 0);
	assert_int_equal(pd_platform_check("linux", &e), 0);
	if (!strcmp(arch, "amd64")) {
		assert_int_equal(pd_platform_check("linux/x86_64", &e), 0);
		assert_int_equal(pd_platform_check("linux/amd64/v2", &e), -1);
		pd_err_freep(&e);
	}
	assert_null(e);
	static const char *bad_forms[] = { "", "linux/", "/amd64", "linux//v7", "a/b/c/d" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_forms); i++) {
		assert_int_equal(pd_platform_check(bad_forms[i], &e), -1);
		assert_non_null(strstr(e->msg, "want OS[/ARCH[/VARIANT]]"));
		pd_err_freep(&e);
	}
	const char *others[] = { other, "windows/amd64", "darwin", "s390" };
	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		assert_int_equal(pd_platform_check(others[i], &e), -1);
		assert_int_equal(e->kind, PD_ERR_USAGE);
		assert_non_null(strstr(e->msg, full));
		pd_err_freep(&e);
	}
}

/* --pid, --ipc and --uts: Docker's modes, each flag its own set. */
static void test_namespace_modes(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	assert_int_equal(c.pid_ns.mode, PD_NS_PRIVATE);
	assert_int_equal(pd_nsmode_parse("pid", "host", &c.pid_ns, NULL), 0);
	assert_int_equal(c.pid_ns.mode, PD_NS_HOST);
	assert_int_equal(pd_nsmode_parse("pid", "container:web_1", &c.pid_ns, NULL), 0);
	assert_int_equal(c.pid_ns.mode, PD_NS_CONTAINER);
	assert_string_equal(c.pid_ns.container, "web_1");
	static const char *const ipc_ok[] = { "", "private", "shareable", "none", "host", "container:db" };
	static const enum pd_ns_mode ipc_mode[] = { PD_NS_PRIVATE, PD_NS_PRIVATE, PD_NS_SHAREABLE,
						    PD_NS_NONE,	   PD_NS_HOST,	  PD_NS_CONTAINER };
	for (size_t i = 0; i < ARRAY_SIZE(ipc_ok); i++) {
		assert_int_equal(pd_nsmode_parse("ipc", ipc_ok[i], &c.ipc_ns, NULL), 0);
		assert_int_equal(c.ipc_ns.mode, ipc_mode[i]);
	}
	assert_int_equal(pd_nsmode_parse("uts", "host", &c.uts_ns, NULL), 0);
	static const char *const bad[][2] = {
		{ "pid", "shareable" },	    { "pid", "private" },	{ "pid", "container:" },
		{ "pid", "Host" },	    { "uts", "container:x" },	{ "uts", "none" },
		{ "ipc", "container:a b" }, { "ipc", "container:a\n" }, { "ipc", "hostx" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_err_ struct pd_err *err = NULL;
		struct pd_nsmode m = { 0 };
		if (pd_nsmode_parse(bad[i][0], bad[i][1], &m, &err) == 0)
			fail_msg("--%s '%s' was accepted", bad[i][0], bad[i][1]);
		assert_int_equal(err->kind, PD_ERR_USAGE);
		assert_non_null(strstr(err->msg, bad[i][0]));
	}
	/* What clone is asked for: none of the namespaces shared or joined. */
	int f = pd_config_clone_flags(&c);
	assert_int_equal(f & CLONE_NEWUTS, 0);
	assert_int_equal(f & CLONE_NEWIPC, 0); /* container:db */
	assert_int_equal(f & CLONE_NEWPID, 0); /* container:web_1 */
	assert_int_not_equal(f & CLONE_NEWNS, 0);
	assert_int_not_equal(f & CLONE_NEWNET, 0);
	struct pd_config d;
	pd_config_init(&d);
	assert_int_equal(pd_config_clone_flags(&d),
			 CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET);
	pd_config_free(&d);

	/* The record keeps them as Docker's texts, and reads them back. */
	json_t *o = pd_config_json(&c);
	assert_string_equal(json_string_value(json_object_get(o, "PidMode")), "container:web_1");
	assert_string_equal(json_string_value(json_object_get(o, "IpcMode")), "container:db");
	assert_string_equal(json_string_value(json_object_get(o, "UTSMode")), "host");
	json_decref(o);
	_cleanup_free_ char *text = pd_config_encode(&c);
	struct pd_config back;
	assert_int_equal(pd_config_decode(text, &back, NULL), 0);
	assert_int_equal(back.pid_ns.mode, PD_NS_CONTAINER);
	assert_string_equal(back.pid_ns.container, "web_1");
	assert_int_equal(back.ipc_ns.mode, PD_NS_CONTAINER);
	assert_int_equal(back.uts_ns.mode, PD_NS_HOST);
	pd_config_free(&back);
	/* The default shows as Docker's: IpcMode private, PidMode "". */
	pd_config_init(&d);
	o = pd_config_json(&d);
	assert_string_equal(json_string_value(json_object_get(o, "IpcMode")), "private");
	assert_string_equal(json_string_value(json_object_get(o, "PidMode")), "");
	json_decref(o);
	pd_config_free(&d);
	/* A record with a mode that is none. */
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_config_decode("{\"IpcMode\":\"sideways\"}", &back, &e), -1);
	assert_non_null(strstr(e->msg, "IpcMode"));
	pd_config_free(&back);
	pd_config_free(&c);
}

/* The checks after the flags: --hostname with --uts host (Docker's
 * conflict), IPC and UTS sysctls without a namespace of their own. */
static void test_namespace_checks(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	assert_int_equal(pd_nsmode_parse("uts", "host", &c.uts_ns, NULL), 0);
	assert_int_equal(pd_config_check_namespaces(&c, NULL), 0);
	c.hostname = xstrdup("web");
	_cleanup_err_ struct pd_err *e = NULL;
	assert_int_equal(pd_config_check_namespaces(&c, &e), -1);
	assert_non_null(strstr(e->msg, "--hostname and --uts host"));
	free(c.hostname);
	c.hostname = NULL;
	/* The host's name is the container's. */
	snprintf(c.id, sizeof(c.id), "%s", "0123456789abcdef");
	pd_config_defaults(&c);
	char host[256] = "";
	gethostname(host, sizeof(host));
	assert_string_equal(c.hostname, host);
	assert_int_equal(pd_sysctl_add(&c, "kernel.domainname=x", NULL), 0);
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(pd_config_check_sysctls(&c, &e2), -1);
	assert_non_null(strstr(e2->msg, "--uts host"));
	pd_config_free(&c);

	pd_config_init(&c);
	assert_int_equal(pd_sysctl_add(&c, "kernel.shmmax=1000000", NULL), 0);
	assert_int_equal(pd_config_check_sysctls(&c, NULL), 0);
	assert_int_equal(pd_nsmode_parse("ipc", "shareable", &c.ipc_ns, NULL), 0);
	assert_int_equal(pd_config_check_sysctls(&c, NULL), 0);
	assert_int_equal(pd_nsmode_parse("ipc", "host", &c.ipc_ns, NULL), 0);
	_cleanup_err_ struct pd_err *e3 = NULL;
	assert_int_equal(pd_config_check_sysctls(&c, &e3), -1);
	assert_non_null(strstr(e3->msg, "IPC"));
	pd_config_free(&c);
}

/* Free host ports (HostPort 0), --expose and -P in the record: Docker's
 * Config.ExposedPorts holds the exposed and the published ports. */
static void test_ports_record(void **state)
{
	struct pd_config c;
	pd_config_init(&c);
	assert_int_equal(pd_netcfg_add_port(&c.net, "127.0.0.1::80", NULL), 0);
	assert_int_equal(pd_netcfg_add_expose(&c.net, "53/udp", NULL), 0);
	c.net.publish_all = true;
	json_t *o = pd_config_json(&c);
	char *exp = json_dumps(json_object_get(o, "ExposedPorts"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(exp, "{\"53/udp\":{},\"80/tcp\":{}}");
	free(exp);
	assert_true(json_is_true(json_object_get(o, "PublishAllPorts")));
	json_decref(o);
	_cleanup_free_ char *text = pd_config_encode(&c);
	struct pd_config b;
	assert_int_equal(pd_config_decode(text, &b, NULL), 0);
	assert_int_equal(b.net.n_ports, 1);
	assert_int_equal(b.net.ports[0].host_port, 0);
	assert_int_equal(b.net.ports[0].container_port, 80);
	assert_string_equal(b.net.ports[0].host_ip, "127.0.0.1");
	assert_true(b.net.publish_all);
	assert_int_equal(strv_len(b.net.expose), 2);
	_cleanup_free_ char *again = pd_config_encode(&b);
	assert_string_equal(text, again);
	pd_config_free(&b);
	pd_config_free(&c);
	static const char *const bad[] = {
		"{\"ExposedPorts\":{\"80\":{}}}",
		"{\"ExposedPorts\":{\"0/tcp\":{}}}",
		"{\"ExposedPorts\":{\"80/sctp\":{}}}",
		"{\"ExposedPorts\":[\"80/tcp\"]}",
		"{\"Publish\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":1,\"ContainerPort\":0,\"Protocol\":"
		"\"tcp\"}]}",
		"{\"Publish\":[{\"HostIp\":\"x\",\"HostPort\":0,\"ContainerPort\":80,\"Protocol\":\"tcp\"}]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		if (pd_config_decode(bad[i], &b, &e) == 0)
			fail_msg("%s was accepted", bad[i]);
		pd_config_free(&b);
	}
}

static void test_signal_names(void **state)
{
	assert_int_equal(pd_signal_parse("SIGQUIT"), SIGQUIT);
	assert_int_equal(pd_signal_parse("quit"), SIGQUIT);
	assert_int_equal(pd_signal_parse("SigTerm"), SIGTERM);
	assert_int_equal(pd_signal_parse("9"), SIGKILL);
	assert_int_equal(pd_signal_parse("USR1"), SIGUSR1);
	assert_int_equal(pd_signal_parse(""), -1);
	assert_int_equal(pd_signal_parse(NULL), -1);
	assert_int_equal(pd_signal_parse("0"), -1);
	assert_int_equal(pd_signal_parse("65"), -1);
	assert_int_equal(pd_signal_parse("SIG"), -1);
	assert_int_equal(pd_signal_parse("FOO"), -1);
	assert_int_equal(pd_signal_parse("3x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_defaults),	  cmocka_unit_test(test_defaults_after_flags),
		cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_label_specs),
		cmocka_unit_test(test_ulimit_specs),	  cmocka_unit_test(test_platform),
		cmocka_unit_test(test_cpu_quota_exact),	  cmocka_unit_test(test_record_keys),
		cmocka_unit_test(test_old_record),	  cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_healthcheck_forms), cmocka_unit_test(test_tmpfs_specs),
		cmocka_unit_test(test_device_specs),	  cmocka_unit_test(test_volume_specs),
		cmocka_unit_test(test_signal_names),	  cmocka_unit_test(test_namespace_modes),
		cmocka_unit_test(test_namespace_checks),  cmocka_unit_test(test_ports_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
