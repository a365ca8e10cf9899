/* Helpers shared by the commands (see cli.h). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"
#include "util/cleanup.h"
#include "util/template.h"
#include "util/str.h"
#include "util/xalloc.h"

int cli_exit_code(const struct pd_err *err)
{
	return err && err->kind == PD_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
}

int cli_fail(struct pd_err *err)
{
	pd_err_print(err);
	return cli_exit_code(err);
}

int cli_usage_error(const char *fmt, ...)
{
	struct pd_err e = { .kind = PD_ERR_USAGE };
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e.msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	pd_err_print(&e);
	free(e.msg);
	return CLI_EXIT_USAGE;
}

void cli_print_line(const char *s)
{
	_cleanup_free_ char *safe = str_escape(s);
	puts(safe);
}

void cli_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / 1000000000LL;
	int64_t m = s / 60, h = (s + 1800) / 3600;
	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", (long long)s);
	else if (m == 1)
		snprintf(buf, len, "About a minute");
	else if (m < 60)
		snprintf(buf, len, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(h / 24 / 365));
}

int cli_set_detach_keys(char **slot, const char *spec, struct pd_err **err)
{
	char *k = pd_parse_detach_keys(spec, err);
	if (!k)
		return -1;
	free(*slot);
	*slot = k;
	return 0;
}

int cli_flag_all(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->all = true;
	return 0;
}

int cli_flag_force(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->force = true;
	return 0;
}

int cli_flag_help(void *o, const char *a, struct pd_err **err)
{
	((struct cli_flags *)o)->help = true;
	return 0;
}

int cli_parse_flags(const struct cli_opt *table, struct cli_flags *f, int argc, char **argv, char ***pos,
		    const char *usage)
{
	_cleanup_err_ struct pd_err *err = NULL;
	*pos = xcalloc(1, sizeof(char *));
	/* Flags and arguments may be interleaved, as Docker allows; "--"
	 * makes everything after it an argument. */
	for (int i = 1; i < argc;) {
		bool dashdash = !strcmp(argv[i], "--");
		if (cli_parse(table, f, argc, argv, &i, &err) < 0) {
			pd_err_print(err);
			return -1;
		}
		if (dashdash || (i > 0 && i < argc && !strcmp(argv[i - 1], "--"))) {
			for (; i < argc; i++)
				strv_push(pos, argv[i]);
			break;
		}
		if (i < argc)
			strv_push(pos, argv[i++]);
	}
	if (f->help) {
		printf("%s\n", usage);
		cli_print_options(table);
	}
	return 0;
}

int cli_run_subcommand(const struct cli_global *g, const char *group, const struct cli_subcommand *subs,
		       size_t n, void *opts, void (*opts_free)(void *), int argc, char **argv)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[0], subs[i].name) != 0)
			continue;
		struct cli_flags *f = opts;
		_cleanup_strv_ char **pos = NULL;
		int ret = 0;
		if (cli_parse_flags(subs[i].table, f, argc, argv, &pos, subs[i].usage) < 0) {
			ret = CLI_EXIT_USAGE;
		} else if (!f->help) {
			_cleanup_err_ struct pd_err *err = NULL;
			_cleanup_free_ char *root = pd_state_root(g->root, &err);
			ret = root ? subs[i].run(root, opts, pos) : cli_fail(err);
		}
		opts_free(opts);
		return ret;
	}
	opts_free(opts);
	return cli_usage_error("unknown command '%s %s'", group, argv[0]);
}

void cli_flags_free(struct cli_flags *f)
{
	free(f->tail);
	free(f->time);
	free(f->signal);
	free(f->format);
}

void cli_table_init(struct cli_table *t, size_t ncols)
{
	*t = (struct cli_table){ .ncols = ncols };
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = str_escape(row[c] ? row[c] : "");
	t->nrows++;
}

/* Characters on screen, not bytes: "…" is one. */
static size_t display_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void cli_table_print(struct cli_table *t)
{
	size_t *w = xcalloc(t->ncols ? t->ncols : 1, sizeof(size_t));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = display_width(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			fputs(cell, stdout);
			if (c + 1 < t->ncols)
				printf("%*s", (int)(w[c] - display_width(cell) + 3), "");
			free(t->cells[r * t->ncols + c]);
		}
		putchar('\n');
	}
	free(w);
	free(t->cells);
	*t = (struct cli_table){ 0 };
}

void cli_table_free(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	*t = (struct cli_table){ 0 };
}

int cli_set_list_format(void *o, const char *a, struct pd_err **err)
{
	struct cli_flags *f = o;
	free(f->format);
	f->format = NULL;
	f->json = !strcmp(a, "json");
	if (!f->json && strcmp(a, "table") != 0)
		f->format = xstrdup(a);
	return 0;
}

int cli_tmpl_init(struct pd_tmpl_list *l, const char *format, struct pd_err **err)
{
	if (pd_tmpl_list_init(l, format, err) < 0) {
		pd_err_prefix(err, "--format");
		return -1;
	}
	return 0;
}

int cli_tmpl_add(struct pd_tmpl_list *l, json_t *row, struct pd_err **err)
{
	int r = pd_tmpl_list_add(l, row, err);
	json_decref(row);
	if (r < 0) {
		pd_tmpl_list_free(l);
		pd_err_prefix(err, "--format");
		return -1;
	}
	return 0;
}

int cli_tmpl_print(struct pd_tmpl_list *l, json_t *head, struct pd_err **err)
{
	char *out = pd_tmpl_list_finish(l, head, err);
	json_decref(head);
	pd_tmpl_list_free(l);
	if (!out)
		return -1;
	fputs(out, stdout);
	free(out);
	return 0;
}
