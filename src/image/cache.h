/* Content-addressed cache of extracted root filesystems.
 *
 *   <state_root>/cache/rootfs/<sha256>           extracted as root
 *   <state_root>/cache/rootfs/<sha256>-rootless  extracted without privilege
 *   <state_root>/cache/by-stat/<dev>-<ino>-<size>-<mtime_ns>-<ctime_ns>
 *                                                 the sha256 of that file
 *
 * A cached tree is never modified after it is renamed into place: it is the
 * read-only lower layer of every container made from it. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

/* Return the absolute path (caller frees) of the extracted rootfs of
 * `tarball`, extracting it on first use.
 *
 * Root and rootless extractions are kept apart (the suffix above): a tree
 * extracted as root has the image's owners and device nodes, one extracted
 * rootless has the caller's uid everywhere and none; neither is right for
 * the other.
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
char *pd_cache_rootfs(const char *state_root, const char *tarball, bool rootless, unsigned *skipped_devices,
		      struct pd_err **err);

/* Remove the temporary trees (cache/rootfs/.tmp-*) that killed extractors
 * left, when no extraction is running (the extractors' lock is free);
 * otherwise do nothing: a later call or extraction sweeps them.  Best
 * effort, for `prune`. */
void pd_cache_sweep(const char *state_root);
