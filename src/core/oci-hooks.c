/* OCI hooks (see oci-hooks.h): run the programs a config.json names at
 * points of a container's life, and the state JSON they read.
 *
 * Runs in the runtime's process (the CLI of `pocket-runc create/start/
 * delete`, or whatever process the caller is), with its privileges: a hook
 * is as trusted as the document that names it, which is the caller's (runc
 * runs hooks as they are too).  What is guarded is the runtime itself:
 * - a hook that never reads its stdin, or exits without reading, must not
 *   block us or kill us: the state is written from a poll loop on a
 *   non-blocking pipe with SIGPIPE blocked in this thread, and a SIGPIPE
 *   this raised is taken back before the mask is restored;
 * - a hook that floods its stderr must not block either (the pipe is
 *   drained as it fills; the last 4 KiB are kept), nor one whose child
 *   keeps stderr open after the hook exited (we stop at the hook's exit,
 *   not at EOF);
 * - a hook that runs past its timeout is killed with its process group
 *   (SIGKILL), so a shell's children go with it; it is reaped by pid in
 *   every case, never with wait(-1), which would steal the exit status of
 *   a child the caller owns;
 * - the hook inherits nothing of ours but fds 0-2 (closefrom(3) in the
 *   spawn: a caller such as conmon hands us fds that are not close-on-exec
 *   and must not leak), and no ignored or blocked signal (the monitor
 *   ignores SIGPIPE). */
#include "core/oci-hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/oci.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

/* The bytes of a hook's stderr kept (its tail), and the most of its last
 * line quoted in an error. */
#define HOOK_STDERR_KEEP 4096
#define HOOK_LINE_MAX	 512
/* The most bytes read from stderr once the hook has exited: what it wrote
 * before it exited is there; a child of it still writing is not waited
 * for. */
#define HOOK_FINAL_DRAIN (64 * 1024)
#define NS_PER_S	 1000000000LL

/* The tail of a hook's stderr. */
struct tail {
	char buf[HOOK_STDERR_KEEP];
	size_t len;
};

static void tail_add(struct tail *t, const char *data, size_t n)
{
	if (n >= sizeof(t->buf)) {
		memcpy(t->buf, data + n - sizeof(t->buf), sizeof(t->buf));
		t->len = sizeof(t->buf);
		return;
	}
	if (t->len + n > sizeof(t->buf)) {
		size_t drop = t->len + n - sizeof(t->buf);
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
}

/* The last non-empty line of the tail, escaped for a terminal and cut to
 * HOOK_LINE_MAX bytes; NULL when there is none. */
static char *tail_last_line(const struct tail *t)
{
	size_t end = t->len;
	while (end > 0 && strchr("\n\r\t ", t->buf[end - 1]) && t->buf[end - 1])
		end--;
	size_t start = end;
	while (start > 0 && t->buf[start - 1] != '\n')
		start--;
	if (start == end)
		return NULL;
	size_t n = end - start;
	bool cut = n > HOOK_LINE_MAX;
	_cleanup_free_ char *line = xstrndup(t->buf + start, cut ? HOOK_LINE_MAX : n);
	_cleanup_free_ char *shown = str_escape(line);
	return cut ? xasprintf("%s...", shown) : take_ptr(&shown);
}

/* One read of the pipe into the tail: read(2)'s result and errno. */
static ssize_t tail_read(struct tail *t, int fd)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	if (n > 0)
		tail_add(t, chunk, (size_t)n);
	return n;
}

static void close_reset(int *fd)
{
	closep(fd);
	*fd = -1;
}

/* fd moved above 2 (close-on-exec), so that the spawn's dup2 onto 0, 1
 * and 2 never overwrites another of its sources: a caller may run with
 * fd 0, 1 or 2 closed, and then a pipe gets that number. */
static int above_stdio(int *fd)
{
	if (*fd > 2)
		return 0;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return -1;
	close(*fd);
	*fd = moved;
	return 0;
}

static int pipe_above_stdio(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (above_stdio(&p[0]) < 0 || above_stdio(&p[1]) < 0) {
		close_reset(&p[0]);
		close_reset(&p[1]);
		return -1;
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The hook's fds in the spawn: 0 the state pipe, 1 /dev/null, 2 the stderr
 * pipe, nothing else.  Sources are above 2 (above_stdio), so the order of
 * the dup2s does not matter. */
static int spawn_hook(const struct pd_oci_hook *h, int in_fd, int null_fd, int err_fd, pid_t *pid)
{
	char *argv0[] = { h->path, NULL };
	char *no_env[] = { NULL };
	char *const *argv = h->args && h->args[0] ? h->args : argv0;
	char *const *envp = h->env ? h->env : no_env;

	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return ENOMEM;
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return ENOMEM;
	}
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	int r = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, null_fd, 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!r)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
						      POSIX_SPAWN_SETPGROUP);
	if (!r)
		r = posix_spawnattr_setsigdefault(&at, &all);
	if (!r)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (!r)
		r = posix_spawnattr_setpgroup(&at, 0);
	if (!r)
		r = posix_spawn(pid, h->path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return r;
}

/* Kill the hook's process group (it leads it: POSIX_SPAWN_SETPGROUP) and
 * the hook itself, and reap it.  The pid is ours until reaped, so neither
 * number can name another process. */
static void kill_and_reap(pid_t pid, int *status)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* SIGPIPE blocked in this thread while the state is written, so that a
 * hook that exits without reading makes write() fail with EPIPE rather
 * than kill us, whatever the caller's disposition of SIGPIPE. */
struct pipe_guard {
	sigset_t old;
	bool was_pending;
};

static void pipe_guard_enter(struct pipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

/* Take back a SIGPIPE our writes raised (one that was pending before is
 * the caller's and stays), then restore the mask. */
static void pipe_guard_leave(struct pipe_guard *g, bool raised)
{
	if (raised && !g->was_pending) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* How one hook ended. */
struct hook_end {
	int status;	  /* waitpid's */
	bool timed_out;	  /* killed at its deadline */
	int errnum;	  /* a system call of ours failed (the hook was killed) */
	const char *what; /* ... which one */
};

/* Feed the state to the hook, keep its stderr, wait for its exit or its
 * deadline (0: none).  The hook is reaped on return, in every case (or
 * was reaped by the kernel: SIGCHLD ignored, end->errnum ECHILD). */
static void supervise(pid_t pid, int in_fd, int err_fd, const char *state, size_t state_len, int64_t deadline,
		      struct tail *t, struct hook_end *end)
{
	/* A pidfd only wakes the poll when the hook exits; without one (a
	 * kernel before 5.3) the loop looks every 20 ms instead. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	size_t off = 0;
	bool raised = false;
	struct pipe_guard guard;
	pipe_guard_enter(&guard);
	if (state_len == 0)
		close_reset(&in_fd);
	for (;;) {
		pid_t w = waitpid(pid, &end->status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			/* ECHILD: not ours to wait for any more (SIGCHLD
			 * ignored reaps it at once); nothing left to kill. */
			end->errnum = errno, end->what = "wait for it";
			break;
		}
		int timeout_ms = pidfd >= 0 ? -1 : 20;
		if (deadline) {
			int64_t left = deadline - pd_mono_ns();
			if (left <= 0) {
				end->timed_out = true;
				kill_and_reap(pid, &end->status);
				break;
			}
			int64_t ms = (left + 999999) / 1000000;
			if (timeout_ms < 0 || ms < timeout_ms)
				timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
		}
		struct pollfd p[3] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = err_fd, .events = POLLIN },
			{ .fd = in_fd, .events = POLLOUT },
		};
		if (poll(p, 3, timeout_ms) < 0 && errno != EINTR) {
			end->errnum = errno, end->what = "poll";
			kill_and_reap(pid, &end->status);
			break;
		}
		if (in_fd >= 0 && p[2].revents) {
			ssize_t n = write(in_fd, state + off, state_len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* EPIPE (or any error): the hook does not read
				 * its stdin, which the spec allows. */
				raised |= errno == EPIPE;
				close_reset(&in_fd);
			} else if (off == state_len) {
				close_reset(&in_fd); /* EOF for the hook */
			}
		}
		if (err_fd >= 0 && p[1].revents) {
			ssize_t n = tail_read(t, err_fd);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				err_fd = -1; /* the end: no more polling (the caller closes it) */
		}
	}
	close_reset(&in_fd);
	pipe_guard_leave(&guard, raised);
	/* What the hook wrote before it exited is in the pipe now; a child of
	 * it still writing is not waited for. */
	for (size_t got = 0; err_fd >= 0 && got < HOOK_FINAL_DRAIN;) {
		ssize_t n = tail_read(t, err_fd);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
}

static int run_hook(const struct pd_oci_hook *h, const char *kind, size_t idx, const char *state,
		    size_t state_len, struct pd_err **err)
{
	_cleanup_free_ char *path_shown = str_escape(h->path ? h->path : "");
	_cleanup_free_ char *who = xasprintf("hook %s[%zu] ('%s')", kind, idx, path_shown);
	if (!h->path || h->path[0] != '/')
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "%s: path is not absolute", who);
	/* Checked before anything runs, for a message that says what is
	 * wrong (exec's EACCES on a directory says little). */
	struct stat st;
	if (stat(h->path, &st) < 0)
		return pd_fail(err, errno, "%s: cannot run", who);
	if (!S_ISREG(st.st_mode))
		return pd_fail(err, 0, "%s: cannot run: not a regular file", who);

	int in[2] = { -1, -1 }, ep[2] = { -1, -1 };
	if (pipe_above_stdio(in) < 0)
		return pd_fail(err, errno, "%s: create its stdin pipe", who);
	_cleanup_close_ int in_r = in[0], in_w = in[1];
	if (pipe_above_stdio(ep) < 0)
		return pd_fail(err, errno, "%s: create its stderr pipe", who);
	_cleanup_close_ int err_r = ep[0], err_w = ep[1];
	_cleanup_close_ int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || above_stdio(&null_fd) < 0)
		return pd_fail(err, errno, "%s: open /dev/null", who);
	if (set_nonblock(in_w) < 0 || set_nonblock(err_r) < 0)
		return pd_fail(err, errno, "%s: set its pipes non-blocking", who);

	pid_t pid;
	int r = spawn_hook(h, in_r, null_fd, err_w, &pid);
	if (r != 0)
		return pd_fail(err, r, "%s: cannot run", who);
	/* Only the hook holds these now: its exit is the pipes' end. */
	close_reset(&in_r);
	close_reset(&err_w);

	int64_t deadline = 0;
	/* The decoder bounds timeout to INT32_MAX s; anything larger would
	 * overflow and is no deadline at all. */
	if (h->timeout.set && h->timeout.val > 0 && h->timeout.val <= INT32_MAX)
		deadline = pd_mono_ns() + h->timeout.val * NS_PER_S;
	struct tail t = { .len = 0 };
	struct hook_end end = { .status = 0 };
	supervise(pid, take_fd(&in_w), err_r, state, state_len, deadline, &t, &end);

	_cleanup_free_ char *line = tail_last_line(&t);
	const char *sep = line ? ": " : "", *shown = line ? line : "";
	if (end.errnum)
		return pd_fail(err, end.errnum, "%s: %s", who, end.what);
	if (end.timed_out)
		return pd_fail(err, 0, "%s timed out after %lld s%s%s", who, (long long)h->timeout.val, sep,
			       shown);
	if (WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0)
		return 0;
	if (WIFEXITED(end.status))
		return pd_fail(err, 0, "%s exited %d%s%s", who, WEXITSTATUS(end.status), sep, shown);
	if (WIFSIGNALED(end.status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(end.status));
		return pd_fail(err, 0, "%s killed by signal %d (SIG%s)%s%s", who, WTERMSIG(end.status),
			       abbrev ? abbrev : "?", sep, shown);
	}
	return pd_fail(err, 0, "%s ended with wait status %#x", who, (unsigned)end.status);
}

int pd_oci_hooks_run(const struct pd_oci_hook_list *list, const char *kind_name, const char *state_json,
		     struct pd_err **err)
{
	if (!list)
		return 0;
	const char *state = state_json ? state_json : "";
	for (size_t i = 0; i < list->n; i++)
		if (run_hook(&list->hooks[i], kind_name ? kind_name : "?", i, state, strlen(state), err) < 0)
			return -1;
	return 0;
}

/* ---- the state JSON ---- */

/* The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) at s, 0 when there is none. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A copy of s with each byte that starts no valid sequence as U+FFFD. */
static char *utf8_fix(const char *s)
{
	size_t len = strlen(s);
	char *out = xmalloc(len * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq_len(p);
		if (n) {
			memcpy(o, p, n);
			o += n, p += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3, p++;
		}
	}
	*o = '\0';
	return out;
}

/* A JSON string of s, never NULL (jansson refuses invalid UTF-8). */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	_cleanup_free_ char *fixed = utf8_fix(s);
	j = json_string(fixed);
	if (!j)
		abort(); /* valid UTF-8 without NUL: only allocation fails */
	return j;
}

static void jset(json_t *o, const char *key, json_t *v)
{
	if (json_object_set(o, key, v) < 0) {
		_cleanup_free_ char *fixed = utf8_fix(key);
		if (json_object_set(o, fixed, v) < 0)
			abort();
	}
	json_decref(v);
}

char *pd_oci_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
			const char **ann_keys, const char **ann_vals, size_t n_ann)
{
	json_t *o = json_object();
	if (!o)
		abort();
	jset(o, "ociVersion", jstr(pd_oci_spec_version()));
	jset(o, "id", jstr(id));
	jset(o, "status", jstr(status));
	if (pid > 0 && !(status && strcmp(status, "stopped") == 0))
		jset(o, "pid", json_integer(pid));
	jset(o, "bundle", jstr(bundle));
	if (n_ann > 0) {
		json_t *a = json_object();
		if (!a)
			abort();
		for (size_t i = 0; i < n_ann; i++)
			if (ann_keys[i] && ann_vals[i])
				jset(a, ann_keys[i], jstr(ann_vals[i]));
		jset(o, "annotations", a);
	}
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		abort(); /* only allocation fails */
	return text;
}
