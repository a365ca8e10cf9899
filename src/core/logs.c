/* Container logs (see logs.h).  pd_log_append runs in the monitor;
 * pd_log_print in the `logs` CLI.  Following uses inotify on the file and
 * a pidfd of the monitor: no polling loop, and it returns once the monitor
 * (the only writer) has ended and everything is printed. */
#include "core/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/proc.h"
#include "util/xalloc.h"
#include "util/fs.h"

char *pd_log_path(const char *root, const char *id)
{
	return xasprintf("%s/logs/%s.log", root, id);
}

void pd_format_time(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lldZ", base, (long long)(ns % 1000000000LL));
}

int pd_log_append(int fd, int stream, const char *data, size_t len)
{
	char ts[48];
	pd_format_time(pd_now_ns(), ts, sizeof(ts));
	const char *name = stream == 2 ? "stderr" : "stdout";
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl ? (size_t)(nl - data) : len;
		char prefix[80];
		int pl = snprintf(prefix, sizeof(prefix), "%s %s %c ", ts, name, nl ? 'F' : 'P');
		struct iovec iov[3] = { { prefix, (size_t)pl }, { (void *)data, seg }, { "\n", 1 } };
		/* One writev per record keeps records whole in the file. */
		ssize_t want = pl + (ssize_t)seg + 1, n = writev(fd, iov, 3);
		if (n != want)
			return -1;
		data += seg + (nl ? 1 : 0);
		len -= seg + (nl ? 1 : 0);
	}
	return 0;
}

/* Print complete records in buf[0..len); returns the bytes consumed. */
static size_t print_records(const char *buf, size_t len, const struct pd_log_opts *o, int out_fd, int err_fd)
{
	size_t done = 0;
	while (done < len) {
		const char *line = buf + done;
		const char *nl = memchr(line, '\n', len - done);
		if (!nl)
			break;
		size_t l = (size_t)(nl - line);
		done += l + 1;
		const char *sp1 = memchr(line, ' ', l);
		if (!sp1)
			continue;
		const char *stream = sp1 + 1;
		const char *sp2 = memchr(stream, ' ', (size_t)(nl - stream));
		if (!sp2 || nl - sp2 < 3)
			continue;
		char tag = sp2[1];
		const char *content = sp2 + 3;
		int fd = !strncmp(stream, "stderr", 6) ? err_fd : out_fd;
		if (o->timestamps)
			pd_write_all(fd, line, (size_t)(sp1 - line) + 1);
		pd_write_all(fd, content, (size_t)(nl - content));
		if (tag == 'F')
			pd_write_all(fd, "\n", 1);
	}
	return done;
}

/* Offset where the last `n` records begin, reading backwards in blocks so
 * that a large log is never scanned whole. */
static off_t tail_offset(int fd, int64_t n)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return 0;
	char blk[8192];
	off_t pos = st.st_size;
	int64_t newlines = 0;
	/* The file ends with '\n'; the (n+1)-th newline from the end marks
	 * the byte before the first wanted record. */
	while (pos > 0) {
		size_t chunk = pos > (off_t)sizeof(blk) ? sizeof(blk) : (size_t)pos;
		pos -= (off_t)chunk;
		if (pread(fd, blk, chunk, pos) != (ssize_t)chunk)
			return 0;
		for (size_t i = chunk; i-- > 0;) {
			if (blk[i] == '\n' && ++newlines == n + 1)
				return pos + (off_t)i + 1;
		}
	}
	return 0;
}

static int drain(int fd, char **buf, size_t *have, size_t *cap, const struct pd_log_opts *o, int out_fd,
		 int err_fd, struct pd_err **err)
{
	for (;;) {
		if (*cap - *have < 65536)
			*buf = xrealloc(*buf, *cap = *cap * 2 + 65536);
		ssize_t n = read(fd, *buf + *have, *cap - *have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pd_fail(err, errno, "read log");
		}
		if (n == 0)
			return 0;
		*have += (size_t)n;
		size_t used = print_records(*buf, *have, o, out_fd, err_fd);
		memmove(*buf, *buf + used, *have - used);
		*have -= used;
	}
}

int pd_log_print(const char *path, const struct pd_log_opts *o, int out_fd, int err_fd, struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pd_fail(err, errno, "open log '%s'", path);
	_cleanup_close_ int ino = -1;
	if (o->follow) {
		/* Watch before reading, so no write between the two is missed. */
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino < 0 || inotify_add_watch(ino, path, IN_MODIFY) < 0)
			return pd_fail(err, errno, "watch log '%s'", path);
	}
	if (o->tail >= 0 && lseek(fd, o->tail == 0 ? 0 : tail_offset(fd, o->tail), SEEK_SET) < 0)
		return pd_fail(err, errno, "seek log");
	if (o->tail == 0 && lseek(fd, 0, SEEK_END) < 0)
		return pd_fail(err, errno, "seek log");
	_cleanup_free_ char *buf = NULL;
	size_t have = 0, cap = 0;
	if (drain(fd, &buf, &have, &cap, o, out_fd, err_fd, err) < 0)
		return -1;
	if (!o->follow || o->follow_pidfd < 0)
		return 0;
	for (;;) {
		struct pollfd p[2] = { { ino, POLLIN, 0 }, { o->follow_pidfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return pd_fail(err, errno, "wait for log");
		}
		if (p[0].revents) {
			char ev[4096];
			while (read(ino, ev, sizeof(ev)) > 0)
				;
		}
		if (drain(fd, &buf, &have, &cap, o, out_fd, err_fd, err) < 0)
			return -1;
		if (p[1].revents) /* the monitor ended: what it wrote is all there is */
			return drain(fd, &buf, &have, &cap, o, out_fd, err_fd, err);
	}
}
