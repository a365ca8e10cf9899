/* Reading an image file into the blob store, for `import`: a `docker save`
 * archive (manifest.json), an OCI image layout archive (oci-layout and
 * index.json), or a plain rootfs tarball, which is stored whole as the
 * image's one layer.
 *
 * Nothing here knows the state database: core/images.c takes the images
 * lock, extracts the layers and records the image. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image/blobs.h"
#include "util/error.h"

enum pd_import_kind {
	PD_IMPORT_ROOTFS, /* a rootfs tarball */
	PD_IMPORT_DOCKER, /* `docker save` */
	PD_IMPORT_OCI,	  /* an OCI image layout */
};

/* Which kind `file` is, from the names of its members only (a rootfs is
 * not unpacked twice).  Fails on an unreadable or corrupt archive. */
int pd_import_kind(const char *file, enum pd_import_kind *kind, struct pd_err **err);

/* What an image file held, as stored blobs. */
struct pd_import {
	char config[PD_DIGEST_LEN + 1];	   /* a rootfs tarball: its own digest */
	char mdigest[PD_DIGEST_LEN + 1];   /* the manifest's (OCI), or "" */
	char (*layers)[PD_DIGEST_LEN + 1]; /* bottom first */
	uint64_t *sizes;
	size_t n_layers;
	char *repo_tag; /* the archive's own name for the image, or NULL */
};
void pd_import_free(struct pd_import *im);
#define _cleanup_import_ __attribute__((cleanup(pd_import_free)))

/* Store the config and the layers of `file` as blobs (a rootfs tarball:
 * the file itself, as config and one layer).  An archive is unpacked
 * safely (archive.h) under images/tmp/put-import-*, removed before this
 * returns (a killed import's tree is swept by the next exclusive images
 * lock); each member it names is opened inside that tree only, and
 * verified against its digest when the archive gives one.  The caller
 * holds the images lock shared.  Digests stored that were not there before
 * are appended to *fresh, on failure too: the caller removes them again
 * if the import fails.  *im is the caller's to free (pd_import_free),
 * on failure too. */
int pd_import_blobs(const char *root, const char *file, enum pd_import_kind kind, struct pd_import *im,
		    char ***fresh, struct pd_err **err);
