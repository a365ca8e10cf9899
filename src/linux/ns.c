/* Namespaces (see ns.h).  ns_clone runs in the CLI/monitor (and, joining a
 * PID namespace, needs CAP_SYS_ADMIN over it: root); loopback in the
 * container's init, which owns its new network namespace. */
#include "linux/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

pid_t ns_clone(bool userns, bool netns, int cgroup_fd, bool *joined, int *pidfd, struct pd_err **err)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
	if (netns)
		flags |= CLONE_NEWNET;
	if (userns)
		flags |= CLONE_NEWUSER;
	return ns_clone_in(flags, -1, cgroup_fd, joined, pidfd, err);
}

pid_t ns_clone_in(int ns_flags, int pidns_fd, int cgroup_fd, bool *joined, int *pidfd, struct pd_err **err)
{
	/* No CLONE_NEWCGROUP here: a cgroup namespace is rooted where its
	 * creator is at that moment, so the child makes its own only after it
	 * is in the container's group. */
	unsigned long long flags = (unsigned long long)(unsigned)ns_flags | CLONE_PIDFD;
	if (pidns_fd >= 0)
		flags &= ~(unsigned long long)CLONE_NEWPID;
	*joined = false;
	int fd = -1;
	struct clone_args args = {
		.flags = flags,
		.pidfd = (unsigned long long)(uintptr_t)&fd,
		.exit_signal = SIGCHLD,
	};
	/* clone3 without a new stack behaves like fork(): the child continues
	 * here on a copy of our memory, single-threaded.  Born in its group,
	 * the child costs no migration (no cgroup.procs write). */
	/* Joining a PID namespace: setns of one sets only where our children
	 * are born, so ours is set there for the clone and back right after
	 * (the caller is single-threaded: the monitor is). */
	_cleanup_close_ int own_pidns = -1;
	if (pidns_fd >= 0) {
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0)
			return pd_fail(err, errno, "open our own PID namespace");
		if (setns(pidns_fd, CLONE_NEWPID) < 0)
			return pd_fail(err, errno, "enter the PID namespace to join");
	}
	long pid = -1;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned long long)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0)
			*joined = true;
		args.flags &= ~(unsigned long long)CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	if (pid < 0)
		pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		return 0;
	int e = errno;
	/* Back in our own namespace, where we are: always allowed, and
	 * nothing else of ours may be born in the other. */
	if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		abort();
	errno = e;
	if (pid < 0)
		return pd_fail(err, errno, "create the container's namespaces");
	if (pid > 0)
		*pidfd = fd;
	return (pid_t)pid;
}

int ns_loopback_up(struct pd_err **err)
{
	/* One ioctl on a throw-away socket: the interface flag is all that is
	 * needed here, and it avoids a netlink round trip on every start. */
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pd_fail(err, errno, "open socket for loopback");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return pd_fail(err, errno, "read loopback flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return pd_fail(err, errno, "bring loopback up");
	return 0;
}
