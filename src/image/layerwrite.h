/* Writing image layers: a container's overlay upper directory (or a plain
 * root filesystem directory) as an OCI layer (a gzip-compressed tar), and
 * reading a stored layer's uncompressed tar back (its diff_id, and the
 * layer tars of `save`).
 *
 * The tree written may be hostile (a container's files): as in
 * tarwrite.h, nothing is looked up by a path string; every entry is held
 * by an O_PATH | O_NOFOLLOW descriptor opened relative to its parent's,
 * and a regular file is read by reopening the held inode.  libarchive is
 * opened on first use (util/dl.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/blobs.h"
#include "util/error.h"

/* What the entries become; each field means what the field of the same
 * name in struct pd_tar_write_opts (tarwrite.h) means. */
struct pd_layer_write_opts {
	/* The tree is an overlay upper directory: whiteouts and opaque
	 * directories become ".wh." files. */
	bool upper;
	/* Top-level paths ("etc/hosts") left out: the files the runtime
	 * writes into every container.  NULL-terminated; may be NULL. */
	const char *const *skip;
	/* Owners as a rootless container sees them; all zero: as they are. */
	uid_t uid, sub_uid;
	unsigned long sub_uid_count;
	gid_t gid, sub_gid;
	unsigned long sub_gid_count;
};

/* Write the layer of the directory held by `dirfd` (any kind of
 * descriptor of it) to `outfd` as a gzip-compressed pax tar, entries
 * named relative to it ("etc/passwd").  diff_id receives "sha256:" and
 * the digest of the uncompressed tar.  Fails on the first entry that
 * cannot be read, naming it. */
int pd_layer_write_dir(int dirfd, int outfd, const struct pd_layer_write_opts *o,
		       char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err);

/* Read the file `path` (a tar, compressed in any way libarchive reads),
 * write its uncompressed bytes to `outfd` (when >= 0), and put "sha256:"
 * and their digest in diff_id. */
int pd_layer_uncompress(const char *path, int outfd, char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err);
