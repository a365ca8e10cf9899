/* The container's init: what the cloned child does between clone and
 * execve.  Internal to core/. */
#pragma once
#include <stdbool.h>

#include "core/config.h"

struct pd_seccomp;

struct init_ctx {
	const struct pd_config *cfg;
	char **lowers; /* overlay lower dirs, top first */
	const char *upper, *work, *merged;
	const char *resolv_conf;	  /* contents for /etc/resolv.conf */
	const char *hosts;		  /* contents for /etc/hosts; NULL: the default */
	bool userns;			  /* in a user namespace (rootless) */
	bool full_idmap;		  /* the user namespace maps a subordinate range */
	const struct pd_seccomp *seccomp; /* loaded last; NULL: unconfined */
	int stdio[3];			  /* fds for 0, 1, 2; stdio[0] < 0: /dev/null */
	int syncfd;			  /* child's end of the sync channel */
	int pdeathsig;			  /* the signal this process gets when its parent dies; 0: none */
	const char *stub_mode;		  /* linux/execstub.h modes; NULL: exec in place (or --init) */
	/* The OCI face (core/oci-run.c): */
	const char *rootfs_bind; /* the root is this directory, bound; no overlay, no /etc files */
	int start_fd;		 /* > 0: once set up, send SYNC_READY and wait for a byte here
				  * (`start`) before the command runs; 0 (stdin is never it): at once */
	bool outlive_parent;	 /* no parent-death signal: the caller exits after `create` */
	int preserve_fds;	 /* the caller's fds 3..3+N-1 go to the command as they are */
	int join_fds[3];	 /* namespaces to join first (fds > 0; 0: none), of join_types[] */
	int join_types[3];	 /* CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS */
	int ipc_shm_pidfd;	 /* > 0: a pidfd of the --ipc container:X's init, whose /dev/shm
				  * is bound at ours (step "ipc-shm"); 0: none */
};

/* Run every setup step, then execve the command.  Never returns: on failure
 * it reports the step over the sync channel and exits 125/126/127. */
__attribute__((noreturn)) void init_main(struct init_ctx *ctx);

/* For `exec`: the caller has joined the container's namespaces (all but
 * its PID namespace, which only its children enter) and set up fds 0-2;
 * become the container's process (user, capabilities, working directory,
 * no_new_privs, seccomp) and execve the exec stub, which forks
 * ctx->cfg->argv as the first process of ours inside the PID namespace
 * (ctx->stub_mode says how).  Never returns. */
__attribute__((noreturn)) void init_exec_process(struct init_ctx *ctx);
