/* Safe extraction of (possibly compressed) tarballs into a directory.
 *
 * The tarball is untrusted.  Every path is resolved inside the target with
 * openat2(RESOLVE_IN_ROOT), so no entry, and no symlink planted by an earlier
 * entry, can make a write land outside it.  libarchive is used only to read;
 * it is opened on first use (see util/dl.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define PD_EXTRACT_DEFAULT_MAX_BYTES   (8ULL << 30)
#define PD_EXTRACT_DEFAULT_MAX_ENTRIES 1000000ULL
#define PD_EXTRACT_ENV_MAX_BYTES       "POCKET_DOCKER_MAX_EXTRACT"

struct pd_extract_opts {
	/* Not root on the host: keep the caller as owner of everything and skip
	 * device nodes (they cannot be created; they are counted instead). */
	bool rootless;
	/* Rootless, run inside a user namespace that maps a subordinate range:
	 * keep the archive's owners where they fall inside the namespace. */
	bool keep_owners;
	/* A directory already there is never replaced by a non-directory
	 * entry: the extraction fails naming it (cp's rule, as Docker's;
	 * an image layer's later entry replaces an earlier one, as in tar). */
	bool keep_dirs;
	/* Setuid and setgid bits are dropped (`cp` out of a container onto
	 * the host without -a: no set-id program appears on the host). */
	bool drop_setid;
	/* Bytes of file data written; 0 = $POCKET_DOCKER_MAX_EXTRACT if set
	 * (a size such as "100m"), else 8 GiB. */
	uint64_t max_bytes;
	/* Entries read from the archive; 0 = 1,000,000. */
	uint64_t max_entries;
	/* An OCI/Docker image layer, to be stacked as an overlayfs lower
	 * layer: ".wh.NAME" becomes an overlay whiteout (a 0:0 character
	 * device; rootless, where the kernel refuses it, an empty file with
	 * the xattr user.overlay.whiteout in a directory marked
	 * user.overlay.opaque=x) and ".wh..wh..opq" marks its directory
	 * opaque (trusted.overlay.opaque=y as root, user.overlay.opaque=y
	 * rootless, matching overlayfs' userxattr mount option). */
	bool layer;
};

struct pd_extract_result {
	unsigned skipped_devices; /* device entries not created (rootless) */
	unsigned whiteouts;	  /* whiteouts and opaque markers made (layer) */
	uint64_t bytes;		  /* file data written */
	uint64_t entries;	  /* entries read */
};

/* True when the name ends in .tar .tar.gz .tgz .tar.xz .txz .tar.zst .tzst
 * or .tar.bz2 (case-sensitive, as tar itself is). */
bool pd_archive_is_tarball_name(const char *path);

/* Extract `tarball` into the directory `dirfd` (not closed; it becomes the
 * root for resolving every entry).  `o` may be NULL: defaults, rootless
 * unless the effective uid is 0.  `res` may be NULL.
 *
 * Refused, failing the whole extraction: an entry or hardlink target with a
 * ".." component, a hardlink to a directory, a parent that is a dangling
 * symlink, more than the byte or entry limit.  Leading "/" and "./" are
 * stripped.  Ownership (as root only), modes including setuid, and mtimes
 * are preserved; directory metadata is applied last so that a read-only
 * directory still receives its entries.
 *
 * On failure the partial tree is left in place for the caller to remove (the
 * cache extracts into a temporary directory and deletes it).  Errors start
 * with "extract '<tarball>'" and name the entry.  res is filled on success
 * and on failure. */
int pd_archive_extract(const char *tarball, int dirfd, const struct pd_extract_opts *o,
		       struct pd_extract_result *res, struct pd_err **err);
/* Same, reading the already open `tarfd` from its current offset (it is not
 * closed); `name` is used in messages. */
int pd_archive_extract_fd(int tarfd, const char *name, int dirfd, const struct pd_extract_opts *o,
			  struct pd_extract_result *res, struct pd_err **err);

/* Read only the entry names of `tarball` (nothing is written): found[i]
 * tells whether names[i] (NULL-terminated; "a/b", without "./") is a
 * regular file in it.  Fails on an unreadable or corrupt tarball. */
int pd_archive_find_files(const char *tarball, const char *const *names, bool *found, struct pd_err **err);
