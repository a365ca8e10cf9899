/* `pocket-docker stats [--no-stream] [CONTAINER...]`: CPU %, memory usage
 * and limit, and PIDs of running containers, read from their cgroups, in
 * Docker's layout; refreshed in place every second on a terminal. */
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
#include "util/xalloc.h"

static int set_no_stream(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->quiet = true;
	return 0;
}

static const struct cli_opt stats_table[] = {
	{ "no-stream", 0, false, set_no_stream, "print one sample and exit" },
	{ "all", 'a', false, cli_flag_all, "accepted for compatibility: only running containers have stats" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

struct sample {
	char id[65];
	char *name;
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

static void print_table(const struct sample *a, const struct sample *b, size_t n)
{
	struct cli_table t;
	cli_table_init(&t, 6);
	static const char *const head[] = { "CONTAINER ID",	 "NAME",  "CPU %",
					    "MEM USAGE / LIMIT", "MEM %", "PIDS" };
	cli_table_add(&t, head);
	for (size_t i = 0; i < n; i++) {
		char id[13];
		snprintf(id, sizeof(id), "%.12s", b[i].id);
		if (!b[i].ok) {
			const char *row[] = { id, b[i].name, "--", "-- / --", "--", "--" };
			cli_table_add(&t, row);
			continue;
		}
		double dt = (double)(b[i].at_ns - a[i].at_ns);
		double cpu = dt > 0 && a[i].ok
				 ? 100.0 * (double)(b[i].st.cpu_usage_ns - a[i].st.cpu_usage_ns) / dt
				 : 0;
		char use[32], lim[32], mem[72];
		pd_format_size(b[i].st.mem_usage, PD_SIZE_BINARY, use, sizeof(use));
		pd_format_size(b[i].st.mem_limit, PD_SIZE_BINARY, lim, sizeof(lim));
		snprintf(mem, sizeof(mem), "%s / %s", use, lim);
		double pct =
		    b[i].st.mem_limit ? 100.0 * (double)b[i].st.mem_usage / (double)b[i].st.mem_limit : 0;
		char cpus[16], pcts[16], pids[24];
		snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
		snprintf(pcts, sizeof(pcts), "%.2f%%", pct);
		snprintf(pids, sizeof(pids), "%llu", (unsigned long long)b[i].st.pids);
		const char *row[] = { id, b[i].name, cpus, mem, pcts, pids };
		cli_table_add(&t, row);
	}
	cli_table_print(&t);
}

int cli_stats(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse_flags(stats_table, &f, argc, argv, &pos,
			    "Usage: pocket-docker stats [OPTIONS] [CONTAINER...]\n\n"
			    "Show CPU, memory and process use of running containers.") < 0)
		return CLI_EXIT_USAGE;
	if (f.help)
		return 0;
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	bool stream = !f.quiet;
	bool tty = isatty(1);
	size_t n = 0;
	struct sample *a = pick(root, pos, &n, &err);
	if (!a)
		return cli_fail(err);
	struct sample *b = xcalloc(n ? n : 1, sizeof(*b));
	memcpy(b, a, n * sizeof(*a));
	for (size_t i = 0; i < n; i++)
		take(&a[i]);
	do {
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
		for (size_t i = 0; i < n; i++)
			take(&b[i]);
		if (tty && stream)
			printf("\033[2J\033[H");
		print_table(a, b, n);
		fflush(stdout);
		memcpy(a, b, n * sizeof(*a));
	} while (stream);
	for (size_t i = 0; i < n; i++)
		free(a[i].name);
	free(a);
	free(b);
	return 0;
}
