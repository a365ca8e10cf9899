/* String helpers: shell-word splitting, sizes, signal names, string
 * vectors.  Pure logic, no system calls; safe in any process. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Split `s` with POSIX shell-word rules (single quotes, double quotes with
 * \" \\ \$ \` escapes, backslash outside quotes, blanks separate words).  No
 * expansion is done.  Returns a NULL-terminated vector the caller frees with
 * strv_free(), or NULL with *err set (unterminated quote, trailing backslash). */
char **pd_shell_split(const char *s, struct pd_err **err);

/* Parse "104857600", "256m", "1g", "512k", "1.5g" (binary units, b/k/m/g/t,
 * case-insensitive, optional trailing "b"/"ib") into bytes.  Plain decimal
 * only: no sign, exponent or hex. */
int pd_parse_size(const char *s, uint64_t *out, struct pd_err **err);

/* How pd_format_size writes a size: three conventions, one per kind of
 * figure the CLI shows. */
enum pd_size_style {
	PD_SIZE_SHORT,	  /* "12B", "999kB", "1.23MB", "4.5GB": 3 significant digits,
			   * units of 1000 up to GB (image sizes, as Docker shows them) */
	PD_SIZE_PROGRESS, /* "12 B", "1.0 kB", "5000.0 MB": one decimal, units of 1000
			   * up to MB (download progress) */
	PD_SIZE_BINARY,	  /* "12B", "1.50KiB", "2.00GiB": two decimals, units of 1024
			   * up to TiB (memory) */
};
/* Write `n` bytes as text in `style` into buf (NUL-terminated, cut to len). */
void pd_format_size(uint64_t n, enum pd_size_style style, char *buf, size_t len);

/* Parse "10" (seconds), "10s", "500ms", "2m", "1h", "1.5s" or a sequence such
 * as "1m30s" into milliseconds. */
int pd_parse_duration_ms(const char *s, uint64_t *out, struct pd_err **err);

/* A signal given as a number ("15") or a name with or without "SIG", in any
 * case ("TERM", "SIGTERM", "sigterm"); -1 when it names none. */
int pd_signal_parse(const char *s);

/* Parse a non-negative decimal integer that fits in `max`. */
int pd_parse_uint(const char *s, uint64_t max, uint64_t *out, struct pd_err **err);

size_t strv_len(char *const *v);
/* Append a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
/* Append s, taking ownership. */
void strv_push_take(char ***v, char *s);
char **strv_copy(char *const *v);
/* Join with a separator, quoting nothing. */
char *strv_join(char *const *v, const char *sep);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/* A copy of `s` that is safe to print on a terminal: bytes below 0x20, DEL,
 * the C1 controls (U+0080..U+009F, which some terminals obey as escape
 * sequences) and bytes that are not valid UTF-8 are written as \n, \r, \t,
 * \xNN or \u00NN; everything else, printable UTF-8 included, is kept.  For
 * every string that came from outside (an archive, a registry, a user's
 * argument) before it reaches the terminal.  The caller frees the result. */
char *str_escape(const char *s);
/* True when str_escape(s) would change nothing. */
bool str_is_printable(const char *s);

/* A --since/--until argument as Docker reads it, into nanoseconds since
 * the epoch: an RFC 3339 timestamp, with or without seconds, fraction and
 * zone ("2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05.5Z",
 * "2006-01-02T15:04:05+01:00"; no zone: local time); Unix seconds with an
 * optional fraction ("1700000000.25"); or a Go duration ("10m", "1h30m")
 * meaning `now_ns` minus it.  "0" is the epoch.  A usage error (one line
 * naming the value) when it is none of these. */
int pd_parse_time_arg(const char *s, int64_t now_ns, int64_t *out_ns, struct pd_err **err);
