/* Container logs (see logs.h).  pd_log_append runs in the monitor;
 * pd_log_print in the `logs` CLI.  Following uses inotify on the file and
 * a pidfd of the monitor: no polling loop, and it returns once the monitor
 * (the only writer) has ended and everything is printed. */
#include "core/logs.h"

#include <dirent.h>
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

/* Records are gathered here and written with one write(2): a line-heavy
 * stream (`yes`) costs one system call per read, not one per line. */
#define LOG_BUF (256 * 1024)

struct pd_log_writer {
	char *path;
	int fd;
	uint64_t size;	   /* of the current file, the buffer included */
	uint64_t max_size; /* 0: no rotation */
	unsigned max_file;
	size_t used;
	char *buf;
};

static char *rotated_path(const char *path, unsigned i)
{
	return xasprintf("%s.%u", path, i);
}

static int open_log(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | flags, 0640);
	if (fd >= 0)
		pd_chown_to_invoker(path);
	return fd;
}

struct pd_log_writer *pd_log_open(const char *path, uint64_t max_size, unsigned max_file, struct pd_err **err)
{
	int fd = open_log(path, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		pd_fail(err, errno, "open log '%s'", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct pd_log_writer *w = xcalloc(1, sizeof(*w));
	w->path = xstrdup(path);
	w->fd = fd;
	w->size = (uint64_t)st.st_size;
	w->max_size = max_size;
	w->max_file = max_file ? max_file : 1;
	w->buf = xmalloc(LOG_BUF);
	return w;
}

static int flush(struct pd_log_writer *w)
{
	size_t n = w->used;
	w->used = 0;
	if (pd_write_all(w->fd, w->buf, n) == 0)
		return 0;
	struct stat st;
	if (fstat(w->fd, &st) == 0)
		w->size = (uint64_t)st.st_size;
	return -1;
}

/* Start a new current file.  The old one is swapped out with
 * RENAME_EXCHANGE, so the log's path always names a file (a reader never
 * finds it missing); a follower sees its file moved and reopens the path.
 * Where the exchange is not supported, two renames. */
static void rotate(struct pd_log_writer *w)
{
	for (unsigned i = w->max_file - 1; i >= 2; i--) {
		_cleanup_free_ char *from = rotated_path(w->path, i - 1);
		_cleanup_free_ char *to = rotated_path(w->path, i);
		rename(from, to);
	}
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", w->path);
	_cleanup_free_ char *first = rotated_path(w->path, 1);
	int fd = open_log(tmp, O_TRUNC);
	if (fd < 0) {
		/* Cannot make a new file: start this one over rather than
		 * outgrow the limit. */
		if (ftruncate(w->fd, 0) == 0)
			w->size = 0;
		return;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, w->path, RENAME_EXCHANGE) == 0) {
		if (w->max_file > 1)
			rename(tmp, first);
		else
			unlink(tmp);
	} else {
		if (w->max_file > 1)
			rename(w->path, first);
		rename(tmp, w->path);
	}
	close(w->fd);
	w->fd = fd;
	w->size = 0;
}

int pd_log_write(struct pd_log_writer *w, int stream, const char *data, size_t len)
{
	char ts[48];
	pd_format_time(pd_now_ns(), ts, sizeof(ts));
	const char *name = stream == 2 ? "stderr" : "stdout";
	int ret = 0;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl ? (size_t)(nl - data) : len;
		char prefix[80];
		int pl = snprintf(prefix, sizeof(prefix), "%s %s %c ", ts, name, nl ? 'F' : 'P');
		size_t rec = (size_t)pl + seg + 1;
		if (w->max_size && w->size > 0 && w->size + rec > w->max_size) {
			if (w->used && flush(w) < 0)
				ret = -1;
			rotate(w);
		}
		if (w->used + rec > LOG_BUF && w->used && flush(w) < 0)
			ret = -1;
		if (rec > LOG_BUF) {
			/* Longer than the buffer: straight out, in one writev. */
			struct iovec iov[3] = { { prefix, (size_t)pl }, { (void *)data, seg }, { "\n", 1 } };
			if (writev(w->fd, iov, 3) != (ssize_t)rec)
				ret = -1;
		} else {
			memcpy(w->buf + w->used, prefix, (size_t)pl);
			memcpy(w->buf + w->used + pl, data, seg);
			w->buf[w->used + rec - 1] = '\n';
			w->used += rec;
		}
		w->size += rec;
		data += seg + (nl ? 1 : 0);
		len -= seg + (nl ? 1 : 0);
	}
	if (w->used && flush(w) < 0)
		ret = -1;
	return ret;
}

void pd_log_close(struct pd_log_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w->buf);
	free(w->path);
	free(w);
}

void pd_log_remove(const char *root, const char *id)
{
	_cleanup_free_ char *dir = xasprintf("%s/logs", root);
	_cleanup_free_ char *prefix = xasprintf("%s.log", id);
	size_t pl = strlen(prefix);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	/* The log, its rotated files (.1, .2, ...) and a rotation's .tmp. */
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, pl) && (de->d_name[pl] == '\0' || de->d_name[pl] == '.'))
			unlinkat(dirfd(d), de->d_name, 0);
}

/* The time a record was written (its first word, as pd_format_time wrote
 * it); false when the word is not such a time.  Lines of one second share
 * the calendar part, so it is converted once per second, not per line. */
struct stamp_cache {
	char sec[20]; /* "2006-01-02T15:04:05" */
	int64_t sec_ns;
};

static bool record_time(const char *w, size_t l, struct stamp_cache *c, int64_t *ns)
{
	if (l < 21 || w[19] != '.' || w[l - 1] != 'Z')
		return false;
	if (memcmp(c->sec, w, 19) != 0) {
		char s[20];
		memcpy(s, w, 19);
		s[19] = '\0';
		struct tm tm = { 0 };
		char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!end || *end)
			return false;
		memcpy(c->sec, s, sizeof(c->sec));
		c->sec_ns = (int64_t)timegm(&tm) * 1000000000LL;
	}
	int64_t frac = 0, scale = 100000000;
	for (size_t i = 20; i < l - 1; i++, scale /= 10) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		frac += (w[i] - '0') * scale;
	}
	*ns = c->sec_ns + frac;
	return true;
}

/* Print complete records in buf[0..len); returns the bytes consumed. */
static size_t print_records(const char *buf, size_t len, const struct pd_log_opts *o, int out_fd, int err_fd)
{
	size_t done = 0;
	struct stamp_cache c = { .sec = "" };
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
		int64_t ns;
		if ((o->since_ns || o->until_ns) &&
		    (!record_time(line, (size_t)(sp1 - line), &c, &ns) || (o->since_ns && ns < o->since_ns) ||
		     (o->until_ns && ns > o->until_ns)))
			continue;
		int fd = !strncmp(stream, "stderr", 6) ? err_fd : out_fd;
		if (o->timestamps)
			pd_write_all(fd, line, (size_t)(sp1 - line) + 1);
		pd_write_all(fd, content, (size_t)(nl - content));
		if (tag == 'F')
			pd_write_all(fd, "\n", 1);
	}
	return done;
}

/* Where the last `n` records begin, reading backwards in blocks so that a
 * large log is never scanned whole: true with *off set when the file holds
 * at least n records; false with *found set to the records it holds (all
 * are wanted, and more from the file before it). */
static bool tail_offset(int fd, int64_t n, off_t *off, int64_t *found)
{
	struct stat st;
	*off = 0;
	*found = 0;
	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return n == 0;
	char blk[8192];
	off_t pos = st.st_size;
	int64_t newlines = 0;
	/* The file ends with '\n'; the (n+1)-th newline from the end marks
	 * the byte before the first wanted record. */
	while (pos > 0) {
		size_t chunk = pos > (off_t)sizeof(blk) ? sizeof(blk) : (size_t)pos;
		pos -= (off_t)chunk;
		if (pread(fd, blk, chunk, pos) != (ssize_t)chunk)
			return true;
		for (size_t i = chunk; i-- > 0;) {
			if (blk[i] == '\n' && ++newlines == n + 1) {
				*off = pos + (off_t)i + 1;
				return true;
			}
		}
	}
	*found = newlines;
	return newlines == n;
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

/* The log's files, oldest first, the current one last; opened newest
 * first, and a file seen twice (rotated between two opens) kept once, so
 * a rotation meanwhile costs at most the oldest file, which it drops. */
#define MAX_LOG_FILES 65536

static int open_files(const char *path, int **fds, size_t *n, struct pd_err **err)
{
	int cur = open(path, O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return pd_fail(err, errno, "open log '%s'", path);
	struct stat st;
	fstat(cur, &st);
	size_t cap = 4, k = 1;
	int *v = xmalloc(cap * sizeof(int));
	ino_t *inos = xmalloc(cap * sizeof(ino_t));
	v[0] = cur;
	inos[0] = st.st_ino;
	for (unsigned i = 1; i < MAX_LOG_FILES; i++) {
		_cleanup_free_ char *p = xasprintf("%s.%u", path, i);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		fstat(fd, &st);
		bool seen = false;
		for (size_t j = 0; j < k; j++)
			seen |= inos[j] == st.st_ino;
		if (seen) {
			close(fd);
			continue;
		}
		if (k == cap) {
			v = xrealloc(v, (cap *= 2) * sizeof(int));
			inos = xrealloc(inos, cap * sizeof(ino_t));
		}
		v[k] = fd;
		inos[k++] = st.st_ino;
	}
	free(inos);
	for (size_t i = 0; i < k / 2; i++) {
		int t = v[i];
		v[i] = v[k - 1 - i];
		v[k - 1 - i] = t;
	}
	*fds = v;
	*n = k;
	return 0;
}

/* The log was rotated: its path names another file than `fd`. */
static bool was_rotated(const char *path, int fd)
{
	struct stat a, b;
	return stat(path, &a) == 0 && fstat(fd, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

static int follow(const char *path, int *cur, char **buf, size_t *have, size_t *cap,
		  const struct pd_log_opts *o, int out_fd, int err_fd, int ino, struct pd_err **err)
{
	for (;;) {
		struct pollfd p[2] = { { ino, POLLIN, 0 }, { o->follow_pidfd, POLLIN, 0 } };
		int timeout = -1;
		if (o->until_ns) {
			int64_t left = o->until_ns - pd_now_ns();
			if (left <= 0) /* what was written until then is printed */
				return drain(*cur, buf, have, cap, o, out_fd, err_fd, err);
			timeout = left / 1000000 >= INT32_MAX ? INT32_MAX : (int)(left / 1000000) + 1;
		}
		if (poll(p, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return pd_fail(err, errno, "wait for log");
		}
		if (p[0].revents) {
			char ev[4096];
			while (read(ino, ev, sizeof(ev)) > 0)
				;
		}
		if (drain(*cur, buf, have, cap, o, out_fd, err_fd, err) < 0)
			return -1;
		/* Rotated: the old file is complete (the monitor wrote its
		 * last record before the swap); go on with the new one. */
		while (was_rotated(path, *cur)) {
			if (drain(*cur, buf, have, cap, o, out_fd, err_fd, err) < 0)
				return -1;
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				break;
			close(*cur);
			*cur = fd;
			*have = 0;
			inotify_add_watch(ino, path, IN_MODIFY | IN_MOVE_SELF);
			if (drain(*cur, buf, have, cap, o, out_fd, err_fd, err) < 0)
				return -1;
		}
		if (p[1].revents) /* the monitor ended: what it wrote is all there is */
			return drain(*cur, buf, have, cap, o, out_fd, err_fd, err);
	}
}

int pd_log_print(const char *path, const struct pd_log_opts *o, int out_fd, int err_fd, struct pd_err **err)
{
	_cleanup_close_ int ino = -1;
	if (o->follow) {
		/* Watch before reading, so no write between the two is missed. */
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino < 0 || inotify_add_watch(ino, path, IN_MODIFY | IN_MOVE_SELF) < 0)
			return pd_fail(err, errno, "watch log '%s'", path);
	}
	_cleanup_free_ int *fds = NULL;
	size_t n = 0;
	if (open_files(path, &fds, &n, err) < 0)
		return -1;
	/* Where to start: the first file and the offset in it. */
	size_t first = 0;
	off_t off = 0;
	if (o->tail == 0) {
		first = n - 1;
		off = lseek(fds[first], 0, SEEK_END);
	} else if (o->tail > 0) {
		int64_t want = o->tail, found;
		for (first = n; first-- > 0;) {
			if (tail_offset(fds[first], want, &off, &found))
				break;
			want -= found;
			if (first == 0)
				break;
		}
	}
	int ret = 0;
	_cleanup_free_ char *buf = NULL;
	size_t have = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= first && ret == 0) {
			if (lseek(fds[i], i == first ? off : 0, SEEK_SET) < 0)
				ret = pd_fail(err, errno, "seek log");
			else
				ret = drain(fds[i], &buf, &have, &cap, o, out_fd, err_fd, err);
		}
		if (i + 1 < n) {
			close(fds[i]);
			have = 0; /* each file holds whole records */
		}
	}
	_cleanup_close_ int cur = fds[n - 1];
	if (ret < 0 || !o->follow || o->follow_pidfd < 0)
		return ret;
	return follow(path, &cur, &buf, &have, &cap, o, out_fd, err_fd, ino, err);
}
