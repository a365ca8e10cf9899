/* Id maps (see idmap.h).  Runs in the monitor (the container's parent) as
 * the unprivileged caller.  With a subordinate range, the setuid helpers
 * newuidmap/newgidmap write the maps (only they may map ids we do not own);
 * without one, we write a single-id map ourselves, which the kernel allows
 * only after "deny" is written to setgroups. */
#include "linux/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static bool find_range(const char *file, const char *name, unsigned long id, unsigned long *start,
		       unsigned long *count)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':');
		if (!c1)
			continue;
		*c1 = '\0';
		char *end = NULL;
		bool match =
		    !strcmp(line, name) || (strtoul(line, &end, 10) == id && end && *end == '\0' && *line);
		if (!match)
			continue;
		unsigned long s, n;
		if (sscanf(c1 + 1, "%lu:%lu", &s, &n) == 2 && n > 0) {
			*start = s;
			*count = n;
			return true;
		}
	}
	return false;
}

static bool have_exe(const char *name)
{
	const char *dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

void idmap_for_caller(struct pd_idmap *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = getuid();
	m->gid = getgid();
	struct passwd *pw = getpwuid(m->uid);
	if (!pw || !have_exe("newuidmap") || !have_exe("newgidmap"))
		return;
	unsigned long us, uc, gs, gc;
	if (find_range("/etc/subuid", pw->pw_name, m->uid, &us, &uc) &&
	    find_range("/etc/subgid", pw->pw_name, m->uid, &gs, &gc)) {
		m->sub_uid = (uid_t)us;
		m->sub_uid_count = uc;
		m->sub_gid = (gid_t)gs;
		m->sub_gid_count = gc;
	}
}

bool idmap_has_range(const struct pd_idmap *m)
{
	return m->sub_uid_count > 0 && m->sub_gid_count > 0;
}

static int write_proc(pid_t pid, const char *file, const char *data, struct pd_err **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", path);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		return pd_fail(err, errno, "write '%s'", path);
	return 0;
}

static int run_helper(const char *helper, pid_t pid, unsigned long own, unsigned long start,
		      unsigned long count, struct pd_err **err)
{
	char spid[16], sown[24], sstart[24], scount[24];
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(sown, sizeof(sown), "%lu", own);
	snprintf(sstart, sizeof(sstart), "%lu", start);
	snprintf(scount, sizeof(scount), "%lu", count);
	pid_t child = fork();
	if (child < 0)
		return pd_fail(err, errno, "fork %s", helper);
	if (child == 0) {
		char *const argv[] = { (char *)helper, spid, "0", sown, "1", "1", sstart, scount, NULL };
		execvp(helper, argv);
		_exit(127);
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "wait for %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pd_fail(err, 0, "%s failed for pid %d (check /etc/subuid and /etc/subgid)", helper,
			       (int)pid);
	return 0;
}

int idmap_write(pid_t pid, const struct pd_idmap *m, struct pd_err **err)
{
	if (idmap_has_range(m)) {
		if (run_helper("newuidmap", pid, m->uid, m->sub_uid, m->sub_uid_count, err) < 0 ||
		    run_helper("newgidmap", pid, m->gid, m->sub_gid, m->sub_gid_count, err) < 0)
			return -1;
		return 0;
	}
	char buf[64];
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)m->uid);
	if (write_proc(pid, "uid_map", buf, err) < 0)
		return -1;
	if (write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)m->gid);
	return write_proc(pid, "gid_map", buf, err);
}

int idmap_run_in_userns(const struct pd_idmap *m, int (*fn)(void *arg), void *arg, struct pd_err **err)
{
	int to_parent[2], to_child[2];
	if (pipe2(to_parent, O_CLOEXEC) < 0)
		return pd_fail(err, errno, "create pipe");
	if (pipe2(to_child, O_CLOEXEC) < 0) {
		close(to_parent[0]);
		close(to_parent[1]);
		return pd_fail(err, errno, "create pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(to_parent[0]), close(to_parent[1]), close(to_child[0]), close(to_child[1]);
		return pd_fail(err, e, "fork");
	}
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
		if (write(to_parent[1], &c, 1) != 1 || c != 'u')
			_exit(125);
		if (read(to_child[0], &c, 1) != 1 || c != 'g')
			_exit(125);
		_exit(fn(arg) == 0 ? 0 : 1);
	}
	close(to_parent[1]);
	close(to_child[0]);
	char c = 0;
	int ret = -1;
	if (read(to_parent[0], &c, 1) == 1 && c == 'u' && idmap_write(pid, m, err) == 0 &&
	    write(to_child[1], "g", 1) == 1)
		ret = 0;
	close(to_parent[0]);
	close(to_child[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pd_fail(err, errno, "wait for the user namespace helper");
	if (ret == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		ret = pd_fail(err, 0, "the user namespace helper failed");
	else if (ret < 0)
		pd_fail(err, 0, "cannot enter a user namespace");
	return ret;
}
