/* Relay primitives (see relay.h).  Run by the monitor and by the CLI
 * (`exec`, `run`, `attach`), with their privileges; no state of their own. */
#include "core/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/xalloc.h"

ssize_t relay_read(int fd, void *buf, size_t cap)
{
	ssize_t n = read(fd, buf, cap);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
		errno = EAGAIN;
		return -1;
	}
	return n < 0 ? 0 : n;
}

void relay_input_init(struct relay_input *in, int fd, const char *keys, size_t cap)
{
	/* pd_detach_filter may release the held-back start of the sequence
	 * (shorter than the sequence) on top of what one read gave. */
	size_t hold = keys ? strlen(keys) : 0;
	*in =
	    (struct relay_input){ .fd = fd, .keys = { keys, 0 }, .buf = xmalloc(2 * cap + hold), .cap = cap };
}

enum relay_in relay_input_read(struct relay_input *in, const char **data, size_t *len)
{
	char *raw = in->buf, *out = in->buf + in->cap;
	*data = out;
	*len = 0;
	ssize_t n = relay_read(in->fd, raw, in->cap);
	if (n < 0)
		return RELAY_IN_AGAIN;
	if (n == 0)
		return RELAY_IN_EOF;
	bool done = false;
	*len = pd_detach_filter(&in->keys, raw, (size_t)n, out, &done);
	return done ? RELAY_IN_DETACH : RELAY_IN_DATA;
}

void relay_input_free(struct relay_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

size_t relay_queue_pending(const struct relay_queue *q)
{
	return q->len - q->off;
}

const char *relay_queue_head(const struct relay_queue *q)
{
	return q->buf + q->off;
}

void relay_queue_reset(struct relay_queue *q)
{
	free(q->buf);
	*q = (struct relay_queue){ 0 };
}

void relay_queue_consume(struct relay_queue *q, size_t n)
{
	q->off += n;
	if (q->off == q->len)
		relay_queue_reset(q);
}

void relay_queue_push(struct relay_queue *q, const void *data, size_t len)
{
	if (!len)
		return;
	/* Move the rest to the front once it is the smaller half: each byte
	 * is moved a bounded number of times, whatever the reader's pace. */
	if (q->off > 0 && q->off >= q->len / 2) {
		memmove(q->buf, q->buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
	q->buf = xrealloc(q->buf, q->len + len);
	memcpy(q->buf + q->len, data, len);
	q->len += len;
}

int relay_queue_write(int fd, struct relay_queue *q)
{
	while (relay_queue_pending(q)) {
		ssize_t n = write(fd, relay_queue_head(q), relay_queue_pending(q));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			relay_queue_reset(q);
			return -1;
		}
		relay_queue_consume(q, (size_t)n);
	}
	return 0;
}

bool relay_copy(int from, int to)
{
	char buf[16384];
	ssize_t n = relay_read(from, buf, sizeof(buf));
	if (n == 0)
		return false;
	if (n > 0)
		pd_write_all(to, buf, (size_t)n); /* `to` gone: the output is dropped */
	return true;
}

void relay_drain(int from, int to)
{
	fcntl(from, F_SETFL, fcntl(from, F_GETFL) | O_NONBLOCK);
	while (poll(&(struct pollfd){ from, POLLIN, 0 }, 1, 0) > 0 && relay_copy(from, to))
		;
}
