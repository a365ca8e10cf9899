/* The OCI runtime's lifecycle (`pocket-runc`): create, start, state, kill,
 * delete, exec, pause, resume, ps, update, list, stats, as the runtime spec
 * and runc's command line have them.
 *
 * No monitor: the caller of `create` (conmon, containerd's shim, a shell)
 * is the container init's parent once `create` has exited, and reaps it.
 * The container's process runs on the same engine as `pocket-docker run`'s
 * (core/init.c's steps, the exec stub, linux/ for namespaces, mounts,
 * seccomp and cgroups); what differs is the bookkeeping, which follows the
 * spec: a directory per container under the state root (--root), holding
 * state.json (written whole, by rename), the bundle's config.json as it was
 * at `create` (for the hooks of later steps) and, between `create` and
 * `start`, the FIFO `start` writes to. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/config.h"
#include "linux/cgroup.h"
#include "util/error.h"

/* Ids as runc takes them: [A-Za-z0-9][A-Za-z0-9_.-]*, here at most 64. */
bool pd_oci_id_valid(const char *id);

struct pd_oci_create_opts {
	const char *bundle;	    /* the bundle directory */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* process.terminal: where the pty master goes */
	bool systemd_cgroup;	    /* cgroupsPath is in systemd's "slice:prefix:name" form */
	int preserve_fds;	    /* the caller's fds 3..3+N-1 go to the command (--preserve-fds) */
};

/* Set the container up and leave its init waiting for `start`, a child of
 * the caller's (the caller's nearest subreaper once this process exits).
 * The init gets this process's fds 0-2.  With process.terminal the pty
 * master goes to o->console_socket, or, when `master` is not NULL, to
 * *master (`run` in the foreground).  prestart and createRuntime hooks run
 * before it returns.  *pid is the init's. */
int pd_oci_create(const char *root, const char *id, const struct pd_oci_create_opts *o, pid_t *pid,
		  int *master, struct pd_err **err);
/* Release a created container's init; poststart hooks run after (a failing
 * one is a warning in *warn, as the spec says). */
int pd_oci_start(const char *root, const char *id, char **warn, struct pd_err **err);
/* The spec's state object of one container (a new reference). */
json_t *pd_oci_state(const char *root, const char *id, struct pd_err **err);
/* Every container's state, ordered by id (a new JSON array). */
json_t *pd_oci_list(const char *root, struct pd_err **err);
/* Signal the init (or, with `all`, every process in the group). */
int pd_oci_kill(const char *root, const char *id, int sig, bool all, struct pd_err **err);
/* Remove a stopped or created container (with `force`, also a running
 * or paused one: it is killed first).  A missing container is an error
 * unless `force`.  poststop hooks run last (failures are warnings). */
int pd_oci_delete(const char *root, const char *id, bool force, char **warn, struct pd_err **err);
int pd_oci_pause(const char *root, const char *id, bool pause, struct pd_err **err);
/* The host pids of every process in the container's group, sorted. */
int pd_oci_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct pd_err **err);
/* Apply a LinuxResources document (the JSON text of `update --resources`)
 * and then the limits in `extra` (the command line's flags) to the group. */
int pd_oci_update(const char *root, const char *id, const char *resources_json, const struct pd_limits *extra,
		  struct pd_err **err);
/* `events --stats`: one {"type":"stats","id":...,"data":{...}} object. */
json_t *pd_oci_stats(const char *root, const char *id, struct pd_err **err);

struct pd_oci_exec_opts {
	const char *process_json;   /* --process: a process.json text; NULL: the fields below */
	char **argv;		    /* the command (borrowed) */
	char **env;		    /* KEY=VALUE over the container's */
	const char *user;	    /* "UID[:GID]" */
	const char *cwd;	    /* NULL: the container's */
	char **caps;		    /* --cap: added to the container's set */
	bool tty;		    /* a terminal (its master to console_socket) */
	bool detach;		    /* return once it runs */
	const char *console_socket; /* with tty */
	const char *pid_file;	    /* NULL: none */
};
/* Run a process in a created or running container, as a child of the
 * caller's.  Detached: *exit_code 0 and *pid the process's; otherwise its
 * exit status (128+N for signal N). */
int pd_oci_exec(const char *root, const char *id, const struct pd_oci_exec_opts *o, pid_t *pid,
		int *exit_code, struct pd_err **err);
