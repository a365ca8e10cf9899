/* User namespace id maps for rootless containers. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct pd_idmap {
	uid_t uid; /* the caller's uid, mapped to 0 */
	gid_t gid;
	uid_t sub_uid; /* first subordinate uid, mapped to 1 */
	unsigned long sub_uid_count;
	gid_t sub_gid;
	unsigned long sub_gid_count;
};

/* Fill the map for the calling user: own ids, plus the /etc/subuid and
 * /etc/subgid ranges when both exist and newuidmap/newgidmap are installed. */
void idmap_for_caller(struct pd_idmap *m);
bool idmap_has_range(const struct pd_idmap *m);
/* Write the maps of `pid`'s user namespace (from the parent). */
int idmap_write(pid_t pid, const struct pd_idmap *m, struct pd_err **err);
/* Run fn(arg) in a child inside a new user namespace with map `m` (the
 * caller is root there, with every subordinate id mapped), so that files a
 * rootless container left owned by subordinate ids can be removed.  Returns
 * 0 when fn returned 0. */
int idmap_run_in_userns(const struct pd_idmap *m, int (*fn)(void *arg), void *arg, struct pd_err **err);
