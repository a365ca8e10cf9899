/* `push`: a local image to a registry (see images.h, pd_image_push).
 *
 * Runs in the CLI, as root or as the invoking user.  Reads the state
 * database and the blob store (under images/.lock shared, so that rmi does
 * not delete a blob being sent); writes nothing locally but an event.
 *
 * The store keeps no manifest (pull records the manifest's digest only),
 * so one is written here from the config and the layer blobs: the same
 * blobs as pulled, so the layers' digests are the registry's own, but the
 * manifest's digest may differ from the one the image was pulled by.  An
 * image made from a rootfs tarball has no config blob: one is written from
 * its record (runtime config, this host's platform, the layer's diff id),
 * sent from memory and not stored.
 *
 * Credentials: the caller's, else the stored ones of the registry
 * (core/auth.h); they go only to that registry and its token realm. */
#include "core/auth.h"
#include "core/events.h"
#include "core/images.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "image/blobs.h"
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

/* The config of a tarball image, from its record. */
static char *make_config(const struct pd_image_rec *rec, const struct pd_push_desc *layers,
			 struct pd_err **err)
{
	json_t *runtime = json_loads(rec->config ? rec->config : "{}", 0, NULL);
	if (!json_is_object(runtime)) {
		if (runtime)
			json_decref(runtime);
		pd_fail(err, 0, "the image's recorded config is not a JSON object");
		return NULL;
	}
	json_t *diff_ids = json_array();
	for (size_t i = 0; i < rec->n_layers; i++) {
		const char *d = rec->layers[i].diff_id;
		/* An uncompressed layer is its own diff: the digest of its tar. */
		if (!d && layers[i].kind == PD_LAYER_TAR)
			d = layers[i].digest;
		if (!d) {
			json_decref(runtime);
			json_decref(diff_ids);
			pd_fail(err, 0, "layer %.19s is compressed and its uncompressed digest is unknown",
				layers[i].digest);
			return NULL;
		}
		json_array_append_new(diff_ids, json_string(d));
	}
	char created[40];
	rfc3339(rec->created_ns, created);
	json_t *c = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:o}}", "created", created, "architecture",
			      pd_host_arch(), "os", "linux", "config", runtime, "rootfs", "type", "layers",
			      "diff_ids", diff_ids);
	char *s = c ? json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (c)
		json_decref(c);
	if (!s)
		abort();
	return s;
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

/* Under the images lock: the blobs, then the manifest. */
static int push_locked(const char *root, struct pd_registry *r, const struct pd_image_rec *rec,
		       const struct pd_push_opts *o, char digest[PD_DIGEST_LEN + 1], uint64_t *size,
		       struct pd_err **err)
{
	size_t n = rec->n_layers;
	if (n == 0)
		return pd_fail(err, 0, "the image has no layers");
	_cleanup_free_ struct pd_push_desc *layers = xcalloc(n, sizeof(*layers));
	_cleanup_strv_ char **paths = xcalloc(n + 1, sizeof(char *));
	const char *from = mount_source(rec, &r->ref);
	for (size_t i = 0; i < n; i++) {
		paths[i] = pd_blob_path(root, rec->layers[i].digest);
		struct stat st;
		if (!paths[i] || stat(paths[i], &st) < 0)
			return pd_fail(err, errno, "layer %.19s is not in the store", rec->layers[i].digest);
		layers[i] =
		    (struct pd_push_desc){ .digest = rec->layers[i].digest, .size = (uint64_t)st.st_size };
		if (pd_push_layer_kind(paths[i], &layers[i].kind, err) < 0)
			return -1;
	}
	/* The config: the stored blob, or one made now. */
	_cleanup_free_ char *made = NULL, *cpath = NULL;
	struct pd_push_desc config = { 0 };
	char cdigest[PD_DIGEST_LEN + 1];
	if (is_tarball_image(rec)) {
		made = make_config(rec, layers, err);
		if (!made || digest_of_mem(made, strlen(made), cdigest, err) < 0)
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
			.digest = layers[i].digest,
			.size = layers[i].size,
			.path = paths[i],
			.mount_from = from,
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
	const char *mtype;
	_cleanup_free_ char *manifest = pd_push_manifest_json(&config, layers, n, &mtype);
	*size = strlen(manifest);
	return pd_push_manifest(r, r->ref.tag, manifest, strlen(manifest), mtype, digest, err);
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
