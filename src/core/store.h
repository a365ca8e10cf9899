/* The state database: the only code that speaks SQL.  One SQLite file,
 * state.db under the state root, in WAL mode with a busy timeout; schema
 * versions are applied in order (PRAGMA user_version); every state change
 * is one transaction (BEGIN IMMEDIATE, so writers queue instead of failing
 * with "database is locked"). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct pd_store;

enum pd_state {
	PD_STATE_CREATING = 0,
	PD_STATE_RUNNING,
	PD_STATE_EXITED,
	PD_STATE_STOPPING,   /* stop asked; running until the monitor records the exit */
	PD_STATE_RESTARTING, /* exited; the monitor restarts it after a back-off */
	PD_STATE_CREATED,    /* made by `create`, never started: no owner, nothing runs */
};

/* Nothing of the container runs and nobody owns the record: `start` may
 * start it, `rm` remove it without -f. */
static inline bool pd_state_is_stopped(enum pd_state s)
{
	return s == PD_STATE_EXITED || s == PD_STATE_CREATED;
}

const char *pd_state_name(enum pd_state s);

/* A container's record.  Strings are owned by the record. */
struct pd_record {
	char id[65];
	char *name;
	char *image;   /* what --rootfs named */
	char *command; /* JSON array of argv */
	char *config;  /* JSON of the full config (for inspect) */
	enum pd_state state;
	int64_t created_ns, started_ns, finished_ns;
	pid_t pid;	    /* container's init, in our pid namespace */
	uint64_t pid_start; /* its start time (clock ticks since boot) */
	pid_t monitor_pid;
	uint64_t monitor_start;
	int exit_code; /* -1 while unknown */
	bool oom_killed;
	bool auto_remove;
	bool stop_requested;
	int restart_count;
	char *error;  /* why it failed to start, if it did */
	char *health; /* health JSON or NULL */
	/* Not stored: the container's cgroup is frozen (`pause`).  Set by
	 * the queries of query.h for a running record; false otherwise. */
	bool paused;
};

void pd_record_free(struct pd_record *r);
void pd_records_free(struct pd_record *v, size_t n);

/* Open (creating and migrating as needed) <root>/state.db. */
struct pd_store *pd_store_open(const char *root, struct pd_err **err);
void pd_store_close(struct pd_store *s);
/* Checkpoint the WAL when this connection's commits left it long: for a
 * monitor, after its client has heard the exit (off the user's path). */
void pd_store_checkpoint_idle(struct pd_store *s);
static inline void pd_store_closep(struct pd_store **s)
{
	if (*s)
		pd_store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(pd_store_closep)))

/* Insert a new record in state 'creating'.  A name already in use is an
 * error naming the container that holds it. */
int pd_store_insert(struct pd_store *s, const struct pd_record *r, struct pd_err **err);
/* Find by full id, unique id prefix, or name. */
int pd_store_find(struct pd_store *s, const char *ref, struct pd_record *out, struct pd_err **err);
/* All records, newest first. */
int pd_store_list(struct pd_store *s, struct pd_record **out, size_t *n, struct pd_err **err);
/* Also records the monitor's identity (the insert records the creating
 * CLI's: the owner of a 'creating' row). */
int pd_store_set_running(struct pd_store *s, const char *id, pid_t pid, uint64_t pid_start, pid_t monitor,
			 uint64_t monitor_start, int64_t started_ns, struct pd_err **err);
int pd_store_set_exited(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t finished_ns,
			const char *error, struct pd_err **err);
/* pd_store_set_exited for a record whose owner died, only while that
 * owner (monitor_pid, monitor_start) still holds it and it is not stopped:
 * 1 when written, 0 when another process has taken the record since it
 * was read (a new start). */
int pd_store_set_owner_died(struct pd_store *s, const char *id, pid_t owner, uint64_t owner_start,
			    int exit_code, int64_t finished_ns, const char *error, struct pd_err **err);
int pd_store_set_restarting(struct pd_store *s, const char *id, int exit_code, bool oom, int64_t finished_ns,
			    int restart_count, struct pd_err **err);
/* A record `create` finished making: state 'created', owned by nobody. */
int pd_store_set_created(struct pd_store *s, const char *id, struct pd_err **err);
/* Take a stopped record (created or exited) for a new start by `owner`
 * (state 'creating', as a new record's): 1 when taken, 0 when it was not
 * stopped any more (another start got there first).  Clears the stop
 * request, the error and the restart count (a manual start resets it, as
 * Docker's does). */
int pd_store_claim_start(struct pd_store *s, const char *id, pid_t owner, uint64_t owner_start,
			 struct pd_err **err);
int pd_store_set_stop_requested(struct pd_store *s, const char *id, struct pd_err **err);
int pd_store_set_restart(struct pd_store *s, const char *id, int restart_count, struct pd_err **err);
int pd_store_set_health(struct pd_store *s, const char *id, const char *health_json, struct pd_err **err);
/* Give the record `id` the name `name`.  A name already in use is an
 * error (PD_ERR_USAGE) naming the container that holds it. */
int pd_store_rename(struct pd_store *s, const char *id, const char *name, struct pd_err **err);
int pd_store_delete(struct pd_store *s, const char *id, struct pd_err **err);

/* A write transaction around a caller's read-modify-write (`update`):
 * BEGIN IMMEDIATE takes the write lock at once, so a second writer waits
 * (busy timeout) before its read instead of overwriting this one's write.
 * The pd_store_* calls inside run in it; each ends with exactly one
 * pd_store_commit (which rolls back when it fails) or pd_store_rollback. */
int pd_store_begin(struct pd_store *s, struct pd_err **err);
int pd_store_commit(struct pd_store *s, struct pd_err **err);
void pd_store_rollback(struct pd_store *s);

/* Replace the record's config JSON (`update`); the monitor reads the
 * restart policy from it when the container exits. */
int pd_store_set_config(struct pd_store *s, const char *id, const char *config_json, struct pd_err **err);
