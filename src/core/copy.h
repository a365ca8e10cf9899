/* `cp` and `diff`: a container's files, running or exited.  Each call
 * opens the state store, finds the container by id, id prefix or name
 * (no such container: PD_ERR_USAGE), corrects its record and closes the
 * store before touching any file. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One line of `diff`: kind 'A' (added), 'C' (changed) or 'D' (deleted)
 * and the absolute path inside the container. */
struct pd_change {
	char kind;
	char *path;
};

/* The changes of container `ref`'s writable layer against its image (or
 * rootfs), as Docker reports them: a whiteout is 'D'; an opaque directory
 * is 'C' and what the layers below held in it 'D'; an entry the layers
 * below hold too is 'C', except a directory whose mode, size and mtime
 * are unchanged (shown only as the parent of an added or deleted entry);
 * anything else 'A'.  The files the runtime writes for every container
 * (/etc/hostname, /etc/hosts, /etc/resolv.conf) are left out, as Docker's
 * bind mounts of them are.  In path order, a directory before what it
 * holds.  A caller who is not root walks the layers from a child inside
 * a user namespace with its map (as cp does), where it is root over its
 * subordinate ids: what a rootless container gave to one is readable.
 * *out is a new array (NULL when *n is 0); free with pd_changes_free. */
int pd_container_diff(const char *root, const char *ref, struct pd_change **out, size_t *n,
		      struct pd_err **err);
void pd_changes_free(struct pd_change *v, size_t n);

struct pd_copy_opts {
	const char *ref;	    /* the container */
	const char *container_path; /* absolute or relative to its "/" */
	const char *host_path;	    /* "-": a tar stream on stdin (in) or stdout (out) */
	bool to_container;	    /* host_path -> container_path; else the reverse */
	bool archive;		    /* -a: keep the files' uid/gid */
	bool follow;		    /* -L: follow a symlink given as the source */
	int stream_fd;		    /* host_path "-" out: the stream goes here (0: stdout) */
	bool one_fs;		    /* out: a directory on another mount is archived empty */
};

/* Copy as `docker cp` does (its rules for a trailing "/" and "/.", a file
 * onto a directory, a directory to a new name), through a tar stream
 * between the host side (this process, with the caller's privileges) and
 * the container side (a child that sees the container's root: the
 * running container's /proc/PID/root, or the exited one's overlay
 * mounted in a private mount namespace that ends with the child).  Every
 * path inside the container is resolved inside its root (openat2
 * RESOLVE_IN_ROOT), and what is written there goes through the safe
 * extractor (image/archive.h), so neither a symlink the container planted
 * nor a hostile tar on stdin can make a read or write land on the host.
 * Files copied in belong to the container's root unless `archive`; files
 * copied out to the caller unless `archive` (as root).  *bytes (may be
 * NULL) is the file data copied.  A source that does not exist is a
 * runtime error ("could not find the file ... in container ..."). */
int pd_container_copy(const char *root, const struct pd_copy_opts *o, uint64_t *bytes, struct pd_err **err);
