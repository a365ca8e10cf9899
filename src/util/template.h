/* Go-template formatting as Docker users write it for `--format`
 * (`{{.Names}}`, `{{json .}}`, `{{range .Mounts}}...{{end}}`,
 * `table {{.ID}}\t{{.Status}}`): a small engine of our own that renders a
 * parsed template against a jansson value, and Docker's handling of the
 * `table` prefix with Go's tabwriter alignment.  Pure logic, no system
 * calls; safe in any process.
 *
 * What it understands: text and actions with the `{{-`/`-}}` trim markers
 * and comments; fields (`.A.B`), `.`, `$`, variables (`$x := ...`,
 * `$x = ...`, `$x.A`), string (with Go's escapes), raw string, number,
 * character, `true`/`false`/`nil` literals; pipelines (`.Name | upper`)
 * and parenthesised ones (`(index .A "x").B`); `if`/`else if`/`else`,
 * `range` (arrays and maps, `$i, $e :=`, `else`, `break`, `continue`),
 * `with`; the functions and, or, not, eq, ne, lt, le, gt, ge, len, index,
 * print, printf (%s %d %v %q %x %f %t %%, flags, width and precision),
 * println, json, upper, lower, title, join, split, pad, truncate.
 *
 * Values print as Go prints the values of decoded JSON: integers without
 * decimals, other numbers in Go's %v form (1.5, 1e+06), arrays as
 * `[a b]`, objects as `map[k:v]` (keys sorted), a missing key or null as
 * `<no value>` (`<nil>` inside an array or object).  Comparisons are more
 * lenient than Go's: an integer equals the same real.
 *
 * Bounds: blocks and parentheses nest at most PD_TMPL_MAX_DEPTH deep (a
 * parse error past that); one render executes at most PD_TMPL_MAX_STEPS
 * actions and produces at most PD_TMPL_MAX_BYTES of text, counting every
 * string it builds on the way (an error past either), so no template and
 * no data can make it run or grow without end. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define PD_TMPL_MAX_DEPTH 64
#define PD_TMPL_MAX_STEPS 2000000
#define PD_TMPL_MAX_BYTES (16u << 20)

struct pd_tmpl;

/* Parse `text` (NUL-terminated).  On error: NULL and *err (PD_ERR_USAGE)
 * with one line such as `template: :1: unexpected "}" in operand`.  Free
 * the result with pd_tmpl_free. */
struct pd_tmpl *pd_tmpl_parse(const char *text, struct pd_err **err);
void pd_tmpl_free(struct pd_tmpl *t);

enum {
	/* Render a table header the way Docker does: json, upper, lower,
	 * title, split, join, pad and truncate return their first argument
	 * unchanged. */
	PD_TMPL_HEADER = 1 << 0,
	/* Write control bytes (other than tab and newline), DEL, the C1
	 * controls and invalid UTF-8 in printed values as \xNN / \u00NN, so
	 * that names and commands an image supplies cannot steer the
	 * terminal.  Text of the template itself is written as it is. */
	PD_TMPL_SAFE = 1 << 1,
};

/* Render `t` with `data` as dot (borrowed; NULL renders as a missing
 * value).  Returns the text (NUL-terminated, owned by the caller; *len,
 * when given, is its length) or NULL with *err (PD_ERR_USAGE) when the
 * execution failed, e.g. `template: :1: error calling index: index out of
 * range: 5`. */
char *pd_tmpl_render(const struct pd_tmpl *t, json_t *data, unsigned flags, size_t *len, struct pd_err **err);

/* Docker's treatment of a list command's --format (ps, images, stats):
 * a leading "table" is dropped and *table set; spaces around the rest are
 * trimmed; the two-character sequences \t and \n become a tab and a
 * newline.  Returns the text to parse (owned by the caller). */
char *pd_tmpl_docker_text(const char *format, bool *table);

/* Go's text/tabwriter over `text`: cells end at tabs, lines at newlines;
 * each column of a block of consecutive lines that have it is as wide as
 * max(minwidth, widest cell + padding), padded with spaces; the last cell
 * of a line is not padded.  Docker's tables use minwidth 10, padding 3.
 * Widths count characters (UTF-8 sequences), not bytes.  Returns a new
 * NUL-terminated string owned by the caller. */
char *pd_tabwriter(const char *text, size_t len, size_t minwidth, size_t padding);

/* A list printed with a --format, as Docker's list commands print it:
 * each row rendered and followed by a newline; with `table`, a header row
 * first (the template rendered in PD_TMPL_HEADER mode against an object
 * mapping field names to column titles) and the whole aligned by
 * pd_tabwriter(10, 3). */
struct pd_tmpl_list {
	struct pd_tmpl *tmpl;
	bool table;
	char *buf;
	size_t len, cap;
};
/* Parse `format` (see pd_tmpl_docker_text); -1 with *err on a parse error. */
int pd_tmpl_list_init(struct pd_tmpl_list *l, const char *format, struct pd_err **err);
/* Render one row (PD_TMPL_SAFE); -1 with *err on an execution error. */
int pd_tmpl_list_add(struct pd_tmpl_list *l, json_t *row, struct pd_err **err);
/* The whole output: header (when a table; `header` borrowed) and rows.
 * The caller frees the result; the list is emptied but stays parsed. */
char *pd_tmpl_list_finish(struct pd_tmpl_list *l, json_t *header, struct pd_err **err);
void pd_tmpl_list_free(struct pd_tmpl_list *l);
