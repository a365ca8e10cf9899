/* Volumes (see volumes.h).  Runs in the CLI with the caller's privileges
 * (real root or rootless), and in a --rm container's monitor.
 *
 * Layout: <root>/volumes/NAME/_data holds a volume's files; NAME is
 * checked by Docker's rule before any path is built from it, so it is
 * never a path.  A volume's row and its directory change together inside
 * one database transaction: `rm` moves the directory aside
 * (volumes/.rm-NAME.XXXXXX, which no name can be) before it commits and
 * deletes it after, so a start that creates the volume again at the same
 * moment gets a fresh directory, never one being deleted.
 *
 * Seeding: a new (empty) volume takes the image's content at its
 * destination, as Docker copies it.  The destination is first resolved in
 * the image's merged view, top layer first, as overlayfs shows it: a
 * whiteout or a non-directory at it or above it hides the layers below,
 * so does an opaque directory (its own layer still shows), and a link the
 * merged view shows is followed inside the image only.  Then the layers
 * that show there are copied, bottom first, by file descriptors only:
 * every entry is opened with O_NOFOLLOW relative to its parent, symlinks
 * are copied as symlinks, so no link in an untrusted image leads the copy
 * out of it; whiteouts and opaque directories inside hide what the layers
 * below gave.
 * Rootless with a subordinate range the copy runs in a user namespace with
 * the container's map, keeping the image's owners as the container sees
 * them; the volume's root takes the owner and mode of the image's
 * directory.  A lock on the volume's directory keeps two starts from
 * seeding one volume at once. */
#include "core/volumes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/images.h"
#include "core/monitor.h"
#include "core/store-volumes.h"
#include "linux/idmap.h"
#include "image/layers.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

#define ANON_LABEL "com.docker.volume.anonymous"

static char *volume_dir(const char *root, const char *name)
{
	return xasprintf("%s/volumes/%s", root, name);
}

static char *data_dir(const char *root, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", root, name);
}

/* <root>/volumes, handed to the invoking user under sudo. */
static int make_volumes_dir(const char *root, struct pd_err **err)
{
	_cleanup_free_ char *p = xasprintf("%s/volumes", root);
	if (mkdir(p, 0700) == 0)
		pd_chown_to_invoker(p);
	else if (errno != EEXIST)
		return pd_fail(err, errno, "create '%s'", p);
	return 0;
}

/* "KEY=VALUE" strings as a JSON object's text (caller frees). */
static char *kv_json(char *const *kv, bool anonymous)
{
	json_auto_t *o = json_object();
	for (size_t i = 0; kv && kv[i]; i++) {
		const char *eq = strchr(kv[i], '=');
		size_t klen = eq ? (size_t)(eq - kv[i]) : strlen(kv[i]);
		json_object_setn_new(o, kv[i], klen, json_string(eq ? eq + 1 : ""));
	}
	if (anonymous)
		json_object_set_new(o, ANON_LABEL, json_string(""));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		abort();
	return s;
}

/* A string value of a stored JSON object, or NULL. */
static char *json_text_get(const char *text, const char *key)
{
	json_auto_t *o = json_loads(text ? text : "{}", 0, NULL);
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int opt_fail(const char *opt, const char *why, struct pd_err **err)
{
	return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid volume option '%s': %s", opt, why);
}

/* o= of a tmpfs volume: size= and mode= only. */
static int check_tmpfs_o(const char *o, struct pd_err **err)
{
	_cleanup_free_ char *spec = xasprintf("/x:%s", o);
	struct pd_tmpfs t = { 0 };
	if (pd_tmpfs_parse(spec, &t, err) < 0) {
		pd_err_prefix(err, "volume option o='%s'", o);
		return -1;
	}
	free(t.dest);
	return 0;
}

int pd_volume_opts_check(char *const *opts, const char *root, struct pd_err **err)
{
	const char *type = NULL, *device = NULL, *o = NULL;
	for (size_t i = 0; opts && opts[i]; i++) {
		const char *eq = strchr(opts[i], '=');
		if (!eq)
			return opt_fail(opts[i], "want KEY=VALUE", err);
		size_t k = (size_t)(eq - opts[i]);
		if (k == 4 && !strncmp(opts[i], "type", 4))
			type = eq + 1;
		else if (k == 6 && !strncmp(opts[i], "device", 6))
			device = eq + 1;
		else if (k == 1 && opts[i][0] == 'o')
			o = eq + 1;
		else
			return opt_fail(opts[i], "the local driver takes type, device and o", err);
	}
	if (!type && !device && !o)
		return 0;
	if (type && !strcmp(type, "tmpfs"))
		return o && *o ? check_tmpfs_o(o, err) : 0;
	if (!type || strcmp(type, "none") != 0)
		return opt_fail(type ? type : "o", "type must be tmpfs, or none with device and o=bind", err);
	if (!device || device[0] != '/')
		return opt_fail("device", "a bind volume needs an absolute device=PATH", err);
	bool bind = false;
	_cleanup_free_ char *words = xstrdup(o ? o : "");
	for (char *save = NULL, *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save))
		bind |= !strcmp(w, "bind") || !strcmp(w, "rbind");
	if (!bind)
		return opt_fail(o ? o : "o", "type none needs o=bind", err);
	if (geteuid() != 0)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "a bind volume (device=%s) needs root: rootless, mount the directory with -v", device);
	/* The -v rules: it exists, and it is not (nor holds, nor lies in) the
	 * state root. */
	struct pd_config c;
	pd_config_init(&c);
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	_cleanup_free_ char *spec = xasprintf("%s:/x", device);
	int r = pd_volume_parse(spec, &m.bind, err);
	if (r == 0) {
		pd_config_add_mount(&c, &m);
		r = pd_volumes_check_state_root(&c, root, err);
	}
	pd_config_free(&c);
	return r;
}

/* Inside the claim's transaction: the volume's directories. */
static int make_dirs_cb(const char *name, bool created, void *data, struct pd_err **err)
{
	const char *root = data;
	_cleanup_free_ char *dir = volume_dir(root, name), *d = data_dir(root, name);
	if (mkdir(dir, 0700) == 0)
		pd_chown_to_invoker(dir);
	else if (errno != EEXIST)
		return pd_fail(err, errno, "create volume directory '%s'", dir);
	if (mkdir(d, 0755) == 0)
		pd_chown_to_invoker(d);
	else if (errno != EEXIST)
		return pd_fail(err, errno, "create volume directory '%s'", d);
	return 0;
}

static void random_name(char out[65])
{
	unsigned char raw[32] = { 0 };
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		uint64_t t = (uint64_t)pd_now_ns() ^ (uint64_t)getpid();
		memcpy(raw, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static bool same_options(const char *stored, char *const *opts)
{
	_cleanup_free_ char *want = kv_json(opts, false);
	json_auto_t *a = json_loads(stored ? stored : "{}", 0, NULL), *b = json_loads(want, 0, NULL);
	return a && b && json_equal(a, b);
}

int pd_volume_create(const char *root, const char *name, char *const *labels, char *const *opts, char **out,
		     struct pd_err **err)
{
	char gen[65];
	if (name && !pd_volume_name_valid(name))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid volume name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed",
				    name);
	if (!name) {
		random_name(gen);
		name = gen;
	}
	if (pd_volume_opts_check(opts, root, err) < 0 || make_volumes_dir(root, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	_cleanup_free_ char *lj = kv_json(labels, false), *oj = kv_json(opts, false);
	struct pd_store_volume row = {
		.name = (char *)name, .created_ns = pd_now_ns(), .labels = lj, .options = oj
	};
	int r = pd_store_volume_claim(s, &row, NULL, make_dirs_cb, (void *)root, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		struct pd_store_volume have;
		if (pd_store_volume_get(s, name, &have, err) != 0)
			return -1;
		bool same = same_options(have.options, opts);
		pd_store_volume_free(&have);
		if (!same)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "volume '%s' exists already with other options", name);
	}
	*out = xstrdup(name);
	return 0;
}

int pd_volume_list(const char *root, struct pd_store_volume **out, size_t *n, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_volume_list(s, out, n, err);
}

int pd_volume_get(const char *root, const char *name, struct pd_store_volume *out, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	int r = pd_store_volume_get(s, name, out, err);
	if (r == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such volume: %s", name);
	return r;
}

json_t *pd_volume_json(const char *root, const struct pd_store_volume *v)
{
	char created[64] = "";
	time_t t = (time_t)(v->created_ns / 1000000000);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	_cleanup_free_ char *mp = data_dir(root, v->name);
	json_t *labels = json_loads(v->labels ? v->labels : "{}", 0, NULL);
	json_t *opts = json_loads(v->options ? v->options : "{}", 0, NULL);
	if (opts && !json_object_size(opts)) {
		json_decref(opts);
		opts = json_null();
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:s}", "CreatedAt", created, "Driver", "local",
			 "Labels", labels ? labels : json_object(), "Mountpoint", mp, "Name", v->name,
			 "Options", opts ? opts : json_null(), "Scope", "local");
}

/* label=KEY or label=KEY=VALUE against the stored labels. */
static bool has_label(const struct pd_store_volume *v, const char *want)
{
	_cleanup_free_ char *key = xstrndup(want, strcspn(want, "="));
	json_auto_t *o = json_loads(v->labels ? v->labels : "{}", 0, NULL);
	json_t *val = json_object_get(o, key);
	if (!json_is_string(val))
		return false;
	const char *eq = strchr(want, '=');
	return !eq || !strcmp(json_string_value(val), eq + 1);
}

int pd_volume_filter_match(const struct pd_store_volume *v, const char *filter, bool *match,
			   struct pd_err **err)
{
	const char *eq = strchr(filter, '=');
	if (!eq)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "bad filter '%s': want KEY=VALUE", filter);
	size_t k = (size_t)(eq - filter);
	const char *val = eq + 1;
	if (k == 8 && !strncmp(filter, "dangling", 8)) {
		bool want = !strcmp(val, "true") || !strcmp(val, "1");
		if (!want && strcmp(val, "false") && strcmp(val, "0"))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "bad filter '%s': dangling is true or false", filter);
		*match = want == !v->users;
	} else if (k == 4 && !strncmp(filter, "name", 4)) {
		*match = strstr(v->name, val) != NULL;
	} else if (k == 6 && !strncmp(filter, "driver", 6)) {
		*match = !strcmp(val, "local");
	} else if (k == 5 && !strncmp(filter, "label", 5)) {
		*match = has_label(v, val);
	} else if (k == 6 && !strncmp(filter, "label!", 6)) {
		*match = !has_label(v, val);
	} else {
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "bad filter '%s': volumes filter by dangling, name, label and driver",
				    filter);
	}
	return 0;
}

struct hide_ctx {
	const char *root;
	char *moved; /* where the directory went */
};

/* Inside the delete's transaction: the directory out of the way. */
static int hide_cb(const char *name, bool created, void *data, struct pd_err **err)
{
	struct hide_ctx *h = data;
	_cleanup_free_ char *dir = volume_dir(h->root, name);
	char rnd[65];
	random_name(rnd);
	h->moved = xasprintf("%s/volumes/.rm-%s.%.12s", h->root, name, rnd);
	if (rename(dir, h->moved) == 0)
		return 0;
	free(h->moved);
	h->moved = NULL;
	if (errno == ENOENT)
		return 0; /* a directory a crash took already: the row alone goes */
	return pd_fail(err, errno, "move volume directory '%s' aside", dir);
}

int pd_volume_remove(const char *root, const char *name, struct pd_err **err)
{
	if (!pd_volume_name_valid(name))
		return 1; /* never a volume's name, so no such volume */
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct hide_ctx h = { .root = root };
	int r = pd_store_volume_delete(s, name, hide_cb, &h, err);
	if (r != 0 || !h.moved)
		return r;
	r = pd_container_remove_dir(h.moved, geteuid() != 0, err);
	if (r < 0)
		pd_err_prefix(err, "remove volume %s's data", name);
	free(h.moved);
	return r;
}

static bool passes(const struct pd_store_volume *v, char *const *filters, struct pd_err **err, int *failed)
{
	for (size_t i = 0; filters && filters[i]; i++) {
		bool m = false;
		if (pd_volume_filter_match(v, filters[i], &m, err) < 0) {
			*failed = 1;
			return false;
		}
		if (!m)
			return false;
	}
	return true;
}

int pd_volume_prune(const char *root, bool all, char *const *filters, pd_volume_report_fn report, void *data,
		    struct pd_err **err)
{
	struct pd_store_volume *v = NULL;
	size_t n = 0;
	if (pd_volume_list(root, &v, &n, err) < 0)
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++) {
		if (v[i].users || (!all && !v[i].anonymous) || !passes(&v[i], filters, err, &bad))
			continue;
		_cleanup_err_ struct pd_err *e = NULL;
		int r = pd_volume_remove(root, v[i].name, &e);
		/* In use since the listing (a start took it): not unused any
		 * more, so not pruned, and no error. */
		if (r < 0 && e->kind == PD_ERR_USAGE)
			continue;
		if (r == 0 || r < 0)
			report(v[i].name, r < 0 ? e : NULL, data);
	}
	pd_store_volumes_free(v, n);
	return bad ? -1 : 0;
}

/* ---- Seeding: the image's content at a volume's destination. ---- */

struct seed_args {
	char *const *lowers; /* top first */
	const char *dest;    /* the volume's destination in the container */
	const char *data;    /* the volume's data directory */
};

#define SEED_MAX_DEPTH 256

/* Owner and mode as the image has them: chown fails for an id this
 * process cannot give (rootless without a range), which leaves the file
 * the caller's (root in the container), as with any rootless copy. */
static int copy_meta(int fd, const struct stat *st, struct pd_err **err)
{
	if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM && errno != EINVAL)
		return pd_fail(err, errno, "set the owner of a copied file");
	if (fchmod(fd, st->st_mode & 07777) < 0)
		return pd_fail(err, errno, "set the mode of a copied file");
	return 0;
}

static int clear_entry(int dfd, const char *name, struct pd_err **err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : pd_fail(err, errno, "stat '%s' in the volume", name);
	return pd_rm_rf_at(dfd, name, err);
}

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st, struct pd_err **err)
{
	_cleanup_close_ int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return pd_fail(err, errno, "open '%s' in the image", name);
	_cleanup_close_ int out =
	    openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return pd_fail(err, errno, "create '%s' in the volume", name);
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "read '%s' in the image", name);
		if (n == 0)
			break;
		if (pd_write_all(out, buf, (size_t)n) < 0)
			return pd_fail(err, errno, "write '%s' in the volume", name);
	}
	return copy_meta(out, st, err);
}

static int copy_dir(int sfd, int dfd, int depth, struct pd_err **err);
static int clear_dir(int dfd, struct pd_err **err);

static int copy_subdir(int sfd, int dfd, const char *name, const struct stat *st, int depth,
		       struct pd_err **err)
{
	struct stat dst;
	if (fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dst.st_mode) &&
	    clear_entry(dfd, name, err) < 0)
		return -1;
	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return pd_fail(err, errno, "create '%s' in the volume", name);
	_cleanup_close_ int s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return pd_fail(err, errno, "open directory '%s'", name);
	if (pd_layer_is_opaque(s) && clear_dir(d, err) < 0)
		return -1;
	if (copy_dir(s, d, depth + 1, err) < 0)
		return -1;
	return copy_meta(d, st, err);
}

static int copy_entry(int sfd, int dfd, const char *name, int depth, struct pd_err **err)
{
	struct stat st;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_fail(err, errno, "stat '%s' in the image", name);
	if (pd_layer_is_whiteout(sfd, name, &st))
		return clear_entry(dfd, name, err);
	if (S_ISDIR(st.st_mode))
		return copy_subdir(sfd, dfd, name, &st, depth, err);
	if (clear_entry(dfd, name, err) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, &st, err);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return pd_fail(err, errno, "read link '%s' in the image", name);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return pd_fail(err, errno, "create link '%s' in the volume", name);
		if (fchownat(dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM &&
		    errno != EINVAL)
			return pd_fail(err, errno, "set the owner of link '%s'", name);
		return 0;
	}
	if (S_ISFIFO(st.st_mode) && mkfifoat(dfd, name, st.st_mode & 07777) < 0)
		return pd_fail(err, errno, "create fifo '%s' in the volume", name);
	return 0; /* device nodes and sockets are not copied */
}

static int copy_dir(int sfd, int dfd, int depth, struct pd_err **err)
{
	if (depth > SEED_MAX_DEPTH)
		return pd_fail(err, ELOOP, "the image's tree is deeper than %d levels", SEED_MAX_DEPTH);
	int dup_fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return pd_fail(err, errno, "read a directory of the image");
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    copy_entry(sfd, dfd, de->d_name, depth, err) < 0)
			return -1;
	return 0;
}

/* `path` (resolved already, no links in the merged view) in one layer
 * that holds it as a directory or not at all: 0 with *fd = -1 when the
 * layer does not have it.  Links are refused on the way, as a last guard. */
static int open_in_layer(const char *layer, const char *path, int *fd, struct pd_err **err)
{
	_cleanup_close_ int lfd = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		return pd_fail(err, errno, "open layer '%s'", layer);
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	*fd = (int)syscall(SYS_openat2, lfd, *path ? path : ".", &how, sizeof(how));
	if (*fd < 0 && errno != ENOENT)
		return pd_fail(err, errno, "open '%s' in layer '%s'", path, layer);
	return 0;
}

/* What one layer holds at a path. */
enum probe { PROBE_ABSENT, PROBE_HIDES, PROBE_FOUND };

/* `path` ("a/b", no "." or "..") in one layer, one component at a time
 * with O_NOFOLLOW, never leaving the layer: PROBE_ABSENT when a component
 * is missing, PROBE_HIDES when a component is a whiteout or a parent is
 * not a directory (either hides the path in the layers below), else
 * PROBE_FOUND with the leaf's stat (and, for a link, its target in
 * `link` when given).  *opaque: a directory on the way (or the leaf) is
 * opaque, which hides the layers below as well. */
static int probe_layer(const char *layer, const char *path, struct stat *st, bool *opaque, char *link,
		       struct pd_err **err)
{
	*opaque = false;
	_cleanup_close_ int fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0)
		return pd_fail(err, errno, "open layer '%s'", layer);
	*opaque = pd_layer_is_opaque(fd);
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	char *c = strtok_r(copy, "/", &save);
	while (c) {
		char *next = strtok_r(NULL, "/", &save);
		if (fstatat(fd, c, st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return PROBE_ABSENT;
			return pd_fail(err, errno, "stat '%s' in layer '%s'", path, layer);
		}
		if (pd_layer_is_whiteout(fd, c, st))
			return PROBE_HIDES;
		if (!S_ISDIR(st->st_mode)) {
			if (next)
				return PROBE_HIDES;
			if (S_ISLNK(st->st_mode) && link) {
				ssize_t n = readlinkat(fd, c, link, PATH_MAX - 1);
				if (n < 0)
					return pd_fail(err, errno, "read link '%s' in layer '%s'", path,
						       layer);
				link[n] = '\0';
			}
			return PROBE_FOUND;
		}
		int sub = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return pd_fail(err, errno, "open '%s' in layer '%s'", path, layer);
		close(fd);
		fd = sub;
		*opaque = *opaque || pd_layer_is_opaque(fd);
		c = next;
	}
	return PROBE_FOUND;
}

/* A path in the image's merged view, as overlayfs builds it. */
struct merged {
	int top;	     /* the topmost layer holding it; -1: not in the image */
	int bottom;	     /* the lowest layer whose content shows through */
	struct stat st;	     /* as the top layer has it */
	char link[PATH_MAX]; /* the top layer's link target, for a link */
};

/* Walk the layers (top first) down to the first that hides `path` from
 * the ones below: a whiteout or a non-directory at the path or above it,
 * or an opaque directory (that layer still shows).  A directory merges
 * with the directories below it; anything else shows alone. */
static int merged_lookup(char *const *lowers, const char *path, struct merged *m, struct pd_err **err)
{
	m->top = m->bottom = -1;
	for (int i = 0; lowers[i]; i++) {
		struct stat st;
		bool opaque;
		int r = probe_layer(lowers[i], path, &st, &opaque, m->top < 0 ? m->link : NULL, err);
		if (r < 0)
			return -1;
		if (r == PROBE_HIDES || (r == PROBE_ABSENT && opaque))
			break;
		if (r == PROBE_ABSENT)
			continue;
		if (m->top < 0) {
			m->top = i;
			m->st = st;
		} else if (!S_ISDIR(st.st_mode)) {
			break; /* under a directory: hidden, with all below */
		}
		m->bottom = i;
		if (!S_ISDIR(st.st_mode) || opaque)
			break;
	}
	return 0;
}

#define SEED_MAX_LINKS 40

/* `dest` resolved in the merged image as the container sees it: each
 * component is looked up over the layers, and a link the merged view
 * shows is followed there, inside the image (an absolute target starts
 * again at the image's root, ".." stops at it), so no link leads out of
 * the layers.  *out: the resolved path ("a/b"); m: its merged lookup. */
static int resolve_merged(char *const *lowers, const char *dest, char **out, struct merged *m,
			  struct pd_err **err)
{
	_cleanup_free_ char *done = xstrdup(""), *rest = xstrdup(dest);
	int links = 0;
	for (;;) {
		const char *p = rest + strspn(rest, "/");
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		_cleanup_free_ char *name = xstrndup(p, len);
		char *tail = xstrdup(p + len);
		free(rest);
		rest = tail;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			char *slash = strrchr(done, '/');
			*(slash ? slash : done) = '\0';
			continue;
		}
		_cleanup_free_ char *cand = *done ? xasprintf("%s/%s", done, name) : xstrdup(name);
		if (merged_lookup(lowers, cand, m, err) < 0)
			return -1;
		if (m->top < 0)
			return 0;
		if (S_ISLNK(m->st.st_mode)) {
			if (++links > SEED_MAX_LINKS)
				return pd_fail(err, ELOOP, "resolve '%s' in the image", dest);
			char *again = xasprintf("%s/%s", m->link, rest);
			free(rest);
			rest = again;
			if (m->link[0] == '/')
				done[0] = '\0';
			continue;
		}
		if (!S_ISDIR(m->st.st_mode)) {
			m->top = -1;
			return 0;
		}
		free(done);
		done = take_ptr(&cand);
	}
	if (merged_lookup(lowers, done, m, err) < 0)
		return -1;
	*out = take_ptr(&done);
	return 0;
}

static int clear_dir(int dfd, struct pd_err **err)
{
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return pd_fail(err, errno, "read the volume's directory");
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    pd_rm_rf_at(dfd, de->d_name, err) < 0)
			return -1;
	return 0;
}

static int seed(struct seed_args *a, struct pd_err **err)
{
	_cleanup_close_ int dfd = open(a->data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open volume directory '%s'", a->data);
	_cleanup_free_ char *path = NULL;
	struct merged m;
	if (resolve_merged(a->lowers, a->dest, &path, &m, err) < 0)
		return -1;
	if (!path || m.top < 0 || !S_ISDIR(m.st.st_mode))
		return 0; /* no directory there in the image: nothing to copy */
	/* Only the layers that show at the destination, bottom first. */
	for (int i = m.bottom; i >= m.top; i--) {
		_cleanup_close_ int sfd = -1;
		if (open_in_layer(a->lowers[i], path, &sfd, err) < 0)
			return -1;
		if (sfd >= 0 && copy_dir(sfd, dfd, 0, err) < 0)
			return -1;
	}
	return copy_meta(dfd, &m.st, err);
}

static int seed_cb(void *arg)
{
	_cleanup_err_ struct pd_err *e = NULL;
	return seed(arg, &e);
}

static bool dir_is_empty(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return d != NULL;
}

/* Seed an empty volume from the image, under the volume's lock. */
static int seed_volume(const char *root, const char *name, const char *dest, char *const *lowers,
		       struct pd_err **err)
{
	_cleanup_free_ char *dir = volume_dir(root, name), *data = data_dir(root, name);
	_cleanup_close_ int lock = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return pd_fail(err, errno, "lock volume '%s'", name);
	if (!dir_is_empty(data))
		return 0;
	struct seed_args a = { .lowers = lowers, .dest = dest, .data = data };
	struct pd_idmap map;
	idmap_for_caller(&map);
	if (geteuid() != 0 && idmap_has_range(&map)) {
		if (idmap_run_in_userns(&map, seed_cb, &a, err) < 0) {
			pd_err_prefix(err, "seed volume %s from the image", name);
			return -1;
		}
		return 0;
	}
	if (seed(&a, err) < 0) {
		pd_err_prefix(err, "seed volume %s from the image's '%s'", name, dest);
		return -1;
	}
	return 0;
}

/* ---- A container's volumes, before it starts. ---- */

/* Whether the config mounts something at `dest` already (trailing
 * slashes aside). */
static bool has_dest(const struct pd_config *c, const char *dest)
{
	size_t n = strlen(dest);
	while (n > 1 && dest[n - 1] == '/')
		n--;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const char *d =
		    c->mounts[i].type == PD_MOUNT_BIND ? c->mounts[i].bind.dest : c->mounts[i].tmpfs.dest;
		size_t m = strlen(d);
		while (m > 1 && d[m - 1] == '/')
			m--;
		if (m == n && !strncmp(d, dest, n))
			return true;
	}
	return false;
}

/* Put `m` first: volumes a container gets from elsewhere (its image,
 * another container) are mounted before its own -v and --mount. */
static void add_front(struct pd_config *c, size_t *front, const struct pd_mount *m)
{
	pd_config_add_mount(c, m);
	memmove(&c->mounts[*front + 1], &c->mounts[*front], (c->n_mounts - 1 - *front) * sizeof(*c->mounts));
	c->mounts[(*front)++] = *m;
}

static struct pd_mount volume_mount(const char *name, const char *src, const char *dest, bool ro)
{
	struct pd_mount m = { .type = PD_MOUNT_BIND };
	m.bind.name = name ? xstrdup(name) : NULL;
	m.bind.src = src ? xstrdup(src) : NULL;
	m.bind.dest = xstrdup(dest);
	m.bind.readonly = ro;
	return m;
}

/* The image's Volumes: an anonymous volume each, unless mounted already. */
static int add_image_volumes(const char *root, struct pd_config *cfg, size_t *front, struct pd_err **err)
{
	struct pd_image img;
	int f = pd_image_find(root, cfg->image_id, &img, err);
	if (f != 0)
		return f < 0 ? -1
			     : pd_fail_kind(err, PD_ERR_USAGE, 0, "image %.19s was removed", cfg->image_id);
	json_auto_t *rt = json_loads(img.rec.config ? img.rec.config : "{}", 0, NULL);
	pd_image_free(&img);
	json_t *vols = json_object_get(rt, "Volumes");
	const char *path;
	json_t *unused;
	json_object_foreach(vols, path, unused)
	{
		/* The image is not trusted: a destination it names is held to
		 * -v's rules, and one that breaks them is left out. */
		if (pd_check_container_path("image volume", path, pd_err_ignore(optional)) < 0 ||
		    !strcmp(path, "/") || has_dest(cfg, path))
			continue;
		struct pd_mount m = volume_mount(NULL, NULL, path, false);
		m.bind.anonymous = true;
		add_front(cfg, front, &m);
	}
	return 0;
}

/* "CONTAINER[:ro|rw]" of --volumes-from. */
static int add_volumes_from_one(struct pd_store *s, struct pd_config *cfg, const char *spec, size_t *front,
				struct pd_err **err)
{
	_cleanup_free_ char *ref = xstrdup(spec);
	char *colon = strrchr(ref, ':');
	int mode = -1; /* -1: as the other container has it */
	if (colon && (!strcmp(colon, ":ro") || !strcmp(colon, ":rw"))) {
		mode = colon[2] == 'o';
		*colon = '\0';
	}
	struct pd_record r;
	if (pd_store_find(s, ref, &r, err) < 0) {
		pd_err_prefix(err, "--volumes-from");
		return -1;
	}
	struct pd_config other;
	int ret = pd_config_decode(r.config, &other, err);
	for (size_t i = 0; ret == 0 && i < other.n_mounts; i++) {
		const struct pd_volume *v = &other.mounts[i].bind;
		if (other.mounts[i].type != PD_MOUNT_BIND || has_dest(cfg, v->dest))
			continue;
		_cleanup_free_ char *anon = NULL;
		if (v->anonymous && pd_store_volume_anon_find(s, r.id, v->dest, &anon, err) != 0)
			continue; /* never started: it has none yet */
		struct pd_mount m = volume_mount(anon ? anon : v->name, v->name || anon ? NULL : v->src,
						 v->dest, mode < 0 ? v->readonly : mode == 1);
		m.bind.propagation = v->propagation;
		add_front(cfg, front, &m);
	}
	/* Its image's anonymous volumes, which its record does not list. */
	_cleanup_strv_ char **names = NULL;
	if (ret == 0 && pd_store_volume_anon_of(s, r.id, &names, err) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && names[i]; i++) {
		struct pd_store_volume row;
		if (pd_store_volume_get(s, names[i], &row, pd_err_ignore(optional)) != 0)
			continue;
		if (row.target && !has_dest(cfg, row.target)) {
			struct pd_mount m = volume_mount(row.name, NULL, row.target, mode == 1);
			add_front(cfg, front, &m);
		}
		pd_store_volume_free(&row);
	}
	pd_config_free(&other);
	pd_record_free(&r);
	return ret;
}

/* A tmpfs volume: a new tmpfs at each start, with the volume's o=. */
static int to_tmpfs(struct pd_mount *m, const char *o, struct pd_err **err)
{
	_cleanup_free_ char *spec = xasprintf("%s%s%s", m->bind.dest, o && *o ? ":" : "", o ? o : "");
	struct pd_tmpfs t = { 0 };
	if (pd_tmpfs_parse(spec, &t, err) < 0)
		return -1;
	/* Docker's tmpfs volume is mounted with o= alone: exec allowed. */
	t.exec = !(o && strstr(o, "noexec"));
	free(m->bind.src);
	free(m->bind.dest);
	free(m->bind.name);
	strv_free(m->bind.opts);
	m->type = PD_MOUNT_TMPFS;
	m->tmpfs = t;
	return 0;
}

static int prepare_one(struct pd_store *s, const char *root, const char *id, struct pd_mount *m,
		       char *const *lowers, struct pd_err **err)
{
	struct pd_volume *v = &m->bind;
	if (!v->name) {
		int r = pd_store_volume_anon_find(s, id, v->dest, &v->name, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			char gen[65];
			random_name(gen);
			v->name = xstrdup(gen);
		}
	}
	if (pd_volume_opts_check(v->opts, root, err) < 0)
		return -1;
	_cleanup_free_ char *lj = kv_json(NULL, v->anonymous), *oj = kv_json(v->opts, false);
	struct pd_store_volume row = { .name = v->name,
				       .created_ns = pd_now_ns(),
				       .labels = lj,
				       .options = oj,
				       .anonymous = v->anonymous,
				       .owner = v->anonymous ? (char *)id : NULL,
				       .target = v->anonymous ? v->dest : NULL };
	if (pd_store_volume_claim(s, &row, id, make_dirs_cb, (void *)root, err) < 0)
		return -1;
	struct pd_store_volume have;
	if (pd_store_volume_get(s, v->name, &have, err) != 0)
		return pd_fail(err, ENOENT, "volume %s was removed while being prepared", v->name);
	_cleanup_free_ char *type = json_text_get(have.options, "type"),
			    *device = json_text_get(have.options, "device"),
			    *o = json_text_get(have.options, "o");
	pd_store_volume_free(&have);
	if (type && !strcmp(type, "tmpfs"))
		return to_tmpfs(m, o, err);
	free(v->src);
	v->src = NULL;
	if (type && !strcmp(type, "none")) {
		char real[PATH_MAX];
		if (geteuid() != 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "volume %s binds '%s': that needs root",
					    v->name, device ? device : "");
		if (!device || !realpath(device, real))
			return pd_fail_kind(err, PD_ERR_USAGE, errno, "volume %s's device '%s'", v->name,
					    device ? device : "");
		v->src = xstrdup(real);
	} else {
		v->src = data_dir(root, v->name);
		if (!v->nocopy && lowers && seed_volume(root, v->name, v->dest, lowers, err) < 0)
			return -1;
	}
	v->prepared = true;
	return 0;
}

int pd_volumes_prepare(struct pd_store *s, const char *root, struct pd_config *cfg, char *const *lowers,
		       struct pd_err **err)
{
	bool any = cfg->image_id || cfg->volumes_from;
	for (size_t i = 0; i < cfg->n_mounts && !any; i++)
		any = cfg->mounts[i].type == PD_MOUNT_BIND && pd_volume_is_named(&cfg->mounts[i].bind);
	if (!any)
		return 0;
	size_t front = 0;
	for (size_t i = 0; cfg->volumes_from && cfg->volumes_from[i]; i++)
		if (add_volumes_from_one(s, cfg, cfg->volumes_from[i], &front, err) < 0)
			return -1;
	if (cfg->image_id && add_image_volumes(root, cfg, &front, err) < 0)
		return -1;
	bool made_dir = false;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct pd_mount *m = &cfg->mounts[i];
		if (m->type != PD_MOUNT_BIND || !pd_volume_is_named(&m->bind) || m->bind.prepared)
			continue;
		if (!made_dir && make_volumes_dir(root, err) < 0)
			return -1;
		made_dir = true;
		if (prepare_one(s, root, cfg->id, m, lowers, err) < 0) {
			pd_err_prefix(err, "volume at '%s'",
				      m->type == PD_MOUNT_BIND ? m->bind.dest : m->tmpfs.dest);
			return -1;
		}
	}
	return 0;
}

bool pd_volumes_has_anonymous(const struct pd_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].type == PD_MOUNT_BIND && cfg->mounts[i].bind.anonymous)
			return true;
	return false;
}

int pd_volumes_remove_anonymous(const char *root, const char *id, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	_cleanup_strv_ char **names = NULL;
	if (pd_store_volume_anon_of(s, id, &names, err) < 0)
		return -1;
	pd_store_close(take_ptr(&s));
	int ret = 0;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		/* One another container uses (--volumes-from) stays, as in
		 * Docker; `volume prune` takes it once unused. */
		if (pd_volume_remove(root, names[i], &e) < 0 && e->kind != PD_ERR_USAGE && ret == 0) {
			ret = -1;
			if (err)
				*err = take_ptr(&e);
		}
	}
	return ret;
}
