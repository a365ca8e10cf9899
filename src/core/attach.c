/* Attach channel framing (see attach.h).  Used by monitors and clients. */
#include "core/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>
#include <unistd.h>
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

/* One frame without blocking: 1 sent, 0 the socket is full, -1 peer gone.
 * A SOCK_SEQPACKET send is all or nothing: never half a frame. */
static int send_nowait(int fd, const struct attach_hdr *h, const void *data)
{
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)data, h->len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n == (ssize_t)(sizeof(*h) + h->len) ? 1 : -1;
}

size_t attach_out_pending(const struct attach_out *q)
{
	return relay_queue_pending(&q->q);
}

void attach_out_reset(struct attach_out *q)
{
	relay_queue_reset(&q->q);
}

int attach_out_flush(int fd, struct attach_out *q)
{
	while (relay_queue_pending(&q->q)) {
		struct attach_hdr h;
		const char *frame = relay_queue_head(&q->q);
		memcpy(&h, frame, sizeof(h));
		int r = send_nowait(fd, &h, frame + sizeof(h));
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		relay_queue_consume(&q->q, sizeof(h) + h.len);
	}
	return 0;
}

int attach_out_send(int fd, struct attach_out *q, enum attach_type type, const void *data, size_t len)
{
	struct attach_hdr h = { .type = type, .len = (uint32_t)len };
	if (!relay_queue_pending(&q->q)) {
		int r = send_nowait(fd, &h, data);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	relay_queue_push(&q->q, &h, sizeof(h));
	relay_queue_push(&q->q, data, len);
	return 0;
}

static int sock_addr(int dirfd, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	return snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/attach.sock", dirfd) <
		       (int)sizeof(a->sun_path)
		   ? 0
		   : -1;
}

int attach_listen(const char *dir, struct pd_err **err)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open '%s'", dir);
	struct sockaddr_un a;
	sock_addr(dfd, &a);
	unlinkat(dfd, "attach.sock", 0);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0) {
		int e = errno;
		if (s >= 0)
			close(s);
		close(dfd);
		return pd_fail(err, e, "listen on '%s/attach.sock'", dir);
	}
	close(dfd);
	return s;
}

int attach_connect(const char *dir, struct pd_err **err)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return pd_fail(err, errno, "open '%s'", dir);
	struct sockaddr_un a;
	sock_addr(dfd, &a);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		if (s >= 0)
			close(s);
		close(dfd);
		return pd_fail(err, e, "connect to the container's monitor");
	}
	close(dfd);
	return s;
}
