/* The dashboard's long answers: server-sent event streams (the container
 * list, a container's log and stats, a terminal's output), a pull's
 * output, and the children of our own binary they read from.  Runs in the
 * `ui` process; each stream blocks the thread of its own connection (a
 * thread per connection), waking only when its child writes, its period
 * comes, or every 15 s to learn with a comment line whether the page is
 * still there.  Nothing here runs while no page is open.
 *
 * Terminals: `exec -it CONTAINER sh` of our own binary on a pseudo
 * terminal of ours (its master here), so the exec's own terminal handling
 * (raw mode, window size on SIGWINCH) is the CLI's.  Output goes to the
 * page as base64 events; keys come back by POST, and a resize is
 * TIOCSWINSZ on our master (the kernel sends the SIGWINCH).  A session
 * ends with its stream: the master is closed (a hangup for the exec) and
 * the child's process group ended and the child reaped.  A session no
 * stream has taken within SESSION_IDLE_MS (POCKET_DOCKER_UI_SESSION_IDLE_MS
 * overrides it), or whose child exited before a stream came, is ended by
 * a reaper thread that runs only while such sessions exist (each second),
 * and before a new session is made. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ui.h"
#include "core/events.h"
#include "core/query.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define PING_MS 15000

/* --- children of our own binary --- */

pid_t ui_spawn(const struct ui_server *s, char *const *args, int *out_fd, int *pty_master)
{
	char **argv = NULL;
	strv_push(&argv, "pocket-docker");
	strv_push(&argv, "--root");
	strv_push(&argv, s->root);
	for (size_t i = 0; args[i]; i++)
		strv_push(&argv, args[i]);
	int p[2] = { -1, -1 }, master = -1;
	char slave[64] = "";
	if (pty_master) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
		    ptsname_r(master, slave, sizeof(slave)) != 0) {
			int e = errno;
			if (master >= 0)
				close(master);
			strv_free(argv);
			errno = e;
			return -1;
		}
	} else if (pipe2(p, O_CLOEXEC) < 0) {
		strv_free(argv);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* The child: only async-signal-safe calls until execv. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int in = -1, out = -1;
		if (pty_master) {
			setsid();
			in = out = open(slave, O_RDWR);
			if (in >= 0)
				ioctl(in, TIOCSCTTY, 0);
		} else {
			/* Ended with the server (a log's follower would
			 * otherwise wait for a line forever).  Not a
			 * terminal: its session outlives the request that
			 * made it, and so the thread, which this is tied to. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			in = open("/dev/null", O_RDONLY);
			out = p[1];
		}
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int e = errno;
	strv_free(argv);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (master >= 0)
			close(master);
		errno = e;
		return -1;
	}
	if (pty_master) {
		*pty_master = master;
		*out_fd = master;
	} else {
		*out_fd = p[0];
	}
	return pid;
}

int ui_run_self(const struct ui_server *s, char *const *args, char **out, size_t max, int *status)
{
	int fd;
	pid_t pid = ui_spawn(s, args, &fd, NULL);
	if (pid < 0)
		return -1;
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 2048)
			buf = xrealloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len = len + (size_t)n > max ? max : len + (size_t)n;
	}
	buf[len] = 0;
	close(fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*out = buf;
	return 0;
}

/* Ask a child to end (SIGTERM, SIGKILL after 2 s) and reap it; `group`:
 * its whole process group (a session leader of ui_spawn's pty), signalled
 * while the child is not yet reaped, so the group id is still ours. */
static void end_child_of(pid_t pid, bool group)
{
	if (pid <= 0)
		return;
	kill(group ? -pid : pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		struct timespec t = { 0, 10 * 1000 * 1000 };
		nanosleep(&t, NULL);
	}
	kill(group ? -pid : pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void end_child(pid_t pid)
{
	end_child_of(pid, false);
}

/* --- one stream --- */

enum stream_kind {
	STREAM_LINES,	   /* a child's output, a JSON string event per line */
	STREAM_RAW,	   /* a child's output as it is (text/plain) */
	STREAM_BASE64,	   /* a terminal's output, base64 events */
	STREAM_CONTAINERS, /* the container list every 2 s */
	STREAM_STATS,	   /* one container's sample every second */
	STREAM_EVENTS,	   /* the state root's events as they are recorded */
};

struct stream {
	enum stream_kind kind;
	const struct ui_server *srv;
	int fd;	   /* the child's output, or -1 */
	pid_t pid; /* the child, or 0 */
	char id[128];
	char sid[33]; /* a terminal's session */
	char *line;   /* STREAM_LINES: the partial last line */
	size_t line_len;
	char *out; /* what is ready to send */
	size_t out_len, out_off;
	struct pd_events_reader *events; /* STREAM_EVENTS */
	struct pd_event_filter filter;
	size_t past_max;  /* STREAM_EVENTS: of the first batch, send the newest this many */
	long quiet_ms;	  /* STREAM_EVENTS: since the last write */
	bool ended;	  /* the end event is queued */
	bool ticked;	  /* a periodic stream sent its first sample */
	bool status_line; /* STREAM_RAW: end with "[exit N]" (the child's status) */
};

static void out_add(struct stream *st, const char *s, size_t n)
{
	st->out = xrealloc(st->out, st->out_len + n + 1);
	memcpy(st->out + st->out_len, s, n);
	st->out_len += n;
}

static void out_event(struct stream *st, const char *event, const char *data)
{
	if (event) {
		out_add(st, "event: ", 7);
		out_add(st, event, strlen(event));
		out_add(st, "\n", 1);
	}
	out_add(st, "data: ", 6);
	out_add(st, data, strlen(data));
	out_add(st, "\n\n", 2);
}

/* One line of a child's output as an event: a JSON string, so that no byte
 * of it (a newline, a carriage return, a quote) ends the event early. */
static void out_line(struct stream *st, const char *s, size_t n)
{
	json_t *v = json_stringn_nocheck(s, n);
	_cleanup_free_ char *enc = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	json_decref(v);
	if (enc)
		out_event(st, NULL, enc);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *s, size_t n)
{
	char *o = xmalloc(4 * ((n + 2) / 3) + 1), *p = o;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		*p++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*p++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*p = 0;
	return o;
}

/* What the child wrote, turned into the stream's form; false at its end. */
static bool take_child_output(struct stream *st)
{
	char buf[16384];
	ssize_t n = read(st->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		/* EOF, or EIO from a pty master whose slave side is closed. */
		if (st->kind == STREAM_LINES && st->line_len)
			out_line(st, st->line, st->line_len);
		st->line_len = 0;
		return false;
	}
	if (st->kind == STREAM_RAW) {
		out_add(st, buf, (size_t)n);
	} else if (st->kind == STREAM_BASE64) {
		_cleanup_free_ char *e = base64((unsigned char *)buf, (size_t)n);
		out_event(st, NULL, e);
	} else {
		st->line = xrealloc(st->line, st->line_len + (size_t)n);
		memcpy(st->line + st->line_len, buf, (size_t)n);
		st->line_len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < st->line_len; i++)
			if (st->line[i] == '\n') {
				out_line(st, st->line + start, i - start);
				start = i + 1;
			}
		memmove(st->line, st->line + start, st->line_len - start);
		st->line_len -= start;
	}
	return true;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static void tick(struct stream *st)
{
	if (st->ticked)
		sleep_ms(st->kind == STREAM_CONTAINERS ? 2000 : 1000);
	st->ticked = true;
	json_t *v = NULL;
	if (st->kind == STREAM_CONTAINERS) {
		const char *msg = NULL;
		v = ui_containers_json(st->srv, &msg);
		if (!v)
			v = json_pack("{s:s}", "error", msg);
	} else {
		struct pd_record r;
		if (pd_container_lookup(st->srv->root, st->id, &r, pd_err_ignore(status)) < 0) {
			out_event(st, "end", "{}");
			st->ended = true;
			return;
		}
		struct pd_container_stats s;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		bool live = r.state == PD_STATE_RUNNING || r.state == PD_STATE_STOPPING;
		if (live && pd_container_stats(r.id, pd_record_rootless(&r), &s, pd_err_ignore(gone)) == 0)
			v = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f}", "state", pd_record_state_name(&r),
				      "cpu_ns", (json_int_t)s.cpu_usage_ns, "mem", (json_int_t)s.mem_usage,
				      "mem_limit", (json_int_t)s.mem_limit, "pids", (json_int_t)s.pids, "at",
				      (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
		else
			v = json_pack("{s:s}", "state", pd_record_state_name(&r));
		pd_record_free(&r);
	}
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	out_event(st, NULL, s ? s : "null");
}

#define EVENTS_POLL_MS 250

/* The events recorded since the last call (one cheap PRAGMA when none
 * was), each a JSON event; none: a nap of EVENTS_POLL_MS, and a ping once
 * in PING_MS. */
static char *event_json(const struct pd_event *e)
{
	json_t *v = json_pack("{s:I, s:f, s:s, s:s, s:s, s:O}", "seq", (json_int_t)e->seq, "time",
			      (double)e->time_ns / 1e9, "type", e->type, "action", e->action, "id", e->id,
			      "attributes", e->attributes);
	char *enc = v ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(v);
	return enc;
}

static void events_tick(struct stream *st)
{
	/* The first call with past_max: every batch of what is kept, of
	 * which the newest past_max matching ones are sent. */
	size_t keep = st->past_max;
	st->past_max = 0;
	char **ring = keep ? xcalloc(keep, sizeof(char *)) : NULL;
	size_t nring = 0;
	for (;;) {
		struct pd_event *v = NULL;
		size_t n = 0;
		if (pd_events_next(st->events, &v, &n, pd_err_ignore(status)) < 0) {
			out_event(st, "end", "{}");
			st->ended = true;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (!pd_event_filter_match(&st->filter, &v[i]))
				continue;
			_cleanup_free_ char *enc = event_json(&v[i]);
			if (!enc)
				continue;
			if (ring) {
				free(ring[nring % keep]);
				ring[nring++ % keep] = take_ptr(&enc);
			} else {
				out_event(st, NULL, enc);
			}
		}
		pd_events_free(v, n);
		if (!ring || n == 0)
			break;
	}
	for (size_t i = nring > keep ? nring - keep : 0; i < nring; i++) {
		out_event(st, NULL, ring[i % keep]);
		free(ring[i % keep]);
	}
	free(ring);
	if (st->out_len > st->out_off || st->ended) {
		st->quiet_ms = 0;
		return;
	}
	sleep_ms(EVENTS_POLL_MS);
	st->quiet_ms += EVENTS_POLL_MS;
	if (st->quiet_ms >= PING_MS) {
		st->quiet_ms = 0;
		out_add(st, ": ping\n\n", 8);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	while (st->out_off == st->out_len) {
		st->out_off = st->out_len = 0;
		if (st->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (st->kind == STREAM_CONTAINERS || st->kind == STREAM_STATS) {
			tick(st);
			continue;
		}
		if (st->kind == STREAM_EVENTS) {
			events_tick(st);
			continue;
		}
		struct pollfd p = { st->fd, POLLIN, 0 };
		int r = poll(&p, 1, PING_MS);
		if (r < 0 && errno != EINTR)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (r == 0) {
			/* Is the page still there?  The write of a comment
			 * fails when it is not, and the stream is freed. */
			if (st->kind != STREAM_RAW)
				out_add(st, ": ping\n\n", 8);
			continue;
		}
		if (r > 0 && !take_child_output(st)) {
			if (st->kind != STREAM_RAW)
				out_event(st, "end", "{}");
			if (st->status_line && st->pid > 0) {
				int ws = 0;
				while (waitpid(st->pid, &ws, 0) < 0 && errno == EINTR)
					;
				st->pid = 0;
				char t[32];
				int n = snprintf(t, sizeof(t), "\n[exit %d]\n",
						 WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
				out_add(st, t, (size_t)n);
			}
			st->ended = true;
		}
	}
	size_t n = st->out_len - st->out_off < max ? st->out_len - st->out_off : max;
	memcpy(buf, st->out + st->out_off, n);
	st->out_off += n;
	return (ssize_t)n;
}

static void session_end(const char *sid);

static void stream_free(void *cls)
{
	struct stream *st = cls;
	if (st->sid[0]) {
		session_end(st->sid); /* closes the master, reaps the child */
	} else {
		if (st->fd >= 0)
			close(st->fd);
		end_child(st->pid);
	}
	if (st->events)
		pd_events_close(st->events);
	pd_event_filter_free(&st->filter);
	free(st->line);
	free(st->out);
	free(st);
}

static enum MHD_Result send_stream(struct ui_req *q, struct stream *st, const char *type)
{
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return ui_send(q, 200, r);
}

static struct stream *stream_new(struct ui_req *q, enum stream_kind kind)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	st->kind = kind;
	st->srv = q->srv;
	st->fd = -1;
	return st;
}

static enum MHD_Result stream_child(struct ui_req *q, enum stream_kind kind, char *const *args,
				    const char *type, const char *download)
{
	struct stream *st = stream_new(q, kind);
	st->pid = ui_spawn(q->srv, args, &st->fd, NULL);
	if (st->pid < 0) {
		free(st);
		return ui_send_error(q, 500, "cannot run pocket-docker");
	}
	if (!download)
		return send_stream(q, st, type);
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
	MHD_add_response_header(r, "Content-Type", type);
	_cleanup_free_ char *cd = xasprintf("attachment; filename=\"%s\"", download);
	MHD_add_response_header(r, "Content-Disposition", cd);
	return ui_send(q, 200, r);
}

enum MHD_Result ui_stream_containers(struct ui_req *q)
{
	struct stream *st = stream_new(q, STREAM_CONTAINERS);
	const char *w = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "wait");
	/* wait=1: the page has the list already; the first comes a period
	 * later. */
	st->ticked = w && !strcmp(w, "1");
	return send_stream(q, st, "text/event-stream");
}

enum MHD_Result ui_stream_stats(struct ui_req *q, const char *id)
{
	struct stream *st = stream_new(q, STREAM_STATS);
	snprintf(st->id, sizeof(st->id), "%s", id);
	return send_stream(q, st, "text/event-stream");
}

enum MHD_Result ui_stream_logs(struct ui_req *q, const char *id, bool follow, const char *tail)
{
	/* The container must exist: the child's error would otherwise be
	 * the stream's first line. */
	struct pd_record r;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_container_lookup(q->srv->root, id, &r, &err) < 0)
		return ui_send_error(q, 404, "no such container");
	_cleanup_free_ char *fn = xasprintf("%.12s.log", r.id);
	pd_record_free(&r);
	uint64_t n = 0;
	_cleanup_free_ char *tail_arg = tail && pd_parse_uint(tail, 100000000, &n, pd_err_ignore(status)) == 0
					    ? xasprintf("--tail=%s", tail)
					    : xstrdup("--tail=all");
	const char *dl = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "download");
	if (dl && !strcmp(dl, "1")) {
		char *args[] = { "logs", "-t", "--", (char *)id, NULL };
		return stream_child(q, STREAM_RAW, args, "text/plain; charset=utf-8", fn);
	}
	char *args[] = { "logs", tail_arg, follow ? "-f" : "-t", "--", (char *)id, NULL };
	return stream_child(q, STREAM_LINES, args, "text/event-stream", NULL);
}

enum MHD_Result ui_stream_events(struct ui_req *q)
{
	struct stream *st = stream_new(q, STREAM_EVENTS);
	static const char *const keys[] = { "type", "container", "event", "image", "label" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, keys[i]);
		if (!v || !*v)
			continue;
		_cleanup_free_ char *spec = xasprintf("%s=%s", keys[i], v);
		_cleanup_err_ struct pd_err *err = NULL;
		if (pd_event_filter_add(&st->filter, spec, &err) < 0) {
			stream_free(st);
			return ui_send_error(q, 400, "bad filter '%s'", spec);
		}
	}
	const char *past = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "past");
	uint64_t n = 0;
	if (past && pd_parse_uint(past, 10000, &n, pd_err_ignore(status)) < 0)
		n = 0;
	st->past_max = (size_t)n;
	_cleanup_err_ struct pd_err *err = NULL;
	st->events = pd_events_open(q->srv->root, n > 0, &err);
	if (!st->events) {
		stream_free(st);
		return ui_send_error(q, 500, "cannot read the events");
	}
	return send_stream(q, st, "text/event-stream");
}

enum MHD_Result ui_stream_pull(struct ui_req *q, const char *ref)
{
	char *args[] = { "pull", "--", (char *)ref, NULL };
	struct stream *st = stream_new(q, STREAM_RAW);
	st->status_line = true;
	st->pid = ui_spawn(q->srv, args, &st->fd, NULL);
	if (st->pid < 0) {
		free(st);
		return ui_send_error(q, 500, "cannot run pocket-docker");
	}
	return send_stream(q, st, "text/plain; charset=utf-8");
}

/* --- terminal sessions --- */

#define SESSIONS_MAX	16
#define SESSION_IDLE_MS 30000

static struct session {
	char sid[33]; /* "" when free */
	pid_t pid;    /* the child, or 0 once reaped */
	int master;
	bool streaming;
	long long created_ms; /* CLOCK_MONOTONIC */
} sessions[SESSIONS_MAX];
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static bool reaper_running; /* under sessions_lock */

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long session_idle_ms(void)
{
	const char *e = getenv("POCKET_DOCKER_UI_SESSION_IDLE_MS");
	uint64_t v = 0;
	if (e && pd_parse_uint(e, 24ULL * 3600 * 1000, &v, pd_err_ignore(status)) == 0)
		return (long long)v;
	return SESSION_IDLE_MS;
}

/* Close a session taken out of the table: a hangup for the exec, then its
 * process group ended and the child reaped (unless reaped already). */
static void session_close(struct session *c)
{
	if (c->master >= 0)
		close(c->master);
	end_child_of(c->pid, true);
}

static struct session *session_find(const char *sid)
{
	for (size_t i = 0; i < SESSIONS_MAX; i++)
		if (sessions[i].sid[0] && !strcmp(sessions[i].sid, sid))
			return &sessions[i];
	return NULL;
}

static void session_end(const char *sid)
{
	pthread_mutex_lock(&sessions_lock);
	struct session *s = session_find(sid);
	struct session copy = s ? *s : (struct session){ .master = -1 };
	if (s)
		*s = (struct session){ .master = -1 };
	pthread_mutex_unlock(&sessions_lock);
	session_close(&copy);
}

/* Take out of the table (into `out`, at most SESSIONS_MAX) the sessions
 * no stream took in time and those whose child exited; a session with a
 * stream ends with it.  Under sessions_lock.  The count taken; *waiting:
 * whether sessions without a stream are left. */
static size_t sessions_take_stale(struct session *out, bool *waiting)
{
	long long now = now_ms(), idle = session_idle_ms();
	size_t n = 0;
	*waiting = false;
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &sessions[i];
		if (!s->sid[0] || s->streaming)
			continue;
		bool exited = s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid;
		if (exited)
			s->pid = 0;
		if (exited || now - s->created_ms >= idle) {
			out[n++] = *s;
			*s = (struct session){ .master = -1 };
		} else {
			*waiting = true;
		}
	}
	return n;
}

static void sessions_reap(void)
{
	struct session stale[SESSIONS_MAX];
	bool waiting;
	pthread_mutex_lock(&sessions_lock);
	size_t n = sessions_take_stale(stale, &waiting);
	pthread_mutex_unlock(&sessions_lock);
	for (size_t i = 0; i < n; i++)
		session_close(&stale[i]);
}

/* Each second while sessions wait for their stream; ends when none does
 * (no timer runs while no terminal is pending). */
static void *reaper(void *unused)
{
	for (;;) {
		sleep_ms(1000);
		struct session stale[SESSIONS_MAX];
		bool waiting;
		pthread_mutex_lock(&sessions_lock);
		size_t n = sessions_take_stale(stale, &waiting);
		if (!waiting)
			reaper_running = false;
		pthread_mutex_unlock(&sessions_lock);
		for (size_t i = 0; i < n; i++)
			session_close(&stale[i]);
		if (!waiting)
			return NULL;
	}
}

/* Under sessions_lock: start the reaper unless it runs. */
static void reaper_start(void)
{
	if (reaper_running)
		return;
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, reaper, NULL) == 0)
		reaper_running = true;
	pthread_attr_destroy(&a);
}

size_t ui_exec_count(void)
{
	size_t n = 0;
	pthread_mutex_lock(&sessions_lock);
	for (size_t i = 0; i < SESSIONS_MAX; i++)
		n += sessions[i].sid[0] != 0;
	pthread_mutex_unlock(&sessions_lock);
	return n;
}

void ui_exec_end_all(void)
{
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		char sid[33];
		pthread_mutex_lock(&sessions_lock);
		memcpy(sid, sessions[i].sid, sizeof(sid));
		pthread_mutex_unlock(&sessions_lock);
		if (sid[0])
			session_end(sid);
	}
}

enum MHD_Result ui_exec_create(struct ui_req *q, const char *id)
{
	/* The container must exist and run: else the child would fail at
	 * once, its error the terminal's only output. */
	struct pd_record rec;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_container_lookup(q->srv->root, id, &rec, &err) < 0)
		return ui_send_error(q, 404, "no such container");
	bool running = rec.state == PD_STATE_RUNNING;
	char cid[sizeof(rec.id)];
	snprintf(cid, sizeof(cid), "%s", rec.id);
	pd_record_free(&rec);
	if (!running)
		return ui_send_error(q, 409, "the container is not running");
	sessions_reap();
	unsigned char raw[16];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return ui_send_error(q, 500, "no random bytes");
	char sid[33];
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(sid + 2 * i, 3, "%02x", raw[i]);
	const char *cmd = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "cmd");
	if (!cmd || (strcmp(cmd, "bash") != 0 && strcmp(cmd, "ash") != 0))
		cmd = "sh";
	/* Keys no one types by chance end the exec, not ctrl-p ctrl-q (a
	 * shell's history keys). */
	char *args[] = { "exec", "-it", "--detach-keys=ctrl-^,ctrl-_,ctrl-^", "--", cid, (char *)cmd, NULL };
	pthread_mutex_lock(&sessions_lock);
	struct session *s = NULL;
	for (size_t i = 0; i < SESSIONS_MAX && !s; i++)
		if (!sessions[i].sid[0])
			s = &sessions[i];
	if (!s) {
		pthread_mutex_unlock(&sessions_lock);
		return ui_send_error(q, 503, "too many terminals open");
	}
	int fd, master;
	pid_t pid = ui_spawn(q->srv, args, &fd, &master);
	if (pid < 0) {
		pthread_mutex_unlock(&sessions_lock);
		return ui_send_error(q, 500, "cannot start a terminal");
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	ioctl(master, TIOCSWINSZ, &ws);
	*s = (struct session){ .pid = pid, .master = master, .created_ms = now_ms() };
	memcpy(s->sid, sid, sizeof(sid));
	reaper_start();
	pthread_mutex_unlock(&sessions_lock);
	return ui_send_json(q, 200, json_pack("{s:s}", "session", sid));
}

/* GET SID/events, POST SID/input (the body: bytes for the terminal),
 * POST SID/resize?cols=C&rows=R. */
enum MHD_Result ui_exec_route(struct ui_req *q, const char *rest)
{
	const char *slash = strchr(rest, '/');
	if (!slash || slash - rest != 32)
		return ui_send_error(q, 404, "no such session");
	char sid[33];
	memcpy(sid, rest, 32);
	sid[32] = 0;
	const char *what = slash + 1;
	bool get = !strcmp(q->method, "GET");
	pthread_mutex_lock(&sessions_lock);
	struct session *s = session_find(sid);
	if (!s) {
		pthread_mutex_unlock(&sessions_lock);
		return ui_send_error(q, 404, "no such session");
	}
	if (!strcmp(what, "events") && get) {
		if (s->streaming) {
			pthread_mutex_unlock(&sessions_lock);
			return ui_send_error(q, 409, "the session has a reader already");
		}
		s->streaming = true;
		struct stream *st = stream_new(q, STREAM_BASE64);
		st->fd = s->master;
		memcpy(st->sid, sid, sizeof(sid));
		pthread_mutex_unlock(&sessions_lock);
		return send_stream(q, st, "text/event-stream");
	}
	if (!strcmp(what, "input") && !get) {
		size_t off = 0;
		/* Keys come a few at a time; a full terminal (the command
		 * does not read) drops them rather than block the server. */
		while (off < q->body_len) {
			ssize_t n = write(s->master, q->body + off, q->body_len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		pthread_mutex_unlock(&sessions_lock);
		return ui_send_json(q, 200, json_pack("{s:I}", "written", (json_int_t)off));
	}
	if (!strcmp(what, "resize") && !get) {
		const char *c = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "cols");
		const char *r = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "rows");
		uint64_t cols = 0, rows = 0;
		if (!c || !r || pd_parse_uint(c, 1000, &cols, pd_err_ignore(status)) < 0 ||
		    pd_parse_uint(r, 1000, &rows, pd_err_ignore(status)) < 0 || !cols || !rows) {
			pthread_mutex_unlock(&sessions_lock);
			return ui_send_error(q, 400, "give cols and rows (1 to 1000)");
		}
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		ioctl(s->master, TIOCSWINSZ, &ws);
		pthread_mutex_unlock(&sessions_lock);
		return ui_send_json(
		    q, 200, json_pack("{s:I, s:I}", "cols", (json_int_t)cols, "rows", (json_int_t)rows));
	}
	pthread_mutex_unlock(&sessions_lock);
	return ui_send_error(q, get ? 405 : 404, "no such path");
}
