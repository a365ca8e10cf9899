/* The command line: a table of commands (main.c) and a table-driven option
 * parser shared by every command.  Only cli/ prints to the user or picks an
 * exit code. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct cli_global {
	const char *root; /* --root */
};

/* A long flag with a value that may be left out: `--flag=VALUE` and
 * `--flag VALUE` take VALUE, as a flag with a value does (so a value the
 * flag does not know is an error, never the next positional argument);
 * the flag is alone (its `set` called with NULL) only when it is the last
 * word or the next word is another option ("-..."). */
#define CLI_ARG_OPTIONAL 2

struct cli_opt {
	const char *long_name; /* without "--" */
	char short_name;       /* 0: none */
	/* false, true, or CLI_ARG_OPTIONAL (see above). */
	unsigned char has_arg;
	/* Called for each occurrence; `arg` is NULL for flags. */
	int (*set)(void *opts, const char *arg, struct pd_err **err);
	const char *help;
};

/* Parse argv[*i...] against `table` until the first non-option word (or
 * after "--"); *i is left at the first positional argument.  Combined
 * short flags (-it) and --opt=value are understood. */
int cli_parse(const struct cli_opt *table, void *opts, int argc, char **argv, int *i, struct pd_err **err);
void cli_print_options(const struct cli_opt *table);

int cli_run(const struct cli_global *g, int argc, char **argv);
int cli_create(const struct cli_global *g, int argc, char **argv);
int cli_start(const struct cli_global *g, int argc, char **argv);
int cli_restart(const struct cli_global *g, int argc, char **argv);
/* push.c */
int cli_push(const struct cli_global *g, int argc, char **argv);
int cli_login(const struct cli_global *g, int argc, char **argv);
int cli_logout(const struct cli_global *g, int argc, char **argv);
/* The whole command line when invoked as `pocket-runc` (runc.c): runc's
 * global flags and commands; returns the exit code. */
int cli_runc(int argc, char **argv);

/* Shared by the commands (common.c). */
/* Exit codes of every command but run/exec (which return the workload's):
 * 125 for bad input (a usage error, an unknown flag, no such container or
 * image), 1 when the runtime failed. */
#define CLI_EXIT_USAGE	125
#define CLI_EXIT_FAILED 1
/* The exit code for `err` (see above). */
int cli_exit_code(const struct pd_err *err);
/* Print the error once (control bytes escaped); return cli_exit_code(). */
int cli_fail(struct pd_err *err);
/* Print "pocket-docker: <message>" (escaped) and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a line of text that came from outside (an image name, a tag, a
 * container reference) on stdout with control bytes escaped. */
void cli_print_line(const char *s);
/* "5 seconds", "About a minute", ... as Docker prints durations. */
void cli_human_duration(int64_t ns, char *buf, size_t len);
/* --detach-keys SPEC (run, attach, exec): parsed into *slot, replacing
 * what was there. */
int cli_set_detach_keys(char **slot, const char *spec, struct pd_err **err);
/* Options struct of commands that take only simple flags. */
struct cli_flags {
	bool all, force, quiet, no_trunc, follow, timestamps, help, json;
	char *tail, *time, *signal, *format;
};
int cli_flag_all(void *o, const char *a, struct pd_err **err);
int cli_flag_force(void *o, const char *a, struct pd_err **err);
int cli_flag_help(void *o, const char *a, struct pd_err **err);
/* Parse `table` into `f`; the other words go to *pos (a vector the caller
 * frees).  Prints usage and returns 0 with f->help set on --help; prints
 * the error and returns -1 on bad input (the command then exits
 * CLI_EXIT_USAGE). */
int cli_parse_flags(const struct cli_opt *table, struct cli_flags *f, int argc, char **argv, char ***pos,
		    const char *usage);
void cli_flags_free(struct cli_flags *f);
/* One subcommand of a command group (`volume ls`): its flags, the function
 * that runs it (on the state root, the parsed options, the other words),
 * returning the exit code, and its usage text. */
struct cli_subcommand {
	const char *name;
	const struct cli_opt *table;
	int (*run)(const char *root, void *opts, char **pos);
	const char *usage;
};
/* Run the subcommand argv[0] of `group` found in subs[0..n): parse its
 * flags into `opts` (the caller's zeroed options struct, a struct
 * cli_flags first), resolve the state root and run it, unless --help.
 * `opts_free` frees what the options hold, in every case.  Returns the
 * exit code (a usage error for an unknown subcommand). */
int cli_run_subcommand(const struct cli_global *g, const char *group, const struct cli_subcommand *subs,
		       size_t n, void *opts, void (*opts_free)(void *), int argc, char **argv);
/* --format of a list command (ps, images): "json" sets f->json, "table"
 * is the default layout, anything else is a Go template kept in
 * f->format (parsed when the list is printed). */
int cli_set_list_format(void *o, const char *a, struct pd_err **err);

/* A --format template over a list of rows (util/template.h): init, add each
 * row, print.  cli_tmpl_add takes the row; on failure it frees the list.
 * cli_tmpl_print takes the header row (Docker's column names), prints the
 * result and frees the list.  Errors are prefixed "--format". */
struct pd_tmpl_list;
struct json_t;
int cli_tmpl_init(struct pd_tmpl_list *l, const char *format, struct pd_err **err);
int cli_tmpl_add(struct pd_tmpl_list *l, struct json_t *row, struct pd_err **err);
int cli_tmpl_print(struct pd_tmpl_list *l, struct json_t *head, struct pd_err **err);

/* Aligned output as Docker prints it: each column as wide as its widest
 * cell plus three spaces, the last one unpadded.  Cells are copied. */
struct cli_table {
	size_t ncols, nrows, cap;
	char **cells;
};
void cli_table_init(struct cli_table *t, size_t ncols);
/* Append a row of t->ncols strings (NULL prints as ""); control bytes
 * in them are escaped (str_escape): cells show names and commands that
 * images and archives supply. */
void cli_table_add(struct cli_table *t, const char *const *row);
/* Print every row to stdout and free the table. */
void cli_table_print(struct cli_table *t);
void cli_table_free(struct cli_table *t);

int cli_exec(const struct cli_global *g, int argc, char **argv);
int cli_attach(const struct cli_global *g, int argc, char **argv);
/* The attached session of run/attach: raw terminal when the container has
 * one (restored on every way out); 0 with *code, 1 when detached, -1.
 * `end` (run's; NULL for attach) gets the report and where stdout ended. */
struct pd_attach_end;
int cli_attach_session(int fd, pid_t pid, bool tty, bool stdin_open, const char *detach_keys,
		       struct pd_attach_end *end, int *code, struct pd_err **err);
void cli_term_raw(void);
void cli_term_restore(void);
int cli_ps(const struct cli_global *g, int argc, char **argv);
int cli_logs(const struct cli_global *g, int argc, char **argv);
int cli_stop(const struct cli_global *g, int argc, char **argv);
int cli_kill(const struct cli_global *g, int argc, char **argv);
int cli_rm(const struct cli_global *g, int argc, char **argv);
int cli_wait(const struct cli_global *g, int argc, char **argv);
int cli_stats(const struct cli_global *g, int argc, char **argv);
int cli_inspect(const struct cli_global *g, int argc, char **argv);
int cli_image_inspect(const struct cli_global *g, int argc, char **argv);
int cli_prune(const struct cli_global *g, int argc, char **argv);
int cli_version(const struct cli_global *g, int argc, char **argv);
/* `ui`: the web dashboard (ui.c). */
int cli_ui(const struct cli_global *g, int argc, char **argv);
int cli_pull(const struct cli_global *g, int argc, char **argv);
int cli_images(const struct cli_global *g, int argc, char **argv);
int cli_rmi(const struct cli_global *g, int argc, char **argv);
int cli_import(const struct cli_global *g, int argc, char **argv);
int cli_pause(const struct cli_global *g, int argc, char **argv);
int cli_unpause(const struct cli_global *g, int argc, char **argv);
int cli_rename(const struct cli_global *g, int argc, char **argv);
int cli_top(const struct cli_global *g, int argc, char **argv);
int cli_port(const struct cli_global *g, int argc, char **argv);
int cli_cp(const struct cli_global *g, int argc, char **argv);
int cli_diff(const struct cli_global *g, int argc, char **argv);
/* system.c */
int cli_system_df(const struct cli_global *g, int argc, char **argv);
int cli_system_info(const struct cli_global *g, int argc, char **argv);
/* update.c */
int cli_update(const struct cli_global *g, int argc, char **argv);
int cli_events(const struct cli_global *g, int argc, char **argv);
/* `network SUB ...` (network.c): argv[0] is SUB (create, ls, inspect, rm, prune). */
int cli_network(const struct cli_global *g, int argc, char **argv);
/* `volume SUB ...` (volume.c): argv[0] is SUB (create, ls, inspect, rm, prune). */
int cli_volume(const struct cli_global *g, int argc, char **argv);
/* imgshare.c */
int cli_tag(const struct cli_global *g, int argc, char **argv);
int cli_commit(const struct cli_global *g, int argc, char **argv);
int cli_build(const struct cli_global *g, int argc, char **argv);
int cli_export(const struct cli_global *g, int argc, char **argv);
int cli_history(const struct cli_global *g, int argc, char **argv);
int cli_save(const struct cli_global *g, int argc, char **argv);
int cli_load(const struct cli_global *g, int argc, char **argv);
int cli_image_prune(const struct cli_global *g, int argc, char **argv);
