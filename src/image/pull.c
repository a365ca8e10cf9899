/* Pulling one image's blobs (see pull.h).
 *
 * Runs in the CLI (pull), as root or as the invoking user.  Writes only
 * the blob store (blobs.h) and the kept manifests (images/manifests/),
 * under the images lock its caller holds.
 *
 * Threats: the registry is untrusted.  Every manifest is verified against
 * the digest asked for (registry.c), every blob against the manifest's
 * digest and size before it is renamed into place (blobs.c), and a config
 * is only read up to PD_JSON_MAX bytes and parsed by manifest.c, which
 * checks every field. */
#include "image/pull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

/* One manifest or index, verified and parsed; its bytes in *body. */
static int get_one(struct pd_registry *r, const char *reference, struct pd_manifest *m,
		   char digest[PD_DIGEST_LEN + 1], char **body, size_t *len, struct pd_err **err)
{
	_cleanup_free_ char *ctype = NULL;
	if (pd_registry_manifest(r, reference, body, len, &ctype, digest, err) < 0)
		return -1;
	return pd_manifest_parse(*body, *len, ctype, m, err);
}

int pd_pull_manifest(struct pd_registry *r, const char *reference, struct pd_manifest *m,
		     char digest[PD_DIGEST_LEN + 1], char **body, size_t *len, struct pd_err **err)
{
	_cleanup_manifest_ struct pd_manifest top = { 0 };
	_cleanup_free_ char *top_body = NULL;
	size_t top_len = 0;
	if (get_one(r, reference, &top, digest, &top_body, &top_len, err) < 0)
		return -1;
	if (!top.is_index) {
		*m = top;
		top = (struct pd_manifest){ 0 };
		*body = take_ptr(&top_body);
		*len = top_len;
		return 0;
	}
	const struct pd_descriptor *d = pd_index_select(&top, pd_host_arch(), pd_host_variant(), err);
	if (!d)
		return -1;
	/* The entry's own digest is checked by get_one; the name is recorded
	 * with the index's. */
	char entry_digest[PD_DIGEST_LEN + 1];
	_cleanup_manifest_ struct pd_manifest one = { 0 };
	_cleanup_free_ char *one_body = NULL;
	size_t one_len = 0;
	if (get_one(r, d->digest, &one, entry_digest, &one_body, &one_len, err) < 0)
		return -1;
	if (one.is_index)
		return pd_fail(err, 0, "an index entry names another index");
	*m = one;
	one = (struct pd_manifest){ 0 };
	*body = take_ptr(&one_body);
	*len = one_len;
	return 0;
}

char *pd_manifest_kept_path(const char *root, const char *config_digest)
{
	if (!pd_digest_valid(config_digest))
		return NULL;
	return xasprintf("%s/images/manifests/%s", root, config_digest + 7);
}

int pd_pull_keep_manifest(const char *root, const char *config_digest, const char *body, size_t len,
			  struct pd_err **err)
{
	_cleanup_free_ char *path = pd_manifest_kept_path(root, config_digest);
	if (!path)
		return pd_fail(err, 0, "config digest '%.80s' is not valid", config_digest);
	_cleanup_free_ char *dir = xasprintf("%s/images/manifests", root);
	if (mkdir(dir, 0700) == 0)
		pd_chown_to_invoker(dir);
	else if (errno != EEXIST)
		return pd_fail(err, errno, "create '%s'", dir);
	if (pd_write_file_atomic(path, body, len, 0600, err) < 0)
		return -1;
	pd_chown_to_invoker(path);
	return 0;
}

int pd_pull_blobs(const char *root, struct pd_registry *r, const struct pd_manifest *m, unsigned parallel,
		  pd_progress_fn progress, void *data, char ***fresh, struct pd_err **err)
{
	size_t n = m->n_layers + 1;
	_cleanup_free_ struct pd_blob_get *g = xcalloc(n, sizeof(*g));
	_cleanup_strv_ char **urls = xcalloc(n + 1, sizeof(char *));
	_cleanup_strv_ char **whats = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct pd_descriptor *d = i == 0 ? &m->config : &m->layers[i - 1];
		urls[i] = pd_registry_blob_url(r, d->digest);
		whats[i] =
		    i == 0 ? xasprintf("config %.19s", d->digest) : xasprintf("layer %.19s", d->digest);
		g[i] = (struct pd_blob_get){
			.url = urls[i],
			.headers = pd_registry_headers(r),
			.userpwd = pd_registry_userpwd(r),
			.digest = d->digest,
			.size = d->size,
			.what = whats[i],
		};
		if (d->digest && !pd_blob_has(root, d->digest))
			strv_push(fresh, d->digest);
	}
	return pd_blob_fetch(root, g, n, parallel, progress, data, err);
}

/* A stored blob small enough to hold in memory. */
static char *read_blob(const char *root, const char *digest, size_t *len, struct pd_err **err)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	struct stat st;
	if (!p || stat(p, &st) < 0) {
		pd_fail(err, errno, "blob %.19s is missing", digest ? digest : "?");
		return NULL;
	}
	if ((uint64_t)st.st_size > PD_JSON_MAX) {
		pd_fail(err, 0, "blob %.19s: larger than %u bytes", digest, PD_JSON_MAX);
		return NULL;
	}
	return pd_read_file(p, len, err);
}

int pd_image_config_load(const char *root, const char *digest, size_t n_layers, struct pd_image_config *cfg,
			 struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_blob(root, digest, &len, err);
	_cleanup_image_config_ struct pd_image_config c = { 0 };
	if (!body || pd_image_config_parse(body, len, &c, err) < 0)
		return -1;
	if (c.os && strcmp(c.os, "linux"))
		return pd_fail(err, 0, "the image is for %s, not linux", c.os);
	if (c.arch && strcmp(c.arch, pd_host_arch()))
		return pd_fail(err, 0, "the image is for %s, this host is %s", c.arch, pd_host_arch());
	if (c.diff_ids && c.n_diff_ids != n_layers)
		return pd_fail(err, 0, "the image config lists %zu layers, the manifest %zu", c.n_diff_ids,
			       n_layers);
	*cfg = c;
	c = (struct pd_image_config){ 0 };
	return 0;
}
