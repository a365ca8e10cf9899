/* Pulling one image from a registry into the blob store: the manifest for
 * this host, the config and layer blobs (fetched in parallel, each
 * verified), and the config checked against the manifest and this host.
 *
 * Nothing here knows the state database or the terminal: core/images.c
 * takes the images lock, records what was pulled, and passes on the
 * progress to whoever shows it. */
#pragma once
#include <stddef.h>

#include "image/blobs.h"
#include "image/fetch.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "util/error.h"

/* The manifest of one image for this host: an index is resolved to its
 * entry for linux/<arch>[/<variant>].  `digest` receives the digest of
 * what `reference` (a tag or a digest) names, the index if it is one: a
 * name is recorded with that digest.  *body (the caller's) and *len
 * receive the bytes of the image manifest (the entry's, for an index), as
 * verified.  On failure *m and *body are left alone. */
int pd_pull_manifest(struct pd_registry *r, const char *reference, struct pd_manifest *m,
		     char digest[PD_DIGEST_LEN + 1], char **body, size_t *len, struct pd_err **err);

/* A pulled image's manifest bytes are kept, so that push sends the same
 * manifest (and the image keeps the digest it was pulled by):
 *   <state_root>/images/manifests/<hex of the config digest>
 * One per image (its config names it); the last pull's wins.  Not
 * trusted when read back: push checks it names the image's blobs.
 * pd_manifest_kept_path returns NULL for an invalid digest (caller frees). */
char *pd_manifest_kept_path(const char *root, const char *config_digest);
/* Write it atomically (0600, handed to the invoking user under sudo). */
int pd_pull_keep_manifest(const char *root, const char *config_digest, const char *body, size_t len,
			  struct pd_err **err);

/* Fetch the config and every layer of image manifest `m` that is not in
 * the blob store yet, `parallel` at a time, each verified against its
 * digest and size (blobs.h); `progress` (may be NULL) is called with
 * `data` as the downloads run.  The digests of `m` that were not stored
 * before are appended to *fresh, on failure too: the caller removes them
 * again if the pull fails.  The caller holds the images lock shared. */
int pd_pull_blobs(const char *root, struct pd_registry *r, const struct pd_manifest *m, unsigned parallel,
		  pd_progress_fn progress, void *data, char ***fresh, struct pd_err **err);

/* Read and parse the stored config blob `digest` (at most PD_JSON_MAX
 * bytes), and check that it is for linux on this host's architecture and
 * lists `n_layers` layers (when it lists them).  *cfg is the caller's to
 * free on success, and left alone on failure. */
int pd_image_config_load(const char *root, const char *digest, size_t n_layers, struct pd_image_config *cfg,
			 struct pd_err **err);
