/* Container mounts (see mount.h).  Runs in the container's init, between
 * clone and execve, holding CAP_SYS_ADMIN over its own mount namespace (real
 * root, or root of the container's user namespace).
 *
 * Ordering: private propagation, overlay, then /proc, /sys and /dev, then the
 * user's volumes (so a volume may cover a default mount), then pivot_root.
 * Every new mount is made with the mount API (fsopen/fsmount, open_tree) and
 * attached with move_mount() onto an O_PATH fd that was resolved inside the
 * root (linux/rootfs.h): a symlink planted in the image at /proc, /dev or a
 * volume target cannot redirect the mount to the host.
 *
 * Device nodes: the container's root holds CAP_MKNOD (Docker's default set)
 * and there is no device cgroup policy, so every filesystem it can write to
 * (the overlay, the /dev tmpfs, volumes, --tmpfs) is mounted nodev, and the
 * nodes in /dev are bind mounts of the host's, each its own mount where
 * nodev does not apply.  A node the container makes with mknod can never be
 * opened: raw disks stay out of reach. */
#include "linux/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int mnt_make_private(struct pd_err **err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pd_fail(err, errno, "make mounts private");
	return 0;
}

/* Overlay options are comma- and colon-separated; escape both. */
static void opt_append_escaped(char **buf, size_t *len, const char *s)
{
	for (; *s; s++) {
		*buf = xrealloc(*buf, *len + 3);
		if (*s == ',' || *s == ':' || *s == '\\')
			(*buf)[(*len)++] = '\\';
		(*buf)[(*len)++] = *s;
		(*buf)[*len] = '\0';
	}
}

static void opt_append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

int mnt_overlay(char *const *lowers, const char *upper, const char *work, const char *merged, bool userns,
		struct pd_err **err)
{
	_cleanup_free_ char *opts = NULL;
	size_t len = 0;
	opt_append(&opts, &len, "lowerdir=");
	for (size_t i = 0; lowers[i]; i++) {
		if (i)
			opt_append(&opts, &len, ":");
		opt_append_escaped(&opts, &len, lowers[i]);
	}
	opt_append(&opts, &len, ",upperdir=");
	opt_append_escaped(&opts, &len, upper);
	opt_append(&opts, &len, ",workdir=");
	opt_append_escaped(&opts, &len, work);
	/* In a user namespace overlayfs cannot write trusted.* xattrs; it
	 * keeps its whiteouts and opaque markers in user.* instead. */
	if (userns)
		opt_append(&opts, &len, ",userxattr");
	if (len >= 4096)
		return pd_fail(err, E2BIG, "overlay options for '%s' exceed a page", merged);
	if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
		return pd_fail(err, errno, "mount overlay at '%s'", merged);
	return 0;
}

/* A detached mount of a new filesystem instance, or -1. */
static int fs_new(const char *fstype, const char *const *opts, unsigned attrs, struct pd_err **err)
{
	_cleanup_close_ int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return pd_fail(err, errno, "open %s filesystem", fstype);
	for (size_t i = 0; opts && opts[i]; i += 2)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0) < 0)
			return pd_fail(err, errno, "set %s option %s=%s", fstype, opts[i], opts[i + 1]);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return pd_fail(err, errno, "create %s filesystem", fstype);
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return pd_fail(err, errno, "mount %s filesystem", fstype);
	return mfd;
}

/* Attach a detached mount onto an O_PATH target fd. */
static int attach(int mfd, int targetfd, const char *what, struct pd_err **err)
{
	if (move_mount(mfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach mount at '%s'", what);
	return 0;
}

static int set_readonly(int treefd, bool recursive, const char *what, struct pd_err **err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
	if (mount_setattr(treefd, "", flags, &attr, sizeof(attr)) < 0)
		return pd_fail(err, errno, "make '%s' read-only", what);
	return 0;
}

/* Paths hidden from the container, as Docker hides them: files are covered
 * with /dev/null, directories with an empty read-only tmpfs.  Each reveals
 * host kernel state (keys, timers, firmware) or offers host-wide knobs. */
static const char *const masked_proc[] = {
	"acpi",	       "asound", "interrupts", "kcore",	      "keys", "latency_stats",
	"sched_debug", "scsi",	 "timer_list", "timer_stats", NULL,
};
static const char *const readonly_proc[] = { "bus", "fs", "irq", "sys", "sysrq-trigger", NULL };
static const char *const masked_sys[] = { "firmware", "devices/virtual/powercap", NULL };

static bool in_list(const char *const *list, const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0)
		return false;
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(path + n, list[i]))
			return true;
	return false;
}

bool mnt_is_masked(const char *path)
{
	return in_list(masked_proc, "/proc/", path) || in_list(masked_sys, "/sys/", path);
}

bool mnt_is_readonly(const char *path)
{
	return mnt_is_masked(path) || in_list(readonly_proc, "/proc/", path);
}

static int mask_one(int basefd, const char *rel, int devfd, const char *what, struct pd_err **err)
{
	_cleanup_close_ int tfd = rootfs_try_open(basefd, rel, O_PATH | O_NOFOLLOW, 0);
	if (tfd == -ENOENT)
		return 0;
	if (tfd < 0)
		return pd_fail(err, -tfd, "open '%s/%s'", what, rel);
	struct stat st;
	if (fstat(tfd, &st) < 0)
		return pd_fail(err, errno, "stat '%s/%s'", what, rel);
	_cleanup_close_ int mfd = -1;
	if (S_ISDIR(st.st_mode)) {
		static const char *const opts[] = { "size", "0", "mode", "0555", NULL };
		mfd =
		    fs_new("tmpfs", opts,
			   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	} else {
		mfd = open_tree(devfd, "null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mfd < 0)
			return pd_fail(err, errno, "clone /dev/null to mask '%s/%s'", what, rel);
	}
	if (mfd < 0)
		return -1;
	return attach(mfd, tfd, rel, err);
}

static int readonly_one(int basefd, const char *rel, const char *what, struct pd_err **err)
{
	_cleanup_close_ int tfd = rootfs_try_open(basefd, rel, O_PATH | O_NOFOLLOW, 0);
	if (tfd == -ENOENT)
		return 0;
	if (tfd < 0)
		return pd_fail(err, -tfd, "open '%s/%s'", what, rel);
	_cleanup_close_ int tree =
	    open_tree(tfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return pd_fail(err, errno, "clone '%s/%s'", what, rel);
	if (set_readonly(tree, true, rel, err) < 0)
		return -1;
	return attach(tree, tfd, rel, err);
}

int mnt_mask_paths(int rootfd, int devfd, char *const *masked, char *const *readonly, struct pd_err **err)
{
	for (size_t i = 0; masked && masked[i]; i++)
		if (mask_one(rootfd, masked[i] + (masked[i][0] == '/'), devfd, "", err) < 0)
			return -1;
	for (size_t i = 0; readonly && readonly[i]; i++)
		if (readonly_one(rootfd, readonly[i] + (readonly[i][0] == '/'), "", err) < 0)
			return -1;
	return 0;
}

int mnt_proc(int rootfd, int devfd, bool privileged, struct pd_err **err)
{
	_cleanup_close_ int target = rootfs_mkdir_p(rootfd, "proc", 0555, err);
	if (target < 0)
		return -1;
	_cleanup_close_ int mfd =
	    fs_new("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (mfd < 0 || attach(mfd, target, "/proc", err) < 0)
		return -1;
	if (privileged)
		return 0; /* --privileged: nothing masked, as in Docker */
	for (size_t i = 0; masked_proc[i]; i++)
		if (mask_one(mfd, masked_proc[i], devfd, "/proc", err) < 0)
			return -1;
	for (size_t i = 0; readonly_proc[i]; i++)
		if (readonly_one(mfd, readonly_proc[i], "/proc", err) < 0)
			return -1;
	return 0;
}

int mnt_sys(int rootfd, int devfd, bool privileged, struct pd_err **err)
{
	_cleanup_close_ int target = rootfs_mkdir_p(rootfd, "sys", 0555, err);
	if (target < 0)
		return -1;
	unsigned attrs =
	    (privileged ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_err_ struct pd_err *e = NULL;
	_cleanup_close_ int mfd = fs_new("sysfs", NULL, attrs, &e);
	if (mfd < 0) {
		/* A new sysfs needs a network namespace owned by our user
		 * namespace; where the kernel still refuses, a read-only
		 * recursive bind of the host's /sys shows the same tree. */
		mfd = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (mfd < 0)
			return pd_fail(err, errno, "mount /sys");
		if (!privileged && set_readonly(mfd, true, "/sys", err) < 0)
			return -1;
	}
	if (attach(mfd, target, "/sys", err) < 0)
		return -1;
	if (privileged)
		return 0;
	for (size_t i = 0; masked_sys[i]; i++)
		if (mask_one(mfd, masked_sys[i], devfd, "/sys", err) < 0)
			return -1;
	return 0;
}

static const struct {
	const char *name;
} dev_nodes[] = {
	{ "null" }, { "zero" }, { "full" }, { "random" }, { "urandom" }, { "tty" },
};

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },	 { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },	 { "core", "/proc/kcore" },
};

/* A device node of the host's, bound onto an empty file in the new /dev
 * (mknod would need the tmpfs to allow device nodes, see the top). */
static int dev_node(int devfd, const char *name, struct pd_err **err)
{
	_cleanup_close_ int f =
	    openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (f < 0)
		return pd_fail(err, errno, "create /dev/%s", name);
	_cleanup_free_ char *host = xasprintf("/dev/%s", name);
	_cleanup_close_ int tree = open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return pd_fail(err, errno, "clone host '%s'", host);
	/* Read-only: the node is the host's own inode, so a chmod, chown or
	 * touch through it (the container's root may, with CAP_FOWNER) would
	 * change the host's /dev/null.  Reading and writing the device itself
	 * is not a change to the filesystem and still works. */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY };
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return pd_fail(err, errno, "set flags of /dev/%s", name);
	if (move_mount(tree, "", devfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "bind /dev/%s", name);
	return 0;
}

/* --privileged: the host's /dev, recursively, as Docker gives it. */
static int dev_privileged(int target, struct pd_err **err)
{
	int tree = open_tree(AT_FDCWD, "/dev", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return pd_fail(err, errno, "clone the host's /dev");
	if (attach(tree, target, "/dev", err) < 0) {
		close(tree);
		return -1;
	}
	return tree;
}

/* /dev/shm: a tmpfs of its own, `size` bytes (0: Docker's 64 MiB). */
static int mount_shm(int devfd, uint64_t size, struct pd_err **err)
{
	char size_text[32];
	snprintf(size_text, sizeof(size_text), "%llu", (unsigned long long)(size ? size : 64ULL << 20));
	const char *const shm_opts[] = { "mode", "1777", "size", size_text, NULL };
	_cleanup_close_ int shmfd =
	    fs_new("tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (shmfd < 0 || move_mount(shmfd, "", devfd, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return shmfd < 0 ? -1 : pd_fail(err, errno, "attach /dev/shm");
	return 0;
}

int mnt_shm_from(int devfd, int peer_pidfd, struct pd_err **err)
{
	_cleanup_close_ int selffd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (selffd < 0)
		return pd_fail(err, errno, "open our mount namespace");
	/* open_tree clones only a mount of the caller's own namespace: the
	 * clone is made in the peer's and carried back as a detached tree.
	 * Path resolution there starts at the peer's root (setns moves root
	 * and cwd to it), so "/dev/shm" is the peer's own, never the host's;
	 * a symlink there is not followed. */
	if (setns(peer_pidfd, CLONE_NEWNS) < 0)
		return pd_fail(err, errno, "enter the IPC container's mount namespace");
	_cleanup_close_ int tree =
	    open_tree(AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	int saved = errno;
	/* Back to ours (root and cwd become its root again, where they were:
	 * this runs before pivot_root).  Failing that, the caller dies. */
	if (setns(selffd, CLONE_NEWNS) < 0)
		return pd_fail(err, errno, "return to the container's mount namespace");
	if (tree < 0)
		return pd_fail(err, saved, "clone the IPC container's /dev/shm");
	struct statfs sfs;
	if (fstatfs(tree, &sfs) < 0)
		return pd_fail(err, errno, "stat the IPC container's /dev/shm");
	if (sfs.f_type != TMPFS_MAGIC)
		return pd_fail(err, EINVAL, "the IPC container's /dev/shm is not a tmpfs");
	/* In place of ours, not over it: one /dev/shm in the mount table,
	 * as Docker's joiner has. */
	char own[64];
	snprintf(own, sizeof(own), "/proc/self/fd/%d/shm", devfd);
	if (umount2(own, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return pd_fail(err, errno, "unmount the container's own /dev/shm");
	if (move_mount(tree, "", devfd, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach the IPC container's /dev/shm");
	return 0;
}

int mnt_dev(int rootfd, bool userns, bool map_tty_gid, bool privileged, uint64_t shm_size,
	    struct pd_err **err)
{
	_cleanup_close_ int target = rootfs_mkdir_p(rootfd, "dev", 0755, err);
	if (target < 0)
		return -1;
	if (privileged && !shm_size)
		return dev_privileged(target, err);
	if (privileged) {
		/* The host's nodes, and a /dev/shm of the asked size over
		 * the host's (which would be shared with it otherwise). */
		_cleanup_close_ int tree = dev_privileged(target, err);
		if (tree < 0 || mount_shm(tree, shm_size, err) < 0)
			return -1;
		return take_fd(&tree);
	}
	static const char *const dev_opts[] = { "mode", "0755", "size", "65536k", NULL };
	_cleanup_close_ int devfd =
	    fs_new("tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV, err);
	if (devfd < 0 || attach(devfd, target, "/dev", err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		if (dev_node(devfd, dev_nodes[i].name, err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0)
			return pd_fail(err, errno, "create /dev/%s", dev_links[i].name);

	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0)
		return pd_fail(err, errno, "create /dev/pts and /dev/shm");
	/* gid 5 is "tty" in every common image; it exists in the container
	 * only when the id map covers it. */
	static const char *const pts_opts[] = { "ptmxmode", "0666", "mode", "0620", "gid", "5", NULL };
	static const char *const pts_opts_nogid[] = { "ptmxmode", "0666", "mode", "0620", NULL };
	_cleanup_close_ int ptsfd = fs_new("devpts", map_tty_gid ? pts_opts : pts_opts_nogid,
					   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (ptsfd < 0 || move_mount(ptsfd, "", devfd, "pts", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ptsfd < 0 ? -1 : pd_fail(err, errno, "attach /dev/pts");
	if (mount_shm(devfd, shm_size, err) < 0)
		return -1;
	return take_fd(&devfd);
}

int mnt_bind_root(const char *path, struct pd_err **err)
{
	_cleanup_close_ int tree =
	    open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return pd_fail(err, errno, "open rootfs '%s'", path);
	/* nodev: a node the container makes in its root must not open a
	 * host device (see the top). */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return pd_fail(err, errno, "set flags of rootfs '%s'", path);
	_cleanup_close_ int target = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (target < 0)
		return pd_fail(err, errno, "open rootfs '%s'", path);
	return attach(tree, target, path, err);
}

/* A clone of a shared host mount is a peer of it (the kernel puts a copy
 * in its source's peer group): mounts made on either side would propagate
 * to the other.  Docker's default, rprivate, cuts that; the others are
 * asked for with --mount bind-propagation=. */
static int set_propagation(int treefd, enum pd_propagation p, const char *what, struct pd_err **err)
{
	static const struct {
		uint64_t type;
		bool recursive;
	} kinds[] = {
		[PD_PROP_DEFAULT] = { MS_PRIVATE, true },  [PD_PROP_PRIVATE] = { MS_PRIVATE, false },
		[PD_PROP_RPRIVATE] = { MS_PRIVATE, true }, [PD_PROP_SHARED] = { MS_SHARED, false },
		[PD_PROP_RSHARED] = { MS_SHARED, true },   [PD_PROP_SLAVE] = { MS_SLAVE, false },
		[PD_PROP_RSLAVE] = { MS_SLAVE, true },
	};
	if ((size_t)p >= ARRAY_SIZE(kinds))
		return pd_fail(err, EINVAL, "unknown propagation %d of '%s'", (int)p, what);
	struct mount_attr attr = { .propagation = kinds[p].type };
	unsigned flags = AT_EMPTY_PATH | (kinds[p].recursive ? AT_RECURSIVE : 0);
	if (mount_setattr(treefd, "", flags, &attr, sizeof(attr)) < 0)
		return pd_fail(err, errno, "set the propagation of volume '%s'", what);
	return 0;
}

int mnt_volume(int rootfd, const struct pd_volume *v, struct pd_err **err)
{
	/* v->src is the real path the CLI checked (pd_volume_parse,
	 * pd_volumes_check_state_root): it holds no symlink.  One found in it
	 * now means the path changed since (a directory swapped for a link,
	 * perhaps by another container writing through its own volume, or
	 * before a restart), and following it could bind what was refused,
	 * such as the state root: refuse instead. */
	if (v->name && !v->prepared)
		return pd_fail(err, EINVAL, "volume '%s' at '%s' was not prepared", v->name, v->dest);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	_cleanup_close_ int srcfd = (int)syscall(SYS_openat2, AT_FDCWD, v->src, &how, sizeof(how));
	if (srcfd < 0 && errno == ELOOP)
		return pd_fail(
		    err, ELOOP,
		    "volume source '%s' changed since it was checked: its path now holds a symlink", v->src);
	if (srcfd < 0)
		return pd_fail(err, errno, "open volume source '%s'", v->src);
	_cleanup_close_ int tree =
	    open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		return pd_fail(err, errno, "open volume source '%s'", v->src);
	struct stat st;
	if (fstat(tree, &st) < 0)
		return pd_fail(err, errno, "stat volume source '%s'", v->src);
	_cleanup_close_ int target = S_ISDIR(st.st_mode) ? rootfs_mkdir_p(rootfd, v->dest, 0755, err)
							 : rootfs_mkfile(rootfd, v->dest, err);
	if (target < 0)
		return -1;
	/* nodev: a node the container makes in a volume must not open a host
	 * device (see the top); ro as asked. */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV | (v->readonly ? MOUNT_ATTR_RDONLY : 0) |
					       (v->nosuid ? MOUNT_ATTR_NOSUID : 0) |
					       (v->noexec ? MOUNT_ATTR_NOEXEC : 0) };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return pd_fail(err, errno, "set flags of volume '%s'", v->dest);
	if (set_propagation(tree, v->propagation, v->dest, err) < 0)
		return -1;
	return attach(tree, target, v->dest, err);
}

int mnt_tmpfs(int rootfd, const struct pd_tmpfs *t, struct pd_err **err)
{
	char mode[16], size[32];
	snprintf(mode, sizeof(mode), "%o", t->mode);
	if (t->size_pct)
		snprintf(size, sizeof(size), "%u%%", t->size_pct);
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)t->size);
	const char *kv[] = { "mode", mode, t->size || t->size_pct ? "size" : NULL, size, NULL };
	unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (t->exec ? 0 : MOUNT_ATTR_NOEXEC);
	_cleanup_close_ int target = rootfs_mkdir_p(rootfd, t->dest, 01777, err);
	if (target < 0)
		return -1;
	_cleanup_close_ int mfd = fs_new("tmpfs", kv, attrs, err);
	if (mfd < 0)
		return -1;
	return attach(mfd, target, t->dest, err);
}

int mnt_mount(int rootfd, const struct pd_mount *m, struct pd_err **err)
{
	switch (m->type) {
	case PD_MOUNT_BIND: return mnt_volume(rootfd, &m->bind, err);
	case PD_MOUNT_TMPFS: return mnt_tmpfs(rootfd, &m->tmpfs, err);
	}
	return pd_fail(err, EINVAL, "unknown mount type %d", (int)m->type);
}

int mnt_device(int rootfd, const struct pd_device *d, struct pd_err **err)
{
	_cleanup_close_ int tree = open_tree(AT_FDCWD, d->host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return pd_fail(err, errno, "open device '%s'", d->host);
	/* The CLI checked it was a device node; a path swapped since (for a
	 * symlink to a file such as the state database) must not be bound
	 * writable into the container. */
	struct stat st;
	if (fstat(tree, &st) < 0)
		return pd_fail(err, errno, "stat device '%s'", d->host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return pd_fail(err, ENODEV, "'%s' is no longer a device", d->host);
	_cleanup_close_ int target = rootfs_mkfile(rootfd, d->dest, err);
	if (target < 0)
		return -1;
	return attach(tree, target, d->dest, err);
}

int mnt_readonly_root(int rootfd, struct pd_err **err)
{
	/* Only the overlay's own mount: /dev, /proc, tmpfs and volumes under
	 * it keep their flags, as with Docker's --read-only. */
	return set_readonly(rootfd, false, "/", err);
}

int mnt_pivot(int rootfd, struct pd_err **err)
{
	if (fchdir(rootfd) < 0)
		return pd_fail(err, errno, "enter rootfs");
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then drops it, and with it every host path. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return pd_fail(err, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return pd_fail(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return pd_fail(err, errno, "chdir to the new root");
	return 0;
}
