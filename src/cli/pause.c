/* `pocket-docker pause CONTAINER...` and `pocket-docker unpause
 * CONTAINER...`: freeze or thaw every process of running containers
 * (the cgroup freezer, v1 or v2).  Each container is printed as named
 * once done; a failure is reported and the next one is tried. */
#include "cli/cli.h"
#include "core/container.h"
#include "core/control.h"
#include "util/cleanup.h"
#include "util/str.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static int pause_each(const struct cli_global *g, int argc, char **argv, bool pause)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(help_only, &f, argc, argv, &pos,
			    pause ? "Usage: pocket-docker pause CONTAINER...\n\n"
				    "Pause all processes within one or more containers."
				  : "Usage: pocket-docker unpause CONTAINER...\n\n"
				    "Unpause all processes within one or more containers.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (!pos[0])
		return cli_usage_error("%s needs at least one container", pause ? "pause" : "unpause");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (size_t i = 0; pos[i]; i++) {
		if (pd_container_pause(root, pos[i], pause, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		} else {
			cli_print_line(pos[i]);
		}
	}
	return ret;
}

int cli_pause(const struct cli_global *g, int argc, char **argv)
{
	return pause_each(g, argc, argv, true);
}

int cli_unpause(const struct cli_global *g, int argc, char **argv)
{
	return pause_each(g, argc, argv, false);
}
