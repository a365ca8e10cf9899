/* Namespaces a container shares (see namespaces.h): --pid and --ipc
 * container:REF.  pd_namespaces_resolve runs in the CLI before the record
 * is written; pd_namespaces_clone in the monitor at each start, as root
 * (joining another container's namespaces needs CAP_SYS_ADMIN over them;
 * config.c refuses it rootless).
 *
 * The other container is found by its record and reached through a pidfd
 * of its init opened and then checked against the recorded start time, so
 * a recycled pid never leads into a stranger's namespaces.  Each start
 * looks it up again: after a restart of either, the one joined is the
 * other's current init. */
#include "core/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/init.h"
#include "core/query.h"
#include "linux/ns.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/xalloc.h"

/* The container `m` names, running, and for IPC shareable (or on the
 * host's IPC namespace), as Docker requires; a pidfd of its init in
 * *pidfd when asked.  `opt` is "pid" or "ipc". */
static int find_peer(const char *root, const char *opt, const struct pd_nsmode *m, char id[65], int *pidfd,
		     struct pd_err **err)
{
	struct pd_record r;
	if (pd_container_lookup(root, m->container, &r, err) < 0) {
		pd_err_prefix(err, "--%s container:%s", opt, m->container);
		return -1;
	}
	struct pd_config peer;
	int ret = -1;
	if (pd_record_config(&r, &peer, err) < 0)
		goto out;
	if (r.state != PD_STATE_RUNNING) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "--%s container:%s: container %.12s is not running", opt,
			     m->container, r.id);
		goto out;
	}
	if (!strcmp(opt, "ipc") && peer.ipc_ns.mode != PD_NS_SHAREABLE && peer.ipc_ns.mode != PD_NS_HOST) {
		pd_fail_kind(err, PD_ERR_USAGE, 0,
			     "--ipc container:%s: container %.12s has a non-shareable IPC namespace (start "
			     "it with --ipc shareable)",
			     m->container, r.id);
		goto out;
	}
	if (pidfd) {
		*pidfd = pd_pidfd_open_checked(r.pid, r.pid_start);
		if (*pidfd < 0) {
			pd_fail_kind(err, PD_ERR_USAGE, 0,
				     "--%s container:%s: container %.12s is not running", opt, m->container,
				     r.id);
			goto out;
		}
	}
	snprintf(id, 65, "%s", r.id);
	ret = 0;
out:
	pd_config_free(&peer);
	pd_record_free(&r);
	return ret;
}

int pd_namespaces_resolve(const char *root, struct pd_config *cfg, struct pd_err **err)
{
	struct pd_nsmode *modes[] = { &cfg->pid_ns, &cfg->ipc_ns };
	static const char *const opts[] = { "pid", "ipc" };
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		char id[65];
		if (modes[i]->mode != PD_NS_CONTAINER)
			continue;
		if (find_peer(root, opts[i], modes[i], id, NULL, err) < 0)
			return -1;
		free(modes[i]->container);
		modes[i]->container = xstrdup(id);
	}
	return 0;
}

pid_t pd_namespaces_clone(struct init_ctx *ctx, const char *root, int cgroup_fd, bool *joined, int *pidfd,
			  struct pd_err **err)
{
	const struct pd_config *cfg = ctx->cfg;
	char id[65];
	_cleanup_close_ int pid_peer = -1, ipc_peer = -1;
	if (cfg->pid_ns.mode == PD_NS_CONTAINER &&
	    find_peer(root, "pid", &cfg->pid_ns, id, &pid_peer, err) < 0)
		return -1;
	if (cfg->ipc_ns.mode == PD_NS_CONTAINER &&
	    find_peer(root, "ipc", &cfg->ipc_ns, id, &ipc_peer, err) < 0)
		return -1;
	/* The IPC namespace is joined by the child (init.c step_join), the
	 * PID namespace around the clone (only children enter one). */
	/* Its /dev/shm too, as Docker shares it: the child binds the
	 * peer's over its own (init.c step "ipc-shm"), through a second
	 * pidfd, since step_join closes the first. */
	_cleanup_close_ int shm_peer = -1;
	if (ipc_peer >= 0) {
		ctx->join_fds[1] = ipc_peer;
		ctx->join_types[1] = CLONE_NEWIPC;
		shm_peer = fcntl(ipc_peer, F_DUPFD_CLOEXEC, 3);
		if (shm_peer < 0) {
			ctx->join_fds[1] = 0;
			return pd_fail(err, errno, "duplicate a pidfd");
		}
		ctx->ipc_shm_pidfd = shm_peer;
	}
	pid_t pid = ns_clone_in(pd_config_clone_flags(cfg), pid_peer, cgroup_fd, joined, pidfd, err);
	if (pid == 0) {
		(void)take_fd(&ipc_peer); /* the child's step_join uses and closes it */
		(void)take_fd(&shm_peer); /* and step_ipc_shm this one */
		return 0;
	}
	/* Ours are closed on return; the child has its copies. */
	ctx->join_fds[1] = 0;
	ctx->ipc_shm_pidfd = 0;
	return pid;
}
