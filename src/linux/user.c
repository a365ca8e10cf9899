/* Container user lookup and switch (see user.h).  Runs in the container's
 * init after pivot_root, so the files read are the image's own; they are
 * untrusted, hence the bounded parsing with no NSS involved. */
#include "linux/user.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

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

static bool lookup_passwd(const char *path, const char *name, unsigned long uid, bool by_name,
			  struct pd_user *u, char *name_out, size_t name_len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
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

static bool lookup_group(const char *path, const char *name, unsigned long *gid)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
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
static void member_groups(const char *path, const char *user, struct pd_user *u)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !*user)
		return;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
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
	_cleanup_free_ char *s = xstrdup(spec ? spec : "0");
	char *grp = strchr(s, ':');
	if (grp)
		*grp++ = '\0';
	unsigned long id;
	if (parse_id(s, &id)) {
		out->uid = (uid_t)id;
		out->gid = 0;
		lookup_passwd(passwd, NULL, id, false, out, name, sizeof(name));
	} else if (!*s || !lookup_passwd(passwd, s, 0, true, out, name, sizeof(name))) {
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "unable to find user %s: no matching entries in passwd file", s);
	}
	if (grp) {
		unsigned long g;
		if (parse_id(grp, &g) || lookup_group(group, grp, &g))
			out->gid = (gid_t)g;
		else
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "unable to find group %s: no matching entries in group file",
					    grp);
	}
	add_group(out, out->gid);
	if (!grp)
		member_groups(group, name, out);
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
