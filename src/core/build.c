/* `build`: a Dockerfile's stages run step by step into images.
 *
 * Runs in the CLI, as root (rootless where every step allows it: a RUN is
 * then a rootless container).  Each stage starts from its FROM (an image
 * here, one pulled, `scratch`, or an earlier stage's result) and each step
 * makes the next state: an image config document (the OCI config: the
 * runtime "config", rootfs.diff_ids, history) and its layer list.  A step
 * that changes the image records the new state as an image without a
 * name, the way Docker's builder keeps its intermediate images, and keys
 * it in the layer cache: <root>/build-cache/<key> holds the image id,
 * written by rename.  The key is the digest of the parent image's id, the
 * instruction's text, the build arguments in force and, for COPY and ADD,
 * the checksum of every file read (name, mode, owner, content): a hit
 * needs the very same parent, so after the first miss every later step of
 * the stage runs again, as with Docker.
 *
 * RUN is a container of ours (core/container.h: the same namespaces,
 * capabilities, seccomp and cgroup as `run`; bridge networking unless
 * --network says otherwise) on the current image; its overlay upper
 * directory becomes the layer as `commit` writes it (whiteouts converted,
 * the runtime's /etc files left out), and the container is removed, on
 * failure too.  COPY and ADD build their layer in a staging directory
 * under <root>/build-tmp (core/build-copy.c), removed after each step.
 *
 * Threats: the Dockerfile and the context are untrusted.  COPY never reads
 * outside the context (see build-copy.c); a RUN step is confined as any
 * container is; names and texts from the Dockerfile reach the screen only
 * through the CLI, which escapes them. */
#include "core/build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/build-internal.h"
#include "core/config.h"
#include "core/container.h"
#include "core/image-share.h"
#include "core/images.h"
#include "core/store-images.h"
#include "image/archive.h"
#include "image/blobs.h"
#include "image/dockerfile.h"
#include "image/fetch.h"
#include "image/layers.h"
#include "image/layerwrite.h"
#include "image/manifest.h"
#include "util/json.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* One stage's state as its steps run. */
struct state {
	json_t *doc; /* the image config document */
	struct pd_layer_rec *layers;
	size_t n_layers;
	char *id;	/* the image this state is recorded as; NULL: not yet */
	char **args;	/* ARG values in force, "K=V" */
	bool cmd_set;	/* a CMD in this stage (ENTRYPOINT then keeps it) */
	bool from_miss; /* a step of this stage missed the cache */
};

struct build {
	const char *root;
	const struct pd_build_opts *o;
	struct pd_dockerfile df;
	bool df_parsed;
	int ctxfd;
	struct pd_ignore *ig;
	char **meta_args; /* the ARGs before the first FROM, resolved */
	char **stage_ids; /* each stage's image once built (index = stage) */
	bool *needed;
	unsigned step, n_steps;
	bool rootless;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char *rfc3339_now(void)
{
	int64_t ns = now_ns();
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000LL));
}

static void say(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct build *b, const char *fmt, ...)
{
	if (!b->o->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	b->o->progress(line, b->o->progress_data);
	free(line);
}

static void state_clear(struct state *s)
{
	if (s->doc)
		json_decref(s->doc);
	for (size_t i = 0; i < s->n_layers; i++) {
		free(s->layers[i].digest);
		free(s->layers[i].diff_id);
	}
	free(s->layers);
	free(s->id);
	strv_free(s->args);
	*s = (struct state){ 0 };
}

static void add_layer(struct state *s, const char *digest, const char *diff_id, uint64_t size)
{
	s->layers = xrealloc(s->layers, (s->n_layers + 1) * sizeof(*s->layers));
	s->layers[s->n_layers++] =
	    (struct pd_layer_rec){ .digest = xstrdup(digest), .diff_id = xstrdup(diff_id), .size = size };
}

static json_t *rt_of(struct state *s)
{
	json_t *rt = json_object_get(s->doc, "config");
	if (!json_is_object(rt)) {
		rt = json_object();
		json_object_set_new(s->doc, "config", rt);
	}
	return rt;
}

/* ------------------------------------------------------------------ */
/* Variables. */

/* The predefined ARGs (Docker's automatic platform ARGs). */
static char **predefined_args(void)
{
	char **v = xcalloc(1, sizeof(char *));
	const char *arch = pd_host_arch();
	strv_push_take(&v, xasprintf("TARGETPLATFORM=linux/%s", arch));
	strv_push(&v, "TARGETOS=linux");
	strv_push_take(&v, xasprintf("TARGETARCH=%s", arch));
	strv_push(&v, "TARGETVARIANT=");
	strv_push_take(&v, xasprintf("BUILDPLATFORM=linux/%s", arch));
	strv_push(&v, "BUILDOS=linux");
	strv_push_take(&v, xasprintf("BUILDARCH=%s", arch));
	strv_push(&v, "BUILDVARIANT=");
	return v;
}

static const char *kv_get(char *const *v, const char *key)
{
	size_t k = strlen(key);
	const char *found = NULL;
	for (size_t i = 0; v && v[i]; i++)
		if (!strncmp(v[i], key, k) && v[i][k] == '=')
			found = v[i] + k + 1;
	return found;
}

static void kv_set(char ***v, const char *key, const char *value)
{
	size_t k = strlen(key);
	for (size_t i = 0; (*v)[i]; i++)
		if (!strncmp((*v)[i], key, k) && (*v)[i][k] == '=') {
			free((*v)[i]);
			(*v)[i] = xasprintf("%s=%s", key, value);
			return;
		}
	strv_push_take(v, xasprintf("%s=%s", key, value));
}

/* --build-arg K=V, or K alone: from our environment. */
static const char *build_arg(struct build *b, const char *key)
{
	size_t k = strlen(key);
	const char *found = NULL;
	for (size_t i = 0; b->o->build_args && b->o->build_args[i]; i++) {
		const char *a = b->o->build_args[i];
		if (!strncmp(a, key, k) && a[k] == '=')
			found = a + k + 1;
		else if (!strcmp(a, key))
			found = getenv(key);
	}
	return found;
}

/* Resolve ARG "NAME[=DEFAULT]" into *args; `env` expands the default. */
static int declare_arg(struct build *b, const char *decl, const char *raw, char ***args, char *const *env,
		       bool meta, struct pd_err **err)
{
	_cleanup_free_ char *name = xstrndup(decl, strcspn(decl, "="));
	const char *def = strchr(decl, '=');
	const char *given = build_arg(b, name);
	_cleanup_free_ char *expanded = NULL;
	if (!given && def) {
		const char *rdef = raw ? strchr(raw, '=') : NULL;
		expanded = rdef ? pd_df_expand_word(rdef + 1, env, b->df.escape, err)
				: pd_df_expand(def + 1, env, b->df.escape, err);
		if (!expanded)
			return -1;
		given = expanded;
	}
	if (!given && !meta)
		given = kv_get(b->meta_args, name);
	_cleanup_strv_ char **pre = predefined_args();
	if (!given)
		given = kv_get(pre, name);
	if (given)
		kv_set(args, name, given);
	return 0;
}

/* The variables an instruction's words expand with: ARGs, then the
 * image's Env (ENV wins over an ARG of the same name). */
static char **expand_env(struct state *s)
{
	char **v = strv_copy(s->args);
	json_t *env = json_object_get(rt_of(s), "Env");
	size_t i;
	json_t *e;
	json_array_foreach(env, i, e) if (json_is_string(e)) strv_push(&v, json_string_value(e));
	return v;
}

static char *expand(struct build *b, struct state *s, const char *word, struct pd_err **err)
{
	_cleanup_strv_ char **env = expand_env(s);
	return pd_df_expand(word, env, b->df.escape, err);
}

/* ------------------------------------------------------------------ */
/* States: loading an image, recording one, the cache. */

static int state_from_found(struct build *b, struct state *s, const struct pd_image *found,
			    struct pd_err **err);

static int state_from_image(struct build *b, struct state *s, const char *name, struct pd_err **err)
{
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	int f = pd_image_find(b->root, name, &img, err);
	if (f < 0)
		return -1;
	if (f == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: '%s'", name);
	return state_from_found(b, s, &img, err);
}

/* The state of image `found`: its config document and layers. */
/* <root>/NAME, made when missing and (under sudo) handed to the invoking
 * user as the rest of the state root is; caller frees. */
static char *state_subdir(struct build *b, const char *name, struct pd_err **err)
{
	char *p = xasprintf("%s/%s", b->root, name);
	if (mkdir(p, 0700) == 0) {
		pd_chown_to_invoker(p);
	} else if (errno != EEXIST) {
		pd_fail(err, errno, "create '%s'", p);
		free(p);
		return NULL;
	}
	return p;
}

/* A cache file (under build-cache/), written by rename. */
static int cache_write(struct build *b, const char *path, const char *text, struct pd_err **err)
{
	_cleanup_free_ char *dir = state_subdir(b, "build-cache", err);
	if (!dir || pd_write_file_atomic(path, text, strlen(text), 0600, err) < 0)
		return -1;
	pd_chown_to_invoker(path);
	return 0;
}

/* An imported rootfs tarball is an image of one layer, its id the
 * tarball's digest, without a config blob. */
static bool is_tarball_image(const struct pd_image_rec *r)
{
	return r->n_layers == 1 && !strcmp(r->layers[0].digest, r->id);
}

/* The diff_id of a rootfs tarball's layer: its own digest when the blob is
 * an uncompressed tar; else its tar's digest, computed once and kept in
 * build-cache/diff-<hex> (a 263 MB compiler image would otherwise be read
 * in full by every build that starts from it). */
static char *tarball_diff_id(struct build *b, const char *digest, struct pd_err **err)
{
	_cleanup_free_ char *blob = pd_blob_path(b->root, digest);
	_cleanup_close_ int fd = blob ? open(blob, O_RDONLY | O_CLOEXEC) : -1;
	unsigned char magic[6] = { 0 };
	if (fd < 0)
		return pd_fail(err, errno, "open the blob of %.19s", digest), NULL;
	ssize_t n = pread(fd, magic, sizeof(magic), 0);
	bool compressed = n >= 2 && ((magic[0] == 0x1f && magic[1] == 0x8b) || !memcmp(magic, "BZh", 3) ||
				     !memcmp(magic, "\x28\xb5\x2f\xfd", 4) ||
				     !memcmp(magic,
					     "\xfd"
					     "7zXZ",
					     6));
	if (!compressed)
		return xstrdup(digest);
	_cleanup_free_ char *cached = xasprintf("%s/build-cache/diff-%s", b->root, digest + 7);
	_cleanup_err_ struct pd_err *none = NULL;
	size_t len;
	char *have = pd_read_file(cached, &len, &none);
	if (have && pd_digest_valid(have))
		return have;
	free(have);
	char diff_id[PD_DIGEST_LEN + 1];
	if (pd_layer_uncompress(blob, -1, diff_id, err) < 0)
		return NULL;
	if (cache_write(b, cached, diff_id, err) < 0)
		return NULL;
	return xstrdup(diff_id);
}

/* A config document for a rootfs tarball's image (as image-share.c makes
 * one), its runtime config the record's. */
static char *tarball_config_text(struct build *b, const struct pd_image_rec *r, struct pd_err **err)
{
	_cleanup_free_ char *diff_id = tarball_diff_id(b, r->layers[0].digest, err);
	if (!diff_id)
		return NULL;
	_cleanup_json_ json_t *rt = r->config ? json_loads(r->config, 0, NULL) : NULL;
	_cleanup_json_ json_t *doc =
	    json_pack("{s:s, s:s, s:O?, s:{s:s, s:[s]}, s:[{s:s}]}", "architecture", pd_host_arch(), "os",
		      "linux", "config", json_is_object(rt) ? rt : NULL, "rootfs", "type", "layers",
		      "diff_ids", diff_id, "history", "created_by", "pocket-docker import");
	if (!doc)
		return pd_fail(err, 0, "image %.19s: its config", r->id), NULL;
	char *out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!out)
		abort();
	return out;
}

static int state_from_found(struct build *b, struct state *s, const struct pd_image *found,
			    struct pd_err **err)
{
	const struct pd_image img = *found;
	_cleanup_free_ char *text = is_tarball_image(&img.rec) ? tarball_config_text(b, &img.rec, err)
							       : pd_image_config_text(b->root, &img.rec, err);
	if (!text)
		return -1;
	json_t *doc = json_loads(text, 0, NULL);
	if (!json_is_object(doc)) {
		if (doc)
			json_decref(doc);
		return pd_fail(err, 0, "image %.19s: its config is not a JSON object", img.rec.id);
	}
	json_t *ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	if (s->doc)
		json_decref(s->doc);
	s->doc = doc;
	for (size_t i = 0; i < s->n_layers; i++) {
		free(s->layers[i].digest);
		free(s->layers[i].diff_id);
	}
	s->n_layers = 0;
	for (size_t i = 0; i < img.rec.n_layers; i++)
		add_layer(s, img.rec.layers[i].digest, json_string_value(json_array_get(ids, i)) ?: "",
			  img.rec.layers[i].size);
	free(s->id);
	s->id = xstrdup(img.rec.id);
	return 0;
}

static void state_scratch(struct state *s)
{
	_cleanup_free_ char *created = rfc3339_now();
	s->doc = json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "created", created, "architecture",
			   pd_host_arch(), "os", "linux", "config", "rootfs", "type", "layers", "diff_ids",
			   "history");
}

/* The cache key of a step on state `s`: parent, text, args, extra. */
static void cache_key(struct state *s, const char *text, const char *extra, char out[PD_SHA256_HEX_LEN + 1])
{
	struct pd_sha256 sha;
	if (pd_sha256_init(&sha, pd_err_ignore(constant)) < 0)
		abort(); /* nettle loaded already: the blobs need it */
	const char *parent = s->id ? s->id : "scratch";
	pd_sha256_update(&sha, "pocket-docker build 1\n", 22);
	pd_sha256_update(&sha, parent, strlen(parent) + 1);
	pd_sha256_update(&sha, text, strlen(text) + 1);
	for (size_t i = 0; s->args && s->args[i]; i++)
		pd_sha256_update(&sha, s->args[i], strlen(s->args[i]) + 1);
	if (extra)
		pd_sha256_update(&sha, extra, strlen(extra) + 1);
	pd_sha256_final(&sha, out);
}

static char *cache_path(struct build *b, const char *key)
{
	return xasprintf("%s/build-cache/%s", b->root, key);
}

/* A hit loads the cached image into `s` and returns 1; a miss 0. */
static int cache_lookup(struct build *b, struct state *s, const char *key, struct pd_err **err)
{
	if (b->o->no_cache || s->from_miss)
		return 0;
	_cleanup_free_ char *path = cache_path(b, key);
	_cleanup_err_ struct pd_err *none = NULL;
	size_t len;
	_cleanup_free_ char *id = pd_read_file(path, &len, &none);
	if (!id || !pd_digest_valid(id))
		return 0;
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	int f = pd_image_find(b->root, id, &img, err);
	if (f != 0)
		return f < 0 ? -1 : 0; /* removed since: a miss */
	if (state_from_found(b, s, &img, err) < 0)
		return -1;
	say(b, " ---> Using cache %.19s", id);
	return 1;
}

/* Record state `s` (after one more history entry) as an image, and key it
 * in the cache under `key`. */
static int state_record(struct build *b, struct state *s, const char *created_by, bool empty_layer,
			const char *key, struct pd_err **err)
{
	_cleanup_free_ char *created = rfc3339_now();
	json_object_set_new(s->doc, "created", json_string(created));
	json_t *hist = json_object_get(s->doc, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(s->doc, "history", hist);
	}
	json_t *h = json_pack("{s:s, s:s, s:s}", "created", created, "created_by", created_by, "comment",
			      "pocket-docker build");
	if (empty_layer)
		json_object_set_new(h, "empty_layer", json_true());
	json_array_append_new(hist, h);
	json_t *rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
	for (size_t i = 0; i < s->n_layers; i++)
		json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(s->layers[i].diff_id));
	json_object_set_new(s->doc, "rootfs", rootfs);
	_cleanup_free_ char *body = json_dumps(s->doc, JSON_COMPACT | JSON_SORT_KEYS);
	_cleanup_free_ char *rt = json_dumps(rt_of(s), JSON_COMPACT | JSON_SORT_KEYS);
	if (!body || !rt)
		abort();
	char id[PD_DIGEST_LEN + 1];
	_cleanup_close_ int lock = pd_images_lock(b->root, false, err);
	if (lock < 0 || pd_blob_put_mem(b->root, body, strlen(body), NULL, id, err) < 0)
		return -1;
	if (pd_image_record(b->root, id, now_ns(), rt, s->layers, s->n_layers, NULL, NULL, err) < 0)
		return -1;
	free(s->id);
	s->id = xstrdup(id);
	_cleanup_free_ char *path = cache_path(b, key);
	if (cache_write(b, path, id, err) < 0)
		return -1;
	say(b, " ---> %.19s", id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* FROM */

static int stage_index(struct build *b, const char *name, unsigned before)
{
	for (unsigned i = 0; i < before && i < b->df.n_stages; i++)
		if (b->df.stages[i].name && !strcasecmp(b->df.stages[i].name, name))
			return (int)i;
	char *end;
	unsigned long n = strtoul(name, &end, 10);
	if (*name && !*end && n < before)
		return (int)n;
	return -1;
}

static int pull_base(struct build *b, const char *name, struct pd_err **err)
{
	say(b, "Pulling %s", name);
	struct pd_pull_opts po = { 0 };
	_cleanup_free_ char *got = NULL;
	bool up_to_date = false;
	return pd_image_pull(b->root, name, &po, &got, &up_to_date, err);
}

/* An image named by FROM or COPY --from: here, or pulled. */
static int image_base(struct build *b, const char *name, struct pd_image *img, struct pd_err **err)
{
	int f = b->o->pull ? 1 : pd_image_find(b->root, name, img, err);
	if (f < 0)
		return -1;
	if (f == 1) {
		if (pull_base(b, name, err) < 0)
			return -1;
		f = pd_image_find(b->root, name, img, err);
		if (f < 0)
			return -1;
		if (f == 1)
			return pd_fail(err, 0, "pulled '%s' but cannot find it", name);
	}
	return 0;
}

static int run_onbuild(struct build *b, struct state *s, unsigned si, struct pd_err **err);

static int do_from(struct build *b, struct state *s, unsigned si, struct pd_err **err)
{
	const struct pd_df_stage *st = &b->df.stages[si];
	_cleanup_free_ char *base = pd_df_expand(st->base, b->meta_args, b->df.escape, err);
	if (!base)
		return -1;
	say(b, "STEP %u/%u: FROM %s%s%s", ++b->step, b->n_steps, base, st->name ? " AS " : "",
	    st->name ? st->name : "");
	if (!strcmp(base, "scratch")) {
		state_scratch(s);
		return 0;
	}
	int k = stage_index(b, base, si);
	if (k >= 0) {
		if (!b->stage_ids[k])
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "stage '%s' was not built", base);
		return state_from_image(b, s, b->stage_ids[k], err);
	}
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	if (image_base(b, base, &img, err) < 0 || state_from_image(b, s, img.rec.id, err) < 0)
		return -1;
	return run_onbuild(b, s, si, err);
}

/* ------------------------------------------------------------------ */
/* Metadata steps. */

/* SHELL, or /bin/sh -c. */
static char **shell_of(struct state *s)
{
	json_t *sh = json_object_get(rt_of(s), "Shell");
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *e;
	json_array_foreach(sh, i, e) if (json_is_string(e)) strv_push(&v, json_string_value(e));
	if (!v[0]) {
		strv_push(&v, "/bin/sh");
		strv_push(&v, "-c");
	}
	return v;
}

/* CMD, ENTRYPOINT, HEALTHCHECK CMD: the exec form, or SHELL + the line. */
static json_t *command_json(struct state *s, const struct pd_df_instr *in, char *const *args)
{
	if (in->json)
		return pd_json_strv(args);
	_cleanup_strv_ char **v = shell_of(s);
	_cleanup_free_ char *line = strv_join(args, " ");
	strv_push(&v, line);
	return pd_json_strv(v);
}

static int env_set(json_t *rt, const char *kv)
{
	json_t *env = json_object_get(rt, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(rt, "Env", env);
	}
	size_t klen = strcspn(kv, "=");
	size_t i;
	json_t *v;
	json_array_foreach(env, i, v)
	{
		const char *e = json_string_value(v);
		if (e && !strncmp(e, kv, klen) && e[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return 0;
		}
	}
	json_array_append_new(env, json_string(kv));
	return 0;
}

static const char *flag_value(const struct pd_df_instr *in, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; in->flags && in->flags[i]; i++)
		if (!strncmp(in->flags[i], "--", 2) && !strncmp(in->flags[i] + 2, name, n) &&
		    in->flags[i][2 + n] == '=')
			return in->flags[i] + 3 + n;
	return NULL;
}

static int check_flags(const struct pd_df_instr *in, const char *const *known, struct pd_err **err)
{
	for (size_t i = 0; in->flags && in->flags[i]; i++) {
		bool ok = false;
		for (size_t k = 0; known && known[k]; k++) {
			size_t n = strlen(known[k]);
			ok = ok || (!strncmp(in->flags[i] + 2, known[k], n) &&
				    (in->flags[i][2 + n] == '=' || !in->flags[i][2 + n]));
		}
		if (!ok)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: unknown flag: %s", in->line,
					    in->flags[i]);
	}
	return 0;
}

static int duration_ns(const struct pd_df_instr *in, const char *name, json_t *hc, const char *key,
		       struct pd_err **err)
{
	const char *v = flag_value(in, name);
	if (!v)
		return 0;
	uint64_t ms;
	if (pd_parse_duration_ms(v, &ms, err) < 0) {
		(*err)->kind = PD_ERR_USAGE;
		pd_err_prefix(err, "line %u: --%s", in->line, name);
		return -1;
	}
	json_object_set_new(hc, key, json_integer((json_int_t)(ms * 1000000ULL)));
	return 0;
}

static int healthcheck(struct state *s, const struct pd_df_instr *in, char *const *args, struct pd_err **err)
{
	static const char *const known[] = { "interval",       "timeout", "start-period",
					     "start-interval", "retries", NULL };
	if (check_flags(in, known, err) < 0)
		return -1;
	json_t *rt = rt_of(s);
	if (args[0] && !strcasecmp(args[0], "NONE")) {
		json_object_set_new(rt, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
		return 0;
	}
	if (!args[0] || strcasecmp(args[0], "CMD") || !args[1])
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: HEALTHCHECK needs NONE or CMD command",
				    in->line);
	json_t *test;
	if (in->json) {
		test = pd_json_strv(args + 1);
		json_array_insert_new(test, 0, json_string("CMD"));
	} else {
		_cleanup_free_ char *line = strv_join(args + 1, " ");
		test = json_pack("[s, s]", "CMD-SHELL", line);
	}
	_cleanup_json_ json_t *hc = json_pack("{s:o}", "Test", test);
	if (duration_ns(in, "interval", hc, "Interval", err) < 0 ||
	    duration_ns(in, "timeout", hc, "Timeout", err) < 0 ||
	    duration_ns(in, "start-period", hc, "StartPeriod", err) < 0 ||
	    duration_ns(in, "start-interval", hc, "StartInterval", err) < 0)
		return -1;
	const char *r = flag_value(in, "retries");
	if (r) {
		uint64_t n;
		if (pd_parse_uint(r, 1000000, &n, err) < 0)
			return -1;
		json_object_set_new(hc, "Retries", json_integer((json_int_t)n));
	}
	json_object_set(rt, "Healthcheck", hc);
	return 0;
}

/* The instruction's words, expanded and split (exec forms are not
 * expanded: Docker's rule). */
static char **expanded_words(struct build *b, struct state *s, const struct pd_df_instr *in,
			     struct pd_err **err)
{
	_cleanup_strv_ char **out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; in->args && in->args[i]; i++) {
		if (in->json) {
			strv_push(&out, in->args[i]);
			continue;
		}
		_cleanup_free_ char *e = expand(b, s, in->args[i], err);
		if (!e)
			return NULL;
		_cleanup_strv_ char **w = pd_df_words(e, b->df.escape, err);
		if (!w)
			return NULL;
		for (size_t k = 0; w[k]; k++)
			strv_push(&out, w[k]);
	}
	return take_ptr(&out);
}

/* ENV and LABEL: "KEY=VALUE" with each raw value through Docker's word
 * processing (its quotes decide what expands). */
static char **expanded_pairs(struct build *b, struct state *s, const struct pd_df_instr *in,
			     struct pd_err **err)
{
	_cleanup_strv_ char **out = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **env = expand_env(s);
	for (size_t i = 0; in->args && in->args[i]; i++) {
		const char *raw = in->raw && in->raw[i] ? in->raw[i] : in->args[i];
		const char *eq = strchr(raw, '=');
		_cleanup_free_ char *key = xstrndup(in->args[i], strcspn(in->args[i], "="));
		_cleanup_free_ char *v = pd_df_expand_word(eq ? eq + 1 : "", env, b->df.escape, err);
		if (!v)
			return NULL;
		strv_push_take(&out, xasprintf("%s=%s", key, v));
	}
	return take_ptr(&out);
}

/* WORKDIR, USER, STOPSIGNAL, MAINTAINER: the whole rest as one word. */
static char **whole_word(struct build *b, struct state *s, const struct pd_df_instr *in, struct pd_err **err)
{
	char **out = xcalloc(1, sizeof(char *));
	if (!in->rest || !*in->rest)
		return out;
	_cleanup_strv_ char **env = expand_env(s);
	char *v = pd_df_expand_word(in->rest, env, b->df.escape, err);
	if (!v) {
		strv_free(out);
		return NULL;
	}
	strv_push_take(&out, v);
	return out;
}

static char *join_path(const char *base, const char *p)
{
	_cleanup_free_ char *full = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", base ? base : "/", p);
	_cleanup_free_ char *rel = build_clean_abs(full);
	return xasprintf("/%s", rel);
}

static int metadata(struct build *b, struct state *s, const struct pd_df_instr *in, struct pd_err **err)
{
	json_t *rt = rt_of(s);
	_cleanup_strv_ char **w = NULL;
	switch (in->kind) {
	case PD_DF_CMD:
	case PD_DF_ENTRYPOINT:
	case PD_DF_ONBUILD:
	case PD_DF_HEALTHCHECK: w = strv_copy(in->args); break;
	case PD_DF_ENV:
	case PD_DF_LABEL: w = expanded_pairs(b, s, in, err); break;
	case PD_DF_WORKDIR:
	case PD_DF_USER:
	case PD_DF_STOPSIGNAL:
	case PD_DF_MAINTAINER: w = whole_word(b, s, in, err); break;
	default: w = expanded_words(b, s, in, err);
	}
	if (!w)
		return -1;
	if (in->kind != PD_DF_HEALTHCHECK && check_flags(in, NULL, err) < 0)
		return -1;
	if (!w[0] && in->kind != PD_DF_CMD && in->kind != PD_DF_ENTRYPOINT)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: %s needs an argument", in->line,
				    in->text);
	switch (in->kind) {
	case PD_DF_ENV:
		for (size_t i = 0; w[i]; i++)
			env_set(rt, w[i]);
		return 0;
	case PD_DF_LABEL:
		for (size_t i = 0; w[i]; i++) {
			_cleanup_free_ char *k = xstrndup(w[i], strcspn(w[i], "="));
			const char *eq = strchr(w[i], '=');
			json_object_set_new(pd_json_member_object(rt, "Labels"), k,
					    json_string(eq ? eq + 1 : ""));
		}
		return 0;
	case PD_DF_WORKDIR: {
		_cleanup_free_ char *p =
		    join_path(json_string_value(json_object_get(rt, "WorkingDir")), w[0]);
		json_object_set_new(rt, "WorkingDir", json_string(p));
		return 0;
	}
	case PD_DF_USER: json_object_set_new(rt, "User", json_string(w[0])); return 0;
	case PD_DF_CMD:
		json_object_set_new(rt, "Cmd", command_json(s, in, w));
		s->cmd_set = true;
		return 0;
	case PD_DF_ENTRYPOINT:
		json_object_set_new(rt, "Entrypoint", command_json(s, in, w));
		if (!s->cmd_set)
			json_object_set_new(rt, "Cmd", json_null());
		return 0;
	case PD_DF_EXPOSE:
		for (size_t i = 0; w[i]; i++) {
			_cleanup_free_ char *k =
			    strchr(w[i], '/') ? xstrdup(w[i]) : xasprintf("%s/tcp", w[i]);
			json_object_set_new(pd_json_member_object(rt, "ExposedPorts"), k, json_object());
		}
		return 0;
	case PD_DF_VOLUME:
		for (size_t i = 0; w[i]; i++)
			json_object_set_new(pd_json_member_object(rt, "Volumes"), w[i], json_object());
		return 0;
	case PD_DF_SHELL:
		if (!in->json)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: SHELL needs a JSON array",
					    in->line);
		json_object_set_new(rt, "Shell", pd_json_strv(w));
		return 0;
	case PD_DF_STOPSIGNAL: json_object_set_new(rt, "StopSignal", json_string(w[0])); return 0;
	case PD_DF_HEALTHCHECK: return healthcheck(s, in, w, err);
	case PD_DF_ONBUILD: {
		json_t *ob = json_object_get(rt, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(rt, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(w[0]));
		return 0;
	}
	case PD_DF_MAINTAINER: {
		_cleanup_free_ char *who = strv_join(w, " ");
		json_object_set_new(s->doc, "author", json_string(who));
		return 0;
	}
	default: return pd_fail(err, 0, "line %u: not a metadata instruction", in->line);
	}
}

/* ------------------------------------------------------------------ */
/* RUN */

static bool only_heredoc(const char *line)
{
	const char *p = line + strspn(line, " \t");
	if (strncmp(p, "<<", 2))
		return false;
	p += 2 + (p[2] == '-');
	p += strspn(p, "\"'");
	p += strcspn(p, "\"' \t");
	p += strspn(p, "\"'");
	return !*(p + strspn(p, " \t"));
}

/* The RUN's argv: the exec form; SHELL + the line (heredocs appended, as
 * the shell reads them); or SHELL + a heredoc body alone (RUN <<EOF). */
static char **run_argv(struct state *s, const struct pd_df_instr *in)
{
	if (in->json)
		return strv_copy(in->args);
	char **v = shell_of(s);
	const char *line = in->args && in->args[0] ? in->args[0] : "";
	if (in->n_heredocs == 1 && only_heredoc(line)) {
		strv_push(&v, in->heredocs[0].body);
		return v;
	}
	_cleanup_free_ char *script = xstrdup(line);
	for (size_t i = 0; i < in->n_heredocs; i++) {
		char *next = xasprintf("%s\n%s%s", script, in->heredocs[i].body, in->heredocs[i].name);
		free(script);
		script = next;
	}
	strv_push(&v, script);
	return v;
}

/* RUN --network=, else build --network, else bridge (as Docker's
 * builder: RUN steps reach the network). */
static int net_mode(const char *step, const char *build, struct pd_netcfg *n, struct pd_err **err)
{
	const char *m = step ? step : build ? build : "bridge";
	if (strcmp(m, "none") && strcmp(m, "host") && strcmp(m, "bridge") && strcmp(m, "default"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "network '%s': give none, host or bridge", m);
	return pd_netcfg_set_mode(n, !strcmp(m, "default") ? "bridge" : m, err);
}

/* Run `argv` as a container on image s->id; the exit status in *code. */
static int run_container(struct build *b, struct state *s, char **argv, char *const *extra_env,
			 const char *network, struct pd_config *c, int *code, struct pd_err **err)
{
	json_t *rt = rt_of(s);
	c->rootfs_arg = xstrdup(s->id);
	c->image_id = xstrdup(s->id);
	c->argv = strv_copy(argv);
	c->env = xcalloc(1, sizeof(char *));
	json_t *env = json_object_get(rt, "Env");
	size_t i;
	json_t *e;
	json_array_foreach(env, i, e) if (json_is_string(e)) strv_push(&c->env, json_string_value(e));
	for (size_t k = 0; extra_env && extra_env[k]; k++) {
		_cleanup_free_ char *key = xstrndup(extra_env[k], strcspn(extra_env[k], "="));
		if (!pd_env_get(c->env, key))
			strv_push(&c->env, extra_env[k]);
	}
	const char *wd = json_string_value(json_object_get(rt, "WorkingDir"));
	if (wd && *wd)
		c->workdir = xstrdup(wd);
	const char *user = json_string_value(json_object_get(rt, "User"));
	if (user && *user)
		c->user = xstrdup(user);
	if (net_mode(network, b->o->network, &c->net, err) < 0 || pd_config_new_id(c, err) < 0)
		return -1;
	pd_config_defaults(c);
	if (pd_netcfg_finish(&c->net, err) < 0)
		return -1;
	int attach_fd = -1;
	pid_t pid = 0;
	if (pd_container_start(c, b->root, false, NULL, &attach_fd, &pid, err) < 0)
		return -1;
	struct pd_attach_opts ao = { 0 };
	int r = pd_container_attach(attach_fd, pid, &ao, code, err);
	close(attach_fd);
	if (r < 0)
		return -1;
	/* The monitor records the exit and ends; wait for it, so that the
	 * container is removable and its mounts are gone. */
	int again;
	return pd_container_wait(b->root, c->id, &again, err);
}

/* Files the runtime writes into every container (left out of a layer). */
static const char *const runtime_files[] = { "etc/hostname", "etc/hosts", "etc/resolv.conf", NULL };

static bool is_runtime_file(const char *rel)
{
	for (size_t i = 0; runtime_files[i]; i++)
		if (!strcmp(rel, runtime_files[i]))
			return true;
	return false;
}

/* Whether the upper directory `upfd` (at `rel`) holds nothing a layer
 * would keep: only directories the image has already, with the same
 * owner and mode (copied up on the way to a file the runtime writes), and
 * the runtime's files.  Such a RUN adds no layer, as with BuildKit (and
 * two identical layers would stack one directory twice, which overlayfs
 * refuses). */
static bool upper_unchanged(int upfd, const char *rel, char *const *lowers, int depth)
{
	if (depth > 64)
		return false;
	int rd = openat(upfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = rd < 0 ? NULL : fdopendir(rd);
	if (!d) {
		if (rd >= 0)
			close(rd);
		return false;
	}
	bool same = true;
	struct dirent *e;
	while (same && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *crel = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		if (is_runtime_file(crel))
			continue;
		struct stat st, lst;
		_cleanup_close_ int cfd =
		    openat(upfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char x;
		if (cfd < 0 || fstat(cfd, &st) < 0 || fgetxattr(cfd, "trusted.overlay.opaque", &x, 1) >= 0 ||
		    fgetxattr(cfd, "user.overlay.opaque", &x, 1) >= 0) {
			same = false;
			break;
		}
		bool found = false;
		for (size_t i = 0; lowers[i] && !found; i++) {
			_cleanup_close_ int lfd = open(lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
			_cleanup_close_ int fd = lfd < 0 ? -1 : build_open_in(lfd, crel, O_PATH | O_NOFOLLOW);
			found = fd >= 0 && fstat(fd, &lst) == 0;
		}
		same = found && S_ISDIR(lst.st_mode) && lst.st_mode == st.st_mode &&
		       lst.st_uid == st.st_uid && lst.st_gid == st.st_gid &&
		       upper_unchanged(cfd, crel, lowers, depth + 1);
	}
	closedir(d);
	return same;
}

static bool run_changed_nothing(struct build *b, struct state *s, const char *upper)
{
	_cleanup_err_ struct pd_err *e = NULL;
	_cleanup_strv_ char **top_first = pd_image_lowers(b->root, s->id, b->rootless, &e);
	_cleanup_close_ int upfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!top_first || upfd < 0)
		return false;
	_cleanup_strv_ char **lowers = xcalloc(1, sizeof(char *));
	for (size_t i = 0; top_first[i]; i++)
		strv_push_take(&lowers, top_first[i][0] == '/' ? xstrdup(top_first[i])
							       : xasprintf("%s/%s", b->root, top_first[i]));
	return upper_unchanged(upfd, "", lowers, 0);
}

static int do_run(struct build *b, struct state *s, const struct pd_df_instr *in, const char *key,
		  struct pd_err **err)
{
	static const char *const known[] = { "network", "mount", "security", NULL };
	if (check_flags(in, known, err) < 0)
		return -1;
	if (flag_value(in, "mount"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: RUN --mount is not supported", in->line);
	if (!s->id) {
		/* FROM scratch, nothing yet: an empty image to run on. */
		char skey[PD_SHA256_HEX_LEN + 1];
		cache_key(s, "FROM scratch", NULL, skey);
		if (state_record(b, s, "FROM scratch", true, skey, err) < 0)
			return -1;
	}
	_cleanup_strv_ char **argv = run_argv(s, in);
	struct pd_config c;
	pd_config_init(&c);
	int code = 0;
	int ret = run_container(b, s, argv, s->args, flag_value(in, "network"), &c, &code, err);
	if (ret == 0 && code != 0)
		ret = pd_fail(err, 0, "RUN %s: returned a non-zero code: %d",
			      in->json ? in->text + 4 : in->args[0], code);
	char digest[PD_DIGEST_LEN + 1], diff_id[PD_DIGEST_LEN + 1];
	uint64_t size = 0;
	bool empty = false;
	if (ret == 0) {
		_cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", b->root, c.id);
		empty = run_changed_nothing(b, s, upper);
		if (!empty)
			ret = pd_image_layer_store(b->root, upper, true, c.rootless, digest, diff_id, &size,
						   err);
	}
	if (c.id[0])
		pd_container_remove(b->root, c.id, true, true, pd_err_ignore(cleanup));
	pd_config_free(&c);
	if (ret < 0)
		return -1;
	if (!empty)
		add_layer(s, digest, diff_id, size);
	_cleanup_free_ char *line = strv_join(argv, " ");
	_cleanup_free_ char *by = xasprintf("RUN %s # buildkit", line);
	return state_record(b, s, by, empty, key, err);
}

/* ------------------------------------------------------------------ */
/* COPY and ADD */

/* The id of `name` in the image's /etc/passwd (`group`: /etc/group), read
 * inside the topmost layer that has the file; -1 when none. */
static long image_id_of(struct build *b, struct state *s, const char *name, bool group)
{
	if (!s->id || !s->n_layers)
		return -1;
	_cleanup_err_ struct pd_err *e = NULL;
	_cleanup_strv_ char **lowers = pd_image_lowers(b->root, s->id, b->rootless, &e);
	const char *file = group ? "etc/group" : "etc/passwd";
	for (size_t i = 0; lowers && lowers[i]; i++) {
		_cleanup_free_ char *d =
		    lowers[i][0] == '/' ? xstrdup(lowers[i]) : xasprintf("%s/%s", b->root, lowers[i]);
		_cleanup_close_ int lfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* Held by O_PATH first: an image's etc/passwd that is a device
		 * or a FIFO is never opened. */
		_cleanup_close_ int pfd = lfd < 0 ? -1 : build_open_in(lfd, file, O_PATH | O_NOFOLLOW);
		_cleanup_close_ int fd = pfd < 0 ? -1 : build_reopen_regular(pfd);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (4 << 20))
			continue;
		size_t len;
		_cleanup_free_ char *text = pd_read_fd(fd, (size_t)st.st_size, &len);
		char *save = NULL;
		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			size_t n = strcspn(l, ":");
			if (n != strlen(name) || strncmp(l, name, n))
				continue;
			/* name:x:ID:... */
			const char *f = strchr(l, ':');
			f = f ? strchr(f + 1, ':') : NULL;
			return f ? strtol(f + 1, NULL, 10) : -1;
		}
		return -1;
	}
	return -1;
}

/* --chown=USER[:GROUP], names or ids; a user alone gives its id as the
 * group id too (Docker's rule). */
static int parse_chown(struct build *b, struct state *s, const char *spec, struct build_copy *c,
		       struct pd_err **err)
{
	_cleanup_free_ char *u = xstrndup(spec, strcspn(spec, ":"));
	const char *g = strchr(spec, ':') ? strchr(spec, ':') + 1 : NULL;
	uint64_t uid, gid;
	_cleanup_err_ struct pd_err *e = NULL;
	if (pd_parse_uint(u, 0xfffffffe, &uid, &e) < 0) {
		long id = image_id_of(b, s, u, false);
		if (id < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "--chown=%s: no user '%s' in the image",
					    spec, u);
		uid = (uint64_t)id;
	}
	gid = uid;
	if (g && pd_parse_uint(g, 0xfffffffe, &gid, pd_err_ignore(optional)) < 0) {
		long id = image_id_of(b, s, g, true);
		if (id < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "--chown=%s: no group '%s' in the image",
					    spec, g);
		gid = (uint64_t)id;
	}
	c->has_chown = true;
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	return 0;
}

/* The root directories a COPY reads from: the context, or the layers of
 * a stage or image (bottom first: later layers overwrite). */
static char **from_dirs(struct build *b, const char *from, unsigned si, struct pd_err **err)
{
	int k = stage_index(b, from, si);
	_cleanup_free_ char *id = NULL;
	if (k >= 0) {
		if (!b->stage_ids[k])
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "stage '%s' was not built", from), NULL;
		id = xstrdup(b->stage_ids[k]);
	} else {
		_cleanup_(pd_image_free) struct pd_image img = { 0 };
		if (image_base(b, from, &img, err) < 0)
			return NULL;
		id = xstrdup(img.rec.id);
	}
	_cleanup_strv_ char **top_first = pd_image_lowers(b->root, id, b->rootless, err);
	if (!top_first)
		return NULL;
	char **v = xcalloc(1, sizeof(char *));
	for (size_t i = strv_len(top_first); i > 0; i--) {
		const char *d = top_first[i - 1];
		strv_push_take(&v, d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", b->root, d));
	}
	return v;
}

/* ADD of a URL: the file into dest (mode 0600, as Docker). */
static int add_url(struct build *b, struct build_copy *c, const char *url, const char *dest, bool dest_dir,
		   struct pd_err **err)
{
	_cleanup_free_ char *rel = build_clean_rel(dest);
	_cleanup_free_ char *dir = NULL, *base = NULL;
	if (dest_dir) {
		dir = xstrdup(rel);
		const char *q = url + strcspn(url, "?#");
		_cleanup_free_ char *path = xstrndup(url, (size_t)(q - url));
		const char *slash = strrchr(path, '/');
		base = xstrdup(slash && build_name_ok(slash + 1) ? slash + 1 : "download");
	} else {
		const char *slash = strrchr(rel, '/');
		dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
		base = xstrdup(slash ? slash + 1 : rel);
	}
	if (!build_name_ok(base))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "ADD '%s': no file name in destination '%s'", url,
				    dest);
	_cleanup_close_ int dfd = build_staging_dir(c->staging_fd, dir, err);
	if (dfd < 0)
		return -1;
	pd_rm_rf_at(dfd, base, pd_err_ignore(optional));
	_cleanup_close_ int fd = openat(dfd, base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_fail(err, errno, "create '%s'", base);
	/* Bounded as every download is: a server that never stops sending
	 * cannot fill the state root's filesystem. */
	struct pd_download d = {
		.req = { .url = url }, .fd = fd, .what = url, .max_bytes = PD_EXTRACT_DEFAULT_MAX_BYTES
	};
	struct pd_download *dl[] = { &d };
	int r = pd_fetch_all(dl, 1, 1, NULL, NULL, err);
	pd_download_clear(&d);
	if (r < 0) {
		pd_err_prefix(err, "ADD '%s'", url);
		return -1;
	}
	char hex[PD_SHA256_HEX_LEN + 1];
	if (pd_sha256_fd(fd, base, hex, err) < 0)
		return -1;
	pd_sha256_update(&c->sha, url, strlen(url) + 1);
	pd_sha256_update(&c->sha, hex, sizeof(hex));
	uid_t uid = c->has_chown ? c->uid : 0;
	gid_t gid = c->has_chown ? c->gid : 0;
	if (geteuid() == 0 && fchown(fd, uid, gid) < 0)
		return pd_fail(err, errno, "chown '%s'", base);
	if (fchmod(fd, c->has_chmod ? c->mode : 0600) < 0)
		return pd_fail(err, errno, "chmod '%s'", base);
	return 0;
}

static bool is_url(const char *s)
{
	return str_has_prefix(s, "http://") || str_has_prefix(s, "https://");
}

/* Each parent of `dest` the image has gets its mode and owner in the
 * staging tree (the layer's entry must not change /tmp's 1777). */
static void parent_meta(struct build *b, struct state *s, int staging_fd, const char *dest)
{
	if (!s->id || !s->n_layers)
		return;
	_cleanup_err_ struct pd_err *e = NULL;
	_cleanup_strv_ char **lowers = pd_image_lowers(b->root, s->id, b->rootless, &e);
	if (!lowers)
		return;
	_cleanup_free_ char *rel = build_clean_rel(dest);
	_cleanup_free_ char *prefix = xstrdup("");
	_cleanup_free_ char *copy = xstrdup(rel ? rel : "");
	char *save = NULL;
	for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		char *p = *prefix ? xasprintf("%s/%s", prefix, t) : xstrdup(t);
		free(prefix);
		prefix = p;
		struct stat img_st, st_st;
		if (fstatat(staging_fd, prefix, &st_st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st_st.st_mode))
			break;
		bool found = false;
		for (size_t i = 0; lowers[i] && !found; i++) {
			_cleanup_free_ char *d =
			    lowers[i][0] == '/' ? xstrdup(lowers[i]) : xasprintf("%s/%s", b->root, lowers[i]);
			_cleanup_close_ int lfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
			_cleanup_close_ int fd =
			    lfd < 0 ? -1 : build_open_in(lfd, prefix, O_PATH | O_NOFOLLOW);
			found = fd >= 0 && fstat(fd, &img_st) == 0 && S_ISDIR(img_st.st_mode);
		}
		if (!found)
			continue;
		/* Only a directory the step made itself (not one it copied). */
		if (st_st.st_mode != (S_IFDIR | 0755))
			continue;
		/* Best effort: the layer then has the directory as made. */
		if (fchmodat(staging_fd, prefix, img_st.st_mode & 07777, 0) < 0 || geteuid() != 0)
			continue;
		if (fchownat(staging_fd, prefix, img_st.st_uid, img_st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
	}
}

/* Does `dest` name a directory in the image? */
static bool image_is_dir(struct build *b, struct state *s, const char *dest)
{
	if (!s->id || !s->n_layers)
		return false;
	_cleanup_err_ struct pd_err *e = NULL;
	_cleanup_strv_ char **lowers = pd_image_lowers(b->root, s->id, b->rootless, &e);
	_cleanup_free_ char *rel = build_clean_rel(dest);
	for (size_t i = 0; lowers && lowers[i]; i++) {
		_cleanup_free_ char *d =
		    lowers[i][0] == '/' ? xstrdup(lowers[i]) : xasprintf("%s/%s", b->root, lowers[i]);
		_cleanup_close_ int lfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int fd = lfd < 0 ? -1 : build_open_in(lfd, rel, O_PATH | O_DIRECTORY);
		if (fd >= 0)
			return true;
	}
	return false;
}

struct staging {
	char *dir;
	int fd;
};

static void staging_free(struct staging *st)
{
	if (st->fd >= 0)
		close(st->fd);
	if (st->dir)
		pd_rm_rf(st->dir, pd_err_ignore(cleanup));
	free(st->dir);
}

static int copy_sources(struct build *b, struct state *s, const struct pd_df_instr *in, unsigned si,
			struct build_copy *c, char **w, size_t n, const char *dest, bool dest_dir,
			struct pd_err **err)
{
	const char *from = flag_value(in, "from");
	_cleanup_strv_ char **roots = from ? from_dirs(b, from, si, err) : NULL;
	if (from && !roots)
		return -1;
	/* .dockerignore is about the context: a stage's or an image's files
	 * are all there to copy, as in Docker. */
	if (from)
		c->ig = NULL;
	size_t hd = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		const char *src = w[i];
		if (str_has_prefix(src, "<<") && hd < in->n_heredocs) {
			if (build_copy_text(c, in->heredocs[hd].name, in->heredocs[hd].body, dest, dest_dir,
					    err) < 0)
				return -1;
			hd++;
			continue;
		}
		if (is_url(src)) {
			if (in->kind != PD_DF_ADD)
				return pd_fail_kind(err, PD_ERR_USAGE, 0,
						    "line %u: COPY cannot fetch a URL (use ADD)", in->line);
			if (add_url(b, c, src, dest, dest_dir, err) < 0)
				return -1;
			continue;
		}
		_cleanup_free_ char *rel = build_clean_rel(src);
		if (!rel)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "line %u: forbidden path outside the build context: %s", in->line,
					    src);
		size_t matched = 0;
		bool literal = !strpbrk(rel, "*?[");
		c->layered = from != NULL;
		c->src_dir = false;
		c->visible = false;
		for (size_t r = 0; from ? roots[r] != NULL : r == 0; r++) {
			_cleanup_close_ int rootfd =
			    from ? open(roots[r], O_PATH | O_DIRECTORY | O_CLOEXEC) : dup(b->ctxfd);
			if (rootfd < 0)
				return pd_fail(err, errno, "open the source root");
			_cleanup_strv_ char **paths = build_glob(rootfd, rel, from ? NULL : b->ig, err);
			if (!paths)
				return -1;
			/* A later layer of the stage deleted it (or a directory on
			 * its way): what the layers below gave goes. */
			if (from && literal && !paths[0] && matched && build_layer_hides(rootfd, rel))
				build_copy_hidden(c, rel, dest, dest_dir);
			for (size_t k = 0; paths[k]; k++, matched++)
				if (build_copy_source(c, rootfd, paths[k], dest, dest_dir, err) < 0) {
					pd_err_prefix(err, "line %u: %s", in->line,
						      in->kind == PD_DF_ADD ? "ADD" : "COPY");
					return -1;
				}
		}
		if (!matched || (from && literal && !c->visible))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: %s: no source files match '%s'%s",
					    in->line, in->kind == PD_DF_ADD ? "ADD" : "COPY", src,
					    from ? "" : " in the build context");
	}
	return 0;
}

static int do_copy(struct build *b, struct state *s, const struct pd_df_instr *in, unsigned si,
		   struct pd_err **err)
{
	static const char *const known[] = { "from", "chown", "chmod", "link", NULL };
	if (check_flags(in, known, err) < 0)
		return -1;
	_cleanup_strv_ char **w = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **env = expand_env(s);
	for (size_t i = 0; in->args && in->args[i]; i++) {
		char *e =
		    in->json ? xstrdup(in->args[i]) : pd_df_expand_word(in->args[i], env, b->df.escape, err);
		if (!e)
			return -1;
		strv_push_take(&w, e);
	}
	size_t n = strv_len(w);
	if (n < 2)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: %s needs a source and a destination",
				    in->line, in->kind == PD_DF_ADD ? "ADD" : "COPY");
	const char *wd = json_string_value(json_object_get(rt_of(s), "WorkingDir"));
	_cleanup_free_ char *dest = join_path(wd, w[n - 1]);
	bool dest_dir = str_has_suffix(w[n - 1], "/") || n > 2 || strpbrk(w[0], "*?[") ||
			!strcmp(w[n - 1], ".") || image_is_dir(b, s, dest);
	struct build_copy c = { .ig = NULL };
	if (pd_sha256_init(&c.sha, err) < 0)
		return -1;
	c.add = in->kind == PD_DF_ADD;
	c.ig = b->ig;
	const char *chown = flag_value(in, "chown");
	if (chown && parse_chown(b, s, chown, &c, err) < 0)
		return -1;
	const char *mode = flag_value(in, "chmod");
	if (mode) {
		char *end;
		unsigned long m = strtoul(mode, &end, 8);
		if (!*mode || *end || m > 07777)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "line %u: --chmod=%s: not an octal mode",
					    in->line, mode);
		c.has_chmod = true;
		c.mode = (mode_t)m;
	}
	_cleanup_(staging_free) struct staging st = { .fd = -1 };
	_cleanup_free_ char *tmpdir = state_subdir(b, "build-tmp", err);
	if (!tmpdir)
		return -1;
	st.dir = xasprintf("%s/copy-XXXXXX", tmpdir);
	if (!mkdtemp(st.dir)) {
		free(st.dir);
		st.dir = NULL;
		return pd_fail(err, errno, "create a staging directory under '%s'", tmpdir);
	}
	chmod(st.dir, 0755);
	st.fd = open(st.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st.fd < 0)
		return pd_fail(err, errno, "open '%s'", st.dir);
	c.staging_fd = st.fd;
	if (copy_sources(b, s, in, si, &c, w, n, dest, dest_dir, err) < 0)
		return -1;
	parent_meta(b, s, st.fd, dest);
	char sum[PD_SHA256_HEX_LEN + 1];
	pd_sha256_final(&c.sha, sum);
	char key[PD_SHA256_HEX_LEN + 1];
	cache_key(s, in->text, sum, key);
	int hit = cache_lookup(b, s, key, err);
	if (hit != 0)
		return hit < 0 ? -1 : 0;
	s->from_miss = true;
	char digest[PD_DIGEST_LEN + 1], diff_id[PD_DIGEST_LEN + 1];
	uint64_t size = 0;
	if (pd_image_layer_store(b->root, st.dir, false, b->rootless, digest, diff_id, &size, err) < 0)
		return -1;
	add_layer(s, digest, diff_id, size);
	_cleanup_free_ char *by = xasprintf("%s # buildkit", in->text);
	return state_record(b, s, by, false, key, err);
}

/* ------------------------------------------------------------------ */
/* Steps and stages. */

static int do_step(struct build *b, struct state *s, const struct pd_df_instr *in, unsigned si, bool counted,
		   struct pd_err **err)
{
	if (counted)
		say(b, "STEP %u/%u: %s", ++b->step, b->n_steps, in->text);
	if (in->kind == PD_DF_ARG) {
		_cleanup_strv_ char **env = expand_env(s);
		for (size_t i = 0; in->args && in->args[i]; i++)
			if (declare_arg(b, in->args[i], in->raw ? in->raw[i] : NULL, &s->args, env, false,
					err) < 0)
				return -1;
		return 0;
	}
	if (in->kind == PD_DF_COPY || in->kind == PD_DF_ADD)
		return do_copy(b, s, in, si, err);
	char key[PD_SHA256_HEX_LEN + 1];
	cache_key(s, in->text, NULL, key);
	int hit = cache_lookup(b, s, key, err);
	if (hit != 0)
		return hit < 0 ? -1 : 0;
	s->from_miss = true;
	if (in->kind == PD_DF_RUN)
		return do_run(b, s, in, key, err);
	if (metadata(b, s, in, err) < 0)
		return -1;
	return state_record(b, s, in->text, true, key, err);
}

/* ONBUILD triggers of the base image run first, then are dropped. */
static int run_onbuild(struct build *b, struct state *s, unsigned si, struct pd_err **err)
{
	json_t *ob = json_object_get(rt_of(s), "OnBuild");
	if (!json_is_array(ob) || !json_array_size(ob))
		return 0;
	_cleanup_free_ char *text = xstrdup("FROM scratch\n");
	size_t i;
	json_t *t;
	json_array_foreach(ob, i, t)
	{
		char *next = xasprintf("%s%s\n", text, json_string_value(t) ?: "");
		free(text);
		text = next;
	}
	json_object_del(rt_of(s), "OnBuild");
	struct pd_dockerfile df = { 0 };
	if (pd_dockerfile_parse(text, strlen(text), &df, err) < 0) {
		pd_err_prefix(err, "ONBUILD trigger");
		(*err)->kind = PD_ERR_USAGE;
		return -1;
	}
	int ret = 0;
	for (size_t k = 0; ret == 0 && df.n_stages && k < df.stages[0].n_instrs; k++) {
		say(b, "ONBUILD %s", df.stages[0].instrs[k].text);
		ret = do_step(b, s, &df.stages[0].instrs[k], si, false, err);
	}
	pd_dockerfile_free(&df);
	return ret;
}

/* Which stages the target needs: its base and COPY --from stages, and
 * theirs. */
static int plan(struct build *b, unsigned target, struct pd_err **err)
{
	b->needed = xcalloc(b->df.n_stages, sizeof(bool));
	b->needed[target] = true;
	for (unsigned si = target + 1; si-- > 0;) {
		if (!b->needed[si])
			continue;
		const struct pd_df_stage *st = &b->df.stages[si];
		_cleanup_free_ char *base = pd_df_expand(st->base, b->meta_args, b->df.escape, err);
		if (!base)
			return -1;
		int k = stage_index(b, base, si);
		if (k >= 0)
			b->needed[k] = true;
		for (size_t i = 0; i < st->n_instrs; i++) {
			const char *from = flag_value(&st->instrs[i], "from");
			if (st->instrs[i].kind == PD_DF_COPY && from && (k = stage_index(b, from, si)) >= 0)
				b->needed[k] = true;
		}
	}
	for (unsigned si = 0; si <= target; si++)
		if (b->needed[si])
			b->n_steps += 1 + (unsigned)b->df.stages[si].n_instrs;
	return 0;
}

static int build_stage(struct build *b, unsigned si, struct pd_err **err)
{
	_cleanup_(state_clear) struct state s = { .args = xcalloc(1, sizeof(char *)) };
	if (do_from(b, &s, si, err) < 0)
		return -1;
	const struct pd_df_stage *st = &b->df.stages[si];
	for (size_t i = 0; i < st->n_instrs; i++)
		if (do_step(b, &s, &st->instrs[i], si, true, err) < 0)
			return -1;
	if (!s.id) {
		/* FROM scratch and nothing recorded: an empty image. */
		char key[PD_SHA256_HEX_LEN + 1];
		cache_key(&s, "FROM scratch", NULL, key);
		if (state_record(b, &s, "FROM scratch", true, key, err) < 0)
			return -1;
	}
	b->stage_ids[si] = take_ptr(&s.id);
	return 0;
}

/* --label: one more step on the final image. */
static int final_labels(struct build *b, char **id, struct pd_err **err)
{
	if (!b->o->labels || !b->o->labels[0])
		return 0;
	_cleanup_(state_clear) struct state s = { .args = xcalloc(1, sizeof(char *)) };
	if (state_from_image(b, &s, *id, err) < 0)
		return -1;
	json_t *labels = pd_json_member_object(rt_of(&s), "Labels");
	_cleanup_free_ char *text = strv_join((char **)b->o->labels, " ");
	for (size_t i = 0; b->o->labels[i]; i++) {
		const char *l = b->o->labels[i];
		_cleanup_free_ char *k = xstrndup(l, strcspn(l, "="));
		json_object_set_new(labels, k, json_string(strchr(l, '=') ? strchr(l, '=') + 1 : ""));
	}
	_cleanup_free_ char *by = xasprintf("LABEL %s", text);
	char key[PD_SHA256_HEX_LEN + 1];
	cache_key(&s, by, NULL, key);
	if (state_record(b, &s, by, true, key, err) < 0)
		return -1;
	free(*id);
	*id = take_ptr(&s.id);
	return 0;
}

static int read_inputs(struct build *b, struct pd_err **err)
{
	b->ctxfd = open(b->o->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b->ctxfd < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "build context '%s'", b->o->context);
	size_t len;
	_cleanup_free_ char *text = NULL;
	if (b->o->dockerfile) {
		text = pd_read_regular(b->o->dockerfile, "Dockerfile", 16, &len, err);
		if (!text) {
			(*err)->kind = PD_ERR_USAGE;
			return -1;
		}
	} else {
		/* The context's own Dockerfile is the context's: a symlink in
		 * it resolves inside it, as COPY's sources do. */
		_cleanup_close_ int dfd = build_open_in(b->ctxfd, "Dockerfile", O_RDONLY | O_NONBLOCK);
		struct stat st;
		if (dfd < 0 || fstat(dfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
			return pd_fail_kind(err, PD_ERR_USAGE, dfd < 0 ? errno : 0,
					    "'%s/Dockerfile': no regular file of at most 16 MiB",
					    b->o->context);
		text = pd_read_fd(dfd, (size_t)st.st_size, &len);
		if (!text)
			return pd_fail(err, errno, "read '%s/Dockerfile'", b->o->context);
	}
	if (pd_dockerfile_parse(text, len, &b->df, err) < 0) {
		(*err)->kind = PD_ERR_USAGE;
		pd_err_prefix(err, "Dockerfile");
		return -1;
	}
	b->df_parsed = true;
	if (!b->df.n_stages)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "Dockerfile: no FROM instruction");
	_cleanup_close_ int igfd =
	    build_open_in(b->ctxfd, ".dockerignore", O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (igfd >= 0) {
		struct stat st;
		if (fstat(igfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "'.dockerignore' is not a regular file");
		_cleanup_free_ char *ig = pd_read_fd(igfd, (size_t)st.st_size, &len);
		if (!ig)
			return pd_fail(err, errno, "read '.dockerignore'");
		if (pd_ignore_parse(ig, len, &b->ig, err) < 0) {
			(*err)->kind = PD_ERR_USAGE;
			pd_err_prefix(err, ".dockerignore");
			return -1;
		}
	}
	b->meta_args = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **pre = predefined_args();
	for (size_t i = 0; b->df.global_args && b->df.global_args[i]; i++) {
		_cleanup_strv_ char **env = strv_copy(pre);
		for (size_t k = 0; b->meta_args[k]; k++)
			strv_push(&env, b->meta_args[k]);
		const char *raw = b->df.global_args_raw ? b->df.global_args_raw[i] : NULL;
		if (declare_arg(b, b->df.global_args[i], raw, &b->meta_args, env, true, err) < 0)
			return -1;
	}
	for (size_t i = 0; pre[i]; i++) {
		_cleanup_free_ char *k = xstrndup(pre[i], strcspn(pre[i], "="));
		if (!kv_get(b->meta_args, k))
			strv_push(&b->meta_args, pre[i]);
	}
	return 0;
}

static unsigned target_stage(struct build *b, struct pd_err **err)
{
	if (!b->o->target)
		return (unsigned)b->df.n_stages - 1;
	int k = stage_index(b, b->o->target, (unsigned)b->df.n_stages);
	if (k < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "target stage '%s' could not be found",
				    b->o->target),
		       UINT32_MAX;
	return (unsigned)k;
}

static void build_free(struct build *b)
{
	/* The stages' ids first: freeing the Dockerfile forgets how many
	 * stages there were. */
	for (size_t i = 0; b->stage_ids && i < b->df.n_stages; i++)
		free(b->stage_ids[i]);
	free(b->stage_ids);
	if (b->df_parsed)
		pd_dockerfile_free(&b->df);
	if (b->ig)
		pd_ignore_free(b->ig);
	if (b->ctxfd >= 0)
		close(b->ctxfd);
	strv_free(b->meta_args);
	free(b->needed);
}

int pd_build(const char *root, const struct pd_build_opts *o, char **id_out, struct pd_err **err)
{
	_cleanup_(
	    build_free) struct build b = { .root = root, .o = o, .ctxfd = -1, .rootless = geteuid() != 0 };
	for (size_t i = 0; o->tags && o->tags[i]; i++) {
		_cleanup_ref_ struct pd_ref ref = { 0 };
		if (pd_ref_parse(o->tags[i], &ref, err) < 0 || ref.digest) {
			if (!*err)
				pd_fail(err, 0, "'%s': a name with a digest cannot be given", o->tags[i]);
			(*err)->kind = PD_ERR_USAGE;
			pd_err_prefix(err, "-t");
			return -1;
		}
	}
	if (o->network && strcmp(o->network, "none") && strcmp(o->network, "host") &&
	    strcmp(o->network, "bridge") && strcmp(o->network, "default"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--network %s: give none, host or bridge",
				    o->network);
	if (read_inputs(&b, err) < 0 || pd_blob_dirs(root, err) < 0)
		return -1;
	unsigned target = target_stage(&b, err);
	if (target == UINT32_MAX || plan(&b, target, err) < 0)
		return -1;
	b.stage_ids = xcalloc(b.df.n_stages, sizeof(char *));
	for (unsigned si = 0; si <= target; si++)
		if (b.needed[si] && build_stage(&b, si, err) < 0)
			return -1;
	_cleanup_free_ char *id = xstrdup(b.stage_ids[target]);
	if (final_labels(&b, &id, err) < 0)
		return -1;
	for (size_t i = 0; o->tags && o->tags[i]; i++) {
		/* A rebuild that changed nothing writes nothing. */
		_cleanup_(pd_image_free) struct pd_image have = { 0 };
		if (pd_image_find(root, o->tags[i], &have, pd_err_ignore(optional)) == 0 &&
		    !strcmp(have.rec.id, id))
			continue;
		if (pd_image_tag(root, id, o->tags[i], err) < 0)
			return -1;
	}
	*id_out = take_ptr(&id);
	return 0;
}
