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

#define CLI_ARG_OPTIONAL 2

struct cli_opt {
	const char *long_name; /* without "--" */
	char short_name;       /* 0: none */
	/* false, true, or CLI_ARG_OPTIONAL: a long flag whose value is the
	 * next word only when `set` accepts it (--flag=VALUE always is). */
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

/* Shared by the commands (common.c). */
/* Print the error once; return the exit code for a non-run command (1). */
int cli_fail(struct pd_err *err);
/* "5 seconds", "About a minute", ... as Docker prints durations. */
void cli_human_duration(int64_t ns, char *buf, size_t len);
/* A signal given as "TERM", "SIGTERM" or "15"; -1 if unknown. */
int cli_parse_signal(const char *s);
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
 * the error and returns -1 on bad input. */
int cli_parse_flags(const struct cli_opt *table, struct cli_flags *f, int argc, char **argv, char ***pos,
		    const char *usage);
void cli_flags_free(struct cli_flags *f);

/* Aligned output as Docker prints it: each column as wide as its widest
 * cell plus three spaces, the last one unpadded.  Cells are copied. */
struct cli_table {
	size_t ncols, nrows, cap;
	char **cells;
};
void cli_table_init(struct cli_table *t, size_t ncols);
/* Append a row of t->ncols strings (NULL prints as ""). */
void cli_table_add(struct cli_table *t, const char *const *row);
/* Print every row to stdout and free the table. */
void cli_table_print(struct cli_table *t);
void cli_table_free(struct cli_table *t);

int cli_exec(const struct cli_global *g, int argc, char **argv);
int cli_attach(const struct cli_global *g, int argc, char **argv);
/* The attached session of run/attach: raw terminal when the container has
 * one (restored on every way out); 0 with *code, 1 when detached, -1. */
int cli_attach_session(int fd, pid_t pid, bool tty, bool stdin_open, const char *detach_keys, int *code,
		       struct pd_err **err);
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
int cli_prune(const struct cli_global *g, int argc, char **argv);
int cli_version(const struct cli_global *g, int argc, char **argv);
int cli_pull(const struct cli_global *g, int argc, char **argv);
int cli_images(const struct cli_global *g, int argc, char **argv);
int cli_rmi(const struct cli_global *g, int argc, char **argv);
int cli_import(const struct cli_global *g, int argc, char **argv);
