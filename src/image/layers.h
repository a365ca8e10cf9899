/* Extracted image layers, the overlayfs lower directories shared by every
 * image and container that uses them.
 *
 *   <state_root>/layers/<hex>           blob sha256:<hex> extracted as root
 *   <state_root>/layers/<hex>-subids    the same, extracted without privilege
 *                                       inside a user namespace that maps
 *                                       the caller's subordinate range (the
 *                                       rootless container's map), keeping
 *                                       the layer's owners as its ids
 *   <state_root>/layers/<hex>-rootless  extracted without privilege and
 *                                       without a range: the caller owns
 *                                       everything (also what older
 *                                       versions made with a range: never
 *                                       used by a caller that has one)
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
#include <sys/stat.h>

#include "image/cache.h"
#include "util/error.h"

/* The three extractions of a layer (the suffixes above). */
enum pd_layer_variant { PD_LAYER_ROOT, PD_LAYER_ROOTLESS, PD_LAYER_SUBIDS, PD_LAYER_N_VARIANTS };

/* The variant an extraction in `mode` (image/cache.h) makes and uses. */
enum pd_layer_variant pd_layer_variant_of(const struct pd_cache_mode *mode);

/* The directory of a layer (caller frees); NULL for an invalid digest. */
char *pd_layer_path(const char *root, const char *digest, enum pd_layer_variant v);

/* Extract the stored blob `digest` into its layer directory unless it is
 * there, applying whiteouts (image/archive.h).  The caller holds the images
 * lock (blobs.h) shared.  Extraction goes to layers/.tmp-XXXXXX, renamed
 * into place when complete; losing a race to a concurrent extractor is
 * success.  On failure nothing is left under a layer's name. */
int pd_layer_extract(const char *root, const char *digest, const struct pd_cache_mode *mode,
		     struct pd_err **err);

/* Extract every layer of `digests` (n of them) that is not there yet, as
 * pd_layer_extract does.  With two or more to do and two or more CPUs, one
 * child process per layer, up to four at once: extraction is bound by
 * system calls, so layers side by side use the cores a single extractor
 * leaves idle.  After a failure no more are started; the first failure is
 * the error (its text and errno, carried from the child). */
int pd_layers_extract(const char *root, const char *const *digests, size_t n,
		      const struct pd_cache_mode *mode, struct pd_err **err);

/* A short name for the layer directory, for overlay's lowerdir list (one
 * page for all layers): layers/l/<12 hex>[r|s], a symlink to the directory,
 * made on first use.  The long path when the short name is taken by
 * another layer (caller frees). */
char *pd_layer_short_path(const char *root, const char *digest, enum pd_layer_variant v);

/* Remove every extraction of a layer and their short names (the caller
 * holds the images lock exclusively).  A -subids tree may hold directories
 * only a subordinate id may enter: what the caller cannot remove as itself
 * is removed through mode->run_in_userns when there is one (`mode` may be
 * NULL). */
int pd_layer_remove(const char *root, const char *digest, const struct pd_cache_mode *mode,
		    struct pd_err **err);

/* Whether the entry `name` of an extracted layer directory `dirfd` (`st`:
 * its lstat) is a whiteout as overlayfs reads one in a lower layer: a 0:0
 * character device, or (rootless) an empty regular file marked
 * user.overlay.whiteout. */
bool pd_layer_is_whiteout(int dirfd, const char *name, const struct stat *st);
/* Whether the directory `dirfd` (a readable descriptor, not O_PATH) of an
 * extracted layer is opaque: it hides the layers below. */
bool pd_layer_is_opaque(int dirfd);
