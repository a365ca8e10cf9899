/* Dockerfiles and .dockerignore files: parsing only.  Pure logic (no
 * files, no processes): runs in the CLI, fed untrusted text, and is
 * unit-tested.  The build itself (core/build.c) runs the instructions.
 *
 * The parse follows Docker's reference: parser directives (`# syntax=`,
 * `# escape=`, and BuildKit's `# check=`, accepted and ignored) only
 * before the first instruction, comment or blank line (an unknown one is
 * a comment and ends them); comments and blank
 * lines; line continuations with the escape character (`\` or '`'),
 * comment lines inside a continuation dropped; heredocs (`<<EOF`,
 * `<<-EOF`, quoted delimiters) on RUN, COPY and ADD; the exec (JSON
 * array) form of RUN, CMD, ENTRYPOINT, SHELL, VOLUME, COPY and ADD;
 * flags (`--from=`, `--chown=`, `--chmod=`, `--interval=`, ...) before
 * the arguments (`--` ends them).  Keywords are case-insensitive.  Variables are not
 * expanded here: the build expands them with pd_df_expand (or
 * pd_df_expand_word) as each instruction runs, with the ARG and ENV
 * values in force at that step.
 *
 * Lines are joined as Docker joins them: the escape character at the end
 * of a line (blanks may follow it) and the line break are removed and
 * nothing else, so `RUN a \` + `    b` is "RUN a     b" and `ab\` + `cd`
 * is "abcd"; comment lines and blank lines inside a continuation are
 * skipped.  A UTF-8 byte order mark at the start is ignored, and "\r\n"
 * ends a line as "\n" does. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum pd_df_kind {
	PD_DF_FROM,
	PD_DF_RUN,
	PD_DF_COPY,
	PD_DF_ADD,
	PD_DF_ENV,
	PD_DF_ARG,
	PD_DF_WORKDIR,
	PD_DF_USER,
	PD_DF_CMD,
	PD_DF_ENTRYPOINT,
	PD_DF_EXPOSE,
	PD_DF_LABEL,
	PD_DF_VOLUME,
	PD_DF_SHELL,
	PD_DF_STOPSIGNAL,
	PD_DF_HEALTHCHECK,
	PD_DF_ONBUILD,
	PD_DF_MAINTAINER,
};

struct pd_df_heredoc {
	char *name;  /* the delimiter word ("EOF") */
	char *body;  /* the lines between, each ending in '\n' */
	bool expand; /* an unquoted delimiter: variables expand in body */
	bool chomp;  /* <<-: leading tabs were stripped from body */
};

struct pd_df_instr {
	enum pd_df_kind kind;
	unsigned line; /* the line its keyword is on, from 1 */
	/* The instruction as written, continuations joined into one line
	 * (see above), keyword upper-cased, then for each heredoc "\n", its
	 * body and its delimiter: the text the layer cache keys on. */
	char *text;
	/* Flags before the arguments, as written ("--from=build",
	 * "--chown=1:1"; quotes in them removed, as Docker does),
	 * NULL-terminated.  Only the instruction's own flags are accepted
	 * (an unknown one is a parse error). */
	char **flags;
	/* The exec form (RUN, CMD, ENTRYPOINT, SHELL, VOLUME, COPY, ADD,
	 * HEALTHCHECK CMD): args is the JSON array's strings. */
	bool json;
	/* NULL-terminated.  What it holds:
	 * - RUN, CMD, ENTRYPOINT in shell form: one element, the command
	 *   line after the flags (continuations joined);
	 * - ENV and LABEL: "KEY=VALUE" elements, one per pair, quotes and
	 *   escapes removed from KEY and VALUE (the legacy `ENV KEY VALUE`
	 *   form gives one element too);
	 * - ARG: "NAME" or "NAME=DEFAULT" elements (quotes and escapes
	 *   removed from DEFAULT, as for ENV);
	 * - FROM: the image, then "AS", NAME (lower-cased) when present;
	 * - COPY and ADD in shell form: the whitespace-separated words,
	 *   sources then destination;
	 * - HEALTHCHECK: "NONE", or "CMD" followed by its command in the
	 *   form the json field says (one shell-form element, or the array);
	 * - ONBUILD: one element, the inner instruction's text;
	 * - every other instruction: its whitespace-separated words (for
	 *   WORKDIR, USER, STOPSIGNAL and MAINTAINER see `rest`). */
	char **args;
	/* RUN, COPY and ADD: the heredocs named in the instruction, in order. */
	struct pd_df_heredoc *heredocs;
	size_t n_heredocs;
	/* The arguments after the flags as one string, as written
	 * (continuations joined, blanks trimmed at both ends).  Docker takes
	 * WORKDIR, USER, STOPSIGNAL and MAINTAINER whole from this (a
	 * WORKDIR with spaces is one path), not as words. */
	char *rest;
	/* ENV, LABEL and ARG: the same elements as args, but with quotes and
	 * escapes as written ("A=\"x $B\"", "N='$lit'"), NULL for the other
	 * instructions.  Docker expands these with its quote rules: a value
	 * from pd_df_expand_word(raw value) is exactly Docker's (single quotes
	 * and an escaped `$` stop the expansion, which args have lost). */
	char **raw;
};

struct pd_df_stage {
	char *base;		    /* FROM's image, variables not yet expanded */
	char *name;		    /* AS NAME (lower-cased), or NULL */
	char *platform;		    /* --platform=, or NULL */
	unsigned line;		    /* FROM's line, from 1 */
	unsigned index;		    /* its position, from 0 */
	struct pd_df_instr *instrs; /* after FROM, in order */
	size_t n_instrs;
};

struct pd_dockerfile {
	char escape;  /* '\\' or '`' */
	char *syntax; /* the `# syntax=` directive's value, or NULL */
	/* ARG instructions before the first FROM ("NAME" or "NAME=DEFAULT"),
	 * NULL-terminated: usable in FROM lines only, as in Docker. */
	char **global_args;
	/* The same, with quotes and escapes as written (as pd_df_instr.raw):
	 * the default to expand with pd_df_expand_word.  NULL-terminated. */
	char **global_args_raw;
	struct pd_df_stage *stages;
	size_t n_stages;
};

/* Parse `text` (`len` bytes; NUL bytes are an error).  On error, one line
 * naming the Dockerfile line ("line 7: unknown instruction: FORM"). */
int pd_dockerfile_parse(const char *text, size_t len, struct pd_dockerfile *out, struct pd_err **err);
void pd_dockerfile_free(struct pd_dockerfile *df);

/* Expand variables in `word` as Docker's builder does: $NAME, ${NAME},
 * ${NAME:-word}, ${NAME:+word} (and ${NAME-word}, ${NAME+word}), with the
 * escape character escaping '$'.  `env` is "NAME=VALUE" elements,
 * NULL-terminated, the later ones winning.  Quotes are kept (the caller
 * splits words); an unset variable expands to "".  A malformed
 * reference ("${", "${A", "${}", "${A!}", "${A/x/y}") is an error.
 *
 * In detail, as Docker's shell lexer: nothing expands inside single
 * quotes; an escaped `$` becomes a literal '$' (the escape removed), any
 * other escape is kept with its character for the word split after; a
 * '$' not followed by a name is itself.  ${NAME?msg} and ${NAME:?msg}
 * fail ("NAME: msg") when NAME is unset (or empty), else give its value;
 * ${NAME#pat} ${NAME##pat} ${NAME%pat} ${NAME%%pat} remove a glob prefix
 * or suffix.  A quote left unclosed is an ordinary character here (an ENV
 * value from args may hold one: `it's`).  Nesting is capped at 64. */
char *pd_df_expand(const char *word, char *const *env, char escape, struct pd_err **err);
/* Docker's single-word processing (its ProcessWord), for ENV, LABEL and
 * ARG values (raw), WORKDIR, USER, a COPY source, ...: variables expanded
 * as pd_df_expand does, and in the same pass quotes removed and the
 * escape character applied (outside quotes it escapes any character;
 * inside double quotes only `"`, `$` and itself).  Single-quoted text is
 * not expanded.  Whitespace is kept (no splitting), and a variable's
 * value is never itself unquoted.  An unterminated quote is an error.
 * The caller frees the result. */
char *pd_df_expand_word(const char *word, char *const *env, char escape, struct pd_err **err);

/* Split `s` into words as the builder does for COPY, ADD, EXPOSE, VOLUME,
 * USER and friends after expansion: on unquoted whitespace, quotes
 * removed, the escape character escaping the next one.  NULL-terminated. */
char **pd_df_words(const char *s, char escape, struct pd_err **err);

/* .dockerignore: Docker's rules (filepath.Match patterns with `**`,
 * `!` exceptions, the last matching line winning, a leading `/` and `./`
 * ignored, comments with `#`, paths cleaned). */
struct pd_ignore;
int pd_ignore_parse(const char *text, size_t len, struct pd_ignore **out, struct pd_err **err);
/* Whether the context path `rel` ("src/a.c": '/'-separated, relative to
 * the context, no leading "./" or "/") is excluded. */
bool pd_ignore_match(const struct pd_ignore *ig, const char *rel);
/* Whether any exception line could re-include something below the
 * excluded directory `rel` (the walk must then descend into it). */
bool pd_ignore_may_include_below(const struct pd_ignore *ig, const char *rel);
void pd_ignore_free(struct pd_ignore *ig);
