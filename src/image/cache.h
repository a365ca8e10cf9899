/* Content-addressed cache of extracted root filesystems.
 *
 *   <state_root>/cache/rootfs/<sha256>           extracted as root
 *   <state_root>/cache/rootfs/<sha256>-rootless  extracted without privilege
 *   <state_root>/cache/rootfs/<sha256>-subids    extracted without privilege,
 *                                                 in a user namespace that
 *                                                 maps a subordinate range
 *   <state_root>/cache/by-stat/<dev>-<ino>-<size>-<mtime_ns>-<ctime_ns>
 *                                                 the sha256 of that file
 *
 * A cached tree is never modified after it is renamed into place: it is the
 * read-only lower layer of every container made from it. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

/* The privilege mode of an extraction.  This module knows nothing of user
 * namespaces: the caller (core) says whether it is rootless and, when the
 * caller has a subordinate id range, how to run a function inside a user
 * namespace that maps it. */
struct pd_cache_mode {
	bool rootless; /* not root on the host */
	/* Rootless with a subordinate range: run fn(arg) in a child inside a
	 * new user namespace that maps the range (the caller is root there),
	 * returning 0 when fn returned 0; `ctx` is passed back.  NULL when
	 * there is no range, or not rootless. */
	int (*run_in_userns)(void *ctx, int (*fn)(void *arg), void *arg, struct pd_err **err);
	void *ctx;
};

/* Return the absolute path (caller frees) of the extracted rootfs of
 * `tarball`, extracting it on first use.
 *
 * Root and rootless extractions are kept apart (the suffix above: -subids
 * when the mode can run in a user namespace with a subordinate range,
 * -rootless without one): a tree extracted as root has the image's owners
 * and device nodes, one extracted rootless has the caller's uid everywhere
 * (or, with a range, the archive's owners mapped into it) and none;
 * neither is right for the other.
 *
 * A tarball whose (dev, inode, size, mtime, ctime) is in the by-stat index is
 * not hashed again.  Extraction goes to cache/rootfs/.tmp-XXXXXX, renamed into
 * place when complete; the loser of a race with a concurrent extractor
 * discards its copy and returns the winner's.  On failure (NULL, *err set)
 * nothing is left behind; temporary trees of killed extractors are removed
 * by a later extraction.
 *
 * *skipped_devices (may be NULL) is the number of device nodes left out by
 * this call's extraction (rootless only); 0 when the tree was cached. */
char *pd_cache_rootfs(const char *state_root, const char *tarball, const struct pd_cache_mode *mode,
		      unsigned *skipped_devices, struct pd_err **err);

struct pd_extract_opts;
struct pd_extract_result;

/* Extract the open archive `tarfd` (named `tarball` in errors) into the
 * directory `dfd` (the temporary tree `tmp`) as pd_archive_extract_fd does,
 * in a child inside mode->run_in_userns's user namespace (which must be
 * set), where the caller is root over its subordinate range: with
 * o->keep_owners the archive's owners become, on disk, the host ids the
 * rootless container's map turns back into them.  On failure `tmp` is
 * removed (from inside, where its files are the caller's to remove).
 * Shared by this cache and image layers (layers.h). */
int pd_cache_extract_in_userns(const struct pd_cache_mode *mode, int tarfd, const char *tarball, int dfd,
			       const char *tmp, const struct pd_extract_opts *o,
			       struct pd_extract_result *res, struct pd_err **err);

/* Remove the tree `path`; what the caller cannot remove as itself (a
 * directory only a subordinate id may enter) is removed from inside
 * mode->run_in_userns's user namespace when the mode has one (`mode` may
 * be NULL). */
int pd_cache_remove_tree(const struct pd_cache_mode *mode, const char *path, struct pd_err **err);

/* Remove the temporary trees (cache/rootfs/.tmp-*) that killed extractors
 * left, when no extraction is running (the extractors' lock is free);
 * otherwise do nothing: a later call or extraction sweeps them.  Best
 * effort, for `prune`. */
void pd_cache_sweep(const char *state_root);
