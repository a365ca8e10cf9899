/* Shared by the two halves of the --format template engine: the parser
 * (template-parse.c), which builds the tree below from the text, and the
 * evaluator (template.c), which walks it against a jansson value and owns
 * the byte buffer, the UTF-8 helpers and the table of functions.  Only
 * those two files, the unit test and the fuzz harness include this. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/template.h"

/* A growable byte buffer, always NUL-terminated once anything (even "")
 * was added; p is owned by whoever holds the buffer. */
struct tmpl_buf {
	char *p;
	size_t len, cap;
};

void tmpl_buf_add(struct tmpl_buf *b, const char *s, size_t n);
void tmpl_buf_addc(struct tmpl_buf *b, char c);

/* Length of the valid UTF-8 sequence at s (at most n bytes, n >= 1), 0 if
 * none (overlong forms and surrogates are invalid). */
size_t tmpl_utf8_seq(const unsigned char *s, size_t n);
/* Append code point cp (at most 0x10FFFF) as UTF-8. */
void tmpl_utf8_put(struct tmpl_buf *b, unsigned cp);

static inline bool tmpl_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------ */
/* The tree.  pd_tmpl_parse builds it and pd_tmpl_free frees it (both in
 * template-parse.c); the evaluator only reads it.  Every pointer is owned
 * by the node that holds it. */

/* The functions a template can call; the evaluator's table (template.c)
 * gives each its name, argument counts and header behaviour. */
enum fn {
	F_AND,
	F_OR,
	F_NOT,
	F_EQ,
	F_NE,
	F_LT,
	F_LE,
	F_GT,
	F_GE,
	F_LEN,
	F_INDEX,
	F_PRINT,
	F_PRINTF,
	F_PRINTLN,
	F_JSON,
	F_UPPER,
	F_LOWER,
	F_TITLE,
	F_JOIN,
	F_SPLIT,
	F_PAD,
	F_TRUNCATE,
};

/* The function called `name` into *fn; false when there is none. */
bool tmpl_func_find(const char *name, enum fn *fn);

enum arg_kind { A_FIELD, A_VAR, A_LIT, A_NIL, A_FUNC, A_PIPE };

struct pipe;

struct arg {
	enum arg_kind kind;
	char *var;    /* A_VAR: the name, "$" included */
	char **chain; /* field names after the term (A_FIELD: after dot) */
	size_t nchain;
	json_t *lit;	   /* A_LIT */
	enum fn fn;	   /* A_FUNC */
	struct pipe *pipe; /* A_PIPE */
};

struct cmd {
	struct arg *args;
	size_t nargs;
};

struct pipe {
	struct cmd *cmds;
	size_t ncmds;
	char *decl[2]; /* declared or assigned variables */
	size_t ndecl;
	bool assign; /* `=` rather than `:=` */
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE };

struct node {
	enum node_kind kind;
	struct node *next;
	char *text; /* N_TEXT */
	size_t len;
	struct pipe *pipe;
	struct node *body, *els;
};

struct pd_tmpl {
	struct node *root;
};
