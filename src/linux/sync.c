/* Sync channel (see sync.h).  Used by the CLI/monitor (parent) and by the
 * container's init between clone and execve (child), which is why sending
 * does not allocate. */
#include "linux/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_pair(int fds[2], struct pd_err **err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return pd_fail(err, errno, "create sync channel");
	return 0;
}

int sync_send(int fd, const struct sync_msg *m, struct pd_err **err)
{
	ssize_t n;
	do
		n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return pd_fail(err, n < 0 ? errno : EPROTO, "write sync channel");
	return 0;
}

int sync_recv(int fd, struct sync_msg *m, struct pd_err **err)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(*m))
		return pd_fail(err, n < 0 ? errno : EPROTO, "read sync channel");
	m->step[sizeof(m->step) - 1] = '\0';
	m->text[sizeof(m->text) - 1] = '\0';
	return 1;
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
	sync_send(fd, &m, NULL);
	_exit(status);
}
