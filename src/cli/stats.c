/* `pocket-docker stats [--no-stream] [--format TEMPLATE] [CONTAINER...]`:
 * CPU %, memory usage and limit, and PIDs of running containers, read from
 * their cgroups, in Docker's layout or through a Go template; refreshed in
 * place every second on a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/template.h"
#include "util/xalloc.h"

static int set_no_stream(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static int set_format(void *o, const char *a, struct pd_err **err)
{
	struct cli_flags *f = o;
	free(f->format);
	/* "json": one JSON object per container, as Docker prints it. */
	f->format = !strcmp(a, "json") ? xstrdup("{{json .}}") : strcmp(a, "table") ? xstrdup(a) : NULL;
	return 0;
}

static const struct cli_opt stats_table[] = {
	{ "no-stream", 0, false, set_no_stream, "print one sample and exit" },
	{ "format", 0, true, set_format, "json, table, or a Go template ('table {{.Name}}\\t{{.CPUPerc}}')" },
	{ "all", 'a', false, cli_flag_all, "accepted for compatibility: only running containers have stats" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

struct sample {
	char id[65];
	char *name;
	char *ref; /* what the user named it by, or NULL */
	bool rootless;
	struct pd_container_stats st;
	int64_t at_ns;
	bool ok;
};

/* The containers to sample: the ones named, or every running one. */
static struct sample *pick(const char *root, char **refs, size_t *n, struct pd_err **err)
{
	struct pd_record *v = NULL;
	size_t nv = 0;
	if (refs[0]) {
		struct pd_found *found = NULL;
		if (pd_container_lookup_each(root, refs, false, &found, &nv, err) < 0)
			return NULL;
		v = xcalloc(nv, sizeof(*v));
		for (size_t i = 0; i < nv; i++) {
			if (found[i].err) {
				*err = take_ptr(&found[i].err);
				pd_found_free(found, nv);
				pd_records_free(v, i);
				return NULL;
			}
			v[i] = found[i].rec;
			found[i].rec = (struct pd_record){ 0 };
		}
		pd_found_free(found, nv);
	} else if (pd_container_list(root, PD_LIST_ALL, NULL, &v, &nv, err) < 0) {
		return NULL;
	}
	struct sample *out = xcalloc(nv ? nv : 1, sizeof(*out));
	*n = 0;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].state != PD_STATE_RUNNING && v[i].state != PD_STATE_STOPPING)
			continue;
		snprintf(out[*n].id, sizeof(out[*n].id), "%s", v[i].id);
		out[*n].name = xstrdup(v[i].name);
		out[*n].ref = refs[0] ? xstrdup(refs[i]) : NULL;
		out[*n].rootless = pd_record_rootless(&v[i]);
		(*n)++;
	}
	pd_records_free(v, nv);
	return out;
}

static void take(struct sample *s)
{
	s->ok = pd_container_stats(s->id, s->rootless, &s->st, pd_err_ignore(status)) == 0;
	s->at_ns = pd_mono_ns();
}

/* One row's cells: CPU %, "USE / LIMIT", MEM %, PIDS ("--" when the
 * cgroup could not be read). */
struct cells {
	char cpu[16], mem[72], pct[16], pids[24];
};

static void row_cells(const struct sample *a, const struct sample *b, struct cells *c)
{
	if (!b->ok) {
		*c = (struct cells){ "--", "-- / --", "--", "--" };
		return;
	}
	double dt = (double)(b->at_ns - a->at_ns);
	double cpu = dt > 0 && a->ok ? 100.0 * (double)(b->st.cpu_usage_ns - a->st.cpu_usage_ns) / dt : 0;
	char use[32], lim[32];
	pd_format_size(b->st.mem_usage, PD_SIZE_BINARY, use, sizeof(use));
	pd_format_size(b->st.mem_limit, PD_SIZE_BINARY, lim, sizeof(lim));
	snprintf(c->mem, sizeof(c->mem), "%s / %s", use, lim);
	double pct = b->st.mem_limit ? 100.0 * (double)b->st.mem_usage / (double)b->st.mem_limit : 0;
	snprintf(c->cpu, sizeof(c->cpu), "%.2f%%", cpu);
	snprintf(c->pct, sizeof(c->pct), "%.2f%%", pct);
	snprintf(c->pids, sizeof(c->pids), "%llu", (unsigned long long)b->st.pids);
}

static void print_table(const struct sample *a, const struct sample *b, size_t n)
{
	struct cli_table t;
	cli_table_init(&t, 6);
	static const char *const head[] = { "CONTAINER ID",	 "NAME",  "CPU %",
					    "MEM USAGE / LIMIT", "MEM %", "PIDS" };
	cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char id[13];
		struct cells c;
		snprintf(id, sizeof(id), "%.12s", b[i].id);
		row_cells(&a[i], &b[i], &c);
		const char *row[] = { id, b[i].name, c.cpu, c.mem, c.pct, c.pids };
		cli_table_add(&t, row);
	}
	cli_table_print(&t);
}

/* The rows through a --format template: Docker's stats fields by their
 * names (no network or block I/O here: shown as "--"). */
static int print_template(const char *format, const struct sample *a, const struct sample *b, size_t n,
			  struct pd_err **err)
{
	struct pd_tmpl_list l;
	if (cli_tmpl_init(&l, format, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char id[13];
		struct cells c;
		snprintf(id, sizeof(id), "%.12s", b[i].id);
		row_cells(&a[i], &b[i], &c);
		json_t *row =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", "--", "CPUPerc",
			      c.cpu, "Container", b[i].ref ? b[i].ref : id, "ID", id, "MemPerc", c.pct,
			      "MemUsage", c.mem, "Name", b[i].name, "NetIO", "--", "PIDs", c.pids);
		if (cli_tmpl_add(&l, row, err) < 0)
			return -1;
	}
	json_t *head =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", "BLOCK I/O", "CPUPerc",
		      "CPU %", "Container", "CONTAINER", "ID", "CONTAINER ID", "MemPerc", "MEM %", "MemUsage",
		      "MEM USAGE / LIMIT", "Name", "NAME", "NetIO", "NET I/O", "PIDs", "PIDS");
	return cli_tmpl_print(&l, head, err);
}

static int stats_main(const struct cli_global *g, const struct cli_flags *f, char **pos, struct pd_err **err)
{
	/* A template that does not parse is refused before any sampling. */
	if (f->format) {
		struct pd_tmpl_list l;
		if (cli_tmpl_init(&l, f->format, err) < 0)
			return -1;
		pd_tmpl_list_free(&l);
	}
	_cleanup_free_ char *root = pd_state_root(g->root, err);
	if (!root)
		return -1;
	bool stream = !f->quiet;
	bool tty = isatty(1);
	size_t n = 0;
	struct sample *a = pick(root, pos, &n, err);
	if (!a)
		return -1;
	struct sample *b = xcalloc(n ? n : 1, sizeof(*b));
	memcpy(b, a, n * sizeof(*a));
	for (size_t i = 0; i < n; i++)
		take(&a[i]);
	int ret = 0;
	do {
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
		for (size_t i = 0; i < n; i++)
			take(&b[i]);
		if (tty && stream)
			printf("\033[2J\033[H");
		if (f->format)
			ret = print_template(f->format, a, b, n, err);
		else
			print_table(a, b, n);
		fflush(stdout);
		memcpy(a, b, n * sizeof(*a));
	} while (stream && ret == 0);
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].ref);
	}
	free(a);
	free(b);
	return ret;
}

int cli_stats(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	int code = 0;
	if (cli_parse_flags(stats_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker stats [OPTIONS] [CONTAINER...]\n\n"
			    "Show CPU, memory and process use of running containers.") < 0)
		code = CLI_EXIT_USAGE;
	else if (!f.help && stats_main(g, &f, pos, &err) < 0)
		code = cli_fail(err);
	cli_flags_free(&f);
	return code;
}
