/* `pocket-docker update [--memory M] [--memory-swap M] [--cpus N]
 * [--cpu-shares N] [--pids-limit N] [--restart POLICY] CONTAINER...`: new
 * limits for running containers (their cgroup, at once) and stopped ones
 * (their next start), and a new restart policy, as Docker's update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "core/control.h"
#include "util/cleanup.h"
#include "util/str.h"

#define MIN_MEMORY (6ULL << 20) /* Docker's minimum memory limit */

struct update_opts {
	struct cli_flags f; /* first: the shared setters cast the options to it */
	struct pd_update u;
	bool any;
};

#define UOPTS(o) ((struct update_opts *)(o))

static int set_memory(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_size(a, &v, err) < 0)
		return -1;
	if (v < MIN_MEMORY)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --memory '%s': minimum memory limit allowed is 6MB", a);
	UOPTS(o)->u.limits.memory = v;
	UOPTS(o)->any = true;
	return 0;
}

static int set_memory_swap(void *o, const char *a, struct pd_err **err)
{
	uint64_t v = 0;
	if (strcmp(a, "-1") != 0 && (pd_parse_size(a, &v, err) < 0 || v > INT64_MAX || v == 0))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --memory-swap '%s': want a size, or -1 for unlimited swap", a);
	UOPTS(o)->u.limits.memory_swap = strcmp(a, "-1") ? (int64_t)v : -1;
	UOPTS(o)->any = true;
	return 0;
}

static int set_cpus(void *o, const char *a, struct pd_err **err)
{
	struct pd_limits l = { 0 };
	if (pd_cpus_parse(a, &l, err) < 0)
		return -1;
	if (!l.cpu_period_us)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --cpus '%s': want a number above 0", a);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n > 0 && l.cpu_quota_us > (uint64_t)n * l.cpu_period_us)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --cpus '%s': the host has only %ld CPUs",
				    a, n);
	UOPTS(o)->u.limits.cpu_quota_us = l.cpu_quota_us;
	UOPTS(o)->u.limits.cpu_period_us = l.cpu_period_us;
	UOPTS(o)->any = true;
	return 0;
}

static int set_cpu_shares(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_uint(a, 262144, &v, pd_err_ignore(status)) < 0 || v < 2)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --cpu-shares '%s': want 2 to 262144", a);
	UOPTS(o)->u.limits.cpu_shares = v;
	UOPTS(o)->any = true;
	return 0;
}

static int set_pids_limit(void *o, const char *a, struct pd_err **err)
{
	uint64_t v;
	if (pd_parse_uint(a, 4194304, &v, pd_err_ignore(status)) < 0 || v == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --pids-limit '%s': want a number of processes above 0", a);
	UOPTS(o)->u.limits.pids_max = v;
	UOPTS(o)->any = true;
	return 0;
}

static int set_restart(void *o, const char *a, struct pd_err **err)
{
	struct pd_update *u = &UOPTS(o)->u;
	if (pd_restart_parse(a, &u->restart, &u->restart_max, err) < 0)
		return -1;
	u->set_restart = true;
	UOPTS(o)->any = true;
	return 0;
}

static const struct cli_opt update_table[] = {
	{ "memory", 'm', true, set_memory, "memory limit: bytes, or 256m, 1g" },
	{ "memory-swap", 0, true, set_memory_swap, "memory plus swap limit; -1 for unlimited swap" },
	{ "cpus", 0, true, set_cpus, "number of CPUs (1.5: one and a half)" },
	{ "cpu-shares", 'c', true, set_cpu_shares, "relative CPU weight (2 to 262144)" },
	{ "pids-limit", 0, true, set_pids_limit, "maximum number of processes" },
	{ "restart", 0, true, set_restart, "restart policy: no, on-failure[:N], always, unless-stopped" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_update(const struct cli_global *g, int argc, char **argv)
{
	struct update_opts o = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(update_table, &o.f, argc, argv, &pos,
			    "Usage: pocket-docker update [OPTIONS] CONTAINER...\n\n"
			    "Update the resource limits and restart policy of containers.") < 0)
		return CLI_EXIT_USAGE;
	cli_flags_free(&o.f);
	if (o.f.help)
		return 0;
	if (!pos[0])
		return cli_usage_error("update needs at least one container");
	if (!o.any)
		return cli_usage_error("update needs at least one flag (see 'pocket-docker update --help')");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (size_t i = 0; pos[i]; i++) {
		char id[65];
		if (pd_container_update(root, pos[i], &o.u, id, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
			continue;
		}
		cli_print_line(pos[i]);
	}
	return ret;
}
