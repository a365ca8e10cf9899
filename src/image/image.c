/* The image store (see image.h).
 *
 * Runs in the CLI (pull, import, images, rmi, and run when it resolves an
 * image), as root or as the invoking user.  Writes only under the state
 * root: images/ (blobs.h), layers/ (layers.h) and state.db.
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
 * checked by blobs.c and registry.c before anything is renamed into place,
 * layers are extracted by archive.c (every path kept inside the layer),
 * and layer directories are named by the digest of the bytes we hold. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"
#include "image/archive.h"
#include "image/blobs.h"
#include "image/fetch.h"
#include "image/layers.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

#define CONFIG_MAX (4u << 20)

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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

static void unlock_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* ------------------------------------------------------------------ */
/* Progress on a terminal: one line, rewritten. */

struct progress {
	bool on;
	const char *what;
};

static void human(uint64_t n, char *buf, size_t len)
{
	if (n >= 1000000)
		snprintf(buf, len, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, len, "%.1f kB", (double)n / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " B", n);
}

static void on_progress(struct pd_download *const *d, size_t n, bool final, void *data)
{
	struct progress *p = data;
	if (!p->on)
		return;
	uint64_t done = 0, total = 0;
	size_t finished = 0;
	for (size_t i = 0; i < n; i++) {
		done += d[i]->done;
		total += d[i]->total ? d[i]->total : d[i]->done;
		if (d[i]->total && d[i]->done >= d[i]->total)
			finished++;
	}
	char a[32], b[32];
	human(done, a, sizeof(a));
	human(total, b, sizeof(b));
	int width = 30, fill = total ? (int)(done * (uint64_t)width / total) : 0;
	if (fill > width)
		fill = width;
	fprintf(stderr, "\r%s: [%.*s%*s] %s / %s (%zu/%zu)\033[K", p->what, fill,
		"##############################", width - fill, "", a, b, finished, n);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* Records. */

static int list_recs(const char *root, struct pd_image_rec **v, size_t *n, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_image_list(s, v, n, err);
}

int pd_image_list(const char *root, struct pd_image_rec **out, size_t *n, struct pd_err **err)
{
	return list_recs(root, out, n, err);
}

static bool digest_used(const struct pd_image_rec *v, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].id, digest))
			return true;
		for (size_t k = 0; k < v[i].n_layers; k++)
			if (!strcmp(v[i].layers[k].digest, digest))
				return true;
	}
	return false;
}

/* After a failed pull or import: remove what it stored (`fresh`: digests
 * that were not in the store before) unless a recorded image uses it. */
static void discard_fresh(const char *root, char *const *fresh)
{
	if (!fresh || !fresh[0])
		return;
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	_cleanup_err_ struct pd_err *e = NULL;
	if (list_recs(root, &v, &n, &e) < 0)
		return;
	for (size_t i = 0; fresh[i]; i++) {
		if (digest_used(v, n, fresh[i]))
			continue;
		_cleanup_err_ struct pd_err *e2 = NULL;
		pd_layer_remove(root, fresh[i], &e2);
		pd_blob_remove(root, fresh[i], &e2);
	}
	pd_image_recs_free(v, n);
}

static void record_fresh(const char *root, char ***fresh, const char *digest)
{
	if (digest && !pd_blob_has(root, digest))
		strv_push(fresh, digest);
}

static int record_image(const char *root, const struct pd_image_rec *img, const char *repo, const char *tag,
			const char *digest, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	return pd_store_image_add(s, img, repo, tag, digest, err);
}

/* ------------------------------------------------------------------ */
/* Pull from a registry. */

static char *read_blob(const char *root, const char *digest, size_t *len, struct pd_err **err)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	struct stat st;
	if (!p || stat(p, &st) < 0) {
		pd_fail(err, errno, "blob %.19s is missing", digest ? digest : "?");
		return NULL;
	}
	if ((uint64_t)st.st_size > CONFIG_MAX) {
		pd_fail(err, 0, "blob %.19s: larger than %u bytes", digest, CONFIG_MAX);
		return NULL;
	}
	return pd_read_file(p, len, err);
}

/* Parse the config blob, check it fits the manifest and this host. */
static int load_config(const char *root, const char *digest, size_t n_layers, struct pd_image_config *cfg,
		       struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_blob(root, digest, &len, err);
	if (!body || pd_image_config_parse(body, len, cfg, err) < 0)
		return -1;
	if (cfg->os && strcmp(cfg->os, "linux")) {
		pd_fail(err, 0, "the image is for %s, not linux", cfg->os);
		goto fail;
	}
	if (cfg->arch && strcmp(cfg->arch, pd_host_arch())) {
		pd_fail(err, 0, "the image is for %s, this host is %s", cfg->arch, pd_host_arch());
		goto fail;
	}
	if (cfg->diff_ids && cfg->n_diff_ids != n_layers) {
		pd_fail(err, 0, "the image config lists %zu layers, the manifest %zu", cfg->n_diff_ids, n_layers);
		goto fail;
	}
	return 0;
fail:
	pd_image_config_free(cfg);
	return -1;
}

/* The manifest of one image for this host: an index is resolved to its
 * entry for linux/<arch>.  `digest` is the digest of what the reference
 * names (the index, if it is one), as the name is recorded with it. */
static int get_manifest(struct pd_registry *r, const char *reference, struct pd_manifest *m,
			char digest[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	_cleanup_free_ char *body = NULL, *ctype = NULL;
	size_t len;
	if (pd_registry_manifest(r, reference, &body, &len, &ctype, digest, err) < 0 ||
	    pd_manifest_parse(body, len, ctype, m, err) < 0)
		return -1;
	if (!m->is_index)
		return 0;
	const struct pd_descriptor *d = pd_index_select(m, pd_host_arch(), pd_host_variant(), err);
	_cleanup_free_ char *next = d ? xstrdup(d->digest) : NULL;
	pd_manifest_free(m);
	if (!next)
		return -1;
	free(body);
	free(ctype);
	body = ctype = NULL;
	char sub[PD_DIGEST_LEN + 1];
	if (pd_registry_manifest(r, next, &body, &len, &ctype, sub, err) < 0 ||
	    pd_manifest_parse(body, len, ctype, m, err) < 0)
		return -1;
	if (m->is_index) {
		pd_manifest_free(m);
		return pd_fail(err, 0, "an index entry names another index");
	}
	return 0;
}

/* Is the image already here, whole (every blob, every layer extracted for
 * this mode)? */
static bool image_complete(const char *root, const struct pd_image_rec *v, size_t n, const char *id, bool rootless)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].id, id))
			continue;
		for (size_t k = 0; k < v[i].n_layers; k++) {
			_cleanup_free_ char *p = pd_layer_path(root, v[i].layers[k].digest, rootless);
			if (!pd_blob_has(root, v[i].layers[k].digest) || !p || !pd_is_dir(p))
				return false;
		}
		return true;
	}
	return false;
}

/* One child per layer still to extract, as many at once as there are
 * CPUs: extraction is bound by system calls, so layers side by side use
 * the cores a single extractor leaves idle.  A child reports its error
 * text on a pipe. */
static int extract_layers(const char *root, const char *const *digests, size_t n_layers, struct pd_err **err)
{
	bool rootless = geteuid() != 0;
	size_t todo = 0;
	for (size_t i = 0; i < n_layers; i++) {
		_cleanup_free_ char *p = pd_layer_path(root, digests[i], rootless);
		todo += p && !pd_is_dir(p);
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (todo < 2 || cpus < 2) {
		for (size_t i = 0; i < n_layers; i++)
			if (pd_layer_extract(root, digests[i], rootless, err) < 0)
				return -1;
		return 0;
	}
	size_t max = cpus > 4 ? 4 : (size_t)cpus, running = 0, next = 0;
	pid_t *pids = xcalloc(n_layers, sizeof(pid_t));
	int *fds = xcalloc(n_layers, sizeof(int));
	int ret = 0;
	fflush(NULL);
	while (next < n_layers || running) {
		if (next < n_layers && running < max && ret == 0) {
			int p[2];
			if (pipe2(p, O_CLOEXEC) < 0) {
				ret = pd_fail(err, errno, "create a pipe");
				continue;
			}
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				struct pd_err *e = NULL;
				if (pd_layer_extract(root, digests[next], rootless, &e) == 0)
					_exit(0);
				(void)!write(p[1], e->msg, strlen(e->msg));
				_exit(e->errnum ? 100 + (e->errnum & 0x7f) : 1);
			}
			close(p[1]);
			if (pid < 0) {
				close(p[0]);
				ret = pd_fail(err, errno, "fork");
				continue;
			}
			pids[next] = pid;
			fds[next++] = p[0];
			running++;
			continue;
		}
		if (next < n_layers && ret < 0)
			next = n_layers; /* start no more after a failure */
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < next; i++) {
			if (pids[i] != pid)
				continue;
			running--;
			char msg[1024];
			ssize_t n = read(fds[i], msg, sizeof(msg) - 1);
			close(fds[i]);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				break;
			msg[n > 0 ? n : 0] = '\0';
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
			if (ret == 0)
				ret = pd_fail(err, code >= 100 ? code - 100 : 0, "%s",
					      n > 0 ? msg : "layer extraction ended abnormally");
		}
	}
	free(pids);
	free(fds);
	return ret;
}

/* Fetch the config and every layer not stored yet (in parallel, each
 * verified), check the config, extract the layers.  Digests not stored
 * before go to *fresh (for discard_fresh on failure). */
static int fetch_image(const char *root, struct pd_registry *r, const struct pd_manifest *m,
		       const struct pd_pull_opts *o, const char *name, char ***fresh, struct pd_image_config *cfg,
		       struct pd_err **err)
{
	size_t n = m->n_layers + 1;
	struct pd_blob_get *g = xcalloc(n, sizeof(*g));
	_cleanup_strv_ char **urls = xcalloc(n + 1, sizeof(char *));
	_cleanup_strv_ char **whats = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct pd_descriptor *d = i == 0 ? &m->config : &m->layers[i - 1];
		urls[i] = pd_registry_blob_url(r, d->digest);
		whats[i] = i == 0 ? xasprintf("config %.19s", d->digest) : xasprintf("layer %.19s", d->digest);
		g[i] = (struct pd_blob_get){
		    .url = urls[i],
		    .headers = pd_registry_headers(r),
		    .userpwd = pd_registry_userpwd(r),
		    .digest = d->digest,
		    .size = d->size,
		    .what = whats[i],
		};
		record_fresh(root, fresh, d->digest);
	}
	struct progress p = {.on = !o->quiet && isatty(2), .what = name};
	int ret = pd_blob_fetch(root, g, n, o->parallel ? o->parallel : 4, on_progress, &p, err);
	free(g);
	if (ret < 0 || load_config(root, m->config.digest, m->n_layers, cfg, err) < 0)
		return -1;
	const char **digests = xcalloc(m->n_layers, sizeof(char *));
	for (size_t i = 0; i < m->n_layers; i++)
		digests[i] = m->layers[i].digest;
	ret = extract_layers(root, digests, m->n_layers, err);
	free(digests);
	return ret;
}

/* Record the image of manifest `m` under repo:tag (rows already there are
 * kept: a second pull only adds the name). */
static int record_pulled(const char *root, const struct pd_manifest *m, const struct pd_image_config *cfg,
			 const char *repo, const char *tag, const char *mdigest, struct pd_err **err)
{
	struct pd_layer_rec *lr = xcalloc(m->n_layers, sizeof(*lr));
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
	int ret = record_image(root, &img, repo, tag, mdigest, err);
	free(lr);
	return ret;
}

static int pull_registry(const char *root, const char *what, const struct pd_pull_opts *o, char **name_out,
			 bool *up_to_date, struct pd_err **err)
{
	struct pd_ref ref;
	if (pd_ref_parse(what, &ref, err) < 0)
		return -1;
	_cleanup_free_ char *name = pd_ref_name(&ref);
	_cleanup_free_ char *repo = pd_ref_repo(&ref);
	struct pd_registry r;
	struct pd_manifest m = {0};
	struct pd_image_config cfg = {0};
	struct pd_image_rec *have = NULL;
	size_t n_have = 0;
	char **fresh = NULL;
	int ret = -1;
	char mdigest[PD_DIGEST_LEN + 1];
	pd_registry_open(&r, &ref, o->insecure, o->username, o->password, err);
	__attribute__((cleanup(unlock_fd))) int lock = pd_images_lock(root, false, err);
	if (lock < 0 || get_manifest(&r, ref.digest ? ref.digest : ref.tag, &m, mdigest, err) < 0)
		goto out;
	if (m.n_layers == 0 || m.n_layers > PD_MAX_LAYERS) {
		pd_fail(err, 0, "the manifest has %zu layers (1 to %d allowed)", m.n_layers, PD_MAX_LAYERS);
		goto out;
	}
	if (list_recs(root, &have, &n_have, err) < 0)
		goto out;
	/* Already here, whole: the manifest was all there was to fetch. */
	*up_to_date = image_complete(root, have, n_have, m.config.digest, geteuid() != 0);
	if (!*up_to_date && fetch_image(root, &r, &m, o, name, &fresh, &cfg, err) < 0)
		goto out;
	ret = record_pulled(root, &m, &cfg, repo, ref.tag ? ref.tag : "", mdigest, err);
	if (ret == 0)
		*name_out = xstrdup(name);
out:
	if (ret < 0) {
		pd_err_prefix(err, "pull '%s'", what);
		discard_fresh(root, fresh);
	}
	strv_free(fresh);
	pd_image_recs_free(have, n_have);
	pd_image_config_free(&cfg);
	pd_manifest_free(&m);
	pd_registry_close(&r);
	pd_ref_free(&ref);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Rootfs tarballs (by URL, or imported): one layer, an empty config. */

static int record_tarball(const char *root, const char *digest, uint64_t size, const char *repo, const char *tag,
			  struct pd_err **err)
{
	if (pd_layer_extract(root, digest, geteuid() != 0, err) < 0)
		return -1;
	struct pd_layer_rec lr = {.digest = (char *)digest, .size = size};
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

static int pull_url(const char *root, const char *url, const struct pd_pull_opts *o, char **name_out,
		    struct pd_err **err)
{
	_cleanup_free_ char *shown = pd_url_redact(url);
	const char *base = strrchr(shown, '/');
	base = base && base[1] ? base + 1 : shown;
	__attribute__((cleanup(unlock_fd))) int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	struct pd_blob_get g = {.url = url, .what = base};
	struct progress p = {.on = !o->quiet && isatty(2), .what = base};
	if (pd_blob_fetch(root, &g, 1, 1, on_progress, &p, err) < 0) {
		pd_err_prefix(err, "pull '%s'", shown);
		return -1;
	}
	char *fresh[] = {g.cached ? NULL : g.digest_out, NULL};
	/* A blob named by no digest is never "cached": was it stored before? */
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	if (list_recs(root, &v, &n, err) < 0)
		return -1;
	if (digest_used(v, n, g.digest_out))
		fresh[0] = NULL;
	pd_image_recs_free(v, n);
	if (record_tarball(root, g.digest_out, g.size_out, shown, "", err) < 0) {
		pd_err_prefix(err, "pull '%s'", shown);
		discard_fresh(root, fresh);
		return -1;
	}
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
/* Finding an image. */

void pd_image_free(struct pd_image *img)
{
	pd_image_rec_clear(&img->rec);
	pd_image_config_free(&img->cfg);
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

/* Which record `name` means: index into v and the name row, or -1. */
static int match(const struct pd_image_rec *v, size_t n, const char *name, size_t *name_idx, struct pd_err **err)
{
	*name_idx = SIZE_MAX;
	/* An exact name: a URL, a tag, a digest reference. */
	struct pd_ref ref = {0};
	_cleanup_err_ struct pd_err *ignored = NULL;
	bool is_ref = !pd_image_is_url(name) && pd_ref_parse(name, &ref, &ignored) == 0;
	_cleanup_free_ char *repo = is_ref ? pd_ref_repo(&ref) : NULL;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i].n_names; k++) {
			const struct pd_image_name *nm = &v[i].names[k];
			bool hit = !strcmp(nm->repo, name) && !*nm->tag;
			if (is_ref && !strcmp(nm->repo, repo))
				hit = hit || (ref.digest ? nm->digest && !strcmp(nm->digest, ref.digest)
							 : !strcmp(nm->tag, ref.tag));
			if (hit) {
				pd_ref_free(&ref);
				*name_idx = k;
				return (int)i;
			}
		}
	pd_ref_free(&ref);
	/* The id, "sha256:<id>", or a unique prefix of it. */
	const char *hex = str_has_prefix(name, "sha256:") ? name + 7 : name;
	if (is_hex(hex, hex == name ? 4 : 1)) {
		int found = -1;
		for (size_t i = 0; i < n; i++)
			if (!strncmp(v[i].id + 7, hex, strlen(hex))) {
				if (found >= 0) {
					pd_fail_kind(err, PD_ERR_USAGE, 0, "image id prefix '%s' is ambiguous", name);
					return -2;
				}
				found = (int)i;
			}
		if (found >= 0)
			return found;
	}
	/* The base name of a pulled URL, or of an imported file. */
	if (!strchr(name, '/'))
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < v[i].n_names; k++)
				if (!*v[i].names[k].tag && !strcmp(basename_of(v[i].names[k].repo), name)) {
					*name_idx = k;
					return (int)i;
				}
	return -1;
}

int pd_image_find(const char *root, const char *name, struct pd_image *out, struct pd_err **err)
{
	*out = (struct pd_image){0};
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	_cleanup_free_ char *dbpath = xasprintf("%s/state.db", root);
	struct stat st;
	/* No state yet: no images, and nothing to create just to say so. */
	if (stat(dbpath, &st) < 0)
		return 1;
	if (list_recs(root, &v, &n, err) < 0)
		return -1;
	size_t ni;
	int i = match(v, n, name, &ni, err);
	if (i < 0) {
		pd_image_recs_free(v, n);
		return i == -1 ? 1 : -1;
	}
	out->rec = v[i];
	v[i] = (struct pd_image_rec){0};
	pd_image_recs_free(v, n);
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
	char **argv = strv_copy(entrypoint ? entrypoint : ic->entrypoint);
	char *const *cmd = user_cmd && user_cmd[0] ? user_cmd : entrypoint ? NULL : ic->cmd;
	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&argv, cmd[i]);
	if (!argv[0]) {
		strv_free(argv);
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "image '%s' has no command: give one after the image name",
				    c->rootfs_arg);
	}
	strv_free(c->argv);
	c->argv = argv;
	free(c->image_id);
	c->image_id = xstrdup(img->rec.id);
	return 0;
}

char **pd_image_lowers(const char *root, const char *id, bool rootless, struct pd_err **err)
{
	__attribute__((cleanup(unlock_fd))) int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return NULL;
	struct pd_image_rec *v = NULL;
	size_t n = 0;
	if (list_recs(root, &v, &n, err) < 0)
		return NULL;
	char **dirs = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].id, id))
			continue;
		dirs = xcalloc(v[i].n_layers + 1, sizeof(char *));
		for (size_t k = 0; k < v[i].n_layers; k++) {
			const char *d = v[i].layers[v[i].n_layers - 1 - k].digest;
			if (pd_layer_extract(root, d, rootless, err) < 0) {
				strv_free(dirs);
				dirs = NULL;
				goto out;
			}
			dirs[k] = pd_layer_short_path(root, d, rootless);
		}
		goto out;
	}
	pd_fail_kind(err, PD_ERR_USAGE, 0, "image %.19s was removed", id);
out:
	pd_image_recs_free(v, n);
	return dirs;
}

/* ------------------------------------------------------------------ */
/* Removing. */

/* The names of containers (any state) made from image `id`. */
static int users_of(const char *root, const char *id, char **first, size_t *count, struct pd_err **err)
{
	*first = NULL;
	*count = 0;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
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
	strv_push_take(report, *nm->tag ? xasprintf("Untagged: %s:%s", repo, nm->tag) : xasprintf("Untagged: %s", repo));
}

int pd_image_remove(const char *root, const char *name, bool force, char ***report, struct pd_err **err)
{
	__attribute__((cleanup(unlock_fd))) int lock = pd_images_lock(root, true, err);
	if (lock < 0)
		return -1;
	struct pd_image img;
	int f = pd_image_find(root, name, &img, err);
	if (f < 0)
		return -1;
	if (f == 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: '%s'", name);
	int ret = -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	_cleanup_free_ char *user = NULL;
	size_t users = 0;
	if (!s || users_of(root, img.rec.id, &user, &users, err) < 0)
		goto out;
	/* A name of an image that has others: only that name goes. */
	if (img.matched && img.rec.n_names > 1) {
		if (pd_store_image_untag(s, img.matched->repo, img.matched->tag, err) < 0)
			goto out;
		report_untag(report, img.matched);
		ret = 0;
		goto out;
	}
	if (users && !force) {
		pd_fail_kind(err, PD_ERR_USAGE, 0,
			     "image '%s' (%.19s) is in use by container %s%s (remove it first, or use -f)", name,
			     img.rec.id, user, users > 1 ? " and others" : "");
		goto out;
	}
	if (users) {
		/* Forced while in use: the names go, the image stays for its
		 * containers (shown as <none>) until removed by id. */
		for (size_t i = 0; i < img.rec.n_names; i++) {
			if (pd_store_image_untag(s, img.rec.names[i].repo, img.rec.names[i].tag, err) < 0)
				goto out;
			report_untag(report, &img.rec.names[i]);
		}
		ret = 0;
		goto out;
	}
	char **unused = NULL;
	if (pd_store_image_delete(s, img.rec.id, &unused, err) < 0)
		goto out;
	for (size_t i = 0; i < img.rec.n_names; i++)
		report_untag(report, &img.rec.names[i]);
	ret = 0;
	for (size_t i = 0; unused && unused[i]; i++) {
		if (pd_layer_remove(root, unused[i], err) < 0 || pd_blob_remove(root, unused[i], err) < 0) {
			ret = -1;
			break;
		}
		strv_push_take(report, xasprintf("Deleted: %s", unused[i]));
	}
	strv_free(unused);
	/* The config blob (a rootfs tarball's id is its layer: gone above). */
	if (ret == 0 && pd_blob_remove(root, img.rec.id, err) < 0)
		ret = -1;
	if (ret == 0)
		strv_push_take(report, xasprintf("Deleted: %s", img.rec.id));
out:
	pd_image_free(&img);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Import. */

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
 * CONFIG_MAX bytes. */
static char *read_inside(int dirfd, const char *path, size_t *len, struct pd_err **err)
{
	struct stat st;
	_cleanup_close_ int fd = open_inside(dirfd, path, &st, err);
	if (fd < 0)
		return NULL;
	if ((uint64_t)st.st_size > CONFIG_MAX) {
		pd_fail(err, 0, "'%s' in the archive is larger than %u bytes", path, CONFIG_MAX);
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

struct import_result {
	char config[PD_DIGEST_LEN + 1];
	char mdigest[PD_DIGEST_LEN + 1];
	char (*layers)[PD_DIGEST_LEN + 1];
	uint64_t *sizes;
	size_t n_layers;
	char *repo_tag; /* the archive's own name for the image, or NULL */
};

static void import_result_free(struct import_result *r)
{
	free(r->layers);
	free(r->sizes);
	free(r->repo_tag);
}

static int blob_size(const char *root, const char *digest, uint64_t *size)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	struct stat st;
	*size = p && stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* An OCI image layout: index.json -> manifest -> config and layers, each
 * file under blobs/sha256/ verified against its digest as it is stored. */
static int import_oci(const char *root, int dirfd, struct import_result *res, char ***fresh, struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_inside(dirfd, "index.json", &len, err);
	struct pd_manifest m = {0};
	if (!body || pd_manifest_parse(body, len, NULL, &m, err) < 0)
		return -1;
	int ret = -1;
	for (int depth = 0; depth < 3 && m.is_index; depth++) {
		const struct pd_descriptor *d =
		    m.n_manifests == 1 ? &m.manifests[0] : pd_index_select(&m, pd_host_arch(), pd_host_variant(), err);
		if (!d || !pd_digest_valid(d->digest)) {
			if (d)
				pd_fail(err, 0, "index.json: invalid digest");
			goto out;
		}
		char digest[PD_DIGEST_LEN + 1], got[PD_DIGEST_LEN + 1];
		snprintf(digest, sizeof(digest), "%s", d->digest);
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest + 7);
		free(body);
		body = read_inside(dirfd, path, &len, err);
		pd_manifest_free(&m);
		if (!body || pd_blob_put_mem(root, body, len, digest, got, err) < 0)
			goto out;
		/* A manifest is not kept: the image's rows name what it held. */
		pd_blob_remove(root, got, NULL);
		snprintf(res->mdigest, sizeof(res->mdigest), "%s", got);
		if (pd_manifest_parse(body, len, NULL, &m, err) < 0)
			goto out;
	}
	if (m.is_index) {
		pd_fail(err, 0, "index.json: indexes nested too deep");
		goto out;
	}
	if (m.n_layers == 0) {
		pd_fail(err, 0, "the manifest has no layers");
		goto out;
	}
	res->layers = xcalloc(m.n_layers, sizeof(*res->layers));
	res->sizes = xcalloc(m.n_layers, sizeof(*res->sizes));
	for (size_t i = 0; i <= m.n_layers; i++) {
		const struct pd_descriptor *d = i == 0 ? &m.config : &m.layers[i - 1];
		if (!pd_digest_valid(d->digest)) {
			pd_fail(err, 0, "the manifest names an invalid digest");
			goto out;
		}
		_cleanup_free_ char *path = xasprintf("blobs/sha256/%s", d->digest + 7);
		char *out = i == 0 ? res->config : res->layers[i - 1];
		if (put_inside(root, dirfd, path, d->digest, fresh, out, err) < 0)
			goto out;
		if (i)
			res->sizes[i - 1] = d->size;
		res->n_layers = i;
	}
	ret = 0;
out:
	pd_manifest_free(&m);
	return ret;
}

/* A `docker save` archive: manifest.json names the config and the layer
 * tars by path; digests are computed as they are stored. */
static int import_docker(const char *root, int dirfd, struct import_result *res, char ***fresh,
			 struct pd_err **err)
{
	size_t len;
	_cleanup_free_ char *body = read_inside(dirfd, "manifest.json", &len, err);
	if (!body)
		return -1;
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *e = json_array_get(j, 0);
	const char *config = json_string_value(json_object_get(e, "Config"));
	json_t *layers = json_object_get(e, "Layers");
	const char *tag = json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0));
	int ret = -1;
	if (!config || !json_is_array(layers) || json_array_size(layers) == 0 ||
	    json_array_size(layers) > PD_MAX_LAYERS) {
		pd_fail(err, 0, "manifest.json: no image with a Config and 1 to %d Layers", PD_MAX_LAYERS);
		goto out;
	}
	if (json_array_size(j) > 1) {
		pd_fail(err, 0, "manifest.json: the archive holds %zu images; import one at a time",
			json_array_size(j));
		goto out;
	}
	if (put_inside(root, dirfd, config, NULL, fresh, res->config, err) < 0)
		goto out;
	size_t n = json_array_size(layers);
	res->layers = xcalloc(n, sizeof(*res->layers));
	res->sizes = xcalloc(n, sizeof(*res->sizes));
	for (size_t i = 0; i < n; i++) {
		const char *path = json_string_value(json_array_get(layers, i));
		if (!path) {
			pd_fail(err, 0, "manifest.json: a layer is not a path");
			goto out;
		}
		if (put_inside(root, dirfd, path, NULL, fresh, res->layers[i], err) < 0)
			goto out;
		blob_size(root, res->layers[i], &res->sizes[i]);
		res->n_layers = i + 1;
	}
	if (tag)
		res->repo_tag = xstrdup(tag);
	ret = 0;
out:
	if (j)
		json_decref(j);
	return ret;
}

/* NAME[:TAG] -> the repository and tag it is recorded under. */
static int split_name(const char *name, char **repo, char **tag, struct pd_err **err)
{
	struct pd_ref ref;
	if (pd_ref_parse(name, &ref, err) < 0)
		return -1;
	*repo = pd_ref_repo(&ref);
	*tag = xstrdup(ref.tag ? ref.tag : "");
	pd_ref_free(&ref);
	return 0;
}

static int import_image(const char *root, const struct import_result *res, const char *name,
			struct pd_err **err)
{
	struct pd_image_config cfg = {0};
	if (load_config(root, res->config, res->n_layers, &cfg, err) < 0)
		return -1;
	int ret = -1;
	struct pd_layer_rec *lr = xcalloc(res->n_layers, sizeof(*lr));
	uint64_t size = 0;
	_cleanup_free_ char *repo = NULL, *tag = NULL;
	const char *want = name ? name : res->repo_tag;
	if (want && split_name(want, &repo, &tag, err) < 0)
		goto out;
	const char **digests = xcalloc(res->n_layers, sizeof(char *));
	for (size_t i = 0; i < res->n_layers; i++)
		digests[i] = res->layers[i];
	int xr = extract_layers(root, digests, res->n_layers, err);
	free(digests);
	if (xr < 0)
		goto out;
	for (size_t i = 0; i < res->n_layers; i++) {
		lr[i] = (struct pd_layer_rec){
		    .digest = (char *)res->layers[i],
		    .diff_id = cfg.diff_ids && i < cfg.n_diff_ids ? cfg.diff_ids[i] : NULL,
		    .size = res->sizes[i],
		};
		size += res->sizes[i];
	}
	struct pd_image_rec img = {
	    .id = (char *)res->config,
	    .created_ns = cfg.created_ns ? cfg.created_ns : now_ns(),
	    .size = size,
	    .config = cfg.runtime_json ? cfg.runtime_json : (char *)"{}",
	    .layers = lr,
	    .n_layers = res->n_layers,
	};
	ret = record_image(root, &img, repo, tag, res->mdigest[0] ? res->mdigest : NULL, err);
out:
	free(lr);
	pd_image_config_free(&cfg);
	return ret;
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
	/* Which kind: only the names are read (a rootfs is not unpacked
	 * twice). */
	static const char *const marks[] = {"oci-layout", "index.json", "manifest.json", NULL};
	bool found[3];
	if (pd_archive_find_files(file, marks, found, err) < 0) {
		pd_err_prefix(err, "import");
		return -1;
	}
	bool oci = found[0] && found[1], docker = !oci && found[2];
	__attribute__((cleanup(unlock_fd))) int lock = pd_images_lock(root, false, err);
	if (lock < 0)
		return -1;
	/* An archive of blobs is unpacked (safely, as a rootfs) under
	 * images/tmp/put-*: a killed import's tree is swept by the next
	 * exclusive lock. */
	_cleanup_free_ char *tmp = xasprintf("%s/images/tmp/put-import-XXXXXX", root);
	if (!mkdtemp(tmp))
		return pd_fail(err, errno, "create a directory in '%s/images/tmp'", root);
	char **fresh = NULL;
	struct import_result res = {0};
	int ret = -1;
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct pd_extract_opts xo = {.rootless = true};
	if (dfd < 0) {
		pd_fail(err, errno, "open '%s'", tmp);
		goto out;
	}
	if ((oci || docker) && pd_archive_extract(file, dfd, &xo, NULL, err) < 0)
		goto out;
	if (oci || docker) {
		if ((oci ? import_oci : import_docker)(root, dfd, &res, &fresh, err) < 0 ||
		    import_image(root, &res, name, err) < 0)
			goto out;
		*id_out = xstrdup(res.config);
		ret = 0;
		goto out;
	}
	/* A plain rootfs tarball: stored whole, one layer. */
	fd = open(file, O_RDONLY | O_CLOEXEC);
	char digest[PD_DIGEST_LEN + 1];
	if (fd < 0) {
		pd_fail(err, errno, "open '%s'", file);
		goto out;
	}
	if (pd_blob_put_fd(root, fd, 0, NULL, digest, err) < 0)
		goto out;
	strv_push(&fresh, digest);
	const char *base = strrchr(file, '/');
	if (record_tarball(root, digest, (uint64_t)st.st_size, repo ? repo : base ? base + 1 : file,
			   repo ? tag : "", err) < 0)
		goto out;
	*id_out = xstrdup(digest);
	ret = 0;
out:
	if (ret < 0) {
		pd_err_prefix(err, "import '%s'", file);
		discard_fresh(root, fresh);
	}
	strv_free(fresh);
	import_result_free(&res);
	{
		_cleanup_err_ struct pd_err *ignored = NULL;
		pd_rm_rf(tmp, &ignored);
	}
	return ret;
}
