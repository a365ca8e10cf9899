/* `push`: a local image to a registry (see images.h, pd_image_push).
 *
 * Runs in the CLI, as root or as the invoking user.  Reads the state
 * database and the blob store (under images/.lock shared, so that rmi does
 * not delete a blob being sent); writes nothing locally but an event.
 *
 * A pulled image is sent with the manifest its pull kept (image/pull.h),
 * byte for byte, so that it keeps the digest it was pulled by; that file
 * is checked first to name exactly the config and layer blobs sent.  Any
 * other image (imported, committed, loaded, or a kept manifest that does
 * not match) gets one written here from the config and the layer blobs.
 * An image made from a rootfs tarball has no config blob: one is written
 * from its record (runtime config, this host's platform, the layer's diff
 * id: a compressed tarball's is computed by uncompressing it), sent from
 * memory and not stored.  A layer in xz or bzip2 (a tarball pulled by
 * URL), which no manifest media type names, is sent as its tar, written
 * to a temporary file under images/tmp for the push only.
 *
 * Credentials: the caller's, else the stored ones of the registry
 * (core/auth.h); they go only to that registry and its token realm. */
#include "core/auth.h"
#include "core/events.h"
#include "core/images.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/blobs.h"
#include "image/layerwrite.h"
#include "image/pull.h"
#include "image/push.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

static void wipe_free(char **p)
{
	if (*p)
		explicit_bzero(*p, strlen(*p));
	free(*p);
}

static int digest_of_mem(const char *data, size_t len, char out[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	struct pd_sha256 h;
	char hex[PD_SHA256_HEX_LEN + 1];
	if (pd_sha256_init(&h, err) < 0)
		return -1;
	pd_sha256_update(&h, data, len);
	pd_sha256_final(&h, hex);
	snprintf(out, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	return 0;
}

/* An image from a rootfs tarball: its one layer is its id. */
static bool is_tarball_image(const struct pd_image_rec *rec)
{
	return rec->n_layers == 1 && !strcmp(rec->id, rec->layers[0].digest);
}

/* Another repository of the same registry that holds this image. */
static const char *mount_source(const struct pd_image_rec *rec, const struct pd_ref *ref)
{
	size_t dl = strlen(ref->domain);
	for (size_t i = 0; i < rec->n_names; i++) {
		const char *repo = rec->names[i].repo;
		if (!strncmp(repo, ref->domain, dl) && repo[dl] == '/' && strcmp(repo + dl + 1, ref->path))
			return repo + dl + 1;
	}
	return NULL;
}

static void rfc3339(int64_t ns, char buf[40])
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The config of a tarball image, from its record and its layers' diff
 * ids. */
static char *make_config(const struct pd_image_rec *rec, char (*diff_ids)[PD_DIGEST_LEN + 1])
{
	json_t *runtime = json_loads(rec->config ? rec->config : "{}", 0, NULL);
	if (!json_is_object(runtime)) {
		if (runtime)
			json_decref(runtime);
		runtime = json_object();
	}
	json_t *ids = json_array();
	for (size_t i = 0; i < rec->n_layers; i++)
		json_array_append_new(ids, json_string(diff_ids[i]));
	char created[40];
	rfc3339(rec->created_ns, created);
	json_t *c = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:o}}", "created", created, "architecture",
			      pd_host_arch(), "os", "linux", "config", runtime, "rootfs", "type", "layers",
			      "diff_ids", ids);
	char *s = c ? json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (c)
		json_decref(c);
	if (!s)
		abort();
	return s;
}

/* The layers as sent: the stored blobs, but an xz or bzip2 one (no
 * manifest names those) as its tar, in a temporary file under images/tmp
 * (a put-* name: swept if push is killed; never while it holds the images
 * lock).  Unlinked and freed at the end of the scope. */
struct sent_layers {
	size_t n;
	struct pd_push_desc *desc;
	char **paths;
	char (*digests)[PD_DIGEST_LEN + 1];
	char (*diff_ids)[PD_DIGEST_LEN + 1]; /* "" when not known yet */
	bool *temp;
};

static void sent_layers_free(struct sent_layers *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->temp[i])
			unlink(l->paths[i]);
	strv_free(l->paths);
	free(l->desc);
	free(l->digests);
	free(l->diff_ids);
	free(l->temp);
	*l = (struct sent_layers){ 0 };
}

/* Layer i's tar into a temporary file: it is sent instead of the blob. */
static int layer_as_tar(const char *root, struct sent_layers *l, size_t i, struct pd_err **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s/images/tmp/put-push-XXXXXX", root);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "create a file in '%s/images/tmp'", root);
	char *blob = l->paths[i];
	l->paths[i] = take_ptr(&tmp);
	l->temp[i] = true;
	int r = pd_layer_uncompress(blob, fd, l->diff_ids[i], err);
	free(blob);
	struct stat st;
	if (r < 0 || fstat(fd, &st) < 0)
		return r < 0 ? -1 : pd_fail(err, errno, "stat '%s'", l->paths[i]);
	memcpy(l->digests[i], l->diff_ids[i], sizeof(l->digests[i]));
	l->desc[i] = (struct pd_push_desc){ .digest = l->digests[i],
					    .size = (uint64_t)st.st_size,
					    .kind = PD_LAYER_TAR };
	return 0;
}

static int sent_layers_load(const char *root, const struct pd_image_rec *rec, struct sent_layers *l,
			    struct pd_err **err)
{
	size_t n = rec->n_layers;
	*l = (struct sent_layers){
		.n = n,
		.desc = xcalloc(n, sizeof(*l->desc)),
		.paths = xcalloc(n + 1, sizeof(char *)),
		.digests = xcalloc(n, sizeof(*l->digests)),
		.diff_ids = xcalloc(n, sizeof(*l->diff_ids)),
		.temp = xcalloc(n, sizeof(*l->temp)),
	};
	for (size_t i = 0; i < n; i++) {
		const struct pd_layer_rec *lr = &rec->layers[i];
		l->paths[i] = pd_blob_path(root, lr->digest);
		struct stat st;
		if (!l->paths[i] || stat(l->paths[i], &st) < 0)
			return pd_fail(err, errno, "layer %.19s is not in the store", lr->digest);
		snprintf(l->digests[i], sizeof(l->digests[i]), "%s", lr->digest);
		l->desc[i] = (struct pd_push_desc){ .digest = l->digests[i], .size = (uint64_t)st.st_size };
		if (pd_push_layer_kind(l->paths[i], &l->desc[i].kind, err) < 0)
			return -1;
		/* A rootfs tarball's layer is recorded with its own digest as
		 * its diff id, which it is only when it is a plain tar. */
		if (lr->diff_id && pd_digest_valid(lr->diff_id) &&
		    (strcmp(lr->diff_id, lr->digest) || l->desc[i].kind == PD_LAYER_TAR))
			snprintf(l->diff_ids[i], sizeof(l->diff_ids[i]), "%s", lr->diff_id);
		if (l->desc[i].kind == PD_LAYER_OTHER && layer_as_tar(root, l, i, err) < 0) {
			pd_err_prefix(err, "layer %.19s", lr->digest);
			return -1;
		}
	}
	return 0;
}

/* Every layer's diff id, for a config made here: computed (the blob
 * uncompressed and hashed) where the record has none. */
static int fill_diff_ids(struct sent_layers *l, struct pd_err **err)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->diff_ids[i][0])
			continue;
		if (pd_layer_uncompress(l->paths[i], -1, l->diff_ids[i], err) < 0) {
			pd_err_prefix(err, "layer %.19s", l->desc[i].digest);
			return -1;
		}
	}
	return 0;
}

static void report(const struct pd_push_opts *o, const char *digest, bool config, enum pd_push_result res,
		   const char *from)
{
	if (!o->step)
		return;
	struct pd_push_step s = {
		.digest = digest,
		.config = config,
		.outcome = res == PD_PUSH_EXISTS    ? PD_PUSHED_ALREADY
			   : res == PD_PUSH_MOUNTED ? PD_PUSHED_MOUNTED
						    : PD_PUSHED_UPLOADED,
		.mounted = res == PD_PUSH_MOUNTED ? from : NULL,
	};
	o->step(&s, o->step_data);
}

/* Under the images lock: the blobs, then the manifest (the one a pull
 * kept, when it still names these blobs: the image keeps its digest). */
static int push_locked(const char *root, struct pd_registry *r, const struct pd_image_rec *rec,
		       const struct pd_push_opts *o, char digest[PD_DIGEST_LEN + 1], uint64_t *size,
		       struct pd_err **err)
{
	size_t n = rec->n_layers;
	if (n == 0)
		return pd_fail(err, 0, "the image has no layers");
	__attribute__((cleanup(sent_layers_free))) struct sent_layers l = { 0 };
	if (sent_layers_load(root, rec, &l, err) < 0)
		return -1;
	const char *from = mount_source(rec, &r->ref);
	/* The config: the stored blob, or one made now. */
	_cleanup_free_ char *made = NULL, *cpath = NULL;
	struct pd_push_desc config = { 0 };
	char cdigest[PD_DIGEST_LEN + 1];
	if (is_tarball_image(rec)) {
		if (fill_diff_ids(&l, err) < 0)
			return -1;
		made = make_config(rec, l.diff_ids);
		if (digest_of_mem(made, strlen(made), cdigest, err) < 0)
			return -1;
		config = (struct pd_push_desc){ .digest = cdigest, .size = strlen(made) };
	} else {
		cpath = pd_blob_path(root, rec->id);
		struct stat st;
		if (!cpath || stat(cpath, &st) < 0)
			return pd_fail(err, errno, "the image config %.19s is not in the store", rec->id);
		config = (struct pd_push_desc){ .digest = rec->id, .size = (uint64_t)st.st_size };
	}
	for (size_t i = 0; i < n; i++) {
		struct pd_push_blob b = {
			.digest = l.desc[i].digest,
			.size = l.desc[i].size,
			.path = l.paths[i],
			/* A tar made here is in no other repository. */
			.mount_from = l.temp[i] ? NULL : from,
		};
		enum pd_push_result res;
		if (pd_push_blob(r, &b, o->chunk, &res, err) < 0)
			return -1;
		report(o, b.digest, false, res, from);
	}
	struct pd_push_blob cb = {
		.digest = config.digest,
		.size = config.size,
		.path = cpath,
		.mem = made,
		.mount_from = from,
	};
	enum pd_push_result res;
	if (pd_push_blob(r, &cb, o->chunk, &res, err) < 0)
		return -1;
	report(o, cb.digest, true, res, from);
	const char *mtype = NULL;
	size_t mlen = 0;
	_cleanup_free_ char *kept_path = made ? NULL : pd_manifest_kept_path(root, rec->id);
	_cleanup_free_ char *manifest = pd_push_kept_manifest(kept_path, &config, l.desc, n, &mlen, &mtype);
	if (!manifest) {
		manifest = pd_push_manifest_json(&config, l.desc, n, &mtype);
		mlen = strlen(manifest);
	}
	*size = mlen;
	return pd_push_manifest(r, r->ref.tag, manifest, mlen, mtype, digest, err);
}

int pd_image_push(const char *root, const char *name, const struct pd_push_opts *o, char **tag_out,
		  char digest[PD_DIGEST_LEN + 1], uint64_t *size, struct pd_err **err)
{
	_cleanup_ref_ struct pd_ref ref = { 0 };
	if (pd_ref_parse(name, &ref, err) < 0)
		return -1;
	if (ref.digest || !ref.tag)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "push '%s': name a tag, not a digest", name);
	struct pd_image img = { 0 };
	int found = pd_image_find(root, name, &img, err);
	if (found != 0) {
		if (found > 0)
			pd_fail_kind(err, PD_ERR_USAGE, 0, "push '%s': no such image", name);
		return -1;
	}
	_cleanup_free_ char *user = NULL;
	__attribute__((cleanup(wipe_free))) char *password = NULL;
	const char *u = o->username, *p = o->password;
	if (!u) {
		int has = pd_auth_lookup(ref.domain, &user, &password, err);
		if (has < 0) {
			pd_image_free(&img);
			return -1;
		}
		u = user;
		p = password;
	}
	if (o->step) {
		_cleanup_free_ char *repo = pd_ref_repo(&ref);
		struct pd_push_step first = { .repo = repo };
		o->step(&first, o->step_data);
	}
	_cleanup_registry_ struct pd_registry r = { 0 };
	_cleanup_close_ int lock = -1;
	int ret = pd_registry_open(&r, &ref, o->insecure, u, p, err);
	if (ret == 0) {
		r.push = true;
		lock = pd_images_lock(root, false, err);
		ret = lock < 0 ? -1 : push_locked(root, &r, &img.rec, o, digest, size, err);
	}
	pd_image_free(&img);
	if (ret < 0) {
		pd_err_prefix(err, "push '%s'", name);
		return -1;
	}
	_cleanup_free_ char *shown = pd_ref_name(&ref);
	pd_event_image(root, "push", shown, NULL);
	*tag_out = xstrdup(ref.tag);
	return 0;
}
