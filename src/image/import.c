/* Reading an image file into the blob store (see import.h).
 *
 * Runs in the CLI (import), as root or as the invoking user.  Writes only
 * under the state root's images/ (blobs.h), under the images lock its
 * caller holds.
 *
 * Threats: the file is untrusted, and so is everything in it.  An archive
 * is unpacked by archive.c (every path kept inside images/tmp/put-*); each
 * member the archive's JSON names is then opened relative to that tree
 * with RESOLVE_IN_ROOT, so a name (or a symlink the archive planted) never
 * reaches a host file, and only a regular file is read.  JSON members are
 * read up to PD_JSON_MAX bytes; blobs named by a digest are verified
 * against it as they are stored. */
#include "image/import.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

int pd_import_kind(const char *file, enum pd_import_kind *kind, struct pd_err **err)
{
	static const char *const marks[] = { "oci-layout", "index.json", "manifest.json", NULL };
	bool found[3];
	if (pd_archive_find_files(file, marks, found, err) < 0)
		return -1;
	*kind = found[0] && found[1] ? PD_IMPORT_OCI : found[2] ? PD_IMPORT_DOCKER : PD_IMPORT_ROOTFS;
	return 0;
}

void pd_import_free(struct pd_import *im)
{
	free(im->layers);
	free(im->sizes);
	free(im->repo_tag);
	*im = (struct pd_import){ 0 };
}

/* Open `path` inside the unpacked archive: RESOLVE_IN_ROOT keeps a symlink
 * planted by the archive from reaching a host file.  The archive chooses
 * what each name is: only a regular file is read.  O_NONBLOCK, because a
 * FIFO (the archive can hold one) would block the open itself forever;
 * O_NOFOLLOW, because a symlink at the name could lead to one; O_NOCTTY
 * for the rest. */
static int open_inside(int dirfd, const char *path, struct stat *st, struct pd_err **err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ELOOP)
		return pd_fail(err, 0, "'%s' in the archive is a symlink, not a regular file", path);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s' in the archive", path);
	if (fstat(fd, st) < 0)
		return pd_fail(err, errno, "stat '%s' in the archive", path);
	if (!S_ISREG(st->st_mode))
		return pd_fail(err, 0, "'%s' in the archive is not a regular file", path);
	if (fcntl(fd, F_SETFL, O_RDONLY) < 0)
		return pd_fail(err, errno, "open '%s' in the archive", path);
	return take_fd(&fd);
}

/* A JSON member (index.json, manifest.json, a manifest), at most
 * PD_JSON_MAX bytes. */
static char *read_inside(int dirfd, const char *path, size_t *len, struct pd_err **err)
{
	struct stat st;
	_cleanup_close_ int fd = open_inside(dirfd, path, &st, err);
	if (fd < 0)
		return NULL;
	if ((uint64_t)st.st_size > PD_JSON_MAX) {
		pd_fail(err, 0, "'%s' in the archive is larger than %u bytes", path, PD_JSON_MAX);
		return NULL;
	}
	char *buf = pd_read_fd(fd, (size_t)st.st_size, len);
	if (!buf)
		pd_fail(err, errno, "read '%s' in the archive", path);
	return buf;
}

/* Store the archive member `path` as a blob (verified against `expect`
 * when given). */
static int put_inside(const char *root, int dirfd, const char *path, const char *expect, char ***fresh,
		      char digest[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	struct stat st;
	_cleanup_close_ int fd = open_inside(dirfd, path, &st, err);
	if (fd < 0)
		return -1;
	/* Without a digest to expect, "stored before" is not known: a blob
	 * a recorded image uses is never discarded anyway. */
	bool had = expect && pd_blob_has(root, expect);
	if (pd_blob_put_fd(root, fd, 0, expect, digest, err) < 0) {
		pd_err_prefix(err, "'%s'", path);
		return -1;
	}
	if (!had)
		strv_push(fresh, digest);
	return 0;
}

static uint64_t blob_size(const char *root, const char *digest)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	struct stat st;
	return p && stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The image manifest of an OCI layout: index.json, and the indexes it
 * names (at most three deep), resolved to one manifest, each stored only
 * to verify it. */
static int oci_manifest(const char *root, int dirfd, struct pd_manifest *m, char mdigest[PD_DIGEST_LEN + 1],
			struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_inside(dirfd, "index.json", &len, err);
	if (!body || pd_manifest_parse(body, len, NULL, m, err) < 0)
		return -1;
	for (int depth = 0; depth < 3 && m->is_index; depth++) {
		const struct pd_descriptor *d =
		    m->n_manifests == 1 ? &m->manifests[0]
					: pd_index_select(m, pd_host_arch(), pd_host_variant(), err);
		if (!d)
			return -1;
		if (!pd_digest_valid(d->digest))
			return pd_fail(err, 0, "index.json: invalid digest");
		char digest[PD_DIGEST_LEN + 1], got[PD_DIGEST_LEN + 1];
		snprintf(digest, sizeof(digest), "%s", d->digest);
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest + 7);
		free(body);
		body = read_inside(dirfd, path, &len, err);
		pd_manifest_free(m);
		if (!body || pd_blob_put_mem(root, body, len, digest, got, err) < 0)
			return -1;
		/* A manifest is not kept: the image's rows name what it held.
		 * Best effort: an unused blob is only disk space. */
		pd_blob_remove(root, got, pd_err_ignore(optional));
		snprintf(mdigest, PD_DIGEST_LEN + 1, "%s", got);
		if (pd_manifest_parse(body, len, NULL, m, err) < 0)
			return -1;
	}
	if (m->is_index)
		return pd_fail(err, 0, "index.json: indexes nested too deep");
	return 0;
}

/* An OCI image layout: index.json -> manifest -> config and layers, each
 * file under blobs/sha256/ verified against its digest as it is stored. */
static int import_oci(const char *root, int dirfd, struct pd_import *im, char ***fresh, struct pd_err **err)
{
	_cleanup_manifest_ struct pd_manifest m = { 0 };
	if (oci_manifest(root, dirfd, &m, im->mdigest, err) < 0)
		return -1;
	if (m.n_layers == 0)
		return pd_fail(err, 0, "the manifest has no layers");
	im->layers = xcalloc(m.n_layers, sizeof(*im->layers));
	im->sizes = xcalloc(m.n_layers, sizeof(*im->sizes));
	for (size_t i = 0; i <= m.n_layers; i++) {
		const struct pd_descriptor *d = i == 0 ? &m.config : &m.layers[i - 1];
		if (!pd_digest_valid(d->digest))
			return pd_fail(err, 0, "the manifest names an invalid digest");
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", d->digest + 7);
		char *out = i == 0 ? im->config : im->layers[i - 1];
		if (put_inside(root, dirfd, path, d->digest, fresh, out, err) < 0)
			return -1;
		if (i)
			im->sizes[i - 1] = d->size;
		im->n_layers = i;
	}
	return 0;
}

/* A `docker save` archive: manifest.json names the config and the layer
 * tars by path; digests are computed as they are stored. */
static int import_docker(const char *root, int dirfd, struct pd_import *im, char ***fresh,
			 struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_inside(dirfd, "manifest.json", &len, err);
	if (!body)
		return -1;
	json_auto_t *j = json_loadb(body, len, 0, NULL);
	json_t *e = json_array_get(j, 0);
	const char *config = json_string_value(json_object_get(e, "Config"));
	json_t *layers = json_object_get(e, "Layers");
	const char *tag = json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0));
	if (!config || !json_is_array(layers) || json_array_size(layers) == 0 ||
	    json_array_size(layers) > PD_MAX_LAYERS)
		return pd_fail(err, 0, "manifest.json: no image with a Config and 1 to %d Layers",
			       PD_MAX_LAYERS);
	if (json_array_size(j) > 1)
		return pd_fail(err, 0, "manifest.json: the archive holds %zu images; import one at a time",
			       json_array_size(j));
	if (put_inside(root, dirfd, config, NULL, fresh, im->config, err) < 0)
		return -1;
	size_t n = json_array_size(layers);
	im->layers = xcalloc(n, sizeof(*im->layers));
	im->sizes = xcalloc(n, sizeof(*im->sizes));
	for (size_t i = 0; i < n; i++) {
		const char *path = json_string_value(json_array_get(layers, i));
		if (!path)
			return pd_fail(err, 0, "manifest.json: a layer is not a path");
		if (put_inside(root, dirfd, path, NULL, fresh, im->layers[i], err) < 0)
			return -1;
		im->sizes[i] = blob_size(root, im->layers[i]);
		im->n_layers = i + 1;
	}
	if (tag)
		im->repo_tag = xstrdup(tag);
	return 0;
}

/* A plain rootfs tarball: stored whole, one layer. */
static int import_rootfs(const char *root, const char *file, struct pd_import *im, char ***fresh,
			 struct pd_err **err)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return pd_fail(err, errno, "open '%s'", file);
	if (pd_blob_put_fd(root, fd, 0, NULL, im->config, err) < 0)
		return -1;
	strv_push(fresh, im->config);
	im->layers = xcalloc(1, sizeof(*im->layers));
	im->sizes = xcalloc(1, sizeof(*im->sizes));
	memcpy(im->layers[0], im->config, sizeof(im->config));
	im->sizes[0] = (uint64_t)st.st_size;
	im->n_layers = 1;
	return 0;
}

static void remove_tree(const char *path)
{
	/* A tree that cannot be removed now is swept by the next exclusive
	 * images lock (blobs.h); the import's own result is what matters. */
	_cleanup_err_ struct pd_err *ignored = NULL;
	(void)pd_rm_rf(path, &ignored);
}

static void remove_treep(char **path)
{
	if (*path) {
		remove_tree(*path);
		free(*path);
	}
}

int pd_import_blobs(const char *root, const char *file, enum pd_import_kind kind, struct pd_import *im,
		    char ***fresh, struct pd_err **err)
{
	*im = (struct pd_import){ 0 };
	if (kind == PD_IMPORT_ROOTFS)
		return import_rootfs(root, file, im, fresh, err);
	/* The archive of blobs is unpacked (safely, as a rootfs) here. */
	__attribute__((cleanup(remove_treep))) char *tmp = xasprintf("%s/images/tmp/put-import-XXXXXX", root);
	if (!mkdtemp(tmp)) {
		int e = errno;
		free(take_ptr(&tmp)); /* nothing was made to remove */
		return pd_fail(err, e, "create a directory in '%s/images/tmp'", root);
	}
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open '%s'", tmp);
	struct pd_extract_opts xo = { .rootless = true };
	if (pd_archive_extract(file, dfd, &xo, NULL, err) < 0)
		return -1;
	return (kind == PD_IMPORT_OCI ? import_oci : import_docker)(root, dfd, im, fresh, err);
}
