/* Read-only questions the CLI asks about containers (inspect, logs, ps,
 * rm --all, stats, stop --all): each call opens the state store, reads,
 * corrects every record it returns against the live processes
 * (pd_container_refresh) and closes the store, so no command has to
 * speak to the store or to cgroups itself. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/network.h"
#include "core/store.h"
#include "util/error.h"

/* Every record these calls return has `paused` set from its cgroup's
 * freezer when it is running (a record that is not running reads no
 * cgroup). */

/* Docker's State.Status of a record: "paused" for a paused one, else
 * pd_state_name(r->state). */
const char *pd_record_state_name(const struct pd_record *r);

/* Find one container by full id, unique id prefix or name; its record,
 * refreshed.  Free with pd_record_free. */
int pd_container_lookup(const char *root, const char *ref, struct pd_record *out, struct pd_err **err);

/* One ref of pd_container_lookup_each: either the record (refreshed) and,
 * when asked, inspect's NetworkSettings, or why it was not found. */
struct pd_found {
	struct pd_record rec; /* valid when !err */
	json_t *network;      /* NetworkSettings (owned) or NULL */
	struct pd_err *err;   /* this ref's error, or NULL */
};
/* Look up every ref of the NULL-terminated `refs` through one store
 * connection; a ref not found is reported in its own entry.  -1 (with
 * *err) only when the store cannot be opened.  Free with pd_found_free. */
int pd_container_lookup_each(const char *root, char **refs, bool network, struct pd_found **out, size_t *n,
			     struct pd_err **err);
void pd_found_free(struct pd_found *v, size_t n);

enum pd_list_filter {
	PD_LIST_ALL,	    /* every record */
	PD_LIST_NOT_EXITED, /* what `ps` shows without -a */
	PD_LIST_RUNNING,    /* running or stopping: what has a live process */
};
/* The records `which` selects, newest first, each refreshed before it is
 * filtered.  With `ports`, also every published port (ps's PORTS column,
 * see pd_network_ports_lookup; free with pd_network_ports_free).  Free the
 * records with pd_records_free. */
int pd_container_list(const char *root, enum pd_list_filter which, struct pd_ports_table *ports,
		      struct pd_record **out, size_t *n, struct pd_err **err);

/* The record's config, decoded whole (pd_config_decode), with the id and
 * name from the record's own columns.  The caller frees *out with
 * pd_config_free, on failure too. */
int pd_record_config(const struct pd_record *r, struct pd_config *out, struct pd_err **err);

/* Whether the record was made by a rootless run (its cgroup lives under
 * the user's delegated tree). */
bool pd_record_rootless(const struct pd_record *r);

/* One sample of a running container's cgroup. */
struct pd_container_stats {
	uint64_t cpu_usage_ns; /* total CPU time since the container started */
	uint64_t mem_usage;    /* bytes, less inactive file cache */
	uint64_t mem_limit;    /* bytes; the host's memory when unlimited */
	uint64_t pids;	       /* tasks in the container */
};
/* Read container `id`'s cgroup (the rootless tree when `rootless`); -1
 * when it is gone or unreadable. */
int pd_container_stats(const char *id, bool rootless, struct pd_container_stats *out, struct pd_err **err);

/* Whether the host can enforce the config's resource limits (run's check
 * before anything is created). */
int pd_container_check_limits(const struct pd_limits *l, struct pd_err **err);

/* The bytes container `id`'s writable layer holds (the files in its
 * overlay upper directory under `root`, each hard-linked inode once;
 * symlinks not followed, mounts not crossed): `ps -s`.  0 when it has no
 * upper directory; -1 when the directory cannot be read. */
int pd_container_upper_size(const char *root, const char *id, uint64_t *out, struct pd_err **err);
