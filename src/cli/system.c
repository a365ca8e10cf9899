/* `pocket-docker system df [-v] [--format F]` and `system info`: what the
 * state root holds, as Docker's commands of those names show it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/images.h"
#include "core/query.h"
#include "core/usage.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

struct df_opts {
	struct cli_flags f; /* first: the shared setters cast the options to it */
	bool verbose;
};

static int df_verbose(void *o, const char *a, struct pd_err **err)
{
	((struct df_opts *)o)->verbose = true;
	return 0;
}

static const struct cli_opt df_table[] = {
	{ "verbose", 'v', false, df_verbose, "show each image, container and cache entry" },
	{ "format", 0, true, cli_set_list_format, "json, table, or a Go template ('{{.Type}}\\t{{.Size}}')" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

static char *size_text(uint64_t n)
{
	char b[32];
	pd_format_size(n, PD_SIZE_SHORT, b, sizeof(b));
	return xstrdup(b);
}

/* "1.2MB (50%)" as Docker writes a reclaimable size; no share of nothing. */
static char *reclaimable_text(uint64_t part, uint64_t total, bool percent)
{
	char b[32];
	pd_format_size(part, PD_SIZE_SHORT, b, sizeof(b));
	if (!percent || !total)
		return xstrdup(b);
	return xasprintf("%s (%llu%%)", b, (unsigned long long)(part * 100 / total));
}

/* The rows of the summary: Docker's four types, fields by its names
 * (what a --format template sees, and a `json` line). */
static json_t *df_row(const char *type, size_t total, size_t active, uint64_t size, uint64_t reclaim,
		      bool percent)
{
	_cleanup_free_ char *sz = size_text(size);
	_cleanup_free_ char *rc = reclaimable_text(reclaim, size, percent);
	char t[32], a[32];
	snprintf(t, sizeof(t), "%zu", total);
	snprintf(a, sizeof(a), "%zu", active);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", type, "TotalCount", t, "Active", a, "Size", sz,
			 "Reclaimable", rc);
}

static json_t *df_rows(const struct pd_usage *u)
{
	json_t *rows = json_array();
	json_array_append_new(rows, df_row("Images", u->n_images, u->active_images, u->images_size,
					   u->images_reclaimable, true));
	json_array_append_new(rows, df_row("Containers", u->n_containers, u->running, u->containers_size,
					   u->containers_reclaimable, true));
	/* No named volumes: volumes are host directories, not the state
	 * root's. */
	json_array_append_new(rows, df_row("Local Volumes", 0, 0, 0, 0, true));
	/* The rootfs cache of --rootfs tarballs stands where Docker's build
	 * cache does; no command removes it, so nothing is reclaimable. */
	json_array_append_new(rows, df_row("Build Cache", u->cache_entries, 0, u->cache_size, 0, false));
	return rows;
}

static int print_df_template(const char *format, json_t *rows, struct pd_err **err)
{
	struct pd_tmpl_list l;
	if (cli_tmpl_init(&l, format, err) < 0)
		return -1;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		if (cli_tmpl_add(&l, json_incref(row), err) < 0)
			return -1;
	}
	json_t *head = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL", "Active",
				 "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
	return cli_tmpl_print(&l, head, err);
}

static void print_df_table(json_t *rows)
{
	struct cli_table t;
	cli_table_init(&t, 5);
	static const char *const head[] = { "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE" };
	cli_table_add(&t, head);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
	{
		const char *row[5];
		static const char *const keys[] = { "Type", "TotalCount", "Active", "Size", "Reclaimable" };
		for (size_t k = 0; k < 5; k++)
			row[k] = json_string_value(json_object_get(r, keys[k]));
		cli_table_add(&t, row);
	}
	cli_table_print(&t);
}

/* -v: one table per type, as Docker's `system df -v`. */
static void print_df_verbose(const struct pd_usage *u, int64_t now)
{
	char b[4][64];
	printf("Images space usage:\n\n");
	struct cli_table t;
	cli_table_init(&t, 8);
	static const char *const ih[] = { "REPOSITORY", "TAG",	       "IMAGE ID",    "CREATED",
					  "SIZE",	"SHARED SIZE", "UNIQUE SIZE", "CONTAINERS" };
	cli_table_add(&t, ih);
	for (size_t i = 0; i < u->n_images; i++) {
		const struct pd_usage_image *im = &u->images[i];
		char id[13], n[32];
		snprintf(id, sizeof(id), "%.12s", im->rec.id + 7);
		cli_human_duration(now - im->rec.created_ns, b[0], sizeof(b[0]));
		_cleanup_free_ char *ago = xasprintf("%s ago", b[0]);
		pd_format_size(im->size, PD_SIZE_SHORT, b[1], sizeof(b[1]));
		pd_format_size(im->shared, PD_SIZE_SHORT, b[2], sizeof(b[2]));
		pd_format_size(im->size - im->shared, PD_SIZE_SHORT, b[3], sizeof(b[3]));
		snprintf(n, sizeof(n), "%zu", im->containers);
		for (size_t k = 0; k < (im->rec.n_names ? im->rec.n_names : 1); k++) {
			const struct pd_image_name *nm = im->rec.n_names ? &im->rec.names[k] : NULL;
			_cleanup_free_ char *repo = nm ? pd_image_display_repo(nm->repo) : xstrdup("<none>");
			const char *row[] = {
				repo, nm && *nm->tag ? nm->tag : "<none>", id, ago, b[1], b[2], b[3], n
			};
			cli_table_add(&t, row);
		}
	}
	cli_table_print(&t);

	printf("\nContainers space usage:\n\n");
	cli_table_init(&t, 7);
	static const char *const ch[] = { "CONTAINER ID", "IMAGE",  "COMMAND", "SIZE",
					  "CREATED",	  "STATUS", "NAMES" };
	cli_table_add(&t, ch);
	for (size_t i = 0; i < u->n_containers; i++) {
		const struct pd_usage_container *c = &u->containers[i];
		char id[13];
		snprintf(id, sizeof(id), "%.12s", c->rec.id);
		cli_human_duration(now - c->rec.created_ns, b[0], sizeof(b[0]));
		_cleanup_free_ char *ago = xasprintf("%s ago", b[0]);
		pd_format_size(c->size, PD_SIZE_SHORT, b[1], sizeof(b[1]));
		json_t *argv = c->rec.command ? json_loads(c->rec.command, 0, NULL) : NULL;
		_cleanup_free_ char *cmd = NULL;
		size_t k;
		json_t *w;
		json_array_foreach(argv, k, w)
		{
			char *next =
			    xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "", json_string_value(w));
			free(cmd);
			cmd = next;
		}
		json_decref(argv);
		_cleanup_free_ char *quoted = xasprintf("\"%.20s\"", cmd ? cmd : "");
		const char *row[] = { id,	  c->rec.image, quoted,
				      b[1],	  ago,		pd_record_state_name(&c->rec),
				      c->rec.name };
		cli_table_add(&t, row);
	}
	cli_table_print(&t);

	printf("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n");
	pd_format_size(u->cache_size, PD_SIZE_SHORT, b[0], sizeof(b[0]));
	printf("\nBuild cache usage: %s\n\n", b[0]);
	printf("CACHE ID   CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED\n");
}

static int df_main(const struct cli_global *g, const struct df_opts *o, char **pos, struct pd_err **err)
{
	if (pos[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "system df takes no arguments");
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	struct pd_usage u = { 0 };
	if (pd_usage_get(root, &u, err) < 0) {
		pd_usage_free(&u);
		return -1;
	}
	json_t *rows = df_rows(&u);
	int ret = 0;
	if (o->f.json) {
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r)
		{
			_cleanup_free_ char *line = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
			printf("%s\n", line);
		}
	} else if (o->f.format) {
		ret = print_df_template(o->f.format, rows, err);
	} else if (o->verbose) {
		print_df_verbose(&u, pd_now_ns());
	} else {
		print_df_table(rows);
	}
	json_decref(rows);
	pd_usage_free(&u);
	return ret;
}

int cli_system_df(const struct cli_global *g, int argc, char **argv)
{
	struct df_opts o = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(df_table, &o.f, argc, argv, &pos,
			    "Usage: pocket-docker system df [OPTIONS]\n\n"
			    "Show the disk space images, containers and the rootfs cache use.") < 0)
		return CLI_EXIT_USAGE;
	int ret = o.f.help ? 0 : df_main(g, &o, pos, &err) < 0 ? cli_fail(err) : 0;
	cli_flags_free(&o.f);
	return ret;
}

static const struct cli_opt info_table[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

int cli_system_info(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(info_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker system info\n\n"
			    "Show a summary of containers, images and the host.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	if (pos[0])
		return cli_usage_error("system info takes no arguments");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_record *v = NULL;
	struct pd_image_rec *imgs = NULL;
	size_t n = 0, ni = 0, running = 0, paused = 0;
	if (pd_container_list(root, PD_LIST_ALL, NULL, &v, &n, &err) < 0)
		return cli_fail(err);
	for (size_t i = 0; i < n; i++) {
		bool live = v[i].state == PD_STATE_RUNNING || v[i].state == PD_STATE_STOPPING;
		paused += live && v[i].paused;
		running += live && !v[i].paused;
	}
	pd_records_free(v, n);
	if (pd_image_list(root, &imgs, &ni, &err) < 0)
		return cli_fail(err);
	pd_image_recs_free(imgs, ni);
	struct utsname un;
	uname(&un);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	char mem[32];
	pd_format_size(pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0, PD_SIZE_BINARY, mem,
		       sizeof(mem));
	int cgv = pd_host_cgroup_version();
	printf("Containers: %zu\n Running: %zu\n Paused: %zu\n Stopped: %zu\n", n, running, paused,
	       n - running - paused);
	printf("Images: %zu\n", ni);
	printf("Storage Driver: overlay\n");
	printf("Cgroup Driver: %s\n", cgv ? "cgroupfs" : "none");
	if (cgv)
		printf("Cgroup Version: %d\n", cgv);
	else
		printf("Cgroup Version: none\n");
	printf("Kernel Version: %s\nArchitecture: %s\nCPUs: %ld\nTotal Memory: %s\n", un.release, un.machine,
	       sysconf(_SC_NPROCESSORS_ONLN), mem);
	printf("Root Dir: ");
	cli_print_line(root);
	printf("Rootless: %s\n", geteuid() ? "true" : "false");
	return 0;
}
