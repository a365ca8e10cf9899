/* The attach channel between a monitor and a client (the `run` that started
 * it): a SOCK_SEQPACKET socket, one frame per datagram, a fixed header then
 * the payload.  Internal to core/. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum attach_type {
	ATTACH_STDOUT = 1, /* payload: bytes the container wrote */
	ATTACH_STDERR = 2,
	ATTACH_STARTED = 3, /* payload: struct attach_started */
	ATTACH_ERROR = 4,   /* payload: struct sync_msg (the failed step) */
	ATTACH_EXIT = 5,    /* payload: int32 exit code */
};

struct attach_hdr {
	uint32_t type;
	uint32_t len;
};

struct attach_started {
	int32_t pid;
	uint64_t pid_start;
};

#define ATTACH_MAX_PAYLOAD 65536

int attach_send(int fd, enum attach_type type, const void *data, size_t len);
/* Returns the payload length (buf holds it), 0 on EOF with *type = 0, -1 on
 * error. */
ssize_t attach_recv(int fd, uint32_t *type, void *buf, size_t cap);
