/* `pocket-docker run`: flags -> struct pd_config -> pd_container_run ->
 * exit status (the command's own, 128+N on signal N, 125 when the runtime
 * failed, 126 when the command cannot be executed, 127 when not found). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "core/control.h"
#include "core/query.h"
#include "core/images.h"
#include "core/judge.h"
#include "core/namespaces.h"
#include "core/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

struct run_opts {
	struct pd_config cfg;
	struct pd_cap_change caps; /* --cap-add, --cap-drop */
	char *cmd;		   /* --cmd string */
	char *entrypoint;	   /* --entrypoint: replaces the image's ("" clears it) */
	bool detach;
	char *detach_keys;
	bool no_healthcheck;
	bool help;
	bool dump_spec;	    /* --dump-spec: print the OCI spec, run nothing */
	char *stdin_path;   /* --stdin FILE */
	char *report_path;  /* --report FILE, or "-" for stdout */
	int report_fd;	    /* --report FILE, opened; -1 */
	bool report_stdout; /* --report - */
	enum { PULL_MISSING, PULL_ALWAYS, PULL_NEVER } pull; /* --pull */
	bool started;					     /* the command ran: the monitor reports */
	int cid_fd;					     /* --cidfile, created by this run; -1 */
	bool create;					     /* `create`: make it, run nothing */
	unsigned attach; /* -a: ATTACH_* bits of the streams shown; 0: all of them */
};

/* -a's streams. */
#define ATTACH_STDIN  1U
#define ATTACH_STDOUT 2U
#define ATTACH_STDERR 4U

#define OPTS(o) ((struct run_opts *)(o))

static int set_rootfs(void *o, const char *a, struct pd_err **err)
{
	free(OPTS(o)->cfg.rootfs_arg);
	OPTS(o)->cfg.rootfs_arg = xstrdup(a);
	return 0;
}

static int set_cmd(void *o, const char *a, struct pd_err **err)
{
	free(OPTS(o)->cmd);
	OPTS(o)->cmd = xstrdup(a);
	return 0;
}

static int set_name(void *o, const char *a, struct pd_err **err)
{
	if (pd_container_name_check(a, err) < 0)
		return -1;
	free(OPTS(o)->cfg.name);
	OPTS(o)->cfg.name = xstrdup(a);
	return 0;
}

/* Docker's rule: dot-separated labels of letters, digits and '-', none
 * empty or starting or ending with '-', at most 63 characters in all (the
 * kernel takes 64).  The name is written into /etc/hostname and /etc/hosts,
 * so anything else (a newline above all) would let it add lines there. */
static bool is_valid_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	for (const char *label = s;; label++) {
		size_t len = strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (len == 0 || label[0] == '-' || label[len - 1] == '-')
			return false;
		label += len;
		if (*label == '\0')
			return true;
		if (*label != '.')
			return false;
	}
}

static int set_hostname(void *o, const char *a, struct pd_err **err)
{
	if (!is_valid_hostname(a))
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid hostname '%s': want labels of letters, digits and '-' joined by dots, "
		    "at most 63 characters",
		    a);
	free(OPTS(o)->cfg.hostname);
	OPTS(o)->cfg.hostname = xstrdup(a);
	return 0;
}

static int set_env(void *o, const char *a, struct pd_err **err)
{
	return pd_env_add(&OPTS(o)->cfg.env, a, err);
}

static int set_env_file(void *o, const char *a, struct pd_err **err)
{
	return pd_env_add_file(&OPTS(o)->cfg.env, a, err);
}

static int add_label(void *o, const char *a, struct pd_err **err)
{
	return pd_label_add(&OPTS(o)->cfg.labels, a, err);
}

static int add_label_file(void *o, const char *a, struct pd_err **err)
{
	return pd_label_add_file(&OPTS(o)->cfg.labels, a, err);
}

static int set_workdir(void *o, const char *a, struct pd_err **err)
{
	if (pd_check_container_path("working directory", a, err) < 0)
		return -1;
	free(OPTS(o)->cfg.workdir);
	OPTS(o)->cfg.workdir = xstrdup(a);
	return 0;
}

static int set_entrypoint(void *o, const char *a, struct pd_err **err)
{
	free(OPTS(o)->entrypoint);
	OPTS(o)->entrypoint = xstrdup(a);
	return 0;
}

static int set_stop_signal(void *o, const char *a, struct pd_err **err)
{
	if (pd_signal_parse(a) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unknown signal '%s'", a);
	free(OPTS(o)->cfg.stop_signal);
	OPTS(o)->cfg.stop_signal = xstrdup(a);
	return 0;
}

static int set_user(void *o, const char *a, struct pd_err **err)
{
	if (!*a)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "user is empty");
	free(OPTS(o)->cfg.user);
	OPTS(o)->cfg.user = xstrdup(a);
	return 0;
}

static int add_volume(void *o, const char *a, struct pd_err **err)
{
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	if (pd_volume_parse(a, &m.bind, err) < 0)
		return -1;
	pd_config_add_mount(&OPTS(o)->cfg, &m);
	return 0;
}

static int add_ulimit(void *o, const char *a, struct pd_err **err)
{
	return pd_ulimit_parse(&OPTS(o)->cfg, a, err);
}

static int set_oom_score_adj(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	bool neg = a[0] == '-';
	if (pd_parse_uint(a + neg, 1000, &v, pd_err_ignore(status)) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --oom-score-adj '%s': range for oom score adj is [-1000, 1000]",
				    a);
	OPTS(o)->cfg.has_oom_score_adj = true;
	OPTS(o)->cfg.oom_score_adj = neg ? -(int)v : (int)v;
	return 0;
}

/* --group-add GID or NAME (looked up in the container's /etc/group when
 * it starts, as Docker does). */
static int add_group(void *o, const char *a, struct pd_err **err)
{
	struct pd_config *c = &OPTS(o)->cfg;
	uint64_t g;
	if (pd_parse_uint(a, UINT32_MAX - 1, &g, pd_err_ignore(status)) == 0) {
		c->groups = xrealloc(c->groups, (c->n_groups + 1) * sizeof(*c->groups));
		c->groups[c->n_groups++] = (gid_t)g;
		return 0;
	}
	if (!pd_group_name_valid(a))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --group-add '%s': want a group number or a group name", a);
	strv_push(&c->group_names, a);
	return 0;
}

static int add_sysctl(void *o, const char *a, struct pd_err **err)
{
	return pd_sysctl_add(&OPTS(o)->cfg, a, err);
}

static int set_cidfile(void *o, const char *a, struct pd_err **err)
{
	if (!*a)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--cidfile needs a file");
	free(OPTS(o)->cfg.cidfile);
	OPTS(o)->cfg.cidfile = xstrdup(a);
	return 0;
}

static int set_stop_timeout(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_uint(a, 86400, &v, pd_err_ignore(status)) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --stop-timeout '%s': want seconds from 0 to 86400", a);
	OPTS(o)->cfg.has_stop_timeout = true;
	OPTS(o)->cfg.stop_timeout = (unsigned)v;
	return 0;
}

static int set_platform(void *o, const char *a, struct pd_err **err)
{
	return pd_platform_check(a, err);
}

static int set_pull(void *o, const char *a, struct pd_err **err)
{
	if (!strcmp(a, "missing"))
		OPTS(o)->pull = PULL_MISSING;
	else if (!strcmp(a, "always"))
		OPTS(o)->pull = PULL_ALWAYS;
	else if (!strcmp(a, "never"))
		OPTS(o)->pull = PULL_NEVER;
	else
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --pull '%s': want missing, always or never", a);
	return 0;
}

static int set_rm(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.remove = true;
	return 0;
}

static int set_init(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.init = true;
	return 0;
}

static int set_interactive(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.interactive = true;
	return 0;
}

static int set_tty(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.tty = true;
	return 0;
}

static int set_detach_keys(void *o, const char *a, struct pd_err **err)
{
	return cli_set_detach_keys(&OPTS(o)->detach_keys, a, err);
}

static int set_detach(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->detach = true;
	return 0;
}

/* Docker's floor: below it a container is killed before its first
 * instruction, which shows as a bare 137 and no message. */
#define MIN_MEMORY (6ULL << 20)

static int set_memory(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_size(a, &v, err) < 0)
		return -1;
	if (v && v < MIN_MEMORY)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --memory '%s': minimum memory limit allowed is 6MB", a);
	OPTS(o)->cfg.limits.memory = v;
	return 0;
}

static int set_memory_reservation(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_size(a, &v, err) < 0)
		return -1;
	if (v > INT64_MAX)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --memory-reservation '%s': too large", a);
	if (v && v < MIN_MEMORY)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --memory-reservation '%s': minimum memory reservation allowed "
				    "is 6MB",
				    a);
	OPTS(o)->cfg.limits.memory_reservation = (int64_t)v;
	return 0;
}

/* 0 is the default (64 MiB), as with Docker. */
static int set_shm_size(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_size(a, &v, pd_err_ignore(status)) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --shm-size '%s': want a size such as 64m",
				    a);
	OPTS(o)->cfg.shm_size = v;
	return 0;
}

static int set_memory_swap(void *o, const char *a, struct pd_err **err)
{
	if (!strcmp(a, "-1")) {
		OPTS(o)->cfg.limits.memory_swap = -1;
		return 0;
	}
	uint64_t v;
	if (pd_parse_size(a, &v, err) < 0)
		return -1;
	if (v > INT64_MAX)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --memory-swap '%s': too large", a);
	OPTS(o)->cfg.limits.memory_swap = (int64_t)v;
	return 0;
}

/* The CPUs this process may run on (what Docker counts), or the online
 * ones when the affinity cannot be read. */
static unsigned host_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int set_cpus(void *o, const char *a, struct pd_err **err)
{
	struct pd_limits *l = &OPTS(o)->cfg.limits;
	char *end = NULL;
	errno = 0;
	double v = strtod(a, &end);
	if (!errno && end != a && !*end && v == 0 && !strchr(a, '-')) {
		/* 0 is no limit, as with Docker. */
		l->cpu_quota_us = l->cpu_period_us = 0;
		return 0;
	}
	if (pd_cpus_parse(a, l, err) < 0)
		return -1;
	unsigned n = host_cpus();
	if (l->cpu_quota_us > (uint64_t)n * l->cpu_period_us)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid --cpus '%s': range of CPUs is from 0.01 to %u.00, as there %s only %u "
		    "CPU%s available",
		    a, n, n == 1 ? "is" : "are", n, n == 1 ? "" : "s");
	return 0;
}

/* -1 (and any value up to 0) is no limit, as with Docker. */
static int set_pids_limit(void *o, const char *a, struct pd_err **err)
{
	uint64_t *max = &OPTS(o)->cfg.limits.pids_max;
	if (a[0] == '-' && a[1] && strspn(a + 1, "0123456789") == strlen(a + 1)) {
		*max = 0;
		return 0;
	}
	if (pd_parse_uint(a, 4194304, max, pd_err_ignore(status)) < 0)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid --pids-limit '%s': want a number of processes (-1 or 0: unlimited)", a);
	return 0;
}

static int set_cpu_shares(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_uint(a, 262144, &v, err) < 0 || v < 2)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --cpu-shares '%s': want 2 to 262144", a);
	OPTS(o)->cfg.limits.cpu_shares = v;
	return 0;
}

/* "0-1,3" into `set`: numbers and ascending ranges joined by commas, each
 * below CPU_SETSIZE.  False on anything else. */
static bool parse_cpu_list(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	const char *p = s;
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			return false;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return false;
			hi = strtoul(p, &end, 10);
		}
		if (lo > hi || hi >= CPU_SETSIZE)
			return false;
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		p = end;
		if (*p != ',')
			return *p == '\0';
		p++;
	}
}

/* The host's online CPUs, as the kernel lists them ("0-1"); NULL when the
 * list cannot be read (the kernel then judges the request alone). */
static char *online_cpus(void)
{
	_cleanup_fclose_ FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	char line[4096];
	if (!f || !fgets(line, sizeof(line), f))
		return NULL;
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

static int set_cpuset(void *o, const char *a, struct pd_err **err)
{
	cpu_set_t want, online;
	if (!parse_cpu_list(a, &want))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --cpuset-cpus '%s': want a list like 0-1,3", a);
	_cleanup_free_ char *have = online_cpus();
	if (have && parse_cpu_list(have, &online)) {
		CPU_AND(&online, &online, &want);
		if (!CPU_EQUAL(&online, &want))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --cpuset-cpus '%s': requested CPUs are not available "
					    "(online: %s)",
					    a, have);
	}
	free(OPTS(o)->cfg.limits.cpuset_cpus);
	OPTS(o)->cfg.limits.cpuset_cpus = xstrdup(a);
	return 0;
}

static int set_restart(void *o, const char *a, struct pd_err **err)
{
	return pd_restart_parse(a, &OPTS(o)->cfg.restart, &OPTS(o)->cfg.restart_max, err);
}

static int add_log_opt(void *o, const char *a, struct pd_err **err)
{
	return pd_log_opt_parse(&OPTS(o)->cfg, a, err);
}

static int set_health_cmd(void *o, const char *a, struct pd_err **err)
{
	struct pd_health *h = &OPTS(o)->cfg.health;
	strv_free(h->test);
	h->test = NULL;
	strv_push(&h->test, "/bin/sh");
	strv_push(&h->test, "-c");
	strv_push(&h->test, a);
	return 0;
}

static int set_positive_duration(uint64_t *out, const char *what, const char *a, struct pd_err **err)
{
	if (pd_parse_duration_ms(a, out, err) < 0)
		return -1;
	if (*out == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--%s must be more than zero", what);
	return 0;
}

static int set_health_interval(void *o, const char *a, struct pd_err **err)
{
	return set_positive_duration(&OPTS(o)->cfg.health.interval_ms, "health-interval", a, err);
}

static int set_health_timeout(void *o, const char *a, struct pd_err **err)
{
	return set_positive_duration(&OPTS(o)->cfg.health.timeout_ms, "health-timeout", a, err);
}

static int set_health_start(void *o, const char *a, struct pd_err **err)
{
	return pd_parse_duration_ms(a, &OPTS(o)->cfg.health.start_period_ms, err);
}

static int set_health_retries(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_uint(a, 1000, &v, err) < 0 || v == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --health-retries '%s'", a);
	OPTS(o)->cfg.health.retries = (unsigned)v;
	return 0;
}

static int set_no_healthcheck(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->no_healthcheck = true;
	return 0;
}

static int set_health_restart(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.health.restart_unhealthy = true;
	return 0;
}

static int set_security_opt(void *o, const char *a, struct pd_err **err)
{
	struct pd_config *c = &OPTS(o)->cfg;
	if (str_has_prefix(a, "seccomp=") || str_has_prefix(a, "seccomp:")) {
		const char *v = a + 8;
		if (!*v)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "--security-opt seccomp needs a profile or 'unconfined'");
		free(c->seccomp);
		if (!strcmp(v, "unconfined")) {
			c->seccomp = xstrdup(v);
		} else {
			char real[4096];
			if (!realpath(v, real))
				return pd_fail_kind(err, PD_ERR_USAGE, errno, "seccomp profile '%s'", v);
			/* Read once: a regular file of at most 1 MiB (Docker's
			 * default profile is about 20 kB). */
			char *text = pd_read_regular(real, "seccomp profile", 1, NULL, err);
			if (!text)
				return -1;
			free(c->seccomp_json);
			c->seccomp_json = text;
			c->seccomp = xstrdup(real);
		}
		return 0;
	}
	if (!strcmp(a, "no-new-privileges") || !strcmp(a, "no-new-privileges=true") ||
	    !strcmp(a, "no-new-privileges:true")) {
		c->no_new_privs_off = false;
		return 0;
	}
	if (!strcmp(a, "no-new-privileges=false") || !strcmp(a, "no-new-privileges:false")) {
		c->no_new_privs_off = true;
		return 0;
	}
	return pd_fail_kind(
	    err, PD_ERR_USAGE, 0,
	    "unsupported --security-opt '%s' (seccomp=PROFILE|unconfined, no-new-privileges[=false])", a);
}

static int set_cap_add(void *o, const char *a, struct pd_err **err)
{
	return pd_cap_name_parse(a, &OPTS(o)->caps.add, &OPTS(o)->caps.add_all, err);
}

static int set_cap_drop(void *o, const char *a, struct pd_err **err)
{
	return pd_cap_name_parse(a, &OPTS(o)->caps.drop, &OPTS(o)->caps.drop_all, err);
}

static int set_privileged(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.privileged = true;
	return 0;
}

static int set_read_only(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.read_only = true;
	return 0;
}

static int add_mount(void *o, const char *a, struct pd_err **err)
{
	struct pd_mount m = { 0 };
	if (pd_mount_parse(a, &m, err) < 0)
		return -1;
	pd_config_add_mount(&OPTS(o)->cfg, &m);
	return 0;
}

static int add_volumes_from(void *o, const char *a, struct pd_err **err)
{
	if (!*a || *a == ':')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--volumes-from needs CONTAINER[:ro|rw]");
	strv_push(&OPTS(o)->cfg.volumes_from, a);
	return 0;
}

static int set_tmpfs(void *o, const char *a, struct pd_err **err)
{
	struct pd_mount m = { .type = PD_MOUNT_TMPFS };
	if (pd_tmpfs_parse(a, &m.tmpfs, err) < 0)
		return -1;
	pd_config_add_mount(&OPTS(o)->cfg, &m);
	return 0;
}

static int set_device(void *o, const char *a, struct pd_err **err)
{
	struct pd_device d;
	if (pd_device_parse(a, &d, err) < 0)
		return -1;
	pd_config_add_device(&OPTS(o)->cfg, &d);
	return 0;
}

/* --network NAME, or --network alone (as the last word or before another
 * option) for the bridge.  Another valid name is a user-defined network,
 * looked up when the container starts. */
static int set_network(void *o, const char *a, struct pd_err **err)
{
	if (!a)
		a = "bridge";
	if (pd_netcfg_set_mode(&OPTS(o)->cfg.net, a, pd_err_ignore(status)) < 0)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid --network '%s': network %s not found (there are bridge, none, host and "
		    "default)",
		    a, a);
	return 0;
}

static int add_publish(void *o, const char *a, struct pd_err **err)
{
	return pd_netcfg_add_port(&OPTS(o)->cfg.net, a, err);
}

static int add_expose(void *o, const char *a, struct pd_err **err)
{
	return pd_netcfg_add_expose(&OPTS(o)->cfg.net, a, err);
}

static int set_publish_all(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->cfg.net.publish_all = true;
	return 0;
}

static int set_pid(void *o, const char *a, struct pd_err **err)
{
	return pd_nsmode_parse("pid", a, &OPTS(o)->cfg.pid_ns, err);
}

static int set_ipc(void *o, const char *a, struct pd_err **err)
{
	return pd_nsmode_parse("ipc", a, &OPTS(o)->cfg.ipc_ns, err);
}

static int set_uts(void *o, const char *a, struct pd_err **err)
{
	return pd_nsmode_parse("uts", a, &OPTS(o)->cfg.uts_ns, err);
}

static int add_attach(void *o, const char *a, struct pd_err **err)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(a, names[i])) {
			OPTS(o)->attach |= 1U << i;
			return 0;
		}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --attach '%s': want stdin, stdout or stderr", a);
}

static int add_dns(void *o, const char *a, struct pd_err **err)
{
	return pd_netcfg_add_dns(&OPTS(o)->cfg.net, a, err);
}

static int add_network_alias(void *o, const char *a, struct pd_err **err)
{
	if (!pd_net_name_valid(a) || strchr(a, '_'))
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid --network-alias '%s': want a host name ([a-zA-Z0-9][a-zA-Z0-9.-]*)", a);
	strv_push(&OPTS(o)->cfg.net.aliases, a);
	return 0;
}

static int set_ip(void *o, const char *a, struct pd_err **err)
{
	return pd_netcfg_set_ip(&OPTS(o)->cfg.net, a, err);
}

static int add_add_host(void *o, const char *a, struct pd_err **err)
{
	return pd_netcfg_add_host(&OPTS(o)->cfg.net, a, err);
}

static int set_timeout(void *o, const char *a, struct pd_err **err)
{
	return set_positive_duration(&OPTS(o)->cfg.judge.timeout_ms, "timeout", a, err);
}

static int set_cpu_time(void *o, const char *a, struct pd_err **err)
{
	return set_positive_duration(&OPTS(o)->cfg.judge.cpu_time_ms, "cpu-time", a, err);
}

static int set_output_limit(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_size(a, &v, err) < 0)
		return -1;
	if (v == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --output-limit '%s': must be at least 1 byte", a);
	OPTS(o)->cfg.judge.output_limit = v;
	return 0;
}

static int set_stdin(void *o, const char *a, struct pd_err **err)
{
	free(OPTS(o)->stdin_path);
	OPTS(o)->stdin_path = xstrdup(a);
	return 0;
}

static int set_report(void *o, const char *a, struct pd_err **err)
{
	if (!*a)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--report needs a file, or - for stdout");
	free(OPTS(o)->report_path);
	OPTS(o)->report_path = xstrdup(a);
	return 0;
}

static int set_dump_spec(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->dump_spec = true;
	return 0;
}

static int set_help(void *o, const char *a, struct pd_err **err)
{
	OPTS(o)->help = true;
	return 0;
}

static const struct cli_opt run_table[] = {
	{ "rootfs", 0, true, set_rootfs, "root filesystem: a directory or a tarball" },
	{ "cmd", 0, true, set_cmd, "command line, split with shell-word rules" },
	{ "name", 0, true, set_name, "name of the container" },
	{ "hostname", 'h', true, set_hostname, "hostname (default: the short id)" },
	{ "env", 'e', true, set_env, "set KEY=VALUE, or pass KEY from this environment" },
	{ "env-file", 0, true, set_env_file, "read KEY=VALUE lines from a file" },
	{ "label", 'l', true, add_label, "set a label KEY[=VALUE] (repeatable)" },
	{ "label-file", 0, true, add_label_file, "read KEY[=VALUE] labels from a file, a line each" },
	{ "workdir", 'w', true, set_workdir, "working directory inside the container" },
	{ "user", 'u', true, set_user, "UID[:GID] or a name from the rootfs's /etc/passwd" },
	{ "entrypoint", 0, true, set_entrypoint, "replace the image's Entrypoint (\"\" clears it)" },
	{ "stop-signal", 0, true, set_stop_signal,
	  "the signal 'stop' sends first (default: the image's, or SIGTERM)" },
	{ "stop-timeout", 0, true, set_stop_timeout,
	  "seconds 'stop' waits before SIGKILL when not given -t (default 5)" },
	{ "volume", 'v', true, add_volume,
	  "bind mount HOST:CONTAINER or a volume NAME:CONTAINER[:ro|rw]; /CONTAINER alone: an anonymous "
	  "volume" },
	{ "mount", 0, true, add_mount,
	  "a mount, KEY=VALUE pairs joined by commas: type=bind|volume|tmpfs, source, target, "
	  "readonly, bind-propagation, volume-opt, tmpfs-size, tmpfs-mode" },
	{ "volumes-from", 0, true, add_volumes_from, "mount the volumes of CONTAINER[:ro|rw]" },
	{ "ulimit", 0, true, add_ulimit, "a resource limit NAME=SOFT[:HARD] (nofile, nproc, core...)" },
	{ "oom-score-adj", 0, true, set_oom_score_adj, "the OOM killer's score adjustment (-1000 to 1000)" },
	{ "group-add", 0, true, add_group,
	  "an additional group: a number, or a name from the rootfs's /etc/group" },
	{ "sysctl", 0, true, add_sysctl,
	  "a namespaced sysctl KEY=VALUE (net.*, kernel.shm*, kernel.msg*...)" },
	{ "cidfile", 0, true, set_cidfile, "write the container id to FILE (which must not exist)" },
	{ "platform", 0, true, set_platform, "the platform to run: this host's only (e.g. linux/amd64)" },
	{ "pull", 0, true, set_pull, "pull the image: missing (default), always or never" },
	{ "detach", 'd', false, set_detach, "run in the background and print the container id" },
	{ "rm", 0, false, set_rm, "remove the container when it exits" },
	{ "init", 0, false, set_init, "run a small init as PID 1 that forwards signals and reaps" },
	{ "interactive", 'i', false, set_interactive, "keep stdin open" },
	{ "tty", 't', false, set_tty, "allocate a terminal" },
	{ "detach-keys", 0, true, set_detach_keys, "keys that detach (default ctrl-p,ctrl-q)" },
	{ "memory", 'm', true, set_memory, "memory limit: bytes, or 256m, 1g" },
	{ "memory-reservation", 0, true, set_memory_reservation,
	  "soft memory limit (v1 soft_limit_in_bytes, v2 memory.low)" },
	{ "shm-size", 0, true, set_shm_size, "size of /dev/shm (default 64m)" },
	{ "memory-swap", 0, true, set_memory_swap, "memory plus swap limit; -1 for unlimited swap" },
	{ "cpus", 0, true, set_cpus, "CPU limit in cores, e.g. 0.5" },
	{ "pids-limit", 0, true, set_pids_limit, "maximum number of processes" },
	{ "cpu-shares", 'c', true, set_cpu_shares, "relative CPU weight (2 to 262144)" },
	{ "cpuset-cpus", 0, true, set_cpuset, "CPUs allowed, e.g. 0-1,3" },
	{ "restart", 0, true, set_restart, "no, on-failure[:MAX], always, unless-stopped" },
	{ "log-opt", 0, true, add_log_opt, "log rotation: max-size=SIZE,max-file=N (repeatable)" },
	{ "health-cmd", 0, true, set_health_cmd, "command to check health (run with /bin/sh -c)" },
	{ "health-interval", 0, true, set_health_interval, "time between checks (default 30s)" },
	{ "health-timeout", 0, true, set_health_timeout, "time a check may take (default 30s)" },
	{ "health-retries", 0, true, set_health_retries,
	  "failures in a row that make it unhealthy (default 3)" },
	{ "health-start-period", 0, true, set_health_start, "grace time before failures count (default 0s)" },
	{ "health-restart", 0, false, set_health_restart,
	  "kill an unhealthy container so --restart restarts it" },
	{ "no-healthcheck", 0, false, set_no_healthcheck, "disable any health check" },
	{ "security-opt", 0, true, set_security_opt,
	  "seccomp=PROFILE.json|unconfined, no-new-privileges[=false]" },
	{ "cap-add", 0, true, set_cap_add, "add a capability (or ALL)" },
	{ "cap-drop", 0, true, set_cap_drop, "drop a capability (or ALL)" },
	{ "privileged", 0, false, set_privileged, "all capabilities, no seccomp, host devices (see README)" },
	{ "read-only", 0, false, set_read_only, "mount the rootfs read-only" },
	{ "tmpfs", 0, true, set_tmpfs, "mount a tmpfs at PATH[:size=SIZE,mode=MODE]" },
	{ "device", 0, true, set_device, "add a host device: HOST[:CONTAINER]" },
	{ "network", 0, CLI_ARG_OPTIONAL, set_network,
	  "bridge (alone: bridge), none (loopback only, the default), host or a network's name" },
	{ "ip", 0, true, set_ip, "the container's IPv4 address on its user-defined network" },
	{ "network-alias", 0, true, add_network_alias,
	  "another name of the container on its user-defined network (repeatable)" },
	{ "net", 0, CLI_ARG_OPTIONAL, set_network, "the same as --network" },
	{ "publish", 'p', true, add_publish,
	  "publish [[IP:][HOSTPORT]:]CONTAINERPORT[/tcp|/udp], ports or ranges (implies bridge)" },
	{ "publish-all", 'P', false, set_publish_all, "publish every exposed port to a free host port" },
	{ "expose", 0, true, add_expose, "expose PORT[-END][/tcp|/udp] (for -P; shown by inspect)" },
	{ "pid", 0, true, set_pid, "PID namespace: host, or container:NAME|ID to join a running one" },
	{ "ipc", 0, true, set_ipc,
	  "IPC namespace: private (default), shareable, none, host, or container:NAME|ID" },
	{ "uts", 0, true, set_uts, "UTS namespace: host (the host's hostname)" },
	{ "attach", 'a', true, add_attach, "attach to stdin, stdout or stderr only (repeatable)" },
	{ "dns", 0, true, add_dns, "a DNS server for /etc/resolv.conf (repeatable)" },
	{ "add-host", 0, true, add_add_host, "add NAME:IP to /etc/hosts (repeatable)" },
	{ "timeout", 0, true, set_timeout,
	  "kill the container this long after its command started (2s, 500ms)" },
	{ "cpu-time", 0, true, set_cpu_time,
	  "kill the container once all its processes used this much CPU time" },
	{ "output-limit", 0, true, set_output_limit,
	  "cut stdout+stderr past this size and kill the container (64k, 1m)" },
	{ "stdin", 0, true, set_stdin, "the command's stdin: a copy of FILE (a regular file or a pipe)" },
	{ "report", 0, true, set_report,
	  "write how the run ended as one JSON line to FILE (- : stdout, last)" },
	{ "dump-spec", 0, false, set_dump_spec,
	  "print the container's OCI runtime spec (config.json); run nothing" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static void usage(bool create)
{
	const char *cmd = create ? "create" : "run";
	printf("Usage: pocket-docker %s [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	       "       pocket-docker %s [OPTIONS] --rootfs PATH|IMAGE [--cmd \"COMMAND\" | [--] COMMAND "
	       "[ARG...]]\n\n"
	       "%s\n",
	       cmd, cmd,
	       create ? "Create a new container, to be started with 'pocket-docker start'."
		      : "Run a command in a new container.");
	cli_print_options(run_table);
}

/* -v mounts are made before --tmpfs ones, whatever the order of the flags
 * (as they always were): a stable partition of the list. */
static void binds_first(struct pd_config *c)
{
	if (c->n_mounts < 2)
		return;
	struct pd_mount *v = xmalloc(c->n_mounts * sizeof(*v));
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->n_mounts; i++)
			if ((c->mounts[i].type == PD_MOUNT_BIND) == (pass == 0))
				v[k++] = c->mounts[i];
	free(c->mounts);
	c->mounts = v;
}

/* The judge's options are about one run of a command fed from a file. */
static int judge_conflicts(const struct run_opts *o, struct pd_err **err)
{
	const struct pd_config *c = &o->cfg;
	bool judged = c->judge.timeout_ms || c->judge.cpu_time_ms || c->judge.output_limit || o->report_path;
	if (judged && c->restart != PD_RESTART_NO)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "conflicting options: --restart and --timeout/--cpu-time/--output-limit/--report "
		    "(they judge one run)");
	if (o->stdin_path && (c->interactive || c->tty))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "conflicting options: --stdin and %s",
				    c->interactive ? "--interactive" : "--tty");
	if (o->report_path && !strcmp(o->report_path, "-") && o->detach)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--report - needs a foreground run (with --detach give --report FILE)");
	return 0;
}

static int finish_config(struct run_opts *o, char **rest, struct pd_err **err)
{
	struct pd_config *c = &o->cfg;
	if (!c->rootfs_arg)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "run needs an image or --rootfs PATH (see 'pocket-docker run --help')");
	if (o->cmd && rest[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "give the command either with --cmd or after the options, not both");
	if (c->image_id) {
		/* The command came with the image's defaults (run_image). */
	} else if (o->cmd) {
		c->argv = pd_shell_split(o->cmd, err);
		if (!c->argv)
			return -1;
	} else {
		c->argv = strv_copy(rest);
	}
	if (!c->argv[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "no command given (use --cmd \"...\" or put it after the options)");
	if (pd_config_new_id(c, err) < 0 || pd_config_check_namespaces(c, err) < 0)
		return -1;
	if (o->attach && o->detach)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "conflicting options: --attach and --detach");
	pd_config_defaults(c);
	pd_config_apply_caps(c, &o->caps);
	binds_first(c);
	if (o->no_healthcheck) {
		strv_free(c->health.test);
		c->health.test = NULL;
	}
	if (c->health.restart_unhealthy && !c->health.test)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--health-restart needs --health-cmd");
	if (c->remove && c->restart != PD_RESTART_NO)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "conflicting options: --restart and --rm");
	if (c->limits.memory && c->limits.memory_reservation > 0 &&
	    (uint64_t)c->limits.memory_reservation > c->limits.memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "minimum memory limit can not be less than memory reservation limit");
	if (judge_conflicts(o, err) < 0 || pd_config_check_rlimits(c, err) < 0 ||
	    pd_config_check_oom_score(c, err) < 0 || pd_config_check_sysctls(c, err) < 0)
		return -1;
	if (pd_netcfg_finish(&c->net, err) < 0)
		return -1;
	return pd_container_check_limits(&c->limits, err);
}

/* Whether `s` could be an image reference or URL to pull rather than a
 * path: a path that does not exist is not pulled (the error is then
 * about the path). */
static bool is_pullable(const char *s)
{
	return pd_image_is_url(s) || (s[0] != '/' && s[0] != '.' && s[0] != '~');
}

/* Pull o->cfg.rootfs_arg and name the image by the name it was recorded
 * under; `here` says an image of that name exists already (--pull
 * always), else Docker's notice goes first. */
static int pull_image(struct run_opts *o, const char *root, bool here, struct pd_err **err)
{
	const char *what = o->cfg.rootfs_arg;
	if (!here) {
		_cleanup_free_ char *shown = str_escape(what);
		fprintf(stderr, "Unable to find image '%s' locally\n", shown);
	}
	struct pd_pull_opts po = { 0 };
	_cleanup_free_ char *name = NULL;
	bool up_to_date = false;
	if (pd_image_pull(root, what, &po, &name, &up_to_date, err) < 0)
		return -1;
	/* Found again by the name it was recorded under. */
	free(o->cfg.rootfs_arg);
	o->cfg.rootfs_arg = take_ptr(&name);
	return 0;
}

/* `run IMAGE [COMMAND]`, or --rootfs naming an image rather than a path:
 * the image's config gives the defaults (user flags win). */
static int run_image(struct run_opts *o, const char *root, char ***rest, struct pd_err **err)
{
	struct pd_config *c = &o->cfg;
	bool positional = !c->rootfs_arg;
	struct stat st;
	if (positional) {
		if (!(*rest)[0])
			return 0;
		c->rootfs_arg = xstrdup((*rest)[0]);
		(*rest)++;
	}
	if (!positional && stat(c->rootfs_arg, &st) == 0)
		return 0; /* --rootfs PATH */
	struct pd_image img;
	int f = pd_image_find(root, c->rootfs_arg, &img, err);
	if (f < 0)
		return -1;
	/* An image here wins over a path of the same name, a path over a
	 * pull (Docker has no paths: a name that exists here is ours). */
	bool is_path = f == 1 && stat(c->rootfs_arg, &st) == 0;
	bool want_pull = is_pullable(c->rootfs_arg) && !is_path &&
			 (o->pull == PULL_ALWAYS || (o->pull == PULL_MISSING && f == 1));
	if (want_pull) {
		if (f == 0)
			pd_image_free(&img);
		if (pull_image(o, root, f == 0, err) < 0)
			return -1;
		f = pd_image_find(root, c->rootfs_arg, &img, err);
		if (f < 0)
			return -1;
		if (f == 1)
			return pd_fail(err, 0, "pulled '%s' but cannot find it", c->rootfs_arg);
	}
	if (f == 1) {
		/* Not an image: a path (run without --rootfs also takes one). */
		if (is_path)
			return 0;
		if (o->pull == PULL_NEVER && is_pullable(c->rootfs_arg))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: '%s' (and --pull never)",
					    c->rootfs_arg);
		if (!positional)
			return 0;
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image or rootfs: '%s'", c->rootfs_arg);
	}
	if (o->cmd && (*rest)[0]) {
		pd_image_free(&img);
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "give the command either with --cmd or after the options, not both");
	}
	_cleanup_strv_ char **cmd = o->cmd ? pd_shell_split(o->cmd, err) : strv_copy(*rest);
	_cleanup_strv_ char **ep = o->entrypoint ? pd_shell_split(o->entrypoint, err) : NULL;
	int r = cmd && (ep || !o->entrypoint) ? pd_image_apply(&img, c, ep, cmd, err) : -1;
	pd_image_free(&img);
	return r;
}

/* --report FILE is opened before anything runs: a path that cannot be
 * written is refused at once, and the monitor (which writes the report of
 * a detached run too) gets the descriptor. */
static int open_report(struct run_opts *o, struct pd_err **err)
{
	if (!o->report_path)
		return 0;
	if (!strcmp(o->report_path, "-")) {
		o->report_stdout = true;
		return 0;
	}
	o->report_fd = open(o->report_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
	if (o->report_fd < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "--report '%s'", o->report_path);
	return 0;
}

/* --cidfile: made before anything else, and only when it does not exist
 * (Docker's rule: a file left by another container is not overwritten);
 * the id is written once known, and the file removed again if the run
 * fails before the container started. */
static int open_cidfile(struct run_opts *o, struct pd_err **err)
{
	if (!o->cfg.cidfile || o->dump_spec)
		return 0;
	o->cid_fd = open(o->cfg.cidfile, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0644);
	if (o->cid_fd < 0 && errno == EEXIST)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container ID file found, make sure the other container isn't running "
				    "or delete '%s'",
				    o->cfg.cidfile);
	if (o->cid_fd < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "--cidfile '%s'", o->cfg.cidfile);
	return 0;
}

static int write_cidfile(struct run_opts *o, struct pd_err **err)
{
	if (o->cid_fd < 0)
		return 0;
	if (pd_write_all(o->cid_fd, o->cfg.id, strlen(o->cfg.id)) < 0)
		return pd_fail(err, errno, "write container ID file '%s'", o->cfg.cidfile);
	return 0;
}

/* A run that failed before its command ran still gets its report: the
 * verdict runtime-error, with the exit status and the reason. */
static void report_failure(struct run_opts *o, const struct pd_err *e)
{
	if (o->started || (o->report_fd < 0 && !o->report_stdout))
		return;
	_cleanup_free_ char *why = pd_err_text(e);
	struct pd_run_facts f = {
		.id = o->cfg.id, .started = false, .start_exit = pd_err_exec_status(e->kind), .error = why
	};
	_cleanup_free_ char *json = pd_judge_report(&f, &o->cfg.judge);
	_cleanup_free_ char *line = xasprintf("%s\n", json);
	if (o->report_stdout) {
		fputs(line, stdout);
		fflush(stdout);
	} else {
		pd_write_all(o->report_fd, line, strlen(line));
	}
}

/* -a without stdout or stderr: that stream of the container's goes to
 * /dev/null for the session (the log keeps it), as Docker shows only the
 * streams attached.  saved[] keeps our own fds 1 and 2 to put back. */
static void mute_streams(unsigned attach, int saved[2])
{
	if (!attach)
		return;
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (int i = 0; i < 2; i++) {
		if (null < 0 || attach & (i == 0 ? ATTACH_STDOUT : ATTACH_STDERR))
			continue;
		fflush(i == 0 ? stdout : stderr);
		saved[i] = fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
		if (saved[i] >= 0)
			dup2(null, i + 1);
	}
}

static void unmute_streams(int saved[2])
{
	for (int i = 0; i < 2; i++)
		if (saved[i] >= 0) {
			dup2(saved[i], i + 1);
			close(saved[i]);
			saved[i] = -1;
		}
}

static int run_main(const struct cli_global *g, struct run_opts *o, int argc, char **argv,
		    struct pd_err **err)
{
	int i = 1, code = 125;
	if (cli_parse(run_table, o, argc, argv, &i, err) < 0)
		return -1;
	if (o->help) {
		usage(o->create);
		return 0;
	}
	if (o->create && (o->stdin_path || o->report_path || o->detach))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "create does not take %s (give it to 'run')",
				    o->stdin_path    ? "--stdin"
				    : o->report_path ? "--report"
						     : "--detach");
	if (open_report(o, err) < 0 || open_cidfile(o, err) < 0)
		return -1;
	/* Before the state root is made: a refused run creates nothing. */
	_cleanup_free_ char *want = pd_state_root_path(g->root);
	if (pd_volumes_check_state_root(&o->cfg, want, err) < 0)
		return -1;
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	char **rest = argv + i;
	if (run_image(o, root, &rest, err) < 0 || finish_config(o, rest, err) < 0)
		return -1;
	if (o->dump_spec) {
		_cleanup_free_ char *spec = pd_config_oci_spec(&o->cfg, err);
		if (!spec)
			return -1;
		printf("%s\n", spec);
		return 0;
	}
	if (write_cidfile(o, err) < 0 || pd_namespaces_resolve(root, &o->cfg, err) < 0 ||
	    pd_volumes_make_sources(&o->cfg, root, err) < 0)
		return -1;
	if (o->create) {
		if (pd_container_create(&o->cfg, root, err) < 0)
			return -1;
		o->started = true; /* the cidfile stays: it names a container */
		printf("%s\n", o->cfg.id);
		return 0;
	}
	_cleanup_close_ int stdin_fd = o->stdin_path ? pd_sealed_copy(o->stdin_path, "--stdin", err) : -1;
	if (o->stdin_path && stdin_fd < 0)
		return -1;
	struct pd_start_io io = { .stdin_fd = stdin_fd,
				  .report_fd = o->report_fd,
				  .report_to_owner = o->report_stdout };
	int attach_fd = -1;
	pid_t pid = 0;
	if (pd_container_start(&o->cfg, root, o->detach, &io, &attach_fd, &pid, err) < 0)
		return -1;
	o->started = true;
	if (o->detach) {
		printf("%s\n", o->cfg.id);
		return 0;
	}
	if (!o->detach_keys)
		o->detach_keys = xstrdup("\x10\x11");
	struct pd_attach_end end = { 0 };
	int saved[2] = { -1, -1 };
	mute_streams(o->attach, saved);
	bool in = o->cfg.interactive && (!o->attach || (o->attach & ATTACH_STDIN));
	int r = cli_attach_session(attach_fd, pid, o->cfg.tty, in, o->detach_keys, &end, &code, err);
	unmute_streams(saved);
	close(attach_fd);
	/* The report is the last line of stdout, on a line of its own. */
	if (end.report)
		printf("%s%s\n", end.stdout_mid_line ? "\n" : "", end.report);
	free(end.report);
	return r < 0 ? -1 : r == 1 ? 0 : code;
}

static int run_or_create(const struct cli_global *g, int argc, char **argv, bool create)
{
	struct run_opts o = { .report_fd = -1, .cid_fd = -1, .create = create };
	pd_config_init(&o.cfg);
	_cleanup_err_ struct pd_err *err = NULL;
	int code = run_main(g, &o, argc, argv, &err);
	if (code < 0) {
		pd_err_print(err);
		code = pd_err_exec_status(err->kind);
		report_failure(&o, err);
		if (o.cid_fd >= 0 && !o.started)
			unlink(o.cfg.cidfile);
	}
	if (o.cid_fd >= 0)
		close(o.cid_fd);
	if (o.report_fd >= 0)
		close(o.report_fd);
	free(o.stdin_path);
	free(o.report_path);
	free(o.cmd);
	free(o.entrypoint);
	free(o.detach_keys);
	pd_config_free(&o.cfg);
	return code;
}

int cli_run(const struct cli_global *g, int argc, char **argv)
{
	return run_or_create(g, argc, argv, false);
}

int cli_create(const struct cli_global *g, int argc, char **argv)
{
	return run_or_create(g, argc, argv, true);
}
