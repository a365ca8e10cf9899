/* The cgroup v1 back end, for v1 and hybrid hosts (v1 controllers under
 * /sys/fs/cgroup/<controller>, maybe an empty cgroup2 at .../unified).
 * Runs in the CLI and the monitor as root: v1 cannot be delegated to a
 * user safely, so a rootless caller gets no group (and an error for any
 * limit).
 *
 * A container's group is <hierarchy>/<rel> in each hierarchy it uses
 * (rel: pocket-docker/<ID>, or an OCI bundle's cgroupsPath): memory, pids,
 * cpu, cpuacct and freezer when mounted (limits, stats, ps, pause and the
 * kill loop), cpuset, blkio and hugetlb only for a limit of theirs.  Hierarchies are found in
 * /proc/self/mountinfo, so co-mounted controllers ("cpu,cpuacct") and
 * unusual mount points work.  Ordering: parents, group, cpuset files,
 * limits (memory and memory+swap in the order the kernel accepts), then
 * processes.  Parents another program made are used as they are, and never
 * removed. */
#include "linux/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

static const char *const ctl_names[CG1_N] = { "memory", "pids",	   "cpu",   "cpuacct",
					      "cpuset", "freezer", "blkio", "hugetlb" };

static const char *needs_memory(const struct pd_limits *l)
{
	if (l->memory || l->memory_swap)
		return "--memory";
	if (l->memory_reservation)
		return CG_RES "memory.reservation";
	if (l->kernel_tcp)
		return CG_RES "memory.kernelTCP";
	if (l->has_swappiness)
		return CG_RES "memory.swappiness";
	return l->disable_oom_killer ? CG_RES "memory.disableOOMKiller" : NULL;
}

static const char *needs_cpu(const struct pd_limits *l)
{
	if (l->cpu_quota_us || l->cpu_shares)
		return l->cpu_quota_us ? "--cpus" : "--cpu-shares";
	if (l->has_cpu_burst)
		return CG_RES "cpu.burst";
	if (l->has_cpu_idle)
		return CG_RES "cpu.idle";
	return l->cpu_rt_period_us || l->has_cpu_rt_runtime ? CG_RES "cpu.realtimeRuntime/realtimePeriod"
							    : NULL;
}

static const char *needed_by(const struct pd_limits *l, enum cg1_ctrl c)
{
	if (!l)
		return NULL;
	switch (c) {
	case CG1_MEMORY: return needs_memory(l);
	case CG1_PIDS: return l->pids_max ? "--pids-limit" : NULL;
	case CG1_CPU: return needs_cpu(l);
	case CG1_CPUSET: return l->cpuset_cpus ? "--cpuset-cpus" : l->cpuset_mems ? CG_RES "cpu.mems" : NULL;
	case CG1_BLKIO: return l->blkio_weight || l->n_blkio_devs ? CG_RES "blockIO" : NULL;
	case CG1_HUGETLB: return l->n_hugepages ? CG_RES "hugepageLimits" : NULL;
	default: return NULL;
	}
}

/* Hierarchies a group joins only for a limit: cpuset (a new group takes
 * no task until configured), blkio and hugetlb (an extra mkdir and move per
 * container otherwise). */
static bool on_demand(enum cg1_ctrl c)
{
	return c == CG1_CPUSET || c == CG1_BLKIO || c == CG1_HUGETLB;
}

static void hiers_freep(struct cg1_hier ***h)
{
	cg1_hiers_free(*h);
}

static struct cg1_hier **host_hiers(void)
{
	_cleanup_free_ char *mi = pd_read_file("/proc/self/mountinfo", NULL, pd_err_ignore(status));
	return cg1_parse_mountinfo(mi ? mi : "");
}

static const struct cg1_hier *find_hier(struct cg1_hier **h, const char *ctl)
{
	for (size_t i = 0; h && h[i]; i++)
		if (cg1_hier_has(h[i], ctl))
			return h[i];
	return NULL;
}

/* Index of `dir` in cg->dirs, appending it when new. */
static int dir_index(struct pd_cgroup *cg, const char *dir)
{
	size_t i = 0;
	for (; cg->dirs && cg->dirs[i]; i++)
		if (!strcmp(cg->dirs[i], dir))
			return (int)i;
	strv_push(&cg->dirs, dir);
	return (int)i;
}

/* Fill cg->dirs and cg->ctl with the group's directory per controller;
 * `l` decides whether cpuset is used; `existing` keeps only directories that
 * exist (for a group made by another process). */
static int resolve(struct pd_cgroup *cg, const struct pd_limits *l, bool existing, struct pd_err **err)
{
	__attribute__((cleanup(hiers_freep))) struct cg1_hier **h = host_hiers();
	for (int c = 0; c < CG1_N; c++) {
		const struct cg1_hier *hier = find_hier(h, ctl_names[c]);
		const char *flag = needed_by(l, (enum cg1_ctrl)c);
		if (!hier) {
			if (flag)
				return pd_fail(
				    err, ENOTSUP,
				    "%s needs the %s cgroup controller, which is not mounted (mount it "
				    "at '%s/%s', or boot with cgroup v2)",
				    flag, ctl_names[c], CG_ROOT, ctl_names[c]);
			continue;
		}
		if (on_demand((enum cg1_ctrl)c) && !existing && !flag)
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/%s", hier->mountpoint, cg->rel);
		if (existing && !pd_is_dir(dir))
			continue;
		cg->ctl[c] = dir_index(cg, dir);
	}
	if (!cg->dirs)
		return pd_fail(err, existing ? ENOENT : ENOTSUP, "no cgroup '%s' in any v1 hierarchy",
			       cg->rel);
	return 0;
}

/* A new v1 cpuset group starts with empty cpus and mems, and the kernel
 * refuses tasks until both are set (cgroup.clone_children would copy them,
 * but only for children of a group with the flag set, and the hierarchy
 * root is not ours to change): copy them from the parent. */
static int cpuset_inherit(const char *dir, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(dir);
	const char *parent = dirname(copy);
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = cg_read(dir, files[i], err);
		if (!cur)
			return -1;
		if (cur[0] != '\n' && cur[0] != '\0')
			continue;
		_cleanup_free_ char *val = cg_read(parent, files[i], err);
		if (!val || cg_write(dir, files[i], val, err) < 0)
			return -1;
	}
	return 0;
}

/* Make the parents of `leaf` below its first `root` bytes (the mount
 * point) that are missing, top-down (mode 0755); in the cpuset hierarchy
 * give each its parent's cpus and mems, or no group below it could take a
 * task. */
static int make_parents(const char *leaf, size_t root, bool cpuset, struct pd_err **err)
{
	_cleanup_free_ char *p = xstrdup(leaf);
	for (char *slash = strchr(p + root + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		int r = cg_mkdir(p, err);
		if (r == 0 && cpuset)
			r = cpuset_inherit(p, err);
		*slash = '/';
		if (r < 0)
			return -1;
	}
	return 0;
}

static int cg1_create(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	if (cg->rootless)
		return pd_fail(err, ENOTSUP,
			       "rootless cgroup limits need a delegated cgroup v2 (systemd user session with "
			       "Delegate=yes); this host uses cgroup v1, which is never delegated to a user: "
			       "run as root, or drop the limits");
	if (resolve(cg, l, false, err) < 0)
		return -1;
	for (size_t i = 0; cg->dirs[i]; i++) {
		bool cpuset = (int)i == cg->ctl[CG1_CPUSET], made = false;
		size_t root = strlen(cg->dirs[i]) - strlen(cg->rel) - 1;
		int r = make_parents(cg->dirs[i], root, cpuset, err);
		if (r == 0)
			r = cg_make_leaf(cg->dirs[i], &made, err);
		cg->made |= made ? 1u << i : 0;
		if (r < 0 || (cpuset && cpuset_inherit(cg->dirs[i], err) < 0)) {
			cg_undo_create(cg);
			return -1;
		}
	}
	return 0;
}

static int cg1_open(struct pd_cgroup *cg, struct pd_err **err)
{
	return resolve(cg, NULL, true, err);
}

static const char *ctl_dir(struct pd_cgroup *cg, enum cg1_ctrl c)
{
	return cg->ctl[c] >= 0 ? cg->dirs[cg->ctl[c]] : NULL;
}

static int write_num(const char *dir, const char *file, int64_t v, struct pd_err **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, err);
}

/* v1 blkio files per kind; weights: blkio.weight[_device] of the CFQ
 * scheduler (gone since Linux 5.0), else BFQ's blkio.bfq.weight[_device]. */
static const char *blkio_file(const char *dir, enum pd_blkio_kind kind)
{
	switch (kind) {
	case PD_BLKIO_WEIGHT:
		return cg_file_exists(dir, "blkio.weight_device") ? "blkio.weight_device"
								  : "blkio.bfq.weight_device";
	case PD_BLKIO_READ_BPS: return "blkio.throttle.read_bps_device";
	case PD_BLKIO_WRITE_BPS: return "blkio.throttle.write_bps_device";
	case PD_BLKIO_READ_IOPS: return "blkio.throttle.read_iops_device";
	default: return "blkio.throttle.write_iops_device";
	}
}

static const char *blkio_weight_file(const char *dir)
{
	return cg_file_exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
}

#define NO_WEIGHT "no proportional I/O scheduler: CFQ is gone since Linux 5.0, and BFQ is not loaded"

/* Whether this host can honour each OCI-only limit of `l`, before any
 * write, so a refusal leaves the group as it was. */
static int cg1_check_support(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	const char *mem = ctl_dir(cg, CG1_MEMORY), *cpu = ctl_dir(cg, CG1_CPU);
	const char *blkio = ctl_dir(cg, CG1_BLKIO), *hugetlb = ctl_dir(cg, CG1_HUGETLB);
	if (l->n_unified)
		return pd_fail(err, ENOTSUP,
			       CG_RES "unified needs a cgroup v2 host; this one keeps its controllers in v1 "
				      "hierarchies (a hybrid host's cgroup2 holds none of them)");
	if ((l->memory_reservation && cg_need_file(mem, "memory.soft_limit_in_bytes",
						   CG_RES "memory.reservation", "no soft limits", err) < 0) ||
	    (l->kernel_tcp && cg_need_file(mem, "memory.kmem.tcp.limit_in_bytes", CG_RES "memory.kernelTCP",
					   "a kernel without v1 kernel memory accounting", err) < 0) ||
	    (l->has_swappiness && cg_need_file(mem, "memory.swappiness", CG_RES "memory.swappiness",
					       "no per-group swappiness", err) < 0) ||
	    (l->disable_oom_killer &&
	     cg_need_file(mem, "memory.oom_control", CG_RES "memory.disableOOMKiller", "no OOM control",
			  err) < 0) ||
	    (l->has_cpu_burst &&
	     cg_need_file(cpu, "cpu.cfs_burst_us", CG_RES "cpu.burst", "a kernel before 5.14", err) < 0) ||
	    (l->has_cpu_idle &&
	     cg_need_file(cpu, "cpu.idle", CG_RES "cpu.idle", "a kernel before 5.15", err) < 0) ||
	    ((l->cpu_rt_period_us || l->has_cpu_rt_runtime) &&
	     cg_need_file(cpu, "cpu.rt_runtime_us", CG_RES "cpu.realtimeRuntime/realtimePeriod",
			  "a kernel without CONFIG_RT_GROUP_SCHED", err) < 0))
		return -1;
	if (l->blkio_weight &&
	    cg_need_file(blkio, blkio_weight_file(blkio), CG_RES "blockIO.weight", NO_WEIGHT, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_blkio_devs; i++) {
		enum pd_blkio_kind k = l->blkio_devs[i].kind;
		if (cg_need_file(blkio, blkio_file(blkio, k),
				 k == PD_BLKIO_WEIGHT ? CG_RES "blockIO.weightDevice"
						      : CG_RES "blockIO.throttle*Device",
				 k == PD_BLKIO_WEIGHT ? NO_WEIGHT
						      : "a kernel without CONFIG_BLK_DEV_THROTTLING",
				 err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_hugepages; i++) {
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.limit_in_bytes", l->hugepages[i].size);
		if (cg_need_file(hugetlb, f, CG_RES "hugepageLimits",
				 "the kernel has no huge pages of that size", err) < 0)
			return -1;
	}
	return 0;
}

static int write_rt(const char *cpu, const struct pd_limits *l, struct pd_err **err)
{
	/* The kernel keeps runtime <= period at every write: a longer
	 * period goes first, a shorter one last. */
	uint64_t cur = 0;
	cg_read_u64(cpu, "cpu.rt_period_us", &cur, pd_err_ignore(optional));
	bool period_first = l->cpu_rt_period_us >= cur;
	if (l->cpu_rt_period_us && period_first &&
	    write_num(cpu, "cpu.rt_period_us", (int64_t)l->cpu_rt_period_us, err) < 0)
		return -1;
	_cleanup_err_ struct pd_err *e = NULL;
	if (l->has_cpu_rt_runtime && write_num(cpu, "cpu.rt_runtime_us", l->cpu_rt_runtime_us, &e) < 0) {
		if (e->errnum != EINVAL)
			return pd_fail(err, e->errnum, "%s", e->msg);
		return pd_fail(err, EINVAL,
			       CG_RES
			       "cpu.realtimeRuntime %" PRId64 ": the kernel refused it for '%s' (it must fit "
			       "in the period and in the realtime budget, cpu.rt_runtime_us, left by the "
			       "groups above)",
			       l->cpu_rt_runtime_us, cpu);
	}
	if (l->cpu_rt_period_us && !period_first &&
	    write_num(cpu, "cpu.rt_period_us", (int64_t)l->cpu_rt_period_us, err) < 0)
		return -1;
	return 0;
}

/* The OCI-only limits, after the common ones. */
static int set_oci_limits(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	const char *mem = ctl_dir(cg, CG1_MEMORY), *cpu = ctl_dir(cg, CG1_CPU);
	const char *blkio = ctl_dir(cg, CG1_BLKIO), *hugetlb = ctl_dir(cg, CG1_HUGETLB);
	if ((l->memory_reservation &&
	     write_num(mem, "memory.soft_limit_in_bytes", l->memory_reservation, err) < 0) ||
	    (l->kernel_tcp && write_num(mem, "memory.kmem.tcp.limit_in_bytes", l->kernel_tcp, err) < 0) ||
	    (l->has_swappiness && write_num(mem, "memory.swappiness", (int64_t)l->swappiness, err) < 0) ||
	    (l->disable_oom_killer && cg_write(mem, "memory.oom_control", "1", err) < 0))
		return -1;
	if (l->has_cpu_burst && write_num(cpu, "cpu.cfs_burst_us", (int64_t)l->cpu_burst_us, err) < 0)
		return -1;
	if ((l->cpu_rt_period_us || l->has_cpu_rt_runtime) && write_rt(cpu, l, err) < 0)
		return -1;
	if (l->blkio_weight && write_num(blkio, blkio_weight_file(blkio), (int64_t)l->blkio_weight, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_blkio_devs; i++) {
		const struct pd_blkio_dev *d = &l->blkio_devs[i];
		char buf[64];
		snprintf(buf, sizeof(buf), "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->major, d->minor, d->value);
		if (cg_write(blkio, blkio_file(blkio, d->kind), buf, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_hugepages; i++) {
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.limit_in_bytes", l->hugepages[i].size);
		_cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.limit_in_bytes", l->hugepages[i].size);
		/* The reservation limit too (5.7+): without it a mapping that
		 * reserves past the limit fails at fault time, with SIGBUS. */
		if (write_num(hugetlb, f, (int64_t)l->hugepages[i].limit, err) < 0 ||
		    (cg_file_exists(hugetlb, rsvd) &&
		     write_num(hugetlb, rsvd, (int64_t)l->hugepages[i].limit, err) < 0))
			return -1;
	}
	return 0;
}

static int cg1_set_limits(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	const char *mem = ctl_dir(cg, CG1_MEMORY), *cpu = ctl_dir(cg, CG1_CPU);
	const char *pids = ctl_dir(cg, CG1_PIDS), *cpuset = ctl_dir(cg, CG1_CPUSET);
	if (cg1_check_support(cg, l, err) < 0)
		return -1;
	if (l->memory || l->memory_swap) {
		bool has_memsw = cg_file_exists(mem, "memory.memsw.limit_in_bytes");
		if (l->memory_swap && !has_memsw)
			return pd_fail(
			    err, ENOTSUP,
			    "--memory-swap needs swap accounting, and '%s/memory.memsw.limit_in_bytes' "
			    "is missing (boot the kernel with swapaccount=1)",
			    mem);
		/* Docker's default with --memory alone: memory+swap = 2 x memory. */
		int64_t memsw = l->memory_swap ? l->memory_swap : (int64_t)l->memory * 2;
		/* The kernel keeps memsw >= memory at every write (EINVAL
		 * otherwise): memory goes first, unless memsw is being raised
		 * above it (to unlimited, or an update raising memory past
		 * the current memsw). */
		uint64_t cur = UINT64_MAX;
		if (has_memsw && memsw > 0)
			cg_read_u64(mem, "memory.memsw.limit_in_bytes", &cur, pd_err_ignore(optional));
		bool memsw_first = has_memsw && (memsw == -1 || l->memory > cur);
		if (memsw_first && write_num(mem, "memory.memsw.limit_in_bytes", memsw, err) < 0)
			return -1;
		if (l->memory && write_num(mem, "memory.limit_in_bytes", (int64_t)l->memory, err) < 0)
			return -1;
		if (has_memsw && !memsw_first &&
		    write_num(mem, "memory.memsw.limit_in_bytes", memsw, err) < 0)
			return -1;
	}
	if (l->cpu_quota_us && (write_num(cpu, "cpu.cfs_period_us", (int64_t)l->cpu_period_us, err) < 0 ||
				write_num(cpu, "cpu.cfs_quota_us", (int64_t)l->cpu_quota_us, err) < 0))
		return -1;
	/* An idle group takes no shares (EINVAL): leave idle first, enter
	 * it last. */
	if (l->has_cpu_idle && !l->cpu_idle && cg_write(cpu, "cpu.idle", "0", err) < 0)
		return -1;
	if (l->cpu_shares && write_num(cpu, "cpu.shares", (int64_t)l->cpu_shares, err) < 0)
		return -1;
	if (l->has_cpu_idle && l->cpu_idle && cg_write(cpu, "cpu.idle", "1", err) < 0)
		return -1;
	if (l->pids_max && write_num(pids, "pids.max", (int64_t)l->pids_max, err) < 0)
		return -1;
	if (l->cpuset_cpus && cg_write(cpuset, "cpuset.cpus", l->cpuset_cpus, err) < 0)
		return -1;
	if (l->cpuset_mems && cg_write(cpuset, "cpuset.mems", l->cpuset_mems, err) < 0)
		return -1;
	return set_oci_limits(cg, l, err);
}

/* An existing group gets a limit only in the hierarchies it was made in:
 * a missing one (cpuset, when the group was made without --cpuset-cpus)
 * would need every process moved, which an update does not do. */
static int cg1_prepare_update(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	for (int c = 0; c < CG1_N; c++) {
		const char *flag = needed_by(l, (enum cg1_ctrl)c);
		if (flag && cg->ctl[c] < 0)
			return pd_fail(err, ENOTSUP,
				       "%s cannot be changed on cgroup '%s': it was made without the %s "
				       "controller (its hierarchy is missing, or was not needed at creation)",
				       flag, cg->rel, ctl_names[c]);
	}
	return 0;
}

static int cg1_add_pid(struct pd_cgroup *cg, pid_t pid, struct pd_err **err)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; cg->dirs[i]; i++)
		if (cg_write(cg->dirs[i], "cgroup.procs", buf, err) < 0)
			return -1;
	return 0;
}

/* The thread of pd_cg_prime: into the runtime's parent group of one
 * hierarchy (not cpuset: its groups take no task until configured), by
 * thread id in `tasks` (only a move by id takes the thread-group lock). */
static void *prime_main(void *unused)
{
	(void)unused;
	__attribute__((cleanup(hiers_freep))) struct cg1_hier **h = host_hiers();
	const struct cg1_hier *hier = NULL;
	static const char *const prefer[] = { "pids", "memory", "cpu" };
	for (size_t i = 0; !hier && i < ARRAY_SIZE(prefer); i++)
		hier = find_hier(h, prefer[i]);
	if (!hier)
		return NULL;
	_cleanup_free_ char *parent = xasprintf("%s/%s", hier->mountpoint, CG_PARENT);
	char tid[16];
	snprintf(tid, sizeof(tid), "%d", (int)gettid());
	if (cg_mkdir(parent, pd_err_ignore(optional)) == 0)
		cg_write(parent, "tasks", tid, pd_err_ignore(optional));
	return NULL;
}

void cg1_prime(void)
{
	pthread_t t;
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* It exits with its move; the caller neither waits for it nor
	 * needs to know whether it ran. */
	pthread_create(&t, &attr, prime_main, NULL);
	pthread_attr_destroy(&attr);
}

static int cg1_stats(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err)
{
	const char *acct = ctl_dir(cg, CG1_CPUACCT), *mem = ctl_dir(cg, CG1_MEMORY),
		   *pids = ctl_dir(cg, CG1_PIDS);
	if (acct && cg_read_u64(acct, "cpuacct.usage", &out->cpu_usage_ns, err) < 0)
		return -1;
	uint64_t host = cg_host_memory(), v = 0;
	out->mem_limit = host;
	if (mem && cg_read_u64(mem, "memory.usage_in_bytes", &v, err) < 0)
		return -1;
	if (mem) {
		/* As `docker stats`: drop inactive page cache from the usage. */
		_cleanup_free_ char *st = cg_read(mem, "memory.stat", pd_err_ignore(optional));
		uint64_t inactive = 0;
		if (st && cg_parse_keyed(st, "total_inactive_file", &inactive) && inactive < v)
			v -= inactive;
		out->mem_usage = v;
		/* "Unlimited" reads as PAGE_COUNTER_MAX pages in bytes. */
		if (cg_read_u64(mem, "memory.limit_in_bytes", &v, pd_err_ignore(optional)) == 0 && v < host)
			out->mem_limit = v;
	}
	if (pids && cg_read_u64(pids, "pids.current", &v, pd_err_ignore(optional)) == 0)
		out->pids = v;
	return 0;
}

static int cg1_usage(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err)
{
	const char *acct = ctl_dir(cg, CG1_CPUACCT), *mem = ctl_dir(cg, CG1_MEMORY),
		   *pids = ctl_dir(cg, CG1_PIDS);
	if (!acct)
		return pd_fail(err, ENOTSUP, "no cpuacct hierarchy: the CPU time cannot be read");
	if (cg_read_u64(acct, "cpuacct.usage", &out->cpu_ns, err) < 0)
		return -1;
	/* Split by where each charge found the task (kernel 4.7+); the total
	 * above is exact, the split is the kernel's. */
	if (cg_read_u64(acct, "cpuacct.usage_user", &out->cpu_user_ns, pd_err_ignore(optional)) < 0 ||
	    cg_read_u64(acct, "cpuacct.usage_sys", &out->cpu_system_ns, pd_err_ignore(optional)) < 0)
		out->cpu_user_ns = out->cpu_ns, out->cpu_system_ns = 0;
	out->has_mem_peak = mem && cg_read_u64(mem, "memory.max_usage_in_bytes", &out->mem_peak,
					       pd_err_ignore(optional)) == 0;
	out->has_pids_peak =
	    pids && cg_read_u64(pids, "pids.peak", &out->pids_peak, pd_err_ignore(optional)) == 0;
	return 0;
}

static int cg1_oom_fd(struct pd_cgroup *cg)
{
	const char *mem = ctl_dir(cg, CG1_MEMORY);
	if (!mem)
		return -1;
	/* The v1 notification API: an eventfd and an open memory.oom_control
	 * written as "<efd> <cfd>" to cgroup.event_control.  The kernel keeps
	 * its own reference, so the oom_control fd can be closed at once;
	 * the event ends when the eventfd is closed or the group removed
	 * (which also signals the eventfd once). */
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	_cleanup_free_ char *ocp = xasprintf("%s/memory.oom_control", mem);
	_cleanup_close_ int ocfd = open(ocp, O_RDONLY | O_CLOEXEC);
	if (efd < 0 || ocfd < 0)
		return -1;
	char buf[32];
	snprintf(buf, sizeof(buf), "%d %d", efd, ocfd);
	if (cg_write(mem, "cgroup.event_control", buf, pd_err_ignore(status)) < 0)
		return -1;
	return take_fd(&efd);
}

static bool cg1_oom_killed(struct pd_cgroup *cg)
{
	uint64_t n = 0;
	if (cg->oom_fd >= 0 && read(cg->oom_fd, &n, sizeof(n)) == sizeof(n) && n > 0)
		cg->oom_seen = true;
	const char *mem = ctl_dir(cg, CG1_MEMORY);
	_cleanup_free_ char *oc = mem ? cg_read(mem, "memory.oom_control", pd_err_ignore(status)) : NULL;
	/* oom_kill exists since 4.13; before, an OOM event (the eventfd
	 * fired, or the group is under OOM right now) is the best sign: with
	 * the OOM killer enabled it ends in a kill. */
	if (oc && cg_parse_keyed(oc, "oom_kill", &n))
		return n > 0;
	if (oc && cg_parse_keyed(oc, "under_oom", &n) && n > 0)
		cg->oom_seen = true;
	return cg->oom_seen;
}

static bool freezer_is(const char *dir, bool frozen)
{
	_cleanup_free_ char *st = cg_read(dir, "freezer.state", pd_err_ignore(status));
	return st && str_has_prefix(st, frozen ? "FROZEN" : "THAWED");
}

static int cg1_freeze(struct pd_cgroup *cg, bool frozen, struct pd_err **err)
{
	const char *dir = ctl_dir(cg, CG1_FREEZER);
	if (!dir)
		return pd_fail(err, ENOTSUP,
			       "cgroup '%s' has no freezer group (the freezer controller is not mounted at "
			       "'%s/freezer')",
			       cg->rel, CG_ROOT);
	/* The state reads FREEZING until every task has stopped, which a
	 * task in an uninterruptible sleep (a slow disk, a FUSE request)
	 * delays.  Writing FROZEN again asks the tasks that were missed once
	 * more.  About 2 s in all; then the group is thawed again rather
	 * than left half frozen.  Thawing is immediate (it reads FROZEN only
	 * while a parent group is frozen). */
	const char *want = frozen ? "FROZEN" : "THAWED";
	for (int round = 0; round < 10; round++) {
		if (cg_write(dir, "freezer.state", want, err) < 0)
			return -1;
		if (cg_poll(freezer_is, dir, frozen, 200))
			return 0;
	}
	if (frozen) {
		cg_write(dir, "freezer.state", "THAWED", pd_err_ignore(cleanup));
		return pd_fail(err, EBUSY,
			       "freeze cgroup '%s': its processes did not all stop within 2 s (one in an "
			       "uninterruptible sleep?); left running",
			       dir);
	}
	return pd_fail(err, EBUSY, "thaw cgroup '%s': it still reads FROZEN (is a parent group frozen?)",
		       dir);
}

static int cg1_is_frozen(struct pd_cgroup *cg, bool *frozen, struct pd_err **err)
{
	const char *dir = ctl_dir(cg, CG1_FREEZER);
	*frozen = false;
	if (!dir)
		return 0; /* no freezer group: nothing can have frozen it */
	_cleanup_free_ char *st = cg_read(dir, "freezer.state", err);
	if (!st)
		return -1;
	/* FREEZING counts as frozen: some of the processes are stopped. */
	*frozen = !str_has_prefix(st, "THAWED");
	return 0;
}

/* v1 has no cgroup.kill: the caller goes pid by pid. */
static int cg1_kill_tree(struct pd_cgroup *cg, struct pd_err **err)
{
	return 0;
}

static int cg1_destroy(struct pd_cgroup *cg, struct pd_err **err)
{
	int r = 0;
	for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
		if (cg_rmdir_tree(cg->dirs[i], err) < 0)
			r = -1;
	return r;
}

/* Mount one hierarchy (its exact controller set, or the kernel refuses
 * with EBUSY) read-only at <tmpfs>/<name>. */
static int mount_hier(int tmpfd, const struct cg1_hier *h, const char *name, struct pd_err **err)
{
	_cleanup_strv_ char **flags = NULL;
	_cleanup_free_ char *hname = NULL;
	_cleanup_free_ char *ctls = xstrdup(h->controllers);
	for (char *save = NULL, *t = strtok_r(ctls, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (str_has_prefix(t, "name="))
			hname = xstrdup(t + 5);
		else
			strv_push(&flags, t);
	}
	const char *kv[] = { "name", hname, NULL };
	unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (mkdirat(tmpfd, name, 0555) < 0 && errno != EEXIST)
		return pd_fail(err, errno, "create /sys/fs/cgroup/%s", name);
	_cleanup_close_ int mfd =
	    cg_fs_new("cgroup", hname ? kv : NULL, (const char *const *)flags, attrs, err);
	if (mfd < 0)
		return -1;
	if (move_mount(mfd, "", tmpfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach cgroup '%s' at /sys/fs/cgroup/%s", h->controllers, name);
	return 0;
}

static int cg1_mount_view(int targetfd, bool userns, struct pd_err **err)
{
	static const char *const kv[] = { "mode", "0755", "size", "64k", NULL };
	_cleanup_close_ int tmpfd =
	    cg_fs_new("tmpfs", kv, NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (tmpfd < 0)
		return -1;
	/* Attach first, fill after: a move_mount into a detached tree is
	 * refused before 6.15. */
	if (move_mount(tmpfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach tmpfs at /sys/fs/cgroup");
	__attribute__((cleanup(hiers_freep))) struct cg1_hier **h = host_hiers();
	for (size_t i = 0; h[i]; i++) {
		/* Named as on the host ("cpu,cpuacct"), with a link per
		 * controller ("cpu" -> "cpu,cpuacct") as systemd makes them. */
		_cleanup_free_ char *copy = xstrdup(h[i]->mountpoint);
		const char *name = basename(copy);
		if (!*name || !strcmp(name, "/") || !strcmp(name, ".."))
			name = h[i]->controllers;
		if (mount_hier(tmpfd, h[i], name, err) < 0)
			return -1;
		if (!strchr(h[i]->controllers, ','))
			continue;
		_cleanup_free_ char *ctls = xstrdup(h[i]->controllers);
		for (char *save = NULL, *t = strtok_r(ctls, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, name) && !str_has_prefix(t, "name=") && symlinkat(name, tmpfd, t) < 0 &&
			    errno != EEXIST)
				return pd_fail(err, errno, "create /sys/fs/cgroup/%s", t);
	}
	/* A hybrid host's empty cgroup2, for the tools that look for it. */
	struct statfs sfs;
	if (statfs(CG_ROOT "/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
		_cleanup_close_ int mfd = cg_fs_new("cgroup2", NULL, NULL, attrs, err);
		if (mfd < 0)
			return -1;
		if (mkdirat(tmpfd, "unified", 0555) < 0 ||
		    move_mount(mfd, "", tmpfd, "unified", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return pd_fail(err, errno, "attach cgroup2 at /sys/fs/cgroup/unified");
	}
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(tmpfd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		return pd_fail(err, errno, "make /sys/fs/cgroup read-only");
	return 0;
}

const struct cg_ops cg1_ops = {
	.name = "v1",
	.create = cg1_create,
	.open = cg1_open,
	.set_limits = cg1_set_limits,
	.prepare_update = cg1_prepare_update,
	.add_pid = cg1_add_pid,
	.stats = cg1_stats,
	.usage = cg1_usage,
	.oom_fd = cg1_oom_fd,
	.oom_killed = cg1_oom_killed,
	.freeze = cg1_freeze,
	.is_frozen = cg1_is_frozen,
	.kill_tree = cg1_kill_tree,
	.destroy = cg1_destroy,
	.mount_view = cg1_mount_view,
};
