/* Extracted image layers, the overlayfs lower directories shared by every
 * image and container that uses them.
 *
 *   <state_root>/layers/<hex>           blob sha256:<hex> extracted as root
 *   <state_root>/layers/<hex>-rootless  the same, extracted without privilege
 *
 * Keyed by the digest of the stored (compressed) blob, which is computed
 * from the bytes we hold, never by the diff_id an image config claims: a
 * hostile image could name another image's diff_id and poison its layer.
 * Root and rootless extractions differ (owners, device nodes, the xattr
 * namespace of whiteouts), as in the rootfs cache.  A layer directory is
 * never modified once renamed into place. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* The directory of a layer (caller frees); NULL for an invalid digest. */
char *pd_layer_path(const char *root, const char *digest, bool rootless);

/* Extract the stored blob `digest` into its layer directory unless it is
 * there, applying whiteouts (image/archive.h).  The caller holds the images
 * lock (blobs.h) shared.  Extraction goes to layers/.tmp-XXXXXX, renamed
 * into place when complete; losing a race to a concurrent extractor is
 * success.  On failure nothing is left under a layer's name. */
int pd_layer_extract(const char *root, const char *digest, bool rootless, struct pd_err **err);

/* Extract every layer of `digests` (n of them) that is not there yet, as
 * pd_layer_extract does.  With two or more to do and two or more CPUs, one
 * child process per layer, up to four at once: extraction is bound by
 * system calls, so layers side by side use the cores a single extractor
 * leaves idle.  After a failure no more are started; the first failure is
 * the error (its text and errno, carried from the child). */
int pd_layers_extract(const char *root, const char *const *digests, size_t n, bool rootless,
		      struct pd_err **err);

/* A short name for the layer directory, for overlay's lowerdir list (one
 * page for all layers): layers/l/<12 hex>[r], a symlink to the directory,
 * made on first use.  The long path when the short name is taken by
 * another layer (caller frees). */
char *pd_layer_short_path(const char *root, const char *digest, bool rootless);

/* Remove both extractions of a layer and their short names (the caller
 * holds the images lock exclusively). */
int pd_layer_remove(const char *root, const char *digest, struct pd_err **err);
