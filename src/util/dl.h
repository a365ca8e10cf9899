/* Libraries loaded on first use.
 *
 * Why: linking libarchive, libcurl, libnl and libnftables into the binary
 * costs every invocation their loading and relocation (measured ~18 ms of a
 * ~20 ms start on the project's machines; libarchive alone pulls libxml2, ICU
 * and libstdc++).  `run` from a directory or a cached tarball needs none of
 * them, so they are opened with dlopen() only by the code paths that use
 * them.  Each user declares its symbols with PD_DL_SYM and calls the real
 * functions through sym_<name>, whose type is taken from the library's own
 * header, so the compiler still checks every call. */
#pragma once
#include "util/error.h"

struct pd_dl_sym {
	const char *name;
	void **ptr;
};

/* Open the first library in `sonames` that loads (NULL-terminated) and
 * resolve every symbol; on failure name the Debian package to install. */
int pd_dl_open(void **handle, const char *const *sonames, const char *package, const struct pd_dl_sym *syms,
	       struct pd_err **err);

#define PD_DL_SYM(name) __typeof__(name) *sym_##name
#define PD_DL_ENTRY(name)                                                                                    \
	{                                                                                                    \
#name, (void **)&sym_##name                                                                  \
	}
