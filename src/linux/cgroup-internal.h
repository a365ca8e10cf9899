/* Back-end interface of the cgroup module: only cgroup.c, cgroup-v1.c,
 * cgroup-v2.c and the unit test include this.  cgroup.c chooses one ops
 * table per process (pd_cg_detect) and keeps the public API thin. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/cgroup.h"
#include "util/error.h"

#define CG_ROOT	      "/sys/fs/cgroup"
#define CG_PARENT     "pocket-docker"	 /* pd_cg_create's groups: <base>/pocket-docker/<ID> */
#define CG_OCI_PARENT "pocket-runc"	 /* the default place of an OCI container's group */
#define CG_PATH_MAX   4096		 /* longest relative group path accepted */
#define CG_RES	      "linux.resources." /* how messages name the limits only OCI configs set */

/* v1 controllers the runtime puts containers in (cpuset, blkio and hugetlb
 * only when a limit needs them). */
enum cg1_ctrl {
	CG1_MEMORY,
	CG1_PIDS,
	CG1_CPU,
	CG1_CPUACCT,
	CG1_CPUSET,
	CG1_FREEZER,
	CG1_BLKIO,
	CG1_HUGETLB,
	CG1_N
};

struct pd_cgroup {
	const struct cg_ops *ops;
	char *rel; /* the group's path below each hierarchy root (v2: below the base) */
	bool rootless;
	char *path;	   /* v2: the group's directory */
	char **dirs;	   /* the group's directory per hierarchy used (NULL-terminated);
			    * v2: one, the same as path */
	unsigned made;	   /* bit i: create made dirs[i] (a failed create removes only these) */
	int ctl[CG1_N];	   /* v1: index into dirs per controller, -1 when not used */
	int oom_fd;	   /* v2 inotify / v1 eventfd, -1 until pd_cg_oom_fd */
	bool oom_fd_tried; /* pd_cg_oom_fd ran (its fd may still be -1) */
	bool oom_seen;	   /* v1 without an oom_kill counter: the eventfd fired */
};

struct cg_ops {
	const char *name;
	/* Resolve paths and make the group (and its missing parents) for
	 * limits `l`; an existing leaf is reused when it holds no process,
	 * refused (EEXIST) otherwise; on failure only what it made is
	 * removed. */
	int (*create)(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err);
	/* Resolve the paths of an existing group; ENOENT when absent. */
	int (*open)(struct pd_cgroup *cg, struct pd_err **err);
	/* Write the set limits of `l` (the one code that does, for create
	 * and update). */
	int (*set_limits)(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err);
	/* Before set_limits on an existing group: make sure the controllers
	 * `l` needs are there (v2 enables them in the parent; v1 checks the
	 * group has a directory in their hierarchies). */
	int (*prepare_update)(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err);
	int (*add_pid)(struct pd_cgroup *cg, pid_t pid, struct pd_err **err);
	int (*stats)(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err);
	int (*usage)(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err);
	int (*oom_fd)(struct pd_cgroup *cg);
	bool (*oom_killed)(struct pd_cgroup *cg);
	/* Freeze or thaw, and wait (bounded) until the kernel reports it. */
	int (*freeze)(struct pd_cgroup *cg, bool frozen, struct pd_err **err);
	/* Whether the group's processes are stopped by the freezer now. */
	int (*is_frozen)(struct pd_cgroup *cg, bool *frozen, struct pd_err **err);
	/* SIGKILL the group and its descendants in one kernel call (v2
	 * cgroup.kill): 1 done, 0 not available (the caller goes pid by
	 * pid), -1 failed. */
	int (*kill_tree)(struct pd_cgroup *cg, struct pd_err **err);
	/* Remove the group's directories (the caller killed the processes). */
	int (*destroy)(struct pd_cgroup *cg, struct pd_err **err);
	/* The read-only /sys/fs/cgroup view inside the container. */
	int (*mount_view)(int targetfd, bool userns, struct pd_err **err);
};

/* v1: start the thread of pd_cg_prime. */
void cg1_prime(void);

extern const struct cg_ops cg2_ops;
extern const struct cg_ops cg1_ops;

/* --- pure parsing (unit-tested) --- */

/* A v1 hierarchy as mounted on the host. */
struct cg1_hier {
	char *mountpoint;  /* "/sys/fs/cgroup/cpu,cpuacct" */
	char *controllers; /* "cpu,cpuacct", "memory", "name=systemd" */
};
/* The cgroup v1 hierarchies in a /proc/self/mountinfo text (first mount of
 * each controller set wins); NULL-terminated array, cg1_hiers_free(). */
struct cg1_hier **cg1_parse_mountinfo(const char *text);
void cg1_hiers_free(struct cg1_hier **h);
/* True when `controllers` ("cpu,cpuacct") names `ctl`. */
bool cg1_hier_has(const struct cg1_hier *h, const char *ctl);
/* The value of `key` in a flat-keyed file ("oom_kill 3\n"); false if absent. */
bool cg_parse_keyed(const char *text, const char *key, uint64_t *out);
/* True when a space-separated list ("cpu memory pids") holds `word`. */
bool cg_list_has(const char *list, const char *word);
/* The v2 path of the "0::" line of a /proc/self/cgroup text, or NULL. */
char *cg2_parse_self(const char *text);
/* Why `key` of linux.resources.unified cannot be written as a file of the
 * group, or NULL when it can: not a plain "<controller>.<name>" (a '/',
 * "..", a leading '.'), or a cgroup.* file other than cgroup.max.depth and
 * cgroup.max.descendants (procs, threads, subtree_control, type, freeze,
 * kill are the runtime's). */
const char *cg_unified_key_problem(const char *key);
/* A hugetlb page size as the kernel's file names spell it: "2MB", "1GB". */
bool cg_hugepage_size_ok(const char *size);
/* A container id usable as one directory name. */
bool cg_is_valid_id(const char *id);
/* Why `rel` cannot be a group path below a hierarchy root, or NULL when it
 * can: empty, absolute, over CG_PATH_MAX bytes, an empty, "." or ".."
 * component, a component over 255 bytes, a control character
 * (cgroup-path.c). */
const char *cg_rel_problem(const char *rel);

/* --- helpers shared by the back ends (cgroup.c) --- */

/* Write a value to <dir>/<file> in one write(2), as cgroupfs wants. */
int cg_write(const char *dir, const char *file, const char *value, struct pd_err **err);
/* Read <dir>/<file>; NULL (with *err) on failure; caller frees. */
char *cg_read(const char *dir, const char *file, struct pd_err **err);
/* Read a file holding one number or "max" (max reads as UINT64_MAX). */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct pd_err **err);
bool cg_file_exists(const char *dir, const char *file);
/* A limit `what` needs <dir>/<file>; a missing one fails (ENOTSUP), saying
 * why (`why`). */
int cg_need_file(const char *dir, const char *file, const char *what, const char *why, struct pd_err **err);
/* mkdir (mode 0755) that treats EEXIST as success: a parent group. */
int cg_mkdir(const char *path, struct pd_err **err);
/* Make a container's group `dir`; *made is true when it is new.  An
 * existing group without processes (in it or below) is taken over (podman
 * sometimes makes it first); one with processes is refused (EEXIST). */
int cg_make_leaf(const char *dir, bool *made, struct pd_err **err);
/* SIGKILL every pid in <dir>/cgroup.procs of each dir (and their
 * descendants when `recursive`), pass after pass, until a pass finds no
 * process it has not signalled yet. */
int cg_kill_loop(char *const *dirs, bool recursive, struct pd_err **err);
/* True when <dir>/cgroup.procs, or that of a group below, lists a process. */
bool cg_has_procs(const char *dir);
/* Wait until `done(dir, want)` holds, polling with a growing pause (from
 * 0.1 ms to 10 ms), for at most `ms` milliseconds; true when it held. */
bool cg_poll(bool (*done)(const char *dir, bool want), const char *dir, bool want, int ms);
/* Undo a create: remove the group directories it made (cg->made), not
 * the ones it took over, nor any parent. */
void cg_undo_create(struct pd_cgroup *cg);
/* Remove a group directory and any child groups, depth first, retrying
 * EBUSY for up to about 2 s (killing again between tries). */
int cg_rmdir_tree(const char *path, struct pd_err **err);
/* The host's total memory (MemTotal), for a group without a limit. */
uint64_t cg_host_memory(void);
/* A detached mount of a new filesystem of `type` with string options
 * (key, value pairs) and flag options; -1 with *err. */
int cg_fs_new(const char *type, const char *const *kv, const char *const *flags, unsigned attrs,
	      struct pd_err **err);
