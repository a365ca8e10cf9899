/* Pure logic of the OCI distribution and image formats: image references,
 * WWW-Authenticate challenges, manifests and indexes (OCI and Docker
 * schema 2), platform selection, image configs.  No I/O: unit-tested in
 * tests/unit/test_registry.c.  Every input is untrusted: sizes, counts and
 * digests are checked here, and a malformed document is an error naming
 * what is wrong. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define PD_DEFAULT_REGISTRY "docker.io"
#define PD_MAX_LAYERS	    127
/* The most bytes of a manifest, index or image config read into memory. */
#define PD_JSON_MAX (4u << 20)

/* "busybox" -> docker.io, library/busybox, latest.
 * "registry:5000/team/app:1.2", "name@sha256:...", "localhost/x". */
struct pd_ref {
	char *domain; /* "docker.io", "registry:5000", "127.0.0.1:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest" when neither tag nor digest was given; NULL with a digest only */
	char *digest; /* "sha256:..." or NULL */
};
int pd_ref_parse(const char *s, struct pd_ref *r, struct pd_err **err);
void pd_ref_free(struct pd_ref *r);
#define _cleanup_ref_ __attribute__((cleanup(pd_ref_free)))
/* "docker.io/library/busybox" */
char *pd_ref_repo(const struct pd_ref *r);
/* "docker.io/library/busybox:latest" or "...@sha256:..." */
char *pd_ref_name(const struct pd_ref *r);
/* The host that serves the API ("registry-1.docker.io" for docker.io). */
const char *pd_ref_api_host(const struct pd_ref *r);
/* localhost, 127.0.0.0/8 or [::1], with or without a port. */
bool pd_ref_is_loopback(const struct pd_ref *r);

/* A challenge: `Bearer realm="...",service="...",scope="..."` or `Basic`. */
struct pd_challenge {
	bool bearer, basic;
	char *realm, *service, *scope;
};
int pd_challenge_parse(const char *header, struct pd_challenge *c, struct pd_err **err);
void pd_challenge_free(struct pd_challenge *c);

struct pd_descriptor {
	char *media_type;
	char *digest;
	uint64_t size;
	char *os, *arch, *variant; /* index entries only */
};

/* A manifest (one image) or an index / manifest list (several). */
struct pd_manifest {
	bool is_index;
	struct pd_descriptor config;  /* image manifest */
	struct pd_descriptor *layers; /* image manifest, bottom first */
	size_t n_layers;
	struct pd_descriptor *manifests; /* index */
	size_t n_manifests;
};
/* `content_type` (may be NULL) is the response's Content-Type, used when
 * the document has no mediaType.  Docker schema 1 is refused. */
int pd_manifest_parse(const char *body, size_t len, const char *content_type, struct pd_manifest *m,
		      struct pd_err **err);
void pd_manifest_free(struct pd_manifest *m);
#define _cleanup_manifest_ __attribute__((cleanup(pd_manifest_free)))
/* The Accept header value for manifests. */
extern const char pd_manifest_accept[];

/* This host's platform in OCI terms ("amd64", "arm64"...; variant "v7" or
 * NULL). */
const char *pd_host_arch(void);
const char *pd_host_variant(void);
/* Pick the entry of an index for linux/<arch>[/<variant>]; the error lists
 * the platforms the index offers. */
const struct pd_descriptor *pd_index_select(const struct pd_manifest *m, const char *arch,
					    const char *variant, struct pd_err **err);

/* What an image config gives a container (all may be NULL). */
struct pd_image_config {
	char **entrypoint, **cmd, **env;
	char *workdir, *user, *stop_signal;
	char *os, *arch;
	int64_t created_ns; /* 0 when absent */
	size_t n_diff_ids;
	char **diff_ids;    /* rootfs.diff_ids, bottom first (may be NULL) */
	char *runtime_json; /* the "config" object, compact JSON ("{}" when absent) */
};
int pd_image_config_parse(const char *body, size_t len, struct pd_image_config *c, struct pd_err **err);
/* Parse only the stored runtime_json (the "config" object). */
int pd_image_runtime_parse(const char *json, struct pd_image_config *c, struct pd_err **err);
void pd_image_config_free(struct pd_image_config *c);
#define _cleanup_image_config_ __attribute__((cleanup(pd_image_config_free)))
