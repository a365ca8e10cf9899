/* `pocket-docker diff CONTAINER`: the files a container added (A),
 * changed (C) and deleted (D) in its writable layer, one per line in path
 * order, as `docker diff` prints them.  Works on running and exited
 * containers. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/copy.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_diff(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(help_only, &f, argc, argv, &pos,
			    "Usage: pocket-docker diff CONTAINER\n\n"
			    "Inspect changes to files or directories on a container's filesystem.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (strv_len(pos) != 1)
		return cli_usage_error("diff needs exactly 1 argument: CONTAINER");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_change *v = NULL;
	size_t n = 0;
	if (pd_container_diff(root, pos[0], &v, &n, &err) < 0)
		return cli_fail(err);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *line = xasprintf("%c %s", v[i].kind, v[i].path);
		cli_print_line(line);
	}
	pd_changes_free(v, n);
	return 0;
}
