/* Acting on an existing container besides starting and ending it: pause
 * and unpause (the cgroup freezer), rename, the processes it runs (`top`)
 * and the host ports it publishes (`port`).  Each call opens the state
 * store, finds the container by id, id prefix or name, corrects its record
 * (pd_container_refresh) and closes the store.  A container that is not in
 * the state the request needs is a usage error (PD_ERR_USAGE: exit 125). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/store.h"
#include "util/error.h"

/* Freeze (`pause`) or thaw every process of a running container.  Refused:
 * a container that is not running ("container X is not running"), pausing
 * a paused one ("is already paused"), unpausing one that is not ("is not
 * paused"), a container without a cgroup of its own (rootless where the
 * host delegates none), a host without a freezer. */
int pd_container_pause(const char *root, const char *ref, bool pause, struct pd_err **err);

/* After a signal meant to end container `r` was sent to it (stop's signal,
 * SIGKILL): thaw it when it is paused, so its processes act on the signal
 * (a task frozen by the v1 freezer acts on none, SIGKILL included, until
 * thawed; the signal stays pending and is taken at once on thaw).  Best
 * effort: a container that is not paused, or has no cgroup, is left as it
 * is. */
void pd_container_thaw_for_signal(const struct pd_record *r);

/* Docker's container name rule, as `run --name` and `rename` check it:
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*.  A usage error naming the name otherwise. */
int pd_container_name_check(const char *name, struct pd_err **err);

/* Give container `ref` the name `name` (checked as above), running or not.
 * A name held by another container, or the container's own, is refused. */
int pd_container_rename(const char *root, const char *ref, const char *name, struct pd_err **err);

/* The container's processes as the host's `ps` shows them: `ps_args` (the
 * options, NULL-terminated; NULL or empty: "-ef") is run on the host and
 * its rows kept when their PID is one of the container's (its cgroup's
 * processes; without a cgroup, those in its pid namespace).  Each row is
 * split in titles->n fields on blanks, the last keeping the rest of the
 * line (the command and its arguments).  A container that is not running,
 * options ps refuses (its message) and output without a PID column are
 * usage errors.  Free with pd_top_free. */
struct pd_top {
	char **titles; /* NULL-terminated */
	size_t ncols;
	char ***rows; /* NULL-terminated; each row has ncols fields */
	size_t nrows;
};
int pd_container_top(const char *root, const char *ref, char *const *ps_args, struct pd_top *out,
		     struct pd_err **err);
void pd_top_free(struct pd_top *t);

/* One published port: container port and protocol, host address and port. */
struct pd_published_port {
	uint16_t container_port;
	char proto[4];	  /* "tcp" or "udp" */
	char host_ip[16]; /* "0.0.0.0" for every address */
	uint16_t host_port;
};
/* The ports container `ref` publishes (its record's; none once it has
 * exited), ordered by container port, then protocol, then as published.
 * With `filter` ("80", "80/tcp", "53/udp"), only that port's; one not
 * published is a usage error ("no public port '80/tcp' published for X");
 * a malformed filter too.  *out is a new array (NULL when *n is 0). */
int pd_container_ports(const char *root, const char *ref, const char *filter, struct pd_published_port **out,
		       size_t *n, struct pd_err **err);

/* `update`: new resource limits and restart policy for a container. */
struct pd_update {
	/* The limits to set: memory, memory_swap (-1: unlimited), cpu quota
	 * and period (both, from --cpus), cpu_shares, pids_max; a field left
	 * 0 keeps the container's value. */
	struct pd_limits limits;
	bool set_restart; /* --restart given: */
	enum pd_restart restart;
	unsigned restart_max;
};

/* Apply `u` to container `ref`: a running (or paused) one's cgroup is
 * written at once (pd_cg_update); in every state the record's config is
 * updated, so a later start, and the monitor's next restart decision,
 * use the new values.  Refused (usage errors): memory above memory+swap,
 * memory+swap without memory, a restart policy for a --rm container, a
 * memory limit below what the container uses (EBUSY from the kernel).
 * Nothing is stored when the cgroup write fails.  id_out (65 bytes, may
 * be NULL) gets the full id. */
int pd_container_update(const char *root, const char *ref, const struct pd_update *u, char *id_out,
			struct pd_err **err);
