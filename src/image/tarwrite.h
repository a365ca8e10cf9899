/* Writing a tar stream (pax) of a file tree that is held by descriptors,
 * for `cp`: a container's files out, the host's files in.
 *
 * The tree may be hostile (a container's files, changing while they are
 * read).  Nothing is ever looked up by a path string: each entry is opened
 * O_PATH | O_NOFOLLOW relative to its parent's descriptor, and only what
 * that descriptor is gets archived.  Symlinks are archived as links (their
 * targets are data, never followed); directories are walked; regular files
 * are read through a reopening of the very inode held (so a file swapped
 * for a FIFO or a device after it was looked at is never opened); FIFOs
 * and device nodes become entries without being opened; sockets are
 * skipped.  A file that changes size while read is cut or padded to the
 * size its header says.  libarchive is opened on first use (util/dl.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct pd_tar_writer;

struct pd_tar_write_opts {
	/* Where the stream goes: `fd` (not closed), or, when `write` is
	 * set, write(data, buf, len) called with every block, which returns
	 * len or -1 (the archive then fails). */
	int fd;
	ssize_t (*write)(void *data, const void *buf, size_t len);
	void *data;
	/* Directories deeper than this fail the walk; 0: 256. */
	unsigned max_depth;
	/* The tree is an overlay upper directory: whiteouts (a 0:0 character
	 * device, or an empty file with the xattr trusted.overlay.whiteout
	 * or user.overlay.whiteout) become empty ".wh.NAME" files, and an
	 * opaque directory (trusted.overlay.opaque or user.overlay.opaque
	 * "y") gets a ".wh..wh..opq" file first in it. */
	bool upper;
	/* Entry names ("etc/hosts") left out.  NULL-terminated; may be
	 * NULL; borrowed until the writer is closed. */
	const char *const *skip;
	/* Owners as a rootless container sees them: host `uid` is 0 and
	 * [sub_uid, sub_uid+count) is 1..count (the same for gids), any
	 * other id 65534.  All zero: owners as they are. */
	uid_t uid, sub_uid;
	unsigned long sub_uid_count;
	gid_t gid, sub_gid;
	unsigned long sub_gid_count;
};

/* A writer of a tar stream as `o` says (copied; NULL on failure). */
struct pd_tar_writer *pd_tar_writer_new_opts(const struct pd_tar_write_opts *o, struct pd_err **err);

/* A writer of a tar stream to `fd` (not closed), with default options.
 * NULL on failure. */
struct pd_tar_writer *pd_tar_writer_new(int fd, struct pd_err **err);

/* Archive the file held by `fd` (an O_PATH | O_NOFOLLOW descriptor: the
 * file itself, a symlink not followed) under the name `name`, and when it
 * is a directory everything below it.  With `contents`, `fd` must be a
 * directory and only what it holds is archived, named from the top of the
 * archive.  Fails on the first entry that cannot be read (naming it), on a
 * tree deeper than the depth limit (256 directories unless the options
 * say otherwise), and on a write error. */
int pd_tar_writer_add(struct pd_tar_writer *w, int fd, const char *name, bool contents, struct pd_err **err);

/* From now on, a directory on another file system than the first entry
 * added (a mount point: /proc, a volume) is archived without what it
 * holds, as `export` of a running container's root wants. */
void pd_tar_writer_one_fs(struct pd_tar_writer *w);

/* Bytes of file data archived so far. */
uint64_t pd_tar_writer_bytes(const struct pd_tar_writer *w);

/* Finish the stream (its end-of-archive blocks) and free the writer; -1
 * when the end could not be written.  The writer is freed either way;
 * NULL is accepted. */
int pd_tar_writer_close(struct pd_tar_writer *w, struct pd_err **err);
