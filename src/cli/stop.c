/* `pocket-docker stop [-t SECONDS] CONTAINER... | --all` and
 * `pocket-docker kill [-s SIGNAL] CONTAINER...`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static int set_time(void *o, const char *a, struct pd_err **err)
{
	uint64_t n;
	if (pd_parse_uint(a, 86400, &n, err) < 0)
		return -1;
	free(((struct cli_flags *)o)->time);
	((struct cli_flags *)o)->time = xstrdup(a);
	return 0;
}

static int set_signal(void *o, const char *a, struct pd_err **err)
{
	if (pd_signal_parse(a) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid signal '%s'", a);
	free(((struct cli_flags *)o)->signal);
	((struct cli_flags *)o)->signal = xstrdup(a);
	return 0;
}

static const struct cli_opt stop_table[] = {
	{ "time", 't', true, set_time,
	  "seconds to wait before SIGKILL (default: the container's --stop-timeout, or 5)" },
	{ "timeout", 0, true, set_time, "same as --time" },
	{ "all", 'a', false, cli_flag_all, "stop every running container" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt kill_table[] = {
	{ "signal", 's', true, set_signal, "signal to send (default KILL)" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

struct report_state {
	int failed;
};

static void report(const char *ref, const struct pd_err *e, void *data)
{
	if (e) {
		((struct report_state *)data)->failed = cli_fail((struct pd_err *)e);
	} else if (ref) {
		cli_print_line(ref);
	}
}

/* Every running container's id, for --all. */
static char **running_ids(const char *root, struct pd_err **err)
{
	struct pd_record *v = NULL;
	size_t n = 0;
	if (pd_container_list(root, PD_LIST_RUNNING, NULL, &v, &n, err) < 0)
		return NULL;
	char **ids = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		strv_push(&ids, v[i].id);
	pd_records_free(v, n);
	return ids;
}

int cli_stop(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(stop_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker stop [OPTIONS] CONTAINER... | --all\n\n"
			    "Stop containers: SIGTERM, then SIGKILL after the grace period.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	/* Without -t, each container's own --stop-timeout (or the default). */
	int timeout = f.time ? (int)strtoul(f.time, NULL, 10) : -1;
	cli_flags_free(&f);
	if (f.all == !!pos[0])
		return cli_usage_error("stop needs container names or ids, or --all");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	_cleanup_strv_ char **ids = f.all ? running_ids(root, &err) : NULL;
	if (f.all && !ids)
		return cli_fail(err);
	struct report_state st = { 0 };
	pd_container_stop(root, f.all ? ids : pos, timeout, report, &st);
	return st.failed;
}

int cli_kill(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	if (cli_parse_flags(
		kill_table, &f, argc, argv, &pos,
		"Usage: pocket-docker kill [OPTIONS] CONTAINER...\n\nSend a signal to containers.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	int sig = f.signal ? pd_signal_parse(f.signal) : SIGKILL;
	cli_flags_free(&f);
	if (!pos[0])
		return cli_usage_error("kill needs at least one container");
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (size_t i = 0; pos[i]; i++) {
		if (pd_container_kill(root, pos[i], sig, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		} else {
			cli_print_line(pos[i]);
		}
	}
	return ret;
}
