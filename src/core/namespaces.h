/* The namespaces a container makes, shares with the host, or joins from
 * another container (--pid, --ipc, --uts; see config.h's pd_nsmode).
 * pd_namespaces_clone is the monitor's (internal to core/). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "core/config.h"
#include "util/error.h"

struct init_ctx;

/* Before the record is written (run): each container:REF of cfg names a
 * running container (for --ipc one started with --ipc shareable, or on the
 * host's), and is replaced by its full id.  A usage error otherwise. */
int pd_namespaces_resolve(const char *root, struct pd_config *cfg, struct pd_err **err);

/* The container's init, cloned into its namespaces (pd_config_clone_flags)
 * and into those it joins: for container:ID, the running container's (the
 * check of pd_namespaces_resolve again, the process checked by its start
 * time).  Returns as ns_clone_in does: 0 in the child (which joins the IPC
 * namespace in its step "join-namespaces", from ctx->join_fds), the pid in
 * the caller, -1 with *err. */
pid_t pd_namespaces_clone(struct init_ctx *ctx, const char *root, int cgroup_fd, bool *joined, int *pidfd,
			  struct pd_err **err);
