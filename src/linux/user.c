/* Container user lookup and switch (see user.h).  Runs in the container's
 * init (and in an exec's process, health checks included) after pivot_root,
 * so the files read are the image's own; they are untrusted, hence the
 * bounded parsing with no NSS involved.
 *
 * The image (or, for an exec, the running container) controls what
 * /etc/passwd and /etc/group are.  A FIFO would block the open forever, a
 * symlink to /dev/zero would feed fgets without end, a 200 MB file would be
 * parsed on every exec and health check.  So each file is opened without
 * blocking, must be a regular file, and is read only up to
 * USER_FILE_MAX. */
#include "linux/user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

/* 4 MiB holds some 50,000 accounts, far more than any image has; a bigger
 * file is broken or hostile, and the lookup runs before every exec and
 * health check, within their time limits. */
#define USER_FILE_MAX (4 << 20)

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Open the account file `path` of the container's.  0 with *out NULL when
 * there is none (a lookup then finds nothing); -1 with *err when it is not a
 * regular file or is too large.  Symlinks are followed (inside the
 * container's root: we run after pivot_root) only to a regular file, which
 * is proved with an O_PATH open before the file is opened for reading: an
 * O_PATH open never runs a device's open. */
static int open_account_file(const char *path, FILE **out, struct pd_err **err)
{
	*out = NULL;
	const int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st, probe;
	_cleanup_close_ int fd = open(path, flags | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP) {
		_cleanup_close_ int pfd = open(path, O_PATH | O_CLOEXEC);
		if (pfd < 0 || fstat(pfd, &probe) < 0)
			return errno == ENOENT || errno == ENOTDIR
				   ? 0
				   : pd_fail(err, errno, "open '%s' in the container", path);
		if (!S_ISREG(probe.st_mode))
			return pd_fail(err, 0, "'%s' in the container is not a regular file", path);
		fd = open(path, flags);
		/* The link may have been changed in between: the file
		 * opened must be the one probed. */
		if (fd >= 0 && (fstat(fd, &st) < 0 || !same_inode(&st, &probe)))
			return pd_fail(err, 0, "'%s' in the container changed while it was opened", path);
	}
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			   ? 0
			   : pd_fail(err, errno, "open '%s' in the container", path);
	if (fstat(fd, &st) < 0)
		return pd_fail(err, errno, "stat '%s' in the container", path);
	if (!S_ISREG(st.st_mode))
		return pd_fail(err, 0, "'%s' in the container is not a regular file", path);
	if (st.st_size > USER_FILE_MAX)
		return pd_fail(err, 0, "'%s' in the container is larger than %d MiB", path,
			       USER_FILE_MAX >> 20);
	if (fcntl(fd, F_SETFL, O_RDONLY) < 0)
		return pd_fail(err, errno, "open '%s' in the container", path);
	*out = fdopen(fd, "re");
	if (!*out)
		return pd_fail(err, errno, "open '%s' in the container", path);
	take_fd(&fd);
	return 0;
}

/* The lines of an account file, up to USER_FILE_MAX bytes in all: the file
 * may grow after the size check (a container's process can append). */
static bool next_line(FILE *f, char *line, size_t size, size_t *total)
{
	if (*total >= USER_FILE_MAX || !fgets(line, (int)size, f))
		return false;
	*total += strlen(line);
	return true;
}

static bool parse_id(const char *s, unsigned long *out)
{
	if (!*s)
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || v > 0xfffffffeUL)
		return false;
	*out = v;
	return true;
}

/* Split a passwd/group line into at most `max` ':'-separated fields. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		char *c = strchr(line, ':');
		if (!c)
			break;
		*c = '\0';
		line = c + 1;
	}
	return n;
}

static bool lookup_passwd(FILE *f, const char *name, unsigned long uid, bool by_name, struct pd_user *u,
			  char *name_out, size_t name_len)
{
	if (!f)
		return false;
	rewind(f);
	char line[1024];
	size_t total = 0;
	while (next_line(f, line, sizeof(line), &total)) {
		char *fl[7];
		unsigned long fu, fg;
		if (split_fields(line, fl, 7) < 7 || !parse_id(fl[2], &fu) || !parse_id(fl[3], &fg))
			continue;
		if (by_name ? strcmp(fl[0], name) != 0 : fu != uid)
			continue;
		u->uid = (uid_t)fu;
		u->gid = (gid_t)fg;
		snprintf(u->home, sizeof(u->home), "%s", fl[5][0] ? fl[5] : "/");
		snprintf(name_out, name_len, "%s", fl[0]);
		return true;
	}
	return false;
}

static bool lookup_group(FILE *f, const char *name, unsigned long *gid)
{
	if (!f)
		return false;
	rewind(f);
	char line[4096];
	size_t total = 0;
	while (next_line(f, line, sizeof(line), &total)) {
		char *fl[4];
		unsigned long g;
		if (split_fields(line, fl, 4) < 3 || !parse_id(fl[2], &g))
			continue;
		if (!strcmp(fl[0], name)) {
			*gid = g;
			return true;
		}
	}
	return false;
}

static void add_group(struct pd_user *u, gid_t g)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return;
	if (u->n_groups < sizeof(u->groups) / sizeof(u->groups[0]))
		u->groups[u->n_groups++] = g;
}

/* Supplementary groups: every group that lists the user as a member. */
static void member_groups(FILE *f, const char *user, struct pd_user *u)
{
	if (!f || !*user)
		return;
	rewind(f);
	char line[4096];
	size_t total = 0;
	while (next_line(f, line, sizeof(line), &total)) {
		char *fl[4];
		unsigned long g;
		if (split_fields(line, fl, 4) < 4 || !parse_id(fl[2], &g))
			continue;
		for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ","))
			if (!strcmp(m, user))
				add_group(u, (gid_t)g);
	}
}

int user_resolve(const char *spec, const char *passwd, const char *group, struct pd_user *out,
		 struct pd_err **err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->home, sizeof(out->home), "/");
	char name[256] = "";
	_cleanup_fclose_ FILE *pw = NULL;
	_cleanup_fclose_ FILE *gr = NULL;
	if (open_account_file(passwd, &pw, err) < 0 || open_account_file(group, &gr, err) < 0)
		return -1;
	_cleanup_free_ char *s = xstrdup(spec ? spec : "0");
	char *grp = strchr(s, ':');
	if (grp)
		*grp++ = '\0';
	unsigned long id;
	if (parse_id(s, &id)) {
		out->uid = (uid_t)id;
		out->gid = 0;
		lookup_passwd(pw, NULL, id, false, out, name, sizeof(name));
	} else if (!*s || !lookup_passwd(pw, s, 0, true, out, name, sizeof(name))) {
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "unable to find user %s: no matching entries in passwd file", s);
	}
	if (grp) {
		unsigned long g;
		if (parse_id(grp, &g) || lookup_group(gr, grp, &g))
			out->gid = (gid_t)g;
		else
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "unable to find group %s: no matching entries in group file",
					    grp);
	}
	add_group(out, out->gid);
	if (!grp)
		member_groups(gr, name, out);
	return 0;
}

int user_group_lookup(const char *group, const char *name, gid_t *gid, struct pd_err **err)
{
	_cleanup_fclose_ FILE *gr = NULL;
	unsigned long g;
	if (open_account_file(group, &gr, err) < 0)
		return -1;
	if (!lookup_group(gr, name, &g))
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "unable to find group %s: no matching entries in group file", name);
	*gid = (gid_t)g;
	return 0;
}

int user_switch(const struct pd_user *u, int no_setgroups, struct pd_err **err)
{
	if (!no_setgroups && setgroups(u->n_groups, u->groups) < 0)
		return pd_fail(err, errno, "set supplementary groups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return pd_fail(err, errno, "set gid %u", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return pd_fail(err, errno, "set uid %u", (unsigned)u->uid);
	return 0;
}
