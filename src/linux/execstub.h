/* Running the command through the exec stub (stub/execstub.c): the last
 * execve inside the container is never made by the runtime's own image. */
#pragma once

#include "util/error.h"

/* A sealed memfd holding the stub, close-on-exec; -1 with *err set. */
int execstub_open(struct pd_err **err);

/* Modes of the stub (letters, combined; see stub/execstub.c): */
#define EXECSTUB_FORK	 "f" /* run the command in a child, wait, forward signals */
#define EXECSTUB_INIT	 "i" /* the same as PID 1: reap every orphan too */
#define EXECSTUB_SESSION "s" /* the child starts a session */
#define EXECSTUB_TTY	 "t" /* ... with fd 0 as its controlling terminal */
#define EXECSTUB_PDEATH	 "k" /* the child dies with the stub */

/* execve PATH with ARGV and ENVP through the stub in STUBFD; SYNCFD is the
 * sync channel the stub reports a failed execve on (it stays open across
 * the stub's own exec, and closes at the command's), or -1 for none.  MODE
 * ("" or NULL: exec in place) is a string of the letters above; for a
 * forking mode the caller blocks every signal first.  Returns only if the
 * stub itself could not be run, with errno set. */
void execstub_exec(int stubfd, int syncfd, const char *mode, const char *path, char *const argv[],
		   char *const envp[]);
