/* The cgroup v2 (unified) back end.  Runs in the CLI and the monitor: as
 * root, a group lives at /sys/fs/cgroup/<rel> (rel: pocket-docker/<ID>, or
 * an OCI bundle's cgroupsPath); rootless, under the caller's delegated
 * subtree (systemd Delegate=yes), never elsewhere.
 *
 * Ordering: controllers are enabled top-down (the base's
 * cgroup.subtree_control, then each parent's on the way down) before the
 * container's group is made, because a group only gets the interface files
 * of the controllers its parent enables; limits are written before the
 * first process joins.  The only file written outside our own groups is
 * cgroup.subtree_control of the base and of the parents on the way (which
 * another program may have made), and only to add a controller it lacks. */
#include "linux/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define DELEGATION_HINT                                                                                      \
	"rootless cgroup limits need a delegated cgroup v2 (systemd user session with Delegate=yes): "       \
	"run under `systemd-run --user --scope -p Delegate=yes`, or drop the limits"

/* Controllers enabled for containers when available: memory, pids and cpu
 * for limits and stats, cpuset for --cpuset-cpus, io for blockIO.  The
 * others only when a limit needs them (hugetlb for hugepageLimits, any of
 * them for a unified key), so a create without one writes nothing more. */
static const char *const wanted_ctls[] = { "memory", "pids", "cpu", "cpuset", "io" };
static const char *const on_demand_ctls[] = { "hugetlb", "rdma", "misc" };

/* A unified key of `l` that belongs to `ctl` ("memory.high": memory). */
static const char *unified_needs(const struct pd_limits *l, const char *ctl)
{
	size_t n = strlen(ctl);
	for (size_t i = 0; i < l->n_unified; i++)
		if (!strncmp(l->unified[i].key, ctl, n) && l->unified[i].key[n] == '.')
			return CG_RES "unified";
	return NULL;
}

/* The flag that needs a controller, or NULL when no limit needs it. */
static const char *needed_by(const struct pd_limits *l, const char *ctl)
{
	if (!l)
		return NULL;
	if (!strcmp(ctl, "memory") && (l->memory || l->memory_swap))
		return "--memory";
	if (!strcmp(ctl, "memory") && l->memory_reservation)
		return CG_RES "memory.reservation";
	if (!strcmp(ctl, "pids") && l->pids_max)
		return "--pids-limit";
	if (!strcmp(ctl, "cpu") && (l->cpu_quota_us || l->cpu_shares))
		return l->cpu_quota_us ? "--cpus" : "--cpu-shares";
	if (!strcmp(ctl, "cpu") && (l->has_cpu_burst || l->has_cpu_idle))
		return l->has_cpu_burst ? CG_RES "cpu.burst" : CG_RES "cpu.idle";
	if (!strcmp(ctl, "cpuset") && (l->cpuset_cpus || l->cpuset_mems))
		return l->cpuset_cpus ? "--cpuset-cpus" : CG_RES "cpu.mems";
	if (!strcmp(ctl, "io") && (l->blkio_weight || l->n_blkio_devs))
		return CG_RES "blockIO";
	if (!strcmp(ctl, "hugetlb") && l->n_hugepages)
		return CG_RES "hugepageLimits";
	return unified_needs(l, ctl);
}

/* A group we may manage as an unprivileged user: we can make child groups
 * in it, move processes through it and enable controllers below it.  The
 * kernel's delegation rules check write access to exactly these files
 * (Documentation/admin-guide/cgroup-v2.rst, "Delegation Containment"). */
static bool is_delegated(const char *dir)
{
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *subtree = xasprintf("%s/cgroup.subtree_control", dir);
	return faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0 &&
	       faccessat(AT_FDCWD, procs, W_OK, AT_EACCESS) == 0 &&
	       faccessat(AT_FDCWD, subtree, W_OK, AT_EACCESS) == 0;
}

/* Where pocket-docker/ goes.  Rootless: the highest group of the unbroken
 * chain of writable groups above our own.  Moving the container's init from
 * our group into pocket-docker/<ID> needs write access to cgroup.procs of
 * their common ancestor, so the group must be an ancestor of ours; and the
 * highest one (user@UID.service under systemd) holds no process of its own,
 * so controllers can be enabled in it ("no internal processes" rule). */
static char *base_dir(bool rootless, struct pd_err **err)
{
	if (!rootless)
		return xstrdup(CG_ROOT);
	_cleanup_free_ char *self = pd_read_file("/proc/self/cgroup", NULL, pd_err_ignore(status));
	_cleanup_free_ char *rel = self ? cg2_parse_self(self) : NULL;
	if (!rel) {
		pd_fail(err, ENOTSUP, "cannot find our own cgroup in /proc/self/cgroup; " DELEGATION_HINT);
		return NULL;
	}
	_cleanup_free_ char *cur = xasprintf("%s%s", CG_ROOT, strcmp(rel, "/") ? rel : "");
	_cleanup_free_ char *best = NULL;
	while (strcmp(cur, CG_ROOT) && is_delegated(cur)) {
		free(best);
		best = xstrdup(cur);
		*strrchr(cur, '/') = '\0';
	}
	if (!best)
		pd_fail(err, ENOTSUP, "our cgroup '%s' is not delegated to us; " DELEGATION_HINT, cur);
	return take_ptr(&best);
}

/* Enable the wanted controllers in dir's cgroup.subtree_control, each on
 * its own (one refused controller must not block the others).  A failure
 * matters only for a controller a limit needs. */
static int enable_controllers(const char *dir, const struct pd_limits *l, bool rootless, struct pd_err **err)
{
	_cleanup_free_ char *avail = cg_read(dir, "cgroup.controllers", err);
	_cleanup_free_ char *enabled = avail ? cg_read(dir, "cgroup.subtree_control", err) : NULL;
	if (!enabled)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(wanted_ctls) + ARRAY_SIZE(on_demand_ctls); i++) {
		bool wanted = i < ARRAY_SIZE(wanted_ctls);
		const char *ctl = wanted ? wanted_ctls[i] : on_demand_ctls[i - ARRAY_SIZE(wanted_ctls)];
		const char *flag = needed_by(l, ctl);
		if (cg_list_has(enabled, ctl) || (!wanted && !flag))
			continue;
		if (!cg_list_has(avail, ctl)) {
			if (!flag)
				continue;
			if (rootless)
				return pd_fail(
				    err, ENOTSUP,
				    "%s needs the %s controller, which is not delegated to us in '%s' "
				    "(ask for Delegate=%s in user@.service)",
				    flag, ctl, dir, ctl);
			return pd_fail(
			    err, ENOTSUP,
			    "%s needs the %s controller, which '%s' does not offer (the kernel lacks "
			    "it, or it is still bound to a cgroup v1 hierarchy)",
			    flag, ctl, dir);
		}
		_cleanup_free_ char *plus = xasprintf("+%s", ctl);
		_cleanup_err_ struct pd_err *e = NULL;
		if (cg_write(dir, "cgroup.subtree_control", plus, &e) == 0 || !flag)
			continue;
		/* EBUSY: the group holds processes itself, and v2 allows
		 * controllers only above groups without processes. */
		if (e->errnum == EBUSY)
			return pd_fail(
			    err, EBUSY,
			    "%s needs the %s controller, which cannot be enabled below '%s' because "
			    "processes live in it (cgroup v2 'no internal processes' rule)",
			    flag, ctl, dir);
		return pd_fail(err, e->errnum, "%s needs the %s controller: %s", flag, ctl, e->msg);
	}
	return 0;
}

static int cg2_create(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	_cleanup_free_ char *base = base_dir(cg->rootless, err);
	if (!base)
		return -1;
	/* Down from the base: enable the controllers in each group, then
	 * make (or enter) its child; the last child is the container's. */
	_cleanup_free_ char *cur = take_ptr(&base);
	for (const char *c = cg->rel;;) {
		if (enable_controllers(cur, l, cg->rootless, err) < 0)
			return -1;
		size_t len = strcspn(c, "/");
		char *next = xasprintf("%s/%.*s", cur, (int)len, c);
		free(cur);
		cur = next;
		if (!c[len])
			break;
		if (cg_mkdir(cur, err) < 0)
			return -1;
		c += len + 1;
	}
	bool made = false;
	if (cg_make_leaf(cur, &made, err) < 0)
		return -1;
	strv_push(&cg->dirs, cur);
	cg->made = made ? 1u : 0;
	cg->path = take_ptr(&cur);
	return 0;
}

static int cg2_open(struct pd_cgroup *cg, struct pd_err **err)
{
	_cleanup_free_ char *base = base_dir(cg->rootless, err);
	if (!base)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/%s", base, cg->rel);
	if (!pd_is_dir(path))
		return pd_fail(err, ENOENT, "no cgroup '%s'", path);
	strv_push(&cg->dirs, path);
	cg->path = take_ptr(&path);
	return 0;
}

/* An update may need a controller the parent does not pass down yet
 * (a limit the group was made without): enable it there, with the same
 * checks and messages as at creation. */
static int cg2_prepare_update(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	_cleanup_free_ char *parent = xstrdup(cg->path);
	*strrchr(parent, '/') = '\0';
	return enable_controllers(parent, l, cg->rootless, err);
}

static int write_u64(const char *dir, const char *file, uint64_t v, struct pd_err **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf, err);
}

/* The weight file: io.weight of blk-iocost, else BFQ's io.bfq.weight. */
static const char *io_weight_file(const char *dir)
{
	return cg_file_exists(dir, "io.weight") ? "io.weight" : "io.bfq.weight";
}

static const char *refused_on_v2(const struct pd_limits *l)
{
	if (l->has_swappiness)
		return CG_RES "memory.swappiness cannot be honoured on cgroup v2, which has no per-group "
			      "swappiness";
	if (l->disable_oom_killer)
		return CG_RES "memory.disableOOMKiller cannot be honoured on cgroup v2, which cannot turn "
			      "the OOM killer off for a group";
	if (l->kernel_tcp)
		return CG_RES "memory.kernelTCP cannot be honoured on cgroup v2, which has no TCP memory "
			      "limit of its own (it counts in memory.max)";
	if (l->cpu_rt_period_us || l->has_cpu_rt_runtime)
		return CG_RES "cpu.realtimeRuntime/realtimePeriod cannot be honoured on cgroup v2: realtime "
			      "group scheduling (CONFIG_RT_GROUP_SCHED) has files only in cgroup v1";
	return NULL;
}

/* Whether this host can honour each OCI-only limit of `l`, before any
 * write, so a refusal leaves the group as it was. */
static int cg2_check_support(const char *p, const struct pd_limits *l, struct pd_err **err)
{
	const char *why = refused_on_v2(l);
	if (why)
		return pd_fail(err, ENOTSUP, "%s", why);
	if ((l->memory_reservation &&
	     cg_need_file(p, "memory.low", CG_RES "memory.reservation", "no memory controller", err) < 0) ||
	    (l->has_cpu_burst &&
	     cg_need_file(p, "cpu.max.burst", CG_RES "cpu.burst", "a kernel before 5.14", err) < 0) ||
	    (l->has_cpu_idle &&
	     cg_need_file(p, "cpu.idle", CG_RES "cpu.idle", "a kernel before 5.15", err) < 0) ||
	    (l->cpuset_mems &&
	     cg_need_file(p, "cpuset.mems", CG_RES "cpu.mems", "no cpuset controller", err) < 0))
		return -1;
	bool weights = l->blkio_weight, throttles = false;
	for (size_t i = 0; i < l->n_blkio_devs; i++) {
		weights |= l->blkio_devs[i].kind == PD_BLKIO_WEIGHT;
		throttles |= l->blkio_devs[i].kind != PD_BLKIO_WEIGHT;
	}
	if (weights && cg_need_file(p, io_weight_file(p), CG_RES "blockIO.weight/weightDevice",
				    "no proportional I/O control: neither blk-iocost nor BFQ", err) < 0)
		return -1;
	if (throttles && cg_need_file(p, "io.max", CG_RES "blockIO.throttle*Device",
				      "a kernel without CONFIG_BLK_DEV_THROTTLING", err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_hugepages; i++) {
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.max", l->hugepages[i].size);
		if (cg_need_file(p, f, CG_RES "hugepageLimits",
				 "no hugetlb controller, or no huge pages of that size", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_unified; i++) {
		_cleanup_free_ char *what = xasprintf(CG_RES "unified '%s'", l->unified[i].key);
		if (cg_need_file(p, l->unified[i].key, what,
				 "no such interface file: its controller is missing", err) < 0)
			return -1;
	}
	return 0;
}

static const char *const io_max_keys[] = { [PD_BLKIO_READ_BPS] = "rbps",
					   [PD_BLKIO_WRITE_BPS] = "wbps",
					   [PD_BLKIO_READ_IOPS] = "riops",
					   [PD_BLKIO_WRITE_IOPS] = "wiops" };

/* The OCI-only limits, after the common ones; unified last, so it has the
 * last word on a file both set. */
static int set_oci_limits(const char *p, const struct pd_limits *l, struct pd_err **err)
{
	if (l->memory_reservation == -1 && cg_write(p, "memory.low", "max", err) < 0)
		return -1;
	if (l->memory_reservation > 0 && write_u64(p, "memory.low", (uint64_t)l->memory_reservation, err) < 0)
		return -1;
	if (l->has_cpu_burst && write_u64(p, "cpu.max.burst", l->cpu_burst_us, err) < 0)
		return -1;
	if (l->cpuset_mems && cg_write(p, "cpuset.mems", l->cpuset_mems, err) < 0)
		return -1;
	if (l->blkio_weight && write_u64(p, io_weight_file(p), l->blkio_weight, err) < 0)
		return -1;
	for (size_t i = 0; i < l->n_blkio_devs; i++) {
		const struct pd_blkio_dev *d = &l->blkio_devs[i];
		char buf[96];
		/* A rate of 0 lifts the limit (as the v1 files read it). */
		if (d->kind == PD_BLKIO_WEIGHT)
			snprintf(buf, sizeof(buf), "%" PRIu32 ":%" PRIu32 " %" PRIu64, d->major, d->minor,
				 d->value);
		else if (d->value)
			snprintf(buf, sizeof(buf), "%" PRIu32 ":%" PRIu32 " %s=%" PRIu64, d->major, d->minor,
				 io_max_keys[d->kind], d->value);
		else
			snprintf(buf, sizeof(buf), "%" PRIu32 ":%" PRIu32 " %s=max", d->major, d->minor,
				 io_max_keys[d->kind]);
		if (cg_write(p, d->kind == PD_BLKIO_WEIGHT ? io_weight_file(p) : "io.max", buf, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < l->n_hugepages; i++) {
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.max", l->hugepages[i].size);
		_cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.max", l->hugepages[i].size);
		/* The reservation limit too (5.7+): without it a mapping that
		 * reserves past the limit fails at fault time, with SIGBUS. */
		if (write_u64(p, f, l->hugepages[i].limit, err) < 0 ||
		    (cg_file_exists(p, rsvd) && write_u64(p, rsvd, l->hugepages[i].limit, err) < 0))
			return -1;
	}
	for (size_t i = 0; i < l->n_unified; i++)
		if (cg_write(p, l->unified[i].key, l->unified[i].value, err) < 0)
			return -1;
	return 0;
}

static int cg2_set_limits(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	const char *p = cg->path;
	if (cg2_check_support(p, l, err) < 0)
		return -1;
	if (l->memory && write_u64(p, "memory.max", l->memory, err) < 0)
		return -1;
	/* Docker's --memory-swap is memory plus swap; v2 limits swap alone. */
	bool has_swap = cg_file_exists(p, "memory.swap.max");
	if (l->memory_swap && !has_swap)
		return pd_fail(err, ENOTSUP,
			       "--memory-swap needs swap accounting, and '%s/memory.swap.max' is missing "
			       "(a kernel without CONFIG_MEMCG_SWAP, or booted with swapaccount=0)",
			       p);
	if (l->memory_swap == -1 && cg_write(p, "memory.swap.max", "max", err) < 0)
		return -1;
	if (l->memory_swap > 0 &&
	    write_u64(p, "memory.swap.max", (uint64_t)l->memory_swap - l->memory, err) < 0)
		return -1;
	/* Docker's default with --memory alone: as much swap as memory. */
	if (l->memory && !l->memory_swap && has_swap && write_u64(p, "memory.swap.max", l->memory, err) < 0)
		return -1;
	if (l->cpu_quota_us) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64, l->cpu_quota_us, l->cpu_period_us);
		if (cg_write(p, "cpu.max", buf, err) < 0)
			return -1;
	}
	/* An idle group takes no weight (EINVAL): leave idle first, enter
	 * it last. */
	if (l->has_cpu_idle && !l->cpu_idle && cg_write(p, "cpu.idle", "0", err) < 0)
		return -1;
	if (l->cpu_shares && write_u64(p, "cpu.weight", pd_cg_shares_to_weight(l->cpu_shares), err) < 0)
		return -1;
	if (l->has_cpu_idle && l->cpu_idle && cg_write(p, "cpu.idle", "1", err) < 0)
		return -1;
	if (l->pids_max && write_u64(p, "pids.max", l->pids_max, err) < 0)
		return -1;
	if (l->cpuset_cpus && cg_write(p, "cpuset.cpus", l->cpuset_cpus, err) < 0)
		return -1;
	return set_oci_limits(p, l, err);
}

static int cg2_add_pid(struct pd_cgroup *cg, pid_t pid, struct pd_err **err)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return cg_write(cg->path, "cgroup.procs", buf, err);
}

static int cg2_stats(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err)
{
	/* cpu.stat is a core file, present without the cpu controller. */
	_cleanup_free_ char *cpu = cg_read(cg->path, "cpu.stat", err);
	if (!cpu)
		return -1;
	uint64_t usec = 0;
	cg_parse_keyed(cpu, "usage_usec", &usec);
	out->cpu_usage_ns = usec * 1000;
	uint64_t v = 0;
	if (cg_read_u64(cg->path, "memory.current", &v, pd_err_ignore(optional)) == 0) {
		/* As `docker stats`: page cache that could be dropped at
		 * once (inactive_file) is not counted as used. */
		_cleanup_free_ char *st = cg_read(cg->path, "memory.stat", pd_err_ignore(optional));
		uint64_t inactive = 0;
		if (st && cg_parse_keyed(st, "inactive_file", &inactive) && inactive < v)
			v -= inactive;
		out->mem_usage = v;
	}
	uint64_t host = cg_host_memory();
	out->mem_limit = host;
	if (cg_read_u64(cg->path, "memory.max", &v, pd_err_ignore(optional)) == 0 && v < host)
		out->mem_limit = v;
	if (cg_read_u64(cg->path, "pids.current", &v, pd_err_ignore(optional)) == 0)
		out->pids = v;
	return 0;
}

static int cg2_usage(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err)
{
	_cleanup_free_ char *cpu = cg_read(cg->path, "cpu.stat", err);
	if (!cpu)
		return -1;
	uint64_t usec = 0, user = 0, sys = 0;
	cg_parse_keyed(cpu, "usage_usec", &usec);
	cg_parse_keyed(cpu, "user_usec", &user);
	cg_parse_keyed(cpu, "system_usec", &sys);
	out->cpu_ns = usec * 1000;
	out->cpu_user_ns = user * 1000;
	out->cpu_system_ns = sys * 1000;
	/* memory.peak since 5.19, pids.peak since 6.1. */
	out->has_mem_peak =
	    cg_read_u64(cg->path, "memory.peak", &out->mem_peak, pd_err_ignore(optional)) == 0;
	out->has_pids_peak =
	    cg_read_u64(cg->path, "pids.peak", &out->pids_peak, pd_err_ignore(optional)) == 0;
	return 0;
}

static int cg2_oom_fd(struct pd_cgroup *cg)
{
	if (!cg_file_exists(cg->path, "memory.events"))
		return -1;
	/* kernfs raises IN_MODIFY on memory.events whenever one of its
	 * counters changes (kernfs_notify), oom_kill among them. */
	_cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return -1;
	_cleanup_free_ char *p = xasprintf("%s/memory.events", cg->path);
	if (inotify_add_watch(fd, p, IN_MODIFY) < 0)
		return -1;
	return take_fd(&fd);
}

static bool cg2_oom_killed(struct pd_cgroup *cg)
{
	if (cg->oom_fd >= 0) {
		char buf[4096];
		while (read(cg->oom_fd, buf, sizeof(buf)) > 0)
			;
	}
	/* memory.events counts the group and its descendants, so an OOM kill
	 * in a sub-group the container made is counted too. */
	_cleanup_free_ char *ev = cg_read(cg->path, "memory.events", pd_err_ignore(status));
	uint64_t n = 0;
	return ev && cg_parse_keyed(ev, "oom_kill", &n) && n > 0;
}

static bool events_frozen_is(const char *dir, bool frozen)
{
	_cleanup_free_ char *ev = cg_read(dir, "cgroup.events", pd_err_ignore(status));
	uint64_t v = 0;
	return ev && cg_parse_keyed(ev, "frozen", &v) && (v != 0) == frozen;
}

static int cg2_freeze(struct pd_cgroup *cg, bool frozen, struct pd_err **err)
{
	if (!cg_file_exists(cg->path, "cgroup.freeze"))
		return pd_fail(err, ENOTSUP, "cgroup '%s' has no cgroup.freeze (a kernel before 5.2)",
			       cg->path);
	if (cg_write(cg->path, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	/* cgroup.events says "frozen 1" once every task of the group and
	 * below has stopped; a task in an uninterruptible sleep delays it.
	 * About 2 s; then the group is thawed again rather than left half
	 * frozen.  A thaw shows at once, unless a parent group is frozen. */
	if (cg_poll(events_frozen_is, cg->path, frozen, 2000))
		return 0;
	if (frozen) {
		cg_write(cg->path, "cgroup.freeze", "0", pd_err_ignore(cleanup));
		return pd_fail(err, EBUSY,
			       "freeze cgroup '%s': its processes did not all stop within 2 s (one in an "
			       "uninterruptible sleep?); left running",
			       cg->path);
	}
	return pd_fail(err, EBUSY, "thaw cgroup '%s': it still reads frozen (is a parent group frozen?)",
		       cg->path);
}

static int cg2_is_frozen(struct pd_cgroup *cg, bool *frozen, struct pd_err **err)
{
	_cleanup_free_ char *ev = cg_read(cg->path, "cgroup.events", err);
	if (!ev)
		return -1;
	/* No "frozen" key before 5.2: no freezer, so not frozen.  A freeze
	 * asked for but not reached yet counts too: some tasks are stopped. */
	uint64_t v = 0;
	_cleanup_free_ char *want = cg_read(cg->path, "cgroup.freeze", pd_err_ignore(optional));
	*frozen = (cg_parse_keyed(ev, "frozen", &v) && v) || (want && want[0] == '1');
	return 0;
}

/* cgroup.kill (5.14) kills the group and every group below in the kernel,
 * racing no fork, frozen tasks included. */
static int cg2_kill_tree(struct pd_cgroup *cg, struct pd_err **err)
{
	if (!cg_file_exists(cg->path, "cgroup.kill"))
		return 0;
	return cg_write(cg->path, "cgroup.kill", "1", err) < 0 ? -1 : 1;
}

static int cg2_destroy(struct pd_cgroup *cg, struct pd_err **err)
{
	return cg->path ? cg_rmdir_tree(cg->path, err) : 0;
}

static int cg2_mount_view(int targetfd, bool userns, struct pd_err **err)
{
	/* In our cgroup namespace a new cgroup2 instance is rooted at the
	 * group we were in when it was made: the container's own. */
	unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int mfd = cg_fs_new("cgroup2", NULL, NULL, attrs, err);
	if (mfd < 0)
		return -1;
	if (move_mount(mfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach cgroup2 at /sys/fs/cgroup");
	return 0;
}

const struct cg_ops cg2_ops = {
	.name = "v2",
	.create = cg2_create,
	.open = cg2_open,
	.set_limits = cg2_set_limits,
	.prepare_update = cg2_prepare_update,
	.add_pid = cg2_add_pid,
	.stats = cg2_stats,
	.usage = cg2_usage,
	.oom_fd = cg2_oom_fd,
	.oom_killed = cg2_oom_killed,
	.freeze = cg2_freeze,
	.is_frozen = cg2_is_frozen,
	.kill_tree = cg2_kill_tree,
	.destroy = cg2_destroy,
	.mount_view = cg2_mount_view,
};
