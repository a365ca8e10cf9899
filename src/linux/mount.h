/* Mounts of a container, all made inside its own mount namespace by its
 * init before pivot_root, so nothing is ever mounted on the host and nothing
 * needs unmounting there: the mounts end with the namespace. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

struct pd_volume;

/* Make every mount in this namespace private, so nothing propagates back. */
int mnt_make_private(struct pd_err **err);
/* Mount an overlay at `merged` with one or more lower dirs (lowers[0] is the
 * top), and `upper`/`work`.  `userns` adds the userxattr option. */
int mnt_overlay(char *const *lowers, const char *upper, const char *work, const char *merged, bool userns,
		struct pd_err **err);
/* Fresh procfs at /proc, with Docker's masked and read-only paths. */
int mnt_proc(int rootfd, int devfd, bool privileged, struct pd_err **err);
/* Read-only sysfs at /sys (a recursive read-only bind of the host's /sys
 * when the kernel refuses a new instance), with its masked paths. */
int mnt_sys(int rootfd, int devfd, bool privileged, struct pd_err **err);
/* Minimal /dev on tmpfs: device nodes (bound from the host when `userns`,
 * where mknod is not allowed), devpts, shm and the usual symlinks.  Returns
 * an fd of the new /dev for later steps. */
int mnt_dev(int rootfd, bool userns, bool map_tty_gid, bool privileged, struct pd_err **err);
/* --tmpfs PATH[:size=SIZE,mode=MODE,exec]: nosuid, nodev, noexec by default. */
int mnt_tmpfs(int rootfd, const char *spec, struct pd_err **err);
/* --device HOST:CONTAINER: bind the host's node at CONTAINER. */
int mnt_device(int rootfd, const char *spec, struct pd_err **err);
/* --read-only: the root mount itself becomes read-only. */
int mnt_readonly_root(int rootfd, struct pd_err **err);
/* Bind a host path to a destination resolved inside the root. */
int mnt_volume(int rootfd, const struct pd_volume *v, struct pd_err **err);
/* pivot_root into `rootfd`'s directory and detach the old root. */
int mnt_pivot(int rootfd, struct pd_err **err);
