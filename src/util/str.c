/* String helpers (see str.h).  Pure logic, used by every layer. */
#include "util/str.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->p = xrealloc(b->p, b->cap);
	}
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

char **pd_shell_split(const char *s, struct pd_err **err)
{
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	struct buf w = { 0 };
	bool in_word = false;

	for (const char *p = s;; p++) {
		char c = *p;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				strv_push_take(&v, w.p ? w.p : xstrdup(""));
				w = (struct buf){ 0 };
				in_word = false;
			}
			if (c == '\0')
				break;
			continue;
		}
		/* A backslash-newline is a line continuation: it vanishes, and
		 * neither starts nor ends a word. */
		if (c == '\\' && p[1] == '\n') {
			p++;
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (p[1] == '\0') {
				free(w.p);
				pd_fail_kind(err, PD_ERR_USAGE, 0, "trailing backslash in '%s'", s);
				return NULL;
			}
			p++;
			buf_putc(&w, *p);
		} else if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				free(w.p);
				pd_fail_kind(err, PD_ERR_USAGE, 0, "unterminated single quote in '%s'", s);
				return NULL;
			}
			if (end == p + 1 && !w.p)
				buf_putc(&w, 'x'), w.len = 0, w.p[0] = '\0';
			for (const char *q = p + 1; q < end; q++)
				buf_putc(&w, *q);
			p = end;
		} else if (c == '"') {
			p++;
			if (!w.p)
				buf_putc(&w, 'x'), w.len = 0, w.p[0] = '\0';
			for (;; p++) {
				if (*p == '\0') {
					free(w.p);
					pd_fail_kind(err, PD_ERR_USAGE, 0,
						     "unterminated double quote in '%s'", s);
					return NULL;
				}
				if (*p == '"')
					break;
				if (*p == '\\' &&
				    (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`')) {
					p++;
					buf_putc(&w, *p);
				} else if (*p == '\\' && p[1] == '\n') {
					p++;
				} else {
					buf_putc(&w, *p);
				}
			}
		} else {
			buf_putc(&w, c);
		}
	}
	return take_ptr(&v);
}

int pd_parse_uint(const char *s, uint64_t max, uint64_t *out, struct pd_err **err)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid number '%s'", s ? s : "");
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid number '%s'", s);
	*out = v;
	return 0;
}

/* A decimal number "digits[.digits]": no sign, exponent, hex, inf or nan,
 * which strtod() would all accept.  Kept as integers (the fraction as
 * num / den) so that "0.29s" is 290 ms exactly and every uint64_t is exact;
 * fraction digits past the 18th are ignored. */
struct decimal {
	uint64_t ipart, num, den;
};

static int parse_decimal(const char **pp, struct decimal *d)
{
	const char *p = *pp;
	*d = (struct decimal){ .den = 1 };
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(d->ipart, 10, &d->ipart) ||
		    __builtin_add_overflow(d->ipart, (uint64_t)(*p - '0'), &d->ipart))
			return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (d->den < 1000000000000000000ULL) {
				d->num = d->num * 10 + (uint64_t)(*p - '0');
				d->den *= 10;
			}
		}
	}
	*pp = p;
	return 0;
}

/* d * mult, the fraction truncated; -1 on overflow. */
static int scale_value(const struct decimal *d, uint64_t mult, uint64_t *out)
{
	uint64_t v;
	uint64_t frac = (uint64_t)((unsigned __int128)d->num * mult / d->den);
	if (__builtin_mul_overflow(d->ipart, mult, &v) || __builtin_add_overflow(v, frac, &v))
		return -1;
	*out = v;
	return 0;
}

int pd_signal_parse(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end = NULL;
	long n = strtol(s, &end, 10);
	if (*end == '\0')
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s))
			return i;
	}
	return -1;
}

int pd_parse_size(const char *s, uint64_t *out, struct pd_err **err)
{
	const char *p = s;
	struct decimal d;
	uint64_t mult = 1, bytes;
	if (!s || parse_decimal(&p, &d) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid size '%s'", s ? s : "");
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'b': p++; break;
	case 'k':
		mult = 1ULL << 10;
		p++;
		break;
	case 'm':
		mult = 1ULL << 20;
		p++;
		break;
	case 'g':
		mult = 1ULL << 30;
		p++;
		break;
	case 't':
		mult = 1ULL << 40;
		p++;
		break;
	default: return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid size '%s'", s);
	}
	if (mult > 1) {
		if (tolower((unsigned char)*p) == 'i')
			p++;
		if (tolower((unsigned char)*p) == 'b')
			p++;
	}
	if (*p)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid size '%s'", s);
	if (scale_value(&d, mult, &bytes) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "size '%s' is too large", s);
	*out = bytes;
	return 0;
}

void pd_format_size(uint64_t n, enum pd_size_style style, char *buf, size_t len)
{
	static const struct {
		uint64_t base;
		bool sig; /* %g (significant digits) rather than %f */
		int prec;
		const char *sep;
		const char *units[5]; /* NULL after the largest */
	} styles[] = {
		[PD_SIZE_SHORT] = { 1000, true, 3, "", { "B", "kB", "MB", "GB" } },
		[PD_SIZE_PROGRESS] = { 1000, false, 1, " ", { "B", "kB", "MB" } },
		[PD_SIZE_BINARY] = { 1024, false, 2, "", { "B", "KiB", "MiB", "GiB", "TiB" } },
	};
	const __typeof__(styles[0]) *s = &styles[style];
	/* The unit is chosen on the integer (n >= base^u), and the figure is
	 * n divided once by that exact power: the same digits as dividing in
	 * steps, with no rounding at the edges. */
	size_t u = 0;
	uint64_t div = 1;
	while (u + 1 < ARRAY_SIZE(s->units) && s->units[u + 1] && n / div >= s->base) {
		div *= s->base;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "%s%s", n, s->sep, s->units[0]);
	else if (s->sig)
		snprintf(buf, len, "%.*g%s%s", s->prec, (double)n / (double)div, s->sep, s->units[u]);
	else
		snprintf(buf, len, "%.*f%s%s", s->prec, (double)n / (double)div, s->sep, s->units[u]);
}

/* Milliseconds per unit at the start of *pp ("ms" before "m"); 0 if none. */
static uint64_t duration_unit(const char **pp)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].name);
		if (!strncmp(*pp, units[i].name, l)) {
			*pp += l;
			return units[i].ms;
		}
	}
	return 0;
}

int pd_parse_duration_ms(const char *s, uint64_t *out, struct pd_err **err)
{
	/* Over 290 years: certainly a typo.  The cap keeps the value in
	 * nanoseconds within int64_t (the monitor adds it to a monotonic
	 * clock), so no limit can wrap round to a past deadline. */
	const uint64_t max_ms = (uint64_t)INT64_MAX / 1000000 / 2;
	const char *p = s;
	uint64_t total = 0;
	bool first = true;
	if (!s || !*s)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid duration '%s'", s ? s : "");
	/* "10" alone is seconds; otherwise a sequence like "1m30s", as Docker's
	 * Go-style durations allow. */
	do {
		struct decimal d;
		uint64_t ms;
		if (parse_decimal(&p, &d) < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid duration '%s'", s);
		uint64_t mult = first && !*p ? 1000 : duration_unit(&p);
		first = false;
		if (!mult)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid duration '%s'", s);
		if (scale_value(&d, mult, &ms) < 0 || __builtin_add_overflow(total, ms, &total) ||
		    total >= max_ms)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "duration '%s' is too long", s);
	} while (*p);
	*out = total;
	return 0;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_push_take(char ***v, char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s)
{
	strv_push_take(v, xstrdup(s));
}

char **strv_copy(char *const *v)
{
	char **r = xcalloc(strv_len(v) + 1, sizeof(char *));
	for (size_t i = 0; v && v[i]; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

char *strv_join(char *const *v, const char *sep)
{
	size_t len = 1, sl = strlen(sep);
	for (size_t i = 0; v && v[i]; i++)
		len += strlen(v[i]) + sl;
	char *r = xmalloc(len), *p = r;
	*p = '\0';
	for (size_t i = 0; v && v[i]; i++) {
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
		*p = '\0';
	}
	return r;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* Length of the valid UTF-8 sequence at s (2 to 4 bytes, no overlong forms,
 * no surrogates, at most U+10FFFF) with its code point in *cp, or 0. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* One unit of `s`: how many bytes it takes, and its escape in esc (empty
 * when it is printed as is). */
static size_t escape_unit(const unsigned char *s, char esc[8])
{
	esc[0] = '\0';
	if (*s == '\n' || *s == '\r' || *s == '\t') {
		snprintf(esc, 8, "\\%c", *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't');
		return 1;
	}
	if (*s < 0x20 || *s == 0x7f) {
		snprintf(esc, 8, "\\x%02x", *s);
		return 1;
	}
	if (*s < 0x80)
		return 1;
	uint32_t cp;
	size_t n = utf8_seq(s, &cp);
	if (!n) {
		snprintf(esc, 8, "\\x%02x", *s);
		return 1;
	}
	if (cp <= 0x9f)
		snprintf(esc, 8, "\\u%04x", (unsigned)cp);
	return n;
}

bool str_is_printable(const char *s)
{
	char esc[8];
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		p += escape_unit(p, esc);
		if (esc[0])
			return false;
	}
	return true;
}

char *str_escape(const char *s)
{
	if (!s)
		return xstrdup("");
	struct buf b = { 0 };
	buf_putc(&b, '\0');
	b.len = 0;
	char esc[8];
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = escape_unit(p, esc);
		if (esc[0])
			for (const char *e = esc; *e; e++)
				buf_putc(&b, *e);
		else
			for (size_t i = 0; i < n; i++)
				buf_putc(&b, (char)p[i]);
		p += n;
	}
	return b.p;
}

/* Nanoseconds per unit of a Go duration at the start of *pp (longest
 * name first: "ms" before "m"); 0 if none. */
static uint64_t go_duration_unit(const char **pp)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },	   { "us", 1000 },	   { "\xc2\xb5s", 1000 },   { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL }, { "h", 3600000000000ULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].name);
		if (!strncmp(*pp, units[i].name, l)) {
			*pp += l;
			return units[i].ns;
		}
	}
	return 0;
}

/* Go's time.ParseDuration: an optional sign, then numbers each with a
 * unit ("10m", "1h30m", "1.5s"); a bare number is not a duration.  false
 * when `s` is not one (or does not fit in int64 nanoseconds). */
static bool parse_go_duration(const char *s, int64_t *out)
{
	const char *p = s;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return false;
	uint64_t total = 0;
	while (*p) {
		struct decimal d;
		uint64_t ns;
		if (parse_decimal(&p, &d) < 0)
			return false;
		uint64_t mult = go_duration_unit(&p);
		if (!mult || scale_value(&d, mult, &ns) < 0 || __builtin_add_overflow(total, ns, &total) ||
		    total > (uint64_t)INT64_MAX)
			return false;
	}
	*out = neg ? -(int64_t)total : (int64_t)total;
	return true;
}

/* `n` decimal digits at *pp as a number; false if fewer. */
static bool take_digits(const char **pp, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*pp)[i]))
			return false;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return true;
}

/* A fraction of a second after the '.' at *pp: its digits as nanoseconds
 * (digits past the ninth dropped); false when there is no digit. */
static bool take_fraction(const char **pp, int64_t *ns)
{
	const char *p = *pp;
	int64_t v = 0, scale = 100000000;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++, scale /= 10)
		v += scale ? (*p - '0') * scale : 0;
	*pp = p;
	*ns = v;
	return true;
}

/* Docker's timestamp forms: "2006-01-02", then optionally "T15", ":04",
 * ":05", ".999999999", then optionally a zone "Z" or "+07:00"; with no
 * zone the time is local, as Docker reads it.  false if `s` is not one. */
static bool parse_rfc3339ish(const char *s, int64_t *out)
{
	const char *p = s;
	struct tm tm = { 0 };
	int v, zh = 0, zm = 0;
	int64_t frac = 0;
	if (!take_digits(&p, 4, &v) || *p++ != '-')
		return false;
	tm.tm_year = v - 1900;
	if (!take_digits(&p, 2, &v) || *p++ != '-' || v < 1 || v > 12)
		return false;
	tm.tm_mon = v - 1;
	if (!take_digits(&p, 2, &v) || v < 1 || v > 31)
		return false;
	tm.tm_mday = v;
	if (*p == 'T' || *p == 't') {
		p++;
		if (!take_digits(&p, 2, &tm.tm_hour) || tm.tm_hour > 23)
			return false;
		if (*p == ':' && (p++, !take_digits(&p, 2, &tm.tm_min) || tm.tm_min > 59))
			return false;
		if (*p == ':' && (p++, !take_digits(&p, 2, &tm.tm_sec) || tm.tm_sec > 59))
			return false;
		if (*p == '.' && (p++, !take_fraction(&p, &frac)))
			return false;
	}
	bool local = !*p;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		if (!take_digits(&p, 2, &zh) || *p++ != ':' || !take_digits(&p, 2, &zm) || zh > 23 || zm > 59)
			return false;
		zh *= sign;
		zm *= sign;
	}
	if (*p)
		return false;
	/* A day past the month's end (Feb 30) is refused, not carried over. */
	int mday = tm.tm_mday, mon = tm.tm_mon;
	time_t t;
	if (local) {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else {
		t = timegm(&tm);
	}
	if (t == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon)
		return false;
	t -= (time_t)zh * 3600 + (time_t)zm * 60;
	int64_t ns;
	if (__builtin_mul_overflow((int64_t)t, 1000000000LL, &ns) || __builtin_add_overflow(ns, frac, &ns))
		return false;
	*out = ns;
	return true;
}

/* Unix seconds with an optional fraction: "1700000000", "1700000000.5". */
static bool parse_unix_time(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t sec = 0, frac = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(sec, 10, &sec) || __builtin_add_overflow(sec, *p - '0', &sec))
			return false;
	if (*p == '.' && (p++, !take_fraction(&p, &frac)))
		return false;
	if (*p || __builtin_mul_overflow(sec, 1000000000LL, &sec) || __builtin_add_overflow(sec, frac, &sec))
		return false;
	*out = sec;
	return true;
}

int pd_parse_time_arg(const char *s, int64_t now_ns, int64_t *out_ns, struct pd_err **err)
{
	int64_t v;
	if (!s || !*s)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid time '': want a timestamp, Unix seconds or a duration");
	/* As Docker: "0" is the epoch, not a zero duration. */
	if (strcmp(s, "0") != 0 && parse_go_duration(s, &v)) {
		if (__builtin_sub_overflow(now_ns, v, out_ns))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "time '%s' is out of range", s);
		return 0;
	}
	if (parse_rfc3339ish(s, &v) || parse_unix_time(s, &v)) {
		*out_ns = v;
		return 0;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "invalid time '%s': want an RFC 3339 timestamp (2006-01-02T15:04:05Z), Unix "
			    "seconds or a duration such as 10m",
			    s);
}
