/* Images made and shared locally: `tag`, `commit` (a container's writable
 * layer as a new image), `export` (a container's files as a tar),
 * `history`, `save` (docker-archive), `load` and `image prune`.  Each call
 * opens and closes the state store itself; the caller prints. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store-images.h"
#include "image/blobs.h"
#include "util/error.h"

/* Give image `source` the name `target` ("REPO[:TAG]", Docker's rules),
 * taken from any image that held it.  No such image, or a bad name:
 * PD_ERR_USAGE. */
int pd_image_tag(const char *root, const char *source, const char *target, struct pd_err **err);

struct pd_commit_opts {
	const char *ref;      /* the container */
	const char *name;     /* "REPO[:TAG]", or NULL: an image without a name */
	const char *comment;  /* -m, or NULL */
	const char *author;   /* -a, or NULL */
	char *const *changes; /* -c: Dockerfile instructions (NULL-terminated; may be NULL) */
	bool no_pause;	      /* --pause=false: read a running container's layer as it is */
};

/* Make an image of container `o->ref`: its image's layers (or its --rootfs
 * as a first layer) and its upper directory as a new layer (overlay
 * whiteouts as OCI whiteouts), with a config made from the container's
 * (command, Env, WorkingDir, User, Labels, StopSignal) and the image's,
 * then the changes, and the image's history plus this commit.  A running
 * container is paused (the cgroup freezer) while its layer is read,
 * unless `no_pause` or it was paused already; a container without a
 * cgroup of its own cannot be paused and is read as it is.  *id_out is the
 * new image's id (caller frees).  A bad change, or no such container:
 * PD_ERR_USAGE. */
int pd_container_commit(const char *root, const struct pd_commit_opts *o, char **id_out, struct pd_err **err);

/* Check one -c instruction without applying it (for the CLI's early
 * usage error). */
int pd_commit_change_check(const char *change, struct pd_err **err);
/* Apply `changes` (NULL-terminated) to an image's runtime config (the
 * "config" object as JSON; NULL: empty) as commit does: CMD and
 * ENTRYPOINT (a JSON array, or a shell form run by /bin/sh -c), ENV and
 * LABEL (KEY=VALUE words, or KEY VALUE), EXPOSE (PORT[/PROTO], tcp when
 * not given), VOLUME, WORKDIR (absolute), USER, STOPSIGNAL.  The result
 * is compact JSON with sorted keys (caller frees); a bad change is
 * PD_ERR_USAGE. */
char *pd_commit_apply_changes(const char *runtime_json, char *const *changes, struct pd_err **err);

/* For `build` (core/build.c): store the layer of directory `dir` (an
 * overlay upper directory when `upper`: whiteouts converted and the
 * runtime's /etc files left out, as commit does) as a blob; `digest` gets
 * the gzip's digest, `diff_id` the tar's, *size the blob's length. */
int pd_image_layer_store(const char *root, const char *dir, bool upper, bool rootless,
			 char digest[PD_DIGEST_LEN + 1], char diff_id[PD_DIGEST_LEN + 1], uint64_t *size,
			 struct pd_err **err);
/* The full config document of image record `r` (compact JSON with sorted
 * keys, caller frees): its config blob, or one made for a rootfs tarball;
 * rootfs.diff_ids has one entry per layer. */
struct pd_image_rec;
char *pd_image_config_text(const char *root, const struct pd_image_rec *r, struct pd_err **err);
/* Record image `id` (its config blob stored already) with its layers,
 * the runtime config JSON, and the name repo:tag when repo is not NULL;
 * its size is the layers'. */
int pd_image_record(const char *root, const char *id, int64_t created_ns, const char *runtime_config,
		    struct pd_layer_rec *layers, size_t n_layers, const char *repo, const char *tag,
		    struct pd_err **err);

/* Write container `ref`'s merged file system as a tar to `fd` (see
 * pd_container_copy: a running container through /proc/PID/root, not
 * descending into other mounts; a stopped one's overlay mounted in a
 * child's private mount namespace). */
int pd_container_export(const char *root, const char *ref, int fd, struct pd_err **err);

/* One line of `history`, newest first. */
struct pd_history {
	char *id;	    /* the image's id on the top line, NULL on the others ("<missing>") */
	int64_t created_ns; /* 0 when unknown */
	char *created_by;
	char *comment;
	uint64_t size; /* the layer's files, uncompressed; 0 for an empty_layer step */
};
int pd_image_history(const char *root, const char *name, struct pd_history **out, size_t *n,
		     struct pd_err **err);
void pd_history_free(struct pd_history *v, size_t n);

/* Write `names` (images, each by any of its names or its id) to `fd` as
 * a docker-archive tar (manifest.json, repositories, <config>.json,
 * <diff_id>/layer.tar uncompressed), readable by `docker load` and
 * `podman load`.  An image given by name is saved under that name; by
 * id, under none. */
int pd_image_save(const char *root, char *const *names, int fd, struct pd_err **err);

/* `load`: import a docker-archive or oci-archive (pd_image_import); the
 * names the image now has go to *names ("busybox:latest"; a vector the
 * caller frees, empty when it has none), its id to *id_out. */
int pd_image_load(const char *root, const char *file, char ***names, char **id_out, struct pd_err **err);

/* Remove images no name points to (dangling), or with `all` every image no
 * container uses.  The steps go to *report ("untagged: ...", "deleted:
 * ..."), *reclaimed is the bytes of the images removed. */
int pd_image_prune(const char *root, bool all, char ***report, uint64_t *reclaimed, struct pd_err **err);
