/* Dockerfile parsing (see dockerfile.h): the text into stages and
 * instructions, and the builder's word rules (variable expansion, word
 * splitting).  Runs in the CLI on untrusted text: no files, no processes,
 * no privileges.  Every pass over the input is linear (a line is joined,
 * split and scanned a bounded number of times), nothing recurses on the
 * input except `${A:-${B:-...}}`, whose depth is capped, and every error
 * is one line naming the Dockerfile line.
 *
 * The order of a parse follows Docker's: parser directives at the top,
 * then logical lines (continuations joined, comments dropped), each split
 * into keyword, flags and arguments; a RUN, COPY or ADD line naming
 * heredocs then takes their bodies from the lines after it. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "image/dockerfile.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- a growing string ---------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* The string, never NULL; the buffer is left empty. */
static char *buf_take(struct buf *b)
{
	if (!b->s)
		return xstrdup("");
	char *s = b->s;
	*b = (struct buf){ 0 };
	return s;
}

static void buf_freep(struct buf *b)
{
	free(b->s);
	*b = (struct buf){ 0 };
}
#define _cleanup_buf_ _cleanup_(buf_freep)

/* A growing NULL-terminated vector of owned strings (strv_push counts the
 * vector on every push, quadratic for a line of 100,000 words). */
struct vec {
	char **v;
	size_t n, cap;
};

static void vec_push(struct vec *x, char *s)
{
	if (x->n + 2 > x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		x->v = xrealloc(x->v, x->cap * sizeof(char *));
	}
	x->v[x->n++] = s;
	x->v[x->n] = NULL;
}

/* The vector (never NULL); x is left empty. */
static char **vec_take(struct vec *x)
{
	char **v = x->v ? x->v : xcalloc(1, sizeof(char *));
	*x = (struct vec){ 0 };
	return v;
}

static void vec_freep(struct vec *x)
{
	strv_free(x->v);
	*x = (struct vec){ 0 };
}
#define _cleanup_vec_ _cleanup_(vec_freep)

/* Make room for one more element in an array of n that grows by
 * doubling (n is 0 or a power of two when it is full). */
static void *grow(void *p, size_t n, size_t size)
{
	if (n & (n - 1))
		return p;
	return xrealloc(p, (n ? n * 2 : 1) * size);
}

/* Go's unicode.IsSpace for ASCII, which is what Docker's parser trims. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A short, printable copy of untrusted text for an error message. */
static char *quote_for_msg(const char *s, size_t n)
{
	bool cut = n > 60;
	_cleanup_free_ char *part = xstrndup(s, cut ? 60 : n);
	_cleanup_free_ char *esc = str_escape(part);
	return xasprintf("%s%s", esc, cut ? "..." : "");
}

/* The same, upper-cased (a keyword as Docker names it). */
static char *quote_upper_for_msg(const char *s, size_t n)
{
	_cleanup_free_ char *up = xstrndup(s, n);
	for (char *c = up; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return quote_for_msg(up, strlen(up));
}

/* ---- the shell-word lexer --------------------------------------------------
 * One lexer for three jobs: pd_df_expand (expand, keep quotes), the cooked
 * mode of pd_df_expand_word (expand, remove quotes and escapes) and the
 * parse-time unquoting of ENV/LABEL/ARG values (no expansion). */

#define LEX_MAX_DEPTH 64

struct lex {
	const char *s;
	size_t i, n;
	char esc;
	char *const *env;
	bool expand; /* $ references are replaced */
	bool raw;    /* quotes and escapes are kept (pd_df_expand) */
	unsigned depth;
};

static int lex_until(struct lex *lx, char stop, struct buf *out, struct pd_err **err);

static const char *env_get(char *const *env, const char *name, size_t nlen)
{
	const char *val = NULL;
	for (size_t k = 0; env && env[k]; k++)
		if (strncmp(env[k], name, nlen) == 0 && env[k][nlen] == '=')
			val = env[k] + nlen + 1;
	return val;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Docker's special parameters: `$@`, `$$` ... name one character. */
static bool is_special_param(char c)
{
	return strchr("@*#?-$!0", c) != NULL && c != '\0';
}

/* A name after `$` or `${`: a run of digits, one special character, or
 * letters, digits and underscores.  Returns its length from lx->i. */
static size_t lex_name(struct lex *lx)
{
	size_t j = lx->i;
	if (j < lx->n && isdigit((unsigned char)lx->s[j])) {
		while (j < lx->n && isdigit((unsigned char)lx->s[j]))
			j++;
		return j - lx->i;
	}
	if (j < lx->n && is_special_param(lx->s[j]))
		return 1;
	while (j < lx->n && is_name_char(lx->s[j]))
		j++;
	return j - lx->i;
}

/* Remove the shortest or longest prefix (or suffix) of `val` matching the
 * glob `pat`, as ${A#pat} ${A##pat} ${A%pat} ${A%%pat} do. */
static char *trim_match(const char *val, const char *pat, bool suffix, bool longest)
{
	size_t n = strlen(val);
	_cleanup_free_ char *tmp = xmalloc(n + 1);
	for (size_t step = 0; step <= n; step++) {
		size_t k = longest ? n - step : step;
		if (!suffix) {
			memcpy(tmp, val, k);
			tmp[k] = '\0';
			if (fnmatch(pat, tmp, 0) == 0)
				return xstrdup(val + k);
		} else if (fnmatch(pat, val + n - k, 0) == 0) {
			return xstrndup(val, n - k);
		}
	}
	return xstrdup(val);
}

/* At a `$`: append what the reference expands to. */
static int lex_dollar(struct lex *lx, struct buf *out, struct pd_err **err)
{
	lx->i++; /* the '$' */
	if (lx->i >= lx->n || lx->s[lx->i] != '{') {
		size_t nlen = lex_name(lx);
		if (nlen == 0) { /* a lone '$' is itself */
			buf_addc(out, '$');
			return 0;
		}
		const char *v = env_get(lx->env, lx->s + lx->i, nlen);
		lx->i += nlen;
		if (v)
			buf_adds(out, v);
		return 0;
	}
	lx->i++; /* '{' */
	if (lx->i >= lx->n)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: missing '}'");
	if (strchr("{}:", lx->s[lx->i]))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: bad substitution");
	size_t nlen = lex_name(lx);
	if (nlen == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: bad substitution");
	_cleanup_free_ char *name = xstrndup(lx->s + lx->i, nlen);
	lx->i += nlen;
	if (lx->i >= lx->n)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: missing '}'");
	const char *val = env_get(lx->env, name, nlen);
	char op = lx->s[lx->i++];
	if (op == '}') {
		if (val)
			buf_adds(out, val);
		return 0;
	}
	bool colon = false;
	if (op == ':') {
		colon = true;
		if (lx->i >= lx->n)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: missing '}'");
		op = lx->s[lx->i++];
		if (!strchr("-+?", op))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "unsupported modifier (:%c) in substitution", op);
	}
	bool twice = false;
	if ((op == '#' || op == '%') && lx->i < lx->n && lx->s[lx->i] == op) {
		twice = true;
		lx->i++;
	}
	if (!strchr("-+?#%", op))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unsupported modifier (%c) in substitution", op);
	if (++lx->depth > LEX_MAX_DEPTH)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "substitution nested too deeply");
	/* The word after the modifier is itself expanded (and, cooked,
	 * unquoted); a pattern for # and % keeps its quotes and escapes. */
	struct lex sub = *lx;
	if (op == '#' || op == '%')
		sub.raw = true;
	_cleanup_buf_ struct buf word = { 0 };
	if (lex_until(&sub, '}', &word, err) < 0)
		return -1;
	lx->i = sub.i;
	lx->depth--;
	if (lx->i >= lx->n || lx->s[lx->i] != '}')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "syntax error: missing '}'");
	lx->i++;
	bool unset = !val || (colon && !*val);
	const char *w = word.s ? word.s : "";
	switch (op) {
	case '-': buf_adds(out, unset ? w : val); return 0;
	case '+':
		if (!unset)
			buf_adds(out, w);
		return 0;
	case '?':
		if (unset)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: %s", name,
					    *w ? w : "is not allowed to be unset");
		buf_adds(out, val);
		return 0;
	default: {
		_cleanup_free_ char *t = trim_match(val ? val : "", w, op == '%', twice);
		buf_adds(out, t);
		return 0;
	}
	}
}

/* Inside double quotes (the opening one consumed). */
static int lex_dquote(struct lex *lx, struct buf *out, struct pd_err **err)
{
	if (lx->raw)
		buf_addc(out, '"');
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];
		if (c == '"') {
			lx->i++;
			if (lx->raw)
				buf_addc(out, '"');
			return 0;
		}
		if (c == '$' && lx->expand) {
			if (lex_dollar(lx, out, err) < 0)
				return -1;
			continue;
		}
		lx->i++;
		if (c == lx->esc && lx->i < lx->n) {
			char d = lx->s[lx->i];
			if (d == '"' || d == '$' || d == lx->esc) {
				lx->i++;
				if (lx->raw && d != '$')
					buf_addc(out, c);
				buf_addc(out, d);
				continue;
			}
		} else if (c == lx->esc) {
			continue; /* an escape at the very end is dropped */
		}
		buf_addc(out, c);
	}
	/* Unterminated.  Cooked, that is Docker's error; raw, the text may
	 * have lost its closing quote on purpose (an ENV value from args),
	 * so it stands. */
	if (!lx->raw)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "unexpected end of statement while looking for matching double-quote");
	return 0;
}

static int lex_until(struct lex *lx, char stop, struct buf *out, struct pd_err **err)
{
	while (lx->i < lx->n) {
		char c = lx->s[lx->i];
		if (stop && c == stop)
			return 0;
		if (c == '\'') {
			const char *close = memchr(lx->s + lx->i + 1, '\'', lx->n - lx->i - 1);
			if (!close) {
				if (!lx->raw)
					return pd_fail_kind(err, PD_ERR_USAGE, 0,
							    "unexpected end of statement while looking for "
							    "matching single-quote");
				/* Raw: a lone quote is a character (see lex_dquote). */
				buf_addc(out, c);
				lx->i++;
				continue;
			}
			size_t end = (size_t)(close - lx->s);
			if (lx->raw)
				buf_add(out, lx->s + lx->i, end + 1 - lx->i);
			else
				buf_add(out, lx->s + lx->i + 1, end - lx->i - 1);
			lx->i = end + 1;
			continue;
		}
		if (c == '"') {
			lx->i++;
			if (lex_dquote(lx, out, err) < 0)
				return -1;
			continue;
		}
		if (c == lx->esc) {
			lx->i++;
			if (lx->i >= lx->n) {
				if (lx->raw)
					buf_addc(out, c);
				return 0;
			}
			char d = lx->s[lx->i++];
			if (lx->raw && d != '$')
				buf_addc(out, c);
			buf_addc(out, d);
			continue;
		}
		if (c == '$' && lx->expand) {
			if (lex_dollar(lx, out, err) < 0)
				return -1;
			continue;
		}
		buf_addc(out, c);
		lx->i++;
	}
	return 0;
}

static char *lex_run(const char *s, size_t n, char *const *env, char escape, bool expand, bool raw,
		     struct pd_err **err)
{
	struct lex lx = { .s = s, .n = n, .esc = escape, .env = env, .expand = expand, .raw = raw };
	_cleanup_buf_ struct buf out = { 0 };
	if (lex_until(&lx, 0, &out, err) < 0)
		return NULL;
	return buf_take(&out);
}

char *pd_df_expand(const char *word, char *const *env, char escape, struct pd_err **err)
{
	return lex_run(word, strlen(word), env, escape, true, true, err);
}

char *pd_df_expand_word(const char *word, char *const *env, char escape, struct pd_err **err)
{
	return lex_run(word, strlen(word), env, escape, true, false, err);
}

char **pd_df_words(const char *s, char escape, struct pd_err **err)
{
	_cleanup_vec_ struct vec v = { 0 };
	_cleanup_buf_ struct buf w = { 0 };
	bool in_word = false;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (is_blank(c)) {
			if (in_word)
				vec_push(&v, buf_take(&w));
			in_word = false;
			i++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *close = memchr(s + i + 1, '\'', n - i - 1);
			if (!close)
				return pd_fail_kind(err, PD_ERR_USAGE, 0, "unterminated single quote in '%s'",
						    s),
				       NULL;
			buf_add(&w, s + i + 1, (size_t)(close - s) - i - 1);
			i = (size_t)(close - s) + 1;
			continue;
		}
		if (c == '"') {
			for (i++;; i++) {
				if (i >= n)
					return pd_fail_kind(err, PD_ERR_USAGE, 0,
							    "unterminated double quote in '%s'", s),
					       NULL;
				char d = s[i];
				if (d == '"')
					break;
				if (d == escape && i + 1 < n &&
				    (s[i + 1] == '"' || s[i + 1] == '$' || s[i + 1] == escape))
					d = s[++i];
				buf_addc(&w, d);
			}
			i++;
			continue;
		}
		if (c == escape) {
			if (i + 1 < n)
				buf_addc(&w, s[i + 1]);
			i += 2;
			continue;
		}
		buf_addc(&w, c);
		i++;
	}
	if (in_word)
		vec_push(&v, buf_take(&w));
	return vec_take(&v);
}

/* ---- lines ---------------------------------------------------------------- */

struct reader {
	const char *p, *end;
	unsigned line; /* of the last line returned */
};

/* The next line, without its "\n" (a "\r" before it stays: callers trim). */
static bool next_line(struct reader *r, const char **s, size_t *n)
{
	if (r->p >= r->end)
		return false;
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	const char *e = nl ? nl : r->end;
	*s = r->p;
	*n = (size_t)(e - r->p);
	r->p = nl ? nl + 1 : r->end;
	r->line++;
	return true;
}

static void trim_cr(const char *s, size_t *n)
{
	if (*n && s[*n - 1] == '\r')
		(*n)--;
}

static void trim_left(const char **s, size_t *n)
{
	while (*n && is_blank(**s))
		(*s)++, (*n)--;
}

static void trim_right(const char *s, size_t *n)
{
	while (*n && is_blank(s[*n - 1]))
		(*n)--;
}

static bool is_comment_line(const char *s, size_t n)
{
	trim_left(&s, &n);
	return n && s[0] == '#';
}

/* Remove the escape character (and blanks after it) ending the line;
 * true when there was one: the instruction continues. */
static bool trim_continuation(const char *s, size_t *n, char escape)
{
	size_t k = *n;
	while (k && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (k && s[k - 1] == escape) {
		*n = k - 1;
		return true;
	}
	return false;
}

/* ---- parser directives ----------------------------------------------------- */

/* `# name = value` (the line already without "\r"): name and value. */
static bool parse_directive(const char *s, size_t n, char **name, char **value)
{
	trim_left(&s, &n);
	if (!n || s[0] != '#')
		return false;
	s++, n--;
	trim_left(&s, &n);
	size_t k = 0;
	if (!n || !isalpha((unsigned char)s[0]))
		return false;
	while (k < n && isalnum((unsigned char)s[k]))
		k++;
	const char *nm = s;
	size_t nmlen = k;
	s += k, n -= k;
	trim_left(&s, &n);
	if (!n || s[0] != '=')
		return false;
	s++, n--;
	trim_left(&s, &n);
	trim_right(s, &n);
	if (!n)
		return false;
	*name = xstrndup(nm, nmlen);
	for (char *c = *name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	*value = xstrndup(s, n);
	return true;
}

/* Reads the directives at the top of the file, leaving the reader at the
 * first line that is not one. */
static int parse_directives(struct reader *r, struct pd_dockerfile *df, struct pd_err **err)
{
	bool seen_escape = false, seen_check = false;
	for (;;) {
		struct reader save = *r;
		const char *s;
		size_t n;
		if (!next_line(r, &s, &n))
			return 0;
		trim_cr(s, &n);
		_cleanup_free_ char *name = NULL, *value = NULL;
		if (!parse_directive(s, n, &name, &value)) {
			*r = save;
			return 0;
		}
		if (strcmp(name, "escape") == 0) {
			if (seen_escape)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "line %u: only one escape parser directive can be used",
						    r->line);
			seen_escape = true;
			if (strcmp(value, "\\") != 0 && strcmp(value, "`") != 0) {
				_cleanup_free_ char *q = quote_for_msg(value, strlen(value));
				return pd_fail_kind(
				    err, PD_ERR_USAGE, 0,
				    "line %u: invalid escape token '%s' does not match ` or \\", r->line, q);
			}
			df->escape = value[0];
		} else if (strcmp(name, "syntax") == 0) {
			if (df->syntax)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "line %u: only one syntax parser directive can be used",
						    r->line);
			df->syntax = take_ptr(&value);
		} else if (strcmp(name, "check") == 0) {
			/* BuildKit's lint settings: accepted, nothing to do here. */
			if (seen_check)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "line %u: only one check parser directive can be used",
						    r->line);
			seen_check = true;
		} else {
			/* Docker's reference: an unknown directive is a comment,
			 * and ends the directives (the comment line is skipped by
			 * the main loop). */
			*r = save;
			return 0;
		}
	}
}

/* ---- instructions ---------------------------------------------------------- */

struct kw {
	const char *name;
	enum pd_df_kind kind;
	const char *const *flags; /* accepted flags ("name" string, "name?" bool, "name*" repeatable) */
};

static const char *const from_flags[] = { "platform", NULL };
static const char *const run_flags[] = { "mount*", "network", "security", NULL };
static const char *const copy_flags[] = { "from", "chown", "chmod", "link?", "parents?", "exclude*", NULL };
static const char *const add_flags[] = { "chown",	  "chmod",    "checksum", "link?",
					 "keep-git-dir?", "exclude*", "unpack?",  NULL };
static const char *const health_flags[] = { "interval",	      "timeout", "start-period",
					    "start-interval", "retries", NULL };

static const struct kw keywords[] = {
	{ "FROM", PD_DF_FROM, from_flags },
	{ "RUN", PD_DF_RUN, run_flags },
	{ "COPY", PD_DF_COPY, copy_flags },
	{ "ADD", PD_DF_ADD, add_flags },
	{ "ENV", PD_DF_ENV, NULL },
	{ "ARG", PD_DF_ARG, NULL },
	{ "WORKDIR", PD_DF_WORKDIR, NULL },
	{ "USER", PD_DF_USER, NULL },
	{ "CMD", PD_DF_CMD, NULL },
	{ "ENTRYPOINT", PD_DF_ENTRYPOINT, NULL },
	{ "EXPOSE", PD_DF_EXPOSE, NULL },
	{ "LABEL", PD_DF_LABEL, NULL },
	{ "VOLUME", PD_DF_VOLUME, NULL },
	{ "SHELL", PD_DF_SHELL, NULL },
	{ "STOPSIGNAL", PD_DF_STOPSIGNAL, NULL },
	{ "HEALTHCHECK", PD_DF_HEALTHCHECK, health_flags },
	{ "ONBUILD", PD_DF_ONBUILD, NULL },
	{ "MAINTAINER", PD_DF_MAINTAINER, NULL },
};

static const struct kw *find_keyword(const char *s, size_t n)
{
	for (size_t k = 0; k < ARRAY_SIZE(keywords); k++)
		if (strlen(keywords[k].name) == n && strncasecmp(keywords[k].name, s, n) == 0)
			return &keywords[k];
	return NULL;
}

/* The state of one parse. */
struct parser {
	struct reader r;
	struct pd_dockerfile *df;
	struct vec global_args, global_args_raw; /* df->global_args(_raw), growing */
	unsigned line;				 /* the current instruction's first line */
};

#define FAIL(p, ...) fail_line((p)->line, err, __VA_ARGS__)

static int fail_line(unsigned line, struct pd_err **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_line(unsigned line, struct pd_err **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: %s", line, msg ? msg : "parse error");
}

/* Docker's flag extraction: words starting with "--" before the
 * arguments, quotes and backslashes in them removed; "--" alone ends them.
 * Returns where the arguments start. */
static const char *extract_flags(const char *s, struct vec *flags)
{
	size_t n = strlen(s);
	size_t i = 0;
	for (;;) {
		while (i < n && is_blank(s[i]))
			i++;
		if (i + 1 >= n || s[i] != '-' || s[i + 1] != '-')
			return s + i;
		_cleanup_buf_ struct buf w = { 0 };
		char quote = 0;
		size_t start = i;
		for (; i < n; i++) {
			char c = s[i];
			if (quote) {
				if (c == quote) {
					quote = 0;
					continue;
				}
			} else {
				if (is_blank(c))
					break;
				if (c == '\'' || c == '"') {
					quote = c;
					continue;
				}
			}
			if (c == '\\' && !(quote == '\'')) {
				if (i + 1 == n)
					continue;
				c = s[++i];
			}
			buf_addc(&w, c);
		}
		if (w.len == 2 && memcmp(w.s, "--", 2) == 0 && i - start == 2)
			return s + i;
		vec_push(flags, buf_take(&w));
	}
}

/* Check the flags against the instruction's list (as Docker's BFlags). */
static int check_flags(struct parser *p, const struct kw *kw, char **flags, struct pd_err **err)
{
	size_t nf = strv_len(flags);
	for (size_t k = 0; k < nf; k++) {
		const char *f = flags[k] + 2;
		const char *eq = strchr(f, '=');
		size_t nlen = eq ? (size_t)(eq - f) : strlen(f);
		const char *spec = NULL;
		for (const char *const *a = kw->flags; a && *a; a++) {
			size_t alen = strcspn(*a, "?*");
			if (alen == nlen && strncmp(*a, f, nlen) == 0)
				spec = *a;
		}
		_cleanup_free_ char *q = quote_for_msg(f, nlen);
		if (!spec)
			return FAIL(p, "unknown flag: %s", q);
		bool is_bool = strchr(spec, '?') != NULL;
		bool repeat = strchr(spec, '*') != NULL;
		if (is_bool && eq && strcasecmp(eq + 1, "true") != 0 && strcasecmp(eq + 1, "false") != 0) {
			_cleanup_free_ char *qv = quote_for_msg(eq + 1, strlen(eq + 1));
			return FAIL(p, "expecting boolean value for flag %s, not: %s", q, qv);
		}
		if (!is_bool && !eq)
			return FAIL(p, "missing a value on flag: %s", q);
		if (!repeat)
			for (size_t j = 0; j < k; j++)
				if (strncmp(flags[j] + 2, f, nlen) == 0 &&
				    (flags[j][2 + nlen] == '=' || flags[j][2 + nlen] == '\0'))
					return FAIL(p, "duplicate flag specified: %s", q);
	}
	return 0;
}

/* Split on Docker's whitespace ([ \t\v\f\r]+), nothing else. */
static char **split_blanks(const char *s)
{
	struct vec v = { 0 };
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		while (i < n && is_blank(s[i]))
			i++;
		size_t j = i;
		while (j < n && !is_blank(s[j]))
			j++;
		if (j > i)
			vec_push(&v, xstrndup(s + i, j - i));
		i = j;
	}
	return vec_take(&v);
}

/* Docker's parser-level words (its parseWords): split on unquoted blanks,
 * quotes and escapes kept in the words. */
static char **split_words_raw(const char *s, char escape)
{
	struct vec v = { 0 };
	_cleanup_buf_ struct buf w = { 0 };
	size_t n = strlen(s);
	char quote = 0;
	bool in_word = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!quote && is_blank(c)) {
			if (in_word)
				vec_push(&v, buf_take(&w));
			in_word = false;
			continue;
		}
		in_word = true;
		if (!quote && (c == '\'' || c == '"'))
			quote = c;
		else if (quote && c == quote)
			quote = 0;
		else if (c == escape && quote != '\'' && i + 1 < n) {
			buf_addc(&w, c);
			c = s[++i];
		} else if (c == escape && quote != '\'') {
			continue; /* an escape at the end is dropped */
		}
		buf_addc(&w, c);
	}
	if (in_word)
		vec_push(&v, buf_take(&w));
	return vec_take(&v);
}

/* Quotes and escapes removed, nothing expanded. */
static char *unquote(struct parser *p, const char *s, size_t n, struct pd_err **err)
{
	_cleanup_err_ struct pd_err *e = NULL;
	char *r = lex_run(s, n, NULL, p->df->escape, false, false, &e);
	if (!r) {
		_cleanup_free_ char *q = quote_for_msg(s, n);
		FAIL(p, "%s in '%s'", e->msg, q);
	}
	return r;
}

/* "KEY=VALUE" from a raw key and value: the cooked pair into args and
 * the raw one into raw. */
static int push_pair(struct parser *p, struct pd_df_instr *in, struct vec *args, struct vec *raw,
		     const char *k, size_t klen, const char *v, struct pd_err **err)
{
	_cleanup_free_ char *ck = unquote(p, k, klen, err);
	if (!ck)
		return -1;
	_cleanup_free_ char *cv = v ? unquote(p, v, strlen(v), err) : NULL;
	if (v && !cv)
		return -1;
	if (!*ck)
		return FAIL(p, "%s names can not be blank", keywords[in->kind].name);
	vec_push(args, v ? xasprintf("%s=%s", ck, cv) : xstrdup(ck));
	vec_push(raw, v ? xasprintf("%.*s=%s", (int)klen, k, v) : xstrndup(k, klen));
	return 0;
}

/* ENV and LABEL: `K=V ...`, or the legacy `K value with spaces`. */
static int parse_name_val(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	const char *kwname = keywords[in->kind].name;
	_cleanup_strv_ char **words = split_words_raw(rest, p->df->escape);
	_cleanup_vec_ struct vec args = { 0 }, raw = { 0 };
	if (!words[0])
		return FAIL(p, "%s requires at least one argument", kwname);
	if (!strchr(words[0], '=')) {
		size_t klen = strcspn(rest, " \t\v\f\r\n");
		const char *v = rest + klen;
		while (*v && is_blank(*v))
			v++;
		if (!*v)
			return FAIL(p, "%s must have two arguments", kwname);
		if (push_pair(p, in, &args, &raw, rest, klen, v, err) < 0)
			return -1;
		words[0][0] = '\0'; /* the legacy form is one pair */
	}
	for (char **w = words; *words[0] && *w; w++) {
		const char *eq = strchr(*w, '=');
		if (!eq) {
			_cleanup_free_ char *q = quote_for_msg(*w, strlen(*w));
			return FAIL(
			    p, "syntax error - can't find = in \"%s\". Must be of the form: name=value", q);
		}
		if (push_pair(p, in, &args, &raw, *w, (size_t)(eq - *w), eq + 1, err) < 0)
			return -1;
	}
	in->args = vec_take(&args);
	in->raw = vec_take(&raw);
	return 0;
}

static int parse_arg(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	_cleanup_strv_ char **words = split_words_raw(rest, p->df->escape);
	_cleanup_vec_ struct vec args = { 0 }, raw = { 0 };
	if (!words[0])
		return FAIL(p, "ARG requires at least one argument");
	for (char **w = words; *w; w++) {
		const char *eq = strchr(*w, '=');
		if (push_pair(p, in, &args, &raw, *w, eq ? (size_t)(eq - *w) : strlen(*w), eq ? eq + 1 : NULL,
			      err) < 0)
			return -1;
	}
	in->args = vec_take(&args);
	in->raw = vec_take(&raw);
	return 0;
}

/* The exec form: 1 parsed (args set), 0 not JSON (shell form), -1 a JSON
 * array with something other than strings. */
static int parse_json_args(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	if (rest[0] != '[')
		return 0;
	json_t *j = json_loads(rest, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return 0;
	if (!json_is_array(j)) {
		json_decref(j);
		return 0;
	}
	size_t k;
	json_t *e;
	char **v = xcalloc(json_array_size(j) + 1, sizeof(char *));
	json_array_foreach(j, k, e)
	{
		if (!json_is_string(e)) {
			json_decref(j);
			strv_free(v);
			return FAIL(p,
				    "when using JSON array syntax, arrays must be comprised of strings only");
		}
		v[k] = xstrdup(json_string_value(e));
	}
	json_decref(j);
	in->args = v;
	in->json = true;
	return 1;
}

/* A heredoc word (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`): fills h. */
static int heredoc_word(struct parser *p, const char *w, struct pd_df_heredoc *h, bool *is,
			struct pd_err **err)
{
	*is = false;
	while (isdigit((unsigned char)*w))
		w++;
	if (strncmp(w, "<<", 2) != 0)
		return 0;
	w += 2;
	bool chomp = *w == '-';
	if (chomp)
		w++;
	if (!*w || strchr(w, '<'))
		return 0;
	char *name = unquote(p, w, strlen(w), err);
	if (!name)
		return -1;
	if (!*name) {
		free(name);
		return 0;
	}
	*h = (struct pd_df_heredoc){ .name = name, .chomp = chomp, .expand = !strpbrk(w, "'\"") };
	*is = true;
	return 0;
}

/* The bodies of the heredocs `rest` names, read from the lines after. */
static int read_heredocs(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	if (!strstr(rest, "<<"))
		return 0;
	_cleanup_strv_ char **words = split_words_raw(rest, p->df->escape);
	for (char **w = words; *w; w++) {
		struct pd_df_heredoc h;
		bool is;
		if (heredoc_word(p, *w, &h, &is, err) < 0)
			return -1;
		if (!is)
			continue;
		in->heredocs = grow(in->heredocs, in->n_heredocs, sizeof(*in->heredocs));
		in->heredocs[in->n_heredocs++] = h;
		_cleanup_buf_ struct buf body = { 0 };
		bool done = false;
		const char *s;
		size_t n;
		while (next_line(&p->r, &s, &n)) {
			size_t m = n;
			trim_cr(s, &m);
			const char *t = s;
			if (h.chomp)
				while (m && *t == '\t')
					t++, m--;
			if (m == strlen(h.name) && memcmp(t, h.name, m) == 0) {
				done = true;
				break;
			}
			if (h.chomp)
				buf_add(&body, t, n - (size_t)(t - s));
			else
				buf_add(&body, s, n);
			buf_addc(&body, '\n');
		}
		if (!done) {
			_cleanup_free_ char *q = quote_for_msg(h.name, strlen(h.name));
			return FAIL(p, "unterminated heredoc '%s'", q);
		}
		in->heredocs[in->n_heredocs - 1].body = buf_take(&body);
	}
	return 0;
}

static int parse_healthcheck(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	size_t tlen = strcspn(rest, " \t\v\f\r\n");
	const char *cmd = rest + tlen;
	while (*cmd && is_blank(*cmd))
		cmd++;
	if (tlen == 4 && strncasecmp(rest, "NONE", 4) == 0) {
		if (*cmd)
			return FAIL(p, "HEALTHCHECK NONE takes no arguments");
		strv_push(&in->args, "NONE");
		return 0;
	}
	if (tlen != 3 || strncasecmp(rest, "CMD", 3) != 0) {
		_cleanup_free_ char *q = quote_for_msg(rest, tlen);
		return FAIL(p, "unknown type \"%s\" in HEALTHCHECK (try CMD)", q);
	}
	if (!*cmd)
		return FAIL(p, "missing command after HEALTHCHECK CMD");
	int r = parse_json_args(p, in, cmd, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		in->args = xcalloc(1, sizeof(char *));
		strv_push(&in->args, cmd);
	}
	/* "CMD" first. */
	size_t na = strv_len(in->args);
	in->args = xrealloc(in->args, (na + 2) * sizeof(char *));
	memmove(in->args + 1, in->args, (na + 1) * sizeof(char *));
	in->args[0] = xstrdup("CMD");
	return 0;
}

static int parse_onbuild(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	size_t klen = strcspn(rest, " \t\v\f\r\n");
	const struct kw *kw = find_keyword(rest, klen);
	_cleanup_free_ char *q = quote_upper_for_msg(rest, klen);
	if (!kw)
		return FAIL(p, "unknown instruction in ONBUILD: %s", q);
	if (kw->kind == PD_DF_ONBUILD)
		return FAIL(p, "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if (kw->kind == PD_DF_FROM || kw->kind == PD_DF_MAINTAINER)
		return FAIL(p, "%s isn't allowed as an ONBUILD trigger", q);
	strv_push(&in->args, rest);
	return 0;
}

/* The arguments of `in` from `rest` (after the flags, trimmed). */
static int parse_args(struct parser *p, struct pd_df_instr *in, const char *rest, struct pd_err **err)
{
	const char *kwname = keywords[in->kind].name;
	if (!*rest)
		return FAIL(p, "%s requires at least one argument", kwname);
	int r;
	switch (in->kind) {
	case PD_DF_RUN:
	case PD_DF_CMD:
	case PD_DF_ENTRYPOINT:
	case PD_DF_SHELL:
		r = parse_json_args(p, in, rest, err);
		if (r < 0)
			return -1;
		if (r == 0 && in->kind == PD_DF_SHELL)
			return FAIL(p, "SHELL requires the arguments to be in JSON form");
		if (r == 1 && !in->args[0] && (in->kind == PD_DF_RUN || in->kind == PD_DF_SHELL))
			return FAIL(p, "%s requires at least one argument", kwname);
		if (r == 0) {
			in->args = xcalloc(1, sizeof(char *));
			strv_push(&in->args, rest);
			if (in->kind == PD_DF_RUN)
				return read_heredocs(p, in, rest, err);
		}
		return 0;
	case PD_DF_COPY:
	case PD_DF_ADD:
	case PD_DF_VOLUME:
		r = parse_json_args(p, in, rest, err);
		if (r < 0)
			return -1;
		if (r == 0)
			in->args = split_blanks(rest);
		if (in->kind != PD_DF_VOLUME && strv_len(in->args) < 2)
			return FAIL(p,
				    "%s requires at least two arguments, but only one was provided. "
				    "Destination could not be determined",
				    kwname);
		if (!in->args[0])
			return FAIL(p, "%s requires at least one argument", kwname);
		if (r == 0 && in->kind != PD_DF_VOLUME)
			return read_heredocs(p, in, rest, err);
		return 0;
	case PD_DF_ENV:
	case PD_DF_LABEL: return parse_name_val(p, in, rest, err);
	case PD_DF_ARG: return parse_arg(p, in, rest, err);
	case PD_DF_HEALTHCHECK: return parse_healthcheck(p, in, rest, err);
	case PD_DF_ONBUILD: return parse_onbuild(p, in, rest, err);
	case PD_DF_FROM:
	case PD_DF_WORKDIR:
	case PD_DF_USER:
	case PD_DF_EXPOSE:
	case PD_DF_STOPSIGNAL:
	case PD_DF_MAINTAINER: in->args = split_blanks(rest); return 0;
	}
	return 0;
}

static void instr_clear(struct pd_df_instr *in)
{
	free(in->text);
	strv_free(in->flags);
	strv_free(in->args);
	strv_free(in->raw);
	free(in->rest);
	for (size_t k = 0; k < in->n_heredocs; k++) {
		free(in->heredocs[k].name);
		free(in->heredocs[k].body);
	}
	free(in->heredocs);
	*in = (struct pd_df_instr){ 0 };
}

static void instr_clearp(struct pd_df_instr *in)
{
	instr_clear(in);
}

static bool is_stage_name(const char *s)
{
	if (!islower((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

static int add_stage(struct parser *p, struct pd_df_instr *in, struct pd_err **err)
{
	size_t na = strv_len(in->args);
	if (na != 1 && na != 3)
		return FAIL(p, "FROM requires either one or three arguments");
	if (na == 3 && strcasecmp(in->args[1], "AS") != 0)
		return FAIL(p, "FROM requires either one or three arguments");
	struct pd_dockerfile *df = p->df;
	df->stages = grow(df->stages, df->n_stages, sizeof(*df->stages));
	struct pd_df_stage *st = &df->stages[df->n_stages];
	*st = (struct pd_df_stage){ .base = xstrdup(in->args[0]),
				    .index = (unsigned)df->n_stages,
				    .line = in->line };
	df->n_stages++;
	for (char **f = in->flags; f && *f; f++)
		if (str_has_prefix(*f, "--platform=")) {
			free(st->platform);
			st->platform = xstrdup(*f + strlen("--platform="));
		}
	if (na == 3) {
		char *name = in->args[2];
		for (char *c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		free(in->args[1]);
		in->args[1] = xstrdup("AS");
		if (!is_stage_name(name)) {
			_cleanup_free_ char *q = quote_for_msg(name, strlen(name));
			return FAIL(p,
				    "invalid name for build stage: \"%s\", name can't start with a number or "
				    "contain symbols",
				    q);
		}
		st->name = xstrdup(name);
	}
	return 0;
}

static void stage_add_instr(struct pd_df_stage *st, struct pd_df_instr *in)
{
	st->instrs = grow(st->instrs, st->n_instrs, sizeof(*st->instrs));
	st->instrs[st->n_instrs++] = *in;
	*in = (struct pd_df_instr){ 0 };
}

/* One logical line (continuations joined, not empty). */
static int parse_instruction(struct parser *p, const char *line, struct pd_err **err)
{
	while (*line && is_blank(*line))
		line++;
	size_t klen = 0;
	while (line[klen] && !is_blank(line[klen]))
		klen++;
	const struct kw *kw = find_keyword(line, klen);
	if (!kw) {
		_cleanup_free_ char *q = quote_upper_for_msg(line, klen);
		return FAIL(p, "unknown instruction: %s", q);
	}
	_cleanup_(instr_clearp) struct pd_df_instr in = { .kind = kw->kind, .line = p->line };
	const char *after = line + klen;
	while (*after && is_blank(*after))
		after++;
	size_t alen = strlen(after);
	trim_right(after, &alen);
	_cleanup_free_ char *all = xstrndup(after, alen);
	_cleanup_vec_ struct vec flags = { 0 };
	const char *rest = kw->kind == PD_DF_ONBUILD ? all : extract_flags(all, &flags);
	while (*rest && is_blank(*rest))
		rest++;
	in.flags = vec_take(&flags);
	in.rest = xstrdup(rest);
	if (check_flags(p, kw, in.flags, err) < 0)
		return -1;
	if (parse_args(p, &in, in.rest, err) < 0)
		return -1;

	_cleanup_buf_ struct buf text = { 0 };
	buf_adds(&text, kw->name);
	if (*all) {
		buf_addc(&text, ' ');
		buf_adds(&text, all);
	}
	for (size_t k = 0; k < in.n_heredocs; k++) {
		buf_addc(&text, '\n');
		buf_adds(&text, in.heredocs[k].body);
		buf_adds(&text, in.heredocs[k].name);
	}
	in.text = buf_take(&text);

	struct pd_dockerfile *df = p->df;
	if (kw->kind == PD_DF_FROM)
		return add_stage(p, &in, err);
	if (!df->n_stages) {
		if (kw->kind != PD_DF_ARG)
			return FAIL(p, "%s before the first FROM: no build stage", kw->name);
		for (char **a = in.args; *a; a++)
			vec_push(&p->global_args, xstrdup(*a));
		for (char **a = in.raw; *a; a++)
			vec_push(&p->global_args_raw, xstrdup(*a));
		return 0;
	}
	stage_add_instr(&df->stages[df->n_stages - 1], &in);
	return 0;
}

/* Duplicate stage names, found by sorting (a quadratic scan would be
 * slow on a hostile file with 100,000 stages). */
static int cmp_stage_ptr(const void *a, const void *b)
{
	const struct pd_df_stage *x = *(const struct pd_df_stage *const *)a;
	const struct pd_df_stage *y = *(const struct pd_df_stage *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int check_stage_names(struct pd_dockerfile *df, struct pd_err **err)
{
	_cleanup_free_ struct pd_df_stage **v = xcalloc(df->n_stages + 1, sizeof(*v));
	size_t n = 0;
	for (size_t k = 0; k < df->n_stages; k++)
		if (df->stages[k].name)
			v[n++] = &df->stages[k];
	qsort(v, n, sizeof(*v), cmp_stage_ptr);
	/* The first duplicate in file order is the one reported. */
	const struct pd_df_stage *dup = NULL;
	for (size_t k = 1; k < n; k++)
		if (strcmp(v[k]->name, v[k - 1]->name) == 0 && (!dup || v[k]->index < dup->index))
			dup = v[k];
	if (dup) {
		_cleanup_free_ char *q = quote_for_msg(dup->name, strlen(dup->name));
		return fail_line(dup->line, err, "duplicate stage name \"%s\"", q);
	}
	return 0;
}

static int parse_all(struct parser *p, struct pd_err **err)
{
	if (parse_directives(&p->r, p->df, err) < 0)
		return -1;
	const char *s;
	size_t n;
	bool any = false;
	while (next_line(&p->r, &s, &n)) {
		trim_cr(s, &n);
		trim_left(&s, &n);
		if (!n || s[0] == '#')
			continue;
		p->line = p->r.line;
		_cleanup_buf_ struct buf line = { 0 };
		bool cont = trim_continuation(s, &n, p->df->escape);
		buf_add(&line, s, n);
		while (cont && next_line(&p->r, &s, &n)) {
			trim_cr(s, &n);
			if (is_comment_line(s, n))
				continue;
			const char *t = s;
			size_t m = n;
			trim_left(&t, &m);
			if (!m)
				continue;
			cont = trim_continuation(s, &n, p->df->escape);
			buf_add(&line, s, n);
		}
		size_t len = line.len;
		const char *ls = line.s;
		trim_left(&ls, &len);
		if (!len)
			continue;
		any = true;
		if (parse_instruction(p, line.s, err) < 0)
			return -1;
	}
	if (!any)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "the Dockerfile has no instructions");
	if (!p->df->n_stages)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no FROM instruction: no build stage");
	return check_stage_names(p->df, err);
}

int pd_dockerfile_parse(const char *text, size_t len, struct pd_dockerfile *out, struct pd_err **err)
{
	*out = (struct pd_dockerfile){ .escape = '\\' };
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		unsigned line = 1;
		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: a NUL byte in the Dockerfile", line);
	}
	struct parser p = { .r = { .p = text, .end = text + len }, .df = out };
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.r.p += 3;
	int r = parse_all(&p, err);
	out->global_args = vec_take(&p.global_args);
	out->global_args_raw = vec_take(&p.global_args_raw);
	if (r < 0) {
		pd_dockerfile_free(out);
		return -1;
	}
	return 0;
}

void pd_dockerfile_free(struct pd_dockerfile *df)
{
	if (!df)
		return;
	free(df->syntax);
	strv_free(df->global_args);
	strv_free(df->global_args_raw);
	for (size_t k = 0; k < df->n_stages; k++) {
		struct pd_df_stage *st = &df->stages[k];
		free(st->base);
		free(st->name);
		free(st->platform);
		for (size_t j = 0; j < st->n_instrs; j++)
			instr_clear(&st->instrs[j]);
		free(st->instrs);
	}
	free(df->stages);
	*df = (struct pd_dockerfile){ .escape = '\\' };
}
