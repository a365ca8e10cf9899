/* `build`: the command-line face of core/build.h.  Progress lines go to
 * stdout ("STEP 2/5: RUN make", as podman prints them), a RUN's output
 * too; with -q only the image id is printed (the build's output goes to
 * /dev/null meanwhile). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/build.h"
#include "core/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

struct build_cli {
	char **tags, **build_args, **labels;
	char *file, *target, *network, *iidfile;
	bool no_cache, pull, quiet, help;
};
#define BO(o) ((struct build_cli *)(o))

static int set_str(char **slot, const char *a)
{
	free(*slot);
	*slot = xstrdup(a);
	return 0;
}

static int b_tag(void *o, const char *a, struct pd_err **err)
{
	strv_push(&BO(o)->tags, a);
	return 0;
}

static int b_arg(void *o, const char *a, struct pd_err **err)
{
	if (!*a || *a == '=')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--build-arg '%s': needs KEY[=VALUE]", a);
	strv_push(&BO(o)->build_args, a);
	return 0;
}

static int b_label(void *o, const char *a, struct pd_err **err)
{
	if (!*a || *a == '=')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--label '%s': needs KEY[=VALUE]", a);
	strv_push(&BO(o)->labels, a);
	return 0;
}

static int b_file(void *o, const char *a, struct pd_err **err)
{
	return set_str(&BO(o)->file, a);
}

static int b_target(void *o, const char *a, struct pd_err **err)
{
	return set_str(&BO(o)->target, a);
}

static int b_network(void *o, const char *a, struct pd_err **err)
{
	return set_str(&BO(o)->network, a);
}

static int b_iidfile(void *o, const char *a, struct pd_err **err)
{
	return set_str(&BO(o)->iidfile, a);
}

static int b_no_cache(void *o, const char *a, struct pd_err **err)
{
	BO(o)->no_cache = true;
	return 0;
}

static int b_pull(void *o, const char *a, struct pd_err **err)
{
	BO(o)->pull = true;
	return 0;
}

static int b_quiet(void *o, const char *a, struct pd_err **err)
{
	BO(o)->quiet = true;
	return 0;
}

static int b_help(void *o, const char *a, struct pd_err **err)
{
	BO(o)->help = true;
	return 0;
}

static const struct cli_opt build_table[] = {
	{ "tag", 't', true, b_tag, "name the image NAME[:TAG] (may be repeated)" },
	{ "file", 'f', true, b_file, "the Dockerfile (default: CONTEXT/Dockerfile)" },
	{ "build-arg", 0, true, b_arg, "set a build argument KEY=VALUE (KEY alone: from the environment)" },
	{ "target", 0, true, b_target, "build this stage and what it needs, no further" },
	{ "no-cache", 0, false, b_no_cache, "do not use the layer cache" },
	{ "pull", 0, false, b_pull, "pull every FROM image, even one that is here" },
	{ "label", 0, true, b_label, "set a label KEY=VALUE on the image" },
	{ "network", 0, true, b_network, "RUN steps' network: none, host or bridge (default bridge)" },
	{ "quiet", 'q', false, b_quiet, "print only the image id" },
	{ "iidfile", 0, true, b_iidfile, "write the image id to this file" },
	{ "help", 0, false, b_help, "show this help" },
	{ 0 },
};

static void progress(const char *line, void *data)
{
	(void)data;
	cli_print_line(line);
	fflush(stdout);
}

/* -q: fds 1 and 2 to /dev/null while the build runs; saved[] keeps ours. */
static void mute(int saved[2])
{
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2 && null >= 0; i++) {
		saved[i] = fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
		if (saved[i] >= 0)
			dup2(null, i + 1);
	}
}

static void unmute(int saved[2])
{
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < 2; i++)
		if (saved[i] >= 0) {
			dup2(saved[i], i + 1);
			close(saved[i]);
		}
}

static int build_main(const struct cli_global *g, struct build_cli *o, int argc, char **argv,
		      struct pd_err **err)
{
	_cleanup_strv_ char **pos = xcalloc(1, sizeof(char *));
	for (int i = 1; i < argc;) {
		if (cli_parse(build_table, o, argc, argv, &i, err) < 0)
			return -1;
		if (i < argc)
			strv_push(&pos, argv[i++]);
	}
	if (o->help) {
		printf("Usage: pocket-docker build [OPTIONS] CONTEXT\n\n"
		       "Build an image from a Dockerfile.\n");
		cli_print_options(build_table);
		return 0;
	}
	if (strv_len(pos) != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "build needs exactly 1 argument: CONTEXT");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_build_opts bo = {
		.context = pos[0],
		.dockerfile = o->file,
		.tags = o->tags,
		.build_args = o->build_args,
		.labels = o->labels,
		.target = o->target,
		.network = o->network,
		.no_cache = o->no_cache,
		.pull = o->pull,
		.progress = progress,
	};
	int saved[2] = { -1, -1 };
	if (o->quiet)
		mute(saved);
	_cleanup_free_ char *id = NULL;
	int r = pd_build(root, &bo, &id, err);
	if (o->quiet)
		unmute(saved);
	if (r < 0)
		return -1;
	if (o->iidfile && pd_write_file_atomic(o->iidfile, id, strlen(id), 0644, err) < 0) {
		pd_err_prefix(err, "--iidfile");
		return -1;
	}
	if (o->quiet) {
		cli_print_line(id);
		return 0;
	}
	_cleanup_free_ char *line = xasprintf("Successfully built %.19s", id);
	cli_print_line(line);
	for (size_t i = 0; o->tags[i]; i++) {
		_cleanup_free_ char *t = xasprintf("Successfully tagged %s", o->tags[i]);
		cli_print_line(t);
	}
	cli_print_line(id);
	return 0;
}

int cli_build(const struct cli_global *g, int argc, char **argv)
{
	struct build_cli o = {
		.tags = xcalloc(1, sizeof(char *)),
		.build_args = xcalloc(1, sizeof(char *)),
		.labels = xcalloc(1, sizeof(char *)),
	};
	_cleanup_err_ struct pd_err *err = NULL;
	int code = build_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	strv_free(o.tags);
	strv_free(o.build_args);
	strv_free(o.labels);
	free(o.file);
	free(o.target);
	free(o.network);
	free(o.iidfile);
	return code;
}
