/* Control groups of containers: limits, membership, stats, OOM detection,
 * freezing, listing and signalling their processes, and removal, on cgroup
 * v2 (unified), v1 and hybrid hosts, and a 'none' mode where no cgroup can
 * be made (rootless without delegation, no cgroupfs).
 *
 * A container's group is <base>/<rel>: base is the root of the hierarchy
 * (of each v1 hierarchy the runtime uses), or, rootless on v2, the caller's
 * delegated cgroup; rel is pocket-docker/<ID> for pocket-docker's own
 * containers (pd_cg_create), or what an OCI bundle's linux.cgroupsPath says
 * (pd_cg_oci_path, then pd_cg_create_at).  The host kind is detected once
 * per process.  Runs in the CLI and the monitor (create, add, stats,
 * freeze, ps, kill, update, destroy, prune) and in the container's init
 * (pd_cg_mount_in_container only). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* One block device's limit (linux.resources.blockIO): a weight, or a
 * throttle in bytes or I/Os per second. */
enum pd_blkio_kind {
	PD_BLKIO_WEIGHT,
	PD_BLKIO_READ_BPS,
	PD_BLKIO_WRITE_BPS,
	PD_BLKIO_READ_IOPS,
	PD_BLKIO_WRITE_IOPS
};
struct pd_blkio_dev {
	enum pd_blkio_kind kind;
	uint32_t major, minor;
	uint64_t value;
};

/* A hugetlb limit: page size as the kernel names it ("2MB", "1GB"). */
struct pd_hugepage_limit {
	char *size;
	uint64_t limit; /* bytes */
};

/* A cgroup v2 interface file and the value written to it (unified). */
struct pd_cg_kv {
	char *key;
	char *value;
};

/* Resource limits; 0 / NULL means "not set" (the kernel default, unlimited).
 * The fields after cpuset_cpus come only from an OCI config
 * (pd_limits_from_oci); where 0 is a value, a has_ flag says it is set.
 * Their strings and arrays belong to the limits: pd_limits_free. */
struct pd_limits {
	uint64_t memory;	/* bytes (--memory) */
	int64_t memory_swap;	/* memory+swap bytes, as Docker's --memory-swap; -1 unlimited */
	uint64_t cpu_quota_us;	/* --cpus N: quota = N * period */
	uint64_t cpu_period_us; /* 100000 when --cpus is given */
	uint64_t cpu_shares;	/* v1 shares (--cpu-shares, 2..262144); v2 gets the equivalent weight */
	uint64_t pids_max;	/* --pids-limit */
	char *cpuset_cpus;	/* --cpuset-cpus, e.g. "0-1,3"; not owned by the cgroup module */

	int64_t memory_reservation; /* bytes, -1 none: v1 soft_limit_in_bytes, v2 memory.low */
	int64_t kernel_tcp;	    /* bytes, -1 unlimited: v1 memory.kmem.tcp.limit_in_bytes */
	bool has_swappiness;	    /* v1 memory.swappiness */
	uint64_t swappiness;	    /* 0..100 */
	bool disable_oom_killer;    /* v1 memory.oom_control */
	char *cpuset_mems;	    /* cpuset.mems, e.g. "0" */
	bool has_cpu_burst;	    /* v1 cpu.cfs_burst_us, v2 cpu.max.burst */
	uint64_t cpu_burst_us;
	bool has_cpu_idle;		 /* cpu.idle (v1 since 5.15, v2) */
	int64_t cpu_idle;		 /* 0 or 1 */
	uint64_t cpu_rt_period_us;	 /* v1 cpu.rt_period_us (CONFIG_RT_GROUP_SCHED) */
	bool has_cpu_rt_runtime;	 /* v1 cpu.rt_runtime_us */
	int64_t cpu_rt_runtime_us;	 /* -1: no bound */
	uint64_t blkio_weight;		 /* 10..1000: v1 blkio.[bfq.]weight, v2 io.[bfq.]weight */
	struct pd_blkio_dev *blkio_devs; /* per-device weights and throttles */
	size_t n_blkio_devs;
	struct pd_hugepage_limit *hugepages; /* hugetlb.<size>.limit_in_bytes / .max */
	size_t n_hugepages;
	struct pd_cg_kv *unified; /* v2 only: written last, as given */
	size_t n_unified;
};

/* Free what `l` owns (cpuset_cpus, cpuset_mems, blkio_devs, hugepages,
 * unified) and reset it to "nothing set". */
void pd_limits_free(struct pd_limits *l);

struct pd_cg_stats {
	uint64_t cpu_usage_ns; /* total CPU time of the group since it was made */
	uint64_t mem_usage;    /* bytes, less inactive file cache (as `docker stats` shows it) */
	uint64_t mem_limit;    /* bytes; the host's total memory when there is no limit */
	uint64_t pids;	       /* tasks in the group */
};

/* What a group used over its life (a run's accounting: judge reports).
 * A has_ flag is false when the host has no such file (no controller, an
 * older kernel). */
struct pd_cg_usage {
	uint64_t cpu_ns;	/* user + system */
	uint64_t cpu_user_ns;	/* v1 cpuacct.usage_user, v2 cpu.stat user_usec */
	uint64_t cpu_system_ns; /* v1 cpuacct.usage_sys, v2 cpu.stat system_usec */
	bool has_mem_peak;
	uint64_t mem_peak; /* bytes: v1 memory.max_usage_in_bytes, v2 memory.peak */
	bool has_pids_peak;
	uint64_t pids_peak; /* pids.peak (v1 and v2, kernel 6.1+) */
};

struct pd_cgroup; /* opaque: back end and paths */

enum pd_cg_mode { PD_CG_V2, PD_CG_V1, PD_CG_NONE };

/* What /sys/fs/cgroup is: cgroup2 (v2), v1 controller hierarchies (v1 and
 * hybrid hosts; the empty cgroup2 at /sys/fs/cgroup/unified of a hybrid host
 * holds no controllers and is not used for limits), or neither.  Detected on
 * the first call, then cached for the life of the process. */
enum pd_cg_mode pd_cg_detect(void);

/* Check a set of limits on its own (memory-swap without memory, memory-swap
 * below memory, a reservation above the limit, a burst above the quota,
 * weights outside 10..1000, a hugepage size or a unified key that cannot
 * name a file of the group), without touching the system: the CLI may call
 * it before anything is made.  pd_cg_create calls it too.  Whether the host
 * can honour a limit (its file exists, v1 or v2) is checked by create and
 * update before the first write, each refusal one line naming the field
 * and why (ENOTSUP). */
int pd_cg_check_limits(const struct pd_limits *l, struct pd_err **err);

/* The group path, relative to each hierarchy's root (no leading '/'), of
 * an OCI container: `cgroups_path` is config.json's linux.cgroupsPath (NULL
 * or "" when absent), `id` the container's id (used only when it is
 * absent).  A new string the caller frees, or NULL with *err.
 *   cgroupfs form   "/libpod_parent/libpod-<ID>" (absolute: from the root)
 *                   -> "libpod_parent/libpod-<ID>"; "a/b" (relative: the
 *                   runtime's own place) -> "pocket-runc/a/b"; absent ->
 *                   "pocket-runc/<id>".
 *   systemd form    when `systemd`, or when the string has exactly two ':'
 *                   and no '/': "slice:prefix:name" -> the slice's path
 *                   (dashes nest: "a-b.slice" is "a.slice/a-b.slice";
 *                   "-.slice" or "-" is the root; empty is system.slice)
 *                   + "/prefix-name.scope", or + "/name" when name ends in
 *                   ".slice"; absent -> "system.slice/pocket-runc-<id>.scope".
 * Refused, as a usage error (PD_ERR_USAGE) of one line naming the path:
 * over 4096 bytes, a ".." or "." component, an empty component ("a//b", a
 * trailing '/'), a control character, the hierarchy root itself ("/"), a
 * malformed systemd form.  Pure: touches nothing. */
char *pd_cg_oci_path(const char *cgroups_path, bool systemd, const char *id, struct pd_err **err);

/* Make the group <base>/<rel> (on v1 in each hierarchy needed, and always
 * in memory, pids, cpu, cpuacct and freezer when mounted, so stats, ps and
 * pause work; cpuset only when `l` sets cpus) and apply `l` (NULL: no
 * limits).  `rel` is relative, checked as pd_cg_oci_path checks (EINVAL,
 * PD_ERR_USAGE).  Missing parents are made (mode 0755) and stay when the
 * group goes (they may be another program's).  An existing group without
 * processes (in it or below) is taken over; one with processes is refused
 * (errnum EEXIST).  A limit that cannot be enforced (its controller
 * missing, rootless without delegation, no swap accounting) fails with a
 * message saying why and what to do.  With no limit set and no way to make
 * a group, returns a group of the 'none' back end, on which membership and
 * removal are no-ops and stats, freeze, pids and signal_all fail (ENOTSUP).
 * On failure nothing it made is left behind (parents aside).  The caller
 * owns the result and ends it with pd_cg_destroy(), or pd_cg_free() to
 * leave the group in place. */
struct pd_cgroup *pd_cg_create_at(const char *rel, const struct pd_limits *l, bool rootless,
				  struct pd_err **err);

/* Re-open the existing group <base>/<rel> (made by pd_cg_create_at in
 * another process: for state, pause, ps, kill, update, delete).  On v1 it
 * holds the hierarchies where the group's directory exists.  Fails with
 * errnum ENOENT when there is none; a bad `rel` as pd_cg_create_at.  The
 * caller owns the result (pd_cg_free, or pd_cg_destroy to remove it). */
struct pd_cgroup *pd_cg_open_at(const char *rel, bool rootless, struct pd_err **err);

/* pd_cg_create_at(<base>/pocket-docker/<id>): pocket-docker's own
 * containers.  `id` must be a plain name ([A-Za-z0-9_.-]; EINVAL). */
struct pd_cgroup *pd_cg_create(const char *id, const struct pd_limits *l, bool rootless, struct pd_err **err);

/* pd_cg_open_at(pocket-docker/<id>): the group of an existing container by
 * id (for `stats` and `rm` from another process); ENOENT when none. */
struct pd_cgroup *pd_cg_open(const char *id, bool rootless, struct pd_err **err);

/* Apply the set limits of `l` (0/NULL fields are left as they are) to an
 * existing group: the checks of pd_cg_check_limits and the writes of
 * pd_cg_create_at, with the same messages.  v2 enables a controller the
 * parent does not pass down yet; v1 fails (ENOTSUP) for a limit whose
 * hierarchy the group was made without (cpuset, when created without
 * cpus).  v1 memory and memory+swap are written in the order the kernel
 * accepts, raising or lowering.  A limit already written stays when a
 * later one fails.  The 'none' back end fails (ENOTSUP) for any limit. */
int pd_cg_update(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err);

/* Freeze (`frozen`) or thaw every process of the group and its descendants,
 * and wait until the kernel reports it done: v1 freezer.state FROZEN /
 * THAWED, v2 cgroup.freeze 1 / 0 and "frozen" in cgroup.events.  A freeze
 * that does not complete within about 2 s (a task in an uninterruptible
 * sleep) is undone and fails with EBUSY.  ENOTSUP without a freezer (no v1
 * freezer hierarchy, a v2 kernel before 5.2, the 'none' back end). */
int pd_cg_freeze(struct pd_cgroup *cg, bool frozen, struct pd_err **err);

/* Whether the group is frozen (a freeze under way counts: some of its
 * processes are stopped).  False without a freezer or a group. */
int pd_cg_is_frozen(struct pd_cgroup *cg, bool *frozen, struct pd_err **err);

/* Every pid in the group and the groups below it (each cgroup.procs; on v1
 * the union over the hierarchies), sorted ascending, no duplicates.  *out
 * is a new array the caller frees (NULL when *n is 0).  A snapshot: a
 * process may exit or fork right after.  ENOTSUP on the 'none' back end. */
int pd_cg_pids(struct pd_cgroup *cg, pid_t **out, size_t *n, struct pd_err **err);

/* Send `sig` to every process of the group and below (`kill --all`).
 * SIGKILL: v2 writes cgroup.kill when the kernel has it (5.14); otherwise
 * the pids are killed pass after pass until none is new.  A frozen group
 * is signalled while frozen and then thawed, so its processes die (v1
 * frozen tasks act on no signal until thawed).  Any other signal: the
 * group is frozen for the pass (no fork escapes it, no pid is reused) and
 * thawed after, unless it was frozen before (it stays frozen: on v1 its
 * processes take the signal when resumed; the v2 freezer lets a fatal one,
 * such as SIGTERM without a handler, through at once); without a freezer
 * one pass.  An empty group is success.
 * EINVAL (PD_ERR_USAGE) for a signal number out of range; ENOTSUP on the
 * 'none' back end. */
int pd_cg_signal_all(struct pd_cgroup *cg, int sig, struct pd_err **err);

/* Take, off the caller's path, the wait that makes the first v1 move
 * slow.  Moving a process takes the cgroup core's thread-group lock for
 * writing, and the first writer after a quiet spell waits for a whole RCU
 * grace period (5 to 16 ms on the project's machines); writers during that
 * wait or within a grace period after it do not.  So a short-lived thread
 * moves itself into <hierarchy>/pocket-docker (the runtime's own parent
 * group) and exits, and the container's move a few ms later finds the
 * lock ready.  Call as early as possible on the way to pd_cg_add_pid.
 * Nothing on v2 (a container is born in its group) or rootless (no v1
 * group is ours to write). */
void pd_cg_prime(bool rootless);

/* Move `pid` (all its threads) into the group, in every hierarchy.  The
 * container's cgroup namespace, if any, must be made after this: its root is
 * fixed at the cgroup the process is in when it unshares. */
int pd_cg_add_pid(struct pd_cgroup *cg, pid_t pid, struct pd_err **err);
/* v2: the group's directory opened for clone3's CLONE_INTO_CGROUP (the
 * caller closes it); -1 on v1 and "none". */
int pd_cg_clone_fd(const struct pd_cgroup *cg);

int pd_cg_stats(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err);

/* The group's accounting since it was made (see struct pd_cg_usage): the
 * CPU time always (ENOTSUP without a cpuacct hierarchy on v1, and on the
 * 'none' back end), the peaks where the host has them. */
int pd_cg_usage(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err);

/* An fd (owned by `cg`, CLOEXEC, non-blocking) that becomes readable when an
 * OOM event may have happened, or -1 when unsupported.  Made on the first
 * call: call it right after pd_cg_create.  v2: inotify on memory.events; v1:
 * an eventfd registered through cgroup.event_control on memory.oom_control.
 * Do not read it: call pd_cg_oom_killed(), which drains it. */
int pd_cg_oom_fd(struct pd_cgroup *cg);

/* True when the kernel counted an OOM kill in the group: v2 memory.events
 * oom_kill > 0; v1 memory.oom_control oom_kill > 0 (kernel 4.13+), on older
 * kernels the OOM eventfd having fired.  Call before pd_cg_destroy. */
bool pd_cg_oom_killed(struct pd_cgroup *cg);

/* Kill what is left (thawing a frozen group so its processes die), remove
 * the group and the groups below it, never its parents (retrying briefly
 * while the kernel still counts exiting tasks: EBUSY), and free `cg`, also
 * on failure.  Works on a group from pd_cg_open_at in another process. */
int pd_cg_destroy(struct pd_cgroup *cg, struct pd_err **err);

/* Free `cg` and leave the group in place. */
void pd_cg_free(struct pd_cgroup *cg);

/* Mount the container's view of its cgroups at /sys/fs/cgroup inside the
 * root, read-only, with the mount API, onto an fd resolved inside the root
 * (`rootfd`, an O_PATH fd of the new root).  Called by the container's init
 * after it was added to its group and has unshared its cgroup namespace (so
 * the view is rooted at its own group), before pivot_root.  v2: one cgroup2
 * mount.  v1/hybrid: a tmpfs holding one cgroup v1 mount per hierarchy
 * (named after the host's: "memory", "cpu,cpuacct" plus "cpu"/"cpuacct"
 * links) and "unified" where the host has it; rootless (`userns`) on
 * v1/hybrid, where the container has no group of its own, an empty
 * read-only /sys/fs/cgroup, so no host group shows.  `userns`: the kernel may
 * refuse a cgroup mount to a user namespace; then the container gets an
 * empty read-only /sys/fs/cgroup instead of failing (the view is
 * informational, the limits are enforced either way). */
int pd_cg_mount_in_container(int rootfd, bool userns, struct pd_err **err);

/* Docker's conversion of v1 cpu.shares (2..262144) to v2 cpu.weight
 * (1..10000). */
uint64_t pd_cg_shares_to_weight(uint64_t shares);
