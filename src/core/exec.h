/* `exec`: run another process in a running container. */
#pragma once
#include <stdbool.h>

#include "util/error.h"

struct pd_exec_opts {
	char **argv;        /* command and arguments (borrowed) */
	char **env;         /* extra KEY=VALUE, over the container's (borrowed) */
	const char *user;   /* NULL: the container's user */
	const char *workdir; /* NULL: the container's working directory */
	bool interactive;   /* keep stdin; otherwise /dev/null */
	bool detach;        /* do not wait for the command */
};

/* Join every namespace of the container `ref` and run o->argv there with
 * the container's capabilities and no_new_privs.  *exit_code is the
 * command's status (0 when detached).  Failures of the setup carry the kind
 * that maps to 125/126/127. */
int pd_container_exec(const char *root, const char *ref, const struct pd_exec_opts *o, int *exit_code,
		      struct pd_err **err);
