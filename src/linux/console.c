/* The console socket (console.h): send a pty master to the client that
 * asked for it.  Runs in the runtime's process (`pocket-runc create` or
 * `exec`), with no privilege beyond the right to connect to the socket,
 * which the client created and owns.
 *
 * sun_path holds 108 bytes, and clients put their sockets in temporary
 * directories whose paths can be longer (containerd's under the state
 * root, a long TMPDIR).  A long path is split: its directory is opened
 * O_PATH (resolved in full by open, which has no length limit but
 * PATH_MAX), and the socket is reached as /proc/self/fd/N/NAME, the
 * directory's magic link plus the last component.  No chdir: the cwd is
 * process-wide state a caller may rely on. */
#include "linux/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static int connect_addr(int sfd, const struct sockaddr_un *sa)
{
	/* An AF_UNIX connect interrupted before the peer took it leaves the
	 * socket unconnected: it can be tried again. */
	int r;
	do
		r = connect(sfd, (const struct sockaddr *)sa, sizeof(*sa));
	while (r < 0 && errno == EINTR);
	return r;
}

static int connect_path(int sfd, const char *path, struct pd_err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, path, len + 1);
		if (connect_addr(sfd, &sa) < 0)
			return pd_fail(err, errno, "console socket '%s': connect", path);
		return 0;
	}
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = !slash	   ? xstrdup(".")
				   : slash == path ? xstrdup("/")
						   : xstrndup(path, slash - path);
	const char *name = slash ? slash + 1 : path;
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "console socket '%s': open its directory", path);
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return pd_fail(err, ENAMETOOLONG,
			       "console socket '%s': its name is too long for a socket address", path);
	if (connect_addr(sfd, &sa) < 0)
		return pd_fail(err, errno, "console socket '%s': connect (through '%s')", path, sa.sun_path);
	return 0;
}

int console_send_master(const char *socket_path, int master_fd, struct pd_err **err)
{
	if (!socket_path || !*socket_path)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "console socket: empty path");
	if (master_fd < 0)
		return pd_fail(err, EBADF, "console socket '%s': no pty master to send", socket_path);
	_cleanup_close_ int sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0)
		return pd_fail(err, errno, "console socket '%s': create a socket", socket_path);
	if (connect_path(sfd, socket_path, err) < 0)
		return -1;

	static const char name[] = CONSOLE_PTY_NAME;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { .iov_base = (void *)name, .iov_len = sizeof(name) - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master_fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sfd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pd_fail(err, errno, "console socket '%s': send the pty master", socket_path);
	if ((size_t)n != iov.iov_len)
		return pd_fail(err, EIO, "console socket '%s': short send (%zd of %zu bytes)", socket_path, n,
			       iov.iov_len);
	return 0;
}
