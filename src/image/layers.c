/* Layer directories (see layers.h).
 *
 * Runs in the CLI (pull, import, and run when a layer was pulled in the
 * other privilege mode), as root or as the invoking user; pull and import
 * extract several layers at once, each in a child process of the CLI
 * (pd_layers_extract).  Rootless with a subordinate range, each extraction
 * runs in a further child inside a user namespace with the rootless
 * container's map (the caller's, image/cache.h), so the layer's owners are
 * kept as the container will see them.  Writes only under
 * <state_root>/layers.
 *
 * Threats: every layer is hostile; archive.c keeps each entry inside the
 * temp directory, and the temp name keeps a half-extracted layer from ever
 * being used.  layers/ is 0700: extracted layers hold the images' setuid
 * binaries, which no other host user may reach. */
#include "image/layers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/blobs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const char *const suffixes[PD_LAYER_N_VARIANTS] = { "", "-rootless", "-subids" };
static const char *const short_suffixes[PD_LAYER_N_VARIANTS] = { "", "r", "s" };

enum pd_layer_variant pd_layer_variant_of(const struct pd_cache_mode *mode)
{
	if (!mode || !mode->rootless)
		return PD_LAYER_ROOT;
	return mode->run_in_userns ? PD_LAYER_SUBIDS : PD_LAYER_ROOTLESS;
}

char *pd_layer_path(const char *root, const char *digest, enum pd_layer_variant v)
{
	if (!pd_digest_valid(digest) || v >= PD_LAYER_N_VARIANTS)
		return NULL;
	return xasprintf("%s/layers/%s%s", root, digest + 7, suffixes[v]);
}

static int layers_dir(const char *root, char **out, struct pd_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/layers", root);
	if (mkdir(dir, 0700) == 0)
		pd_chown_to_invoker(dir);
	else if (errno != EEXIST)
		return pd_fail(err, errno, "create '%s'", dir);
	struct stat st;
	if (stat(dir, &st) < 0 || ((st.st_mode & 077) && chmod(dir, 0700) < 0))
		return pd_fail(err, errno, "set the mode of '%s'", dir);
	*out = take_ptr(&dir);
	return 0;
}

static void remove_tree(const char *path)
{
	/* A tree that cannot be removed now is swept later (blobs.h); the
	 * first failure is the one worth reporting. */
	_cleanup_err_ struct pd_err *ignored = NULL;
	(void)pd_rm_rf(path, &ignored);
}

int pd_layer_extract(const char *root, const char *digest, const struct pd_cache_mode *mode,
		     struct pd_err **err)
{
	bool rootless = mode && mode->rootless;
	_cleanup_free_ char *dest = pd_layer_path(root, digest, pd_layer_variant_of(mode));
	_cleanup_free_ char *blob = pd_blob_path(root, digest);
	if (!dest)
		return pd_fail(err, 0, "invalid layer digest '%s'", digest);
	if (pd_is_dir(dest))
		return 0;
	_cleanup_free_ char *dir = NULL;
	if (layers_dir(root, &dir, err) < 0)
		return -1;
	_cleanup_close_ int bfd = open(blob, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (bfd < 0)
		return pd_fail(err, errno, "layer %.19s: open blob '%s' (pull the image again)", digest,
			       blob);
	_cleanup_free_ char *tmp = xasprintf("%s/.tmp-XXXXXX", dir);
	if (!mkdtemp(tmp))
		return pd_fail(err, errno, "create a directory in '%s'", dir);
	_cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct pd_extract_opts o = { .rootless = rootless, .layer = true };
	_cleanup_free_ char *name = xasprintf("layer %.19s", digest);
	if (dfd < 0) {
		pd_fail(err, errno, "open '%s'", tmp);
		remove_tree(tmp);
		return -1;
	}
	if (rootless && mode->run_in_userns) {
		/* The layer's owners, as the rootless container's map shows
		 * them (cache.h); the child removes a partial tree. */
		struct pd_extract_result res;
		o.keep_owners = true;
		if (pd_cache_extract_in_userns(mode, bfd, name, dfd, tmp, &o, &res, err) < 0)
			return -1;
	} else if (pd_archive_extract_fd(bfd, name, dfd, &o, NULL, err) < 0) {
		remove_tree(tmp);
		return -1;
	}
	if (rename(tmp, dest) < 0) {
		int e = errno;
		pd_cache_remove_tree(mode, tmp, pd_err_ignore(cleanup));
		/* A concurrent extractor finished first with the same blob. */
		if ((e == EEXIST || e == ENOTEMPTY) && pd_is_dir(dest))
			return 0;
		return pd_fail(err, e, "rename '%s' to '%s'", tmp, dest);
	}
	return 0;
}

/* The child of one layer's extraction: its error text goes on `report`,
 * its errno in the exit status (100 + errno). */
static _Noreturn void extract_child(const char *root, const char *digest, const struct pd_cache_mode *mode,
				    int report)
{
	struct pd_err *e = NULL;
	if (pd_layer_extract(root, digest, mode, &e) == 0)
		_exit(0);
	(void)!write(report, e->msg, strlen(e->msg));
	_exit(e->errnum ? 100 + (e->errnum & 0x7f) : 1);
}

/* Start the extraction of `digest` in a child; its pid and the read end of
 * its report pipe go to *pid and *fd. */
static int start_child(const char *root, const char *digest, const struct pd_cache_mode *mode, pid_t *pid,
		       int *fd, struct pd_err **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return pd_fail(err, errno, "create a pipe");
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		extract_child(root, digest, mode, p[1]);
	}
	int e = errno;
	close(p[1]);
	if (child < 0) {
		close(p[0]);
		return pd_fail(err, e, "fork");
	}
	*pid = child;
	*fd = p[0];
	return 0;
}

/* A child ended: turn a failure into the error (when it is the first). */
static int reap_child(int fd, int status, int ret, struct pd_err **err)
{
	char msg[1024];
	ssize_t n = read(fd, msg, sizeof(msg) - 1);
	close(fd);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return ret;
	msg[n > 0 ? n : 0] = '\0';
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	if (ret < 0)
		return ret;
	return pd_fail(err, code >= 100 ? code - 100 : 0, "%s",
		       n > 0 ? msg : "layer extraction ended abnormally");
}

int pd_layers_extract(const char *root, const char *const *digests, size_t n,
		      const struct pd_cache_mode *mode, struct pd_err **err)
{
	size_t todo = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = pd_layer_path(root, digests[i], pd_layer_variant_of(mode));
		todo += p && !pd_is_dir(p);
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (todo < 2 || cpus < 2) {
		for (size_t i = 0; i < n; i++)
			if (pd_layer_extract(root, digests[i], mode, err) < 0)
				return -1;
		return 0;
	}
	size_t max = cpus > 4 ? 4 : (size_t)cpus, running = 0, next = 0;
	_cleanup_free_ pid_t *pids = xcalloc(n, sizeof(pid_t));
	_cleanup_free_ int *fds = xcalloc(n, sizeof(int));
	int ret = 0;
	/* Nothing buffered is written twice by a child's exit. */
	fflush(NULL);
	while (next < n || running) {
		if (next < n && running < max && ret == 0) {
			ret = start_child(root, digests[next], mode, &pids[next], &fds[next], err);
			if (ret == 0) {
				next++;
				running++;
			}
			continue;
		}
		if (next < n && ret < 0)
			next = n; /* start no more after a failure */
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < next; i++)
			if (pids[i] == pid) {
				running--;
				ret = reap_child(fds[i], status, ret, err);
			}
	}
	return ret;
}

static char *short_name(const char *root, const char *digest, enum pd_layer_variant v)
{
	return xasprintf("%s/layers/l/%.12s%s", root, digest + 7, short_suffixes[v]);
}

char *pd_layer_short_path(const char *root, const char *digest, enum pd_layer_variant v)
{
	_cleanup_free_ char *dest = pd_layer_path(root, digest, v);
	if (!dest)
		return NULL;
	_cleanup_free_ char *dir = xasprintf("%s/layers/l", root);
	_cleanup_free_ char *link = short_name(root, digest, v);
	/* Relative: the state root may be reached by another path. */
	_cleanup_free_ char *target = xasprintf("../%s%s", digest + 7, suffixes[v]);
	if (mkdir(dir, 0700) == 0)
		pd_chown_to_invoker(dir);
	if (symlink(target, link) == 0)
		pd_chown_to_invoker(link);
	char buf[256];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0 || (size_t)n != strlen(target) || memcmp(buf, target, (size_t)n))
		return take_ptr(&dest);
	return take_ptr(&link);
}

int pd_layer_remove(const char *root, const char *digest, const struct pd_cache_mode *mode,
		    struct pd_err **err)
{
	for (int v = 0; v < PD_LAYER_N_VARIANTS; v++) {
		if (pd_digest_valid(digest)) {
			_cleanup_free_ char *link = short_name(root, digest, v);
			char buf[256];
			_cleanup_free_ char *target = xasprintf("../%s%s", digest + 7, suffixes[v]);
			ssize_t n = readlink(link, buf, sizeof(buf) - 1);
			if (n >= 0 && (size_t)n == strlen(target) && !memcmp(buf, target, (size_t)n))
				unlink(link);
		}
		_cleanup_free_ char *p = pd_layer_path(root, digest, v);
		if (p && pd_is_dir(p) && pd_cache_remove_tree(mode, p, err) < 0)
			return -1;
	}
	return 0;
}

bool pd_layer_is_whiteout(int dirfd, const char *name, const struct stat *st)
{
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return true;
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	return fd >= 0 && fgetxattr(fd, "user.overlay.whiteout", NULL, 0) >= 0;
}

bool pd_layer_is_opaque(int dirfd)
{
	char v[2] = { 0 };
	return (fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v)) > 0 && v[0] == 'y') ||
	       (fgetxattr(dirfd, "user.overlay.opaque", v, sizeof(v)) > 0 && v[0] == 'y');
}
