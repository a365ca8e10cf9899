/* `pocket-docker start [-a] [-i] CONTAINER...` and `pocket-docker restart
 * [-t SECONDS] CONTAINER...`: a stopped container (created, or exited)
 * runs again from its recorded config, with its upper layer, name, id and
 * log.  Each container is printed as named once started; a failure is
 * reported and the next one is tried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/container.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

struct start_opts {
	bool attach, interactive, help;
	char *detach_keys;
	int timeout; /* restart -t; -1: the container's own */
};

#define SO(o) ((struct start_opts *)(o))

static int set_attach(void *o, const char *a, struct pd_err **err)
{
	SO(o)->attach = true;
	return 0;
}

static int set_interactive(void *o, const char *a, struct pd_err **err)
{
	SO(o)->interactive = true;
	return 0;
}

static int set_keys(void *o, const char *a, struct pd_err **err)
{
	return cli_set_detach_keys(&SO(o)->detach_keys, a, err);
}

static int set_help(void *o, const char *a, struct pd_err **err)
{
	SO(o)->help = true;
	return 0;
}

static int set_time(void *o, const char *a, struct pd_err **err)
{
	uint64_t n;
	if (pd_parse_uint(a, 86400, &n, err) < 0)
		return -1;
	SO(o)->timeout = (int)n;
	return 0;
}

static const struct cli_opt start_table[] = {
	{ "attach", 'a', false, set_attach, "attach stdout/stderr and forward signals" },
	{ "interactive", 'i', false, set_interactive, "attach the container's stdin" },
	{ "detach-keys", 0, true, set_keys, "key sequence that detaches (default ctrl-p,ctrl-q)" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static const struct cli_opt restart_table[] = {
	{ "time", 't', true, set_time,
	  "seconds to wait before SIGKILL (default: the container's --stop-timeout, or 5)" },
	{ "timeout", 0, true, set_time, "same as --time" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

/* Parse; 1 after --help (printed), -1 on bad input (printed). */
static int parse(const struct cli_opt *table, struct start_opts *o, int argc, char **argv, int *i,
		 const char *usage)
{
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse(table, o, argc, argv, i, &err) < 0) {
		cli_fail(err);
		return -1;
	}
	if (o->help) {
		printf("%s\n", usage);
		cli_print_options(table);
		return 1;
	}
	if (*i >= argc) {
		cli_usage_error("%s needs at least one container", argv[0]);
		return -1;
	}
	return 0;
}

/* start -a: the one container's output (and with -i its input) until it
 * exits; its exit status is ours, as for `run`.  A running container is
 * attached to. */
static int start_attached(const char *root, const char *ref, const struct start_opts *o)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_config cfg;
	pd_config_init(&cfg);
	int fd = -1, code = 0;
	pid_t pid = 0;
	int r = pd_container_start_existing(root, ref, false, &cfg, &fd, &pid, &err);
	bool tty = cfg.tty, in = cfg.interactive;
	pd_config_free(&cfg);
	if (r == 1 && pd_container_connect(root, ref, &fd, &pid, &tty, &in, &err) < 0)
		r = -1;
	if (r < 0)
		return cli_fail(err);
	int a = cli_attach_session(fd, pid, tty, o->interactive && in,
				   o->detach_keys ? o->detach_keys : "\x10\x11", NULL, &code, &err);
	close(fd);
	if (a < 0)
		return cli_fail(err);
	return a == 1 ? 0 : code;
}

static int start_detached(const char *root, const char *ref)
{
	_cleanup_err_ struct pd_err *err = NULL;
	struct pd_config cfg;
	pd_config_init(&cfg);
	int r = pd_container_start_existing(root, ref, true, &cfg, NULL, &(pid_t){ 0 }, &err);
	pd_config_free(&cfg);
	if (r < 0)
		return cli_fail(err);
	cli_print_line(ref);
	return 0;
}

int cli_start(const struct cli_global *g, int argc, char **argv)
{
	struct start_opts o = { .timeout = -1 };
	int i = 1;
	int p = parse(start_table, &o, argc, argv, &i,
		      "Usage: pocket-docker start [OPTIONS] CONTAINER...\n\n"
		      "Start one or more stopped containers.");
	int ret = CLI_EXIT_USAGE;
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *root = NULL;
	if (p != 0) {
		ret = p > 0 ? 0 : CLI_EXIT_USAGE;
		goto out;
	}
	if ((o.attach || o.interactive) && argc - i > 1) {
		ret = cli_usage_error("you cannot start and attach multiple containers at once");
		goto out;
	}
	root = pd_state_root(g->root, &err);
	if (!root) {
		ret = cli_fail(err);
		goto out;
	}
	if (o.attach || o.interactive) {
		ret = start_attached(root, argv[i], &o);
		goto out;
	}
	ret = 0;
	for (; i < argc; i++) {
		int r = start_detached(root, argv[i]);
		if (r)
			ret = r;
	}
out:
	free(o.detach_keys);
	return ret;
}

int cli_restart(const struct cli_global *g, int argc, char **argv)
{
	struct start_opts o = { .timeout = -1 };
	int i = 1;
	int p = parse(restart_table, &o, argc, argv, &i,
		      "Usage: pocket-docker restart [OPTIONS] CONTAINER...\n\n"
		      "Restart one or more containers: stop (as 'stop' does) and start again.");
	if (p != 0)
		return p > 0 ? 0 : CLI_EXIT_USAGE;
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (; i < argc; i++) {
		if (pd_container_restart(root, argv[i], o.timeout, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		} else {
			cli_print_line(argv[i]);
		}
	}
	return ret;
}
