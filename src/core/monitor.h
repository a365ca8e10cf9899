/* The monitor: one per container, outliving the CLI.  Internal to core/. */
#pragma once
#include "core/config.h"

struct monitor_args {
	struct pd_config *cfg;
	const char *root; /* state root */
	char **lowers;	  /* overlay lower dirs, top first */
	const char *dir;  /* containers/<ID> */
	int client_fd;	  /* attach socket end for the starting CLI */
	int stdin_fd;	  /* run --stdin (see struct pd_start_io), or -1 */
	int report_fd;	  /* run --report FILE, or -1 */
	bool report_to_owner;
	int claim_lock; /* pd_network_reserve's lock, released after attach; or -1 */
};

/* Start the container and supervise it until it ends; never returns. */
__attribute__((noreturn)) void monitor_main(struct monitor_args *a);

/* Remove a container's directory (see container.c); used by the monitor
 * for --rm and by rm/prune. */
int pd_container_remove_dir(const char *dir, bool rootless, struct pd_err **err);
/* Move a container's directory out of containers/ into <root>/trash/ (one
 * rename), for its removal later; returns the new path, or NULL when it
 * could not be moved and was removed in place.  `prune` empties trash/. */
char *pd_container_hide_dir(const char *root, const char *dir, bool rootless);
