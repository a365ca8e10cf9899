/* Error objects (see error.h).  Used by every process: CLI, monitor and the
 * container's init before execve (where messages are carried over the sync
 * channel instead of printed). */
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static int vfail(struct pd_err **err, enum pd_err_kind kind, int errnum, const char *fmt, va_list ap)
{
	if (!err || *err)
		return -1;
	struct pd_err *e = xmalloc(sizeof(*e));
	e->errnum = errnum;
	e->kind = kind;
	if (vasprintf(&e->msg, fmt, ap) < 0)
		abort();
	*err = e;
	return -1;
}

int pd_fail(struct pd_err **err, int errnum, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(err, PD_ERR_RUNTIME, errnum, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int pd_err_exec_status(enum pd_err_kind kind)
{
	switch (kind) {
	case PD_ERR_NOT_FOUND: return 127;
	case PD_ERR_CANNOT_EXEC: return 126;
	default: return 125;
	}
}

int pd_fail_kind(struct pd_err **err, enum pd_err_kind kind, int errnum, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(err, kind, errnum, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

void pd_err_prefix(struct pd_err **err, const char *fmt, ...)
{
	if (!err || !*err)
		return;
	char *ctx = NULL, *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&msg, "%s: %s", ctx, (*err)->msg) < 0)
		abort();
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
}

void pd_err_free(struct pd_err *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

char *pd_err_text(const struct pd_err *e)
{
	return e->errnum ? xasprintf("%s: %s", e->msg, strerror(e->errnum)) : xstrdup(e->msg);
}

/* Messages quote what users, archives and registries supplied (names,
 * tags, paths, server replies): control bytes are escaped so that an error
 * is always one line and can never drive the terminal. */
void pd_err_print(const struct pd_err *e)
{
	if (!e)
		return;
	_cleanup_free_ char *text = pd_err_text(e);
	_cleanup_free_ char *msg = str_escape(text);
	fprintf(stderr, "pocket-docker: %s\n", msg);
}

void pd_warn(const char *fmt, ...)
{
	char *raw = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&raw, fmt, ap) < 0)
		abort();
	va_end(ap);
	_cleanup_free_ char *msg = str_escape(raw);
	free(raw);
	fprintf(stderr, "pocket-docker: warning: %s\n", msg);
}
