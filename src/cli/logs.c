/* `pocket-docker logs [-f] [--tail N] [-t] [--since T] [--until T] CONTAINER`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/logs.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

static int set_follow(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->follow = true;
	return 0;
}

static int set_timestamps(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->timestamps = true;
	return 0;
}

static int set_tail(void *o, const char *a, struct pd_err **err)
{
	uint64_t n;
	if (strcmp(a, "all") != 0 && pd_parse_uint(a, INT64_MAX, &n, err) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --tail '%s': want a number or 'all'", a);
	free(((struct cli_flags *)o)->tail);
	((struct cli_flags *)o)->tail = xstrdup(a);
	return 0;
}

/* The common flags, and the time window (--since/--until, nanoseconds). */
struct logs_flags {
	struct cli_flags f; /* first: the shared setters cast the options to it */
	int64_t since_ns, until_ns;
};

static int set_time(int64_t *slot, const char *flag, const char *a, struct pd_err **err)
{
	if (pd_parse_time_arg(a, pd_now_ns(), slot, err) < 0) {
		pd_err_prefix(err, "--%s", flag);
		return -1;
	}
	return 0;
}

static int set_since(void *o, const char *a, struct pd_err **err)
{
	return set_time(&((struct logs_flags *)o)->since_ns, "since", a, err);
}

static int set_until(void *o, const char *a, struct pd_err **err)
{
	return set_time(&((struct logs_flags *)o)->until_ns, "until", a, err);
}

static const struct cli_opt logs_table[] = {
	{ "follow", 'f', false, set_follow, "follow the output until the container exits" },
	{ "tail", 'n', true, set_tail, "number of lines from the end (default: all)" },
	{ "timestamps", 't', false, set_timestamps, "show timestamps" },
	{ "since", 0, true, set_since, "lines since a time (2006-01-02T15:04:05Z, Unix seconds, 10m ago)" },
	{ "until", 0, true, set_until, "lines until a time (same forms as --since)" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static int logs_main(const struct cli_global *g, struct logs_flags *lf, char **pos, struct pd_err **err)
{
	struct cli_flags *f = &lf->f;
	if (!pos[0] || pos[1])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "logs takes exactly one container");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_record r;
	if (pd_container_lookup(root, pos[0], &r, err) < 0)
		return -1;
	int ret = 0;
	if (!r.started_ns && r.state == PD_STATE_EXITED) {
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s never started%s%s", r.id,
				   r.error ? ": " : "", r.error ? r.error : "");
		pd_record_free(&r);
		return ret;
	}
	if (!r.started_ns && r.state == PD_STATE_CREATED) {
		/* Created, never started: no output yet (Docker prints none). */
		pd_record_free(&r);
		return 0;
	}
	struct pd_log_opts o = {
		.timestamps = f->timestamps,
		.tail = -1,
		.follow = f->follow,
		.follow_pidfd = -1,
		.since_ns = lf->since_ns,
		.until_ns = lf->until_ns,
	};
	if (f->tail && strcmp(f->tail, "all") != 0)
		o.tail = strtoll(f->tail, NULL, 10);
	if (o.follow)
		o.follow_pidfd = pd_pidfd_open_checked(r.monitor_pid, r.monitor_start);
	_cleanup_free_ char *path = pd_log_path(root, r.id);
	ret = pd_log_print(path, &o, 1, 2, err);
	if (o.follow_pidfd >= 0)
		close(o.follow_pidfd);
	pd_record_free(&r);
	return ret;
}

int cli_logs(const struct cli_global *g, int argc, char **argv)
{
	struct logs_flags lf = { 0 };
	struct cli_flags *f = &lf.f;
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(logs_table, f, argc, argv, &pos,
			    "Usage: pocket-docker logs [OPTIONS] CONTAINER\n\nShow a container's output.") <
	    0)
		return CLI_EXIT_USAGE;
	int ret = f->help ? 0 : logs_main(g, &lf, pos, &err) < 0 ? cli_fail(err) : 0;
	cli_flags_free(f);
	return ret;
}
