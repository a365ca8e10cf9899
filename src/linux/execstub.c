/* See execstub.h.  The stub's binary is embedded by execstub-blob.S. */
#include "linux/execstub.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

extern const unsigned char pd_execstub_start[], pd_execstub_end[];

int execstub_open(struct pd_err **err)
{
	int fd = memfd_create("pd-exec-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return pd_fail(err, errno, "create the exec stub's memfd");
	const unsigned char *p = pd_execstub_start;
	size_t left = (size_t)(pd_execstub_end - pd_execstub_start);
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return pd_fail(err, e, "write the exec stub");
		}
		p += w;
		left -= (size_t)w;
	}
	/* Sealed: nothing in the container can change what it runs, and
	 * there is nothing of the host's behind its /proc/PID/exe. */
	if (fchmod(fd, 0555) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return pd_fail(err, e, "seal the exec stub");
	}
	return fd;
}

void execstub_exec(int stubfd, int syncfd, const char *mode, const char *path, char *const argv[],
		   char *const envp[])
{
	size_t n = 0;
	while (argv[n])
		n++;
	char fdstr[32];
	if (syncfd >= 0)
		snprintf(fdstr, sizeof(fdstr), "%d%s", syncfd, mode ? mode : "");
	else
		snprintf(fdstr, sizeof(fdstr), "-%s", mode ? mode : "");
	char **sargv = xcalloc(n + 3, sizeof(*sargv));
	sargv[0] = fdstr;
	sargv[1] = (char *)path;
	for (size_t i = 0; i < n; i++)
		sargv[i + 2] = argv[i];
	/* The stub reports on the sync channel if the command's execve fails:
	 * keep it open across the stub's own exec. */
	if (syncfd >= 0)
		fcntl(syncfd, F_SETFD, 0);
	execveat(stubfd, "", sargv, envp, AT_EMPTY_PATH);
	if (errno == ENOSYS || errno == EPERM) {
		/* A seccomp profile without execveat: the same file by path. */
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", stubfd);
		execve(self, sargv, envp);
	}
	int e = errno;
	if (syncfd >= 0)
		fcntl(syncfd, F_SETFD, FD_CLOEXEC);
	free(sargv);
	errno = e;
}
