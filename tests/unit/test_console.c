/* Unit tests for linux/console.c: the pty master sent to a console socket
 * arrives as runc sends it (payload "/dev/ptmx", one fd by SCM_RIGHTS) and
 * is the same pty; a socket path longer than sun_path works; a missing
 * socket, a socket nobody listens on and an over-long name fail with the
 * path in the error.  A listening socket in a private directory under
 * $TMPDIR; no root needed, no network. */
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/console.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/pd-unit-console.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;
	int r = pd_rm_rf(dir, pd_err_ignore(cleanup));
	free(dir);
	return r;
}

/* A socket listening at `dir`/`name`, bound through an O_PATH fd of the
 * directory so that `dir` may be of any length. */
static int listen_at(const char *dir, const char *name, bool do_listen)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
	assert_true(n > 0 && (size_t)n < sizeof(sa.sun_path));
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(s, 4), 0);
	close(dfd);
	return s;
}

/* Accept one connection and read its one message: the payload into buf
 * (NUL-terminated), the fds passed into *fd (-1 when none); the number of
 * fds that came is returned. */
static int receive(int lfd, char *buf, size_t len, int *fd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)
	};
	ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_false(msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC));
	int nfds = 0;
	*fd = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		nfds += (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fd, CMSG_DATA(h), sizeof(int));
	}
	/* One message, then the sender closed. */
	char more;
	assert_int_equal(read(c, &more, 1), 0);
	close(c);
	return nfds;
}

static int open_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	return m;
}

/* The fd received is the very pty sent: same pty number, and what is
 * written on its slave is read on it. */
static void check_same_pty(int sent, int got)
{
	assert_true(got >= 0);
	assert_int_not_equal(got, sent);
	unsigned a = 0, b = 1;
	assert_int_equal(ioctl(sent, TIOCGPTN, &a), 0);
	assert_int_equal(ioctl(got, TIOCGPTN, &b), 0);
	assert_int_equal(a, b);
	char name[64];
	assert_int_equal(ptsname_r(got, name, sizeof(name)), 0);
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_int_equal(write(slave, "ping", 4), 4);
	char buf[16];
	ssize_t n = read(got, buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	close(slave);
}

static void test_send_master(void **state)
{
	const char *dir = *state;
	int lfd = listen_at(dir, "console.sock", true);
	int master = open_master();
	_cleanup_free_ char *path = xasprintf("%s/console.sock", dir);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(console_send_master(path, master, &err), 0);
	assert_null(err);
	char buf[64];
	int got;
	assert_int_equal(receive(lfd, buf, sizeof(buf), &got), 1);
	assert_string_equal(buf, "/dev/ptmx");
	check_same_pty(master, got);
	/* The caller keeps its master. */
	assert_true(fcntl(master, F_GETFD) >= 0);
	close(got);
	close(master);
	close(lfd);
}

/* A path past sun_path's 108 bytes (directories nested so that no one
 * component is long). */
static void test_long_path(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *deep = xstrdup(dir);
	while (strlen(deep) < 300) {
		char *next = xasprintf("%s/a-rather-long-directory-name-for-a-console-socket", deep);
		assert_int_equal(mkdir(next, 0700), 0);
		free(deep);
		deep = next;
	}
	_cleanup_free_ char *path = xasprintf("%s/console.sock", deep);
	assert_true(strlen(path) > sizeof(((struct sockaddr_un *)0)->sun_path));
	int lfd = listen_at(deep, "console.sock", true);
	int master = open_master();
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(console_send_master(path, master, &err), 0);
	char buf[64];
	int got;
	assert_int_equal(receive(lfd, buf, sizeof(buf), &got), 1);
	assert_string_equal(buf, "/dev/ptmx");
	check_same_pty(master, got);
	close(got);
	close(lfd);

	/* Long and missing: the error names the path. */
	_cleanup_free_ char *gone = xasprintf("%s/nothing-here/console.sock", deep);
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(console_send_master(gone, master, &e2), -1);
	assert_int_equal(e2->errnum, ENOENT);
	assert_non_null(strstr(e2->msg, gone));
	_cleanup_free_ char *gone2 = xasprintf("%s/other.sock", deep);
	_cleanup_err_ struct pd_err *e3 = NULL;
	assert_int_equal(console_send_master(gone2, master, &e3), -1);
	assert_int_equal(e3->errnum, ENOENT);
	assert_non_null(strstr(e3->msg, gone2));

	/* A last component too long for any socket address. */
	char name[120];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	_cleanup_free_ char *toolong = xasprintf("%s/%s", dir, name);
	_cleanup_err_ struct pd_err *e4 = NULL;
	assert_int_equal(console_send_master(toolong, master, &e4), -1);
	assert_int_equal(e4->errnum, ENAMETOOLONG);
	assert_non_null(strstr(e4->msg, toolong));
	close(master);
}

static void test_missing_socket(void **state)
{
	const char *dir = *state;
	int master = open_master();
	_cleanup_free_ char *path = xasprintf("%s/missing.sock", dir);
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(console_send_master(path, master, &err), -1);
	assert_int_equal(err->errnum, ENOENT);
	_cleanup_free_ char *want = xasprintf("console socket '%s': connect", path);
	assert_string_equal(err->msg, want);

	/* Bound but nobody listening. */
	int s = listen_at(dir, "deaf.sock", false);
	_cleanup_free_ char *deaf = xasprintf("%s/deaf.sock", dir);
	_cleanup_err_ struct pd_err *e2 = NULL;
	assert_int_equal(console_send_master(deaf, master, &e2), -1);
	assert_int_equal(e2->errnum, ECONNREFUSED);
	assert_non_null(strstr(e2->msg, deaf));
	close(s);

	/* Not a socket at all. */
	_cleanup_free_ char *file = xasprintf("%s/file", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	_cleanup_err_ struct pd_err *e3 = NULL;
	assert_int_equal(console_send_master(file, master, &e3), -1);
	assert_int_equal(e3->errnum, ECONNREFUSED);

	_cleanup_err_ struct pd_err *e4 = NULL;
	assert_int_equal(console_send_master("", master, &e4), -1);
	assert_int_equal(e4->kind, PD_ERR_USAGE);
	close(master);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_send_master),
		T(test_long_path),
		T(test_missing_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
