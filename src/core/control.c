/* pause/unpause, rename, top and port (see control.h).  Runs in the CLI,
 * with the caller's privileges: root, or the user who made a rootless
 * container (whose cgroup, when the host delegates one, is the user's).
 * The freezer and the process list are the cgroup module's; `top` runs the
 * host's `ps` as Docker does and keeps the container's rows of it. */
#include "core/control.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "core/events.h"
#include "core/query.h"
#include "core/store-net.h"
#include "linux/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

extern char **environ;

static bool is_running(const struct pd_record *r)
{
	return r->state == PD_STATE_RUNNING || r->state == PD_STATE_STOPPING;
}

/* The record of `ref`, corrected against the live processes. */
static int find_record(struct pd_store *s, const char *ref, struct pd_record *out, struct pd_err **err)
{
	if (pd_store_find(s, ref, out, err) < 0)
		return -1;
	pd_container_refresh(s, out);
	return 0;
}

/* The running container's cgroup.  A container without one (a rootless
 * run on a host that delegates no cgroup to the user: cgroup v1, or v2
 * without systemd's delegation) is refused with why. */
static struct pd_cgroup *open_group(const struct pd_record *r, const char *what, struct pd_err **err)
{
	bool rootless = pd_record_rootless(r);
	_cleanup_err_ struct pd_err *e = NULL;
	struct pd_cgroup *cg = pd_cg_open(r->id, rootless, &e);
	if (cg)
		return cg;
	if (e->errnum == ENOENT && rootless)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "cannot %s container %.12s: it has no cgroup of its own (a rootless "
				    "container on a host that delegates no cgroup to the user), and %s needs "
				    "the cgroup freezer",
				    what, r->id, what),
		       NULL;
	pd_fail(err, e->errnum, "%s container %.12s: %s", what, r->id, e->msg);
	return NULL;
}

static int set_frozen(const struct pd_record *r, bool pause, struct pd_err **err)
{
	const char *what = pause ? "pause" : "unpause";
	if (!is_running(r))
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is not running", r->id);
	struct pd_cgroup *cg = open_group(r, what, err);
	if (!cg)
		return -1;
	bool frozen = false;
	int ret = pd_cg_is_frozen(cg, &frozen, err);
	if (ret == 0 && frozen == pause)
		ret = pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    pause ? "container %.12s is already paused" : "container %.12s is not paused", r->id);
	else if (ret == 0 && pd_cg_freeze(cg, pause, err) < 0) {
		pd_err_prefix(err, "%s container %.12s", what, r->id);
		ret = -1;
	}
	pd_cg_free(cg);
	return ret;
}

int pd_container_pause(const char *root, const char *ref, bool pause, struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (find_record(s, ref, &r, err) < 0)
		return -1;
	int ret = set_frozen(&r, pause, err);
	if (ret == 0)
		pd_event_container(s, r.id, pause ? "pause" : "unpause", NULL, NULL);
	pd_record_free(&r);
	return ret;
}

void pd_container_thaw_for_signal(const struct pd_record *r)
{
	if (!is_running(r))
		return;
	struct pd_cgroup *cg = pd_cg_open(r->id, pd_record_rootless(r), pd_err_ignore(optional));
	if (!cg)
		return;
	bool frozen = false;
	/* A group that cannot be thawed leaves the container paused: the
	 * caller's wait and SIGKILL follow, and `unpause` can still end it. */
	if (pd_cg_is_frozen(cg, &frozen, pd_err_ignore(optional)) == 0 && frozen)
		pd_cg_freeze(cg, false, pd_err_ignore(optional));
	pd_cg_free(cg);
}

int pd_container_name_check(const char *name, struct pd_err **err)
{
	if (!*name)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "container name is empty");
	for (const char *p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
		      (p != name && strchr("_.-", *p)))) {
			_cleanup_free_ char *shown = str_escape(name);
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "invalid container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", shown);
		}
	return 0;
}

int pd_container_rename(const char *root, const char *ref, const char *name, struct pd_err **err)
{
	if (pd_container_name_check(name, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (find_record(s, ref, &r, err) < 0)
		return -1;
	int ret;
	if (r.name && !strcmp(r.name, name))
		ret =
		    pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is already named \"%s\"", r.id, name);
	else
		ret = pd_store_rename(s, r.id, name, err);
	pd_record_free(&r);
	return ret;
}

/* --- top --- */

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

/* The processes in the pid namespace of `init` (as this process sees
 * them, each once), for a container without a cgroup: its namespace holds
 * exactly its processes. */
static int pidns_pids(pid_t init, pid_t **out, size_t *n, struct pd_err **err)
{
	char path[300], want[64], got[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
	ssize_t len = readlink(path, want, sizeof(want) - 1);
	if (len < 0)
		return pd_fail(err, errno, "read the pid namespace of process %d", init);
	want[len] = 0;
	_cleanup_closedir_ DIR *d = opendir("/proc");
	if (!d)
		return pd_fail(err, errno, "open '/proc'");
	pid_t *v = NULL;
	size_t nv = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		len = readlink(path, got, sizeof(got) - 1);
		if (len < 0)
			continue; /* gone, or not ours to read: not the container's */
		got[len] = 0;
		if (strcmp(got, want) != 0)
			continue;
		v = xrealloc(v, (nv + 1) * sizeof(*v));
		v[nv++] = (pid_t)atoi(e->d_name);
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_pid);
	*out = v;
	*n = nv;
	return 0;
}

static int container_pids(const struct pd_record *r, pid_t **out, size_t *n, struct pd_err **err)
{
	struct pd_cgroup *cg = pd_cg_open(r->id, pd_record_rootless(r), pd_err_ignore(status));
	/* No group (rootless without delegation): the pid namespace, which
	 * every container has, holds the same processes. */
	if (!cg)
		return pidns_pids(r->pid, out, n, err);
	int ret = pd_cg_pids(cg, out, n, pd_err_ignore(status));
	pd_cg_free(cg);
	return ret < 0 ? pidns_pids(r->pid, out, n, err) : 0;
}

/* Run `ps` with `args` on the host; its stdout, or NULL with its stderr's
 * first line as a usage error (the options are the user's). */
static char *run_ps(char *const *args, struct pd_err **err)
{
	_cleanup_close_ int out_fd = memfd_create("pd-top-out", MFD_CLOEXEC);
	_cleanup_close_ int err_fd = memfd_create("pd-top-err", MFD_CLOEXEC);
	if (out_fd < 0 || err_fd < 0)
		return pd_fail(err, errno, "top: make a buffer for ps"), NULL;
	_cleanup_strv_ char **argv = xcalloc(1, sizeof(char *));
	strv_push(&argv, "ps");
	if (args && args[0])
		for (size_t i = 0; args[i]; i++)
			strv_push(&argv, args[i]);
	else
		strv_push(&argv, "-ef");
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0)
		abort();
	int r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	pid_t pid = -1;
	if (!r)
		r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return pd_fail(err, r, "top: run the host's 'ps'"), NULL;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "top: wait for 'ps'"), NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char msg[512] = "";
		ssize_t len = pread(err_fd, msg, sizeof(msg) - 1, 0);
		msg[len > 0 ? len : 0] = 0;
		msg[strcspn(msg, "\n")] = 0;
		_cleanup_free_ char *shown = str_escape(msg);
		_cleanup_free_ char *words = strv_join(argv, " ");
		_cleanup_free_ char *cmd = str_escape(words);
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "top: '%s' failed (status %d)%s%s", cmd,
				    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				    *shown ? ": " : "", shown),
		       NULL;
	}
	_cleanup_free_ char *fdpath = xasprintf("/proc/self/fd/%d", (int)out_fd);
	return pd_read_file(fdpath, NULL, err);
}

/* Split `line` in place into at most `max` fields on blanks, the last
 * keeping the rest of the line; the number of fields. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		f[n++] = p;
		if (n == max)
			break;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
	}
	return n;
}

static bool has_pid(const pid_t *v, size_t n, pid_t pid)
{
	return bsearch(&pid, v, n, sizeof(*v), cmp_pid) != NULL;
}

/* Keep the rows of `text` (ps's output) whose PID is one of `pids`. */
static int filter_rows(char *text, const pid_t *pids, size_t npids, struct pd_top *out, struct pd_err **err)
{
	char *save = NULL;
	char *header = strtok_r(text, "\n", &save);
	if (!header)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "top: ps printed nothing"), -1;
	char *titles[256];
	size_t ncols = split_fields(header, titles, 256);
	/* The last title may hold several words when split with the rest
	 * of the line: the titles have no blanks in them. */
	if (ncols == 256)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "top: too many ps columns");
	size_t pid_col = ncols;
	for (size_t i = 0; i < ncols; i++)
		if (!strcmp(titles[i], "PID"))
			pid_col = i;
	if (pid_col == ncols)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "top: no PID column in the ps output (add -o pid)");
	out->titles = xcalloc(ncols + 1, sizeof(char *));
	for (size_t i = 0; i < ncols; i++)
		out->titles[i] = xstrdup(titles[i]);
	out->ncols = ncols;
	out->rows = xcalloc(1, sizeof(char **));
	char *line;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *f[256];
		size_t nf = split_fields(line, f, ncols);
		char *end;
		if (nf <= pid_col)
			continue;
		long pid = strtol(f[pid_col], &end, 10);
		if (*end || pid <= 0 || !has_pid(pids, npids, (pid_t)pid))
			continue;
		char **row = xcalloc(ncols + 1, sizeof(char *));
		for (size_t i = 0; i < ncols; i++)
			row[i] = xstrdup(i < nf ? f[i] : "");
		out->rows = xrealloc(out->rows, (out->nrows + 2) * sizeof(char **));
		out->rows[out->nrows++] = row;
		out->rows[out->nrows] = NULL;
	}
	return 0;
}

int pd_container_top(const char *root, const char *ref, char *const *ps_args, struct pd_top *out,
		     struct pd_err **err)
{
	memset(out, 0, sizeof(*out));
	struct pd_record r;
	if (pd_container_lookup(root, ref, &r, err) < 0)
		return -1;
	_cleanup_free_ pid_t *pids = NULL;
	size_t npids = 0;
	int ret = 0;
	if (!is_running(&r))
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "container %.12s is not running", r.id);
	else
		ret = container_pids(&r, &pids, &npids, err);
	pd_record_free(&r);
	if (ret < 0)
		return -1;
	/* The pids first, then ps (as Docker): a process of the container
	 * that starts in between is not shown, and a pid the kernel reuses
	 * meanwhile for a host process would need the container's process
	 * to exit and the pid space to wrap within that gap. */
	_cleanup_free_ char *text = run_ps(ps_args, err);
	if (!text)
		return -1;
	if (filter_rows(text, pids, npids, out, err) < 0) {
		pd_top_free(out);
		return -1;
	}
	return 0;
}

void pd_top_free(struct pd_top *t)
{
	strv_free(t->titles);
	for (size_t i = 0; t->rows && t->rows[i]; i++)
		strv_free(t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* --- port --- */

/* "80", "80/tcp", "53/udp" into a port and a protocol. */
static int parse_port_filter(const char *s, uint16_t *port, char proto[4], struct pd_err **err)
{
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *num = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
	const char *p = slash ? slash + 1 : "tcp";
	uint64_t v;
	_cleanup_free_ char *shown = str_escape(s);
	if (pd_parse_uint(num, 65535, &v, pd_err_ignore(status)) < 0 || v == 0 ||
	    (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid port '%s': want PORT or PORT/tcp or PORT/udp", shown);
	*port = (uint16_t)v;
	snprintf(proto, 4, "%s", p);
	return 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct pd_published_port *x = a, *y = b;
	if (x->container_port != y->container_port)
		return x->container_port < y->container_port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

int pd_container_ports(const char *root, const char *ref, const char *filter, struct pd_published_port **out,
		       size_t *n, struct pd_err **err)
{
	*out = NULL;
	*n = 0;
	uint16_t want = 0;
	char want_proto[4] = "";
	if (filter && parse_port_filter(filter, &want, want_proto, err) < 0)
		return -1;
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (find_record(s, ref, &r, err) < 0)
		return -1;
	struct pd_store_net net = { 0 };
	/* The ports are published while the container runs; the record of
	 * one that ended unseen may still hold them. */
	if (is_running(&r) && pd_store_net_get(s, r.id, &net, err) < 0) {
		pd_record_free(&r);
		return -1;
	}
	struct pd_published_port *v = xcalloc(net.n_ports ? net.n_ports : 1, sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < net.n_ports; i++) {
		const struct pd_port *p = &net.ports[i];
		if (filter && (p->container_port != want || strcmp(p->proto, want_proto) != 0))
			continue;
		struct pd_published_port *o = &v[nv++];
		o->container_port = p->container_port;
		snprintf(o->proto, sizeof(o->proto), "%s", p->proto);
		snprintf(o->host_ip, sizeof(o->host_ip), "%s", p->host_ip);
		o->host_port = p->host_port;
	}
	pd_store_net_free(&net);
	int ret = 0;
	if (filter && !nv) {
		_cleanup_free_ char *shown = str_escape(ref);
		ret = pd_fail_kind(err, PD_ERR_USAGE, 0, "no public port '%u/%s' published for %s", want,
				   want_proto, shown);
		free(v);
		v = NULL;
	} else if (!nv) {
		free(v);
		v = NULL;
	} else {
		/* Stable for equal keys: the host addresses of one port stay
		 * in the order they were published. */
		for (size_t i = 1; i < nv; i++)
			for (size_t j = i; j > 0 && cmp_port(&v[j - 1], &v[j]) > 0; j--) {
				struct pd_published_port t = v[j];
				v[j] = v[j - 1];
				v[j - 1] = t;
			}
	}
	pd_record_free(&r);
	*out = v;
	*n = nv;
	return ret;
}

/* --- update --- */

/* The record's config with the update's limits and policy merged in. */
static int merge_update(struct pd_config *c, const struct pd_update *u, struct pd_err **err)
{
	const struct pd_limits *n = &u->limits;
	struct pd_limits *l = &c->limits;
	if (n->memory)
		l->memory = n->memory;
	if (n->memory_swap)
		l->memory_swap = n->memory_swap;
	if (n->cpu_period_us) {
		l->cpu_quota_us = n->cpu_quota_us;
		l->cpu_period_us = n->cpu_period_us;
	}
	if (n->cpu_shares)
		l->cpu_shares = n->cpu_shares;
	if (n->pids_max)
		l->pids_max = n->pids_max;
	/* As Docker: memory+swap bounds memory, so it cannot be below it. */
	if (l->memory_swap > 0 && l->memory && (uint64_t)l->memory_swap < l->memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s: the memory limit (%" PRIu64
				    " bytes) would be above the "
				    "memory+swap limit (%" PRId64 " bytes): give --memory-swap too",
				    c->id, l->memory, l->memory_swap);
	if (l->memory_swap > 0 && !l->memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "container %.12s: --memory-swap needs a memory limit: give --memory too",
				    c->id);
	if (u->set_restart) {
		if (c->remove && u->restart != PD_RESTART_NO)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "container %.12s was started with --rm: it cannot have a restart "
					    "policy",
					    c->id);
		c->restart = u->restart;
		c->restart_max = u->restart_max;
	}
	return 0;
}

/* Write the update's limits to a running container's cgroup.  Memory and
 * memory+swap go together, merged with the container's own (`merged`):
 * `--memory` alone must keep the memory+swap limit the container has, as
 * the record does. */
static int update_group(const struct pd_record *r, const struct pd_update *u, const struct pd_limits *merged,
			struct pd_err **err)
{
	struct pd_limits w = u->limits;
	if (w.memory || w.memory_swap) {
		w.memory = merged->memory;
		w.memory_swap = merged->memory_swap;
	}
	_cleanup_err_ struct pd_err *e = NULL;
	struct pd_cgroup *cg = pd_cg_open(r->id, pd_record_rootless(r), &e);
	if (!cg) {
		if (e->errnum == ENOENT && pd_record_rootless(r))
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "cannot update container %.12s: it has no cgroup of its own (a "
			    "rootless container on a host that delegates no cgroup to the user)",
			    r->id);
		return pd_fail(err, e->errnum, "update container %.12s: %s", r->id, e->msg);
	}
	int ret = pd_cg_update(cg, &w, &e);
	pd_cg_free(cg);
	if (ret == 0)
		return 0;
	/* The kernel refuses a memory limit below what the group uses and
	 * cannot reclaim (v1: EBUSY from memory.limit_in_bytes). */
	if (e->errnum == EBUSY && u->limits.memory)
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "cannot set the memory limit of container %.12s to %" PRIu64
				    " bytes: it uses more than that and the kernel cannot reclaim it",
				    r->id, u->limits.memory);
	return pd_fail(err, e->errnum, "update container %.12s: %s", r->id, e->msg);
}

int pd_container_update(const char *root, const char *ref, const struct pd_update *u, char *id_out,
			struct pd_err **err)
{
	_cleanup_store_ struct pd_store *s = pd_store_open(root, err);
	if (!s)
		return -1;
	struct pd_record r;
	if (find_record(s, ref, &r, err) < 0)
		return -1;
	/* The config is read, merged and written back in one write
	 * transaction: two updates at once (each of another field) would
	 * otherwise both read the old config and the later write would drop
	 * the earlier one's field.  The record is read again inside it. */
	struct pd_record cur;
	if (pd_store_begin(s, err) < 0 || pd_store_find(s, r.id, &cur, err) < 0) {
		pd_store_rollback(s);
		pd_record_free(&r);
		return -1;
	}
	struct pd_config c;
	int ret = pd_record_config(&cur, &c, err);
	pd_record_free(&cur);
	if (ret == 0)
		ret = merge_update(&c, u, err);
	bool has_limits = u->limits.memory || u->limits.memory_swap || u->limits.cpu_period_us ||
			  u->limits.cpu_shares || u->limits.pids_max;
	/* A running (or paused) container's limits change at once; a
	 * stopped one's at its next start, from the stored config. */
	if (ret == 0 && has_limits && is_running(&r))
		ret = update_group(&r, u, &c.limits, err);
	if (ret == 0) {
		_cleanup_free_ char *json = pd_config_encode(&c);
		ret = pd_store_set_config(s, r.id, json, err);
	}
	if (ret == 0)
		ret = pd_store_commit(s, err);
	else
		pd_store_rollback(s);
	if (ret == 0 && id_out)
		memcpy(id_out, r.id, sizeof(r.id));
	pd_config_free(&c);
	pd_record_free(&r);
	return ret;
}
