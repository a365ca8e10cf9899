/* `pocket-docker top CONTAINER [ps OPTIONS]`: the container's processes
 * as the host's `ps` prints them (`ps -ef` without options), its rows
 * only.  Laid out as Docker does: each column but the last as wide as its
 * widest cell plus three spaces, and at least 20. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"
#include "core/control.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MIN_WIDTH 20
#define PADDING	  3

static const struct cli_opt help_only[] = {
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* Characters on screen, not bytes. */
static size_t width_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void print_top(const struct pd_top *t)
{
	/* Every cell escaped first: the commands are the container's. */
	size_t nrows = t->nrows + 1, ncols = t->ncols;
	char **cells = xcalloc(nrows * ncols, sizeof(char *));
	size_t *w = xcalloc(ncols, sizeof(size_t));
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			const char *s = r ? t->rows[r - 1][c] : t->titles[c];
			cells[r * ncols + c] = str_escape(s);
			size_t cw = width_of(cells[r * ncols + c]) + PADDING;
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			fputs(s, stdout);
			if (c + 1 < ncols) {
				size_t cw = w[c] < MIN_WIDTH ? MIN_WIDTH : w[c];
				printf("%*s", (int)(cw - width_of(s)), "");
			}
			free(cells[r * ncols + c]);
		}
		putchar('\n');
	}
	free(cells);
	free(w);
}

int cli_top(const struct cli_global *g, int argc, char **argv)
{
	struct cli_flags f = { 0 };
	_cleanup_err_ struct pd_err *err = NULL;
	/* Options stop at the container: what follows it is ps's. */
	int i = 1;
	if (cli_parse(help_only, &f, argc, argv, &i, &err) < 0)
		return cli_fail(err);
	if (f.help) {
		printf("Usage: pocket-docker top CONTAINER [ps OPTIONS]\n\n"
		       "Display the running processes of a container (the host's ps, default -ef).\n");
		cli_print_options(help_only);
		return 0;
	}
	if (i >= argc)
		return cli_usage_error("top needs a container");
	_cleanup_free_ char *root = pd_state_root(g->root, &err);
	if (!root)
		return cli_fail(err);
	struct pd_top t;
	if (pd_container_top(root, argv[i], argv + i + 1, &t, &err) < 0)
		return cli_fail(err);
	print_top(&t);
	pd_top_free(&t);
	return 0;
}
