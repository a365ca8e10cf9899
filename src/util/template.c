/* The --format template engine's evaluator (see template.h): renders the
 * tree the parser (template-parse.c) built against a jansson value, with
 * the functions Docker users call (printf and its verbs, json, join...),
 * values printed as Go prints decoded JSON, Docker's `table` handling of
 * a list command's --format, and Go's tabwriter.  Also owns the byte
 * buffer and UTF-8 helpers both halves use (template-internal.h).  Runs
 * in the CLI only; no privileges, no system calls.
 *
 * The data is untrusted (it holds names and commands that images supply)
 * and so is the template: the tree is no deeper than PD_TMPL_MAX_DEPTH
 * (the parser's bound), the walk counts steps and every byte it builds
 * (PD_TMPL_MAX_STEPS, PD_TMPL_MAX_BYTES), and printing a value stops
 * descending at VALUE_MAX_DEPTH.  With PD_TMPL_SAFE, printed values have
 * their control bytes escaped; the template's own text is not. */
#include "util/template-internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#define VALUE_MAX_DEPTH	 100
#define PRINTF_MAX_WIDTH 1000

/* ------------------------------------------------------------------ */
/* The byte buffer and UTF-8 (shared with the parser, see
 * template-internal.h). */

void tmpl_buf_add(struct tmpl_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 64;
		while (c < b->len + n + 1)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct tmpl_buf *b, const char *s)
{
	tmpl_buf_add(b, s, strlen(s));
}

void tmpl_buf_addc(struct tmpl_buf *b, char c)
{
	tmpl_buf_add(b, &c, 1);
}

static void buf_fill(struct tmpl_buf *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tmpl_buf_addc(b, c);
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct tmpl_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		tmpl_buf_add(b, tmp, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	tmpl_buf_add(b, big, (size_t)n);
	free(big);
}

size_t tmpl_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	unsigned cp = c & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void tmpl_utf8_put(struct tmpl_buf *b, unsigned cp)
{
	char o[4];
	if (cp < 0x80) {
		o[0] = (char)cp;
		tmpl_buf_add(b, o, 1);
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		tmpl_buf_add(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		tmpl_buf_add(b, o, 3);
	} else {
		o[0] = (char)(0xF0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		tmpl_buf_add(b, o, 4);
	}
}

/* Characters in s[0..n): UTF-8 sequences, an invalid byte counting one. */
static size_t char_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		size_t k = tmpl_utf8_seq((const unsigned char *)s + i, n - i);
		i += k ? k : 1;
	}
	return count;
}

/* Append s[0..n) with the bytes PD_TMPL_SAFE names escaped. */
static void add_safe(struct tmpl_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = tmpl_utf8_seq(u + i, n - i);
		if (k == 0 || (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n') || u[i] == 0x7F) {
			if (u[i] == '\r')
				buf_puts(b, "\\r");
			else
				buf_printf(b, "\\x%02x", u[i]);
			i++;
		} else if (k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0) {
			buf_printf(b, "\\u%04x", u[i + 1]);
			i += 2;
		} else {
			tmpl_buf_add(b, s + i, k);
			i += k;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The functions, indexed by enum fn (template-internal.h). */

static const struct func {
	const char *name;
	int min, max;	/* argument counts; max -1: any */
	bool header_id; /* returns its first argument in PD_TMPL_HEADER mode */
} funcs[] = {
	[F_AND] = { "and", 1, -1, false },	 [F_OR] = { "or", 1, -1, false },
	[F_NOT] = { "not", 1, 1, false },	 [F_EQ] = { "eq", 2, -1, false },
	[F_NE] = { "ne", 2, 2, false },		 [F_LT] = { "lt", 2, 2, false },
	[F_LE] = { "le", 2, 2, false },		 [F_GT] = { "gt", 2, 2, false },
	[F_GE] = { "ge", 2, 2, false },		 [F_LEN] = { "len", 1, 1, false },
	[F_INDEX] = { "index", 1, -1, false },	 [F_PRINT] = { "print", 0, -1, false },
	[F_PRINTF] = { "printf", 1, -1, false }, [F_PRINTLN] = { "println", 0, -1, false },
	[F_JSON] = { "json", 1, 1, true },	 [F_UPPER] = { "upper", 1, 1, true },
	[F_LOWER] = { "lower", 1, 1, true },	 [F_TITLE] = { "title", 1, 1, true },
	[F_JOIN] = { "join", 2, 2, true },	 [F_SPLIT] = { "split", 2, 2, true },
	[F_PAD] = { "pad", 3, 3, true },	 [F_TRUNCATE] = { "truncate", 2, 2, true },
};

bool tmpl_func_find(const char *name, enum fn *fn)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (!strcmp(name, funcs[i].name)) {
			*fn = (enum fn)i;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------ */
/* Values as Go prints them. */

/* Go's %v of a float64: the shortest digits that read back the same, in
 * %e form when the exponent is below -4 or at least 6 (so 123456 prints
 * as it is and 1234567 as 1.234567e+06, as Go prints them). */
static void fmt_float(struct tmpl_buf *b, double d)
{
	if (isnan(d)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_puts(b, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	char tmp[64];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]D[.DDD]e[+-]XX */
	char digits[32];
	size_t nd = 0;
	const char *c = tmp;
	bool neg = *c == '-';
	if (neg)
		c++;
	for (; *c && *c != 'e'; c++)
		if (tmpl_is_digit(*c) && nd < sizeof(digits) - 1)
			digits[nd++] = *c;
	int exp = atoi(c + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		tmpl_buf_addc(b, '-');
	if (exp < -4 || exp >= 6) {
		tmpl_buf_addc(b, digits[0]);
		if (nd > 1) {
			tmpl_buf_addc(b, '.');
			buf_puts(b, digits + 1);
		}
		buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	if (exp < 0) {
		buf_puts(b, "0.");
		buf_fill(b, '0', (size_t)(-exp - 1));
		buf_puts(b, digits);
		return;
	}
	for (int i = 0; i <= exp; i++)
		tmpl_buf_addc(b, (size_t)i < nd ? digits[i] : '0');
	if (nd > (size_t)exp + 1) {
		tmpl_buf_addc(b, '.');
		buf_puts(b, digits + exp + 1);
	}
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted as Go sorts map keys (bytewise). */
static const char **sorted_keys(json_t *o, size_t *n)
{
	*n = json_object_size(o);
	const char **keys = xcalloc(*n ? *n : 1, sizeof(char *));
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (i < *n)
			keys[i++] = k;
	}
	*n = i;
	qsort(keys, i, sizeof(char *), cmp_keys);
	return keys;
}

/* Go's %v of a decoded JSON value; `top`: a nil there is "<no value>". */
static void fmt_value(struct tmpl_buf *b, json_t *v, bool top, int depth)
{
	if (depth > VALUE_MAX_DEPTH) {
		buf_puts(b, "...");
		return;
	}
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL: buf_puts(b, top ? "<no value>" : "<nil>"); return;
	case JSON_TRUE: buf_puts(b, "true"); return;
	case JSON_FALSE: buf_puts(b, "false"); return;
	case JSON_INTEGER: buf_printf(b, "%lld", (long long)json_integer_value(v)); return;
	case JSON_REAL: fmt_float(b, json_real_value(v)); return;
	case JSON_STRING: tmpl_buf_add(b, json_string_value(v), json_string_length(v)); return;
	case JSON_ARRAY: {
		tmpl_buf_addc(b, '[');
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (i)
				tmpl_buf_addc(b, ' ');
			fmt_value(b, e, false, depth + 1);
		}
		tmpl_buf_addc(b, ']');
		return;
	}
	case JSON_OBJECT: {
		size_t n;
		_cleanup_free_ const char **keys = sorted_keys(v, &n);
		buf_puts(b, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				tmpl_buf_addc(b, ' ');
			buf_puts(b, keys[i]);
			tmpl_buf_addc(b, ':');
			fmt_value(b, json_object_get(v, keys[i]), false, depth + 1);
		}
		tmpl_buf_addc(b, ']');
		return;
	}
	}
}

static const char *type_name(json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL: return "<nil>";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float64";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "[]interface {}";
	case JSON_OBJECT: return "map[string]interface {}";
	}
	return "?";
}

static bool truth(json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
	case JSON_FALSE: return false;
	case JSON_TRUE: return true;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_OBJECT: return json_object_size(v) > 0;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Execution. */

struct var {
	const char *name; /* borrowed from the tree */
	json_t *val;	  /* owned; NULL: a missing value */
};

enum flow { FLOW_NONE, FLOW_BREAK, FLOW_CONTINUE };

struct exec {
	struct tmpl_buf out;
	json_t *root;
	struct var *vars;
	size_t nvars, cap;
	unsigned flags;
	size_t steps, bytes;
	enum flow flow;
	struct pd_err **err;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static json_t *xerr(struct exec *e, const char *fmt, ...)
{
	if (e->failed)
		return NULL;
	e->failed = true;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_fail_kind(e->err, PD_ERR_USAGE, 0, "template: %s", msg);
	return NULL;
}

/* Count n bytes built; false (and the error) past the limit. */
static bool charge(struct exec *e, size_t n)
{
	if (e->failed)
		return false;
	if (n > PD_TMPL_MAX_BYTES || e->bytes + n > PD_TMPL_MAX_BYTES) {
		xerr(e, "output too large (over %u bytes)", PD_TMPL_MAX_BYTES);
		return false;
	}
	e->bytes += n;
	return true;
}

static bool step(struct exec *e)
{
	if (e->failed)
		return false;
	if (++e->steps > PD_TMPL_MAX_STEPS) {
		xerr(e, "too many steps (over %d)", PD_TMPL_MAX_STEPS);
		return false;
	}
	return true;
}

/* A new string value from a buffer (taken), charged. */
static json_t *str_value(struct exec *e, struct tmpl_buf *b)
{
	if (!charge(e, b->len + 16)) {
		free(b->p);
		return NULL;
	}
	json_t *v = json_stringn_nocheck(b->p ? b->p : "", b->len);
	free(b->p);
	*b = (struct tmpl_buf){ 0 };
	return v;
}

static void vars_push(struct exec *e, const char *name, json_t *val)
{
	if (e->nvars == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->vars = xrealloc(e->vars, e->cap * sizeof(*e->vars));
	}
	e->vars[e->nvars++] = (struct var){ name, json_incref(val) };
}

static void vars_truncate(struct exec *e, size_t mark)
{
	while (e->nvars > mark)
		json_decref(e->vars[--e->nvars].val);
}

static struct var *var_find(struct exec *e, const char *name)
{
	for (size_t i = e->nvars; i-- > 0;)
		if (!strcmp(e->vars[i].name, name))
			return &e->vars[i];
	return NULL;
}

/* v (owned) with .A.B applied; NULL for a missing value. */
static json_t *apply_chain(struct exec *e, json_t *v, char *const *chain, size_t n)
{
	for (size_t i = 0; i < n && !e->failed; i++) {
		if (!v || json_is_null(v))
			continue;
		if (!json_is_object(v)) {
			xerr(e, "can't evaluate field %.40s in type %s", chain[i], type_name(v));
			json_decref(v);
			return NULL;
		}
		json_t *next = json_incref(json_object_get(v, chain[i]));
		json_decref(v);
		v = next;
	}
	if (e->failed) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *eval_pipe(struct exec *e, const struct pipe *pp, json_t *dot, bool declare);
static json_t *call(struct exec *e, enum fn fn, const struct arg *args, size_t nargs, json_t *dot,
		    json_t *final, bool has_final);

static json_t *eval_arg(struct exec *e, const struct arg *a, json_t *dot)
{
	if (!step(e))
		return NULL;
	switch (a->kind) {
	case A_FIELD: return apply_chain(e, json_incref(dot), a->chain, a->nchain);
	case A_VAR: {
		json_t *v;
		if (!strcmp(a->var, "$")) {
			v = e->root;
		} else {
			struct var *x = var_find(e, a->var);
			if (!x)
				return xerr(e, "undefined variable: %.40s", a->var);
			v = x->val;
		}
		return apply_chain(e, json_incref(v), a->chain, a->nchain);
	}
	case A_LIT: return json_incref(a->lit);
	case A_NIL: return json_null();
	case A_FUNC: return call(e, a->fn, NULL, 0, dot, NULL, false);
	case A_PIPE: return apply_chain(e, eval_pipe(e, a->pipe, dot, true), a->chain, a->nchain);
	}
	return NULL;
}

static bool is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

static bool str_eq(json_t *a, json_t *b)
{
	return json_string_length(a) == json_string_length(b) &&
	       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
}

/* eq's comparison: numbers by value, strings by bytes, bools, nil to nil,
 * other values structurally. */
static bool values_equal(json_t *a, json_t *b)
{
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	bool an = !a || json_is_null(a), bn = !b || json_is_null(b);
	if (an || bn)
		return an && bn;
	if (json_is_string(a) && json_is_string(b))
		return str_eq(a, b);
	return json_equal(a, b);
}

/* lt and friends: -1, 0, 1, or 2 with an error for incomparable values. */
static int values_order(struct exec *e, json_t *a, json_t *b)
{
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return (json_integer_value(a) > json_integer_value(b)) -
			       (json_integer_value(a) < json_integer_value(b));
		double x = json_number_value(a), y = json_number_value(b);
		return (x > y) - (x < y);
	}
	if (json_is_string(a) && json_is_string(b)) {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
		return c ? (c > 0) - (c < 0) : (la > lb) - (la < lb);
	}
	xerr(e, "incompatible types for comparison: %s and %s", type_name(a), type_name(b));
	return 2;
}

/* Go's %v of v as a new buffer. */
static void value_text(json_t *v, struct tmpl_buf *b)
{
	tmpl_buf_add(b, "", 0);
	fmt_value(b, v, true, 0);
}

static bool int_of(json_t *v, long long *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 9e18) {
			*out = (long long)d;
			return true;
		}
	}
	return false;
}

static json_t *fn_index(struct exec *e, json_t **v, size_t n)
{
	json_t *cur = json_incref(v[0]);
	for (size_t i = 1; i < n; i++) {
		long long k;
		json_t *next;
		if (!cur || json_is_null(cur)) {
			json_decref(cur);
			return xerr(e, "error calling index: index of untyped nil");
		}
		if (json_is_object(cur) && json_is_string(v[i])) {
			next = json_incref(json_object_get(cur, json_string_value(v[i])));
		} else if (json_is_array(cur) && int_of(v[i], &k)) {
			if (k < 0 || (size_t)k >= json_array_size(cur)) {
				json_decref(cur);
				return xerr(e, "error calling index: index out of range: %lld", k);
			}
			next = json_incref(json_array_get(cur, (size_t)k));
		} else {
			xerr(e, "error calling index: cannot index %s with %s", type_name(cur),
			     type_name(v[i]));
			json_decref(cur);
			return NULL;
		}
		json_decref(cur);
		cur = next;
	}
	return cur;
}

static json_t *fn_len(struct exec *e, json_t *v)
{
	if (json_is_string(v))
		return json_integer((json_int_t)json_string_length(v));
	if (json_is_array(v))
		return json_integer((json_int_t)json_array_size(v));
	if (json_is_object(v))
		return json_integer((json_int_t)json_object_size(v));
	return xerr(e, "error calling len: len of type %s", type_name(v));
}

/* Go's strconv.Quote, for %q. */
static void quote(struct tmpl_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	static const char esc[] = "\a\ab\bf\fn\nr\rt\tv\v";
	tmpl_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		size_t k = tmpl_utf8_seq(u + i, n - i);
		if (u[i] == '"' || u[i] == '\\') {
			tmpl_buf_addc(b, '\\');
			tmpl_buf_addc(b, (char)u[i++]);
			continue;
		}
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7F || (k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0)) {
			const char *m = NULL;
			for (size_t j = 0; k && esc[j]; j += 2)
				if (u[i] == (unsigned char)esc[j + 1])
					m = &esc[j];
			if (m)
				buf_printf(b, "\\%c", m[0]);
			else if (k == 2)
				buf_printf(b, "\\u%04x", u[i + 1]);
			else
				buf_printf(b, "\\x%02x", u[i]);
			i += k ? k : 1;
			continue;
		}
		tmpl_buf_add(b, s + i, k);
		i += k;
	}
	tmpl_buf_addc(b, '"');
}

struct spec {
	bool minus, plus, zero, space, sharp;
	int width, prec; /* -1: none */
};

/* Pad `s` to the spec's width (characters). */
static void pad_out(struct tmpl_buf *b, const struct spec *sp, const char *s, size_t n, bool numeric)
{
	size_t w = char_count(s, n);
	size_t fill = sp->width > 0 && (size_t)sp->width > w ? (size_t)sp->width - w : 0;
	if (sp->minus) {
		tmpl_buf_add(b, s, n);
		buf_fill(b, ' ', fill);
	} else if (sp->zero && numeric) {
		size_t sign = n && (s[0] == '-' || s[0] == '+' || s[0] == ' ');
		tmpl_buf_add(b, s, sign);
		buf_fill(b, '0', fill);
		tmpl_buf_add(b, s + sign, n - sign);
	} else {
		buf_fill(b, ' ', fill);
		tmpl_buf_add(b, s, n);
	}
}

static void bad_verb(struct tmpl_buf *b, char verb, json_t *v)
{
	buf_printf(b, "%%!%c(%s=", verb, type_name(v));
	fmt_value(b, v, false, 0);
	tmpl_buf_addc(b, ')');
}

/* One conversion of printf. */
static void conv(struct tmpl_buf *b, const struct spec *sp, char verb, json_t *v)
{
	struct tmpl_buf t = { 0 };
	tmpl_buf_add(&t, "", 0);
	long long i;
	bool numeric = false;
	char cfmt[32];
	switch (verb) {
	case 'v':
	case 's':
		if (verb == 's' && !json_is_string(v) && !json_is_array(v) && !json_is_object(v)) {
			bad_verb(&t, verb, v);
			break;
		}
		fmt_value(&t, v, false, 0);
		if (sp->prec >= 0 && json_is_string(v)) {
			size_t cut = 0;
			for (int c = 0; c < sp->prec && cut < t.len; c++) {
				size_t k = tmpl_utf8_seq((unsigned char *)t.p + cut, t.len - cut);
				cut += k ? k : 1;
			}
			t.len = cut;
		}
		numeric = is_number(v);
		break;
	case 'd':
	case 'x':
	case 'X':
	case 'o':
	case 'c':
		if (json_is_string(v) && (verb == 'x' || verb == 'X')) {
			for (size_t k = 0; k < json_string_length(v); k++)
				buf_printf(&t, verb == 'x' ? "%02x" : "%02X",
					   (unsigned char)json_string_value(v)[k]);
			break;
		}
		if (!int_of(v, &i)) {
			bad_verb(&t, verb, v);
			break;
		}
		if (verb == 'c') {
			if (i >= 0 && i <= 0x10FFFF && !(i >= 0xD800 && i <= 0xDFFF))
				tmpl_utf8_put(&t, (unsigned)i);
			else
				buf_puts(&t, "\xEF\xBF\xBD");
			break;
		}
		numeric = true;
		snprintf(cfmt, sizeof(cfmt), "%%%s%s%s%s", sp->plus ? "+" : "", sp->space ? " " : "",
			 sp->sharp ? "#" : "",
			 verb == 'd'   ? "lld"
			 : verb == 'x' ? "llx"
			 : verb == 'X' ? "llX"
				       : "llo");
		if (verb != 'd' && i < 0) {
			/* Go prints a negative number in hex as -ff; the magnitude
			 * as unsigned (the most negative one has no positive). */
			tmpl_buf_addc(&t, '-');
			buf_printf(&t, cfmt, 0ULL - (unsigned long long)i);
		} else {
			buf_printf(&t, cfmt, i);
		}
		break;
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
		if (!is_number(v)) {
			bad_verb(&t, verb, v);
			break;
		}
		numeric = true;
		snprintf(cfmt, sizeof(cfmt), "%%%s%s.*%c", sp->plus ? "+" : "", sp->space ? " " : "", verb);
		if ((verb == 'g' || verb == 'G') && sp->prec < 0) {
			fmt_float(&t, json_number_value(v));
			break;
		}
		buf_printf(&t, cfmt, sp->prec >= 0 ? sp->prec : 6, json_number_value(v));
		break;
	case 'q':
		if (json_is_string(v)) {
			quote(&t, json_string_value(v), json_string_length(v));
		} else if (int_of(v, &i) && json_is_integer(v)) {
			struct tmpl_buf ch = { 0 };
			if (i >= 0 && i <= 0x10FFFF)
				tmpl_utf8_put(&ch, (unsigned)i);
			tmpl_buf_addc(&t, '\'');
			tmpl_buf_add(&t, ch.p ? ch.p : "", ch.len);
			tmpl_buf_addc(&t, '\'');
			free(ch.p);
		} else {
			bad_verb(&t, verb, v);
		}
		break;
	case 't':
		if (json_is_boolean(v))
			buf_puts(&t, json_is_true(v) ? "true" : "false");
		else
			bad_verb(&t, verb, v);
		break;
	default: bad_verb(&t, verb, v); break;
	}
	pad_out(b, sp, t.p, t.len, numeric);
	free(t.p);
}

static json_t *fn_printf(struct exec *e, json_t **v, size_t n)
{
	if (!json_is_string(v[0]))
		return xerr(e, "error calling printf: the format is a %s, not a string", type_name(v[0]));
	const char *f = json_string_value(v[0]);
	size_t flen = json_string_length(v[0]);
	struct tmpl_buf b = { 0 };
	tmpl_buf_add(&b, "", 0);
	size_t argi = 1;
	for (size_t i = 0; i < flen && !e->failed;) {
		if (f[i] != '%') {
			tmpl_buf_addc(&b, f[i++]);
			continue;
		}
		i++;
		struct spec sp = { .width = -1, .prec = -1 };
		for (; i < flen && strchr("-+ #0", f[i]); i++) {
			sp.minus |= f[i] == '-';
			sp.plus |= f[i] == '+';
			sp.space |= f[i] == ' ';
			sp.sharp |= f[i] == '#';
			sp.zero |= f[i] == '0';
		}
		for (; i < flen && tmpl_is_digit(f[i]); i++)
			sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (f[i] - '0') > PRINTF_MAX_WIDTH
				       ? PRINTF_MAX_WIDTH
				       : (sp.width < 0 ? 0 : sp.width) * 10 + (f[i] - '0');
		if (i < flen && f[i] == '.') {
			sp.prec = 0;
			for (i++; i < flen && tmpl_is_digit(f[i]); i++)
				sp.prec = sp.prec * 10 + (f[i] - '0') > PRINTF_MAX_WIDTH
					      ? PRINTF_MAX_WIDTH
					      : sp.prec * 10 + (f[i] - '0');
		}
		if (i >= flen) {
			buf_puts(&b, "%!(NOVERB)");
			break;
		}
		char verb = f[i++];
		if (verb == '%') {
			tmpl_buf_addc(&b, '%');
			continue;
		}
		if (argi >= n) {
			buf_printf(&b, "%%!%c(MISSING)", verb);
			continue;
		}
		conv(&b, &sp, verb, v[argi++]);
		if (!charge(e, 0) || b.len > PD_TMPL_MAX_BYTES) {
			free(b.p);
			return xerr(e, "output too large (over %u bytes)", PD_TMPL_MAX_BYTES);
		}
	}
	if (argi < n) {
		buf_puts(&b, "%!(EXTRA ");
		for (; argi < n; argi++) {
			buf_printf(&b, "%s=", type_name(v[argi]));
			fmt_value(&b, v[argi], false, 0);
			if (argi + 1 < n)
				buf_puts(&b, ", ");
		}
		tmpl_buf_addc(&b, ')');
	}
	return str_value(e, &b);
}

/* print (Go's Sprint: a space between operands when neither is a string)
 * and println (Sprintln: spaces always, a newline at the end). */
static json_t *fn_print(struct exec *e, json_t **v, size_t n, bool ln)
{
	struct tmpl_buf b = { 0 };
	tmpl_buf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (i && (ln || (!json_is_string(v[i]) && !json_is_string(v[i - 1]))))
			tmpl_buf_addc(&b, ' ');
		fmt_value(&b, v[i], false, 0);
		if (b.len > PD_TMPL_MAX_BYTES)
			break;
	}
	if (ln)
		tmpl_buf_addc(&b, '\n');
	return str_value(e, &b);
}

static json_t *fn_json(struct exec *e, json_t *v)
{
	char *s = json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return xerr(e, "error calling json: the value is not valid UTF-8");
	struct tmpl_buf b = { .p = s, .len = strlen(s), .cap = strlen(s) + 1 };
	return str_value(e, &b);
}

/* upper, lower, title: on the value's text; ASCII letters only. */
static json_t *fn_case(struct exec *e, json_t *v, enum fn fn)
{
	struct tmpl_buf b = { 0 };
	value_text(v, &b);
	bool word_start = true;
	for (size_t i = 0; i < b.len; i++) {
		char c = b.p[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (fn == F_UPPER && c >= 'a' && c <= 'z')
			b.p[i] = (char)(c - 32);
		else if (fn == F_LOWER && c >= 'A' && c <= 'Z')
			b.p[i] = (char)(c + 32);
		else if (fn == F_TITLE && word_start && c >= 'a' && c <= 'z')
			b.p[i] = (char)(c - 32);
		/* strings.Title: a word starts after anything but a letter,
		 * a digit, an underscore or a non-ASCII character. */
		word_start = !(letter || tmpl_is_digit(c) || c == '_' || (unsigned char)c >= 0x80);
	}
	return str_value(e, &b);
}

static json_t *fn_join(struct exec *e, json_t *list, json_t *sep)
{
	if (!json_is_array(list))
		return xerr(e, "error calling join: expected a list, got %s", type_name(list));
	struct tmpl_buf s = { 0 }, b = { 0 };
	value_text(sep, &s);
	tmpl_buf_add(&b, "", 0);
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
	{
		if (i)
			tmpl_buf_add(&b, s.p, s.len);
		fmt_value(&b, x, false, 0);
		if (b.len > PD_TMPL_MAX_BYTES)
			break;
	}
	free(s.p);
	return str_value(e, &b);
}

static json_t *fn_split(struct exec *e, json_t *str, json_t *sep)
{
	struct tmpl_buf s = { 0 }, d = { 0 };
	value_text(str, &s);
	value_text(sep, &d);
	json_t *out = json_array();
	for (size_t i = 0; i <= s.len && !e->failed;) {
		size_t next;
		if (!d.len) {
			if (i == s.len)
				break;
			size_t k = tmpl_utf8_seq((unsigned char *)s.p + i, s.len - i);
			next = i + (k ? k : 1);
			if (charge(e, next - i + 16))
				json_array_append_new(out, json_stringn_nocheck(s.p + i, next - i));
			i = next;
			continue;
		}
		const char *m = memmem(s.p + i, s.len - i, d.p, d.len);
		next = m ? (size_t)(m - s.p) : s.len;
		if (charge(e, next - i + 16))
			json_array_append_new(out, json_stringn_nocheck(s.p + i, next - i));
		if (!m)
			break;
		i = next + d.len;
	}
	free(s.p);
	free(d.p);
	if (e->failed) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *fn_pad_truncate(struct exec *e, enum fn fn, json_t **v)
{
	long long a, z = 0;
	if (!int_of(v[1], &a) || (fn == F_PAD && !int_of(v[2], &z)))
		return xerr(e, "error calling %s: expected a number", funcs[fn].name);
	struct tmpl_buf s = { 0 }, b = { 0 };
	value_text(v[0], &s);
	if (fn == F_TRUNCATE) {
		if (a >= 0 && (size_t)a < s.len)
			s.len = (size_t)a;
		tmpl_buf_add(&b, s.p, s.len);
	} else {
		if (a < 0 || z < 0 || (unsigned long long)a + (unsigned long long)z > PD_TMPL_MAX_BYTES) {
			free(s.p);
			return xerr(e, "error calling pad: bad length");
		}
		if (!charge(e, (size_t)a + (size_t)z)) {
			free(s.p);
			return NULL;
		}
		buf_fill(&b, ' ', (size_t)a);
		tmpl_buf_add(&b, s.p, s.len);
		buf_fill(&b, ' ', (size_t)z);
	}
	free(s.p);
	return str_value(e, &b);
}

/* and/or: Go's short-circuit, returning the deciding operand. */
static json_t *call_logic(struct exec *e, enum fn fn, const struct arg *args, size_t nargs, json_t *dot,
			  json_t *final, bool has_final)
{
	size_t total = nargs + has_final;
	for (size_t i = 0; i < total; i++) {
		json_t *v = i < nargs ? eval_arg(e, &args[i], dot) : json_incref(final);
		if (e->failed)
			return NULL;
		if (i + 1 == total || truth(v) == (fn == F_OR))
			return v;
		json_decref(v);
	}
	return NULL;
}

static json_t *call(struct exec *e, enum fn fn, const struct arg *args, size_t nargs, json_t *dot,
		    json_t *final, bool has_final)
{
	const struct func *f = &funcs[fn];
	size_t n = nargs + has_final;
	if ((int)n < f->min || (f->max >= 0 && (int)n > f->max))
		return xerr(e, "wrong number of args for %s: want %s%d got %zu", f->name,
			    f->max < 0 ? "at least " : "", f->min, n);
	if (fn == F_AND || fn == F_OR)
		return call_logic(e, fn, args, nargs, dot, final, has_final);
	json_t **v = xcalloc(n ? n : 1, sizeof(json_t *));
	for (size_t i = 0; i < nargs && !e->failed; i++)
		v[i] = eval_arg(e, &args[i], dot);
	if (has_final)
		v[nargs] = json_incref(final);
	json_t *r = NULL;
	int o;
	if (e->failed)
		goto out;
	if ((e->flags & PD_TMPL_HEADER) && f->header_id) {
		r = json_incref(v[0]);
		goto out;
	}
	switch (fn) {
	case F_AND:
	case F_OR: break;
	case F_NOT: r = json_boolean(!truth(v[0])); break;
	case F_EQ: {
		bool eq = false;
		for (size_t i = 1; i < n; i++)
			eq = eq || values_equal(v[0], v[i]);
		r = json_boolean(eq);
		break;
	}
	case F_NE: r = json_boolean(!values_equal(v[0], v[1])); break;
	case F_LT:
	case F_LE:
	case F_GT:
	case F_GE:
		o = values_order(e, v[0], v[1]);
		if (o != 2)
			r = json_boolean(fn == F_LT   ? o < 0
					 : fn == F_LE ? o <= 0
					 : fn == F_GT ? o > 0
						      : o >= 0);
		break;
	case F_LEN: r = fn_len(e, v[0]); break;
	case F_INDEX: r = fn_index(e, v, n); break;
	case F_PRINT: r = fn_print(e, v, n, false); break;
	case F_PRINTLN: r = fn_print(e, v, n, true); break;
	case F_PRINTF: r = fn_printf(e, v, n); break;
	case F_JSON: r = fn_json(e, v[0]); break;
	case F_UPPER:
	case F_LOWER:
	case F_TITLE: r = fn_case(e, v[0], fn); break;
	case F_JOIN: r = fn_join(e, v[0], v[1]); break;
	case F_SPLIT: r = fn_split(e, v[0], v[1]); break;
	case F_PAD:
	case F_TRUNCATE: r = fn_pad_truncate(e, fn, v); break;
	}
out:
	for (size_t i = 0; i < n; i++)
		json_decref(v[i]);
	free(v);
	return r;
}

/* The value of label `key` in `labels`: an object of KEY: VALUE, or the
 * text "k=v,k2=v2" a list row shows (a piece without '=' continues the
 * value before it: a value with a comma).  "" when it has none. */
static json_t *label_value(json_t *labels, const char *key)
{
	if (json_is_object(labels)) {
		json_t *v = json_object_get(labels, key);
		return json_is_string(v) ? json_incref(v) : json_string("");
	}
	const char *p = json_string_value(labels);
	size_t kl = strlen(key);
	while (p && *p) {
		const char *end = strchr(p, ',');
		/* The value runs to the next piece that has an '='. */
		while (end) {
			const char *next = strchr(end + 1, ',');
			const char *eq =
			    memchr(end + 1, '=', next ? (size_t)(next - end - 1) : strlen(end + 1));
			if (eq)
				break;
			end = next;
		}
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > kl && !strncmp(p, key, kl) && p[kl] == '=')
			return json_stringn(p + kl + 1, len - kl - 1);
		p = end ? end + 1 : NULL;
	}
	return json_string("");
}

/* Docker's Label method of a list row: `.Label "KEY"` (or
 * `"KEY" | .Label`) is the value of the row's label KEY, from its Labels
 * field.  NULL (nothing done) unless the command is such a call on an
 * object that has Labels and no field of the method's name. */
static json_t *label_method(struct exec *e, const struct cmd *c, json_t *dot, json_t *final, bool has_final,
			    bool *done)
{
	const struct arg *first = &c->args[0];
	*done = false;
	if (first->kind != A_FIELD || !first->nchain || strcmp(first->chain[first->nchain - 1], "Label") ||
	    c->nargs + has_final != 2)
		return NULL;
	json_t *obj = apply_chain(e, json_incref(dot), first->chain, first->nchain - 1);
	if (!json_is_object(obj) || json_object_get(obj, "Label") || !json_object_get(obj, "Labels")) {
		json_decref(obj);
		return NULL;
	}
	*done = true;
	json_t *key = has_final ? json_incref(final) : eval_arg(e, &c->args[1], dot);
	json_t *r = NULL;
	if (!e->failed && !json_is_string(key))
		xerr(e, "wrong type for value; expected string; got %s", type_name(key));
	else if (!e->failed)
		r = label_value(json_object_get(obj, "Labels"), json_string_value(key));
	json_decref(key);
	json_decref(obj);
	return r;
}

static json_t *eval_cmd(struct exec *e, const struct cmd *c, json_t *dot, json_t *final, bool has_final)
{
	const struct arg *first = &c->args[0];
	bool method;
	json_t *r = label_method(e, c, dot, final, has_final, &method);
	if (method || e->failed)
		return r;
	if (first->kind == A_FUNC)
		return call(e, first->fn, c->args + 1, c->nargs - 1, dot, final, has_final);
	if (first->kind == A_NIL)
		return xerr(e, "nil is not a command");
	if (c->nargs > 1 || has_final)
		return xerr(e, "can't give argument to non-function");
	return eval_arg(e, first, dot);
}

static json_t *eval_pipe(struct exec *e, const struct pipe *pp, json_t *dot, bool declare)
{
	json_t *v = NULL;
	for (size_t i = 0; i < pp->ncmds && !e->failed; i++) {
		json_t *nv = eval_cmd(e, &pp->cmds[i], dot, v, i > 0);
		json_decref(v);
		v = nv;
	}
	if (e->failed) {
		json_decref(v);
		return NULL;
	}
	if (declare && pp->ndecl) {
		if (pp->assign) {
			struct var *x = var_find(e, pp->decl[0]);
			if (!x) {
				json_decref(v);
				return xerr(e, "undefined variable: %.40s", pp->decl[0]);
			}
			json_decref(x->val);
			x->val = json_incref(v);
		} else {
			vars_push(e, pp->decl[0], v);
		}
	}
	return v;
}

static void walk(struct exec *e, const struct node *n, json_t *dot);

static void range_item(struct exec *e, const struct node *n, json_t *key, json_t *val)
{
	size_t mark = e->nvars;
	if (!step(e))
		return;
	if (n->pipe->ndecl == 1)
		vars_push(e, n->pipe->decl[0], val);
	if (n->pipe->ndecl == 2) {
		vars_push(e, n->pipe->decl[0], key);
		vars_push(e, n->pipe->decl[1], val);
	}
	walk(e, n->body, val);
	vars_truncate(e, mark);
	if (e->flow == FLOW_CONTINUE)
		e->flow = FLOW_NONE;
}

static void walk_range(struct exec *e, const struct node *n, json_t *dot)
{
	json_t *v = eval_pipe(e, n->pipe, dot, false);
	size_t count = 0;
	if (e->failed)
		return;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v) && !e->failed && e->flow != FLOW_BREAK;
		     i++, count++) {
			json_t *k = json_integer((json_int_t)i);
			range_item(e, n, k, json_array_get(v, i));
			json_decref(k);
		}
	} else if (json_is_object(v)) {
		size_t nk;
		_cleanup_free_ const char **keys = sorted_keys(v, &nk);
		for (size_t i = 0; i < nk && !e->failed && e->flow != FLOW_BREAK; i++, count++) {
			json_t *k = json_string(keys[i]);
			range_item(e, n, k, json_object_get(v, keys[i]));
			json_decref(k);
		}
	} else if (v && !json_is_null(v)) {
		xerr(e, "range can't iterate over %s", type_name(v));
	}
	e->flow = FLOW_NONE;
	if (!count && n->els && !e->failed)
		walk(e, n->els, dot);
	json_decref(v);
}

/* Print a value as an action does. */
static void emit(struct exec *e, json_t *v)
{
	struct tmpl_buf b = { 0 };
	value_text(v, &b);
	if (charge(e, b.len)) {
		if (e->flags & PD_TMPL_SAFE)
			add_safe(&e->out, b.p, b.len);
		else
			tmpl_buf_add(&e->out, b.p, b.len);
	}
	free(b.p);
}

static void walk(struct exec *e, const struct node *n, json_t *dot)
{
	for (; n && !e->failed && e->flow == FLOW_NONE; n = n->next) {
		if (!step(e))
			return;
		size_t mark = e->nvars;
		json_t *v;
		switch (n->kind) {
		case N_TEXT:
			if (charge(e, n->len))
				tmpl_buf_add(&e->out, n->text, n->len);
			break;
		case N_ACTION:
			v = eval_pipe(e, n->pipe, dot, true);
			if (!e->failed && !n->pipe->ndecl)
				emit(e, v);
			json_decref(v);
			/* A declaration lives to the end of the enclosing list. */
			mark = e->nvars;
			break;
		case N_IF:
		case N_WITH:
			v = eval_pipe(e, n->pipe, dot, true);
			if (e->failed) {
				json_decref(v);
				break;
			}
			if (truth(v))
				walk(e, n->body, n->kind == N_WITH ? v : dot);
			else
				walk(e, n->els, dot);
			json_decref(v);
			break;
		case N_RANGE: walk_range(e, n, dot); break;
		case N_BREAK: e->flow = FLOW_BREAK; break;
		case N_CONTINUE: e->flow = FLOW_CONTINUE; break;
		}
		vars_truncate(e, mark);
	}
}

char *pd_tmpl_render(const struct pd_tmpl *t, json_t *data, unsigned flags, size_t *len, struct pd_err **err)
{
	_cleanup_err_ struct pd_err *local = NULL;
	struct exec e = { .root = data, .flags = flags, .err = &local };
	tmpl_buf_add(&e.out, "", 0);
	walk(&e, t->root, data);
	vars_truncate(&e, 0);
	free(e.vars);
	/* Docker ignores a header that fails to render and keeps what was
	 * written before the failure. */
	if (e.failed && !(flags & PD_TMPL_HEADER)) {
		free(e.out.p);
		*err = take_ptr(&local);
		return NULL;
	}
	if (len)
		*len = e.out.len;
	return e.out.p;
}

/* ------------------------------------------------------------------ */
/* Docker's list formatting. */

char *pd_tmpl_docker_text(const char *format, bool *table)
{
	*table = strncmp(format, "table", 5) == 0;
	if (*table)
		format += 5;
	while (*format == ' ')
		format++;
	size_t n = strlen(format);
	while (n && format[n - 1] == ' ')
		n--;
	struct tmpl_buf b = { 0 };
	tmpl_buf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (format[i] == '\\' && i + 1 < n && (format[i + 1] == 't' || format[i + 1] == 'n')) {
			tmpl_buf_addc(&b, format[i + 1] == 't' ? '\t' : '\n');
			i++;
			continue;
		}
		tmpl_buf_addc(&b, format[i]);
	}
	return b.p;
}

struct tw_cell {
	size_t off, len, width;
	size_t block; /* its column block, for a tab-terminated cell */
};

char *pd_tabwriter(const char *text, size_t len, size_t minwidth, size_t padding)
{
	/* Cells in order; a line is a run of cells, the last one not
	 * tab-terminated.  Column blocks: for column c, a run of
	 * consecutive lines that each have a tab-terminated cell c (Go's
	 * tabwriter); a stack holds the open block of each column. */
	struct tw_cell *cells = NULL;
	size_t ncells = 0, cap = 0;
	size_t *blocks = NULL, nblocks = 0; /* widths */
	size_t *open = NULL, nopen = 0;	    /* open block per column */
	size_t *line_start = NULL, nlines = 0;
	size_t pos = 0;
	while (pos <= len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		line_start = xrealloc(line_start, (nlines + 2) * sizeof(size_t));
		line_start[nlines++] = ncells;
		size_t col = 0;
		for (size_t c = pos;;) {
			const char *tab = memchr(text + c, '\t', end - c);
			size_t cend = tab ? (size_t)(tab - text) : end;
			if (ncells == cap) {
				cap = cap ? cap * 2 : 64;
				cells = xrealloc(cells, cap * sizeof(*cells));
			}
			cells[ncells] = (struct tw_cell){ c, cend - c, char_count(text + c, cend - c), 0 };
			if (tab) {
				if (col >= nopen) {
					open = xrealloc(open, (col + 1) * sizeof(size_t));
					blocks = xrealloc(blocks, (nblocks + 1) * sizeof(size_t));
					blocks[nblocks] = minwidth;
					open[col] = nblocks++;
					nopen = col + 1;
				}
				cells[ncells].block = open[col];
				if (cells[ncells].width + padding > blocks[open[col]])
					blocks[open[col]] = cells[ncells].width + padding;
				col++;
			}
			ncells++;
			if (!tab)
				break;
			c = cend + 1;
		}
		/* Columns this line lacks end their blocks. */
		if (col < nopen)
			nopen = col;
		if (!nl)
			break;
		pos = end + 1;
	}
	line_start[nlines] = ncells;
	struct tmpl_buf b = { 0 };
	tmpl_buf_add(&b, "", 0);
	for (size_t l = 0; l < nlines; l++) {
		for (size_t c = line_start[l]; c < line_start[l + 1]; c++) {
			tmpl_buf_add(&b, text + cells[c].off, cells[c].len);
			if (c + 1 < line_start[l + 1])
				buf_fill(&b, ' ', blocks[cells[c].block] - cells[c].width);
		}
		if (l + 1 < nlines)
			tmpl_buf_addc(&b, '\n');
	}
	free(cells);
	free(blocks);
	free(open);
	free(line_start);
	return b.p;
}

int pd_tmpl_list_init(struct pd_tmpl_list *l, const char *format, struct pd_err **err)
{
	*l = (struct pd_tmpl_list){ 0 };
	_cleanup_free_ char *text = pd_tmpl_docker_text(format, &l->table);
	l->tmpl = pd_tmpl_parse(text, err);
	return l->tmpl ? 0 : -1;
}

static void list_append(struct pd_tmpl_list *l, const char *s, size_t n)
{
	struct tmpl_buf b = { l->buf, l->len, l->cap };
	tmpl_buf_add(&b, s, n);
	l->buf = b.p, l->len = b.len, l->cap = b.cap;
}

int pd_tmpl_list_add(struct pd_tmpl_list *l, json_t *row, struct pd_err **err)
{
	size_t n;
	_cleanup_free_ char *s = pd_tmpl_render(l->tmpl, row, PD_TMPL_SAFE, &n, err);
	if (!s)
		return -1;
	list_append(l, s, n);
	list_append(l, "\n", 1);
	return 0;
}

char *pd_tmpl_list_finish(struct pd_tmpl_list *l, json_t *header, struct pd_err **err)
{
	char *rows = l->buf ? take_ptr(&l->buf) : xstrdup("");
	size_t rlen = l->len;
	l->len = l->cap = 0;
	if (!l->table)
		return rows;
	size_t hlen;
	_cleanup_free_ char *head =
	    pd_tmpl_render(l->tmpl, header, PD_TMPL_HEADER | PD_TMPL_SAFE, &hlen, err);
	if (!head) {
		free(rows);
		return NULL;
	}
	struct tmpl_buf all = { 0 };
	tmpl_buf_add(&all, head, hlen);
	tmpl_buf_addc(&all, '\n');
	tmpl_buf_add(&all, rows, rlen);
	free(rows);
	char *out = pd_tabwriter(all.p, all.len, 10, 3);
	free(all.p);
	return out;
}

void pd_tmpl_list_free(struct pd_tmpl_list *l)
{
	pd_tmpl_free(l->tmpl);
	free(l->buf);
	*l = (struct pd_tmpl_list){ 0 };
}
