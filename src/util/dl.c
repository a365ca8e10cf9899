/* Lazy library loading (see dl.h).  Runs in the CLI (libarchive, libcurl,
 * nettle for pull/import; libnl and libnftables for rm/prune) and in the
 * monitor (libnl and libnftables when it attaches and detaches a network). */
#include "util/dl.h"

#include <dlfcn.h>
#include <stddef.h>

int pd_dl_open(void **handle, const char *const *sonames, const char *package, const struct pd_dl_sym *syms,
	       struct pd_err **err)
{
	if (*handle)
		return 0;
	void *h = NULL;
	for (const char *const *s = sonames; *s && !h; s++)
		h = dlopen(*s, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return pd_fail(err, 0, "cannot load %s (install the Debian package '%s')", sonames[0],
			       package);
	for (const struct pd_dl_sym *s = syms; s->name; s++) {
		*s->ptr = dlsym(h, s->name);
		if (!*s->ptr) {
			dlclose(h);
			return pd_fail(err, 0, "%s lacks symbol '%s'", sonames[0], s->name);
		}
	}
	*handle = h;
	return 0;
}
