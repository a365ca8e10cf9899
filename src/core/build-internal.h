/* Shared by core/build.c and core/build-copy.c only: COPY and ADD's file
 * walk into a layer's staging directory. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "image/dockerfile.h"
#include "util/error.h"
#include "util/sha256.h"

struct build_copy {
	int staging_fd;		    /* the new layer's tree (a directory we made) */
	struct pd_sha256 sha;	    /* every name, mode, owner and byte read */
	const struct pd_ignore *ig; /* the context's .dockerignore, or NULL */
	bool has_chown;
	uid_t uid;
	gid_t gid;
	bool has_chmod;
	mode_t mode;
	bool add; /* ADD: a local tarball is extracted */
	/* COPY --from: the sources are a stage's or an image's layers, copied
	 * bottom first; whiteouts and opaque directories remove what the
	 * layers below put in the staging tree.  Per source, across its
	 * layers: src_dir, the last layer had it as a directory (its contents
	 * went into dest); visible, the top layer that has it shows it. */
	bool layered;
	bool src_dir;
	bool visible;
};

/* `path` cleaned ("a/./b/../c" -> "a/c", no leading '/'; "" for the
 * root); NULL when it climbs above the root ("../x"). */
char *build_clean_rel(const char *path);
/* An absolute path inside the image cleaned as build_clean_rel does, but a
 * ".." at the root stays there, as Docker's path.Clean has it
 * ("/../etc/x" -> "etc/x"): never NULL. */
char *build_clean_abs(const char *path);
/* Whether `name` is one directory entry's name: not empty, no '/', not
 * "." or "..". */
bool build_name_ok(const char *name);
/* A readable descriptor of the regular file held by `pathfd` (an O_PATH
 * one), reopened through it; -1 with errno (EINVAL: not a regular file). */
int build_reopen_regular(int pathfd);

/* The paths under `rootfd` that `pattern` (cleaned, relative) names:
 * itself when it has no glob characters, else every match of each
 * component (filepath.Match rules, hidden files included), sorted.  Paths
 * the ignore rules exclude are left out.  Every lookup stays inside
 * `rootfd` (openat2 RESOLVE_IN_ROOT). */
char **build_glob(int rootfd, const char *pattern, const struct pd_ignore *ig, struct pd_err **err);

/* Copy the source `src` (a cleaned relative path under `rootfd`) to `dest`
 * (an absolute path in the image) in the staging tree as Docker does: a
 * directory's contents into dest, a file to dest (or into it when
 * `dest_dir`).  Symlinks are copied as symlinks and never followed: the
 * walk opens each entry O_NOFOLLOW relative to its parent's descriptor, and
 * the source itself with RESOLVE_IN_ROOT. */
int build_copy_source(struct build_copy *c, int rootfd, const char *src, const char *dest, bool dest_dir,
		      struct pd_err **err);

/* COPY --from: a layer hides source `src` from the layers below (see
 * build_layer_hides): remove what they copied for it. */
void build_copy_hidden(struct build_copy *c, const char *src, const char *dest, bool dest_dir);
/* Whether the layer directory `layerfd` hides `rel` (cleaned) from the
 * layers below without having it: a whiteout or a non-directory on the
 * way, or an opaque directory where it is missing. */
bool build_layer_hides(int layerfd, const char *rel);

/* The file `name` of `body` bytes at `dest` (COPY <<EOF). */
int build_copy_text(struct build_copy *c, const char *name, const char *body, const char *dest, bool dest_dir,
		    struct pd_err **err);

/* Open (making what is missing, mode 0755) the directory `rel` of the
 * staging tree; a descriptor, or -1. */
int build_staging_dir(int staging_fd, const char *rel, struct pd_err **err);

/* openat2(rootfd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). */
int build_open_in(int rootfd, const char *rel, int flags);
