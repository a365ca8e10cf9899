/* The container's user: resolved from the container's own /etc/passwd and
 * /etc/group (never the host's), after pivot_root. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct pd_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	size_t n_groups;
	char home[256];
};

/* Resolve "UID", "NAME", "UID:GID", "NAME:GROUP" (NULL: root) against
 * passwd/group files read from `passwd` and `group` paths. */
int user_resolve(const char *spec, const char *passwd, const char *group, struct pd_user *out,
		 struct pd_err **err);
/* The gid of the group `name` in the group file at `group` (a usage error
 * when it has none; a missing file is one without groups). */
int user_group_lookup(const char *group, const char *name, gid_t *gid, struct pd_err **err);
/* setgroups (unless `no_setgroups`), setresgid, setresuid. */
int user_switch(const struct pd_user *u, int no_setgroups, struct pd_err **err);
