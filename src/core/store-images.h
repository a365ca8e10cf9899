/* Image state in the state database (store-images.c): images, their names
 * (repository and tag), and the layers each stacks.  Blobs and extracted
 * layers live on disk (image/blobs.h, image/layers.h); these rows say
 * which of them an image needs.  Used by core/images.c only. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

struct pd_image_name {
	char *repo;   /* "127.0.0.1:5000/team/app", a URL, or a --name */
	char *tag;    /* "latest"; "" when none */
	char *digest; /* the manifest's digest, or NULL */
};

struct pd_layer_rec {
	char *digest;  /* of the stored (compressed) blob */
	char *diff_id; /* of the uncompressed tar, as the config names it */
	uint64_t size;
};

struct pd_image_rec {
	char *id; /* "sha256:..." of the image config (or of a rootfs tarball) */
	int64_t created_ns;
	uint64_t size;
	char *config; /* the runtime config JSON */
	struct pd_image_name *names;
	size_t n_names;
	struct pd_layer_rec *layers; /* bottom first */
	size_t n_layers;
};
void pd_image_rec_clear(struct pd_image_rec *r);
void pd_image_recs_free(struct pd_image_rec *v, size_t n);

/* In one transaction: the image (kept if already there), its layers, and
 * the name repo:tag (when repo is not NULL), moved from any image that held
 * it. */
int pd_store_image_add(struct pd_store *s, const struct pd_image_rec *img, const char *repo, const char *tag,
		       const char *digest, struct pd_err **err);
/* Every image with its names and layers, newest first. */
int pd_store_image_list(struct pd_store *s, struct pd_image_rec **out, size_t *n, struct pd_err **err);
/* Remove one name. */
int pd_store_image_untag(struct pd_store *s, const char *repo, const char *tag, struct pd_err **err);
/* Remove an image, its names and its layer list; then hand back (in *unused,
 * a vector the caller frees) the layers no image stacks any more, whose rows
 * are deleted too.  One transaction. */
int pd_store_image_delete(struct pd_store *s, const char *id, char ***unused, struct pd_err **err);
