/* The console socket of runc's command line (`--console-socket PATH`):
 * how a container's pty master reaches the client that drives the runtime
 * (conmon, containerd's shim). */
#pragma once
#include "util/error.h"

/* The payload sent with the master, as runc sends it (the name of the
 * file the master was opened from); clients see b'/dev/ptmx'. */
#define CONSOLE_PTY_NAME "/dev/ptmx"

/* Connect to the AF_UNIX SOCK_STREAM socket at `socket_path` (absolute or
 * relative to the cwd; longer than sun_path is fine: the socket is then
 * reached through an O_PATH fd of its directory, /proc/self/fd/N/NAME, so
 * /proc must be mounted), send one message whose payload is
 * CONSOLE_PTY_NAME (9 bytes, no NUL) with a copy of `master_fd` in an
 * SCM_RIGHTS control message, and close the connection.  The caller keeps
 * master_fd.  No SIGPIPE when the listener has gone.  Errors name the
 * socket path ("console socket 'PATH': connect: ENOENT"); a path whose
 * last component alone is too long for sun_path is ENAMETOOLONG. */
int console_send_master(const char *socket_path, int master_fd, struct pd_err **err);
