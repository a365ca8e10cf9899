/* Mounts of a container, all made inside its own mount namespace by its
 * init before pivot_root, so nothing is ever mounted on the host and nothing
 * needs unmounting there: the mounts end with the namespace.
 *
 * The user's mounts and devices are typed here (parsed and checked by the
 * CLI, see core/config.h): this module only carries them out. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* The propagation of a bind (--mount bind-propagation=); the default is
 * Docker's rprivate. */
enum pd_propagation {
	PD_PROP_DEFAULT = 0,
	PD_PROP_PRIVATE,
	PD_PROP_RPRIVATE,
	PD_PROP_SHARED,
	PD_PROP_RSHARED,
	PD_PROP_SLAVE,
	PD_PROP_RSLAVE,
};

/* A bind mount of a host path (-v HOST:CONTAINER[:ro|rw]), or of a named
 * volume (-v NAME:CONTAINER): then `name` is set and `src` holds the name
 * until the runtime prepares the volume before a start (core/volumes.h),
 * which sets it to the volume's data directory; this module never mounts
 * a volume that was not prepared. */
struct pd_volume {
	char *src;  /* absolute host path, free of symlinks when checked */
	char *dest; /* absolute path inside the container, no "..", not '/' */
	bool readonly;
	bool nosuid, noexec; /* as an OCI document may ask (a volume is neither by default) */
	char *name;	     /* the named volume; NULL for a host path or an anonymous volume */
	bool anonymous;	     /* a volume made for this container (image Volumes, --mount without source) */
	bool nocopy;	     /* a new volume is not seeded from the image (volume-nocopy, :nocopy) */
	bool prepared;	     /* src is the volume's data directory (set at start, never stored) */
	bool create;	     /* -v's host path is missing: `run` makes it (Docker's -v; never --mount) */
	char **opts;	     /* --mount volume-opt KEY=VALUE: a new volume's options (NULL: none) */
	enum pd_propagation propagation;
};

/* A new tmpfs: --tmpfs PATH[:size=SIZE,mode=MODE,exec].  Always nosuid and
 * nodev (see mount.c's top). */
struct pd_tmpfs {
	char *dest;	   /* absolute path inside the container, no ".." */
	uint64_t size;	   /* size= in bytes; 0: not given */
	unsigned size_pct; /* size=N%: N percent of the RAM instead; 0: not given.
			    * Neither given: the kernel's default, half the RAM. */
	unsigned mode;	   /* permission bits of its root (mode=, octal); 01777 by default */
	bool exec;	   /* "exec": programs may run from it; noexec otherwise */
};

enum pd_mount_type {
	PD_MOUNT_BIND = 0,
	PD_MOUNT_TMPFS,
};

/* One of the user's mounts; a container's mounts are a list, made in order. */
struct pd_mount {
	enum pd_mount_type type;
	union {
		struct pd_volume bind; /* PD_MOUNT_BIND */
		struct pd_tmpfs tmpfs; /* PD_MOUNT_TMPFS */
	};
};

/* A host device node given to the container: --device HOST[:CONTAINER[:PERMS]]. */
struct pd_device {
	char *host;    /* the host's node (a character or block device when checked) */
	char *dest;    /* absolute path inside the container, no ".." */
	char perms[4]; /* what the container may do with it, a subset of "rwm" (read,
			* write, mknod); recorded, not enforced: there is no device
			* cgroup, and the node is a bind of the host's */
};

/* Make every mount in this namespace private, so nothing propagates back. */
int mnt_make_private(struct pd_err **err);
/* Mount an overlay at `merged` with one or more lower dirs (lowers[0] is the
 * top), and `upper`/`work`.  `userns` adds the userxattr option. */
int mnt_overlay(char *const *lowers, const char *upper, const char *work, const char *merged, bool userns,
		struct pd_err **err);
/* The OCI face's root: the bundle's rootfs `path` bound (recursively) onto
 * itself, nodev, so that it is a mount point pivot_root can use; writes go
 * to the directory the caller gave, as the runtime spec says. */
int mnt_bind_root(const char *path, struct pd_err **err);
/* Fresh procfs at /proc, with Docker's masked and read-only paths. */
int mnt_proc(int rootfd, int devfd, bool privileged, struct pd_err **err);
/* Whether an unprivileged container's `path` ("/proc/kcore") is one the
 * runtime always masks (hides), or makes read-only (or masks). */
bool mnt_is_masked(const char *path);
bool mnt_is_readonly(const char *path);
/* More paths an OCI document masks (a directory: an empty read-only
 * tmpfs over it; anything else: /dev/null) and makes read-only (a
 * recursive read-only bind of itself), each resolved inside the root; a
 * path that does not exist is skipped. */
int mnt_mask_paths(int rootfd, int devfd, char *const *masked, char *const *readonly, struct pd_err **err);
/* Read-only sysfs at /sys (a recursive read-only bind of the host's /sys
 * when the kernel refuses a new instance), with its masked paths. */
int mnt_sys(int rootfd, int devfd, bool privileged, struct pd_err **err);
/* Minimal /dev on tmpfs: device nodes (bound from the host when `userns`,
 * where mknod is not allowed), devpts, shm (a tmpfs of `shm_size` bytes, 0:
 * 64 MiB) and the usual symlinks; privileged, the host's /dev (with a
 * /dev/shm of its own when `shm_size` is given).  Returns an fd of the new
 * /dev for later steps. */
int mnt_dev(int rootfd, bool userns, bool map_tty_gid, bool privileged, uint64_t shm_size,
	    struct pd_err **err);
/* --ipc container:X (Docker's): X's /dev/shm, the tmpfs its processes
 * share POSIX shared memory through, also at this container's /dev/shm
 * (in place of the one mnt_dev made; `devfd` is that /dev).  `peer_pidfd` is a
 * pidfd of X's init; the caller holds CAP_SYS_ADMIN over X's mount
 * namespace (real root) and has not pivoted yet. */
int mnt_shm_from(int devfd, int peer_pidfd, struct pd_err **err);
/* One of the user's mounts (a bind or a tmpfs), at its destination resolved
 * inside the root. */
int mnt_mount(int rootfd, const struct pd_mount *m, struct pd_err **err);
/* Bind a host path to a destination resolved inside the root. */
int mnt_volume(int rootfd, const struct pd_volume *v, struct pd_err **err);
/* A new tmpfs: nosuid, nodev, and noexec unless t->exec. */
int mnt_tmpfs(int rootfd, const struct pd_tmpfs *t, struct pd_err **err);
/* Bind the host's node d->host at d->dest (usable despite nodev). */
int mnt_device(int rootfd, const struct pd_device *d, struct pd_err **err);
/* --read-only: the root mount itself becomes read-only. */
int mnt_readonly_root(int rootfd, struct pd_err **err);
/* pivot_root into `rootfd`'s directory and detach the old root. */
int mnt_pivot(int rootfd, struct pd_err **err);
