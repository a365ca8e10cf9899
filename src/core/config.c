/* struct pd_config (see config.h): its defaults, the parsing of the
 * user-facing specs (volumes, tmpfs, devices, env, restart, log options),
 * and the one codec between the config and the JSON of a container's
 * record.  Runs in the CLI, with the caller's privileges (and the codec in
 * any process that reads a record); pure logic apart from realpath(3) and
 * stat(2) on volume sources and devices, reading env files and
 * gethostname(2). */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/manifest.h"
#include "linux/caps.h"
#include "linux/pty.h"
#include "util/json.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

void pd_config_init(struct pd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->caps = caps_default_mask();
	c->health = (struct pd_health){
		.interval_ms = 30000,
		.timeout_ms = 30000,
		.start_period_ms = 0,
		.retries = 3,
	};
}

void pd_config_defaults(struct pd_config *c)
{
	char host_name[256];
	/* With the host's network or UTS namespace, the host's name, as
	 * Docker does. */
	bool host_uts = c->net.mode == PD_NET_HOST || c->uts_ns.mode == PD_NS_HOST;
	if (!c->hostname && host_uts && gethostname(host_name, sizeof(host_name)) == 0)
		c->hostname = xstrndup(host_name, sizeof(host_name));
	if (!c->hostname)
		c->hostname = xstrndup(c->id, 12);
	pd_env_set_default(&c->env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	pd_env_set_default(&c->env, "HOSTNAME", c->hostname);
	if (c->tty)
		pd_env_set_default(&c->env, "TERM", "xterm");
	/* -t starts at the size of the caller's terminal (stdin's, else
	 * stdout's); the attached client sends changes later. */
	if (c->tty && !c->tty_rows && !pty_get_size(0, &c->tty_rows, &c->tty_cols))
		pty_get_size(1, &c->tty_rows, &c->tty_cols);
	c->rootless = geteuid() != 0;
}

int pd_cap_name_parse(const char *name, uint64_t *mask, bool *all, struct pd_err **err)
{
	int cap = caps_from_name(name);
	if (cap == -1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unknown capability '%s'", name);
	if (cap == -2)
		*all = true;
	else
		*mask |= 1ULL << cap;
	return 0;
}

void pd_config_apply_caps(struct pd_config *c, const struct pd_cap_change *ch)
{
	if (c->privileged)
		c->caps = caps_all_mask();
	c->caps = ch->drop_all ? 0 : c->caps & ~ch->drop;
	c->caps = ch->add_all ? caps_all_mask() : c->caps | ch->add;
}

static void mount_free(struct pd_mount *m)
{
	switch (m->type) {
	case PD_MOUNT_BIND:
		free(m->bind.src);
		free(m->bind.dest);
		free(m->bind.name);
		strv_free(m->bind.opts);
		break;
	case PD_MOUNT_TMPFS: free(m->tmpfs.dest); break;
	}
}

void pd_config_free(struct pd_config *c)
{
	free(c->name);
	free(c->hostname);
	free(c->rootfs_arg);
	free(c->image_id);
	free(c->stop_signal);
	strv_free(c->argv);
	strv_free(c->env);
	free(c->workdir);
	free(c->user);
	for (size_t i = 0; i < c->n_mounts; i++)
		mount_free(&c->mounts[i]);
	free(c->mounts);
	for (size_t i = 0; i < c->n_devices; i++) {
		free(c->devices[i].host);
		free(c->devices[i].dest);
	}
	free(c->devices);
	pd_limits_free(&c->limits);
	strv_free(c->health.test);
	free(c->seccomp);
	free(c->seccomp_json);
	free(c->rlimits);
	free(c->groups);
	strv_free(c->group_names);
	strv_free(c->labels);
	free(c->cidfile);
	strv_free(c->volumes_from);
	free(c->cgroup_path);
	strv_free(c->masked_paths);
	strv_free(c->readonly_paths);
	free(c->netns_path);
	free(c->ipcns_path);
	free(c->utsns_path);
	strv_free(c->sysctls);
	free(c->domainname);
	pd_netcfg_free(&c->net);
	free(c->pid_ns.container);
	free(c->ipc_ns.container);
	free(c->uts_ns.container);
	memset(c, 0, sizeof(*c));
}

void pd_config_add_mount(struct pd_config *c, const struct pd_mount *m)
{
	c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
	c->mounts[c->n_mounts++] = *m;
}

void pd_config_add_device(struct pd_config *c, const struct pd_device *d)
{
	c->devices = xrealloc(c->devices, (c->n_devices + 1) * sizeof(*c->devices));
	c->devices[c->n_devices++] = *d;
}

int pd_config_new_id(struct pd_config *c, struct pd_err **err)
{
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return pd_fail(err, errno, "read random bytes for the container id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(c->id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int pd_check_container_path(const char *what, const char *path, struct pd_err **err)
{
	if (path[0] != '/')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s' is not an absolute path", what, path);
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		if (e - p == 2 && p[0] == '.' && p[1] == '.')
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s' contains '..'", what, path);
		p = e;
	}
	return 0;
}

/* Whether every component of `path` is empty or ".": it names '/'. */
static bool is_root_path(const char *path)
{
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		if (e - p > 1 || (e - p == 1 && *p != '.'))
			return false;
		p = e;
	}
	return true;
}

bool pd_volume_name_valid(const char *name)
{
	/* Docker's rule: never a path, never "." or "..", never empty. */
	if (!isalnum((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return strlen(name) <= PD_VOLUME_NAME_MAX;
}

/* One word of -v's third part ("ro", "nocopy", "rslave"); false when it is
 * none of Docker's. */
static bool volume_mode_word(const char *w, struct pd_volume *v)
{
	static const char *const prop[] = {
		[PD_PROP_PRIVATE] = "private", [PD_PROP_RPRIVATE] = "rprivate", [PD_PROP_SHARED] = "shared",
		[PD_PROP_RSHARED] = "rshared", [PD_PROP_SLAVE] = "slave",	[PD_PROP_RSLAVE] = "rslave"
	};
	if (!strcmp(w, "ro") || !strcmp(w, "rw")) {
		v->readonly = w[1] == 'o';
		return true;
	}
	if (!strcmp(w, "nocopy")) {
		v->nocopy = true;
		return true;
	}
	for (size_t i = 1; i < ARRAY_SIZE(prop); i++)
		if (!strcmp(w, prop[i])) {
			v->propagation = (enum pd_propagation)i;
			return true;
		}
	return false;
}

/* The volume of source `src` (a host path, or a volume's name) at `dest`,
 * with the mode words already in *v: the rules -v and --mount share.
 * `what` and `spec` name the flag and its text in errors.  On success *v
 * owns its strings. */
static int volume_from_parts(const char *what, const char *spec, const char *src, const char *dest,
			     struct pd_volume *v, struct pd_err **err)
{
	if (pd_check_container_path("volume destination", dest, err) < 0)
		return -1;
	/* A bind over the container's root would replace the whole rootfs
	 * with a host directory (and hide /proc, /dev, /sys beneath it). */
	if (is_root_path(dest))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid %s '%s': the destination cannot be '/'",
				    what, spec);
	/* As Docker: a source that is not an absolute path names a volume,
	 * never a path under the current directory. */
	if (src[0] != '/') {
		if (!pd_volume_name_valid(src))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid %s '%s': '%s' is neither an absolute path nor a volume "
					    "name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
					    what, spec, src);
		v->name = xstrdup(src);
		v->dest = xstrdup(dest);
		return 0;
	}
	if (v->nocopy)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid %s '%s': nocopy is for volumes, not paths",
				    what, spec);
	char real[PATH_MAX];
	if (!realpath(src, real)) {
		/* As Docker's -v: a missing host path is made, as a directory,
		 * by `run` (pd_volumes_make_sources), after every check; a
		 * parse has no side effects. */
		if (errno != ENOENT || strstr(src, "/../") || str_has_suffix(src, "/.."))
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume source '%s'", src);
		v->create = true;
		snprintf(real, sizeof(real), "%s", src);
	}
	v->src = xstrdup(real);
	v->dest = xstrdup(dest);
	return 0;
}

int pd_volume_parse(const char *spec, struct pd_volume *out, struct pd_err **err)
{
	/* "-v /path": an anonymous volume at /path, as Docker's. */
	if (spec[0] == '/' && !strchr(spec, ':')) {
		if (pd_check_container_path("volume destination", spec, err) < 0)
			return -1;
		if (is_root_path(spec))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid volume '%s': the destination cannot be '/'", spec);
		*out = (struct pd_volume){ .anonymous = true, .dest = xstrdup(spec) };
		return 0;
	}
	_cleanup_free_ char *s = xstrdup(spec);
	char *dest = strchr(s, ':');
	if (!dest || dest == s || dest[1] == '\0')
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid volume '%s': want HOST:CONTAINER[:ro|rw], or /CONTAINER", spec);
	*dest++ = '\0';
	struct pd_volume v = { 0 };
	char *mode = strchr(dest, ':');
	if (mode) {
		*mode++ = '\0';
		for (char *save = NULL, *w = strtok_r(mode, ",", &save); w; w = strtok_r(NULL, ",", &save))
			if (!volume_mode_word(w, &v))
				return pd_fail_kind(
				    err, PD_ERR_USAGE, 0,
				    "invalid volume '%s': mode '%s' is not ro or rw (or nocopy, "
				    "or a propagation)",
				    spec, w);
	}
	if (volume_from_parts("volume", spec, s, dest, &v, err) < 0)
		return -1;
	*out = v;
	return 0;
}

/* "true", "1", or nothing: true; "false", "0": false (Docker's booleans
 * in --mount). */
static int mount_bool(const char *spec, const char *key, const char *val, bool *out, struct pd_err **err)
{
	if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
		*out = true;
	else if (!strcmp(val, "false") || !strcmp(val, "0"))
		*out = false;
	else
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': %s='%s' is not true or false", spec, key, val);
	return 0;
}

/* The fields of --mount as given, before they become a mount. */
struct mount_fields {
	char *type, *src, *dest, *prop, *tmpfs_size, *tmpfs_mode;
	bool readonly, nocopy;
	char **opts;
};

static void mount_fields_free(struct mount_fields *f)
{
	free(f->type);
	free(f->src);
	free(f->dest);
	free(f->prop);
	free(f->tmpfs_size);
	free(f->tmpfs_mode);
	strv_free(f->opts);
}

static int mount_field(const char *spec, char *kv, struct mount_fields *f, struct pd_err **err)
{
	char *val = strchr(kv, '=');
	if (val)
		*val++ = '\0';
	struct {
		const char *key;
		char **slot;
	} strs[] = { { "type", &f->type },
		     { "source", &f->src },
		     { "src", &f->src },
		     { "target", &f->dest },
		     { "destination", &f->dest },
		     { "dst", &f->dest },
		     { "bind-propagation", &f->prop },
		     { "tmpfs-size", &f->tmpfs_size },
		     { "tmpfs-mode", &f->tmpfs_mode } };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if (strcmp(kv, strs[i].key) != 0)
			continue;
		if (!val || !*val)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --mount '%s': %s needs a value",
					    spec, kv);
		free(*strs[i].slot);
		*strs[i].slot = xstrdup(val);
		return 0;
	}
	if (!strcmp(kv, "readonly") || !strcmp(kv, "ro"))
		return mount_bool(spec, kv, val, &f->readonly, err);
	if (!strcmp(kv, "volume-nocopy"))
		return mount_bool(spec, kv, val, &f->nocopy, err);
	if (!strcmp(kv, "volume-opt")) {
		if (!val || !strchr(val, '=') || *val == '=')
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --mount '%s': volume-opt wants KEY=VALUE", spec);
		strv_push(&f->opts, val);
		return 0;
	}
	if (!strcmp(kv, "volume-driver")) {
		if (val && strcmp(val, "local") != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --mount '%s': volume driver '%s' (only 'local' exists)",
					    spec, val);
		return 0;
	}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --mount '%s': unknown field '%s'", spec, kv);
}

static int mount_to_tmpfs(const char *spec, struct mount_fields *f, struct pd_mount *out, struct pd_err **err)
{
	if (f->src || f->prop || f->nocopy || f->opts)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': a tmpfs takes no source, bind or volume fields",
				    spec);
	if (f->readonly)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': a read-only tmpfs is not supported", spec);
	_cleanup_free_ char *t = xasprintf("%s%s%s%s%s%s", f->dest, f->tmpfs_size || f->tmpfs_mode ? ":" : "",
					   f->tmpfs_size ? "size=" : "", f->tmpfs_size ? f->tmpfs_size : "",
					   f->tmpfs_size && f->tmpfs_mode ? ",mode="
					   : f->tmpfs_mode		  ? "mode="
									  : "",
					   f->tmpfs_mode ? f->tmpfs_mode : "");
	out->type = PD_MOUNT_TMPFS;
	if (pd_tmpfs_parse(t, &out->tmpfs, err) < 0) {
		pd_err_prefix(err, "--mount '%s'", spec);
		return -1;
	}
	return 0;
}

/* The mount the fields of --mount `spec` describe. */
static int mount_from_fields(const char *spec, struct mount_fields *f, struct pd_mount *out,
			     struct pd_err **err)
{
	const char *type = f->type ? f->type : "volume";
	if (!f->dest)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --mount '%s': target is missing", spec);
	if (!strcmp(type, "tmpfs"))
		return mount_to_tmpfs(spec, f, out, err);
	bool bind = !strcmp(type, "bind");
	if (!bind && strcmp(type, "volume") != 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': type '%s' is not bind, volume or tmpfs", spec,
				    type);
	if ((bind && (f->nocopy || f->opts || !f->src)) || (!bind && f->prop))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --mount '%s': %s", spec,
				    !bind     ? "bind-propagation is for binds"
				    : !f->src ? "a bind needs a source"
					      : "volume fields are for volumes");
	if (bind && f->src[0] != '/')
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': bind source '%s' is not an absolute path", spec,
				    f->src);
	struct pd_volume vol = { 0 };
	if (f->prop && (!volume_mode_word(f->prop, &vol) || vol.propagation == PD_PROP_DEFAULT))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --mount '%s': unknown bind-propagation '%s'", spec, f->prop);
	/* The -v parser's rules (destination, name) on the fields as they
	 * are, never through -v's SRC:DEST text: a path may hold ':'.  A
	 * missing bind source, which -v makes, is an error here, as in
	 * Docker. */
	vol.readonly = f->readonly;
	vol.nocopy = f->nocopy;
	if (volume_from_parts("--mount", spec, f->src ? f->src : "anonymous", f->dest, &vol, err) < 0)
		return -1;
	if (vol.create) {
		pd_fail_kind(err, PD_ERR_USAGE, ENOENT, "invalid --mount '%s': bind source path '%s'", spec,
			     vol.src);
		free(vol.src);
		free(vol.dest);
		return -1;
	}
	if (!bind && !f->src) {
		free(vol.name);
		vol.name = NULL;
		vol.anonymous = true;
	}
	vol.opts = take_ptr(&f->opts);
	out->type = PD_MOUNT_BIND;
	out->bind = vol;
	return 0;
}

/* The next field of --mount's CSV text at *p into *field (NULL at the
 * end; *p advances past the field and its comma), as Docker reads it
 * (Go's encoding/csv): a field that starts with '"' runs to the closing
 * quote, may hold commas, and "" inside it is one quote; a quote anywhere
 * else is an error. */
static int mount_csv_next(const char *spec, const char **p, char **field, struct pd_err **err)
{
	const char *s = *p;
	*field = NULL;
	if (!s)
		return 0;
	_cleanup_free_ char *f = xmalloc(strlen(s) + 1);
	size_t n = 0;
	if (*s == '"') {
		for (s++; *s != '"' || s[1] == '"'; s++) {
			if (!*s)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "invalid --mount '%s': a quoted field is not closed",
						    spec);
			if (*s == '"')
				s++; /* "" is one quote */
			f[n++] = *s;
		}
		s++;
		if (*s && *s != ',')
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --mount '%s': '%c' after a quoted field's closing quote",
					    spec, *s);
	} else {
		for (; *s && *s != ','; s++) {
			if (*s == '"')
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "invalid --mount '%s': a quote inside an unquoted field "
						    "(quote the whole field: \"key=value\")",
						    spec);
			f[n++] = *s;
		}
	}
	f[n] = '\0';
	*p = *s == ',' ? s + 1 : NULL;
	*field = take_ptr(&f);
	return 0;
}

int pd_mount_parse(const char *spec, struct pd_mount *out, struct pd_err **err)
{
	struct mount_fields f = { 0 };
	int ret = 0;
	const char *p = spec;
	while (p && ret == 0) {
		_cleanup_free_ char *kv = NULL;
		ret = mount_csv_next(spec, &p, &kv, err);
		if (ret == 0 && kv && *kv)
			ret = mount_field(spec, kv, &f, err);
	}
	if (ret == 0)
		ret = mount_from_fields(spec, &f, out, err);
	mount_fields_free(&f);
	return ret;
}

int pd_tmpfs_parse(const char *spec, struct pd_tmpfs *out, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *opts = strchr(s, ':');
	if (opts)
		*opts++ = '\0';
	if (pd_check_container_path("tmpfs destination", s, err) < 0)
		return -1;
	struct pd_tmpfs t = { .mode = 01777 };
	for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		uint64_t n;
		if (!strcmp(o, "exec") || !strcmp(o, "noexec")) {
			t.exec = o[0] == 'e';
		} else if (!strcmp(o, "rw") || !strcmp(o, "nosuid") || !strcmp(o, "nodev")) {
			continue; /* what every tmpfs is anyway */
		} else if (str_has_prefix(o, "size=") && str_has_suffix(o, "%")) {
			_cleanup_free_ char *pct = xstrndup(o + 5, strlen(o + 5) - 1);
			if (pd_parse_uint(pct, 1000, &n, pd_err_ignore(status)) < 0 || n == 0)
				return pd_fail_kind(err, PD_ERR_USAGE, 0, "tmpfs '%s': invalid size '%s'",
						    spec, o + 5);
			t.size_pct = (unsigned)n;
			t.size = 0;
		} else if (str_has_prefix(o, "size=")) {
			/* size=0 would be no limit at all to the kernel. */
			if (pd_parse_size(o + 5, &n, pd_err_ignore(status)) < 0 || n == 0)
				return pd_fail_kind(err, PD_ERR_USAGE, 0, "tmpfs '%s': invalid size '%s'",
						    spec, o + 5);
			t.size = n;
			t.size_pct = 0;
		} else if (str_has_prefix(o, "mode=")) {
			char *end = NULL;
			unsigned long m = strtoul(o + 5, &end, 8);
			if (o[5] < '0' || o[5] > '7' || *end || m > 07777)
				return pd_fail_kind(
				    err, PD_ERR_USAGE, 0,
				    "tmpfs '%s': invalid mode '%s' (want octal, at most 7777)", spec, o + 5);
			t.mode = (unsigned)m;
		} else {
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "tmpfs '%s': unsupported option '%s'", spec,
					    o);
		}
	}
	t.dest = xstrdup(s);
	*out = t;
	return 0;
}

/* Docker's device permissions: r, w and m, each at most once. */
static bool is_device_perms(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 3 || strspn(s, "rwm") != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr(s + i + 1, s[i]))
			return false;
	return true;
}

int pd_device_parse(const char *spec, struct pd_device *out, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *f[3] = { s, NULL, NULL };
	for (size_t i = 1; i < 3 && (f[i] = strchr(f[i - 1], ':')); i++)
		*f[i]++ = '\0';
	if (f[2] && strchr(f[2], ':'))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid device '%s': want HOST[:CONTAINER[:PERMS]]", spec);
	struct stat st;
	if (stat(f[0], &st) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "device '%s'", f[0]);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is not a device", f[0]);
	/* "HOST:rw": the second field is the permissions when it is no path. */
	const char *dest = f[1], *perms = f[2];
	if (dest && !perms && dest[0] != '/' && is_device_perms(dest)) {
		perms = dest;
		dest = NULL;
	}
	if (!dest)
		dest = f[0];
	if (pd_check_container_path("device destination", dest, err) < 0)
		return -1;
	if (perms && !is_device_perms(perms))
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid device '%s': permissions '%s' are not a combination of r, w and m", spec, perms);
	*out = (struct pd_device){ .host = xstrdup(f[0]), .dest = xstrdup(dest) };
	snprintf(out->perms, sizeof(out->perms), "%s", perms ? perms : "rwm");
	return 0;
}

/* Whether the directory (dev, ino) is `path` or one of its ancestors;
 * `path` is absolute and free of symlinks (a realpath).  Compared by
 * identity, not by name, so that a bind mount of the same directory
 * elsewhere (an alias no string comparison sees) counts too. */
static bool is_path_or_ancestor(const char *path, dev_t dev, ino_t ino)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (;;) {
		struct stat st;
		if (stat(p, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			return true;
		char *slash = strrchr(p, '/');
		if (!slash || (slash == p && p[1] == '\0'))
			return false;
		slash[slash == p ? 1 : 0] = '\0';
	}
}

/* The real path of `path` or, when it does not exist yet, of its nearest
 * existing ancestor (a state root about to be created); NULL when not even
 * the current directory resolves. */
static char *real_existing(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (;;) {
		char real[PATH_MAX];
		if (realpath(*p ? p : ".", real))
			return xstrdup(real);
		char *slash = strrchr(p, '/');
		if (!*p || !strcmp(p, "/"))
			return NULL;
		if (!slash)
			*p = '\0';
		else
			slash[slash == p ? 1 : 0] = '\0';
	}
}

int pd_volumes_check_state_root(const struct pd_config *c, const char *state_root, struct pd_err **err)
{
	size_t binds = 0;
	for (size_t i = 0; i < c->n_mounts; i++)
		binds += c->mounts[i].type == PD_MOUNT_BIND && !pd_volume_is_named(&c->mounts[i].bind);
	if (!binds)
		return 0;
	_cleanup_free_ char *root = real_existing(state_root);
	if (!root)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "resolve state root '%s'", state_root);
	struct stat rst;
	bool root_exists = stat(state_root, &rst) == 0 && S_ISDIR(rst.st_mode);
	for (size_t i = 0; i < c->n_mounts; i++) {
		if (c->mounts[i].type != PD_MOUNT_BIND || pd_volume_is_named(&c->mounts[i].bind))
			continue;
		const char *src = c->mounts[i].bind.src;
		struct stat sst;
		if (c->mounts[i].bind.create && stat(src, &sst) < 0 && errno == ENOENT) {
			/* To be made: where its nearest existing directory is. */
			_cleanup_free_ char *near = real_existing(src);
			if (!near)
				return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume source '%s'", src);
			if (root_exists && is_path_or_ancestor(near, rst.st_dev, rst.st_ino))
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "volume source '%s' is inside the state root '%s': a "
						    "container must not reach the runtime's state",
						    src, root);
			continue;
		}
		if (stat(src, &sst) < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume source '%s'", src);
		/* Through such a volume a container could rewrite state.db (the
		 * capabilities and seccomp profile the next `exec` gets), the
		 * cached seccomp programs and the logs, and reach the monitors'
		 * attach sockets: the state root is the runtime's, never the
		 * container's.  Read-only does not help (sockets connect
		 * through a read-only mount). */
		if (S_ISDIR(sst.st_mode) && is_path_or_ancestor(root, sst.st_dev, sst.st_ino))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "volume source '%s' contains the state root '%s': a container "
					    "must not reach the runtime's state (mount a narrower directory, "
					    "or move the state root with --root)",
					    src, root_exists ? root : state_root);
		if (root_exists && is_path_or_ancestor(src, rst.st_dev, rst.st_ino))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "volume source '%s' is inside the state root '%s': a container "
					    "must not reach the runtime's state",
					    src, root);
	}
	return 0;
}

int pd_volumes_make_sources(struct pd_config *c, const char *state_root, struct pd_err **err)
{
	bool any = false;
	for (size_t i = 0; i < c->n_mounts; i++) {
		struct pd_volume *v = &c->mounts[i].bind;
		if (c->mounts[i].type != PD_MOUNT_BIND || !v->create)
			continue;
		if (pd_mkdir_p(v->src, 0755, err) < 0) {
			pd_err_prefix(err, "make volume source '%s'", v->src);
			return -1;
		}
		char real[PATH_MAX];
		if (!realpath(v->src, real))
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume source '%s'", v->src);
		free(v->src);
		v->src = xstrdup(real);
		v->create = false;
		any = true;
	}
	/* Made now: checked again as an existing source is. */
	return any ? pd_volumes_check_state_root(c, state_root, err) : 0;
}

static ssize_t env_find(char *const *env, const char *key, size_t klen)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], key, klen) && env[i][klen] == '=')
			return (ssize_t)i;
	return -1;
}

static void env_put(char ***env, char *kv, size_t klen)
{
	ssize_t i = env_find(*env, kv, klen);
	if (i >= 0) {
		free((*env)[i]);
		(*env)[i] = kv;
	} else {
		strv_push_take(env, kv);
	}
}

int pd_env_add(char ***env, const char *spec, struct pd_err **err)
{
	const char *eq = strchr(spec, '=');
	size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
	if (klen == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid environment variable '%s'", spec);
	if (eq) {
		env_put(env, xstrdup(spec), klen);
		return 0;
	}
	const char *v = getenv(spec);
	if (v)
		env_put(env, xasprintf("%s=%s", spec, v), klen);
	return 0;
}

/* Docker's --env-file and --label-file format: one KEY[=VALUE] a line,
 * blank lines and lines starting with '#' skipped, leading blanks and CR
 * ignored; each entry goes to `add`.  `what` names the file in messages
 * ("env file"), `no_name` says what a line starting with '=' lacks. */
static int add_kv_file(char ***list, const char *path, const char *what, const char *no_name,
		       int (*add)(char ***list, const char *spec, struct pd_err **err), struct pd_err **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "open %s '%s'", what, path);
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (*p == '=')
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s '%s' line %u: %s", what, path, lineno,
					    no_name);
		if (add(list, p, err) < 0)
			return -1;
	}
	return 0;
}

int pd_env_add_file(char ***env, const char *path, struct pd_err **err)
{
	return add_kv_file(env, path, "env file", "invalid variable", pd_env_add, err);
}

int pd_sysctl_check(const char *key, const char *value, enum pd_sysctl_ns *ns, struct pd_err **err)
{
	static const struct {
		const char *prefix;
		enum pd_sysctl_ns ns;
	} allowed[] = {
		{ "net.", PD_SYSCTL_NET },
		{ "kernel.shm", PD_SYSCTL_IPC },
		{ "kernel.msg", PD_SYSCTL_IPC },
		{ "kernel.sem", PD_SYSCTL_IPC },
		{ "fs.mqueue.", PD_SYSCTL_IPC },
		{ "kernel.hostname", PD_SYSCTL_UTS },
		{ "kernel.domainname", PD_SYSCTL_UTS },
	};
	/* The key names a file under /proc/sys (init.c step_sysctl): no way
	 * out of it, and no path the check below would read differently. */
	if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.-/") != strlen(key) ||
	    strstr(key, "..") || key[0] == '.' || key[0] == '/')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid key '%s'", key);
	if (strchr(value, '\n'))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "the value of '%s' holds a newline", key);
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (str_has_prefix(key, allowed[i].prefix)) {
			*ns = allowed[i].ns;
			return 0;
		}
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is not namespaced (it would change the host)", key);
}

int pd_sysctl_add(struct pd_config *c, const char *spec, struct pd_err **err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --sysctl '%s': want KEY=VALUE", spec);
	_cleanup_free_ char *key = xstrndup(spec, (size_t)(eq - spec));
	enum pd_sysctl_ns ns;
	if (pd_sysctl_check(key, eq + 1, &ns, err) < 0) {
		pd_err_prefix(err, "invalid --sysctl");
		return -1;
	}
	if (!strcmp(key, "kernel.hostname"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --sysctl: '%s' conflicts with --hostname (use that)", key);
	size_t klen = strlen(key);
	for (size_t i = 0; c->sysctls && c->sysctls[i]; i++)
		if (!strncmp(c->sysctls[i], key, klen) && c->sysctls[i][klen] == '=') {
			free(c->sysctls[i]);
			c->sysctls[i] = xstrdup(spec);
			return 0;
		}
	strv_push(&c->sysctls, spec);
	return 0;
}

int pd_config_check_sysctls(const struct pd_config *c, struct pd_err **err)
{
	bool shared_ipc = c->ipc_ns.mode == PD_NS_HOST || c->ipc_ns.mode == PD_NS_CONTAINER;
	for (size_t i = 0; c->sysctls && c->sysctls[i]; i++) {
		const char *kv = c->sysctls[i];
		_cleanup_free_ char *key = xstrndup(kv, strcspn(kv, "="));
		enum pd_sysctl_ns ns;
		if (pd_sysctl_check(key, "", &ns, pd_err_ignore(status)) < 0)
			continue; /* refused when it was added */
		if (ns == PD_SYSCTL_NET && c->net.mode == PD_NET_HOST)
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "invalid --sysctl '%s': net.* sysctls need a network namespace of "
			    "the container's own (not --network host)",
			    kv);
		if (ns == PD_SYSCTL_IPC && shared_ipc)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --sysctl '%s': IPC sysctls need an IPC namespace of the "
					    "container's own (not --ipc host or container:)",
					    kv);
		if (ns == PD_SYSCTL_UTS && c->uts_ns.mode == PD_NS_HOST)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid --sysctl '%s': UTS sysctls need a UTS namespace of the "
					    "container's own (not --uts host)",
					    kv);
	}
	return 0;
}

int pd_nsmode_parse(const char *opt, const char *s, struct pd_nsmode *out, struct pd_err **err)
{
	bool ipc = !strcmp(opt, "ipc"), pid = !strcmp(opt, "pid");
	struct pd_nsmode m = { .mode = PD_NS_PRIVATE };
	if (!*s || (ipc && !strcmp(s, "private"))) {
		m.mode = PD_NS_PRIVATE;
	} else if (!strcmp(s, "host")) {
		m.mode = PD_NS_HOST;
	} else if (ipc && !strcmp(s, "shareable")) {
		m.mode = PD_NS_SHAREABLE;
	} else if (ipc && !strcmp(s, "none")) {
		m.mode = PD_NS_NONE;
	} else if ((ipc || pid) && str_has_prefix(s, "container:") && s[10] &&
		   strspn(s + 10, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		       strlen(s + 10)) {
		m.mode = PD_NS_CONTAINER;
		m.container = xstrdup(s + 10);
	} else {
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --%s '%s': want %s", opt, s,
				    ipc	  ? "private, shareable, none, host or container:NAME|ID"
				    : pid ? "host or container:NAME|ID"
					  : "host");
	}
	free(out->container);
	*out = m;
	return 0;
}

char *pd_nsmode_text(const char *opt, const struct pd_nsmode *m)
{
	switch (m->mode) {
	case PD_NS_HOST: return xstrdup("host");
	case PD_NS_SHAREABLE: return xstrdup("shareable");
	case PD_NS_NONE: return xstrdup("none");
	case PD_NS_CONTAINER: return xasprintf("container:%s", m->container ? m->container : "");
	default: return xstrdup(strcmp(opt, "ipc") ? "" : "private");
	}
}

int pd_config_check_namespaces(const struct pd_config *c, struct pd_err **err)
{
	if (c->uts_ns.mode == PD_NS_HOST && (c->hostname || c->domainname))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "conflicting options: --%s and --uts host (the host's name is kept)",
				    c->hostname ? "hostname" : "domainname");
	if (geteuid() == 0)
		return 0;
	/* A rootless container's user namespace holds no power over the
	 * host's PID namespace (its /proc cannot be mounted) nor over
	 * another container's namespaces (owned by that one's user
	 * namespace). */
	if (c->pid_ns.mode == PD_NS_HOST)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--pid host needs root (a rootless container cannot mount the host's "
				    "/proc)");
	if (c->pid_ns.mode == PD_NS_CONTAINER || c->ipc_ns.mode == PD_NS_CONTAINER)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--%s container: needs root (a rootless container cannot join another "
				    "container's namespaces)",
				    c->pid_ns.mode == PD_NS_CONTAINER ? "pid" : "ipc");
	return 0;
}

int pd_config_clone_flags(const struct pd_config *c)
{
	int flags = CLONE_NEWNS;
	if (c->uts_ns.mode != PD_NS_HOST)
		flags |= CLONE_NEWUTS;
	if (c->ipc_ns.mode != PD_NS_HOST && c->ipc_ns.mode != PD_NS_CONTAINER)
		flags |= CLONE_NEWIPC;
	if (c->pid_ns.mode != PD_NS_HOST && c->pid_ns.mode != PD_NS_CONTAINER)
		flags |= CLONE_NEWPID;
	if (c->net.mode != PD_NET_HOST)
		flags |= CLONE_NEWNET;
	if (c->rootless)
		flags |= CLONE_NEWUSER;
	return flags;
}

/* Docker's aliases of architecture names (containerd's normalisation). */
static const char *arch_alias(const char *a)
{
	static const char *const alias[][2] = {
		{ "x86_64", "amd64" }, { "x86-64", "amd64" }, { "aarch64", "arm64" },
		{ "i386", "386" },     { "i686", "386" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(alias); i++)
		if (!strcasecmp(a, alias[i][0]))
			return alias[i][1];
	return a;
}

int pd_platform_check(const char *platform, struct pd_err **err)
{
	const char *arch = pd_host_arch(), *variant = pd_host_variant();
	_cleanup_free_ char *host =
	    variant ? xasprintf("linux/%s/%s", arch, variant) : xasprintf("linux/%s", arch);
	_cleanup_free_ char *s = xstrdup(platform);
	char *f[4] = { s, NULL, NULL, NULL };
	size_t n = 1;
	for (char *p = s; *p; p++)
		if (*p == '/') {
			if (n == 3)
				goto bad;
			*p = '\0';
			f[n++] = p + 1;
		}
	for (size_t i = 0; i < n; i++)
		if (!*f[i])
			goto bad;
	/* "linux", "linux/ARCH[/VARIANT]", or "ARCH" alone (the OS is this
	 * host's), as Docker reads them. */
	const char *os = "linux", *want_arch = arch, *want_variant = NULL;
	if (n == 1 && strcasecmp(f[0], "linux") != 0) {
		want_arch = arch_alias(f[0]);
	} else if (n >= 2) {
		os = f[0];
		want_arch = arch_alias(f[1]);
		want_variant = n == 3 ? f[2] : NULL;
	}
	/* arm64's only variant is v8, which Docker leaves out. */
	if (want_variant && !strcasecmp(want_arch, "arm64") && !strcasecmp(want_variant, "v8"))
		want_variant = NULL;
	if (strcasecmp(os, "linux") || strcasecmp(want_arch, arch) ||
	    (want_variant && (!variant || strcasecmp(want_variant, variant))))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --platform '%s': this host runs %s, and pocket-docker "
				    "emulates no other platform",
				    platform, host);
	return 0;
bad:
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "invalid --platform '%s': want OS[/ARCH[/VARIANT]], e.g. %s", platform, host);
}

bool pd_group_name_valid(const char *name)
{
	/* What shadow's useradd/groupadd take: not all digits (a number is
	 * a gid), no ':' or space, no leading '-'. */
	size_t n = strlen(name);
	if (n == 0 || n > 32 || name[0] == '-' || strspn(name, "0123456789") == n)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-$") == n;
}

int pd_label_add(char ***labels, const char *spec, struct pd_err **err)
{
	const char *eq = strchr(spec, '=');
	size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
	if (klen == 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid label '%s': empty name", spec);
	env_put(labels, eq ? xstrdup(spec) : xasprintf("%s=", spec), klen);
	return 0;
}

int pd_label_add_file(char ***labels, const char *path, struct pd_err **err)
{
	return add_kv_file(labels, path, "label file", "empty name", pd_label_add, err);
}

const char *pd_label_get(char *const *labels, const char *key)
{
	return pd_env_get(labels, key);
}

void pd_env_set_default(char ***env, const char *key, const char *value)
{
	if (env_find(*env, key, strlen(key)) < 0)
		strv_push_take(env, xasprintf("%s=%s", key, value));
}

const char *pd_env_get(char *const *env, const char *key)
{
	size_t klen = strlen(key);
	ssize_t i = env_find(env, key, klen);
	return i < 0 ? NULL : env[i] + klen + 1;
}

int pd_restart_parse(const char *s, enum pd_restart *policy, unsigned *max, struct pd_err **err)
{
	*max = 0;
	if (!strcmp(s, "no")) {
		*policy = PD_RESTART_NO;
	} else if (!strcmp(s, "always")) {
		*policy = PD_RESTART_ALWAYS;
	} else if (!strcmp(s, "unless-stopped")) {
		*policy = PD_RESTART_UNLESS_STOPPED;
	} else if (!strcmp(s, "on-failure")) {
		*policy = PD_RESTART_ON_FAILURE;
	} else if (str_has_prefix(s, "on-failure:")) {
		uint64_t n;
		if (pd_parse_uint(s + 11, 1000000, &n, err) < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid restart count in '%s'", s);
		*policy = PD_RESTART_ON_FAILURE;
		*max = (unsigned)n;
	} else {
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid restart policy '%s': want no, on-failure[:MAX], always or unless-stopped", s);
	}
	return 0;
}

int pd_log_opt_parse(struct pd_config *c, const char *spec, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	if (!*spec)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --log-opt '': want max-size=SIZE or max-file=N");
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (!v)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --log-opt '%s': want KEY=VALUE",
					    kv);
		*v++ = '\0';
		uint64_t n;
		if (!strcmp(kv, "max-size")) {
			if (pd_parse_size(v, &n, pd_err_ignore(status)) < 0 || n == 0)
				return pd_fail_kind(
				    err, PD_ERR_USAGE, 0,
				    "invalid --log-opt max-size '%s': want a size such as 10m", v);
			c->log_max_size = n;
		} else if (!strcmp(kv, "max-file")) {
			if (pd_parse_uint(v, 65535, &n, pd_err_ignore(status)) < 0 || n < 1)
				return pd_fail_kind(
				    err, PD_ERR_USAGE, 0,
				    "invalid --log-opt max-file '%s': want a number from 1 to 65535", v);
			c->log_max_file = (unsigned)n;
		} else {
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "unknown --log-opt '%s' (known: max-size, max-file)", kv);
		}
	}
	return 0;
}

const char *pd_restart_name(enum pd_restart p)
{
	switch (p) {
	case PD_RESTART_ON_FAILURE: return "on-failure";
	case PD_RESTART_ALWAYS: return "always";
	case PD_RESTART_UNLESS_STOPPED: return "unless-stopped";
	default: return "no";
	}
}

int pd_cpus_parse(const char *s, struct pd_limits *l, struct pd_err **err)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 4096)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid --cpus '%s': want a positive number like 0.5", s);
	l->cpu_period_us = 100000;
	l->cpu_quota_us = (uint64_t)(v * 100000 + 0.5);
	if (l->cpu_quota_us < 1000)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--cpus '%s' is below the minimum of 0.01", s);
	return 0;
}

/*
 * The codec.  The record's JSON has Docker's Config and HostConfig keys side
 * by side (Cmd, Env, Binds, Resources, RestartPolicy...: `inspect` shows
 * them as they are), then the rest of the config under the names Docker's
 * API gives them where it has one (Mounts, Devices, Healthcheck, Dns,
 * ExtraHosts, ConsoleSize) and our own otherwise (CapMask, Rootless,
 * SeccompProfileText, Publish).  Keys are only ever added: a record written
 * by an older version lacks some, and decodes with the defaults.
 */

/* HostConfig.LogConfig: "k8s-file" (the name Podman gives this very
 * format, CRI records), with Docker's json-file options as strings. */
static json_t *log_config_json(const struct pd_config *c)
{
	json_t *conf = json_object();
	if (c->log_max_size) {
		static const char unit[] = "kmg";
		uint64_t v = c->log_max_size;
		int u = -1;
		while (u < 2 && v % 1024 == 0) {
			v /= 1024;
			u++;
		}
		_cleanup_free_ char *size = u < 0 ? xasprintf("%llu", (unsigned long long)v)
						  : xasprintf("%llu%c", (unsigned long long)v, unit[u]);
		json_object_set_new(conf, "max-size", json_string(size));
	}
	if (c->log_max_file) {
		_cleanup_free_ char *n = xasprintf("%u", c->log_max_file);
		json_object_set_new(conf, "max-file", json_string(n));
	}
	return json_pack("{s:s, s:o}", "Type", "k8s-file", "Config", conf);
}

/* NanoCpus as Docker counts --cpus: billionths of a CPU. */
static uint64_t nano_cpus(const struct pd_limits *l)
{
	return l->cpu_period_us ? l->cpu_quota_us * 1000000000ULL / l->cpu_period_us : 0;
}

static json_t *resources_json(const struct pd_limits *l)
{
	json_t *r =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "Memory", (json_int_t)l->memory, "MemorySwap",
		      (json_int_t)l->memory_swap, "NanoCpus", (json_int_t)nano_cpus(l), "PidsLimit",
		      (json_int_t)l->pids_max, "CpuShares", (json_int_t)l->cpu_shares, "CpuPeriod",
		      (json_int_t)l->cpu_period_us, "CpusetCpus", l->cpuset_cpus ? l->cpuset_cpus : "");
	if (l->memory_reservation > 0)
		json_object_set_new(r, "MemoryReservation", json_integer(l->memory_reservation));
	return r;
}

const char *pd_propagation_name(enum pd_propagation p)
{
	static const char *const names[] = {
		[PD_PROP_DEFAULT] = "",	     [PD_PROP_PRIVATE] = "private", [PD_PROP_RPRIVATE] = "rprivate",
		[PD_PROP_SHARED] = "shared", [PD_PROP_RSHARED] = "rshared", [PD_PROP_SLAVE] = "slave",
		[PD_PROP_RSLAVE] = "rslave"
	};
	return (size_t)p < ARRAY_SIZE(names) ? names[p] : "";
}

/* A named or anonymous volume as Docker's API has it (Type "volume",
 * Source the name), with the runtime's own keys; never the data directory
 * a start resolved, which is not the record's. */
static json_t *volume_mount_json(const struct pd_volume *v)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "Type", "volume", "Source", v->name ? v->name : "",
			      "Target", v->dest, "ReadOnly", v->readonly);
	json_t *vo = json_object();
	if (v->nocopy)
		json_object_set_new(vo, "NoCopy", json_true());
	if (v->opts) {
		json_t *d = json_object();
		for (size_t i = 0; v->opts[i]; i++) {
			const char *eq = strchr(v->opts[i], '=');
			json_object_setn_new(d, v->opts[i], (size_t)(eq - v->opts[i]), json_string(eq + 1));
		}
		json_object_set_new(vo, "DriverConfig",
				    json_pack("{s:s, s:o}", "Name", "local", "Options", d));
	}
	json_object_set_new(o, "VolumeOptions", vo);
	if (v->anonymous)
		json_object_set_new(o, "Anonymous", json_true());
	return o;
}

/* HostConfig.Mounts of Docker's API, in mount order. */
static json_t *mounts_json(const struct pd_config *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct pd_mount *m = &c->mounts[i];
		if (m->type == PD_MOUNT_BIND && pd_volume_is_named(&m->bind)) {
			json_array_append_new(a, volume_mount_json(&m->bind));
		} else if (m->type == PD_MOUNT_BIND) {
			json_t *b = json_pack("{s:s, s:s, s:s, s:b}", "Type", "bind", "Source", m->bind.src,
					      "Target", m->bind.dest, "ReadOnly", m->bind.readonly);
			if (m->bind.propagation)
				json_object_set_new(b, "BindOptions",
						    json_pack("{s:s}", "Propagation",
							      pd_propagation_name(m->bind.propagation)));
			if (m->bind.nosuid)
				json_object_set_new(b, "NoSuid", json_true());
			if (m->bind.noexec)
				json_object_set_new(b, "NoExec", json_true());
			json_array_append_new(a, b);
		} else
			json_array_append_new(a,
					      json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:b}}", "Type", "tmpfs",
							"Target", m->tmpfs.dest, "TmpfsOptions", "SizeBytes",
							(json_int_t)m->tmpfs.size, "SizePercent",
							(json_int_t)m->tmpfs.size_pct, "Mode",
							(json_int_t)m->tmpfs.mode, "Exec", m->tmpfs.exec));
	}
	return a;
}

/* Docker's names of the resource limits (--ulimit), by RLIMIT_* number. */
static const char *const rlimit_names[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = "cpu",		[RLIMIT_FSIZE] = "fsize",
	[RLIMIT_DATA] = "data",		[RLIMIT_STACK] = "stack",
	[RLIMIT_CORE] = "core",		[RLIMIT_RSS] = "rss",
	[RLIMIT_NPROC] = "nproc",	[RLIMIT_NOFILE] = "nofile",
	[RLIMIT_MEMLOCK] = "memlock",	[RLIMIT_AS] = "as",
	[RLIMIT_LOCKS] = "locks",	[RLIMIT_SIGPENDING] = "sigpending",
	[RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",
	[RLIMIT_RTPRIO] = "rtprio",	[RLIMIT_RTTIME] = "rttime",
};

int pd_rlimit_type(const char *name)
{
	for (int i = 0; i < (int)RLIM_NLIMITS; i++)
		if (rlimit_names[i] && !strcmp(rlimit_names[i], name))
			return i;
	return -1;
}

/* One limit value of --ulimit: a number, or -1 / "unlimited". */
static bool parse_rlim(const char *s, uint64_t *out)
{
	if (!strcmp(s, "-1") || !strcmp(s, "unlimited")) {
		*out = RLIM_INFINITY;
		return true;
	}
	return pd_parse_uint(s, INT64_MAX, out, pd_err_ignore(status)) == 0;
}

int pd_ulimit_parse(struct pd_config *c, const char *spec, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *eq = strchr(s, '=');
	if (!eq || eq == s || !eq[1])
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid ulimit argument: '%s' (want NAME=SOFT[:HARD])", spec);
	*eq = '\0';
	int type = pd_rlimit_type(s);
	if (type < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid ulimit type: '%s'", s);
	char *hard_text = strchr(eq + 1, ':');
	if (hard_text)
		*hard_text++ = '\0';
	struct pd_rlimit r = { .type = type };
	if (!parse_rlim(eq + 1, &r.soft) || (hard_text && !parse_rlim(hard_text, &r.hard)))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid ulimit argument: '%s' (want numbers, or -1 for unlimited)",
				    spec);
	if (!hard_text)
		r.hard = r.soft;
	if (r.soft > r.hard)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid ulimit argument: '%s': the soft limit must be less than or equal "
		    "to the hard limit",
		    spec);
	for (size_t i = 0; i < c->n_rlimits; i++)
		if (c->rlimits[i].type == type) {
			c->rlimits[i] = r;
			return 0;
		}
	c->rlimits = xrealloc(c->rlimits, (c->n_rlimits + 1) * sizeof(*c->rlimits));
	c->rlimits[c->n_rlimits++] = r;
	return 0;
}

static void rlim_text(uint64_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* Whether this process may raise hard limits: root of the initial user
 * namespace with CAP_SYS_RESOURCE in its effective set (a root whose
 * sandbox took it away may not, and a rootless container never can: its
 * user namespace's capabilities do not reach the host's limits). */
static bool can_raise_rlimits(const struct pd_config *c)
{
	if (c->rootless)
		return false;
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (caps) {
		cap_get_flag(caps, CAP_SYS_RESOURCE, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

int pd_config_check_rlimits(const struct pd_config *c, struct pd_err **err)
{
	if (!c->n_rlimits || can_raise_rlimits(c))
		return 0;
	for (size_t i = 0; i < c->n_rlimits; i++) {
		const struct pd_rlimit *r = &c->rlimits[i];
		struct rlimit have;
		if (getrlimit(r->type, &have) < 0 || r->hard <= have.rlim_max)
			continue;
		char want[32], max[32];
		rlim_text(r->hard, want, sizeof(want));
		rlim_text(have.rlim_max, max, sizeof(max));
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0, "--ulimit %s: hard limit %s is above your own hard limit %s (%s)",
		    rlimit_names[r->type], want, max,
		    c->rootless ? "a rootless container cannot raise it"
				: "raising it needs CAP_SYS_RESOURCE, which this process lacks");
	}
	return 0;
}

int pd_config_check_oom_score(const struct pd_config *c, struct pd_err **err)
{
	if (!c->has_oom_score_adj || can_raise_rlimits(c))
		return 0;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
	int own = 0;
	if (!f || fscanf(f, "%d", &own) != 1)
		return 0; /* unknown here: the init's write gives the kernel's answer */
	if (c->oom_score_adj >= own)
		return 0;
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "--oom-score-adj %d is below your own score adjustment %d (%s)", c->oom_score_adj,
			    own,
			    c->rootless ? "a rootless container cannot lower it"
					: "lowering it needs CAP_SYS_RESOURCE, which this process lacks");
}

const char *pd_rlimit_name(int type)
{
	return type >= 0 && type < (int)RLIM_NLIMITS ? rlimit_names[type] : NULL;
}

static json_t *rlimits_json(const struct pd_config *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->n_rlimits; i++) {
		const struct pd_rlimit *r = &c->rlimits[i];
		/* Docker writes -1 for unlimited. */
		json_array_append_new(
		    a, json_pack("{s:s, s:I, s:I}", "Name", rlimit_names[r->type], "Soft",
				 r->soft == RLIM_INFINITY ? (json_int_t)-1 : (json_int_t)r->soft, "Hard",
				 r->hard == RLIM_INFINITY ? (json_int_t)-1 : (json_int_t)r->hard));
	}
	return a;
}

static json_t *devices_json(const struct pd_config *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->n_devices; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "PathOnHost", c->devices[i].host,
						   "PathInContainer", c->devices[i].dest, "CgroupPermissions",
						   c->devices[i].perms));
	return a;
}

/* Config.Healthcheck: Docker's shape, times in nanoseconds. */
static json_t *healthcheck_json(const struct pd_health *h)
{
	json_t *test = pd_json_strv(h->test);
	json_array_insert_new(test, 0, json_string("CMD"));
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:b}", "Test", test, "Interval",
			 (json_int_t)(h->interval_ms * 1000000), "Timeout",
			 (json_int_t)(h->timeout_ms * 1000000), "StartPeriod",
			 (json_int_t)(h->start_period_ms * 1000000), "Retries", (json_int_t)h->retries,
			 "RestartUnhealthy", h->restart_unhealthy);
}

static json_t *publish_json(const struct pd_netcfg *n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n->n_ports; i++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s}", "HostIp", n->ports[i].host_ip,
						   "HostPort", (int)n->ports[i].host_port, "ContainerPort",
						   (int)n->ports[i].container_port, "Protocol",
						   n->ports[i].proto));
	return a;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *pd_config_json(const struct pd_config *c)
{
	json_t *o = json_object();
	json_t *binds = json_array();
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct pd_volume *v = &c->mounts[i].bind;
		if (c->mounts[i].type != PD_MOUNT_BIND || v->anonymous)
			continue;
		_cleanup_free_ char *b =
		    xasprintf("%s:%s:%s", v->name ? v->name : v->src, v->dest, v->readonly ? "ro" : "rw");
		json_array_append_new(binds, json_string(b));
	}
	json_object_set_new(o, "Cmd", pd_json_strv(c->argv));
	json_object_set_new(o, "Env", pd_json_strv(c->env));
	json_object_set_new(o, "Binds", binds);
	json_object_set_new(o, "Hostname", c->hostname ? json_string(c->hostname) : json_null());
	json_object_set_new(o, "WorkingDir", json_string(c->workdir ? c->workdir : ""));
	json_object_set_new(o, "User", json_string(c->user ? c->user : ""));
	json_object_set_new(o, "Image", c->rootfs_arg ? json_string(c->rootfs_arg) : json_null());
	if (c->image_id)
		json_object_set_new(o, "ImageID", json_string(c->image_id));
	if (c->stop_signal)
		json_object_set_new(o, "StopSignal", json_string(c->stop_signal));
	json_object_set_new(o, "AutoRemove", json_boolean(c->remove));
	json_object_set_new(o, "Init", json_boolean(c->init));
	json_object_set_new(o, "OpenStdin", json_boolean(c->interactive));
	json_object_set_new(o, "Tty", json_boolean(c->tty));
	json_object_set_new(o, "Rootless", json_boolean(c->rootless));
	json_object_set_new(o, "RestartPolicy",
			    json_pack("{s:s, s:i}", "Name", pd_restart_name(c->restart), "MaximumRetryCount",
				      (int)c->restart_max));
	json_object_set_new(o, "Resources", resources_json(&c->limits));
	json_object_set_new(o, "SeccompProfile",
			    json_string(c->seccomp	? c->seccomp
					: c->privileged ? "unconfined"
							: "default"));
	if (c->seccomp_json)
		json_object_set_new(o, "SeccompProfileText", json_string(c->seccomp_json));
	json_object_set_new(o, "CapMask", json_integer((json_int_t)c->caps));
	json_object_set_new(o, "Privileged", json_boolean(c->privileged));
	json_object_set_new(o, "ReadonlyRootfs", json_boolean(c->read_only));
	json_object_set_new(o, "NoNewPrivileges", json_boolean(!c->no_new_privs_off));
	json_object_set_new(o, "NetworkMode",
			    json_string(c->net.network ? c->net.network : pd_net_mode_name(c->net.mode)));
	if (c->net.aliases)
		json_object_set_new(o, "NetworkAliases", pd_json_strv(c->net.aliases));
	if (c->net.ip_want[0])
		json_object_set_new(o, "NetworkIP", json_string(c->net.ip_want));
	json_object_set_new(o, "LogConfig", log_config_json(c));
	static const char *const ns_keys[] = { "PidMode", "IpcMode", "UTSMode" };
	static const char *const ns_opts[] = { "pid", "ipc", "uts" };
	const struct pd_nsmode *ns_modes[] = { &c->pid_ns, &c->ipc_ns, &c->uts_ns };
	for (size_t i = 0; i < ARRAY_SIZE(ns_keys); i++) {
		_cleanup_free_ char *mode = pd_nsmode_text(ns_opts[i], ns_modes[i]);
		json_object_set_new(o, ns_keys[i], json_string(mode));
	}
	/* Not shown by `inspect`; here so that the config comes back whole. */
	json_object_set_new(o, "Mounts", mounts_json(c));
	if (c->volumes_from)
		json_object_set_new(o, "VolumesFrom", pd_json_strv(c->volumes_from));
	json_object_set_new(o, "Devices", devices_json(c));
	if (c->health.test)
		json_object_set_new(o, "Healthcheck", healthcheck_json(&c->health));
	json_object_set_new(o, "Publish", publish_json(&c->net));
	if (c->net.publish_all)
		json_object_set_new(o, "PublishAllPorts", json_true());
	/* Docker's Config.ExposedPorts: --expose's, the image's, and those
	 * -p publishes; its keys sorted, as Docker prints them. */
	json_t *exposed = json_object();
	_cleanup_strv_ char **keys = strv_copy(c->net.expose);
	for (size_t i = 0; i < c->net.n_ports; i++)
		strv_push_take(&keys,
			       xasprintf("%u/%s", c->net.ports[i].container_port, c->net.ports[i].proto));
	qsort(keys, strv_len(keys), sizeof(*keys), cmp_str);
	for (size_t i = 0; keys && keys[i]; i++)
		json_object_set_new(exposed, keys[i], json_object());
	if (json_object_size(exposed))
		json_object_set_new(o, "ExposedPorts", exposed);
	else
		json_decref(exposed);
	json_object_set_new(o, "Dns", pd_json_strv(c->net.dns));
	json_object_set_new(o, "ExtraHosts", pd_json_strv(c->net.add_hosts));
	json_object_set_new(o, "ConsoleSize", json_pack("[i, i]", (int)c->tty_rows, (int)c->tty_cols));
	/* Only when set: a record without them reads back the same. */
	if (c->n_rlimits)
		json_object_set_new(o, "Ulimits", rlimits_json(c));
	if (c->n_groups || c->group_names) {
		json_t *g = json_array();
		for (size_t i = 0; i < c->n_groups; i++)
			json_array_append_new(g, json_sprintf("%u", (unsigned)c->groups[i]));
		for (size_t i = 0; c->group_names && c->group_names[i]; i++)
			json_array_append_new(g, json_string(c->group_names[i]));
		json_object_set_new(o, "GroupAdd", g);
	}
	if (c->has_oom_score_adj)
		json_object_set_new(o, "OomScoreAdj", json_integer(c->oom_score_adj));
	if (c->labels) {
		json_t *l = json_object();
		for (size_t i = 0; c->labels[i]; i++) {
			const char *eq = strchr(c->labels[i], '=');
			json_object_setn_new(l, c->labels[i], (size_t)(eq - c->labels[i]),
					     json_string(eq + 1));
		}
		json_object_set_new(o, "Labels", l);
	}
	if (c->cidfile)
		json_object_set_new(o, "ContainerIDFile", json_string(c->cidfile));
	if (c->has_stop_timeout)
		json_object_set_new(o, "StopTimeout", json_integer(c->stop_timeout));
	if (c->shm_size)
		json_object_set_new(o, "ShmSize", json_integer((json_int_t)c->shm_size));
	if (c->has_umask)
		json_object_set_new(o, "Umask", json_integer(c->umask));
	if (c->linux32)
		json_object_set_new(o, "Personality", json_string("LINUX32"));
	if (c->cgroup_path)
		json_object_set_new(o, "CgroupPath", json_string(c->cgroup_path));
	if (c->sysctls)
		json_object_set_new(o, "Sysctls", pd_json_strv(c->sysctls));
	if (c->domainname)
		json_object_set_new(o, "Domainname", json_string(c->domainname));
	if (c->masked_paths)
		json_object_set_new(o, "MaskedPaths", pd_json_strv(c->masked_paths));
	if (c->readonly_paths)
		json_object_set_new(o, "ReadonlyPaths", pd_json_strv(c->readonly_paths));
	if (c->judge.timeout_ms || c->judge.cpu_time_ms || c->judge.output_limit)
		json_object_set_new(o, "RunLimits",
				    json_pack("{s:I, s:I, s:I}", "TimeoutMs", (json_int_t)c->judge.timeout_ms,
					      "CpuTimeMs", (json_int_t)c->judge.cpu_time_ms, "OutputLimit",
					      (json_int_t)c->judge.output_limit));
	return o;
}

char *pd_config_encode(const struct pd_config *c)
{
	json_t *o = pd_config_json(c);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		abort();
	return s;
}

/* Decoding: each reader leaves *out alone when the key is missing (or
 * null), and fails when it holds the wrong type. */

static int bad_key(const char *key, const char *want, struct pd_err **err)
{
	return pd_fail(err, EINVAL, "container config: '%s' is not %s", key, want);
}

static int get_str(json_t *o, const char *key, char **out, struct pd_err **err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad_key(key, "a string", err);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A string where "" means unset (WorkingDir, User). */
static int get_str_or_empty(json_t *o, const char *key, char **out, struct pd_err **err)
{
	if (get_str(o, key, out, err) < 0)
		return -1;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *out, struct pd_err **err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad_key(key, "true or false", err);
	*out = json_is_true(v);
	return 0;
}

static int get_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out, struct pd_err **err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad_key(key, "an integer in range", err);
	*out = json_integer_value(v);
	return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t *out, struct pd_err **err)
{
	int64_t v = (int64_t)*out;
	if (get_int(o, key, 0, INT64_MAX, &v, err) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int get_unsigned(json_t *o, const char *key, unsigned *out, struct pd_err **err)
{
	int64_t v = *out;
	if (get_int(o, key, 0, UINT_MAX, &v, err) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int get_strv(json_t *o, const char *key, char ***out, struct pd_err **err)
{
	json_t *a = json_object_get(o, key);
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return bad_key(key, "an array of strings", err);
	char **v = xcalloc(json_array_size(a) + 1, sizeof(char *));
	size_t i;
	json_t *w;
	json_array_foreach(a, i, w)
	{
		if (!json_is_string(w)) {
			strv_free(v);
			return bad_key(key, "an array of strings", err);
		}
		v[i] = xstrdup(json_string_value(w));
	}
	strv_free(*out);
	*out = v;
	return 0;
}

/* An object (or nothing): NULL when missing, -1 when of another type. */
static int get_object(json_t *o, const char *key, json_t **out, struct pd_err **err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return bad_key(key, "an object", err);
	*out = v;
	return 0;
}

static int get_array(json_t *o, const char *key, json_t **out, struct pd_err **err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad_key(key, "an array", err);
	*out = v;
	return 0;
}

static int decode_resources(json_t *o, struct pd_limits *l, struct pd_err **err)
{
	json_t *r;
	uint64_t nano = 0;
	int64_t swap = l->memory_swap;
	if (get_object(o, "Resources", &r, err) < 0)
		return -1;
	if (!r)
		return 0;
	if (get_u64(r, "Memory", &l->memory, err) < 0 ||
	    get_int(r, "MemorySwap", -1, INT64_MAX, &swap, err) < 0 ||
	    get_u64(r, "NanoCpus", &nano, err) < 0 || get_u64(r, "PidsLimit", &l->pids_max, err) < 0 ||
	    get_u64(r, "CpuShares", &l->cpu_shares, err) < 0 ||
	    get_u64(r, "CpuPeriod", &l->cpu_period_us, err) < 0 ||
	    get_str_or_empty(r, "CpusetCpus", &l->cpuset_cpus, err) < 0 ||
	    get_int(r, "MemoryReservation", 0, INT64_MAX, &l->memory_reservation, err) < 0)
		return -1;
	l->memory_swap = swap;
	/* The quota back from NanoCpus (quota * 10^9 / period, rounded down):
	 * rounded to the nearest, it is exact for any period up to the
	 * kernel's maximum of one second (the error is below 10^-3). */
	l->cpu_quota_us = (uint64_t)(((unsigned __int128)nano * l->cpu_period_us + 500000000) / 1000000000);
	return 0;
}

static int decode_restart(json_t *o, struct pd_config *c, struct pd_err **err)
{
	json_t *r;
	_cleanup_free_ char *name = NULL;
	if (get_object(o, "RestartPolicy", &r, err) < 0)
		return -1;
	if (!r)
		return 0;
	if (get_str(r, "Name", &name, err) < 0 ||
	    get_unsigned(r, "MaximumRetryCount", &c->restart_max, err) < 0)
		return -1;
	unsigned max_unused;
	if (name && pd_restart_parse(name, &c->restart, &max_unused, pd_err_ignore(status)) < 0)
		return bad_key("RestartPolicy.Name", "a restart policy", err);
	return 0;
}

static int decode_log_config(json_t *o, struct pd_config *c, struct pd_err **err)
{
	json_t *lc, *conf;
	_cleanup_free_ char *size = NULL, *files = NULL;
	if (get_object(o, "LogConfig", &lc, err) < 0 || (lc && get_object(lc, "Config", &conf, err) < 0))
		return -1;
	if (!lc || !conf)
		return 0;
	if (get_str(conf, "max-size", &size, err) < 0 || get_str(conf, "max-file", &files, err) < 0)
		return -1;
	uint64_t n;
	if (size) {
		if (pd_parse_size(size, &n, pd_err_ignore(status)) < 0)
			return bad_key("LogConfig.Config.max-size", "a size", err);
		c->log_max_size = n;
	}
	if (files) {
		if (pd_parse_uint(files, 65535, &n, pd_err_ignore(status)) < 0)
			return bad_key("LogConfig.Config.max-file", "a number", err);
		c->log_max_file = (unsigned)n;
	}
	return 0;
}

/* "SRC:DEST:MODE" of an older record's Binds, split at the last two colons:
 * DEST and MODE hold none, a resolved SRC might. */
static int decode_bind_text(const char *text, struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(text);
	char *mode = strrchr(s, ':');
	if (!mode)
		return bad_key("Binds", "a list of SRC:DEST:MODE", err);
	*mode++ = '\0';
	char *dest = strrchr(s, ':');
	if (!dest || (strcmp(mode, "ro") && strcmp(mode, "rw")))
		return bad_key("Binds", "a list of SRC:DEST:MODE", err);
	*dest++ = '\0';
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	m.bind =
	    (struct pd_volume){ .src = xstrdup(s), .dest = xstrdup(dest), .readonly = !strcmp(mode, "ro") };
	pd_config_add_mount(c, &m);
	return 0;
}

static bool propagation_parse(const char *s, enum pd_propagation *out)
{
	for (int p = PD_PROP_PRIVATE; p <= PD_PROP_RSLAVE; p++)
		if (!strcmp(s, pd_propagation_name((enum pd_propagation)p))) {
			*out = (enum pd_propagation)p;
			return true;
		}
	return false;
}

/* The rest of a Type "volume" mount (the mount is the config's already,
 * so that a failure frees it). */
static int decode_volume_mount(json_t *j, struct pd_volume *v, struct pd_err **err)
{
	json_t *vo, *dc = NULL, *opts = NULL;
	if (get_bool(j, "ReadOnly", &v->readonly, err) < 0 ||
	    get_bool(j, "Anonymous", &v->anonymous, err) < 0 ||
	    get_object(j, "VolumeOptions", &vo, err) < 0 ||
	    (vo && get_bool(vo, "NoCopy", &v->nocopy, err) < 0) ||
	    (vo && get_object(vo, "DriverConfig", &dc, err) < 0) ||
	    (dc && get_object(dc, "Options", &opts, err) < 0))
		return -1;
	if (!v->name && !v->anonymous)
		return bad_key("Mounts", "a volume with a name", err);
	if (v->name && !pd_volume_name_valid(v->name))
		return bad_key("Mounts.Source", "a volume name", err);
	const char *k;
	json_t *val;
	json_object_foreach(opts, k, val)
	{
		if (!json_is_string(val))
			return bad_key("Mounts.VolumeOptions.DriverConfig.Options", "an object of strings",
				       err);
		_cleanup_free_ char *kv = xasprintf("%s=%s", k, json_string_value(val));
		strv_push(&v->opts, kv);
	}
	return 0;
}

static int decode_mount(json_t *j, struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *type = NULL, *src = NULL, *dest = NULL;
	if (!json_is_object(j) || get_str(j, "Type", &type, err) < 0 || get_str(j, "Source", &src, err) < 0 ||
	    get_str(j, "Target", &dest, err) < 0)
		return bad_key("Mounts", "a list of mounts", err);
	struct pd_mount m = { 0 };
	if (type && dest && !strcmp(type, "volume") && src) {
		m.type = PD_MOUNT_BIND;
		m.bind.dest = take_ptr(&dest);
		m.bind.name = *src ? take_ptr(&src) : NULL;
		int r = decode_volume_mount(j, &m.bind, err);
		pd_config_add_mount(c, &m);
		return r;
	}
	if (type && dest && !strcmp(type, "bind") && src) {
		m.type = PD_MOUNT_BIND;
		json_t *bo;
		_cleanup_free_ char *prop = NULL;
		if (get_object(j, "BindOptions", &bo, err) < 0 ||
		    (bo && get_str(bo, "Propagation", &prop, err) < 0))
			return -1;
		if (prop && *prop && !propagation_parse(prop, &m.bind.propagation))
			return bad_key("Mounts.BindOptions.Propagation", "a propagation", err);
		if (get_bool(j, "ReadOnly", &m.bind.readonly, err) < 0 ||
		    get_bool(j, "NoSuid", &m.bind.nosuid, err) < 0 ||
		    get_bool(j, "NoExec", &m.bind.noexec, err) < 0)
			return -1;
		m.bind.src = take_ptr(&src);
		m.bind.dest = take_ptr(&dest);
	} else if (type && dest && !strcmp(type, "tmpfs")) {
		json_t *t;
		m.type = PD_MOUNT_TMPFS;
		m.tmpfs.mode = 01777;
		if (get_object(j, "TmpfsOptions", &t, err) < 0 ||
		    (t && (get_u64(t, "SizeBytes", &m.tmpfs.size, err) < 0 ||
			   get_unsigned(t, "SizePercent", &m.tmpfs.size_pct, err) < 0 ||
			   get_unsigned(t, "Mode", &m.tmpfs.mode, err) < 0 ||
			   get_bool(t, "Exec", &m.tmpfs.exec, err) < 0)))
			return -1;
		m.tmpfs.dest = take_ptr(&dest);
	} else {
		return bad_key("Mounts", "a list of bind and tmpfs mounts", err);
	}
	pd_config_add_mount(c, &m);
	return 0;
}

static int decode_mounts(json_t *o, struct pd_config *c, struct pd_err **err)
{
	json_t *a, *j;
	size_t i;
	if (get_array(o, "Mounts", &a, err) < 0 || get_strv(o, "VolumesFrom", &c->volumes_from, err) < 0)
		return -1;
	if (a) {
		json_array_foreach(a, i, j) if (decode_mount(j, c, err) < 0) return -1;
		return 0;
	}
	/* A record from before Mounts: its binds (tmpfs were not kept). */
	_cleanup_strv_ char **binds = NULL;
	if (get_strv(o, "Binds", &binds, err) < 0)
		return -1;
	for (i = 0; binds && binds[i]; i++)
		if (decode_bind_text(binds[i], c, err) < 0)
			return -1;
	return 0;
}

static int decode_devices(json_t *o, struct pd_config *c, struct pd_err **err)
{
	json_t *a, *j;
	size_t i;
	if (get_array(o, "Devices", &a, err) < 0)
		return -1;
	json_array_foreach(a, i, j)
	{
		_cleanup_free_ char *host = NULL, *dest = NULL, *perms = NULL;
		if (!json_is_object(j) || get_str(j, "PathOnHost", &host, err) < 0 ||
		    get_str(j, "PathInContainer", &dest, err) < 0 ||
		    get_str(j, "CgroupPermissions", &perms, err) < 0 || !host || !dest ||
		    (perms && !is_device_perms(perms)))
			return bad_key("Devices", "a list of devices", err);
		struct pd_device d = { .host = take_ptr(&host), .dest = take_ptr(&dest) };
		snprintf(d.perms, sizeof(d.perms), "%s", perms ? perms : "rwm");
		pd_config_add_device(c, &d);
	}
	return 0;
}

/* Healthcheck.Test: ["CMD", arg...], ["CMD-SHELL", command] or ["NONE"]. */
static int decode_health(json_t *o, struct pd_health *h, struct pd_err **err)
{
	json_t *hc;
	_cleanup_strv_ char **test = NULL;
	uint64_t interval = h->interval_ms * 1000000, timeout = h->timeout_ms * 1000000,
		 start = h->start_period_ms * 1000000;
	if (get_object(o, "Healthcheck", &hc, err) < 0)
		return -1;
	if (!hc)
		return 0;
	if (get_strv(hc, "Test", &test, err) < 0 || get_u64(hc, "Interval", &interval, err) < 0 ||
	    get_u64(hc, "Timeout", &timeout, err) < 0 || get_u64(hc, "StartPeriod", &start, err) < 0 ||
	    get_unsigned(hc, "Retries", &h->retries, err) < 0 ||
	    get_bool(hc, "RestartUnhealthy", &h->restart_unhealthy, err) < 0)
		return -1;
	h->interval_ms = interval / 1000000;
	h->timeout_ms = timeout / 1000000;
	h->start_period_ms = start / 1000000;
	strv_free(h->test);
	h->test = NULL;
	if (test && test[0] && !strcmp(test[0], "CMD") && test[1]) {
		h->test = strv_copy(test + 1);
	} else if (test && test[0] && !strcmp(test[0], "CMD-SHELL") && test[1] && !test[2]) {
		strv_push(&h->test, "/bin/sh");
		strv_push(&h->test, "-c");
		strv_push(&h->test, test[1]);
	} else if (test && (!test[0] || strcmp(test[0], "NONE"))) {
		return bad_key("Healthcheck.Test", "[\"CMD\", ...], [\"CMD-SHELL\", command] or [\"NONE\"]",
			       err);
	}
	return 0;
}

static int decode_net(json_t *o, struct pd_netcfg *n, struct pd_err **err)
{
	_cleanup_free_ char *mode = NULL;
	json_t *a, *j;
	size_t i;
	if (get_str(o, "NetworkMode", &mode, err) < 0 || get_array(o, "Publish", &a, err) < 0 ||
	    get_strv(o, "Dns", &n->dns, err) < 0 || get_strv(o, "ExtraHosts", &n->add_hosts, err) < 0 ||
	    get_strv(o, "NetworkAliases", &n->aliases, err) < 0)
		return -1;
	if (mode && pd_netcfg_set_mode(n, mode, pd_err_ignore(status)) < 0)
		return bad_key("NetworkMode", "a network mode", err);
	_cleanup_free_ char *want = NULL;
	if (get_str(o, "NetworkIP", &want, err) < 0)
		return -1;
	if (want && pd_netcfg_set_ip(n, want, pd_err_ignore(status)) < 0)
		return bad_key("NetworkIP", "an IPv4 address", err);
	json_array_foreach(a, i, j)
	{
		_cleanup_free_ char *ip = NULL, *proto = NULL;
		int64_t host = -1, cont = -1;
		struct in_addr addr;
		if (!json_is_object(j) || get_str(j, "HostIp", &ip, err) < 0 ||
		    get_str(j, "Protocol", &proto, err) < 0 ||
		    get_int(j, "HostPort", 0, 65535, &host, err) < 0 ||
		    get_int(j, "ContainerPort", 1, 65535, &cont, err) < 0 || host < 0 || cont < 1 || !ip ||
		    strlen(ip) >= sizeof(n->ports->host_ip) ||
		    (inet_pton(AF_INET, ip, &addr) != 1 && strcmp(ip, "::1") != 0) || !proto ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp")))
			return bad_key("Publish", "a list of ports", err);
		/* HostPort 0: a free port, chosen at each start.  "::1": relayed by
		 * the monitor (core/relay6.c). */
		struct pd_port p = { .host_port = (uint16_t)host, .container_port = (uint16_t)cont };
		snprintf(p.host_ip, sizeof(p.host_ip), "%s", ip);
		snprintf(p.proto, sizeof(p.proto), "%s", proto);
		n->ports = xrealloc(n->ports, (n->n_ports + 1) * sizeof(*n->ports));
		n->ports[n->n_ports++] = p;
	}
	json_t *exposed, *v;
	const char *k;
	if (get_bool(o, "PublishAllPorts", &n->publish_all, err) < 0 ||
	    get_object(o, "ExposedPorts", &exposed, err) < 0)
		return -1;
	json_object_foreach(exposed, k, v)
	{
		unsigned port = 0;
		char proto[4] = "", rest = 0;
		if (*k < '0' || *k > '9' || sscanf(k, "%5u/%3[a-z]%c", &port, proto, &rest) != 2 ||
		    port < 1 || port > 65535 || (strcmp(proto, "tcp") && strcmp(proto, "udp")))
			return bad_key("ExposedPorts", "an object of PORT/PROTO keys", err);
		strv_push(&n->expose, k);
	}
	return 0;
}

static int decode_rlimit(json_t *j, struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *name = NULL;
	int64_t soft = 0, hard = 0;
	if (!json_is_object(j) || get_str(j, "Name", &name, err) < 0 ||
	    get_int(j, "Soft", -1, INT64_MAX, &soft, err) < 0 ||
	    get_int(j, "Hard", -1, INT64_MAX, &hard, err) < 0)
		return bad_key("Ulimits", "a list of limits", err);
	int type = name ? pd_rlimit_type(name) : -1;
	if (type < 0)
		return bad_key("Ulimits", "a list of known limits", err);
	c->rlimits = xrealloc(c->rlimits, (c->n_rlimits + 1) * sizeof(*c->rlimits));
	c->rlimits[c->n_rlimits++] = (struct pd_rlimit){
		.type = type,
		.soft = soft < 0 ? RLIM_INFINITY : (uint64_t)soft,
		.hard = hard < 0 ? RLIM_INFINITY : (uint64_t)hard,
	};
	return 0;
}

/* What Docker's HostConfig has beside the process: Ulimits, GroupAdd,
 * OomScoreAdj, and our CgroupPath. */
static int decode_process_extra(json_t *o, struct pd_config *c, struct pd_err **err)
{
	json_t *a, *j;
	size_t i;
	int64_t adj = 0;
	if (get_array(o, "Ulimits", &a, err) < 0)
		return -1;
	json_array_foreach(a, i, j) if (decode_rlimit(j, c, err) < 0) return -1;
	if (get_array(o, "GroupAdd", &a, err) < 0)
		return -1;
	json_array_foreach(a, i, j)
	{
		unsigned long g;
		char *end;
		const char *t = json_string_value(j);
		if (t && pd_group_name_valid(t)) {
			strv_push(&c->group_names, t);
			continue;
		}
		if (!t || !*t || (g = strtoul(t, &end, 10), *end) || g > UINT32_MAX - 1)
			return bad_key("GroupAdd", "a list of group numbers and names", err);
		c->groups = xrealloc(c->groups, (c->n_groups + 1) * sizeof(*c->groups));
		c->groups[c->n_groups++] = (gid_t)g;
	}
	if (json_object_get(o, "Umask")) {
		int64_t u = 0;
		if (get_int(o, "Umask", 0, 0777, &u, err) < 0)
			return -1;
		c->has_umask = true;
		c->umask = (unsigned)u;
	}
	json_t *pers = json_object_get(o, "Personality");
	if (pers && !json_is_null(pers)) {
		if (!json_is_string(pers) || strcmp(json_string_value(pers), "LINUX32"))
			return bad_key("Personality", "\"LINUX32\"", err);
		c->linux32 = true;
	}
	if (json_object_get(o, "OomScoreAdj")) {
		if (get_int(o, "OomScoreAdj", -1000, 1000, &adj, err) < 0)
			return -1;
		c->has_oom_score_adj = true;
		c->oom_score_adj = (int)adj;
	}
	json_t *labels;
	const char *k;
	if (get_object(o, "Labels", &labels, err) < 0)
		return -1;
	json_object_foreach(labels, k, j)
	{
		if (!json_is_string(j) || !*k || strchr(k, '='))
			return bad_key("Labels", "an object of strings", err);
		strv_push_take(&c->labels, xasprintf("%s=%s", k, json_string_value(j)));
	}
	if (json_object_get(o, "StopTimeout")) {
		int64_t t = 0;
		if (get_int(o, "StopTimeout", 0, UINT_MAX, &t, err) < 0)
			return -1;
		c->has_stop_timeout = true;
		c->stop_timeout = (unsigned)t;
	}
	if (get_str(o, "ContainerIDFile", &c->cidfile, err) < 0 ||
	    get_u64(o, "ShmSize", &c->shm_size, err) < 0)
		return -1;
	if (get_strv(o, "Sysctls", &c->sysctls, err) < 0 ||
	    get_str(o, "Domainname", &c->domainname, err) < 0 ||
	    get_strv(o, "MaskedPaths", &c->masked_paths, err) < 0 ||
	    get_strv(o, "ReadonlyPaths", &c->readonly_paths, err) < 0)
		return -1;
	return get_str(o, "CgroupPath", &c->cgroup_path, err);
}

static int decode_process(json_t *o, struct pd_config *c, struct pd_err **err)
{
	_cleanup_free_ char *seccomp = NULL;
	int64_t caps = (int64_t)c->caps, rows = 0, cols = 0;
	bool nnp = !c->no_new_privs_off;
	json_t *size;
	if (get_strv(o, "Cmd", &c->argv, err) < 0 || get_strv(o, "Env", &c->env, err) < 0 ||
	    get_str_or_empty(o, "WorkingDir", &c->workdir, err) < 0 ||
	    get_str_or_empty(o, "User", &c->user, err) < 0 ||
	    get_str(o, "StopSignal", &c->stop_signal, err) < 0 || get_bool(o, "Init", &c->init, err) < 0 ||
	    get_bool(o, "OpenStdin", &c->interactive, err) < 0 || get_bool(o, "Tty", &c->tty, err) < 0 ||
	    get_int(o, "CapMask", 0, INT64_MAX, &caps, err) < 0 ||
	    get_bool(o, "NoNewPrivileges", &nnp, err) < 0 ||
	    get_str(o, "SeccompProfile", &seccomp, err) < 0 ||
	    get_str(o, "SeccompProfileText", &c->seccomp_json, err) < 0 ||
	    get_array(o, "ConsoleSize", &size, err) < 0)
		return -1;
	c->caps = (uint64_t)caps;
	c->no_new_privs_off = !nnp;
	if (seccomp && strcmp(seccomp, "default"))
		c->seccomp = take_ptr(&seccomp);
	if (size) {
		json_t *r = json_array_get(size, 0), *w = json_array_get(size, 1);
		if (json_array_size(size) != 2 || !json_is_integer(r) || !json_is_integer(w))
			return bad_key("ConsoleSize", "[rows, columns]", err);
		rows = json_integer_value(r);
		cols = json_integer_value(w);
		if (rows < 0 || rows > 65535 || cols < 0 || cols > 65535)
			return bad_key("ConsoleSize", "[rows, columns]", err);
		c->tty_rows = (unsigned short)rows;
		c->tty_cols = (unsigned short)cols;
	}
	if (!c->argv)
		c->argv = xcalloc(1, sizeof(char *));
	return 0;
}

/* PidMode, IpcMode, UTSMode: Docker's texts of --pid, --ipc, --uts. */
static int decode_namespaces(json_t *o, struct pd_config *c, struct pd_err **err)
{
	static const char *const keys[] = { "PidMode", "IpcMode", "UTSMode" };
	static const char *const opts[] = { "pid", "ipc", "uts" };
	struct pd_nsmode *modes[] = { &c->pid_ns, &c->ipc_ns, &c->uts_ns };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		_cleanup_free_ char *text = NULL;
		if (get_str(o, keys[i], &text, err) < 0)
			return -1;
		if (text && pd_nsmode_parse(opts[i], text, modes[i], pd_err_ignore(status)) < 0)
			return bad_key(keys[i], "a namespace mode", err);
	}
	return 0;
}

/* RunLimits: the judge's limits (run --timeout, --cpu-time, --output-limit). */
static int decode_judge(json_t *o, struct pd_judge *j, struct pd_err **err)
{
	json_t *r;
	if (get_object(o, "RunLimits", &r, err) < 0)
		return -1;
	if (!r)
		return 0;
	return get_u64(r, "TimeoutMs", &j->timeout_ms, err) < 0 ||
		       get_u64(r, "CpuTimeMs", &j->cpu_time_ms, err) < 0 ||
		       get_u64(r, "OutputLimit", &j->output_limit, err) < 0
		   ? -1
		   : 0;
}

int pd_config_decode(const char *json, struct pd_config *out, struct pd_err **err)
{
	pd_config_init(out);
	json_error_t jerr;
	json_auto_t *o = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &jerr);
	if (!o || !json_is_object(o))
		return pd_fail(err, EINVAL, "container config: %s", o ? "not a JSON object" : jerr.text);
	if (decode_process(o, out, err) < 0 || decode_process_extra(o, out, err) < 0 ||
	    get_str(o, "Hostname", &out->hostname, err) < 0 ||
	    get_str(o, "Image", &out->rootfs_arg, err) < 0 ||
	    get_str(o, "ImageID", &out->image_id, err) < 0 ||
	    get_bool(o, "ReadonlyRootfs", &out->read_only, err) < 0 || decode_mounts(o, out, err) < 0 ||
	    decode_devices(o, out, err) < 0 || decode_resources(o, &out->limits, err) < 0 ||
	    get_bool(o, "Privileged", &out->privileged, err) < 0 ||
	    get_bool(o, "Rootless", &out->rootless, err) < 0 || decode_net(o, &out->net, err) < 0 ||
	    get_bool(o, "AutoRemove", &out->remove, err) < 0 || decode_restart(o, out, err) < 0 ||
	    decode_health(o, &out->health, err) < 0 || decode_log_config(o, out, err) < 0 ||
	    decode_judge(o, &out->judge, err) < 0 || decode_namespaces(o, out, err) < 0)
		return -1;
	return 0;
}
