/* Stored registry credentials (see auth.h).
 *
 * Runs in the CLI (login, logout; pull and push read), as root or not,
 * with the privileges of the user running it: the file is theirs.
 *
 * Threats: the password never comes from argv (cli/push.c reads it from
 * stdin or a terminal without echo), so it never shows in ps or a shell
 * history.  The file is written as a new file of mode 0600 (O_EXCL,
 * O_NOFOLLOW) renamed over the old one, so another user never sees it,
 * a crash leaves the old or the new file whole, and a symbolic link
 * planted at the name is never written through: a config.json that is a
 * link is refused before anything is written.  Buffers that held a
 * password or its base64 are wiped before they are freed. */
#include "core/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/manifest.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define CONFIG_MAX     (1u << 20)
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static void wipe_free(char **p)
{
	if (*p)
		explicit_bzero(*p, strlen(*p));
	free(*p);
}
#define _cleanup_secret_ _cleanup_(wipe_free)

#define _cleanup_json_ _cleanup_(json_decrefp)

char *pd_auth_config_path(struct pd_err **err)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home) {
		pd_fail(err, 0, "no home directory (set HOME or DOCKER_CONFIG)");
		return NULL;
	}
	return xasprintf("%s/.docker/config.json", home);
}

/* host[:port] as given, or docker.io for none; the entry's key. */
static char *server_key(const char *server, char **domain)
{
	if (!server || !*server || !strcmp(server, PD_DEFAULT_REGISTRY) || !strcmp(server, DOCKER_HUB_KEY) ||
	    !strcmp(server, "index.docker.io") || !strcmp(server, "registry-1.docker.io")) {
		*domain = xstrdup(PD_DEFAULT_REGISTRY);
		return xstrdup(DOCKER_HUB_KEY);
	}
	/* Docker accepts "https://host/..." too: keep the host. */
	const char *s = strstr(server, "://") ? strstr(server, "://") + 3 : server;
	*domain = xstrndup(s, strcspn(s, "/"));
	return xstrdup(*domain);
}

/* The config file as JSON: an empty object when it does not exist.  A
 * symbolic link is refused when `nofollow`. */
static json_t *load_config(const char *path, bool nofollow, struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0 && errno == ENOENT)
		return json_object();
	if (fd < 0 && errno == ELOOP) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is a symbolic link: not following it", path);
		return NULL;
	}
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		pd_fail(err, errno, "open '%s'", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > CONFIG_MAX) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is not a regular file of at most 1 MiB", path);
		return NULL;
	}
	size_t len;
	_cleanup_secret_ char *text = pd_read_fd(fd, (size_t)st.st_size, &len);
	if (!text) {
		pd_fail(err, errno, "read '%s'", path);
		return NULL;
	}
	if (len == 0 || strspn(text, " \t\r\n") == len)
		return json_object();
	json_t *j = json_loadb(text, len, 0, NULL);
	if (!json_is_object(j)) {
		if (j)
			json_decref(j);
		pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s' is not a JSON object", path);
		return NULL;
	}
	return j;
}

static int save_config(const char *path, json_t *j, struct pd_err **err)
{
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (pd_mkdir_p(dir, 0700, err) < 0)
			return -1;
	}
	_cleanup_secret_ char *text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		return pd_fail(err, ENOMEM, "encode '%s'", path);
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	return pd_write_file_atomic(path, text, len, 0600, err);
}

static char *b64_encode(const char *s)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Check the credentials with GET /v2/. */
static int verify(const char *domain, const char *user, const char *password, bool insecure,
		  struct pd_err **err)
{
	struct pd_ref ref = { .domain = (char *)domain, .path = (char *)"" };
	_cleanup_registry_ struct pd_registry r = { 0 };
	if (pd_registry_open(&r, &ref, insecure, user, password, err) < 0)
		return -1;
	return pd_registry_ping(&r, err);
}

int pd_auth_login(const char *server, const char *user, const char *password, bool insecure, char **key_out,
		  struct pd_err **err)
{
	_cleanup_free_ char *domain = NULL;
	_cleanup_free_ char *key = server_key(server, &domain);
	if (!*user || strchr(user, ':'))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "the user name must be neither empty nor hold ':'");
	_cleanup_free_ char *path = pd_auth_config_path(err);
	if (!path)
		return -1;
	/* Refuse a linked or broken file before asking the registry. */
	_cleanup_json_ json_t *j = load_config(path, true, err);
	if (!j)
		return -1;
	if (verify(domain, user, password, insecure, err) < 0) {
		pd_err_prefix(err, "login");
		return -1;
	}
	json_t *auths = json_object_get(j, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	_cleanup_secret_ char *pair = xasprintf("%s:%s", user, password);
	_cleanup_secret_ char *enc = b64_encode(pair);
	json_t *entry = json_object();
	json_object_set_new(entry, "auth", json_string(enc));
	json_object_set_new(auths, key, entry);
	if (save_config(path, j, err) < 0)
		return -1;
	*key_out = take_ptr(&key);
	return 0;
}

int pd_auth_logout(const char *server, bool *removed, char **key_out, struct pd_err **err)
{
	_cleanup_free_ char *domain = NULL;
	_cleanup_free_ char *key = server_key(server, &domain);
	*removed = false;
	_cleanup_free_ char *path = pd_auth_config_path(err);
	if (!path)
		return -1;
	_cleanup_json_ json_t *j = load_config(path, true, err);
	if (!j)
		return -1;
	json_t *auths = json_object_get(j, "auths");
	if (json_object_get(auths, key)) {
		json_object_del(auths, key);
		if (save_config(path, j, err) < 0)
			return -1;
		*removed = true;
	}
	*key_out = take_ptr(&key);
	return 0;
}

int pd_auth_lookup(const char *domain, char **user, char **password, struct pd_err **err)
{
	_cleanup_free_ char *path = pd_auth_config_path(err);
	if (!path)
		return -1;
	/* Reading through a link is what Docker does, and writes nothing. */
	_cleanup_json_ json_t *j = load_config(path, false, err);
	if (!j) {
		pd_err_prefix(err, "credentials for %s", domain);
		return -1;
	}
	json_t *auths = json_object_get(j, "auths");
	bool hub = !strcmp(domain, PD_DEFAULT_REGISTRY);
	if (!json_object_get(auths, domain) && !(hub && json_object_get(auths, DOCKER_HUB_KEY)))
		return 0;
	if (pd_registry_read_authfile(path, domain, user, password, err) < 0)
		return -1;
	return 1;
}
