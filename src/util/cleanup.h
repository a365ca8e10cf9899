/* Scope-bound cleanup for owned locals.  Every cleanup function accepts the
 * "empty" value (NULL, -1) and preserves errno, so it can run on any path. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#include "util/error.h"

static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

/* A NULL-terminated vector of owned strings. */
static inline void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void strv_freep(char ***v)
{
	int saved = errno;
	strv_free(*v);
	errno = saved;
}

#define _cleanup_(f)	   __attribute__((cleanup(f)))
#define _cleanup_free_	   _cleanup_(freep)
#define _cleanup_close_	   _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_	   _cleanup_(strv_freep)
#define _cleanup_err_	   _cleanup_(pd_err_freep)

/* Hand ownership on: return the value and reset the variable. */
#define take_ptr(p)                                                                                          \
	({                                                                                                   \
		__typeof__(*(p)) _tp_ = *(p);                                                                \
		*(p) = NULL;                                                                                 \
		_tp_;                                                                                        \
	})
#define take_fd(p)                                                                                           \
	({                                                                                                   \
		int _tf_ = *(p);                                                                             \
		*(p) = -1;                                                                                   \
		_tf_;                                                                                        \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
