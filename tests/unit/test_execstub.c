/* Unit tests for linux/execstub.c and the stub itself
 * (linux/stub/execstub.c): the memfd is sealed, the stub runs the command
 * with its argv and environment and closes the sync channel at the
 * command's exec, a failed exec is reported on the sync channel exactly as
 * the runtime would, and a command that names the stub itself
 * (/proc/self/exe, directly or as a "#!" interpreter) is refused.  No root
 * needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/execstub.h"
#include "linux/sync.h"
#include "util/cleanup.h"

struct run {
	int status; /* exit status of the child */
	int got;    /* sync_recv: 1 message, 0 EOF */
	struct sync_msg m;
	char out[4096], errout[4096];
};

static void read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/* Fork; in the child, make stdout/stderr pipes and run PATH with ARGV
 * through the stub; collect everything. */
static void run_stub_mode(const char *mode, const char *path, char *const argv[], char *const envp[],
			  struct run *r)
{
	memset(r, 0, sizeof(*r));
	int sv[2], o[2], e[2];
	struct pd_err *err = NULL;
	assert_int_equal(sync_pair(sv, &err), 0);
	assert_int_equal(pipe2(o, O_CLOEXEC), 0);
	assert_int_equal(pipe2(e, O_CLOEXEC), 0);
	int stub = execstub_open(&err);
	assert_true(stub >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		dup2(o[1], 1);
		dup2(e[1], 2);
		if (mode && *mode) {
			sigset_t all;
			sigfillset(&all);
			sigprocmask(SIG_SETMASK, &all, NULL);
		}
		execstub_exec(stub, sv[1], mode, path, argv, envp);
		_exit(99); /* the stub itself could not run */
	}
	close(sv[1]);
	close(o[1]);
	close(e[1]);
	close(stub);
	r->got = sync_recv(sv[0], &r->m, &err);
	assert_null(err);
	read_all(o[0], r->out, sizeof(r->out));
	read_all(e[0], r->errout, sizeof(r->errout));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	close(sv[0]);
	close(o[0]);
	close(e[0]);
}

static void run_stub(const char *path, char *const argv[], char *const envp[], struct run *r)
{
	run_stub_mode(NULL, path, argv, envp, r);
}

static void test_sealed(void **state)
{
	struct pd_err *err = NULL;
	int fd = execstub_open(&err);
	assert_true(fd >= 0);
	int seals = fcntl(fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_WRITE);
	assert_true(seals & F_SEAL_SEAL);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EPERM);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/self/fd/%d", fd);
	char link[256];
	ssize_t n = readlink(exe, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_non_null(strstr(link, "memfd:pd-exec-stub"));
	close(fd);
}

static void test_runs_the_command(void **state)
{
	/* argv[0] as given, the environment as given, the sync channel
	 * closed in the command (EOF), the command's status. */
	char *argv[] = { "custom-argv0", "-c",
			 "echo \"$0 $FOO\"; ls -l /proc/self/fd/ | grep -c socket; exit 7", NULL };
	char *envp[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
	struct run r;
	run_stub("/bin/sh", argv, envp, &r);
	assert_int_equal(r.got, 0);
	assert_int_equal(r.status, 7);
	/* The sync channel (a socket) is not open in the command. */
	assert_string_equal(r.out, "custom-argv0 bar\n0\n");
}

static void test_missing_command_reported(void **state)
{
	char *argv[] = { "nope", NULL };
	char *envp[] = { NULL };
	struct run r;
	run_stub("/nonexistent/pd-command", argv, envp, &r);
	assert_int_equal(r.got, 1);
	assert_int_equal(r.m.type, SYNC_ERROR);
	assert_int_equal(r.m.errnum, ENOENT);
	assert_int_equal(r.m.kind, PD_ERR_NOT_FOUND);
	assert_string_equal(r.m.step, "exec");
	assert_string_equal(r.m.text, "exec: '/nonexistent/pd-command'");
	assert_int_equal(r.status, 127);
}

static void test_not_executable_reported(void **state)
{
	char path[] = "/tmp/pd-execstub-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data\n", 5), 5);
	close(fd);
	chmod(path, 0644);
	char *argv[] = { path, NULL };
	char *envp[] = { NULL };
	struct run r;
	run_stub(path, argv, envp, &r);
	unlink(path);
	assert_int_equal(r.got, 1);
	assert_int_equal(r.m.errnum, EACCES);
	assert_int_equal(r.m.kind, PD_ERR_CANNOT_EXEC);
	assert_int_equal(r.status, 126);
}

static void test_self_refused(void **state)
{
	/* The command is /proc/self/exe: at that execve, the stub. */
	char *argv[] = { "/proc/self/exe", "run", "x", NULL };
	char *envp[] = { NULL };
	struct run r;
	run_stub("/proc/self/exe", argv, envp, &r);
	assert_int_equal(r.got, 0);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.errout, "(/proc/self/exe): refused"));
	/* The same as a script's interpreter. */
	char path[] = "/tmp/pd-execstub-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/proc/self/exe\n", 17), 17);
	fchmod(fd, 0755);
	close(fd);
	char *sargv[] = { path, "a", "b", NULL };
	run_stub(path, sargv, envp, &r);
	unlink(path);
	assert_int_equal(r.got, 0);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.errout, "(/proc/self/exe): refused"));
}

static void test_without_sync_channel(void **state)
{
	/* SYNCFD -1: the command runs; a failure is only the exit status. */
	struct pd_err *err = NULL;
	int stub = execstub_open(&err);
	assert_true(stub >= 0);
	for (int fail = 0; fail < 2; fail++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char *argv[] = { "sh", "-c", "exit 3", NULL };
			char *envp[] = { NULL };
			execstub_exec(stub, -1, NULL, fail ? "/nonexistent/pd-command" : "/bin/sh", argv,
				      envp);
			_exit(99);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), fail ? 127 : 3);
	}
	close(stub);
}

/* The forking mode (`exec`): the command runs in a child of the stub with
 * no signal blocked, in a session of its own; the stub holds no fd above
 * stderr, exits with the command's status (128+N for signal N) and passes
 * on the signals it gets; the sync channel reads EOF once the command runs,
 * or the failed step. */
static void test_fork_mode(void **state)
{
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	char script[] = "test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ && echo own-session;"
			"grep -q '^SigBlk:\\s*0*$' /proc/$$/status && echo unblocked;"
			"ls /proc/$PPID/fd/ 2>/dev/null | wc -l; echo \"$0\"; exit 5";
	char *argv[] = { "argv0", "-c", script, NULL };
	struct run r;
	run_stub_mode(EXECSTUB_FORK EXECSTUB_SESSION, "/bin/sh", argv, envp, &r);
	assert_int_equal(r.got, 0);
	assert_int_equal(r.status, 5);
	/* The stub (the parent) keeps fds 0-2 only. */
	assert_string_equal(r.out, "own-session\nunblocked\n3\nargv0\n");

	char *sig[] = { "sh", "-c", "kill -TERM $$", NULL };
	run_stub_mode(EXECSTUB_FORK, "/bin/sh", sig, envp, &r);
	assert_int_equal(r.status, 128 + SIGTERM);

	char *none[] = { "nope", NULL };
	run_stub_mode(EXECSTUB_FORK EXECSTUB_SESSION EXECSTUB_PDEATH, "/nonexistent/pd-command", none, envp,
		      &r);
	assert_int_equal(r.got, 1);
	assert_string_equal(r.m.step, "exec");
	assert_int_equal(r.m.kind, PD_ERR_NOT_FOUND);
	assert_int_equal(r.status, 127);
}

/* A signal sent to the stub reaches the command (the CLI forwards SIGINT,
 * SIGTERM... to the helper, which is the stub by then). */
static void test_fork_mode_forwards_signals(void **state)
{
	struct pd_err *err = NULL;
	int stub = execstub_open(&err);
	assert_true(stub >= 0);
	int o[2];
	assert_int_equal(pipe2(o, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(o[1], 1);
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		char *argv[] = {
			"sh", "-c",
			"trap 'echo got-usr1; exit 9' USR1; echo ready; while :; do sleep 0.05; done", NULL
		};
		char *envp[] = { "PATH=/usr/bin:/bin", NULL };
		execstub_exec(stub, -1, EXECSTUB_FORK, "/bin/sh", argv, envp);
		_exit(99);
	}
	close(o[1]);
	close(stub);
	char buf[64] = "";
	assert_true(read(o[0], buf, 6) == 6);
	assert_memory_equal(buf, "ready\n", 6);
	kill(pid, SIGUSR1);
	read_all(o[0], buf, sizeof(buf));
	assert_string_equal(buf, "got-usr1\n");
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 9);
	close(o[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_runs_the_command),
		cmocka_unit_test(test_missing_command_reported),
		cmocka_unit_test(test_not_executable_reported),
		cmocka_unit_test(test_self_refused),
		cmocka_unit_test(test_without_sync_channel),
		cmocka_unit_test(test_fork_mode),
		cmocka_unit_test(test_fork_mode_forwards_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
