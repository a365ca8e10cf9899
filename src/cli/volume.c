/* `pocket-docker volume create|ls|inspect|rm|prune`: Docker's volume
 * management commands over core/volumes.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/volumes.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

struct volume_opts {
	struct cli_flags f; /* first: the shared setters take it */
	char *name;
	char **labels, **opts, **filters;
};

#define VO(o) ((struct volume_opts *)(o))

static int set_name(void *o, const char *a, struct pd_err **err)
{
	free(VO(o)->name);
	VO(o)->name = xstrdup(a);
	return 0;
}

static int add_label(void *o, const char *a, struct pd_err **err)
{
	return pd_label_add(&VO(o)->labels, a, err);
}

static int add_opt(void *o, const char *a, struct pd_err **err)
{
	if (!strchr(a, '=') || a[0] == '=')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid option '%s': want KEY=VALUE", a);
	strv_push(&VO(o)->opts, a);
	return 0;
}

static int add_filter(void *o, const char *a, struct pd_err **err)
{
	strv_push(&VO(o)->filters, a);
	return 0;
}

static int set_driver(void *o, const char *a, struct pd_err **err)
{
	if (strcmp(a, "local") != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "volume driver '%s': only 'local' exists", a);
	return 0;
}

static int set_quiet(void *o, const char *a, struct pd_err **err)
{
	VO(o)->f.quiet = true;
	return 0;
}

static int set_format(void *o, const char *a, struct pd_err **err)
{
	free(VO(o)->f.format);
	VO(o)->f.format = xstrdup(a);
	return 0;
}

static const struct cli_opt create_table[] = {
	{ "name", 0, true, set_name, "the volume's name (default: a random one)" },
	{ "label", 'l', true, add_label, "set a label KEY=VALUE" },
	{ "opt", 'o', true, add_opt, "a driver option: type=tmpfs|none, device=PATH, o=OPTIONS" },
	{ "driver", 'd', true, set_driver, "the volume driver (only 'local')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt ls_table[] = {
	{ "quiet", 'q', false, set_quiet, "print only volume names" },
	{ "format", 0, true, cli_set_list_format, "json, table, or a Go template ('{{.Name}}')" },
	{ "filter", 'f', true, add_filter, "dangling=true|false, name=, label=KEY[=VALUE], driver=" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt inspect_table[] = {
	{ "format", 'f', true, set_format, "a Go template over each volume ('{{.Mountpoint}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt rm_table[] = {
	{ "force", 'f', false, cli_flag_force, "no error for a volume that does not exist" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static const struct cli_opt prune_table[] = {
	{ "all", 'a', false, cli_flag_all, "named volumes too, not only anonymous ones" },
	{ "force", 'f', false, cli_flag_force,
	  "do not ask (there is no prompt: accepted for compatibility)" },
	{ "filter", 0, true, add_filter, "label=KEY[=VALUE], label!=KEY[=VALUE]" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static void opts_free(void *vo)
{
	struct volume_opts *o = vo;
	cli_flags_free(&o->f);
	free(o->name);
	strv_free(o->labels);
	strv_free(o->opts);
	strv_free(o->filters);
}

static int volume_create(const char *root, void *vo, char **pos)
{
	struct volume_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0] && pos[1])
		return cli_usage_error("volume create takes at most one name");
	if (pos[0] && o->name && strcmp(pos[0], o->name) != 0)
		return cli_usage_error("conflicting volume names: '%s' and --name '%s'", pos[0], o->name);
	_cleanup_free_ char *made = NULL;
	if (pd_volume_create(root, pos[0] ? pos[0] : o->name, o->labels, o->opts, &made, &err) < 0)
		return cli_fail(err);
	cli_print_line(made);
	return 0;
}

/* Labels as `docker volume ls --format '{{.Labels}}'` prints them. */
static char *labels_text(const char *json)
{
	json_auto_t *o = json_loads(json ? json : "{}", 0, NULL);
	_cleanup_free_ char *s = xstrdup("");
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		char *n = xasprintf("%s%s%s=%s", s, *s ? "," : "", k, json_string_value(v));
		free(s);
		s = n;
	}
	return take_ptr(&s);
}

static json_t *ls_row(const char *root, const struct pd_store_volume *v)
{
	_cleanup_free_ char *labels = labels_text(v->labels);
	_cleanup_free_ char *mp = xasprintf("%s/volumes/%s/_data", root, v->name);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Availability", "N/A",
			 "Driver", "local", "Group", "N/A", "Labels", labels, "Links", "N/A", "Mountpoint",
			 mp, "Name", v->name, "Scope", "local", "Size", "N/A", "Status", "N/A");
}

static int print_ls(const char *root, struct volume_opts *o, struct pd_store_volume *v, size_t n,
		    struct pd_err **err)
{
	struct pd_tmpl_list l;
	if (o->f.format && !o->f.quiet) {
		if (cli_tmpl_init(&l, o->f.format, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (v[i].name && cli_tmpl_add(&l, ls_row(root, &v[i]), err) < 0)
				return -1;
		json_t *head =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Driver", "DRIVER", "Name",
			      "VOLUME NAME", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS", "Scope", "SCOPE",
			      "Links", "LINKS", "Size", "SIZE", "Status", "STATUS");
		return cli_tmpl_print(&l, head, err);
	}
	struct cli_table t;
	cli_table_init(&t, 2);
	static const char *const head[] = { "DRIVER", "VOLUME NAME" };
	if (!o->f.quiet && !o->f.json)
		cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].name)
			continue;
		if (o->f.quiet) {
			cli_print_line(v[i].name);
		} else if (o->f.json) {
			json_t *row = ls_row(root, &v[i]);
			char *s = json_dumps(row, JSON_COMPACT);
			printf("%s\n", s);
			free(s);
			json_decref(row);
		} else {
			const char *row[] = { "local", v[i].name };
			cli_table_add(&t, row);
		}
	}
	if (!o->f.quiet && !o->f.json)
		cli_table_print(&t);
	else
		cli_table_free(&t);
	return 0;
}

static int volume_ls(const char *root, void *vo, char **pos)
{
	struct volume_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0])
		return cli_usage_error("volume ls takes no arguments");
	struct pd_store_volume *v = NULL;
	size_t n = 0;
	if (pd_volume_list(root, &v, &n, &err) < 0)
		return cli_fail(err);
	int ret = 0;
	/* A volume the filters leave out is freed and skipped (name NULL). */
	for (size_t i = 0; i < n && !ret; i++)
		for (size_t k = 0; o->filters && o->filters[k] && v[i].name; k++) {
			bool m = false;
			if (pd_volume_filter_match(&v[i], o->filters[k], &m, &err) < 0)
				ret = cli_fail(err);
			else if (!m)
				pd_store_volume_free(&v[i]);
		}
	if (!ret && print_ls(root, o, v, n, &err) < 0)
		ret = cli_fail(err);
	pd_store_volumes_free(v, n);
	return ret;
}

static int volume_inspect(const char *root, void *vo, char **pos)
{
	struct volume_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (!pos[0])
		return cli_usage_error("volume inspect needs at least one volume name");
	json_auto_t *all = json_array();
	int ret = 0;
	for (char **p = pos; *p; p++) {
		struct pd_store_volume v;
		if (pd_volume_get(root, *p, &v, &err) < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
			continue;
		}
		json_array_append_new(all, pd_volume_json(root, &v));
		pd_store_volume_free(&v);
	}
	if (o->f.format) {
		struct pd_tmpl_list l;
		if (cli_tmpl_init(&l, o->f.format, &err) < 0)
			return cli_fail(err);
		size_t i;
		json_t *row;
		json_array_foreach(all, i, row)
		{
			if (cli_tmpl_add(&l, json_incref(row), &err) < 0)
				return cli_fail(err);
		}
		if (cli_tmpl_print(&l, NULL, &err) < 0)
			return cli_fail(err);
		return ret;
	}
	char *s = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", s ? s : "[]");
	free(s);
	return ret;
}

static int volume_rm(const char *root, void *vo, char **pos)
{
	struct volume_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (!pos[0])
		return cli_usage_error("volume rm needs at least one volume name");
	int ret = 0;
	for (char **p = pos; *p; p++) {
		int r = pd_volume_remove(root, *p, &err);
		if (r == 1 && !o->f.force)
			r = pd_fail_kind(&err, PD_ERR_USAGE, 0, "no such volume: %s", *p);
		if (r < 0) {
			ret = cli_fail(err);
			pd_err_freep(&err);
		} else if (r == 0) {
			cli_print_line(*p);
		}
	}
	return ret;
}

static void pruned(const char *name, const struct pd_err *e, void *data)
{
	if (e) {
		pd_err_print(e);
		return;
	}
	if (!*(int *)data)
		printf("Deleted Volumes:\n");
	*(int *)data += 1;
	cli_print_line(name);
}

static int volume_prune(const char *root, void *vo, char **pos)
{
	struct volume_opts *o = vo;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pos[0])
		return cli_usage_error("volume prune takes no arguments");
	int count = 0;
	if (pd_volume_prune(root, o->f.all, o->filters, pruned, &count, &err) < 0)
		return cli_fail(err);
	if (count)
		printf("\n");
	printf("Total reclaimed space: 0B\n");
	return 0;
}

static const struct cli_subcommand subs[] = {
	{ "create", create_table, volume_create,
	  "Usage: pocket-docker volume create [OPTIONS] [VOLUME]\n\nCreate a volume." },
	{ "ls", ls_table, volume_ls, "Usage: pocket-docker volume ls [OPTIONS]\n\nList volumes." },
	{ "list", ls_table, volume_ls, "Usage: pocket-docker volume ls [OPTIONS]\n\nList volumes." },
	{ "inspect", inspect_table, volume_inspect,
	  "Usage: pocket-docker volume inspect [OPTIONS] VOLUME...\n\nShow volumes as JSON." },
	{ "rm", rm_table, volume_rm,
	  "Usage: pocket-docker volume rm [OPTIONS] VOLUME...\n\nRemove volumes (never one a container "
	  "uses)." },
	{ "remove", rm_table, volume_rm,
	  "Usage: pocket-docker volume rm [OPTIONS] VOLUME...\n\nRemove volumes (never one a container "
	  "uses)." },
	{ "prune", prune_table, volume_prune,
	  "Usage: pocket-docker volume prune [OPTIONS]\n\nRemove unused anonymous volumes (all unused "
	  "volumes with --all)." },
};

int cli_volume(const struct cli_global *g, int argc, char **argv)
{
	struct volume_opts o = { 0 };
	return cli_run_subcommand(g, "volume", subs, ARRAY_SIZE(subs), &o, opts_free, argc, argv);
}
