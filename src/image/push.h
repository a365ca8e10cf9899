/* Pushing one image to a repository of an OCI distribution registry: each
 * blob (HEAD to skip what the registry has; a cross-repository mount when
 * another repository of the registry may hold it; else an upload, in one
 * PUT or in PATCH chunks), then the manifest.  And the manifest itself:
 * the one a pull kept when it still names the image's blobs, else one
 * written from the config and layer blobs.
 *
 * Nothing here knows the state database or the terminal: core/images.c
 * picks the blobs and reports each result to its caller. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/blobs.h"
#include "image/registry.h"
#include "util/error.h"

enum pd_push_result {
	PD_PUSH_EXISTS,	 /* the registry had it */
	PD_PUSH_MOUNTED, /* mounted from mount_from */
	PD_PUSH_PUSHED,	 /* uploaded */
};

/* One blob to send: a file (read, not kept open) or a buffer. */
struct pd_push_blob {
	const char *digest;
	uint64_t size;
	const char *path;	/* the blob's file, or NULL with mem */
	const void *mem;	/* the blob's bytes */
	const char *mount_from; /* another repository of this registry, or NULL */
};

/* Send blob `b` to r's repository unless the registry has it.  A blob
 * larger than `chunk` (0: none is) goes in PATCH requests of `chunk` bytes
 * each; others in one PUT.  The file must hold `size` bytes; the registry
 * checks the digest, and a Docker-Content-Digest that differs is an
 * error.  r->push must be set (tokens for pull and push). */
int pd_push_blob(struct pd_registry *r, const struct pd_push_blob *b, uint64_t chunk,
		 enum pd_push_result *res, struct pd_err **err);

/* PUT a manifest under `tag`; `digest` receives its sha256. */
int pd_push_manifest(struct pd_registry *r, const char *tag, const char *body, size_t len,
		     const char *media_type, char digest[PD_DIGEST_LEN + 1], struct pd_err **err);

/* A layer blob's compression, from its first bytes.  PD_LAYER_OTHER (xz,
 * bzip2) is named by no manifest media type: its tar is sent instead. */
enum pd_layer_kind { PD_LAYER_TAR, PD_LAYER_GZIP, PD_LAYER_ZSTD, PD_LAYER_OTHER };
int pd_push_layer_kind(const char *path, enum pd_layer_kind *kind, struct pd_err **err);

struct pd_push_desc {
	const char *digest;
	uint64_t size;
	enum pd_layer_kind kind; /* layers only */
};

/* The image manifest of a config and its layers (bottom first): Docker's
 * schema 2 when every layer is gzip (what most clients expect), OCI
 * otherwise (the only one with plain and zstd layers).  *media_type is a
 * static string; the JSON is the caller's. */
char *pd_push_manifest_json(const struct pd_push_desc *config, const struct pd_push_desc *layers, size_t n,
			    const char **media_type);

/* The manifest a pull kept at `path` (image/pull.h), when it names
 * exactly `config` and `layers` (digests and sizes, in order) and is an
 * OCI or Docker schema 2 image manifest: its bytes (the caller's), *len
 * and *media_type (a static string).  NULL otherwise (none kept, or a
 * kept one that does not match: the caller writes one). */
char *pd_push_kept_manifest(const char *path, const struct pd_push_desc *config,
			    const struct pd_push_desc *layers, size_t n, size_t *len,
			    const char **media_type);
