/* `pocket-docker pull`, `images`, `rmi` and `import`: the command-line face
 * of the image store (core/images.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/image-filter.h"
#include "core/images.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ */
/* pull */

struct pull_opts {
	bool quiet, insecure, password_stdin, help;
	char *username, *authfile;
};

#define PULL(o) ((struct pull_opts *)(o))

static int pull_quiet(void *o, const char *a, struct pd_err **err)
{
	PULL(o)->quiet = true;
	return 0;
}

static int pull_insecure(void *o, const char *a, struct pd_err **err)
{
	PULL(o)->insecure = true;
	return 0;
}

static int pull_password_stdin(void *o, const char *a, struct pd_err **err)
{
	PULL(o)->password_stdin = true;
	return 0;
}

static int pull_username(void *o, const char *a, struct pd_err **err)
{
	free(PULL(o)->username);
	PULL(o)->username = xstrdup(a);
	return 0;
}

static int pull_authfile(void *o, const char *a, struct pd_err **err)
{
	free(PULL(o)->authfile);
	PULL(o)->authfile = xstrdup(a);
	return 0;
}

static int pull_help(void *o, const char *a, struct pd_err **err)
{
	PULL(o)->help = true;
	return 0;
}

static const struct cli_opt pull_table[] = {
	{ "quiet", 'q', false, pull_quiet, "no progress; print only the image's name" },
	{ "insecure", 0, false, pull_insecure,
	  "plain http to the registry (loopback registries always use it)" },
	{ "username", 'u', true, pull_username, "user name for the registry" },
	{ "password-stdin", 0, false, pull_password_stdin, "read the password from stdin" },
	{ "authfile", 0, true, pull_authfile, "read credentials from a Docker config.json-style file" },
	{ "help", 0, false, pull_help, "show this help" },
	{ 0 },
};

/* One line from stdin, without its newline; never echoed, never in argv. */
static char *read_password(struct pd_err **err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		pd_fail_kind(err, PD_ERR_USAGE, 0, "--password-stdin: no password on stdin");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Download progress on a terminal: one line, rewritten. */
static void show_progress(const struct pd_pull_progress *p, void *data)
{
	char a[32], b[32];
	pd_format_size(p->done, PD_SIZE_PROGRESS, a, sizeof(a));
	pd_format_size(p->total, PD_SIZE_PROGRESS, b, sizeof(b));
	int width = 30, fill = p->total ? (int)(p->done * (uint64_t)width / p->total) : 0;
	if (fill > width)
		fill = width;
	fprintf(stderr, "\r%s: [%.*s%*s] %s / %s (%zu/%zu)\033[K", p->what, fill,
		"##############################", width - fill, "", a, b, p->finished, p->count);
	if (p->final)
		fputc('\n', stderr);
	fflush(stderr);
}

static int pull_main(const struct cli_global *g, struct pull_opts *o, int argc, char **argv,
		     struct pd_err **err)
{
	int i = 1;
	if (cli_parse(pull_table, o, argc, argv, &i, err) < 0)
		return -1;
	if (o->help) {
		printf("Usage: pocket-docker pull [OPTIONS] NAME[:TAG|@DIGEST] | URL\n\n"
		       "Pull an image from a registry, or a rootfs tarball from a URL.\n");
		cli_print_options(pull_table);
		return 0;
	}
	if (i != argc - 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "pull needs one image reference or URL");
	const char *what = argv[i];
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	_cleanup_free_ char *user = NULL, *password = NULL;
	if (o->password_stdin && !o->username)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--password-stdin needs --username");
	if (o->username) {
		user = xstrdup(o->username);
		password = o->password_stdin ? read_password(err) : xstrdup("");
		if (!password)
			return -1;
	}
	struct pd_pull_opts po = {
		.insecure = o->insecure,
		.username = user,
		.password = password,
		.authfile = o->authfile,
		.progress = !o->quiet && isatty(2) ? show_progress : NULL,
	};
	_cleanup_free_ char *name = NULL;
	bool up_to_date = false;
	int r = pd_image_pull(root, what, &po, &name, &up_to_date, err);
	if (password)
		explicit_bzero(password, strlen(password));
	if (r < 0)
		return -1;
	_cleanup_free_ char *shown = str_escape(name);
	if (!o->quiet)
		fprintf(stderr, "%s: %s\n", shown, up_to_date ? "image is up to date" : "pulled");
	printf("%s\n", shown);
	return 0;
}

int cli_pull(const struct cli_global *g, int argc, char **argv)
{
	struct pull_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = pull_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.username);
	free(o.authfile);
	return code;
}

/* ------------------------------------------------------------------ */
/* images */

/* `images`'s options: the common list flags first (cli_parse_flags fills
 * them), then the filter handed to core. */
struct images_opts {
	struct cli_flags f;
	struct pd_image_filter filter;
	bool digests;
};

#define IMAGES(o) ((struct images_opts *)(o))

static int images_quiet(void *o, const char *a, struct pd_err **err)
{
	IMAGES(o)->f.quiet = true;
	return 0;
}

static int images_all(void *o, const char *a, struct pd_err **err)
{
	IMAGES(o)->filter.all = true;
	return 0;
}

static int images_filter(void *o, const char *a, struct pd_err **err)
{
	return pd_image_filter_add(&IMAGES(o)->filter, a, err);
}

static int images_no_trunc(void *o, const char *a, struct pd_err **err)
{
	IMAGES(o)->f.no_trunc = true;
	return 0;
}

static int images_digests(void *o, const char *a, struct pd_err **err)
{
	IMAGES(o)->digests = true;
	return 0;
}

static const struct cli_opt images_table[] = {
	{ "all", 'a', false, images_all, "show intermediate images too (the unnamed steps of builds)" },
	{ "filter", 'f', true, images_filter,
	  "dangling=true|false, label=KEY[=VALUE], reference=PATTERN, before=IMAGE, since=IMAGE "
	  "(repeatable)" },
	{ "quiet", 'q', false, images_quiet, "print only image ids" },
	{ "no-trunc", 0, false, images_no_trunc, "show full image ids" },
	{ "digests", 0, false, images_digests, "show the manifest digest of each name" },
	{ "format", 0, true, cli_set_list_format,
	  "json, table, or a Go template ('table {{.Repository}}\\t{{.ID}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static void print_row(struct cli_table *t, const struct pd_image_rec *r, const struct pd_image_name *nm,
		      const struct images_opts *io, int64_t now)
{
	bool json = io->f.json;
	_cleanup_free_ char *repo = nm ? pd_image_display_repo(nm->repo) : xstrdup("<none>");
	const char *tag = nm && *nm->tag ? nm->tag : "<none>";
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:i}", "Repository", repo, "Tag", tag,
				      "ID", r->id, "Digest", nm && nm->digest ? nm->digest : "", "Created",
				      (json_int_t)(r->created_ns / 1000000000), "Size", (json_int_t)r->size,
				      "Layers", (int)r->n_layers);
		char *s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	char created[64], size[32];
	cli_human_duration(now - r->created_ns, created, sizeof(created));
	pd_format_size(r->size, PD_SIZE_SHORT, size, sizeof(size));
	_cleanup_free_ char *ago = xasprintf("%s ago", created);
	char id[13];
	snprintf(id, sizeof(id), "%.12s", r->id + 7);
	const char *shown_id = io->f.no_trunc ? r->id : id;
	const char *digest = nm && nm->digest && *nm->digest ? nm->digest : "<none>";
	const char *row[] = { repo,
			      tag,
			      io->digests ? digest : shown_id,
			      io->digests ? shown_id : ago,
			      io->digests ? ago : size,
			      size };
	cli_table_add(t, row);
}

/* The object an images --format template sees for one name of an image:
 * the fields of `docker images`'s, by their names, keys sorted as Docker's
 * `{{json .}}` prints them. */
static json_t *image_row_json(const struct pd_image_rec *r, const struct pd_image_name *nm, int64_t now)
{
	_cleanup_free_ char *repo = nm ? pd_image_display_repo(nm->repo) : xstrdup("<none>");
	char created[64], size[32], at[96], id[13];
	cli_human_duration(now - r->created_ns, created, sizeof(created));
	_cleanup_free_ char *ago = xasprintf("%s ago", created);
	pd_format_size(r->size, PD_SIZE_SHORT, size, sizeof(size));
	time_t t = (time_t)(r->created_ns / 1000000000LL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
	snprintf(id, sizeof(id), "%.12s", r->id + 7);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A",
			 "CreatedAt", at, "CreatedSince", ago, "Digest",
			 nm && nm->digest && *nm->digest ? nm->digest : "<none>", "ID", id, "Repository",
			 repo, "SharedSize", "N/A", "Size", size, "Tag", nm && *nm->tag ? nm->tag : "<none>",
			 "UniqueSize", "N/A", "VirtualSize", size);
}

static int print_images_template(const char *format, const struct pd_image_rec *v, size_t n, int64_t now,
				 struct pd_err **err)
{
	struct pd_tmpl_list l;
	if (cli_tmpl_init(&l, format, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < (v[i].n_names ? v[i].n_names : 1); k++) {
			json_t *row = image_row_json(&v[i], v[i].n_names ? &v[i].names[k] : NULL, now);
			if (cli_tmpl_add(&l, row, err) < 0)
				return -1;
		}
	json_t *head =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "CONTAINERS",
		      "CreatedAt", "CREATED AT", "CreatedSince", "CREATED", "Digest", "DIGEST", "ID",
		      "IMAGE ID", "Repository", "REPOSITORY", "SharedSize", "SHARED SIZE", "Size", "SIZE",
		      "Tag", "TAG", "UniqueSize", "UNIQUE SIZE", "VirtualSize", "VIRTUAL SIZE");
	return cli_tmpl_print(&l, head, err);
}

static int images_main(const struct cli_global *g, struct images_opts *o, char **pos)
{
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0] && pos[1])
		return cli_usage_error("images takes at most one REPOSITORY[:TAG]");
	/* Docker: the argument is one more reference pattern. */
	if (pos[0])
		strv_push(&o->filter.refs, pos[0]);
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	if (pd_image_list_filtered(root, &o->filter, &v, &n, &err) < 0)
		return cli_fail(err);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (o->f.format && !o->f.quiet) {
		int r = print_images_template(o->f.format, v, n, now, &err);
		pd_image_recs_free(v, n);
		return r < 0 ? cli_fail(err) : 0;
	}
	struct cli_table t;
	size_t cols = o->digests ? 6 : 5;
	cli_table_init(&t, cols);
	static const char *const head[] = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
	static const char *const head_digests[] = { "REPOSITORY", "TAG",     "DIGEST",
						    "IMAGE ID",	  "CREATED", "SIZE" };
	cli_table_add(&t, o->digests ? head_digests : head);
	for (size_t i = 0; i < n; i++) {
		if (o->f.quiet) {
			if (o->f.no_trunc)
				printf("%s\n", v[i].id);
			else
				printf("%.12s\n", v[i].id + 7);
			continue;
		}
		if (!v[i].n_names)
			print_row(&t, &v[i], NULL, o, now);
		for (size_t k = 0; k < v[i].n_names; k++)
			print_row(&t, &v[i], &v[i].names[k], o, now);
	}
	if (!o->f.quiet && !o->f.json)
		cli_table_print(&t);
	else
		cli_table_free(&t);
	pd_image_recs_free(v, n);
	return 0;
}

int cli_images(const struct cli_global *g, int argc, char **argv)
{
	struct images_opts o = { 0 };
	pd_image_filter_init(&o.filter);
	_cleanup_strv_ char **pos = NULL;
	int code = 0;
	if (cli_parse_flags(images_table, &o.f, argc, argv, &pos,
			    "Usage: pocket-docker images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images.") < 0)
		code = CLI_EXIT_USAGE;
	else if (!o.f.help)
		code = images_main(g, &o, pos);
	pd_image_filter_clear(&o.filter);
	cli_flags_free(&o.f);
	return code;
}

/* ------------------------------------------------------------------ */
/* rmi */

static const struct cli_opt rmi_table[] = {
	{ "force", 'f', false, cli_flag_force, "untag an image even when containers use it" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_rmi(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(
		rmi_table, &f, argc, argv, &pos,
		"Usage: pocket-docker rmi [OPTIONS] IMAGE...\n\nRemove images; free layers no image uses.") <
	    0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (!pos[0])
		return cli_usage_error("rmi needs image names or ids");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	int ret = 0;
	for (char **p = pos; *p; p++) {
		_cleanup_strv_ char **report = xcalloc(1, sizeof(char *));
		int r = pd_image_remove(root, *p, f.force, &report, &err);
		for (char **l = report; *l; l++)
			cli_print_line(*l);
		if (r < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		}
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* import */

struct import_opts {
	char *name;
	bool help;
};

static int import_name(void *o, const char *a, struct pd_err **err)
{
	free(((struct import_opts *)o)->name);
	((struct import_opts *)o)->name = xstrdup(a);
	return 0;
}

static int import_help(void *o, const char *a, struct pd_err **err)
{
	((struct import_opts *)o)->help = true;
	return 0;
}

static const struct cli_opt import_table[] = {
	{ "name", 0, true, import_name, "name the image NAME[:TAG]" },
	{ "help", 0, false, import_help, "show this help" },
	{ 0 },
};

static int import_main(const struct cli_global *g, struct import_opts *o, int argc, char **argv,
		       struct pd_err **err)
{
	_cleanup_strv_ char **pos = xcalloc(1, sizeof(char *));
	for (int i = 1; i < argc;) {
		if (cli_parse(import_table, o, argc, argv, &i, err) < 0)
			return -1;
		if (i < argc)
			strv_push(&pos, argv[i++]);
	}
	if (o->help) {
		printf("Usage: pocket-docker import [--name NAME[:TAG]] FILE\n\n"
		       "Import a 'docker save' archive, an OCI layout archive or a rootfs tarball.\n");
		cli_print_options(import_table);
		return 0;
	}
	if (strv_len(pos) != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "import needs one file");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	_cleanup_free_ char *id = NULL;
	if (pd_image_import(root, pos[0], o->name, &id, err) < 0)
		return -1;
	cli_print_line(id);
	return 0;
}

int cli_import(const struct cli_global *g, int argc, char **argv)
{
	struct import_opts o = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	int code = import_main(g, &o, argc, argv, &err) < 0 ? cli_fail(err) : 0;
	free(o.name);
	return code;
}
