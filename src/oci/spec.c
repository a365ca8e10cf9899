/* The OCI runtime spec's config.json decoded into typed structs (see
 * spec.h): the names (capabilities, rlimits, namespaces, hooks, mount
 * options), the document, root, mounts, process and hooks; linux.* is in
 * spec-linux.c, the JSON reading with paths in decode.c.  Pure logic; runs
 * in whichever process reads a bundle (the runtime face's `create`, `exec
 * --process`) and assumes no privilege.
 *
 * One walk over the jansson tree.  Decoders write into the output as they
 * go (a count is raised before its element is filled), so one free
 * function undoes a half-finished decode.  The input is untrusted: sizes
 * and counts are capped, duplicate keys refused, and nothing here touches
 * the system. */
#include "oci/spec.h"

#include <ctype.h>
#include <stdbool.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "oci/decode.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* ---- names ---- */

static const char *const cap_names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

/* The masks are 64 bits wide. */
_Static_assert(ARRAY_SIZE(cap_names) <= 64, "capability numbers past 63");

int pd_oci_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i] && strcmp(cap_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *pd_oci_cap_name(int cap)
{
	return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

static const struct {
	const char *name;
	int type;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },		{ "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },		{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static const char *const ns_names[PD_OCI_NS_COUNT] = {
	[PD_OCI_NS_PID] = "pid",       [PD_OCI_NS_NETWORK] = "network", [PD_OCI_NS_MOUNT] = "mount",
	[PD_OCI_NS_IPC] = "ipc",       [PD_OCI_NS_UTS] = "uts",		[PD_OCI_NS_USER] = "user",
	[PD_OCI_NS_CGROUP] = "cgroup", [PD_OCI_NS_TIME] = "time",
};

const char *pd_oci_ns_name(enum pd_oci_ns_type t)
{
	return (unsigned)t < PD_OCI_NS_COUNT ? ns_names[t] : "?";
}

static const char *const hook_names[PD_OCI_HOOK_COUNT] = {
	[PD_OCI_HOOK_PRESTART] = "prestart",
	[PD_OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[PD_OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[PD_OCI_HOOK_START_CONTAINER] = "startContainer",
	[PD_OCI_HOOK_POSTSTART] = "poststart",
	[PD_OCI_HOOK_POSTSTOP] = "poststop",
};

const char *pd_oci_hook_name(enum pd_oci_hook_kind k)
{
	return (unsigned)k < PD_OCI_HOOK_COUNT ? hook_names[k] : "?";
}

/* Mount options, as runc reads them: MS_* flags set or cleared, the
 * propagation kinds, the recursive mount_setattr attributes, and a few
 * runtime extensions; anything else is filesystem data. */
enum mopt_kind {
	MOPT_NOP,	/* "defaults" */
	MOPT_SET,	/* flags |= f */
	MOPT_CLEAR,	/* flags &= ~f */
	MOPT_PROP,	/* propagation = f */
	MOPT_REC_SET,	/* rec_attr_set |= f */
	MOPT_REC_CLR,	/* rec_attr_clr |= f */
	MOPT_REC_ATIME, /* one of the atime modes, recursively */
	MOPT_TMPCOPYUP,
	MOPT_IDMAP,
};

static const struct {
	const char *name;
	enum mopt_kind kind;
	unsigned long flag;
} mount_opts[] = {
	{ "defaults", MOPT_NOP, 0 },
	{ "ro", MOPT_SET, MS_RDONLY },
	{ "rw", MOPT_CLEAR, MS_RDONLY },
	{ "nosuid", MOPT_SET, MS_NOSUID },
	{ "suid", MOPT_CLEAR, MS_NOSUID },
	{ "nodev", MOPT_SET, MS_NODEV },
	{ "dev", MOPT_CLEAR, MS_NODEV },
	{ "noexec", MOPT_SET, MS_NOEXEC },
	{ "exec", MOPT_CLEAR, MS_NOEXEC },
	{ "sync", MOPT_SET, MS_SYNCHRONOUS },
	{ "async", MOPT_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", MOPT_SET, MS_DIRSYNC },
	{ "remount", MOPT_SET, MS_REMOUNT },
	{ "mand", MOPT_SET, MS_MANDLOCK },
	{ "nomand", MOPT_CLEAR, MS_MANDLOCK },
	{ "atime", MOPT_CLEAR, MS_NOATIME },
	{ "noatime", MOPT_SET, MS_NOATIME },
	{ "diratime", MOPT_CLEAR, MS_NODIRATIME },
	{ "nodiratime", MOPT_SET, MS_NODIRATIME },
	{ "bind", MOPT_SET, MS_BIND },
	{ "rbind", MOPT_SET, MS_BIND | MS_REC },
	{ "relatime", MOPT_SET, MS_RELATIME },
	{ "norelatime", MOPT_CLEAR, MS_RELATIME },
	{ "strictatime", MOPT_SET, MS_STRICTATIME },
	{ "nostrictatime", MOPT_CLEAR, MS_STRICTATIME },
	{ "lazytime", MOPT_SET, MS_LAZYTIME },
	{ "nolazytime", MOPT_CLEAR, MS_LAZYTIME },
	{ "iversion", MOPT_SET, MS_I_VERSION },
	{ "noiversion", MOPT_CLEAR, MS_I_VERSION },
	{ "acl", MOPT_SET, MS_POSIXACL },
	{ "noacl", MOPT_CLEAR, MS_POSIXACL },
	{ "silent", MOPT_SET, MS_SILENT },
	{ "loud", MOPT_CLEAR, MS_SILENT },
	{ "nosymfollow", MOPT_SET, MS_NOSYMFOLLOW },
	{ "symfollow", MOPT_CLEAR, MS_NOSYMFOLLOW },
	{ "private", MOPT_PROP, MS_PRIVATE },
	{ "rprivate", MOPT_PROP, MS_PRIVATE | MS_REC },
	{ "shared", MOPT_PROP, MS_SHARED },
	{ "rshared", MOPT_PROP, MS_SHARED | MS_REC },
	{ "slave", MOPT_PROP, MS_SLAVE },
	{ "rslave", MOPT_PROP, MS_SLAVE | MS_REC },
	{ "unbindable", MOPT_PROP, MS_UNBINDABLE },
	{ "runbindable", MOPT_PROP, MS_UNBINDABLE | MS_REC },
	{ "rro", MOPT_REC_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", MOPT_REC_CLR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", MOPT_REC_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", MOPT_REC_CLR, MOUNT_ATTR_NOSUID },
	{ "rnodev", MOPT_REC_SET, MOUNT_ATTR_NODEV },
	{ "rdev", MOPT_REC_CLR, MOUNT_ATTR_NODEV },
	{ "rnoexec", MOPT_REC_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", MOPT_REC_CLR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", MOPT_REC_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", MOPT_REC_CLR, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", MOPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", MOPT_REC_CLR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rrelatime", MOPT_REC_ATIME, MOUNT_ATTR_RELATIME },
	{ "rnoatime", MOPT_REC_ATIME, MOUNT_ATTR_NOATIME },
	{ "rstrictatime", MOPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
	{ "rnorelatime", MOPT_REC_CLR, MOUNT_ATTR_RELATIME },
	{ "ratime", MOPT_REC_CLR, MOUNT_ATTR_NOATIME },
	{ "rnostrictatime", MOPT_REC_CLR, MOUNT_ATTR_STRICTATIME },
	{ "tmpcopyup", MOPT_TMPCOPYUP, 0 },
	{ "idmap", MOPT_IDMAP, 0 },
	{ "ridmap", MOPT_IDMAP, 0 },
};

static int mount_opt_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
		if (strcmp(mount_opts[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned long oci_propagation_flags(const char *name)
{
	int i = mount_opt_find(name);
	return i >= 0 && mount_opts[i].kind == MOPT_PROP ? mount_opts[i].flag : 0;
}

static void apply_mount_opt(struct pd_oci_mount *m, const char *opt, char **data)
{
	int i = mount_opt_find(opt);
	if (i < 0) {
		char *d = *data ? xasprintf("%s,%s", *data, opt) : xstrdup(opt);
		free(*data);
		*data = d;
		return;
	}
	unsigned long f = mount_opts[i].flag;
	switch (mount_opts[i].kind) {
	case MOPT_NOP: break;
	case MOPT_SET:
		m->flags |= f;
		m->clear_flags &= ~f;
		break;
	case MOPT_CLEAR:
		m->flags &= ~f;
		m->clear_flags |= f;
		break;
	case MOPT_PROP: m->propagation = f; break;
	case MOPT_REC_SET:
		m->rec_attr_set |= f;
		m->rec_attr_clr &= ~(uint64_t)f;
		break;
	case MOPT_REC_CLR:
		m->rec_attr_clr |= f;
		m->rec_attr_set &= ~(uint64_t)f;
		break;
	case MOPT_REC_ATIME:
		/* The atime modes are one field: clear it, set this one. */
		m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | f;
		m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		break;
	case MOPT_TMPCOPYUP: m->tmpcopyup = true; break;
	case MOPT_IDMAP: m->idmap = true; break;
	}
}

/* ---- root, mounts, id mappings ---- */

int oci_decode_idmaps(struct oci_ctx *c, json_t *v, struct pd_oci_idmap **out, size_t *n)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	*out = xcalloc(json_array_size(v) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		struct pd_oci_idmap *map = &(*out)[(*n)++];
		size_t m = oci_enter_idx(c, i);
		int r = oci_want_object(c, e);
		if (r == 0)
			r = oci_req_u32(c, e, "containerID", &map->container_id);
		if (r == 0)
			r = oci_req_u32(c, e, "hostID", &map->host_id);
		if (r == 0)
			r = oci_req_u32(c, e, "size", &map->size);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_root(struct oci_ctx *c, json_t *v, struct pd_oci_spec *s)
{
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "path", true, &s->root_path) < 0)
		return -1;
	return oci_get_bool(c, v, "readonly", &s->root_readonly);
}

static int decode_mount(struct oci_ctx *c, json_t *v, struct pd_oci_mount *m)
{
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "destination", true, &m->destination) < 0 ||
	    oci_get_str(c, v, "type", false, &m->type) < 0 ||
	    oci_get_str(c, v, "source", false, &m->source) < 0 ||
	    oci_get_strv(c, v, "options", &m->options) < 0)
		return -1;
	for (char **o = m->options; o && *o; o++)
		apply_mount_opt(m, *o, &m->data);
	m->is_bind = (m->flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
	if (OCI_DECODE_MEMBER(c, v, "uidMappings", oci_decode_idmaps, &m->uid_mappings, &m->n_uid_mappings) <
	    0)
		return -1;
	return OCI_DECODE_MEMBER(c, v, "gidMappings", oci_decode_idmaps, &m->gid_mappings,
				 &m->n_gid_mappings);
}

static int decode_mounts(struct oci_ctx *c, json_t *v, struct pd_oci_spec *s)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	s->mounts = xcalloc(json_array_size(v) + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		int r = decode_mount(c, json_array_get(v, i), &s->mounts[s->n_mounts++]);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- process ---- */

static int decode_cap_set(struct oci_ctx *c, json_t *v, uint64_t *mask)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		const char *name = oci_str_value(c, json_array_get(v, i));
		int cap = name ? pd_oci_cap_from_name(name) : -1;
		if (name && cap < 0) {
			_cleanup_free_ char *e = oci_shown(name);
			oci_bad(c, "unknown capability '%s'", e);
		}
		oci_leave(c, m);
		if (cap < 0)
			return -1;
		*mask |= UINT64_C(1) << cap;
	}
	return 0;
}

static int decode_caps(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	p->has_caps = true;
	struct pd_oci_caps *k = &p->caps;
	if (OCI_DECODE_MEMBER(c, v, "bounding", decode_cap_set, &k->bounding) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "effective", decode_cap_set, &k->effective) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "inheritable", decode_cap_set, &k->inheritable) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "permitted", decode_cap_set, &k->permitted) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "ambient", decode_cap_set, &k->ambient) < 0)
		return -1;
	return 0;
}

static int decode_rlimit(struct oci_ctx *c, json_t *v, struct pd_oci_process *p, struct pd_oci_rlimit *rl)
{
	_cleanup_free_ char *type = NULL;
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "type", true, &type) < 0)
		return -1;
	rl->type = -1;
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, type) == 0)
			rl->type = rlimit_names[i].type;
	size_t m = oci_enter_key(c, "type");
	int r = 0;
	if (rl->type < 0) {
		_cleanup_free_ char *e = oci_shown(type);
		r = oci_bad(c, "unknown rlimit '%s'", e);
	}
	for (size_t i = 0; r == 0 && i + 1 < p->n_rlimits; i++)
		if (p->rlimits[i].type == rl->type)
			r = oci_bad(c, "%s given twice", type);
	oci_leave(c, m);
	if (r < 0 || oci_req_u64(c, v, "hard", UINT64_MAX, &rl->hard) < 0 ||
	    oci_req_u64(c, v, "soft", UINT64_MAX, &rl->soft) < 0)
		return -1;
	if (rl->soft > rl->hard) {
		m = oci_enter_key(c, "soft");
		r = oci_bad(c, "%" PRIu64 " is above the hard limit %" PRIu64, rl->soft, rl->hard);
		oci_leave(c, m);
	}
	return r;
}

static int decode_rlimits(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	p->rlimits = xcalloc(json_array_size(v) + 1, sizeof(*p->rlimits));
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		struct pd_oci_rlimit *rl = &p->rlimits[p->n_rlimits++];
		int r = decode_rlimit(c, json_array_get(v, i), p, rl);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_gids(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	p->additional_gids = xcalloc(json_array_size(v) + 1, sizeof(*p->additional_gids));
	for (size_t i = 0; i < json_array_size(v); i++) {
		uint64_t g = 0;
		size_t m = oci_enter_idx(c, i);
		int r = oci_uint_value(c, json_array_get(v, i), UINT32_MAX, &g);
		oci_leave(c, m);
		if (r < 0)
			return -1;
		p->additional_gids[p->n_additional_gids++] = (uint32_t)g;
	}
	return 0;
}

static int decode_user(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_object(c, v) < 0 || oci_req_u32(c, v, "uid", &p->uid) < 0 ||
	    oci_req_u32(c, v, "gid", &p->gid) < 0 || oci_get_u64(c, v, "umask", 0777, &p->umask) < 0)
		return -1;
	return OCI_DECODE_MEMBER(c, v, "additionalGids", decode_gids, p);
}

static int decode_console_size(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	uint64_t h = 0, w = 0;
	if (oci_req_u64(c, v, "height", UINT16_MAX, &h) < 0 || oci_req_u64(c, v, "width", UINT16_MAX, &w) < 0)
		return -1;
	p->has_console_size = true;
	p->console_height = (uint32_t)h;
	p->console_width = (uint32_t)w;
	return 0;
}

static int decode_io_priority(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
	_cleanup_free_ char *cls = NULL;
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "class", true, &cls) < 0)
		return -1;
	p->io_priority_class = 0;
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (strcmp(classes[i], cls) == 0)
			p->io_priority_class = (int)i + 1;
	if (!p->io_priority_class) {
		size_t m = oci_enter_key(c, "class");
		_cleanup_free_ char *e = oci_shown(cls);
		oci_bad(c, "unknown class '%s' (want IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)",
			e);
		oci_leave(c, m);
		return -1;
	}
	struct pd_oci_i64 prio = { 0 };
	if (oci_get_i64(c, v, "priority", 0, 7, &prio) < 0)
		return -1;
	p->io_priority = (int)prio.val;
	p->has_io_priority = true;
	return 0;
}

static int decode_process(struct oci_ctx *c, json_t *v, struct pd_oci_process *p)
{
	if (oci_want_object(c, v) < 0 || oci_get_bool(c, v, "terminal", &p->terminal) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "consoleSize", decode_console_size, p) < 0)
		return -1;
	if (!oci_member(v, "user"))
		return oci_missing(c, "user");
	if (OCI_DECODE_MEMBER(c, v, "user", decode_user, p) < 0 || oci_get_strv(c, v, "args", &p->args) < 0)
		return -1;
	if (!p->args || !p->args[0]) {
		size_t m = oci_enter_key(c, "args");
		int r = oci_bad(c, "required (at least one entry)");
		oci_leave(c, m);
		return r;
	}
	if (oci_get_strv(c, v, "env", &p->env) < 0 || oci_get_str(c, v, "cwd", true, &p->cwd) < 0)
		return -1;
	if (p->cwd[0] != '/') {
		size_t m = oci_enter_key(c, "cwd");
		_cleanup_free_ char *e = oci_shown(p->cwd);
		int r = oci_bad(c, "'%s' is not an absolute path", e);
		oci_leave(c, m);
		return r;
	}
	if (OCI_DECODE_MEMBER(c, v, "capabilities", decode_caps, p) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "rlimits", decode_rlimits, p) < 0 ||
	    oci_get_bool(c, v, "noNewPrivileges", &p->no_new_privileges) < 0 ||
	    oci_get_i64(c, v, "oomScoreAdj", -1000, 1000, &p->oom_score_adj) < 0 ||
	    oci_get_str(c, v, "apparmorProfile", false, &p->apparmor_profile) < 0 ||
	    oci_get_str(c, v, "selinuxLabel", false, &p->selinux_label) < 0 ||
	    OCI_DECODE_MEMBER(c, v, "ioPriority", decode_io_priority, p) < 0)
		return -1;
	if (oci_get_present_object(c, v, "scheduler", &p->has_scheduler) < 0 ||
	    oci_get_present_object(c, v, "execCPUAffinity", &p->has_exec_cpu_affinity) < 0)
		return -1;
	return 0;
}

/* ---- hooks ---- */

static int decode_hook(struct oci_ctx *c, json_t *v, struct pd_oci_hook *h)
{
	if (oci_want_object(c, v) < 0 || oci_get_str(c, v, "path", true, &h->path) < 0)
		return -1;
	if (h->path[0] != '/') {
		size_t m = oci_enter_key(c, "path");
		_cleanup_free_ char *e = oci_shown(h->path);
		int r = oci_bad(c, "'%s' is not an absolute path", e);
		oci_leave(c, m);
		return r;
	}
	if (oci_get_strv(c, v, "args", &h->args) < 0 || oci_get_strv(c, v, "env", &h->env) < 0)
		return -1;
	return oci_get_i64(c, v, "timeout", 1, INT32_MAX, &h->timeout);
}

static int decode_hook_list(struct oci_ctx *c, json_t *v, struct pd_oci_hook_list *l)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	l->hooks = xcalloc(json_array_size(v) + 1, sizeof(*l->hooks));
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t m = oci_enter_idx(c, i);
		int r = decode_hook(c, json_array_get(v, i), &l->hooks[l->n++]);
		oci_leave(c, m);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int decode_hooks(struct oci_ctx *c, json_t *v, struct pd_oci_spec *s)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	for (int k = 0; k < PD_OCI_HOOK_COUNT; k++)
		if (OCI_DECODE_MEMBER(c, v, hook_names[k], decode_hook_list, &s->hooks[k]) < 0)
			return -1;
	return 0;
}

/* ---- the document ---- */

/* Whether `v` is "MAJOR.MINOR.PATCH" with an optional "-pre" and "+build"
 * (no leading zeros, each part below 100000); its parts in part[]. */
static bool parse_version(const char *v, unsigned part[3])
{
	const char *p = v;
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
			return false;
		unsigned long n = 0;
		while (isdigit((unsigned char)*p) && n < 100000)
			n = n * 10 + (unsigned long)(*p++ - '0');
		if (n >= 100000)
			return false;
		part[i] = (unsigned)n;
		if (i < 2 && *p++ != '.')
			return false;
	}
	if ((*p && *p != '-' && *p != '+') || (*p && !p[1]))
		return false;
	for (const char *q = p; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("-+.", *q))
			return false;
	return true;
}

/* The document's version: well formed, and major 1. */
static int decode_version(struct oci_ctx *c, struct pd_oci_spec *s)
{
	const char *v = s->oci_version;
	unsigned part[3] = { 0 };
	if (!parse_version(v, part)) {
		_cleanup_free_ char *e = oci_shown(v);
		return oci_bad(c, "'%s' is not a version (want MAJOR.MINOR.PATCH, e.g. " PD_OCI_VERSION ")",
			       e);
	}
	s->version_major = part[0];
	s->version_minor = part[1];
	s->version_patch = part[2];
	if (part[0] != 1) {
		_cleanup_free_ char *e = oci_shown(v);
		return oci_bad(c, "'%s': version %u of the runtime spec is not supported (want 1.x)", e,
			       part[0]);
	}
	return 0;
}

static void json_putp(json_t **j)
{
	if (*j)
		json_decref(*j);
}

int pd_oci_spec_parse(const char *json, size_t len, struct pd_oci_spec *out, struct pd_err **err)
{
	*out = (struct pd_oci_spec){ 0 };
	_cleanup_(json_putp) json_t *j = oci_load(json, len, "the config", err);
	if (!j)
		return -1;
	struct oci_ctx c = { .err = err };
	struct pd_oci_spec *s = out;
	int r = oci_get_str(&c, j, "ociVersion", true, &s->oci_version);
	if (r == 0) {
		size_t m = oci_enter_key(&c, "ociVersion");
		r = decode_version(&c, s);
		oci_leave(&c, m);
	}
	if (r == 0 && !oci_member(j, "root")) {
		size_t m = oci_enter_key(&c, "root");
		r = oci_bad(&c, "required");
		oci_leave(&c, m);
	}
	if (r == 0)
		r = OCI_DECODE_MEMBER(&c, j, "root", decode_root, s);
	if (r == 0)
		r = OCI_DECODE_MEMBER(&c, j, "mounts", decode_mounts, s);
	json_t *proc = oci_member(j, "process");
	if (r == 0 && proc) {
		s->process = xcalloc(1, sizeof(*s->process));
		size_t m = oci_enter_key(&c, "process");
		r = decode_process(&c, proc, s->process);
		oci_leave(&c, m);
	}
	if (r == 0)
		r = oci_get_str(&c, j, "hostname", false, &s->hostname);
	if (r == 0)
		r = oci_get_str(&c, j, "domainname", false, &s->domainname);
	if (r == 0)
		r = OCI_DECODE_MEMBER(&c, j, "hooks", decode_hooks, s);
	if (r == 0)
		r = OCI_DECODE_MEMBER(&c, j, "annotations", oci_decode_kv, &s->annotations,
				      &s->n_annotations);
	if (r == 0)
		r = OCI_DECODE_MEMBER(&c, j, "linux", oci_decode_linux, s);
	if (r < 0)
		pd_oci_spec_free(s);
	return r;
}

int pd_oci_process_parse(const char *json, size_t len, struct pd_oci_process *out, struct pd_err **err)
{
	*out = (struct pd_oci_process){ 0 };
	_cleanup_(json_putp) json_t *j = oci_load(json, len, "the process", err);
	if (!j)
		return -1;
	struct oci_ctx c = { .err = err };
	int r = decode_process(&c, j, out);
	if (r < 0)
		pd_oci_process_free(out);
	return r;
}

int pd_oci_resources_parse(const char *json, size_t len, struct pd_oci_resources *out, struct pd_err **err)
{
	*out = (struct pd_oci_resources){ 0 };
	_cleanup_(json_putp) json_t *j = oci_load(json, len, "the resources", err);
	if (!j)
		return -1;
	struct oci_ctx c = { .err = err };
	int r = oci_decode_resources(&c, j, out);
	if (r < 0)
		pd_oci_resources_free(out);
	return r;
}

/* ---- freeing ---- */

void pd_oci_process_free(struct pd_oci_process *p)
{
	if (!p)
		return;
	free(p->additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	*p = (struct pd_oci_process){ 0 };
}

void pd_oci_spec_free(struct pd_oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct pd_oci_mount *m = &s->mounts[i];
		free(m->destination);
		free(m->type);
		free(m->source);
		strv_free(m->options);
		free(m->data);
		free(m->uid_mappings);
		free(m->gid_mappings);
	}
	free(s->mounts);
	pd_oci_process_free(s->process);
	free(s->process);
	free(s->hostname);
	free(s->domainname);
	for (int k = 0; k < PD_OCI_HOOK_COUNT; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].hooks[i].path);
			strv_free(s->hooks[k].hooks[i].args);
			strv_free(s->hooks[k].hooks[i].env);
		}
		free(s->hooks[k].hooks);
	}
	oci_free_kv(s->annotations, s->n_annotations);
	oci_free_linux(&s->linux_cfg);
	*s = (struct pd_oci_spec){ 0 };
}
