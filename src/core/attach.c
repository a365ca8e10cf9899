/* Attach channel framing (see attach.h).  Used by monitors and clients. */
#include "core/attach.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int attach_send(int fd, enum attach_type type, const void *data, size_t len)
{
	struct attach_hdr h = { .type = type, .len = (uint32_t)len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

ssize_t attach_recv(int fd, uint32_t *type, void *buf, size_t cap)
{
	struct attach_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, cap } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = recvmsg(fd, &m, 0);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		*type = 0;
		return 0;
	}
	if (n < (ssize_t)sizeof(h) || h.len != (size_t)n - sizeof(h)) {
		errno = EPROTO;
		return -1;
	}
	*type = h.type;
	return (ssize_t)h.len;
}
