/* Process identity helpers (see proc.h).  Any process may use them. */
#include "util/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static bool read_stat(pid_t pid, char *state, uint64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: parse after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	unsigned long long st = 0;
	char s = 0;
	/* fields after comm: 3 state ... 22 starttime */
	if (sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &s,
		   &st) != 2)
		return false;
	*state = s;
	*start = st;
	return true;
}

uint64_t pd_proc_start_time(pid_t pid)
{
	char s;
	uint64_t st;
	return pid > 0 && read_stat(pid, &s, &st) ? st : 0;
}

bool pd_proc_is_alive(pid_t pid, uint64_t start)
{
	char s;
	uint64_t st;
	if (pid <= 0 || !start || !read_stat(pid, &s, &st))
		return false;
	return st == start && s != 'Z' && s != 'X';
}

int pd_pidfd_open_checked(pid_t pid, uint64_t start)
{
	if (pid <= 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	if (!pd_proc_is_alive(pid, start)) {
		close(fd);
		return -1;
	}
	return fd;
}

int64_t pd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t pd_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
