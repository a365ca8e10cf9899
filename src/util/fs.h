/* File-system helpers for host paths the runtime owns (state root, cache).
 * Paths inside a container's rootfs go through linux/rootfs.h instead. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* mkdir -p with `mode` for the created components. */
int pd_mkdir_p(const char *path, mode_t mode, struct pd_err **err);
/* rm -rf that never follows symlinks and never crosses into another mount
 * (a stale mount point is left in place and reported). */
int pd_rm_rf(const char *path, struct pd_err **err);
/* Same, relative to a directory fd. */
int pd_rm_rf_at(int dirfd, const char *name, struct pd_err **err);
/* write() all of `len` bytes, retrying on EINTR and short writes; -1 with
 * errno set on failure. */
int pd_write_all(int fd, const void *data, size_t len);
/* Write a whole file atomically (temp file + rename). */
int pd_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct pd_err **err);
/* Read a whole (small) file; NUL-terminated, caller frees. */
char *pd_read_file(const char *path, size_t *len_out, struct pd_err **err);
/* At most `size` bytes of `fd` (a file whose size the caller checked), read
 * until that many or EOF, NUL-terminated; *len_out is what was read.  NULL
 * with errno set on a read error. */
char *pd_read_fd(int fd, size_t size, size_t *len_out);
/* A file a user hands the runtime (a seccomp profile, a bundle's
 * config.json): a regular file of at most `max_mib` MiB of text, read once
 * without blocking on a FIFO or reading a device without end.  Usage
 * errors name it as "WHAT 'PATH'".  NUL-terminated; *len_out (may be NULL)
 * is its length. */
char *pd_read_regular(const char *path, const char *what, size_t max_mib, size_t *len_out,
		      struct pd_err **err);
/* A sealed in-memory copy of the file at `path` (run --stdin): a regular
 * file, or a FIFO or pipe read to its end (`--stdin <(cmd)`); anything else
 * is a usage error naming "WHAT 'PATH'".  The copy is a memfd sealed
 * against writing, growing and shrinking, and the fd returned is a
 * read-only open of it (CLOEXEC) at offset 0: whoever gets it, a
 * container's root included, can neither change the caller's file through
 * it (no reopening /proc/self/fd/0 for writing as the file's owner) nor the
 * copy.  It lives in memory for as long as an fd holds it. */
int pd_sealed_copy(const char *path, const char *what, struct pd_err **err);
bool pd_is_dir(const char *path);
/* Close every fd from `lowest` up but the ones in `keep` (-1 entries
 * ignored; at most 16), 0-2 included unless kept or below `lowest`: a
 * child forked by the runtime takes nothing of its parent's into a
 * container. */
void pd_close_all_but(int lowest, const int *keep, size_t n);
/* Under sudo (root with SUDO_UID/SUDO_GID set), hand a path in the state
 * root back to the invoking user; a no-op otherwise. */
void pd_chown_to_invoker(const char *path);
