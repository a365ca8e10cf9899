/* Rootless networking (see rootless.h).  Runs in the monitor, as the
 * unprivileged caller, after the container's id maps are written (the
 * helper enters the container's user namespace, where the caller is root)
 * and before the container is told to go, so the command starts with its
 * network up.
 *
 * pasta: `pasta --config-net ... PID` configures the namespace, then forks
 * into the background and its first process exits: that exit is our "ready".
 * The daemon is re-parented to the monitor (a child subreaper); we hold a
 * pidfd to it and kill it when the container ends.  Ports are only what
 * -p asks for: pasta's default would forward every port the container
 * listens on (and the host's loopback ports into the container).
 *
 * slirp4netns runs in the foreground and reports readiness on a pipe; it
 * cannot publish ports without its API socket, so -p needs pasta. */
#include "net/rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/str.h"
#include "util/xalloc.h"

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy =
	    xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", d, name);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

static void add_pasta_ports(char ***argv, const struct pd_port *ports, size_t n, const char *proto)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ports[i].proto, proto) != 0)
			continue;
		const struct pd_port *p = &ports[i];
		strv_push(argv, !strcmp(proto, "tcp") ? "-t" : "-u");
		if (!strcmp(p->host_ip, "0.0.0.0"))
			strv_push_take(argv, xasprintf("%u:%u", p->host_port, p->container_port));
		else
			strv_push_take(argv,
				       xasprintf("%s/%u:%u", p->host_ip, p->host_port, p->container_port));
		any = true;
	}
	if (!any) {
		strv_push(argv, !strcmp(proto, "tcp") ? "-t" : "-u");
		strv_push(argv, "none");
	}
}

/* Run argv with stdin and stdout on /dev/null and stderr into errfile. */
static pid_t spawn(char **argv, const char *errfile, int keep_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (null < 0 || e < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(e, 2) < 0)
		_exit(127);
	if (keep_fd >= 0 && (dup2(keep_fd, 3) < 0 || fcntl(3, F_SETFD, 0) < 0))
		_exit(127);
	/* The monitor ignores SIGPIPE and blocks SIGCHLD, and both would
	 * survive execve; pasta (2023-03) even fails to start when it finds
	 * SIGPIPE already ignored ("Couldn't install signal handlers"). */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

/* The helper's last line of error, without the noise of a syslog it
 * cannot reach ("Failed to send N bytes to syslog"). */
static int helper_failed(const char *name, const char *errfile, int status, struct pd_err **err)
{
	_cleanup_free_ char *text = pd_read_file(errfile, NULL, pd_err_ignore(optional));
	const char *last = "";
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		if (!str_has_prefix(l, "Failed to send"))
			last = l;
	unlink(errfile);
	return pd_fail(err, 0, "%s failed (exit status %d)%s%s", name,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, *last ? ": " : "", last);
}

static int start_pasta(struct pd_rootless_net *h, const char *exe, pid_t pid, const char *dir,
		       const struct pd_port *ports, size_t n, struct pd_err **err)
{
	_cleanup_free_ char *pidfile = xasprintf("%s/pasta.pid", dir);
	_cleanup_free_ char *errfile = xasprintf("%s/pasta.err", dir);
	_cleanup_strv_ char **argv = NULL;
	strv_push(&argv, exe);
	strv_push(&argv, "--config-net");
	strv_push(&argv, "--quiet");
	strv_push(&argv, "--no-map-gw");
	strv_push(&argv, "--pid");
	strv_push(&argv, pidfile);
	add_pasta_ports(&argv, ports, n, "tcp");
	add_pasta_ports(&argv, ports, n, "udp");
	strv_push(&argv, "-T");
	strv_push(&argv, "none");
	strv_push(&argv, "-U");
	strv_push(&argv, "none");
	strv_push_take(&argv, xasprintf("%d", (int)pid));
	pid_t child = spawn(argv, errfile, -1);
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) < 0)
		return pd_fail(err, errno, "run '%s'", exe);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return helper_failed("pasta", errfile, status, err);
	_cleanup_free_ char *text = pd_read_file(pidfile, NULL, pd_err_ignore(status));
	pid_t daemon = text ? (pid_t)atoi(text) : 0;
	h->pidfd = daemon > 0 ? (int)syscall(SYS_pidfd_open, daemon, 0) : -1;
	unlink(pidfile);
	unlink(errfile);
	if (h->pidfd < 0)
		return pd_fail(err, errno, "find the pasta process (pid file '%s')", pidfile);
	return 0;
}

static int start_slirp(struct pd_rootless_net *h, const char *exe, pid_t pid, const char *dir,
		       struct pd_err **err)
{
	_cleanup_free_ char *errfile = xasprintf("%s/slirp4netns.err", dir);
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return pd_fail(err, errno, "create pipe");
	_cleanup_strv_ char **argv = NULL;
	strv_push(&argv, exe);
	strv_push(&argv, "--configure");
	strv_push(&argv, "--mtu=65520");
	strv_push(&argv, "--disable-host-loopback");
	strv_push(&argv, "--ready-fd=3");
	strv_push_take(&argv, xasprintf("%d", (int)pid));
	strv_push(&argv, "eth0");
	pid_t child = spawn(argv, errfile, ready[1]);
	close(ready[1]);
	char c = 0;
	ssize_t r = child > 0 ? read(ready[0], &c, 1) : -1;
	close(ready[0]);
	if (r != 1) {
		int status = 0;
		if (child > 0)
			waitpid(child, &status, 0);
		return helper_failed("slirp4netns", errfile, status, err);
	}
	unlink(errfile);
	h->pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	return 0;
}

/* The helper to run: pasta, else slirp4netns (without ports); NULL with
 * the reason when neither can serve. */
static char *pick_helper(size_t n_ports, struct pd_err **err)
{
	char *pasta = find_in_path("pasta");
	if (pasta)
		return pasta;
	_cleanup_free_ char *slirp = find_in_path("slirp4netns");
	if (slirp && n_ports) {
		pd_fail_kind(err, PD_ERR_USAGE, 0,
			     "rootless --publish needs pasta (install the Debian package 'passt')");
		return NULL;
	}
	if (slirp)
		return take_ptr(&slirp);
	pd_fail_kind(
	    err, PD_ERR_USAGE, 0,
	    "rootless --network bridge needs pasta or slirp4netns (install the Debian package 'passt' "
	    "or 'slirp4netns')");
	return NULL;
}

int pd_rootless_net_check(size_t n_ports, struct pd_err **err)
{
	_cleanup_free_ char *exe = pick_helper(n_ports, err);
	if (!exe)
		return -1;
	/* Both helpers open the tun device from inside the container's user
	 * namespace, where host root's files are only "other"'s. */
	struct stat st;
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		return pd_fail_kind(
		    err, PD_ERR_USAGE, errno,
		    "rootless --network bridge needs read and write access to /dev/net/tun (its mode "
		    "here is %04o; distributions make it 0666)",
		    stat("/dev/net/tun", &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0U);
	return 0;
}

int pd_rootless_net_start(struct pd_rootless_net *h, pid_t pid, const char *dir, const struct pd_port *ports,
			  size_t n, struct pd_err **err)
{
	h->pidfd = -1;
	_cleanup_free_ char *exe = pick_helper(n, err);
	if (!exe)
		return -1;
	if (!strcmp(strrchr(exe, '/') + 1, "pasta"))
		return start_pasta(h, exe, pid, dir, ports, n, err);
	return start_slirp(h, exe, pid, dir, err);
}

void pd_rootless_net_stop(struct pd_rootless_net *h)
{
	if (h->pidfd < 0)
		return;
	/* The helper is the monitor's child (slirp4netns directly, pasta's
	 * daemon through the child subreaper): reap it here, or it would
	 * outlive the monitor as a zombie wherever pid 1 does not reap. */
	syscall(SYS_pidfd_send_signal, h->pidfd, SIGTERM, NULL, 0);
	struct pollfd p = { h->pidfd, POLLIN, 0 };
	if (poll(&p, 1, 2000) == 0)
		syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
	siginfo_t si;
	waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED);
	close(h->pidfd);
	h->pidfd = -1;
}
