/* Pseudo-terminals of containers, and terminal sizes.  (The caller's own
 * terminal mode is the CLI's: cli/attach.c.) */
#pragma once
#include <stdbool.h>
#include <termios.h>

#include "util/error.h"

/* Open a new pty in the devpts instance whose ptmx is reached from
 * `devfd` as "pts/ptmx" (the container's own /dev).  The slave is opened
 * from the master (TIOCGPTPEER), never by path, so no name lookup in the
 * container can substitute it.  Both fds are CLOEXEC. */
int pty_open(int devfd, int *master, int *slave, struct pd_err **err);
/* Make `slave` the calling process's controlling terminal in a new session
 * and its stdin, stdout and stderr. */
int pty_become_controlling(int slave, struct pd_err **err);
int pty_set_size(int fd, unsigned short rows, unsigned short cols);
/* The caller's terminal size; false when fd is not a terminal. */
bool pty_get_size(int fd, unsigned short *rows, unsigned short *cols);
