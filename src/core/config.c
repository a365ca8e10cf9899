/* struct pd_config and the parsing of user-facing specs (volumes, env).
 * Runs in the CLI, with the caller's privileges; pure logic apart from
 * realpath(3) on volume sources and reading env files. */
#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

void pd_config_init(struct pd_config *c)
{
	memset(c, 0, sizeof(*c));
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
	for (size_t i = 0; i < c->n_volumes; i++) {
		free(c->volumes[i].src);
		free(c->volumes[i].dest);
	}
	free(c->volumes);
	free(c->limits.cpuset_cpus);
	strv_free(c->health.test);
	free(c->seccomp);
	free(c->seccomp_json);
	strv_free(c->tmpfs);
	strv_free(c->devices);
	pd_netcfg_free(&c->net);
	memset(c, 0, sizeof(*c));
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

int pd_volume_parse(const char *spec, struct pd_volume *out, struct pd_err **err)
{
	_cleanup_free_ char *s = xstrdup(spec);
	char *dest = strchr(s, ':');
	if (!dest || dest == s || dest[1] == '\0')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid volume '%s': want HOST:CONTAINER[:ro|rw]", spec);
	*dest++ = '\0';
	bool ro = false;
	char *mode = strchr(dest, ':');
	if (mode) {
		*mode++ = '\0';
		if (!strcmp(mode, "ro"))
			ro = true;
		else if (strcmp(mode, "rw") != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid volume '%s': mode '%s' is not ro or rw", spec,
					    mode);
	}
	if (pd_check_container_path("volume destination", dest, err) < 0)
		return -1;
	/* A bind over the container's root would replace the whole rootfs
	 * with a host directory (and hide /proc, /dev, /sys beneath it). */
	if (is_root_path(dest))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid volume '%s': the destination cannot be '/'", spec);
	char real[PATH_MAX];
	if (!realpath(s, real))
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume source '%s'", s);
	out->src = xstrdup(real);
	out->dest = xstrdup(dest);
	out->readonly = ro;
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
	if (!c->n_volumes)
		return 0;
	_cleanup_free_ char *root = real_existing(state_root);
	if (!root)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "resolve state root '%s'", state_root);
	struct stat rst;
	bool root_exists = stat(state_root, &rst) == 0 && S_ISDIR(rst.st_mode);
	for (size_t i = 0; i < c->n_volumes; i++) {
		const char *src = c->volumes[i].src;
		struct stat sst;
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
					    "volume source '%s' contains the state root '%s': a container must not reach the runtime's state (mount a narrower directory, or move the state root with --root)",
					    src, root_exists ? root : state_root);
		if (root_exists && is_path_or_ancestor(src, rst.st_dev, rst.st_ino))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "volume source '%s' is inside the state root '%s': a container must not reach the runtime's state",
					    src, root);
	}
	return 0;
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

int pd_env_add_file(char ***env, const char *path, struct pd_err **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "open env file '%s'", path);
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
		if (*p == '=' || strchr(" \t", *p))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "env file '%s' line %u: invalid variable", path,
					    lineno);
		if (pd_env_add(env, p, err) < 0)
			return -1;
	}
	return 0;
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
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid restart policy '%s': want no, on-failure[:MAX], always or unless-stopped", s);
	}
	return 0;
}

int pd_log_opt_parse(struct pd_config *c, const char *spec, struct pd_err **err)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	if (!*spec)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --log-opt '': want max-size=SIZE or max-file=N");
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (!v)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --log-opt '%s': want KEY=VALUE", kv);
		*v++ = '\0';
		uint64_t n;
		if (!strcmp(kv, "max-size")) {
			if (pd_parse_size(v, &n, NULL) < 0 || n == 0)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "invalid --log-opt max-size '%s': want a size such as 10m", v);
			c->log_max_size = n;
		} else if (!strcmp(kv, "max-file")) {
			if (pd_parse_uint(v, 65535, &n, NULL) < 0 || n < 1)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
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
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --cpus '%s': want a positive number like 0.5", s);
	l->cpu_period_us = 100000;
	l->cpu_quota_us = (uint64_t)(v * 100000 + 0.5);
	if (l->cpu_quota_us < 1000)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--cpus '%s' is below the minimum of 0.01", s);
	return 0;
}
