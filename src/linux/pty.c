/* Pseudo-terminals (see pty.h).  pty_open and pty_become_controlling run in
 * the container's init (or the exec helper) inside the container's mount
 * namespace; the terminal mode helpers run in the CLI on the caller's own terminal. */
#include "linux/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"

int pty_open(int devfd, int *master, int *slave, struct pd_err **err)
{
	_cleanup_close_ int m = openat(devfd, "pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (m < 0)
		return pd_fail(err, errno, "open the container's /dev/pts/ptmx");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return pd_fail(err, errno, "unlock pty");
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return pd_fail(err, errno, "open pty peer");
	*master = take_fd(&m);
	*slave = s;
	return 0;
}

int pty_become_controlling(int slave, struct pd_err **err)
{
	if (setsid() < 0)
		return pd_fail(err, errno, "start a session");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return pd_fail(err, errno, "set the controlling terminal");
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		return pd_fail(err, errno, "use the terminal for stdio");
	return 0;
}

int pty_set_size(int fd, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	return ioctl(fd, TIOCSWINSZ, &ws);
}

bool pty_get_size(int fd, unsigned short *rows, unsigned short *cols)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}
