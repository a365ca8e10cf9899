/* Namespaces: creating the container's process, and its loopback. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* fork() into new namespaces: CLONE_NEWNS|NEWUTS|NEWIPC|NEWPID (+ NEWNET
 * when `netns`, + NEWUSER when `userns`).  With `cgroup_fd` (a cgroup2
 * directory, or -1) the child starts in that group (CLONE_INTO_CGROUP) and
 * *joined says so; a kernel that refuses it gets a plain clone.  Returns 0
 * in the child, the pid in the parent (and a pidfd in *pidfd), -1 on
 * failure. */
pid_t ns_clone(bool userns, bool netns, int cgroup_fd, bool *joined, int *pidfd, struct pd_err **err);
/* The same with the CLONE_NEW* flags given; with `pidns_fd` >= 0 (a pidfd
 * of a process in it, or a PID namespace's fd) the child is born in that
 * PID namespace instead of a new one (CLONE_NEWPID is ignored then). */
pid_t ns_clone_in(int ns_flags, int pidns_fd, int cgroup_fd, bool *joined, int *pidfd, struct pd_err **err);
/* Bring up "lo" in the current network namespace. */
int ns_loopback_up(struct pd_err **err);
