/* The image store (see images.h).
 *
 * Runs in the CLI (pull, import, images, rmi, and run when it resolves an
 * image or a rootfs tarball), as root or as the invoking user.  Writes only
 * under the state root: images/ (image/blobs.h, and a pulled image's
 * manifest in images/manifests/, image/pull.h), layers/ (image/layers.h),
 * cache/ (image/cache.h) and state.db.  Prints nothing: a pull's progress
 * goes to the caller's callback.
 *
 * Ordering and concurrency: a pull or an import holds images/.lock shared
 * for its whole run and records the image only once every blob is verified
 * and every layer extracted; rmi holds it exclusively, so it never deletes
 * what a pull is about to record.  Two pulls of one image share each blob's
 * download (blobs.c) and each layer's extraction (layers.c), and record the
 * same rows (the inserts are idempotent): one copy.  A failed pull removes
 * the blobs and layers it stored that no recorded image uses.
 *
 * Threats: every manifest, config and layer is untrusted.  Digests are
 * checked by image/blobs.c and image/registry.c before anything is renamed
 * into place, layers are extracted by image/archive.c (every path kept
 * inside the layer), and layer directories are named by the digest of the
 * bytes we hold. */
#include "core/images.h"
#include "core/auth.h"
#include "core/events.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"
#include "image/blobs.h"
#include "image/cache.h"
#include "image/fetch.h"
#include "image/import.h"
#include "image/layers.h"
#include "image/pull.h"
#include "image/registry.h"
#include "linux/idmap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Pulls and imports extract in the mode of the user who runs them. */
static bool is_rootless(void)
{
	return geteuid() != 0;
}

/* The rootfs cache and the layers ask for this when they extract rootless
 * with a subordinate range; image/ itself knows no user namespaces. */
static int run_in_userns(void *map, int (*fn)(void *arg), void *arg, struct pd_err **err)
{
	return idmap_run_in_userns(map, fn, arg, err);
}

void pd_image_mode(bool rootless, struct pd_idmap *map, struct pd_cache_mode *mode)
{
	*mode = (struct pd_cache_mode){ .rootless = rootless };
	if (!rootless)
		return;
	idmap_for_caller(map);
	if (idmap_has_range(map)) {
		mode->run_in_userns = run_in_userns;
		mode->ctx = map;
	}
}

/* The caller's own mode (is_rootless), in a map and mode of its own. */
struct own_mode {
	struct pd_idmap map;
	struct pd_cache_mode mode;
};

static const struct pd_cache_mode *own_mode(struct own_mode *m)
{
	pd_image_mode(is_rootless(), &m->map, &m->mode);
	return &m->mode;
}

bool pd_image_is_url(const char *s)
{
	return str_has_prefix(s, "http://") || str_has_prefix(s, "https://") || str_has_prefix(s, "file://");
}

char *pd_image_display_repo(const char *repo)
{
	if (str_has_prefix(repo, "docker.io/library/"))
		return xstrdup(repo + strlen("docker.io/library/"));
	if (str_has_prefix(repo, "docker.io/"))
		return xstrdup(repo + strlen("docker.io/"));
	return xstrdup(repo);
}

/* ------------------------------------------------------------------ */
/* Records. */

/* Every recorded image, freed at the end of the scope. */
struct recs {
	struct pd_image_rec *v;
	size_t n;
};

static void recs_free(struct recs *r)
{
	pd_image_recs_free(r->v, r->n);
	*r = (struct recs){ 0 };
}
#define _cleanup_recs_ _cleanup_(recs_free)

static int list_recs(const char *root, struct recs *r, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_image_list(s, &r->v, &r->n, err);
}

int pd_image_list(const char *root, struct pd_image_rec **out, size_t *n, struct pd_err **err)
{
	struct recs r = { 0 };
	if (list_recs(root, &r, err) < 0)
		return -1;
	*out = r.v;
	*n = r.n;
	return 0;
}

static const struct pd_image_rec *find_id(const struct recs *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	return NULL;
}

/* Is `digest` an image's id or one of its layers? */
static bool digest_used(const struct recs *r, const char *digest)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->v[i].id, digest))
			return true;
		for (size_t k = 0; k < r->v[i].n_layers; k++)
			if (!strcmp(r->v[i].layers[k].digest, digest))
				return true;
	}
	return false;
}

/* After a failed pull or import: remove what it stored (`fresh`: digests
 * that were not in the store before) unless a recorded image uses it.
 * Best effort: what cannot be listed or removed now is only disk space,
 * and the failure being reported is the pull's. */
static void discard_fresh(const char *root, char *const *fresh)
{
	if (!fresh || !fresh[0])
		return;
	_cleanup_recs_ struct recs have = { 0 };
	_cleanup_err_ struct pd_err *ignored = NULL;
	if (list_recs(root, &have, &ignored) < 0)
		return;
	struct own_mode om;
	const struct pd_cache_mode *mode = own_mode(&om);
	for (size_t i = 0; fresh[i]; i++) {
		if (digest_used(&have, fresh[i]))
			continue;
		_cleanup_err_ struct pd_err *e = NULL;
		pd_layer_remove(root, fresh[i], mode, &e);
		pd_blob_remove(root, fresh[i], &e);
	}
}

static int record_image(const char *root, const struct pd_image_rec *img, const char *repo, const char *tag,
			const char *digest, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_image_add(s, img, repo, tag, digest, err);
}

/* A rootfs tarball (by URL, or imported): one layer, an empty config. */
static int record_tarball(const char *root, const char *digest, uint64_t size, const char *repo,
			  const char *tag, struct pd_err **err)
{
	struct own_mode om;
	if (pd_layer_extract(root, digest, own_mode(&om), err) < 0)
		return -1;
	struct pd_layer_rec lr = { .digest = (char *)digest, .size = size };
	struct pd_image_rec img = {
		.id = (char *)digest,
		.created_ns = now_ns(),
		.size = size,
		.config = (char *)"{}",
		.layers = &lr,
		.n_layers = 1,
	};
	return record_image(root, &img, repo, tag, NULL, err);
}

/* ------------------------------------------------------------------ */
/* Pull. */

/* The downloads' progress, summed for the caller's callback. */
struct progress {
	const struct pd_pull_opts *o;
	const char *what;
};

static void on_downloads(struct pd_download *const *d, size_t n, bool final, void *data)
{
	const struct progress *p = data;
	struct pd_pull_progress pp = { .what = p->what, .count = n, .final = final };
	for (size_t i = 0; i < n; i++) {
		pp.done += d[i]->done;
		pp.total += d[i]->total ? d[i]->total : d[i]->done;
		if (d[i]->total && d[i]->done >= d[i]->total)
			pp.finished++;
	}
	p->o->progress(&pp, p->o->progress_data);
}

static pd_progress_fn progress_fn(const struct pd_pull_opts *o)
{
	return o->progress ? on_downloads : NULL;
}

/* Is the image already here, whole (every blob, every layer extracted for
 * this mode)? */
static bool image_complete(const char *root, const struct recs *have, const char *id)
{
	struct own_mode om;
	enum pd_layer_variant v = pd_layer_variant_of(own_mode(&om));
	const struct pd_image_rec *img = find_id(have, id);
	if (!img)
		return false;
	for (size_t k = 0; k < img->n_layers; k++) {
		_cleanup_free_ char *p = pd_layer_path(root, img->layers[k].digest, v);
		if (!pd_blob_has(root, img->layers[k].digest) || !p || !pd_is_dir(p))
			return false;
	}
	return true;
}

/* Fetch the config and every layer not stored yet (in parallel, each
 * verified), check the config, extract the layers.  Digests not stored
 * before go to *fresh (for discard_fresh on failure). */
static int fetch_image(const char *root, struct pd_registry *r, const struct pd_manifest *m,
		       const struct pd_pull_opts *o, const char *name, char ***fresh,
		       struct pd_image_config *cfg, struct pd_err **err)
{
	struct progress p = { .o = o, .what = name };
	if (pd_pull_blobs(root, r, m, o->parallel ? o->parallel : 4, progress_fn(o), &p, fresh, err) < 0 ||
	    pd_image_config_load(root, m->config.digest, m->n_layers, cfg, err) < 0)
		return -1;
	_cleanup_free_ const char **digests = xcalloc(m->n_layers, sizeof(char *));
	for (size_t i = 0; i < m->n_layers; i++)
		digests[i] = m->layers[i].digest;
	struct own_mode om;
	return pd_layers_extract(root, digests, m->n_layers, own_mode(&om), err);
}

/* Record the image of manifest `m` under repo:tag (rows already there are
 * kept: a second pull only adds the name). */
static int record_pulled(const char *root, const struct pd_manifest *m, const struct pd_image_config *cfg,
			 const char *repo, const char *tag, const char *mdigest, struct pd_err **err)
{
	_cleanup_free_ struct pd_layer_rec *lr = xcalloc(m->n_layers, sizeof(*lr));
	uint64_t size = 0;
	for (size_t i = 0; i < m->n_layers; i++) {
		lr[i] = (struct pd_layer_rec){
			.digest = m->layers[i].digest,
			.diff_id = cfg->diff_ids && i < cfg->n_diff_ids ? cfg->diff_ids[i] : NULL,
			.size = m->layers[i].size,
		};
		size += m->layers[i].size;
	}
	struct pd_image_rec img = {
		.id = m->config.digest,
		.created_ns = cfg->created_ns ? cfg->created_ns : now_ns(),
		.size = size,
		.config = cfg->runtime_json ? cfg->runtime_json : (char *)"{}",
		.layers = lr,
		.n_layers = m->n_layers,
	};
	return record_image(root, &img, repo, tag, mdigest, err);
}

/* The part of a registry pull that runs under the images lock. */
static int pull_locked(const char *root, const struct pd_ref *ref, const char *name, const char *repo,
		       const struct pd_pull_opts *o, char ***fresh, bool *up_to_date, struct pd_err **err)
{
	_cleanup_registry_ struct pd_registry r = { 0 };
	_cleanup_manifest_ struct pd_manifest m = { 0 };
	_cleanup_image_config_ struct pd_image_config cfg = { 0 };
	_cleanup_recs_ struct recs have = { 0 };
	char mdigest[PD_DIGEST_LEN + 1];
	_cleanup_free_ char *mbody = NULL;
	size_t mlen = 0;
	if (pd_registry_open(&r, ref, o->insecure, o->username, o->password, err) < 0 ||
	    pd_pull_manifest(&r, ref->digest ? ref->digest : ref->tag, &m, mdigest, &mbody, &mlen, err) < 0)
		return -1;
	if (m.n_layers == 0 || m.n_layers > PD_MAX_LAYERS)
		return pd_fail(err, 0, "the manifest has %zu layers (1 to %d allowed)", m.n_layers,
			       PD_MAX_LAYERS);
	if (list_recs(root, &have, err) < 0)
		return -1;
	/* Already here, whole: the manifest was all there was to fetch. */
	*up_to_date = image_complete(root, &have, m.config.digest);
	if (!*up_to_date && fetch_image(root, &r, &m, o, name, fresh, &cfg, err) < 0)
		return -1;
	if (record_pulled(root, &m, &cfg, repo, ref->tag ? ref->tag : "", mdigest, err) < 0)
		return -1;
	/* Kept for push, to send these bytes again.  Without them push writes
	 * a manifest of its own (same blobs, maybe another digest): the pull
	 * itself has succeeded. */
	(void)pd_pull_keep_manifest(root, m.config.digest, mbody, mlen, pd_err_ignore(optional));
	return 0;
}

/* A secret's memory is cleared before it is freed. */
static void wipe_free(char **p)
{
	if (*p)
		explicit_bzero(*p, strlen(*p));
	free(*p);
}

static int pull_registry(const char *root, const char *what, const struct pd_pull_opts *o, char **name_out,
			 bool *up_to_date, struct pd_err **err)
{
	_cleanup_ref_ struct pd_ref ref = { 0 };
	if (pd_ref_parse(what, &ref, err) < 0)
		return -1;
	/* Credentials from a Docker config.json-style file, for this
	 * registry, unless they were given. */
	_cleanup_free_ char *user = NULL;
	__attribute__((cleanup(wipe_free))) char *password = NULL;
	struct pd_pull_opts with_auth = *o;
	if (!o->username && o->authfile) {
		if (pd_registry_read_authfile(o->authfile, ref.domain, &user, &password, err) < 0)
			return -1;
		with_auth.username = user;
		with_auth.password = password;
		o = &with_auth;
	} else if (!o->username) {
		/* Stored by `login` (core/auth.h), if any. */
		int has = pd_auth_lookup(ref.domain, &user, &password, err);
		if (has < 0)
			return -1;
		with_auth.username = user;
		with_auth.password = password;
		o = &with_auth;
	}
	_cleanup_free_ char *name = pd_ref_name(&ref);
	_cleanup_free_ char *repo = pd_ref_repo(&ref);
	_cleanup_strv_ char **fresh = NULL;
	/* Held until the blobs this pull stored are recorded, or discarded. */
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0 || pull_locked(root, &ref, name, repo, o, &fresh, up_to_date, err) < 0) {
		pd_err_prefix(err, "pull '%s'", what);
		discard_fresh(root, fresh);
		return -1;
	}
	pd_event_image(root, "pull", name, NULL);
	*name_out = xstrdup(name);
	return 0;
}

/* Was `digest` recorded (as an image or a layer) before this pull? */
static int is_recorded(const char *root, const char *digest, bool *used, struct pd_err **err)
{
	_cleanup_recs_ struct recs have = { 0 };
	if (list_recs(root, &have, err) < 0)
		return -1;
	*used = digest_used(&have, digest);
	return 0;
}

static int pull_url(const char *root, const char *url, const struct pd_pull_opts *o, char **name_out,
		    struct pd_err **err)
{
	_cleanup_free_ char *shown = pd_url_redact(url);
	const char *base = strrchr(shown, '/');
	base = base && base[1] ? base + 1 : shown;
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	struct pd_blob_get g = { .url = url, .what = base };
	struct progress p = { .o = o, .what = base };
	if (pd_blob_fetch(root, &g, 1, 1, progress_fn(o), &p, err) < 0) {
		pd_err_prefix(err, "pull '%s'", shown);
		return -1;
	}
	char *fresh[] = { g.cached ? NULL : g.digest_out, NULL };
	/* A blob named by no digest is never "cached": was it stored before? */
	bool used;
	if (is_recorded(root, g.digest_out, &used, err) < 0)
		return -1;
	if (used)
		fresh[0] = NULL;
	if (record_tarball(root, g.digest_out, g.size_out, shown, "", err) < 0) {
		pd_err_prefix(err, "pull '%s'", shown);
		discard_fresh(root, fresh);
		return -1;
	}
	pd_event_image(root, "pull", shown, NULL);
	*name_out = xstrdup(shown);
	return 0;
}

int pd_image_pull(const char *root, const char *what, const struct pd_pull_opts *o, char **name_out,
		  bool *up_to_date, struct pd_err **err)
{
	*up_to_date = false;
	*name_out = NULL;
	if (pd_image_is_url(what))
		return pull_url(root, what, o, name_out, err);
	if (strstr(what, "://"))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "pull '%s': only http, https and file URLs", what);
	return pull_registry(root, what, o, name_out, up_to_date, err);
}

/* ------------------------------------------------------------------ */
/* Import. */

/* NAME[:TAG] -> the repository and tag it is recorded under. */
static int split_name(const char *name, char **repo, char **tag, struct pd_err **err)
{
	_cleanup_ref_ struct pd_ref ref = { 0 };
	if (pd_ref_parse(name, &ref, err) < 0)
		return -1;
	*repo = pd_ref_repo(&ref);
	*tag = xstrdup(ref.tag ? ref.tag : "");
	return 0;
}

/* An image archive's blobs are stored: check its config, extract its
 * layers, record it (under `name`, or else the archive's own name). */
static int record_archive(const char *root, const struct pd_import *im, const char *name, struct pd_err **err)
{
	_cleanup_image_config_ struct pd_image_config cfg = { 0 };
	if (pd_image_config_load(root, im->config, im->n_layers, &cfg, err) < 0)
		return -1;
	_cleanup_free_ char *repo = NULL, *tag = NULL;
	const char *want = name ? name : im->repo_tag;
	if (want && split_name(want, &repo, &tag, err) < 0)
		return -1;
	_cleanup_free_ const char **digests = xcalloc(im->n_layers, sizeof(char *));
	for (size_t i = 0; i < im->n_layers; i++)
		digests[i] = im->layers[i];
	struct own_mode om;
	if (pd_layers_extract(root, digests, im->n_layers, own_mode(&om), err) < 0)
		return -1;
	_cleanup_free_ struct pd_layer_rec *lr = xcalloc(im->n_layers, sizeof(*lr));
	uint64_t size = 0;
	for (size_t i = 0; i < im->n_layers; i++) {
		lr[i] = (struct pd_layer_rec){
			.digest = (char *)im->layers[i],
			.diff_id = cfg.diff_ids && i < cfg.n_diff_ids ? cfg.diff_ids[i] : NULL,
			.size = im->sizes[i],
		};
		size += im->sizes[i];
	}
	struct pd_image_rec img = {
		.id = (char *)im->config,
		.created_ns = cfg.created_ns ? cfg.created_ns : now_ns(),
		.size = size,
		.config = cfg.runtime_json ? cfg.runtime_json : (char *)"{}",
		.layers = lr,
		.n_layers = im->n_layers,
	};
	return record_image(root, &img, repo, tag, im->mdigest[0] ? im->mdigest : NULL, err);
}

int pd_image_import(const char *root, const char *file, const char *name, char **id_out, struct pd_err **err)
{
	struct stat st;
	if (stat(file, &st) < 0)
		return pd_fail_kind(err, PD_ERR_USAGE, errno, "import '%s'", file);
	if (!S_ISREG(st.st_mode))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "import '%s': not a file", file);
	_cleanup_free_ char *repo = NULL, *tag = NULL;
	if (name && split_name(name, &repo, &tag, err) < 0)
		return -1;
	enum pd_import_kind kind;
	if (pd_import_kind(file, &kind, err) < 0) {
		pd_err_prefix(err, "import");
		return -1;
	}
	/* Held until the blobs this import stored are recorded, or discarded. */
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	_cleanup_strv_ char **fresh = NULL;
	_cleanup_import_ struct pd_import im = { 0 };
	const char *base = strrchr(file, '/');
	int r = pd_import_blobs(root, file, kind, &im, &fresh, err);
	if (r == 0 && kind == PD_IMPORT_ROOTFS)
		r = record_tarball(root, im.config, im.sizes[0],
				   repo	  ? repo
				   : base ? base + 1
					  : file,
				   repo ? tag : "", err);
	else if (r == 0)
		r = record_archive(root, &im, name, err);
	if (r < 0) {
		pd_err_prefix(err, "import '%s'", file);
		discard_fresh(root, fresh);
		return -1;
	}
	pd_event_image(root, "import", im.config, name);
	*id_out = xstrdup(im.config);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Finding an image. */

void pd_image_free(struct pd_image *img)
{
	pd_image_rec_clear(&img->rec);
	pd_image_config_free(&img->cfg);
	img->matched = NULL;
}

static bool is_hex(const char *s, size_t min)
{
	size_t n = strlen(s);
	if (n < min || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static const char *basename_of(const char *url)
{
	const char *b = strrchr(url, '/');
	return b ? b + 1 : url;
}

/* The record that has the exact name `name` (a URL, a tag, a digest
 * reference): its index, with the name's in *name_idx; or -1. */
static int match_name(const struct recs *r, const char *name, size_t *name_idx)
{
	_cleanup_ref_ struct pd_ref ref = { 0 };
	/* Not a reference: only the plain repository compare. */
	_cleanup_err_ struct pd_err *not_ref = NULL;
	bool is_ref = !pd_image_is_url(name) && pd_ref_parse(name, &ref, &not_ref) == 0;
	_cleanup_free_ char *repo = is_ref ? pd_ref_repo(&ref) : NULL;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].n_names; k++) {
			const struct pd_image_name *nm = &r->v[i].names[k];
			bool hit = !strcmp(nm->repo, name) && !*nm->tag;
			if (is_ref && !strcmp(nm->repo, repo))
				hit = hit || (ref.digest ? nm->digest && !strcmp(nm->digest, ref.digest)
							 : !strcmp(nm->tag, ref.tag));
			if (hit) {
				*name_idx = k;
				return (int)i;
			}
		}
	return -1;
}

/* Which record `name` means: its index, with the name row's in *name_idx
 * (SIZE_MAX when found by id); -1 when none; -2 on error. */
static int match(const struct recs *r, const char *name, size_t *name_idx, struct pd_err **err)
{
	*name_idx = SIZE_MAX;
	int i = match_name(r, name, name_idx);
	if (i >= 0)
		return i;
	/* The id, "sha256:<id>", or a unique prefix of it. */
	const char *hex = str_has_prefix(name, "sha256:") ? name + 7 : name;
	if (is_hex(hex, hex == name ? 4 : 1)) {
		int found = -1;
		for (size_t k = 0; k < r->n; k++)
			if (!strncmp(r->v[k].id + 7, hex, strlen(hex))) {
				if (found >= 0) {
					pd_fail_kind(err, PD_ERR_USAGE, 0,
						     "image id prefix '%s' is ambiguous", name);
					return -2;
				}
				found = (int)k;
			}
		if (found >= 0)
			return found;
	}
	/* The base name of a pulled URL, or of an imported file. */
	if (!strchr(name, '/'))
		for (size_t k = 0; k < r->n; k++)
			for (size_t j = 0; j < r->v[k].n_names; j++)
				if (!*r->v[k].names[j].tag &&
				    !strcmp(basename_of(r->v[k].names[j].repo), name)) {
					*name_idx = j;
					return (int)k;
				}
	return -1;
}

int pd_image_find(const char *root, const char *name, struct pd_image *out, struct pd_err **err)
{
	*out = (struct pd_image){ 0 };
	_cleanup_free_ char *dbpath = xasprintf("%s/state.db", root);
	struct stat st;
	/* No state yet: no images, and nothing to create just to say so. */
	if (stat(dbpath, &st) < 0)
		return 1;
	_cleanup_recs_ struct recs have = { 0 };
	if (list_recs(root, &have, err) < 0)
		return -1;
	size_t ni;
	int i = match(&have, name, &ni, err);
	if (i < 0)
		return i == -1 ? 1 : -1;
	out->rec = have.v[i];
	have.v[i] = (struct pd_image_rec){ 0 };
	if (ni != SIZE_MAX)
		out->matched = &out->rec.names[ni];
	if (pd_image_runtime_parse(out->rec.config, &out->cfg, err) < 0) {
		pd_image_free(out);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running an image. */

int pd_image_apply(const struct pd_image *img, struct pd_config *c, char *const *entrypoint,
		   char *const *user_cmd, struct pd_err **err)
{
	const struct pd_image_config *ic = &img->cfg;
	for (size_t i = 0; ic->env && ic->env[i]; i++) {
		_cleanup_free_ char *key = xstrndup(ic->env[i], strcspn(ic->env[i], "="));
		if (!pd_env_get(c->env, key))
			pd_env_set_default(&c->env, key, ic->env[i] + strlen(key) + 1);
	}
	if (!c->workdir && ic->workdir)
		c->workdir = xstrdup(ic->workdir);
	if (!c->user && ic->user)
		c->user = xstrdup(ic->user);
	if (ic->stop_signal && !c->stop_signal)
		c->stop_signal = xstrdup(ic->stop_signal);
	/* As Docker: a new Entrypoint drops the image's Cmd too. */
	_cleanup_strv_ char **argv = strv_copy(entrypoint ? entrypoint : ic->entrypoint);
	char *const *cmd = user_cmd && user_cmd[0] ? user_cmd : entrypoint ? NULL : ic->cmd;
	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&argv, cmd[i]);
	if (!argv[0])
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "image '%s' has no command: give one after the image name",
				    c->rootfs_arg);
	/* The image's ExposedPorts ({"80/tcp": {}}) join --expose: -P
	 * publishes them too.  A key that is not a port is refused, as a bad
	 * --expose is: the image is untrusted input. */
	json_error_t jerr;
	json_auto_t *rt = json_loads(img->rec.config ? img->rec.config : "{}", 0, &jerr);
	json_t *exposed = rt ? json_object_get(rt, "ExposedPorts") : NULL;
	const char *port;
	json_t *unused;
	json_object_foreach(json_is_object(exposed) ? exposed : NULL, port, unused)
	{
		if (pd_netcfg_add_expose(&c->net, port, err) < 0) {
			pd_err_prefix(err, "image '%s': ExposedPorts", c->rootfs_arg);
			return -1;
		}
	}
	strv_free(c->argv);
	c->argv = take_ptr(&argv);
	free(c->image_id);
	c->image_id = xstrdup(img->rec.id);
	return 0;
}

char **pd_image_lowers(const char *root, const char *id, bool rootless, struct pd_err **err)
{
	_cleanup_close_ int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return NULL;
	_cleanup_recs_ struct recs have = { 0 };
	if (list_recs(root, &have, err) < 0)
		return NULL;
	const struct pd_image_rec *img = find_id(&have, id);
	if (!img) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "image %.19s was removed", id);
		return NULL;
	}
	struct pd_idmap map;
	struct pd_cache_mode mode;
	pd_image_mode(rootless, &map, &mode);
	enum pd_layer_variant v = pd_layer_variant_of(&mode);
	_cleanup_strv_ char **dirs = xcalloc(img->n_layers + 1, sizeof(char *));
	for (size_t k = 0; k < img->n_layers; k++) {
		const char *d = img->layers[img->n_layers - 1 - k].digest;
		if (pd_layer_extract(root, d, &mode, err) < 0)
			return NULL;
		dirs[k] = pd_layer_short_path(root, d, v);
	}
	return take_ptr(&dirs);
}

char *pd_image_tarball_rootfs(const char *root, const char *tarball, bool rootless, unsigned *skipped_devices,
			      struct pd_err **err)
{
	struct pd_idmap map;
	struct pd_cache_mode mode;
	pd_image_mode(rootless, &map, &mode);
	return pd_cache_rootfs(root, tarball, &mode, skipped_devices, err);
}

/* ------------------------------------------------------------------ */
/* Removing. */

/* The names of containers (any state) made from image `id`. */
static int users_of(struct pd_store *s, const char *id, char **first, size_t *count, struct pd_err **err)
{
	*first = NULL;
	*count = 0;
	struct pd_record *r = NULL;
	size_t n = 0;
	if (pd_store_list(s, &r, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *j = r[i].config ? json_loads(r[i].config, 0, NULL) : NULL;
		const char *img = json_string_value(json_object_get(j, "ImageID"));
		if (img && !strcmp(img, id)) {
			if (!*first)
				*first = xstrdup(r[i].name);
			(*count)++;
		}
		if (j)
			json_decref(j);
	}
	pd_records_free(r, n);
	return 0;
}

static void report_untag(char ***report, const struct pd_image_name *nm)
{
	_cleanup_free_ char *repo = pd_image_display_repo(nm->repo);
	strv_push_take(report, *nm->tag ? xasprintf("Untagged: %s:%s", repo, nm->tag)
					: xasprintf("Untagged: %s", repo));
}

/* Forced while in use: the names go, the image stays for its containers
 * (shown as <none>) until removed by id. */
static int untag_all(struct pd_store *s, const struct pd_image_rec *img, char ***report, struct pd_err **err)
{
	for (size_t i = 0; i < img->n_names; i++) {
		if (pd_store_image_untag(s, img->names[i].repo, img->names[i].tag, err) < 0)
			return -1;
		report_untag(report, &img->names[i]);
	}
	return 0;
}

/* The image's rows, then the layers no other image stacks, their blobs,
 * and the config blob. */
static int delete_image(const char *root, struct pd_store *s, const struct pd_image_rec *img, char ***report,
			struct pd_err **err)
{
	_cleanup_strv_ char **unused = NULL;
	if (pd_store_image_delete(s, img->id, &unused, err) < 0)
		return -1;
	for (size_t i = 0; i < img->n_names; i++)
		report_untag(report, &img->names[i]);
	struct own_mode om;
	const struct pd_cache_mode *mode = own_mode(&om);
	for (size_t i = 0; unused && unused[i]; i++) {
		if (pd_layer_remove(root, unused[i], mode, err) < 0 ||
		    pd_blob_remove(root, unused[i], err) < 0)
			return -1;
		strv_push_take(report, xasprintf("Deleted: %s", unused[i]));
	}
	/* The config blob (a rootfs tarball's id is its layer: gone above),
	 * and the manifest a pull kept for it. */
	if (pd_blob_remove(root, img->id, err) < 0)
		return -1;
	_cleanup_free_ char *kept = pd_manifest_kept_path(root, img->id);
	if (kept && unlink(kept) < 0 && errno != ENOENT)
		return pd_fail(err, errno, "remove '%s'", kept);
	strv_push_take(report, xasprintf("Deleted: %s", img->id));
	return 0;
}

int pd_image_remove(const char *root, const char *name, bool force, char ***report, struct pd_err **err)
{
	_cleanup_close_ int lock = pd_images_lock(root, true, err);
	if (lock < 0)
		return -1;
	_cleanup_(pd_image_free) struct pd_image img = { 0 };
	int f = pd_image_find(root, name, &img, err);
	if (f < 0)
		return -1;
	if (f == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: '%s'", name);
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	_cleanup_free_ char *user = NULL;
	size_t users = 0;
	if (!s || users_of(s, img.rec.id, &user, &users, err) < 0)
		return -1;
	/* A name of an image that has others: only that name goes. */
	if (img.matched && img.rec.n_names > 1) {
		if (pd_store_image_untag(s, img.matched->repo, img.matched->tag, err) < 0)
			return -1;
		report_untag(report, img.matched);
		return 0;
	}
	if (users && !force)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "image '%s' (%.19s) is in use by container %s%s (remove it first, or use -f)", name,
		    img.rec.id, user, users > 1 ? " and others" : "");
	if (users)
		return untag_all(s, &img.rec, report, err);
	return delete_image(root, s, &img.rec, report, err);
}
