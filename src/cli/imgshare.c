/* `tag`, `commit`, `export`, `history`, `save`, `load` and `image prune`:
 * the command-line face of core/image-share.h. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/image-share.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* A file to write (-o), made only once the command has something to
 * write into it: mode 0644 less the umask, truncated. */
static int open_output(const char *path, struct pd_err **err)
{
	int fd;
	if (!path || !strcmp(path, "-")) {
		fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? pd_fail(err, errno, "stdout") : fd;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "open '%s'", path);
	return fd;
}

/* ------------------------------------------------------------------ */
/* tag */

int cli_tag(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(help_only, &f, argc, argv, &pos,
			    "Usage: pocket-docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
			    "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (strv_len(pos) != 2)
		return cli_usage_error("tag needs exactly 2 arguments: SOURCE_IMAGE TARGET_IMAGE");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root || pd_image_tag(root, pos[0], pos[1], &err) < 0)
		return cli_fail(err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* commit */

struct commit_opts {
	char **changes;
	char *message, *author;
	bool no_pause, help;
};
#define COMMIT(o) ((struct commit_opts *)(o))

static int commit_change(void *o, const char *a, struct pd_err **err)
{
	if (pd_commit_change_check(a, err) < 0) {
		pd_err_prefix(err, "--change");
		return -1;
	}
	strv_push(&COMMIT(o)->changes, a);
	return 0;
}

static int commit_message(void *o, const char *a, struct pd_err **err)
{
	free(COMMIT(o)->message);
	COMMIT(o)->message = xstrdup(a);
	return 0;
}

static int commit_author(void *o, const char *a, struct pd_err **err)
{
	free(COMMIT(o)->author);
	COMMIT(o)->author = xstrdup(a);
	return 0;
}

static int commit_pause(void *o, const char *a, struct pd_err **err)
{
	if (a && strcmp(a, "true") && strcmp(a, "false"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--pause: '%s' is not true or false", a);
	COMMIT(o)->no_pause = a && !strcmp(a, "false");
	return 0;
}

static int commit_help(void *o, const char *a, struct pd_err **err)
{
	COMMIT(o)->help = true;
	return 0;
}

static const struct cli_opt commit_table[] = {
	{ "change", 'c', true, commit_change,
	  "apply a Dockerfile instruction (CMD ENTRYPOINT ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR)" },
	{ "message", 'm', true, commit_message, "commit message" },
	{ "author", 'a', true, commit_author, "author (\"Name <email>\")" },
	{ "pause", 'p', CLI_ARG_OPTIONAL, commit_pause,
	  "pause a running container while committing (default true)" },
	{ "help", 0, false, commit_help, "show this help" },
	{ 0 },
};

static int commit_main(const struct cli_global *g, struct commit_opts *o, int argc, char **argv,
		       struct pd_err **err)
{
	_cleanup_strv_ char **pos = xcalloc(1, sizeof(char *));
	for (int i = 1; i < argc;) {
		if (cli_parse(commit_table, o, argc, argv, &i, err) < 0)
			return -1;
		if (i < argc)
			strv_push(&pos, argv[i++]);
	}
	if (o->help) {
		printf("Usage: pocket-docker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n"
		       "Create a new image from a container's changes.\n");
		cli_print_options(commit_table);
		return 0;
	}
	if (strv_len(pos) < 1 || strv_len(pos) > 2)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "commit needs 1 or 2 arguments: CONTAINER [REPOSITORY[:TAG]]");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_commit_opts co = {
		.ref = pos[0],
		.name = pos[1],
		.comment = o->message,
		.author = o->author,
		.changes = o->changes,
		.no_pause = o->no_pause,
	};
	_cleanup_free_ char *id = NULL;
	if (pd_container_commit(root, &co, &id, err) < 0)
		return -1;
	cli_print_line(id);
	return 0;
}

int cli_commit(const struct cli_global *g, int argc, char **argv)
{
	struct commit_opts o = { .changes = xcalloc(1, sizeof(char *)) };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = commit_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	strv_free(o.changes);
	free(o.message);
	free(o.author);
	return code;
}

/* ------------------------------------------------------------------ */
/* export and save: -o FILE */

struct out_opts {
	char *output;
	bool help;
};

static int out_output(void *o, const char *a, struct pd_err **err)
{
	free(((struct out_opts *)o)->output);
	((struct out_opts *)o)->output = xstrdup(a);
	return 0;
}

static int out_help(void *o, const char *a, struct pd_err **err)
{
	((struct out_opts *)o)->help = true;
	return 0;
}

static const struct cli_opt out_table[] = {
	{ "output", 'o', true, out_output, "write to a file instead of stdout" },
	{ "help", 0, false, out_help, "show this help" },
	{ 0 },
};

static int out_parse(struct out_opts *o, int argc, char **argv, char ***pos, const char *usage,
		     struct pd_err **err)
{
	*pos = xcalloc(1, sizeof(char *));
	for (int i = 1; i < argc;) {
		if (cli_parse(out_table, o, argc, argv, &i, err) < 0)
			return -1;
		if (i < argc)
			strv_push(pos, argv[i++]);
	}
	if (o->help) {
		printf("%s\n", usage);
		cli_print_options(out_table);
	}
	return 0;
}

/* Refuse to write an archive to a terminal, as Docker does. */
static int check_tty_out(const struct out_opts *o, const char *cmd, struct pd_err **err)
{
	if ((!o->output || !strcmp(o->output, "-")) && isatty(1))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "%s: refusing to write to the terminal: use -o FILE or redirect", cmd);
	return 0;
}

static int export_main(const struct cli_global *g, struct out_opts *o, int argc, char **argv,
		       struct pd_err **err)
{
	_cleanup_strv_ char **pos = NULL;
	if (out_parse(o, argc, argv, &pos,
		      "Usage: pocket-docker export [OPTIONS] CONTAINER\n\n"
		      "Export a container's filesystem as a tar archive.",
		      err) < 0)
		return -1;
	if (o->help)
		return 0;
	if (strv_len(pos) != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "export needs exactly 1 argument: CONTAINER");
	if (check_tty_out(o, "export", err) < 0)
		return -1;
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	_cleanup_close_ int fd = open_output(o->output, err);
	if (fd < 0)
		return -1;
	if (pd_container_export(root, pos[0], fd, err) < 0) {
		if (o->output && strcmp(o->output, "-"))
			unlink(o->output);
		return -1;
	}
	return 0;
}

int cli_export(const struct cli_global *g, int argc, char **argv)
{
	struct out_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = export_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.output);
	return code;
}

static int save_main(const struct cli_global *g, struct out_opts *o, int argc, char **argv,
		     struct pd_err **err)
{
	_cleanup_strv_ char **pos = NULL;
	if (out_parse(o, argc, argv, &pos,
		      "Usage: pocket-docker save [OPTIONS] IMAGE [IMAGE...]\n\n"
		      "Save images to a tar archive (docker-archive format).",
		      err) < 0)
		return -1;
	if (o->help)
		return 0;
	if (!pos[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "save needs at least 1 argument: IMAGE");
	if (check_tty_out(o, "save", err) < 0)
		return -1;
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	_cleanup_close_ int fd = open_output(o->output, err);
	if (fd < 0)
		return -1;
	if (pd_image_save(root, pos, fd, err) < 0) {
		if (o->output && strcmp(o->output, "-"))
			unlink(o->output);
		return -1;
	}
	return 0;
}

int cli_save(const struct cli_global *g, int argc, char **argv)
{
	struct out_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = save_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.output);
	return code;
}

/* ------------------------------------------------------------------ */
/* load */

struct load_opts {
	char *input;
	bool quiet, help;
};

static int load_input(void *o, const char *a, struct pd_err **err)
{
	free(((struct load_opts *)o)->input);
	((struct load_opts *)o)->input = xstrdup(a);
	return 0;
}

static int load_quiet(void *o, const char *a, struct pd_err **err)
{
	((struct load_opts *)o)->quiet = true;
	return 0;
}

static int load_help(void *o, const char *a, struct pd_err **err)
{
	((struct load_opts *)o)->help = true;
	return 0;
}

static const struct cli_opt load_table[] = {
	{ "input", 'i', true, load_input, "read from a tar archive file instead of stdin" },
	{ "quiet", 'q', false, load_quiet, "accepted for Docker's command line (nothing else is printed)" },
	{ "help", 0, false, load_help, "show this help" },
	{ 0 },
};

static int load_main(const struct cli_global *g, struct load_opts *o, int argc, char **argv,
		     struct pd_err **err)
{
	int i = 1;
	if (cli_parse(load_table, o, argc, argv, &i, err) < 0)
		return -1;
	if (o->help) {
		printf("Usage: pocket-docker load [OPTIONS]\n\n"
		       "Load an image from a docker-archive or oci-archive tar file (or stdin).\n");
		cli_print_options(load_table);
		return 0;
	}
	if (i < argc)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "load takes no arguments (use -i FILE)");
	if ((!o->input || !strcmp(o->input, "-")) && isatty(0))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "load: requested load from stdin, but stdin is empty (use -i FILE)");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	_cleanup_strv_ char **names = NULL;
	_cleanup_free_ char *id = NULL;
	if (pd_image_load(root, o->input, &names, &id, err) < 0)
		return -1;
	for (size_t k = 0; names[k]; k++) {
		_cleanup_free_ char *line = xasprintf("Loaded image: %s", names[k]);
		cli_print_line(line);
	}
	if (!names[0]) {
		_cleanup_free_ char *line = xasprintf("Loaded image ID: %s", id);
		cli_print_line(line);
	}
	return 0;
}

int cli_load(const struct cli_global *g, int argc, char **argv)
{
	struct load_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = load_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.input);
	return code;
}

/* ------------------------------------------------------------------ */
/* history */

static int history_quiet(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static int history_no_trunc(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->no_trunc = true;
	return 0;
}

static int history_human(void *o, const char *a, struct pd_err **err)
{
	if (a && strcmp(a, "true") && strcmp(a, "false"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--human: '%s' is not true or false", a);
	((struct cli_flags *)o)->json = a && !strcmp(a, "false"); /* json: not human */
	return 0;
}

static int history_format(void *o, const char *a, struct pd_err **err)
{
	struct cli_flags *f = o;
	free(f->format);
	f->format = strcmp(a, "table") ? xstrdup(a) : NULL;
	return 0;
}

static const struct cli_opt history_table[] = {
	{ "quiet", 'q', false, history_quiet, "print only image ids" },
	{ "no-trunc", 0, false, history_no_trunc, "don't truncate output" },
	{ "human", 'H', CLI_ARG_OPTIONAL, history_human,
	  "sizes and dates in human-readable form (default true)" },
	{ "format", 0, true, history_format, "a Go template ('{{.ID}} {{.CreatedBy}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* The fields of one line, as Docker's history --format sees them. */
static json_t *history_row(const struct pd_history *h, const struct cli_flags *f, int64_t now)
{
	char id[80], size[32], ago[80], at[64];
	if (!h->id)
		snprintf(id, sizeof(id), "<missing>");
	else if (f->no_trunc)
		snprintf(id, sizeof(id), "%s", h->id);
	else
		snprintf(id, sizeof(id), "%.12s", h->id + 7);
	bool human = !f->json;
	if (human)
		pd_format_size(h->size, PD_SIZE_SHORT, size, sizeof(size));
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)h->size);
	time_t t = (time_t)(h->created_ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!h->created_ns) {
		snprintf(ago, sizeof(ago), "N/A");
	} else if (human) {
		char d[64];
		cli_human_duration(now - h->created_ns, d, sizeof(d));
		snprintf(ago, sizeof(ago), "%s ago", d);
	} else {
		snprintf(ago, sizeof(ago), "%s", at);
	}
	/* Docker cuts CREATED BY to 45 characters, the last an ellipsis. */
	_cleanup_free_ char *by = xstrdup(h->created_by);
	if (!f->no_trunc && strlen(by) > 45)
		strcpy(by + 44, "…");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "CreatedSince", ago, "CreatedAt", at,
			 "CreatedBy", by, "Size", size, "Comment", h->comment);
}

static int history_print(const struct cli_flags *f, const struct pd_history *v, size_t n, struct pd_err **err)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (f->quiet) {
		for (size_t i = 0; i < n; i++) {
			_cleanup_(json_decrefp) json_t *row = history_row(&v[i], f, now);
			printf("%s\n", json_string_value(json_object_get(row, "ID")));
		}
		return 0;
	}
	const char *format =
	    f->format ? f->format
		      : "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
	struct pd_tmpl_list l;
	if (cli_tmpl_init(&l, format, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (cli_tmpl_add(&l, history_row(&v[i], f, now), err) < 0)
			return -1;
	json_t *head =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince", "CREATED", "CreatedAt",
		      "CREATED AT", "CreatedBy", "CREATED BY", "Size", "SIZE", "Comment", "COMMENT");
	return cli_tmpl_print(&l, head, err);
}

int cli_history(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(history_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker history [OPTIONS] IMAGE\n\nShow the history of an image.") <
	    0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (strv_len(pos) != 1) {
		cli_flags_free(&f);
		return cli_usage_error("history needs exactly 1 argument: IMAGE");
	}
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	struct pd_history *v = NULL;
	size_t n = 0;
	int r = !root ? -1 : pd_image_history(root, pos[0], &v, &n, &err);
	if (r == 0)
		r = history_print(&f, v, n, &err);
	pd_history_free(v, n);
	cli_flags_free(&f);
	return r < 0 ? cli_fail(err) : 0;
}

/* ------------------------------------------------------------------ */
/* image prune */

static int prune_all(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->all = true;
	return 0;
}

static const struct cli_opt prune_table[] = {
	{ "all", 'a', false, prune_all, "remove every image no container uses, not only dangling ones" },
	{ "force", 'f', false, cli_flag_force, "do not prompt for confirmation" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_image_prune(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(prune_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker image prune [OPTIONS]\n\nRemove unused images.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (pos[0])
		return cli_usage_error("image prune takes no arguments");
	if (!f.force) {
		printf("WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ",
		       f.all ? "all images without at least one container associated to them"
			     : "all dangling images");
		fflush(stdout);
		char line[16] = "";
		if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
			return 0;
	}
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	_cleanup_strv_ char **report = xcalloc(1, sizeof(char *));
	uint64_t reclaimed = 0;
	int r = pd_image_prune(root, f.all, &report, &reclaimed, &err);
	if (report[0]) {
		printf("Deleted Images:\n");
		for (char **l = report; *l; l++)
			cli_print_line(*l);
		printf("\n");
	}
	char size[32];
	pd_format_size(reclaimed, PD_SIZE_SHORT, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	return r < 0 ? cli_fail(err) : 0;
}
