/* Sync channel (see sync.h).  Used by the CLI/monitor (parent) and by the
 * container's init between clone and execve (child), which is why sending
 * does not allocate. */
#include "linux/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int sync_pair(int fds[2], struct pd_err **err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return pd_fail(err, errno, "create sync channel");
	return 0;
}

int sync_send_fd(int fd, const struct sync_msg *m, int passfd, struct pd_err **err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (passfd >= 0) {
		h.msg_control = cbuf;
		h.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &h, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return pd_fail(err, n < 0 ? errno : EPROTO, "write sync channel");
	return 0;
}

int sync_send(int fd, const struct sync_msg *m, struct pd_err **err)
{
	return sync_send_fd(fd, m, -1, err);
}

int sync_recv_fd(int fd, struct sync_msg *m, int *passfd, struct pd_err **err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr h = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)
	};
	if (passfd)
		*passfd = -1;
	ssize_t n;
	do
		n = recvmsg(fd, &h, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&h) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int))) {
		int got;
		memcpy(&got, CMSG_DATA(c), sizeof(int));
		if (passfd)
			*passfd = got;
		else
			close(got);
	}
	if (n != (ssize_t)sizeof(*m))
		return pd_fail(err, n < 0 ? errno : EPROTO, "read sync channel");
	m->step[sizeof(m->step) - 1] = '\0';
	m->text[sizeof(m->text) - 1] = '\0';
	return 1;
}

int sync_recv(int fd, struct sync_msg *m, struct pd_err **err)
{
	return sync_recv_fd(fd, m, NULL, err);
}

void sync_die(int fd, const char *step, const struct pd_err *e, int status)
{
	struct sync_msg m = { .type = SYNC_ERROR };
	if (e) {
		m.errnum = e->errnum;
		m.kind = e->kind;
		strncpy(m.text, e->msg, sizeof(m.text) - 1);
	}
	strncpy(m.step, step, sizeof(m.step) - 1);
	sync_send(fd, &m, pd_err_ignore(unreportable));
	_exit(status);
}
