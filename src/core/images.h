/* The image store: images pulled from a registry or a URL, or imported
 * from a file, recorded in the state database (core/store-images.h) with
 * their blobs (image/blobs.h) and extracted layers (image/layers.h).
 * image/ fetches, verifies, parses and extracts; this module decides what
 * to fetch, takes the locks, records the result and removes what a failed
 * pull left.  It prints nothing: a pull's progress goes to a callback.
 *
 * An image is an ordered list of layers (bottom first) and a runtime
 * config (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal).  Its id is
 * the digest of its config; for a rootfs tarball (pulled by URL or
 * imported) it is the tarball's digest, and the tarball is its one layer.
 *
 * Names: "REPO:TAG" as pulled ("127.0.0.1:5000/team/app:1.2"; docker.io
 * names are shown short: "busybox"), the URL of a tarball (which can also
 * be named by its base name), the id or a unique prefix of it, or the
 * manifest digest (REPO@sha256:...). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/store-images.h"
#include "image/blobs.h"
#include "image/cache.h"
#include "image/manifest.h"
#include "linux/idmap.h"
#include "util/error.h"

/* Where a pull's downloads stand, summed over all of them. */
struct pd_pull_progress {
	const char *what;	/* the reference pulled, or the URL's base name */
	uint64_t done;		/* bytes downloaded */
	uint64_t total;		/* bytes expected (a download of unknown size counts what it has) */
	size_t finished, count; /* downloads complete, of how many */
	bool final;		/* the last call, when every download has ended */
};

struct pd_pull_opts {
	bool insecure;	      /* plain http to a registry that is not on loopback */
	const char *username; /* may be NULL */
	const char *password;
	const char *authfile; /* without username: read credentials from this
			       * Docker config.json-style file; may be NULL */
	unsigned parallel;    /* blobs at once; 0: 4 */
	/* Called (when not NULL) at most ten times a second while blobs
	 * download, and once when they are done; never when nothing is
	 * fetched.  It may print; it must not fail. */
	void (*progress)(const struct pd_pull_progress *p, void *data);
	void *progress_data;
};

/* True when `s` names a URL (http://, https://, file://). */
bool pd_image_is_url(const char *s);

/* Pull a registry reference or a tarball URL.  *name_out (caller frees) is
 * the name it was recorded under, *up_to_date says nothing was fetched
 * but the manifest.  On failure nothing new is recorded, and blobs and
 * layers this pull stored are removed again. */
int pd_image_pull(const char *root, const char *what, const struct pd_pull_opts *o, char **name_out,
		  bool *up_to_date, struct pd_err **err);

/* Import a `docker save` archive, an OCI layout archive, or a plain rootfs
 * tarball; `name` (may be NULL) names it ("app:1.0").  *id_out is the
 * image's id (caller frees).  On failure nothing new is recorded, and
 * blobs and layers this import stored are removed again. */
int pd_image_import(const char *root, const char *file, const char *name, char **id_out, struct pd_err **err);

/* One image found by name. */
struct pd_image {
	struct pd_image_rec rec;
	struct pd_image_config cfg;	     /* parsed from rec.config */
	const struct pd_image_name *matched; /* the name it was found by, or NULL */
};
void pd_image_free(struct pd_image *img);

/* 0 with *out filled (the caller frees it with pd_image_free); 1 when no
 * image has that name; -1 on error (an ambiguous id prefix is one). */
int pd_image_find(const char *root, const char *name, struct pd_image *out, struct pd_err **err);

/* Every image, newest first (free with pd_image_recs_free). */
int pd_image_list(const char *root, struct pd_image_rec **out, size_t *n, struct pd_err **err);
/* "busybox", "127.0.0.1:5000/a/b", or the URL (caller frees). */
char *pd_image_display_repo(const char *repo);

/* Apply the image's config to a container being made: image Env under the
 * user's, WorkingDir and User unless given, argv = Entrypoint (or
 * `entrypoint` when not NULL: --entrypoint) + (user_cmd if not empty, else
 * Cmd; with --entrypoint, only user_cmd), the stop signal; records the
 * image's id. */
int pd_image_apply(const struct pd_image *img, struct pd_config *c, char *const *entrypoint,
		   char *const *user_cmd, struct pd_err **err);

/* The overlay lower directories of image `id`, top first (a vector the
 * caller frees), extracting any layer missing in this privilege mode.
 * Fails when the image is gone (removed meanwhile). */
char **pd_image_lowers(const char *root, const char *id, bool rootless, struct pd_err **err);

/* The mode layers and rootfs tarballs are extracted in (image/cache.h):
 * rootless with a subordinate range runs the extraction in a user
 * namespace with the caller's map, kept in *map (which must outlive
 * *mode); without a range, or as root, no user namespace. */
void pd_image_mode(bool rootless, struct pd_idmap *map, struct pd_cache_mode *mode);

/* The extracted rootfs of a tarball given as a container's rootfs (an
 * absolute path the caller frees), extracted into the rootfs cache
 * (image/cache.h) on first use.  Rootless, a caller with a subordinate id
 * range extracts inside a user namespace that maps it, keeping the
 * archive's owners.  *skipped_devices (may be NULL): device nodes left
 * out by this call's extraction. */
char *pd_image_tarball_rootfs(const char *root, const char *tarball, bool rootless, unsigned *skipped_devices,
			      struct pd_err **err);

/* Remove an image (or one of its names): refused when a container uses
 * it, unless `force`, which then only takes its names away.  Layers no
 * image stacks any more are deleted with their blobs.  Each step done is
 * appended to *report ("Untagged: ...", "Deleted: ..."), on failure too. */
int pd_image_remove(const char *root, const char *name, bool force, char ***report, struct pd_err **err);

/* What a push did with one blob (image-push.c); the first call, before
 * any blob, has digest NULL and names the repository. */
enum pd_push_outcome { PD_PUSHED_ALREADY, PD_PUSHED_MOUNTED, PD_PUSHED_UPLOADED };
struct pd_push_step {
	const char *repo;   /* "127.0.0.1:5000/team/app" */
	const char *digest; /* NULL in the first call */
	bool config;	    /* the image config, not a layer */
	enum pd_push_outcome outcome;
	const char *mounted; /* the repository it was mounted from */
};

struct pd_push_opts {
	bool insecure;	      /* plain http to a registry not on loopback */
	const char *username; /* NULL: the stored credentials (core/auth.h), if any */
	const char *password;
	uint64_t chunk; /* blobs larger than this go in chunks of this size; 0: never */
	/* Called (when not NULL) after each blob; may print, must not fail. */
	void (*step)(const struct pd_push_step *s, void *data);
	void *step_data;
};

/* Push the local image named `name` (REGISTRY/REPO[:TAG]) to the
 * repository its name says: every layer and the config the registry lacks
 * (mounted from another repository of that registry when the image has a
 * name there), then a manifest, written here (Docker schema 2 for gzip
 * layers, OCI otherwise).  An image from a rootfs tarball gets a config
 * made from its record.  `digest` receives the manifest's, *size its
 * length, *tag_out (caller frees) the tag pushed. */
int pd_image_push(const char *root, const char *name, const struct pd_push_opts *o, char **tag_out,
		  char digest[PD_DIGEST_LEN + 1], uint64_t *size, struct pd_err **err);
