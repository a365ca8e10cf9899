/* Process identity and memory helpers (see proc.h).  Any process may use
 * them. */
#include "util/proc.h"

#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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
	if (sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &s, &st) != 2)
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

int pd_oom_score_adj_set(int value, struct pd_err **err)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", value);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, (size_t)n) == n;
	int e = errno;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : pd_fail(err, e, "set oom_score_adj to %d", value);
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

size_t pd_proc_release_memory(void)
{
	malloc_trim(0);
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return 0;
	struct range {
		uintptr_t start, end;
	} ranges[128];
	size_t n = 0, dropped_kb = 0;
	char line[512];
	bool candidate = false;
	uintptr_t start = 0, end = 0;
	unsigned long rss = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, kb;
		char perms[8];
		int path_at = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &path_at) == 3) {
			/* Private or shared, never writable, backed by a file:
			 * nothing in it can differ from the file. */
			candidate = perms[0] == 'r' && perms[1] != 'w' && path_at > 0 && line[path_at] == '/';
			start = lo;
			end = hi;
			rss = 0;
		} else if (candidate && sscanf(line, "Rss: %lu kB", &kb) == 1) {
			rss = kb;
		} else if (candidate && sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
			/* A page written before it was made read-only (relocations,
			 * RELRO) is anonymous now: dropping it would lose the write. */
			if (kb == 0 && rss > 0 && n < ARRAY_SIZE(ranges)) {
				ranges[n++] = (struct range){ start, end };
				dropped_kb += rss;
			}
			candidate = false;
		}
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		madvise((void *)ranges[i].start, ranges[i].end - ranges[i].start, MADV_DONTNEED);
	return dropped_kb;
}
