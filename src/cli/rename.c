/* `pocket-docker rename CONTAINER NEW_NAME`: a running or exited
 * container gets a new name (Docker's name rule; a name in use is
 * refused).  Prints nothing, as Docker. */
#include "cli/cli.h"
#include "core/container.h"
#include "core/control.h"
#include "util/cleanup.h"
#include "util/str.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_rename(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(help_only, &f, argc, argv, &pos,
			    "Usage: pocket-docker rename CONTAINER NEW_NAME\n\nRename a container.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (strv_len(pos) != 2)
		return cli_usage_error("rename needs exactly 2 arguments: CONTAINER NEW_NAME");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	if (pd_container_rename(root, pos[0], pos[1], &err) < 0)
		return cli_fail(err);
	return 0;
}
