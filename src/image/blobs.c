/* The blob store (see blobs.h).
 *
 * Runs in the CLI (pull, import, rmi), as root or as the invoking user.
 * Creates files only under <state_root>/images.
 *
 * Ordering: a downloader holds tmp/<key>.lock (flock, exclusive) from before
 * it opens the partial file until the blob is renamed into place and the
 * lock file unlinked.  A second puller of the same blob blocks on the lock,
 * then finds the blob and uses it: one download, one copy.  Locks are taken
 * in key order, so two pulls sharing several layers cannot deadlock.  A
 * lock file unlinked by its holder while we waited is stale: we open the
 * new one (checked with st_nlink).
 *
 * Threats: a server sending other bytes than the digest names (caught at
 * the end, the partial removed); a size far beyond the manifest's (cut off
 * at once by expect_size); a full disk (the write fails, and every partial
 * of the pull is removed so that none keeps the disk full). */
#include "image/blobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/xalloc.h"

bool pd_digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != PD_DIGEST_LEN)
		return false;
	for (const char *p = digest + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

char *pd_blob_path(const char *root, const char *digest)
{
	if (!pd_digest_valid(digest))
		return NULL;
	return xasprintf("%s/images/blobs/sha256/%s", root, digest + 7);
}

bool pd_blob_has(const char *root, const char *digest)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	struct stat st;
	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int pd_blob_dirs(const char *root, struct pd_err **err)
{
	static const char *const dirs[] = { "images", "images/blobs", "images/blobs/sha256", "images/tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", root, dirs[i]);
		if (mkdir(p, 0700) == 0)
			pd_chown_to_invoker(p);
		else if (errno != EEXIST)
			return pd_fail(err, errno, "create '%s'", p);
	}
	return 0;
}

static int lock_path(const char *path, bool exclusive, struct pd_err **err)
{
	/* A lock file holds nothing; 0644 so that root under sudo and the
	 * invoking user can both open it. */
	for (;;) {
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return pd_fail(err, errno, "open '%s'", path);
		pd_chown_to_invoker(path);
		while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
			if (errno != EINTR)
				return pd_fail(err, errno, "lock '%s'", path);
		struct stat st;
		if (fstat(fd, &st) < 0)
			return pd_fail(err, errno, "lock '%s'", path);
		/* Unlinked by the previous holder: lock the current file. */
		if (st.st_nlink > 0)
			return take_fd(&fd);
	}
}

/* Remove the entries of `dir` whose names start with `prefix`: temp files
 * and trees of killed processes.  Best effort. */
static void sweep(const char *dir, const char *prefix)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!str_has_prefix(de->d_name, prefix))
			continue;
		_cleanup_err_ struct pd_err *ignored = NULL;
		(void)pd_rm_rf_at(dirfd(d), de->d_name, &ignored);
	}
}

int pd_images_lock(const char *root, bool exclusive, struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	_cleanup_free_ char *p = xasprintf("%s/images/.lock", root);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", p);
	pd_chown_to_invoker(p);
	int r;
	while ((r = flock(fd, exclusive ? LOCK_EX : LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno != EWOULDBLOCK)
		return pd_fail(err, errno, "lock '%s'", p);
	if (r == 0) {
		/* Held exclusively: no pull, import or layer extraction runs,
		 * so every temp file and tree belongs to a killed process.
		 * (Partial downloads are not temp files: they are kept to be
		 * resumed.) */
		_cleanup_free_ char *tmp = xasprintf("%s/images/tmp", root);
		_cleanup_free_ char *layers = xasprintf("%s/layers", root);
		sweep(tmp, "put-");
		sweep(layers, ".tmp-");
	}
	/* Converting to shared may drop the lock for an instant; whoever
	 * takes it meanwhile finds nothing of ours to sweep. */
	while (!exclusive && flock(fd, LOCK_SH) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "lock '%s'", p);
	return take_fd(&fd);
}

void pd_images_sweep(const char *root)
{
	_cleanup_free_ char *p = xasprintf("%s/images/.lock", root);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* No lock file: no pull or import ever ran, so nothing to sweep. */
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		_cleanup_free_ char *tmp = xasprintf("%s/images/tmp", root);
		_cleanup_free_ char *layers = xasprintf("%s/layers", root);
		sweep(tmp, "put-");
		sweep(layers, ".tmp-");
	}
}

static void hex_of(const char *s, size_t len, char hex[PD_SHA256_HEX_LEN + 1])
{
	struct pd_sha256 h;
	_cleanup_err_ struct pd_err *ignored = NULL;
	if (pd_sha256_init(&h, &ignored) < 0) {
		/* Only for naming temp files: nettle's absence fails later,
		 * with the package's name. */
		snprintf(hex, PD_SHA256_HEX_LEN + 1, "%0*d", PD_SHA256_HEX_LEN, 0);
		return;
	}
	pd_sha256_update(&h, s, len);
	pd_sha256_final(&h, hex);
}

/* Feed the first `len` bytes of fd to h (a partial download's prefix). */
static int hash_prefix(int fd, uint64_t len, struct pd_sha256 *h)
{
	char buf[65536];
	for (uint64_t off = 0; off < len;) {
		size_t want = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		pd_sha256_update(h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	return 0;
}

/* One blob being fetched. */
struct job {
	struct pd_blob_get *g;
	char *key;
	char *partial, *lock, *validator_path;
	int lockfd, fd;
	struct pd_sha256 sha;
	char *validator; /* of the partial data, from the last run */
	bool validator_saved;
	struct pd_download dl;
};

static void job_free(struct job *j)
{
	closep(&j->fd);
	if (j->lockfd >= 0) {
		/* Unlinked while held: waiters see st_nlink == 0 and retry. */
		unlink(j->lock);
		close(j->lockfd);
	}
	free(j->key);
	free(j->partial);
	free(j->lock);
	free(j->validator_path);
	free(j->validator);
	pd_download_clear(&j->dl);
}

static int cmp_job(const void *a, const void *b)
{
	return strcmp(((const struct job *)a)->key, ((const struct job *)b)->key);
}

/* Open the partial file, keeping what a previous run got when it can be
 * resumed: a blob named by digest always can (the end check catches any
 * mismatch), a URL only with the validator of the data it holds. */
static int open_partial(struct job *j, struct pd_err **err)
{
	j->fd = open(j->partial, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;
	if (j->fd < 0 || fstat(j->fd, &st) < 0)
		return pd_fail(err, errno, "open '%s'", j->partial);
	pd_chown_to_invoker(j->partial);
	if (pd_sha256_init(&j->sha, err) < 0)
		return -1;
	uint64_t have = (uint64_t)st.st_size;
	if (!j->g->digest) {
		_cleanup_err_ struct pd_err *ignored = NULL;
		size_t len;
		j->validator = pd_read_file(j->validator_path, &len, &ignored);
		if (!j->validator || !*j->validator)
			have = 0;
	}
	if (j->g->size && have > j->g->size)
		have = 0;
	if (have && hash_prefix(j->fd, have, &j->sha) < 0)
		have = 0;
	if (!have) {
		if (ftruncate(j->fd, 0) < 0)
			return pd_fail(err, errno, "truncate '%s'", j->partial);
		if (pd_sha256_init(&j->sha, err) < 0)
			return -1;
		unlink(j->validator_path);
		free(j->validator);
		j->validator = NULL;
	}
	j->dl = (struct pd_download){
		.req = { .url = j->g->url, .headers = j->g->headers, .userpwd = j->g->userpwd },
		.fd = j->fd,
		.offset = have,
		.if_range = j->validator,
		.sha = &j->sha,
		.expect_size = j->g->size,
		.what = j->g->what,
	};
	return 0;
}

/* Discard the partial data: it is wrong, or kept the disk full. */
static void drop_partial(struct job *j)
{
	unlink(j->partial);
	unlink(j->validator_path);
}

/* Verify the finished download and rename it into the store. */
static int finish_job(const char *root, struct job *j, struct pd_err **err)
{
	char hex[PD_SHA256_HEX_LEN + 1];
	pd_sha256_final(&j->sha, hex);
	_cleanup_free_ char *got = xasprintf("sha256:%s", hex);
	if (j->g->digest && strcmp(got, j->g->digest)) {
		drop_partial(j);
		return pd_fail(err, 0, "'%s': digest mismatch: expected %s, got %s", j->g->what, j->g->digest,
			       got);
	}
	if (j->g->size && j->dl.done != j->g->size) {
		drop_partial(j);
		return pd_fail(err, 0, "'%s': size mismatch: expected %llu bytes, got %llu", j->g->what,
			       (unsigned long long)j->g->size, (unsigned long long)j->dl.done);
	}
	if (fsync(j->fd) < 0) {
		drop_partial(j);
		return pd_fail(err, errno, "'%s': write", j->g->what);
	}
	_cleanup_free_ char *dest = pd_blob_path(root, got);
	if (rename(j->partial, dest) < 0)
		return pd_fail(err, errno, "rename '%s' to '%s'", j->partial, dest);
	unlink(j->validator_path);
	snprintf(j->g->digest_out, sizeof(j->g->digest_out), "%s", got);
	j->g->size_out = j->dl.done;
	return 0;
}

struct progress_wrap {
	struct job *jobs;
	pd_progress_fn fn;
	void *data;
};

/* Save each URL download's validator as soon as it is known, so that a
 * pull killed mid-way can still be resumed safely. */
static void on_progress(struct pd_download *const *d, size_t n, bool final, void *data)
{
	struct progress_wrap *w = data;
	for (size_t i = 0; i < n; i++) {
		struct job *j = &w->jobs[i];
		if (j->g->digest || j->validator_saved || !d[i]->validator || d[i]->done == d[i]->offset)
			continue;
		_cleanup_err_ struct pd_err *ignored = NULL;
		if (pd_write_file_atomic(j->validator_path, d[i]->validator, strlen(d[i]->validator), 0600,
					 &ignored) == 0)
			pd_chown_to_invoker(j->validator_path);
		j->validator_saved = true;
	}
	if (w->fn)
		w->fn(d, n, final, w->data);
}

static void mark_cached(const char *root, struct pd_blob_get *g)
{
	snprintf(g->digest_out, sizeof(g->digest_out), "%s", g->digest);
	_cleanup_free_ char *p = pd_blob_path(root, g->digest);
	struct stat st;
	g->size_out = p && stat(p, &st) == 0 ? (uint64_t)st.st_size : g->size;
	g->cached = true;
}

int pd_blob_fetch(const char *root, struct pd_blob_get *g, size_t n, unsigned parallel,
		  pd_progress_fn progress, void *data, struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	struct job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	size_t nj = 0;
	int ret = -1;
	for (size_t i = 0; i < n; i++) {
		g[i].cached = false;
		g[i].digest_out[0] = '\0';
		if (g[i].digest && !pd_digest_valid(g[i].digest)) {
			pd_fail(err, 0, "'%s': unsupported digest '%s' (want sha256:<64 hex digits>)",
				g[i].what, g[i].digest);
			goto out;
		}
		if (g[i].digest && pd_blob_has(root, g[i].digest)) {
			mark_cached(root, &g[i]);
			continue;
		}
		struct job *j = &jobs[nj++];
		j->g = &g[i];
		j->lockfd = j->fd = -1;
		if (g[i].digest) {
			j->key = xstrdup(g[i].digest + 7);
		} else {
			char hex[PD_SHA256_HEX_LEN + 1];
			hex_of(g[i].url, strlen(g[i].url), hex);
			j->key = xasprintf("url-%s", hex);
		}
	}
	qsort(jobs, nj, sizeof(*jobs), cmp_job);
	size_t nd = 0;
	for (size_t i = 0; i < nj; i++) {
		struct job *j = &jobs[i];
		j->lock = xasprintf("%s/images/tmp/%s.lock", root, j->key);
		j->partial = xasprintf("%s/images/tmp/%s.partial", root, j->key);
		j->validator_path = xasprintf("%s/images/tmp/%s.validator", root, j->key);
		j->lockfd = lock_path(j->lock, true, err);
		if (j->lockfd < 0)
			goto out;
		/* Another pull finished it while we waited. */
		if (j->g->digest && pd_blob_has(root, j->g->digest)) {
			mark_cached(root, j->g);
			continue;
		}
		if (open_partial(j, err) < 0)
			goto out;
		if (i != nd) {
			struct job t = jobs[nd];
			jobs[nd] = *j;
			*j = t;
		}
		nd++;
	}
	/* A partial file as long as the blob is complete (its run was killed
	 * before the rename): nothing to fetch, only the checks.  Those go
	 * last, after the ones downloaded. */
	size_t nf = 0;
	for (size_t i = 0; i < nd; i++) {
		if (jobs[i].g->size && jobs[i].dl.offset == jobs[i].g->size) {
			jobs[i].dl.done = jobs[i].dl.offset;
			continue;
		}
		if (i != nf) {
			struct job t = jobs[nf];
			jobs[nf] = jobs[i];
			jobs[i] = t;
		}
		nf++;
	}
	struct pd_download **dv = xcalloc(nd ? nd : 1, sizeof(*dv));
	for (size_t i = 0; i < nd; i++) {
		/* After the reordering above: the digest state lives in the job. */
		jobs[i].dl.sha = &jobs[i].sha;
		dv[i] = &jobs[i].dl;
	}
	struct progress_wrap w = { jobs, progress, data };
	int fr = nf ? pd_fetch_all(dv, nf, parallel, on_progress, &w, err) : 0;
	free(dv);
	/* A full disk: every partial file goes, so as not to keep it full. */
	bool full = false;
	for (size_t i = 0; i < nf; i++)
		if (jobs[i].dl.err && (jobs[i].dl.err->errnum == ENOSPC || jobs[i].dl.err->errnum == EDQUOT))
			full = true;
	for (size_t i = 0; i < nd; i++)
		if (full || (i < nf && jobs[i].dl.err && !jobs[i].dl.resumable))
			drop_partial(&jobs[i]);
	if (fr < 0)
		goto out;
	for (size_t i = 0; i < nd; i++)
		if (finish_job(root, &jobs[i], err) < 0)
			goto out;
	ret = 0;
out:
	for (size_t i = 0; i < nj; i++)
		job_free(&jobs[i]);
	free(jobs);
	return ret;
}

static int put_tmp(const char *root, int tfd, const char *tmp, const char *expect, struct pd_sha256 *h,
		   char digest_out[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	char hex[PD_SHA256_HEX_LEN + 1];
	pd_sha256_final(h, hex);
	char got[PD_DIGEST_LEN + 1];
	snprintf(got, sizeof(got), "sha256:%s", hex);
	if (expect && strcmp(expect, got))
		return pd_fail(err, 0, "digest mismatch: expected %s, got %s", expect, got);
	if (fsync(tfd) < 0)
		return pd_fail(err, errno, "write '%s'", tmp);
	_cleanup_free_ char *dest = pd_blob_path(root, got);
	if (rename(tmp, dest) < 0)
		return pd_fail(err, errno, "rename '%s' to '%s'", tmp, dest);
	memcpy(digest_out, got, sizeof(got));
	return 0;
}

static int open_tmp(const char *root, char **tmp, struct pd_err **err)
{
	if (pd_blob_dirs(root, err) < 0)
		return -1;
	*tmp = xasprintf("%s/images/tmp/put-XXXXXX", root);
	int fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "create a file in '%s/images/tmp'", root);
	pd_chown_to_invoker(*tmp);
	return fd;
}

int pd_blob_put_fd(const char *root, int fd, uint64_t max, const char *expect,
		   char digest_out[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int tfd = open_tmp(root, &tmp, err);
	if (tfd < 0)
		return -1;
	struct pd_sha256 h;
	int ret = -1;
	if (pd_sha256_init(&h, err) < 0)
		goto out;
	char buf[65536];
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pd_fail(err, errno, "read");
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (max && total > max) {
			pd_fail(err, 0, "larger than %llu bytes", (unsigned long long)max);
			goto out;
		}
		if (pd_write_all(tfd, buf, (size_t)n) < 0) {
			pd_fail(err, errno, "write '%s'", tmp);
			goto out;
		}
		pd_sha256_update(&h, buf, (size_t)n);
	}
	ret = put_tmp(root, tfd, tmp, expect, &h, digest_out, err);
out:
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int pd_blob_put_mem(const char *root, const void *data, size_t len, const char *expect,
		    char digest_out[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int tfd = open_tmp(root, &tmp, err);
	if (tfd < 0)
		return -1;
	struct pd_sha256 h;
	int ret = -1;
	if (pd_sha256_init(&h, err) == 0) {
		pd_sha256_update(&h, data, len);
		if (pd_write_all(tfd, data, len) < 0)
			pd_fail(err, errno, "write '%s'", tmp);
		else
			ret = put_tmp(root, tfd, tmp, expect, &h, digest_out, err);
	}
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int pd_blob_remove(const char *root, const char *digest, struct pd_err **err)
{
	_cleanup_free_ char *p = pd_blob_path(root, digest);
	if (p && unlink(p) < 0 && errno != ENOENT)
		return pd_fail(err, errno, "remove '%s'", p);
	return 0;
}
