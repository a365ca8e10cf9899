/* The attach channel between a monitor and a client (the `run` that started
 * it): a SOCK_SEQPACKET socket, one frame per datagram, a fixed header then
 * the payload.  Internal to core/. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "core/relay.h"
#include "util/error.h"

enum attach_type {
	ATTACH_STDOUT = 1, /* payload: bytes the container wrote */
	ATTACH_STDERR = 2,
	ATTACH_STARTED = 3,   /* payload: struct attach_started */
	ATTACH_ERROR = 4,     /* payload: struct sync_msg (the failed step) */
	ATTACH_EXIT = 5,      /* payload: int32 exit code */
	ATTACH_STDIN = 6,     /* client -> monitor: bytes for the container's stdin */
	ATTACH_STDIN_EOF = 7, /* client -> monitor: the client's input ended */
	ATTACH_RESIZE = 8,    /* client -> monitor: struct attach_resize */
	ATTACH_REPORT = 9,    /* payload: the run's report, JSON text (run --report -) */
};

struct attach_resize {
	uint16_t rows, cols;
};

struct attach_hdr {
	uint32_t type;
	uint32_t len;
};

struct attach_started {
	int32_t pid;
	uint64_t pid_start;
	uint8_t tty;	    /* the container has a terminal */
	uint8_t stdin_open; /* the container's stdin is open (-i) */
};

/* The attach socket of a container: <dir>/attach.sock.  Paths under a
 * deep state root can exceed sun_path, so both sides reach it through
 * /proc/self/fd/<dirfd>/attach.sock. */
int attach_listen(const char *dir, struct pd_err **err);
int attach_connect(const char *dir, struct pd_err **err);

#define ATTACH_MAX_PAYLOAD 65536

int attach_send(int fd, enum attach_type type, const void *data, size_t len);
/* Returns the payload length (buf holds it), 0 on EOF with *type = 0, -1 on
 * error. */
ssize_t attach_recv(int fd, uint32_t *type, void *buf, size_t cap);

/* Frames for a peer that may not keep up (the monitor's for each client,
 * and the attached CLI's for the monitor): those it could not take yet,
 * whole (header then payload), in order, in a relay queue.  Sending never
 * blocks (MSG_DONTWAIT); the caller bounds the queue (attach_out_pending)
 * by pacing its own input or by dropping the peer. */
struct attach_out {
	struct relay_queue q;
};

/* Send a frame now if nothing waits and the socket takes it, else queue a
 * copy.  0, or -1 when the peer is gone (the queue is then useless). */
int attach_out_send(int fd, struct attach_out *q, enum attach_type type, const void *data, size_t len);
/* Send queued frames as far as the socket takes them: 0 (some may still
 * wait), or -1 when the peer is gone. */
int attach_out_flush(int fd, struct attach_out *q);
/* Bytes waiting. */
size_t attach_out_pending(const struct attach_out *q);
/* Free the queue (not the socket); the queue is empty again. */
void attach_out_reset(struct attach_out *q);
