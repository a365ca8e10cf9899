/* `pocket-docker cp [-a] [-L] [-q] CONTAINER:SRC_PATH DEST_PATH|-` and
 * `pocket-docker cp [-a] [-L] [-q] SRC_PATH|- CONTAINER:DEST_PATH`: copy
 * files and directories between a container (running or exited) and the
 * host, with Docker's rules for paths; "-" is a tar stream on stdout or
 * stdin.  Prints "Successfully copied SIZE to DEST" on stderr when it is a
 * terminal, unless -q, as Docker does.  A missing source exits 1; bad
 * usage and no such container 125. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/copy.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* -a, -L and -q live in cli_flags' all, follow and quiet. */
static int set_archive(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->all = true;
	return 0;
}

static int set_follow(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->follow = true;
	return 0;
}

static int set_quiet(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static const struct cli_opt cp_opts[] = {
	{ "archive", 'a', false, set_archive, "Archive mode (copy all uid/gid information)" },
	{ "follow-link", 'L', false, set_follow, "Always follow symbol link in SRC_PATH" },
	{ "quiet", 'q', false, set_quiet, "Suppress progress output during copy" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* "CONTAINER:PATH" as Docker splits it: an absolute path, or one whose
 * part before the first ':' starts with '.', is a host path. */
static bool split_container(char *arg, char **ctr, char **path)
{
	char *colon = strchr(arg, ':');
	if (arg[0] == '/' || !colon || arg[0] == '.')
		return false;
	*colon = '\0';
	*ctr = arg;
	*path = colon + 1;
	return true;
}

/* Docker's sizes: decimal units, four significant digits. */
static void human_size(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

int cli_cp(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(cp_opts, &f, argc, argv, &pos,
			    "Usage: pocket-docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
			    "       pocket-docker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
			    "Copy files/folders between a container and the local filesystem.\n\n"
			    "Use '-' as the source to read a tar archive from stdin and extract it to a\n"
			    "directory destination in a container.  Use '-' as the destination to stream\n"
			    "a tar archive of a container source to stdout.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (strv_len(pos) != 2)
		return cli_usage_error("cp needs exactly 2 arguments: SRC_PATH and DEST_PATH");
	_cleanup_free_ char *src = xstrdup(pos[0]), *dst = xstrdup(pos[1]);
	char *src_ctr = NULL, *src_path = NULL, *dst_ctr = NULL, *dst_path = NULL;
	bool from = split_container(src, &src_ctr, &src_path);
	bool to = split_container(dst, &dst_ctr, &dst_path);
	if (from && to)
		return cli_usage_error("copying between containers is not supported");
	if (!from && !to)
		return cli_usage_error("must specify at least one container source");
	struct pd_copy_opts o = {
		.ref = from ? src_ctr : dst_ctr,
		.container_path = from ? src_path : dst_path,
		.host_path = from ? dst : src,
		.to_container = to,
		.archive = f.all,
		.follow = f.follow,
	};
	if (!*o.ref)
		return cli_usage_error("cp: empty container name");
	if (!*o.container_path)
		return cli_usage_error("cp: empty container path");
	if (!*o.host_path)
		return cli_usage_error("cp: empty local path");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	uint64_t bytes = 0;
	if (pd_container_copy(root, &o, &bytes, &err) < 0)
		return cli_fail(err);
	if (!f.quiet && strcmp(o.host_path, "-") != 0 && isatty(2)) {
		char size[32];
		human_size(bytes, size, sizeof(size));
		_cleanup_free_ char *shown = str_escape(pos[1]);
		fprintf(stderr, "Successfully copied %s to %s\n", size, shown);
	}
	return 0;
}
