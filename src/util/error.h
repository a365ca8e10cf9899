/* Error objects: every function that can fail takes `struct pd_err **err`
 * last, returns a negative int (or NULL) and fills *err; on success it never
 * touches *err.  Only cli/ prints an error, once, with pd_err_print(). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>

/* What kind of failure it was, so the CLI can choose 125/126/127. */
enum pd_err_kind {
	PD_ERR_RUNTIME = 0, /* the runtime failed: exit 125 */
	PD_ERR_CANNOT_EXEC, /* the command exists but cannot be run: 126 */
	PD_ERR_NOT_FOUND,   /* the command was not found: 127 */
	PD_ERR_USAGE,	    /* bad input from the user (a bad flag or value, no such
			     * container or image, a request the container's state
			     * refuses): 125 from every command */
};

struct pd_err {
	int errnum; /* errno value, 0 when none applies */
	enum pd_err_kind kind;
	char *msg; /* "context: message", without strerror */
};

/* Fill *err (if err is not NULL and *err is empty) and return -1. */
int pd_fail(struct pd_err **err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pd_fail_kind(struct pd_err **err, enum pd_err_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The exit status of `run` and `exec` (and of the container's setup) for a
 * failure of this kind: 127 the command was not found, 126 it cannot be
 * executed, 125 anything else (the runtime failed, or bad input). */
int pd_err_exec_status(enum pd_err_kind kind);
/* Prepend "context: " to an existing error; no-op if there is none. */
void pd_err_prefix(struct pd_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pd_err_free(struct pd_err *e);
static inline void pd_err_freep(struct pd_err **e)
{
	if (*e) {
		pd_err_free(*e);
		*e = (void *)0;
	}
}
/* Why a caller drops an error (passes no `err`), one word each; a call
 * that drops one says so with pd_err_ignore(WORD), which is NULL:
 *   cleanup       undoing after an earlier failure, which is the one reported
 *   optional      a step the result does not depend on (a cache, a hint, a
 *                 speed-up); its failure changes nothing the user relies on
 *   gone          the object may be gone already (a removed row, a reaped
 *                 process, a deleted cgroup), which is what the call wanted
 *   corrected     the state is read again later and corrected then (ps and
 *                 the next command refresh a stale record)
 *   unreportable  no one is left to tell: the monitor after the CLI has
 *                 gone, a child between fork and exec; the outcome shows in
 *                 the record (exit code, state) instead
 *   status        the return value says all the caller needs (found or not)
 *   constant      the call cannot fail with these arguments (a constant input)
 * An unknown word does not compile. */
enum pd_err_ignore_reason {
	PD_ERR_IGNORE_cleanup,
	PD_ERR_IGNORE_optional,
	PD_ERR_IGNORE_gone,
	PD_ERR_IGNORE_corrected,
	PD_ERR_IGNORE_unreportable,
	PD_ERR_IGNORE_status,
	PD_ERR_IGNORE_constant,
};
#define pd_err_ignore(why) ((void)PD_ERR_IGNORE_##why, (struct pd_err **)0)

/* "<msg>: <strerror>" (or "<msg>" without an errno), as it came: a new
 * string the caller frees.  For a report that quotes an error. */
char *pd_err_text(const struct pd_err *e);
/* "pocket-docker: <msg>: <strerror>" on stderr. */
void pd_err_print(const struct pd_err *e);
/* "pocket-docker: warning: <msg>" on stderr. */
void pd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
