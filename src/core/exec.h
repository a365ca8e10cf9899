/* `exec`: run another process in a running container. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "util/error.h"

struct pd_exec_opts {
	char **argv;			  /* command and arguments (borrowed) */
	char **env;			  /* extra KEY=VALUE, over the container's (borrowed) */
	const char *user;		  /* NULL: the container's user */
	const char *workdir;		  /* NULL: the container's working directory */
	bool interactive;		  /* keep stdin; otherwise /dev/null */
	bool tty;			  /* a terminal from the container's devpts */
	bool detach;			  /* do not wait for the command */
	const char *detach_keys;	  /* -it: the sequence that detaches; NULL: none */
	int64_t deadline_ns;		  /* pd_mono_ns() by which the setup must be done; 0: none */
	const struct pd_seccomp *seccomp; /* the container's filter; NULL: unconfined */
	/* The whole process as an OCI process.json gives it (argv, env, user,
	 * cwd, capabilities, no_new_privs, rlimits, groups), used as it is
	 * instead of the container's config with the fields above; NULL: none. */
	const struct pd_config *process;
};

struct pd_seccomp;
/* The filter a container runs under, from its decoded config `ctr`: the default
 * profile (cached under root/cache), a JSON profile, or NULL when
 * unconfined.  *out is NULL with 0 returned for unconfined. */
int pd_exec_seccomp(const char *root, const struct pd_config *ctr, struct pd_seccomp **out,
		    struct pd_err **err);

/* Join every namespace of the container `ref` and run o->argv there with
 * the container's capabilities and no_new_privs.  *exit_code is the
 * command's status (0 when detached).  Failures of the setup carry the kind
 * that maps to 125/126/127. */
int pd_container_exec(const char *root, const char *ref, const struct pd_exec_opts *o, int *exit_code,
		      struct pd_err **err);

struct pd_record;
/* Start o->argv in the running container of record `r` (its config
 * `ctr`, decoded from the record; its init's pidfd given), with `stdio` as its fds 0-2: each a pipe of the
 * runtime's own (never a descriptor the caller was given: it would reach the container), or -1 for the
 * container's /dev/null.  Every other fd of the caller's is closed in the helper. Returns once the command
 * runs: the pid of a helper whose exit status is the command's (128+N on signal N); -1 with *err when the
 * setup failed. */
pid_t pd_exec_start(const struct pd_record *r, const struct pd_config *ctr, int pidfd,
		    const struct pd_exec_opts *o, const int stdio[3], int *pty_master, struct pd_err **err);
