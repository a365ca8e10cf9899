/* Paths inside a container's root filesystem.  Every lookup is made relative
 * to an fd of the root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
 * an absolute symlink or ".." planted in an untrusted image resolves inside
 * the root, and /proc magic links are refused, so no mount or write made
 * through these helpers can land on the host. */
#pragma once
#include <sys/types.h>

#include "util/error.h"

/* openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; `rel` may start
 * with '/'.  Returns an fd or -errno. */
int rootfs_try_open(int rootfd, const char *rel, int flags, mode_t mode);
/* mkdir -p inside the root; returns an O_PATH fd of the final directory. */
int rootfs_mkdir_p(int rootfd, const char *rel, mode_t mode, struct pd_err **err);
/* Make sure `rel` exists as a regular file (for a file bind mount target);
 * returns an O_PATH fd of it. */
int rootfs_mkfile(int rootfd, const char *rel, struct pd_err **err);
/* Replace the final component of `rel` with a new regular file holding
 * `data` (never writing through a symlink at that name). */
int rootfs_write_file(int rootfd, const char *rel, const char *data, mode_t mode, struct pd_err **err);
