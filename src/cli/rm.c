/* `pocket-docker rm [-f] CONTAINER... | --all` and `pocket-docker prune`. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* -v: cli_flags has no field of its own for it; `quiet` is unused by rm. */
static int set_volumes(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static const struct cli_opt rm_table[] = {
	{ "force", 'f', false, cli_flag_force, "kill and remove a running container" },
	{ "all", 'a', false, cli_flag_all, "remove every container (running ones only with -f)" },
	{ "volumes", 'v', false, set_volumes, "remove the container's anonymous volumes too" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt prune_table[] = {
	{ "force", 'f', false, cli_flag_force,
	  "do not ask (there is no prompt: accepted for compatibility)" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static char **all_ids(const char *root, struct pd_err **err)
{
	struct pd_record *v = NULL;
	size_t n = 0;
	if (pd_container_list(root, PD_LIST_ALL, NULL, &v, &n, err) < 0)
		return NULL;
	char **ids = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		strv_push(&ids, v[i].id);
	pd_records_free(v, n);
	return ids;
}

int cli_rm(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(rm_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker rm [OPTIONS] CONTAINER... | --all\n\nRemove containers.") <
	    0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (f.all == !!pos[0])
		return cli_usage_error("rm needs container names or ids, or --all");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	_cleanup_strv_ char **ids = f.all ? all_ids(root, &err) : NULL;
	if (f.all && !ids)
		return cli_fail(err);
	int ret = 0;
	for (char **p = f.all ? ids : pos; *p; p++) {
		if (pd_container_remove(root, *p, f.force, f.quiet, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		} else {
			cli_print_line(*p);
		}
	}
	return ret;
}

static void pruned(const char *id, const struct pd_err *e, void *data)
{
	if (e)
		pd_err_print(e);
	else if (id) {
		if (!*(int *)data)
			printf("Deleted Containers:\n");
		*(int *)data += 1;
		printf("%s\n", id);
	}
}

int cli_prune(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(prune_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker prune\n\n"
			    "Remove exited containers and whatever a crash left behind.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int count = 0;
	if (pd_container_prune(root, pruned, &count, &err) < 0)
		return cli_fail(err);
	if (!count)
		printf("Nothing to prune\n");
	return 0;
}
