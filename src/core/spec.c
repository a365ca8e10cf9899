/* A container's config as an OCI runtime spec (config.json): what
 * `run --dump-spec` prints.  It starts from the default document (the one
 * `runc spec` writes, oci/default.c, rootless or not) and puts every typed
 * field of struct pd_config at its path (the map is in core/config.h).
 * What the spec cannot say is an annotation under "org.pocket-docker.":
 * the image, a user given by name, the built-in seccomp profile.  Runs in
 * the CLI; reads nothing but the device nodes given with --device. */
#include "core/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/spec.h"
#include "util/json.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static json_t *caps_json(uint64_t caps)
{
	json_t *a = json_array();
	for (int i = 0; i < 64; i++)
		if (caps & (UINT64_C(1) << i) && pd_oci_cap_name(i))
			json_array_append_new(a, json_string(pd_oci_cap_name(i)));
	return a;
}

/* A decimal id below 2^32 that is all of [s, e). */
static bool parse_id(const char *s, const char *e, unsigned long *out)
{
	char *end = NULL;
	errno = 0;
	*out = s < e && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	return end == e && !errno && *out <= UINT_MAX;
}

/* "UID:GID" in numbers goes to process.user.  What the spec's numbers
 * cannot say is an annotation, resolved in the rootfs at start: a name,
 * or a UID alone (its group comes from the image's /etc/passwd; the
 * numbers then say the uid and group 0).  True when the process is root. */
static bool set_user(json_t *process, json_t *notes, const char *user)
{
	unsigned long uid = 0, gid = 0;
	bool root = true;
	if (user && strcmp(user, "root") != 0) {
		const char *colon = strchr(user, ':'), *end = user + strlen(user);
		bool full = colon && parse_id(user, colon, &uid) && parse_id(colon + 1, end, &gid);
		bool uid_only = !colon && parse_id(user, end, &uid);
		if (!full) {
			json_object_set_new(notes, "org.pocket-docker.user", json_string(user));
			gid = 0;
			if (!uid_only)
				uid = 0;
		}
		root = (full || uid_only) && uid == 0;
	}
	json_object_set_new(process, "user",
			    json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid));
	return root;
}

static void set_process(json_t *spec, json_t *notes, const struct pd_config *c)
{
	json_t *p = json_object_get(spec, "process");
	json_object_set_new(p, "terminal", json_boolean(c->tty));
	if (c->tty && c->tty_rows && c->tty_cols)
		json_object_set_new(p, "consoleSize",
				    json_pack("{s:i, s:i}", "height", c->tty_rows, "width", c->tty_cols));
	bool root = set_user(p, notes, c->user);
	json_object_set_new(p, "args", pd_json_strv(c->argv));
	json_object_set_new(p, "env", pd_json_strv(c->env));
	json_object_set_new(p, "cwd", json_string(c->workdir ? c->workdir : "/"));
	/* The set bounds every process; root has it effective and
	 * permitted, another user none (as with Docker); nothing is
	 * inheritable or ambient. */
	uint64_t held = root ? c->caps : 0;
	json_object_set_new(p, "capabilities",
			    json_pack("{s:o, s:o, s:o, s:[], s:[]}", "bounding", caps_json(c->caps),
				      "effective", caps_json(held), "permitted", caps_json(held),
				      "inheritable", "ambient"));
	json_object_set_new(p, "noNewPrivileges", json_boolean(!c->no_new_privs_off));
	/* The runtime sets no rlimits: the process keeps the caller's. */
	json_object_del(p, "rlimits");
}

static json_t *mount_json(const struct pd_mount *m)
{
	if (m->type == PD_MOUNT_BIND) {
		json_t *opts = json_pack("[s, s]", "rbind", "nodev");
		if (m->bind.readonly)
			json_array_append_new(opts, json_string("ro"));
		return json_pack("{s:s, s:s, s:s, s:o}", "destination", m->bind.dest, "type", "bind",
				 "source", m->bind.src, "options", opts);
	}
	const struct pd_tmpfs *t = &m->tmpfs;
	json_t *opts = json_pack("[s, s, s]", "nosuid", "nodev", t->exec ? "exec" : "noexec");
	char buf[64];
	snprintf(buf, sizeof(buf), "mode=%o", t->mode);
	json_array_append_new(opts, json_string(buf));
	if (t->size || t->size_pct) {
		if (t->size)
			snprintf(buf, sizeof(buf), "size=%llu", (unsigned long long)t->size);
		else
			snprintf(buf, sizeof(buf), "size=%u%%", t->size_pct);
		json_array_append_new(opts, json_string(buf));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", t->dest, "type", "tmpfs", "source", "tmpfs",
			 "options", opts);
}

static json_t *resources_json(const struct pd_limits *l)
{
	json_t *r = json_object();
	json_t *mem = json_object();
	if (l->memory)
		json_object_set_new(mem, "limit", json_integer((json_int_t)l->memory));
	if (l->memory_swap)
		json_object_set_new(mem, "swap", json_integer((json_int_t)l->memory_swap));
	json_t *cpu = json_object();
	if (l->cpu_quota_us)
		json_object_set_new(cpu, "quota", json_integer((json_int_t)l->cpu_quota_us));
	if (l->cpu_period_us)
		json_object_set_new(cpu, "period", json_integer((json_int_t)l->cpu_period_us));
	if (l->cpu_shares)
		json_object_set_new(cpu, "shares", json_integer((json_int_t)l->cpu_shares));
	if (l->cpuset_cpus)
		json_object_set_new(cpu, "cpus", json_string(l->cpuset_cpus));
	json_object_size(mem) ? json_object_set_new(r, "memory", mem) : json_decref(mem);
	json_object_size(cpu) ? json_object_set_new(r, "cpu", cpu) : json_decref(cpu);
	if (l->pids_max)
		json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)l->pids_max));
	return r;
}

/* linux.devices and their allow rules, from the host's nodes. */
static int set_devices(json_t *linux_, json_t *rules, const struct pd_config *c, struct pd_err **err)
{
	json_t *devs = json_array();
	json_object_set_new(linux_, "devices", devs);
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct pd_device *d = &c->devices[i];
		struct stat st;
		if (stat(d->host, &st) < 0)
			return pd_fail(err, errno, "device '%s'", d->host);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "device '%s' is not a device node",
					    d->host);
		const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
		json_int_t major = major(st.st_rdev), minor = minor(st.st_rdev);
		json_array_append_new(devs,
				      json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", d->dest,
						"type", type, "major", major, "minor", minor, "fileMode",
						(int)(st.st_mode & 07777), "uid", 0, "gid", 0));
		json_array_append_new(rules, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
						       "major", major, "minor", minor, "access", d->perms));
	}
	return 0;
}

static void drop_namespace(json_t *linux_, const char *type)
{
	json_t *ns = json_object_get(linux_, "namespaces");
	for (size_t i = 0; i < json_array_size(ns); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")) ?: "", type)) {
			json_array_remove(ns, i);
			return;
		}
}

static int set_linux(json_t *spec, json_t *notes, const struct pd_config *c, struct pd_err **err)
{
	json_t *linux_ = json_object_get(spec, "linux");
	json_t *old_rules = json_object_get(json_object_get(linux_, "resources"), "devices");
	json_t *rules = old_rules ? json_incref(old_rules) : json_array();
	json_t *res = resources_json(&c->limits);
	json_object_set_new(res, "devices", rules);
	json_object_set_new(linux_, "resources", res);
	if (set_devices(linux_, rules, c, err) < 0)
		return -1;
	if (c->net.mode == PD_NET_HOST)
		drop_namespace(linux_, "network");
	if (c->privileged) {
		json_object_del(linux_, "maskedPaths");
		json_object_del(linux_, "readonlyPaths");
	}
	if (c->seccomp_json) {
		json_error_t jerr;
		json_t *prof = json_loads(c->seccomp_json, JSON_REJECT_DUPLICATES, &jerr);
		if (!prof)
			return pd_fail(err, 0, "seccomp profile '%s': %s", c->seccomp ?: "", jerr.text);
		json_object_set_new(linux_, "seccomp", prof);
	} else if (!c->seccomp && !c->privileged) {
		/* The built-in profile is compiled for the capability set at
		 * start; the spec names it rather than spelling it out. */
		json_object_set_new(notes, "org.pocket-docker.seccomp", json_string("default"));
	}
	return 0;
}

char *pd_config_oci_spec(const struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *base = NULL;
	if (pd_oci_spec_default(c->rootless, &base, err) < 0)
		return NULL;
	json_t *spec = json_loads(base, 0, NULL);
	if (!spec) {
		pd_fail(err, 0, "the default spec does not parse");
		return NULL;
	}
	json_t *notes = json_object();
	_cleanup_free_ char *root = c->image_id ? NULL : realpath(c->rootfs_arg, NULL);
	json_object_set_new(
	    spec, "root", json_pack("{s:s, s:b}", "path", root ? root : "rootfs", "readonly", c->read_only));
	if (c->image_id) {
		/* An image's root is an overlay made at start. */
		json_object_set_new(notes, "org.pocket-docker.image", json_string(c->rootfs_arg));
		json_object_set_new(notes, "org.pocket-docker.image-id", json_string(c->image_id));
	}
	json_object_set_new(spec, "hostname", json_string(c->hostname ? c->hostname : ""));
	set_process(spec, notes, c);
	json_t *mounts = json_object_get(spec, "mounts");
	for (size_t i = 0; i < c->n_mounts; i++)
		json_array_append_new(mounts, mount_json(&c->mounts[i]));
	if (c->stop_signal)
		json_object_set_new(notes, "org.pocket-docker.stop-signal", json_string(c->stop_signal));
	char *text = NULL;
	if (set_linux(spec, notes, c, err) == 0) {
		json_object_set_new(spec, "annotations", json_incref(notes));
		text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!text)
			pd_fail(err, ENOMEM, "write the spec");
	}
	json_decref(notes);
	json_decref(spec);
	return text;
}
