/* Running the command through the exec stub (stub/execstub.c): the last
 * execve inside the container is never made by the runtime's own image. */
#pragma once

#include "util/error.h"

/* A sealed memfd holding the stub, close-on-exec; -1 with *err set. */
int execstub_open(struct pd_err **err);

/* execve PATH with ARGV and ENVP through the stub in STUBFD; SYNCFD is the
 * sync channel the stub reports a failed execve on (it stays open across
 * the stub's own exec, and closes at the command's), or -1 for none.
 * Returns only if the stub itself could not be run, with errno set. */
void execstub_exec(int stubfd, int syncfd, const char *path, char *const argv[], char *const envp[]);
