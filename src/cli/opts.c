/* Table-driven option parsing for every command (see cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const struct cli_opt *find_long(const struct cli_opt *t, const char *name, size_t len)
{
	for (; t->long_name || t->short_name; t++)
		if (t->long_name && strlen(t->long_name) == len && !strncmp(t->long_name, name, len))
			return t;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *t, char c)
{
	for (; t->long_name || t->short_name; t++)
		if (t->short_name == c)
			return t;
	return NULL;
}

static int parse_long(const struct cli_opt *table, void *opts, int argc, char **argv, int *i,
		      struct pd_err **err)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct cli_opt *o = find_long(table, a, len);
	if (!o)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unknown flag: --%.*s", (int)len, a);
	const char *val = NULL;
	if (o->has_arg == CLI_ARG_OPTIONAL && !eq) {
		/* The next word is the value unless it is another option: a
		 * value the flag does not know is its error, never silently
		 * the command's next argument. */
		if (*i + 1 < argc && argv[*i + 1][0] != '-')
			val = argv[++*i];
	} else if (o->has_arg) {
		if (eq)
			val = eq + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "flag needs an argument: --%s",
					    o->long_name);
	} else if (eq) {
		/* Docker's boolean form: --rm=true, --detach=false.  Every
		 * boolean flag is off unless given, so "=false" leaves it
		 * alone (it does not undo an earlier occurrence). */
		if (!strcmp(eq + 1, "true") || !strcmp(eq + 1, "1"))
			return o->set(opts, NULL, err);
		if (!strcmp(eq + 1, "false") || !strcmp(eq + 1, "0"))
			return 0;
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid value '%s' for --%s: want true or false",
				    eq + 1, o->long_name);
	}
	return o->set(opts, val, err);
}

static int parse_short(const struct cli_opt *table, void *opts, int argc, char **argv, int *i,
		       struct pd_err **err)
{
	for (const char *c = argv[*i] + 1; *c; c++) {
		const struct cli_opt *o = find_short(table, *c);
		if (!o)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "unknown shorthand flag: '%c' in %s", *c,
					    argv[*i]);
		if (!o->has_arg) {
			if (o->set(opts, NULL, err) < 0)
				return -1;
			continue;
		}
		const char *val;
		if (c[1])
			val = c[1] == '=' ? c + 2 : c + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "flag needs an argument: -%c", *c);
		return o->set(opts, val, err);
	}
	return 0;
}

int cli_parse(const struct cli_opt *table, void *opts, int argc, char **argv, int *i, struct pd_err **err)
{
	while (*i < argc) {
		const char *a = argv[*i];
		if (!strcmp(a, "--")) {
			++*i;
			return 0;
		}
		if (a[0] != '-' || a[1] == '\0')
			return 0;
		int r = a[1] == '-' ? parse_long(table, opts, argc, argv, i, err)
				    : parse_short(table, opts, argc, argv, i, err);
		if (r < 0)
			return -1;
		++*i;
	}
	return 0;
}

void cli_print_options(const struct cli_opt *t)
{
	printf("\nOptions:\n");
	for (; t->long_name || t->short_name; t++) {
		char left[64];
		if (t->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s", t->short_name, t->long_name,
				 t->has_arg ? " VALUE" : "");
		else
			snprintf(left, sizeof(left), "    --%s%s", t->long_name,
				 t->has_arg == CLI_ARG_OPTIONAL ? " [VALUE]"
				 : t->has_arg			? " VALUE"
								: "");
		printf("  %-28s %s\n", left, t->help ? t->help : "");
	}
}
