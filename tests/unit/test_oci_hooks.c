/* Unit tests for core/oci-hooks.c: the state JSON, and hooks run as the
 * runtime-spec asks: the state arrives on stdin intact, the environment and
 * argv[0] are exactly as given, no fd of ours leaks, a failure names the
 * hook and quotes its stderr, a timeout kills the hook and its children, a
 * hook that never reads a large state does not block us (nor kill us with
 * SIGPIPE), a flood on stderr does not either.  Hooks are /bin/sh scripts
 * run in a private directory under $TMPDIR (the cwd of each test); no root
 * needed, no network. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/oci-hooks.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/str.h"
#include "util/xalloc.h"

struct scratch {
	char *dir;
	int old_cwd;
};

static int setup(void **state)
{
	struct scratch *s = xcalloc(1, sizeof(*s));
	const char *t = getenv("TMPDIR");
	s->dir = xasprintf("%s/pd-unit-hooks.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(s->dir))
		return -1;
	s->old_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->old_cwd < 0 || chdir(s->dir) < 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct scratch *s = *state;
	if (fchdir(s->old_cwd) < 0)
		return -1;
	close(s->old_cwd);
	int r = pd_rm_rf(s->dir, pd_err_ignore(cleanup));
	free(s->dir);
	free(s);
	return r;
}

/* A hook running `script` with /bin/sh, argv[0] = `argv0`. */
struct sh_hook {
	char *argv[4];
	struct pd_oci_hook h;
};

static void sh_hook(struct sh_hook *s, const char *argv0, const char *script)
{
	s->argv[0] = (char *)argv0;
	s->argv[1] = (char *)"-c";
	s->argv[2] = (char *)script;
	s->argv[3] = NULL;
	s->h = (struct pd_oci_hook){ .path = (char *)"/bin/sh", .args = s->argv };
}

static int run_one(struct pd_oci_hook *h, const char *kind, const char *state, struct pd_err **err)
{
	struct pd_oci_hook_list l = { .hooks = h, .n = 1 };
	return pd_oci_hooks_run(&l, kind, state, err);
}

static char *slurp(const char *path, size_t *len)
{
	char *s = pd_read_file(path, len, pd_err_ignore(status));
	assert_non_null(s);
	return s;
}

static pid_t read_pid(const char *path)
{
	_cleanup_free_ char *s = slurp(path, NULL);
	return (pid_t)atoi(s);
}

static double now_s(void)
{
	return (double)pd_mono_ns() / 1e9;
}

/* Gone, or a zombie waiting for whoever reaps orphans: either way it runs
 * no more.  Waits up to 2 s. */
static bool is_dead(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return true;
		buf[n] = '\0';
		const char *rp = strrchr(buf, ')');
		if (rp && (rp[2] == 'Z' || rp[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_state_json(void **state)
{
	const char *keys[] = { "k1", "k2", "k1" };
	const char *vals[] = { "v1", "v2", "again" };
	_cleanup_free_ char *a = pd_oci_state_json("abc", "running", 42, "/b", keys, vals, 2);
	assert_string_equal(a, "{\"ociVersion\":\"1.2.0\",\"id\":\"abc\",\"status\":\"running\",\"pid\":42,"
			       "\"bundle\":\"/b\",\"annotations\":{\"k1\":\"v1\",\"k2\":\"v2\"}}");
	/* No pid when stopped or 0, no annotations when none; a later
	 * duplicate key wins. */
	_cleanup_free_ char *b = pd_oci_state_json("abc", "stopped", 42, "/b", keys, vals, 3);
	assert_string_equal(
	    b, "{\"ociVersion\":\"1.2.0\",\"id\":\"abc\",\"status\":\"stopped\",\"bundle\":\"/b\","
	       "\"annotations\":{\"k1\":\"again\",\"k2\":\"v2\"}}");
	_cleanup_free_ char *c = pd_oci_state_json("abc", "creating", 0, "/b", NULL, NULL, 0);
	assert_string_equal(
	    c, "{\"ociVersion\":\"1.2.0\",\"id\":\"abc\",\"status\":\"creating\",\"bundle\":\"/b\"}");
	/* Bytes that are not UTF-8 become U+FFFD (an overlong '/' too), in
	 * keys and values; the text stays valid JSON. */
	const char *bk[] = { "k\xff" };
	const char *bv[] = { "\xc0\xaf" };
	_cleanup_free_ char *d = pd_oci_state_json("a\xff"
						   "b",
						   "created", 7, "/b\xe2\x82", bk, bv, 1);
	assert_string_equal(d, "{\"ociVersion\":\"1.2.0\",\"id\":\"a\xef\xbf\xbd"
			       "b\",\"status\":\"created\","
			       "\"pid\":7,\"bundle\":\"/b\xef\xbf\xbd\xef\xbf\xbd\","
			       "\"annotations\":{\"k\xef\xbf\xbd\":\"\xef\xbf\xbd\xef\xbf\xbd\"}}");
}

/* The hook side of the tests that look at what a hook gets: this test
 * binary run as a hook ("ARGV0 hook-helper").  A shell would not do: dash
 * keeps fds of its own around redirections.  Writes, in the cwd: stdin.out
 * (its stdin, whole), fds.out (its open fds, the listing's own left out),
 * fd1.out (what fd 1 is), environ.out (its environment, NUL-separated),
 * argv0.out. */
static void put_file(const char *name, const char *data, size_t len)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || pd_write_all(fd, data, len) < 0)
		exit(90);
	close(fd);
}

extern char **environ;

static int hook_helper(char **argv)
{
	size_t cap = 1 << 16, len = 0;
	char *in = xmalloc(cap);
	for (;;) {
		if (len == cap)
			in = xrealloc(in, cap *= 2);
		ssize_t n = read(0, in + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 91;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	put_file("stdin.out", in, len);
	free(in);

	char fds[256];
	size_t flen = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 92;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		int w = snprintf(fds + flen, sizeof(fds) - flen, "%s ", e->d_name);
		if (w < 0 || (size_t)w >= sizeof(fds) - flen)
			return 93;
		flen += (size_t)w;
	}
	closedir(d);
	put_file("fds.out", fds, flen);

	char fd1[256];
	ssize_t n = readlink("/proc/self/fd/1", fd1, sizeof(fd1));
	put_file("fd1.out", fd1, n > 0 ? (size_t)n : 0);

	size_t elen = 0;
	char env[4096];
	for (char **e = environ; *e; e++) {
		size_t l = strlen(*e) + 1;
		if (elen + l > sizeof(env))
			return 94;
		memcpy(env + elen, *e, l);
		elen += l;
	}
	put_file("environ.out", env, elen);
	put_file("argv0.out", argv[0], strlen(argv[0]));
	return 0;
}

static char self_exe[4096];

/* A hook running this binary as hook_helper, argv[0] = argv0. */
struct helper_hook {
	char *argv[3];
	struct pd_oci_hook h;
};

static void helper_hook(struct helper_hook *s, const char *argv0)
{
	s->argv[0] = (char *)argv0;
	s->argv[1] = (char *)"hook-helper";
	s->argv[2] = NULL;
	s->h = (struct pd_oci_hook){ .path = self_exe, .args = s->argv };
}

/* The state arrives whole on stdin; the environment is exactly the one
 * given, argv[0] is args[0], fd 1 is /dev/null, the hook runs in our cwd,
 * and no fd of ours reaches it (one left without close-on-exec, as conmon
 * hands its runtime, included). */
static void test_stdin_env_argv_fds(void **state)
{
	const char *keys[] = { "org.example/a" };
	const char *vals[] = { "x y \"z\"" };
	_cleanup_free_ char *js = pd_oci_state_json("c1", "created", 1234, "/bundle", keys, vals, 1);
	int leak = dup(2); /* no O_CLOEXEC */
	assert_true(leak > 2);
	struct helper_hook s;
	helper_hook(&s, "my-hook-argv0");
	char *env[] = { (char *)"A=1", (char *)"B=two words", (char *)"PATH=/usr/bin:/bin", NULL };
	s.h.env = env;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = run_one(&s.h, "createRuntime", js, &err);
	close(leak);
	assert_int_equal(r, 0);
	assert_null(err);
	size_t len;
	_cleanup_free_ char *in = slurp("stdin.out", &len);
	assert_int_equal(len, strlen(js));
	assert_string_equal(in, js);
	_cleanup_free_ char *envs = slurp("environ.out", &len);
	const char want_env[] = "A=1\0B=two words\0PATH=/usr/bin:/bin\0";
	assert_int_equal(len, sizeof(want_env) - 1);
	assert_memory_equal(envs, want_env, len);
	_cleanup_free_ char *a0 = slurp("argv0.out", NULL);
	assert_string_equal(a0, "my-hook-argv0");
	_cleanup_free_ char *fds = slurp("fds.out", NULL);
	assert_string_equal(fds, "0 1 2 ");
	_cleanup_free_ char *fd1 = slurp("fd1.out", NULL);
	assert_string_equal(fd1, "/dev/null");
}

/* No args: argv[0] is the path.  /bin/sh without arguments reads its
 * script from stdin, so the "state" here is a script saying what $0 is;
 * with no env, the environment is empty. */
static void test_argv0_is_path_env_empty(void **state)
{
	struct pd_oci_hook h = { .path = (char *)"/bin/sh" };
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(
	    run_one(&h, "prestart", "echo \"$0\" > argv0.out; cat /proc/$$/environ > env.out\n", &err), 0);
	_cleanup_free_ char *a0 = slurp("argv0.out", NULL);
	assert_string_equal(a0, "/bin/sh\n");
	size_t len;
	_cleanup_free_ char *env = slurp("env.out", &len);
	assert_int_equal(len, 0);
}

static void test_exit_status_quotes_stderr(void **state)
{
	struct sh_hook s;
	sh_hook(&s, "sh", "echo first >&2; echo 'bad thing happened' >&2; exit 3");
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(run_one(&s.h, "createRuntime", "{}", &err), -1);
	assert_non_null(err);
	assert_string_equal(err->msg, "hook createRuntime[0] ('/bin/sh') exited 3: bad thing happened");
	assert_int_equal(err->errnum, 0);

	/* Silent: no colon, nothing quoted. */
	sh_hook(&s, "sh", "exit 1");
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(run_one(&s.h, "poststop", "{}", &e2), -1);
	assert_string_equal(e2->msg, "hook poststop[0] ('/bin/sh') exited 1");

	/* A terminal escape in the hook's stderr is shown, not obeyed. */
	sh_hook(&s, "sh", "printf 'evil \\033[31mred\\n\\n' >&2; exit 2");
	_cleanup_err_ struct pd_err *e3 = NULL;
	assert_int_equal(run_one(&s.h, "poststop", "{}", &e3), -1);
	assert_null(strchr(e3->msg, '\033'));
	assert_non_null(strstr(e3->msg, "exited 2: evil "));
}

/* Death by a signal fails; a signal the caller ignores is at its default
 * in the hook. */
static void test_killed_by_signal(void **state)
{
	struct sh_hook s;
	sh_hook(&s, "sh", "echo dying >&2; kill -TERM $$; sleep 5");
	s.h.timeout = (struct pd_oci_i64){ .set = true, .val = 10 };
	void (*old)(int) = signal(SIGTERM, SIG_IGN);
	_cleanup_err_ struct pd_err *err = NULL;
	int r = run_one(&s.h, "startContainer", "{}", &err);
	signal(SIGTERM, old);
	assert_int_equal(r, -1);
	assert_string_equal(err->msg,
			    "hook startContainer[0] ('/bin/sh') killed by signal 15 (SIGTERM): dying");
}

/* Past its timeout the hook is killed with its children, within about a
 * second, reaped, and the error says so. */
static void test_timeout(void **state)
{
	struct sh_hook s;
	sh_hook(&s, "sh", "echo $$ > pid.out; sleep 100 & echo $! > bg.out; sleep 100");
	s.h.timeout = (struct pd_oci_i64){ .set = true, .val = 1 };
	_cleanup_err_ struct pd_err *err = NULL;
	double t0 = now_s();
	assert_int_equal(run_one(&s.h, "poststart", "{}", &err), -1);
	double took = now_s() - t0;
	assert_true(took >= 0.9);
	assert_true(took < 2.0);
	assert_string_equal(err->msg, "hook poststart[0] ('/bin/sh') timed out after 1 s");
	pid_t pid = read_pid("pid.out"), bg = read_pid("bg.out");
	assert_true(pid > 0 && bg > 0);
	/* Reaped by us: not our child any more, and gone. */
	errno = 0;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* Its child, in its process group, was killed with it. */
	assert_true(is_dead(bg));
}

static char *big_state(size_t *len)
{
	enum { N = 200 };
	const char *keys[N], *vals[N];
	char *kbuf[N], *vbuf[N];
	for (int i = 0; i < N; i++) {
		kbuf[i] = xasprintf("org.example/key-%d", i);
		vbuf[i] = xmalloc(1025);
		memset(vbuf[i], 'a' + i % 26, 1024);
		vbuf[i][1024] = '\0';
		keys[i] = kbuf[i];
		vals[i] = vbuf[i];
	}
	char *js = pd_oci_state_json("big", "created", 1, "/b", keys, vals, N);
	for (int i = 0; i < N; i++) {
		free(kbuf[i]);
		free(vbuf[i]);
	}
	*len = strlen(js);
	assert_true(*len > 3 * 65536);
	return js;
}

static void assert_no_sigpipe_left(void)
{
	sigset_t mask, pending;
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
	assert_false(sigismember(&mask, SIGPIPE));
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGPIPE));
}

/* A state larger than a pipe holds: delivered whole to a hook that reads
 * it; a hook that never reads it (exiting at once, or after a while) is
 * not an error, does not block us, and leaves no SIGPIPE (main keeps
 * SIGPIPE at its default: one would kill this test). */
static void test_large_state_unread(void **state)
{
	size_t len;
	_cleanup_free_ char *js = big_state(&len);
	struct sh_hook s;
	_cleanup_err_ struct pd_err *err = NULL;

	sh_hook(&s, "sh", "cat > big.out");
	assert_int_equal(run_one(&s.h, "createContainer", js, &err), 0);
	size_t got;
	_cleanup_free_ char *in = slurp("big.out", &got);
	assert_int_equal(got, len);
	assert_string_equal(in, js);

	sh_hook(&s, "sh", "exit 0");
	for (int i = 0; i < 20; i++) /* the race of exit and write, many times */
		assert_int_equal(run_one(&s.h, "createContainer", js, &err), 0);
	assert_no_sigpipe_left();

	sh_hook(&s, "sh", "exec 0<&-; sleep 0.3");
	double t0 = now_s();
	assert_int_equal(run_one(&s.h, "createContainer", js, &err), 0);
	assert_true(now_s() - t0 < 1.5);
	assert_no_sigpipe_left();

	/* Never reads, never exits: its timeout still holds. */
	sh_hook(&s, "sh", "sleep 100");
	s.h.timeout = (struct pd_oci_i64){ .set = true, .val = 1 };
	t0 = now_s();
	assert_int_equal(run_one(&s.h, "createContainer", js, &err), -1);
	assert_true(now_s() - t0 < 2.0);
	assert_non_null(strstr(err->msg, "timed out after 1 s"));
	assert_no_sigpipe_left();
}

/* A megabyte on stderr is drained as it comes (the hook would block on a
 * full pipe otherwise) and its last line is quoted. */
static void test_stderr_flood(void **state)
{
	struct sh_hook s;
	sh_hook(&s, "sh",
		"head -c 1000000 /dev/zero | tr '\\0' x >&2; echo >&2; echo final words >&2; exit 1");
	s.h.timeout = (struct pd_oci_i64){ .set = true, .val = 20 };
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(run_one(&s.h, "prestart", "{}", &err), -1);
	assert_string_equal(err->msg, "hook prestart[0] ('/bin/sh') exited 1: final words");

	/* One long line: quoted cut. */
	sh_hook(&s, "sh", "head -c 100000 /dev/zero | tr '\\0' y >&2; exit 1");
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(run_one(&s.h, "prestart", "{}", &e2), -1);
	assert_true(strlen(e2->msg) < 700);
	assert_true(str_has_suffix(e2->msg, "yyy..."));
}

/* A child of the hook keeps its stderr open after the hook exited: we
 * return at the hook's exit, not at that pipe's end. */
static void test_child_holds_stderr(void **state)
{
	struct sh_hook s;
	sh_hook(&s, "sh", "sleep 5 >&2 & echo $! > bg.out; exit 0");
	_cleanup_err_ struct pd_err *err = NULL;
	double t0 = now_s();
	assert_int_equal(run_one(&s.h, "poststart", "{}", &err), 0);
	assert_true(now_s() - t0 < 1.0);
	pid_t bg = read_pid("bg.out");
	assert_true(bg > 0);
	kill(bg, SIGKILL); /* the test's own grandchild */
}

static void test_bad_paths(void **state)
{
	struct pd_oci_hook h = { .path = (char *)"/nonexistent/hook" };
	_cleanup_err_ struct pd_err *e1 = NULL;
	assert_int_equal(run_one(&h, "prestart", "{}", &e1), -1);
	assert_int_equal(e1->errnum, ENOENT);
	assert_string_equal(e1->msg, "hook prestart[0] ('/nonexistent/hook'): cannot run");

	/* Not executable (root too needs an x bit). */
	struct scratch *sc = *state;
	_cleanup_free_ char *p = xasprintf("%s/noexec.sh", sc->dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pd_write_all(fd, "#!/bin/sh\nexit 0\n", 17), 0);
	close(fd);
	h.path = p;
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(run_one(&h, "prestart", "{}", &e2), -1);
	assert_int_equal(e2->errnum, EACCES);
	assert_non_null(strstr(e2->msg, "noexec.sh'): cannot run"));

	/* Executable but no interpreter line and no ELF: exec refuses it. */
	assert_int_equal(chmod(p, 0755), 0);
	fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pd_write_all(fd, "exit 0\n", 7), 0);
	close(fd);
	_cleanup_err_ struct pd_err *e3 = NULL;
	assert_int_equal(run_one(&h, "prestart", "{}", &e3), -1);
	assert_int_equal(e3->errnum, ENOEXEC);

	h.path = sc->dir;
	_cleanup_err_ struct pd_err *e4 = NULL;
	assert_int_equal(run_one(&h, "prestart", "{}", &e4), -1);
	assert_non_null(strstr(e4->msg, "cannot run: not a regular file"));

	h.path = (char *)"relative/hook";
	_cleanup_err_ struct pd_err *e5 = NULL;
	assert_int_equal(run_one(&h, "prestart", "{}", &e5), -1);
	assert_int_equal(e5->kind, PD_ERR_USAGE);
	assert_string_equal(e5->msg, "hook prestart[0] ('relative/hook'): path is not absolute");
}

/* Hooks run in order, each to its end; the first failure stops the list
 * and is named by its index. */
static void test_order(void **state)
{
	struct sh_hook a, b, c;
	sh_hook(&a, "one", "sleep 0.2; echo one >> order.out");
	sh_hook(&b, "two", "echo two >> order.out");
	struct pd_oci_hook two[] = { a.h, b.h };
	struct pd_oci_hook_list l = { .hooks = two, .n = 2 };
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_oci_hooks_run(&l, "createRuntime", "{}", &err), 0);
	_cleanup_free_ char *o = slurp("order.out", NULL);
	assert_string_equal(o, "one\ntwo\n");

	assert_int_equal(unlink("order.out"), 0);
	sh_hook(&c, "fails", "echo no >&2; exit 4");
	struct pd_oci_hook three[] = { a.h, c.h, b.h };
	l = (struct pd_oci_hook_list){ .hooks = three, .n = 3 };
	assert_int_equal(pd_oci_hooks_run(&l, "createRuntime", "{}", &err), -1);
	assert_string_equal(err->msg, "hook createRuntime[1] ('/bin/sh') exited 4: no");
	_cleanup_free_ char *o2 = slurp("order.out", NULL);
	assert_string_equal(o2, "one\n");

	/* Nothing to run. */
	struct pd_oci_hook_list none = { .hooks = NULL, .n = 0 };
	assert_int_equal(pd_oci_hooks_run(&none, "poststop", "{}", pd_err_ignore(status)), 0);
	assert_int_equal(pd_oci_hooks_run(NULL, "poststop", "{}", pd_err_ignore(status)), 0);
}

/* fds 0-2 of the caller closed: the pipes get those numbers, and the hook
 * must still see state on 0 and /dev/null on 1. */
static void test_caller_without_stdio(void **state)
{
	int saved0 = fcntl(0, F_DUPFD_CLOEXEC, 10), saved1 = fcntl(1, F_DUPFD_CLOEXEC, 10);
	assert_true(saved0 >= 0 && saved1 >= 0);
	close(0);
	close(1);
	struct helper_hook s;
	helper_hook(&s, "helper");
	_cleanup_err_ struct pd_err *err = NULL;
	int r = run_one(&s.h, "prestart", "{\"x\":1}", &err);
	assert_int_equal(dup2(saved0, 0), 0);
	assert_int_equal(dup2(saved1, 1), 1);
	close(saved0);
	close(saved1);
	assert_int_equal(r, 0);
	_cleanup_free_ char *in = slurp("stdin.out", NULL);
	assert_string_equal(in, "{\"x\":1}");
	_cleanup_free_ char *fd1 = slurp("fd1.out", NULL);
	assert_string_equal(fd1, "/dev/null");
	_cleanup_free_ char *fds = slurp("fds.out", NULL);
	assert_string_equal(fds, "0 1 2 ");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "hook-helper") == 0)
		return hook_helper(argv);
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	/* SIGPIPE stays at its default: a write to a hook that left would
	 * kill this test if the runner let one through. */
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_json),
		T(test_stdin_env_argv_fds),
		T(test_argv0_is_path_env_empty),
		T(test_exit_status_quotes_stderr),
		T(test_killed_by_signal),
		T(test_timeout),
		T(test_large_state_unread),
		T(test_stderr_flood),
		T(test_child_holds_stderr),
		T(test_bad_paths),
		T(test_order),
		T(test_caller_without_stdio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
