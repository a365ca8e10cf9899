/* linux.* of config.json (see spec.h): namespaces, id mappings, time
 * offsets, devices, resources (also on their own, for `update
 * --resources`), cgroupsPath, sysctl, seccomp, masked and read-only paths,
 * propagation, personality.  Pure logic, any process; the rules of
 * spec.c's header apply. */
#include "oci/spec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/decode.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* ---- seccomp names ---- */

static const char *const seccomp_actions[] = {
	"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",	   "SCMP_ACT_TRACE",
	"SCMP_ACT_ALLOW", "SCMP_ACT_LOG",	   "SCMP_ACT_NOTIFY",
};

static const char *const seccomp_arches[] = {
	"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",	    "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",	   "SCMP_ARCH_MIPS64",	    "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	    "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	    "SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K",    "SCMP_ARCH_SH",	   "SCMP_ARCH_SHEB",
};

static const struct {
	const char *name;
	unsigned flag;
} seccomp_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", PD_OCI_SECCOMP_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", PD_OCI_SECCOMP_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", PD_OCI_SECCOMP_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", PD_OCI_SECCOMP_FLAG_WAIT_KILLABLE_RECV },
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* ---- linux.resources ---- */

static int decode_dev_rule(struct oci_ctx *c, json_t *v, struct pd_oci_dev_rule *d)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	json_t *allow = oci_member(v, "allow");
	size_t m = oci_enter_key(c, "allow");
	int r = !allow			  ? oci_bad(c, "required")
		: !json_is_boolean(allow) ? oci_bad(c, "want true or false")
					  : 0;
	oci_leave(c, m);
	if (r < 0)
		return -1;
	d->allow = json_is_true(allow);
	_cleanup_free_ char *type = NULL, *access = NULL;
	if (oci_get_str(c, v, "type", false, &type) < 0 || oci_get_str(c, v, "access", false, &access) < 0)
		return -1;
	d->type = 'a';
	if (type) {
		m = oci_enter_key(c, "type");
		if ((strcmp(type, "a") && strcmp(type, "c") && strcmp(type, "b")))
			r = oci_bad(c, "want \"a\", \"c\" or \"b\"");
		oci_leave(c, m);
		if (r < 0)
			return -1;
		d->type = type[0];
	}
	snprintf(d->access, sizeof(d->access), "rwm");
	if (access) {
		size_t n = strlen(access);
		bool ok = n >= 1 && n <= 3 && strspn(access, "rwm") == n;
		for (size_t i = 0; ok && i < n; i++)
			ok = strchr(access + i + 1, access[i]) == NULL;
		if (!ok) {
			m = oci_enter_key(c, "access");
			_cleanup_free_ char *e = oci_shown(access);
			oci_bad(c, "'%s': want some of \"rwm\"", e);
			oci_leave(c, m);
			return -1;
		}
		snprintf(d->access, sizeof(d->access), "%s", access);
	}
	struct pd_oci_i64 major = { 0 }, minor = { 0 };
	if (oci_get_i64(c, v, "major", -1, INT64_MAX, &major) < 0 ||
	    oci_get_i64(c, v, "minor", -1, INT64_MAX, &minor) < 0)
		return -1;
	d->major = major.set ? major.val : -1;
	d->minor = minor.set ? minor.val : -1;
	return 0;
}

static int decode_dev_rules(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	res->devices = xcalloc(json_array_size(v) + 1, sizeof(*res->devices));
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		int r = decode_dev_rule(c, json_array_get(v, i), &res->devices[res->n_devices++]);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_memory(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	res->has_memory = true;
	if (oci_get_i64(c, v, "limit", INT64_MIN, INT64_MAX, &res->mem_limit) < 0 ||
	    oci_get_i64(c, v, "reservation", INT64_MIN, INT64_MAX, &res->mem_reservation) < 0 ||
	    oci_get_i64(c, v, "swap", INT64_MIN, INT64_MAX, &res->mem_swap) < 0 ||
	    oci_get_i64(c, v, "kernel", INT64_MIN, INT64_MAX, &res->mem_kernel) < 0 ||
	    oci_get_i64(c, v, "kernelTCP", INT64_MIN, INT64_MAX, &res->mem_kernel_tcp) < 0 ||
	    oci_get_u64(c, v, "swappiness", 100, &res->mem_swappiness) < 0 ||
	    oci_get_bool(c, v, "disableOOMKiller", &res->mem_disable_oom_killer) < 0 ||
	    oci_get_bool(c, v, "useHierarchy", &res->mem_use_hierarchy) < 0)
		return -1;
	return 0;
}

static int decode_cpu(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	res->has_cpu = true;
	if (oci_get_u64(c, v, "shares", UINT64_MAX, &res->cpu_shares) < 0 ||
	    oci_get_i64(c, v, "quota", INT64_MIN, INT64_MAX, &res->cpu_quota) < 0 ||
	    oci_get_u64(c, v, "burst", UINT64_MAX, &res->cpu_burst) < 0 ||
	    oci_get_u64(c, v, "period", UINT64_MAX, &res->cpu_period) < 0 ||
	    oci_get_i64(c, v, "realtimeRuntime", INT64_MIN, INT64_MAX, &res->cpu_realtime_runtime) < 0 ||
	    oci_get_u64(c, v, "realtimePeriod", UINT64_MAX, &res->cpu_realtime_period) < 0 ||
	    oci_get_str(c, v, "cpus", false, &res->cpu_cpus) < 0 ||
	    oci_get_str(c, v, "mems", false, &res->cpu_mems) < 0 ||
	    oci_get_i64(c, v, "idle", INT64_MIN, INT64_MAX, &res->cpu_idle) < 0)
		return -1;
	return 0;
}

static int decode_pids(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0 ||
	    oci_req_i64(c, v, "limit", INT64_MIN, INT64_MAX, &res->pids_limit) < 0)
		return -1;
	res->has_pids = true;
	return 0;
}

/* weightDevice entries when `weights`, throttle entries otherwise. */
static int decode_blkio_devs(struct oci_ctx *c, json_t *v, struct pd_oci_blkio_dev **out, size_t *n,
			     bool weights)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	*out = xcalloc(json_array_size(v) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		struct pd_oci_blkio_dev *d = &(*out)[(*n)++];
		size_t m = oci_enter_idx(c, i);
		int r = oci_want_object(c, e);
		if (r == 0)
			r = oci_req_i64(c, e, "major", 0, INT64_MAX, &d->major);
		if (r == 0)
			r = oci_req_i64(c, e, "minor", 0, INT64_MAX, &d->minor);
		if (r == 0 && weights)
			r = oci_get_u64(c, e, "weight", UINT16_MAX, &d->weight);
		if (r == 0 && weights)
			r = oci_get_u64(c, e, "leafWeight", UINT16_MAX, &d->leaf_weight);
		if (r == 0 && !weights)
			r = oci_req_u64(c, e, "rate", UINT64_MAX, &d->rate);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_block_io(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	res->has_block_io = true;
	if (oci_get_u64(c, v, "weight", UINT16_MAX, &res->blkio_weight) < 0 ||
	    oci_get_u64(c, v, "leafWeight", UINT16_MAX, &res->blkio_leaf_weight) < 0)
		return -1;
	if (OCI_DECODE_MEMBER(c, v, "weightDevice", decode_blkio_devs, &res->blkio_weight_device,
			      &res->n_blkio_weight_device, true) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "throttleReadBpsDevice", decode_blkio_devs, &res->blkio_throttle_read_bps,
			      &res->n_blkio_throttle_read_bps, false) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "throttleWriteBpsDevice", decode_blkio_devs,
			      &res->blkio_throttle_write_bps, &res->n_blkio_throttle_write_bps, false) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "throttleReadIOPSDevice", decode_blkio_devs,
			      &res->blkio_throttle_read_iops, &res->n_blkio_throttle_read_iops, false) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "throttleWriteIOPSDevice", decode_blkio_devs,
			      &res->blkio_throttle_write_iops, &res->n_blkio_throttle_write_iops, false) < 0)
		return -1;
	return 0;
}

static int decode_hugepages(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	res->hugepage_limits = xcalloc(json_array_size(v) + 1, sizeof(*res->hugepage_limits));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		struct pd_oci_hugepage *h = &res->hugepage_limits[res->n_hugepage_limits++];
		size_t m = oci_enter_idx(c, i);
		int r = oci_want_object(c, e);
		if (r == 0)
			r = oci_get_str(c, e, "pageSize", true, &h->page_size);
		if (r == 0)
			r = oci_req_u64(c, e, "limit", UINT64_MAX, &h->limit);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_net_prios(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	res->net_priorities = xcalloc(json_array_size(v) + 1, sizeof(*res->net_priorities));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		struct pd_oci_net_prio *np = &res->net_priorities[res->n_net_priorities++];
		size_t m = oci_enter_idx(c, i);
		int r = oci_want_object(c, e);
		if (r == 0)
			r = oci_get_str(c, e, "name", true, &np->name);
		if (r == 0)
			r = oci_req_u32(c, e, "priority", &np->priority);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_network(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	res->has_network = true;
	if (oci_get_u64(c, v, "classID", UINT32_MAX, &res->net_class_id) < 0)
		return -1;
	return OCI_DECODE_MEMBER(c, v, "priorities", decode_net_prios, res);
}

int oci_decode_resources(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	if (OCI_DECODE_MEMBER(c, v, "devices", decode_dev_rules, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "memory", decode_memory, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "cpu", decode_cpu, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "pids", decode_pids, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "blockIO", decode_block_io, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "hugepageLimits", decode_hugepages, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "network", decode_network, res) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "unified", oci_decode_kv, &res->unified, &res->n_unified) < 0)
		return -1;
	json_t *rdma = oci_member(v, "rdma");
	if (rdma) {
		size_t m = oci_enter_key(c, "rdma");
		int r = oci_want_object(c, rdma);
		oci_leave(c, m);
		if (r < 0)
			return -1;
		res->has_rdma = json_object_size(rdma) > 0;
	}
	return 0;
}

/* ---- linux ---- */

static int decode_namespaces(struct oci_ctx *c, json_t *v, struct pd_oci_linux *l)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	l->namespaces = xcalloc(json_array_size(v) + 1, sizeof(*l->namespaces));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		struct pd_oci_namespace *ns = &l->namespaces[l->n_namespaces++];
		_cleanup_free_ char *type = NULL;
		size_t m = oci_enter_idx(c, i);
		int r = oci_want_object(c, e);
		if (r == 0)
			r = oci_get_str(c, e, "type", true, &type);
		if (r == 0)
			r = oci_get_str(c, e, "path", false, &ns->path);
		if (r == 0) {
			size_t mt = oci_enter_key(c, "type");
			int t = -1;
			for (int k = 0; k < PD_OCI_NS_COUNT; k++)
				if (strcmp(pd_oci_ns_name((enum pd_oci_ns_type)k), type) == 0)
					t = k;
			if (t < 0) {
				_cleanup_free_ char *e2 = oci_shown(type);
				r = oci_bad(c, "unknown namespace type '%s'", e2);
			}
			for (size_t j = 0; r == 0 && j + 1 < l->n_namespaces; j++)
				if ((int)l->namespaces[j].type == t)
					r = oci_bad(c, "namespace '%s' given twice", type);
			if (t >= 0)
				ns->type = (enum pd_oci_ns_type)t;
			oci_leave(c, mt);
		}
		if (r == 0 && ns->path && ns->path[0] != '/') {
			size_t mp = oci_enter_key(c, "path");
			_cleanup_free_ char *e2 = oci_shown(ns->path);
			r = oci_bad(c, "'%s' is not an absolute path", e2);
			oci_leave(c, mp);
		}
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_time_offset(struct oci_ctx *c, json_t *v, int64_t *secs, uint32_t *nanosecs)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	struct pd_oci_i64 s = { 0 };
	struct pd_oci_u64 ns = { 0 };
	if (oci_get_i64(c, v, "secs", INT64_MIN, INT64_MAX, &s) < 0 ||
	    oci_get_u64(c, v, "nanosecs", 999999999, &ns) < 0)
		return -1;
	*secs = s.val;
	*nanosecs = (uint32_t)ns.val;
	return 0;
}

static int decode_time_offsets(struct oci_ctx *c, json_t *v, struct pd_oci_linux *l)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	l->has_time_offsets = true;
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		size_t m = oci_enter_user_key(c, key);
		int r;
		if (strcmp(key, "monotonic") == 0) {
			l->time_offset_monotonic.set = true;
			r = decode_time_offset(c, val, &l->time_offset_monotonic.secs,
					       &l->time_offset_monotonic.nanosecs);
		} else if (strcmp(key, "boottime") == 0) {
			l->time_offset_boottime.set = true;
			r = decode_time_offset(c, val, &l->time_offset_boottime.secs,
					       &l->time_offset_boottime.nanosecs);
		} else {
			r = oci_bad(c, "unknown clock (want monotonic or boottime)");
		}
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_device(struct oci_ctx *c, json_t *v, struct pd_oci_device *d)
{
	_cleanup_free_ char *type = NULL;
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "path", true, &d->path) < 0 ||
	    oci_get_str(c, v, "type", true, &type) < 0)
		return -1;
	int r = 0;
	if (d->path[0] != '/') {
		size_t m = oci_enter_key(c, "path");
		_cleanup_free_ char *e = oci_shown(d->path);
		r = oci_bad(c, "'%s' is not an absolute path", e);
		oci_leave(c, m);
	}
	if (r == 0 && (strlen(type) != 1 || !strchr("cbup", type[0]))) {
		size_t m = oci_enter_key(c, "type");
		r = oci_bad(c, "want \"c\", \"b\", \"u\" or \"p\"");
		oci_leave(c, m);
	}
	if (r < 0)
		return -1;
	d->type = type[0];
	struct pd_oci_i64 major = { 0 }, minor = { 0 };
	if (oci_get_i64(c, v, "major", 0, INT64_MAX, &major) < 0 ||
	    oci_get_i64(c, v, "minor", 0, INT64_MAX, &minor) < 0)
		return -1;
	if (d->type != 'p' && (!major.set || !minor.set)) {
		size_t m = oci_enter_key(c, major.set ? "minor" : "major");
		r = oci_bad(c, "required for a device of type '%c'", d->type);
		oci_leave(c, m);
		return r;
	}
	d->major = major.val;
	d->minor = minor.val;
	if (oci_get_u64(c, v, "fileMode", UINT32_MAX, &d->file_mode) < 0 ||
	    oci_get_u64(c, v, "uid", UINT32_MAX, &d->uid) < 0 ||
	    oci_get_u64(c, v, "gid", UINT32_MAX, &d->gid) < 0)
		return -1;
	return 0;
}

static int decode_devices(struct oci_ctx *c, json_t *v, struct pd_oci_linux *l)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	l->devices = xcalloc(json_array_size(v) + 1, sizeof(*l->devices));
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		int r = decode_device(c, json_array_get(v, i), &l->devices[l->n_devices++]);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_cgroups_path(struct oci_ctx *c, json_t *v, struct pd_oci_cgroups_path *cp)
{
	const char *s = oci_str_value(c, v);
	if (!s)
		return -1;
	cp->path = xstrdup(s);
	/* systemd's "slice:prefix:name" (runc's and crun's systemd driver):
	 * exactly two colons; cgroupfs paths have none. */
	const char *c1 = strchr(s, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 && !strchr(c2 + 1, ':')) {
		cp->systemd_slice = xstrndup(s, (size_t)(c1 - s));
		cp->systemd_prefix = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		cp->systemd_name = xstrdup(c2 + 1);
	}
	return 0;
}

static int decode_seccomp(struct oci_ctx *c, json_t *v, struct pd_oci_linux *l)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	struct pd_oci_seccomp *sc = &l->seccomp;
	l->has_seccomp = true;
	char *text = json_dumps(v, JSON_COMPACT);
	if (!text)
		abort(); /* jansson's allocation failed */
	sc->json = xstrdup(text);
	free(text);
	if (oci_get_str(c, v, "defaultAction", true, &sc->default_action) < 0)
		return -1;
	if (!in_list(seccomp_actions, ARRAY_SIZE(seccomp_actions), sc->default_action)) {
		size_t m = oci_enter_key(c, "defaultAction");
		_cleanup_free_ char *e = oci_shown(sc->default_action);
		int r = oci_bad(c, "unknown action '%s'", e);
		oci_leave(c, m);
		return r;
	}
	sc->uses_notify = strcmp(sc->default_action, "SCMP_ACT_NOTIFY") == 0;
	if (oci_get_u64(c, v, "defaultErrnoRet", UINT32_MAX, &sc->default_errno_ret) < 0 ||
	    oci_get_strv(c, v, "architectures", &sc->architectures) < 0)
		return -1;
	for (size_t i = 0; sc->architectures && sc->architectures[i]; i++) {
		if (in_list(seccomp_arches, ARRAY_SIZE(seccomp_arches), sc->architectures[i]))
			continue;
		size_t m = oci_enter_key(c, "architectures");
		size_t mi = oci_enter_idx(c, i);
		_cleanup_free_ char *e = oci_shown(sc->architectures[i]);
		int r = oci_bad(c, "unknown architecture '%s'", e);
		oci_leave(c, mi);
		oci_leave(c, m);
		return r;
	}
	_cleanup_strv_ char **flags = NULL;
	if (oci_get_strv(c, v, "flags", &flags) < 0)
		return -1;
	for (size_t i = 0; flags && flags[i]; i++) {
		unsigned f = 0;
		for (size_t k = 0; k < ARRAY_SIZE(seccomp_flags); k++)
			if (strcmp(seccomp_flags[k].name, flags[i]) == 0)
				f = seccomp_flags[k].flag;
		if (!f) {
			size_t m = oci_enter_key(c, "flags");
			size_t mi = oci_enter_idx(c, i);
			_cleanup_free_ char *e = oci_shown(flags[i]);
			int r = oci_bad(c, "unknown flag '%s'", e);
			oci_leave(c, mi);
			oci_leave(c, m);
			return r;
		}
		sc->flags |= f;
	}
	if (oci_get_str(c, v, "listenerPath", false, &sc->listener_path) < 0 ||
	    oci_get_str(c, v, "listenerMetadata", false, &sc->listener_metadata) < 0)
		return -1;
	json_t *calls = oci_member(v, "syscalls");
	if (!calls)
		return 0;
	size_t m = oci_enter_key(c, "syscalls");
	int r = oci_want_array(c, calls);
	for (size_t i = 0; r == 0 && i < json_array_size(calls); i++) {
		json_t *e = json_array_get(calls, i);
		size_t mi = oci_enter_idx(c, i);
		_cleanup_free_ char *action = NULL;
		r = oci_want_object(c, e);
		if (r == 0)
			r = oci_get_str(c, e, "action", true, &action);
		if (r == 0 && strcmp(action, "SCMP_ACT_NOTIFY") == 0)
			sc->uses_notify = true;
		oci_leave(c, mi);
	}
	sc->n_syscalls = json_is_array(calls) ? json_array_size(calls) : 0;
	oci_leave(c, m);
	return r;
}

static int decode_propagation(struct oci_ctx *c, json_t *v, unsigned long *out)
{
	const char *s = oci_str_value(c, v);
	if (!s)
		return -1;
	unsigned long f = oci_propagation_flags(s);
	if (!f) {
		_cleanup_free_ char *e = oci_shown(s);
		return oci_bad(c,
			       "unknown propagation '%s' (want private, rprivate, slave, rslave, shared, "
			       "rshared, unbindable or runbindable)",
			       e);
	}
	*out = f;
	return 0;
}

static int decode_personality(struct oci_ctx *c, json_t *v, struct pd_oci_linux *l)
{
	_cleanup_free_ char *domain = NULL;
	_cleanup_strv_ char **flags = NULL;
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "domain", true, &domain) < 0 ||
	    oci_get_strv(c, v, "flags", &flags) < 0)
		return -1;
	if (strcmp(domain, "LINUX") && strcmp(domain, "LINUX32")) {
		size_t m = oci_enter_key(c, "domain");
		_cleanup_free_ char *e = oci_shown(domain);
		int r = oci_bad(c, "unknown domain '%s' (want LINUX or LINUX32)", e);
		oci_leave(c, m);
		return r;
	}
	l->has_personality = true;
	l->personality_linux32 = strcmp(domain, "LINUX32") == 0;
	return 0;
}

int oci_decode_linux(struct oci_ctx *c, json_t *v, struct pd_oci_spec *s)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	struct pd_oci_linux *l = &s->linux_cfg;
	s->has_linux = true;
	if (OCI_DECODE_MEMBER(c, v, "namespaces", decode_namespaces, l) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "uidMappings", oci_decode_idmaps, &l->uid_mappings, &l->n_uid_mappings) <
		0 ||
	    OCI_DECODE_MEMBER(c, v, "gidMappings", oci_decode_idmaps, &l->gid_mappings, &l->n_gid_mappings) <
		0 ||
	    OCI_DECODE_MEMBER(c, v, "timeOffsets", decode_time_offsets, l) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "devices", decode_devices, l) < 0)
		return -1;
	json_t *res = oci_member(v, "resources");
	if (res) {
		size_t m = oci_enter_key(c, "resources");
		int r = oci_decode_resources(c, res, &l->resources);
		oci_leave(c, m);
		if (r < 0)
			return -1;
		l->has_resources = true;
	}
	if (OCI_DECODE_MEMBER(c, v, "cgroupsPath", decode_cgroups_path, &l->cgroups_path) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "sysctl", oci_decode_kv, &l->sysctl, &l->n_sysctl) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "seccomp", decode_seccomp, l) < 0 ||
	    oci_get_strv(c, v, "maskedPaths", &l->masked_paths) < 0 ||
	    oci_get_strv(c, v, "readonlyPaths", &l->readonly_paths) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "rootfsPropagation", decode_propagation, &l->rootfs_propagation) < 0 ||
	    oci_get_str(c, v, "mountLabel", false, &l->mount_label) < 0 ||
	    oci_get_present_object(c, v, "intelRdt", &l->has_intel_rdt) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "personality", decode_personality, l) < 0 ||
	    oci_get_present_object(c, v, "netDevices", &l->has_net_devices) < 0 ||
	    oci_get_present_object(c, v, "memoryPolicy", &l->has_memory_policy) < 0)
		return -1;
	return 0;
}

/* ---- freeing ---- */

void pd_oci_resources_free(struct pd_oci_resources *r)
{
	free(r->devices);
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_device);
	free(r->blkio_throttle_read_bps);
	free(r->blkio_throttle_write_bps);
	free(r->blkio_throttle_read_iops);
	free(r->blkio_throttle_write_iops);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (size_t i = 0; i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	oci_free_kv(r->unified, r->n_unified);
	*r = (struct pd_oci_resources){ 0 };
}

void oci_free_linux(struct pd_oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	pd_oci_resources_free(&l->resources);
	free(l->cgroups_path.path);
	free(l->cgroups_path.systemd_slice);
	free(l->cgroups_path.systemd_prefix);
	free(l->cgroups_path.systemd_name);
	oci_free_kv(l->sysctl, l->n_sysctl);
	free(l->seccomp.json);
	free(l->seccomp.default_action);
	strv_free(l->seccomp.architectures);
	free(l->seccomp.listener_path);
	free(l->seccomp.listener_metadata);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
}
