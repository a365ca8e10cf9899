/* Control groups: the public API, host detection, the 'none' back end, and
 * the helpers and parsers shared by the v1 and v2 back ends (see cgroup.h).
 *
 * Runs in the CLI and the monitor with the caller's privileges (root, or a
 * rootless user who may own a delegated v2 subtree), and in the container's
 * init for pd_cg_mount_in_container.  It writes only into the groups it
 * made or took over (pocket-docker/<ID>, or the path of an OCI bundle,
 * checked by cg_rel_problem), makes missing parents of them, and, on v2,
 * writes the cgroup.subtree_control of the base group and of those parents,
 * only to enable a controller that is not enabled yet.  It removes only
 * those groups (and groups below them), never a parent.
 *
 * Ordering: the back end is chosen once (pd_cg_detect); a group is made and
 * limited before any process joins it; it is removed only after every
 * process in it is gone (a frozen group is thawed so they can go). */
#include "linux/cgroup-internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ */
/* pure parsing                                                        */

bool cg_is_valid_id(const char *id)
{
	if (!id || !*id || strlen(id) > 128 || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

bool cg_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		size_t len = strcspn(p, " \n\t");
		if (len == n && !strncmp(p, word, n))
			return true;
		p += len;
	}
	return false;
}

bool cg_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, n) || l[n] != ' ')
			continue;
		char *end = NULL;
		errno = 0;
		unsigned long long v = strtoull(l + n + 1, &end, 10);
		if (errno || end == l + n + 1)
			return false;
		*out = v;
		return true;
	}
	return false;
}

char *cg2_parse_self(const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "0::", 3))
			continue;
		size_t len = strcspn(l + 3, "\n");
		/* A process whose cgroup is outside our namespace reads as
		 * "/.." paths; such a path cannot be used. */
		char *p = xstrndup(l + 3, len);
		if (p[0] != '/' || strstr(p, "/..")) {
			free(p);
			return NULL;
		}
		return p;
	}
	return NULL;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && isdigit((unsigned char)s[i + 1]) &&
		    isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3])) {
			*o++ = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Super options of a cgroup v1 mount that are not controllers. */
static bool is_cg1_option(const char *o, size_t len)
{
	static const char *const opts[] = { "rw",
					    "ro",
					    "xattr",
					    "noprefix",
					    "clone_children",
					    "cpuset_v2_mode",
					    "favordynmods",
					    "nofavordynmods",
					    "none" };
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strlen(opts[i]) == len && !strncmp(o, opts[i], len))
			return true;
	/* release_agent=... and the like; "name=" names a hierarchy. */
	return memchr(o, '=', len) && strncmp(o, "name=", 5);
}

void cg1_hiers_free(struct cg1_hier **h)
{
	for (size_t i = 0; h && h[i]; i++) {
		free(h[i]->mountpoint);
		free(h[i]->controllers);
		free(h[i]);
	}
	free(h);
}

struct cg1_hier **cg1_parse_mountinfo(const char *text)
{
	struct cg1_hier **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t llen = strcspn(l, "\n");
		_cleanup_free_ char *line = xstrndup(l, llen);
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *f[6] = { 0 }, *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; i < 5 && tok; i++, tok = strtok_r(NULL, " ", &save))
			f[i] = tok;
		while (tok && strcmp(tok, "-"))
			tok = strtok_r(NULL, " ", &save);
		char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
		char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
		char *super = source ? strtok_r(NULL, " ", &save) : NULL;
		if (!f[4] || !super || strcmp(fstype, "cgroup"))
			continue;
		_cleanup_free_ char *ctls = xstrdup("");
		for (char *o = super; *o;) {
			size_t len = strcspn(o, ",");
			if (!is_cg1_option(o, len)) {
				char *c = xasprintf("%s%s%.*s", ctls, *ctls ? "," : "", (int)len, o);
				free(ctls);
				ctls = c;
			}
			o += len;
			if (*o == ',')
				o++;
		}
		if (!*ctls)
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= !strcmp(v[i]->controllers, ctls);
		if (dup)
			continue;
		struct cg1_hier *h = xmalloc(sizeof(*h));
		h->mountpoint = unescape_octal(f[4], strlen(f[4]));
		h->controllers = take_ptr(&ctls);
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = h;
		v[n] = NULL;
	}
	return v;
}

bool cg1_hier_has(const struct cg1_hier *h, const char *ctl)
{
	size_t n = strlen(ctl);
	for (const char *p = h->controllers; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, ctl, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

uint64_t pd_cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

const char *cg_unified_key_problem(const char *key)
{
	size_t n = strlen(key);
	if (!n || n > 255)
		return "is not a file name";
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return "is not a plain file name of the group";
	if (key[0] == '.' || strstr(key, "..") || !strchr(key, '.'))
		return "is not an interface file name (<controller>.<name>)";
	/* cgroup.procs, cgroup.threads, cgroup.subtree_control, cgroup.type,
	 * cgroup.freeze, cgroup.kill...: membership, the tree and the
	 * freezer are the runtime's; only the two limits among them are not. */
	if (str_has_prefix(key, "cgroup.") && strcmp(key, "cgroup.max.depth") &&
	    strcmp(key, "cgroup.max.descendants"))
		return "is the runtime's to manage (of cgroup.* only cgroup.max.depth and "
		       "cgroup.max.descendants may be set)";
	return NULL;
}

bool cg_hugepage_size_ok(const char *size)
{
	size_t digits = strspn(size, "0123456789");
	return digits > 0 && digits < 8 && size[0] != '0' &&
	       (!strcmp(size + digits, "KB") || !strcmp(size + digits, "MB") || !strcmp(size + digits, "GB"));
}

/* The OCI fields (no CLI flags name them): their checks. */
static int check_oci_limits(const struct pd_limits *l, struct pd_err **err)
{
	if (l->memory_reservation < -1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid " CG_RES "memory.reservation %" PRId64,
				    l->memory_reservation);
	if (l->memory_reservation > 0 && l->memory && (uint64_t)l->memory_reservation > l->memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "memory.reservation (%" PRId64
					   ") must not exceed the memory limit (%" PRIu64 ")",
				    l->memory_reservation, l->memory);
	if (l->kernel_tcp < -1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid " CG_RES "memory.kernelTCP %" PRId64,
				    l->kernel_tcp);
	if (l->has_swappiness && l->swappiness > 100)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "memory.swappiness %" PRIu64 " is outside 0..100", l->swappiness);
	if (l->cpuset_mems && !*l->cpuset_mems)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, CG_RES "cpu.mems is empty");
	if (l->has_cpu_burst && l->cpu_quota_us && l->cpu_burst_us > l->cpu_quota_us)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "cpu.burst (%" PRIu64 ") must not exceed the cpu quota (%" PRIu64
					   ")",
				    l->cpu_burst_us, l->cpu_quota_us);
	if (l->has_cpu_idle && l->cpu_idle != 0 && l->cpu_idle != 1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, CG_RES "cpu.idle %" PRId64 " is neither 0 nor 1",
				    l->cpu_idle);
	if (l->has_cpu_idle && l->cpu_idle == 1 && l->cpu_shares)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "cpu.idle 1 and cpu.shares exclude each other (an idle group has "
					   "the lowest weight)");
	if (l->has_cpu_rt_runtime && l->cpu_rt_runtime_us < -1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid " CG_RES "cpu.realtimeRuntime %" PRId64,
				    l->cpu_rt_runtime_us);
	if (l->has_cpu_rt_runtime && l->cpu_rt_period_us && l->cpu_rt_runtime_us > 0 &&
	    (uint64_t)l->cpu_rt_runtime_us > l->cpu_rt_period_us)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "cpu.realtimeRuntime (%" PRId64
					   ") must not exceed cpu.realtimePeriod (%" PRIu64 ")",
				    l->cpu_rt_runtime_us, l->cpu_rt_period_us);
	if (l->blkio_weight && (l->blkio_weight < 10 || l->blkio_weight > 1000))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    CG_RES "blockIO.weight %" PRIu64 " is outside 10..1000", l->blkio_weight);
	for (size_t i = 0; i < l->n_blkio_devs; i++) {
		const struct pd_blkio_dev *d = &l->blkio_devs[i];
		if (d->kind == PD_BLKIO_WEIGHT && (d->value < 10 || d->value > 1000))
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    CG_RES "blockIO.weightDevice %" PRIu32 ":%" PRIu32
						   ": weight %" PRIu64 " is outside 10..1000",
					    d->major, d->minor, d->value);
	}
	for (size_t i = 0; i < l->n_hugepages; i++)
		if (!cg_hugepage_size_ok(l->hugepages[i].size)) {
			_cleanup_free_ char *shown = str_escape(l->hugepages[i].size);
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    CG_RES "hugepageLimits[%zu]: invalid page size '%s' (a number and KB, MB "
				   "or GB, as \"2MB\")",
			    i, shown);
		}
	for (size_t i = 0; i < l->n_unified; i++) {
		const char *why = cg_unified_key_problem(l->unified[i].key);
		_cleanup_free_ char *shown = str_escape(l->unified[i].key);
		if (why)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, CG_RES "unified: key '%s' %s", shown, why);
		if (!*l->unified[i].value)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    CG_RES "unified: the value of '%s' is empty", shown);
	}
	return 0;
}

int pd_cg_check_limits(const struct pd_limits *l, struct pd_err **err)
{
	if (!l)
		return 0;
	if (check_oci_limits(l, err) < 0)
		return -1;
	if (l->memory_swap < -1)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid --memory-swap %" PRId64, l->memory_swap);
	if (l->memory_swap && !l->memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--memory-swap needs --memory as well (it is memory plus swap)");
	if (l->memory_swap > 0 && (uint64_t)l->memory_swap < l->memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "--memory-swap (%" PRId64 ") must be at least --memory (%" PRIu64 ")",
				    l->memory_swap, l->memory);
	if (l->cpu_quota_us && !l->cpu_period_us)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "a cpu quota needs a cpu period");
	if (l->cpu_shares && (l->cpu_shares < 2 || l->cpu_shares > 262144))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--cpu-shares %" PRIu64 " is outside 2..262144",
				    l->cpu_shares);
	if (l->cpuset_cpus && !*l->cpuset_cpus)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "--cpuset-cpus is empty");
	return 0;
}

/* ------------------------------------------------------------------ */
/* file helpers                                                        */

int cg_write(const char *dir, const char *file, const char *value, struct pd_err **err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", p);
	/* cgroupfs takes a value in one write; a short write is an error. */
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return pd_fail(err, errno, "write '%s' to '%s'", value, p);
	if ((size_t)n != len)
		return pd_fail(err, EIO, "short write of '%s' to '%s'", value, p);
	return 0;
}

char *cg_read(const char *dir, const char *file, struct pd_err **err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	return pd_read_file(p, NULL, err);
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct pd_err **err)
{
	_cleanup_free_ char *s = cg_read(dir, file, err);
	if (!s)
		return -1;
	if (!strncmp(s, "max", 3)) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return pd_fail(err, EINVAL, "unexpected content in '%s/%s'", dir, file);
	*out = v;
	return 0;
}

bool cg_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

int cg_need_file(const char *dir, const char *file, const char *what, const char *why, struct pd_err **err)
{
	if (cg_file_exists(dir, file))
		return 0;
	return pd_fail(err, ENOTSUP, "%s cannot be honoured on this host: '%s/%s' is missing (%s)", what, dir,
		       file, why);
}

int cg_mkdir(const char *path, struct pd_err **err)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return pd_fail(err, errno, "create cgroup '%s'", path);
}

struct pidset {
	pid_t *v;
	size_t n;
};

static bool pidset_add(struct pidset *s, pid_t p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return false;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = p;
	return true;
}

/* One pass over the pids of dir (and below, when `recursive`): add each to
 * `seen` and, when `sig` is not 0, send it `sig` if it was not there yet.
 * Returns how many new pids were found.  A pid listed in cgroup.procs may
 * exit and be reused between the read and the kill; the window is a few
 * microseconds and the pid space is wrapped only by a fork storm, which the
 * pids limit of the group itself prevents (and in a frozen group no
 * process exits, so no pid is freed). */
static int pids_pass(const char *dir, bool recursive, struct pidset *seen, int sig)
{
	int found = 0;
	_cleanup_free_ char *procs = cg_read(dir, "cgroup.procs", pd_err_ignore(gone));
	for (char *save = NULL, *t = procs ? strtok_r(procs, "\n", &save) : NULL; t;
	     t = strtok_r(NULL, "\n", &save)) {
		pid_t p = (pid_t)strtol(t, NULL, 10);
		if (p > 0 && pidset_add(seen, p)) {
			found++;
			if (sig)
				kill(p, sig);
		}
	}
	if (!recursive)
		return found;
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
		found += pids_pass(sub, true, seen, sig);
	}
	return found;
}

bool cg_has_procs(const char *dir)
{
	struct pidset seen = { 0 };
	bool any = pids_pass(dir, true, &seen, 0) > 0;
	free(seen.v);
	return any;
}

int cg_make_leaf(const char *dir, bool *made, struct pd_err **err)
{
	*made = false;
	if (mkdir(dir, 0755) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST)
		return pd_fail(err, errno, "create cgroup '%s'", dir);
	if (cg_has_procs(dir))
		return pd_fail(err, EEXIST,
			       "cgroup '%s' already exists and holds processes (another container's, or "
			       "a stale one: remove it first)",
			       dir);
	return 0;
}

bool cg_poll(bool (*done)(const char *dir, bool want), const char *dir, bool want, int ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long pause_ns = 100000;; pause_ns = pause_ns * 2 > 10000000 ? 10000000 : pause_ns * 2) {
		if (done(dir, want))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= ms)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = pause_ns }, NULL);
	}
}

int cg_kill_loop(char *const *dirs, bool recursive, struct pd_err **err)
{
	/* Without cgroup.kill or a freezer, a fork bomb races the killer:
	 * each pass signals the children born since the last one.  A task
	 * with SIGKILL pending cannot complete a fork (copy_process checks
	 * fatal_signal_pending), so the passes find fewer new pids each time
	 * and end once a pass finds none; a new pid also resets the count of
	 * quiet passes needed, so one lucky empty read does not end it. */
	struct pidset seen = { 0 };
	int quiet = 0;
	for (int pass = 0; pass < 2000 && quiet < 3; pass++) {
		int found = 0;
		for (size_t i = 0; dirs && dirs[i]; i++)
			found += pids_pass(dirs[i], recursive, &seen, SIGKILL);
		quiet = found ? 0 : quiet + 1;
		if (!found)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	free(seen.v);
	if (quiet < 3)
		return pd_fail(err, EAGAIN,
			       "processes in cgroup '%s' keep forking faster than they are killed", dirs[0]);
	return 0;
}

static int rmdir_children(const char *path, struct pd_err **err)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : pd_fail(err, errno, "open cgroup '%s'", path);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, de->d_name);
		if (rmdir_children(sub, err) < 0)
			return -1;
		if (rmdir(sub) < 0 && errno != ENOENT)
			return pd_fail(err, errno, "remove cgroup '%s'", sub);
	}
	return 0;
}

int cg_rmdir_tree(const char *path, struct pd_err **err)
{
	/* A killed task leaves the group when it has finished exiting, not
	 * when the signal is sent: rmdir sees EBUSY meanwhile (for longer
	 * when the task must first release a lot of memory, or sits in an
	 * uninterruptible sleep).  Retry for about 2 s, killing again in case
	 * a task was forked while we looked away. */
	for (int i = 0;; i++) {
		_cleanup_err_ struct pd_err *e = NULL;
		if (rmdir_children(path, &e) == 0 && (rmdir(path) == 0 || errno == ENOENT))
			return 0;
		int saved = e ? e->errnum : errno;
		if (saved != EBUSY || i >= 200) {
			if (e)
				return pd_fail(err, e->errnum, "%s", e->msg);
			return pd_fail(err, saved, "remove cgroup '%s'", path);
		}
		char *const dirs[] = { (char *)path, NULL };
		cg_kill_loop(dirs, true, pd_err_ignore(gone));
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

void cg_undo_create(struct pd_cgroup *cg)
{
	for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
		if (cg->made & (1u << i))
			cg_rmdir_tree(cg->dirs[i], pd_err_ignore(cleanup));
	cg->made = 0;
}

uint64_t cg_host_memory(void)
{
	_cleanup_free_ char *mi = pd_read_file("/proc/meminfo", NULL, pd_err_ignore(status));
	const char *p = mi ? strstr(mi, "MemTotal:") : NULL;
	return p ? strtoull(p + 9, NULL, 10) * 1024 : 0;
}

int cg_fs_new(const char *type, const char *const *kv, const char *const *flags, unsigned attrs,
	      struct pd_err **err)
{
	_cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return pd_fail(err, errno, "open %s filesystem", type);
	for (size_t i = 0; kv && kv[i]; i += 2)
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, kv[i], kv[i + 1], 0) < 0)
			return pd_fail(err, errno, "set %s option %s=%s", type, kv[i], kv[i + 1]);
	for (size_t i = 0; flags && flags[i]; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_FLAG, flags[i], NULL, 0) < 0)
			return pd_fail(err, errno, "set %s option %s", type, flags[i]);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return pd_fail(err, errno, "create %s filesystem", type);
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return pd_fail(err, errno, "mount %s filesystem", type);
	return mfd;
}

/* ------------------------------------------------------------------ */
/* the 'none' back end: no group; every operation is a no-op            */

static int none_ok(struct pd_cgroup *cg, struct pd_err **err)
{
	return 0;
}

static int none_add_pid(struct pd_cgroup *cg, pid_t pid, struct pd_err **err)
{
	return 0;
}

static int none_limits(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	return 0;
}

static int none_open(struct pd_cgroup *cg, struct pd_err **err)
{
	return pd_fail(err, ENOENT, "no cgroup hierarchy at '%s'", CG_ROOT);
}

static int none_missing(struct pd_cgroup *cg, struct pd_err **err)
{
	return pd_fail(err, ENOTSUP,
		       "no cgroup was made for '%s' (rootless without delegation, or no cgroupfs)", cg->rel);
}

static int none_stats(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err)
{
	return none_missing(cg, err);
}

static int none_usage(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err)
{
	return none_missing(cg, err);
}

static int none_freeze(struct pd_cgroup *cg, bool frozen, struct pd_err **err)
{
	return none_missing(cg, err);
}

/* Without a group nothing can have frozen the processes. */
static int none_is_frozen(struct pd_cgroup *cg, bool *frozen, struct pd_err **err)
{
	*frozen = false;
	return 0;
}

static int none_oom_fd(struct pd_cgroup *cg)
{
	return -1;
}

static bool none_oom_killed(struct pd_cgroup *cg)
{
	return false;
}

static int none_mount_view(int targetfd, bool userns, struct pd_err **err)
{
	static const char *const kv[] = { "mode", "0755", "size", "0", NULL };
	int mfd =
	    cg_fs_new("tmpfs", kv, NULL,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (mfd < 0)
		return -1;
	_cleanup_close_ int fd = mfd;
	if (move_mount(fd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pd_fail(err, errno, "attach an empty /sys/fs/cgroup");
	return 0;
}

static const struct cg_ops cg_none_ops = {
	.name = "none",
	.create = none_limits,
	.open = none_open,
	.set_limits = none_limits,
	.prepare_update = none_limits,
	.add_pid = none_add_pid,
	.stats = none_stats,
	.usage = none_usage,
	.oom_fd = none_oom_fd,
	.oom_killed = none_oom_killed,
	.freeze = none_freeze,
	.is_frozen = none_is_frozen,
	.kill_tree = none_missing,
	.destroy = none_ok,
	.mount_view = none_mount_view,
};

/* ------------------------------------------------------------------ */
/* detection and the public API                                        */

static bool have_cg1_controllers(void)
{
	_cleanup_free_ char *mi = pd_read_file("/proc/self/mountinfo", NULL, pd_err_ignore(status));
	struct cg1_hier **h = mi ? cg1_parse_mountinfo(mi) : NULL;
	bool any = false;
	for (size_t i = 0; h && h[i]; i++)
		any |= strncmp(h[i]->controllers, "name=", 5) != 0;
	cg1_hiers_free(h);
	return any;
}

enum pd_cg_mode pd_cg_detect(void)
{
	static int mode = -1;
	if (mode >= 0)
		return (enum pd_cg_mode)mode;
	struct statfs sfs;
	if (statfs(CG_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		mode = PD_CG_V2;
	else if (have_cg1_controllers())
		mode = PD_CG_V1;
	else
		mode = PD_CG_NONE;
	return (enum pd_cg_mode)mode;
}

static const struct cg_ops *mode_ops(void)
{
	switch (pd_cg_detect()) {
	case PD_CG_V2: return &cg2_ops;
	case PD_CG_V1: return &cg1_ops;
	default: return &cg_none_ops;
	}
}

static bool has_limits(const struct pd_limits *l)
{
	return l && (l->memory || l->memory_swap || l->cpu_quota_us || l->cpu_shares || l->pids_max ||
		     l->cpuset_cpus || l->memory_reservation || l->kernel_tcp || l->has_swappiness ||
		     l->disable_oom_killer || l->cpuset_mems || l->has_cpu_burst || l->has_cpu_idle ||
		     l->cpu_rt_period_us || l->has_cpu_rt_runtime || l->blkio_weight || l->n_blkio_devs ||
		     l->n_hugepages || l->n_unified);
}

static struct pd_cgroup *cg_new(const struct cg_ops *ops, const char *rel, bool rootless)
{
	struct pd_cgroup *cg = xcalloc(1, sizeof(*cg));
	cg->ops = ops;
	cg->rel = xstrdup(rel);
	cg->rootless = rootless;
	cg->oom_fd = -1;
	for (int i = 0; i < CG1_N; i++)
		cg->ctl[i] = -1;
	return cg;
}

void pd_cg_free(struct pd_cgroup *cg)
{
	if (!cg)
		return;
	int saved = errno;
	if (cg->oom_fd >= 0)
		close(cg->oom_fd);
	free(cg->rel);
	free(cg->path);
	strv_free(cg->dirs);
	free(cg);
	errno = saved;
}

static int check_rel(const char *rel, struct pd_err **err)
{
	const char *why = cg_rel_problem(rel);
	if (!why)
		return 0;
	_cleanup_free_ char *shown = str_escape(rel ? rel : "");
	return pd_fail_kind(err, PD_ERR_USAGE, EINVAL, "invalid cgroup path '%s': %s", shown, why);
}

/* The limits of `l` need a group, and there is none: say why and what to
 * do (create and update). */
static int fail_no_hierarchy(struct pd_err **err)
{
	return pd_fail(err, ENOTSUP,
		       "resource limits need cgroups, and no cgroup hierarchy is mounted at '%s' "
		       "(mount cgroup2 there, or run without limits)",
		       CG_ROOT);
}

struct pd_cgroup *pd_cg_create_at(const char *rel, const struct pd_limits *l, bool rootless,
				  struct pd_err **err)
{
	if (check_rel(rel, err) < 0 || pd_cg_check_limits(l, err) < 0)
		return NULL;
	const struct cg_ops *ops = mode_ops();
	if (ops == &cg_none_ops && has_limits(l)) {
		fail_no_hierarchy(err);
		return NULL;
	}
	struct pd_cgroup *cg = cg_new(ops, rel, rootless);
	_cleanup_err_ struct pd_err *e = NULL;
	if (ops->create(cg, l, &e) < 0) {
		/* No group could be made (ENOTSUP from a back end: rootless
		 * without delegation; EACCES/EPERM/EROFS: a read-only or
		 * foreign cgroupfs, as in an unprivileged container).  Without
		 * limits the container needs no group: it runs in the
		 * caller's, and stats report that there is none. */
		int en = e->errnum;
		bool no_group = en == ENOTSUP || en == EACCES || en == EPERM || en == EROFS;
		if (!has_limits(l) && no_group) {
			pd_cg_free(cg);
			return cg_new(&cg_none_ops, rel, rootless);
		}
		pd_cg_free(cg);
		*err = take_ptr(&e);
		return NULL;
	}
	if (has_limits(l) && ops->set_limits(cg, l, &e) < 0) {
		cg_undo_create(cg);
		pd_cg_free(cg);
		*err = take_ptr(&e);
		return NULL;
	}
	return cg;
}

struct pd_cgroup *pd_cg_open_at(const char *rel, bool rootless, struct pd_err **err)
{
	if (check_rel(rel, err) < 0)
		return NULL;
	struct pd_cgroup *cg = cg_new(mode_ops(), rel, rootless);
	if (cg->ops->open(cg, err) < 0) {
		pd_cg_free(cg);
		return NULL;
	}
	return cg;
}

static int check_id(const char *id, struct pd_err **err)
{
	if (cg_is_valid_id(id))
		return 0;
	_cleanup_free_ char *shown = str_escape(id ? id : "");
	return pd_fail(err, EINVAL, "invalid container id '%s' for a cgroup", shown);
}

struct pd_cgroup *pd_cg_create(const char *id, const struct pd_limits *l, bool rootless, struct pd_err **err)
{
	if (check_id(id, err) < 0)
		return NULL;
	_cleanup_free_ char *rel = xasprintf(CG_PARENT "/%s", id);
	return pd_cg_create_at(rel, l, rootless, err);
}

struct pd_cgroup *pd_cg_open(const char *id, bool rootless, struct pd_err **err)
{
	if (check_id(id, err) < 0)
		return NULL;
	_cleanup_free_ char *rel = xasprintf(CG_PARENT "/%s", id);
	return pd_cg_open_at(rel, rootless, err);
}

int pd_cg_update(struct pd_cgroup *cg, const struct pd_limits *l, struct pd_err **err)
{
	if (pd_cg_check_limits(l, err) < 0)
		return -1;
	if (!has_limits(l))
		return 0;
	if (cg->ops == &cg_none_ops)
		return fail_no_hierarchy(err);
	if (cg->ops->prepare_update(cg, l, err) < 0)
		return -1;
	return cg->ops->set_limits(cg, l, err);
}

int pd_cg_freeze(struct pd_cgroup *cg, bool frozen, struct pd_err **err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int pd_cg_is_frozen(struct pd_cgroup *cg, bool *frozen, struct pd_err **err)
{
	*frozen = false;
	return cg->ops->is_frozen(cg, frozen, err);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int pd_cg_pids(struct pd_cgroup *cg, pid_t **out, size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	if (cg->ops == &cg_none_ops)
		return none_missing(cg, err);
	/* The union over every hierarchy (v1 lets a process sit in a group
	 * of ours in one hierarchy and elsewhere in another) and every group
	 * below ours (the container may make its own). */
	struct pidset set = { 0 };
	for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
		pids_pass(cg->dirs[i], true, &set, 0);
	if (set.n)
		qsort(set.v, set.n, sizeof(*set.v), cmp_pid);
	*out = set.v;
	*n = set.n;
	return 0;
}

/* Each pid of the group and below, once: `sig` to it (one pass). */
static void signal_pass(struct pd_cgroup *cg, int sig)
{
	struct pidset seen = { 0 };
	for (size_t i = 0; cg->dirs && cg->dirs[i]; i++)
		pids_pass(cg->dirs[i], true, &seen, sig);
	free(seen.v);
}

int pd_cg_signal_all(struct pd_cgroup *cg, int sig, struct pd_err **err)
{
	if (sig <= 0 || sig >= NSIG)
		return pd_fail_kind(err, PD_ERR_USAGE, EINVAL, "invalid signal %d", sig);
	if (cg->ops == &cg_none_ops)
		return none_missing(cg, err);
	bool was_frozen = false;
	if (cg->ops->is_frozen(cg, &was_frozen, err) < 0)
		return -1;
	if (sig == SIGKILL) {
		int r = cg->ops->kill_tree(cg, err);
		if (r < 0)
			return -1;
		/* In a frozen group no process runs, forks or exits: one
		 * pass signals each exactly once.  A v1 frozen task acts on
		 * SIGKILL only once thawed (the v2 freezer lets fatal
		 * signals through), so thaw it after: it dies before it runs
		 * another instruction of its own. */
		if (r == 0 && was_frozen)
			signal_pass(cg, SIGKILL);
		if (was_frozen && cg->ops->freeze(cg, false, err) < 0)
			return -1;
		/* Processes that forked or joined since (without a freezer
		 * or cgroup.kill: all of them). */
		return r == 0 ? cg_kill_loop(cg->dirs, true, err) : 0;
	}
	/* Any other signal: freeze first, so no process forks past the pass
	 * or exits and frees its pid to a stranger; thaw after (a paused
	 * group stays paused: v1 processes take the signal when resumed, v2
	 * lets a fatal one through at once).
	 * Without a usable freezer (none mounted, or a task that will not
	 * stop within the bound) one pass is the best there is: a child born
	 * during it may miss the signal. */
	bool froze = false;
	if (!was_frozen) {
		_cleanup_err_ struct pd_err *e = NULL;
		froze = cg->ops->freeze(cg, true, &e) == 0;
	}
	signal_pass(cg, sig);
	if (froze && cg->ops->freeze(cg, false, err) < 0)
		return -1;
	return 0;
}

void pd_cg_prime(bool rootless)
{
	if (!rootless && pd_cg_detect() == PD_CG_V1)
		cg1_prime();
}

int pd_cg_add_pid(struct pd_cgroup *cg, pid_t pid, struct pd_err **err)
{
	return cg->ops->add_pid(cg, pid, err);
}

int pd_cg_clone_fd(const struct pd_cgroup *cg)
{
	if (cg->ops != &cg2_ops || !cg->path)
		return -1;
	return open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int pd_cg_stats(struct pd_cgroup *cg, struct pd_cg_stats *out, struct pd_err **err)
{
	*out = (struct pd_cg_stats){ 0 };
	return cg->ops->stats(cg, out, err);
}

int pd_cg_usage(struct pd_cgroup *cg, struct pd_cg_usage *out, struct pd_err **err)
{
	*out = (struct pd_cg_usage){ 0 };
	return cg->ops->usage(cg, out, err);
}

int pd_cg_oom_fd(struct pd_cgroup *cg)
{
	if (!cg->oom_fd_tried) {
		cg->oom_fd_tried = true;
		cg->oom_fd = cg->ops->oom_fd(cg);
	}
	return cg->oom_fd;
}

bool pd_cg_oom_killed(struct pd_cgroup *cg)
{
	return cg->ops->oom_killed(cg);
}

int pd_cg_destroy(struct pd_cgroup *cg, struct pd_err **err)
{
	if (!cg)
		return 0;
	/* rmdir first: usually the container's init is gone, and with it its
	 * PID namespace and every process in it, so the group is empty (an
	 * upfront kill loop cost ~3 ms per container).  The back end's
	 * destroy kills and retries only while the kernel says EBUSY.  A
	 * frozen group is the exception (a paused container deleted with
	 * --force, or from another process): its v1 tasks ignore SIGKILL until
	 * thawed, so kill and thaw it first; one read says whether it is. */
	bool frozen = false;
	if (cg->ops->is_frozen(cg, &frozen, pd_err_ignore(status)) == 0 && frozen)
		pd_cg_signal_all(cg, SIGKILL, pd_err_ignore(corrected));
	int r = cg->ops->destroy(cg, err);
	pd_cg_free(cg);
	return r;
}

int pd_cg_mount_in_container(int rootfd, bool userns, struct pd_err **err)
{
	_cleanup_close_ int targetfd = rootfs_mkdir_p(rootfd, "sys/fs/cgroup", 0755, err);
	if (targetfd < 0)
		return -1;
	const struct cg_ops *ops = mode_ops();
	/* A rootless container never has a group of its own on v1 (cg1_create
	 * refuses a rootless caller): its cgroup namespace is rooted at the
	 * caller's groups, on a v1 host usually each hierarchy's root, and a
	 * cgroup mount there would show every group on the host (other users'
	 * containers, the system's services).  It gets an empty view, as a
	 * root container sees nothing beyond its own group.  The same holds
	 * for a hybrid host's "unified" cgroup2, whose view is also rooted at
	 * the caller's group. */
	if (userns && ops == &cg1_ops)
		return none_mount_view(targetfd, userns, err);
	_cleanup_err_ struct pd_err *e = NULL;
	if (ops->mount_view(targetfd, userns, &e) == 0)
		return 0;
	/* In a user namespace the kernel may refuse a cgroup mount (v1
	 * before 5.x, or a cgroup namespace not owned by our user namespace);
	 * the limits hold regardless, so an empty view is a valid fallback. */
	if (userns && (e->errnum == EPERM || e->errnum == EACCES))
		return none_mount_view(targetfd, userns, err);
	*err = take_ptr(&e);
	return -1;
}
