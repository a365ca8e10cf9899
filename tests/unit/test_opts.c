/* Unit tests for the command line's option parser (cli/opts.c, and the
 * flags-and-arguments loop of the simple commands in cli/common.c),
 * written to be read as a description of how pocket-docker reads a
 * command line.
 *
 * In one paragraph: each command declares a table of options (long name,
 * optional one-letter name, whether it takes a value, a setter).
 * cli_parse walks argv from *i, calls the setter of each option it meets,
 * once per occurrence, and stops at the first word that is not an option
 * (or just after "--"), leaving *i there: for `run IMAGE CMD...` and
 * `exec CONTAINER CMD...` everything from IMAGE on belongs to the command.
 * The parser converts nothing: a value reaches its setter as text, and a
 * setter's error is the parse's error.  Every parse error is bad input
 * (PD_ERR_USAGE), which every command turns into exit status 125. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- a command's table, shaped like run's and exec's ------------------ */

struct opts {
	bool interactive, tty, detach, help;
	char *name;	 /* the last --name wins: its setter replaces */
	char **env;	 /* every -e, in order */
	char *network;	 /* --network's value, or "(alone)" */
	uint64_t memory; /* --memory, converted by its setter */
	char trace[128]; /* the setters called, in order */
};

static void trace(struct opts *o, const char *what)
{
	strncat(o->trace, what, sizeof(o->trace) - strlen(o->trace) - 1);
}

static int set_interactive(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	assert_null(a); /* a flag's setter gets no value */
	o->interactive = true;
	trace(o, "i");
	return 0;
}

static int set_tty(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	o->tty = true;
	trace(o, "t");
	return 0;
}

static int set_detach(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	o->detach = true;
	trace(o, "d");
	return 0;
}

static int set_help(void *p, const char *a, struct pd_err **err)
{
	((struct opts *)p)->help = true;
	return 0;
}

static int set_name(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	free(o->name);
	o->name = xstrdup(a);
	trace(o, "n");
	return 0;
}

static int add_env(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	strv_push(&o->env, a);
	trace(o, "e");
	return 0;
}

static int set_network(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	free(o->network);
	o->network = xstrdup(a ? a : "(alone)");
	trace(o, "N");
	return 0;
}

static int set_memory(void *p, const char *a, struct pd_err **err)
{
	struct opts *o = p;
	trace(o, "m");
	return pd_parse_size(a, &o->memory, err);
}

static const struct cli_opt table[] = {
	{ "interactive", 'i', false, set_interactive, "keep stdin open" },
	{ "tty", 't', false, set_tty, "allocate a terminal" },
	{ "detach", 'd', false, set_detach, "run in the background" },
	{ "name", 0, true, set_name, "name of the container" },
	{ "env", 'e', true, add_env, "set KEY=VALUE" },
	{ "network", 0, CLI_ARG_OPTIONAL, set_network, "bridge or none" },
	{ "net", 0, CLI_ARG_OPTIONAL, set_network, "the same as --network" },
	{ "memory", 'm', true, set_memory, "memory limit" },
	{ "help", 0, false, set_help, "show this help" },
	{ 0 },
};

static void opts_free(struct opts *o)
{
	free(o->name);
	free(o->network);
	strv_free(o->env);
}

#define ARGV(...) ((char *[]){ "cmd", __VA_ARGS__, NULL })

/* Parse argv (argv[0] is the command) into *o; return *i after it, or -1
 * when the parse fails (the test then reads the error). */
static int parse(char **argv, struct opts *o)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	*o = (struct opts){ 0 };
	int i = 1;
	_cleanup_err_ struct pd_err *err = NULL;
	if (cli_parse(table, o, argc, argv, &i, &err) < 0) {
		assert_non_null(err);
		return -1;
	}
	assert_null(err);
	return i;
}

/* The error a parse of argv gives; the test fails if it succeeds. */
static struct pd_err *parse_fails(char **argv, struct opts *o)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	*o = (struct opts){ 0 };
	int i = 1;
	struct pd_err *err = NULL;
	if (cli_parse(table, o, argc, argv, &i, &err) == 0)
		fail_msg("'%s' parsed", argv[1]);
	assert_non_null(err);
	return err;
}

/* ---- values ------------------------------------------------------------ */

/* A long option takes its value either after "=" or as the next word;
 * only the first "=" separates, and "--name=" gives an empty value. */
static void test_long_value_forms(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("--name", "web"), &o), 3);
	assert_string_equal(o.name, "web");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--name=web"), &o), 2);
	assert_string_equal(o.name, "web");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--env=A=1=2"), &o), 2);
	assert_string_equal(o.env[0], "A=1=2");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--name="), &o), 2);
	assert_string_equal(o.name, "");
	opts_free(&o);
}

/* A one-letter option takes its value as the next word, or glued to it
 * ("-eA=1"); a "=" right after the letter is dropped ("-e=A=1" is A=1),
 * as Docker does. */
static void test_short_value_forms(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("-e", "A=1"), &o), 3);
	assert_string_equal(o.env[0], "A=1");
	opts_free(&o);
	assert_int_equal(parse(ARGV("-eA=1"), &o), 2);
	assert_string_equal(o.env[0], "A=1");
	opts_free(&o);
	assert_int_equal(parse(ARGV("-e=A=1"), &o), 2);
	assert_string_equal(o.env[0], "A=1");
	opts_free(&o);
}

/* The next word is the value even when it starts with "-": `--name -d`
 * names the container "-d", it does not detach. */
static void test_value_may_start_with_a_dash(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("--name", "-d", "-e", "--tty"), &o), 5);
	assert_string_equal(o.name, "-d");
	assert_string_equal(o.env[0], "--tty");
	assert_false(o.detach);
	assert_false(o.tty);
	opts_free(&o);
}

/* The parser converts nothing: the text goes to the setter, which
 * converts it (here with pd_parse_size, as --memory does). */
static void test_values_are_converted_by_setters(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("-m", "64m", "--memory=1g"), &o), 4);
	assert_int_equal(o.memory, 1ULL << 30);
	assert_string_equal(o.trace, "mm");
	opts_free(&o);
}

/* ---- flags ------------------------------------------------------------- */

/* One-letter flags combine in one word, in any order: -it is -i -t. */
static void test_combined_short_flags(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("-it"), &o), 2);
	assert_true(o.interactive);
	assert_true(o.tty);
	assert_false(o.detach);
	assert_string_equal(o.trace, "it");
	opts_free(&o);
	assert_int_equal(parse(ARGV("-tid"), &o), 2);
	assert_string_equal(o.trace, "tid");
	opts_free(&o);
}

/* In a combined word, a letter that takes a value ends the flags: the
 * rest of the word is its value ("-ite" takes the next word; "-eit" is
 * -e with the value "it"). */
static void test_combined_short_with_value(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("-ite", "A=1", "img"), &o), 3);
	assert_true(o.interactive && o.tty);
	assert_string_equal(o.env[0], "A=1");
	opts_free(&o);
	assert_int_equal(parse(ARGV("-eit"), &o), 2);
	assert_false(o.interactive);
	assert_false(o.tty);
	assert_string_equal(o.env[0], "it");
	opts_free(&o);
}

/* Each occurrence calls the setter again, in command-line order: a
 * list option (-e) collects every value, a single one (--name) keeps the
 * last, a flag given twice is simply set. */
static void test_repeated_options(void **state)
{
	struct opts o;
	assert_int_equal(
	    parse(ARGV("-e", "A=1", "--name", "a", "--env=B=2", "-eC=3", "--name", "b", "-i", "-i"), &o), 11);
	assert_int_equal(strv_len(o.env), 3);
	assert_string_equal(o.env[0], "A=1");
	assert_string_equal(o.env[1], "B=2");
	assert_string_equal(o.env[2], "C=3");
	assert_string_equal(o.name, "b");
	assert_string_equal(o.trace, "eneenii");
	opts_free(&o);
}

/* A flag without a value takes Docker's boolean form after "=":
 * --detach=true (or 1) sets it, --detach=false (or 0) leaves it off;
 * anything else is refused, and says so. */
static void test_flag_boolean_value(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("--detach=true"), &o), 2);
	assert_true(o.detach);
	opts_free(&o);
	assert_int_equal(parse(ARGV("--detach=false", "--interactive=1"), &o), 3);
	assert_false(o.detach);
	assert_true(o.interactive);
	opts_free(&o);
	_cleanup_err_ struct pd_err *err = parse_fails(ARGV("--detach=yes"), &o);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg, "invalid value 'yes' for --detach: want true or false");
	assert_false(o.detach);
	opts_free(&o);
}

/* Long names match exactly: no abbreviations (--nam is unknown). */
static void test_long_names_match_exactly(void **state)
{
	struct opts o;
	_cleanup_err_ struct pd_err *err = parse_fails(ARGV("--nam", "web"), &o);
	assert_string_equal(err->msg, "unknown flag: --nam");
	opts_free(&o);
	_cleanup_err_ struct pd_err *err2 = parse_fails(ARGV("--names=web"), &o);
	assert_string_equal(err2->msg, "unknown flag: --names");
	opts_free(&o);
}

/* ---- an option whose value may be left out (--network) ------------------ */

/* CLI_ARG_OPTIONAL: "--network" alone (last word, or before another
 * option) calls the setter with NULL; with "=" or a next word that is not
 * an option, that is the value.  The next word is taken even when it
 * looks like an image: `run --network busybox` asks for a network named
 * busybox, whose setter then refuses it, rather than running busybox on
 * the default network. */
static void test_optional_value(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("--network"), &o), 2);
	assert_string_equal(o.network, "(alone)");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--network", "-d", "img"), &o), 3);
	assert_string_equal(o.network, "(alone)");
	assert_true(o.detach);
	opts_free(&o);
	assert_int_equal(parse(ARGV("--net=none", "img"), &o), 2);
	assert_string_equal(o.network, "none");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--network", "busybox", "sh"), &o), 3);
	assert_string_equal(o.network, "busybox");
	opts_free(&o);
	assert_int_equal(parse(ARGV("--network="), &o), 2);
	assert_string_equal(o.network, "");
	opts_free(&o);
}

/* ---- where the options end ---------------------------------------------- */

/* Parsing stops at the first word that is not an option and leaves *i
 * on it: in `run -d IMAGE sh -c -x` the "-x" (and "-c") are the
 * command's, never run's.  The same holds for `exec -it CONTAINER ...`. */
static void test_first_argument_ends_options(void **state)
{
	struct opts o;
	char **argv = ARGV("-d", "img", "sh", "-c", "-x", "-i");
	assert_int_equal(parse(argv, &o), 2);
	assert_string_equal(argv[2], "img");
	assert_true(o.detach);
	assert_false(o.interactive);
	assert_string_equal(o.trace, "d");
	opts_free(&o);
	argv = ARGV("-it", "box", "ls", "-l");
	assert_int_equal(parse(argv, &o), 2);
	assert_string_equal(argv[2], "box");
	opts_free(&o);
}

/* "--" ends the options and is consumed: *i is left on the word after it,
 * so an image or command may start with "-".  After the first argument a
 * "--" is the command's own word. */
static void test_double_dash_ends_options(void **state)
{
	struct opts o;
	char **argv = ARGV("-i", "--", "-t", "x");
	assert_int_equal(parse(argv, &o), 3);
	assert_string_equal(argv[3], "-t");
	assert_true(o.interactive);
	assert_false(o.tty);
	opts_free(&o);
	argv = ARGV("img", "--", "x");
	assert_int_equal(parse(argv, &o), 1);
	opts_free(&o);
	assert_int_equal(parse(ARGV("--"), &o), 2);
	opts_free(&o);
}

/* "-" alone is an argument (it usually means stdin), and no option at
 * all leaves *i where it was; so does an empty command line. */
static void test_lone_dash_and_no_options(void **state)
{
	struct opts o;
	assert_int_equal(parse(ARGV("-", "-i"), &o), 1);
	assert_false(o.interactive);
	opts_free(&o);
	assert_int_equal(parse(ARGV("img"), &o), 1);
	opts_free(&o);
	char *none[] = { "cmd", NULL };
	assert_int_equal(parse(none, &o), 1);
	opts_free(&o);
}

/* ---- errors --------------------------------------------------------------- */

/* An unknown option is bad input with Docker's wording, and every command
 * exits 125 for it.  The value after "=" is not repeated in the message. */
static void test_unknown_flag(void **state)
{
	struct opts o;
	_cleanup_err_ struct pd_err *err = parse_fails(ARGV("--bogus=secret", "img"), &o);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg, "unknown flag: --bogus");
	assert_int_equal(cli_exit_code(err), CLI_EXIT_USAGE);
	assert_int_equal(CLI_EXIT_USAGE, 125);
	opts_free(&o);
}

/* An unknown letter is named with the word it was found in.  The setters
 * of the options before it have run already (the command fails anyway,
 * and frees what they made). */
static void test_unknown_shorthand(void **state)
{
	struct opts o;
	_cleanup_err_ struct pd_err *err = parse_fails(ARGV("-d", "-ix"), &o);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_string_equal(err->msg, "unknown shorthand flag: 'x' in -ix");
	assert_string_equal(o.trace, "di");
	opts_free(&o);
}

/* An option that needs a value and is the last word is an error naming it
 * as it was written. */
static void test_missing_value(void **state)
{
	struct opts o;
	_cleanup_err_ struct pd_err *e1 = parse_fails(ARGV("--name"), &o);
	assert_int_equal(e1->kind, PD_ERR_USAGE);
	assert_string_equal(e1->msg, "flag needs an argument: --name");
	opts_free(&o);
	_cleanup_err_ struct pd_err *e2 = parse_fails(ARGV("-e"), &o);
	assert_string_equal(e2->msg, "flag needs an argument: -e");
	opts_free(&o);
	_cleanup_err_ struct pd_err *e3 = parse_fails(ARGV("-ite"), &o);
	assert_string_equal(e3->msg, "flag needs an argument: -e");
	opts_free(&o);
}

/* A setter's error is the parse's error, unchanged, and parsing stops
 * there: later options are not applied. */
static void test_setter_error_stops_the_parse(void **state)
{
	struct opts o;
	_cleanup_err_ struct pd_err *err = parse_fails(ARGV("-m", "lots", "-d"), &o);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_non_null(strstr(err->msg, "lots"));
	assert_false(o.detach);
	assert_string_equal(o.trace, "m");
	opts_free(&o);
}

/* ---- help ------------------------------------------------------------------ */

/* Run fn() with stdout going to a string (returned, to free). */
static char *capture_stdout(void (*fn)(void))
{
	fflush(stdout);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	fn();
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	off_t n = lseek(fileno(tmp), 0, SEEK_END);
	assert_true(n >= 0);
	char *buf = xcalloc(1, (size_t)n + 1);
	assert_int_equal(pread(fileno(tmp), buf, (size_t)n, 0), n);
	fclose(tmp);
	return buf;
}

static void print_table(void)
{
	cli_print_options(table);
}

/* --help lists the table in order: the letter when there is one, VALUE
 * after an option that takes one, [VALUE] when it may be left out. */
static void test_help_lists_the_table(void **state)
{
	_cleanup_free_ char *out = capture_stdout(print_table);
	assert_non_null(strstr(out, "\nOptions:\n"));
	assert_non_null(strstr(out, "  -i, --interactive            keep stdin open\n"));
	assert_non_null(strstr(out, "  -e, --env VALUE              set KEY=VALUE\n"));
	assert_non_null(strstr(out, "      --name VALUE             name of the container\n"));
	assert_non_null(strstr(out, "      --network [VALUE]        bridge or none\n"));
	assert_true(strstr(out, "--interactive") < strstr(out, "--help"));
}

/* ---- the simple commands (rm, ps, logs, stop, ...): cli_parse_flags ------- */

static const struct cli_opt simple_table[] = {
	{ "force", 'f', false, cli_flag_force, "force" },
	{ "all", 'a', false, cli_flag_all, "all" },
	{ "help", 0, false, cli_flag_help, "show this help" },
	{ 0 },
};

/* Commands that take only flags and names let them interleave, as Docker
 * does: `rm a -f b` removes a and b by force.  After "--" every word is a
 * name, even one that starts with "-". */
static void test_simple_commands_interleave(void **state)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	char *argv[] = { "rm", "a", "-f", "b", "--", "-a", "c", NULL };
	assert_int_equal(cli_parse_flags(simple_table, &f, 7, argv, &pos, "Usage: rm"), 0);
	assert_true(f.force);
	assert_false(f.all);
	assert_int_equal(strv_len(pos), 4);
	assert_string_equal(pos[0], "a");
	assert_string_equal(pos[1], "b");
	assert_string_equal(pos[2], "-a");
	assert_string_equal(pos[3], "c");
	cli_flags_free(&f);
}

/* A bad flag makes cli_parse_flags print the error and return -1; the
 * command then exits 125. */
static void test_simple_commands_bad_flag(void **state)
{
	struct cli_flags f = { 0 };
	_cleanup_strv_ char **pos = NULL;
	char *argv[] = { "rm", "a", "--bogus", NULL };
	int saved = dup(STDERR_FILENO);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dup2(null, STDERR_FILENO);
	int r = cli_parse_flags(simple_table, &f, 3, argv, &pos, "Usage: rm");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	assert_int_equal(r, -1);
	cli_flags_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_value_forms),
		cmocka_unit_test(test_short_value_forms),
		cmocka_unit_test(test_value_may_start_with_a_dash),
		cmocka_unit_test(test_values_are_converted_by_setters),
		cmocka_unit_test(test_combined_short_flags),
		cmocka_unit_test(test_combined_short_with_value),
		cmocka_unit_test(test_repeated_options),
		cmocka_unit_test(test_flag_boolean_value),
		cmocka_unit_test(test_long_names_match_exactly),
		cmocka_unit_test(test_optional_value),
		cmocka_unit_test(test_first_argument_ends_options),
		cmocka_unit_test(test_double_dash_ends_options),
		cmocka_unit_test(test_lone_dash_and_no_options),
		cmocka_unit_test(test_unknown_flag),
		cmocka_unit_test(test_unknown_shorthand),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_setter_error_stops_the_parse),
		cmocka_unit_test(test_help_lists_the_table),
		cmocka_unit_test(test_simple_commands_interleave),
		cmocka_unit_test(test_simple_commands_bad_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
