/* Where an OCI container's group goes: the linux.cgroupsPath of a
 * config.json (a cgroupfs path, or systemd's "slice:prefix:name") turned
 * into a path relative to each hierarchy's root, and the checks every
 * relative group path passes before it reaches mkdir or rmdir.
 *
 * Pure logic, no system calls; runs in the CLI.  The threat: cgroupsPath
 * comes from a bundle someone else wrote, and the runtime runs as root.  A
 * ".." component would make (and later remove, with the processes in it
 * killed) a group outside the hierarchy's tree the path names, and an empty
 * path would make the hierarchy's root the container's group, which
 * `delete` would then try to empty.  So a path is refused, not cleaned. */
#include "linux/cgroup-internal.h"

#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define SLICE ".slice"

const char *cg_rel_problem(const char *rel)
{
	if (!rel || !*rel)
		return "it names the root of the hierarchy, which cannot be a container's group";
	if (strlen(rel) > CG_PATH_MAX)
		return "it is longer than 4096 bytes";
	if (rel[0] == '/')
		return "it is not relative";
	for (const char *p = rel; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "it holds a control character";
	for (const char *c = rel;;) {
		size_t len = strcspn(c, "/");
		if (len == 0)
			return "it has an empty component ('//' or a trailing '/')";
		if (len == 1 && c[0] == '.')
			return "it has a '.' component";
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return "it has a '..' component";
		if (len > 255)
			return "a component is longer than 255 bytes";
		if (!c[len])
			return NULL;
		c += len + 1;
	}
}

static int bad_path(struct pd_err **err, const char *given, const char *why)
{
	_cleanup_free_ char *shown = str_escape(given);
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid cgroupsPath '%s': %s", shown, why);
}

/* True for systemd's "slice:prefix:name": exactly two ':' and no '/' (a
 * cgroupfs path may hold a ':', but a path with two of them and no '/' is
 * what podman and containerd write for the systemd manager). */
static bool is_systemd_form(const char *s)
{
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	return c2 && !strchr(c2 + 1, ':') && !strchr(s, '/');
}

/* A slice name: "<a>[-<b>...].slice", each part non-empty, no '/'. */
static bool is_valid_slice(const char *s)
{
	size_t n = strlen(s);
	if (n <= strlen(SLICE) || !str_has_suffix(s, SLICE) || strchr(s, '/'))
		return false;
	for (const char *p = s;;) {
		size_t len = strcspn(p, "-");
		if (len == 0 || p >= s + n - strlen(SLICE))
			return false;
		if (p + len >= s + n - strlen(SLICE))
			return p + len == s + n; /* the last part ran into ".slice" */
		p += len + 1;
	}
}

/* systemd nests slices by their dashes: "a-b-c.slice" is
 * "a.slice/a-b.slice/a-b-c.slice"; "-.slice" (and "-") is the root. */
static char *expand_slice(const char *slice)
{
	if (!strcmp(slice, "-.slice") || !strcmp(slice, "-"))
		return xstrdup("");
	_cleanup_free_ char *base = xstrndup(slice, strlen(slice) - strlen(SLICE));
	char *out = xstrdup("");
	for (const char *dash = base;; dash++) {
		dash = strchr(dash, '-');
		size_t len = dash ? (size_t)(dash - base) : strlen(base);
		char *next = xasprintf("%s%s%.*s" SLICE, out, *out ? "/" : "", (int)len, base);
		free(out);
		out = next;
		if (!dash)
			return out;
	}
}

/* runc's documented systemd layout: "slice:prefix:name" is
 * <slice's path>/<prefix>-<name>.scope, or <slice's path>/<name> when name
 * is itself a slice; an empty slice is system.slice. */
static char *systemd_rel(const char *given, struct pd_err **err)
{
	const char *c1 = strchr(given, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':')) {
		bad_path(err, given, "the systemd cgroup manager wants the form slice:prefix:name");
		return NULL;
	}
	_cleanup_free_ char *slice = xstrndup(given, (size_t)(c1 - given));
	_cleanup_free_ char *prefix = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
	const char *name = c2 + 1;
	if (!*slice) {
		free(slice);
		slice = xstrdup("system.slice");
	}
	if (strcmp(slice, "-") && strcmp(slice, "-.slice") && !is_valid_slice(slice)) {
		bad_path(err, given,
			 "the slice must be a systemd slice name such as 'machine.slice' or "
			 "'user-1000.slice' (dash-separated non-empty parts, ending in .slice, no '/')");
		return NULL;
	}
	if (!*name || strchr(name, '/') || strchr(prefix, '/')) {
		bad_path(err, given,
			 "the name must not be empty, and neither name nor prefix may hold a '/'");
		return NULL;
	}
	bool name_is_slice = str_has_suffix(name, SLICE);
	if (name_is_slice && !is_valid_slice(name)) {
		bad_path(err, given, "a name ending in .slice must be a valid slice name");
		return NULL;
	}
	_cleanup_free_ char *parent = expand_slice(slice);
	_cleanup_free_ char *unit = name_is_slice ? xstrdup(name) : xasprintf("%s-%s.scope", prefix, name);
	return *parent ? xasprintf("%s/%s", parent, unit) : take_ptr(&unit);
}

char *pd_cg_oci_path(const char *cgroups_path, bool systemd, const char *id, struct pd_err **err)
{
	const char *given = cgroups_path ? cgroups_path : "";
	if (strlen(given) > CG_PATH_MAX) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid cgroupsPath: %zu bytes, over the limit of %d",
			     strlen(given), CG_PATH_MAX);
		return NULL;
	}
	bool sd = systemd || is_systemd_form(given);
	_cleanup_free_ char *rel = NULL;
	if (!*given) {
		/* The runtime's own place; as runc, the systemd manager
		 * reads an empty path as ":<runtime>:<id>". */
		if (!id || !*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..")) {
			_cleanup_free_ char *shown = str_escape(id ? id : "");
			pd_fail_kind(err, PD_ERR_USAGE, 0,
				     "container id '%s' cannot name a cgroup (empty, '.', '..' or a '/')",
				     shown);
			return NULL;
		}
		rel = sd ? xasprintf("system.slice/" CG_OCI_PARENT "-%s.scope", id)
			 : xasprintf(CG_OCI_PARENT "/%s", id);
	} else if (sd) {
		rel = systemd_rel(given, err);
		if (!rel)
			return NULL;
	} else if (given[0] == '/') {
		/* Absolute: from each hierarchy's root (podman's
		 * "/libpod_parent/libpod-<ID>", containerd's "/<ns>/<ID>"). */
		rel = xstrdup(given + 1);
	} else {
		/* Relative: the runtime-spec leaves it to the runtime; ours is
		 * below pocket-runc/, beside the groups it makes by default. */
		rel = xasprintf(CG_OCI_PARENT "/%s", given);
	}
	const char *why = cg_rel_problem(rel);
	if (why) {
		bad_path(err, *given ? given : rel, why);
		return NULL;
	}
	return take_ptr(&rel);
}
