/* Container lifecycle as seen from the CLI: create and start (through a
 * monitor), attach, stop, kill, wait, remove, prune. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/store.h"

/* The state root: `arg` (--root), else $POCKET_DOCKER_ROOT, else
 * ~/.pocket-docker of the invoking user (SUDO_USER's home under sudo).
 * Created if missing; caller frees.  Under sudo (root with SUDO_UID or
 * SUDO_USER) the state root and its subdirectories must be directories, not
 * symlinks, owned by the invoking user (usage error otherwise). */
char *pd_state_root(const char *arg, struct pd_err **err);
/* The path pd_state_root would use, neither created nor resolved; caller
 * frees. */
char *pd_state_root_path(const char *arg);

/* The overlay lower directories of a container with config `cfg`, top
 * first (a vector the caller frees): its image's layers, or its --rootfs
 * (a directory, or a tarball's cached extraction). */
char **pd_container_lowers(const char *root, const struct pd_config *cfg, struct pd_err **err);

/* What one start takes beyond the config: descriptors of this invocation,
 * handed to the monitor (which keeps them across its fork) and never to
 * the container but as said. */
struct pd_start_io {
	int stdin_fd;	      /* run --stdin: the container's stdin (a sealed copy), or -1 */
	int report_fd;	      /* run --report FILE: the monitor writes the report here, or -1 */
	bool report_to_owner; /* run --report -: the report comes to the attached `run` */
};

/* Write the record ('creating'), prepare the rootfs, start the monitor and
 * wait until the command runs.  On success *attach_fd (when not `detach`)
 * streams the container's output (pd_container_attach).  On failure the
 * error's kind tells 125/126/127.  `io` may be NULL (none of it). */
int pd_container_start(struct pd_config *cfg, const char *root, bool detach, const struct pd_start_io *io,
		       int *attach_fd, pid_t *pid, struct pd_err **err);

/* `create`: the record (state 'created', owned by nobody) and the
 * container's directory; nothing runs and nothing is reserved. */
int pd_container_create(struct pd_config *cfg, const char *root, struct pd_err **err);
/* `start` of a stopped container (created, or exited): its recorded
 * config (decoded into *cfg, freed by the caller), its upper layer, name,
 * id and log; a new process under a new monitor, as pd_container_start.
 * 1 when it was running already (nothing done), 0 when started. */
int pd_container_start_existing(const char *root, const char *ref, bool detach, struct pd_config *cfg,
				int *attach_fd, pid_t *pid, struct pd_err **err);

/* `restart`: stop the container as pd_container_stop does (a stopped one
 * is left as it is), then start it detached as pd_container_start_existing
 * does, and record the "restart" event.  A failure of either step is the
 * error. */
int pd_container_restart(const char *root, const char *ref, int timeout_s, struct pd_err **err);

/* Hold the container's directory lock (flock on containers/<ID>), waiting
 * for it: a start of a stopped container claims its record under it, and
 * `cp` mounts a stopped container's overlay under it, so the two never
 * mount one upper layer at once.  Returns the fd to close, or -1. */
int pd_container_lock(const char *root, const char *id, struct pd_err **err);

/* What an attached session learnt besides the exit status (a `run`'s). */
struct pd_attach_end {
	char *report;	      /* the run's report (run --report -), or NULL; caller frees */
	bool stdout_mid_line; /* the last byte written to stdout was not a newline */
};

struct pd_attach_opts {
	bool stdin_open;	   /* send our stdin (0) to the container */
	bool tty;		   /* the container has a terminal: send window sizes */
	const char *detach_keys;   /* byte sequence that detaches; NULL: none */
	struct pd_attach_end *end; /* filled when not NULL */
};

/* Copy the container's stdout/stderr to fds 1 and 2 (and, with
 * o->stdin_open, our stdin to the container) until it exits; without a tty,
 * forward SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to `pid`.
 * Returns 0 with *exit_code (128+N for signal N), 1 when the detach keys
 * were typed (the container keeps running), -1 on error. */
int pd_container_attach(int attach_fd, pid_t pid, const struct pd_attach_opts *o, int *exit_code,
			struct pd_err **err);
/* Connect to a running container's monitor: the attach fd, and what the
 * monitor says of the container (pid, tty, stdin). */
int pd_container_connect(const char *root, const char *ref, int *attach_fd, pid_t *pid, bool *tty,
			 bool *stdin_open, struct pd_err **err);
/* Parse Docker's --detach-keys ("ctrl-p,ctrl-q", "ctrl-a,x") into bytes. */
char *pd_parse_detach_keys(const char *spec, struct pd_err **err);

/* Correct a record whose processes died unseen (monitor SIGKILLed, host
 * rebooted): checked by process identity, never by bare pid. */
void pd_container_refresh(struct pd_store *s, struct pd_record *r);

/* The grace period of `stop` when neither -t nor the container's
 * --stop-timeout gives one, in seconds. */
#define PD_STOP_TIMEOUT_DEFAULT 5
/* Stop every container in refs in parallel: its stop signal, then SIGKILL
 * after timeout_s, or when timeout_s is negative after the container's
 * own --stop-timeout (PD_STOP_TIMEOUT_DEFAULT without one).  Each result
 * is reported through `report` (error NULL on success). */
typedef void (*pd_report_fn)(const char *ref, const struct pd_err *e, void *data);
int pd_container_stop(const char *root, char **refs, int timeout_s, pd_report_fn report, void *data);
int pd_container_kill(const char *root, const char *ref, int sig, struct pd_err **err);
/* Block until the container has exited; its exit code. */
int pd_container_wait(const char *root, const char *ref, int *exit_code, struct pd_err **err);
/* `volumes` (rm -v): the container's anonymous volumes go too (see
 * pd_volumes_remove_anonymous). */
int pd_container_remove(const char *root, const char *ref, bool force, bool volumes, struct pd_err **err);
/* Remove exited containers and what crashes left behind; ids removed are
 * reported through `report`. */
int pd_container_prune(const char *root, pd_report_fn report, void *data, struct pd_err **err);
