/* Relaying a process's standard streams: the primitives the three relay
 * loops share.  The monitor copies the container's output to its log and
 * attach clients and their input to the container (core/monitor.c); `exec`
 * copies between the command and the CLI's own stdio (core/exec.c); an
 * attached CLI copies between its stdio and the monitor (core/container.c,
 * pd_container_attach).  Each loop keeps its own poll set and policy; what
 * they share is here: one read with EOF and EINTR/EAGAIN sorted out, the
 * user's input with the detach keys taken out, a queue that writes without
 * ever blocking, and the copy and drain to one of the caller's own fds.
 * Internal to core/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/detach.h"

/* One read from a stream being relayed.  Returns the bytes read; 0 when the
 * stream ended (end of file, or an error: a pty master reads EIO once the
 * last slave fd is closed, and nothing more can come after any other
 * error); -1 with errno EAGAIN when nothing is there now (an interrupted
 * read too: the caller polls again). */
ssize_t relay_read(int fd, void *buf, size_t cap);

/* What the user types, bound for a container or a command: reads of `fd`
 * with the detach sequence (if any) taken out. */
struct relay_input {
	int fd;
	struct pd_detach keys;
	char *buf;  /* one read, and the held-back start of the sequence */
	size_t cap; /* bytes one read asks for */
};

enum relay_in {
	RELAY_IN_AGAIN,	 /* nothing now */
	RELAY_IN_DATA,	 /* *len bytes to pass on (maybe none: they may start the sequence) */
	RELAY_IN_EOF,	 /* the input ended (a held-back partial sequence is dropped) */
	RELAY_IN_DETACH, /* the whole sequence was typed; *len bytes came before it */
};

/* `keys` (NULL or "": none) must outlive the reader; reads ask for `cap`
 * bytes.  The buffer has room for what the filter may release on top of
 * one read, however long the sequence. */
void relay_input_init(struct relay_input *in, int fd, const char *keys, size_t cap);
/* One read; *data and *len (valid until the next call) are what to pass on. */
enum relay_in relay_input_read(struct relay_input *in, const char **data, size_t *len);
void relay_input_free(struct relay_input *in);

/* Bytes for a reader that may not keep up (a command's stdin, an attach
 * client): kept in order and written without ever blocking.  Nothing bounds
 * it here: its owner reads no more of its own source while
 * relay_queue_pending is high, or drops the reader. */
struct relay_queue {
	char *buf; /* waiting bytes are buf[off..len) */
	size_t off, len;
};

/* Append a copy of `data`. */
void relay_queue_push(struct relay_queue *q, const void *data, size_t len);
size_t relay_queue_pending(const struct relay_queue *q);
/* The first waiting byte (relay_queue_pending of them follow). */
const char *relay_queue_head(const struct relay_queue *q);
/* `n` bytes from the head were written; the memory goes back once the
 * queue is empty (a queue only ever holds a burst). */
void relay_queue_consume(struct relay_queue *q, size_t n);
/* Free the buffer; the queue is empty again. */
void relay_queue_reset(struct relay_queue *q);
/* Write waiting bytes to `fd` (O_NONBLOCK) as far as it takes them.
 * Returns 0 (what it did not take waits: poll for POLLOUT), or -1 when the
 * reader is gone (EPIPE, a hung-up pty, any error but EAGAIN); the queue is
 * then of no use and is reset. */
int relay_queue_write(int fd, struct relay_queue *q);

/* Copy what one read of `from` gives to `to`, a blocking fd of the
 * caller's own (its stdout or stderr: a slow one paces us, as a pipe would).
 * Returns false once `from` ended.  If `to` went away (a closed `| head`),
 * the output is dropped and `from` still drained, so the writer never
 * blocks on it. */
bool relay_copy(int from, int to);

/* Copy what `from` holds now (made O_NONBLOCK) to `to`, up to its end or
 * until nothing more is there: the rest of a stream whose writer is gone,
 * without waiting for whoever else may still hold it open. */
void relay_drain(int from, int to);
