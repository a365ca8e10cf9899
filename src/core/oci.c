/* An OCI runtime spec as a struct pd_config (the map is in core/config.h's
 * top comment; core/spec.c is the other direction).  Runs in the CLI
 * (`pocket-runc run`), before anything is created; reads nothing but
 * geteuid() and, when the spec has no hostname, gethostname().
 *
 * Phase 1 of the runtime face: what the engine does for `pocket-docker run`
 * is what a bundle gets.  So a field the engine cannot honour is refused
 * with an error naming it, never dropped: a container must not run weaker
 * (or differently) than its document asks.  What is accepted as it is:
 * - the default mounts at their usual places (/proc, /dev, /dev/pts,
 *   /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup): the runtime always makes
 *   its own /proc, /dev (tmpfs with the usual nodes), /dev/pts, /dev/shm,
 *   read-only /sys and /sys/fs/cgroup; /dev/mqueue is not mounted in this
 *   phase (the IPC namespace's queues still work through mq_open);
 * - linux.maskedPaths and linux.readonlyPaths: the runtime always applies
 *   its own fixed lists (Docker's, linux/mount.c), and the document's
 *   other paths too; one that lists fewer runs stricter;
 * - linux.cgroupsPath: the container's group (cgroupfs or systemd's
 *   "slice:prefix:name" form, made by `create`), with the document's limits;
 * - linux.resources.devices: the runtime's /dev holds only the nodes runc
 *   always allows, and every other mount is nodev (see pd_limits_from_oci);
 * - annotations: kept nowhere; "org.pocket-docker.seccomp": "default" (what
 *   `run --dump-spec` writes for the built-in profile) selects that
 *   profile, which can only make the container stricter. */
#include "core/oci.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jansson.h>

#include "linux/mount.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define refuse(err, ...) pd_fail_kind(err, PD_ERR_USAGE, 0, __VA_ARGS__)

static int not_yet(struct pd_err **err, const char *field)
{
	return refuse(err, "%s: not supported yet", field);
}

/* The mounts every container gets, at their usual destinations. */
static bool is_default_mount(const struct pd_oci_mount *m)
{
	static const struct {
		const char *dest, *type, *type2;
	} defaults[] = {
		{ "/proc", "proc", NULL },
		{ "/dev", "tmpfs", NULL },
		{ "/dev/pts", "devpts", NULL },
		{ "/dev/shm", "tmpfs", NULL },
		{ "/dev/mqueue", "mqueue", NULL },
		{ "/sys", "sysfs", NULL },
		{ "/sys/fs/cgroup", "cgroup", "cgroup2" },
	};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (strcmp(m->destination, defaults[i].dest))
			continue;
		/* `runc spec --rootless` binds the host's /sys (an
		 * unprivileged user may not mount sysfs): the runtime's own
		 * read-only /sys stands in for it. */
		if (!strcmp(m->destination, "/sys") && m->is_bind && m->source && !strcmp(m->source, "/sys"))
			return true;
		return !m->is_bind && m->type &&
		       (!strcmp(m->type, defaults[i].type) ||
			(defaults[i].type2 && !strcmp(m->type, defaults[i].type2)));
	}
	return false;
}

/* Flags the runtime can honour as asked: what each mount gets anyway
 * (nodev; nosuid on a tmpfs), what it can set (ro, nosuid, noexec), and
 * the atime modes, which change no one's access.  Propagation: private
 * (the runtime's own, rprivate) and slave are made private; shared, which
 * would let the container's mounts reach the host, is refused. */
#define HONOURED_FLAGS                                                                                       \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_BIND | MS_REC | MS_NOATIME | MS_NODIRATIME |      \
	 MS_RELATIME | MS_STRICTATIME)

static int check_flags(const struct pd_oci_mount *m, size_t i, struct pd_err **err)
{
	if (m->flags & ~(unsigned long)HONOURED_FLAGS)
		return refuse(err, "mounts[%zu] ('%s'): mount flags %#lx are not supported yet", i,
			      m->destination, m->flags & ~(unsigned long)HONOURED_FLAGS);
	if (m->propagation & (MS_SHARED | MS_UNBINDABLE))
		return refuse(err,
			      "mounts[%zu] ('%s'): shared or unbindable propagation is not supported yet", i,
			      m->destination);
	if (m->rec_attr_set || m->rec_attr_clr)
		return refuse(err, "mounts[%zu] ('%s'): recursive mount attributes are not supported yet", i,
			      m->destination);
	if (m->tmpcopyup)
		return refuse(err, "mounts[%zu] ('%s'): tmpcopyup is not supported yet", i, m->destination);
	return 0;
}

static int bind_mount(const struct pd_oci_mount *m, size_t i, const char *bundle, struct pd_config *out,
		      struct pd_err **err)
{
	if (!m->source)
		return refuse(err, "mounts[%zu] ('%s'): a bind mount needs a source", i, m->destination);
	if (pd_check_container_path("mount destination", m->destination, err) < 0)
		return -1;
	if (!strcmp(m->destination, "/"))
		return refuse(err, "mounts[%zu]: a bind mount over the root is not supported", i);
	if (check_flags(m, i, err) < 0)
		return -1;
	if (m->data)
		return refuse(err, "mounts[%zu] ('%s'): bind option '%s' is not supported yet", i,
			      m->destination, m->data);
	/* As for -v: the source exists now and is recorded free of
	 * symlinks (a relative one is the bundle's). */
	_cleanup_free_ char *given =
	    m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
	char *src = realpath(given, NULL);
	if (!src)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "mounts[%zu] ('%s'): source '%s'", i,
				    m->destination, given);
	struct pd_mount pm = { .type = PD_MOUNT_BIND };
	pm.bind.src = src;
	pm.bind.dest = xstrdup(m->destination);
	pm.bind.readonly = m->flags & MS_RDONLY;
	pm.bind.nosuid = m->flags & MS_NOSUID;
	pm.bind.noexec = m->flags & MS_NOEXEC;
	pd_config_add_mount(out, &pm);
	return 0;
}

/* A tmpfs as `--tmpfs` takes it: size= and mode= in the data, exec or
 * noexec; always nosuid and nodev (mount.c). */
static int tmpfs_mount(const struct pd_oci_mount *m, size_t i, struct pd_config *out, struct pd_err **err)
{
	if (check_flags(m, i, err) < 0)
		return -1;
	if (m->flags & MS_RDONLY)
		return refuse(err, "mounts[%zu] ('%s'): a read-only tmpfs is not supported yet", i,
			      m->destination);
	_cleanup_free_ char *spec =
	    xasprintf("%s:%s", m->destination, m->flags & MS_NOEXEC ? "noexec" : "exec");
	_cleanup_free_ char *data = m->data ? xstrdup(m->data) : NULL;
	char *save = NULL;
	for (char *o = data ? strtok_r(data, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		if (!str_has_prefix(o, "size=") && !str_has_prefix(o, "mode="))
			return refuse(err, "mounts[%zu] ('%s'): tmpfs option '%s' is not supported yet", i,
				      m->destination, o);
		char *next = xasprintf("%s,%s", spec, o);
		free(spec);
		spec = next;
	}
	struct pd_tmpfs t = { 0 };
	if (pd_tmpfs_parse(spec, &t, err) < 0) {
		pd_err_prefix(err, "mounts[%zu]", i);
		return -1;
	}
	struct pd_mount pm = { .type = PD_MOUNT_TMPFS, .tmpfs = t };
	pd_config_add_mount(out, &pm);
	return 0;
}

static int map_mounts(const struct pd_oci_spec *s, const char *bundle, struct pd_config *out,
		      struct pd_err **err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct pd_oci_mount *m = &s->mounts[i];
		if (is_default_mount(m))
			continue;
		/* Anything else over /proc could hide the masked paths or
		 * stand a fake /proc in for the kernel's (runc refuses it too). */
		if (!strcmp(m->destination, "/proc") || str_has_prefix(m->destination, "/proc/"))
			return refuse(err,
				      "mounts[%zu] ('%s'): only the runtime's own proc may be mounted there",
				      i, m->destination);
		if (m->n_uid_mappings || m->n_gid_mappings || m->idmap)
			return refuse(err, "mounts[%zu] ('%s'): idmapped mounts are not supported yet", i,
				      m->destination);
		if (m->is_bind) {
			if (bind_mount(m, i, bundle, out, err) < 0)
				return -1;
		} else if (m->type && !strcmp(m->type, "tmpfs")) {
			if (tmpfs_mount(m, i, out, err) < 0)
				return -1;
		} else {
			return refuse(
			    err, "mounts[%zu] ('%s', type '%s'): not supported yet (bind and tmpfs only)", i,
			    m->destination, m->type ? m->type : "none");
		}
	}
	return 0;
}

static char *user_string(const struct pd_oci_process *p)
{
	return xasprintf("%u:%u", p->uid, p->gid);
}

/* One set for the engine: bounding; root holds it effective and
 * permitted, another user none (core/config.h).  Any other shape cannot be
 * made, so it is refused rather than approximated. */
static int map_caps(const struct pd_oci_process *p, struct pd_config *out, struct pd_err **err)
{
	const struct pd_oci_caps *c = &p->caps;
	if (!p->has_caps) {
		out->caps = 0;
		return 0;
	}
	if (c->inheritable)
		return refuse(err, "process.capabilities.inheritable: not supported yet (nothing is "
				   "inheritable here)");
	if (p->uid == 0 && (c->effective != c->bounding || c->permitted != c->bounding))
		return refuse(err, "process.capabilities: for uid 0 the effective and permitted sets must "
				   "equal the bounding set (the runtime gives root one set)");
	if (p->uid != 0 && (c->effective || c->permitted))
		return refuse(err, "process.capabilities: a user other than root holds no effective or "
				   "permitted capabilities here (they are dropped at the user switch)");
	/* runc's default spec lists the set as ambient too.  For uid 0 that
	 * adds nothing: root's permitted set after execve is already the
	 * whole bounding set, which holds the ambient one. */
	if (c->ambient && (p->uid != 0 || (c->ambient & ~c->bounding)))
		return refuse(err, "process.capabilities.ambient: supported only for uid 0 and within the "
				   "bounding set (no ambient capabilities for other users yet)");
	out->caps = c->bounding;
	return 0;
}

int pd_config_from_oci_process(const struct pd_oci_process *p, struct pd_config *out, struct pd_err **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		out->rlimits = xrealloc(out->rlimits, (out->n_rlimits + 1) * sizeof(*out->rlimits));
		out->rlimits[out->n_rlimits++] = (struct pd_rlimit){ .type = p->rlimits[i].type,
								     .soft = p->rlimits[i].soft,
								     .hard = p->rlimits[i].hard };
	}
	if (p->oom_score_adj.set) {
		out->has_oom_score_adj = true;
		out->oom_score_adj = (int)p->oom_score_adj.val;
	}
	if (p->n_additional_gids) {
		out->groups = xcalloc(p->n_additional_gids, sizeof(*out->groups));
		for (size_t i = 0; i < p->n_additional_gids; i++)
			out->groups[i] = p->additional_gids[i];
		out->n_groups = p->n_additional_gids;
	}
	if (p->umask.set) { /* 0..0777, as the decoder checked */
		out->has_umask = true;
		out->umask = (unsigned)p->umask.val;
	}
	if (p->apparmor_profile)
		return not_yet(err, "process.apparmorProfile");
	if (p->selinux_label)
		return not_yet(err, "process.selinuxLabel");
	if (p->has_io_priority)
		return not_yet(err, "process.ioPriority");
	if (p->has_scheduler)
		return not_yet(err, "process.scheduler");
	if (p->has_exec_cpu_affinity)
		return not_yet(err, "process.execCPUAffinity");
	out->argv = strv_copy(p->args);
	out->env = p->env ? strv_copy(p->env) : xcalloc(1, sizeof(char *));
	free(out->workdir);
	out->workdir = xstrdup(p->cwd);
	out->user = user_string(p);
	out->tty = p->terminal;
	if (p->has_console_size) {
		if (p->console_height > USHRT_MAX || p->console_width > USHRT_MAX)
			return refuse(err, "process.consoleSize: at most %u rows and columns", USHRT_MAX);
		out->tty_rows = (unsigned short)p->console_height;
		out->tty_cols = (unsigned short)p->console_width;
	}
	out->no_new_privs_off = !p->no_new_privileges;
	return map_caps(p, out, err);
}

static int map_namespaces(const struct pd_oci_linux *l, struct pd_config *out, struct pd_err **err)
{
	bool have[PD_OCI_NS_COUNT] = { false };
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct pd_oci_namespace *ns = &l->namespaces[i];
		/* Joined by path: a pod's containers share its sandbox's
		 * network, IPC and UTS namespaces (Kubernetes through the CRI). */
		char **join = ns->type == PD_OCI_NS_NETWORK ? &out->netns_path
			      : ns->type == PD_OCI_NS_IPC   ? &out->ipcns_path
			      : ns->type == PD_OCI_NS_UTS   ? &out->utsns_path
							    : NULL;
		if (ns->path && (!join || geteuid() != 0))
			return refuse(
			    err, "linux.namespaces: joining the %s namespace '%s' is not supported yet%s",
			    pd_oci_ns_name(ns->type), ns->path,
			    join ? " rootless" : " (network, ipc and uts only)");
		if (ns->path && ns->path[0] != '/')
			return refuse(err, "linux.namespaces: the %s namespace path '%s' is not absolute",
				      pd_oci_ns_name(ns->type), ns->path);
		if (ns->path) {
			free(*join);
			*join = xstrdup(ns->path);
		}
		if (ns->type == PD_OCI_NS_TIME)
			return not_yet(err, "linux.namespaces: time");
		have[ns->type] = true;
	}
	static const enum pd_oci_ns_type needed[] = { PD_OCI_NS_PID, PD_OCI_NS_MOUNT, PD_OCI_NS_IPC,
						      PD_OCI_NS_UTS };
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!have[needed[i]])
			return refuse(err,
				      "linux.namespaces: a container without its own %s namespace is not "
				      "supported yet",
				      pd_oci_ns_name(needed[i]));
	/* The cgroup namespace is always made (core/init.c). */
	out->net.mode = have[PD_OCI_NS_NETWORK] ? PD_NET_DEFAULT : PD_NET_HOST;
	out->rootless = geteuid() != 0;
	if ((have[PD_OCI_NS_USER] || l->n_uid_mappings || l->n_gid_mappings) && !out->rootless)
		return refuse(err, "linux.namespaces: a user namespace (uidMappings, gidMappings) is "
				   "supported only when running rootless (not yet as root)");
	/* Rootless, the runtime always makes a user namespace with its own
	 * mapping: the caller as root, and its subordinate range. */
	return 0;
}

int pd_limits_from_oci(const struct pd_oci_resources *r, struct pd_limits *lim, struct pd_err **err)
{
	/* linux.resources.devices: there is no device cgroup here.  The
	 * container can open only the nodes the runtime makes in its /dev
	 * (every other mount is nodev): the ones runc always allows too
	 * (null, zero, full, random, urandom, tty, ptmx and its pts).  A rule
	 * that allows more leaves it stricter than asked.
	 * What the host cannot honour (a v2 key on v1, swappiness on v2, a
	 * file its kernel lacks) the cgroup module refuses at create and
	 * update; refused here is what no host can. */
	if (r->mem_kernel.set && r->mem_kernel.val > 0)
		return refuse(err,
			      "linux.resources.memory.kernel: not supported (kernel memory limits are "
			      "gone: Linux 6.1 ignores memory.kmem.limit_in_bytes, cgroup v2 never had one)");
	if (r->has_block_io && r->blkio_leaf_weight.set)
		return refuse(err,
			      "linux.resources.blockIO.leafWeight: not supported (leaf weights went with "
			      "the CFQ scheduler in Linux 5.0)");
	if (r->has_network)
		return refuse(err, "linux.resources.network: not supported (net_cls and net_prio are cgroup "
				   "v1 controllers the runtime does not manage; cgroup v2 has neither: use "
				   "nftables or tc on the container's interfaces)");
	if (r->has_rdma)
		return refuse(err, "linux.resources.rdma: not supported (the rdma controller is not managed "
				   "by the runtime)");
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		if (!r->hugepage_limits[i].page_size)
			return refuse(err, "linux.resources.hugepageLimits[%zu]: no pageSize", i);
	const struct {
		const struct pd_oci_blkio_dev *v;
		size_t n;
		enum pd_blkio_kind kind;
		const char *name;
	} devs[] = {
		{ r->blkio_weight_device, r->n_blkio_weight_device, PD_BLKIO_WEIGHT, "weightDevice" },
		{ r->blkio_throttle_read_bps, r->n_blkio_throttle_read_bps, PD_BLKIO_READ_BPS,
		  "throttleReadBpsDevice" },
		{ r->blkio_throttle_write_bps, r->n_blkio_throttle_write_bps, PD_BLKIO_WRITE_BPS,
		  "throttleWriteBpsDevice" },
		{ r->blkio_throttle_read_iops, r->n_blkio_throttle_read_iops, PD_BLKIO_READ_IOPS,
		  "throttleReadIOPSDevice" },
		{ r->blkio_throttle_write_iops, r->n_blkio_throttle_write_iops, PD_BLKIO_WRITE_IOPS,
		  "throttleWriteIOPSDevice" },
	};
	size_t n_devs = 0;
	for (size_t k = 0; k < sizeof(devs) / sizeof(devs[0]); k++)
		for (size_t i = 0; i < devs[k].n; i++) {
			const struct pd_oci_blkio_dev *d = &devs[k].v[i];
			if (d->major < 0 || d->major > UINT32_MAX || d->minor < 0 || d->minor > UINT32_MAX)
				return refuse(err,
					      "linux.resources.blockIO.%s[%zu]: invalid device %lld:%lld",
					      devs[k].name, i, (long long)d->major, (long long)d->minor);
			if (d->leaf_weight.set)
				return refuse(
				    err,
				    "linux.resources.blockIO.weightDevice[%zu].leafWeight: not "
				    "supported (leaf weights went with the CFQ scheduler in Linux 5.0)",
				    i);
			n_devs++;
		}
	/* Nothing refused below: what is allocated is the caller's. */
	/* -1 and 0 are "no limit" in the spec as in Docker's flags. */
	if (r->mem_limit.set && r->mem_limit.val > 0)
		lim->memory = (uint64_t)r->mem_limit.val;
	if (r->mem_swap.set && r->mem_swap.val != 0)
		lim->memory_swap = r->mem_swap.val < 0 ? -1 : r->mem_swap.val;
	if (r->mem_reservation.set && r->mem_reservation.val != 0)
		lim->memory_reservation = r->mem_reservation.val < 0 ? -1 : r->mem_reservation.val;
	if (r->mem_kernel_tcp.set && r->mem_kernel_tcp.val != 0)
		lim->kernel_tcp = r->mem_kernel_tcp.val < 0 ? -1 : r->mem_kernel_tcp.val;
	lim->has_swappiness = r->mem_swappiness.set;
	lim->swappiness = r->mem_swappiness.val;
	lim->disable_oom_killer = r->mem_disable_oom_killer;
	if (r->cpu_quota.set && r->cpu_quota.val > 0)
		lim->cpu_quota_us = (uint64_t)r->cpu_quota.val;
	if (r->cpu_period.set)
		lim->cpu_period_us = r->cpu_period.val;
	if (r->cpu_shares.set)
		lim->cpu_shares = r->cpu_shares.val;
	lim->has_cpu_burst = r->cpu_burst.set;
	lim->cpu_burst_us = r->cpu_burst.val;
	lim->has_cpu_idle = r->cpu_idle.set;
	lim->cpu_idle = r->cpu_idle.val;
	if (r->cpu_realtime_period.set)
		lim->cpu_rt_period_us = r->cpu_realtime_period.val;
	lim->has_cpu_rt_runtime = r->cpu_realtime_runtime.set;
	lim->cpu_rt_runtime_us = r->cpu_realtime_runtime.val < 0 ? -1 : r->cpu_realtime_runtime.val;
	if (r->has_pids && r->pids_limit > 0)
		lim->pids_max = (uint64_t)r->pids_limit;
	if (r->has_block_io && r->blkio_weight.set)
		lim->blkio_weight = r->blkio_weight.val;
	if (n_devs)
		lim->blkio_devs = xcalloc(n_devs, sizeof(*lim->blkio_devs));
	for (size_t k = 0; k < sizeof(devs) / sizeof(devs[0]); k++)
		for (size_t i = 0; i < devs[k].n; i++) {
			const struct pd_oci_blkio_dev *d = &devs[k].v[i];
			bool weight = devs[k].kind == PD_BLKIO_WEIGHT;
			if (weight && !d->weight.set)
				continue;
			lim->blkio_devs[lim->n_blkio_devs++] = (struct pd_blkio_dev){
				.kind = devs[k].kind,
				.major = (uint32_t)d->major,
				.minor = (uint32_t)d->minor,
				.value = weight ? d->weight.val : d->rate,
			};
		}
	if (r->n_hugepage_limits) {
		lim->hugepages = xcalloc(r->n_hugepage_limits, sizeof(*lim->hugepages));
		for (size_t i = 0; i < r->n_hugepage_limits; i++)
			lim->hugepages[i] = (struct pd_hugepage_limit){
				.size = xstrdup(r->hugepage_limits[i].page_size),
				.limit = r->hugepage_limits[i].limit,
			};
		lim->n_hugepages = r->n_hugepage_limits;
	}
	if (r->n_unified) {
		lim->unified = xcalloc(r->n_unified, sizeof(*lim->unified));
		for (size_t i = 0; i < r->n_unified; i++)
			lim->unified[i] = (struct pd_cg_kv){ .key = xstrdup(r->unified[i].key),
							     .value = xstrdup(r->unified[i].value) };
		lim->n_unified = r->n_unified;
	}
	if (r->cpu_cpus && *r->cpu_cpus)
		lim->cpuset_cpus = xstrdup(r->cpu_cpus);
	if (r->cpu_mems && *r->cpu_mems)
		lim->cpuset_mems = xstrdup(r->cpu_mems);
	return 0;
}

/* The nodes the runtime's /dev always holds. */
static bool is_default_device(const struct pd_oci_device *d)
{
	static const char *const nodes[] = { "/dev/null",   "/dev/zero",    "/dev/full",
					     "/dev/random", "/dev/urandom", "/dev/tty" };
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		if (!strcmp(d->path, nodes[i]) && d->type == 'c')
			return true;
	return false;
}

/* Another device: the host's node of that number, found through sysfs
 * (/sys/dev/char/M:m names it) and bound into the container as `--device`
 * binds one (mknod would not do: every mount of the container's is nodev).
 * So its mode and owner are the host node's; a document that asks others
 * is refused rather than run differently. */
static int map_device(const struct pd_oci_device *d, size_t i, struct pd_config *out, struct pd_err **err)
{
	if (d->type != 'c' && d->type != 'u' && d->type != 'b')
		return refuse(err,
			      "linux.devices[%zu] ('%s'): only character and block devices are supported", i,
			      d->path);
	if (pd_check_container_path("linux.devices path", d->path, err) < 0)
		return -1;
	bool block = d->type == 'b';
	_cleanup_free_ char *uevent = xasprintf("/sys/dev/%s/%lld:%lld/uevent", block ? "block" : "char",
						(long long)d->major, (long long)d->minor);
	_cleanup_free_ char *text = pd_read_file(uevent, NULL, pd_err_ignore(optional));
	char *name = text ? strstr(text, "DEVNAME=") : NULL;
	if (!name)
		return refuse(err, "linux.devices[%zu] ('%s'): the host has no device %c %lld:%lld", i,
			      d->path, d->type, (long long)d->major, (long long)d->minor);
	name += strlen("DEVNAME=");
	name[strcspn(name, "\n")] = '\0';
	_cleanup_free_ char *host = xasprintf("/dev/%s", name);
	struct stat st;
	if (strstr(name, "..") || lstat(host, &st) < 0 ||
	    (block ? !S_ISBLK(st.st_mode) : !S_ISCHR(st.st_mode)) ||
	    st.st_rdev != makedev((unsigned)d->major, (unsigned)d->minor))
		return refuse(err, "linux.devices[%zu] ('%s'): no host node for %c %lld:%lld", i, d->path,
			      d->type, (long long)d->major, (long long)d->minor);
	if ((d->file_mode.set && (d->file_mode.val & 07777) != (st.st_mode & 07777)) ||
	    (d->uid.set && d->uid.val != st.st_uid) || (d->gid.set && d->gid.val != st.st_gid))
		return refuse(
		    err,
		    "linux.devices[%zu] ('%s'): a mode or owner other than the host node's '%s' is not "
		    "supported yet (the node is a bind of the host's)",
		    i, d->path, host);
	struct pd_device dev = { .host = take_ptr(&host), .dest = xstrdup(d->path), .perms = "rwm" };
	pd_config_add_device(out, &dev);
	return 0;
}

/* Seccomp: the document's own filter, compiled by the same compiler as a
 * --security-opt profile; none means unconfined, as runc does. */
static void map_seccomp(const struct pd_oci_spec *s, struct pd_config *out)
{
	free(out->seccomp);
	if (s->linux_cfg.has_seccomp) {
		out->seccomp = xstrdup("oci");
		out->seccomp_json = xstrdup(s->linux_cfg.seccomp.json);
		return;
	}
	for (size_t i = 0; i < s->n_annotations; i++)
		if (!strcmp(s->annotations[i].key, "org.pocket-docker.seccomp") &&
		    !strcmp(s->annotations[i].value, "default")) {
			out->seccomp = NULL;
			return;
		}
	out->seccomp = xstrdup("unconfined");
}

/* Whether the document gives the container its own namespace of `type`
 * (not the host's, not one joined by path). */
static bool owns_ns(const struct pd_oci_linux *l, enum pd_oci_ns_type type)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		if (l->namespaces[i].type == type)
			return !l->namespaces[i].path;
	return false;
}

/* A sysctl is set only in a namespace of the container's own: the network
 * namespace's net.*, the IPC namespace's kernel.shm*, kernel.msg*,
 * kernel.sem and fs.mqueue.*, the UTS namespace's names.  Anything else
 * would change the host (or a namespace the container shares). */
static int map_sysctl(const struct pd_oci_kv *kv, const struct pd_oci_linux *l, struct pd_config *out,
		      struct pd_err **err)
{
	static const enum pd_oci_ns_type types[] = { [PD_SYSCTL_NET] = PD_OCI_NS_NETWORK,
						     [PD_SYSCTL_IPC] = PD_OCI_NS_IPC,
						     [PD_SYSCTL_UTS] = PD_OCI_NS_UTS };
	enum pd_sysctl_ns ns;
	if (pd_sysctl_check(kv->key, kv->value, &ns, err) < 0) {
		pd_err_prefix(err, "linux.sysctl");
		return -1;
	}
	if (!owns_ns(l, types[ns]))
		return refuse(err, "linux.sysctl: '%s' needs a %s namespace of the container's own", kv->key,
			      pd_oci_ns_name(types[ns]));
	_cleanup_free_ char *line = xasprintf("%s=%s", kv->key, kv->value);
	strv_push(&out->sysctls, line);
	return 0;
}

static int map_linux(const struct pd_oci_spec *s, struct pd_config *out, struct pd_err **err)
{
	const struct pd_oci_linux *l = &s->linux_cfg;
	for (size_t i = 0; i < l->n_sysctl; i++)
		if (map_sysctl(&l->sysctl[i], l, out, err) < 0)
			return -1;
	if (l->mount_label)
		return not_yet(err, "linux.mountLabel");
	if (l->has_intel_rdt)
		return not_yet(err, "linux.intelRdt");
	out->linux32 = l->has_personality && l->personality_linux32;
	if (l->has_time_offsets)
		return not_yet(err, "linux.timeOffsets");
	if (l->has_net_devices)
		return not_yet(err, "linux.netDevices");
	if (l->has_memory_policy)
		return not_yet(err, "linux.memoryPolicy");
	if (l->rootfs_propagation)
		return not_yet(err, "linux.rootfsPropagation");
	if (l->has_seccomp && l->seccomp.listener_path)
		return not_yet(err, "linux.seccomp.listenerPath");
	for (size_t i = 0; i < l->n_devices; i++)
		if (!is_default_device(&l->devices[i]) && map_device(&l->devices[i], i, out, err) < 0)
			return -1;
	/* The runtime applies its own fixed lists; what a document lists
	 * beyond them is applied too. */
	for (size_t i = 0; l->masked_paths && l->masked_paths[i]; i++) {
		if (pd_check_container_path("linux.maskedPaths", l->masked_paths[i], err) < 0)
			return -1;
		if (!mnt_is_masked(l->masked_paths[i]))
			strv_push(&out->masked_paths, l->masked_paths[i]);
	}
	for (size_t i = 0; l->readonly_paths && l->readonly_paths[i]; i++) {
		if (pd_check_container_path("linux.readonlyPaths", l->readonly_paths[i], err) < 0)
			return -1;
		if (!mnt_is_readonly(l->readonly_paths[i]))
			strv_push(&out->readonly_paths, l->readonly_paths[i]);
	}
	/* As given: `create` makes it a group path (pd_cg_oci_path), knowing
	 * whether the caller speaks systemd's form. */
	if (l->cgroups_path.path && *l->cgroups_path.path)
		out->cgroup_path = xstrdup(l->cgroups_path.path);
	if (map_namespaces(l, out, err) < 0)
		return -1;
	if (l->has_resources && pd_limits_from_oci(&l->resources, &out->limits, err) < 0)
		return -1;
	map_seccomp(s, out);
	return 0;
}

int pd_config_from_oci(const struct pd_oci_spec *s, const char *bundle, struct pd_config *out,
		       struct pd_err **err)
{
	pd_config_init(out);
	if (!s->process)
		return refuse(err, "process: required to run a container");
	if (!s->has_linux)
		return refuse(err, "linux: required (the standard namespaces)");
	/* The others run in the runtime's namespaces (core/oci-run.c). */
	if (s->hooks[PD_OCI_HOOK_CREATE_CONTAINER].n || s->hooks[PD_OCI_HOOK_START_CONTAINER].n)
		return refuse(err, "hooks.%s: hooks run inside the container are not supported yet",
			      s->hooks[PD_OCI_HOOK_CREATE_CONTAINER].n ? "createContainer"
								       : "startContainer");
	if (s->domainname && *s->domainname)
		out->domainname = xstrdup(s->domainname);
	_cleanup_free_ char *abs_bundle = realpath(bundle, NULL);
	if (!abs_bundle)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "bundle '%s'", bundle);
	out->rootfs_arg =
	    s->root_path[0] == '/' ? xstrdup(s->root_path) : xasprintf("%s/%s", abs_bundle, s->root_path);
	out->read_only = s->root_readonly;
	if (pd_config_from_oci_process(s->process, out, err) < 0 || map_linux(s, out, err) < 0 ||
	    map_mounts(s, abs_bundle, out, err) < 0)
		return -1;
	if (out->utsns_path) {
		/* The joined namespace's name is its owner's. */
		if (s->hostname && *s->hostname)
			return refuse(err, "hostname: cannot be set in a joined uts namespace");
	} else if (s->hostname && *s->hostname) {
		out->hostname = xstrdup(s->hostname);
	} else {
		/* No hostname: the new UTS namespace keeps the host's name, as
		 * it does under runc. */
		char name[HOST_NAME_MAX + 1] = "";
		if (gethostname(name, sizeof(name)) < 0)
			return pd_fail(err, errno, "gethostname");
		name[HOST_NAME_MAX] = '\0';
		out->hostname = xstrdup(name);
	}
	return 0;
}

int pd_config_from_bundle(const char *bundle, struct pd_config *out, struct pd_err **err)
{
	_cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
	size_t len = 0;
	_cleanup_free_ char *text = pd_read_regular(path, "bundle config", PD_OCI_MAX_JSON >> 20, &len, err);
	if (!text) {
		pd_config_init(out);
		return -1;
	}
	struct pd_oci_spec spec;
	if (pd_oci_spec_parse(text, len, &spec, err) < 0) {
		pd_config_init(out);
		pd_err_prefix(err, "%s", path);
		return -1;
	}
	int r = pd_config_from_oci(&spec, bundle, out, err);
	pd_oci_spec_free(&spec);
	return r;
}

const char *pd_oci_spec_version(void)
{
	return PD_OCI_VERSION;
}

/* The default document as it is (runc's, RLIMIT_NOFILE included). */
char *pd_oci_runnable_spec(bool rootless, struct pd_err **err)
{
	_cleanup_free_ char *text = NULL;
	if (pd_oci_spec_default(rootless, &text, err) < 0)
		return NULL;
	json_t *j = json_loads(text, 0, NULL);
	if (!j) {
		pd_fail(err, 0, "the default spec does not parse");
		return NULL;
	}
	char *out = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!out)
		pd_fail(err, ENOMEM, "write the spec");
	return out;
}

/* What the runtime runs and nothing more (runtime-spec features.md). */
char *pd_oci_features(struct pd_err **err)
{
	json_t *caps = json_array();
	for (int c = 0; c < 64; c++)
		if (pd_oci_cap_name(c))
			json_array_append_new(caps, json_string(pd_oci_cap_name(c)));
	json_t *j = json_pack(
	    "{s:s, s:s, s:[s,s,s,s], s:[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s],"
	    " s:{s:[s,s,s,s,s,s,s], s:o, s:{s:b, s:b, s:b, s:b, s:b},"
	    "    s:{s:b, s:[s,s,s,s,s,s,s,s], s:[s,s,s,s,s,s,s]},"
	    "    s:{s:b}, s:{s:b}},"
	    " s:{s:s}}",
	    "ociVersionMin", "1.0.0", "ociVersionMax", PD_OCI_VERSION, "hooks", "prestart", "createRuntime",
	    "poststart", "poststop", "mountOptions", "bind", "rbind", "ro", "rw", "nosuid", "suid", "nodev",
	    "dev", "noexec", "exec", "atime", "noatime", "relatime", "strictatime", "nodiratime", "private",
	    "rprivate", "slave", "rslave", "size", "linux", "namespaces", "cgroup", "ipc", "mount", "network",
	    "pid", "uts", "user", "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0,
	    "systemdUser", 0, "rdma", 0, "seccomp", "enabled", 1, "actions", "SCMP_ACT_ALLOW",
	    "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
	    "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "operators", "SCMP_CMP_NE", "SCMP_CMP_LT",
	    "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", "apparmor",
	    "enabled", 0, "selinux", "enabled", 0, "annotations", "org.pocket-docker.refused",
	    "every field the runtime cannot honour fails create with an error naming it");
	char *text = j ? json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text)
		pd_fail(err, ENOMEM, "write the features document");
	return text;
}
