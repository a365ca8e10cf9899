/* Images made and shared locally (see image-share.h).
 *
 * Runs in the CLI, as root or as the user who made a rootless container.
 * Writes only under the state root: new blobs (a committed layer, a new
 * image config) through image/blobs.h, their extraction through
 * image/layers.h, rows through core/store-images.h; `save` stages its
 * files under images/tmp/put-save-* (swept by the next exclusive images
 * lock if killed) and removes them before it returns.
 *
 * Ordering: a commit holds images/.lock shared from before it reads the
 * base image until its image is recorded, as a pull does, so rmi never
 * deletes a base layer under it.  A running container is paused (the
 * cgroup freezer, as Docker's commit does by default) while its upper
 * directory is read, and thawed after, on failure too; a stopped one's
 * directory lock is held meanwhile, so no start mounts its layer then.
 *
 * Threats: the upper directory is the container's, hostile: it is read by
 * image/layerwrite.c, descriptor by descriptor, never following a link.
 * A rootless container's files belong to its subordinate ids, which the
 * caller may not read: with a subordinate range the layer is written from
 * inside a user namespace that maps them (where they are the container's
 * own ids). */
#include "core/image-share.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/container.h"
#include "core/control.h"
#include "core/copy.h"
#include "core/events.h"
#include "core/images.h"
#include "core/query.h"
#include "core/store-images.h"
#include "core/usage.h"
#include "image/blobs.h"
#include "image/import.h"
#include "image/layers.h"
#include "image/layerwrite.h"
#include "image/manifest.h"
#include "image/tarwrite.h"
#include "linux/idmap.h"
#include "util/json.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

/* jansson's own json_decrefp, for a cleanup attribute. */
#define _cleanup_json_ _cleanup_(json_decrefp)

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* RFC 3339 with nanoseconds, UTC, as image configs write "created". */
static char *rfc3339(int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000LL));
}

/* NAME[:TAG] -> repository and tag; a digest is refused. */
static int split_name(const char *name, char **repo, char **tag, struct pd_err **err)
{
	_cleanup_ref_ struct pd_ref ref = { 0 };
	if (pd_ref_parse(name, &ref, err) < 0) {
		(*err)->kind = PD_ERR_USAGE;
		return -1;
	}
	if (ref.digest)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s': a name with a digest cannot be given", name);
	*repo = pd_ref_repo(&ref);
	*tag = xstrdup(ref.tag ? ref.tag : "latest");
	return 0;
}

static int find_image(const char *root, const char *name, struct pd_image *img, struct pd_err **err)
{
	int f = pd_image_find(root, name, img, err);
	if (f == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: '%s'", name);
	return f;
}

/* ------------------------------------------------------------------ */
/* tag */

int pd_image_tag(const char *root, const char *source, const char *target, struct pd_err **err)
{
	_cleanup_free_ char *repo = NULL, *tag = NULL;
	if (split_name(target, &repo, &tag, err) < 0)
		return -1;
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	if (find_image(root, source, &img, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s || pd_store_image_add(s, &img.rec, repo, tag, NULL, err) < 0)
		return -1;
	pd_event_image(root, "tag", img.rec.id, target);
	return 0;
}

/* ------------------------------------------------------------------ */
/* An image's full config. */

static bool is_tarball_image(const struct pd_image_rec *r)
{
	return r->n_layers == 1 && !strcmp(r->layers[0].digest, r->id);
}

static int layer_diff_id(const char *root, const struct pd_layer_rec *l, char out[PD_DIGEST_LEN + 1],
			 struct pd_err **err)
{
	/* A rootfs tarball's layer is recorded with its own digest as its
	 * diff_id, which it is only when it is not compressed: compute it. */
	if (l->diff_id && pd_digest_valid(l->diff_id) && strcmp(l->diff_id, l->digest)) {
		snprintf(out, PD_DIGEST_LEN + 1, "%s", l->diff_id);
		return 0;
	}
	_cleanup_free_ char *path = pd_blob_path(root, l->digest);
	return pd_layer_uncompress(path, -1, out, err);
}

/* The image's config document: its config blob, or for a rootfs tarball
 * (which has none) one made for it; rootfs.diff_ids always has one entry
 * per layer. */
static json_t *image_config_json(const char *root, const struct pd_image_rec *r, struct pd_err **err)
{
	json_t *j = NULL;
	if (!is_tarball_image(r)) {
		_cleanup_free_ char *path = pd_blob_path(root, r->id);
		size_t len;
		_cleanup_free_ char *body = path ? pd_read_file(path, &len, err) : NULL;
		if (!body)
			return NULL;
		j = json_loadb(body, len, 0, NULL);
		if (!json_is_object(j)) {
			if (j)
				json_decref(j);
			return pd_fail(err, 0, "image %.19s: its config is not a JSON object", r->id), NULL;
		}
	} else {
		_cleanup_free_ char *created = rfc3339(r->created_ns);
		j = json_pack("{s:s, s:s, s:s, s:{}, s:[{s:s, s:s}]}", "created", created, "architecture",
			      pd_host_arch(), "os", "linux", "config", "history", "created", created,
			      "created_by", "pocket-docker import");
	}
	json_t *rootfs = json_object_get(j, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != r->n_layers) {
		ids = json_array();
		for (size_t i = 0; i < r->n_layers; i++) {
			char d[PD_DIGEST_LEN + 1];
			if (layer_diff_id(root, &r->layers[i], d, err) < 0) {
				json_decref(ids);
				json_decref(j);
				return NULL;
			}
			json_array_append_new(ids, json_string(d));
		}
		json_object_set_new(j, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", ids));
	}
	return j;
}

/* ------------------------------------------------------------------ */
/* commit: the runtime config. */

/* Set KEY=VALUE in the Env array `env`, replacing KEY's entry. */
static void env_set(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	size_t i;
	json_t *v;
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && !strncmp(s, kv, klen) && s[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

/* The container's own settings over the image's ("config" object). */
static json_t *runtime_from_container(const char *base_json, const struct pd_config *c)
{
	json_t *rt = base_json ? json_loads(base_json, 0, NULL) : NULL;
	if (!json_is_object(rt)) {
		if (rt)
			json_decref(rt);
		rt = json_object();
	}
	json_t *env = json_array();
	for (size_t i = 0; c->env && c->env[i]; i++)
		if (!str_has_prefix(c->env[i], "HOSTNAME="))
			json_array_append_new(env, json_string(c->env[i]));
	json_object_set_new(rt, "Env", env);
	/* The image's Entrypoint stays when the command still starts with
	 * it; the rest is the Cmd. */
	json_t *ep = json_object_get(rt, "Entrypoint");
	size_t n_ep = json_is_array(ep) ? json_array_size(ep) : 0;
	bool keeps_ep = n_ep > 0 && strv_len(c->argv) >= n_ep;
	for (size_t i = 0; keeps_ep && i < n_ep; i++)
		keeps_ep = !strcmp(c->argv[i], json_string_value(json_array_get(ep, i)) ?: "");
	if (!keeps_ep) {
		json_object_set_new(rt, "Entrypoint", json_null());
		n_ep = 0;
	}
	json_object_set_new(rt, "Cmd", c->argv && c->argv[n_ep] ? pd_json_strv(c->argv + n_ep) : json_null());
	if (c->workdir)
		json_object_set_new(rt, "WorkingDir", json_string(c->workdir));
	if (c->user)
		json_object_set_new(rt, "User", json_string(c->user));
	if (c->stop_signal)
		json_object_set_new(rt, "StopSignal", json_string(c->stop_signal));
	if (c->labels && c->labels[0]) {
		json_t *labels = json_object_get(rt, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(rt, "Labels", labels);
		}
		for (size_t i = 0; c->labels[i]; i++) {
			_cleanup_free_ char *k = xstrndup(c->labels[i], strcspn(c->labels[i], "="));
			const char *eq = strchr(c->labels[i], '=');
			json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
		}
	}
	return rt;
}

/* CMD and ENTRYPOINT: a JSON array, or a shell form run by /bin/sh -c. */
static json_t *command_arg(const char *arg, struct pd_err **err)
{
	if (*arg == '[') {
		json_t *a = json_loads(arg, JSON_DECODE_ANY, NULL);
		size_t i;
		json_t *v;
		bool ok = json_is_array(a);
		json_array_foreach(a, i, v) ok = ok && json_is_string(v);
		if (ok)
			return a;
		if (a)
			json_decref(a);
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s': not a JSON array of strings", arg), NULL;
	}
	return json_pack("[s, s, s]", "/bin/sh", "-c", arg);
}

/* ENV and LABEL: KEY=VALUE words, or (the old form) KEY VALUE. */
static int key_values(const char *arg, json_t *into_env, json_t *into_obj, struct pd_err **err)
{
	_cleanup_strv_ char **w = pd_shell_split(arg, err);
	if (!w)
		return -1;
	if (w[0] && !strchr(w[0], '=')) {
		const char *rest = arg + strspn(arg, " \t") + strlen(w[0]);
		rest += strspn(rest, " \t");
		if (!*rest)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s': needs KEY=VALUE", arg);
		_cleanup_free_ char *kv = xasprintf("%s=%s", w[0], rest);
		strv_free(w);
		w = xcalloc(2, sizeof(char *));
		w[0] = take_ptr(&kv);
	}
	if (!w[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "needs KEY=VALUE");
	for (size_t i = 0; w[i]; i++) {
		const char *eq = strchr(w[i], '=');
		if (!eq || eq == w[i])
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "'%s': needs KEY=VALUE", w[i]);
		if (into_env) {
			env_set(into_env, w[i]);
		} else {
			_cleanup_free_ char *k = xstrndup(w[i], (size_t)(eq - w[i]));
			json_object_set_new(into_obj, k, json_string(eq + 1));
		}
	}
	return 0;
}

static int ports_or_volumes(json_t *rt, const char *key, const char *arg, struct pd_err **err)
{
	json_t *o = pd_json_member_object(rt, key);
	json_t *arr = *arg == '[' ? command_arg(arg, err) : NULL;
	if (*arg == '[' && !arr)
		return -1;
	_cleanup_strv_ char **w = arr ? NULL : pd_shell_split(arg, err);
	if (!arr && !w)
		return -1;
	size_t n = arr ? json_array_size(arr) : strv_len(w);
	if (!n)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s needs an argument", key);
	for (size_t i = 0; i < n; i++) {
		const char *v = arr ? json_string_value(json_array_get(arr, i)) : w[i];
		if (!strcmp(key, "ExposedPorts")) {
			uint64_t port;
			_cleanup_free_ char *num = xstrndup(v, strcspn(v, "/"));
			const char *proto = strchr(v, '/');
			if (pd_parse_uint(num, 65535, &port, err) < 0 || port == 0 ||
			    (proto && strcmp(proto, "/tcp") && strcmp(proto, "/udp") &&
			     strcmp(proto, "/sctp"))) {
				if (arr)
					json_decref(arr);
				pd_err_freep(err);
				return pd_fail_kind(err, PD_ERR_USAGE, 0, "EXPOSE '%s': not PORT[/PROTO]", v);
			}
			_cleanup_free_ char *k = xasprintf("%s%s", num, proto ? proto : "/tcp");
			json_object_set_new(o, k, json_object());
		} else {
			json_object_set_new(o, v, json_object());
		}
	}
	if (arr)
		json_decref(arr);
	return 0;
}

/* Apply one Dockerfile instruction of --change to the runtime config. */
static int apply_change(json_t *rt, const char *change, struct pd_err **err)
{
	const char *p = change + strspn(change, " \t");
	size_t klen = strcspn(p, " \t");
	_cleanup_free_ char *key = xstrndup(p, klen);
	for (char *k = key; *k; k++)
		*k = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
	const char *arg = p + klen;
	arg += strspn(arg, " \t");
	if (!*arg)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "change '%s': %s needs an argument", change,
				    *key ? key : "an instruction");
	if (!strcmp(key, "CMD") || !strcmp(key, "ENTRYPOINT")) {
		json_t *a = command_arg(arg, err);
		if (!a)
			return -1;
		json_object_set_new(rt, !strcmp(key, "CMD") ? "Cmd" : "Entrypoint", a);
		return 0;
	}
	if (!strcmp(key, "ENV")) {
		json_t *env = json_object_get(rt, "Env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(rt, "Env", env);
		}
		return key_values(arg, env, NULL, err);
	}
	if (!strcmp(key, "LABEL"))
		return key_values(arg, NULL, pd_json_member_object(rt, "Labels"), err);
	if (!strcmp(key, "WORKDIR") || !strcmp(key, "USER") || !strcmp(key, "STOPSIGNAL")) {
		const char *field = !strcmp(key, "WORKDIR") ? "WorkingDir"
				    : !strcmp(key, "USER")  ? "User"
							    : "StopSignal";
		if (!strcmp(key, "WORKDIR") && *arg != '/')
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "change '%s': WORKDIR must be absolute",
					    change);
		json_object_set_new(rt, field, json_string(arg));
		return 0;
	}
	if (!strcmp(key, "EXPOSE"))
		return ports_or_volumes(rt, "ExposedPorts", arg, err);
	if (!strcmp(key, "VOLUME"))
		return ports_or_volumes(rt, "Volumes", arg, err);
	return pd_fail_kind(err, PD_ERR_USAGE, 0,
			    "change '%s': unknown instruction '%s' (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
			    "STOPSIGNAL, USER, VOLUME, WORKDIR)",
			    change, key);
}

int pd_commit_change_check(const char *change, struct pd_err **err)
{
	_cleanup_json_ json_t *rt = json_object();
	return apply_change(rt, change, err);
}

char *pd_commit_apply_changes(const char *runtime_json, char *const *changes, struct pd_err **err)
{
	_cleanup_json_ json_t *rt = runtime_json ? json_loads(runtime_json, 0, NULL) : json_object();
	if (!json_is_object(rt))
		return pd_fail(err, 0, "the runtime config is not a JSON object"), NULL;
	for (size_t i = 0; changes && changes[i]; i++)
		if (apply_change(rt, changes[i], err) < 0)
			return NULL;
	char *out = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
	if (!out)
		abort();
	return out;
}

/* ------------------------------------------------------------------ */
/* commit: the layer. */

/* Files the runtime writes into every container's upper layer; Docker
 * bind-mounts them, so they are in no commit. */
static const char *const runtime_files[] = { "etc/hostname", "etc/hosts", "etc/resolv.conf", NULL };

struct layer_job {
	int dirfd, outfd;
	struct pd_layer_write_opts o;
	char *diff_id; /* shared memory: the child in a user namespace writes it */
	char errmsg[256];
};

static int write_layer_fn(void *arg)
{
	struct layer_job *j = arg;
	_cleanup_err_ struct pd_err *e = NULL;
	if (pd_layer_write_dir(j->dirfd, j->outfd, &j->o, j->diff_id, &e) < 0) {
		snprintf(j->errmsg, sizeof(j->errmsg), "%s", e->msg);
		return -1;
	}
	return 0;
}

/* The layer of directory `dir` into `outfd`; diff_id receives its digest. */
static int write_layer(const char *dir, bool upper, bool rootless, int outfd, char diff_id[PD_DIGEST_LEN + 1],
		       struct pd_err **err)
{
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open '%s'", dir);
	struct layer_job j = { .dirfd = dfd, .outfd = outfd, .o = { .upper = upper } };
	if (upper)
		j.o.skip = runtime_files;
	struct pd_idmap map;
	idmap_for_caller(&map);
	if (!rootless || geteuid() == 0 || !idmap_has_range(&map)) {
		if (rootless && geteuid() != 0) {
			/* Only the caller is mapped (to 0): its files are root's. */
			j.o.uid = map.uid;
			j.o.gid = map.gid;
		}
		j.diff_id = diff_id;
		return pd_layer_write_dir(dfd, outfd, &j.o, diff_id, err);
	}
	/* The container's files belong to subordinate ids: read them as the
	 * container's root, in a user namespace with its map. */
	char *shared = mmap(NULL, PD_DIGEST_LEN + 1 + sizeof(j.errmsg), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return pd_fail(err, errno, "mmap");
	memset(shared, 0, PD_DIGEST_LEN + 1 + sizeof(j.errmsg));
	j.diff_id = shared;
	int ret = idmap_run_in_userns(&map, write_layer_fn, &j, err);
	if (ret == 0)
		snprintf(diff_id, PD_DIGEST_LEN + 1, "%s", shared);
	munmap(shared, PD_DIGEST_LEN + 1 + sizeof(j.errmsg));
	return ret;
}

/* Store the layer of `dir` as a blob: *digest (of the gzip) and diff_id. */
static int store_layer(const char *root, const char *dir, bool upper, bool rootless,
		       char digest[PD_DIGEST_LEN + 1], char diff_id[PD_DIGEST_LEN + 1], uint64_t *size,
		       struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = xasprintf("%s/images/tmp/put-commit-XXXXXX", root);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "create '%s'", tmp);
	unlink(tmp);
	if (write_layer(dir, upper, rootless, fd, diff_id, err) < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return pd_fail(err, errno, "the layer file");
	*size = (uint64_t)st.st_size;
	return pd_blob_put_fd(root, fd, 0, NULL, digest, err);
}

int pd_image_layer_store(const char *root, const char *dir, bool upper, bool rootless,
			 char digest[PD_DIGEST_LEN + 1], char diff_id[PD_DIGEST_LEN + 1], uint64_t *size,
			 struct pd_err **err)
{
	return store_layer(root, dir, upper, rootless, digest, diff_id, size, err);
}

char *pd_image_config_text(const char *root, const struct pd_image_rec *r, struct pd_err **err)
{
	_cleanup_json_ json_t *j = image_config_json(root, r, err);
	if (!j)
		return NULL;
	char *out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!out)
		abort();
	return out;
}

/* ------------------------------------------------------------------ */
/* commit */

struct commit {
	const char *root;
	const struct pd_commit_opts *o;
	struct pd_record rec;
	struct pd_config cfg;
	struct pd_image base; /* when the container runs an image */
	bool has_base;
	json_t *config; /* the new image's config document */
	struct pd_layer_rec *layers;
	size_t n_layers;
	char (*digests)[PD_DIGEST_LEN + 1];
};

static void commit_free(struct commit *c)
{
	pd_record_free(&c->rec);
	pd_config_free(&c->cfg);
	if (c->has_base)
		pd_image_free(&c->base);
	if (c->config)
		json_decref(c->config);
	for (size_t i = 0; i < c->n_layers; i++)
		free(c->layers[i].diff_id);
	free(c->layers);
	free(c->digests);
}

static void add_layer(struct commit *c, const char *digest, const char *diff_id, uint64_t size)
{
	c->layers = xrealloc(c->layers, (c->n_layers + 1) * sizeof(*c->layers));
	c->digests = xrealloc(c->digests, (c->n_layers + 1) * sizeof(*c->digests));
	snprintf(c->digests[c->n_layers], PD_DIGEST_LEN + 1, "%s", digest);
	c->layers[c->n_layers] = (struct pd_layer_rec){ .digest = c->digests[c->n_layers],
							.diff_id = xstrdup(diff_id),
							.size = size };
	c->n_layers++;
	/* The digests array moved: point every record at its new place. */
	for (size_t i = 0; i < c->n_layers; i++)
		c->layers[i].digest = c->digests[i];
}

/* The base: the image's config and layers, or a --rootfs as a layer. */
static int commit_base(struct commit *c, struct pd_err **err)
{
	if (c->cfg.image_id) {
		if (find_image(c->root, c->cfg.image_id, &c->base, err) < 0)
			return -1;
		c->has_base = true;
		c->config = image_config_json(c->root, &c->base.rec, err);
		if (!c->config)
			return -1;
		json_t *ids = json_object_get(json_object_get(c->config, "rootfs"), "diff_ids");
		for (size_t i = 0; i < c->base.rec.n_layers; i++)
			add_layer(c, c->base.rec.layers[i].digest, json_string_value(json_array_get(ids, i)),
				  c->base.rec.layers[i].size);
		return 0;
	}
	_cleanup_strv_ char **lowers = pd_container_lowers(c->root, &c->cfg, err);
	if (!lowers)
		return -1;
	char digest[PD_DIGEST_LEN + 1], diff_id[PD_DIGEST_LEN + 1];
	uint64_t size;
	if (store_layer(c->root, lowers[0], false, c->cfg.rootless, digest, diff_id, &size, err) < 0) {
		pd_err_prefix(err, "the rootfs '%s'", c->cfg.rootfs_arg);
		return -1;
	}
	add_layer(c, digest, diff_id, size);
	_cleanup_free_ char *created = rfc3339(now_ns());
	_cleanup_free_ char *by = xasprintf("rootfs %s", c->cfg.rootfs_arg ? c->cfg.rootfs_arg : "");
	c->config = json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", created,
			      "architecture", pd_host_arch(), "os", "linux", "config", "rootfs", "type",
			      "layers", "diff_ids", diff_id, "history", "created", created, "created_by", by);
	return 0;
}

/* The container's upper directory as the top layer, paused meanwhile. */
static int commit_upper(struct commit *c, struct pd_err **err)
{
	bool running = c->rec.state == PD_STATE_RUNNING || c->rec.state == PD_STATE_STOPPING;
	bool paused = false;
	_cleanup_close_ int lock = -1;
	if (running && !c->rec.paused && !c->o->no_pause) {
		/* Without a cgroup of its own (rootless without delegation)
		 * it cannot be frozen: its layer is read as it is, as with
		 * --pause=false. */
		_cleanup_err_ struct pd_err *e = NULL;
		paused = pd_container_pause(c->root, c->rec.id, true, &e) == 0;
	} else if (!running) {
		lock = pd_container_lock(c->root, c->rec.id, err);
		if (lock < 0)
			return -1;
	}
	_cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", c->root, c->rec.id);
	char digest[PD_DIGEST_LEN + 1], diff_id[PD_DIGEST_LEN + 1];
	uint64_t size = 0;
	int ret = store_layer(c->root, upper, true, c->cfg.rootless, digest, diff_id, &size, err);
	if (paused)
		pd_container_pause(c->root, c->rec.id, false, pd_err_ignore(cleanup));
	if (ret < 0) {
		pd_err_prefix(err, "container %.12s: its layer", c->rec.id);
		return -1;
	}
	add_layer(c, digest, diff_id, size);
	return 0;
}

/* The new config: the container's settings and the changes over the
 * base's, the new layer's diff_id, one more history entry. */
static int commit_config(struct commit *c, int64_t created_ns, struct pd_err **err)
{
	json_t *j = c->config;
	_cleanup_json_ json_t *rt = runtime_from_container(c->has_base ? c->base.rec.config : NULL, &c->cfg);
	for (size_t i = 0; c->o->changes && c->o->changes[i]; i++)
		if (apply_change(rt, c->o->changes[i], err) < 0)
			return -1;
	_cleanup_free_ char *created = rfc3339(created_ns);
	json_object_set_new(j, "created", json_string(created));
	json_object_set(j, "config", rt);
	json_object_set_new(j, "container", json_string(c->rec.id));
	if (c->o->author)
		json_object_set_new(j, "author", json_string(c->o->author));
	else
		json_object_del(j, "author");
	if (!json_is_string(json_object_get(j, "architecture")))
		json_object_set_new(j, "architecture", json_string(pd_host_arch()));
	if (!json_is_string(json_object_get(j, "os")))
		json_object_set_new(j, "os", json_string("linux"));
	json_t *ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
	json_array_append_new(ids, json_string(c->layers[c->n_layers - 1].diff_id));
	json_t *hist = json_object_get(j, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(j, "history", hist);
	}
	_cleanup_free_ char *by = strv_join(c->cfg.argv, " ");
	json_t *h = json_pack("{s:s, s:s}", "created", created, "created_by", by ? by : "");
	if (c->o->author)
		json_object_set_new(h, "author", json_string(c->o->author));
	if (c->o->comment)
		json_object_set_new(h, "comment", json_string(c->o->comment));
	json_array_append_new(hist, h);
	return 0;
}

int pd_image_record(const char *root, const char *id, int64_t created_ns, const char *runtime_config,
		    struct pd_layer_rec *layers, size_t n_layers, const char *repo, const char *tag,
		    struct pd_err **err)
{
	uint64_t size = 0;
	for (size_t i = 0; i < n_layers; i++)
		size += layers[i].size;
	struct pd_image_rec img = {
		.id = (char *)id,
		.created_ns = created_ns,
		.size = size,
		.config = (char *)runtime_config,
		.layers = layers,
		.n_layers = n_layers,
	};
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s || pd_store_image_add(s, &img, repo, tag, NULL, err) < 0)
		return -1;
	return 0;
}

static int commit_record(struct commit *c, int64_t created_ns, char **id_out, struct pd_err **err)
{
	_cleanup_free_ char *repo = NULL, *tag = NULL;
	if (c->o->name && split_name(c->o->name, &repo, &tag, err) < 0)
		return -1;
	_cleanup_free_ char *body = json_dumps(c->config, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *rt = json_dumps(json_object_get(c->config, "config"), JSON_COMPACT);
	if (!body || !rt)
		abort();
	char id[PD_DIGEST_LEN + 1];
	const char *top = c->layers[c->n_layers - 1].digest;
	struct pd_idmap map;
	struct pd_cache_mode mode;
	pd_image_mode(geteuid() != 0, &map, &mode);
	if (pd_blob_put_mem(c->root, body, strlen(body), NULL, id, err) < 0 ||
	    pd_layer_extract(c->root, top, &mode, err) < 0)
		return -1;
	if (pd_image_record(c->root, id, created_ns, rt, c->layers, c->n_layers, repo, tag, err) < 0)
		return -1;
	*id_out = xstrdup(id);
	return 0;
}

int pd_container_commit(const char *root, const struct pd_commit_opts *o, char **id_out, struct pd_err **err)
{
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (pd_commit_change_check(o->changes[i], err) < 0)
			return -1;
	if (o->name) {
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		if (split_name(o->name, &repo, &tag, err) < 0)
			return -1;
	}
	_cleanup_(commit_free) struct commit c = { .root = root, .o = o };
	if (pd_container_lookup(root, o->ref, &c.rec, err) < 0 || pd_record_config(&c.rec, &c.cfg, err) < 0)
		return -1;
	if (c.rec.state == PD_STATE_CREATING || c.rec.state == PD_STATE_RESTARTING)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container %s is starting: try again once it runs",
				    o->ref);
	_cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", root, c.rec.id);
	if (!pd_is_dir(upper))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s has no file system (it never started)", c.rec.id);
	/* Held until the image is recorded: no rmi deletes its base. */
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	int64_t created = now_ns();
	if (commit_base(&c, err) < 0 || commit_upper(&c, err) < 0 || commit_config(&c, created, err) < 0 ||
	    commit_record(&c, created, id_out, err) < 0) {
		pd_err_prefix(err, "commit %s", o->ref);
		return -1;
	}
	pd_event_image(root, "commit", *id_out, o->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* export */

int pd_container_export(const char *root, const char *ref, int fd, struct pd_err **err)
{
	struct pd_copy_opts o = {
		.ref = ref,
		.container_path = "/.",
		.host_path = "-",
		.stream_fd = fd,
		.one_fs = true,
	};
	return pd_container_copy(root, &o, NULL, err);
}

/* ------------------------------------------------------------------ */
/* history */

void pd_history_free(struct pd_history *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].created_by);
		free(v[i].comment);
	}
	free(v);
}

static int64_t parse_created(const char *s)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return 0;
	int64_t ns = (int64_t)timegm(&tm) * 1000000000LL;
	if (*p == '.') {
		int64_t frac = 0, scale = 100000000LL;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
		ns += frac;
	}
	return ns;
}

/* A layer's size as Docker shows it in history: its files uncompressed
 * (regular files and symbolic links, each inode once; directories not
 * counted), measured on its extraction as `system df` does (usage.h): the
 * caller's mode's, else the other's.  Without a readable extraction, the
 * stored (compressed) size: SIZE is information only, and history must
 * not fail on a tree the caller cannot walk (a rootless extraction's
 * subordinate-owned directories). */
static uint64_t layer_size(const char *root, const struct pd_layer_rec *l)
{
	/* The caller's variants first: a root caller's, else a rootless
	 * one's (with a range, then without). */
	static const enum pd_layer_variant as_root[] = { PD_LAYER_ROOT, PD_LAYER_SUBIDS, PD_LAYER_ROOTLESS };
	static const enum pd_layer_variant as_user[] = { PD_LAYER_SUBIDS, PD_LAYER_ROOTLESS, PD_LAYER_ROOT };
	const enum pd_layer_variant *order = geteuid() == 0 ? as_root : as_user;
	for (int k = 0; k < PD_LAYER_N_VARIANTS; k++) {
		_cleanup_free_ char *p = pd_layer_path(root, l->digest, order[k]);
		uint64_t sz = 0;
		if (p && pd_is_dir(p) && pd_tree_size(p, &sz, pd_err_ignore(optional)) == 0)
			return sz;
	}
	return l->size;
}

int pd_image_history(const char *root, const char *name, struct pd_history **out, size_t *n,
		     struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	if (find_image(root, name, &img, err) < 0)
		return -1;
	_cleanup_json_ json_t *j = image_config_json(root, &img.rec, err);
	if (!j)
		return -1;
	json_t *hist = json_object_get(j, "history");
	size_t nh = json_is_array(hist) ? json_array_size(hist) : 0;
	/* Without a history, one line per layer. */
	size_t lines = nh ? nh : img.rec.n_layers;
	struct pd_history *v = xcalloc(lines ? lines : 1, sizeof(*v));
	size_t layer = 0;
	for (size_t i = 0; i < lines; i++) {
		json_t *h = nh ? json_array_get(hist, i) : NULL;
		struct pd_history *l = &v[lines - 1 - i];
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		l->created_ns =
		    h ? parse_created(json_string_value(json_object_get(h, "created"))) : img.rec.created_ns;
		l->created_by = xstrdup(json_string_value(json_object_get(h, "created_by")) ?: "");
		l->comment = xstrdup(json_string_value(json_object_get(h, "comment")) ?: "");
		if (!empty && layer < img.rec.n_layers)
			l->size = layer_size(root, &img.rec.layers[layer++]);
	}
	if (lines)
		v[0].id = xstrdup(img.rec.id);
	*out = v;
	*n = lines;
	return 0;
}

/* ------------------------------------------------------------------ */
/* save */

struct save {
	const char *root;
	int dirfd; /* the staging directory */
	json_t *manifest, *repos;
};

static int write_at(int dirfd, const char *name, const char *data, size_t len, struct pd_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || pd_write_all(fd, data, len) < 0)
		return pd_fail(err, errno, "write '%s'", name);
	return 0;
}

/* <diff hex>/layer.tar, the layer uncompressed, unless another image of
 * this save wrote it; its digest must be what the config says. */
static int save_layer(struct save *sv, const struct pd_layer_rec *l, const char *diff_id, struct pd_err **err)
{
	const char *hex = diff_id + 7;
	if (mkdirat(sv->dirfd, hex, 0755) < 0)
		return errno == EEXIST ? 0 : pd_fail(err, errno, "mkdir '%s'", hex);
	_cleanup_free_ char *rel = xasprintf("%s/layer.tar", hex);
	_cleanup_close_ int fd = openat(sv->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return pd_fail(err, errno, "write '%s'", rel);
	_cleanup_free_ char *blob = pd_blob_path(sv->root, l->digest);
	char got[PD_DIGEST_LEN + 1];
	if (pd_layer_uncompress(blob, fd, got, err) < 0)
		return -1;
	if (strcmp(got, diff_id))
		return pd_fail(err, 0, "layer %.19s: its tar is %.19s, not the config's %.19s", l->digest,
			       got, diff_id);
	_cleanup_free_ char *ver = xasprintf("%s/VERSION", hex);
	return write_at(sv->dirfd, ver, "1.0", 3, err);
}

static int save_one(struct save *sv, const char *name, struct pd_err **err)
{
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	if (find_image(sv->root, name, &img, err) < 0)
		return -1;
	_cleanup_json_ json_t *j = image_config_json(sv->root, &img.rec, err);
	if (!j)
		return -1;
	_cleanup_free_ char *body = json_dumps(j, JSON_COMPACT);
	struct pd_sha256 sha;
	if (!body || pd_sha256_init(&sha, err) < 0)
		return -1;
	char hex[PD_SHA256_HEX_LEN + 1];
	pd_sha256_update(&sha, body, strlen(body));
	pd_sha256_final(&sha, hex);
	_cleanup_free_ char *cfgname = xasprintf("%s.json", hex);
	struct stat st;
	if (fstatat(sv->dirfd, cfgname, &st, 0) < 0 &&
	    write_at(sv->dirfd, cfgname, body, strlen(body), err) < 0)
		return -1;
	json_t *ids = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
	json_t *layers = json_array();
	json_t *entry = json_pack("{s:s, s:[], s:o}", "Config", cfgname, "RepoTags", "Layers", layers);
	json_array_append_new(sv->manifest, entry);
	for (size_t i = 0; i < img.rec.n_layers; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || !pd_digest_valid(d))
			return pd_fail(err, 0, "image %.19s: its config has no diff_id for layer %zu",
				       img.rec.id, i);
		if (save_layer(sv, &img.rec.layers[i], d, err) < 0)
			return -1;
		json_array_append_new(layers, json_sprintf("%s/layer.tar", d + 7));
	}
	/* Saved under the name it was given by (a name without a tag is
	 * its "latest"); by id, under none. */
	const struct pd_image_name *nm = img.matched;
	if (nm) {
		_cleanup_free_ char *repo = pd_image_display_repo(nm->repo);
		const char *tag = *nm->tag ? nm->tag : "latest";
		_cleanup_free_ char *rt = xasprintf("%s:%s", repo, tag);
		json_array_append_new(json_object_get(entry, "RepoTags"), json_string(rt));
		json_t *r = pd_json_member_object(sv->repos, repo);
		json_object_set_new(r, tag, json_string(hex));
	}
	return 0;
}

static int save_staged(struct save *sv, char *const *names, int fd, struct pd_err **err)
{
	for (size_t i = 0; names[i]; i++)
		if (save_one(sv, names[i], err) < 0)
			return -1;
	_cleanup_free_ char *m = json_dumps(sv->manifest, JSON_COMPACT);
	_cleanup_free_ char *r = json_dumps(sv->repos, JSON_COMPACT);
	if (!m || !r)
		abort();
	if (write_at(sv->dirfd, "manifest.json", m, strlen(m), err) < 0 ||
	    write_at(sv->dirfd, "repositories", r, strlen(r), err) < 0)
		return -1;
	struct pd_tar_writer *w = pd_tar_writer_new(fd, err);
	if (!w)
		return -1;
	int ret = pd_tar_writer_add(w, sv->dirfd, "", true, err);
	if (pd_tar_writer_close(w, ret < 0 ? pd_err_ignore(cleanup) : err) < 0)
		ret = -1;
	return ret;
}

int pd_image_save(const char *root, char *const *names, int fd, struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	/* Shared: no rmi deletes a layer while it is read. */
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	_cleanup_free_ char *dir = xasprintf("%s/images/tmp/put-save-XXXXXX", root);
	if (!mkdtemp(dir))
		return pd_fail(err, errno, "create '%s'", dir);
	struct save sv = { .root = root, .manifest = json_array(), .repos = json_object() };
	sv.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ret = sv.dirfd < 0 ? pd_fail(err, errno, "open '%s'", dir) : save_staged(&sv, names, fd, err);
	if (sv.dirfd >= 0)
		close(sv.dirfd);
	json_decref(sv.manifest);
	json_decref(sv.repos);
	pd_rm_rf(dir, pd_err_ignore(cleanup));
	if (ret < 0)
		pd_err_prefix(err, "save");
	return ret;
}

/* ------------------------------------------------------------------ */
/* load */

/* stdin into a file under images/tmp, for the importer (which reads an
 * archive twice); unlinked before it is handed over as /proc/self/fd. */
static int stdin_file(const char *root, char **path, int *fd_out, struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = xasprintf("%s/images/tmp/put-load-XXXXXX", root);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "create '%s'", tmp);
	unlink(tmp);
	char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_fail(err, errno, "read stdin");
		if (n == 0)
			break;
		if (pd_write_all(fd, buf, (size_t)n) < 0)
			return pd_fail(err, errno, "write '%s'", tmp);
	}
	*path = xasprintf("/proc/self/fd/%d", fd);
	*fd_out = take_fd(&fd);
	return 0;
}

int pd_image_load(const char *root, const char *file, char ***names, char **id_out, struct pd_err **err)
{
	*names = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	if (!file || !strcmp(file, "-")) {
		if (stdin_file(root, &path, &fd, err) < 0)
			return -1;
		file = path;
	}
	enum pd_import_kind kind;
	struct stat st;
	if (stat(file, &st) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "load '%s'", file);
	if (pd_import_kind(file, &kind, err) < 0) {
		(*err)->kind = PD_ERR_USAGE;
		pd_err_prefix(err, "load");
		return -1;
	}
	if (kind == PD_IMPORT_ROOTFS)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "load '%s': not a docker-archive nor an oci-archive (a rootfs tarball is "
				    "imported with 'import')",
				    path ? "stdin" : file);
	if (pd_image_import(root, file, NULL, id_out, err) < 0)
		return -1;
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	if (find_image(root, *id_out, &img, err) < 0)
		return -1;
	for (size_t i = 0; i < img.rec.n_names; i++) {
		_cleanup_free_ char *repo = pd_image_display_repo(img.rec.names[i].repo);
		const char *tag = img.rec.names[i].tag;
		strv_push_take(names, *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* image prune */

/* The ids of images some container (any state) was made from. */
static int used_ids(const char *root, char ***ids, struct pd_err **err)
{
	struct pd_record *r = NULL;
	size_t n = 0;
	*ids = xcalloc(1, sizeof(char *));
	if (pd_container_list(root, PD_LIST_ALL, NULL, &r, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *j = r[i].config ? json_loads(r[i].config, 0, NULL) : NULL;
		const char *id = json_string_value(json_object_get(j, "ImageID"));
		if (id)
			strv_push(ids, id);
		if (j)
			json_decref(j);
	}
	pd_records_free(r, n);
	return 0;
}

static bool in_strv(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

int pd_image_prune(const char *root, bool all, char ***report, uint64_t *reclaimed, struct pd_err **err)
{
	*reclaimed = 0;
	_cleanup_strv_ char **used = NULL;
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	if (used_ids(root, &used, err) < 0 || pd_image_list(root, &v, &n, err) < 0)
		return -1;
	int ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++) {
		if ((!all && v[i].n_names) || in_strv(used, v[i].id))
			continue;
		_cleanup_strv_ char **steps = xcalloc(1, sizeof(char *));
		ret = pd_image_remove(root, v[i].id, false, &steps, err);
		for (size_t k = 0; steps[k]; k++) {
			/* Docker's prune report is in lower case. */
			char *line = xstrdup(steps[k]);
			line[0] = (char)(line[0] >= 'A' && line[0] <= 'Z' ? line[0] + 32 : line[0]);
			strv_push_take(report, line);
		}
		if (ret == 0)
			*reclaimed += v[i].size;
	}
	pd_image_recs_free(v, n);
	return ret;
}
