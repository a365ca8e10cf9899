/* The --format template engine's parser (see template.h): Go's
 * text/template syntax, as Docker users write it, into the tree of
 * template-internal.h that the evaluator (template.c) walks.  Runs in the
 * CLI only; no privileges, no system calls.
 *
 * The format string is untrusted: the parser recurses once per block and
 * per parenthesis, so it counts that nesting and fails past
 * PD_TMPL_MAX_DEPTH; the tree it returns is therefore no deeper, which is
 * what lets pd_tmpl_free and the evaluator recurse on it.  Errors read as
 * Go's (`template: :LINE: message`), the first one only. */
#include "util/template-internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ */
/* Freeing the tree. */

static void pipe_free(struct pipe *p);

static void arg_free(struct arg *a)
{
	free(a->var);
	for (size_t i = 0; i < a->nchain; i++)
		free(a->chain[i]);
	free(a->chain);
	json_decref(a->lit);
	pipe_free(a->pipe);
}

static void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	for (size_t c = 0; c < p->ncmds; c++) {
		for (size_t i = 0; i < p->cmds[c].nargs; i++)
			arg_free(&p->cmds[c].args[i]);
		free(p->cmds[c].args);
	}
	free(p->cmds);
	free(p->decl[0]);
	free(p->decl[1]);
	free(p);
}

/* Lists are freed iteratively along `next`; body and else nest no deeper
 * than the parser allowed. */
static void nodes_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;
		free(n->text);
		pipe_free(n->pipe);
		nodes_free(n->body);
		nodes_free(n->els);
		free(n);
		n = next;
	}
}

void pd_tmpl_free(struct pd_tmpl *t)
{
	if (!t)
		return;
	nodes_free(t->root);
	free(t);
}

/* ------------------------------------------------------------------ */
/* The lexer (inside actions) and the parser. */

enum tok_kind {
	T_CLOSE, /* }} */
	T_EOF,
	T_FIELD,  /* .A.B (chain) */
	T_DOT,	  /* . */
	T_VAR,	  /* $x.A (name, chain) */
	T_LIT,	  /* string, number, character (val) */
	T_IDENT,  /* name */
	T_LPAREN, /* ( */
	T_RPAREN, /* ) */
	T_PIPE,	  /* | */
	T_DECLARE,
	T_ASSIGN,
	T_COMMA,
};

struct tok {
	enum tok_kind kind;
	size_t at;
	bool trim; /* T_CLOSE: " -}}" */
	char *name;
	char **chain;
	size_t nchain;
	json_t *val;
};

static void tok_clear(struct tok *t)
{
	free(t->name);
	for (size_t i = 0; i < t->nchain; i++)
		free(t->chain[i]);
	free(t->chain);
	json_decref(t->val);
	*t = (struct tok){ 0 };
}

struct parser {
	const char *s;
	size_t pos, len;
	int depth;
	int range_depth;
	bool trim_next; /* the last action ended with " -}}" */
	char **vars;	/* variables in scope, for "undefined variable" */
	size_t nvars;
	struct pd_err **err;
	bool failed;
};

__attribute__((format(printf, 3, 4))) static void perr(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	int line = 1;
	for (size_t i = 0; i < at && i < p->len; i++)
		line += p->s[i] == '\n';
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_fail_kind(p->err, PD_ERR_USAGE, 0, "template: :%d: %s", line, msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

static char peekc(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? p->s[p->pos + off] : '\0';
}

static char *lex_word(struct parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && is_ident(p->s[p->pos]))
		p->pos++;
	return xstrndup(p->s + start, p->pos - start);
}

/* .A.B.C after a term (at p->pos, no space before). */
static void lex_chain(struct parser *p, char ***chain, size_t *n)
{
	while (peekc(p, 0) == '.' && is_ident(peekc(p, 1)) && !tmpl_is_digit(peekc(p, 1))) {
		p->pos++;
		*chain = xrealloc(*chain, (*n + 1) * sizeof(char *));
		(*chain)[(*n)++] = lex_word(p);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape after a backslash (p->pos at the letter) into b; false on a
 * bad one. */
static bool lex_escape(struct parser *p, char quote, struct tmpl_buf *b)
{
	char c = peekc(p, 0);
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	for (size_t i = 0; simple[i]; i += 2)
		if (c == simple[i]) {
			tmpl_buf_addc(b, simple[i + 1]);
			p->pos++;
			return true;
		}
	if (c == quote) {
		tmpl_buf_addc(b, quote);
		p->pos++;
		return true;
	}
	if (c >= '0' && c <= '7') {
		unsigned v = 0;
		for (int i = 0; i < 3; i++) {
			char d = peekc(p, (size_t)i);
			if (d < '0' || d > '7')
				return false;
			v = v * 8 + (unsigned)(d - '0');
		}
		if (v > 255)
			return false;
		tmpl_buf_addc(b, (char)v);
		p->pos += 3;
		return true;
	}
	int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (!digits)
		return false;
	unsigned v = 0;
	for (int i = 1; i <= digits; i++) {
		int h = hexval(peekc(p, (size_t)i));
		if (h < 0)
			return false;
		v = v * 16 + (unsigned)h;
	}
	p->pos += (size_t)digits + 1;
	if (c == 'x') {
		tmpl_buf_addc(b, (char)v);
		return true;
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return false;
	tmpl_utf8_put(b, v);
	return true;
}

static bool lex_string(struct parser *p, struct tok *t)
{
	struct tmpl_buf b = { 0 };
	tmpl_buf_add(&b, "", 0);
	char q = p->s[p->pos++];
	for (;;) {
		if (p->pos >= p->len || (q != '`' && p->s[p->pos] == '\n')) {
			free(b.p);
			perr(p, t->at,
			     q == '`' ? "unterminated raw quoted string" : "unterminated quoted string");
			return false;
		}
		char c = p->s[p->pos++];
		if (c == q)
			break;
		if (c == '\\' && q != '`') {
			if (!lex_escape(p, q, &b)) {
				free(b.p);
				perr(p, t->at, "bad escape in quoted string");
				return false;
			}
			continue;
		}
		tmpl_buf_addc(&b, c);
	}
	if (q == '\'') {
		size_t k = b.len ? tmpl_utf8_seq((unsigned char *)b.p, b.len) : 0;
		unsigned cp = 0;
		if (b.len == 1)
			cp = (unsigned char)b.p[0];
		else if (k && k == b.len) {
			cp = (unsigned char)b.p[0] & (0x7F >> k);
			for (size_t i = 1; i < k; i++)
				cp = (cp << 6) | ((unsigned char)b.p[i] & 0x3F);
		} else {
			free(b.p);
			perr(p, t->at, "malformed character constant");
			return false;
		}
		t->val = json_integer(cp);
	} else {
		t->val = json_stringn_nocheck(b.p, b.len);
	}
	free(b.p);
	t->kind = T_LIT;
	return true;
}

static bool lex_number(struct parser *p, struct tok *t)
{
	size_t start = p->pos;
	if (peekc(p, 0) == '+' || peekc(p, 0) == '-')
		p->pos++;
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		char prev = p->s[p->pos - 1];
		if (is_ident(c) || c == '.' ||
		    ((c == '+' || c == '-') && (prev == 'e' || prev == 'E' || prev == 'p' || prev == 'P')))
			p->pos++;
		else
			break;
	}
	_cleanup_free_ char *text = xstrndup(p->s + start, p->pos - start);
	bool hex = strchr(text, 'x') || strchr(text, 'X');
	char *end = NULL;
	errno = 0;
	long long i = strtoll(text, &end, 0);
	if (*text && !*end && errno == 0) {
		t->val = json_integer(i);
	} else {
		errno = 0;
		double d = strtod(text, &end);
		/* strtod would take "inf", "nan" and hex without a 'p' as Go
		 * does not. */
		if (!*text || *end || errno || isinf(d) || isnan(d) || (hex && !strpbrk(text, "pP"))) {
			perr(p, t->at, "bad number syntax: \"%.40s\"", text);
			return false;
		}
		t->val = json_real(d);
	}
	t->kind = T_LIT;
	return true;
}

/* The next token of the current action. */
static bool lex(struct parser *p, struct tok *t)
{
	*t = (struct tok){ 0 };
	bool space = false;
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++, space = true;
	t->at = p->pos;
	if (p->pos >= p->len) {
		perr(p, t->at, "unclosed action");
		return false;
	}
	char c = p->s[p->pos];
	if (space && c == '-' && peekc(p, 1) == '}' && peekc(p, 2) == '}') {
		p->pos += 3;
		t->kind = T_CLOSE;
		t->trim = true;
		return true;
	}
	if (c == '}' && peekc(p, 1) == '}') {
		p->pos += 2;
		t->kind = T_CLOSE;
		return true;
	}
	if (c == '.' && tmpl_is_digit(peekc(p, 1)))
		return lex_number(p, t);
	if (c == '.') {
		if (!is_ident(peekc(p, 1))) {
			p->pos++;
			t->kind = T_DOT;
			return true;
		}
		t->kind = T_FIELD;
		lex_chain(p, &t->chain, &t->nchain);
		return true;
	}
	if (c == '$') {
		p->pos++;
		_cleanup_free_ char *w = lex_word(p);
		t->name = xasprintf("$%s", w);
		t->kind = T_VAR;
		lex_chain(p, &t->chain, &t->nchain);
		return true;
	}
	if (c == '"' || c == '`' || c == '\'')
		return lex_string(p, t);
	if (tmpl_is_digit(c) ||
	    ((c == '-' || c == '+') && (tmpl_is_digit(peekc(p, 1)) || peekc(p, 1) == '.')))
		return lex_number(p, t);
	if (is_ident(c)) {
		t->kind = T_IDENT;
		t->name = lex_word(p);
		return true;
	}
	static const struct {
		const char *text;
		enum tok_kind kind;
	} punct[] = { { ":=", T_DECLARE }, { "=", T_ASSIGN }, { "(", T_LPAREN },
		      { ")", T_RPAREN },   { "|", T_PIPE },   { ",", T_COMMA } };
	for (size_t i = 0; i < ARRAY_SIZE(punct); i++)
		if (!strncmp(p->s + p->pos, punct[i].text, strlen(punct[i].text))) {
			p->pos += strlen(punct[i].text);
			t->kind = punct[i].kind;
			return true;
		}
	if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
		perr(p, t->at, "unexpected \"%c\" in operand", c);
	else
		perr(p, t->at, "bad character 0x%02x in action", (unsigned char)c);
	return false;
}

static const char *const keywords[] = { "if",	    "else",  "end",   "range",	  "with", "define",
					"template", "block", "break", "continue", "nil" };

static bool is_keyword(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (!strcmp(w, keywords[i]))
			return true;
	return false;
}

static bool var_known(const struct parser *p, const char *name)
{
	if (!strcmp(name, "$"))
		return true;
	for (size_t i = p->nvars; i-- > 0;)
		if (!strcmp(p->vars[i], name))
			return true;
	return false;
}

static void var_declare(struct parser *p, const char *name)
{
	p->vars = xrealloc(p->vars, (p->nvars + 1) * sizeof(char *));
	p->vars[p->nvars++] = xstrdup(name);
}

static void vars_pop(struct parser *p, size_t mark)
{
	while (p->nvars > mark)
		free(p->vars[--p->nvars]);
}

static struct pipe *parse_pipe(struct parser *p, const char *ctx, bool in_paren, bool range);

static const char *tok_text(const struct tok *t)
{
	switch (t->kind) {
	case T_CLOSE: return "}}";
	case T_RPAREN: return ")";
	case T_LPAREN: return "(";
	case T_PIPE: return "|";
	case T_DECLARE: return ":=";
	case T_ASSIGN: return "=";
	case T_COMMA: return ",";
	default: return "token";
	}
}

/* One operand from token t (consumed); false on error. */
static bool parse_operand(struct parser *p, struct tok *t, struct arg *a)
{
	*a = (struct arg){ 0 };
	switch (t->kind) {
	case T_FIELD:
		a->kind = A_FIELD;
		a->chain = take_ptr(&t->chain);
		a->nchain = t->nchain;
		t->nchain = 0;
		return true;
	case T_DOT: a->kind = A_FIELD; return true;
	case T_VAR:
		if (!var_known(p, t->name)) {
			perr(p, t->at, "undefined variable \"%.40s\"", t->name);
			return false;
		}
		a->kind = A_VAR;
		a->var = take_ptr(&t->name);
		a->chain = take_ptr(&t->chain);
		a->nchain = t->nchain;
		t->nchain = 0;
		return true;
	case T_LIT:
		a->kind = A_LIT;
		a->lit = take_ptr(&t->val);
		return true;
	case T_IDENT:
		if (!strcmp(t->name, "true") || !strcmp(t->name, "false")) {
			a->kind = A_LIT;
			a->lit = json_boolean(!strcmp(t->name, "true"));
			return true;
		}
		if (!strcmp(t->name, "nil")) {
			a->kind = A_NIL;
			return true;
		}
		if (is_keyword(t->name)) {
			perr(p, t->at, "unexpected <%.20s> in command", t->name);
			return false;
		}
		if (tmpl_func_find(t->name, &a->fn)) {
			a->kind = A_FUNC;
			return true;
		}
		perr(p, t->at, "function \"%.40s\" not defined", t->name);
		return false;
	case T_LPAREN:
		if (++p->depth > PD_TMPL_MAX_DEPTH) {
			perr(p, t->at, "parentheses nested too deeply");
			return false;
		}
		a->kind = A_PIPE;
		a->pipe = parse_pipe(p, "parenthesized pipeline", true, false);
		p->depth--;
		if (!a->pipe)
			return false;
		lex_chain(p, &a->chain, &a->nchain);
		return true;
	default: perr(p, t->at, "unexpected \"%s\" in operand", tok_text(t)); return false;
	}
}

/* Declarations at the start of a pipeline: `$x :=`, `$x =`, and in a
 * range `$i, $e :=`.  Leaves p->pos after them, or where it was. */
static bool parse_decl(struct parser *p, struct pipe *pp, bool range)
{
	size_t start = p->pos;
	struct tok a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	bool ok = true;
	if (!lex(p, &a) || a.kind != T_VAR || a.nchain || !lex(p, &b))
		goto none;
	if (b.kind == T_DECLARE || b.kind == T_ASSIGN) {
		pp->decl[0] = take_ptr(&a.name);
		pp->ndecl = 1;
		pp->assign = b.kind == T_ASSIGN;
	} else if (range && b.kind == T_COMMA) {
		if (!lex(p, &c) || c.kind != T_VAR || c.nchain || !lex(p, &d) || d.kind != T_DECLARE) {
			perr(p, a.at, "range can only initialize variables as $i, $e :=");
			ok = false;
			goto out;
		}
		pp->decl[0] = take_ptr(&a.name);
		pp->decl[1] = take_ptr(&c.name);
		pp->ndecl = 2;
	} else {
		goto none;
	}
	if (pp->assign && !var_known(p, pp->decl[0])) {
		perr(p, a.at, "undefined variable \"%.40s\"", pp->decl[0]);
		ok = false;
	}
	goto out;
none:
	/* Not a declaration: a lexing error here is found again by the
	 * caller at the same place. */
	if (p->failed)
		ok = false;
	p->pos = start;
out:
	tok_clear(&a), tok_clear(&b), tok_clear(&c), tok_clear(&d);
	return ok;
}

/* A pipeline up to "}}" (or ")" when in_paren), consumed.  For "}}", the
 * trim marker goes to p->trim_next. */
static struct pipe *parse_pipe(struct parser *p, const char *ctx, bool in_paren, bool range)
{
	struct pipe *pp = xcalloc(1, sizeof(*pp));
	size_t decl_at = p->pos;
	if (!parse_decl(p, pp, range))
		goto fail;
	struct cmd cur = { 0 };
	for (;;) {
		struct tok t;
		if (!lex(p, &t))
			goto fail_cmd;
		bool end = t.kind == (in_paren ? T_RPAREN : T_CLOSE);
		if (end || t.kind == T_PIPE) {
			if (!cur.nargs) {
				perr(p, t.at,
				     end && !pp->ncmds ? "missing value for %s" : "missing command in %s",
				     ctx);
				tok_clear(&t);
				goto fail_cmd;
			}
			pp->cmds = xrealloc(pp->cmds, (pp->ncmds + 1) * sizeof(*pp->cmds));
			pp->cmds[pp->ncmds++] = cur;
			cur = (struct cmd){ 0 };
			if (end) {
				p->trim_next = t.trim;
				tok_clear(&t);
				break;
			}
			tok_clear(&t);
			continue;
		}
		if (t.kind == T_CLOSE || t.kind == T_RPAREN) {
			if (in_paren)
				perr(p, t.at, "unclosed left paren");
			else
				perr(p, t.at, "unexpected \"%s\" in %s", tok_text(&t), ctx);
			tok_clear(&t);
			goto fail_cmd;
		}
		struct arg a;
		bool ok = parse_operand(p, &t, &a);
		tok_clear(&t);
		if (!ok)
			goto fail_cmd;
		cur.args = xrealloc(cur.args, (cur.nargs + 1) * sizeof(*cur.args));
		cur.args[cur.nargs++] = a;
	}
	for (size_t i = 0; i < pp->ndecl && !pp->assign; i++)
		var_declare(p, pp->decl[i]);
	if (pp->ndecl && pp->cmds[0].args[0].kind == A_NIL && pp->cmds[0].nargs == 1) {
		perr(p, decl_at, "nil is not a command");
		return pipe_free(pp), NULL;
	}
	return pp;
fail_cmd:
	for (size_t i = 0; i < cur.nargs; i++)
		arg_free(&cur.args[i]);
	free(cur.args);
fail:
	pipe_free(pp);
	return NULL;
}

enum stop { STOP_EOF, STOP_END, STOP_ELSE, STOP_ELSE_IF, STOP_ELSE_WITH, STOP_ERROR };

static struct node *parse_list(struct parser *p, enum stop *stop);

static struct node *new_node(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

/* The rest of an if/with/range after its keyword: pipeline, body, else
 * branches, end.  An `else if` becomes an if node in the else branch that
 * shares the end. */
static struct node *parse_block(struct parser *p, enum node_kind kind, size_t at)
{
	static const char *const names[] = { [N_IF] = "if", [N_RANGE] = "range", [N_WITH] = "with" };
	if (++p->depth > PD_TMPL_MAX_DEPTH) {
		perr(p, at, "blocks nested too deeply");
		return NULL;
	}
	size_t mark = p->nvars;
	struct node *n = new_node(kind);
	enum stop stop = STOP_ERROR;
	n->pipe = parse_pipe(p, names[kind], false, kind == N_RANGE);
	if (!n->pipe)
		goto fail;
	p->range_depth += kind == N_RANGE;
	n->body = parse_list(p, &stop);
	p->range_depth -= kind == N_RANGE;
	if (stop == STOP_ELSE) {
		n->els = parse_list(p, &stop);
		if (stop == STOP_ELSE || stop == STOP_ELSE_IF || stop == STOP_ELSE_WITH) {
			perr(p, p->pos, "expected end; found {{else}}");
			goto fail;
		}
	} else if (stop == STOP_ELSE_IF || stop == STOP_ELSE_WITH) {
		enum node_kind k = stop == STOP_ELSE_IF ? N_IF : N_WITH;
		if (kind == N_RANGE) {
			perr(p, p->pos, "unexpected {{else %s}} in range", names[k]);
			goto fail;
		}
		n->els = parse_block(p, k, p->pos);
		stop = n->els ? STOP_END : STOP_ERROR;
	}
	if (stop == STOP_EOF)
		perr(p, p->len, "unexpected EOF");
	if (stop != STOP_END)
		goto fail;
	vars_pop(p, mark);
	p->depth--;
	return n;
fail:
	vars_pop(p, mark);
	p->depth--;
	nodes_free(n);
	return NULL;
}

/* Expect "}}" to close a keyword action. */
static bool expect_close(struct parser *p, const char *what)
{
	struct tok t;
	if (!lex(p, &t))
		return false;
	bool ok = t.kind == T_CLOSE;
	if (ok)
		p->trim_next = t.trim;
	else
		perr(p, t.at, "unexpected %s in %s", tok_text(&t), what);
	tok_clear(&t);
	return ok;
}

/* A comment action, p->pos just after "/\*"; false on error. */
static bool parse_comment(struct parser *p)
{
	const char *end = memmem(p->s + p->pos, p->len - p->pos, "*/", 2);
	if (!end) {
		perr(p, p->pos, "unclosed comment");
		return false;
	}
	p->pos = (size_t)(end - p->s) + 2;
	if (!strncmp(p->s + p->pos, "}}", 2)) {
		p->pos += 2;
		p->trim_next = false;
		return true;
	}
	if (!strncmp(p->s + p->pos, " -}}", 4)) {
		p->pos += 4;
		p->trim_next = true;
		return true;
	}
	perr(p, p->pos, "comment ends before closing delimiter");
	return false;
}

static void append_node(struct node ***tail, struct node *n)
{
	**tail = n;
	*tail = &n->next;
}

/* One keyword action (the keyword token consumed): block, end, else,
 * break, continue.  Returns false on error; sets *stop for end/else. */
static bool parse_keyword(struct parser *p, struct tok *kw, struct node ***tail, enum stop *stop, bool *done)
{
	const char *w = kw->name;
	*done = true;
	if (!strcmp(w, "if") || !strcmp(w, "with") || !strcmp(w, "range")) {
		enum node_kind k = w[0] == 'i' ? N_IF : w[0] == 'w' ? N_WITH : N_RANGE;
		struct node *n = parse_block(p, k, kw->at);
		if (!n)
			return false;
		append_node(tail, n);
		*done = false;
		return true;
	}
	if (!strcmp(w, "end")) {
		*stop = STOP_END;
		return expect_close(p, "end");
	}
	if (!strcmp(w, "else")) {
		size_t save = p->pos;
		struct tok t;
		if (!lex(p, &t))
			return false;
		if (t.kind == T_IDENT && (!strcmp(t.name, "if") || !strcmp(t.name, "with"))) {
			*stop = t.name[0] == 'i' ? STOP_ELSE_IF : STOP_ELSE_WITH;
			tok_clear(&t);
			return true;
		}
		tok_clear(&t);
		p->pos = save;
		*stop = STOP_ELSE;
		return expect_close(p, "else");
	}
	if (!strcmp(w, "break") || !strcmp(w, "continue")) {
		if (!p->range_depth) {
			perr(p, kw->at, "{{%s}} outside {{range}}", w);
			return false;
		}
		if (!expect_close(p, w))
			return false;
		append_node(tail, new_node(w[0] == 'b' ? N_BREAK : N_CONTINUE));
		*done = false;
		return true;
	}
	perr(p, kw->at, "{{%s}} is not supported", w);
	return false;
}

static void trim_right(const char *s, size_t *len)
{
	while (*len && is_space(s[*len - 1]))
		(*len)--;
}

static struct node *parse_list(struct parser *p, enum stop *stop)
{
	struct node *head = NULL, **tail = &head;
	*stop = STOP_ERROR;
	for (;;) {
		const char *open = memmem(p->s + p->pos, p->len - p->pos, "{{", 2);
		size_t text_end = open ? (size_t)(open - p->s) : p->len;
		size_t start = p->pos;
		if (p->trim_next)
			while (start < text_end && is_space(p->s[start]))
				start++;
		p->trim_next = false;
		bool trim_left = open && text_end + 3 < p->len + 1 && open[2] == '-' &&
				 text_end + 3 < p->len && is_space(open[3]);
		size_t tlen = text_end - start;
		if (trim_left)
			trim_right(p->s + start, &tlen);
		if (tlen) {
			struct node *n = new_node(N_TEXT);
			n->text = xstrndup(p->s + start, tlen);
			n->len = tlen;
			append_node(&tail, n);
		}
		if (!open) {
			*stop = STOP_EOF;
			p->pos = p->len;
			return head;
		}
		p->pos = text_end + 2 + (trim_left ? 2 : 0);
		if (!strncmp(p->s + p->pos, "/*", 2)) {
			p->pos += 2;
			if (!parse_comment(p))
				goto fail;
			continue;
		}
		size_t save = p->pos;
		struct tok t;
		if (!lex(p, &t))
			goto fail;
		if (t.kind == T_IDENT && is_keyword(t.name) && strcmp(t.name, "nil")) {
			bool done;
			bool ok = parse_keyword(p, &t, &tail, stop, &done);
			tok_clear(&t);
			if (!ok)
				goto fail;
			if (done)
				return head;
			continue;
		}
		tok_clear(&t);
		p->pos = save;
		struct node *n = new_node(N_ACTION);
		n->pipe = parse_pipe(p, "command", false, false);
		if (!n->pipe) {
			nodes_free(n);
			goto fail;
		}
		append_node(&tail, n);
	}
fail:
	*stop = STOP_ERROR;
	nodes_free(head);
	return NULL;
}

struct pd_tmpl *pd_tmpl_parse(const char *text, struct pd_err **err)
{
	struct parser p = { .s = text, .len = strlen(text), .err = err };
	enum stop stop;
	struct node *root = parse_list(&p, &stop);
	if (!p.failed && stop == STOP_END)
		perr(&p, p.pos, "unexpected {{end}}");
	if (!p.failed && stop != STOP_EOF)
		perr(&p, p.pos, "unexpected {{else}}");
	vars_pop(&p, 0);
	free(p.vars);
	if (p.failed) {
		nodes_free(root);
		return NULL;
	}
	struct pd_tmpl *t = xcalloc(1, sizeof(*t));
	t->root = root;
	return t;
}
