/* .dockerignore (see dockerfile.h): Docker's rules for which context paths
 * a build leaves out.  Runs in the CLI on untrusted text; pure logic.
 *
 * Each line is a pattern, cleaned as Go's path.Clean does, with `!` for
 * an exception; the last line that matches a path decides, and a line
 * matching one of the path's parent directories counts as matching the
 * path (so "node_modules" leaves out everything below it).  A pattern is
 * compiled to a small list of tokens and matched by simulating it as an
 * automaton over the path: time linear in the path times the pattern,
 * whatever the pattern (no backtracking to blow up on `*a*a*a*b`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/dockerfile.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

enum tok_type {
	T_LIT,	    /* the character c */
	T_ANY,	    /* `?`: one character but '/' */
	T_CLASS,    /* `[...]`: one character (not '/') in the ranges, or not */
	T_STAR,	    /* `*`: any run of characters but '/' */
	T_DIRS,	    /* `**` before more: (.* '/')? -- entry state */
	T_DIRS_IN,  /* ... its inside: always follows a T_DIRS */
	T_ANYTHING, /* `**` at the end: anything at all */
};

struct tok {
	enum tok_type type;
	char c;
	bool negate;
	unsigned char (*ranges)[2]; /* T_CLASS: lo-hi pairs */
	size_t n_ranges;
};

struct pattern {
	char *text; /* cleaned, without the `!` */
	bool exception;
	struct tok *toks;
	size_t n;
};

struct pd_ignore {
	struct pattern *pats;
	size_t n;
};

/* Go's path.Clean. */
static char *clean_path(const char *p)
{
	size_t n = strlen(p);
	bool rooted = n && p[0] == '/';
	char *out = xmalloc(n + 2);
	size_t o = 0;
	size_t dotdot = rooted ? 1 : 0; /* where a ".." can no longer back up */
	if (rooted)
		out[o++] = '/';
	for (size_t i = rooted ? 1 : 0; i < n;) {
		if (p[i] == '/') {
			i++;
		} else if (p[i] == '.' && (i + 1 == n || p[i + 1] == '/')) {
			i++;
		} else if (p[i] == '.' && p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/')) {
			i += 2;
			if (o > dotdot) {
				o--;
				while (o > dotdot && out[o] != '/')
					o--;
			} else if (!rooted) {
				if (o > 0)
					out[o++] = '/';
				out[o++] = '.';
				out[o++] = '.';
				dotdot = o;
			}
		} else {
			if ((rooted && o != 1) || (!rooted && o != 0))
				out[o++] = '/';
			while (i < n && p[i] != '/')
				out[o++] = p[i++];
		}
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

static void pattern_clear(struct pattern *pt)
{
	for (size_t k = 0; k < pt->n; k++)
		free(pt->toks[k].ranges);
	free(pt->toks);
	free(pt->text);
}

/* Make room for one more element in an array of n that grows by
 * doubling (n is 0 or a power of two when it is full). */
static void *grow(void *p, size_t n, size_t size)
{
	if (n & (n - 1))
		return p;
	return xrealloc(p, (n ? n * 2 : 1) * size);
}

static void add_tok(struct pattern *pt, struct tok t)
{
	pt->toks = grow(pt->toks, pt->n, sizeof(*pt->toks));
	pt->toks[pt->n++] = t;
}

/* `[...]` at s[*i] (after the '['), as Go's filepath.Match reads it. */
static int compile_class(struct pattern *pt, const char *s, size_t *i)
{
	struct tok t = { .type = T_CLASS };
	size_t n = strlen(s);
	if (*i < n && s[*i] == '^') {
		t.negate = true;
		(*i)++;
	}
	for (;;) {
		if (*i >= n) {
			free(t.ranges);
			return -1;
		}
		if (s[*i] == ']' && t.n_ranges > 0) {
			(*i)++;
			break;
		}
		unsigned char lo, hi;
		if (s[*i] == '\\')
			(*i)++;
		if (*i >= n) {
			free(t.ranges);
			return -1;
		}
		lo = hi = (unsigned char)s[(*i)++];
		if (*i + 1 < n && s[*i] == '-' && s[*i + 1] != ']') {
			(*i)++;
			if (s[*i] == '\\')
				(*i)++;
			if (*i >= n) {
				free(t.ranges);
				return -1;
			}
			hi = (unsigned char)s[(*i)++];
			if (hi < lo) {
				free(t.ranges);
				return -1;
			}
		}
		t.ranges = grow(t.ranges, t.n_ranges, sizeof(*t.ranges));
		t.ranges[t.n_ranges][0] = lo;
		t.ranges[t.n_ranges][1] = hi;
		t.n_ranges++;
	}
	add_tok(pt, t);
	return 0;
}

/* The tokens of pt->text, as Docker's pattern compiler reads it: `**`
 * (with a '/' after it eaten) matches any number of directories, `*` and
 * `?` stop at '/', a backslash escapes the next character. */
static int compile(struct pattern *pt)
{
	const char *s = pt->text;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		char c = s[i++];
		if (c == '*' && i < n && s[i] == '*') {
			i++;
			if (i < n && s[i] == '/')
				i++;
			if (i >= n) {
				add_tok(pt, (struct tok){ .type = T_ANYTHING });
			} else {
				add_tok(pt, (struct tok){ .type = T_DIRS });
				add_tok(pt, (struct tok){ .type = T_DIRS_IN });
			}
		} else if (c == '*') {
			add_tok(pt, (struct tok){ .type = T_STAR });
		} else if (c == '?') {
			add_tok(pt, (struct tok){ .type = T_ANY });
		} else if (c == '[') {
			if (compile_class(pt, s, &i) < 0)
				return -1;
		} else if (c == '\\') {
			if (i >= n)
				return -1; /* Go's filepath.Match: a trailing backslash is a bad pattern */
			add_tok(pt, (struct tok){ .type = T_LIT, .c = s[i++] });
		} else {
			add_tok(pt, (struct tok){ .type = T_LIT, .c = c });
		}
	}
	return 0;
}

static bool class_has(const struct tok *t, unsigned char c)
{
	bool in = false;
	for (size_t k = 0; k < t->n_ranges && !in; k++)
		in = c >= t->ranges[k][0] && c <= t->ranges[k][1];
	return in != t->negate;
}

/* Add state k and what it reaches without consuming a character. */
static void add_state(const struct pattern *pt, bool *set, size_t k)
{
	while (k <= pt->n && !set[k]) {
		set[k] = true;
		if (k == pt->n)
			return;
		switch (pt->toks[k].type) {
		case T_STAR:
		case T_ANYTHING: k++; break;
		case T_DIRS:
			k += 2; /* the whole group may be empty */
			break;
		default: return;
		}
	}
}

/* The automaton running over a path, one character at a time: `set` holds
 * the live states (n+1 of them, n the accepting one). */
struct nfa {
	const struct pattern *pt;
	bool *set, *next;
	bool small[2][128]; /* on the stack for the usual short pattern */
	bool *heap;
};

static void nfa_start(struct nfa *m, const struct pattern *pt)
{
	size_t ns = pt->n + 1;
	m->pt = pt;
	m->heap = NULL;
	if (ns <= ARRAY_SIZE(m->small[0])) {
		m->set = m->small[0];
		m->next = m->small[1];
	} else {
		m->heap = xmalloc(2 * ns);
		m->set = m->heap;
		m->next = m->heap + ns;
	}
	memset(m->set, 0, ns);
	add_state(pt, m->set, 0);
}

static void nfa_end(struct nfa *m)
{
	free(m->heap);
}

static bool nfa_accepts(const struct nfa *m)
{
	return m->set[m->pt->n];
}

/* Consume c; false when no state is left alive. */
static bool nfa_step(struct nfa *m, unsigned char c)
{
	const struct pattern *pt = m->pt;
	size_t ns = pt->n + 1;
	bool live = false;
	memset(m->next, 0, ns);
	for (size_t k = 0; k < pt->n; k++) {
		if (!m->set[k])
			continue;
		const struct tok *t = &pt->toks[k];
		size_t to = SIZE_MAX, also = SIZE_MAX;
		switch (t->type) {
		case T_LIT:
			if (c == (unsigned char)t->c)
				to = k + 1;
			break;
		case T_ANY:
			if (c != '/')
				to = k + 1;
			break;
		case T_CLASS:
			if (c != '/' && class_has(t, c))
				to = k + 1;
			break;
		case T_STAR:
			if (c != '/')
				to = k;
			break;
		case T_DIRS:
		case T_DIRS_IN:
			/* Inside (.* '/')?: any character stays inside; a '/'
			 * may also be the one that closes the group. */
			to = t->type == T_DIRS ? k + 1 : k;
			if (c == '/')
				also = to + 1;
			break;
		case T_ANYTHING: to = k; break;
		}
		if (to != SIZE_MAX) {
			add_state(pt, m->next, to);
			live = true;
		}
		if (also != SIZE_MAX)
			add_state(pt, m->next, also);
	}
	bool *tmp = m->set;
	m->set = m->next;
	m->next = tmp;
	return live;
}

int pd_ignore_parse(const char *text, size_t len, struct pd_ignore **out, struct pd_err **err)
{
	*out = NULL;
	if (memchr(text, '\0', len))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, ".dockerignore: a NUL byte in the file");
	struct pd_ignore *ig = xcalloc(1, sizeof(*ig));
	size_t cap = 0;
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (unsigned line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *s = p;
		p = nl ? nl + 1 : end;
		/* As Docker: a comment is a '#' in the first column, before
		 * any trimming ("  #x" is a pattern). */
		if (s < e && *s == '#')
			continue;
		while (s < e && strchr(" \t\r\v\f", *s))
			s++;
		while (e > s && strchr(" \t\r\v\f", e[-1]))
			e--;
		if (s == e)
			continue;
		bool exception = *s == '!';
		if (exception) {
			s++;
			while (s < e && strchr(" \t\r\v\f", *s))
				s++;
			if (s == e) {
				pd_ignore_free(ig);
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    ".dockerignore line %u: illegal exclusion pattern: \"!\"",
						    line);
			}
		}
		_cleanup_free_ char *raw = xstrndup(s, (size_t)(e - s));
		char *cleaned = clean_path(raw);
		if (cleaned[0] == '/' && cleaned[1]) /* "/a" is "a"; "/" stays */
			memmove(cleaned, cleaned + 1, strlen(cleaned));
		if (ig->n == cap) {
			cap = cap ? cap * 2 : 8;
			ig->pats = xrealloc(ig->pats, cap * sizeof(*ig->pats));
		}
		struct pattern *pt = &ig->pats[ig->n++];
		*pt = (struct pattern){ .text = cleaned, .exception = exception };
		if (compile(pt) < 0) {
			_cleanup_free_ char *q = str_escape(raw);
			pd_ignore_free(ig);
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    ".dockerignore line %u: syntax error in pattern '%s'", line, q);
		}
	}
	*out = ig;
	return 0;
}

/* Whether pt matches rel or one of its parent directories: one run over
 * rel, the parents being the prefixes that end before a '/'. */
static bool matches_or_parent(const struct pattern *pt, const char *rel, size_t n)
{
	struct nfa m;
	nfa_start(&m, pt);
	bool match = false;
	for (size_t i = 0; i < n && !match; i++) {
		if (rel[i] == '/' && i > 0 && nfa_accepts(&m))
			match = true;
		else if (!nfa_step(&m, (unsigned char)rel[i]))
			break;
		else if (i + 1 == n)
			match = nfa_accepts(&m);
	}
	if (n == 0)
		match = nfa_accepts(&m);
	nfa_end(&m);
	return match;
}

bool pd_ignore_match(const struct pd_ignore *ig, const char *rel)
{
	if (!ig)
		return false;
	size_t n = strlen(rel);
	bool excluded = false;
	for (size_t k = 0; k < ig->n; k++) {
		const struct pattern *pt = &ig->pats[k];
		/* Only a line that could change the answer is tried. */
		if (pt->exception != excluded)
			continue;
		if (matches_or_parent(pt, rel, n))
			excluded = !pt->exception;
	}
	return excluded;
}

bool pd_ignore_may_include_below(const struct pd_ignore *ig, const char *rel)
{
	if (!ig)
		return false;
	_cleanup_free_ char *dir = xasprintf("%s/", rel);
	size_t n = strlen(dir);
	for (size_t k = 0; k < ig->n; k++) {
		const struct pattern *pt = &ig->pats[k];
		if (!pt->exception)
			continue;
		/* Something below rel can match when the automaton is still
		 * alive after "rel/": the rest of a path can finish it. */
		struct nfa m;
		nfa_start(&m, pt);
		bool live = true;
		for (size_t i = 0; i < n && live; i++)
			live = nfa_step(&m, (unsigned char)dir[i]);
		nfa_end(&m);
		if (live)
			return true;
	}
	return false;
}

void pd_ignore_free(struct pd_ignore *ig)
{
	if (!ig)
		return;
	for (size_t k = 0; k < ig->n; k++)
		pattern_clear(&ig->pats[k]);
	free(ig->pats);
	free(ig);
}
