/* Which images `images` lists (image-filter.c): Docker's `images -a`,
 * `--filter` (dangling, label, reference, before, since) and the
 * REPOSITORY[:TAG] argument, over the records of pd_image_list.
 *
 * Intermediate images are hidden unless `all`: an image with no name whose
 * layer chain is a prefix of a newer image's chain (the unnamed step
 * images `build` leaves as its cache), or equal to it when the newer
 * image's config differs (a LABEL, CMD or ENV step on top).  Records keep
 * no parent link, so "built on" is read from the layers and the times.
 * An unnamed image that no other image builds on is dangling, and shown. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store-images.h"
#include "util/error.h"

struct pd_image_filter {
	bool all;      /* -a: intermediate images too */
	int dangling;  /* -1: either; 0: named images only; 1: unnamed only */
	char **labels; /* "KEY" or "KEY=VALUE": every one must match */
	char **refs;   /* NAME or NAME:TAG globs (path.Match style): one must match */
	char **before; /* image names or ids: created before every one */
	char **since;  /* image names or ids: created after every one */
};

/* A filter that keeps every image but intermediate ones. */
void pd_image_filter_init(struct pd_image_filter *f);
/* Free what the filter holds; it is then empty as after init. */
void pd_image_filter_clear(struct pd_image_filter *f);

/* Add one --filter "KEY=VALUE".  An unknown key or a bad value fails with
 * a PD_ERR_USAGE error and leaves the filter as it was. */
int pd_image_filter_add(struct pd_image_filter *f, const char *spec, struct pd_err **err);

/* True when `pattern` (a path.Match-style glob: `*` does not cross `/`)
 * matches the name "repo" or "repo:tag" as `images` shows it. */
bool pd_image_ref_match(const char *pattern, const struct pd_image_name *nm);

/* True when v[i] is an intermediate image of v[0..n) (see above). */
bool pd_image_is_intermediate(const struct pd_image_rec *v, size_t n, size_t i);

/* Keep in v[0..n), in order, the images `f` selects, with created_ns in
 * (since_ns, before_ns) (the before and since images resolved by the
 * caller); with reference patterns, only the names that match are kept.
 * Dropped records and names are freed.  Returns the number kept.  Pure:
 * no store, no I/O. */
size_t pd_image_filter_select(struct pd_image_rec *v, size_t n, const struct pd_image_filter *f,
			      int64_t since_ns, int64_t before_ns);

/* Every image `f` selects, newest first (free with pd_image_recs_free).
 * A before or since image that does not exist is a PD_ERR_USAGE error. */
int pd_image_list_filtered(const char *root, const struct pd_image_filter *f, struct pd_image_rec **out,
			   size_t *n, struct pd_err **err);
