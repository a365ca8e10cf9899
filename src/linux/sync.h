/* The sync channel between the runtime (parent) and the container's init
 * (child): a SOCK_SEQPACKET pair, one fixed-size message per datagram.
 *
 * Protocol: the parent sends SYNC_GO once the child may proceed (id maps
 * written).  The child either execve()s the command (its end is CLOEXEC, so
 * the parent reads EOF with no message: success) or sends one SYNC_ERROR
 * naming the failing step and _exit()s.  EOF before SYNC_GO was even read
 * means the child died; the parent says so. */
#pragma once
#include <stdint.h>

#include "util/error.h"

enum sync_type {
	SYNC_GO = 1,
	SYNC_ERROR = 2,
	SYNC_PTY = 3,	/* child -> parent: the pty master, as SCM_RIGHTS */
	SYNC_READY = 4, /* child -> parent: set up, waiting for `start` (the OCI face) */
};

struct sync_msg {
	uint32_t type;
	int32_t errnum;
	uint32_t kind; /* enum pd_err_kind */
	char step[32];
	char text[480];
};

/* Make the pair: fds[0] for the parent, fds[1] for the child. */
int sync_pair(int fds[2], struct pd_err **err);
int sync_send(int fd, const struct sync_msg *m, struct pd_err **err);
/* The same, passing `passfd` along (SCM_RIGHTS). */
int sync_send_fd(int fd, const struct sync_msg *m, int passfd, struct pd_err **err);
/* Returns 1 with *m filled, 0 on EOF, -1 on error.  A passed fd is stored
 * in *passfd (CLOEXEC) when passfd is not NULL, else closed; -1 if none. */
int sync_recv(int fd, struct sync_msg *m, struct pd_err **err);
int sync_recv_fd(int fd, struct sync_msg *m, int *passfd, struct pd_err **err);
/* Child side: report a failed step and exit.  Never returns. */
__attribute__((noreturn)) void sync_die(int fd, const char *step, const struct pd_err *e, int status);
