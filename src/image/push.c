/* Pushing blobs and manifests (see push.h).
 *
 * Runs in the CLI (push), as root or as the invoking user.  Reads blobs
 * from the store (under the images lock its caller holds); writes nothing
 * locally.
 *
 * The protocol (OCI distribution spec, "Pushing blobs"): HEAD
 * /v2/NAME/blobs/DIGEST answers 200 when the blob is there.  Otherwise
 * POST /v2/NAME/blobs/uploads/ (with ?mount=DIGEST&from=REPO first when
 * another repository may hold it: 201 is a mount, 202 a plain upload
 * session the registry opened instead) answers 202 with the session's
 * Location; one PUT LOCATION?digest=DIGEST with the body completes it, or
 * PATCHes of consecutive chunks (Content-Range: START-END, each answered
 * with the next Location) then an empty PUT.  Locations may be relative
 * and may carry a query of their own: a parameter is appended with & then.
 *
 * Threats: the registry is told a digest and checks it; an answer naming
 * another digest is an error.  Locations are only followed on the
 * registry's own origin (an absolute Location elsewhere is refused: the
 * registry's credentials go with every request).  Answers are read up to
 * 64 KiB. */
#include "image/push.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fetch.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

#define ANSWER_MAX (64u << 10)

/* The registry's error, for messages: its first error message if any. */
static const char *why(const struct pd_http_resp *resp, char buf[160])
{
	json_t *j = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg =
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
	snprintf(buf, 160, "%s", msg ? msg : "");
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (j)
		json_decref(j);
	return buf;
}

/* A session's Location as an absolute URL on the registry's origin. */
static char *session_url(const struct pd_registry *r, const struct pd_http_resp *resp, struct pd_err **err)
{
	const char *loc = resp->location;
	if (!loc || !*loc) {
		pd_fail(err, 0, "%s: HTTP %ld without a Location", r->ref.domain, resp->status);
		return NULL;
	}
	if (loc[0] == '/' && loc[1] != '/')
		return xasprintf("%s%s", r->base, loc);
	size_t bl = strlen(r->base);
	if (!strncmp(loc, r->base, bl) && (loc[bl] == '/' || loc[bl] == '\0'))
		return xstrdup(loc);
	pd_fail(err, 0, "%s: an upload Location on another origin is refused", r->ref.domain);
	return NULL;
}

static char *with_param(const char *url, const char *param)
{
	return xasprintf("%s%s%s", url, strchr(url, '?') ? "&" : "?", param);
}

static int send(struct pd_registry *r, const char *method, const char *url, const struct pd_http_body *body,
		char *const *headers, struct pd_http_resp *resp, struct pd_err **err)
{
	struct pd_http_req req = { .url = url, .method = method, .body = body, .headers = headers };
	if (method && !strcmp(method, "HEAD")) {
		req.method = NULL;
		req.head = true;
	}
	return pd_registry_send(r, &req, ANSWER_MAX, resp, err);
}

/* HEAD: 0 absent, 1 present. */
static int blob_exists(struct pd_registry *r, const char *digest, struct pd_err **err)
{
	_cleanup_free_ char *url = pd_registry_blob_url(r, digest);
	struct pd_http_resp resp;
	if (send(r, "HEAD", url, NULL, NULL, &resp, err) < 0)
		return -1;
	long st = resp.status;
	pd_http_resp_free(&resp);
	if (st == 200)
		return 1;
	if (st == 404)
		return 0;
	return pd_fail(err, 0, "HTTP %ld", st);
}

/* POST: a mount (returns 1) or an upload session (*loc, returns 0). */
static int start_upload(struct pd_registry *r, const struct pd_push_blob *b, char **loc, struct pd_err **err)
{
	_cleanup_free_ char *url = NULL;
	if (b->mount_from)
		url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, r->ref.path, b->digest,
				b->mount_from);
	else
		url = xasprintf("%s/v2/%s/blobs/uploads/", r->base, r->ref.path);
	struct pd_http_resp resp;
	if (send(r, "POST", url, NULL, NULL, &resp, err) < 0)
		return -1;
	int ret = 0;
	char buf[160];
	if (resp.status == 201 && b->mount_from)
		ret = 1;
	else if (resp.status != 202)
		ret = pd_fail(err, 0, "start an upload: HTTP %ld %s", resp.status, why(&resp, buf));
	else if (!(*loc = session_url(r, &resp, err)))
		ret = -1;
	pd_http_resp_free(&resp);
	return ret;
}

/* Check the digest the registry says it stored. */
static int check_digest(const struct pd_http_resp *resp, const char *digest, struct pd_err **err)
{
	const char *got = resp->docker_content_digest;
	if (got && *got && strcmp(got, digest))
		return pd_fail(err, 0, "the registry stored %.80s, not %s", got, digest);
	return 0;
}

static int upload(struct pd_registry *r, const struct pd_push_blob *b, int fd, char *loc, uint64_t chunk,
		  struct pd_err **err)
{
	_cleanup_free_ char *url = loc;
	static char *const octet[] = { "Content-Type: application/octet-stream", NULL };
	struct pd_http_resp resp;
	char buf[160];
	uint64_t off = 0;
	bool chunked = chunk && b->size > chunk;
	while (chunked && off < b->size) {
		uint64_t n = b->size - off < chunk ? b->size - off : chunk;
		struct pd_http_body body = {
			.mem = b->mem ? (const char *)b->mem + off : NULL, .fd = fd, .off = off, .len = n
		};
		_cleanup_free_ char *range = xasprintf("Content-Range: %llu-%llu", (unsigned long long)off,
						       (unsigned long long)(off + n - 1));
		char *const hdrs[] = { octet[0], range, NULL };
		if (send(r, "PATCH", url, &body, hdrs, &resp, err) < 0)
			return -1;
		if (resp.status != 202) {
			pd_fail(err, 0, "upload a chunk at %llu: HTTP %ld %s", (unsigned long long)off,
				resp.status, why(&resp, buf));
			pd_http_resp_free(&resp);
			return -1;
		}
		char *next = session_url(r, &resp, err);
		pd_http_resp_free(&resp);
		if (!next)
			return -1;
		free(url);
		url = next;
		off += n;
	}
	struct pd_http_body body = { .mem = b->mem, .fd = fd, .len = chunked ? 0 : b->size };
	_cleanup_free_ char *dparam = xasprintf("digest=%s", b->digest);
	_cleanup_free_ char *put = with_param(url, dparam);
	if (send(r, "PUT", put, &body, octet, &resp, err) < 0)
		return -1;
	int ret = 0;
	if (resp.status != 201 && resp.status != 204)
		ret = pd_fail(err, 0, "complete the upload: HTTP %ld %s", resp.status, why(&resp, buf));
	else
		ret = check_digest(&resp, b->digest, err);
	pd_http_resp_free(&resp);
	return ret;
}

static int push_one(struct pd_registry *r, const struct pd_push_blob *b, uint64_t chunk,
		    enum pd_push_result *res, struct pd_err **err)
{
	int has = blob_exists(r, b->digest, err);
	if (has < 0)
		return -1;
	if (has) {
		*res = PD_PUSH_EXISTS;
		return 0;
	}
	_cleanup_close_ int fd = b->mem ? -1 : open(b->path, O_RDONLY | O_CLOEXEC);
	if (!b->mem && fd < 0)
		return pd_fail(err, errno, "open '%s'", b->path);
	char *loc = NULL;
	/* The mount source's pull scope joins the token's for this request
	 * only (a registry may refuse the mount: then it is a plain upload). */
	if (b->mount_from)
		r->mount_from = xstrdup(b->mount_from);
	int m = start_upload(r, b, &loc, err);
	free(r->mount_from);
	r->mount_from = NULL;
	if (m < 0)
		return -1;
	if (m == 1) {
		*res = PD_PUSH_MOUNTED;
		return 0;
	}
	if (upload(r, b, fd, loc, chunk, err) < 0)
		return -1;
	*res = PD_PUSH_PUSHED;
	return 0;
}

int pd_push_blob(struct pd_registry *r, const struct pd_push_blob *b, uint64_t chunk,
		 enum pd_push_result *res, struct pd_err **err)
{
	if (push_one(r, b, chunk, res, err) < 0) {
		pd_err_prefix(err, "blob %.19s", b->digest);
		return -1;
	}
	return 0;
}

int pd_push_manifest(struct pd_registry *r, const char *tag, const char *body, size_t len,
		     const char *media_type, char digest[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	struct pd_sha256 h;
	char hex[PD_SHA256_HEX_LEN + 1];
	if (pd_sha256_init(&h, err) < 0)
		return -1;
	pd_sha256_update(&h, body, len);
	pd_sha256_final(&h, hex);
	snprintf(digest, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->ref.path, tag);
	_cleanup_free_ char *ctype = xasprintf("Content-Type: %s", media_type);
	char *const hdrs[] = { ctype, NULL };
	struct pd_http_body b = { .mem = body, .len = len };
	struct pd_http_resp resp;
	char buf[160];
	if (send(r, "PUT", url, &b, hdrs, &resp, err) < 0) {
		pd_err_prefix(err, "manifest");
		return -1;
	}
	int ret = 0;
	if (resp.status != 201 && resp.status != 200)
		ret = pd_fail(err, 0, "manifest: HTTP %ld %s", resp.status, why(&resp, buf));
	else
		ret = check_digest(&resp, digest, err);
	pd_http_resp_free(&resp);
	return ret;
}

int pd_push_layer_kind(const char *path, enum pd_layer_kind *kind, struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char m[6] = { 0 };
	if (fd < 0 || pread(fd, m, sizeof(m), 0) < 0)
		return pd_fail(err, errno, "read '%s'", path);
	if (m[0] == 0x1f && m[1] == 0x8b)
		*kind = PD_LAYER_GZIP;
	else if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		*kind = PD_LAYER_ZSTD;
	else if (!memcmp(m,
			 "\xfd"
			 "7zXZ",
			 5) ||
		 !memcmp(m, "BZh", 3))
		*kind = PD_LAYER_OTHER;
	else
		*kind = PD_LAYER_TAR;
	return 0;
}

static json_t *desc_json(const char *media_type, const struct pd_push_desc *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", d->digest, "size",
			 (json_int_t)d->size);
}

char *pd_push_manifest_json(const struct pd_push_desc *config, const struct pd_push_desc *layers, size_t n,
			    const char **media_type)
{
	bool docker = true;
	for (size_t i = 0; i < n; i++)
		docker = docker && layers[i].kind == PD_LAYER_GZIP;
	static const char *const oci_layer[] = {
		[PD_LAYER_TAR] = "application/vnd.oci.image.layer.v1.tar",
		[PD_LAYER_GZIP] = "application/vnd.oci.image.layer.v1.tar+gzip",
		[PD_LAYER_ZSTD] = "application/vnd.oci.image.layer.v1.tar+zstd",
	};
	*media_type = docker ? "application/vnd.docker.distribution.manifest.v2+json"
			     : "application/vnd.oci.image.manifest.v1+json";
	json_t *ls = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ls,
				      desc_json(docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
						       : oci_layer[layers[i].kind],
						&layers[i]));
	json_t *m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType", *media_type, "config",
			      desc_json(docker ? "application/vnd.docker.container.image.v1+json"
					       : "application/vnd.oci.image.config.v1+json",
					config),
			      "layers", ls);
	char *s = json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (!s)
		abort();
	return s;
}

static bool desc_matches(const struct pd_descriptor *d, const struct pd_push_desc *want)
{
	return d->digest && !strcmp(d->digest, want->digest) && d->size == want->size;
}

char *pd_push_kept_manifest(const char *path, const struct pd_push_desc *config,
			    const struct pd_push_desc *layers, size_t n, size_t *len, const char **media_type)
{
	static const char docker[] = "application/vnd.docker.distribution.manifest.v2+json";
	static const char oci[] = "application/vnd.oci.image.manifest.v1+json";
	/* Any failure to read or parse it only means push writes its own. */
	struct stat st;
	if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > PD_JSON_MAX)
		return NULL;
	_cleanup_free_ char *body = pd_read_file(path, len, pd_err_ignore(optional));
	if (!body)
		return NULL;
	_cleanup_manifest_ struct pd_manifest m = { 0 };
	if (pd_manifest_parse(body, *len, NULL, &m, pd_err_ignore(optional)) < 0 || m.is_index ||
	    !desc_matches(&m.config, config) || m.n_layers != n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!desc_matches(&m.layers[i], &layers[i]))
			return NULL;
	json_t *j = json_loadb(body, *len, 0, NULL);
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	*media_type = !mt || !strcmp(mt, oci) ? oci : !strcmp(mt, docker) ? docker : NULL;
	if (j)
		json_decref(j);
	return *media_type ? take_ptr(&body) : NULL;
}
