/* Rootless networking through a helper that runs as the caller: pasta
 * (package passt), else slirp4netns.  Runs in the monitor. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "net/net.h"

struct pd_rootless_net {
	int pidfd; /* the helper; -1 when none runs */
};

/* Before anything is created: fail naming the package when neither helper
 * is installed (or only slirp4netns and `n_ports` > 0), or when the
 * caller cannot open /dev/net/tun. */
int pd_rootless_net_check(size_t n_ports, struct pd_err **err);
/* Connect the network namespace of `pid` (and its user namespace) to the
 * host's network, publishing `ports`; returns once the namespace is
 * configured.  `dir` is the container's directory, for the helper's pid
 * and error files.  Fails naming the package when no helper is installed. */
int pd_rootless_net_start(struct pd_rootless_net *h, pid_t pid, const char *dir, const struct pd_port *ports,
			  size_t n, struct pd_err **err);
/* Kill the helper, if any. */
void pd_rootless_net_stop(struct pd_rootless_net *h);
